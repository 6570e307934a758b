"""SeriesInfo and the pure record-set builder: formatting, validation, escaping, compaction."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import load_info, series_stems

from sunpy_jsocx.grammar import Comparison, Literal, Name, parse, split_item
from sunpy_jsocx.jsoctime import parse_time
from sunpy_jsocx.recordset import (
    PKRange,
    build_recordset,
    format_jsoc_time,
    records_recordset,
    validate_recordset,
)
from sunpy_jsocx.seriesinfo import SeriesInfo
from sunpy_jsocx.walker import empty_block

AIA = "aia.lev1_euv_12s"
HMI_M = "hmi.m_45s"
HMI_B = "hmi.b_720s"
SHARP = "hmi.sharp_720s"
RESPONSE = "aia.response"
SYNOPTIC = "hmi.synoptic_mr_720s"
V_SHT = "hmi.v_sht_2drls"


def block(series, **members):
    """A query block as the walker makes it."""
    b = empty_block()
    b["series"] = series
    b.update(members)
    return b


def utc(text):
    return Time(text, scale="utc")


JAN1 = (utc("2014-01-01T00:00:00"), utc("2014-01-01T00:00:30"))


# ---------------------------------------------------------------------------
# SeriesInfo
# ---------------------------------------------------------------------------


def test_seriesinfo_from_packaged_aia_struct():
    info = load_info(AIA)
    assert info.name == "aia.lev1_euv_12s"
    assert info.primekeys == ("T_REC", "WAVELNTH")
    assert info.time_keys == ("T_REC",)
    assert info.time_key == "T_REC"
    assert dict(info.slotted) == {"T_REC": 12.0}
    assert info.segment_names == ("image", "spikes")
    assert info.time_units("T_REC") == "ISO"
    wavelnth = info.keyword("wavelnth")
    assert (wavelnth.name, wavelnth.type, wavelnth.units) == ("WAVELNTH", "int", "angstrom")
    assert wavelnth.recscope == "variable"
    assert info.keyword("T_REC").defval == "-4712.01.01_11:59:28Z"
    assert info.note.startswith("AIA Level 1")


def test_seriesinfo_hmi_b_segments_links_and_tai_time():
    info = load_info(HMI_B)
    assert info.name == "hmi.B_720s"
    assert info.time_units("t_rec") == "TAI"
    inclination = info.segment("INCLINATION")
    assert (inclination.name, inclination.units, inclination.protocol, inclination.dims) == (
        "inclination", "deg", "fits", "4096x4096")
    assert [(link.name, link.target, link.kind) for link in info.links] == [("MDATA", "hmi.ME_720s_fd10", "STATIC")]


def test_seriesinfo_sharp_primekey_order_and_slot_step():
    info = load_info(SHARP)
    assert info.primekeys == ("HARPNUM", "T_REC")
    assert info.time_key == "T_REC"
    assert dict(info.slotted) == {"T_REC": 720.0}
    assert info.primekey("harpnum") == "HARPNUM"


def test_seriesinfo_slot_step_in_days_is_converted_to_seconds():
    info = load_info(V_SHT)
    assert dict(info.slotted) == {"T_START": 86400.0}
    assert info.time_key == "T_START"


REFERENCE = Path(__file__).resolve().parent / "data" / "jsoc-reference" / "series_struct"


@pytest.mark.parametrize("stem", ["aia.lev1_euv_12s", "hmi.m_45s", "hmi.sharp_720s", "hmi.sharp_cea_720s", "hmi.v_45s"])
def test_seriesinfo_from_real_jsoc_answer_with_per_request_members(stem):
    path = REFERENCE / f"{stem}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: it ships with the tests (tests/data/jsoc-reference)")
    answer = json.loads(path.read_text())
    assert {"Interval", "runtime", "status"} <= set(answer)
    packaged = load_info(stem)
    info = SeriesInfo.from_struct(packaged.name, answer)
    assert info == packaged


@pytest.mark.parametrize("stem", series_stems())
def test_every_packaged_series_loads(stem):
    info = load_info(stem)
    assert info.primekeys
    assert all(key in info.keywords for key in info.primekeys)
    for key in info.time_keys:
        assert info.time_units(key) in {"TAI", "ISO", "UTC"}
    assert hash(info) == hash(load_info(stem))


def test_seriesinfo_unknown_names_list_valid_ones():
    info = load_info(AIA)
    with pytest.raises(ValueError, match=r"segment 'imag' is not in series aia.lev1_euv_12s\. Did you mean 'image'\?"
                                         r" Valid segments: image, spikes"):
        info.segment("imag")
    with pytest.raises(ValueError, match=r"Valid prime keys: T_REC, WAVELNTH"):
        info.primekey("FSN")
    with pytest.raises(ValueError, match=r"keyword 'EXPTIM'.*Did you mean 'EXPTIME'.*Valid keywords: .*QUALITY"):
        info.keyword("EXPTIM")
    with pytest.raises(ValueError, match=r"'WAVELNTH' .* is not a time .*time keywords: T_REC"):
        info.time_units("WAVELNTH")


def test_hidden_index_keywords_are_not_filterable():
    info = load_info(HMI_M)
    assert "T_REC_index" in info.keywords
    assert "T_REC_index" not in info.keyword_names
    with pytest.raises(ValueError, match="T_REC_index"):
        info.keyword("T_REC_index")


def test_seriesinfo_rejects_malformed_struct():
    with pytest.raises(ValueError, match="needs 'primekeys' and 'keywords'"):
        SeriesInfo.from_struct("x.y", {"keywords": []})
    with pytest.raises(ValueError, match="prime key 'A' is not among the keywords"):
        SeriesInfo.from_struct("x.y", {"primekeys": ["A"], "keywords": []})


# ---------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------


def test_format_jsoc_time_converts_scales():
    t = utc("2014-01-01T00:00:00")
    assert format_jsoc_time(t, "TAI") == "2014.01.01_00:00:35_TAI"
    assert format_jsoc_time(t, "ISO") == "2014-01-01T00:00:00Z"
    assert format_jsoc_time(t, "UTC") == "2014.01.01_00:00:00_UTC"
    tai = Time("2017-06-01T00:00:37", scale="tai")
    assert format_jsoc_time(tai, "ISO") == "2017-06-01T00:00:00Z"


def test_format_jsoc_time_keeps_nonzero_fractions_and_carries():
    assert format_jsoc_time(Time("2015-08-27T06:00:00.125", scale="tai"), "TAI") == "2015.08.27_06:00:00.125_TAI"
    assert format_jsoc_time(Time("2015-08-27T06:00:59.9999999", scale="tai"), "TAI") == "2015.08.27_06:01:00_TAI"


def test_format_jsoc_time_prints_a_utc_leap_second():
    assert format_jsoc_time(Time("2016-12-31T23:59:60.5", scale="utc"), "ISO") == "2016-12-31T23:59:60.5Z"


def test_time_range_on_iso_series_stays_utc():
    rs = build_recordset(block("aia.lev1_euv_12s", time=JAN1), load_info(AIA))
    assert rs == "aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z]"


def test_time_range_on_tai_series_is_converted_to_tai():
    rs = build_recordset(block("hmi.M_45s", time=JAN1), load_info(HMI_M))
    assert rs == "hmi.M_45s[2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI]"


def test_tai_time_is_honoured_on_both_kinds_of_series():
    time = (Time("2015-08-27T05:00:00", scale="tai"), Time("2015-08-27T06:00:00", scale="tai"))
    assert build_recordset(block("hmi.M_45s", time=time), load_info(HMI_M)) == (
        "hmi.M_45s[2015.08.27_05:00:00_TAI-2015.08.27_06:00:00_TAI]")
    # TAI-UTC = 36 s from 2015-07-01
    assert build_recordset(block("aia.lev1_euv_12s", time=time), load_info(AIA)) == (
        "aia.lev1_euv_12s[2015-08-27T04:59:24Z-2015-08-27T05:59:24Z]")


def test_sample_is_a_step_in_seconds():
    rs = build_recordset(block("hmi.B_720s", time=JAN1, sample=600.0), load_info(HMI_B))
    assert rs.endswith("@600s]")
    rs = build_recordset(block("hmi.B_720s", time=JAN1, sample=90.5), load_info(HMI_B))
    assert rs.endswith("@90.5s]")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015.08.27_06:00:00_TAI", "2015.08.27_06:00:00_TAI"),
        ("2015.08.27_05:59:24_UTC", "2015.08.27_06:00:00_TAI"),
        ("2014-01-01T00:00:00Z", "2014.01.01_00:00:35_TAI"),
        ("2014-01-01T00:00:00", "2014.01.01_00:00:35_TAI"),
        ("2016.04.01_TAI", "2016.04.01_00:00:00_TAI"),
        (Time("2015-08-27T06:00:00", scale="tai"), "2015.08.27_06:00:00_TAI"),
        ("2015.08.27_06:00:00_TAI-2015.08.27_07:00:00_TAI", "2015.08.27_06:00:00_TAI-2015.08.27_07:00:00_TAI"),
        ("2014-01-01T00:00:00Z-2014-01-01T01:00:00Z", "2014.01.01_00:00:35_TAI-2014.01.01_01:00:35_TAI"),
        ("2016.04.01_TAI/1d", "2016.04.01_00:00:00_TAI/86400s"),
        ("2016.04.01_TAI/1d@6h", "2016.04.01_00:00:00_TAI/86400s@21600s"),
        ("$", "$"),
        (PKRange("2015.08.27_06:00:00_TAI", Time("2015-08-27T06:59:24", scale="utc")),
         "2015.08.27_06:00:00_TAI-2015.08.27_07:00:00_TAI"),
    ],
)
def test_time_primekey_values_are_parsed_and_reprinted(value, expected):
    rs = build_recordset(block("hmi.M_45s", primekeys={"T_REC": [value]}), load_info(HMI_M))
    assert rs == f"hmi.M_45s[{expected}]"


def test_time_primekey_on_iso_series_prints_utc():
    rs = build_recordset(block("aia.lev1_euv_12s", primekeys={"T_REC": ["2014.01.01_00:00:35_TAI"]}), load_info(AIA))
    assert rs == "aia.lev1_euv_12s[2014-01-01T00:00:00Z]"


def test_sample_applies_to_a_time_primekey_range():
    value = PKRange("2015.08.27_06:00:00_TAI", "2015.08.27_07:00:00_TAI")
    rs = build_recordset(block("hmi.M_45s", primekeys={"T_REC": [value]}, sample=600.0), load_info(HMI_M))
    assert rs == "hmi.M_45s[2015.08.27_06:00:00_TAI-2015.08.27_07:00:00_TAI@600s]"
    rs = build_recordset(block("hmi.M_45s", primekeys={"T_REC": ["2015.08.27_06:00:00_TAI/1h"]}, sample=600.0),
                         load_info(HMI_M))
    assert rs == "hmi.M_45s[2015.08.27_06:00:00_TAI/3600s@600s]"


def test_sample_without_a_range_is_an_error():
    with pytest.raises(ValueError, match="Sample needs a time range"):
        build_recordset(block("hmi.M_45s", primekeys={"T_REC": ["2015.08.27_06:00:00_TAI"]}, sample=60.0),
                        load_info(HMI_M))
    with pytest.raises(ValueError, match="Sample needs a time range"):
        build_recordset(block("hmi.sharp_720s", primekeys={"HARPNUM": [4864]}, sample=60.0), load_info(SHARP))


def test_sample_and_own_step_must_agree():
    info = load_info(HMI_M)
    rs = build_recordset(block("hmi.M_45s", primekeys={"T_REC": ["2016.04.01_TAI/1d@6h"]}, sample=21600.0), info)
    assert rs.endswith("@21600s]")
    with pytest.raises(ValueError, match="has its own step"):
        build_recordset(block("hmi.M_45s", primekeys={"T_REC": ["2016.04.01_TAI/1d@6h"]}, sample=60.0), info)


@pytest.mark.parametrize("value", ["yesterday", "2014-13-01T00:00:00", "2014.01.01_00:00:00_MARS", 1388534400,
                                   "2014.01.01_TAI-"])
def test_bad_time_values_say_which_forms_are_accepted(value):
    with pytest.raises(ValueError, match=r"is not a time; accepted are .*YYYY\.MM\.DD_hh:mm:ss.*YYYY-MM-DDThh:mm:ss"):
        build_recordset(block("hmi.M_45s", primekeys={"T_REC": [value]}), load_info(HMI_M))


def test_time_range_must_not_be_reversed():
    with pytest.raises(ValueError, match="starts .* after it ends"):
        build_recordset(block("hmi.M_45s", time=(JAN1[1], JAN1[0])), load_info(HMI_M))


def test_time_on_series_without_time_key_lists_prime_keys():
    with pytest.raises(ValueError, match=r"hmi.Synoptic_Mr_720s has no time prime key.*prime keys are: CAR_ROT"):
        build_recordset(block("hmi.synoptic_mr_720s", time=JAN1), load_info(SYNOPTIC))


def test_time_and_time_primekey_together_are_refused():
    with pytest.raises(ValueError, match="a.Time and PrimeKey 'T_REC' both select on T_REC"):
        build_recordset(block("hmi.M_45s", time=JAN1, primekeys={"t_rec": ["2014.01.01_TAI"]}), load_info(HMI_M))


# ---------------------------------------------------------------------------
# Prime keys, keywords, segments
# ---------------------------------------------------------------------------


def test_primekeys_positional_with_gaps_and_trailing_omitted():
    info = load_info(SHARP)
    assert build_recordset(block("hmi.sharp_720s", primekeys={"HARPNUM": [4864]}), info) == "hmi.sharp_720s[4864]"
    rs = build_recordset(block("hmi.sharp_720s", time=JAN1), info)
    assert rs == "hmi.sharp_720s[][2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI]"
    rs = build_recordset(block("hmi.sharp_720s", time=JAN1, primekeys={"harpnum": [4864]}), info)
    assert rs == "hmi.sharp_720s[4864][2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI]"


def test_skipped_middle_primekeys_get_empty_brackets():
    rs = build_recordset(block("hmi.V_sht_2drls", primekeys={"NACOEFF": [6]}), load_info(V_SHT))
    assert rs == "hmi.V_sht_2drls[][][][6]"


def test_value_lists_ranges_and_quantities():
    info = load_info(AIA)
    rs = build_recordset(block(AIA, time=JAN1, primekeys={"WAVELNTH": [171, 304]}), info)
    assert rs.endswith("[171,304]")
    rs = build_recordset(block(AIA, primekeys={"WAVELNTH": [PKRange(94, 335)]}), info)
    assert rs == "aia.lev1_euv_12s[][94-335]"
    rs = build_recordset(block(AIA, primekeys={"WAVELNTH": [17.1 * u.nm, "193", 211.0, np.int64(304)]}), info)
    assert rs == "aia.lev1_euv_12s[][171,193,211,304]"
    rs = build_recordset(block(SHARP, primekeys={"HARPNUM": ["4864-4870"]}), load_info(SHARP))
    assert rs == "hmi.sharp_720s[4864-4870]"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", r"prime key WAVELNTH of aia.lev1_euv_12s is an integer \(int\); 'abc' is not a number"),
        (171.5, "is not a whole number"),
        (True, "is a bool"),
        (float("nan"), "not a finite number"),
        (1 * u.s, "cannot be converted"),
        (PKRange(304, 171), "is empty"),
        ("171]", "is not a number"),
        (Time("2014-01-01"), "is not a number"),
    ],
)
def test_wrong_value_types_for_numeric_primekeys(value, message):
    with pytest.raises(ValueError, match=message):
        build_recordset(block(AIA, primekeys={"WAVELNTH": [value]}), load_info(AIA))


def test_unknown_primekey_lists_the_series_primekeys():
    with pytest.raises(ValueError, match=r"prime key 'HARPNUM' is not in series hmi.M_45s\. "
                                         r"Valid prime keys: T_REC, CAMERA"):
        build_recordset(block("hmi.M_45s", primekeys={"HARPNUM": [1]}), load_info(HMI_M))


def test_wavelength_on_series_without_wavelnth():
    with pytest.raises(ValueError, match=r"a.Wavelength .* series hmi.M_45s, which has no WAVELNTH prime key"
                                         r" \(WAVELNTH is a keyword.*prime keys are: T_REC, CAMERA"):
        build_recordset(block("hmi.M_45s", time=JAN1, primekeys={"WAVELNTH": [6173]}), load_info(HMI_M))


def test_keyword_filters_form_one_clause_and_all_apply():
    info = load_info(AIA)
    keywords = [("QUALITY", "==", 0), ("exptime", ">", 1), ("EXPTIME", "<", 3.5), ("T_OBS", ">=", JAN1[0]),
                ("TELESCOP", "!=", "SDO/AIA")]
    rs = build_recordset(block(AIA, time=JAN1, keywords=keywords), info)
    assert rs == ("aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z]"
                  "[? QUALITY = '0' AND EXPTIME > '1' AND EXPTIME < '3.5' AND T_OBS >= $(2014.01.01_00:00:35_TAI)"
                  " AND TELESCOP != 'SDO/AIA' ?]")
    where = parse(rs)[0].filters[-1].where
    assert where.names == {"QUALITY", "EXPTIME", "T_OBS", "TELESCOP"}
    assert len(where.expr.operands) == 5


def test_unknown_keyword_lists_valid_keywords():
    with pytest.raises(ValueError, match=r"keyword 'EXPTIME' is not in series hmi.M_45s.*Valid keywords: .*QUALITY"):
        build_recordset(block("hmi.M_45s", time=JAN1, keywords=[("EXPTIME", ">", 1)]), load_info(HMI_M))


def test_keyword_value_types_are_checked():
    info = load_info(AIA)
    with pytest.raises(ValueError, match=r"keyword QUALITY of aia.lev1_euv_12s is an integer .* not a number"):
        build_recordset(block(AIA, time=JAN1, keywords=[("QUALITY", "==", "zero")]), info)
    with pytest.raises(ValueError, match=r"keyword T_OBS .* is not a time"):
        build_recordset(block(AIA, time=JAN1, keywords=[("T_OBS", ">", "soon")]), info)
    with pytest.raises(ValueError, match=r"unknown comparison '<>'"):
        build_recordset(block(AIA, time=JAN1, keywords=[("QUALITY", "<>", 0)]), info)


def test_segments_in_series_order_and_case():
    info = load_info(HMI_B)
    rs = build_recordset(block("hmi.b_720s", time=JAN1, segments=["AZIMUTH", "inclination"]), info)
    assert rs.endswith("]{inclination,azimuth}")
    with pytest.raises(ValueError, match=r"segment 'bz' is not in series hmi.B_720s\. .*Valid segments: inclination, "
                                         r"azimuth, disambig"):
        build_recordset(block("hmi.b_720s", time=JAN1, segments=["bz"]), info)


def test_block_selecting_nothing_is_refused():
    with pytest.raises(ValueError, match="Time, Wavelength or a PrimeKey must be given"):
        build_recordset(block("hmi.M_45s", segments=["magnetogram"]), load_info(HMI_M))
    with pytest.raises(ValueError, match="Time, Wavelength or a PrimeKey must be given"):
        build_recordset(block("hmi.M_45s", keywords=[("QUALITY", "==", 0)]), load_info(HMI_M))


def test_series_name_is_canonical_and_must_match():
    assert build_recordset(block("HMI.m_45S", time=JAN1), load_info(HMI_M)).startswith("hmi.M_45s[")
    with pytest.raises(ValueError, match="for series 'hmi.V_45s' but the series information is for hmi.M_45s"):
        build_recordset(block("hmi.V_45s", time=JAN1), load_info(HMI_M))


def test_string_primekey_values():
    info = load_info(RESPONSE)
    assert build_recordset(block("aia.response", primekeys={"WAVE_STR": ["171_THIN", "94_THIN"]}), info) == (
        "aia.response[][171_THIN,94_THIN]")


# ---------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------

INJECTIONS = [
    ("x' OR '1'='1", "'"),
    ("a?] [? 1=1", "?"),
    ("a]", "]"),
    ("[x", "["),
    ('say"hi"', '"'),
    ("a;DROP TABLE", ";"),
    ("a,b", ","),
    ("{a}", "{"),
    ("a}", "}"),
    ("a@6h", "@"),
    ("$", "$"),
    ("#1", "#"),
    ("back\\slash", "\\"),
    ("tab\there", "\t"),
    ("caf\u00e9", "\u00e9"),
]


@pytest.mark.parametrize(("value", "char"), INJECTIONS)
def test_keyword_string_values_cannot_break_out(value, char):
    with pytest.raises(ValueError, match=rf"character {re.escape(repr(char))} is not allowed"):
        build_recordset(block(AIA, time=JAN1, keywords=[("TELESCOP", "==", value)]), load_info(AIA))


@pytest.mark.parametrize(("value", "char"), [*INJECTIONS, ("a-b", "-"), ("a/1d", "/"), ("a b", " "), (":#1", ":")])
def test_string_primekey_values_cannot_break_out(value, char):
    with pytest.raises(ValueError, match=rf"character {re.escape(repr(char))} is not allowed"):
        build_recordset(block("aia.response", primekeys={"WAVE_STR": [value]}), load_info(RESPONSE))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_keyword_text_is_refused_or_quoted_exactly(value):
    info = load_info(AIA)
    try:
        rs = build_recordset(block(AIA, time=JAN1, keywords=[("TELESCOP", "==", value)]), info)
    except ValueError:
        return
    spec, = parse(rs)
    assert len(spec.filters) == 2
    assert spec.filters[1].where.expr == Comparison("=", Name("TELESCOP"), Literal(value, "string", value))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(string.printable)) | st.text())
def test_arbitrary_string_primekey_text_is_refused_or_a_single_value(value):
    info = load_info(RESPONSE)
    try:
        rs = build_recordset(block("aia.response", primekeys={"WAVE_STR": [value]}), info)
    except ValueError:
        return
    spec, = parse(rs)
    assert spec.filters[0].kind == "empty"
    assert spec.filters[1].items == (value,)
    assert split_item(value, is_time=False).start == value
    assert split_item(value, is_time=False).kind == "value"


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(string.printable)))
def test_arbitrary_numeric_primekey_text_is_refused_or_numbers(value):
    try:
        rs = build_recordset(block(SHARP, primekeys={"HARPNUM": [value]}), load_info(SHARP))
    except ValueError:
        return
    spec, = parse(rs)
    item = split_item(spec.filters[0].items[0], is_time=False)
    for part in (item.start, item.end):
        if part is not None and part not in "^$":
            int(part)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(string.printable)))
def test_arbitrary_time_primekey_text_is_refused_or_times(value):
    try:
        rs = build_recordset(block("hmi.M_45s", primekeys={"T_REC": [value]}), load_info(HMI_M))
    except ValueError:
        return
    spec, = parse(rs)
    assert len(spec.filters) == 1
    item = split_item(spec.filters[0].items[0], is_time=True)
    for part in (item.start, item.end):
        if part is not None and part not in "^$":
            assert part.endswith("_TAI")
            parse_time(part)


# ---------------------------------------------------------------------------
# Raw record sets, record-number record sets
# ---------------------------------------------------------------------------


def test_validate_recordset():
    assert validate_recordset(" hmi.M_45s[$] ") == "hmi.M_45s[$]"
    with pytest.raises(ValueError, match="invalid record-set specification"):
        validate_recordset("hmi.M_45s[? QUALITY=0; DROP TABLE x ?]")
    with pytest.raises(ValueError, match="holds 2 record sets"):
        validate_recordset("hmi.M_45s[$], hmi.V_45s[$]")
    with pytest.raises(ValueError, match="must be a string"):
        validate_recordset(None)


def test_raw_recordset_block_gets_canonical_name_and_segments():
    info = load_info(HMI_M)
    b = block("hmi.m_45s", recordset="hmi.m_45s[2016.04.01_TAI/1d@6h]")
    assert build_recordset(b, info) == "hmi.M_45s[2016.04.01_TAI/1d@6h]"
    b["segments"] = ["Magnetogram"]
    assert build_recordset(b, info) == "hmi.M_45s[2016.04.01_TAI/1d@6h]{magnetogram}"
    with pytest.raises(ValueError, match="has its own segment list"):
        build_recordset(block("hmi.m_45s", recordset="hmi.m_45s[$]{magnetogram}", segments=["magnetogram"]), info)
    with pytest.raises(ValueError, match="Valid keywords"):
        build_recordset(block("hmi.m_45s", recordset="hmi.m_45s[$][? NOPE = 1 ?]"), info)
    with pytest.raises(ValueError, match="Valid prime keys"):
        build_recordset(block("hmi.m_45s", recordset="hmi.m_45s[HARPNUM=1]"), info)
    with pytest.raises(ValueError, match="Valid segments"):
        build_recordset(block("hmi.m_45s", recordset="hmi.m_45s[$]{image}"), info)


def test_records_recordset_collapses_runs():
    info = load_info(HMI_M)
    assert records_recordset(info, [7, 3, 4, 5, 5, 9, 10]) == "hmi.M_45s[:#3-#5,#7,#9-#10]"
    assert records_recordset(info, np.array([42])) == "hmi.M_45s[:#42]"
    assert records_recordset(info, [1, 2], segments=["MAGNETOGRAM"]) == "hmi.M_45s[:#1-#2]{magnetogram}"


@pytest.mark.parametrize(("recnums", "message"), [([], "no record numbers"), ([-1], "non-negative"),
                                                  ([1.5], "non-negative integers"), ([True], "non-negative")])
def test_records_recordset_refuses_bad_input(recnums, message):
    with pytest.raises(ValueError, match=message):
        records_recordset(load_info(HMI_M), recnums)


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=60), st.booleans())
def test_records_recordset_round_trips_through_the_grammar(recnums, with_segment):
    info = load_info(HMI_B)
    segments = ["azimuth", "inclination"] if with_segment else []
    rs = records_recordset(info, recnums, segments)
    spec, = parse(rs)
    assert spec.series == "hmi.B_720s"
    assert spec.segments == (("inclination", "azimuth") if with_segment else None)
    (filter_,) = spec.filters
    assert filter_.kind == "recnums"
    runs = []
    for text in filter_.items:
        item = split_item(text, is_time=False)
        start = int(item.start)
        end = int(item.end) if item.kind == "range" else start
        assert item.kind in ("value", "range")
        assert end > start or item.kind == "value"
        runs.append((start, end))
    assert [n for start, end in runs for n in range(start, end + 1)] == sorted(set(recnums))
    # maximal runs: consecutive items are separated by a gap
    assert all(following[0] > previous[1] + 1 for previous, following in zip(runs, runs[1:], strict=False))
