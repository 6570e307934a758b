"""
Hostile input never escapes as a traceback from inside the package (issue 8, point 15).

204 of 11,221 fuzzed inputs used to raise ``OverflowError`` (huge ranges, an infinite
wavelength), astropy's ``UnitsError`` (``a.jsocx.Sample`` in metres), Python's "Exceeds the
limit (4300 digits)" or ERFA errors, and times in year 1 or 10000 built record sets the
server rejects. Now every such input gives a ValueError (or TypeError) of ours that says what
is wrong and what is valid, before anything is sent; and whatever is accepted builds record
sets that JSOC's grammar reads.
"""

from __future__ import annotations

import math
import re
import warnings

import astropy.units as u
import pytest
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import hostile_queries, load_info
from sunpy.net import attrs as a
from sunpy.net.attr import and_

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, tai
from sunpy_jsocx import attrs as jsocx
from sunpy_jsocx.recordset import PKRange, build_recordset, records_recordset, validate_recordset
from sunpy_jsocx.walker import walker

SERIES = ["aia.lev1_euv_12s", "hmi.m_45s", "hmi.sharp_cea_720s", "aia.response"]
#: sunpy's own attrs: what their constructors raise is sunpy's business, not this package's.
SUNPY_ATTRS = (a.Time, a.Wavelength, a.Sample)
#: Phrases of messages that come from deep inside Python, numpy, astropy or ERFA.
INTERNAL = ("cannot convert float", "Exceeds the limit", "ERFA", "did not match the format", "int too large",
            "math range", "has no 'unit' attribute", "unsupported operand", "not supported between",
            "object is not", "invalid literal", "could not convert")


def _build(sane, hostile):
    """The query from its parts; None if one of sunpy's own attrs refused its arguments."""
    attrs = []
    for make, args in hostile:
        if make in SUNPY_ATTRS:
            try:
                attrs.append(make(*args))
            except Exception:  # noqa: BLE001 (sunpy's constructors are not under test)
                return None
        else:
            attrs.append(make(*args))
    replaced = {type(x) for x in attrs}
    series, time = sane
    if not replaced & {jsocx.Series, jsocx.RecordSet}:
        attrs.append(series)
    if not replaced & {a.Time, jsocx.RecordSet, jsocx.PrimeKey}:
        attrs.append(time)
    try:
        return and_(*attrs)
    except TypeError:  # sunpy refuses a.Time & a.Time, a.Wavelength & a.Wavelength itself
        if sum(isinstance(x, SUNPY_ATTRS) for x in attrs) < 2:
            raise
        return None


def _record_sets(info, sane, hostile):
    query = _build(sane, hostile)
    if query is None:
        return None
    return [build_recordset(block, info) for block in walker.create(query)]


def _numeric_texts(info, rs):
    """The parts of a record set that hold numbers: numeric prime-key filters and keyword literals."""
    body = rs[len(info.name):]
    positional = re.findall(r"\[([^?\]]*)\]", body.split("[?", 1)[0])
    for key, text in zip(info.primekeys, positional, strict=False):
        if info.keywords[key].is_numeric:
            yield text
    for name, literal in re.findall(r"(\w+) (?:=|!=|<=|>=|<|>) '([^']*)'", body):
        if info.keyword(name).is_numeric:
            yield literal


def assert_clear_refusal_or_valid(info, sane, hostile):
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ERFA's "dubious year" for old or far-future UTC
        try:
            record_sets = _record_sets(info, sane, hostile)
        except (ValueError, TypeError) as caught:
            error = caught
    if error is not None:
        message = str(error)
        module = type(error).__module__
        assert module == "builtins" or module.startswith("sunpy_jsocx"), (type(error), message)
        assert len(message) > 20, message
        assert not any(phrase in message for phrase in INTERNAL), message
        return
    for rs in record_sets or []:
        # JSOC's grammar reads it, times have four-digit years, no number is absurdly long.
        assert validate_recordset(rs) == rs
        for text in _numeric_texts(info, rs):
            assert max((len(d) for d in re.findall(r"\d+", text)), default=0) <= 40, rs
        years = re.findall(r"(?<![\d.])(\d+)[-.]\d\d[-.]\d\d[T_]", rs)
        assert all(len(y) == 4 for y in years), rs
        assert not re.search(r"[\[,(]-\d+[-.]\d\d[-.]\d\d[T_]", rs), rs  # no negative years


