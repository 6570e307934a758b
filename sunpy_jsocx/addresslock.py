"""
One export queue per JSOC address per machine, across threads and processes.

JSOC allows one pending export per e-mail address: a second ``exp_request`` while
one is pending is answered with status 7. Two fetches of the same address on one
machine (two processes, two threads, a ``wait=False`` job and another fetch) take
turns through a small lock file per server and address instead, so that neither
meets status 7:

* A fetch takes the lock before its ``exp_request`` and writes into it who it is
  (host, process id, a token) and, once JSOC answers, the export's request id.
* It gives the lock up when that export is complete (or failed, or needed no
  staging).
* Another fetch that finds the lock taken waits its turn: it checks the lock file
  every `CHECK_EVERY` seconds, and asks JSOC about the holder's export at the pace
  JSOC advises. When that export is no longer pending (its holder is busy
  downloading, was killed, or is gone) the lock is its own. A holder on this host
  whose process is gone and that had no export yet is stale and is taken over at
  once; so is any entry older than `MAX_HOLD` seconds.

The lock files live in ``<user cache dir>/sunpy-jsocx/export-locks`` (platformdirs),
one ``<hash of server and address>.lock`` each. ``JSOCX_EXPORT_LOCKS`` moves them
(a path) or switches the queue off (``0``/``off``). Reading and writing an entry is
guarded by an OS file lock (``fcntl.flock``, or ``msvcrt.locking`` on Windows), held
only for that moment, so a killed process never leaves it held.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from sunpy import log

from sunpy_jsocx.download import _alive  # one rule for "is this writer still running"

__all__ = ["AddressLock", "lock_dir", "LOCK_ENV", "CHECK_EVERY", "MAX_HOLD"]

#: The environment variable that sets a folder for the lock files, or ``0``/``off`` for no queue.
LOCK_ENV = "JSOCX_EXPORT_LOCKS"
#: Seconds between two looks at a lock file that another fetch holds.
CHECK_EVERY = 0.2
#: An entry older than this (seconds) is stale, whatever it says (JSOC's pending exports end long before).
MAX_HOLD = 86400.0
#: A holder that has not named its export this long after taking the lock (seconds) is stale.
NO_ID_HOLD = 600.0


def lock_dir() -> Path | None:
    """The folder of the address lock files as configured, or None when the queue is off."""
    setting = os.environ.get(LOCK_ENV, "").strip()
    if setting.lower() in ("0", "off", "false", "no"):
        return None
    if setting and setting.lower() not in ("1", "on", "true", "yes"):
        return Path(setting).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("sunpy-jsocx", appauthor=False)) / "export-locks"


@contextmanager
def guarded(path: Path):
    """
    Hold an exclusive OS lock on ``path`` (created if absent) for a moment; yields its
    file descriptor. The OS drops the lock when the process dies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.name == "nt":  # pragma: no cover (Windows)
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        try:
            if os.name == "nt":  # pragma: no cover
                import msvcrt

                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)  # (flock is released with the descriptor)


def _read(fd: int) -> dict | None:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        chunks.append(b)
    text = b"".join(chunks).strip()
    if not text:
        return None
    try:
        entry = json.loads(text)
    except ValueError:
        return None  # not ours to understand: treated as free
    return entry if isinstance(entry, dict) else None


def _write(fd: int, entry: dict | None) -> None:
    data = b"" if entry is None else json.dumps(entry).encode()
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    if data:
        os.write(fd, data)
    os.fsync(fd)


