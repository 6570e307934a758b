"""
The emulator's series catalogue.

Two kinds of series are known:

* **Fully defined** series have a file ``data/series/<name>.json`` holding the
  real (or faithfully synthesised) ``series_struct`` answer plus an
  ``"emulator"`` block that says how records are generated: the slotted time
  key, its epoch and step, the mission span, the values of the other prime
  keys, the stored file name and image kind of each segment.
* **Catalogue-only** series are the remaining real JSOC names of
  ``data/catalog.json``. JSOC lists them, so the emulator lists them; their real
  structure is not known here, so ``series_struct`` and ``rs_list`` refuse them
  (:func:`not_emulated_message`). A generic placeholder model (a daily ``T_REC``
  and one ``data`` segment) exists only so that record numbers and storage units
  of every listed series stay distinct.

The emulator block may hold ``record_values`` (``{keyword: [one value per prime-key
combination]}``): real per-record values, such as the rows of the AIA response tables
or the Carrington-rotation times of the synoptic charts, which win over generated ones.
It may also hold ``time_offsets`` (``{keyword: {"from": time keyword, "seconds": n}}``):
time keywords that are another time keyword of the same record plus a fixed offset,
such as ``T_STOP`` = ``T_START`` + 3 h of aia.master_pointing3h.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

from sunpy_jsocx import jsoctime

__all__ = ["SeriesModel", "Catalog", "load_catalog"]

#: Size of the recnum block reserved per slot for HARP series (HARPNUM modulo this).
HARP_BLOCK = 64


@dataclass
class SeriesModel:
    """
    One series: its ``series_struct`` and how the emulator generates its records.
    """

    name: str
    struct: dict[str, Any]
    emulator: dict[str, Any]
    code: int
    generic: bool = False
    keyword_defs: list[dict[str, Any]] = field(init=False)

    def __post_init__(self):
        self.keyword_defs = self.struct["keywords"]

    @property
    def lname(self) -> str:
        return self.name.lower()

    @property
    def namespace(self) -> str:
        return self.lname.split(".", 1)[0]

    @cached_property
    def keywords_by_upper(self) -> dict[str, dict[str, Any]]:
        return {k["name"].upper(): k for k in self.keyword_defs}

    def keyword(self, name: str) -> dict[str, Any] | None:
        return self.keywords_by_upper.get(name.upper())

    @cached_property
    def segments_by_lower(self) -> dict[str, dict[str, Any]]:
        return {s["name"].lower(): s for s in self.struct["segments"]}

    def segment(self, name: str) -> dict[str, Any] | None:
        return self.segments_by_lower.get(name.lower())

    @cached_property
    def links_by_upper(self) -> dict[str, dict[str, Any]]:
        return {s["name"].upper(): s for s in self.struct.get("links", [])}

    @property
    def primekeys(self) -> list[str]:
        return list(self.struct["primekeys"])

    @property
    def time_key(self) -> str | None:
        return self.emulator.get("time_key")

    @cached_property
    def epoch(self) -> float:
        """Origin of the slots of the time key.

        ``slot_origin`` where the data says real slot times follow another origin
        than the ``<key>_epoch`` keyword (AIA: the keyword reads
        1993.01.01_00:00:04_TAI, the recorded T_REC values sit on whole steps from
        1993.01.01_00:00:00_TAI). Query times round on :attr:`rounding_epoch`.
        """
        text = self.emulator.get("slot_origin") or self.emulator.get("epoch") or "1993.01.01_00:00:00_TAI"
        return jsoctime.parse_time(text)

    @property
    def step(self) -> float:
        """Slot step: query times are rounded to the nearest multiple of it."""
        return float(self.emulator.get("step") or 86400.0)

    @property
    def cadence(self) -> float:
        """Seconds between records (a multiple of the step; usually the step itself)."""
        return float(self.emulator.get("cadence") or self.step)

    @cached_property
    def grid_origin(self) -> float:
        """Time of record grid index 0."""
        if self.cadence == self.step:
            return self.epoch
        first = jsoctime.parse_time(self.emulator.get("first") or "2010.05.01_00:00:00_TAI")
        return self.round_time(first)

    @cached_property
    def rounding_epoch(self) -> float:
        """Origin from which query times are rounded to slots: the ``<key>_epoch`` keyword.

        For AIA it differs from :attr:`epoch` (the origin of the recorded slot values):
        ``n = floor((t - T_REC_epoch) / step + 0.5)`` picks the slot and slot ``n`` carries
        the recorded value ``slot_origin + n * step``. With T_REC_epoch
        1993.01.01_00:00:04_TAI this reproduces every recorded AIA answer (seed tutorial:
        ``[2014.01.01_00:00:35_TAI-2014.01.01_00:00:55_TAI]`` gives 00:00:01Z and
        00:00:13Z only; sunpy's cassettes: 2010-07-30 and 2014-01-01 queries), where
        rounding on ``slot_origin`` would add 00:00:25Z to the first.
        """
        text = self.emulator.get("epoch") or "1993.01.01_00:00:00_TAI"
        return jsoctime.parse_time(text)

    def round_time(self, t):
        """Round internal time(s) to the nearest slot (JSOC's slot rounding), as slot values."""
        import numpy as np

        n = np.floor((np.asarray(t, dtype=float) - self.rounding_epoch) / self.step + 0.5)
        return self.epoch + n * self.step

    def grid_position(self, t):
        """Position of (slot-rounded) time(s) on the record grid, as a float index."""
        import numpy as np

        return (np.asarray(self.round_time(t), dtype=float) - self.grid_origin) / self.cadence

    @cached_property
    def first_slot(self) -> int:
        """
        Record-grid index of the first record; 0 for series without a time prime key.

        Series keyed by other prime keys only (e.g. ``CAR_ROT`` of the synoptic maps)
        hold all their records in slot 0, so their record numbers start at
        :attr:`recnum_base` instead of going negative.
        """
        import math

        if not self.time_key:
            return 0
        first = self.emulator.get("first") or "2010.05.01_00:00:00_TAI"
        return int(math.ceil(float(self.grid_position(jsoctime.parse_time(first))) - 1e-9))

    def last_slot(self, now: float) -> int:
        """
        The grid index of the newest record at internal time ``now``: the catalogue's
        ``last``, or for an open-ended series the last record that began a day before
        ``now``. A record whose time keywords run past its time key (declared as the key
        plus a fixed offset: ``T_STOP`` 72 days and ``DATE`` 86 days after ``T_START`` in
        hmi.V_sht_modes, ``T_STOP`` 3 h in aia.master_pointing3h) exists only once the
        latest of them is a day past: JSOC fits a 72-day series of modes after the 72
        days, and a record is not there before it was made (emulator choice of the lag).
        """
        import math

        last = self.emulator.get("last")
        if last:
            t = jsoctime.parse_time(last)
        else:
            spans = [seconds for base, seconds in self.time_offsets.values()
                     if self.time_key and base.upper() == self.time_key.upper() and seconds > 0]
            t = now - 86400.0 - max(spans, default=0.0)
        return int(math.floor(float(self.grid_position(t)) + 1e-9))

    def slot_of(self, t) -> int:
        """Nearest record grid index of internal time ``t``."""
        import math

        return int(math.floor(float(self.grid_position(t)) + 0.5))

    def slot_time(self, slot):
        return self.grid_origin + slot * self.cadence

    @property
    def fsn_from_time(self) -> bool:
        return bool(self.emulator.get("fsn_from_time"))

    @property
    def cycle_values(self) -> dict[str, list]:
        return dict(self.emulator.get("cycle_values") or {})

    @cached_property
    def combos(self) -> list[dict[str, Any]]:
        """
        The non-time prime-key value combinations recorded in every slot.

        Each combination also carries the per-record keyword values of the optional
        ``record_values`` member of the emulator block (``{keyword: [one value per
        combination]}``): real values a record of that combination holds, such as the
        columns of the AIA response table or the Carrington rotation times of a
        synoptic map. They are read like the prime keys, so they win over every
        generated value.
        """
        if self.emulator.get("combos"):
            combos = [dict(c) for c in self.emulator["combos"]]
        else:
            combos = [{}]
            for axis in self.emulator.get("axes") or []:
                combos = [dict(c, **{axis["key"]: v}) for c in combos for v in axis["values"]]
        for key, values in (self.emulator.get("record_values") or {}).items():
            if len(values) != len(combos):
                raise ValueError(f"{self.name}: record_values[{key!r}] has {len(values)} values for "
                                 f"{len(combos)} prime-key combinations; give one value per combination")
            for combo, value in zip(combos, values, strict=True):
                combo[key] = value
        return combos

    @property
    def harp_key(self) -> str | None:
        harp = self.emulator.get("harp")
        return harp["key"] if harp else None

    @property
    def block(self) -> int:
        """Number of recnums reserved per slot."""
        return HARP_BLOCK if self.harp_key else max(1, len(self.combos))

    @property
    def unitsize(self) -> int:
        return max(1, int(self.struct.get("unitsize") or 1))

    @property
    def recnum_base(self) -> int:
        return 1000 + (self.code % 97) * 10

    def segment_file(self, segment: str) -> str:
        files = self.emulator.get("segment_files") or {}
        seg = self.segment(segment)
        name = seg["name"] if seg else segment
        return files.get(name, f"{name}.fits")

    def segment_kind(self, segment: str) -> str | None:
        kinds = self.emulator.get("segment_kinds") or {}
        seg = self.segment(segment)
        return kinds.get(seg["name"] if seg else segment)

    @property
    def constants(self) -> dict[str, str]:
        return dict(self.emulator.get("constants") or {})

    @cached_property
    def time_offsets(self) -> dict[str, tuple[str, float]]:
        """
        Keywords defined as another time keyword plus a fixed number of seconds.

        From the optional ``time_offsets`` member of the emulator block,
        ``{keyword: {"from": time keyword, "seconds": offset}}``, keyed here by the
        upper-case keyword name: for example ``T_STOP`` = ``T_START`` + 3 h for
        aia.master_pointing3h. Raises `ValueError` for an entry that names no time
        keyword of the series or whose offset is not a finite number.
        """
        import math

        out = {}
        for name, spec in (self.emulator.get("time_offsets") or {}).items():
            base = spec.get("from") if isinstance(spec, dict) else None
            seconds = spec.get("seconds") if isinstance(spec, dict) else None
            target, source = self.keyword(name), self.keyword(base) if isinstance(base, str) else None
            if target is None or target["type"] != "time" or source is None or source["type"] != "time":
                raise ValueError(f"{self.name}: time_offsets[{name!r}] must map a time keyword to "
                                 f"{{'from': <another time keyword>, 'seconds': <number>}}, got {spec!r}")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
                raise ValueError(f"{self.name}: time_offsets[{name!r}]['seconds'] must be a finite number "
                                 f"of seconds, got {seconds!r}")
            out[name.upper()] = (source["name"], float(seconds))
        for name, (base, _) in out.items():
            if base.upper() in out:
                raise ValueError(f"{self.name}: time_offsets[{name!r}] must count from a time keyword "
                                 f"that is not itself an offset keyword, got {base!r}")
        return out

    def time_units(self, key: str) -> str:
        kw = self.keyword(key)
        units = (kw or {}).get("units") or "TAI"
        return "ISO" if units.upper() == "ISO" else ("UTC" if units.upper() in ("UTC", "UT") else "TAI")

    def struct_answer(self, first_record: str | None, last_record: str | None, first_recnum, last_recnum) -> dict:
        """The ``series_struct`` answer, with JSOC's ``Interval`` block."""
        d = copy.deepcopy(self.struct)
        d["Interval"] = {
            "FirstRecord": first_record,
            "FirstRecnum": first_recnum,
            "LastRecord": last_record,
            "LastRecnum": last_recnum,
            "MaxRecnum": last_recnum,
        }
        return d


def not_emulated_message(name: str) -> str:
    """
    JSOC's "series not found" answer for a series the emulator lists but does not emulate.

    Such a series is in the emulator's catalogue (it is in JSOC's series list), but no
    public real ``series_struct`` answer describes its prime keys, keywords and segments,
    so the emulator refuses it the way JSOC refuses a series it cannot open instead of
    inventing a structure and records.

    Parameters
    ----------
    name : str
        The series name.

    Returns
    -------
    str
        The error text.
    """
    return (f"jsoc_info: series {name} not found. (The JSOC emulator lists {name} but does not emulate "
            "it: no public series_struct answer gives its prime keys, keywords and segments.)")


def _generic_struct(name: str, note: str) -> dict[str, Any]:
    return {
        "note": f"{note} (catalogue-only in the emulator: generic structure)",
        "retention": 60,
        "stagingretention": 3,
        "unitsize": 1,
        "archive": 1,
        "tapegroup": 1,
        "primekeys": ["T_REC"],
        "primekeysinfo": [{"name": "T_REC", "slotted": 1, "step": "86400.0"}],
        "dbindex": ["T_REC"],
        "keywords": [
            {"name": "T_REC", "type": "time", "recscope": "ts_eq", "defval": "-4712.01.01_11:59:28_TAI",
             "units": "TAI", "note": "Slot time"},
            {"name": "T_REC_epoch", "type": "time", "recscope": "constant", "defval": "1993.01.01_00:00:00_TAI",
             "units": "TAI", "note": "Time of origin"},
            {"name": "T_REC_step", "type": "double", "recscope": "constant", "defval": "86400.0",
             "units": "seconds", "note": "ts_eq step"},
            {"name": "T_REC_index", "type": "longlong", "recscope": "index", "defval": "0", "units": "none",
             "note": "Slot index"},
            {"name": "QUALITY", "type": "int", "recscope": "variable", "defval": "0x00000000", "units": "none",
             "note": "Quality word"},
        ],
        "segments": [{"name": "data", "type": "float", "units": "none", "protocol": "fits", "dims": "64x64",
                      "note": "data"}],
        "links": [],
    }


class Catalog:
    """
    All series the emulator knows, looked up case-insensitively.
    """

    def __init__(self, series: dict[str, SeriesModel], listing: list[tuple[str, str]], segments: list):
        self._full = series
        self._listing = {n.lower(): (n, note) for n, note in listing}
        for m in series.values():
            self._listing[m.lname] = (m.name, self._listing.get(m.lname, (m.name, m.struct.get("note", "")))[1])
        # Series codes (used in SUMS numbers) follow the sorted catalogue, so they are
        # unique and stable for a given catalogue.
        self._codes = {lname: 100 + i for i, lname in enumerate(sorted(self._listing))}
        for m in series.values():
            m.code = self._codes[m.lname]
        self._generic: dict[str, SeriesModel] = {}
        self.segment_notes = segments
        self._by_code = {m.code: m for m in series.values()}

    def names(self) -> list[str]:
        """All series names in canonical case, sorted as JSOC sorts them."""
        return sorted((n for n, _ in self._listing.values()), key=str.lower)

    def note(self, name: str) -> str:
        return self._listing[name.lower()][1]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._listing

    def get(self, name: str) -> SeriesModel | None:
        lname = name.lower()
        if lname in self._full:
            return self._full[lname]
        if lname not in self._listing:
            return None
        if lname not in self._generic:
            canon, note = self._listing[lname]
            code = self._codes[lname]
            model = SeriesModel(
                canon,
                _generic_struct(canon, note),
                {"time_key": "T_REC", "epoch": "1993.01.01_00:00:00_TAI", "step": 86400.0,
                 "first": "2010.05.01_00:00:00_TAI", "instrument": "OTHER",
                 "segment_files": {"data": "data.fits"}, "segment_kinds": {"data": "generic"}},
                code,
                generic=True,
            )
            self._generic[lname] = model
            self._by_code[code] = model
        return self._generic[lname]

    def by_code(self, code: int) -> SeriesModel | None:
        model = self._by_code.get(code)
        if model is None:
            # Catalogue-only series are created lazily: materialise them all once.
            for lname in self._listing:
                self.get(lname)
            model = self._by_code.get(code)
        return model

    def full_models(self) -> list[SeriesModel]:
        return list(self._full.values())


_CATALOG: Catalog | None = None


def load_catalog() -> Catalog:
    """Load (once) the catalogue shipped in ``sunpy_jsocx/emulator/data``."""
    global _CATALOG
    if _CATALOG is not None:
        return _CATALOG
    data = resources.files("sunpy_jsocx.emulator") / "data"
    listing = json.loads((data / "catalog.json").read_text())
    series: dict[str, SeriesModel] = {}
    for entry in sorted((data / "series").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".json"):
            continue
        d = json.loads(entry.read_text())
        series[d["name"].lower()] = SeriesModel(d["name"], d["series_struct"], d["emulator"], 0)
    _CATALOG = Catalog(series, [tuple(x) for x in listing["series"]], listing.get("segments", []))
    return _CATALOG
