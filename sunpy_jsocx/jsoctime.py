"""
JSOC/DRMS time handling.

DRMS stores every time keyword as a double: seconds of TAI since the DRMS epoch
``1977.01.01_00:00:00_TAI``. This module calls that number the *internal
time* and converts between it and the strings JSOC reads and writes:

* ``YYYY.MM.DD_hh:mm:ss[.fff][_ZONE]`` (the DRMS form), with truncated forms
  such as ``2016.04.01_TAI`` or ``2010.07.25_13`` that mean the start of the
  interval they name;
* ISO 8601 ``YYYY-MM-DDThh:mm:ss[.fff][Z]``.

Zones are ``TAI``, ``UTC``/``UT``/``Z`` and ``TT``/``TDT`` (TT = TAI + 32.184 s).
A string without a zone is UTC, as at JSOC.

UTC conversions use the TAI-UTC table of ERFA (shipped with astropy, so no
network is needed). Only the integer leap seconds from 1972 on are modelled;
before 1972-01-01 TAI-UTC is taken as its 1972 value, 10 s.

All formatting is vectorised with numpy, so that formatting tens of thousands
of keyword values costs milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Final, NamedTuple, overload

import erfa
import numpy as np
import numpy.typing as npt
from astropy.time import Time

__all__ = [
    "parse_times",
    "slot_start",
    "DRMS_EPOCH",
    "JSOCTimeError",
    "MISSING_TIME_TAI",
    "TT_MINUS_TAI",
    "format_time",
    "format_times",
    "from_astropy",
    "parse_duration",
    "parse_time",
    "tai_minus_utc",
    "time_filename_format",
    "to_astropy",
    "utc_to_internal",
]

#: The DRMS epoch, the zero of internal time.
DRMS_EPOCH: Final = "1977.01.01_00:00:00_TAI"
#: TT - TAI in seconds.
TT_MINUS_TAI: Final = 32.184
#: How JSOC prints a missing time in TAI (precision 0).
MISSING_TIME_TAI: Final = "-4712.01.01_11:59:28_TAI"

_SECONDS_PER_DAY: Final = 86400
# Seconds of the missing-time instant (JD 0 TT in TAI) within its minute, used to
# print the missing value with any precision: 11:59:27.816 -> "28", "27.82".
_MISSING_SECONDS: Final = 27.816
# Julian date (TAI) of the DRMS epoch.
_EPOCH_JD: Final = 2443144.5

_ACCEPTED_FORMS: Final = (
    "YYYY.MM.DD[_hh[:mm[:ss[.fff]]]][_ZONE] or YYYY-MM-DD[Thh[:mm[:ss[.fff]]]][Z], "
    "with ZONE one of TAI, UTC, UT, TT, TDT (no zone means UTC)"
)


class JSOCTimeError(ValueError):
    """A string is not a JSOC time or duration."""


# ---------------------------------------------------------------------------
# Proleptic Gregorian calendar <-> day numbers (vectorised integer arithmetic)
# ---------------------------------------------------------------------------


def _days_from_civil(year, month, day):
    """Days since 1970-01-01 of a proleptic Gregorian date (scalars or arrays)."""
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    year_of_era = year - era * 400
    month_from_march = (month + 9) % 12
    day_of_year = (153 * month_from_march + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days):
    """Inverse of `_days_from_civil`: (year, month, day) int64 arrays."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = np.floor_divide(z, 146097)
    day_of_era = z - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = np.where(month_from_march < 10, month_from_march + 3, month_from_march - 9)
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day


_EPOCH_DAY: Final = int(_days_from_civil(1977, 1, 1))


def _day_number(year: int, month: int, day: int) -> int:
    """Days since the DRMS epoch of a calendar date."""
    return int(_days_from_civil(year, month, day)) - _EPOCH_DAY


def _days_in_month(year: int, month: int) -> int:
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return _day_number(next_year, next_month, 1) - _day_number(year, month, 1)


# ---------------------------------------------------------------------------
# Leap-second table
# ---------------------------------------------------------------------------


