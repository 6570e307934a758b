"""
A group's own JSOC: JSOC's web API answered from the files a group downloaded.

``python -m sunpy_jsocx serve DIR`` (or ``python -m sunpy_jsocx.emulator --data
DIR``) indexes the FITS files under ``DIR`` (``sunpy_jsocx.emulator.holdings``) and
answers JSOC's CGI programs from them: series lists, ``series_struct``,
``rs_summary``, ``rs_list``, ``jsoc_fetch`` exports (``url``, ``url_quick``,
``url-tar``; ``as-is`` and ``fits``), ``exp_status`` and the downloads. drms,
sunpy's ``JSOCClient`` and sunpy-jsocx talk to it unchanged.

What it answers
---------------
* Series: those of which a record is held. The structure is the client's cached
  ``series_struct`` answer when there is one, else inferred from the headers;
  ``Interval`` names the first and last *held* records. An unknown series gets
  JSOC's ``series ... not found`` error.
* Records: one per ``DRMS_ID`` series and record number; a record set selects
  held records only, so one matching nothing held counts 0, as JSOC reports a
  record set with no records.
* ``*online*`` is ``Y`` for a record whose stored (``as-is``) file is held for
  every segment of the series, when the series' structure is the cached one; its
  ``rs_list`` segment paths download that file. Other records are "offline": an
  export delivers what is held.
* Exports are complete at the first ``exp_status``. A ``fits`` export file is
  the held FITS file byte for byte; an ``as-is`` file is the held stored file,
  or the held FITS file when only that is held. Segments not held are left
  out. Processing (``im_patch`` ...) and the ``jpg``/movie protocols are refused
  as JSOC refuses what it cannot do.

Safety
------
It binds 127.0.0.1 unless told otherwise. Only indexed files are ever read, by
their index entry, never by a path taken from a request, so no request reaches
a file outside ``DIR`` (symbolic links out of ``DIR`` are not indexed, and each
file is checked again before it is sent). With a token (``--token`` or
``JSOCX_SERVE_TOKEN``) every URL starts with ``/<token>/``: the printed base URL
carries it, so drms's server configuration, sunpy (through drms) and
sunpy-jsocx need nothing else. A request without it gets HTTP 401, one with a
wrong token HTTP 403.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from aiohttp import web
from sunpy import log

from sunpy_jsocx import grammar, jsoctime
from sunpy_jsocx.emulator.exports import check_filenamefmt, expand_filenamefmt
from sunpy_jsocx.emulator.holdings import HeldFile, HeldRecord, HeldSeries, Holdings
from sunpy_jsocx.emulator.records import QueryError
from sunpy_jsocx.emulator.saferegex import FilterError, filter_names
from sunpy_jsocx.emulator.server import BackgroundServer, _json, _params, serve_until_stopped

__all__ = ["HeldJSOC", "build_parser", "main", "make_serve_app", "resolve"]

TOKEN_ENV = "JSOCX_SERVE_TOKEN"
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{8,128}")
_CONTACT = "jsoc_help@jsoc.stanford.edu"
_INT_TYPES = ("char", "short", "int", "longlong")
_EXPORT_DIR = re.compile(r"^/SUM(\d{1,4})/D(\d{1,20})/S(\d{5})/([A-Za-z0-9][A-Za-z0-9._+\-]{0,250})$")
_API_SEGMENTS = ("", "cgi-bin", "emulator", "data")


# ---------------------------------------------------------------------------- record sets
def _kind(kw: dict | None) -> str:
    typ = (kw or {}).get("type", "string")
    if typ == "time":
        return "time"
    if typ in _INT_TYPES:
        return "int"
    if typ in ("float", "double"):
        return "float"
    return "string"


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _time(text: str) -> float:
    try:
        t = jsoctime.parse_time(text)
    except (jsoctime.JSOCTimeError, ValueError, TypeError):
        return math.nan
    return math.nan if t < -6e10 else t  # JSOC's missing time (-4712) is no time


def _column(series: HeldSeries, records: list[HeldRecord], name: str, *, prime: bool) -> tuple[np.ndarray, str]:
    kw = series.keyword(name)
    kind = _kind(kw)
    texts = [r.pk_text.get(name, "") if prime else r.keywords().get(kw["name"] if kw else name, "")
             for r in records]
    if kind == "time":
        return np.array([_time(t) for t in texts], dtype=float), kind
    if kind in ("int", "float"):
        return np.array([_number(t) for t in texts], dtype=float), kind
    return np.array(texts, dtype=object), kind


def _item_mask(values: np.ndarray, kind: str, item: grammar.Item, step: float, text: str) -> np.ndarray:
    if item.kind in ("first", "last"):
        ok = ~np.isnan(values) if kind != "string" else np.ones(len(values), bool)
        if not ok.any():
            return np.zeros(len(values), bool)
        pick = (np.nanmin if item.kind == "first" else np.nanmax)(values[ok]) if kind != "string" else (
            min(values) if item.kind == "first" else max(values))
        return values == pick
    try:
        if kind == "time":
            half = step / 2 if step else 5e-4
            a = jsoctime.parse_time(item.start)
            if item.kind == "value":
                return (values >= a - half) & (values < a + half)
            if item.kind == "range":
                mask = (values >= a - half) & (values < jsoctime.parse_time(item.end) + half)
            else:
                d = jsoctime.parse_duration(item.duration, step or None)
                mask = (values >= a - half) & (values < a + d - half)
            if item.step:
                s = jsoctime.parse_duration(item.step, step or None)
                if s > 0:
                    mask &= np.mod(values - a + half, s) < 2 * half
            return mask
        if kind in ("int", "float"):
            a = float(item.start)
            if item.kind == "value":
                return values == a
            if item.kind == "range":
                mask = (values >= a) & (values <= float(item.end))
            else:
                mask = (values >= a) & (values < a + float(item.duration))
            if item.step and float(item.step) > 0:
                mask &= np.mod(values - a, float(item.step)) == 0
            return mask
    except (jsoctime.JSOCTimeError, ValueError) as e:
        raise QueryError(f"invalid record-set specification `{text}`: {e}") from None
    if item.kind == "value":
        return values == item.start
    if item.kind == "range":
        return np.array([item.start <= v <= item.end for v in values], dtype=bool)
    raise QueryError(f"invalid record-set specification `{text}`: a span '/' needs a time or number key")


def _recnum_mask(recnums: np.ndarray, items: Iterable[str], all_recnums: np.ndarray, text: str) -> np.ndarray:
    mask = np.zeros(len(recnums), bool)
    for raw in items:
        try:
            it = grammar.split_recnum_item(raw)
        except grammar.RecordSetSyntaxError as e:
            raise QueryError(f"invalid record-set specification `{text}`: {e}") from None
        if it.kind == "first":
            mask |= recnums == (all_recnums.min() if len(all_recnums) else -1)
        elif it.kind == "last":
            mask |= recnums == (all_recnums.max() if len(all_recnums) else -1)
        else:
            a = int(it.start)
            if it.kind == "value":
                mask |= recnums == a
                continue
            end = int(it.end) if it.kind == "range" else a + int(it.duration) - 1
            s = int(it.step or 1)
            mask |= (recnums >= a) & (recnums <= end) & ((recnums - a) % max(1, s) == 0)
    return mask


@dataclass
class Selection:
    """The held records one record-set specification selects."""

    series: HeldSeries
    records: list[HeldRecord]
    segments: list[str] | None = None


def _latest(records: list[HeldRecord], primekeys: list[str]) -> list[HeldRecord]:
    """The newest record (highest number) of each prime-key combination."""
    best: dict[tuple, HeldRecord] = {}
    for r in records:
        key = tuple(r.pk_text.get(k, "") for k in primekeys)
        if key not in best or r.recnum > best[key].recnum:
            best[key] = r
    keep = {id(r) for r in best.values()}
    return [r for r in records if id(r) in keep]


def _sort_key(series: HeldSeries):
    kinds = [(k, _kind(series.keyword(k))) for k in series.primekeys]

    def key(r: HeldRecord):
        out = []
        for k, kind in kinds:
            text = r.pk_text.get(k, "")
            if kind == "time":
                out.append((0, _time(text), ""))
            elif kind in ("int", "float"):
                out.append((0, _number(text), ""))
            else:
                out.append((1, 0.0, text))
        return (*out, r.recnum)

    return key


def resolve(holdings: Holdings, ds: str, *, limit: int | None = None) -> list[Selection]:
    """
    The held records a record-set specification selects, in JSOC's order.

    Raises
    ------
    QueryError
        With JSOC's message for an unknown series, an invalid specification, a
        name that is not a prime key or a segment of the series.
    """
    try:
        specs = grammar.parse(ds)
    except grammar.RecordSetSyntaxError as e:
        raise QueryError(f"invalid record-set specification `{ds}`: {e}") from None
    return [_resolve_one(holdings, spec, limit) for spec in specs]


def _resolve_one(holdings: Holdings, spec: grammar.RecordSetSpec, limit: int | None) -> Selection:
    s = holdings.get(spec.series)
    if s is None:
        raise QueryError(f"jsoc_info: series {spec.series} not found.")
    segments = None
    if spec.segments is not None:
        segments = []
        for name in spec.segments:
            seg = s.segment(name)
            if seg is None:
                raise QueryError(f"invalid record-set specification `{spec.text}`: no segment {name} in {s.name}; "
                                 f"segments are {', '.join(x['name'] for x in s.struct['segments'])}")
            segments.append(seg["name"])
    records = list(s.records.values())
    all_recnums = np.array([r.recnum for r in records], dtype=np.int64)
    mask = np.ones(len(records), bool)
    pos = 0
    by_recnum = all_versions = False
    pk = s.primekeys
    for f in spec.filters:
        if f.kind == "empty":
            pos += 1
            continue
        if f.kind == "recnums":
            by_recnum = True
            mask &= _recnum_mask(all_recnums, f.items, all_recnums, spec.text)
            continue
        if f.kind == "where":
            all_versions |= f.all_versions
            mask &= _where_mask(s, records, f, spec.text)
            continue
        if f.key is not None:
            key = next((k for k in pk if k.upper() == f.key.upper()), None)
            if key is None:
                raise QueryError(f"invalid record-set specification `{spec.text}`: {f.key} is not a prime key of "
                                 f"{s.name} (prime keys: {', '.join(pk)})")
            pos = pk.index(key) + 1
        else:
            if pos >= len(pk):
                raise QueryError(f"invalid record-set specification `{spec.text}`: more filters than prime keys "
                                 f"({', '.join(pk)})")
            key = pk[pos]
            pos += 1
        values, kind = _column(s, records, key, prime=True)
        step = s.time_step(key) if kind == "time" else 0.0
        keep = np.zeros(len(records), bool)
        for raw in f.items:
            try:
                item = grammar.split_item(raw, is_time=kind == "time")
            except grammar.RecordSetSyntaxError as e:
                raise QueryError(f"invalid record-set specification `{spec.text}`: {e}") from None
            if raw.strip().startswith("#"):
                raise QueryError(f"invalid record-set specification `{spec.text}`: slot numbers (#) are not "
                                 "available from held files; give values, or record numbers as [:#N]")
            keep |= _item_mask(values, kind, item, step, spec.text)
        mask &= keep
    chosen = [r for r, m in zip(records, mask) if m]
    if not (by_recnum or all_versions):
        chosen = _latest(chosen, pk)
    chosen.sort(key=_sort_key(s))
    if limit:
        chosen = chosen[:limit] if limit > 0 else chosen[limit:]
    return Selection(s, chosen, segments)


def _where_mask(s: HeldSeries, records: list[HeldRecord], f: grammar.Filter, text: str) -> np.ndarray:
    def column(name: str) -> np.ndarray:
        kw = s.keyword(name)
        if kw is None:
            raise KeyError(name)
        return _column(s, records, kw["name"], prime=False)[0]

    def kinds(name: str) -> str:
        kw = s.keyword(name)
        if kw is None:
            raise KeyError(name)
        return _kind(kw)

    try:
        return np.asarray(grammar.evaluate_where(f.where, column, kinds=kinds, size=len(records)), dtype=bool)
    except grammar.RecordSetSyntaxError as e:
        raise QueryError(f"invalid record-set specification `{text}`: {e}") from None


# ---------------------------------------------------------------------------- state
@dataclass
class _Export:
    id: str
    method: str
    protocol: str
    sunum: int
    created: float
    files: list[tuple[str, str, HeldFile]]  # (record, filename, file)
    rcount: int
    size: int

    @property
    def dir(self) -> str:
        return f"/SUM{40 + self.sunum % 60}/D{self.sunum}/S00000"


@dataclass
class ServeConfig:
    """
    How the server of held files serves.

    Parameters
    ----------
    roots
        Folders whose FITS files are served.
    metadata
        Folders of cached ``series_struct`` answers.
    token
        When set, every URL must start with ``/<token>/``.
    rescan_interval
        Seconds between the cheap checks (folder modification times) that start a
        rescan; 0 checks at every request, a negative value never.
    clock
        Returns seconds since the Unix epoch (inject in tests).
    """

    roots: list[Path]
    metadata: list[Path] = field(default_factory=list)
    token: str | None = None
    rescan_interval: float = 10.0
    clock: Callable[[], float] = field(default=time.time, repr=False)


class _ServeState:
    def __init__(self, cfg: ServeConfig):
        self.cfg = cfg
        self.holdings = Holdings(cfg.roots, cfg.metadata).scan()
        self.last_check = cfg.clock()
        self.exports: dict[str, _Export] = {}
        self.export_by_sunum: dict[int, _Export] = {}
        self.lock = threading.Lock()
        self.scan_lock = threading.Lock()
        self.counter = 0
        self.counts: dict[str, int] = {}
        self.sunums: dict[int, HeldRecord] = {}
        self.record_sunum: dict[tuple[str, int], int] = {}
        self._index_sunums()

    def _index_sunums(self) -> None:
        sunums: dict[int, HeldRecord] = {}
        by_record: dict[tuple[str, int], int] = {}
        for s in self.holdings.series.values():
            for r in s.records.values():
                digest = hashlib.sha256(f"{s.name.lower()}:{r.recnum}".encode()).digest()
                n = 10_000_000 + int.from_bytes(digest[:6], "big") % 800_000_000
                while n in sunums:
                    n += 1
                sunums[n] = r
                by_record[(s.name.lower(), r.recnum)] = n
        self.sunums, self.record_sunum = sunums, by_record

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def maybe_rescan(self, force: bool = False) -> bool:
        interval = self.cfg.rescan_interval
        now = self.cfg.clock()
        if not force and (interval < 0 or now - self.last_check < interval):
            return False
        self.last_check = now
        # One scan at a time; a request arriving meanwhile is answered from the current index.
        if not self.scan_lock.acquire(blocking=force):
            return False
        try:
            if not force and not self.holdings.changed():
                return False
            self.holdings.scan()
            with self.lock:
                self._index_sunums()
        finally:
            self.scan_lock.release()
        return True

    def sunum(self, r: HeldRecord) -> int:
        return self.record_sunum[(r.series.name.lower(), r.recnum)]

    def recdir(self, r: HeldRecord) -> str:
        n = self.sunum(r)
        return f"/SUM{40 + n % 60}/D{n}/S00000"

    def new_export(self, method, protocol, files, rcount, size) -> _Export:
        with self.lock:
            self.counter += 1
            now = self.cfg.clock()
            day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y%m%d")
            exp = _Export(f"JSOC_{day}_{self.counter:03d}", method, protocol, 900_000_000 + self.counter, now,
                          files, rcount, size)
            self.exports[exp.id] = exp
            self.export_by_sunum[exp.sunum] = exp
        return exp


def _inside(path: Path, roots: list[Path]) -> bool:
    real = os.path.realpath(path)
    return any(os.path.commonpath([str(r), real]) == str(r) for r in roots)


# ---------------------------------------------------------------------------- answers
def _series_struct(state: _ServeState, ds: str) -> dict:
    name = re.split(r"[\[{]", ds.strip(), maxsplit=1)[0].strip()
    s = state.holdings.get(name)
    if s is None:
        return {"status": 1, "error": f" jsoc_info: series {name} not found."}
    d = json.loads(json.dumps(s.struct))
    records = sorted(s.records.values(), key=_sort_key(s))
    if records:
        d["Interval"] = {"FirstRecord": records[0].name, "FirstRecnum": records[0].recnum,
                         "LastRecord": records[-1].name, "LastRecnum": records[-1].recnum,
                         "MaxRecnum": max(r.recnum for r in records)}
    d["status"] = 0
    return d


def _split(v: str | None) -> list[str]:
    return [x for x in re.split(r"[,\s]+", v or "") if x]


def _stored_name(segment: str) -> str:
    return f"{segment}.fits"


def _pseudo(state: _ServeState, records: list[HeldRecord], key: str) -> list[str]:
    if key == "*recnum*":
        return [str(r.recnum) for r in records]
    if key == "*sunum*":
        return [str(state.sunum(r)) for r in records]
    if key == "*online*":
        return ["Y" if _online(r) else "N" for r in records]
    if key == "*recdir*":
        return [state.recdir(r) for r in records]
    if key == "*spec*":
        return [r.name for r in records]
    if key == "*size*":
        return [str(sum(f.size for slot in r.files.values() for f in slot.values())) for r in records]
    if key == "*archive*":
        return ["N"] * len(records)
    if key == "*retain*":
        return [""] * len(records)
    return [""] * len(records)


def _online(r: HeldRecord) -> bool:
    """
    Every segment of the series has its stored (as-is) file held, and the series'
    structure is JSOC's own (cached). A client that writes FITS headers itself (sunpy-jsocx)
    does so from the stored file and the keyword definitions; with definitions inferred from
    headers the result could differ from the held file, so such records are offline and
    every client gets the held files themselves through an export.
    """
    if r.series.cached_struct is None:
        return False
    names = [s["name"] for s in r.series.struct["segments"]] or list(r.files)
    return all("as-is" in r.files.get(n, {}) for n in names)


_PSEUDO = ("*recnum*", "*sunum*", "*size*", "*online*", "*retain*", "*archive*", "*recdir*", "*logdir*",
           "*dirmtime*", "*spec*")


def _rs_list(state: _ServeState, q: dict[str, str]) -> dict:
    ds = q.get("ds", "")
    try:
        sels = [x for x in resolve(state.holdings, ds, limit=_int(q.get("n"))) if x.records]
    except QueryError as e:
        return {"status": 1, "error": str(e)}
    if not sels:
        return {"count": 0, "status": 0}
    if len({x.series.name.lower() for x in sels}) > 1:
        return {"status": 1, "error": "jsoc_info: rs_list of several series at once is not supported"}
    s = sels[0].series
    records = [r for x in sels for r in x.records]
    out: dict = {}
    if q.get("R") == "1":
        out["recinfo"] = [{"name": r.name, "online": int(_online(r))} for r in records]
    keywords = []
    for k in _split(q.get("key")):
        if k.upper() == "**ALL**":
            segs = [x["name"] for x in s.struct["segments"]]
            for kw in s.struct["keywords"]:
                if kw.get("recscope") == "index":
                    continue
                keywords.append({"name": kw["name"], "values": [r.keywords().get(kw["name"], "") for r in records]})
                if kw.get("recscope") == "segment":
                    for n in range(len(segs)):
                        name = f"{kw['name']}_{n:03d}"
                        keywords.append({"name": name, "values": [r.keywords().get(name, "") for r in records]})
        elif k.upper() == "**NONE**":
            continue
        elif k.lower() in _PSEUDO:
            keywords.append({"name": k.lower(), "values": _pseudo(state, records, k.lower())})
        else:
            kw = s.keyword(k)
            name = kw["name"] if kw else k
            values = [r.keywords().get(name, "Invalid KeyLink") for r in records]
            keywords.append({"name": name, "values": values})
    out["keywords"] = keywords
    segments = []
    wanted = _split(q.get("seg"))
    if any(x.upper() == "**ALL**" for x in wanted):
        wanted = [x["name"] for x in s.struct["segments"]]
    for name in wanted:
        seg = s.segment(name)
        if seg is None:
            segments.append({"name": name, "values": ["InvalidSegName"] * len(records), "dims": [""] * len(records)})
            continue
        segments.append({"name": seg["name"],
                         "values": [f"{state.recdir(r)}/{_stored_name(seg['name'])}" for r in records],
                         "dims": [seg.get("dims") or ""] * len(records)})
    out["segments"] = segments
    links = _split(q.get("link"))
    out["links"] = [{"name": ln, "values": ["Invalid_Link"] * len(records)} for ln in links]
    out["count"] = len(records)
    out["status"] = 0
    return out


def _int(v):
    if v in (None, "") or not re.fullmatch(r"\s*[-+]?\d{1,19}\s*", v):
        return None
    return int(v)


def _filename(fmt: str, r: HeldRecord, segment: str, asis: bool, index: int) -> str:
    return expand_filenamefmt(fmt, series=r.series.name, segment=_stored_name(segment) if asis else segment,
                              recnum=r.recnum, index=index, keyword=r.series.keyword,
                              value=lambda name: r.pk_text.get(name) or r.keywords().get(name, ""),
                              suffix="" if asis else ".fits")


def _refuse(msg: str, **extra) -> dict:
    return {"status": 4, "error": msg, "contact": _CONTACT, **extra}


def _exp_request(state: _ServeState, q: dict[str, str]) -> dict:  # noqa: PLR0911
    ds = q.get("ds", "")
    notify = q.get("notify", "")
    method = q.get("method", "url")
    protocol = q.get("protocol", "as-is")
    proto = protocol.split(",")[0].lower()
    fmt = q.get("filenamefmt") or None
    process = q["process=n"] if "process=n" in q else q.get("process", "")
    if not notify:
        return _refuse("Email address for notification was not specfied. It is required.")
    if not _ADDRESS.fullmatch(notify):
        return _refuse("Cannot process your request. Not a valid email address.")
    if method not in ("url", "url_quick", "url-tar"):
        return _refuse(f"Method {method} is not supported; use url, url_quick or url-tar.")
    if proto not in ("as-is", "fits"):
        return _refuse(f"Cannot process your request. Protocol {proto} is not available from a server of held "
                       "files; use fits or as-is.")
    steps = [p for p in (x.strip() for x in process.split("|")) if p and not re.fullmatch(r"(n=)?-?\d+", p)]
    if steps:
        return _refuse(f"Cannot process your request. Processing ({steps[0].split(',')[0]}) is not available from "
                       "a server of held files; it serves the files as they were downloaded.")
    limit = next((int(p.split("=")[-1]) for p in process.split("|") if re.fullmatch(r"(n=)?-?\d+", p.strip())), 0)
    if fmt:
        bad = check_filenamefmt(fmt)
        if bad:
            return _refuse(f"Cannot process your request. {bad}")
    try:
        sels = resolve(state.holdings, ds, limit=limit or None)
    except QueryError:
        return _refuse(f"Can not open RecordSet, bad query or too many records: {ds}")
    asis = proto == "as-is"
    files: list[tuple[str, str, HeldFile]] = []
    seen: set[str] = set()
    records = [(sel, r) for sel in sels for r in sel.records]
    fmt_used = fmt or "{seriesname}.{recnum:%d}.{segment}"
    for i, (sel, r) in enumerate(records):
        segs = sel.segments or [x["name"] for x in sel.series.struct["segments"]]
        for seg in segs:
            slot = r.files.get(seg, {})
            f = (slot.get("as-is") or slot.get("fits")) if asis else slot.get("fits")
            if f is None:
                continue
            name = _filename(fmt_used, r, seg, asis, i)
            base, k = name, 1
            while name in seen:
                name = f"{k}.{base}"
                k += 1
            seen.add(name)
            files.append((f"{r.name}{{{seg}}}" if asis else r.name, name, f))
    if not records or not files:
        return _refuse("There are no files in this RecordSet")
    size = max(1, sum(f.size for _, _, f in files) // 1_000_000)
    if method == "url_quick" and asis and all(_online(r) for _, r in records):
        data = []
        for sel, r in records:
            for seg in sel.segments or [x["name"] for x in sel.series.struct["segments"]]:
                if "as-is" in r.files.get(seg, {}):
                    data.append({"record": f"{r.name}{{{seg}}}",
                                 "filename": f"{state.recdir(r)}/{_stored_name(seg)}"})
        return {"rcount": len(records), "count": len(data), "size": size, "dir": "", "data": data,
                "requestid": "", "method": method, "protocol": protocol, "wait": 0, "status": 0}
    # Every file is already here: the request is complete at once (JSOC's completed-export
    # answer, as exp_status gives it), so no client waits for a staging that never happens.
    exp = state.new_export("url" if method == "url_quick" else method, protocol, files, len(records), size)
    d = _index(exp)
    d.update(status=0, rcount=len(records))
    return d


_ADDRESS = re.compile(r"\s*[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\s*")


def _index(exp: _Export) -> dict:
    d = {"version": "0.5", "requestid": exp.id, "method": exp.method, "protocol": exp.protocol,
         "count": str(len(exp.files)), "size": str(exp.size),
         "exptime": datetime.fromtimestamp(exp.created, tz=UTC).strftime("%Y.%m.%d_%H:%M:%S_UT"),
         "dir": exp.dir, "status": "0",
         "keywords": "**IN FITS FILES**" if exp.protocol.startswith("fits") else "**NONE**",
         "data": [{"record": rec, "filename": name} for rec, name, _ in exp.files], "wait": 0}
    if exp.method.endswith("-tar"):
        d["tarfile"] = f"{exp.dir}/{exp.id}.tar"
    return d


def _exp_status(state: _ServeState, requestid: str) -> dict:
    if not re.fullmatch(r"JSOC_[0-9]{8}_[0-9]+(_X)?(_IN)?", requestid or ""):
        return {"status": 4, "requestid": requestid, "error": f"Bad RequestID '{requestid}' provided.",
                "wait": 999999, "contact": _CONTACT}
    exp = state.exports.get(requestid)
    if exp is None:
        return {"status": 6, "requestid": requestid,
                "error": f"Cant locate export request: jsoc.export[{requestid}]", "wait": 5}
    return _index(exp)


# ---------------------------------------------------------------------------- HTTP


_STATE: web.AppKey = web.AppKey("serve_state", _ServeState)


def make_serve_app(cfg: ServeConfig) -> web.Application:
    """The aiohttp application answering JSOC's API from the files ``cfg`` names."""
    state = _ServeState(cfg)
    token = cfg.token
    prefix = f"/{token}" if token else ""

    @web.middleware
    async def guard(request: web.Request, handler):
        if token:
            path = request.path
            if not (path == prefix or path.startswith(prefix + "/")):
                first = path.lstrip("/").split("/", 1)[0]
                given = first if first not in _API_SEGMENTS and not first.startswith("SUM") else None
                if given is not None and not hmac.compare_digest(given.encode(), token.encode()):
                    return web.Response(status=403, text="Forbidden: wrong access token")
                return web.Response(status=401, text="Unauthorized: this server needs its access token in the URL, "
                                    "http://HOST:PORT/<token>/")
        try:
            await asyncio.get_running_loop().run_in_executor(None, state.maybe_rescan)
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as e:  # noqa: BLE001 (answered as JSOC answers a failure, not HTTP 500)
            log.warning(f"held-files JSOC: {request.method} {request.path} failed: {type(e).__name__}: {e}")
            if "/cgi-bin/ajax/" in request.path:
                return _json({"status": 1, "error": f"cannot process the request: {type(e).__name__}: {e}"[:500]})
            return web.Response(status=400, text="Bad Request")

    app = web.Application(middlewares=[guard], client_max_size=1024 * 1024)
    app[_STATE] = state

    def run(fn, *args):
        return asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def root(request):
        return web.Response(text="<html><body><h1>JSOC API from held files (sunpy-jsocx)</h1></body></html>",
                            content_type="text/html")

    async def stats(request):
        h = state.holdings
        return _json({"requests": dict(state.counts), "files": len(h.files),
                      "records": sum(len(s.records) for s in h.series.values()), "series": h.names(),
                      "unplaced": [str(p) for p in h.unplaced], "skipped": len(h.skipped), "scans": h.scans})

    async def rescan(request):
        await run(state.maybe_rescan, True)
        return await stats(request)

    def names(q):
        return filter_names(state.holdings.names(), q.get("filter"))

    async def showextseries(request):
        q = await _params(request)
        state.count("showextseries")
        try:
            found = names(q)
        except FilterError as e:
            return _json({"errMsg": f"Invalid filter: {e}", "seriesList": []})
        if q.get("info"):
            return _json({"errMsg": "", "seriesList": [{n: {"description": _note(state, n)}} for n in found]})
        return _json({"errMsg": "", "seriesList": found})

    async def show_series(request):
        q = await _params(request)
        state.count("show_series")
        try:
            found = names(q)
        except FilterError as e:
            if not e.syntax:
                return _json({"status": 1, "error": f"show_series: invalid filter: {e}"})
            found = []
        out = [{"name": n, "primekeys": ", ".join(state.holdings.get(n).primekeys), "note": _note(state, n)}
               for n in found]
        return _json({"status": 0, "names": out, "n": len(out)})

    async def check_address(request):
        q = await _params(request)
        state.count("checkAddress")
        from urllib.parse import unquote

        address = unquote(q.get("address") or "")
        if not address:
            return _json({"status": -2, "msg": "Missing required argument 'address'."})
        if not _ADDRESS.fullmatch(address):
            return _json({"status": -2, "msg": "Not a valid email address."})
        return _json({"status": 2, "msg": "Email address is valid and registered."})

    async def jsoc_info(request):
        q = await _params(request)
        op = q.get("op", "")
        state.count(f"jsoc_info:{op}")
        t0 = time.perf_counter()
        if op == "series_struct":
            d = await run(_series_struct, state, q.get("ds", ""))
        elif op == "rs_summary":
            def summary():
                try:
                    sels = resolve(state.holdings, q.get("ds", ""), limit=_int(q.get("n")))
                except QueryError as e:
                    return {"status": 1, "error": str(e)}
                return {"count": sum(len(x.records) for x in sels), "status": 0}
            d = await run(summary)
        elif op == "rs_list":
            d = await run(_rs_list, state, q)
        else:
            d = {"status": 1, "error": f"jsoc_info: unknown op '{op}'; valid ops are series_struct, rs_summary, "
                 "rs_list"}
        d["runtime"] = round(time.perf_counter() - t0, 3)
        return _json(d)

    async def jsoc_fetch(request):
        q = await _params(request)
        op = q.get("op", "")
        state.count(f"jsoc_fetch:{op}")
        if op == "exp_request":
            return _json(await run(_exp_request, state, q))
        if op == "exp_status":
            return _json(_exp_status(state, q.get("requestid", "")))
        return _json({"status": 4, "error": f"jsoc_fetch: unknown op '{op}'; valid ops are exp_request, exp_status"})

    async def files(request: web.Request):
        raw = request.raw_path.split("?", 1)[0][len(prefix):]
        state.count("download")
        m = _EXPORT_DIR.match(raw)
        if not m or ".." in raw or int(m.group(1)) != 40 + int(m.group(2)) % 60:
            return web.Response(status=404, text="Not Found")
        sunum, slot, name = int(m.group(2)), int(m.group(3)), m.group(4)
        held = None
        if slot == 0:
            exp = state.export_by_sunum.get(sunum)
            if exp is not None:
                if exp.method.endswith("-tar") and name == f"{exp.id}.tar":
                    data = await run(_tar, exp)
                    return web.Response(body=data, content_type="application/x-tar",
                                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
                if name == "index.json":
                    return _json(_index(exp))
                held = next((f for _, fname, f in exp.files if fname == name), None)
            else:
                rec = state.sunums.get(sunum)
                if rec is not None:
                    seg = next((s for s in rec.files if _stored_name(s) == name), None)
                    held = rec.files[seg].get("as-is") if seg is not None else None
        if (held is None or not state.holdings.served_path(held.path) or not _inside(held.path, state.holdings.roots)
                or not held.path.is_file()):  # removed since the last scan
            return web.Response(status=404, text="Not Found")
        return web.FileResponse(held.path, headers={"Content-Type": "application/fits",
                                                    "Content-Disposition": f'attachment; filename="{name}"'})

    app.router.add_get(prefix + "/", root)
    app.router.add_get(prefix + "/emulator/stats", stats)
    app.router.add_route("*", prefix + "/emulator/rescan", rescan)
    for path, handler in (("showextseries", showextseries), ("show_series", show_series),
                          ("checkAddress.sh", check_address), ("jsoc_info", jsoc_info), ("jsoc_fetch", jsoc_fetch)):
        app.router.add_route("GET", f"{prefix}/cgi-bin/ajax/{path}", handler)
        app.router.add_route("POST", f"{prefix}/cgi-bin/ajax/{path}", handler)
    app.router.add_get(prefix + "/{tail:.*}", files)
    return app


def _note(state: _ServeState, name: str) -> str:
    s = state.holdings.get(name)
    return str(s.struct.get("note", "")) if s else ""


def _tar(exp: _Export) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        index = json.dumps(_index(exp)).encode()
        info = tarfile.TarInfo("index.json")
        info.size, info.mtime, info.mode = len(index), int(exp.created), 0o644
        tf.addfile(info, io.BytesIO(index))
        for _, name, f in exp.files:
            data = Path(f.path).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(exp.created), 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# ---------------------------------------------------------------------------- running it
class HeldJSOC(BackgroundServer):
    """
    JSOC's API from held files, served from a background thread.

    Parameters
    ----------
    data
        The folder of downloaded files (and any further folders, such as a record cache).
    host
        Interface to bind; loopback by default.
    port
        Port; 0 picks a free one.
    token
        Access token: every URL then starts with ``/<token>/`` (``url`` includes it).
    metadata
        Folders of cached ``series_struct`` answers; default: the client's cache
        (``$JSOCX_CACHE_DIR/series_struct``) and ``<data>/series_struct``.
    rescan_interval, clock
        As ``ServeConfig``.

    Examples
    --------
    >>> import tempfile
    >>> from sunpy_jsocx.emulator.serve import HeldJSOC
    >>> with tempfile.TemporaryDirectory() as d, HeldJSOC(d) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, data: str | Path | Iterable[str | Path], *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, metadata: Iterable[str | Path] | None = None,
                 rescan_interval: float = 10.0, clock: Callable[[], float] = time.time):
        roots = [Path(data)] if isinstance(data, (str, Path)) else [Path(d) for d in data]
        for r in roots:
            if not r.is_dir():
                raise ValueError(f"{str(r)!r} is not a folder; give the folder of downloaded FITS files to serve")
        if token is not None and not _TOKEN_RE.fullmatch(token):
            raise ValueError("an access token must be 8 to 128 characters from A-Z, a-z, 0-9, '_' and '-' "
                             f"(it goes into URLs), got {len(token)} characters")
        if metadata is None:
            metadata = default_metadata(roots[0])
        super().__init__(host, port)
        self.token = token
        self.config = ServeConfig([r.resolve() for r in roots], [Path(m) for m in metadata], token,
                                   rescan_interval, clock)

    _thread_name = "jsocx-serve"
    _start_timeout = 300.0  # the folders are indexed before it binds

    def _make_app(self) -> web.Application:
        return make_serve_app(self.config)

    @property
    def url(self) -> str:
        """Base URL with a trailing slash, with the token path when there is one."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/" + (f"{self.token}/" if self.token else "")

    @property
    def holdings(self) -> Holdings:
        return self._app[_STATE].holdings

    def rescan(self) -> None:
        """Read the folders again now."""
        self._app[_STATE].maybe_rescan(force=True)


def default_metadata(data: Path) -> list[Path]:
    """Where cached ``series_struct`` answers are looked for: ``<data>/series_struct`` and the client's cache."""
    from sunpy_jsocx.transport import cache_dir

    out = [Path(data) / "series_struct"]
    cache = cache_dir()
    if cache is not None:
        out.append(cache / "series_struct")
    return out


def build_parser(prog: str = "python -m sunpy_jsocx serve") -> argparse.ArgumentParser:
    """The options of ``serve``: DIR, ``--host``, ``--port``, ``--token``, ``--record-cache`` ..."""
    p = argparse.ArgumentParser(prog=prog, description="Serve JSOC's web API from downloaded FITS files, for drms, "
                                "sunpy and sunpy-jsocx on other machines.")
    p.add_argument("data", nargs="?", metavar="DIR", help="the folder of downloaded FITS files to serve")
    p.add_argument("--data", dest="data_option", metavar="DIR", help="the same as DIR")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=0, help="port (default: 0, a free port)")
    p.add_argument("--token", default=None,
                   help=f"require this access token as the first part of every URL path (default: ${TOKEN_ENV} "
                        "if set); 'auto' makes a random one. The printed base URL includes it.")
    p.add_argument("--record-cache", nargs="?", const="", default=None, metavar="PATH",
                   help="also serve the files of sunpy-jsocx's record cache (PATH, or the configured one, "
                        "$JSOCX_RECORD_CACHE, when PATH is left out)")
    p.add_argument("--metadata", action="append", default=None, metavar="PATH",
                   help="a folder of cached series_struct answers (repeatable; default: DIR/series_struct and "
                        "the client's metadata cache)")
    p.add_argument("--rescan-interval", type=float, default=10.0, metavar="S",
                   help="seconds between checks for new or changed files (default: 10; negative: never)")
    return p


