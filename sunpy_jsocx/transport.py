"""
The thin network layer: JSOC's CGI programs (``jsoc_info``, ``jsoc_fetch``,
``showextseries``, ``checkAddress.sh``) over HTTP, answering JSON.

One `Connection` per server URL per process holds the caches: series metadata
is fetched once per server and series (JSOC asks clients not to repeat
metadata requests), as are positive e-mail checks.

Every call is retried a few times, with growing pauses, when the server cannot
be reached, drops the connection, answers HTTP 5xx or sends a truncated body
(`RETRY`); what still fails raises `JSOCUnreachable`, one sentence naming the
server, the operation and the cause. Requests carry a ``User-Agent`` naming
sunpy-jsocx and honour ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``. Long
requests (many record numbers) go as a form POST, which JSOC's CGIs accept
(JSOC's ``jsoc_fetch.c``: "POST passes its argument via stdin to jsoc_fetch",
parsed by qDecoder as for GET); Apache refuses request lines over 8,190 bytes.
The parameter names are JSOC's (``../shared/jsoc-api.md`` §3, as drms sends them).

A `Connection` can also speak to a metadata mirror laid out as drms's ``kis``
server configuration is (``sunpy_jsocx.mirror``): its CGIs under ``cgi-bin/``, the
series list from ``show_series``, and no exports or downloads, which raise
``MirrorOnlyError`` before anything is sent.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

from sunpy import log

from sunpy_jsocx.config import current_server
from sunpy_jsocx.mirror import JSOC_LAYOUT, Layout, Mirror, no_data_message
from sunpy_jsocx.seriesinfo import SeriesInfo

__all__ = ["Connection", "connection", "mirror_connection", "JSOCError", "JSOCUnreachable", "MirrorOnlyError",
           "RetryPolicy", "RETRY", "USER_AGENT", "MAX_GET_URL"]

_connections: dict[str, Connection] = {}
_lock = threading.Lock()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("sunpy-jsocx")
    except Exception:  # noqa: BLE001 (not installed: running from a source tree)
        return "unknown"


#: Sent with every request, so JSOC's operators can tell our traffic apart.
USER_AGENT = (f"sunpy-jsocx/{_version()} (+https://github.com/sunpy/sunpy-jsocx) "
              f"python/{sys.version_info.major}.{sys.version_info.minor}")
#: Longest GET URL sent; longer requests go as POST. Apache's default request-line limit is 8,190 bytes.
MAX_GET_URL = 6000
#: Seconds to wait for an API answer.
API_TIMEOUT = 120.0


def pause(seconds: float) -> None:
    """
    How sunpy-jsocx waits, unless a ``sleep`` is given: between export polls, retries
    and turns. Looked up at each wait, so a test can put a fake clock here.
    """
    time.sleep(seconds)


def now() -> float:
    """The clock `pause` runs on (seconds, monotonic); a test that fakes one fakes both."""
    return time.monotonic()


class JSOCError(RuntimeError):
    """JSOC answered with an error status."""

    def __init__(self, message: str, status: int | None = None, answer: dict | None = None):
        super().__init__(message)
        self.status = status
        self.answer = answer or {}


class JSOCUnreachable(JSOCError, ConnectionError):
    """JSOC could not be reached, or kept failing, after every retry."""


class MirrorOnlyError(JSOCError):
    """
    An export or a download was asked of a metadata mirror, which has neither.

    Raised before any request, for a table that a mirror answered (see `sunpy_jsocx.mirror`).
    """


@dataclass(frozen=True)
class RetryPolicy:
    """
    How often and how patiently a failing request is tried again.

    Attempt ``n`` (from 1) that fails transiently is followed by a pause of
    ``min(backoff * factor ** (n - 1), cap)`` seconds, up to ``attempts`` tries
    in all: 1, 2 and 4 s by default, so a busy JSOC gets room, not a burst.

    Examples
    --------
    >>> RetryPolicy().pauses()
    [1.0, 2.0, 4.0]
    """

    attempts: int = 4
    backoff: float = 1.0
    factor: float = 2.0
    cap: float = 30.0

    def pauses(self) -> list[float]:
        return [min(self.backoff * self.factor ** n, self.cap) for n in range(max(0, self.attempts - 1))]


#: The policy for JSOC API calls (downloads have their own, in `sunpy_jsocx.download`).
RETRY = RetryPolicy()


class _Transient(Exception):
    pass


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return str(getattr(reason, "strerror", None) or reason)
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "no answer in time"
    if isinstance(error, ValueError):
        return "an incomplete or invalid JSON answer"
    return str(error) or type(error).__name__


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    return isinstance(error, (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError,
                              http.client.HTTPException, ValueError, _Transient))


class Connection:
    """
    The CGI endpoints of one JSOC server.

    Parameters
    ----------
    url
        Base URL of the server (``http://jsoc.stanford.edu/`` or an emulator's).
    retry
        How failing calls are retried (default `RETRY`).
    sleep
        Used for the pauses between tries (inject a fake one in tests).
    layout
        Where the server keeps its CGIs and which it has (default: JSOC's;
        ``sunpy_jsocx.mirror.KIS_LAYOUT`` for KIS).
    """

    def __init__(self, url: str, *, retry: RetryPolicy | None = None, sleep: Callable[[float], None] | None = None,
                 layout: Layout = JSOC_LAYOUT):
        self.url = url if url.endswith("/") else url + "/"
        self.layout = layout
        self.cgi = self.url + layout.cgi_path
        #: How messages name the server (``JSOC at URL`` or ``the KIS mirror at URL``).
        self.label = f"JSOC at {self.url}" if layout is JSOC_LAYOUT else f"the {layout.name} mirror at {self.url}"
        self.retry = retry or RETRY
        self.sleep = sleep
        self._opener = urllib.request.build_opener()  # honours the *_PROXY environment variables
        self._info: dict[str, SeriesInfo] = {}
        self._keyword_defs: dict[str, list[dict]] = {}
        self._emails: set[str] = set()
        self._lock = threading.Lock()
        #: Requests sent, per operation (tests and benchmarks read it).
        self.calls: dict[str, int] = {}

    def __repr__(self) -> str:
        if self.layout is JSOC_LAYOUT:
            return f"<Connection {self.url}>"
        return f"<Connection {self.url} ({self.layout.name} mirror)>"

    # ---------------------------------------------------------------- HTTP
    def _once(self, cgi: str, query: str, post: bool) -> dict[str, Any]:
        url = self.cgi + cgi
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if post:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            request = urllib.request.Request(url, data=query.encode(), headers=headers, method="POST")
        else:
            request = urllib.request.Request(f"{url}?{query}", headers=headers)
        with self._opener.open(request, timeout=API_TIMEOUT) as resp:
            body = resp.read()
            length = resp.headers.get("Content-Length")
            if length is not None and length.isdigit() and len(body) != int(length):
                raise _Transient(f"truncated answer ({len(body)} of {length} bytes)")
        answer = json.loads(body.decode("utf-8", errors="replace"))
        if not isinstance(answer, dict):
            raise ValueError("the answer is not a JSON object")
        return answer

    def call(self, cgi: str, params: dict[str, str], *, op: str, may_post: bool = True) -> dict[str, Any]:
        """
        One JSON request to a CGI program, retried as `RETRY` says.

        Raises
        ------
        JSOCUnreachable
            When every try failed transiently (unreachable, dropped, HTTP 5xx, truncated).
        JSOCError
            When the server refused the request itself (HTTP 4xx).
        """
        query = urlencode(params)
        post = may_post and len(self.cgi) + len(cgi) + 1 + len(query) > MAX_GET_URL
        pauses = self.retry.pauses()
        for attempt in range(len(pauses) + 1):
            with self._lock:
                self.calls[op] = self.calls.get(op, 0) + 1
            try:
                return self._once(cgi, query, post)
            except Exception as error:  # noqa: BLE001 (sorted into transient and final below)
                if not _is_transient(error):
                    if isinstance(error, urllib.error.HTTPError):
                        raise JSOCError(f"{self.label} refused {op}: {_describe(error)}",
                                        error.code) from None
                    raise
                if attempt == len(pauses):
                    raise JSOCUnreachable(
                        f"{self.label} did not answer {op} after {attempt + 1} tries "
                        f"(last: {_describe(error)}); check the server and your network, or try again later"
                    ) from None
                log.debug(f"JSOC {op} failed ({_describe(error)}); trying again in {pauses[attempt]:g} s")
                (self.sleep or pause)(pauses[attempt])
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------- metadata
    def series(self, regex: str | None = None, *, full: bool = False) -> list:
        if self.layout.series_cgi == "show_series":
            return self._show_series(regex, full=full)
        params = {"dbhost": "hmidb2"}
        if regex is not None:
            params["filter"] = regex
        if full:
            params["info"] = "1"
        d = self.call("showextseries", params, op="show_series")
        if d.get("errMsg"):
            raise JSOCError(f"JSOC refused the series filter {regex!r}: {d['errMsg']}")
        return list(d.get("seriesList") or [])

    def _show_series(self, regex: str | None, *, full: bool) -> list:
        """The series list from plain ``show_series`` (drms's ``kis`` configuration), as `series` gives it."""
        params = {} if regex is None else {"filter": regex}
        d = self.call("show_series", params, op="show_series")
        if _status(d, 0) != 0:
            raise JSOCError(f"{self.label} refused the series filter {regex!r}: "
                            f"{str(d.get('error') or '').strip()}", _status(d, 0), d)
        names = [n for n in d.get("names") or [] if isinstance(n, dict) and isinstance(n.get("name"), str)]
        if full:
            return [{n["name"]: {"description": str(n.get("note") or "")}} for n in names]
        return [n["name"] for n in names]

    def info(self, series: str) -> SeriesInfo:
        """Series metadata, fetched once per server and series per process (and cached on disk)."""
        key = series.lower()
        with self._lock:
            if key in self._info:
                return self._info[key]
        d = _disk_cache_read(self.url, key)
        info = None
        if d is not None:
            try:
                info = SeriesInfo.from_struct(_canonical_name(series, d), d)
            except Exception:  # noqa: BLE001 (a cache file that no longer parses: ask again)
                _disk_cache_drop(self.url, key)
                d = None
        if d is None:
            d = self.call("jsoc_info", {"op": "series_struct", "ds": key}, op="series_struct")
            if _status(d, 1) != 0:
                raise JSOCError(str(d.get("error") or f"series {series} not found").strip(), _status(d, 1), d)
            info = SeriesInfo.from_struct(_canonical_name(series, d), d)
            _disk_cache_write(self.url, key, d)
        with self._lock:
            self._info[key] = info
            self._keyword_defs[key] = list(d.get("keywords", []))
        return info

    def keyword_defs(self, series: str) -> list[dict]:
        """The series' keyword definitions exactly as ``series_struct`` gave them."""
        self.info(series)
        return self._keyword_defs[series.lower()]

    def cached_info(self, series: str) -> SeriesInfo | None:
        return self._info.get(series.lower())

    # ---------------------------------------------------------------- records
    def rs_list(self, ds: str, *, key: list[str] | None = None, seg: list[str] | None = None,
                recinfo: bool = False, n: int | None = None) -> dict[str, Any]:
        params = {"op": "rs_list", "ds": ds}
        if key:
            params["key"] = ",".join(key)
        if seg:
            params["seg"] = ",".join(seg)
        if not key and not seg:
            raise ValueError("rs_list needs at least one keyword or segment")
        if recinfo:
            params["R"] = "1"
        if n is not None:
            params["n"] = str(int(n))
        d = self.call("jsoc_info", params, op="rs_list")
        if _status(d, 1) != 0:
            raise JSOCError(f"JSOC refused the record set {ds!r}: {str(d.get('error') or '').strip()}",
                            _status(d, 1), d)
        return d

    def rs_count(self, ds: str) -> int:
        """
        How many records a record set holds: ``rs_summary``, a database count that no
        listing limit cuts (``print_recordset_summary`` in jsoc_info.c), unlike ``rs_list``.
        """
        d = self.call("jsoc_info", {"op": "rs_summary", "ds": ds}, op="rs_summary")
        if _status(d, 1) != 0:
            raise JSOCError(f"JSOC refused the record set {ds!r}: {str(d.get('error') or '').strip()}",
                            _status(d, 1), d)
        try:
            return int(d.get("count"))
        except (TypeError, ValueError):
            raise JSOCError(f"JSOC's count of {ds!r} is not a number: {d.get('count')!r}", None, d) from None

    # ---------------------------------------------------------------- exports
    def _exports_here(self, what: str) -> None:
        if not self.layout.exports:
            raise MirrorOnlyError(no_data_message(self.label, what))

    def check_address(self, email: str) -> bool:
        self._exports_here("check an e-mail address")
        if email.lower() in self._emails:
            return True
        # JSOC decodes the address twice (jsoc-api.md §3.6), as drms sends it.
        d = self.call("checkAddress.sh", {"address": quote_plus(email), "checkonly": "1"}, op="check_address",
                      may_post=False)
        ok = _status(d, 0) == 2
        if ok:
            with self._lock:
                self._emails.add(email.lower())
        return ok

    def exp_request(self, ds: str, notify: str, *, method: str, protocol: str,
                    filenamefmt: str | None = None, process: dict | None = None) -> dict[str, Any]:
        self._exports_here("export")
        params = exp_request_params(ds, notify, method=method, protocol=protocol, filenamefmt=filenamefmt,
                                    process=process)
        return self.call("jsoc_fetch", params, op="exp_request")

    def exp_status(self, requestid: str) -> dict[str, Any]:
        self._exports_here(f"look up export {requestid}")
        return self.call("jsoc_fetch", {"op": "exp_status", "requestid": requestid}, op="exp_status",
                         may_post=False)

    def file_url(self, path: str) -> str:
        """Download URL of a server path (``/SUM…/file`` or an export file)."""
        from urllib.parse import urljoin

        if not self.layout.downloads:
            raise MirrorOnlyError(no_data_message(self.label, "download"))
        return urljoin(self.url, path.lstrip("/"))


def _status(d: dict, default: int) -> int:
    try:
        return int(d.get("status", default))
    except (TypeError, ValueError):
        return default


def exp_request_params(ds: str, notify: str, *, method: str, protocol: str, filenamefmt: str | None = None,
                       process: dict | None = None) -> dict[str, str]:
    """
    The parameters of a ``jsoc_fetch`` ``exp_request``, as JSOC reads them.

    Processing steps go into the ``process=n`` value after the record limit (``0``:
    none), ``|``-separated, each ``name,key=value,...`` (jsoc-api.md §3.7).

    Examples
    --------
    >>> p = exp_request_params("hmi.M_45s[:#5]", "a@b.org", method="url", protocol="fits",
    ...                        process={"im_patch": {"x": 1, "y": 2}})
    >>> p["process=n"]
    '0|im_patch,x=1,y=2'
    """
    params = {"op": "exp_request", "format": "json", "ds": ds, "notify": notify, "method": method,
              "protocol": protocol}
    if filenamefmt is not None:
        params["filenamefmt"] = filenamefmt
    steps = ["0"] + [f"{name}," + ",".join(f"{k}={v}" for k, v in opts.items())
                     for name, opts in (process or {}).items()]
    params["process=n"] = "|".join(steps)
    return params


def cache_dir() -> Path | None:
    """
    Where series metadata is cached on disk (``$JSOCX_CACHE_DIR``, else the user cache
    directory), or None when the cache is off (``JSOCX_CACHE_TTL=0``).
    """
    if _cache_ttl() <= 0:
        return None
    env = os.environ.get("JSOCX_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sunpy-jsocx"


def _cache_ttl() -> float:
    """Seconds a cached series_struct stays valid (``$JSOCX_CACHE_TTL``, default one day)."""
    try:
        return float(os.environ.get("JSOCX_CACHE_TTL", "86400"))
    except ValueError:
        return 86400.0


def _cache_file(url: str, series: str) -> Path | None:
    root = cache_dir()
    if root is None or not re.fullmatch(r"[a-z0-9_.]+", series):
        return None
    return root / "series_struct" / hashlib.sha1(url.encode()).hexdigest()[:16] / f"{series}.json"


def _valid_struct(d: Any) -> bool:
    """Whether a cached answer has the shape of a successful ``series_struct``."""
    return (isinstance(d, dict) and _status(d, 1) == 0 and isinstance(d.get("keywords"), list)
            and isinstance(d.get("primekeys", []), list) and isinstance(d.get("segments", []), list)
            and all(isinstance(k, dict) and isinstance(k.get("name"), str) for k in d["keywords"]))


def _disk_cache_read(url: str, series: str) -> dict | None:
    path = _cache_file(url, series)
    try:
        if path is None or time.time() - path.stat().st_mtime > _cache_ttl():
            return None
        d = json.loads(path.read_text())
    except (OSError, ValueError):
        d = None
    if path is not None and path.exists() and not _valid_struct(d):
        _disk_cache_drop(url, series)  # damaged or foreign: forget it rather than fail for a day
        return None
    return d


def _disk_cache_drop(url: str, series: str) -> None:
    path = _cache_file(url, series)
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass


def _prune_cache(root: Path, ttl: float) -> None:
    """
    Remove expired entries, and server directories left empty.

    Runs when a new server directory is made, so that the directories of servers
    seen once (an emulator on a fresh port each run) do not pile up past the TTL.
    """
    now = time.time()
    for server_dir in (root / "series_struct").glob("*"):
        try:
            for f in server_dir.iterdir():
                if now - f.stat().st_mtime > ttl:
                    f.unlink()
            server_dir.rmdir()  # only succeeds when empty
        except OSError:
            continue


def _disk_cache_write(url: str, series: str, d: dict) -> None:
    path = _cache_file(url, series)
    if path is None:
        return
    try:
        if not path.parent.exists():
            _prune_cache(path.parents[2], _cache_ttl())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(d))
        os.replace(tmp, path)
    except OSError:  # a read-only home: the in-process cache still works
        pass


def _canonical_name(asked: str, struct: dict) -> str:
    """The series name in JSOC's case, from the struct's Interval or catalogue; else as asked."""
    first = (struct.get("Interval") or {}).get("FirstRecord") or ""
    name = first.split("[", 1)[0]
    if name and name.lower() == asked.lower():
        return name
    return asked


def connection(server: str | None = None) -> Connection:
    """
    The (cached) connection to ``server``, or to the current server.

    A server first reached as a mirror (`mirror_connection`) keeps its mirror's
    layout, so that a table a mirror answered refuses exports and downloads.
    """
    url = current_server(server)
    with _lock:
        conn = _connections.get(url)
        if conn is None:
            conn = _connections[url] = Connection(url)
    return conn


def mirror_connection(mirror: Mirror) -> Connection:
    """The (cached) connection to a metadata mirror, in its layout (see `sunpy_jsocx.mirror`)."""
    with _lock:
        conn = _connections.get(mirror.url)
        if conn is None or conn.layout != mirror.layout:
            conn = _connections[mirror.url] = Connection(mirror.url, layout=mirror.layout)
    return conn
