"""
Record-set specifications built from query blocks (pure functions, no I/O).

A *query block* (see `sunpy_jsocx.walker`) says what a user asked for in
Python terms; `build_recordset` turns it into the JSOC record-set text for one
series, using a `~sunpy_jsocx.seriesinfo.SeriesInfo` to order the prime keys,
to print times the way the series reads them, and to check every name and value
before anything is sent::

    >>> import astropy.units as u
    >>> from astropy.time import Time
    >>> from sunpy_jsocx.recordset import build_recordset
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> info = SeriesInfo.from_struct("hmi.M_45s", {
    ...     "primekeys": ["T_REC", "CAMERA"],
    ...     "keywords": [{"name": "T_REC", "type": "time", "units": "TAI"},
    ...                  {"name": "CAMERA", "type": "int"}, {"name": "QUALITY", "type": "int"}],
    ...     "segments": [{"name": "magnetogram"}]})
    >>> block = {"series": "hmi.m_45s", "time": (Time("2014-01-01T00:00:00"), Time("2014-01-01T00:01:00")),
    ...          "sample": 45.0, "primekeys": {}, "segments": ["Magnetogram"],
    ...          "keywords": [("QUALITY", "==", 0)]}
    >>> build_recordset(block, info)
    "hmi.M_45s[2014.01.01_00:00:35_TAI-2014.01.01_00:01:35_TAI@45s][? QUALITY = '0' ?]{magnetogram}"

Escaping
--------
No user value is pasted into a record set as text. Numbers are printed from the
number, times from the parsed time, durations from the parsed duration. The
only user text that reaches the record set is a string value of a string prime
key or keyword, and it may contain only:

* in a ``[? … ?]`` clause (inside single quotes): ASCII letters, digits, space
  and ``_ . : + - /``;
* in a prime-key filter ``[…]``: ASCII letters, digits and ``_ . : +`` (``-``
  and ``/`` would make JSOC read a range or a span, ``,`` a list, and spaces
  would be trimmed), not starting with ``.``, ``:`` or ``+``.

Anything else raises `ValueError` naming the character. Keyword, prime-key and
segment names are replaced by the series' own names, so they are safe too.

Limits
------
Values JSOC cannot store or read raise `ValueError` too, before anything is sent:

* times outside years 0001 to 9999 (JSOC prints four-digit years);
* durations, steps and ``Sample`` above 10,000 years or below a microsecond;
* numbers outside the range of the key's type (``char`` 8 bits, ``short`` 16,
  ``int`` 32, ``longlong`` 64; ``float`` and ``double`` their IEEE ranges), NaN and
  infinities, and literals of more than 40 digits;
* record numbers outside 0 to 2**63 - 1.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

import astropy.units as u
import numpy as np
from astropy.time import Time

from sunpy_jsocx.jsoctime import JSOCTimeError, parse_duration, parse_time, to_astropy
from sunpy_jsocx.seriesinfo import KeywordInfo, SeriesInfo

__all__ = [
    "PKRange",
    "build_recordset",
    "format_jsoc_time",
    "records_recordset",
    "recordset_segments",
    "validate_recordset",
]

#: Python comparison operators of `~sunpy_jsocx.attrs.KeywordComparison` -> SQL.
SQL_OPERATORS: Final = {"==": "=", "=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

ACCEPTED_TIMES: Final = (
    "an astropy Time, a datetime, or a JSOC time string: YYYY.MM.DD_hh:mm:ss[.fff][_TAI|_UTC|_UT|_TT] "
    "(truncated forms such as 2016.04.01_TAI allowed) or ISO YYYY-MM-DDThh:mm:ss[.fff][Z]; "
    "no zone means UTC. A string may also be a range 'start-end' or a span 'start/duration' (e.g. /1d)"
)
_ALNUM: Final = frozenset(string.ascii_letters + string.digits + "_")
_KEYWORD_STRING_SET: Final = _ALNUM | frozenset(".:+-/ ")
_KEYWORD_STRING_CHARS: Final = "ASCII letters, digits, space and _ . : + - /"
_PRIMEKEY_STRING_SET: Final = _ALNUM | frozenset(".:+")
_PRIMEKEY_STRING_CHARS: Final = "ASCII letters, digits and _ . : + (not starting with . : +)"
_INTEGER_RE: Final = re.compile(r"[-+]?\d+", re.ASCII)
_FLOAT_RE: Final = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_SELECTS_NOTHING: Final = "Time, Wavelength or a PrimeKey must be given"

#: Julian dates of 0001-01-01T00:00 and 10000-01-01T00:00: JSOC prints four-digit years.
_FIRST_JD: Final = 1721425.5
_END_JD: Final = 5373484.5
JSOC_TIMES: Final = "times from 0001-01-01 to 9999-12-31 (JSOC prints four-digit years)"
#: The longest duration, step or Sample: 10,000 Julian years, in seconds.
MAX_SECONDS: Final = 10_000 * 365.25 * 86400
#: Integer keyword types and their bit widths (DRMS char, short, int, longlong).
_INTEGER_BITS: Final = {"char": 8, "short": 16, "int": 32, "longlong": 64}
#: Largest magnitude of DRMS float (IEEE single) and double.
_FLOAT_MAX: Final = {"float": 3.4028234663852886e38, "double": sys.float_info.max}
#: Longest numeric literal accepted (a longlong has 19 digits).
_MAX_DIGITS: Final = 40
#: Largest record number (JSOC's recnum is a signed 64-bit integer).
MAX_RECNUM: Final = 2**63 - 1


def _grammar():
    # Imported on first use: ``import sunpy_jsocx.attrs`` stays light.
    from sunpy_jsocx import grammar

    return grammar


class PKRange(NamedTuple):
    """
    An inclusive range of prime-key values, ``lo-hi`` in a record set.

    ``lo`` and ``hi`` are numbers, `~astropy.units.Quantity` (converted to the
    key's units), or times (astropy `~astropy.time.Time` or JSOC time strings)
    for a time prime key. A `PKRange` is a tuple, so a block holding one stays
    JSON-serialisable (as ``[lo, hi]``).

    Examples
    --------
    >>> from sunpy_jsocx.recordset import PKRange
    >>> PKRange(4864, 4870)
    PKRange(lo=4864, hi=4870)
    >>> PKRange(4864, 4870).hi
    4870
    """

    lo: Any
    hi: Any


# ---------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------


def format_jsoc_time(t: Time, units: str = "TAI") -> str:
    """
    Print an astropy time the way a JSOC time keyword with ``units`` reads it.

    Parameters
    ----------
    t : `~astropy.time.Time`
        A scalar time in any scale.
    units : str, optional
        ``"TAI"`` (``YYYY.MM.DD_hh:mm:ss_TAI``, TAI scale), ``"ISO"``
        (``YYYY-MM-DDThh:mm:ssZ``, UTC) or ``"UTC"``
        (``YYYY.MM.DD_hh:mm:ss_UTC``). Fractional seconds are kept (to the
        microsecond) when they are not zero.

    Returns
    -------
    str

    Examples
    --------
    >>> from astropy.time import Time
    >>> from sunpy_jsocx.recordset import format_jsoc_time
    >>> t = Time("2014-01-01T00:00:00", scale="utc")
    >>> format_jsoc_time(t), format_jsoc_time(t, "ISO")
    ('2014.01.01_00:00:35_TAI', '2014-01-01T00:00:00Z')
    >>> format_jsoc_time(Time("2015-08-27T06:00:00.25", scale="tai"), "TAI")
    '2015.08.27_06:00:00.25_TAI'
    """
    if not isinstance(t, Time) or not t.isscalar:
        raise ValueError(f"expected a scalar astropy Time, not {t!r}")
    units = units.upper()
    check_time_range(t)
    scaled = (t.tai if units == "TAI" else t.utc).replicate()
    scaled.precision = 6
    text = scaled.isot
    date, _, clock = text.partition("T")
    year, _, month_day = date.partition("-")
    if not (year.isdigit() and 1 <= int(year) <= 9999):
        raise ValueError(f"{_describe(t)} is outside the times JSOC can read: give {JSOC_TIMES}")
    # astropy leaves years before 1000 unpadded; JSOC needs four digits.
    date = f"{int(year):04d}-{month_day}"
    whole, _, fraction = clock.partition(".")
    fraction = fraction.rstrip("0")
    clock = f"{whole}.{fraction}" if fraction else whole
    if units == "ISO":
        return f"{date}T{clock}Z"
    suffix = "_TAI" if units == "TAI" else "_UTC"
    return f"{date.replace('-', '.')}_{clock}{suffix}"


def _describe(t: Time) -> str:
    """A time for a message, even one astropy cannot print as a date."""
    jd = float(t.jd1 + t.jd2)
    if _FIRST_JD - 1 <= jd <= _END_JD + 1:
        try:
            return repr(t.isot)
        except (ValueError, OverflowError):
            pass
    if not math.isfinite(jd):
        return f"JD {jd!r}"
    return f"a time in about the year {round((jd - _FIRST_JD) / 365.2425 + 1)} (JD {jd!r})"


def check_time_range(t: Time, what: str = "") -> Time:
    """
    Check that JSOC can read a time: between 0001-01-01 and 9999-12-31.

    Parameters
    ----------
    t : `~astropy.time.Time`
        Scalar or array, any scale.
    what : str, optional
        What the time is, for the message.

    Returns
    -------
    `~astropy.time.Time`
        ``t``.

    Raises
    ------
    ValueError
        If a time is NaN or outside those years (in its own scale or in TAI or UTC).

    Examples
    --------
    >>> from astropy.time import Time
    >>> from sunpy_jsocx.recordset import check_time_range
    >>> check_time_range(Time("2014-01-01")).isot
    '2014-01-01T00:00:00.000'
    >>> check_time_range(Time(5373700.0, format="jd"), "a.Time start")
    Traceback (most recent call last):
    ...
    ValueError: a.Time start: a time in about the year 10001 (JD 5373700.0) is outside the times JSOC can read: ...
    """
    prefix = f"{what}: " if what else ""
    jd = np.asarray(t.jd1, dtype=float) + np.asarray(t.jd2, dtype=float)
    # A day of margin for the scale: the exact check is on the printed year.
    inside = np.isfinite(jd) & (jd >= _FIRST_JD - 1) & (jd <= _END_JD + 1)
    if not np.all(inside):
        first = t if t.isscalar else t[int(np.flatnonzero(~inside)[0])]
        if not np.all(np.isfinite(jd)):
            raise ValueError(f"{prefix}{first!r} is not a valid time; give {JSOC_TIMES}")
        raise ValueError(f"{prefix}{_describe(first)} is outside the times JSOC can read: give {JSOC_TIMES}")
    for scale in ("tai", "utc"):
        try:
            shifted = getattr(t, scale)
        except (ValueError, OverflowError):
            raise ValueError(
                f"{prefix}{_describe(t)} cannot be converted to {scale.upper()}; give {JSOC_TIMES}"
            ) from None
        jd = np.asarray(shifted.jd1, dtype=float) + np.asarray(shifted.jd2, dtype=float)
        if not np.all((jd >= _FIRST_JD) & (jd < _END_JD)):
            raise ValueError(f"{prefix}{_describe(t)} is outside the times JSOC can read: give {JSOC_TIMES}")
    return t


def _to_time(value: Any, what: str) -> Time:
    """An astropy Time from a Time, datetime or JSOC time string (single time only)."""
    if isinstance(value, Time):
        if not value.isscalar:
            raise ValueError(f"{what}: expected a single time, not an array of {len(value)} times")
        return check_time_range(value, what)
    if isinstance(value, datetime.datetime):
        return check_time_range(Time(value, scale="utc"), what)
    if isinstance(value, str):
        try:
            internal = parse_time(value)
        except JSOCTimeError:
            raise ValueError(f"{what}: {value!r} is not a time; accepted are {ACCEPTED_TIMES}") from None
        if not math.isfinite(internal):
            raise ValueError(f"{what}: {value!r} is JSOC's missing time, which selects nothing; give {JSOC_TIMES}")
        return check_time_range(to_astropy(internal), what)
    raise ValueError(f"{what}: {value!r} ({type(value).__name__}) is not a time; accepted are {ACCEPTED_TIMES}")


def _seconds_text(seconds: float, what: str) -> str:
    """A positive duration in seconds as ``<n>s`` without exponent."""
    if not isinstance(seconds, numbers.Real) or isinstance(seconds, bool) or not math.isfinite(seconds):
        raise ValueError(f"{what} must be a finite number of seconds, not {seconds!r}")
    if seconds <= 0:
        raise ValueError(f"{what} must be positive, not {seconds!r} s")
    if seconds > MAX_SECONDS:
        raise ValueError(
            f"{what} of {seconds!r} s is too long: JSOC durations are at most 10,000 years ({MAX_SECONDS:.6g} s)"
        )
    text = f"{float(seconds):.6f}".rstrip("0").rstrip(".")
    if text == "0":
        raise ValueError(f"{what} of {seconds!r} s is below JSOC's resolution (1 microsecond)")
    return f"{text}s"


class _Renderer:
    """Formats the filter of one prime key from its values."""

    def __init__(self, info: SeriesInfo, key: str, keyword: KeywordInfo):
        self.info = info
        self.key = key
        self.keyword = keyword
        self.what = f"prime key {key} of {info.name}"

    # -- time keys --------------------------------------------------------------

    def time_items(self, values: Sequence[Any], sample: float | None) -> list[str]:
        units = self.info.time_units(self.key)
        items = []
        stepped = False
        for value in values:
            text, can_step = self.time_item(value, units, sample)
            stepped |= can_step
            items.append(text)
        if sample is not None and not stepped:
            raise ValueError(
                f"Sample needs a time range, but {self.what} is given only single times; "
                "give a.Time(start, end) or a range such as PrimeKey(key, PKRange(start, end))"
            )
        return items

    def time_item(self, value: Any, units: str, sample: float | None) -> tuple[str, bool]:
        step = f"@{_seconds_text(sample, 'Sample')}" if sample is not None else ""
        if isinstance(value, PKRange):
            start = _to_time(value.lo, self.what)
            end = _to_time(value.hi, self.what)
            self.check_order(start, end)
            return f"{format_jsoc_time(start, units)}-{format_jsoc_time(end, units)}{step}", True
        if not isinstance(value, str):
            return format_jsoc_time(_to_time(value, self.what), units), False
        if value.strip() in ("^", "$"):
            return value.strip(), False
        try:
            item = _grammar().split_item(value, is_time=True)
        except ValueError as error:
            raise ValueError(
                f"{self.what}: {value!r} is not a time; accepted are {ACCEPTED_TIMES}. ({error})"
            ) from None
        if item.kind not in ("value", "range", "span"):
            raise ValueError(f"{self.what}: {value!r} is not a time; accepted are {ACCEPTED_TIMES}")
        if item.step is not None:
            own = _seconds_text(self.duration(item.step), f"step of {value!r}")
            if step and f"@{own}" != step:
                raise ValueError(f"{self.what}: {value!r} has its own step @{item.step} and Sample asks for {step}")
            step = f"@{own}"
        start = _to_time(item.start, self.what)
        if item.kind == "value":
            return format_jsoc_time(start, units), False
        if item.kind == "range":
            end = _to_time(item.end, self.what)
            self.check_order(start, end)
            return f"{format_jsoc_time(start, units)}-{format_jsoc_time(end, units)}{step}", True
        duration = _seconds_text(self.duration(item.duration), f"duration of {value!r}")
        return f"{format_jsoc_time(start, units)}/{duration}{step}", True

    def duration(self, text: str) -> float:
        try:
            return parse_duration(text, slot=self.info.slotted.get(self.key))
        except JSOCTimeError as error:
            raise ValueError(f"{self.what}: {error}") from None

    def check_order(self, start: Time, end: Time) -> None:
        if start > end:
            raise ValueError(f"{self.what}: the range starts ({start.isot}) after it ends ({end.isot})")

    # -- numeric keys -------------------------------------------------------------

    def number_items(self, values: Sequence[Any]) -> list[str]:
        items = []
        for value in values:
            if isinstance(value, PKRange):
                lo, hi = self.number(value.lo), self.number(value.hi)
                if lo > hi:
                    raise ValueError(f"{self.what}: the range {lo}-{hi} is empty (start above end)")
                items.append(f"{_number_text(lo)}-{_number_text(hi)}")
            elif isinstance(value, str) and value.strip() in ("^", "$"):
                items.append(value.strip())
            elif isinstance(value, str) and _number_range(value) is not None:
                lo, hi = (self.number(part) for part in _number_range(value))
                if lo > hi:
                    raise ValueError(f"{self.what}: the range {value!r} is empty (start above end)")
                items.append(f"{_number_text(lo)}-{_number_text(hi)}")
            else:
                items.append(_number_text(self.number(value)))
        return items

    def number(self, value: Any) -> int | float:
        return _number(value, self.keyword, self.what)

    # -- string keys --------------------------------------------------------------

    def string_items(self, values: Sequence[Any]) -> list[str]:
        items = []
        for value in values:
            text = value
            if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
                if abs(int(value)) >= 10**_MAX_DIGITS:
                    raise ValueError(f"{self.what}: {_short(value)} has more than {_MAX_DIGITS} digits")
                text = str(int(value))
            if not isinstance(text, str):
                raise ValueError(f"{self.what} is a string key; {value!r} ({type(value).__name__}) is not a string")
            problem = _bad_character(text, _ALNUM, _PRIMEKEY_STRING_SET)
            if problem:
                raise ValueError(
                    f"{self.what}: {problem} in value {text!r}; "
                    f"a string prime-key value may contain only {_PRIMEKEY_STRING_CHARS}"
                )
            items.append(text)
        return items


def _bad_character(text: str, first: frozenset[str], rest: frozenset[str]) -> str:
    """Describe the first character of ``text`` outside the allowed sets."""
    if not text:
        return "an empty string is not allowed"
    for i, char in enumerate(text):
        if char not in (first if i == 0 else rest):
            where = " at the start" if i == 0 and char in rest else ""
            return f"character {char!r} is not allowed{where}"
    return ""


def _number_range(text: str) -> tuple[str, str] | None:
    """Split a string ``"lo-hi"`` of two numbers, or None."""
    stripped = text.strip()
    for i in range(1, len(stripped)):
        if stripped[i] == "-" and stripped[i - 1] not in "-+eE":
            lo, hi = stripped[:i].strip(), stripped[i + 1 :].strip()
            if _FLOAT_RE.fullmatch(lo) and _FLOAT_RE.fullmatch(hi):
                return lo, hi
            return None
    return None


def _unit_of(keyword: KeywordInfo) -> u.UnitBase | None:
    """The astropy unit of a keyword's units string, or None if astropy does not know it."""
    text = keyword.units.strip()
    aliases = {"": u.dimensionless_unscaled, "none": u.dimensionless_unscaled, "sec": u.s, "secs": u.s}
    if text.lower() in aliases:
        return aliases[text.lower()]
    try:
        unit = u.Unit(text)
    except ValueError:
        try:
            unit = u.Unit(text.lower())
        except ValueError:
            return None
    return None if isinstance(unit, u.UnrecognizedUnit) else unit


def _number(value: Any, keyword: KeywordInfo, what: str) -> int | float:
    """The number a value stands for, checked against the keyword's type."""
    kind = "an integer" if keyword.is_integer else "a number"
    if isinstance(value, u.Quantity):
        unit = _unit_of(keyword)
        if unit is None:
            raise ValueError(
                f"{what} has units {keyword.units!r}, which astropy does not know; give a plain number, not {value}"
            )
        if not value.isscalar:
            raise ValueError(f"{what}: expected a single value, not the array {value}")
        try:
            number = value.to_value(unit, equivalencies=u.spectral())
        except u.UnitConversionError:
            raise ValueError(f"{what} is in {keyword.units!r}; {value} cannot be converted to it") from None
    elif isinstance(value, bool | np.bool_):
        raise ValueError(f"{what} is {kind} ({keyword.type}); {value!r} is a bool")
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if sum(c.isdigit() for c in text) > _MAX_DIGITS:
            raise ValueError(f"{what}: {text[:20]}... has more than {_MAX_DIGITS} digits, too many for any JSOC number")
        if _INTEGER_RE.fullmatch(text):
            number = int(text)
        elif _FLOAT_RE.fullmatch(text):
            number = float(text)
        else:
            raise ValueError(f"{what} is {kind} ({keyword.type}); {value!r} is not a number")
    else:
        raise ValueError(f"{what} is {kind} ({keyword.type}); {value!r} ({type(value).__name__}) is not a number")
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ValueError(f"{what}: {value!r} is not a finite number")
        if keyword.is_integer:
            nearest = round(number)
            if abs(number - nearest) > 1e-6 * max(1.0, abs(number)):
                raise ValueError(f"{what} is an integer ({keyword.type}); {value!r} is not a whole number")
            number = int(nearest)
    return _in_type_range(number, value, keyword, what)


def _in_type_range(number: int | float, value: Any, keyword: KeywordInfo, what: str) -> int | float:
    """``number`` if the keyword's type can hold it, else a ValueError saying the range."""
    bits = _INTEGER_BITS.get(keyword.type)
    if bits is not None:
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        if not lo <= number <= hi:
            raise ValueError(
                f"{what} is a {bits}-bit integer ({keyword.type}); {_short(value)} is outside {lo} to {hi}"
            )
        return number
    limit = _FLOAT_MAX.get(keyword.type, _FLOAT_MAX["double"])
    if not -limit <= number <= limit:
        raise ValueError(
            f"{what} is a {keyword.type}; {_short(value)} is outside its range (magnitude at most {limit:.8g})"
        )
    if isinstance(number, int) and abs(number) > 2**53:
        return float(number)  # printed as 1e+40, as the key stores it, not with 41 digits
    return number


def _short(value: Any) -> str:
    """A value for a message, shortened if it is a huge number."""
    if isinstance(value, int) and abs(value) >= 10**30:
        return f"an integer of about {int(abs(value).bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number_text(number: int | float) -> str:
    if isinstance(number, int):
        return str(number)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


# ---------------------------------------------------------------------------
# Keyword clause
# ---------------------------------------------------------------------------


def _keyword_clause(info: SeriesInfo, keywords: Iterable[Sequence[Any]]) -> str:
    terms = []
    for entry in keywords:
        if len(entry) != 3:
            raise ValueError(f"a keyword filter is (name, operator, value), not {entry!r}")
        name, operator, value = entry
        keyword = info.keyword(name)
        sql = SQL_OPERATORS.get(operator)
        if sql is None:
            raise ValueError(
                f"unknown comparison {operator!r} for keyword {keyword.name}; valid: {', '.join(SQL_OPERATORS)}"
            )
        what = f"keyword {keyword.name} of {info.name}"
        if keyword.is_time:
            literal = f"$({format_jsoc_time(_to_time(value, what), 'TAI')})"
        elif keyword.is_numeric:
            literal = f"'{_number_text(_number(value, keyword, what))}'"
        else:
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                value = _number_text(_number(value, KeywordInfo(keyword.name, "double"), what))
            if not isinstance(value, str):
                raise ValueError(f"{what} is a string; {value!r} ({type(value).__name__}) is not a string")
            problem = _bad_character(value, _KEYWORD_STRING_SET, _KEYWORD_STRING_SET) if value else ""
            if problem:
                raise ValueError(
                    f"{what}: {problem} in value {value!r}; "
                    f"a string keyword value may contain only {_KEYWORD_STRING_CHARS}"
                )
            literal = f"'{value}'"
        terms.append(f"{keyword.name} {sql} {literal}")
    return f"[? {' AND '.join(terms)} ?]" if terms else ""


# ---------------------------------------------------------------------------
# Segments
# ---------------------------------------------------------------------------


def _segment_list(info: SeriesInfo, segments: Iterable[str]) -> str:
    if isinstance(segments, str):
        segments = [segments]
    chosen = {info.segment(name).name for name in segments}
    if not chosen:
        return ""
    return "{" + ",".join(name for name in info.segment_names if name in chosen) + "}"


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _check_series(block_series: Any, info: SeriesInfo) -> None:
    if block_series is not None and (not isinstance(block_series, str) or block_series.lower() != info.name.lower()):
        raise ValueError(f"the query is for series {block_series!r} but the series information is for {info.name}")


def build_recordset(block: Mapping[str, Any], info: SeriesInfo) -> str:
    """
    The JSOC record set for one query block.

    Parameters
    ----------
    block : dict
        A query block as made by `sunpy_jsocx.walker` (missing members mean
        "not given").
    info : `~sunpy_jsocx.seriesinfo.SeriesInfo`
        The series the block is for (its name must match ``block["series"]``
        in any case).

    Returns
    -------
    str
        ``<series>[filter]...[? keyword clause ?]{segments}``: the series' own
        name; one positional filter per prime key in the series' order, ``[]``
        for a skipped key and trailing ones left out; the time range as
        ``start-end@<sample>s`` in the time key's own system (TAI keys as
        ``YYYY.MM.DD_hh:mm:ss_TAI``, ISO keys as UTC ``YYYY-MM-DDThh:mm:ssZ``);
        value lists as ``[171,304]``; ranges as ``lo-hi``; keyword filters in
        one ``[? … AND … ?]`` clause; segments in the series' order and case.
        For a block with a raw ``recordset``, that record set with the series'
        own name (and ``block["segments"]`` appended if it has no segment list).

    Raises
    ------
    ValueError
        For anything JSOC would reject or misread, with a message that says
        what is wrong and what is valid: unknown prime keys, segments or
        keywords; a Wavelength on a series without a WAVELNTH prime key; times
        that do not parse; values of the wrong type; characters that could
        break out of a filter; a block that selects nothing (no time, no prime
        key).

    Examples
    --------
    >>> from astropy.time import Time
    >>> from sunpy_jsocx.recordset import build_recordset
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> info = SeriesInfo.from_struct("aia.lev1_euv_12s", {
    ...     "primekeys": ["T_REC", "WAVELNTH"],
    ...     "keywords": [{"name": "T_REC", "type": "time", "units": "ISO"}, {"name": "WAVELNTH", "type": "int"}],
    ...     "segments": [{"name": "image"}, {"name": "spikes"}]})
    >>> block = {"series": "aia.lev1_euv_12s",
    ...          "time": (Time("2014-01-01T00:00:00"), Time("2014-01-01T00:00:30")),
    ...          "primekeys": {"WAVELNTH": [171, 304]}}
    >>> build_recordset(block, info)
    'aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z][171,304]'
    >>> build_recordset({"series": "aia.lev1_euv_12s", "primekeys": {"WAVELNTH": [171]},
    ...                  "segments": ["spikes", "image"]}, info)
    'aia.lev1_euv_12s[][171]{image,spikes}'
    >>> build_recordset({"series": "aia.lev1_euv_12s", "primekeys": {"FSN": [1]}}, info)
    Traceback (most recent call last):
    ...
    ValueError: prime key 'FSN' is not in series aia.lev1_euv_12s. Valid prime keys: T_REC, WAVELNTH
    """
    if not isinstance(info, SeriesInfo):
        raise TypeError(f"info must be a SeriesInfo, not {type(info).__name__}")
    _check_series(block.get("series"), info)
    segments = block.get("segments") or ()
    if block.get("recordset") is not None:
        return _raw_recordset(block["recordset"], info, segments)

    sample = block.get("sample")
    if sample is not None:
        _seconds_text(sample, "Sample")
    filters: dict[str, str] = {}
    primekeys: Mapping[str, Any] = block.get("primekeys") or {}
    resolved: dict[str, list[Any]] = {}
    for label, given in primekeys.items():
        key = _resolve_primekey(info, label)
        if key in resolved:
            raise ValueError(f"prime key {key} of {info.name} is given twice (as {label!r})")
        values = [given] if isinstance(given, PKRange) or not isinstance(given, list | tuple) else list(given)
        if not values:
            raise ValueError(f"prime key {key} of {info.name} is given no values")
        resolved[key] = values

    time_range = block.get("time")
    sample_used = False
    if time_range is not None:
        key = info.time_key
        if key is None:
            raise ValueError(
                f"series {info.name} has no time prime key, so a.Time cannot select records; "
                f"its prime keys are: {', '.join(info.primekeys) or '(none)'}"
            )
        if key in resolved:
            raise ValueError(f"a.Time and PrimeKey {key!r} both select on {key} of {info.name}; give only one of them")
        start, end = time_range
        renderer = _Renderer(info, key, info.keywords[key])
        filters[key] = renderer.time_item(PKRange(start, end), info.time_units(key), sample)[0]
        sample_used = True

    for key, values in resolved.items():
        keyword = info.keywords[key]
        renderer = _Renderer(info, key, keyword)
        if keyword.is_time:
            use_sample = sample if not sample_used and _has_range(values) else None
            items = renderer.time_items(values, use_sample)
            sample_used |= use_sample is not None
        elif keyword.is_numeric:
            items = renderer.number_items(values)
        else:
            items = renderer.string_items(values)
        filters[key] = ",".join(items)

    if sample is not None and not sample_used:
        raise ValueError(
            f"Sample needs a time range of a time prime key ({', '.join(info.time_keys) or 'none in ' + info.name}): "
            "give a.Time(start, end) or a time PrimeKey range"
        )
    if not filters:
        raise ValueError(
            f"the query selects every record of {info.name}: {_SELECTS_NOTHING} "
            f"(prime keys of {info.name}: {', '.join(info.primekeys) or '(none)'})"
        )

    positional = [f"[{filters.get(key, '')}]" for key in info.primekeys]
    while positional and positional[-1] == "[]":
        positional.pop()
    return (
        info.name
        + "".join(positional)
        + _keyword_clause(info, block.get("keywords") or ())
        + _segment_list(info, segments)
    )


def _has_range(values: Sequence[Any]) -> bool:
    for value in values:
        if isinstance(value, PKRange):
            return True
        if isinstance(value, str):
            try:
                if _grammar().split_item(value, is_time=True).kind in ("range", "span"):
                    return True
            except ValueError:
                pass
    return False


def _resolve_primekey(info: SeriesInfo, label: str) -> str:
    try:
        return info.primekey(label)
    except ValueError as error:
        if isinstance(label, str) and label.upper() == "WAVELNTH":
            hint = ""
            if info.find_keyword("WAVELNTH") is not None:
                hint = " (WAVELNTH is a keyword of this series: filter on it with a.jsocx.Keyword('WAVELNTH') == value)"
            raise ValueError(
                f"a.Wavelength (prime key WAVELNTH) cannot select records of series {info.name}, which has no "
                f"WAVELNTH prime key{hint}; its prime keys are: {', '.join(info.primekeys) or '(none)'}"
            ) from None
        raise error from None


def _raw_recordset(text: str, info: SeriesInfo, segments: Iterable[str]) -> str:
    spec = _parse_one(text)
    _check_series(spec.series, info)
    position, named = 0, False
    for filter_ in spec.filters:
        if filter_.key is not None:
            _check_raw_items(info, info.primekey(filter_.key), filter_.items, text)
            named = True
        elif filter_.kind in ("empty", "values"):
            # Positional filters name the prime keys in order (checked only before a named one).
            if filter_.kind == "values" and not named and position < len(info.primekeys):
                _check_raw_items(info, info.primekeys[position], filter_.items, text)
            position += 1
        elif filter_.kind == "recnums":
            _check_raw_recnums(filter_.items, text)
        if filter_.where is not None:
            for name in sorted(filter_.where.names):
                info.keyword(name)
    body = spec.text[len(spec.series) :]
    if spec.segments is not None:
        for name in spec.segments:
            info.segment(name)
        if segments:
            raise ValueError(f"record set {text!r} has its own segment list; do not also give Segment attrs")
        return info.name + body
    return info.name + body + _segment_list(info, segments)


def _check_raw_items(info: SeriesInfo, key: str, items: Sequence[str], text: str) -> None:
    """Check the limits (time range, durations, number range) of a raw filter's items."""
    keyword = info.keywords[key]
    renderer = _Renderer(info, key, keyword)
    renderer.what = f"record set {text!r}: prime key {key} of {info.name}"
    for item in items:
        if item.startswith("#") or item in ("^", "$"):
            continue  # slot indices and first/last
        if keyword.is_time:
            renderer.time_item(item, info.time_units(key), None)
        elif keyword.is_numeric:
            parts = _number_range(item) or (item,)
            for part in parts:
                if _FLOAT_RE.fullmatch(part.strip()):
                    renderer.number(part)


def _check_raw_recnums(items: Sequence[str], text: str) -> None:
    """Record numbers (and counts and steps) of a raw ``[:#...]`` filter must fit JSOC's 64 bits."""
    for item in items:
        try:
            parsed = _grammar().split_recnum_item(item)
        except ValueError as error:
            raise ValueError(f"record set {text!r}: {error}") from None
        for part in (parsed.start, parsed.end, parsed.duration, parsed.step):
            if part is not None and (len(part) > 19 or int(part) > MAX_RECNUM):
                raise ValueError(
                    f"record set {text!r}: {part[:25]} in {item!r} is above the largest record number, 2**63 - 1"
                )


def records_recordset(info: SeriesInfo, recnums: Sequence[int], segments: Sequence[str] = ()) -> str:
    """
    A compact record set selecting exactly the records with these record numbers.

    This is how a sliced result table is exported exactly.

    Parameters
    ----------
    info : `~sunpy_jsocx.seriesinfo.SeriesInfo`
        The series.
    recnums : sequence of int
        Record numbers (``*recnum*``), in any order, repeats allowed.
    segments : sequence of str, optional
        Segments to export (any case); none means all.

    Returns
    -------
    str
        ``series[:#a-#b,#c,...]{segs}``: sorted, without repeats, runs of
        consecutive numbers collapsed into ranges.

    Raises
    ------
    ValueError
        If ``recnums`` is empty or holds something other than non-negative
        integers, or a segment is unknown (the message lists the segments).

    Examples
    --------
    >>> from sunpy_jsocx.recordset import records_recordset
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> info = SeriesInfo.from_struct("hmi.M_45s", {"primekeys": [], "keywords": [],
    ...                                             "segments": [{"name": "magnetogram"}]})
    >>> records_recordset(info, [12, 10, 11, 11, 20, 22, 23])
    'hmi.M_45s[:#10-#12,#20,#22-#23]'
    >>> records_recordset(info, [5], segments=["Magnetogram"])
    'hmi.M_45s[:#5]{magnetogram}'
    """
    numbers_ = []
    for recnum in recnums:
        if (isinstance(recnum, bool | np.bool_) or not isinstance(recnum, numbers.Integral)
                or not 0 <= recnum <= MAX_RECNUM):
            raise ValueError(f"record numbers must be non-negative integers (0 to 2**63 - 1), not {_short(recnum)}")
        numbers_.append(int(recnum))
    if not numbers_:
        raise ValueError("no record numbers given: a record set must select at least one record")
    ordered = sorted(set(numbers_))
    items = []
    start = previous = ordered[0]
    for recnum in [*ordered[1:], None]:
        if recnum is not None and recnum == previous + 1:
            previous = recnum
            continue
        items.append(f"#{start}" if start == previous else f"#{start}-#{previous}")
        if recnum is not None:
            start = previous = recnum
    return f"{info.name}[:{','.join(items)}]" + _segment_list(info, segments)


def _parse_one(text: Any):
    if not isinstance(text, str):
        raise ValueError(f"a record set must be a string, not {type(text).__name__}")
    try:
        specs = _grammar().parse(text)
    except ValueError as error:
        raise ValueError(str(error)) from None
    if len(specs) != 1:
        raise ValueError(f"{text!r} holds {len(specs)} record sets; give one per RecordSet and combine several with |")
    return specs[0]


def recordset_segments(text: str) -> list[str] | None:
    """
    The segment list a raw record set gives itself (``{field,inclination}``), or None.

    Examples
    --------
    >>> recordset_segments("hmi.B_720s[2014.01.01_TAI]{field}")
    ['field']
    >>> recordset_segments("hmi.B_720s[2014.01.01_TAI]") is None
    True
    """
    segments = _parse_one(text).segments
    return None if segments is None else list(segments)


def validate_recordset(text: str) -> str:
    """
    Check a raw record set against the JSOC grammar.

    Parameters
    ----------
    text : str
        One record set, e.g. ``hmi.M_45s[2014.01.01_TAI/1d@6h]{magnetogram}``.

    Returns
    -------
    str
        The record set without surrounding whitespace.

    Raises
    ------
    ValueError
        If ``text`` does not parse (the message says where and why) or holds
        more than one record set.

    Examples
    --------
    >>> from sunpy_jsocx.recordset import validate_recordset
    >>> validate_recordset(" hmi.M_45s[2014.01.01_TAI/1d@6h]{magnetogram} ")
    'hmi.M_45s[2014.01.01_TAI/1d@6h]{magnetogram}'
    >>> validate_recordset("hmi.M_45s[2014.01.01_TAI")
    Traceback (most recent call last):
    ...
    ValueError: invalid record-set specification `hmi.M_45s[2014.01.01_TAI`: unbalanced '[': ...
    """
    return _parse_one(text).text
