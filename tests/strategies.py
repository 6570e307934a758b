"""
Hypothesis strategies that build random valid JSOC queries (attr trees) for a series.

``queries(info)`` draws a query a user could type for the series described by
``info``: a `Series` (in random case), a time selection (``a.Time``, a time
`PrimeKey` range, span or list, or none), ``a.Sample`` when there is a range,
values for other prime keys (single, lists, ranges, or ``|`` alternatives),
``a.Wavelength`` for series with a WAVELNTH prime key, segments, keyword
comparisons of every type, and the delivery attrs. Every query selects
something (a time or a prime key), so it must walk to blocks whose record sets
JSOC's grammar parses.
"""

from __future__ import annotations

import json
import string
from functools import cache
from importlib.resources import files

import astropy.units as u
from astropy.time import Time
from hypothesis import strategies as st
from sunpy.net import attrs as a
from sunpy.net.attr import and_, or_

from sunpy_jsocx import attrs as jsocx
from sunpy_jsocx.recordset import PKRange, format_jsoc_time
from sunpy_jsocx.seriesinfo import SeriesInfo

SERIES_DIR = files("sunpy_jsocx.emulator").joinpath("data/series")

#: Characters a string keyword value may hold (see sunpy_jsocx.recordset).
KEYWORD_STRING_ALPHABET = string.ascii_letters + string.digits + "_.:+-/ "
#: Characters a string prime-key value may hold.
PRIMEKEY_STRING_ALPHABET = string.ascii_letters + string.digits + "_.:+"


@cache
def load_info(file_stem: str) -> SeriesInfo:
    """The SeriesInfo of a series shipped with the emulator, by file name (lower case)."""
    data = json.loads(SERIES_DIR.joinpath(f"{file_stem}.json").read_text(encoding="utf-8"))
    return SeriesInfo.from_struct(data["name"], data["series_struct"])


def series_stems() -> list[str]:
    """The file names (without .json) of every series shipped with the emulator."""
    return sorted(p.name[: -len(".json")] for p in SERIES_DIR.iterdir() if p.name.endswith(".json"))


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

# 2010-05-01 .. 2024-12-31 in TAI seconds from 2010-05-01 (SDO era), whole or with milliseconds.
_START = Time("2010-05-01T00:00:00", scale="utc")
_SPAN_SECONDS = 14 * 365 * 86400


@st.composite
def times(draw) -> Time:
    """A scalar astropy Time in the SDO era, in the UTC or TAI scale."""
    seconds = draw(st.integers(0, _SPAN_SECONDS))
    millis = draw(st.sampled_from([0, 0, 0, 250, 500, 125]))
    t = _START + (seconds + millis / 1000) * u.s
    return t.tai if draw(st.booleans()) else t.utc


@st.composite
def time_ranges(draw) -> tuple[Time, Time]:
    """(start, end) with start <= end, up to two days apart."""
    start = draw(times())
    length = draw(st.integers(0, 2 * 86400))
    return start, start + length * u.s


def jsoc_time_strings(t: Time) -> st.SearchStrategy[str]:
    """JSOC spellings of ``t``: TAI, UTC (``_UTC``) or ISO with ``Z``."""
    return st.sampled_from([format_jsoc_time(t, "TAI"), format_jsoc_time(t, "UTC"), format_jsoc_time(t, "ISO")])


@st.composite
def time_primekey_values(draw, *, ranged: bool) -> object:
    """A value for a time prime key; a range or span when ``ranged``."""
    if ranged:
        start, end = draw(time_ranges())
        kind = draw(st.sampled_from(["pkrange", "pkrange-str", "range-str", "span-str"]))
        if kind == "pkrange":
            return PKRange(start, end)
        if kind == "pkrange-str":
            return PKRange(draw(jsoc_time_strings(start)), draw(jsoc_time_strings(end)))
        if kind == "range-str":
            return f"{format_jsoc_time(start, 'TAI')}-{format_jsoc_time(end, 'TAI')}"
        return f"{draw(jsoc_time_strings(start))}/{draw(st.sampled_from(['1d', '2h', '90m', '720s', '45']))}"
    t = draw(times())
    return draw(st.one_of(st.just(t), jsoc_time_strings(t)))


#: Bit widths of DRMS integer types; values outside them are refused (sunpy_jsocx.recordset).
_INTEGER_BITS = {"char": 8, "short": 16, "int": 32, "longlong": 64}


