"""
The thin network layer: JSOC's CGI programs through drms's JSON transport.

One `Connection` per server URL per process holds the caches: series metadata
is fetched once per server and series (JSOC asks clients not to repeat
metadata requests), as are positive e-mail checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from sunpy_jsocx.config import current_server
from sunpy_jsocx.seriesinfo import SeriesInfo

__all__ = ["Connection", "connection", "JSOCError"]

_connections: dict[str, Connection] = {}
_lock = threading.Lock()


class JSOCError(RuntimeError):
    """JSOC answered with an error status."""

    def __init__(self, message: str, status: int | None = None, answer: dict | None = None):
        super().__init__(message)
        self.status = status
        self.answer = answer or {}


class Connection:
    """
    The CGI endpoints of one JSOC server.

    Parameters
    ----------
    url
        Base URL of the server (``http://jsoc.stanford.edu/`` or an emulator's).
    """

    def __init__(self, url: str):
        from drms.json import HttpJsonClient

        from sunpy_jsocx.emulator.redirect import drms_server_config

        self.url = url
        self.config = drms_server_config(url, name="JSOCX")
        self._json = HttpJsonClient(self.config)
        self._info: dict[str, SeriesInfo] = {}
        self._keyword_defs: dict[str, list[dict]] = {}
        self._emails: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Connection {self.url}>"

    # ---------------------------------------------------------------- metadata
    def series(self, regex: str | None = None, *, full: bool = False) -> list:
        d = self._json.show_series_wrapper(regex, info=full)
        if d.get("errMsg"):
            raise JSOCError(f"JSOC refused the series filter {regex!r}: {d['errMsg']}")
        return d["seriesList"]

    def info(self, series: str) -> SeriesInfo:
        """Series metadata, fetched once per server and series per process (and cached on disk)."""
        key = series.lower()
        with self._lock:
            if key in self._info:
                return self._info[key]
        d = _disk_cache_read(self.url, key)
        if d is None:
            d = self._json.series_struct(key)
            if int(d.get("status", 1)) != 0:
                raise JSOCError(d.get("error", f"series {series} not found").strip(), int(d.get("status", 1)), d)
            _disk_cache_write(self.url, key, d)
        canonical = _canonical_name(series, d)
        info = SeriesInfo.from_struct(canonical, d)
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
        d = self._json.rs_list(ds, key=key or None, seg=seg or None, recinfo=recinfo, n=n)
        if int(d.get("status", 1)) != 0:
            raise JSOCError(f"JSOC refused the record set {ds!r}: {d.get('error', '').strip()}",
                            int(d.get("status", 1)), d)
        return d

    # ---------------------------------------------------------------- exports
    def check_address(self, email: str) -> bool:
        if email.lower() in self._emails:
            return True
        d = self._json.check_address(email)
        ok = int(d.get("status", 0)) == 2
        if ok:
            with self._lock:
                self._emails.add(email.lower())
        return ok

    def exp_request(self, ds: str, notify: str, *, method: str, protocol: str,
                    filenamefmt: str | None = None, process: dict | None = None) -> dict[str, Any]:
        return self._json.exp_request(ds, notify, method=method, protocol=protocol, filenamefmt=filenamefmt,
                                      process=process, requester=False)

    def exp_status(self, requestid: str) -> dict[str, Any]:
        return self._json.exp_status(requestid)

    def file_url(self, path: str) -> str:
        """Download URL of a server path (``/SUM…/file`` or an export file)."""
        from urllib.parse import urljoin

        return urljoin(self.url, path.lstrip("/"))


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


def _disk_cache_read(url: str, series: str) -> dict | None:
    path = _cache_file(url, series)
    try:
        if path is None or time.time() - path.stat().st_mtime > _cache_ttl():
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _disk_cache_write(url: str, series: str, d: dict) -> None:
    path = _cache_file(url, series)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
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
    """The (cached) connection to ``server``, or to the current server."""
    url = current_server(server)
    with _lock:
        conn = _connections.get(url)
        if conn is None:
            conn = _connections[url] = Connection(url)
    return conn
