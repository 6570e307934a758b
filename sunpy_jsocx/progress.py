"""
Progress over a whole fetch: files, bytes, byte rate and time left, across every export.

A fetch (`sunpy_jsocx.fetch.FetchPlan`) downloads in batches: the files that need no
export, then each export's files as it is ready. `FetchTracker` counts across all of
them, so a job of nine exports shows one bar (or calls one function), not nine. It does
no I/O of its own; the bar is tqdm's, the clock injectable.

``client.fetch(res, progress=True)`` draws the bar; ``progress=callable`` calls it with a
`FetchProgress` after every file (on the download thread: keep it quick), which is how a
notebook widget, a log line every minute or a job scheduler follows a long fetch.
"""

from __future__ import annotations

import contextlib
import numbers
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FetchProgress", "FetchTracker", "check_progress", "human_bytes"]


def check_progress(progress):
    """``progress`` as a fetch takes it (True, False, None or a function of a `FetchProgress`), or TypeError."""
    if progress is None or isinstance(progress, bool) or callable(progress):
        return progress
    import numpy  # here, not at the top: the command line imports this module for human_bytes

    if isinstance(progress, numbers.Integral | numpy.bool_) and progress in (0, 1):  # 0/1, numpy booleans
        return bool(progress)
    raise TypeError(f"progress must be True, False or a function taking a FetchProgress, not {progress!r}")


@dataclass(frozen=True)
class FetchProgress:
    """
    Where a fetch stands.

    ``expected`` is the best estimate of the job's files: exact for files that need no
    export and for exports whose file lists JSOC has given, and records × segments for
    exports still to come (an export of all segments counts one file per record until
    its list is known). It can grow as the lists arrive.
    """

    #: Files in place (downloaded, copied from the record cache, or already there and verified).
    files: int
    #: Files the job is expected to have (see above).
    expected: int
    #: Files that failed (in the results' errors).
    failed: int
    #: Bytes downloaded so far by this fetch (files copied or kept count 0).
    bytes: int
    #: Exports whose files have been listed, out of the exports the job needs.
    exports: int
    exports_expected: int
    #: Seconds since the fetch started.
    elapsed: float

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far (by files); None before the first file."""
        done = self.files + self.failed
        if done == 0 or self.elapsed <= 0:
            return None
        return max(0.0, self.elapsed / done * (self.expected - done))


def human_bytes(n: float) -> str:
    """
    A byte count (or rate) for people.

    Examples
    --------
    >>> human_bytes(512), human_bytes(15_600_000), human_bytes(3.2e15)
    ('512 B', '15.6 MB', '3200.0 TB')
    """
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


class FetchTracker:
    """
    Counts a fetch's files and bytes across all its download batches.

    Parameters
    ----------
    progress
        True for one tqdm bar over the whole job; a callable to be called with a
        `FetchProgress` after every change; False or None for neither.
    clock
        Seconds, monotonic (tests inject one).
    """

    def __init__(self, progress, *, clock: Callable[[], float] = time.monotonic):
        check_progress(progress)
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()
        self._callback = progress if callable(progress) and not isinstance(progress, bool) else None
        self._want_bar = progress is True
        self._bar = None
        self._drawn = float("-inf")
        self.files = self.failed = self.bytes = 0
        self.exports = self.exports_expected = 0
        self._estimates: dict[object, int] = {}  # what is expected, by part of the job
        self._held = 0

    @contextlib.contextmanager
    def held(self):
        """Tell nobody of the changes made in the block until it ends (then once)."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            self._changed()

    @property
    def expected(self) -> int:
        return sum(self._estimates.values())

    def expect(self, key, files: int) -> None:
        """Expect ``files`` files from part ``key`` of the job (replacing an earlier estimate of it)."""
        with self._lock:
            self._estimates[key] = max(0, int(files))
        self._changed()

    def set_exports(self, listed: int, expected: int) -> None:
        """Exports whose file lists have arrived, of the exports the job needs."""
        with self._lock:
            self.exports, self.exports_expected = listed, expected
        self._changed()

    def done(self, nbytes: int = 0, *, files: int = 1) -> None:
        """A file is in place (``nbytes`` of it downloaded now); or ``files`` files, none downloaded."""
        with self._lock:
            self.files += files
            self.bytes += int(nbytes)
        self._changed()

    def fail(self, files: int = 1) -> None:
        """``files`` files will not arrive (their errors are in the results)."""
        if files <= 0:
            return
        with self._lock:
            self.failed += files
        self._changed()

    def snapshot(self) -> FetchProgress:
        with self._lock:
            return FetchProgress(self.files, max(self.expected, self.files + self.failed), self.failed,
                                 self.bytes, self.exports, self.exports_expected, self._clock() - self._t0)

    def _changed(self) -> None:
        if self._held or (self._callback is None and not self._want_bar):
            return
        snap = self.snapshot()
        if self._callback is not None:
            self._callback(snap)
        if self._want_bar:
            self._draw(snap)

    def _draw(self, snap: FetchProgress) -> None:
        last = snap.files + snap.failed >= snap.expected
        if self._bar is not None and not last and snap.elapsed - self._drawn < 0.1:
            return  # at most ten redraws a second
        self._drawn = snap.elapsed
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=snap.expected, unit="file", desc="Files Downloaded", dynamic_ncols=True)
        bar = self._bar
        bar.total = snap.expected
        bar.n = snap.files + snap.failed
        extra = f"{human_bytes(snap.bytes)}, {human_bytes(snap.rate)}/s"
        if snap.exports_expected:
            extra += f", exports {snap.exports}/{snap.exports_expected}"
        if snap.failed:
            extra += f", {snap.failed} failed"
        bar.set_postfix_str(extra, refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
