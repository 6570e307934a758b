"""
Command line: ``python -m sunpy_jsocx.emulator [options]``.

Prints the base URL as the first line of standard output, then serves until killed.

Every field of `~sunpy_jsocx.emulator.server.EmulatorConfig` is an option
(``size_limit_mb`` is ``--size-limit-mb``), generated from the dataclass and its
docstring, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import sys
import types
import typing

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.server import DEFAULT_REGISTERED, EmulatorConfig, JSOCEmulator, serve_until_stopped

__all__ = ["build_parser", "config_from_args", "main", "option_for"]

#: Fields that are hooks for tests (callables), not options.
NOT_OPTIONS = ("clock", "sleep")
#: Options whose name is not the field's.
_FLAG_NAMES = {"registered": "--registered-email"}
_METAVARS = {"float": "X", "int": "N", "str": "TEXT"}


def option_for(name: str) -> str:
    """The command-line option of an `EmulatorConfig` field (``size_limit_mb`` → ``--size-limit-mb``)."""
    return _FLAG_NAMES.get(name, "--" + name.replace("_", "-"))


def _field_docs() -> dict[str, str]:
    # The "Parameters" section of EmulatorConfig's numpydoc docstring, one entry per field.
    lines = inspect.cleandoc(EmulatorConfig.__doc__ or "").splitlines()
    docs: dict[str, str] = {}
    names: list[str] = []
    try:
        start = lines.index("Parameters") + 2
    except ValueError:
        return docs
    for line in lines[start:]:
        if line and not line[0].isspace():
            names = [n.strip() for n in line.split(" : ", 1)[0].split(",")]  # "a, b : float or None"
            for n in names:
                docs[n] = ""
        elif line.strip():
            for n in names:
                docs[n] = (docs[n] + " " + line.strip()).strip()
    return docs


def _option_fields() -> list[tuple[dataclasses.Field, type, bool]]:
    hints = typing.get_type_hints(EmulatorConfig)
    out = []
    for f in dataclasses.fields(EmulatorConfig):
        if f.name in NOT_OPTIONS:
            continue
        hint = hints[f.name]
        args = typing.get_args(hint)
        optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        out.append((f, base, optional))
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: ``--host``, ``--port`` and one option per `EmulatorConfig` field."""
    p = argparse.ArgumentParser(prog="python -m sunpy_jsocx.emulator",
                                description="Run an offline emulator of the Stanford JSOC web API.",
                                epilog="With --data DIR it serves the downloaded FITS files under DIR instead "
                                       "(see python -m sunpy_jsocx.emulator --data DIR --help).")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=0, help="port (default: 0, a free port)")
    docs = _field_docs()
    for f, base, optional in _option_fields():
        text = docs.get(f.name, "").replace("``", "").replace("%", "%%")
        flag = option_for(f.name)
        if f.name == "registered":
            p.add_argument(flag, dest="registered", action="append", default=None, metavar="ADDR",
                           help=f"{text} Repeat the option or give a comma-separated list "
                                f"(default: {', '.join(DEFAULT_REGISTERED)})")
            continue
        if base not in (int, float, str):
            raise TypeError(f"EmulatorConfig.{f.name} has type {base!r}, which has no command-line form")
        default = None if optional else f.default
        shown = "none" if default is None else default
        p.add_argument(flag, dest=f.name, type=base, default=default, metavar=_METAVARS[base.__name__],
                       help=f"{text} (default: {shown})")
    return p


def _check(args: argparse.Namespace) -> str | None:
    if not 0 <= args.port <= 65535:
        return f"--port must be between 0 and 65535, got {args.port}"
    for f, base, _optional in _option_fields():
        value = getattr(args, f.name)
        flag = option_for(f.name)
        if value is None or f.name == "registered":
            continue
        if f.name == "play" and value not in ("jsoc", "kis"):
            return f"{flag} must be jsoc or kis, got {value!r}"
        if f.name.endswith("_rate") and not 0.0 <= value <= 1.0:
            return f"{flag} must be between 0 and 1, got {value}"
        if f.name == "image_size" and not 8 <= value <= 8192:
            return f"{flag} must be between 8 and 8192, got {value}"
        if f.name in ("bandwidth", "record_limit") and value <= 0:
            return f"{flag} must be greater than 0, got {value}"
        if base in (int, float) and value < 0:
            return f"{flag} must be 0 or more, got {value}"
        if f.name == "offline_before":
            try:
                jsoctime.parse_time(value)
            except (jsoctime.JSOCTimeError, ValueError) as e:
                return f"{flag} must be a JSOC time such as 2011.01.01_00:00:00_TAI: {e}"
    return None


def config_from_args(args: argparse.Namespace) -> dict:
    """The `EmulatorConfig` keyword arguments an argument namespace asks for."""
    config = {}
    for f, _base, _optional in _option_fields():
        value = getattr(args, f.name)
        if f.name == "registered":
            emails = [e.strip() for item in (value or []) for e in item.split(",") if e.strip()]
            value = tuple(dict.fromkeys(emails)) or DEFAULT_REGISTERED
        config[f.name] = value
    return config


def main(argv=None) -> int:
    """
    Run the emulator until SIGTERM or Ctrl-C; returns the exit status.

    With ``--data DIR`` it serves the FITS files under ``DIR`` instead
    (``sunpy_jsocx.emulator.serve``, the same as ``python -m sunpy_jsocx serve DIR``).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(a == "--data" or a.startswith("--data=") for a in argv):
        from sunpy_jsocx.emulator.serve import main as serve_main

        return serve_main(argv, prog="python -m sunpy_jsocx.emulator")
    args = build_parser().parse_args(argv)
    problem = _check(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    emu = JSOCEmulator(host=args.host, port=args.port, **config_from_args(args))
    return serve_until_stopped(emu, args.host, args.port)

if __name__ == "__main__":
    sys.exit(main())