def _build_leap_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    TAI-UTC steps from 1972 on, from ERFA's table.

    Returns
    -------
    naive : `numpy.ndarray` of int64
        The UTC instant of each step as "naive" seconds (UTC calendar seconds
        since the epoch date, counting 86400 s per day).
    tai : `numpy.ndarray` of int64
        The same instant in internal (TAI) seconds.
    offset : `numpy.ndarray` of int64
        TAI-UTC in seconds from that instant on.
    """
    table = erfa.leap_seconds.get()
    rows = [
        (int(year), int(month), float(offset))
        for year, month, offset in zip(table["year"], table["month"], table["tai_utc"], strict=True)
        if int(year) >= 1972
    ]
    naive = np.array([_day_number(y, m, 1) * _SECONDS_PER_DAY for y, m, _ in rows], dtype=np.int64)
    offset = np.array([round(o) for _, _, o in rows], dtype=np.int64)
    return naive, naive + offset, offset


_LEAP_NAIVE, _LEAP_TAI, _LEAP_OFFSET = _build_leap_table()


def _offset_for_naive_day(day_start_naive):
    """TAI-UTC in force at the start of a UTC day given as naive seconds."""
    index = np.searchsorted(_LEAP_NAIVE, day_start_naive, side="right") - 1
    return _LEAP_OFFSET[np.clip(index, 0, None)]


def _is_leap_day(day: int) -> bool:
    """Whether the UTC day ``day`` (days since the epoch) ends in a positive leap second."""
    next_day = (day + 1) * _SECONDS_PER_DAY
    index = int(np.searchsorted(_LEAP_NAIVE, next_day))
    return (
        0 < index < len(_LEAP_NAIVE)
        and _LEAP_NAIVE[index] == next_day
        and _LEAP_OFFSET[index] > _LEAP_OFFSET[index - 1]
    )


@overload
def tai_minus_utc(t_internal: float) -> float: ...
@overload
def tai_minus_utc(t_internal: npt.ArrayLike) -> np.ndarray: ...
def tai_minus_utc(t_internal):
    """
    TAI-UTC in seconds at an internal time.

    During a positive leap second (UTC ``23:59:60``) the old value is returned;
    the new one applies from the following UTC midnight.

    Parameters
    ----------
    t_internal : float or array-like
        Internal time (TAI seconds since 1977.01.01_00:00:00_TAI).

    Returns
    -------
    float or `numpy.ndarray`
        TAI-UTC in seconds (NaN where the input is NaN).

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import parse_time, tai_minus_utc
    >>> tai_minus_utc(parse_time("2012.01.01_00:00:00_TAI"))
    34.0
    >>> tai_minus_utc(parse_time("2017.01.01_00:00:00_UTC"))
    37.0
    """
    t = np.asarray(t_internal, dtype=float)
    index = np.clip(np.searchsorted(_LEAP_TAI, t, side="right") - 1, 0, None)
    result = np.where(np.isnan(t), np.nan, _LEAP_OFFSET[index].astype(float))
    return float(result) if result.ndim == 0 else result


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------

_ZONE = r"(?:_(?P<zone>[A-Za-z]+)|(?P<zulu>Z))?"
_DRMS_RE: Final = re.compile(
    r"(?P<year>\d{4})\.(?P<month>\d{1,2})\.(?P<day>\d{1,2})"
    r"(?:_(?P<hour>\d{1,2})(?::(?P<minute>\d{1,2})(?::(?P<second>\d{1,2}(?:\.\d*)?))?)?)?" + _ZONE,
    re.ASCII,
)
_ISO_RE: Final = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T _](?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d*)?))?)?)?" + _ZONE,
    re.ASCII,
)
# JSOC's missing time as printed in any unit and precision.
_MISSING_RE: Final = re.compile(r"-4712\.01\.01_11:59:2[78](?:\.\d*)?(?:_[A-Za-z]+|Z)?", re.ASCII)
_ZONES: Final = {"TAI": "TAI", "UTC": "UTC", "UT": "UTC", "Z": "UTC", "TT": "TT", "TDT": "TT"}


def _bad_time(text: str, reason: str = "") -> JSOCTimeError:
    detail = f" ({reason})" if reason else ""
    return JSOCTimeError(f"invalid JSOC time {text!r}{detail}; expected {_ACCEPTED_FORMS}")


def parse_time(text: str) -> float:
    """
    Parse a JSOC time string into internal time.

    Parameters
    ----------
    text : str
        ``YYYY.MM.DD_hh:mm:ss[.fff][_ZONE]`` or a truncated form of it
        (``2016.04.01``, ``2016.04.01_TAI``, ``2010.07.25_13``,
        ``2014.11.30_00:00_TAI``), or ISO ``YYYY-MM-DD[Thh[:mm[:ss[.fff]]]][Z]``
        (a space may replace the ``T``). Zones: ``_TAI``, ``_UTC``, ``_UT``,
        ``Z``, ``_TT``, ``_TDT``; without a zone the time is UTC. A truncated
        form means the start of the interval it names. ``23:59:60`` is accepted
        during a positive UTC leap second. JSOC's missing value
        (``-4712.01.01_11:59:28_TAI`` in any of its printed forms) gives NaN.

    Returns
    -------
    float
        TAI seconds since 1977.01.01_00:00:00_TAI.

    Raises
    ------
    JSOCTimeError
        If ``text`` is not one of the accepted forms or names an impossible date.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import parse_time
    >>> parse_time("1977.01.01_00:00:10_TAI")
    10.0
    >>> parse_time("2014-01-01T00:00:00Z") == parse_time("2014.01.01_00:00:35_TAI")
    True
    >>> parse_time("2016.04.01_TAI") == parse_time("2016.04.01_00:00:00_TAI")
    True
    """
    if not isinstance(text, str):
        raise JSOCTimeError(f"a JSOC time must be a string, not {type(text).__name__}")
    stripped = text.strip()
    if _MISSING_RE.fullmatch(stripped):
        return float("nan")
    match = _DRMS_RE.fullmatch(stripped) or _ISO_RE.fullmatch(stripped)
    if match is None:
        raise _bad_time(text)
    parts = match.groupdict()
    zone_name = "Z" if parts["zulu"] else (parts["zone"] or "UTC").upper()
    zone = _ZONES.get(zone_name)
    if zone is None:
        raise _bad_time(text, f"unknown time zone {zone_name!r}")

    year, month, day = int(parts["year"]), int(parts["month"]), int(parts["day"])
    hour = int(parts["hour"] or 0)
    minute = int(parts["minute"] or 0)
    second = float(parts["second"] or 0.0)
    return _calendar_to_internal((year, month, day), (hour, minute, second), zone, text)


_FAST_FORMATS: Final = {
    # pattern of separators -> (positions of Y, M, D, h, m, s, the end of the seconds' digits, zone)
    "ISO": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"),
    "TAI": re.compile(r"\d{4}\.\d\d\.\d\d_\d\d:\d\d:\d\d(\.\d+)?_TAI"),
}


def parse_times(values: Sequence[str]) -> np.ndarray:
    """
    Parse many JSOC time strings at once (internal times as a float array).

    Columns of one format and width (``2014-01-01T00:00:01Z``,
    ``2012.01.01_00:00:45_TAI``, with or without fractional seconds) are parsed
    with array arithmetic; anything else falls back to `parse_time` per value.
    Missing times (JSOC's ``-4712...``) give NaN.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import parse_times, format_times
    >>> format_times(parse_times(["2014-01-01T00:00:01Z", "2014-01-01T00:00:13Z"]), "TAI")
    ['2014.01.01_00:00:36_TAI', '2014.01.01_00:00:48_TAI']
    """
    arr = np.asarray(values, dtype=str)
    n = arr.size
    if n == 0:
        return np.zeros(0)
    first = str(arr.flat[0])
    kind = next((k for k, rx in _FAST_FORMATS.items() if rx.fullmatch(first)), None)
    width = len(first)
    if kind is None or n < 32 or arr.dtype.itemsize // 4 != width:
        return np.array([parse_time(str(v)) for v in arr.ravel()], dtype=float)
    try:
        raw = np.frombuffer(np.ascontiguousarray(arr.ravel()).astype(f"S{width}").tobytes(), dtype=np.uint8)
    except UnicodeEncodeError:
        return np.array([parse_time(str(v)) for v in arr.ravel()], dtype=float)
    b = raw.reshape(n, width).astype(np.int64)
    template = np.frombuffer(first.encode("ascii"), dtype=np.uint8).astype(np.int64)
    digits = np.frombuffer(first.encode("ascii"), dtype=np.uint8)
    separators = ~((digits >= 48) & (digits <= 57))
    if not np.all(b[:, separators] == template[separators]) or np.any((b[:, ~separators] < 48) |
                                                                     (b[:, ~separators] > 57)):
        return np.array([parse_time(str(v)) for v in arr.ravel()], dtype=float)
    d = b - 48

    def num(a, z):
        out = np.zeros(n, dtype=np.int64)
        for k in range(a, z):
            out = out * 10 + d[:, k]
        return out

    year, month, day = num(0, 4), num(5, 7), num(8, 10)
    hour, minute, second = num(11, 13), num(14, 16), num(17, 19).astype(float)
    end = width - (1 if kind == "ISO" else 4)
    if end > 20:  # fractional seconds
        second = second + num(20, end) / 10.0 ** (end - 20)
    if np.any((month < 1) | (month > 12) | (day < 1) | (day > 31) | (hour > 23) | (minute > 59) | (second >= 60)):
        return np.array([parse_time(str(v)) for v in arr.ravel()], dtype=float)
    day_number = _days_from_civil(year, month, day) - _EPOCH_DAY
    day_start = day_number * _SECONDS_PER_DAY
    seconds = day_start + hour * 3600 + minute * 60 + second
    if kind == "ISO":
        seconds = seconds + _offset_for_naive_day(day_start)
    return seconds.astype(float)


def _calendar_to_internal(
    date: tuple[int, int, int], time_of_day: tuple[int, int, float], zone: str, text: str
) -> float:
    """Validate a calendar instant in ``zone`` ("TAI", "UTC" or "TT") and convert it."""
    year, month, day = date
    hour, minute, second = time_of_day
    if not 1 <= month <= 12:
        raise _bad_time(text, f"month {month} is not 1-12")
    if not 1 <= day <= _days_in_month(year, month):
        raise _bad_time(text, f"{year:04d}-{month:02d} has no day {day}")
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and second >= 0):
        raise _bad_time(text, "hour must be 0-23, minute 0-59 and second non-negative")
    day_number = _day_number(year, month, day)
    if second >= 60:
        leap_ok = zone == "UTC" and hour == 23 and minute == 59 and second < 61
        if not (leap_ok and _is_leap_day(day_number)):
            raise _bad_time(text, "second must be below 60 except in a UTC leap second")

    day_start = day_number * _SECONDS_PER_DAY
    seconds = float(day_start + hour * 3600 + minute * 60) + second
    if zone == "UTC":
        return seconds + float(_offset_for_naive_day(day_start))
    if zone == "TT":
        return seconds - TT_MINUS_TAI
    return seconds


def utc_to_internal(  # noqa: PLR0917 (calendar fields read best positionally)
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: float = 0.0
) -> float:
    """
    Internal time of a UTC calendar instant.

    Parameters
    ----------
    year, month, day : int
        The UTC date.
    hour, minute : int, optional
        The UTC time of day.
    second : float, optional
        Seconds, up to (not including) 61 during a positive leap second.

    Returns
    -------
    float
        TAI seconds since 1977.01.01_00:00:00_TAI.

    Raises
    ------
    JSOCTimeError
        If the instant does not exist.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import utc_to_internal, format_time
    >>> format_time(utc_to_internal(2012, 1, 1))
    '2012.01.01_00:00:34_TAI'
    >>> format_time(utc_to_internal(2016, 12, 31, 23, 59, 60.5), "UTC", 1)
    '2016.12.31_23:59:60.5_UTC'
    """
    text = f"UTC {year}-{month}-{day} {hour}:{minute}:{second}"
    date = (int(year), int(month), int(day))
    return _calendar_to_internal(date, (int(hour), int(minute), float(second)), "UTC", text)


_DURATION_RE: Final = re.compile(r"(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?P<unit>[smhdu]?)", re.ASCII)
_DURATION_UNITS: Final = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str, slot: float | None = None) -> float:
    """
    Parse a JSOC duration or step such as ``1d``, ``90.0s``, ``10m``, ``1.5h``.

    Parameters
    ----------
    text : str
        A non-negative number followed by an optional unit: ``s`` (seconds, the
        default), ``m`` (minutes), ``h`` (hours), ``d`` (days) or ``u`` (slots
        of the prime key).
    slot : float, optional
        Seconds per slot, needed for the ``u`` unit.

    Returns
    -------
    float
        The duration in seconds.

    Raises
    ------
    JSOCTimeError
        If ``text`` is not a duration, or uses ``u`` without ``slot``.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import parse_duration
    >>> parse_duration("1d"), parse_duration("90.0s"), parse_duration("1.5h"), parse_duration("12")
    (86400.0, 90.0, 5400.0, 12.0)
    >>> parse_duration("4u", slot=45.0)
    180.0
    """
    if not isinstance(text, str):
        raise JSOCTimeError(f"a JSOC duration must be a string, not {type(text).__name__}")
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None:
        raise JSOCTimeError(
            f"invalid JSOC duration {text!r}; expected a non-negative number with an "
            "optional unit s, m, h, d or u (slots), e.g. '1d', '90.0s', '10m'"
        )
    number = float(match["number"])
    if not math.isfinite(number):
        raise JSOCTimeError(f"invalid JSOC duration {text!r}: the number is too large")
    unit = match["unit"]
    if unit == "u":
        if slot is None:
            raise JSOCTimeError(f"duration {text!r} is in slot units (u), which need a slotted prime key")
        return number * float(slot)
    return number * _DURATION_UNITS[unit]


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


class _Units(NamedTuple):
    """How one kind of time keyword units is printed."""

    shift: float  # seconds added to internal time before printing
    utc: bool  # whether the calendar is UTC (with leap seconds)
    template: str  # %-template of year, month, day, hour, minute, second
    suffix: str  # zone designator appended


_DRMS_TEMPLATE: Final = "%04d.%02d.%02d_%02d:%02d:%02d"
_UNITS: Final = {
    "TAI": _Units(0.0, False, _DRMS_TEMPLATE, "_TAI"),
    "TT": _Units(TT_MINUS_TAI, False, _DRMS_TEMPLATE, "_TT"),
    "TDT": _Units(TT_MINUS_TAI, False, _DRMS_TEMPLATE, "_TDT"),
    "UTC": _Units(0.0, True, _DRMS_TEMPLATE, "_UTC"),
    "UT": _Units(0.0, True, _DRMS_TEMPLATE, "_UT"),
    "ISO": _Units(0.0, True, "%04d-%02d-%02dT%02d:%02d:%02d", "Z"),
}


def _missing_string(suffix: str, precision: int) -> str:
    width = precision + 3 if precision else 2
    return f"-4712.01.01_11:59:{_MISSING_SECONDS:0{width}.{precision}f}{suffix}"


def format_times(times: npt.ArrayLike, units: str = "TAI", precision: int = 0) -> list[str]:
    """
    Format internal times as JSOC prints them (vectorised).

    Parameters
    ----------
    times : array-like of float
        Internal times; NaN (or infinite) means missing.
    units : str, optional
        The keyword's units: ``"TAI"`` (``2012.01.01_00:00:45_TAI``), ``"ISO"``
        (UTC, ``2010-07-30T13:30:02Z``), ``"UTC"`` or ``"UT"``
        (``2020.04.10_00:14:11_UT``; the suffix echoes the unit), ``"TT"`` or
        ``"TDT"``. Case-insensitive.
    precision : int, optional
        Digits after the decimal point of the seconds. Values are rounded
        (half up) with the carry propagated into minutes, hours and days.

    Returns
    -------
    list of str
        One string per element of ``times`` (flattened). Missing values give
        JSOC's missing time, ``-4712.01.01_11:59:28_TAI`` (``…Z`` for ISO).

    Raises
    ------
    ValueError
        For unknown units or a negative precision.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import format_times, parse_time
    >>> t = parse_time("2014.01.01_00:00:35_TAI")
    >>> format_times([t, t + 8.5678, float("nan")], "ISO", 2)
    ['2014-01-01T00:00:00.00Z', '2014-01-01T00:00:08.57Z', '-4712.01.01_11:59:27.82Z']
    """
    spec = _UNITS.get(units.upper())
    if spec is None:
        raise ValueError(f"unknown time units {units!r}; expected one of {', '.join(_UNITS)}")
    precision = int(precision)
    if precision < 0:
        raise ValueError(f"precision must be >= 0, not {precision}")

    t = np.asarray(times, dtype=float).ravel()
    missing = ~np.isfinite(t)
    t = np.where(missing, 0.0, t) + spec.shift

    # Round (half up) to the precision in integer units, carrying into seconds.
    scale = 10**precision
    whole = np.floor(t)
    fraction = np.floor((t - whole) * scale + 0.5).astype(np.int64)
    whole = whole.astype(np.int64)
    carry = fraction >= scale
    whole += carry
    fraction -= carry * scale

    if spec.utc:
        # Offsets are whole seconds, so rounding in TAI equals rounding in UTC.
        index = np.clip(np.searchsorted(_LEAP_TAI, whole, side="right") - 1, 0, None)
        naive = whole - _LEAP_OFFSET[index]
        following = np.minimum(index + 1, len(_LEAP_NAIVE) - 1)
        in_leap = (index + 1 < len(_LEAP_NAIVE)) & (naive >= _LEAP_NAIVE[following])
        day = np.floor_divide(naive, _SECONDS_PER_DAY) - in_leap
        # A leap second is printed as second 60 of 23:59.
        of_day = naive - day * _SECONDS_PER_DAY - in_leap
    else:
        in_leap = np.zeros(whole.shape, dtype=bool)
        day = np.floor_divide(whole, _SECONDS_PER_DAY)
        of_day = whole - day * _SECONDS_PER_DAY

    year, month, dom = _civil_from_days(day + _EPOCH_DAY)
    columns = [year, month, dom, of_day // 3600, (of_day // 60) % 60, of_day % 60 + in_leap]
    template = spec.template
    if precision:
        template += f".%0{precision}d"
        columns.append(fraction)
    template += spec.suffix
    out = [template % row for row in zip(*(column.tolist() for column in columns), strict=True)]
    if missing.any():
        missing_text = _missing_string(spec.suffix, precision)
        for i in np.flatnonzero(missing).tolist():
            out[i] = missing_text
    return out


def format_time(t: float, units: str = "TAI", precision: int = 0) -> str:
    """
    Format one internal time as JSOC prints it.

    Parameters
    ----------
    t : float
        Internal time; NaN means missing.
    units : str, optional
        ``"TAI"``, ``"ISO"``, ``"UTC"``, ``"UT"``, ``"TT"`` or ``"TDT"``; see
        `format_times`.
    precision : int, optional
        Digits after the decimal point of the seconds.

    Returns
    -------
    str
        The formatted time.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import format_time, parse_time
    >>> t = parse_time("2012.01.01_00:00:45_TAI")
    >>> format_time(t)
    '2012.01.01_00:00:45_TAI'
    >>> format_time(t, "ISO")
    '2012-01-01T00:00:11Z'
    >>> format_time(t, "UT")
    '2012.01.01_00:00:11_UT'
    >>> format_time(float("nan"))
    '-4712.01.01_11:59:28_TAI'
    """
    return format_times([t], units, precision)[0]


_ISO_PREFIX_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T", re.ASCII)


def time_filename_format(text: str) -> str:
    """
    Apply the export filename rule ``:A`` to a formatted time.

    JSOC removes the punctuation that is awkward in file names: for the DRMS
    form both ``.`` and ``:`` go; for ISO only ``:`` goes (its ``-`` and any
    fractional ``.`` stay).

    Parameters
    ----------
    text : str
        A time as returned by `format_time`.

    Returns
    -------
    str
        The time as used in export file names.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import time_filename_format
    >>> time_filename_format("2012.01.01_01:01:30_TAI")
    '20120101_010130_TAI'
    >>> time_filename_format("2010-07-30T13:30:09Z")
    '2010-07-30T133009Z'
    """
    if _ISO_PREFIX_RE.match(text):
        return text.replace(":", "")
    return text.replace(".", "").replace(":", "")


# ---------------------------------------------------------------------------
# astropy
# ---------------------------------------------------------------------------


def to_astropy(t: npt.ArrayLike) -> Time:
    """
    Convert internal time to an astropy `~astropy.time.Time` in the TAI scale.

    Parameters
    ----------
    t : float or array-like
        Internal time(s).

    Returns
    -------
    `~astropy.time.Time`
        Scalar or array, scale ``tai``.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import parse_time, to_astropy
    >>> to_astropy(parse_time("2014.01.01_00:00:35_TAI")).utc.isot
    '2014-01-01T00:00:00.000'
    """
    seconds = np.asarray(t, dtype=float)
    days = np.floor(seconds / _SECONDS_PER_DAY)
    remainder = seconds - days * _SECONDS_PER_DAY
    return Time(_EPOCH_JD + days, remainder / _SECONDS_PER_DAY, format="jd", scale="tai")


def from_astropy(time: Time) -> float | np.ndarray:
    """
    Convert an astropy `~astropy.time.Time` (any scale) to internal time.

    Parameters
    ----------
    time : `~astropy.time.Time`
        Scalar or array time.

    Returns
    -------
    float or `numpy.ndarray`
        TAI seconds since 1977.01.01_00:00:00_TAI.

    Examples
    --------
    >>> from astropy.time import Time
    >>> from sunpy_jsocx.jsoctime import from_astropy, format_time
    >>> format_time(from_astropy(Time("2012-01-01T00:00:11", scale="utc")))
    '2012.01.01_00:00:45_TAI'
    """
    tai = time.tai
    seconds = (tai.jd1 - _EPOCH_JD) * _SECONDS_PER_DAY + tai.jd2 * _SECONDS_PER_DAY
    seconds = np.asarray(seconds, dtype=float)
    return float(seconds) if seconds.ndim == 0 else seconds


def slot_start(t, epoch: float, step: float, rounding: float = 0.0):
    """
    The start of the slot a time falls in, by DRMS's rule for slotted time keys.

    ``CalcSlot`` in DRMS (lm-jps/drms ``base/drms/libs/api/drms_keyword_priv.h``) takes
    ``floor((t - epoch + round / 2) / step)``: ``round`` is the key's ``<KEY>_round`` for a
    ``ts_slot`` key (0 when it has none) and the step itself for a ``ts_eq`` key.

    Parameters
    ----------
    t : float or array-like
        Internal times.
    epoch, step : float
        The key's ``<KEY>_epoch`` (internal time) and ``<KEY>_step`` (seconds, > 0).
    rounding : float
        As above.

    Returns
    -------
    float or `numpy.ndarray`
        ``epoch`` plus a whole number of steps.

    Examples
    --------
    >>> from sunpy_jsocx.jsoctime import format_time, parse_time, slot_start
    >>> epoch = parse_time("1977.01.01_00:00:00_TAI")  # aia.lev1's T_REC: step 1 s, T_REC_round 1
    >>> format_time(slot_start(parse_time("2014-01-01T00:00:08.57Z"), epoch, 1.0, 1.0), "ISO")
    '2014-01-01T00:00:09Z'
    """
    return epoch + np.floor((np.asarray(t, dtype=float) - epoch + rounding / 2.0) / step) * step
