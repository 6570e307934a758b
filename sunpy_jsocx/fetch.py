"""
Planning and running a fetch: which records download straight from storage,
which need an export, and where each file goes.

A `FetchPlan` is built from result rows. Online records fetched ``as-is`` are
downloaded from their SUMS paths with no export (what JSOC asks clients to
do). Everything else is grouped by (server, series, protocol, method, e-mail,
processing) and each group becomes exactly one export of exactly its records.
Plans queued on the same downloader (Fido fetches each result block
separately) are merged before anything is sent, so OR branches never cost an
export each.

Running a plan never loses the parts that work to a part that fails: files that
need no export are downloaded first; each export is waited for in turn (JSOC
allows one pending export per address: fetches of one address on this machine
take turns through `sunpy_jsocx.addresslock`, and a pending export started
elsewhere is waited out), and the next one is submitted while the finished one
downloads. A job manifest in the output folder (`sunpy_jsocx.manifest`) records
each export when submitted and each file when in place, so that the same fetch
run again after an interruption skips what is done and picks exports up by id.
Whatever still fails after the transport's retries (an export JSOC refuses, one
that times out, a file that will not download) becomes an entry in the returned
`parfive.Results` errors, carrying what is needed to do exactly that part again
(`retry`, which ``Fido.fetch(results)`` calls).
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import parfive
from sunpy import config as sunpy_config
from sunpy import log

from sunpy_jsocx import jsoctime, linknames, transport
from sunpy_jsocx import recordset as _recordset
from sunpy_jsocx.addresslock import AddressLock
from sunpy_jsocx.download import DownloadItem, DownloadSession
from sunpy_jsocx.export import NOTFOUND_RETRIES, PENDING, ExportFailed, ExportRequest, check_timeout, pending_ids
from sunpy_jsocx.integrity import file_problem
from sunpy_jsocx.manifest import GONE_AFTER, JobManifest, parse_ranges, part_key, ranges
from sunpy_jsocx.progress import FetchTracker, check_progress
from sunpy_jsocx.recordcache import cache_key, record_cache
from sunpy_jsocx.transport import JSOCError, connection

__all__ = ["FetchPlan", "FetchJob", "attach_to_downloader", "retry", "REGISTER_URL", "RECORDS_PER_REQUEST"]

#: At most this many record numbers (or ranges of them) go into one ``rs_list`` record set,
#: which keeps its GET URL well under the 8,190 bytes servers accept.
RECORDS_PER_REQUEST = 300
#: Pauses (seconds) between asking again when JSOC says another export of the address is
#: pending but does not name it.
PENDING_PAUSE = 30.0
#: Exports of one fetch that are requested (staging, or staged and waiting) while the files
#: of an earlier one download. With 1 staging waits whenever one export's download outlasts
#: the next one's staging; with 2 the staging of a job runs back to back, within JSOC's one
#: pending export per address.
STAGE_AHEAD = 2

REGISTER_URL = "http://jsoc.stanford.edu/ajax/register_email.html"
_SAFE = re.compile(r"[^A-Za-z0-9._+\-]")


@dataclass
class _Download:
    url: str
    filename: str
    fields: dict[str, Any]
    # For FITS written from a stored file: (server, series info, record name, segment, recnum).
    fits_from: tuple | None = None
    # Every keyword of the block's records (recnum -> name -> JSOC string), when the search had them.
    known_keywords: dict | None = None
    # The record cache's key (sunpy_jsocx.recordcache), for one record's stored file.
    cache_key: str | None = None
    # The job part (sunpy_jsocx.manifest) and the record numbers whose file this is.
    part: str | None = None
    recnums: tuple[int, ...] = ()
    # More record cache keys, read from the file once it is in place (an export fetched by its id).
    cache_aliases: Callable[[Path], list[str]] | None = None


@dataclass
class _ExportGroup:
    server: str
    info: Any
    protocol: str
    method: str
    notify: str
    cutout: dict | None
    segments: list[str]
    recnums: list[int] = field(default_factory=list)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # record name -> row fields
    request: ExportRequest | None = None
    names: dict[str, int] = field(default_factory=dict)  # record name -> record number
    #: The id of an export a job's manifest recorded for exactly these records (picked up, not requested).
    resume_id: str | None = None
    resume_submitted: float = 0.0
    picked: bool = False  # picked up by id (its export may hold more records than the group)

    @property
    def key(self):
        return (self.server, self.info.name.lower(), self.protocol, self.method, self.notify.lower(),
                json.dumps(self.cutout, sort_keys=True, default=str), tuple(self.segments))

    @property
    def part(self) -> str:
        return part_key(_part(self.server, self.info.name, self.protocol, self.method, self.cutout, self.segments))

    def cache_key(self, recnum: int, segment: str) -> str | None:
        """
        The record cache's key of one record's file of this export (`sunpy_jsocx.recordcache`);
        None where files are not one record's each (``url-tar``, ``mp4`` movies).
        """
        if self.method not in ("url", "url_quick") or self.protocol.split(",", 1)[0] == "mp4":
            return None
        # Without processing, an exported file and a direct download of the same record share a key.
        processing = json.dumps({"im_patch": self.cutout}, sort_keys=True, default=str) if self.cutout else None
        return cache_key(self.server, self.info.name, recnum, segment, self.protocol, processing)

    def absorb(self, other: _ExportGroup) -> None:
        seen = set(self.recnums)
        self.recnums += [r for r in other.recnums if r not in seen]
        self.rows.update(other.rows)
        self.names.update(other.names)

    def subset(self, recnums) -> _ExportGroup:
        """The same export of some of the records."""
        keep = set(recnums)
        rows = {name: f for name, f in self.rows.items() if self.names.get(name) in keep}
        return _ExportGroup(self.server, self.info, self.protocol, self.method, self.notify, self.cutout,
                            self.segments, [r for r in self.recnums if r in keep], rows,
                            names={n: r for n, r in self.names.items() if r in keep})


def _protocol_case(protocol: str) -> str:
    """
    The protocol name in lower case, its arguments as given.

    JSOC's ``jsoc_export_as_images`` matches arguments such as ``CT=HMI_mag.lut`` case by
    case, so only the name (``jpg``, ``fits``...) is folded.

    Examples
    --------
    >>> _protocol_case("JPG,CT=HMI_mag.lut,scaling=MAG")
    'jpg,CT=HMI_mag.lut,scaling=MAG'
    """
    name, sep, args = str(protocol).partition(",")
    return name.strip().lower() + sep + args


def _part(server, series, protocol, method, cutout, segments) -> dict[str, Any]:
    """What a job part is (`sunpy_jsocx.manifest`): everything about its files but the records."""
    return {"server": str(server).rstrip("/").lower(), "series": str(series).lower(), "protocol": protocol,
            "method": method, "processing": {"im_patch": cutout} if cutout else None, "segments": list(segments)}


def _rows_fields(rows, colnames) -> list[dict[str, Any]]:
    """
    Each row's fields for path templates and the job's records (times as ISO text, numbers as
    Python numbers), a column at a time: indexing a table's rows one by one took half a
    second for 2,000 rows, before any request.
    """
    columns = {}
    for c in colnames:
        if c.startswith("_"):
            continue
        col = rows[c]
        if hasattr(col, "isot"):
            columns[c] = col.isot.tolist()
        else:
            columns[c] = [v.item() if hasattr(v, "item") else v for v in col]
    return [{c: values[i] for c, values in columns.items()} for i in range(len(rows))]


def _default_filenamefmt(info) -> str:
    parts = [info.name.lower()]
    for k in info.primekeys:
        kw = info.find_keyword(k)
        parts.append(f"{{{k}:A}}" if kw is not None and kw.is_time else f"{{{k}}}")
    return ".".join(parts) + ".{segment}"


#: The part of JSOC's size limit a split aims at (JSOC's size estimate is per record, but a
#: record's size varies a little, so a part of exactly the limit could be refused again).
SPLIT_MARGIN = 0.95


def split_count(answer: dict, records: int) -> int:
    """
    Into how many exports to split a request JSOC refused as too large (status 3).

    JSOC's answer gives the request's size (``size``, MB) and its limit in the error text
    (``Request exceeds max byte limit of 100000MB``, jsoc-api.md section 5.6), so the parts can
    be made small enough at once, with one refused request instead of one per halving.
    Without both numbers: halves (each may be split again).

    Examples
    --------
    >>> split_count({"status": 3, "size": 67108, "error": "Request exceeds max byte limit of 8388MB"}, 2001)
    9
    >>> split_count({"status": 3, "size": 250000, "error": "Request exceeds max byte limit of 100000MB"}, 12000)
    3
    >>> split_count({"status": 3, "error": "Request too large"}, 10)
    2
    """
    m = re.search(r"max byte limit of\s*([0-9.]+)\s*MB", str(answer.get("error", "")), re.IGNORECASE)
    try:
        size = float(answer.get("size", 0))
    except (TypeError, ValueError):
        size = 0.0
    if m is None or size <= 0:
        return 2
    limit = float(m.group(1)) * SPLIT_MARGIN
    if limit <= 0:
        return 2
    return max(2, min(records, math.ceil(size / limit)))


def _segment_of(filename: str, segments, linked: dict[str, str] | None = None) -> str | None:
    """
    The segment a file of a ``fits`` export holds. JSOC lists such files without the
    ``{segment}`` the record carries in other exports, but names them by our
    ``filenamefmt``, which ends with ``.{segment}`` (`_default_filenamefmt`). A linked
    segment's file carries the linked segment's name instead (`sunpy_jsocx.linknames`):
    ``linked`` maps it back (``{"image_lev1": "image"}``).

    Examples
    --------
    >>> _segment_of("hmi.m_45s.20120101_010130_TAI.2.magnetogram.fits", ["magnetogram"])
    'magnetogram'
    >>> _segment_of("hmi.b_720s.20140101_000000_TAI.inclination.fits", ["inclination_err", "inclination"])
    'inclination'
    >>> _segment_of("aia.lev1_euv_12s.2014-01-01T000009Z.304.image_lev1.fits", ["image", "spikes"],
    ...             {"image_lev1": "image", "spikes": "spikes"})
    'image'
    >>> _segment_of("odd.fits", ["magnetogram"]) is None
    True
    """
    stem = os.path.basename(filename)
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    names = {s: s for s in segments}
    for written, seg in (linked or {}).items():
        if seg in names:
            names[written] = seg
    found = [w for w in names if stem == w or stem.endswith("." + w)]
    return names[max(found, key=len)] if found else None


def _direct_name(info, record: str, segment: str, stored: str, linked: dict[str, str] | None = None) -> str:
    """
    A file name for a record's stored segment, as JSOC names exported files (by `_default_filenamefmt`).

    ``linked``: for a linked segment, the linked record's time prime keys (`linknames.target_times`).
    JSOC then writes the time keys (``{T_REC:A}``) with the linked record's values and ``{segment}``
    as the linked segment's stored file (exputil.c), which is ``stored``'s name.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> info = SeriesInfo.from_struct("aia.lev1_euv_12s", {"primekeys": ["T_REC", "WAVELNTH"], "keywords": [
    ...     {"name": "T_REC", "type": "time", "units": "ISO"}, {"name": "WAVELNTH", "type": "int"}]})
    >>> rec = "aia.lev1_euv_12s[2014-01-01T00:00:01Z][304]"
    >>> _direct_name(info, rec, "image", "/SUM1/D2/S00000/image_lev1.fits")
    'aia.lev1_euv_12s.2014-01-01T000001Z.304.image.fits'
    >>> _direct_name(info, rec, "image", "/SUM1/D2/S00000/image_lev1.fits", {"T_REC": "2014-01-01T00:00:09Z"})
    'aia.lev1_euv_12s.2014-01-01T000009Z.304.image_lev1.fits'
    """
    values = re.findall(r"\[([^\]]*)\]", record)
    parts = [info.name.lower()]
    for k, v in zip(info.primekeys, values):
        kw = info.find_keyword(k)
        if kw is not None and kw.is_time:
            parts.append(jsoctime.time_filename_format(linked.get(k, v) if linked is not None else v))
        else:
            parts.append(v)
    ext = os.path.splitext(stored)[1] or ""
    if linked is not None and os.path.basename(stored):
        segment = os.path.splitext(os.path.basename(stored))[0]
    base = ".".join(parts + [segment])
    return _SAFE.sub("_", base + (ext if not base.endswith(ext) else ""))


def _observation_keywords(info, segments) -> dict[str, str]:
    """For each linked segment among ``segments``: the keyword its linked record's time comes from (``T_OBS``)."""
    links = linknames.linked_segments(info)
    out = {}
    for seg in segments:
        link = links.get(seg)
        key = linknames.observation_keyword(info, link) if link is not None else None
        if key is not None:
            out[seg] = key
    return out