class AddressLock:
    """
    The turn of one JSOC address at one server, on this machine.

    Parameters
    ----------
    server
        The JSOC server's URL (each server has its own queue).
    address
        The e-mail address exports are requested with.
    root
        Folder of the lock files (default: `lock_dir`).
    """

    def __init__(self, server: str, address: str, *, root: Path | None = None):
        self.server = str(server)
        self.address = str(address)
        key = hashlib.sha256(f"{self.server.rstrip('/').lower()}|{self.address.strip().lower()}".encode())
        self.root = Path(root) if root is not None else lock_dir()
        self.path = None if self.root is None else self.root / f"{key.hexdigest()[:24]}.lock"
        self.token = secrets.token_hex(8)
        self.held = False

    def __repr__(self) -> str:
        return f"<AddressLock {self.address} at {self.server} held={self.held}>"

    def _entry(self, requestid: str | None = None) -> dict:
        return {"host": socket.gethostname(), "pid": os.getpid(), "token": self.token, "server": self.server,
                "address": self.address, "requestid": requestid, "since": time.time()}

    @staticmethod
    def _stale(entry: dict, now: float) -> bool:
        since = float(entry.get("since") or 0)
        if now - since > MAX_HOLD:
            return True
        if entry.get("requestid"):
            return False  # held until that export is done, whoever asked for it
        same_host = entry.get("host") == socket.gethostname()
        if same_host and not _alive(int(entry.get("pid") or 0)):
            return True
        return now - since > NO_ID_HOLD

    def holder(self) -> dict | None:
        """Who holds the lock now (None: nobody)."""
        if self.path is None:
            return None
        with guarded(self.path) as fd:
            return _read(fd)

    def acquire(self, finished: Callable[[str, str, bool], float | None], *, timeout: float | None = None,
                sleep: Callable[[float], None] | None = None, requestid: str | None = None) -> float:
        """
        Wait for the address's turn and take it; returns the seconds waited.

        Parameters
        ----------
        finished
            ``finished(server, requestid, holder_alive)``: None if that export is no
            longer pending at JSOC, else the seconds after which to ask again
            (``holder_alive`` is False when its holder's process on this host is gone).
        timeout
            Seconds to wait at most (None: as long as it takes).
        sleep
            How to wait (default `time.sleep`).
        requestid
            Take the lock over for this export, already pending (a resumed job's):
            a holder that names the same export is not waited for.

        Raises
        ------
        TimeoutError
            If the turn did not come within ``timeout`` seconds.
        """
        if self.path is None:
            self.held = True
            return 0.0
        sleep = sleep or time.sleep
        waited = 0.0
        told = None
        next_ask = 0.0  # (in seconds waited) when to ask JSOC about the holder's export next
        done: set[str] = set()
        while True:
            with guarded(self.path) as fd:
                entry = _read(fd)
                rid = (entry or {}).get("requestid")
                if (entry is None or entry.get("token") == self.token or self._stale(entry, time.time())
                        or (rid and (rid in done or rid == requestid))):
                    _write(fd, self._entry(requestid))
                    self.held = True
                    return waited
            if told != rid:
                told = rid
                who = f"process {entry.get('pid')} on {entry.get('host')}"
                log.info(f"JSOC allows one pending export per address, and {self.address} has "
                         + (f"{rid} pending for {who}" if rid else f"an export being requested by {who}")
                         + "; waiting for its turn.")
            if rid and waited >= next_ask:
                alive = entry.get("host") != socket.gethostname() or _alive(int(entry.get("pid") or 0))
                again = finished(str(entry.get("server") or self.server), rid, alive)
                if again is None:
                    done.add(rid)
                    continue
                next_ask = waited + max(CHECK_EVERY, float(again))
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"{self.address} still had a pending JSOC export ({rid or 'being requested'}, "
                                   f"process {entry.get('pid')}) after {waited:.0f} s of waiting for its turn")
            step = CHECK_EVERY if timeout is None else max(0.0, min(CHECK_EVERY, timeout - waited))
            sleep(step)
            waited += step

    def set_request(self, requestid: str) -> None:
        """Name the export the lock is held for (others then wait for exactly that one)."""
        if self.path is None or not self.held:
            return
        with guarded(self.path) as fd:
            entry = _read(fd)
            if entry is None or entry.get("token") == self.token:
                _write(fd, self._entry(requestid))

    def clear(self, requestid: str) -> None:
        """Free the lock if it is held for ``requestid`` (an export found complete), whoever took it."""
        if self.path is None:
            return
        with guarded(self.path) as fd:
            entry = _read(fd)
            if entry is not None and entry.get("requestid") == requestid:
                _write(fd, None)

    def release(self) -> None:
        """Give the turn up (if it is still ours)."""
        if not self.held:
            return
        self.held = False
        if self.path is None:
            return
        with guarded(self.path) as fd:
            entry = _read(fd)
            if entry is not None and entry.get("token") == self.token:
                _write(fd, None)