def _number_values(keyword) -> st.SearchStrategy:
    """Numbers the keyword's DRMS type can hold (float is IEEE single, double IEEE double)."""
    if keyword.is_integer:
        bits = _INTEGER_BITS.get(keyword.type, 32)
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return st.floats(allow_nan=False, allow_infinity=False, width=32 if keyword.type == "float" else 64)


@st.composite
def primekey_values(draw, keyword) -> object:
    """A value (single or range) for a non-time prime key of type ``keyword.type``."""
    if keyword.is_numeric:
        numbers = _number_values(keyword)
        if draw(st.integers(0, 3)) == 0:
            lo, hi = sorted([draw(numbers), draw(numbers)])
            return PKRange(lo, hi)
        return draw(numbers)
    first = st.sampled_from(string.ascii_letters + string.digits + "_")
    rest = st.text(PRIMEKEY_STRING_ALPHABET, max_size=12)
    return draw(first) + draw(rest)


@st.composite
def keyword_comparisons(draw, info: SeriesInfo) -> jsocx.KeywordComparison:
    """A comparison on a keyword of ``info`` with a value of the keyword's type."""
    names = [name for name in info.keyword_names if info.keywords[name].type in _COMPARABLE_TYPES]
    keyword = info.keywords[draw(st.sampled_from(names))]
    if keyword.is_time:
        value = draw(times())
    elif keyword.is_numeric:
        value = draw(_number_values(keyword))
    else:
        value = draw(st.text(KEYWORD_STRING_ALPHABET, max_size=20))
    name = draw(st.sampled_from([keyword.name, keyword.name.lower(), keyword.name.upper()]))
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    return jsocx.KeywordComparison(name, op, value)


_COMPARABLE_TYPES = frozenset({"int", "short", "longlong", "float", "double", "string", "time"})


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------


def _random_case(draw, text: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)


@st.composite
def queries(draw, info: SeriesInfo):
    """A random valid query (an attr tree) for the series ``info``."""
    terms = [jsocx.Series(_random_case(draw, info.name))]
    has_range = False
    selected = False

    # Time: a.Time, a time PrimeKey, or nothing.
    if info.time_key is not None:
        how = draw(st.sampled_from(["Time", "Time", "PrimeKey-range", "PrimeKey-single", "none"]))
        if how == "Time":
            start, end = draw(time_ranges())
            terms.append(a.Time(start, end))
            has_range = selected = True
        elif how == "PrimeKey-range":
            terms.append(jsocx.PrimeKey(info.time_key, draw(time_primekey_values(ranged=True))))
            has_range = selected = True
        elif how == "PrimeKey-single":
            values = draw(st.lists(time_primekey_values(ranged=False), min_size=1, max_size=3))
            terms.append(jsocx.PrimeKey(info.time_key, values if len(values) > 1 else values[0]))
            selected = True
    if has_range and draw(st.booleans()):
        seconds = draw(st.sampled_from([12, 45, 60, 90.5, 600, 720, 3600]))
        sample = jsocx.Sample if draw(st.booleans()) else a.Sample
        terms.append(sample(seconds * u.s))

    # Other prime keys.
    for key in info.primekeys:
        keyword = info.keywords[key]
        if keyword.is_time or not draw(st.booleans()):
            continue
        label = _random_case(draw, key)
        if key == "WAVELNTH" and draw(st.booleans()):
            waves = draw(
                st.lists(
                    st.sampled_from([94, 131, 171, 193, 211, 304, 335, 1600, 1700]), min_size=1, max_size=3, unique=True
                )
            )
            terms.append(or_(*(a.Wavelength(w * u.AA) for w in waves)))
        else:
            shape = draw(st.sampled_from(["single", "list", "or"]))
            values = draw(st.lists(primekey_values(keyword), min_size=1, max_size=3))
            if shape == "single":
                terms.append(jsocx.PrimeKey(label, values[0]))
            elif shape == "list":
                terms.append(jsocx.PrimeKey(label, values))
            else:
                terms.append(or_(*(jsocx.PrimeKey(label, v) for v in values)))
        selected = True
    if not selected:
        key = info.primekeys[0]
        keyword = info.keywords[key]
        value = draw(time_primekey_values(ranged=False)) if keyword.is_time else draw(primekey_values(keyword))
        terms.append(jsocx.PrimeKey(key, value))

    # Segments, keyword filters, delivery.
    if info.segments:
        chosen = draw(st.lists(st.sampled_from(info.segment_names), max_size=3, unique=True))
        terms.extend(jsocx.Segment(_random_case(draw, name)) for name in chosen)
    terms.extend(draw(st.lists(keyword_comparisons(info), max_size=3)))
    if draw(st.booleans()):
        terms.append(jsocx.Notify("user@example.org"))
    if draw(st.booleans()):
        terms.append(jsocx.Protocol(draw(st.sampled_from(["fits", "as-is", "FITS"]))))
    if draw(st.booleans()):
        terms.append(jsocx.Method(draw(st.sampled_from(["url", "url-tar", "url-quick"]))))
    draw(st.randoms()).shuffle(terms)
    return and_(*terms)


