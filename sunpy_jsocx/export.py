"""
JSOC export requests: staging, polling as the server advises, and their files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sunpy import log

from sunpy_jsocx.transport import Connection, JSOCError

__all__ = ["ExportRequest", "ExportFailed", "PENDING", "MAX_POLL_INTERVAL"]

#: Statuses that mean "not finished yet" (6: not yet registered, retried a few times).
PENDING = (1, 2, 6)
#: Never wait longer than this between two polls, whatever the server says.
MAX_POLL_INTERVAL = 60.0
#: Poll interval when the server gives no hint.
DEFAULT_POLL_INTERVAL = 2.0
#: How many "not found" (status 6) answers to tolerate before giving up.
NOTFOUND_RETRIES = 5


class ExportFailed(JSOCError):
    """JSOC could not complete an export."""


@dataclass
class ExportFile:
    """One file of a finished export."""

    record: str
    filename: str
    url: str


class ExportRequest:
    """
    An export at JSOC, identified by its request id.

    ``status`` is always current: reading it asks JSOC while the request is
    pending. ``wait()`` polls at the interval JSOC advises (its ``wait`` hint).

    Parameters
    ----------
    connection
        The server's connection.
    answer
        JSOC's answer to ``exp_request`` or ``exp_status``.
    sleep
        Function used to wait between polls (inject a fake clock in tests).
    """

    def __init__(self, connection: Connection, answer: dict[str, Any], *, sleep: Callable[[float], None] | None = None):
        self._conn = connection
        self._answer = dict(answer)
        self._sleep = sleep or time.sleep
        self._id = answer.get("requestid") or answer.get("reqid") or None
        self._notfound = 0
        #: How many times this request's status was asked for.
        self.polls = 0
        #: The fetch group whose records this export holds (set by a fetch plan).
        self.group = None

    @classmethod
    def from_id(cls, connection: Connection, requestid: str, **kwargs) -> ExportRequest:
        """Pick up an export by its id (e.g. in another Python process)."""
        req = cls(connection, {"requestid": requestid, "status": 2}, **kwargs)
        req.refresh()
        return req

    def __repr__(self) -> str:
        return f"<ExportRequest id={self.id!r} status={self._status}>"

    @property
    def id(self) -> str | None:
        """JSOC's request id (``JSOC_YYYYMMDD_NNN``); None for an immediate ``url_quick`` answer."""
        return self._id or None

    @property
    def _status(self) -> int:
        return int(self._answer.get("status", 2))

    @property
    def status(self) -> int:
        """The current status: 0 done, 1 or 2 pending, anything else failed (asks JSOC while pending)."""
        if self._status in PENDING and self.id:
            self.refresh()
        return self._status

    @property
    def method(self) -> str:
        return self._answer.get("method", "")

    @property
    def protocol(self) -> str:
        return self._answer.get("protocol", "")

    @property
    def wait_hint(self) -> float:
        """Seconds JSOC expects the export still needs."""
        try:
            return float(self._answer.get("wait", DEFAULT_POLL_INTERVAL))
        except (TypeError, ValueError):
            return DEFAULT_POLL_INTERVAL

    @property
    def error(self) -> str | None:
        return self._answer.get("error")

    def refresh(self) -> dict[str, Any]:
        """Ask JSOC for the request's status."""
        if not self.id:
            return self._answer
        answer = self._conn.exp_status(self.id)
        self.polls += 1
        status = int(answer.get("status", 4))
        if status == 6:
            self._notfound += 1
            if self._notfound > NOTFOUND_RETRIES:
                answer = dict(answer, status=4)
        self._answer = dict(answer)
        self._answer.setdefault("requestid", self.id)
        return self._answer

    def has_succeeded(self) -> bool:
        return self.status == 0

    def has_failed(self) -> bool:
        return self.status not in PENDING and self.status != 0

    def wait(self, timeout: float | None = None) -> ExportRequest:
        """
        Wait until the export is done, polling when JSOC advises.

        Raises
        ------
        ExportFailed
            If JSOC reports a failure (with its message and status).
        TimeoutError
            If ``timeout`` seconds of waiting pass first.
        """
        waited = 0.0
        while True:
            status = self._status
            if status == 0:
                return self
            if status not in PENDING:
                raise ExportFailed(
                    f"JSOC export {self.id or ''} failed: {self.error or 'no reason given'} [status={status}]",
                    status, self._answer)
            delay = min(max(self.wait_hint, 0.5), MAX_POLL_INTERVAL)
            if timeout is not None and waited + delay > timeout:
                raise TimeoutError(f"JSOC export {self.id} not ready after {waited:.0f} s (status {status})")
            log.debug(f"JSOC export {self.id}: status {status}, polling again in {delay:.1f} s")
            self._sleep(delay)
            waited += delay
            self.refresh()

    @property
    def tarfile(self) -> str | None:
        return self._answer.get("tarfile")

    @property
    def files(self) -> list[ExportFile]:
        """The export's files (only once it is done)."""
        if self.status != 0:
            raise ExportFailed(f"JSOC export {self.id} is not done (status {self._status})", self._status,
                               self._answer)
        base = self._answer.get("dir") or ""
        out = []
        for item in self._answer.get("data", []):
            fname = item.get("filename", "")
            if not fname or fname == "NoDataFile":
                continue
            path = fname if not base else f"{base.rstrip('/')}/{fname}"
            out.append(ExportFile(item.get("record", ""), fname.rsplit("/", 1)[-1], self._conn.file_url(path)))
        return out

    @property
    def urls(self) -> list[str]:
        """Download URLs: the tar file for ``url-tar``, else one per file."""
        if self.tarfile and self.status == 0:
            return [self._conn.file_url(self.tarfile)]
        return [f.url for f in self.files]