@pytest.mark.parametrize("stem", SERIES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzzed_hostile_queries_give_clear_errors_or_valid_record_sets(stem, data):
    info = load_info(stem)
    sane, hostile = data.draw(hostile_queries(stem))
    assert_clear_refusal_or_valid(info, sane, hostile)


AIA = jsocx.Series("aia.lev1_euv_12s")
DAY = a.Time("2014-01-01", "2014-01-02")

# (what, query, a fragment of the message)
REFUSED = [
    ("infinite wavelength", lambda: AIA & DAY & a.Wavelength(math.inf * u.AA), "positive, finite wavelength"),
    ("1e309 wavelength", lambda: AIA & DAY & a.Wavelength(1e309 * u.AA), "positive, finite wavelength"),
    ("NaN wavelength", lambda: AIA & DAY & a.Wavelength(math.nan * u.AA), "positive, finite wavelength"),
    ("negative wavelength", lambda: AIA & DAY & a.Wavelength(-171 * u.AA), "positive, finite wavelength"),
    ("wavelength in metres", lambda: AIA & DAY & a.Wavelength(171 * u.m), "32-bit integer .* outside"),
    ("huge prime-key range", lambda: AIA & DAY & jsocx.PrimeKey.range("WAVELNTH", 10**400, 10**401),
     "32-bit integer .*about 401 digits.* outside -2147483648 to 2147483647"),
    ("huge range end", lambda: AIA & DAY & jsocx.PrimeKey("WAVELNTH", PKRange(1, 10**400)), "outside"),
    ("5000-digit string", lambda: AIA & DAY & jsocx.PrimeKey("WAVELNTH", "9" * 5000), "more than 40 digits"),
    ("2**31 for an int key", lambda: AIA & DAY & jsocx.PrimeKey("WAVELNTH", 2**31), "outside -2147483648"),
    ("huge keyword value", lambda: AIA & DAY & (jsocx.Keyword("EXPTIME") > 10**400), "double; .* outside its range"),
    ("2**64 for an int keyword", lambda: AIA & DAY & (jsocx.Keyword("QUALITY") == 2**64), "32-bit integer"),
    ("Sample in metres", lambda: AIA & DAY & jsocx.Sample(10 * u.m), "time interval such as 10 \\* u.min"),
    ("Sample of 1e300 years", lambda: AIA & DAY & a.Sample(1e300 * u.yr), "at most 10,000 years"),
    ("infinite Sample", lambda: AIA & DAY & jsocx.Sample(math.inf * u.s), "positive, finite"),
    ("year 10000", lambda: AIA & a.Time(Time(5373500.0, format="jd"), Time(5373600.0, format="jd")),
     "a.Time start: a time in about the year 10000 .* give times from 0001-01-01 to 9999-12-31"),
    ("negative year", lambda: AIA & a.Time(Time(-1, format="jyear"), Time(1, format="jyear")),
     "outside the times JSOC can read"),
    ("JD 1e12", lambda: AIA & a.Time(Time(1e12, format="jd"), Time(1e12 + 1, format="jd")),
     "outside the times JSOC can read"),
    ("year 0 string", lambda: AIA & jsocx.PrimeKey("T_REC", "0000.01.01_TAI"), "outside the times JSOC can read"),
    ("missing time", lambda: AIA & jsocx.PrimeKey("T_REC", "-4712.01.01_11:59:28_TAI"), "missing time"),
    ("year 10000 keyword", lambda: AIA & DAY & (jsocx.Keyword("T_OBS") > Time(5373500.0, format="jd")),
     "outside the times JSOC can read"),
    ("20-digit span", lambda: AIA & jsocx.PrimeKey("T_REC", "2014.01.01_TAI/99999999999999999999d"),
     "too long: JSOC durations are at most 10,000 years"),
    ("huge step", lambda: AIA & jsocx.PrimeKey("T_REC", "2014.01.01_TAI/1d@99999999999999999999999d"),
     "step of .* too long"),
    ("raw record set with a 1e400-day span", lambda: jsocx.RecordSet("aia.lev1_euv_12s[2014.01.01_TAI/1e400d]"),
     "too large"),
    ("raw record set with a 23-digit record number",
     lambda: jsocx.RecordSet("aia.lev1_euv_12s[:#99999999999999999999999]"), "largest record number"),
    ("raw record set with an int out of range",
     lambda: jsocx.RecordSet("aia.lev1_euv_12s[2014.01.01_TAI/1d][3000000000]"), "32-bit integer"),
]


@pytest.mark.parametrize(("what", "query", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_hostile_values_are_refused_clearly(what, query, message):
    info = load_info("aia.lev1_euv_12s")
    def build():
        return [build_recordset(block, info) for block in walker.create(query())]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=message):
            build()


@pytest.mark.parametrize(("value", "message"), [
    (10 * u.m, "time interval such as 10 \\* u.min"),
    (5, "Sample needs a time interval as an astropy Quantity"),
    ("10 min", "Sample needs a time interval as an astropy Quantity"),
    (math.nan * u.s, "positive, finite"),
    ([1, 2] * u.s, "single time interval"),
])
def test_jsocx_sample_refuses_what_is_not_a_time_interval(value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        jsocx.Sample(value)


def test_record_numbers_above_64_bits_are_refused():
    info = load_info("hmi.m_45s")
    with pytest.raises(ValueError, match=r"0 to 2\*\*63 - 1"):
        records_recordset(info, [1, 2**63])
    assert records_recordset(info, [2**63 - 1]) == f"hmi.M_45s[:#{2**63 - 1}]"


def test_tai_refuses_the_missing_time_and_huge_numbers_clearly():
    with pytest.raises(ValueError, match="JSOC's missing time"):
        tai("-4712.01.01_11:59:28_TAI")
    with pytest.raises(ValueError, match=r"^10000000000.*\.\.\. is not a time"):
        tai(10**400)


def test_years_1_and_9999_build_record_sets_with_four_digit_years():
    info = load_info("aia.lev1_euv_12s")
    hmi = load_info("hmi.m_45s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = build_recordset(walker.create(AIA & a.Time("0001-01-01", "0001-01-02"))[0], info)
        last = build_recordset(walker.create(AIA & a.Time("9999-12-30", "9999-12-31"))[0], info)
        tai_key = build_recordset(walker.create(jsocx.Series("hmi.m_45s") & a.Time("0500-01-01", "0500-01-02"))[0],
                                  hmi)
    assert first == "aia.lev1_euv_12s[0001-01-01T00:00:00Z-0001-01-02T00:00:00Z]"
    assert last == "aia.lev1_euv_12s[9999-12-30T00:00:00Z-9999-12-31T00:00:00Z]"
    assert tai_key.startswith("hmi.M_45s[0500.01.01_00:00:00_TAI-")
    for rs in (first, last, tai_key):
        assert validate_recordset(rs) == rs


def test_year_1_search_is_accepted_by_the_server_and_year_10000_never_sent(emulator):
    with sunpy_jsocx.use_server(emulator.url), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(JSOCXClient().search(AIA, a.Time("0001-01-01", "0001-01-02"))) == 0
        emulator.reset_stats()
        with pytest.raises(ValueError, match="outside the times JSOC can read"):
            JSOCXClient().search(AIA, a.Time(Time(5373500.0, format="jd"), Time(5373600.0, format="jd")))
        with pytest.raises(ValueError, match="positive, finite wavelength"):
            JSOCXClient().search(AIA, DAY, a.Wavelength(math.inf * u.AA))
    assert emulator.stats()["requests_total"] == 0