def _linked_times(conn, info, segment: str, observed: str | None) -> dict[str, str] | None:
    """
    The linked record's time prime keys for a linked segment (`linknames.target_times`), from
    the linked series' ``series_struct`` (asked once per series and cached, `transport`).
    None when the time or the linked series is not known: the file is then named as before.
    """
    link = linknames.linked_segments(info).get(segment)
    if link is None or not observed:
        return None
    try:
        target = conn.info(link.target)
    except JSOCError as e:
        log.debug(f"sunpy-jsocx: {info.name}'s {segment} links to {link.target}, which the server does not "
                  f"describe ({e}); its file is named by the record's own keys")
        return None
    return linknames.target_times(target, str(observed))


def _linked_files(conn, info) -> dict[str, str]:
    """The names linked segments' files carry in an export -> the segment (``image_lev1`` -> ``image``)."""
    out = {}
    for seg, link in linknames.linked_segments(info).items():
        try:
            target = conn.info(link.target)
        except JSOCError:
            continue
        out[linknames.target_segment(seg, info, target)] = seg
    return out


class FetchPlan:
    """
    What one fetch downloads, and how.

    Parameters
    ----------
    client
        The `~sunpy_jsocx.JSOCXClient` (for its server and e-mail checks).
    path
        Directory or template with ``{file}`` and row fields.
    """

    def __init__(self, client, *, path=None, overwrite=False, progress=True, max_conn: int = 1,
                 max_splits: int = 1, sleep: Callable[[float], None] | None = None, timeout: float | None = None):
        self.client = client
        #: Seconds to wait for each export at most (None for as long as it takes).
        self.timeout = check_timeout(timeout)
        self.path = path
        self.overwrite = overwrite
        self.progress = check_progress(progress)
        self.max_conn = max_conn
        self.max_splits = max_splits
        self.sleep = sleep  # None: sunpy_jsocx.transport.pause
        self.direct: list[_Download] = []
        self.groups: dict[tuple, _ExportGroup] = {}
        self.staged: list[ExportRequest] = []
        self.requests: list[ExportRequest] = []
        #: Files whose download is already planned to the last detail (a retry's).
        self.ready: list[DownloadItem] = []
        #: The job's parts (`sunpy_jsocx.manifest`), part key -> (description, record numbers).
        self.parts: dict[str, tuple[dict[str, Any], set[int]]] = {}
        #: The job's manifest, once `run` has opened it (a retry's plan shares its first run's).
        self.manifest: JobManifest | None = None
        self._locks: dict[tuple[str, str], AddressLock] = {}
        self._holding: dict[int, AddressLock] = {}  # id(request) -> the lock held until it is done
        self._expect: dict[tuple[str, int], int] = {}  # (part, recnum) -> files of it still to come
        self._notfound: dict[str, int] = {}
        #: While `run` runs: the download connection of the whole job, and its progress.
        self._session: DownloadSession | None = None
        self._tracker: FetchTracker | None = None
        self._listed: dict[int, int] = {}  # id(export group or staged request) -> files it listed
        self._completing = threading.Lock()  # `_completed` runs in the downloads' worker threads

    # ---------------------------------------------------------------- building
    def add_rows(self, table, *, method=None, protocol=None, force_export=False) -> None:
        if not len(table):
            return
        blocks = table.query_args or []
        cols = table.colnames
        for b in sorted({int(x) for x in table["_block"]}):
            block = blocks[b]
            rows = table[table["_block"] == b]
            server = block.get("server") or table.server or self.client.server
            conn = connection(server)
            info = conn.info(block["series"])
            proto = _protocol_case(protocol or block.get("protocol") or "fits")
            meth = (method or block.get("method") or "url").lower().replace("url-quick", "url_quick")
            segments = list(block.get("segments") or info.segment_names)
            cutout = block.get("cutout")
            if cutout is not None and proto == "as-is":
                raise ValueError(
                    "a.jsocx.Cutout needs Protocol('fits'): JSOC cuts images out with its im_patch processing, "
                    "which writes FITS, and an as-is export would bring back the whole images. Drop the "
                    "Protocol('as-is') (or pass protocol='fits'), or drop the Cutout to get the stored files.")
            recnums = [int(r) for r in rows["_recnum"]]
            norm = "url" if meth == "url_quick" and proto != "as-is" else meth
            desc = _part(server, info.name, proto, norm, cutout, segments)
            pkey = part_key(desc)
            self.parts.setdefault(pkey, (desc, set()))[1].update(recnums)
            needed = ["_record", "_online", *(f"_seg_{seg}" for seg in segments)]
            known = block.get("record_keywords")
            # Linked segments are named in the linked record, from its observation time (linknames).
            observed = _observation_keywords(info, segments) if proto == "fits" else {}
            have_observed = not observed or (known is not None and all(
                all(k in (known.get(r) or {}) for k in observed.values()) for r in recnums))
            if all(c in cols for c in needed) and have_observed:
                details = {r: {c: row[c] for c in needed} for r, row in zip(recnums, rows)}
            else:
                # A large search kept only the shown columns: ask for what fetching needs,
                # for the selected records only (one request).
                details, known = self._details(conn, info, recnums, segments, proto == "fits")
            for fields, recnum in zip(_rows_fields(rows, cols), recnums):
                fields["series"] = info.name
                self._target("file", dict(fields, segment=""))  # a bad path template fails before any request
                d = details.get(recnum)
                if d is None:
                    raise ValueError(f"JSOC no longer has record #{recnum} of {info.name}")
                record = str(d["_record"])
                online = bool(d["_online"])
                # Online records need no export: JSOC asks clients to download them from
                # storage. For FITS, the client writes the export's header itself.
                direct = (proto in ("as-is", "fits") and meth in ("url", "url_quick") and cutout is None
                          and not force_export and online)
                if direct:
                    for seg in segments:
                        spath = str(d[f"_seg_{seg}"])
                        linked = None
                        if seg in observed:
                            linked = _linked_times(conn, info, seg, (known or {}).get(recnum, {}).get(observed[seg]))
                        name = _direct_name(info, record, seg, spath, linked)
                        fits_from = None
                        if proto == "fits" and name.endswith(".fits"):
                            fits_from = (server, info, record, seg, recnum)
                        key = cache_key(server, info.name, recnum, seg, "fits" if fits_from else "as-is")
                        self.direct.append(_Download(conn.file_url(spath), name, dict(fields, segment=seg),
                                                     fits_from, known, key, pkey, (recnum,)))
                    continue
                notify = block.get("notify")
                self._check_notify(conn, notify, info.name)
                group = _ExportGroup(server, info, proto, norm, notify, cutout, segments)
                group = self.groups.setdefault(group.key, group)
                group.recnums.append(recnum)
                group.rows[record] = fields
                group.names[record] = recnum

    @staticmethod
    def _details(conn, info, recnums, segments, all_keywords: bool):
        """
        Record names, online flags, storage paths (and all keywords) of some records: one
        request per `RECORDS_PER_REQUEST` record numbers or ranges.
        """
        key = ["**ALL**", "*recnum*", "*online*"] if all_keywords else ["*recnum*", "*online*"]
        details, keywords = {}, {}
        for ds in record_sets(info, recnums):
            answer = conn.rs_list(ds, key=key, seg=list(segments), recinfo=True)
            names = [r["name"] for r in answer.get("recinfo", [])]
            columns = {k["name"]: k["values"] for k in answer.get("keywords", [])}
            paths = {s["name"]: s["values"] for s in answer.get("segments", [])}
            for i, r in enumerate(columns.get("*recnum*", [])):
                recnum = int(r)
                details[recnum] = {"_record": names[i], "_online": columns["*online*"][i] == "Y",
                                   **{f"_seg_{seg}": paths[seg][i] for seg in segments}}
                if all_keywords:
                    keywords[recnum] = {k: v[i] for k, v in columns.items() if not k.startswith("*")}
        return details, (keywords if all_keywords else None)

    def _check_notify(self, conn, notify, series) -> None:
        if not notify:
            raise ValueError(
                f"Some {series} records need a JSOC export (offline data, a cutout, url-tar or a forced export), "
                f"and JSOC exports need a registered e-mail address: add a.jsocx.Notify('you@example.org') to the "
                f"search (register it at {REGISTER_URL}).")
        if not conn.check_address(notify):
            raise ValueError(f"JSOC does not know {notify!r} as a registered address; register it at {REGISTER_URL} "
                             "and search again with that a.jsocx.Notify.")

    def add_staged(self, request: ExportRequest) -> None:
        self.staged.append(request)

    def absorb(self, other: FetchPlan) -> None:
        """Merge another plan into this one (one export per group across both)."""
        self.direct += other.direct
        for key, g in other.groups.items():
            if key in self.groups:
                self.groups[key].absorb(g)
            else:
                self.groups[key] = g
        self.staged += other.staged
        self.ready += other.ready
        for key, (desc, recs) in other.parts.items():
            self.parts.setdefault(key, (desc, set()))[1].update(recs)
        if other.timeout is None or (self.timeout is not None and other.timeout > self.timeout):
            self.timeout = other.timeout  # the most patient of the merged plans

    # ---------------------------------------------------------------- exporting
    def _pause(self, seconds: float) -> None:
        (self.sleep or transport.pause)(seconds)

    def _lock(self, server: str, notify: str) -> AddressLock:
        key = (str(server).rstrip("/").lower(), str(notify).strip().lower())
        if key not in self._locks:
            self._locks[key] = AddressLock(server, notify)
        return self._locks[key]

    def _finished(self, server: str, requestid: str, holder_alive: bool = True) -> float | None:
        """For the address queue: None once ``requestid`` is no longer pending, else when to ask again."""
        try:
            answer = connection(server).exp_status(requestid)
        except JSOCError:
            return 5.0
        status = int(answer.get("status", 4))
        if status == 6:  # not registered yet, or gone: a few answers tell (one, if its asker is gone)
            self._notfound[requestid] = self._notfound.get(requestid, 0) + 1
            if self._notfound[requestid] > NOTFOUND_RETRIES or not holder_alive:
                return None
        elif status not in PENDING:
            return None
        try:
            return max(0.5, float(answer.get("wait", 2.0)))
        except (TypeError, ValueError):
            return 2.0

    def _done_with(self, req: ExportRequest) -> None:
        """The export is complete (or failed): the address's turn passes on."""
        lock = self._holding.pop(id(req), None)
        if lock is not None and not any(id(r) in self._holding for r in self.requests
                                        if r is not req and self._lock_of(r) is lock):
            lock.release()

    def _lock_of(self, req: ExportRequest) -> AddressLock | None:
        return self._holding.get(id(req))

    def _pick_up(self, group: _ExportGroup) -> ExportRequest | None:
        """The export a job's manifest recorded for the group, by its id; None if JSOC no longer has it."""
        rid = group.resume_id
        conn = connection(group.server)
        req = ExportRequest(conn, {"requestid": rid, "status": 2}, sleep=self.sleep)
        req.refresh()  # (JSOC unreachable: the group fails, and a retry picks the export up again)
        group.resume_id = None
        status = req._status
        young = time.time() - group.resume_submitted < GONE_AFTER
        if status not in (0, 1, 2) and not (status == 6 and young):
            log.info(f"JSOC no longer has export {rid} of {len(group.recnums)} records (status {status}: "
                     f"{req.error or 'no reason given'}); requesting those records again.")
            if self.manifest is not None:
                self.manifest.forget_export(rid)
            return None
        log.info(f"Picking up JSOC export {rid} ({len(group.recnums)} records), recorded by an earlier run of "
                 "this fetch, by its id.")
        lock = self._lock(group.server, group.notify)
        if status in PENDING:
            lock.acquire(self._finished, timeout=self.timeout, sleep=self._pause, requestid=rid)
            self._holding[id(req)] = lock
        else:
            lock.clear(rid)  # a killed run's turn, for an export that is done: nobody need wait for it
        req.group = group
        group.request = req
        group.picked = True
        self.requests.append(req)
        return req

    def _submit(self, group: _ExportGroup) -> ExportRequest:
        if group.resume_id:
            req = self._pick_up(group)
            if req is not None:
                return req
        conn = connection(group.server)
        ds = _recordset.records_recordset(group.info, sorted(group.recnums), group.segments)
        method = group.method
        if group.protocol == "as-is" and method == "url":
            method = "url_quick"  # immediate for online data, staged by JSOC otherwise
        process = {"im_patch": group.cutout} if group.cutout else None
        fmt = None if group.protocol == "as-is" else _default_filenamefmt(group.info)
        # One pending export per address: wait for this machine's other fetches of the address first.
        lock = self._lock(group.server, group.notify)
        self._wait_own(lock)  # our own pending export of the address: wait for it, then it is our turn
        lock.acquire(self._finished, timeout=self.timeout, sleep=self._pause)
        try:
            waited = 0.0
            while True:
                answer = conn.exp_request(ds, group.notify, method=method, protocol=group.protocol,
                                          filenamefmt=fmt, process=process)
                status = int(answer.get("status", 4))
                if status != 7:
                    break
                waited += self._wait_turn(conn, group.notify, answer, waited)
        except BaseException:
            lock.release()
            raise
        req = ExportRequest(conn, answer, sleep=self.sleep)
        if status in PENDING and req.id:
            lock.set_request(req.id)
            self._holding[id(req)] = lock
            if self.manifest is not None:
                self.manifest.record_export(req.id, group.part, ds, group.recnums, group.notify)
        elif not any(self._lock_of(r) is lock for r in self.requests):
            lock.release()
        if status == 3 and len(group.recnums) > 1:
            # Over JSOC's size limit: split the request rather than fail (a part may split again).
            parts = split_count(answer, len(group.recnums))
            log.info(f"JSOC export of {len(group.recnums)} records is over the size limit "
                     f"({answer.get('error', 'status 3')}); splitting it into {parts} exports.")
            return self._split(group, parts)
        req.group = group
        if status not in (0, 1, 2, 6):
            raise ExportFailed(f"JSOC refused the export of {ds}: {answer.get('error', 'no reason given')} "
                               f"[status={status}]", status, answer)
        group.request = req
        self.requests.append(req)
        return req

    def _wait_own(self, lock: AddressLock, until=None) -> bool:
        """
        Wait until this plan's own pending exports of ``lock``'s address are no longer
        pending, and pass the address's turn on; False if ``until()`` ended the wait first
        (see `ExportRequest.wait`).
        """
        for r in [r for r in self.requests if self._lock_of(r) is lock and r._status in PENDING]:
            try:
                r.wait(self.timeout, progress=until is None, until=until)
            except ExportFailed:
                pass  # it ended, which is all we wait for
            if r._status in PENDING:
                return False
            self._done_with(r)
        return True

    def _wait_turn(self, conn, notify: str, answer: dict, waited: float) -> float:
        """
        JSOC allows one pending export per address (status 7): wait until the pending one,
        ours or another fetch's or process's, is done. Returns the seconds waited.
        """
        left = None if self.timeout is None else self.timeout - waited
        if left is not None and left <= 0:
            raise TimeoutError(f"{notify} still had a pending JSOC export after {waited:.0f} s of waiting: "
                               f"{answer.get('error')}")
        ours = [r for r in self.requests if r._status in PENDING]
        ids = [r.id for r in ours] or pending_ids(answer)
        if ids:
            log.info(f"JSOC allows one pending export per address, and {notify} has {', '.join(ids)} pending; "
                     "waiting for it to finish first.")
            req = ours[0] if ours else ExportRequest(conn, {"requestid": ids[0], "status": 2}, sleep=self.sleep)
            try:
                if not ours:
                    req.refresh()
                req.wait(left)
            except ExportFailed:
                pass  # it ended, which is all we wait for
            if req.waited > 0:
                return req.waited
        log.info(f"JSOC says {notify} has a pending export ({answer.get('error')}); asking again in "
                 f"{PENDING_PAUSE:g} s.")
        pause = PENDING_PAUSE if left is None else min(PENDING_PAUSE, left)
        (self.sleep or transport.pause)(pause)
        return pause

    def _split(self, group: _ExportGroup, count: int = 2) -> ExportRequest:
        recnums = sorted(group.recnums)
        count = max(2, min(count, len(recnums)))
        bounds = [len(recnums) * k // count for k in range(count + 1)]
        parts = [group.subset(recnums[a:b]) for a, b in zip(bounds, bounds[1:])]
        # Replace the group in place, keeping the order of submission.
        items = list(self.groups.items())
        idx = next(i for i, (_, g) in enumerate(items) if g is group)
        items[idx:idx + 1] = [((*group.key, tuple(p.recnums)), p) for p in parts]
        self.groups = dict(items)
        return self._submit(parts[0])

    def submit_next(self) -> ExportRequest | None:
        for g in self.groups.values():
            if g.request is None:
                return self._submit(g)
        return None

    def submit_all(self) -> list[ExportRequest]:
        while self.submit_next() is not None:
            pass
        return list(self.requests)

    # ---------------------------------------------------------------- files
    def _template(self) -> str:
        path = self.path
        if path is None:
            path = os.path.join(sunpy_config.get("downloads", "download_dir"), "{file}")
        path = str(path)
        if "{file}" not in path:
            path = os.path.join(path, "{file}")
        return os.path.expanduser(path)

    def _target(self, filename: str, fields: dict[str, Any]) -> str:
        template = self._template()
        try:
            return template.format(file=filename, **fields)
        except (KeyError, IndexError, ValueError) as e:
            valid = ", ".join(sorted(["file", *fields]))
            raise ValueError(f"The path template {template!r} uses an unknown field ({e}); valid fields: {valid}") \
                from None

    def _export_downloads(self, req: ExportRequest) -> list[_Download]:
        group = req.group
        part = group.part if group is not None else None
        if req.tarfile:
            name = os.path.basename(req.tarfile)
            return [_Download(req.urls[0], name, {"series": group.info.name if group else ""}, part=part,
                              recnums=tuple(group.recnums) if group else ())]
        out = []
        files = req.files
        keys = [re.sub(r"\{[^}]*\}$", "", f.record).replace("_mod[", "[", 1) for f in files]
        # A picked-up export's records that are done already, or come another way now, are left out.
        only = group is not None and group.picked and any(k in group.names for k in keys)
        for f, key in zip(files, keys):
            if only and key not in group.names:
                continue
            fields = dict(group.rows.get(key, {})) if group else {}
            fields.setdefault("series", key.split("[", 1)[0])
            seg = re.search(r"\{([^}]*)\}$", f.record)
            if seg:
                segment = seg.group(1)
            elif group is not None:
                segment = _segment_of(f.filename, group.segments, _linked_files(connection(group.server), group.info))
            else:
                segment = None
            fields.setdefault("segment", segment or "")
            name = f.filename
            if req.protocol == "as-is" and "/" in f.url.split("://", 1)[1] and group is not None:
                name = _direct_name(group.info, key, fields["segment"], f.filename)
            recnum = group.names.get(key) if group is not None else None
            ckey = aliases = None
            if recnum is not None and segment:
                ckey = group.cache_key(recnum, segment)
            elif group is None:
                ckey, aliases = _by_id_keys(req, f)
            out.append(_Download(f.url, name, fields, cache_key=ckey, part=part,
                                 recnums=() if recnum is None else (recnum,), cache_aliases=aliases))
        return out

    def _record_keywords(self, items: list[_Download]) -> dict[tuple[str, str], dict[str, str]]:
        """
        All keywords of the records to write as FITS: from the search when it asked for them
        all, else ``rs_list`` per server and series (one per `RECORDS_PER_REQUEST` records).
        """
        wanted: dict[tuple[str, str], tuple[Any, set[int]]] = {}
        out: dict[tuple[str, str], dict[str, str]] = {}
        for d in items:
            if d.fits_from is None:
                continue
            server, info, record, _, recnum = d.fits_from
            known = d.known_keywords.get(recnum) if d.known_keywords else None
            if known is not None:
                out[(server, record)] = known
                continue
            wanted.setdefault((server, info.name), (info, set()))[1].add(recnum)
        for (server, _name), (info, recnums) in wanted.items():
            conn = connection(server)
            for ds in record_sets(info, recnums):
                answer = conn.rs_list(ds, key=["**ALL**"], recinfo=True)
                names = [r["name"] for r in answer.get("recinfo", [])]
                columns = [(k["name"], k["values"]) for k in answer.get("keywords", [])]
                for i, rec in enumerate(names):
                    out[(server, rec)] = {k: v[i] for k, v in columns}
        return out

    def _items(self, downloads: list[_Download], keywords=None) -> list[DownloadItem]:
        """Download items with their target paths (and FITS writers for export-free FITS)."""
        from sunpy_jsocx.fitsexport import fits_export_bytes

        out = []
        for d in downloads:
            target = Path(self._target(d.filename, d.fields))
            transform = None
            if d.fits_from is not None:
                server, info, record, seg, recnum = d.fits_from
                kw = (keywords or {}).get((server, record))
                if kw is None:
                    raise ValueError(f"JSOC returned no keywords for {record}; fetch it with force_export=True")
                defs = connection(server).keyword_defs(info.name)

                def transform(raw, kw=kw, defs=defs, seg=seg, series=info.name, recnum=recnum,
                              primekeys=tuple(info.primekeys)):
                    return fits_export_bytes(raw, kw, defs, segment=seg, series=series, recnum=recnum,
                                             primekeys=primekeys)

            out.append(DownloadItem(d.url, target, transform, d.cache_key, d.filename if d.cache_key else None,
                                    job=(d.part, d.recnums) if d.part is not None else None,
                                    cache_aliases=d.cache_aliases))
        return out

    def _from_cache(self, results: parfive.Results) -> list[_Download]:
        """Serve what the record cache holds (no request); return the downloads still to do."""
        cache = record_cache()
        if cache is None:
            return list(self.direct)
        rest = [d for d in self.direct
                if not self._serve_cached(cache, results, d.cache_key, Path(self._target(d.filename, d.fields)),
                                          d.url, d.part, d.recnums)]
        self._say_cached(cache, len(self.direct) - len(rest))
        return rest

    def _serve_cached(self, cache, results: parfive.Results, key: str | None, target: Path, url: str,
                      part: str | None, recnums) -> bool:
        """Copy one file from the record cache into place (no request), if it holds it; True if so."""
        # A file already there is the downloader's to verify and keep (it reads it once);
        # "unique" never writes over one.
        if not key or (self.overwrite is not True and target.exists()) or not cache.get(key, target):
            return False
        results.append(path=str(target), url=url)
        self._completed(part, tuple(recnums), target)
        return True

    def _say_cached(self, cache, served: int) -> None:
        if served and self.progress:
            log.info(f"{served} file(s) from the record cache ({cache.root}), no request made for them")

    def _cached_items(self, results: parfive.Results, items: list[DownloadItem]) -> list[DownloadItem]:
        """Put in place the items the record cache holds (no request); return the rest."""
        cache = record_cache()
        if cache is None:
            return items
        rest = []
        for item in items:
            part, recnums = item.job if item.job is not None else (None, ())
            if not self._serve_cached(cache, results, item.cache_key, Path(item.path), item.url, part, recnums):
                rest.append(item)
            elif self._tracker is not None:
                self._tracker.done()
        self._say_cached(cache, len(items) - len(rest))
        return rest

    def _exports_from_cache(self, results: parfive.Results) -> None:
        """
        Leave out of the exports the records whose every file the record cache holds (copied
        into place, no request): an offline record fetched before, into any folder, is not
        exported again.
        """
        cache = record_cache()
        if cache is None or self.overwrite == "unique":
            return
        served = 0
        for key, g in list(self.groups.items()):
            if g.request is not None:
                continue
            kept = []
            for record, recnum in list(g.names.items()):
                if recnum not in g.recnums:
                    continue
                files = []
                for seg in g.segments:
                    ckey = g.cache_key(recnum, seg)
                    name = cache.name(ckey) if ckey else None
                    if name is None:
                        break
                    fields = dict(g.rows.get(record, {}), segment=seg)
                    files.append((ckey, Path(self._target(name, fields))))
                else:
                    kept.append((recnum, files))
            if not kept:
                continue
            done = set()
            for recnum, files in kept:
                placed = []
                for ckey, target in files:
                    if not (self.overwrite is not True and target.exists() and file_problem(target) is None) \
                            and not cache.get(ckey, target):
                        break
                    placed.append(target)
                else:
                    for target in placed:
                        results.append(path=str(target), url="")
                        self._expect[(g.part, recnum)] = self._expect.get((g.part, recnum), 0) + 1
                    for target in placed:
                        self._completed(g.part, (recnum,), target)
                    done.add(recnum)
            if not done:
                continue
            served += len(done)
            rest = [r for r in g.recnums if r not in done]
            if rest:
                self.groups[key] = g.subset(rest)
            else:
                del self.groups[key]
        if served and self.progress:
            log.info(f"{served} record(s) from the record cache ({cache.root}), not exported again")

    def _where(self, fields: dict[str, Any] | None = None) -> str:
        """The folder a failed part's files would have gone to (for its error entry)."""
        try:
            return os.path.dirname(self._target("file", dict(fields or {}))) or "."
        except ValueError:
            return os.path.dirname(self._template()) or "."

    def _fail(self, results: parfive.Results, where: str, url: str, error: BaseException, redo: FetchPlan) -> None:
        error._jsocx_plan = redo
        log.warning(f"JSOC fetch: {error}")
        results.add_error(where, url, error)

    def _sub_plan(self) -> FetchPlan:
        plan = FetchPlan(self.client, path=self.path, overwrite=self.overwrite, progress=self.progress,
                         max_conn=self.max_conn, max_splits=self.max_splits, sleep=self.sleep, timeout=self.timeout)
        plan.manifest = self.manifest  # a retry goes on recording the same job
        return plan

    def _expecting(self, d: _Download) -> None:
        if d.part is not None:
            for r in d.recnums:
                self._expect[(d.part, r)] = self._expect.get((d.part, r), 0) + 1

    def _completed(self, part: str | None, recnums: tuple[int, ...], path) -> None:
        """
        A file is in place: into the manifest, and its record(s) with it once all their files are.
        Called from the downloads' worker threads, maybe for two files at once: one at a time here.
        """
        m = self.manifest
        if m is None or part is None:
            return
        with self._completing:
            m.file_done(path, part, recnums)
            for r in recnums:
                left = self._expect.get((part, r), 1) - 1
                self._expect[(part, r)] = left
                if left <= 0:
                    m.record_done(part, r)

    def _download(self, results: parfive.Results, items: list[DownloadItem], meanwhile=None) -> None:
        """
        Download ``items`` over the job's connection (see `run`); ``meanwhile(finished)``, if
        given, runs in this thread while they arrive (the next exports' requests), with a
        function that tells whether they are all in.
        """
        if not items:
            if meanwhile is not None:
                meanwhile(lambda: True)
            return

        def done(item: DownloadItem, path: str) -> None:
            if item.job is not None:
                self._completed(item.job[0], tuple(item.job[1]), path)

        batch = self._session.start(items, on_done=done)
        try:
            if meanwhile is not None:
                meanwhile(batch.done)
            got = batch.result()
        except BaseException:
            batch.cancel()
            raise
        finally:
            if self.manifest is not None:
                self.manifest.save()
        results.data += got.data
        results._urls += got.urls
        results._errors += got.errors

    def _export_items(self, results: parfive.Results, req: ExportRequest) -> list[DownloadItem]:
        try:
            downloads = self._export_downloads(req)
            for d in downloads:
                self._expecting(d)
            return self._items(downloads)
        except (ExportFailed, JSOCError) as error:
            redo = self._sub_plan()
            redo.add_staged(req)
            self._fail(results, self._where(), _status_url(req), error, redo)
            return []

    def run(self, timeout: float | None = None) -> parfive.Results:
        """
        Download everything: export-free files first, then each export as it is ready.

        The job's manifest (`sunpy_jsocx.manifest`) in the output folder records each
        export when it is submitted and each file when it is in place, so that running
        the same fetch again after an interruption skips the finished records and
        picks the exports up by id.

        Parameters
        ----------
        timeout
            Seconds to wait for each export at most (default: the plan's `timeout`).

        Returns
        -------
        `parfive.Results`
            The files, and an error for each part that failed (redo them with `retry`).
        """
        timeout = check_timeout(timeout) if timeout is not None else self.timeout
        self.timeout = timeout
        results = parfive.Results()
        if self.manifest is None:
            self.manifest = self._open_manifest()
        # One progress over the whole job, and one download connection for all its batches.
        tracker = FetchTracker(self.progress) if self.progress else None
        try:
            with DownloadSession(max_conn=self.max_conn, progress=self.progress is True, overwrite=self.overwrite,
                                 tracker=tracker) as session:
                self._session, self._tracker, self._listed = session, tracker, {}
                self._run(results)
        finally:
            self._session = self._tracker = None
            if tracker is not None:
                tracker.close()
            if self.manifest is not None:
                self.manifest.save()
        if self.manifest is not None and not results.errors:
            self.manifest.finish()
        return results

    def _open_manifest(self) -> JobManifest | None:
        """The job's manifest (read if an earlier run left one); None for a plan of no records."""
        if not self.parts:
            return None
        template = self._template()
        fixed = template.split("{", 1)[0]
        folder = fixed if fixed.endswith(os.sep) else (os.path.dirname(fixed) or ".")
        parts = {k: dict(desc, records=ranges(recs)) for k, (desc, recs) in sorted(self.parts.items())}
        manifest = JobManifest(folder, template, parts)
        if manifest.resumed:
            log.info(f"Resuming the job recorded in {manifest.path}.")
        return manifest

    def _collected(self, requestid: str) -> None:
        """An export fetched by id (``get ID``): the job that asked for it may be complete now."""
        try:
            folder = os.path.dirname(self._template().split("{", 1)[0] + "x") or "."
        except ValueError:
            return
        m = JobManifest.recording(folder, requestid)
        if m is None:
            return
        m.collected(requestid)
        if m.all_done():
            m.finish()

    def _skip_done(self, results: parfive.Results) -> None:
        """Leave out the records the manifest has as finished (their files are in the results)."""
        m = self.manifest
        if m is None or self.overwrite is not False:
            return
        done = {part: m.done(part) for part in self.parts}
        if not any(done.values()):
            return
        files = m.files_by_record()
        shown: set[Path] = set()
        skipped = 0

        def keep(part, recnum) -> bool:
            nonlocal skipped
            if recnum not in done.get(part, ()):
                return True
            for f in files.get((part, recnum), []):
                if f not in shown:
                    shown.add(f)
                    results.append(path=str(f), url="")
            skipped += 1
            return False

        self.direct = [d for d in self.direct if not d.recnums or keep(d.part, d.recnums[0])]
        for key, g in list(self.groups.items()):
            part = g.part
            kept = [r for r in g.recnums if keep(part, r)]
            if len(kept) == len(g.recnums):
                continue
            if kept:
                self.groups[key] = g.subset(kept)
            else:
                del self.groups[key]
        if skipped:
            log.info(f"{skipped} record(s) already complete in {m.folder} (job manifest {m.path.name}); "
                     "not fetched again")

    def _resume_exports(self) -> None:
        """Carve the records of exports the manifest recorded out of the groups, to pick them up by id."""
        m = self.manifest
        if m is None:
            return
        resumed: list[tuple[tuple, _ExportGroup]] = []
        for entry in m.exports():
            recorded = parse_ranges(entry.get("records", ""))
            for key, g in list(self.groups.items()):
                if g.part != entry.get("part") or g.request is not None:
                    continue
                overlap = [r for r in g.recnums if r in recorded]
                if not overlap:
                    continue
                sub = g.subset(overlap)
                sub.resume_id = entry["id"]
                sub.resume_submitted = float(entry.get("submitted", 0))
                resumed.append(((*key, "resume", entry["id"]), sub))
                rest = [r for r in g.recnums if r not in recorded]
                if rest:
                    self.groups[key] = g.subset(rest)
                else:
                    del self.groups[key]
        # Records never submitted go in exports of the size JSOC accepted before, not in halves
        # of what is left (which would make more, smaller exports than one uninterrupted run).
        accepted: dict[str, int] = {}
        for entry in m.exports():
            n = len(parse_ranges(entry.get("records", "")))
            accepted[entry.get("part")] = max(accepted.get(entry.get("part"), 0), n)
        rest: list[tuple[tuple, _ExportGroup]] = []
        for key, g in self.groups.items():
            size = accepted.get(g.part, 0)
            if g.request is None and size and len(g.recnums) > size:
                ordered = sorted(g.recnums)
                rest += [((*key, "chunk", i), g.subset(ordered[i:i + size])) for i in range(0, len(ordered), size)]
            else:
                rest.append((key, g))
        self.groups = dict(resumed + rest)

    def _run(self, results: parfive.Results) -> None:
        timeout = self.timeout
        self._skip_done(results)
        self._exports_from_cache(results)
        self._resume_exports()
        # 1. What needs no export: its files arrive whatever happens to the exports.
        direct: list[DownloadItem] = list(self.ready)
        for d in self.direct:
            self._expecting(d)
        todo = self._from_cache(results)
        if todo:
            try:
                direct += self._items(todo, self._record_keywords(todo))
            except (JSOCError, ValueError) as error:
                redo = self._sub_plan()
                redo.direct = list(todo)
                self._fail(results, self._where(todo[0].fields), todo[0].url, error, redo)
        exports = len(self.groups) + len(self.staged)
        if self.progress and (direct or exports):
            log.info(f"{len(direct)} files to download from JSOC storage"
                     + (f", and {exports} export(s) to wait for" if exports else ""))
        if self._tracker is not None:
            with self._tracker.held() as t:
                # Done before (the job's manifest, the record cache) or failed already, then the rest.
                t.expect("there", len(results) + len(results.errors))
                t.done(files=len(results))
                t.fail(len(results.errors))
                t.expect("direct", len(direct))
                self._track_exports()
        self._download(results, direct)
        # 2. Exports picked up by id.
        for req in self.staged:
            try:
                req.wait(timeout)
            except (ExportFailed, TimeoutError, JSOCError) as error:
                if not isinstance(error, TimeoutError):
                    self._done_with(req)
                redo = self._sub_plan()
                redo.add_staged(req)
                self._fail(results, self._where(), _status_url(req), error, redo)
                continue
            self._done_with(req)
            before = len(results.errors)
            items = self._export_items(results, req)
            self._track_exports(req, len(items))
            self._download(results, self._cached_items(results, items))
            if len(results.errors) == before and req.id and req.group is None:
                self._collected(req.id)
        # 3. Our exports, one at a time; the next is submitted while the last one's files download.
        done: set[int] = set()
        while True:
            group = next((g for g in self.groups.values() if id(g) not in done), None)
            if group is None:
                return
            req = None
            try:
                req = group.request or self._submit(group)
                group = req.group or group
                req.wait(timeout)
            except (ExportFailed, TimeoutError, JSOCError, ValueError) as error:
                done.add(id(group))
                if req is not None and not isinstance(error, TimeoutError):
                    self._done_with(req)  # (a timed-out export still pends at JSOC: others wait for it)
                self._fail_group(results, group, error)
                continue
            done.add(id(group))
            self._done_with(req)

            def submit_following(finished, done=frozenset(done)) -> None:
                # While this export's files download, the next ones are requested: the next at
                # once (this one is done), the one after as soon as the next is done at JSOC
                # (one pending export per address), unless the files are all in first
                # (``finished()``): then the loop below takes over, and an error of the
                # downloads reaches the caller without waiting for a staging. Staging so runs
                # up to STAGE_AHEAD exports ahead and never waits for a download to end. The
                # job's manifest, shared with the downloads' threads meanwhile, takes one
                # change at a time.
                for _ in range(STAGE_AHEAD):
                    left = [g for g in self.groups.values() if id(g) not in done]  # (a split adds groups)
                    if sum(g.request is not None for g in left) >= STAGE_AHEAD:
                        return
                    following = next((g for g in left if g.request is None), None)
                    if following is None:
                        return
                    try:
                        if not self._wait_own(self._lock(following.server, following.notify), until=finished):
                            return
                        self._submit(following)
                    except (ExportFailed, JSOCError, TimeoutError, ValueError):
                        return  # reported when its turn comes

            before = len(results.errors)
            items = self._export_items(results, req)
            self._track_exports(group, len(items) if len(results.errors) == before else None)
            self._download(results, items, meanwhile=submit_following)

    def _track_exports(self, listed=None, files: int | None = None) -> None:
        """
        Tell the job's progress what the exports will bring: the files each listed (``listed``,
        an export group or a staged request, has just listed ``files``; None if it failed,
        whose estimate then counts as failed), and records × segments for those still to come.
        """
        t = self._tracker
        if t is None:
            return
        if listed is not None:
            estimate = _files_expected(listed) if isinstance(listed, _ExportGroup) else 0
            self._listed[id(listed)] = estimate if files is None else files
            if files is None:
                t.fail(estimate)
        total = done = 0
        for part in [*self.groups.values(), *self.staged]:
            n = self._listed.get(id(part))
            if n is None:
                total += _files_expected(part) if isinstance(part, _ExportGroup) else 0
            else:
                total, done = total + n, done + 1
        t.expect("exports", total)
        t.set_exports(done, len(self.groups) + len(self.staged))

    def _fail_group(self, results: parfive.Results, group: _ExportGroup, error: BaseException) -> None:
        self._track_exports(group, None)
        redo = self._sub_plan()
        req = group.request
        if req is not None and req.id and isinstance(error, TimeoutError):
            redo.add_staged(req)  # still staging at JSOC: pick it up by its id, do not ask again
        else:
            again = group.subset(group.recnums)
            redo.groups[again.key] = again
        ds = _recordset.records_recordset(group.info, sorted(group.recnums), group.segments)
        url = f"{connection(group.server).cgi}jsoc_fetch?op=exp_request&ds={quote(ds)}"
        self._fail(results, self._where(next(iter(group.rows.values()), None)), url, error, redo)


def _by_id_keys(req: ExportRequest, f) -> tuple[str | None, Callable[[Path], list[str]] | None]:
    """
    The record cache's keys of a file of an export fetched by its id alone: the export's own
    (its id, when and where JSOC made it, the file's name), and for a plain ``fits`` export the
    record's, read from the file (`sunpy_jsocx.recordcache.record_keys_of_fits`).
    """
    from sunpy_jsocx.recordcache import export_file_key, record_keys_of_fits

    protocol = req.protocol.strip().lower()
    if req.method not in ("url", "url_quick") or protocol.split(",", 1)[0] in ("mp4", "mpg") or not req.id:
        return None, None
    made, folder = str(req._answer.get("exptime") or ""), str(req._answer.get("dir") or "")
    if not (made or folder):
        return None, None
    server = req._conn.url
    key = export_file_key(server, req.id, made, folder, f.filename)
    if protocol != "fits" or "_mod[" in f.record:
        return key, None
    return key, lambda path: record_keys_of_fits(path, server, protocol)


def _files_expected(group: _ExportGroup) -> int:
    """The files an export of the group will list, as far as is known before it does."""
    if group.method.endswith("-tar") or group.protocol.split(",", 1)[0].lower() in ("mp4", "mpg"):
        return 1
    return len(group.recnums) * max(1, len(group.segments))


def _status_url(req: ExportRequest) -> str:
    return f"{req._conn.cgi}jsoc_fetch?op=exp_status&requestid={quote(str(req.id or ''))}"


def record_sets(info, recnums) -> list[str]:
    """
    Record sets selecting exactly ``recnums``, each short enough for one GET request.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> info = SeriesInfo.from_struct("hmi.M_45s", {"primekeys": [], "keywords": [], "segments": []})
    >>> record_sets(info, [1, 2, 3, 7])
    ['hmi.M_45s[:#1-#3,#7]']
    >>> [ds.count("#") for ds in record_sets(info, range(0, 2 * RECORDS_PER_REQUEST + 1, 2))]
    [300, 1]
    """
    ordered = sorted({int(r) for r in recnums})
    runs: list[list[int]] = []
    for r in ordered:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    out = []
    for i in range(0, len(runs), RECORDS_PER_REQUEST):
        chunk = [r for run in runs[i:i + RECORDS_PER_REQUEST] for r in run]
        out.append(_recordset.records_recordset(info, chunk))
    return out


def retry(results: parfive.Results, *, progress: bool = True, overwrite=False) -> parfive.Results:
    """
    Do again exactly the parts of a sunpy-jsocx fetch that failed.

    Each error entry a fetch reported carries what it needs: a file is downloaded again
    to the same path and written the same way (an export-free FITS file gets its
    header); an export is requested again or, if it was still staging, picked up by its
    id. All of it runs over one connection. Errors from other clients are left out.

    Returns
    -------
    `parfive.Results`
        The new files, and the errors that remain (which can be retried again).
    """
    plans: list[FetchPlan] = []
    items: list[DownloadItem] = []
    for err in results.errors:
        plan = getattr(err.exception, "_jsocx_plan", None)
        item = getattr(err.exception, "_jsocx_item", None)
        if plan is not None:
            plans.append(plan)
        elif item is not None:
            items.append(item)
    merged = plans[0] if plans else FetchPlan(None)
    for p in plans[1:]:
        merged.absorb(p)
    merged.ready += items
    merged.progress = progress
    merged.overwrite = overwrite
    return merged.run()


def is_ours(error) -> bool:
    """Whether a `parfive.Results` error entry came from a sunpy-jsocx fetch (and `retry` can redo it)."""
    exc = getattr(error, "exception", None)
    return getattr(exc, "_jsocx_plan", None) is not None or getattr(exc, "_jsocx_item", None) is not None


class FetchJob:
    """
    A fetch that has started (its first export is submitted) but not waited.

    Call ``.wait()`` to finish staging and download; it returns `parfive.Results`.
    """

    def __init__(self, plan: FetchPlan):
        self.plan = plan
        self.results: parfive.Results | None = None

    def start(self) -> FetchJob:
        self.plan.submit_next()
        return self

    @property
    def requests(self) -> list[ExportRequest]:
        return list(self.plan.requests)

    def wait(self, timeout: float | None = None) -> parfive.Results:
        if self.results is None:
            self.results = self.plan.run(timeout)
        return self.results

    def __repr__(self) -> str:
        ids = [r.id for r in self.plan.requests]
        return f"<FetchJob {len(self.plan.direct)} direct files, exports {ids}>"


def attach_to_downloader(downloader: parfive.Downloader, plan: FetchPlan) -> None:
    """
    Queue a plan on a downloader that someone else (Fido) will run.

    The first plan replaces the downloader's ``download`` with one that merges all
    queued plans (so OR branches share one export), runs them over one connection,
    then runs the downloader's own queue and returns the combined results.
    """
    plan.progress = downloader.config.progress
    plan.overwrite = downloader.config.overwrite
    plans = getattr(downloader, "_jsocx_plans", None)
    if plans is None:
        plans = downloader._jsocx_plans = []
        original = downloader.download

        def download():
            merged = None
            while plans:
                p = plans.pop(0)
                if merged is None:
                    merged = p
                else:
                    merged.absorb(p)
            ours = merged.run() if merged is not None else parfive.Results()
            if not downloader.queued_downloads:
                return ours
            theirs = original()
            # parfive leaves the loop it made open, with signal handlers; collect it here, in
            # this thread, before another thread's garbage collection fails to close it.
            gc.collect()
            theirs.data += ours.data
            theirs._errors += ours.errors
            return theirs

        downloader.download = download
    plans.append(plan)