# ---------------------------------------------------------------------------
# Hostile input (issue 8, point 15): what a fuzzer or a careless user types
# ---------------------------------------------------------------------------

#: Characters that would break out of a record-set filter, a clause or a URL if pasted.
BREAKOUT_CHARACTERS = "[]{}(),'\"\n\r\t ?!@#$^:;-/\\=<>*%&|`~\x00"


def hostile_numbers() -> st.SearchStrategy:
    """Numbers no JSOC key can hold, or at its edges: NaN, infinities, huge, tiny, negative."""
    import numpy as np

    specials = st.sampled_from([
        float("nan"), float("inf"), -float("inf"), 1e309, -1e309, 1e308, -1.7976931348623157e308,
        3.5e38, 5e-324, -0.0, 0, -1, -171, 2**7, 2**15, 2**31, -(2**31) - 1, 2**63, 2**64, -(2**63) - 1,
        10**19, 10**40, 10**400, -(10**400), 10**4000,
        np.float32("inf"), np.float64("nan"), np.int64(2**63 - 1), np.uint64(2**64 - 1), np.int8(-128),
    ])
    return st.one_of(
        specials,
        st.integers(min_value=-(10**30), max_value=10**30),
        # Up to 4,000 digits: Python cannot even print an int of more than 4,300.
        st.integers(min_value=0, max_value=4000).map(lambda n: 10**n),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def hostile_number_strings() -> st.SearchStrategy[str]:
    """Strings that look (almost) like numbers or ranges."""
    return st.one_of(
        st.sampled_from(["1e309", "-1e309", "nan", "inf", "9" * 5000, "0x10", " 171 ", "1-1e400", "-5--3",
                         "1e-400", "171,304", "171]", "[171", "1_000", "+-1", "", " ", "1 - 2", "171/2"]),
        hostile_numbers().map(repr),
        st.text(string.digits + "eE.+-x ", max_size=30),
    )


def hostile_strings() -> st.SearchStrategy[str]:
    """Text with characters that break out of filters, clauses and quotes, plus any unicode."""
    return st.one_of(
        st.text(string.ascii_letters + string.digits + "_." + BREAKOUT_CHARACTERS, max_size=40),
        st.text(max_size=20),
        st.sampled_from(["2014.01.01_TAI][? 1=1 ?]", "2014.01.01_TAI}{image", "x' OR '1'='1", "a\nb", "$", "^",
                         "#1", "#99999999999999999999999", "2014.01.01_TAI/1e400d", "2014.01.01/1d@0.0000001s",
                         "**ALL**", "-4712.01.01_11:59:28_TAI"]),
    )


def hostile_units():
    return st.sampled_from([u.AA, u.nm, u.m, u.Hz, u.keV, u.s, u.min, u.yr, u.kg, u.deg, u.dimensionless_unscaled])


def hostile_quantities() -> st.SearchStrategy:
    """Quantities with hostile numbers in right and wrong units."""
    return st.builds(lambda number, unit: float(number) * unit if _floatable(number) else 1e309 * unit,
                     hostile_numbers(), hostile_units())


def _floatable(number) -> bool:
    try:
        float(number)
    except OverflowError:
        return False
    return True


@st.composite
def extreme_times(draw):
    """Times at and beyond the ends of what JSOC reads, as Time, datetime or JSOC/ISO strings."""
    import datetime

    kind = draw(st.sampled_from(["jd", "edge", "string", "datetime"]))
    if kind == "jd":
        jd = draw(st.one_of(st.floats(-1e13, 1e13, allow_nan=False), st.floats(1.7e6, 5.4e6),
                            st.sampled_from([1721425.5, 1721425.4, 5373484.5, 5373484.4999])))  # astropy refuses NaN
        return Time(jd, format="jd", scale=draw(st.sampled_from(["utc", "tai", "tt"])))
    if kind == "edge":
        return Time(draw(st.sampled_from(["0001-01-01T00:00:00", "0001-01-01T00:00:10", "9999-12-31T23:59:59.999",
                                          "9999-12-31T23:59:00", "1000-01-01", "0999-12-31", "1958-01-01"])),
                    scale=draw(st.sampled_from(["utc", "tai"])))
    if kind == "datetime":
        return draw(st.sampled_from([datetime.datetime.min, datetime.datetime.max,
                                     datetime.datetime(1, 1, 1, 0, 0, 1)]))
    return draw(st.sampled_from(["0000.01.01_TAI", "0001.01.01_00:00:00_TAI", "9999.12.31_23:59:59_UTC",
                                 "9999.12.31_23:59:60_TAI", "-4712.01.01_11:59:28_TAI", "10000.01.01_TAI",
                                 "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2014.13.01_TAI",
                                 "2014.01.01_TAI/1e400d",
                                 "2014.01.01_TAI/99999999999999999999d", "2014.01.01_TAI/1d@9999999999999d",
                                 "2014.01.01_TAI-0001.01.01_TAI"]))


def _any_hostile_value():
    return st.one_of(hostile_numbers(), hostile_number_strings(), hostile_strings(), hostile_quantities(),
                     extreme_times())


@st.composite
def hostile_parts(draw, stem: str):
    """One hostile attr of a query for series ``stem``, as (constructor, arguments); built by the test."""
    info = load_info(stem)
    key = st.sampled_from(info.primekeys)
    numbers_or_times = st.one_of(hostile_numbers(), extreme_times(), hostile_quantities())
    choices = {
        "pk": lambda: (jsocx.PrimeKey, (draw(key), draw(_any_hostile_value()))),
        "pk-range": lambda: (jsocx.PrimeKey.range, (draw(key), draw(numbers_or_times), draw(numbers_or_times))),
        "pk-list": lambda: (jsocx.PrimeKey, (draw(key), draw(st.lists(_any_hostile_value(), min_size=1, max_size=3)))),
        "time": lambda: (a.Time, (draw(extreme_times()), draw(extreme_times()))),
        "wavelength": lambda: (a.Wavelength, (draw(hostile_quantities()),)),
        "wavelength-range": lambda: (a.Wavelength, (draw(hostile_quantities()), draw(hostile_quantities()))),
        "jsocx-sample": lambda: (jsocx.Sample, (draw(st.one_of(hostile_quantities(), hostile_numbers(),
                                                                 hostile_strings())),)),
        "sample": lambda: (a.Sample, (draw(hostile_quantities()),)),
        "keyword": lambda: (jsocx.KeywordComparison, (draw(st.sampled_from(sorted(info.keyword_names))),
                                                      draw(st.sampled_from(["==", "<", ">=", "!=", "=<", ""])),
                                                      draw(_any_hostile_value()))),
        "segment": lambda: (jsocx.Segment, (draw(hostile_strings()),)),
        "keyword-name": lambda: (jsocx.KeywordComparison, (draw(hostile_strings()), "==", 0)),
        "primekey-name": lambda: (jsocx.PrimeKey, (draw(hostile_strings()), 1)),
        "recordset": lambda: (jsocx.RecordSet, (info.name + draw(hostile_strings()),)),
        "series": lambda: (jsocx.Series, (draw(hostile_strings()),)),
        "notify": lambda: (jsocx.Notify, (draw(hostile_strings()),)),
        "protocol": lambda: (jsocx.Protocol, (draw(hostile_strings()),)),
        "method": lambda: (jsocx.Method, (draw(hostile_strings()),)),
    }
    return choices[draw(st.sampled_from(sorted(choices)))]()


@st.composite
def hostile_queries(draw, stem: str):
    """
    Parts of a query for series ``stem`` (see `load_info`), one to three of them hostile.

    Returns (sane attrs, hostile parts).

    Hostile parts come as (constructor, arguments) so that the test sees what building them
    raises: the attrs of this package must refuse bad values with ValueError or TypeError
    (sunpy's own ``a.Time``, ``a.Wavelength`` and ``a.Sample`` raise what sunpy raises).
    """
    hostile = draw(st.lists(hostile_parts(stem), min_size=1, max_size=3))
    start, end = draw(time_ranges())
    return [jsocx.Series(load_info(stem).name), a.Time(start, end)], hostile
