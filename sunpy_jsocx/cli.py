"""
The command line: ``python -m sunpy_jsocx COMMAND ...``.

Discovery (``series``, ``primekeys``, ``segments``, ``keywords``, ``info``) and
whole jobs (``search``, ``fetch``, ``stage``, ``get``) on a JSOC record set such as
``hmi.M_45s[2014.01.01_TAI/1h]``, and ``cache`` (show, verify, clear) for the record cache.
Everything goes through `~sunpy_jsocx.JSOCXClient`;
this module only reads arguments, calls the client and reports.

Errors are one line on standard error and an exit status, never a traceback:

====  =====================================================================
0     done
1     JSOC refused something, files failed to download, a disk or file error
2     bad arguments (the message says what is valid)
3     JSOC could not be reached (and no mirror could answer, or the job needs JSOC)
130   interrupted (Ctrl-C)
====  =====================================================================

``--mirror kis`` (or ``$JSOCX_MIRROR``) lets the KIS mirror answer discovery and
``search`` when JSOC cannot be reached; a note on standard error says so. ``fetch``,
``stage`` and ``get`` need JSOC itself (KIS has no exports and no files).

A closed pipe (``python -m sunpy_jsocx search ... | head``) ends the command
quietly. The heavy modules (the client, astropy, sunpy) are imported only when a
command runs, not for ``--help``.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import sys
import threading
import time

from sunpy_jsocx.progress import human_bytes

__all__ = ["main", "build_parser"]

#: Exit statuses (see the module docstring).
OK, FAILED, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line."""

    def error(self, message):
        _say(f"error: {message} (see {self.prog} --help)")
        raise SystemExit(USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sunpy_jsocx``."""
    p = _Parser(
        prog="python -m sunpy_jsocx",
        description="Discover, search, stage and download JSOC data (SDO/HMI, SDO/AIA, SOHO/MDI).",
        epilog="Exit status: 0 done, 1 refused or failed, 2 bad arguments, 3 JSOC unreachable, 130 interrupted.")
    p.add_argument("--server", default=None,
                   help="JSOC server URL (default: $JSOCX_SERVER, else http://jsoc.stanford.edu/)")
    p.add_argument("--mirror", default=None, metavar="kis",
                   help="when JSOC cannot be reached, answer discovery and search from this metadata mirror: "
                        "kis, kis=URL or off (default: $JSOCX_MIRROR, else none); fetch, stage and get need JSOC")
    p.add_argument("-v", "--verbose", action="store_true", help="log what the client does (exports, retries)")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)  # let unexpected errors raise
    # --server, --mirror and -v are also accepted after the command.
    common = _Parser(add_help=False)
    common.add_argument("--server", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--mirror", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(name, **kwargs):
        return _add(name, parents=[common], **kwargs)

    sub.add_parser = add_parser

    s = sub.add_parser("series", help="series names matching a regular expression (case-insensitive)")
    s.add_argument("regex", nargs="?", default=None)
    for name, text in (("primekeys", "prime keys of a series"), ("segments", "segments of a series"),
                       ("keywords", "keywords of a series"), ("info", "summary of a series")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("series")

    def recordset_args(sp, *, notify_required=False):
        sp.add_argument("recordset", help="a JSOC record set, e.g. 'hmi.M_45s[2014.01.01_TAI/1h]'")
        sp.add_argument("--segment", action="append", default=None, metavar="S",
                        help="a segment to download (repeat for more; default: every segment)")
        sp.add_argument("--notify", required=notify_required, metavar="ADDR",
                        help="e-mail address registered at JSOC (needed for exports: offline data, url-tar)")
        sp.add_argument("--protocol", choices=("fits", "as-is"), default=None,
                        help="fits (default: full headers) or as-is (files as stored)")
        sp.add_argument("--method", choices=("url", "url-tar"), default=None,
                        help="url (default: one file per record) or url-tar (one tar file per export)")

    def progress_args(sp):
        group = sp.add_mutually_exclusive_group()
        group.add_argument("--progress", dest="progress", action="store_true", default=None,
                           help="show the progress bar even when standard error is not a terminal")
        group.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")

    s = sub.add_parser("search", help="print the records of a record set")
    s.add_argument("recordset", help="a JSOC record set, e.g. 'hmi.M_45s[2014.01.01_TAI/1h]'")
    s.add_argument("--key", action="append", default=None, metavar="K",
                   help="more keywords to show: K or K1,K2 as JSOC's key= (repeatable; **ALL** for all)")
    s.add_argument("--json", action="store_true",
                   help="print JSON: one object per record with the shown keywords, record, recnum, online")

    s = sub.add_parser("fetch", help="search a record set and download it (run again to resume)")
    recordset_args(s)
    s.add_argument("--path", required=True, metavar="DIR",
                   help="directory for the files (or a template with {file} and any column)")
    s.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="wait at most this long for each export (default: as long as JSOC takes)")
    progress_args(s)

    s = sub.add_parser("stage", help="request exports of a record set, print their ids and exit")
    recordset_args(s, notify_required=True)

    s = sub.add_parser("get", help="download staged exports by id (JSOC_YYYYMMDD_NNN)")
    s.add_argument("ids", nargs="+", metavar="ID")
    s.add_argument("--path", required=True, metavar="DIR", help="directory for the files")
    s.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="wait at most this long for each export (default: as long as JSOC takes)")
    progress_args(s)

    s = sub.add_parser("cache", help="show, verify or clear the record cache")
    s.add_argument("action", nargs="?", choices=("show", "verify", "clear"), default="show",
                   help="show (default): where it is, files and size; verify: check every file and drop "
                        "the damaged ones; clear: remove every file")

    # Its options are the server's own (serve DIR --help); argparse hands them on unparsed.
    s = sub.add_parser("serve", add_help=False,
                       help="serve JSOC's API from downloaded FITS files to drms, sunpy and sunpy-jsocx "
                            "(serve DIR --help)")
    s.add_argument("serve_args", nargs=argparse.REMAINDER)
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"needs a finite number of seconds >= 0, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """
    Run one command; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 done, 1 refused or failed, 2 bad arguments, 3 unreachable, 130 interrupted.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # the server, and aiohttp, load only for this command
        return _serve(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or argparse's one-line usage error
        return int(e.code or 0) if not isinstance(e.code, str) else USAGE
    try:
        try:
            return _run(args)
        finally:
            _close_bars()
    except BrokenPipeError:
        # As the Python docs advise for SIGPIPE: point stdout at devnull so that the flush
        # at exit does not fail again, and end quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a real file (captured in tests)
            pass
        return FAILED
    except KeyboardInterrupt:
        _say("interrupted; run the same command again to go on where it stopped")
        return INTERRUPTED
    except Exception as e:  # noqa: BLE001 (sorted into one line and a status)
        if args.debug:
            raise
        message, status = _describe(e)
        _say(f"error: {message}")
        return status


def _say(line: str) -> None:
    """One line on standard error (whitespace in messages folded)."""
    try:
        print(" ".join(str(line).split()), file=sys.stderr, flush=True)
    except (BrokenPipeError, ValueError):
        pass


def _describe(error: BaseException) -> tuple[str, int]:
    """The one-line message and exit status for an error that ended a command."""
    from sunpy_jsocx.transport import JSOCError, JSOCUnreachable

    if isinstance(error, JSOCUnreachable):
        return str(error), UNREACHABLE
    if isinstance(error, JSOCError):
        return str(error), FAILED
    if isinstance(error, (ValueError, TypeError)):
        text = str(error)
        if "a.jsocx.Notify" in text:
            text += " On the command line: --notify ADDRESS."
        return text, USAGE
    if isinstance(error, OSError):
        return _os_message(error), FAILED
    return f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)", FAILED


def _os_message(error: OSError) -> str:
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the device{where}; free some space and run the same command again"
    return f"{error.strerror or error}{where}"


def _serve(argv: list[str]) -> int:
    """``serve``: the held-files server of ``sunpy_jsocx.emulator.serve`` (an edge, loaded only here)."""
    from sunpy_jsocx.emulator.serve import main as serve_main

    try:
        return serve_main(argv)
    except SystemExit as e:  # its --help, or argparse's one-line usage error
        return int(e.code or 0) if not isinstance(e.code, str) else USAGE


def _run(args) -> int:
    if args.command == "serve":  # global options first: serve's own options follow it
        return _serve(args.serve_args)
    from sunpy import log

    # The client's warnings repeat what the summary lists; --verbose shows what it does.
    level = log.level
    log.setLevel("INFO" if args.verbose else "ERROR")
    try:
        from sunpy_jsocx.client import JSOCXClient

        client = JSOCXClient(args.server, mirror=args.mirror)
        command = args.command
        if command in ("series", "primekeys", "segments", "keywords", "info"):
            status = _discover(client, args)
        elif command == "cache":
            status = _cache(args)
        else:
            status = {"search": _search, "fetch": _fetch, "stage": _stage, "get": _get}[command](client, args)
        if status == OK:
            for note in dict.fromkeys(client.mirror_answers):  # the client's warning, which -v alone shows
                _say(f"note: {note}")
        return status
    finally:
        log.setLevel(level)


# ---------------------------------------------------------------------- discovery
def _discover(client, args) -> int:
    if args.command == "series":
        print("\n".join(client.series(args.regex)))
    elif args.command == "primekeys":
        print("\n".join(client.primekeys(args.series)))
    elif args.command == "segments":
        client.segments(args.series).pprint_all()
    elif args.command == "keywords":
        client.keywords(args.series).pprint_all()
    else:
        info = client.info(args.series)
        print(f"{info.name}: {info.note}")
        print(f"prime keys: {', '.join(info.primekeys)}")
        print(f"segments:   {', '.join(info.segment_names)}")
        print(f"keywords:   {len(info.keywords)}")
    return OK


# ---------------------------------------------------------------------- the record cache
def _cache(args) -> int:
    from sunpy_jsocx.recordcache import record_cache

    cache = record_cache()
    if cache is None:
        print("the record cache is off (JSOCX_RECORD_CACHE=off)")
        return OK
    if args.action == "verify":
        bad = cache.verify()
        print(f"{len(cache.entries())} files verified in {cache.root}; {len(bad)} damaged, removed")
    elif args.action == "clear":
        print(f"removed {cache.clear()} files from {cache.root}")
    else:
        size = cache.size()
        print(f"record cache: {cache.root}")
        print(f"{len(cache.entries())} files, {size / 1e6:.1f} MB of {cache.limit_bytes / 1e9:g} GB "
              "(JSOCX_RECORD_CACHE moves it or switches it off, JSOCX_RECORD_CACHE_GB sets the limit)")
    return OK


# ---------------------------------------------------------------------- search
def _query(args) -> list:
    """The attrs of a record-set command."""
    from sunpy_jsocx import attrs as jsocx

    query = [jsocx.RecordSet(args.recordset)]
    query += [jsocx.Segment(s) for s in getattr(args, "segment", None) or []]
    if getattr(args, "notify", None):
        query.append(jsocx.Notify(args.notify))
    if getattr(args, "protocol", None):
        query.append(jsocx.Protocol(args.protocol))
    if getattr(args, "method", None):
        query.append(jsocx.Method(args.method))
    return query


def _search_table(client, args, keys=None):
    res = client.search(*_query(args), keys=keys)
    if not len(res):
        _say(f"no records match {args.recordset}")
    return res


def _shown(res) -> list[str]:
    shown = res.display_keys
    if isinstance(shown, slice):
        return [c for c in res.colnames if not c.startswith("_")]
    return list(shown)


def _search(client, args) -> int:
    # JSOC's own key= takes a comma-separated list; keyword names never hold a comma.
    keys = None if args.key is None else [k.strip() for arg in args.key for k in arg.split(",") if k.strip()]
    res = _search_table(client, args, keys=keys)
    if args.json:
        rows = _json_rows(client, res)
        print("[" if rows else "[]")
        for i, row in enumerate(rows):
            print(json.dumps(row) + ("," if i < len(rows) - 1 else ""))
        if rows:
            print("]")
        return OK
    if len(res):
        from astropy.table import Table

        table = Table(res)[_shown(res)]
        for name in table.colnames:
            if hasattr(table[name], "isot"):
                table[name] = _time_strings(table[name])
        table.pprint_all()
    return OK


def _time_strings(times) -> list[str]:
    """
    Times as JSOC prints them, so that each says its scale: ``2014.01.01_00:00:00_TAI``
    for a TAI keyword (HMI's T_REC), ``2014-01-01T00:00:01Z`` for a UTC one (AIA's). A
    bare ISO string would leave a TAI time to be read as UTC, 35 s off in 2014.
    """
    from sunpy_jsocx import jsoctime

    units = "TAI" if times.scale == "tai" else "ISO"
    return jsoctime.format_times(jsoctime.from_astropy(times), units, times.precision)


def _plain(value):
    """A table value as JSON: times as JSOC's strings (which name their scale), NaN and masked as null."""
    import numpy as np

    if value is None or value is np.ma.masked:
        return None
    if hasattr(value, "isot"):
        return _time_strings(value.reshape(1))[0] if value.isscalar else _time_strings(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_rows(client, res) -> list[dict]:
    """One object per row: the shown keywords, then the record name, number and online flag."""
    if not len(res):
        return []
    from sunpy_jsocx.transport import connection

    shown = _shown(res)
    identity: dict[int, tuple[str, bool]] = {}
    if "_record" in res.colnames and "_online" in res.colnames:
        identity = {int(r): (str(n), bool(o)) for r, n, o in zip(res["_recnum"], res["_record"], res["_online"])}
    else:
        # A record-set search lists only the shown keywords; one more request per query
        # block gives the names and online flags.
        for block in sorted({int(b) for b in res["_block"]}):
            resolved = res.query_args[block]
            conn = connection(resolved.get("server") or res.server or client.server)
            # A block JSOC could not list in one go was listed in parts: ask for those again.
            for ds in resolved.get("parts") or [resolved["recordset"]]:
                answer = conn.rs_list(ds, key=["*recnum*", "*online*"], recinfo=True)
                names = [r["name"] for r in answer.get("recinfo", [])]
                columns = {k["name"]: k["values"] for k in answer.get("keywords", [])}
                for name, recnum, online in zip(names, columns.get("*recnum*", []), columns.get("*online*", [])):
                    identity[int(recnum)] = (name, online == "Y")
    out = []
    for row in res:
        recnum = int(row["_recnum"])
        name, online = identity.get(recnum, (None, None))
        obj = {c: _plain(row[c]) for c in shown}
        obj.update(record=name, recnum=recnum, online=online)
        out.append(obj)
    return out


# ---------------------------------------------------------------------- progress
def _files_pattern(path) -> str:
    """
    A glob of the files a fetch's ``--path`` can write: the fetch's own rule (a path
    without ``{file}`` is a folder: ``DIR/{file}``), with each ``{field}`` a ``*``.
    """
    import glob
    import re

    template = os.path.expanduser(str(path))
    if "{file}" not in template:
        template = os.path.join(template, "{file}")
    return "*".join(glob.escape(part) for part in re.split(r"\{[^{}]*\}", template))


class JobProgress:
    """
    One progress bar over a whole fetch: records, files, bytes, byte rate and time left.

    The fetch reports to it after every file (`update` is the fetch's ``progress``
    function, called with a `~sunpy_jsocx.progress.FetchProgress`): files in place of the
    files expected, and bytes downloaded. Files the job found complete (done by an earlier
    run, or copied from the record cache) count as done with no bytes, and the rate and
    time left count only what this run downloads. Records are counted as their files
    arrive (``files_per_record`` each). The bar counts records when the job has them, else
    files. Nothing scans the output folder while the job runs (a folder of tens of
    thousands of files made that cost more than the downloads); it is listed once before,
    so that `finish` can tell the files this run wrote from those it kept.

    Parameters
    ----------
    path : str
        The fetch's ``--path`` (a directory, or a template whose fixed part is listed).
    total : int or None
        Files expected, if known (else the fetch's own estimate, as it grows).
    enabled : bool
        Draw the bar (standard error); the counting runs either way.
    records : int or None
        Records in the job, if known (``files_per_record`` files each).
    files_per_record : int
        Files each record writes (its segments).
    """

    #: Seconds between two redraws of the bar (the last one is always drawn).
    REDRAW = 0.2

    def __init__(self, path: str, total: int | None, enabled: bool, *, records: int | None = None,
                 files_per_record: int = 1):
        self.pattern = _files_pattern(path)
        self.total = total
        self.records_total = records if total is not None else None
        self.files_per_record = max(1, int(files_per_record))
        self.enabled = enabled
        self.before = self._scan()
        self.files = 0
        self.bytes = 0
        self.started = time.monotonic()
        self._lock = threading.RLock()  # (the fetch reports from its own thread too: a Ctrl-C there closes the bar)
        self._initial: int | None = None  # files found complete before any byte came: not this run's rate
        self._drawn = -math.inf
        self._bar = None

    def _scan(self) -> dict[str, tuple[int, int]]:
        """
        Files the job's path could name -> (size, mtime_ns): only those (``DIR/*`` for a
        folder, each ``{field}`` of a template a ``*``), never the rest of a parent folder.
        Hidden files (a download's temporary file, the job's manifest and lock) do not match.
        """
        import glob
        import stat

        done: dict[str, tuple[int, int]] = {}
        for name in glob.iglob(self.pattern):
            full = os.path.abspath(name)
            try:
                st = os.stat(full)
            except OSError:  # renamed or removed meanwhile
                continue
            if stat.S_ISREG(st.st_mode):
                done[full] = (st.st_size, st.st_mtime_ns)
        return done

    def update(self, p) -> None:
        """The fetch's progress function: take its counts (a `~sunpy_jsocx.progress.FetchProgress`)."""
        with self._lock:
            self.files, self.bytes = p.files, p.bytes
            self.total = max(self.total or 0, p.expected, p.files + p.failed)  # (an export's list can add files)
            if self._initial is None:
                self._initial = p.files if not p.bytes else 0
            last = p.files + p.failed >= p.expected
            now = time.monotonic()
            if last or now - self._drawn >= self.REDRAW:
                self._drawn = now
                self._draw()

    @property
    def records(self) -> int | None:
        """Records whose files have all arrived (None when the job's records are not known)."""
        if self.records_total is None:
            return None
        return min(self.records_total, self.files // self.files_per_record)

    def line(self) -> str:
        """What follows the bar's times: files (when the bar counts records), bytes and rate."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = f"{human_bytes(self.bytes)}, {human_bytes(self.bytes / elapsed)}/s"
        if self.records_total is None:
            return rate
        return f"{self.files}/{self.total} files, {rate}"

    def _draw(self) -> None:
        bar = self._bar
        if bar is None:
            return
        if self._initial:
            bar.initial = self._initial if self.records_total is None else self._initial // self.files_per_record
        if self.records_total is None and self.total is not None:
            bar.total = self.total
        bar.n = self.files if self.records_total is None else self.records
        bar.set_postfix_str(self.line(), refresh=False)
        bar.refresh()

    def __enter__(self) -> JobProgress:
        if self.enabled:
            from tqdm import tqdm

            _ACTIVE.append(self)  # closed by main() whatever happens, even a Ctrl-C right here
            unit = "files" if self.records_total is None else "records"
            total = self.total if self.records_total is None else self.records_total
            self._bar = tqdm(total=total, unit=unit[:-1], desc="JSOC fetch", file=sys.stderr, dynamic_ncols=True,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} " + unit +
                                        " [{elapsed}<{remaining}{postfix}]")
            with self._lock:
                self._draw()
        return self

    def finish(self, results) -> tuple[int, int, int]:
        """(files downloaded now, files kept from before, bytes of all result files), and the final draw."""
        self.close()
        downloaded = kept = size = 0
        for f in results:
            try:
                st = os.stat(f)
            except OSError:
                continue
            size += st.st_size
            if self.before.get(os.path.abspath(f)) == (st.st_size, st.st_mtime_ns):
                kept += 1
            else:
                downloaded += 1
        return downloaded, kept, size

    def close(self) -> None:
        """Draw the final counts and end the bar's line (safe to call twice)."""
        ended = False
        with self._lock:
            bar = self._bar
        try:
            if bar is not None:
                with self._lock:
                    self._draw()
        finally:
            with self._lock:
                self._bar = None
            if bar is not None:
                try:
                    bar.close()  # ends its line, so that what follows starts on a fresh one
                    ended = True
                except Exception:  # noqa: BLE001 (a bar half made by an interrupt)
                    pass
            if self in _ACTIVE:
                _ACTIVE.remove(self)
                if not ended:
                    try:
                        sys.stderr.write("\n")
                    except (OSError, ValueError):
                        pass

    def __exit__(self, *exc) -> None:
        self.close()


#: Progress bars on screen (main() closes them before it reports an error).
_ACTIVE: list[JobProgress] = []


def _close_bars() -> None:
    while _ACTIVE:
        try:
            _ACTIVE[-1].close()
        except Exception:  # noqa: BLE001 (a broken bar must not hide the error being reported)
            _ACTIVE.pop()


def _progress_wanted(args) -> bool:
    if args.progress is not None:
        return args.progress
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------- fetch, stage, get
def _expected_files(res) -> int | None:
    """Files a fetch of ``res`` writes (None when unknown: tar files)."""
    total = 0
    for b in sorted({int(x) for x in res["_block"]}):
        block = res.query_args[b]
        if (block.get("method") or "url").lower() == "url-tar":
            return None
        total += int((res["_block"] == b).sum()) * max(1, len(block.get("segments") or []))
    return total


def _needs_jsoc(res, what: str) -> bool:
    """If a mirror answered the search, say that ``what`` needs JSOC (one line) and return True."""
    from sunpy_jsocx.mirror import MIRROR_META

    answered = res.meta.get(MIRROR_META)
    if not answered:
        return False
    _say(f"error: JSOC at {answered['jsoc']} could not be reached; the {answered['mirror'].upper()} mirror at "
         f"{answered['url']} answered the search ({_plural(len(res), 'record')}), but it has no exports and no "
         f"files to {what}: run the same command again when JSOC answers")
    return True


def _fetch(client, args) -> int:
    res = _search_table(client, args)
    if _needs_jsoc(res, "download"):
        return UNREACHABLE
    if not len(res):
        print(f"0 files, 0 B into {args.path}; 0 errors")
        return OK
    files = _expected_files(res)
    with JobProgress(args.path, files, _progress_wanted(args), records=len(res),
                     files_per_record=max(1, (files or 0) // len(res))) as progress:
        results = client.fetch(res, path=args.path, progress=progress.update, timeout=args.timeout)
        return _report(results, progress, args.path)


def _stage(client, args) -> int:
    res = _search_table(client, args)
    if _needs_jsoc(res, "stage"):
        return UNREACHABLE
    if not len(res):
        return FAILED
    for request in client.request_data(res):
        print(request.id)
    return OK


def _get(client, args) -> int:
    with JobProgress(args.path, None, _progress_wanted(args)) as progress:
        results = client.get_request(list(args.ids), path=args.path, progress=progress.update, timeout=args.timeout)
        return _report(results, progress, args.path)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _report(results, progress: JobProgress, path: str) -> int:
    """The one-line summary on standard output, each failure on a line of standard error; the status."""
    import re

    downloaded, kept, size = progress.finish(results)
    errors = list(results.errors)
    files = downloaded + kept
    detail = f" ({downloaded} downloaded, {kept} already complete)" if kept else ""
    print(f"{_plural(files, 'file')}{detail}, {human_bytes(size)} into {path}; {_plural(len(errors), 'error')}",
          flush=True)
    if not errors:
        return OK
    staging: list[str] = []  # exports that timed out: they go on at JSOC
    full = [err for err in errors if _disk_full(err.exception)]
    others = [err for err in errors if not _disk_full(err.exception)]
    for err in others[:MAX_LISTED]:
        exc = err.exception
        what = _os_message(exc) if isinstance(exc, OSError) and not isinstance(exc, TimeoutError) else \
            (str(exc) or type(exc).__name__)
        if isinstance(exc, TimeoutError):
            staging += re.findall(r"JSOC_\d{8}_\d+", what)[:1]
        _say(f"failed: {err.filepath_partial or err.url}: {what}")
    if len(others) > MAX_LISTED:
        _say(f"failed: {len(others) - MAX_LISTED} more (run with -v to see what the client did)")
    staging = list(dict.fromkeys(staging))
    if full:
        # A full disk fails every file after it: one line, not one per file.
        _say(f"error: no space left on the device ({_where(full[0], path)}); {_plural(len(full), 'file')} not "
             "written; free some space, then run the same command again (complete files are kept)")
    elif staging and len(staging) == len(errors):
        _say(f"error: {_plural(len(staging), 'export')} still staging at JSOC; download later with: "
             f"python -m sunpy_jsocx get {' '.join(staging)} --path {path}")
    else:
        _say(f"error: {_plural(len(errors), 'part')} failed; run the same command again to retry them "
             "(complete files are kept)")
    return FAILED


#: Failures listed one a line at the end of a fetch; more are counted on one more line.
MAX_LISTED = 10


def _disk_full(exc: BaseException) -> bool:
    """Whether a download failed because the disk (or quota) is full."""
    return any(isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)
               for e in (exc, getattr(exc, "__cause__", None)))


def _where(err, path: str) -> str:
    """The folder a failed file was going to (else the job's path)."""
    target = err.filepath_partial or ""
    return os.path.dirname(str(target)) or str(path)