def main(argv=None, *, prog: str = "python -m sunpy_jsocx serve") -> int:
    """
    Serve until SIGTERM or Ctrl-C; the first line of standard output is the base URL.

    Returns the exit status (2 for bad options, 1 when it cannot serve).
    """
    args = build_parser(prog).parse_args(argv)
    data = args.data or args.data_option
    if not data:
        print("error: give the folder to serve (DIR or --data DIR)", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be between 0 and 65535, got {args.port}", file=sys.stderr)
        return 2
    token = args.token if args.token is not None else (os.environ.get(TOKEN_ENV) or None)
    if token == "auto":
        token = secrets.token_urlsafe(24)
    roots = [Path(data)]
    if args.record_cache is not None:
        if args.record_cache:
            roots.append(Path(args.record_cache).expanduser())
        else:
            from sunpy_jsocx.recordcache import record_cache

            cache = record_cache()
            if cache is None:
                print("error: --record-cache: the record cache is switched off (JSOCX_RECORD_CACHE)", file=sys.stderr)
                return 2
            cache.root.mkdir(parents=True, exist_ok=True)
            roots.append(cache.root)
    try:
        server = HeldJSOC(roots, host=args.host, port=args.port, token=token, metadata=args.metadata,
                          rescan_interval=args.rescan_interval)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    def announce(server: HeldJSOC) -> None:
        h = server.holdings
        print(f"serving {sum(len(s.records) for s in h.series.values())} records of {len(h.series)} series from "
              f"{len(h.files)} files", file=sys.stderr, flush=True)
        if h.unplaced:
            print(f"note: {len(h.unplaced)} as-is file(s) match no held FITS file of a record and are not served "
                  f"(first: {h.unplaced[0]}); see {server.url}emulator/stats", file=sys.stderr, flush=True)
        if token is None and args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"warning: serving on {args.host} without an access token: anyone who can reach this port can "
                  "read the files; consider --token auto", file=sys.stderr, flush=True)

    return serve_until_stopped(server, args.host, args.port, announce)

if __name__ == "__main__":
    sys.exit(main())
