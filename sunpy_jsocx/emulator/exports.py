"""
The emulator's export manager: ``jsoc_fetch`` ``exp_request`` and ``exp_status``.

Follows jsoc-api.md §3.7–3.8 and §5: the order of the server's checks, status
codes, one pending request per address, duplicate reuse, the size limit,
immediate ``url_quick``/``as-is`` answers for online data, staged exports that go
2 → 1 → 0 after the staging delay, and expiry after seven days. Time comes from
an injected clock, so tests never sleep.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.images import parse_image_args
from sunpy_jsocx.emulator.links import linked_segment, target_time_strings
from sunpy_jsocx.emulator.movie import movie_name
from sunpy_jsocx.emulator.records import EXPORT_SERIES_CODE, QueryError, RecordBatch, RecordStore

__all__ = ["Export", "ExportManager", "ExportFile", "ALLOWED_PROCESSING", "MOVIE_RECORD"]

REQUEST_ID_RE = re.compile(r"^JSOC_[0-9]{8}_[0-9]+(_X)?(_IN)?$")
#: Processing steps jsoc_fetch accepts (jsoc-api.md §3.7).
ALLOWED_PROCESSING = {"im_patch", "resize", "rebin", "aia_scale_aialev1", "aia_scale_orig", "aia_scale_other",
                      "maproj", "hmib2ptr", "n"}
EXPIRY_SECONDS = 7 * 86400.0
DUPLICATE_WINDOW = 86400.0
PENDING_TIMEOUT = 3600.0
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._+\-]")


def _expired_id(requestid: str, now: float) -> bool:
    """
    Whether ``requestid`` names a day whose exports JSOC has deleted by ``now``.

    JSOC names a request after the UTC day it was made (``JSOC_YYYYMMDD_NNN``) and keeps
    its results 7 days, then answers status 5 (jsoc-api.md §5.1, §5.6, from jsoc_fetch.c
    and AjaxJsocConnect). An id of a day more than 7 days before the emulator's clock
    that this emulator did not make stands for such a request (drms's
    ``skip_export_from_id.py`` asks for ``JSOC_20201101_198``), so it gets JSOC's status
    5, not "not found". Emulator inference: whether JSOC still knows a request that old
    is recorded nowhere; status 5 is what its documentation says of old results.

    >>> _expired_id("JSOC_20201101_198", datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    True
    >>> _expired_id("JSOC_20261128_001", datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    False
    """
    try:
        day = datetime.strptime(requestid[5:13], "%Y%m%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return False
    return now - (day + 86400.0) > EXPIRY_SECONDS


def _deleted(requestid: str) -> dict[str, Any]:
    """JSOC's status-5 answer for a request whose results are past the 7 days it keeps them."""
    return {"status": 5, "requestid": requestid,
            "error": "Request was completed but is now deleted, 7 day limit exceeded", "wait": 999999,
            "contact": "jsoc_help@jsoc.stanford.edu"}
#: A printf conversion as JSOC's filenamefmt takes (exputil.c hands it to snprintf):
#: flags, width and precision of at most two digits, a C length modifier, one conversion.
_PRINTF_SPEC = re.compile(r"%(?P<flags>[-+ 0#]*)(?P<width>\d{0,2})(?P<prec>\.\d{0,2})?(?:hh|h|ll|l|L|j|z|t|q)?"
                          r"(?P<conv>[diouxXeEfFgGs])")
#: JSOC's own time layouts: an optional letter ("A" alternate, "D" directory), a precision, a zone.
_TIME_SPEC = re.compile(r"[A-Za-z]?-?\d{0,2}(,[A-Za-z][A-Za-z0-9_]{0,15})?")
#: Longest filenamefmt JSOC keeps (its format buffer in exputil.c is 1,024 bytes).
MAX_FILENAMEFMT = 1023


def check_filenamefmt(fmt: str) -> str | None:
    """
    Why JSOC's exporter could not use ``fmt``, or None if it can.

    Each ``{name}`` or ``{name:spec}`` needs ``spec`` empty, a single printf
    conversion (``%d``, ``%05d``, ``%lld``, ``%.3f``, ``%s``, ...; integer ones
    for ``recnum`` and ``#``), or for time keywords a JSOC time layout (``A``,
    ``D``, a precision, a zone).
    """
    if len(fmt) > MAX_FILENAMEFMT:
        return f"filenamefmt is {len(fmt)} characters long; at most {MAX_FILENAMEFMT}"
    for token in re.findall(r"\{([^{}]*)\}", fmt):
        name, colon, spec = token.partition(":")
        if not name:
            return f"empty name in filenamefmt field {{{token}}}"
        if not colon or not spec:
            continue
        if name in ("seriesname", "segment"):
            return f"{{{name}}} in filenamefmt takes no format, got {{{token}}}"
        m = _PRINTF_SPEC.fullmatch(spec)
        if m is not None:
            if name in ("recnum", "#") and m.group("conv") not in "diouxX":
                return (f"{{{name}}} in filenamefmt is an integer; use an integer conversion such as %d or %05d, "
                        f"not {spec!r}")
            continue
        if spec.startswith("%") or name in ("recnum", "#") or not _TIME_SPEC.fullmatch(spec):
            return (f"bad format {spec!r} in filenamefmt field {{{token}}}; use one printf conversion "
                    "such as %d, %05d, %lld, %.3f or %s (width and precision of at most two digits)")
    return None


def _image_segment(model, segment: str) -> bool:
    """Whether a segment holds a 2-D image the jpg protocol can render."""
    return model.segment_kind(segment) not in (None, "text", "generic")


def _printf(spec: str, value: str) -> str:
    """Apply a checked printf spec to a keyword's string value (C length modifiers dropped)."""
    m = _PRINTF_SPEC.fullmatch(spec)
    if m is None:
        return value
    py = "%" + m.group("flags") + m.group("width") + (m.group("prec") or "") + m.group("conv")
    try:
        if m.group("conv") == "s":
            return py % value
        number = float(value)
        if m.group("conv") in "eEfFgG":
            return py % number
        return py % int(number)
    except (TypeError, ValueError, OverflowError):
        return value
_BYTES_PER_PIXEL = {"char": 1, "short": 2, "int": 4, "longlong": 8, "float": 4, "double": 8}


#: The record name JSOC's index gives an export's movie (lm-jps/drms base/export/scripts/
#: jsoc_export_as_images: ``printf "movie of the following data\t$seriesname.$mvtype"``);
#: drms recognises the movie by its ``movie`` prefix.
MOVIE_RECORD = "movie of the following data"


@dataclass
class ExportFile:
    """
    One file of an export: which record and segment it holds, and how it is made.

    ``kind`` is ``"data"`` for a record's file (FITS, as-is or JPEG) and ``"movie"`` for the
    MP4 of an ``mp4`` export, which is made of the export's JPEG frames (its ``batch``,
    ``index`` and ``segment`` are those of the first frame).
    """

    filename: str
    record: str
    batch: RecordBatch
    index: int
    segment: str
    kind: str = "data"


@dataclass
class Export:
    id: str
    ds: str
    notify: str
    method: str
    protocol: str
    filenamefmt: str | None
    process: str
    created: float
    ready_at: float
    batches: list[RecordBatch]
    sunum: int
    rcount: int
    count: int
    size: int
    status_polls: int = 0
    files: list[ExportFile] = field(default_factory=list)
    completed: bool = False
    steps: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # processing steps

    @property
    def dir(self) -> str:
        return f"/SUM{40 + self.sunum % 60}/D{self.sunum}/S00000"


def _process_steps(process: str) -> tuple[int, list[tuple[str, dict[str, str]]]]:
    """Split ``n=N|step,k=v|...`` into the record limit and the processing steps."""
    limit = 0
    steps = []
    for part in filter(None, (p.strip() for p in process.split("|"))):
        if part.startswith("n="):
            try:
                limit = int(part[2:])
            except ValueError:
                raise QueryError(f"invalid record limit in process: {part!r}") from None
            continue
        name, *args = part.split(",")
        if name.lower() not in ALLOWED_PROCESSING:
            raise QueryError(f"{name} is not one of the allowed processing options")
        kv = {}
        for a in args:
            k, _, v = a.partition("=")
            kv[k.strip()] = v.strip()
        steps.append((name.lower(), kv))
    return limit, steps


def expand_filenamefmt(fmt: str, *, series: str, segment: str, recnum: int, index: int,
                       keyword: Callable[[str], dict | None], value: Callable[[str], str], suffix: str,
                       linked_value: Callable[[str], str | None] | None = None) -> str:
    """
    A record's file name from an export's ``filenamefmt``, as JSOC's export writes it.

    ``{seriesname}``, ``{segment}``, ``{recnum[:%fmt]}``, ``{#}`` (the record's index) and
    ``{KEYWORD[:spec]}`` (``A`` for a time in file-name form, ``%...`` for printf) are
    replaced; an unknown keyword gives ``Invalid_KeyLink`` as JSOC does. ``keyword(name)``
    gives a keyword's definition (or None), ``value(name)`` its value for the record.

    For a linked segment ``segment`` is the target segment's name and ``linked_value(name)``
    the linked (target) record's value of a time keyword, which a time keyword *with* a layout
    takes, as JSOC's ``exputl_mk_expfilename`` does (lm-jps/drms@37272932
    base/export/libs/util/exputil.c: ``drms_getkey_string(tgtseg->record, ...)``); keywords
    without a layout stay the source record's (`sunpy_jsocx.emulator.links`).
    """

    def repl(match):
        token, _, spec = match.group(1).partition(":")
        if token == "seriesname":
            return series
        if token == "segment":
            return segment
        if token == "recnum":
            return _printf(spec, str(recnum)) if spec.startswith("%") else str(recnum)
        if token == "#":
            return str(index)
        kw = keyword(token)
        if kw is None:
            return "Invalid_KeyLink"
        v = value(kw["name"])
        if kw["type"] == "time" and spec and linked_value is not None:
            v = linked_value(kw["name"]) or v
        if kw["type"] == "time" and spec.startswith("A"):
            return jsoctime.time_filename_format(v)
        if spec.startswith("%"):
            return _printf(spec, v)
        return v

    return _SAFE_NAME.sub("_", re.sub(r"\{([^{}]+)\}", repl, fmt) + suffix)


class ExportManager:
    """
    Holds the emulator's exports.

    Parameters
    ----------
    store
        Resolves record sets.
    clock
        Returns the current time in seconds since the Unix epoch (inject for tests).
    staging_delay
        Seconds a staged export takes from request to completion.
    registered
        E-mail addresses JSOC knows as registered.
    size_limit_mb
        JSOC's export size limit.
    notfound_polls
        How many ``exp_status`` calls of a new request answer "not found" (status 6)
        before the request appears, as real JSOC sometimes does.
    image_size
        Pixel size of generated images, for size estimates.
    movies
        Whether ``mp4`` exports are accepted: the server that owns this manager must then
        serve the ``kind="movie"`` file of an export as an MP4 of its JPEG frames
        (:func:`sunpy_jsocx.emulator.movie.mp4_from_jpegs`). Without it ``mp4`` is refused
        (status 4), never answered with other files.
    """

    def __init__(self, store: RecordStore, *, clock, staging_delay: float = 0.0, registered=(),
                 size_limit_mb: int = 100_000, notfound_polls: int = 0, image_size: int = 128,
                 pending_per_email: int = 1, movies: bool = False):
        self.store = store
        self.clock = clock
        self.staging_delay = float(staging_delay)
        self.registered = {e.lower() for e in registered}
        self.size_limit_mb = size_limit_mb
        self.notfound_polls = notfound_polls
        self.image_size = image_size
        self.pending_per_email = pending_per_email
        self.movies = bool(movies)
        self.exports: dict[str, Export] = {}
        self.by_sunum: dict[int, Export] = {}
        self._day_counter: dict[str, int] = {}
        #: Exports created since the last reset of the statistics (a figure; see `JSOCEmulator.stats`).
        self.created = 0
        #: Exports ever created: numbers the storage units, so it is never reset.
        self.sequence = 0

    # ------------------------------------------------------------------ helpers
    def check_address(self, address: str | None) -> dict[str, Any]:
        if not address:
            return {"status": -2, "msg": "Missing required argument 'address'."}
        if not re.fullmatch(r"\s*[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,6}\s*", address):
            return {"status": -2, "msg": "Not a valid email address."}
        if address.strip().lower() in self.registered:
            return {"status": 2, "msg": "Email address is valid and registered."}
        return {"status": 4, "msg": "email address has been neither validated nor registered"}

    def _new_id(self, now: float) -> str:
        day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y%m%d")
        n = self._day_counter.get(day, 0) + 1
        self._day_counter[day] = n
        return f"JSOC_{day}_{n:03d}"

    def _pending(self, email: str, now: float) -> list[Export]:
        return [e for e in self.exports.values()
                if e.notify.lower() == email.lower() and e.ready_at > now and now - e.created < PENDING_TIMEOUT]

    def _segments(self, b: RecordBatch) -> list[str]:
        if b.segments:
            return [b.model.segment(s)["name"] for s in b.segments]
        return [s["name"] for s in b.model.struct["segments"]]

    def _size_bytes(self, batches: list[RecordBatch], full_size: bool = True) -> tuple[int, int]:
        files = 0
        total = 0
        for b in batches:
            for s in self._segments(b):
                seg = b.model.segment(s)
                dims = seg.get("dims") or ""
                npix = 1
                for d in re.findall(r"\d+", dims):
                    npix *= int(d)
                per = npix * _BYTES_PER_PIXEL.get(seg.get("type") or "int", 4) // 2 if npix > 1 else 100_000
                files += len(b)
                total += per * len(b)
        return files, total

    # ------------------------------------------------------------------ exp_request
    def request(self, q: dict[str, str]) -> dict[str, Any]:  # noqa: PLR0911
        now = self.clock()
        ds = q.get("ds", "")
        notify = q.get("notify", "")
        method = q.get("method", "url")
        protocol = q.get("protocol", "as-is")
        protocol_name = protocol.split(",")[0].lower()
        filenamefmt = q.get("filenamefmt") or None
        if "process=n" in q:
            process = "n=" + q["process=n"]
        else:
            process = q.get("process", "")
        # 1. e-mail
        if not notify:
            return {"status": 4, "error": "Email address for notification was not specfied. It is required.",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        chk = self.check_address(notify)
        if chk["status"] != 2:
            return {"status": 4, "error": "Cannot process your request. " + chk["msg"],
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        if method not in ("url", "url_quick", "url-tar", "url_direct"):
            return {"status": 4, "error": f"Method {method} is not supported; use url, url_quick or url-tar.",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        # Protocols: JSOC's jsoc_fetch knows as-is, fits, jpg, mpg and mp4 (jsoc-api.md §3.7, §5.1).
        # mp4 is JPEG frames plus an MP4 of them (movie.py) when the server serves movies; mpg
        # (MPEG-1) cannot be written here. A movie that cannot be made is refused the way
        # jsoc_fetch refuses a request it cannot process, never answered with other files.
        if protocol_name == "mpg" or (protocol_name == "mp4" and not self.movies):
            other = "mp4 or jpg" if self.movies else "jpg for images"
            return {"status": 4, "error": f"Cannot process your request. Protocol {protocol_name} (movies) is not "
                    f"available from this JSOC emulator; use protocol {other}, or fits or as-is.",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        if protocol_name not in ("as-is", "fits", "jpg", "mp4"):
            return {"status": 4, "error": f"Cannot process your request. Unknown protocol {protocol_name!r}; "
                    "valid protocols are as-is, fits, jpg, mpg and mp4.",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        if protocol_name in ("jpg", "mp4"):
            try:
                parse_image_args(protocol)
            except ValueError as e:
                return {"status": 4, "error": f"Cannot process your request. Bad {protocol_name} protocol arguments: "
                        f"{e}", "contact": "jsoc_help@jsoc.stanford.edu"}
        # Refused here, so that status polls never meet a format they cannot apply.
        bad_fmt = check_filenamefmt(filenamefmt) if filenamefmt else None
        if bad_fmt:
            return {"status": 4, "error": f"Cannot process your request. {bad_fmt}",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        # 2. load limit
        pending = self._pending(notify, now)
        if len(pending) >= self.pending_per_email:
            ids = ", ".join(e.id for e in pending)
            return {"status": 7, "error": f"User {notify} has {len(pending)} pending export requests ({ids}); please "
                    "wait until at least one request has completed before submitting a new one.",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        # 3. record set
        try:
            limit, steps = _process_steps(process)
            batches = self.store.resolve(ds, limit=limit or None)
        except QueryError as e:
            msg = str(e)
            if "allowed processing" not in msg:
                msg = f"Can not open RecordSet, bad query or too many records: {ds}"
            return {"status": 4, "error": msg, "contact": "jsoc_help@jsoc.stanford.edu"}
        if any(b.model.lname.startswith("jsoc.export") for b in batches):
            return {"status": 4, "error": "Export}} of jsoc_export series not allowed."}
        if protocol_name in ("jpg", "mp4"):
            flat = [(b.model, s) for b in batches for s in self._segments(b)
                    if not _image_segment(b.model, s)]
            if flat:
                m, s = flat[0]
                return {"status": 4, "error": f"Cannot process your request. Segment {s} of {m.name} is not an image; "
                        f"the {protocol_name} protocol exports image segments only.",
                        "contact": "jsoc_help@jsoc.stanford.edu"}
        # 4. duplicates
        for e in self.exports.values():
            if (e.ds == ds and e.method == method and e.protocol == protocol and e.filenamefmt == filenamefmt
                    and e.process == process and now - e.created < DUPLICATE_WINDOW):
                return {"status": 2, "requestid": e.id, "method": method, "protocol": protocol,
                        "wait": max(0, math.ceil(e.ready_at - now)), "rcount": e.rcount, "size": e.size}
        rcount = sum(len(b) for b in batches)
        count, nbytes = self._size_bytes(batches)
        size = 0 if nbytes == 0 else max(1, nbytes // 1_000_000)
        # 5. nothing to export
        if rcount == 0 or count == 0:
            return {"status": 4, "error": "There are no files in this RecordSet",
                    "contact": "jsoc_help@jsoc.stanford.edu"}
        # 6. size limit
        if size > self.size_limit_mb:
            return {"requestid": "VOID", "method": method, "protocol": protocol, "wait": 0, "status": 3,
                    "count": count, "size": size, "error": f"Request exceeds max byte limit of {self.size_limit_mb}MB"}
        online = all(bool(self.store.online(b).all()) for b in batches)
        # 7. url_quick + as-is, all online: immediate answer
        if method == "url_quick" and protocol_name == "as-is" and online and not steps:
            data = []
            for b in batches:
                dirs = self.store.recdir(b)
                names = self.store.record_names(b)
                for i in range(len(b)):
                    for s in self._segments(b):
                        data.append({"record": f"{names[i]}{{{s}}}",
                                     "filename": f"{dirs[i]}/{b.model.segment_file(s)}"})
            return {"rcount": rcount, "count": len(data), "size": size, "dir": "", "data": data, "requestid": "",
                    "method": method, "protocol": protocol, "wait": 0, "status": 0}
        # 8. a staged request
        rid = self._new_id(now)
        self.created += 1
        self.sequence += 1
        sunum = self.sequence * 10000 + EXPORT_SERIES_CODE
        exp = Export(rid, ds, notify, "url" if method == "url_quick" else method, protocol, filenamefmt, process,
                     now, now + self.staging_delay, batches, sunum, rcount, count, size, steps=steps)
        self.exports[rid] = exp
        self.by_sunum[sunum] = exp
        return {"status": 2, "requestid": rid, "method": exp.method, "protocol": protocol,
                "wait": math.ceil(self.staging_delay), "rcount": rcount, "size": size}

    # ------------------------------------------------------------------ exp_status
    def status(self, requestid: str) -> dict[str, Any]:
        now = self.clock()
        if not REQUEST_ID_RE.match(requestid or ""):
            return {"status": 4, "requestid": requestid, "error": f"Bad RequestID '{requestid}' provided.",
                    "wait": 999999, "contact": "jsoc_help@jsoc.stanford.edu"}
        exp = self.exports.get(requestid)
        if exp is not None and exp.status_polls < self.notfound_polls:
            exp.status_polls += 1
            exp = None
        if exp is None:
            if _expired_id(requestid, now):
                return _deleted(requestid)
            return {"status": 6, "requestid": requestid,
                    "error": f"Cant locate export request: jsoc.export[{requestid}]", "wait": 5}
        if now - exp.ready_at > EXPIRY_SECONDS:
            return _deleted(requestid)
        if now < exp.ready_at:
            status = 2 if now < exp.created + self.staging_delay / 2 else 1
            return {"status": status, "requestid": requestid, "method": exp.method, "protocol": exp.protocol,
                    "wait": max(1, math.ceil(exp.ready_at - now)), "rcount": exp.rcount, "size": exp.size}
        self._complete(exp)
        return self.index(exp)

    def _complete(self, exp: Export) -> None:
        if exp.completed:
            return
        for b in exp.batches:
            self.store.stage(b)
        exp.files = self._files(exp)
        exp.completed = True

    def _files(self, exp: Export) -> list[ExportFile]:
        files = []
        proto = exp.protocol.split(",")[0].lower()
        asis = proto == "as-is"
        ext = ".jpg" if proto in ("jpg", "mp4") else ".fits"
        mod = bool(exp.steps)
        seen: set[str] = set()
        for b in exp.batches:
            names = self.store.record_names(b)
            if mod:
                names = [n.replace(b.model.name, b.model.name + "_mod", 1) for n in names]
            fmt = exp.filenamefmt or "{seriesname}.{recnum:%d}.{segment}"
            for i in range(len(b)):
                for s in self._segments(b):
                    fname = self._filename(fmt, b, i, s, asis, mod, ext)
                    base, k = fname, 1
                    while fname in seen:
                        fname = f"{k}.{base}"
                        k += 1
                    seen.add(fname)
                    record = f"{names[i]}{{{s}}}" if asis else names[i]
                    files.append(ExportFile(fname, record, b, i, s))
        if proto == "mp4" and files:  # JSOC's index lists the movie first, then the frames
            first = files[0]
            files.insert(0, ExportFile(movie_name(exp.ds), MOVIE_RECORD, first.batch, first.index, first.segment,
                                       kind="movie"))
        return files

    @staticmethod
    def frames(exp: Export) -> list[ExportFile]:
        """The JPEG frames of an ``mp4`` export's movie, in order (its files but the movie)."""
        return [f for f in exp.files if f.kind != "movie"]

    def _filename(self, fmt: str, b: RecordBatch, i: int, segment: str, asis: bool, mod: bool,
                  ext: str = ".fits") -> str:
        m = b.model
        # A linked segment is named in the record it links to (links.py, JSOC's exputil.c), in
        # fits and as-is exports. Not a processed one: its records are new records of the _mod
        # series with their own segment (drms's remote test test_export_im_patch: an im_patch
        # export of aia.lev1_euv_12s gives files ending in image.fits). The naming of jpg and
        # mp4 frames (jsoc_export_as_images) is not known from public names: the source record's.
        linked = linked_segment(self.store.catalog, m, segment) if (asis or ext == ".fits") and not mod else None
        linked_value = None
        if linked is not None:
            segment = segment if asis else linked.segment

            def linked_value(name, linked=linked):
                values = target_time_strings(self.store, b, linked, name)
                return None if values is None else values[i]

        return expand_filenamefmt(fmt, series=m.name + ("_mod" if mod else ""),
                                  segment=m.segment_file(segment) if asis else segment,
                                  recnum=int(b.recnum[i]), index=i, keyword=m.keyword,
                                  value=lambda name: self.store.strings(b, name)[i], suffix="" if asis else ext,
                                  linked_value=linked_value)

    def index(self, exp: Export) -> dict[str, Any]:
        d = {
            "version": "0.5",
            "requestid": exp.id,
            "method": exp.method,
            "protocol": exp.protocol,
            "count": str(len(exp.files)),
            "size": str(exp.size),
            "exptime": datetime.fromtimestamp(exp.ready_at, tz=UTC).strftime("%Y.%m.%d_%H:%M:%S_UT"),
            "dir": exp.dir,
            "status": "0",
            "keywords": "**IN FITS FILES**" if exp.protocol.startswith("fits") else f"{exp.dir}/{exp.id}.keywords.txt",
            "data": [{"record": f.record, "filename": f.filename} for f in exp.files],
            "wait": 0,
        }
        if exp.method.endswith("-tar"):
            d["tarfile"] = f"{exp.dir}/{exp.id}.tar"
        return d

    def export_for_dir(self, sunum: int) -> Export | None:
        exp = self.by_sunum.get(sunum)
        if exp is None:
            return None
        now = self.clock()
        if now < exp.ready_at or now - exp.ready_at > EXPIRY_SECONDS:
            return None
        self._complete(exp)
        return exp

    def keywords_text(self, exp: Export) -> str:
        lines = []
        for b in exp.batches:
            keys = [k["name"] for k in b.model.keyword_defs if k.get("recscope") != "index"]
            cols = [self.store.strings(b, k) for k in keys]
            lines.append("\t".join(keys))
            for row in zip(*cols):
                lines.append("\t".join(row))
        return "\n".join(lines) + "\n"

    def pending_count(self) -> int:
        now = self.clock()
        return int(np.sum([e.ready_at > now for e in self.exports.values()]))
