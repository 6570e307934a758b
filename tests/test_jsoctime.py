"""Tests for JSOC/DRMS time parsing and formatting (`sunpy_jsocx.jsoctime`)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from sunpy_jsocx import jsoctime
from sunpy_jsocx.jsoctime import (
    JSOCTimeError,
    format_time,
    format_times,
    from_astropy,
    parse_duration,
    parse_time,
    tai_minus_utc,
    time_filename_format,
    to_astropy,
    utc_to_internal,
)

# The positive leap seconds since 1990, as the last UTC day before each step.
LEAP_DAYS = [
    (1990, 12, 31), (1992, 6, 30), (1993, 6, 30), (1994, 6, 30), (1995, 12, 31),
    (1997, 6, 30), (1998, 12, 31), (2005, 12, 31), (2008, 12, 31), (2012, 6, 30),
    (2015, 6, 30), (2016, 12, 31),
]  # fmt: skip


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def test_epoch_is_zero():
    assert parse_time("1977.01.01_00:00:00_TAI") == 0.0
    assert parse_time(jsoctime.DRMS_EPOCH) == 0.0


def test_parse_counts_tai_seconds_and_days():
    assert parse_time("1977.01.02_00:00:00_TAI") == 86400.0
    assert parse_time("1977.01.01_01:02:03.25_TAI") == 3723.25
    assert parse_time("1976.12.31_23:59:59_TAI") == -1.0
    # 1977-01-01 to 2012-01-01: 35 years with 8 leap days (1980, 1984, ..., 2008).
    assert parse_time("2012.01.01_00:00:00_TAI") == (35 * 365 + 8) * 86400.0


@pytest.mark.parametrize(
    ("utc", "tai"),
    [
        ("2012.01.01_00:00:00_UTC", "2012.01.01_00:00:34_TAI"),
        ("2010.07.30_13:30:02_UTC", "2010.07.30_13:30:36_TAI"),
        ("2012.06.30_23:59:59_UTC", "2012.07.01_00:00:33_TAI"),
        ("2012.07.01_00:00:00_UTC", "2012.07.01_00:00:35_TAI"),
        ("2014.01.01_00:00:00_UTC", "2014.01.01_00:00:35_TAI"),
        ("2017.01.01_00:00:00_UTC", "2017.01.01_00:00:37_TAI"),
        ("2025.01.01_04:33:30_UTC", "2025.01.01_04:34:07_TAI"),
    ],
)
def test_utc_is_offset_by_the_leap_second_table(utc, tai):
    assert parse_time(utc) == parse_time(tai)


@pytest.mark.parametrize(
    ("when", "offset"),
    [
        ("2010.01.01_00:00:00_TAI", 34.0),
        ("2012.06.30_12:00:00_TAI", 34.0),
        ("2012.07.01_00:00:35_TAI", 35.0),
        ("2016.06.01_00:00:00_TAI", 36.0),
        ("2017.01.01_00:00:37_TAI", 37.0),
        ("2024.06.01_00:00:00_TAI", 37.0),
    ],
)
def test_tai_minus_utc(when, offset):
    assert tai_minus_utc(parse_time(when)) == offset


def test_tai_minus_utc_is_vectorised_and_keeps_nan():
    t = np.array([parse_time("2012.01.01_TAI"), parse_time("2018.01.01_TAI"), np.nan])
    result = tai_minus_utc(t)
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result[:2], [34.0, 37.0])
    assert np.isnan(result[2])


def test_tai_minus_utc_keeps_the_old_value_during_the_leap_second():
    leap = parse_time("2016.12.31_23:59:60.5_UTC")
    assert tai_minus_utc(leap) == 36.0
    assert tai_minus_utc(parse_time("2017.01.01_00:00:00_UTC")) == 37.0


def test_no_zone_means_utc():
    assert parse_time("2014-01-01T00:00:00") == parse_time("2014.01.01_00:00:35_TAI")
    assert parse_time("2010.07.25") == parse_time("2010.07.25_00:00:34_TAI")
    assert parse_time("2012.01.01_00:00:00") == parse_time("2012.01.01_00:00:00_UTC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-01-01T00:00:00Z", "2014.01.01_00:00:35_TAI"),
        ("2014-01-01T00:00Z", "2014.01.01_00:00:35_TAI"),
        ("2014-01-01T00Z", "2014.01.01_00:00:35_TAI"),
        ("2014-01-01T00", "2014.01.01_00:00:35_TAI"),
        ("2014-01-01 00:00:00", "2014.01.01_00:00:35_TAI"),
        ("2014-01-01", "2014.01.01_00:00:35_TAI"),
        ("2025-01-01T04:33:30.000", "2025.01.01_04:34:07_TAI"),
        ("2014-01-01T00:00:08.57Z", "2014.01.01_00:00:43.57_TAI"),
        ("2014-01-01T00:00:00_TAI", "2014.01.01_00:00:00_TAI"),
        ("2014.01.01_00:00:00Z", "2014.01.01_00:00:35_TAI"),
        ("2014.01.01_00:00:00_UT", "2014.01.01_00:00:35_TAI"),
        ("2014.01.01_00:00:00_utc", "2014.01.01_00:00:35_TAI"),
        ("2014.01.01_00:00:32.184_TT", "2014.01.01_00:00:00_TAI"),
        ("2014.01.01_00:00:32.184_TDT", "2014.01.01_00:00:00_TAI"),
        ("  2014.01.01_00:00:00_TAI  ", "2014.01.01_00:00:00_TAI"),
        ("2014.1.1_0:0:0_TAI", "2014.01.01_00:00:00_TAI"),
    ],
)
def test_accepted_forms_and_zones(text, expected):
    assert parse_time(text) == pytest.approx(parse_time(expected), abs=1e-6)


@pytest.mark.parametrize(
    ("truncated", "full"),
    [
        ("2016.04.01", "2016.04.01_00:00:00_UTC"),
        ("2016.04.01_TAI", "2016.04.01_00:00:00_TAI"),
        ("2010.07.25_13", "2010.07.25_13:00:00_UTC"),
        ("2010.07.25_13_TAI", "2010.07.25_13:00:00_TAI"),
        ("2014.11.30_00:00_TAI", "2014.11.30_00:00:00_TAI"),
        ("2013.07.03_08:42_TAI", "2013.07.03_08:42:00_TAI"),
    ],
)
def test_truncated_forms_mean_the_start_of_the_interval(truncated, full):
    assert parse_time(truncated) == parse_time(full)


def test_fractional_seconds_are_kept():
    assert parse_time("2012.01.01_00:00:45.125_TAI") - parse_time("2012.01.01_00:00:45_TAI") == pytest.approx(0.125)
    assert parse_time("2012.01.01_00:00:45._TAI") == parse_time("2012.01.01_00:00:45_TAI")


@pytest.mark.parametrize(("year", "month", "day"), LEAP_DAYS)
def test_second_60_is_accepted_in_a_positive_leap_second(year, month, day):
    date = f"{year:04d}.{month:02d}.{day:02d}"
    leap = parse_time(f"{date}_23:59:60_UTC")
    assert leap == parse_time(f"{date}_23:59:59_UTC") + 1
    assert parse_time(f"{date}_23:59:60.5_UTC") == leap + 0.5
    # The next UTC midnight is one second later, not the same instant.
    following = f"{year + 1:04d}.01.01" if month == 12 else f"{year:04d}.07.01"
    assert parse_time(f"{following}_00:00:00_UTC") == leap + 1
    # ISO spelling of the same instant.
    assert parse_time(f"{year:04d}-{month:02d}-{day:02d}T23:59:60Z") == leap


@pytest.mark.parametrize(
    "text",
    [
        "2016.12.30_23:59:60_UTC",  # not a leap day
        "2016.12.31_23:58:60_UTC",  # not the last minute
        "2016.12.31_23:59:60_TAI",  # TAI has no leap seconds
        "2016.12.31_23:59:61_UTC",
        "2014.01.01_00:00:60",
    ],
)
def test_second_60_is_rejected_outside_a_leap_second(text):
    with pytest.raises(JSOCTimeError, match="second"):
        parse_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "now",
        "2014",
        "2014.01",
        "2014-01",
        "2014-01-01T",
        "2014-1-1T00:00",
        "2014.13.01_TAI",
        "2014.00.10_TAI",
        "2014.02.29_TAI",
        "2014.04.31",
        "2014.01.01_24:00:00_TAI",
        "2014.01.01_00:60:00_TAI",
        "2014.01.01_00:00:00_PST",
        "2014.01.01_00:00:00_",
        "2014.01.01_00:00:00 TAI",
        "2014.01.01T00:00:00",
        "2014.01.01_00:00:00_TAI_TAI",
        "2014.01.01_00:00:00_TAI-2014.01.02_00:00:00_TAI",
        "٢٠١٤.01.01_TAI",  # non-ASCII digits
        "2014.01.01/1d",
    ],
)
def test_invalid_times_raise_jsoc_time_error_naming_the_string(text):
    with pytest.raises(JSOCTimeError) as info:
        parse_time(text)
    assert repr(text) in str(info.value)
    assert "YYYY.MM.DD" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_leap_day_of_leap_years():
    assert parse_time("2012.02.29_TAI") == parse_time("2012.03.01_TAI") - 86400
    assert parse_time("2000.02.29_TAI") == parse_time("2000.03.01_TAI") - 86400
    with pytest.raises(JSOCTimeError, match="no day 29"):
        parse_time("1900.02.29_TAI")


def test_parse_time_rejects_non_strings():
    with pytest.raises(JSOCTimeError, match="string"):
        parse_time(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "-4712.01.01_11:59:28_TAI",
        "-4712.01.01_11:59:28Z",
        "-4712.01.01_11:59:27.82Z",
        "-4712.01.01_11:59:28.00Z",
    ],
)
def test_missing_time_parses_to_nan(text):
    assert math.isnan(parse_time(text))


def test_utc_to_internal():
    assert utc_to_internal(2012, 1, 1) == parse_time("2012.01.01_00:00:34_TAI")
    assert utc_to_internal(2014, 1, 1, 0, 0, 8.5) == parse_time("2014.01.01_00:00:43.5_TAI")
    assert utc_to_internal(2016, 12, 31, 23, 59, 60.5) == parse_time("2016.12.31_23:59:60.5_UTC")
    with pytest.raises(JSOCTimeError):
        utc_to_internal(2016, 12, 30, 23, 59, 60)
    with pytest.raises(JSOCTimeError):
        utc_to_internal(2016, 2, 30)


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units", "precision", "expected"),
    [
        ("2012.01.01_00:00:45_TAI", "TAI", 0, "2012.01.01_00:00:45_TAI"),
        ("2012.01.01_00:00:34_TAI", "TAI", 0, "2012.01.01_00:00:34_TAI"),
        ("2010-07-30T13:30:02Z", "ISO", 0, "2010-07-30T13:30:02Z"),
        ("2014-01-01T00:00:08.57Z", "ISO", 2, "2014-01-01T00:00:08.57Z"),
        ("2014-01-01T00:00:01Z", "ISO", 0, "2014-01-01T00:00:01Z"),
        ("2020.04.10_00:14:11_UT", "UT", 0, "2020.04.10_00:14:11_UT"),
        ("2020.04.10_00:14:11_UT", "UTC", 0, "2020.04.10_00:14:11_UTC"),
        ("2012.01.01_00:00:45_TAI", "ISO", 0, "2012-01-01T00:00:11Z"),
        ("2012.01.01_00:00:00_TAI", "TT", 3, "2012.01.01_00:00:32.184_TT"),
        ("2012.01.01_00:00:00_TAI", "tai", 1, "2012.01.01_00:00:00.0_TAI"),
        ("1977.01.01_00:00:00_TAI", "TAI", 0, "1977.01.01_00:00:00_TAI"),
        ("1976.12.31_23:59:59_TAI", "TAI", 0, "1976.12.31_23:59:59_TAI"),
    ],
)
def test_format_examples(text, units, precision, expected):
    assert format_time(parse_time(text), units, precision) == expected


@pytest.mark.parametrize(
    ("seconds", "precision", "expected"),
    [
        (59.4, 0, "2012.12.31_23:59:59_TAI"),
        (59.5, 0, "2013.01.01_00:00:00_TAI"),
        (59.9996, 3, "2013.01.01_00:00:00.000_TAI"),
        (59.9994, 3, "2012.12.31_23:59:59.999_TAI"),
        (59.96, 1, "2013.01.01_00:00:00.0_TAI"),
        (58.96, 1, "2012.12.31_23:59:59.0_TAI"),
        (59.125, 2, "2012.12.31_23:59:59.13_TAI"),
    ],
)
def test_rounding_carries_into_minutes_hours_days_and_years(seconds, precision, expected):
    t = parse_time("2012.12.31_23:59:00_TAI") + seconds
    assert format_time(t, "TAI", precision) == expected


def test_rounding_carries_at_month_end():
    t = parse_time("2014.02.28_23:59:59_TAI") + 0.7
    assert format_time(t) == "2014.03.01_00:00:00_TAI"


def test_utc_formatting_shows_the_leap_second_as_second_60():
    before = parse_time("2016.12.31_23:59:59_UTC")
    assert format_times(before + np.array([0.0, 1.0, 1.5, 2.0]), "ISO", 1) == [
        "2016-12-31T23:59:59.0Z",
        "2016-12-31T23:59:60.0Z",
        "2016-12-31T23:59:60.5Z",
        "2017-01-01T00:00:00.0Z",
    ]
    assert format_time(before + 1, "UTC") == "2016.12.31_23:59:60_UTC"
    assert format_time(before + 1, "TAI") == "2017.01.01_00:00:36_TAI"


def test_utc_rounding_carries_into_and_out_of_the_leap_second():
    before = parse_time("2015.06.30_23:59:59_UTC")
    assert format_time(before + 0.9996, "ISO", 3) == "2015-06-30T23:59:60.000Z"
    assert format_time(before + 1.9996, "ISO", 3) == "2015-07-01T00:00:00.000Z"
    assert format_time(before + 0.6, "UT", 0) == "2015.06.30_23:59:60_UT"
    assert format_time(before + 1.6, "UT", 0) == "2015.07.01_00:00:00_UT"


@pytest.mark.parametrize("missing", [float("nan"), float("inf"), -float("inf")])
def test_missing_values_format_as_jsoc_missing_time(missing):
    assert format_time(missing) == "-4712.01.01_11:59:28_TAI"
    assert format_time(missing, "ISO") == "-4712.01.01_11:59:28Z"
    assert format_time(missing, "ISO", 2) == "-4712.01.01_11:59:27.82Z"
    assert format_time(missing, "UT") == "-4712.01.01_11:59:28_UT"
    assert format_time(missing) == jsoctime.MISSING_TIME_TAI


def test_missing_values_round_trip():
    for units, precision in [("TAI", 0), ("ISO", 0), ("ISO", 2), ("UT", 3)]:
        assert math.isnan(parse_time(format_time(float("nan"), units, precision)))


def test_format_times_mixes_missing_and_present():
    t = parse_time("2014.01.01_00:00:35_TAI")
    assert format_times([t, np.nan, t + 1], "ISO") == [
        "2014-01-01T00:00:00Z",
        "-4712.01.01_11:59:28Z",
        "2014-01-01T00:00:01Z",
    ]


def test_format_times_accepts_empty_scalars_and_2d():
    assert format_times([], "TAI") == []
    assert format_times(0.0) == ["1977.01.01_00:00:00_TAI"]
    assert len(format_times(np.zeros((2, 3)))) == 6


def test_format_rejects_bad_units_and_precision():
    with pytest.raises(ValueError, match="units"):
        format_time(0.0, "PST")
    with pytest.raises(ValueError, match="precision"):
        format_time(0.0, "TAI", -1)


def test_format_times_is_vectorised_and_matches_format_time():
    rng = np.random.default_rng(1)
    t = rng.uniform(parse_time("1996.01.01_TAI"), parse_time("2030.01.01_TAI"), 500)
    for units, precision in [("TAI", 0), ("ISO", 2), ("UT", 3)]:
        assert format_times(t, units, precision) == [format_time(x, units, precision) for x in t]


def test_format_times_is_fast_for_large_arrays():
    t = np.linspace(parse_time("2010.05.01_TAI"), parse_time("2024.05.01_TAI"), 50_000)
    start = time.perf_counter()
    out = format_times(t, "ISO", 2)
    elapsed = time.perf_counter() - start
    assert len(out) == 50_000
    # Pure numpy plus string formatting takes tens of milliseconds; per-item
    # astropy conversion would take many seconds.
    assert elapsed < 2.0


# ---------------------------------------------------------------------------
# Round trips and agreement with astropy
# ---------------------------------------------------------------------------


def test_random_round_trips_in_all_units():
    rng = np.random.default_rng(2024)
    t = np.round(rng.uniform(parse_time("1980.01.01_TAI"), parse_time("2040.01.01_TAI"), 2000), 3)
    for units in ("TAI", "ISO", "UTC", "UT", "TT"):
        back = np.array([parse_time(s) for s in format_times(t, units, 3)])
        np.testing.assert_allclose(back, t, rtol=0, atol=1.5e-6)


def test_leap_second_round_trips():
    for year, month, day in LEAP_DAYS:
        before = parse_time(f"{year:04d}.{month:02d}.{day:02d}_23:59:58_UTC")
        t = before + np.arange(0, 5, 0.25)
        for units in ("ISO", "UTC"):
            back = np.array([parse_time(s) for s in format_times(t, units, 2)])
            np.testing.assert_array_equal(back, t)


def test_utc_strings_agree_with_astropy_on_a_sample():
    rng = np.random.default_rng(7)
    # (ERFA calls years more than a few years past its release "dubious"; stay before.)
    t = np.round(rng.uniform(parse_time("1973.01.01_TAI"), parse_time("2027.01.01_TAI"), 300), 3)
    ours = format_times(t, "ISO", 3)
    theirs = to_astropy(t).utc.isot
    assert [s.rstrip("Z") for s in ours] == list(theirs)


def test_utc_strings_agree_with_astropy_across_every_leap_second():
    for year, month, day in LEAP_DAYS:
        before = parse_time(f"{year:04d}.{month:02d}.{day:02d}_23:59:58_UTC")
        t = before + np.arange(0, 4, 0.25)
        ours = [s.rstrip("Z") for s in format_times(t, "ISO", 3)]
        assert ours == list(to_astropy(t).utc.isot), (year, month, day)


def test_tai_strings_agree_with_astropy():
    rng = np.random.default_rng(11)
    t = np.round(rng.uniform(0, 2e9, 200))
    ours = [s.replace("_TAI", "") for s in format_times(t, "TAI")]
    theirs = [s.replace("-", ".", 2).replace("T", "_") for s in to_astropy(t).isot]
    assert ours == [s[:-4] for s in theirs]


def test_astropy_conversions():
    t = parse_time("2014.01.01_00:00:35_TAI")
    astropy_time = to_astropy(t)
    assert astropy_time.scale == "tai"
    assert astropy_time.utc.isot == "2014-01-01T00:00:00.000"
    assert from_astropy(Time("2014-01-01T00:00:00", scale="utc")) == pytest.approx(t, abs=1e-6)
    assert from_astropy(Time("2014-01-01T00:01:07.184", scale="tt")) == pytest.approx(t, abs=1e-6)
    assert isinstance(from_astropy(astropy_time), float)
    array = np.array([t, t + 12.5, t + 86400.25])
    np.testing.assert_allclose(from_astropy(to_astropy(array)), array, rtol=0, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=int(parse_time("2100.01.01_TAI")) * 1000))
def test_property_format_then_parse_is_identity(milliseconds):
    t = milliseconds / 1000
    for units in ("TAI", "ISO", "UT"):
        assert parse_time(format_time(t, units, 3)) == pytest.approx(t, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_property_parse_time_only_raises_jsoc_time_error(text):
    try:
        value = parse_time(text)
    except JSOCTimeError:
        return
    assert isinstance(value, float)


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1d", 86400.0),
        ("90.0s", 90.0),
        ("10m", 600.0),
        ("1.5h", 5400.0),
        ("12", 12.0),
        ("0.5", 0.5),
        (".5m", 30.0),
        ("1e2s", 100.0),
        (" 6h ", 21600.0),
        ("300.0s", 300.0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_parse_duration_slot_units():
    assert parse_duration("4u", slot=45.0) == 180.0
    assert parse_duration("1u", slot=12.0) == 12.0
    with pytest.raises(JSOCTimeError, match="slot"):
        parse_duration("4u")


@pytest.mark.parametrize("text", ["", "d", "1x", "-1d", "1 d", "1dd", "1.2.3s", "1e999d", "1D", "inf"])
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(JSOCTimeError, match="duration"):
        parse_duration(text)


# ---------------------------------------------------------------------------
# Export filename rule :A
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2012.01.01_01:01:30_TAI", "20120101_010130_TAI"),
        ("2012.01.01_00:00:45_TAI", "20120101_000045_TAI"),
        ("2010-07-30T13:30:09Z", "2010-07-30T133009Z"),
        ("2014-01-01T00:00:08.57Z", "2014-01-01T000008.57Z"),
        ("2020.04.10_00:14:11_UT", "20200410_001411_UT"),
    ],
)
def test_time_filename_format(text, expected):
    assert time_filename_format(text) == expected


def test_time_filename_format_of_formatted_output():
    t = parse_time("2012.01.01_00:00:45_TAI")
    assert time_filename_format(format_time(t)) == "20120101_000045_TAI"
    assert time_filename_format(format_time(t, "ISO")) == "2012-01-01T000011Z"


def test_iso_date_with_underscore_time_is_accepted_as_jsoc_does():
    # drms's own test exports hmi.M_720s[2020-10-17_22:12:00_TAI/24m]; JSOC accepts this hybrid form
    assert parse_time("2020-10-17_22:12:00_TAI") == parse_time("2020.10.17_22:12:00_TAI")
    assert parse_time("2014-01-01_00:00:00") == parse_time("2014-01-01T00:00:00Z")


@pytest.mark.parametrize(("start", "units", "precision", "step"), [
    ("2014-01-01T00:00:01Z", "ISO", 0, 12.0),
    ("2016-12-31T23:50:00Z", "ISO", 2, 12.34),   # across the 2016 leap second
    ("2012.06.30_23:00:00_TAI", "TAI", 0, 45.0),
    ("2012.06.30_23:00:00_TAI", "TAI", 2, 45.5),
])
def test_parse_times_equals_parse_time_per_value(start, units, precision, step):
    t0 = jsoctime.parse_time(start)
    values = jsoctime.format_times(t0 + step * np.arange(500), units, precision)
    fast = jsoctime.parse_times(values)
    slow = np.array([jsoctime.parse_time(v) for v in values])
    np.testing.assert_array_equal(fast, slow)


def test_parse_times_falls_back_for_mixed_forms():
    values = ["2014-01-01T00:00:01Z", "2014.01.01_00:00:36_TAI"] * 40
    out = jsoctime.parse_times(values)
    assert out[0] == out[1]
    with pytest.raises(jsoctime.JSOCTimeError):
        jsoctime.parse_times(["2014-01-01T00:00:01Z"] * 40 + ["garbage"])
