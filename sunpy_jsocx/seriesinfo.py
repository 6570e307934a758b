"""
What JSOC says about one series: prime keys, keywords, segments and links.

`SeriesInfo` is built from the JSON answer of ``jsoc_info?op=series_struct``
(the same shape as the ``series_struct`` member of the emulator's series files)
and is the only thing the pure query layer (`sunpy_jsocx.recordset`) needs to
turn a query into a record set and to check it before anything is sent: names
are looked up case-insensitively, and errors list the valid names.

Nothing here does I/O.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

__all__ = ["KeywordInfo", "LinkInfo", "SegmentInfo", "SeriesInfo"]

#: DRMS keyword types holding integers.
INTEGER_TYPES: Final = frozenset({"int", "short", "longlong", "char"})
#: DRMS keyword types holding floating-point numbers.
FLOAT_TYPES: Final = frozenset({"float", "double"})

# Units of a slot step, in seconds (the ``<KEY>_unit`` keyword or the step keyword's units).
_STEP_UNITS: Final = {
    "": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
# How a time keyword's ``units`` map onto the three ways JSOC prints times.
_TIME_UNITS: Final = {"TAI": "TAI", "ISO": "ISO", "UTC": "UTC", "UT": "UTC", "Z": "ISO"}


def _unknown_name(what: str, name: object, series: str, valid: Sequence[str]) -> ValueError:
    """A ValueError naming ``name`` and listing ``valid`` (close matches first)."""
    close = difflib.get_close_matches(str(name), valid, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(valid) if valid else "(none)"
    return ValueError(f"{what} {name!r} is not in series {series}.{hint} Valid {what}s: {listing}")


@dataclass(frozen=True)
class KeywordInfo:
    """
    One keyword of a series, as described by ``series_struct``.

    Attributes
    ----------
    name : str
        The keyword name in JSOC's case.
    type : str
        The DRMS type: ``string``, ``int``, ``short``, ``longlong``, ``char``,
        ``float``, ``double`` or ``time``.
    units : str
        The units; for time keywords how the value is printed (``TAI``, ``ISO``).
    note : str
        The description.
    recscope : str
        ``variable``, ``constant``, ``ts_eq``, ``ts_slot``, ``index``, ...
    defval : str
        The default (missing) value as JSOC prints it.
    linkinfo : str or None
        ``"link->KEY"`` for a linked keyword.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import KeywordInfo
    >>> k = KeywordInfo("WAVELNTH", "int", "angstrom", "Wavelength", "variable", "-2147483648")
    >>> k.is_integer, k.is_numeric, k.is_time
    (True, True, False)
    """

    name: str
    type: str
    units: str = ""
    note: str = ""
    recscope: str = "variable"
    defval: str = ""
    linkinfo: str | None = None

    @property
    def is_time(self) -> bool:
        """Whether the keyword holds times."""
        return self.type == "time"

    @property
    def is_integer(self) -> bool:
        """Whether the keyword holds integers."""
        return self.type in INTEGER_TYPES

    @property
    def is_numeric(self) -> bool:
        """Whether the keyword holds numbers (integers or floats, not times)."""
        return self.type in INTEGER_TYPES or self.type in FLOAT_TYPES

    @property
    def is_string(self) -> bool:
        """Whether the keyword holds strings."""
        return self.type == "string"


@dataclass(frozen=True)
class SegmentInfo:
    """
    One segment (data file) of a series.

    Attributes
    ----------
    name : str
        The segment name in JSOC's case (``magnetogram``, ``Dopplergram``).
    type : str
        The data type (``int``, ``float``, ...).
    units : str
        The physical units.
    protocol : str
        The storage protocol (``fits``, ``generic``, ...).
    dims : str
        The dimensions, e.g. ``4096x4096`` (``VARxVAR`` when they vary).
    note : str
        The description.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SegmentInfo
    >>> SegmentInfo("image", "int", "DN", "fits", "4096x4096", "AIA level 1 image").dims
    '4096x4096'
    """

    name: str
    type: str = ""
    units: str = ""
    protocol: str = ""
    dims: str = ""
    note: str = ""


@dataclass(frozen=True)
class LinkInfo:
    """
    A link from a series to another one.

    Attributes
    ----------
    name : str
        The link name (``lev1``, ``MDATA``).
    target : str
        The series linked to.
    kind : str
        ``STATIC`` or ``DYNAMIC``.
    note : str
        The description.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import LinkInfo
    >>> LinkInfo("MDATA", "hmi.ME_720s_fd10", "STATIC", "ME inversion data").target
    'hmi.ME_720s_fd10'
    """

    name: str
    target: str = ""
    kind: str = ""
    note: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class SeriesInfo:
    """
    The structure of one JSOC series.

    Build it with `SeriesInfo.from_struct` from a ``series_struct`` answer.
    Names are looked up case-insensitively (`keyword`, `segment`, `primekey`),
    and unknown names give a `ValueError` that lists the valid ones.

    Attributes
    ----------
    name : str
        The series name as given (use JSOC's canonical case, e.g. ``hmi.M_45s``).
    primekeys : tuple of str
        The prime keys, in order.
    keywords : Mapping of str to KeywordInfo
        Every keyword, in JSOC's order, by name.
    segments : tuple of SegmentInfo
        The segments, in order.
    links : tuple of LinkInfo
        The links to other series.
    note : str
        The series description.
    time_keys : tuple of str
        The prime keys of type time, in prime-key order.
    slotted : Mapping of str to float
        For each slotted prime key, the slot step: in seconds for time keys
        (converted with the ``<KEY>_unit`` keyword or the step keyword's units),
        in the key's own units otherwise.

    Examples
    --------
    >>> import json
    >>> from importlib.resources import files
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> data = json.loads(files("sunpy_jsocx.emulator").joinpath("data/series/hmi.m_45s.json").read_text())
    >>> info = SeriesInfo.from_struct(data["name"], data["series_struct"])
    >>> info.name, info.primekeys, info.time_keys, dict(info.slotted)
    ('hmi.M_45s', ('T_REC', 'CAMERA'), ('T_REC',), {'T_REC': 45.0})
    >>> info.time_units("t_rec"), info.segment("MAGNETOGRAM").name
    ('TAI', 'magnetogram')
    """

    name: str
    primekeys: tuple[str, ...]
    keywords: Mapping[str, KeywordInfo]
    segments: tuple[SegmentInfo, ...] = ()
    links: tuple[LinkInfo, ...] = ()
    note: str = ""
    time_keys: tuple[str, ...] = ()
    slotted: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def __hash__(self) -> int:
        return hash((self.name, self.primekeys, tuple(self.keywords), self.segments))

    @classmethod
    def from_struct(cls, name: str, d: Mapping[str, Any]) -> SeriesInfo:
        """
        Build a `SeriesInfo` from a ``series_struct`` JSON answer.

        Parameters
        ----------
        name : str
            The series name (its canonical case, as JSOC lists it).
        d : dict
            The decoded JSON of ``jsoc_info?op=series_struct&ds=<name>``.
            Members other than ``note``, ``primekeys``, ``primekeysinfo``,
            ``keywords``, ``segments`` and ``links`` are ignored.

        Returns
        -------
        SeriesInfo

        Raises
        ------
        ValueError
            If ``d`` has no ``primekeys`` list or ``keywords`` list, or a
            prime key is not among the keywords.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> struct = {
        ...     "note": "toy", "primekeys": ["T_REC", "WAVELNTH"],
        ...     "primekeysinfo": [{"name": "T_REC", "slotted": 1, "step": "12.0"},
        ...                       {"name": "WAVELNTH", "slotted": 0}],
        ...     "keywords": [
        ...         {"name": "T_REC", "type": "time", "units": "ISO", "recscope": "ts_eq"},
        ...         {"name": "T_REC_step", "type": "double", "units": "second", "defval": "12.0"},
        ...         {"name": "WAVELNTH", "type": "int", "units": "angstrom"}],
        ...     "segments": [{"name": "image", "protocol": "fits"}], "links": []}
        >>> info = SeriesInfo.from_struct("toy.lev1", struct)
        >>> info.time_keys, dict(info.slotted), [s.name for s in info.segments]
        (('T_REC',), {'T_REC': 12.0}, ['image'])
        """
        if not isinstance(d, Mapping):
            raise TypeError(f"series_struct of {name} must be a dict, not {type(d).__name__}")
        primekeys = d.get("primekeys")
        keyword_list = d.get("keywords")
        if not isinstance(primekeys, list) or not isinstance(keyword_list, list):
            raise ValueError(f"series_struct of {name} needs 'primekeys' and 'keywords' lists")
        keywords = {}
        for k in keyword_list:
            info = KeywordInfo(
                name=str(k["name"]),
                type=_text(k.get("type")).lower(),
                units=_text(k.get("units")),
                note=_text(k.get("note")),
                recscope=_text(k.get("recscope")) or "variable",
                defval=_text(k.get("defval")),
                linkinfo=k.get("linkinfo"),
            )
            keywords[info.name] = info
        lower = {key.lower(): key for key in keywords}
        canonical_primekeys = []
        for key in primekeys:
            if str(key).lower() not in lower:
                raise ValueError(f"series_struct of {name}: prime key {key!r} is not among the keywords")
            canonical_primekeys.append(lower[str(key).lower()])

        segments = tuple(
            SegmentInfo(
                name=str(s["name"]),
                type=_text(s.get("type")),
                units=_text(s.get("units")),
                protocol=_text(s.get("protocol")),
                dims=_text(s.get("dims")),
                note=_text(s.get("note")),
            )
            for s in d.get("segments") or ()
        )
        links = tuple(
            LinkInfo(
                name=str(link["name"]),
                target=_text(link.get("target")),
                kind=_text(link.get("kind")),
                note=_text(link.get("note")),
            )
            for link in d.get("links") or ()
        )
        time_keys = tuple(key for key in canonical_primekeys if keywords[key].is_time)
        slotted = {}
        for entry in d.get("primekeysinfo") or ():
            key = lower.get(str(entry.get("name", "")).lower())
            if key is None or not int(entry.get("slotted") or 0):
                continue
            step = _step_seconds(key, entry.get("step"), keywords, lower)
            if step is not None:
                slotted[key] = step
        return cls(
            name=name,
            primekeys=tuple(canonical_primekeys),
            keywords=MappingProxyType(keywords),
            segments=segments,
            links=links,
            note=_text(d.get("note")),
            time_keys=time_keys,
            slotted=MappingProxyType(slotted),
        )

    # -- look-ups ---------------------------------------------------------------

    @property
    def time_key(self) -> str | None:
        """The first time prime key (the one ``a.Time`` selects on), or None."""
        return self.time_keys[0] if self.time_keys else None

    @property
    def segment_names(self) -> tuple[str, ...]:
        """The segment names, in order."""
        return tuple(s.name for s in self.segments)

    @property
    def keyword_names(self) -> tuple[str, ...]:
        """The names of the keywords a user can filter on (the hidden ``*_index`` ones excluded)."""
        return tuple(k.name for k in self.keywords.values() if k.recscope != "index")

    def find_keyword(self, name: str) -> KeywordInfo | None:
        """
        The keyword called ``name`` (any case), or None.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> info = SeriesInfo.from_struct("x.y", {"primekeys": [], "keywords": [{"name": "QUALITY", "type": "int"}]})
        >>> info.find_keyword("quality").name, info.find_keyword("nope")
        ('QUALITY', None)
        """
        if not isinstance(name, str):
            return None
        exact = self.keywords.get(name)
        if exact is not None:
            return exact
        folded = name.lower()
        for key, info in self.keywords.items():
            if key.lower() == folded:
                return info
        return None

    def keyword(self, name: str) -> KeywordInfo:
        """
        The keyword called ``name`` (case-insensitive).

        Raises
        ------
        ValueError
            If the series has no such keyword; the message lists the valid ones.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> info = SeriesInfo.from_struct("x.y", {"primekeys": [], "keywords": [{"name": "QUALITY", "type": "int"}]})
        >>> info.keyword("Quality").type
        'int'
        >>> info.keyword("QUALTY")
        Traceback (most recent call last):
        ...
        ValueError: keyword 'QUALTY' is not in series x.y. Did you mean 'QUALITY'? Valid keywords: QUALITY
        """
        found = self.find_keyword(name)
        if found is None or found.recscope == "index":
            raise _unknown_name("keyword", name, self.name, self.keyword_names)
        return found

    def find_segment(self, name: str) -> SegmentInfo | None:
        """
        The segment called ``name`` (any case), or None.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> info = SeriesInfo.from_struct("x.y", {"primekeys": [], "keywords": [], "segments": [{"name": "image"}]})
        >>> info.find_segment("IMAGE").name, info.find_segment("spikes")
        ('image', None)
        """
        if not isinstance(name, str):
            return None
        folded = name.lower()
        for segment in self.segments:
            if segment.name == name or segment.name.lower() == folded:
                return segment
        return None

    def segment(self, name: str) -> SegmentInfo:
        """
        The segment called ``name`` (case-insensitive).

        Raises
        ------
        ValueError
            If the series has no such segment; the message lists the valid ones.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> info = SeriesInfo.from_struct("x.y", {"primekeys": [], "keywords": [],
        ...                                       "segments": [{"name": "Dopplergram"}]})
        >>> info.segment("dopplergram").name
        'Dopplergram'
        """
        found = self.find_segment(name)
        if found is None:
            raise _unknown_name("segment", name, self.name, self.segment_names)
        return found

    def primekey(self, name: str) -> str:
        """
        The canonical name of prime key ``name`` (case-insensitive).

        Raises
        ------
        ValueError
            If ``name`` is not a prime key; the message lists the prime keys.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> info = SeriesInfo.from_struct("x.y", {"primekeys": ["HARPNUM"], "keywords": [{"name": "HARPNUM"}]})
        >>> info.primekey("harpnum")
        'HARPNUM'
        """
        if isinstance(name, str):
            folded = name.lower()
            for key in self.primekeys:
                if key.lower() == folded:
                    return key
        raise _unknown_name("prime key", name, self.name, self.primekeys)

    def time_units(self, key: str) -> str:
        """
        How JSOC reads and prints times of keyword ``key``.

        Returns
        -------
        str
            ``"TAI"`` (``2014.01.01_00:00:35_TAI``), ``"ISO"``
            (``2014-01-01T00:00:00Z``, UTC) or ``"UTC"``
            (``2014.01.01_00:00:00_UTC``). Units JSOC does not print in any of
            these forms are read as TAI, DRMS's default.

        Raises
        ------
        ValueError
            If ``key`` is not a time keyword of the series.

        Examples
        --------
        >>> from sunpy_jsocx.seriesinfo import SeriesInfo
        >>> info = SeriesInfo.from_struct("x.y", {"primekeys": [], "keywords": [
        ...     {"name": "T_REC", "type": "time", "units": "ISO"}, {"name": "T_OBS", "type": "time", "units": "TAI"}]})
        >>> info.time_units("T_REC"), info.time_units("t_obs")
        ('ISO', 'TAI')
        """
        keyword = self.keyword(key)
        if not keyword.is_time:
            times = [k.name for k in self.keywords.values() if k.is_time]
            raise ValueError(
                f"keyword {keyword.name!r} of series {self.name} is not a time (type {keyword.type}); "
                f"time keywords: {', '.join(times) or '(none)'}"
            )
        return _TIME_UNITS.get(keyword.units.strip().upper(), "TAI")


def _step_seconds(key: str, step: Any, keywords: Mapping[str, KeywordInfo], lower: Mapping[str, str]) -> float | None:
    """The slot step of ``key`` from primekeysinfo, in seconds for a time key."""
    try:
        value = float(step)
    except (TypeError, ValueError):
        step_keyword = keywords.get(lower.get(f"{key}_step".lower(), ""))
        if step_keyword is None:
            return None
        try:
            value = float(step_keyword.defval)
        except ValueError:
            return None
    if not math.isfinite(value):
        return None
    if not keywords[key].is_time:
        return value
    unit_keyword = keywords.get(lower.get(f"{key}_unit".lower(), ""))
    step_keyword = keywords.get(lower.get(f"{key}_step".lower(), ""))
    if unit_keyword is not None and unit_keyword.defval:
        unit = unit_keyword.defval
    elif step_keyword is not None:
        unit = step_keyword.units
    else:
        unit = "s"
    return value * _STEP_UNITS.get(unit.strip().lower(), 1.0)
