"""
Job manifests: what a fetch has asked JSOC for and what it has finished, beside its files.

Every fetch keeps one small JSON file in its output folder (the fixed part of its path
template), ``.jsocx-job-<key>.json``, where ``<key>`` is a hash of what the job is: the
path template and, for each part (server, series, protocol, method, processing,
segments), the record numbers. The same fetch run again, from Python or from the
command line, finds it and carries on:

* records whose files are all recorded as done, and are still there with their
  recorded sizes, are neither exported nor downloaded again (and are in the results);
* an export already submitted is picked up by its request id (one ``exp_status``);
  if JSOC no longer has it (status 4, 5, or 6 for an id older than `GONE_AFTER`
  seconds) its records are requested again, and the log says so;
* what is left is fetched as a first run would.

The file is written to a temporary name, flushed to disk and renamed over the last
version, so it is never torn; an update from a second process running the same job is
merged, never lost (read, merge and rename happen under an OS file lock on
``.jsocx-job-<key>.lock``). It is rewritten at once when an export is submitted and
when a batch of downloads ends, and at most every `WRITE_EVERY` seconds as files
complete: a kill loses at most the last moment's entries, whose files are verified and
kept by the next run anyway. When the job ends with no error it is marked complete.

Format (``"format": 1``)::

    {
      "format": 1,
      "job": "<key>",
      "template": "<the path template>",
      "created": 1764590000.0, "updated": 1764590042.5,   # Unix seconds
      "complete": false,
      "parts": {"<part>": {"server": "...", "series": "hmi.M_45s", "protocol": "fits", "method": "url",
                           "processing": null, "segments": ["magnetogram"], "records": "1-2000"}},
      "exports": [{"id": "JSOC_20261201_001", "part": "<part>", "ds": "<record set submitted>",
                   "records": "1-250", "notify": "...", "submitted": 1764590001.0}],
      "files": {"<path relative to the folder>": [<size in bytes>, "<part>", <record number or null>]},
      "done": {"<part>": "1-250,300"}
    }

Record numbers are written as ranges (``"1-5,8"``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sunpy import log

from sunpy_jsocx.addresslock import guarded

__all__ = ["JobManifest", "job_key", "part_key", "ranges", "parse_ranges", "FORMAT", "WRITE_EVERY", "GONE_AFTER"]

FORMAT = 1
#: Seconds between two rewrites of the manifest as files complete (at least; more for a big one).
WRITE_EVERY = 0.5
#: A recorded export JSOC answers "not found" (status 6) for is gone if it was submitted this long ago
#: (seconds); a younger one may be one JSOC has not registered yet.
GONE_AFTER = 60.0
PREFIX = ".jsocx-job-"


def ranges(numbers: Iterable[int]) -> str:
    """
    Record numbers as compact ranges.

    Examples
    --------
    >>> ranges([5, 1, 2, 3, 8])
    '1-3,5,8'
    >>> ranges([])
    ''
    """
    out: list[str] = []
    nums = sorted({int(n) for n in numbers})
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ",".join(out)


def parse_ranges(text: str) -> set[int]:
    """
    The record numbers of `ranges` text.

    Examples
    --------
    >>> sorted(parse_ranges("1-3,5"))
    [1, 2, 3, 5]
    """
    out: set[int] = set()
    for raw in str(text or "").split(","):
        piece = raw.strip()
        if not piece:
            continue
        first, _, last = piece.partition("-")
        if last:
            out.update(range(int(first), int(last) + 1))
        else:
            out.add(int(first))
    return out


def _records(recs) -> set[int]:
    """The record numbers of a file entry: one number, ranges (a tar file's), or none."""
    if recs is None:
        return set()
    if isinstance(recs, str):
        return parse_ranges(recs)
    return {int(recs)}


def part_key(description: dict[str, Any]) -> str:
    """A short stable key for one part of a job (everything but its records)."""
    text = json.dumps({k: v for k, v in description.items() if k != "records"}, sort_keys=True, default=str)
    return "p" + hashlib.sha256(text.encode()).hexdigest()[:12]


def job_key(template: str, parts: dict[str, dict[str, Any]]) -> str:
    """The key of a job: its path template and its parts with their records."""
    text = json.dumps({"template": template, "parts": parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _empty(key: str, template: str, parts: dict) -> dict[str, Any]:
    now = time.time()
    return {"format": FORMAT, "job": key, "template": template, "created": now, "updated": now, "complete": False,
            "parts": parts, "exports": [], "files": {}, "done": {}}


def _merge(disk: dict[str, Any], mine: dict[str, Any]) -> dict[str, Any]:
    """Both processes' knowledge: exports, files and done records of either."""
    out = dict(mine)
    out["created"] = min(float(disk.get("created", mine["created"])), float(mine["created"]))
    out["complete"] = bool(disk.get("complete")) or bool(mine.get("complete"))
    ids = {e["id"]: e for e in disk.get("exports", []) if isinstance(e, dict) and e.get("id")}
    for e in mine["exports"]:
        ids[e["id"]] = dict(ids.get(e["id"], {}), **e)
    out["exports"] = sorted(ids.values(), key=lambda e: float(e.get("submitted", 0)))
    files = dict(disk.get("files") or {})
    files.update(mine["files"])
    for gone in mine.get("_dropped", ()):
        files.pop(gone, None)
    out["files"] = files
    done = {}
    theirs = disk.get("done") or {}
    for part in set(theirs) | set(mine["done"]):
        done[part] = ranges(parse_ranges(theirs.get(part, "")) | parse_ranges(mine["done"].get(part, "")))
    out["done"] = done
    return out


class JobManifest:
    """
    The manifest of one fetch job in its output folder.

    Parameters
    ----------
    folder
        The job's output folder.
    template
        The fetch's path template.
    parts
        ``{part key: description}``, each description with its ``records`` (`ranges`).
    """

    def __init__(self, folder: str | os.PathLike, template: str, parts: dict[str, dict[str, Any]]):
        self.folder = Path(folder)
        self.template = template
        self.parts = parts
        self.key = job_key(template, parts)
        self.path = self.folder / f"{PREFIX}{self.key}.json"
        from sunpy_jsocx.addresslock import lock_dir

        locks = lock_dir()
        where = hashlib.sha256(str(self.path.absolute()).encode()).hexdigest()[:24]
        self.guard = (locks / "jobs" / f"{where}.lock") if locks is not None else \
            self.folder / f"{PREFIX}{self.key}.lock"
        self.data = _empty(self.key, template, parts)
        self._done_sets: dict[str, set[int]] = {}
        self._last_write = -1e300
        self._write_cost = 0.0
        self._dirty = False
        self._dropped: set[str] = set()
        self.resumed = False
        # A fetch records files from its downloads' worker threads while its own thread records
        # the next export: one change (and one write) at a time.
        self._mutex = threading.RLock()
        self._load()

    def __repr__(self) -> str:
        return f"<JobManifest {self.path} exports={len(self.data['exports'])} files={len(self.data['files'])}>"

    # ------------------------------------------------------------ reading
    def _read_disk(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        except OSError as e:
            log.warning(f"could not read the job manifest {self.path} ({e}); starting the job afresh")
            return None
        try:
            data = json.loads(text)
        except ValueError:
            log.warning(f"the job manifest {self.path} is not JSON; starting the job afresh")
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("job") != self.key:
            log.warning(f"the job manifest {self.path} is not one this version writes; starting the job afresh")
            return None
        return data

    def _load(self) -> None:
        disk = self._read_disk()
        if disk is None:
            return
        self.resumed = True
        self.data = _merge(disk, _empty(self.key, self.template, self.parts))
        self.data["created"] = float(disk.get("created", self.data["created"]))
        self._done_sets = {p: parse_ranges(r) for p, r in self.data["done"].items()}
        # A record is done only while every file recorded for it is there with its size.
        by_record: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for rel, (size, part, recs) in self.data["files"].items():
            for recnum in _records(recs):
                by_record.setdefault((part, recnum), []).append((rel, int(size)))
        for part, done in self._done_sets.items():
            for recnum in list(done):
                files = by_record.get((part, recnum))
                if not files or not all(self._there(rel, size) for rel, size in files):
                    done.discard(recnum)
                    for rel, _ in files or []:
                        self.data["files"].pop(rel, None)
                        self._dropped.add(rel)
        self.data["done"] = {p: ranges(s) for p, s in self._done_sets.items()}

    def _there(self, rel: str, size: int) -> bool:
        try:
            return (self.folder / rel).stat().st_size == size
        except OSError:
            return False

    def done(self, part: str) -> set[int]:
        """Record numbers of ``part`` that are finished (their files checked to be there)."""
        return set(self._done_sets.get(part, ()))

    def files_by_record(self) -> dict[tuple[str, int], list[Path]]:
        """The recorded files of each record, ``(part, recnum) -> paths``."""
        out: dict[tuple[str, int], list[Path]] = {}
        for rel, (_, p, recs) in self.data["files"].items():
            for r in _records(recs):
                out.setdefault((p, r), []).append(self.folder / rel)
        return out

    def exports(self) -> list[dict[str, Any]]:
        """The exports recorded, oldest first."""
        return [dict(e) for e in self.data["exports"]]

    @classmethod
    def recording(cls, folder: str | os.PathLike, requestid: str) -> JobManifest | None:
        """The manifest in ``folder`` of a job that submitted export ``requestid`` (for ``get ID``)."""
        try:
            candidates = sorted(Path(folder).glob(f"{PREFIX}*.json"))
        except OSError:
            return None
        for path in candidates:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                continue
            if any(isinstance(e, dict) and e.get("id") == requestid for e in data.get("exports", [])):
                m = cls(folder, str(data.get("template", "")), dict(data.get("parts") or {}))
                if m.path == path:
                    return m
        return None

    def collected(self, requestid: str) -> None:
        """Every file of export ``requestid`` was downloaded (by id: ``get``)."""
        with self._mutex:
            for e in self.data["exports"]:
                if e["id"] == requestid:
                    e["collected"] = True
            self._dirty = True
            self.save()

    def all_done(self) -> bool:
        """Whether every record of the job is done, or in an export whose files were all downloaded."""
        for part, desc in self.parts.items():
            covered = set(self._done_sets.get(part, ()))
            for e in self.data["exports"]:
                if e.get("collected") and e.get("part") == part:
                    covered |= parse_ranges(e.get("records", ""))
            if not parse_ranges(desc.get("records", "")) <= covered:
                return False
        return True

    # ------------------------------------------------------------ recording
    def record_export(self, requestid: str, part: str, ds: str, recnums: Iterable[int], notify: str) -> None:
        """An export was submitted (written to disk at once)."""
        with self._mutex:
            self.data["exports"] = [e for e in self.data["exports"] if e["id"] != requestid]
            self.data["exports"].append({"id": requestid, "part": part, "ds": ds, "records": ranges(recnums),
                                         "notify": notify, "submitted": time.time()})
            self.flush(force=True)

    def forget_export(self, requestid: str) -> None:
        """JSOC no longer has this export."""
        with self._mutex:
            self.data["exports"] = [e for e in self.data["exports"] if e["id"] != requestid]
            self._forgotten = getattr(self, "_forgotten", set()) | {requestid}
            self.flush(force=True)

    def file_done(self, path: str | os.PathLike, part: str | None, recnums: Iterable[int] = ()) -> None:
        """A file of some records (one; all of a tar file's) is in place and verified (written soon)."""
        with self._mutex:
            recnums = sorted(int(r) for r in recnums)
            recnum: int | str | None = recnums[0] if len(recnums) == 1 else (ranges(recnums) if recnums else None)
            path = Path(path)
            try:
                size = path.stat().st_size
            except OSError:
                return
            try:
                rel = os.path.relpath(path, self.folder)
            except ValueError:  # another drive (Windows)
                return
            self.data["files"][rel] = [size, part, recnum]
            self._dropped.discard(rel)
            self._dirty = True
            self.flush()

    def record_done(self, part: str, recnum: int) -> None:
        """Every file of a record is in place (written to disk soon)."""
        with self._mutex:
            self._done_sets.setdefault(part, set()).add(int(recnum))
            self._dirty = True
            self.flush()

    def finish(self) -> None:
        """The job ended with nothing left to do: the manifest goes (a later run verifies the files)."""
        with self._mutex:
            self.data["complete"] = True
            try:
                with guarded(self.guard):
                    self.path.unlink(missing_ok=True)
                    # The guard goes too, so that finished jobs leave nothing behind. (A third run of the
                    # same job already waiting on it then shares no lock with a fourth: at worst one
                    # lost manifest update, whose files the next run verifies and keeps.)
                    self.guard.unlink(missing_ok=True)
            except OSError:
                pass
            self._dirty = False

    def save(self) -> None:
        """Write what is not on disk yet, now (nothing if nothing changed)."""
        with self._mutex:
            if self._dirty:
                self.flush(force=True)

    def flush(self, force: bool = False) -> None:
        """Write the manifest (merged with another process's) atomically; throttled unless ``force``."""
        with self._mutex:
            now = time.monotonic()
            if not force and (not self._dirty or now - self._last_write < max(WRITE_EVERY, 10 * self._write_cost)):
                return
            self.data["done"] = {p: ranges(s) for p, s in self._done_sets.items() if s}
            self.data["updated"] = time.time()
            t0 = time.monotonic()
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                with guarded(self.guard):
                    disk = self._read_disk()
                    if disk is not None:
                        mine = dict(self.data, _dropped=self._dropped)
                        merged = _merge(disk, mine)
                        forgotten = getattr(self, "_forgotten", set())
                        merged["exports"] = [e for e in merged["exports"] if e["id"] not in forgotten]
                        self.data = merged
                        self._done_sets = {p: parse_ranges(r) for p, r in merged["done"].items()}
                    self._write(self.data)
            except OSError as e:  # a full disk must not fail the fetch itself: say so once
                if not getattr(self, "_warned", False):
                    log.warning(f"could not write the job manifest {self.path} ({e}); a re-run will verify the files "
                                "already there instead")
                    self._warned = True
                return
            self._dirty = False
            self._last_write = time.monotonic()
            self._write_cost = self._last_write - t0

    def _write(self, data: dict[str, Any]) -> None:
        from sunpy_jsocx.download import _temporary

        tmp = _temporary(self.path)
        body = json.dumps({k: v for k, v in data.items() if not k.startswith("_")}, separators=(",", ":"))
        try:
            with open(tmp, "w") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        if os.name != "nt":
            try:
                fd = os.open(self.folder, os.O_RDONLY)
                try:
                    os.fsync(fd)  # the rename itself reaches the disk
                finally:
                    os.close(fd)
            except OSError:
                pass
