"""
sunpy-jsocx: a SunPy Fido client for the Stanford JSOC, and an offline JSOC emulator.

``import sunpy_jsocx`` registers `JSOCXClient` with ``Fido`` and its attrs as
``sunpy.net.attrs.jsocx``.

The names below are loaded when first used (module ``__getattr__``). Registration
with Fido needs the client class, so a plain ``import sunpy_jsocx`` still imports it
at once; only when the interpreter runs one of this package's own command lines
(``python -m sunpy_jsocx ...``, ``python -m sunpy_jsocx.emulator ...``) is that left
to the commands that need it, so that ``--help`` does not wait for sunpy and astropy.
"""

import sys

# The one version string: pyproject.toml reads it from here (a plain literal, read without importing).
__version__ = "0.1.0.dev0"

__all__ = ["JSOCXClient", "use_server", "reset_server", "use_mirror", "reset_mirror", "tai", "__version__"]

#: Where each lazily loaded name lives.
_LAZY = {"JSOCXClient": "sunpy_jsocx.client", "use_server": "sunpy_jsocx.config",
         "reset_server": "sunpy_jsocx.config", "use_mirror": "sunpy_jsocx.config",
         "reset_mirror": "sunpy_jsocx.config", "tai": "sunpy_jsocx.timeutils"}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _running_own_command() -> bool:
    """
    Whether this import is Python locating ``-m sunpy_jsocx[.…]`` to run it.

    While ``-m`` locates the module to run, ``sys.argv[0]`` is ``"-m"`` (Python's
    command-line documentation); ``sys.orig_argv`` names the module.
    """
    if sys.argv[:1] != ["-m"]:
        return False
    argv = list(getattr(sys, "orig_argv", []))
    target = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-m"), "")
    return target == __name__ or target.startswith(__name__ + ".")


if not _running_own_command():
    from sunpy_jsocx.client import JSOCXClient  # noqa: E402 (registers the client and a.jsocx with Fido)
