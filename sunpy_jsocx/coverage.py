"""
Look before you download: what a search found, from the search table alone.

`summary` says in words what a result holds (records, time span, cadence, gaps,
flagged records, what is online, how much a download would be) and
`plot_coverage` draws it: time along the x axis, one row per value of the
series' other prime keys (wavelength, HARP number, camera, ...), a mark per
record, gaps left blank, records with a nonzero ``QUALITY`` marked apart.

Neither makes a request. Everything comes from the table's columns and, where
the series' metadata was already fetched in this process (it is, after a
search), from that: the slot step (cadence) and the segment dimensions and
types (for the size). What is not known is said to be unknown rather than
guessed: without a ``QUALITY`` column (ask for it with ``keys=["QUALITY"]`` or
``a.jsocx.Keyword``) the flagged records are "not known"; without the segment
dimensions the size is "unknown".

Both work on a `~sunpy_jsocx.response.JSOCXResponse` (also a slice or a row,
which have them as methods too) and on a whole ``Fido`` result
(`~sunpy.net.fido_factory.UnifiedResponse`), whose JSOCX blocks they gather.

The pieces (`estimate_cadence`, `find_gaps`, `segment_bytes`, `coverage`) are
plain functions on arrays and tables, with no I/O; matplotlib is imported only
by `plot_coverage`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.time import Time, TimeDelta

__all__ = [
    "GAP_FACTOR", "Gap", "Track", "Coverage", "estimate_cadence", "find_gaps", "segment_bytes",
    "format_duration", "format_bytes", "coverage", "summary", "plot_coverage",
]

#: A step between two records longer than this many cadences is a gap.
GAP_FACTOR = 3.0

#: Bytes per value of JSOC's segment types.
TYPE_BYTES = {"char": 1, "byte": 1, "short": 2, "int": 4, "longlong": 8, "float": 4, "double": 8}

#: Prime keys looked for in the table when the series' metadata is not at hand.
COMMON_PRIME_KEYS = ("WAVELNTH", "HARPNUM", "TARPNUM", "CAMERA", "CARRINGTON", "CAR_ROT_SYN")

_MJD_UNIX = 40587.0  # MJD of 1970-01-01


@dataclass(frozen=True)
class Gap:
    """
    A stretch without records: from the record before it to the record after it.

    Attributes
    ----------
    start : float
        Time of the last record before the gap (in the units of the times given).
    duration : float
        Time from that record to the next one.
    missing : int
        Records the cadence would have put in the gap.
    """

    start: float
    duration: float
    missing: int


def estimate_cadence(times: Sequence[float] | np.ndarray) -> float | None:
    """
    The usual step between consecutive records: the median of the positive steps.

    Records at the same time (other wavelengths, other HARPs) do not count as steps,
    and a few gaps do not move the median.

    Parameters
    ----------
    times : numpy.ndarray or list of float
        Record times in any order, e.g. seconds.

    Returns
    -------
    float or None
        The cadence, in the units of ``times``; None with fewer than two distinct times.

    Examples
    --------
    >>> from sunpy_jsocx.coverage import estimate_cadence
    >>> estimate_cadence([0, 12, 24, 36, 48, 600, 612])
    12.0
    >>> estimate_cadence([5.0]) is None
    True
    """
    t = np.unique(np.asarray(times, dtype=float))
    if t.size < 2:
        return None
    return float(np.median(np.diff(t)))


def find_gaps(times: Sequence[float] | np.ndarray, cadence: float | None = None,
              factor: float = GAP_FACTOR) -> list[Gap]:
    """
    The steps between consecutive records longer than ``factor`` cadences.

    Parameters
    ----------
    times : numpy.ndarray or list of float
        Record times in any order (e.g. seconds).
    cadence : float, optional
        The expected step; `estimate_cadence` of ``times`` when not given.
    factor : float
        How many cadences a step must exceed to be a gap (default `GAP_FACTOR`).

    Returns
    -------
    list of Gap
        In time order. ``start`` is the time of the record before the gap, ``duration``
        the time to the next record, ``missing`` the records the cadence would have put
        between them.

    Raises
    ------
    ValueError
        If ``cadence`` or ``factor`` is not a positive number.

    Examples
    --------
    >>> from sunpy_jsocx.coverage import find_gaps
    >>> find_gaps([0, 12, 24, 36, 48, 600, 612, 624])
    [Gap(start=48.0, duration=552.0, missing=45)]
    >>> find_gaps([0, 12, 24, 48], factor=1.5)
    [Gap(start=24.0, duration=24.0, missing=1)]
    """
    if not (isinstance(factor, (int, float)) and factor > 0):
        raise ValueError(f"factor must be a positive number of cadences, not {factor!r}")
    t = np.unique(np.asarray(times, dtype=float))
    if cadence is None:
        cadence = estimate_cadence(t)
        if cadence is None:
            return []
    if not (cadence > 0 and math.isfinite(cadence)):
        raise ValueError(f"cadence must be a positive number, not {cadence!r}")
    steps = np.diff(t)
    where = np.flatnonzero(steps > factor * cadence)
    return [Gap(float(t[i]), float(steps[i]), max(int(round(steps[i] / cadence)) - 1, 0)) for i in where]


def segment_bytes(segment, linked=None) -> int | None:
    """
    Bytes of one file of a segment, uncompressed, from its declared dimensions and type.

    Parameters
    ----------
    segment : `~sunpy_jsocx.seriesinfo.SegmentInfo`
        The segment.
    linked : `~sunpy_jsocx.seriesinfo.SegmentInfo`, optional
        For a linked segment (``protocol`` "link via ..."), the segment it links to.

    Returns
    -------
    int or None
        None when the dimensions vary (``VARxVAR``), are not given, or the type is unknown.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SegmentInfo
    >>> from sunpy_jsocx.coverage import segment_bytes
    >>> segment_bytes(SegmentInfo("magnetogram", "int", "Gauss", "fits", "4096x4096"))
    67108864
    >>> segment_bytes(SegmentInfo("spikes", "int", "", "fits", "VARxVAR")) is None
    True
    """
    seg = segment
    if not seg.dims and linked is not None:
        seg = linked
    size = TYPE_BYTES.get((seg.type or "").lower())
    dims = (seg.dims or "").lower().split("x")
    if size is None or not seg.dims or not all(d.strip().isdigit() for d in dims):
        return None
    return size * math.prod(int(d) for d in dims)


def format_duration(seconds: float) -> str:
    """
    A duration in the largest sensible units.

    Examples
    --------
    >>> from sunpy_jsocx.coverage import format_duration
    >>> format_duration(12), format_duration(552), format_duration(90061)
    ('12 s', '9 min 12 s', '1 d 1 h 1 min')
    """
    s = float(seconds)
    if s < 60:
        return f"{s:g} s"
    if s < 3600:
        m, r = divmod(round(s), 60)
        return f"{m} min {r} s" if r else f"{m} min"
    if s < 86400:
        h, r = divmod(round(s / 60), 60)
        return f"{h} h {r} min" if r else f"{h} h"
    d, r = divmod(round(s / 60), 1440)
    h, m = divmod(r, 60)
    return " ".join(p for p in (f"{d} d", f"{h} h" if h else "", f"{m} min" if m else "") if p)


def format_bytes(n: float | None) -> str:
    """
    A size in B, kB, MB, GB or TB (powers of 1000), or "unknown".

    Examples
    --------
    >>> from sunpy_jsocx.coverage import format_bytes
    >>> format_bytes(67108864), format_bytes(None)
    ('67.1 MB', 'unknown')
    """
    if n is None:
        return "unknown"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    raise AssertionError("unreachable")


@dataclass
class Track:
    """
    The records of one row of the coverage plot (one series and prime-key value).

    Attributes
    ----------
    label : str
        What the row is, e.g. ``WAVELNTH 171``.
    seconds : numpy.ndarray
        Record times, sorted, in seconds from `Coverage.epoch`.
    flagged : numpy.ndarray or None
        Per record, whether its ``QUALITY`` is nonzero; None when not known.
    cadence : float or None
        `estimate_cadence` of ``seconds`` (or the coverage's cadence with a single record).
    gaps : list of Gap
        `find_gaps` of ``seconds`` (starts in seconds from `Coverage.epoch`).
    """

    label: str
    seconds: np.ndarray
    flagged: np.ndarray | None
    cadence: float | None = None
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class Coverage:
    """
    What a result holds, worked out from its table (see `coverage`).

    Attributes
    ----------
    tracks : list of Track
        One per series and prime-key value, in order of first appearance.
    series : list of str
        The series the rows come from.
    epoch : `~astropy.time.Time` or None
        The time the track seconds count from (the first record).
    scale : str
        The time scale of the record times (``utc``, ``tai``).
    time_key : str
        The time column used (``T_REC`` mostly).
    cadence : float or None
        Median of the tracks' cadences, in seconds.
    slot_step : float or None
        The series' slot step in seconds, when its metadata is at hand.
    sample : float or None
        The ``a.Sample`` interval asked for, in seconds.
    n_records, n_flagged, n_online, n_offline : int
        Counts; ``n_flagged`` is None when ``QUALITY`` is not in the table, the online
        counts are None without the ``_online`` column.
    size : int or None
        Estimated download size in bytes (uncompressed) of the segments whose size is
        declared; None when no segment's size is known.
    size_complete : bool
        Whether every segment's size is counted in ``size`` (else it is a lower bound).
    size_note : str
        Why the size is not known, or how it was estimated.
    gap_factor : float
        How many cadences make a gap.
    """

    tracks: list[Track]
    series: list[str]
    epoch: Time | None
    scale: str
    time_key: str
    cadence: float | None
    slot_step: float | None
    sample: float | None
    n_records: int
    n_flagged: int | None
    n_online: int | None
    n_offline: int | None
    size: int | None
    size_complete: bool
    size_note: str
    gap_factor: float = GAP_FACTOR

    @property
    def gaps(self) -> list[tuple[str, Gap]]:
        """Every gap of every track as ``(label, gap)``, longest first."""
        every = [(t.label, g) for t in self.tracks for g in t.gaps]
        return sorted(every, key=lambda lg: -lg[1].duration)

    def time(self, seconds: float) -> Time:
        """The time ``seconds`` after `epoch`."""
        return self.epoch + TimeDelta(seconds, format="sec")

    def __str__(self) -> str:
        return _describe(self)


def _tables(obj) -> list:
    """The JSOCX result tables in ``obj``: a table, a row, a UnifiedResponse, or a sequence of them."""
    from sunpy.net.base_client import QueryResponseRow

    from sunpy_jsocx.response import JSOCXResponse

    if isinstance(obj, JSOCXResponse):
        return [obj]
    if isinstance(obj, QueryResponseRow) and isinstance(obj.table, JSOCXResponse):
        index = obj.index if obj.index >= 0 else obj.index + len(obj.table)
        return [obj.table[index:index + 1]]
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes)):
        found = []
        for part in obj:
            if isinstance(part, (JSOCXResponse, QueryResponseRow)):
                try:
                    found += _tables(part)
                except TypeError:
                    continue
        if found or _is_unified(obj):
            return found
    raise TypeError(
        "coverage needs a JSOCX search result: a JSOCXResponse (or a slice or row of one), "
        f"or a Fido result (UnifiedResponse) holding JSOCX blocks; not {type(obj).__name__}"
    )


def _is_unified(obj) -> bool:
    from sunpy.net.fido_factory import UnifiedResponse

    return isinstance(obj, UnifiedResponse)


def _info(table, series: str):
    """The series' metadata if this process already has it (no request)."""
    if not series or not getattr(table, "server", None):
        return None
    from sunpy_jsocx import transport

    try:
        return transport.connection(table.server).cached_info(series)
    except Exception:  # noqa: BLE001 (an odd server string: metadata simply not at hand)
        return None


def _time_key(table, info) -> str | None:
    if info is not None and info.time_key and info.time_key in table.colnames:
        return info.time_key
    if "T_REC" in table.colnames:
        return "T_REC"
    for name in table.colnames:
        if isinstance(table[name], Time):
            return name
    return None


def _group_keys(table, block: dict, info, time_key: str) -> list[str]:
    if info is not None:
        keys = [k for k in info.primekeys if k != time_key and k not in info.time_keys]
    else:
        keys = [k for k in (block.get("primekeys") or {}) if k.upper() != time_key.upper()]
        keys += [k for k in COMMON_PRIME_KEYS if k not in keys]
    by_upper = {c.upper(): c for c in table.colnames if not c.startswith("_")}
    return [by_upper[k.upper()] for k in keys if k.upper() in by_upper]


def _quality(column) -> np.ndarray | None:
    """``QUALITY != 0`` per value (integers, or JSOC's ``0x...`` strings); None if they do not parse."""
    values = np.asarray(column)
    if values.dtype.kind in "iub":
        return values != 0
    if values.dtype.kind == "f":
        return np.nan_to_num(values, nan=0.0) != 0
    try:
        return np.array([int(str(v).strip() or "0", 0) != 0 for v in values], dtype=bool)
    except ValueError:
        return None


def _quality_from_record_keywords(table, blocks: list[dict], block_ids: np.ndarray) -> np.ndarray | None:
    """
    ``QUALITY != 0`` per row from the keywords a small search got with its records, if all have it.

    A small FITS search asks for every keyword at once and keeps those not shown in
    its query block (``record_keywords``, by record number) for the fetch.
    """
    if "_recnum" not in table.colnames:
        return None
    recnums = np.asarray(table["_recnum"])
    values = []
    for recnum, b in zip(recnums.tolist(), block_ids.tolist()):
        block = blocks[b] if 0 <= b < len(blocks) else {}
        record = (block.get("record_keywords") or {}).get(recnum)
        if not record or "QUALITY" not in record:
            return None
        values.append(record["QUALITY"])
    return _quality(np.array(values, dtype=str))


def _block_bytes(block: dict, info) -> tuple[int | None, list[str]]:
    """
    Bytes per record of the block's segments whose size is declared, and why the others are not known.

    The bytes are None when no segment's size is known.
    """
    segments = list(block.get("segments") or [])
    if info is None:
        series = block.get("series")
        return None, [f"the metadata of {series} is not at hand" if series else "the series is not known"]
    if not segments:
        segments = list(info.segment_names)
    total, unknown = None, []
    links: dict[str, list[str]] = {}
    varying: list[str] = []
    for name in segments:
        seg = info.find_segment(name)
        if seg is None:
            unknown.append(f"segment {name} of {info.name} is not known")
            continue
        linked = None
        if not seg.dims and seg.protocol.lower().startswith("link via"):
            linked = _linked_segment(info, seg, block.get("server"))
        size = segment_bytes(seg, linked)
        if size is None:
            dims = seg.dims or (linked.dims if linked is not None else "")
            if "var" in dims.lower():
                varying.append(seg.name)
            elif seg.protocol.lower().startswith("link via") and linked is None:
                links.setdefault(_link_target(info, seg) or "", []).append(seg.name)
            else:
                unknown.append(f"the dimensions of segment {seg.name} are not declared")
            continue
        total = (total or 0) + size
    if varying:
        shown = ", ".join(varying[:4]) + (f" and {len(varying) - 4} more" if len(varying) > 4 else "")
        unknown.append(f"the size of segment {shown} varies" if len(varying) == 1
                       else f"the sizes of segments {shown} vary")
    for target, names in links.items():
        which = f"segment {names[0]} links" if len(names) == 1 else f"segments {', '.join(names)} link"
        if target:
            unknown.append(f"{which} to {target}, whose metadata is not at hand: "
                           f"JSOCXClient().info({target!r}) fetches it")
        else:
            unknown.append(f"{which} to another series")
    return total, unknown


def _link_target(info, seg) -> str | None:
    """The series a linked segment (protocol ``link via <link>``) points at."""
    link_name = seg.protocol.split()[-1]
    link = next((ln for ln in info.links if ln.name.lower() == link_name.lower()), None)
    return link.target if link is not None and link.target else None


def _linked_segment(info, seg, server):
    """The segment a linked segment points at, if the linked series' metadata is at hand."""
    name = _link_target(info, seg)
    if name is None or not server:
        return None
    from sunpy_jsocx import transport

    target = transport.connection(server).cached_info(name)
    if target is None:
        return None
    exact = target.find_segment(seg.name)
    if exact is not None:
        return exact
    # JSOC names the target segment after the link's own, e.g. image -> image_lev1.
    return next((s for s in target.segments if s.name.lower().startswith(seg.name.lower() + "_")), None)


def coverage(obj, *, gap_factor: float = GAP_FACTOR) -> Coverage:
    """
    Work out what a search result holds, without a request.

    Parameters
    ----------
    obj : `~sunpy_jsocx.response.JSOCXResponse` or `~sunpy.net.fido_factory.UnifiedResponse`
        The result, or any slice or row (`~sunpy_jsocx.response.JSOCXRow`) of it; a
        UnifiedResponse contributes its JSOCX blocks.
    gap_factor : float
        A step longer than this many cadences is a gap (default `GAP_FACTOR`).

    Returns
    -------
    Coverage

    Raises
    ------
    TypeError
        If ``obj`` is not a JSOCX result.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.time import Time, TimeDelta
    >>> from sunpy_jsocx.response import JSOCXResponse
    >>> from sunpy_jsocx.coverage import coverage
    >>> t = Time("2014-01-01T00:00:00") + TimeDelta(np.r_[0:120:12, 600:660:12], format="sec")
    >>> table = JSOCXResponse({"T_REC": t, "WAVELNTH": np.full(len(t), 171)})
    >>> cov = coverage(table)
    >>> cov.n_records, cov.cadence, [g.label for g in cov.tracks]
    (15, 12.0, ['WAVELNTH 171'])
    >>> cov.gaps
    [('WAVELNTH 171', Gap(start=108.0, duration=492.0, missing=40))]
    """
    tables = _tables(obj)
    parts: dict[str, list] = {}
    order: list[str] = []
    series_seen: list[str] = []
    starts: list[Time] = []
    scale = "utc"
    time_key = "T_REC"
    quality_known = bool(tables)
    n_flagged = 0
    online = [0, 0]
    online_known = bool(tables)
    size_total: int | None = None
    size_unknown: list[str] = []
    slot_steps: list[float] = []
    samples: list[float] = []
    n_records = 0
    prefix_series = len({b.get("series", "") for t in tables for b in (t.query_args or [{}])}) > 1
    for table in tables:
        n = len(table)
        n_records += n
        for block in getattr(table, "query_args", None) or []:
            if block.get("series") and block["series"] not in series_seen:
                series_seen.append(block["series"])
        if n == 0:
            continue
        blocks = list(getattr(table, "query_args", None) or [{}])
        block_ids = np.asarray(table["_block"]) if "_block" in table.colnames else np.zeros(n, dtype=int)
        infos = {}
        for b in np.unique(block_ids):
            block = dict(blocks[int(b)] if 0 <= int(b) < len(blocks) else {})
            block.setdefault("server", table.server)
            infos[int(b)] = (block, _info(table, block.get("series", "")))
        first_info = next(iter(infos.values()))[1]
        tk = _time_key(table, first_info)
        if tk is None:
            raise ValueError(f"the table has no time column (columns: {', '.join(table.colnames)})")
        time_key = tk
        times = table[tk]
        if not isinstance(times, Time):
            raise ValueError(f"column {tk} is not a Time column; coverage needs record times")
        if starts and times.scale != scale:
            times = getattr(times, scale)  # one time line for all tables (HMI's TAI with AIA's UTC)
        scale = times.scale
        # Seconds from the first record of this table, computed from (jd1, jd2) for precision.
        t0 = times[0]
        secs = np.round(((times.jd1 - t0.jd1) + (times.jd2 - t0.jd2)) * 86400.0, 6)
        starts.append(t0)
        flags = _quality(table["QUALITY"]) if "QUALITY" in table.colnames else \
            _quality_from_record_keywords(table, blocks, block_ids)
        if flags is not None:
            n_flagged += int(flags.sum())
        else:
            quality_known = False
        if "_online" in table.colnames:
            on = np.asarray(table["_online"], dtype=bool)
            online[0] += int(on.sum())
            online[1] += int((~on).sum())
        else:
            online_known = False
        for b, (block, info) in infos.items():
            rows = np.flatnonzero(block_ids == b)
            series = block.get("series", "") or (info.name if info is not None else "")
            if series and series not in series_seen:
                series_seen.append(series)
            if info is not None and tk in info.slotted:
                slot_steps.append(float(info.slotted[tk]))
            if block.get("sample"):
                samples.append(float(block["sample"]))
            per_record, why = _block_bytes(block, info)
            if per_record is not None:
                size_total = (size_total or 0) + per_record * rows.size
            for reason in why:
                if reason not in size_unknown:
                    size_unknown.append(reason)
            keys = _group_keys(table, block, info, tk)
            codes = np.zeros(rows.size, dtype=np.int64)
            uniques = []
            for key in keys:
                u, inv = np.unique(np.asarray(table[key])[rows], return_inverse=True)
                codes = codes * len(u) + inv.reshape(-1)
                uniques.append((key, u))
            group_codes, inverse = np.unique(codes, return_inverse=True)
            for g, code in enumerate(group_codes):
                values = []
                c = int(code)
                for key, u in reversed(uniques):
                    c, k = divmod(c, len(u))
                    values.append((key, u[k]))
                values.reverse()
                label = ", ".join(f"{k} {_plain(v)}" for k, v in values) or (series or "records")
                if prefix_series and values:
                    label = f"{series} {label}"
                picked = rows[inverse.reshape(-1) == g]
                if label not in parts:
                    parts[label] = []
                    order.append(label)
                parts[label].append((t0, secs[picked], None if flags is None else flags[picked]))
    epoch = min(starts, key=lambda t: t.jd1 + t.jd2) if starts else None
    tracks = []
    for label in order:
        chunks = parts[label]
        secs = np.concatenate([
            s + np.round(((t0.jd1 - epoch.jd1) + (t0.jd2 - epoch.jd2)) * 86400.0, 6) for t0, s, _ in chunks
        ])
        known = all(f is not None for _, _, f in chunks)
        flags = np.concatenate([f for _, _, f in chunks]) if known else None
        sort = np.argsort(secs, kind="stable")
        secs = secs[sort]
        flags = flags[sort] if flags is not None else None
        tracks.append(Track(label, secs, flags))
    cadences = []
    for track in tracks:
        track.cadence = estimate_cadence(track.seconds)
        if track.cadence is not None:
            cadences.append(track.cadence)
    cadence = float(np.median(cadences)) if cadences else (slot_steps[0] if slot_steps else None)
    for track in tracks:
        step = track.cadence or cadence
        if step:
            track.gaps = find_gaps(track.seconds, step, gap_factor)
    if size_total is None:
        size_note = "; ".join(size_unknown) or "no records"
    elif size_unknown:
        size_note = "uncompressed, from the declared segment sizes; not counted: " + "; ".join(size_unknown)
    else:
        size_note = "uncompressed, from the declared segment sizes"
    return Coverage(
        tracks=tracks, series=series_seen, epoch=epoch, scale=scale, time_key=time_key,
        cadence=cadence, slot_step=slot_steps[0] if slot_steps else None,
        sample=samples[0] if samples else None, n_records=n_records,
        n_flagged=n_flagged if quality_known else None,
        n_online=online[0] if online_known else None, n_offline=online[1] if online_known else None,
        size=size_total, size_complete=not size_unknown, size_note=size_note, gap_factor=gap_factor,
    )


def _plain(value: Any) -> str:
    if isinstance(value, (np.floating, float)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if hasattr(value, "item") else value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _iso(t: Time) -> str:
    out = t.copy()
    out.format = "isot"
    out.precision = 0
    return out.value


def _describe(cov: Coverage, largest: int = 5) -> str:
    lines = []
    what = ", ".join(cov.series) or "JSOC"
    labels = [t.label for t in cov.tracks]
    key = labels[0].rsplit(" ", 1)[0] + " " if labels and " " in labels[0] else ""
    if key and all(lb.startswith(key) and " " not in lb[len(key):] for lb in labels):
        values = [lb[len(key):] for lb in labels]  # "WAVELNTH 94, 131, 171"
    else:
        key, values = "", labels
    shown = key + ", ".join(values[:8]) + (f", ... ({len(labels)} in all)" if len(labels) > 8 else "")
    lines.append(f"{_count(cov.n_records, 'record')} of {what}"
                 + (f" in {_count(len(labels), 'row')}: {shown}" if labels else ""))
    if cov.epoch is None or not cov.tracks:
        lines.append("No records: nothing to download.")
        return "\n".join(lines)
    end = max(float(t.seconds[-1]) for t in cov.tracks)
    lines.append(f"Time span:  {_iso(cov.epoch)} to {_iso(cov.time(end))} {cov.scale.upper()} "
                 f"({format_duration(end)}, {cov.time_key})")
    if cov.cadence is None:
        cad = "not known (one record per row)"
    else:
        measured = any(t.cadence is not None for t in cov.tracks)
        cad = format_duration(cov.cadence) + (" (median step between records)" if measured
                                              else " (the series' slot step: too few records to measure)")
        extra = []
        if cov.slot_step is not None:
            extra.append(f"series slot {format_duration(cov.slot_step)}")
        if cov.sample is not None:
            extra.append(f"sample asked for {format_duration(cov.sample)}")
        if extra:
            cad += "; " + ", ".join(extra)
    lines.append(f"Cadence:    {cad}")
    gaps = cov.gaps
    if cov.cadence is None:
        lines.append("Gaps:       not known without a cadence")
    elif not gaps:
        lines.append(f"Gaps:       none longer than {cov.gap_factor:g} cadences")
    else:
        # The same outage in several rows (all wavelengths at once) is one gap.
        merged: dict[Gap, list[str]] = {}
        for label, g in gaps:
            merged.setdefault(g, []).append(label)
        rows = {label for labels in merged.values() for label in labels}
        lines.append(f"Gaps:       {len(merged)} longer than {cov.gap_factor:g} cadences"
                     + (f", in {_count(len(rows), 'row')}" if len(cov.tracks) > 1 else "")
                     + ("; the longest:" if len(merged) > largest else ":"))
        for g, labels in list(merged.items())[:largest]:
            if len(cov.tracks) == 1:
                where = ""
            elif len(labels) == len(cov.tracks):
                where = " in every row"
            else:
                where = " in " + ", ".join(labels[:4]) + (f" and {len(labels) - 4} more" if len(labels) > 4 else "")
            lines.append(f"    after {_iso(cov.time(g.start))} for {format_duration(g.duration)} "
                         f"(about {g.missing} records missing){where}")
    if cov.n_flagged is None:
        lines.append("Flagged:    quality not known (QUALITY not in the table; search with keys=['QUALITY'])")
    else:
        lines.append(f"Flagged:    {cov.n_flagged} of {cov.n_records} records with QUALITY != 0")
    if cov.n_online is None:
        lines.append("Online:     not known (a large search leaves JSOC's online flags to the fetch)")
    else:
        lines.append(f"Online:     {cov.n_online} online, {cov.n_offline} offline (staged from tape first)")
    if cov.size is None:
        lines.append(f"Size:       unknown ({cov.size_note})")
    else:
        lines.append(f"Size:       {'about' if cov.size_complete else 'at least'} {format_bytes(cov.size)} "
                     f"({cov.size_note})")
    return "\n".join(lines)


class _Summary(str):
    """A summary string that prints readably in a notebook or the REPL too."""

    def __repr__(self) -> str:
        return str(self)


def summary(obj, *, gap_factor: float = GAP_FACTOR) -> str:
    """
    What a search result holds, in words, without a request.

    Record count, time span, cadence, gaps longer than ``gap_factor`` cadences (the
    longest few, with start and duration), records with a nonzero ``QUALITY`` (or
    that quality is not known), online and offline counts, estimated download size.

    Parameters
    ----------
    obj : `~sunpy_jsocx.response.JSOCXResponse` or `~sunpy.net.fido_factory.UnifiedResponse`
        The result, or any slice or row (`~sunpy_jsocx.response.JSOCXRow`) of it.
    gap_factor : float
        A step longer than this many cadences is a gap.

    Returns
    -------
    str
        Several lines; shown as text (not as a quoted string) by the REPL.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.time import Time, TimeDelta
    >>> from sunpy_jsocx.response import JSOCXResponse
    >>> from sunpy_jsocx.coverage import summary
    >>> t = Time("2014-01-01T00:00:00") + TimeDelta(np.r_[0:120:12, 600:660:12], format="sec")
    >>> table = JSOCXResponse({"T_REC": t, "WAVELNTH": np.full(len(t), 171),
    ...                        "QUALITY": np.r_[np.zeros(14, int), 1024]})
    >>> print(summary(table))  # doctest: +NORMALIZE_WHITESPACE
    15 records of JSOC in 1 row: WAVELNTH 171
    Time span:  2014-01-01T00:00:00 to 2014-01-01T00:10:48 UTC (10 min 48 s, T_REC)
    Cadence:    12 s (median step between records)
    Gaps:       1 longer than 3 cadences:
        after 2014-01-01T00:01:48 for 8 min 12 s (about 40 records missing)
    Flagged:    1 of 15 records with QUALITY != 0
    Online:     not known (a large search leaves JSOC's online flags to the fetch)
    Size:       unknown (the series is not known)
    """
    return _Summary(_describe(coverage(obj, gap_factor=gap_factor)))


def _runs(seconds: np.ndarray, gaps: list[Gap], cadence: float | None) -> list[tuple[float, float]]:
    """(start, width) of the stretches between gaps, each widened by a cadence to show single records."""
    if seconds.size == 0:
        return []
    pad = cadence or 0.0
    edges = [float(seconds[0])]
    for g in gaps:
        edges += [g.start, g.start + g.duration]
    edges.append(float(seconds[-1]))
    return [(a, b - a + pad) for a, b in zip(edges[::2], edges[1::2])]


def plot_coverage(obj, ax=None, *, gap_factor: float = GAP_FACTOR):
    """
    Plot what a search result covers, without a request.

    Time runs along the x axis; each value of the series' other prime keys (wavelength,
    HARP number, ...) has a row. Every record is a mark on a bar that breaks at each gap
    longer than ``gap_factor`` cadences (the gap is hatched, so that even a short one
    shows); records with a nonzero ``QUALITY`` are red crosses. The title gives the
    number of records, the cadence, the flagged count (or "quality not known") and the
    estimated download size.

    Parameters
    ----------
    obj : `~sunpy_jsocx.response.JSOCXResponse` or `~sunpy.net.fido_factory.UnifiedResponse`
        The result, or any slice or row (`~sunpy_jsocx.response.JSOCXRow`) of it.
    ax : `matplotlib.axes.Axes`, optional
        Where to draw; a new figure's when not given.
    gap_factor : float
        A step longer than this many cadences is a gap.

    Returns
    -------
    `matplotlib.axes.Axes`

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("agg")
    >>> import numpy as np
    >>> from astropy.time import Time, TimeDelta
    >>> from sunpy_jsocx.response import JSOCXResponse
    >>> from sunpy_jsocx.coverage import plot_coverage
    >>> t = Time("2014-01-01T00:00:00") + TimeDelta(np.r_[0:120:12, 600:660:12], format="sec")
    >>> table = JSOCXResponse({"T_REC": np.concatenate([t, t]),
    ...                        "WAVELNTH": np.repeat([171, 304], len(t))})
    >>> ax = plot_coverage(table)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['WAVELNTH 171', 'WAVELNTH 304']
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    cov = coverage(obj, gap_factor=gap_factor)
    n = len(cov.tracks)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, min(1.6 + 0.45 * max(n, 1), 14.0)), layout="constrained")
    if cov.epoch is None:
        ax.set_title("No records")
        ax.set_yticks([])
        return ax
    # Matplotlib date numbers: days since its epoch (1970-01-01 by default).
    epoch_mjd = cov.epoch.jd1 - 2400000.5 + cov.epoch.jd2
    offset = epoch_mjd - _MJD_UNIX - float(mdates.date2num(np.datetime64(mdates.get_epoch())))
    day = 86400.0
    xs, ys, fx, fy = [], [], [], []
    gap_label = f"gap (> {cov.gap_factor:g} cadences)"
    for i, track in enumerate(cov.tracks):
        x = offset + track.seconds / day
        runs = [(offset + a / day, w / day) for a, w in _runs(track.seconds, track.gaps, track.cadence or cov.cadence)]
        ax.broken_barh(runs, (i - 0.3, 0.6), facecolors="C0", alpha=0.25, edgecolor="none",
                       label="covered" if i == 0 else None)
        if track.gaps:
            spans = [(offset + g.start / day, g.duration / day) for g in track.gaps]
            ax.broken_barh(spans, (i - 0.3, 0.6), facecolors="none", edgecolors="0.4", hatch="////",
                           linewidth=0.6, label=gap_label)
            gap_label = None
        if track.flagged is not None and track.flagged.any():
            fx.append(x[track.flagged])
            fy.append(np.full(int(track.flagged.sum()), i))
            keep = ~track.flagged
            xs.append(x[keep])
            ys.append(np.full(int(keep.sum()), i))
        else:
            xs.append(x)
            ys.append(np.full(x.size, i))
    x, y = np.concatenate(xs), np.concatenate(ys)
    ax.scatter(x, y, marker="|", s=120, linewidths=0.6, color="C0", rasterized=x.size > 2000,
               label=f"record ({cov.n_records - (cov.n_flagged or 0)})")
    if fx:
        fxa, fya = np.concatenate(fx), np.concatenate(fy)
        ax.scatter(fxa, fya, marker="x", s=20, linewidths=0.9, color="C3", zorder=3, rasterized=fxa.size > 2000,
                   label=f"QUALITY != 0 ({fxa.size})")
    ax.set_yticks(range(n), [t.label for t in cov.tracks], fontsize="medium" if n <= 30 else max(3.0, 400.0 / n))
    ax.set_ylim(n - 0.5, -0.5)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(f"{cov.time_key} ({cov.scale.upper()})")
    parts = [f"{', '.join(cov.series) or 'JSOC'}: {cov.n_records} records"]
    parts.append(f"cadence {format_duration(cov.cadence)}" if cov.cadence else "cadence not known")
    if cov.n_flagged is None:
        parts.append("quality not known")
    else:
        parts.append(f"{cov.n_flagged} flagged")
    if cov.size is None:
        parts.append("size unknown")
    else:
        parts.append(f"size {'~' if cov.size_complete else '>= '}{format_bytes(cov.size)}")
    ax.set_title(", ".join(parts), fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    return ax
