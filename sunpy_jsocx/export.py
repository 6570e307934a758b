"""
JSOC export requests: staging, polling as the server advises, and their files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sunpy import log

from sunpy_jsocx import transport
from sunpy_jsocx.transport import Connection, JSOCError

__all__ = ["ExportRequest", "ExportFailed", "PENDING", "MAX_POLL_INTERVAL", "check_request_id", "check_timeout",
           "pending_ids"]

#: Statuses that mean "not finished yet" (6: not yet registered, retried a few times).
PENDING = (1, 2, 6)
#: Never wait longer than this between two polls, whatever the server says.
MAX_POLL_INTERVAL = 60.0
#: Poll interval when the server gives no hint.
DEFAULT_POLL_INTERVAL = 2.0
#: How many "not found" (status 6) answers to tolerate before giving up.
NOTFOUND_RETRIES = 5
#: Log a progress line at most this often (seconds of waiting) while an export stages.
PROGRESS_EVERY = 60.0
#: Seconds between two looks at `ExportRequest.wait`'s ``until`` while it waits.
UNTIL_STEP = 0.25
#: JSOC's request ids: ``JSOC_YYYYMMDD_NNN``, with ``_X`` / ``_IN`` suffixes for some
#: (the ids in jsoc-api.md §3.7 and drms's tests).
REQUEST_ID = re.compile(r"^JSOC_[0-9]{8}_[0-9]+(_X)?(_IN)?$")
_PENDING_IDS = re.compile(r"pending export requests \(([^)]*)\)")


def check_request_id(requestid) -> str:
    """
    A JSOC request id, checked before anything is sent.

    Examples
    --------
    >>> check_request_id(" JSOC_20140101_001 ")
    'JSOC_20140101_001'
    >>> check_request_id("")
    Traceback (most recent call last):
    ...
    ValueError: '' is not a JSOC export request id; ids look like JSOC_20140101_001
    """
    if not isinstance(requestid, str) or not REQUEST_ID.match(requestid.strip()):
        raise ValueError(f"{requestid!r} is not a JSOC export request id; ids look like JSOC_20140101_001")
    return requestid.strip()


def check_timeout(timeout) -> float | None:
    """
    A timeout in seconds (None: wait as long as it takes), checked.

    Examples
    --------
    >>> check_timeout(30)
    30.0
    >>> check_timeout(-1)
    Traceback (most recent call last):
    ...
    ValueError: timeout must be a number of seconds >= 0 or None, not -1
    """
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(timeout, bool) or not value >= 0:
        raise ValueError(f"timeout must be a number of seconds >= 0 or None, not {timeout!r}")
    return value


def pending_ids(answer: dict[str, Any]) -> list[str]:
    """
    The ids of the pending exports named in a status-7 answer.

    JSOC's message (jsoc-api.md §5.6, seen in drms#60) is ``User <email> has <k> pending
    export requests (<ids>); please wait until at least one request has completed ...``.

    Examples
    --------
    >>> pending_ids({"status": 7, "error": "User a@b.org has 1 pending export requests "
    ...              "(JSOC_20250101_001); please wait until at least one request has completed."})
    ['JSOC_20250101_001']
    """
    m = _PENDING_IDS.search(str(answer.get("error") or ""))
    if not m:
        return []
    return [i.strip() for i in m.group(1).split(",") if REQUEST_ID.match(i.strip())]


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
    clock
        The time ``sleep`` runs on (seconds); with neither, ``sunpy_jsocx.transport.pause``
        and ``sunpy_jsocx.transport.now``. With a ``sleep`` but no ``clock``, time spent
        between polls other than in ``sleep`` is not counted.
    """

    def __init__(self, connection: Connection, answer: dict[str, Any], *, sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None):
        self._conn = connection
        self._answer = dict(answer)
        self._sleep = sleep
        self._clock = clock
        self._id = answer.get("requestid") or answer.get("reqid") or None
        self._notfound = 0
        #: How many times this request's status was asked for.
        self.polls = 0
        #: The fetch group whose records this export holds (set by a fetch plan).
        self.group = None
        #: Seconds the last `wait` waited.
        self.waited = 0.0
        self._answered = self._now()  # when the answer we hold was given

    @classmethod
    def from_id(cls, connection: Connection, requestid: str, **kwargs) -> ExportRequest:
        """Pick up an export by its id (e.g. in another Python process)."""
        requestid = check_request_id(requestid)
        req = cls(connection, {"requestid": requestid, "status": 2}, **kwargs)
        req.refresh()
        return req

    def __repr__(self) -> str:
        return f"<ExportRequest id={self.id!r} status={self._status}>"

    def _now(self) -> float | None:
        if self._clock is not None:
            return self._clock()
        return transport.now() if self._sleep is None else None

    @property
    def id(self) -> str | None:
        """JSOC's request id (``JSOC_YYYYMMDD_NNN``); None for an immediate ``url_quick`` answer."""
        return self._id or None

    @property
    def _status(self) -> int:
        return int(self._answer.get("status", 2))

    @property
    def status(self) -> int:
        """The current status (0 done, 1 or 2 pending, anything else failed); asks JSOC while pending."""
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
        self._answered = self._now()
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

    def wait(self, timeout: float | None = None, *, progress: bool = True, until=None) -> ExportRequest:
        """
        Wait until the export is done, polling when JSOC advises.

        Polls follow JSOC's ``wait`` hint (at least 0.5 s, at most `MAX_POLL_INTERVAL`
        apart); a line is logged when waiting starts and then every ``PROGRESS_EVERY``
        seconds, with the status and JSOC's estimate.

        Parameters
        ----------
        timeout
            Seconds to wait at most (None: as long as it takes). The last poll is made
            at the deadline, so a hint longer than the timeout does not end the wait early.
        progress
            Log progress lines (at INFO level).
        until
            A function of no arguments: once it returns true (asked at least every
            `UNTIL_STEP` seconds) the wait ends early and the export may still be
            pending. A fetch waits so for its next export while an earlier export's files
            download, and stops waiting when they are in.

        Raises
        ------
        ExportFailed
            If JSOC reports a failure (with its message and status).
        TimeoutError
            If ``timeout`` seconds of waiting pass first; the export goes on at JSOC
            and ``get_request(id)`` picks it up later.
        """
        timeout = check_timeout(timeout)
        waited = self.waited = 0.0
        reported = -math.inf
        while True:
            status = self._status
            if status == 0:
                if progress and waited:
                    log.info(f"JSOC export {self.id} is ready after {_duration(waited)}.")
                return self
            if status not in PENDING:
                raise ExportFailed(
                    f"JSOC export {self.id or ''} failed: {self.error or 'no reason given'} [status={status}]",
                    status, self._answer)
            if until is not None and until():
                return self
            if timeout is not None and waited >= timeout:
                raise TimeoutError(
                    f"JSOC export {self.id} not ready after {_duration(waited)} (status {status}); it goes on at "
                    f"JSOC: pick it up later with JSOCXClient().get_request({self.id!r})")
            # JSOC's hint counts from its answer: time spent since (downloading another export's
            # files, say) counts too, so a request that is surely ready is asked about at once.
            # Never more often than every 0.5 s, never less often than MAX_POLL_INTERVAL.
            now = self._now()
            since = 0.0 if now is None or self._answered is None else now - self._answered
            delay = min(max(self.wait_hint - since, 0.5 - since, 0.0), MAX_POLL_INTERVAL)
            if timeout is not None:
                delay = min(delay, timeout - waited)
            if progress and waited - reported >= PROGRESS_EVERY:
                reported = waited
                state = "queued" if status == 2 else ("processing" if status == 1 else "not yet registered")
                if waited:
                    so_far = f"; waited {_duration(waited)}" + ("" if timeout is None else f" of {_duration(timeout)}")
                else:
                    so_far = "" if timeout is None else f" (waiting at most {_duration(timeout)})"
                log.info(f"JSOC export {self.id}: {state}, JSOC expects about {_duration(self.wait_hint)} more"
                         f"{so_far}.")
            log.debug(f"JSOC export {self.id}: status {status}, polling again in {delay:.1f} s")
            slept = self._pause(delay, until)
            waited += slept
            self.waited = waited
            if slept < delay:  # `until` said stop
                return self
            self.refresh()

    def _pause(self, delay: float, until) -> float:
        """Sleep ``delay`` seconds, in steps of `UNTIL_STEP` while ``until()`` is false; the seconds slept."""
        pause = self._sleep or transport.pause
        if until is None:
            pause(delay)
            return delay
        slept = 0.0
        while slept < delay:
            if until():
                return slept
            step = min(UNTIL_STEP, delay - slept)
            pause(step)
            slept += step
        return delay

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
        """The download URLs (the tar file for ``url-tar``, else one per file)."""
        if self.tarfile and self.status == 0:
            return [self._conn.file_url(self.tarfile)]
        return [f.url for f in self.files]


def _duration(seconds: float) -> str:
    """
    Examples
    --------
    >>> _duration(42), _duration(125), _duration(7300)
    ('42 s', '2 min 5 s', '2 h 1 min')
    """
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
