"""The query walker: attr trees -> query blocks -> record sets, driven directly as in sunpy-soar."""

from __future__ import annotations

import datetime
import json

import astropy.units as u
import pytest
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import load_info, queries, series_stems
from sunpy.net import attrs as a
from sunpy.net.attr import AttrAnd, AttrOr, and_

from sunpy_jsocx import attrs as jsocx
from sunpy_jsocx.grammar import parse, split_item
from sunpy_jsocx.recordset import PKRange, build_recordset
from sunpy_jsocx.walker import (
    REQUIRED_ATTRS,
    SUPPORTED_ATTRS,
    can_handle_query,
    empty_block,
    merge_blocks,
    walker,
)

AIA = "aia.lev1_euv_12s"
JAN1 = a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30")


def recordsets(query, stem):
    info = load_info(stem)
    return [build_recordset(block, info) for block in walker.create(query)]


# ---------------------------------------------------------------------------
# User stories (user-stories.md §2)
# ---------------------------------------------------------------------------


def test_seed_query_gives_one_block_with_both_wavelengths():
    query = and_(JAN1, jsocx.Series("aia.lev1_euv_12s"), jsocx.Notify("user@example.org"),
                 a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    blocks = walker.create(query)
    assert len(blocks) == 1
    (block,) = blocks
    assert block["series"] == "aia.lev1_euv_12s"
    assert block["time"][0] == Time("2014-01-01T00:00:00")
    assert block["time"][1] == Time("2014-01-01T00:00:30")
    assert block["primekeys"] == {"WAVELNTH": [171, 304]}
    assert block["notify"] == "user@example.org"
    assert (block["sample"], block["segments"], block["keywords"], block["recordset"]) == (None, [], [], None)
    assert recordsets(query, AIA) == ["aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z][171,304]"]


def test_same_query_on_a_tai_series_is_sent_in_tai():
    query = JAN1 & jsocx.Series("hmi.M_45s")
    assert recordsets(query, "hmi.m_45s") == ["hmi.M_45s[2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI]"]


@pytest.mark.parametrize("combine", ["and", "AttrAnd"])
def test_several_segments_and_sample(combine):
    segments = ["inclination", "azimuth"]
    if combine == "and":
        seg = jsocx.Segment("inclination") & jsocx.Segment("azimuth")
    else:
        seg = AttrAnd(list(map(jsocx.Segment, segments)))
    query = a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00") & jsocx.Series("hmi.B_720s") & seg \
        & jsocx.Sample(10 * u.min)
    (block,) = walker.create(query)
    assert block["segments"] == segments
    assert block["sample"] == 600.0
    assert recordsets(query, "hmi.b_720s") == [
        "hmi.B_720s[2014.01.01_00:00:35_TAI-2014.01.01_01:00:35_TAI@600s]{inclination,azimuth}"]


def test_generic_sunpy_sample_is_handled():
    query = JAN1 & jsocx.Series(AIA) & a.Sample(1 * u.min)
    (block,) = walker.create(query)
    assert block["sample"] == 60.0
    assert recordsets(query, AIA) == ["aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z@60s]"]


def test_harpnum_primekey():
    query = a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00") & jsocx.Series("hmi.sharp_720s") \
        & jsocx.PrimeKey("HARPNUM", 4864)
    (block,) = walker.create(query)
    assert block["primekeys"] == {"HARPNUM": [4864]}
    assert recordsets(query, "hmi.sharp_720s") == [
        "hmi.sharp_720s[4864][2014.01.01_00:00:35_TAI-2014.01.01_01:00:35_TAI]"]
    assert recordsets(jsocx.Series("hmi.sharp_720s") & jsocx.PrimeKey("harpnum", 4864), "hmi.sharp_720s") == [
        "hmi.sharp_720s[4864]"]


def test_wavelnth_primekey_equals_wavelength_attr():
    by_key = JAN1 & jsocx.Series(AIA) & jsocx.PrimeKey("WAVELNTH", 171)
    by_attr = JAN1 & jsocx.Series(AIA) & a.Wavelength(171 * u.AA)
    assert recordsets(by_key, AIA) == recordsets(by_attr, AIA) == [
        "aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z][171]"]


def test_wavelength_in_other_units_and_ranges():
    (block,) = walker.create(JAN1 & jsocx.Series(AIA) & a.Wavelength(17.1 * u.nm))
    assert block["primekeys"] == {"WAVELNTH": [171]}
    assert isinstance(block["primekeys"]["WAVELNTH"][0], int)
    (block,) = walker.create(JAN1 & jsocx.Series(AIA) & a.Wavelength(90 * u.AA, 200 * u.AA))
    assert block["primekeys"] == {"WAVELNTH": [PKRange(90, 200)]}
    assert recordsets(JAN1 & jsocx.Series(AIA) & a.Wavelength(90 * u.AA, 200 * u.AA), AIA)[0].endswith("[90-200]")


def test_keyword_filters_all_apply_also_on_one_keyword():
    query = and_(JAN1, jsocx.Series(AIA), jsocx.Keyword("QUALITY") == 0,
                 jsocx.Keyword("EXPTIME") > 1, jsocx.Keyword("EXPTIME") < 3)
    (block,) = walker.create(query)
    assert block["keywords"] == [("QUALITY", "==", 0), ("EXPTIME", ">", 1), ("EXPTIME", "<", 3)]
    (rs,) = recordsets(query, AIA)
    assert rs.endswith("[? QUALITY = '0' AND EXPTIME > '1' AND EXPTIME < '3' ?]")
    where = parse(rs)[0].filters[-1].where
    assert [(c.left.name, c.op, c.right.value) for c in where.expr.operands] == [
        ("QUALITY", "=", "0"), ("EXPTIME", ">", "1"), ("EXPTIME", "<", "3")]


def test_two_filters_with_same_operator_on_one_keyword_both_apply():
    query = (jsocx.Keyword("EXPTIME") > 1) & (jsocx.Keyword("EXPTIME") > 2) & JAN1 & jsocx.Series(AIA)
    (block,) = walker.create(query)
    assert block["keywords"] == [("EXPTIME", ">", 1), ("EXPTIME", ">", 2)]


def test_tai_time_is_honoured():
    start, end = Time("2015-08-27T05:00:00", scale="tai"), Time("2015-08-27T06:00:00", scale="tai")
    assert recordsets(a.Time(start, end) & jsocx.Series("hmi.M_45s"), "hmi.m_45s") == [
        "hmi.M_45s[2015.08.27_05:00:00_TAI-2015.08.27_06:00:00_TAI]"]
    assert recordsets(a.Time(start, end) & jsocx.Series(AIA), AIA) == [
        "aia.lev1_euv_12s[2015-08-27T04:59:24Z-2015-08-27T05:59:24Z]"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2015.08.27_06:00:00_TAI", "2015.08.27_07:00:00_TAI", "2015.08.27_06:00:00_TAI-2015.08.27_07:00:00_TAI"),
        ("2014-01-01T00:00:00Z", "2014-01-01T00:00:30Z", "2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI"),
    ],
)
def test_jsoc_time_strings_in_a_time(start, end, expected):
    assert recordsets(a.Time(start, end) & jsocx.Series("hmi.M_45s"), "hmi.m_45s") == [f"hmi.M_45s[{expected}]"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015.08.27_06:00:00_TAI", "hmi.M_45s[2015.08.27_06:00:00_TAI]"),
        ("2014-01-01T00:00:00Z", "hmi.M_45s[2014.01.01_00:00:35_TAI]"),
        (Time("2014-01-01T00:00:35", scale="tai"), "hmi.M_45s[2014.01.01_00:00:35_TAI]"),
        (datetime.datetime(2014, 1, 1), "hmi.M_45s[2014.01.01_00:00:35_TAI]"),
    ],
)
def test_jsoc_time_strings_in_a_time_primekey(value, expected):
    assert recordsets(jsocx.Series("hmi.M_45s") & jsocx.PrimeKey("T_REC", value), "hmi.m_45s") == [expected]


def test_time_primekey_with_sample():
    query = jsocx.Series("hmi.M_45s") & jsocx.Sample(10 * u.min) \
        & jsocx.PrimeKey.range("T_REC", "2015.08.27_06:00:00_TAI", "2015.08.27_07:00:00_TAI")
    (block,) = walker.create(query)
    assert block["time"] is None
    assert block["sample"] == 600.0
    assert block["primekeys"] == {"T_REC": [PKRange("2015.08.27_06:00:00_TAI", "2015.08.27_07:00:00_TAI")]}
    assert recordsets(query, "hmi.m_45s") == ["hmi.M_45s[2015.08.27_06:00:00_TAI-2015.08.27_07:00:00_TAI@600s]"]
    span = jsocx.Series("hmi.M_45s") & a.Sample(6 * u.h) & jsocx.PrimeKey("T_REC", "2016.04.01_TAI/1d")
    assert recordsets(span, "hmi.m_45s") == ["hmi.M_45s[2016.04.01_00:00:00_TAI/86400s@21600s]"]


def test_delivery_attrs_land_in_the_block():
    from astropy.coordinates import SkyCoord
    from sunpy.coordinates import frames

    bl = SkyCoord(-500 * u.arcsec, -275 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01",
                  observer="earth")
    cutout = jsocx.Cutout(bl, width=100 * u.arcsec, height=50 * u.arcsec)
    query = and_(JAN1, jsocx.Series(AIA), jsocx.Protocol("as-is"), jsocx.Method("url-quick"), cutout,
                 jsocx.Notify("user@example.org"))
    (block,) = walker.create(query)
    assert (block["protocol"], block["method"], block["notify"]) == ("as-is", "url_quick", "user@example.org")
    assert block["cutout"] == cutout.value
    assert block["cutout"] is not cutout.value
    json.dumps({k: v for k, v in block.items() if k != "time"})


def test_recordset_attr_alone():
    query = jsocx.RecordSet("hmi.m_45s[2016.04.01_TAI/1d@6h]") & jsocx.Segment("magnetogram")
    (block,) = walker.create(query)
    assert block["series"] == "hmi.m_45s"
    assert block["recordset"] == "hmi.m_45s[2016.04.01_TAI/1d@6h]"
    assert recordsets(query, "hmi.m_45s") == ["hmi.M_45s[2016.04.01_TAI/1d@6h]{magnetogram}"]
    assert walker.create(jsocx.RecordSet("hmi.M_45s[$]") & jsocx.Series("HMI.M_45S"))[0]["series"] == "hmi.M_45s"


# ---------------------------------------------------------------------------
# OR and merging
# ---------------------------------------------------------------------------


def test_or_of_different_series_gives_one_block_each():
    query = JAN1 & (jsocx.Series("hmi.M_45s") | jsocx.Series("hmi.V_45s"))
    blocks = walker.create(query)
    assert [b["series"] for b in blocks] == ["hmi.M_45s", "hmi.V_45s"]


def test_or_that_differs_in_two_things_is_not_merged():
    query = jsocx.Series(AIA) & ((JAN1 & a.Wavelength(171 * u.AA))
                                 | (a.Time("2015-01-01", "2015-01-02") & a.Wavelength(304 * u.AA)))
    blocks = walker.create(query)
    assert len(blocks) == 2
    assert [b["primekeys"] for b in blocks] == [{"WAVELNTH": [171]}, {"WAVELNTH": [304]}]


def test_or_over_two_primekeys_merges_to_one_block():
    query = JAN1 & jsocx.Series("hmi.M_45s") & (jsocx.PrimeKey("CAMERA", 1) | jsocx.PrimeKey("CAMERA", 2)) \
        & jsocx.Segment("magnetogram")
    (block,) = walker.create(query)
    assert block["primekeys"] == {"CAMERA": [1, 2]}
    # two independent ORs: 4 alternatives, merged in two steps
    query = jsocx.Series("hmi.V_sht_2drls") & (jsocx.PrimeKey("LMIN", 0) | jsocx.PrimeKey("LMIN", 1)) \
        & (jsocx.PrimeKey("LMAX", 300) | jsocx.PrimeKey("LMAX", 200))
    (block,) = walker.create(query)
    assert block["primekeys"] == {"LMIN": [0, 1], "LMAX": [200, 300]}


def test_identical_alternatives_collapse():
    query = AttrOr([JAN1 & jsocx.Series(AIA) & a.Wavelength(171 * u.AA),
                    JAN1 & jsocx.Series("AIA.lev1_euv_12s") & a.Wavelength(171 * u.AA)])
    assert len(walker.create(query)) == 1


def test_and_holding_an_or_is_distributed():
    query = AttrAnd([JAN1, jsocx.Series(AIA), AttrOr([a.Wavelength(171 * u.AA), a.Wavelength(193 * u.AA)])])
    (block,) = walker.create(query)
    assert block["primekeys"] == {"WAVELNTH": [171, 193]}


def test_merge_blocks_keeps_blocks_that_differ_elsewhere():
    def blk(**kw):
        b = empty_block()
        b.update(series="x.y", **kw)
        return b

    merged = merge_blocks([blk(primekeys={"A": [1]}, segments=["s"]), blk(primekeys={"A": [2]}, segments=["t"])])
    assert len(merged) == 2
    merged = merge_blocks([blk(primekeys={"A": [1]}), blk(primekeys={"B": [2]})])
    assert len(merged) == 2
    merged = merge_blocks([blk(primekeys={"A": [2]}, keywords=[("K", "==", 1), ("L", "<", 2)]),
                           blk(primekeys={"A": [1]}, keywords=[("L", "<", 2), ("K", "==", 1)])])
    assert [b["primekeys"] for b in merged] == [{"A": [1, 2]}]
    inputs = [blk(primekeys={"A": [1]}), blk(primekeys={"A": [2]})]
    merge_blocks(inputs)
    assert inputs[0]["primekeys"] == {"A": [1]}


def test_merge_blocks_with_time_values():
    t1, t2 = Time("2014-01-01T00:00:00"), Time("2014-01-01T00:00:35", scale="tai")
    b1, b2 = empty_block(), empty_block()
    b1.update(series="hmi.M_45s", primekeys={"T_REC": [t1]})
    b2.update(series="hmi.M_45s", primekeys={"T_REC": [t2]})
    # the same instant in two scales is one value
    assert merge_blocks([b1, b2])[0]["primekeys"]["T_REC"] == [t1]


# ---------------------------------------------------------------------------
# Contradictions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ([jsocx.Series("hmi.M_45s"), jsocx.Series("hmi.V_45s")], "two different series in one query"),
        ([jsocx.Series(AIA), JAN1, a.Time("2015-01-01", "2015-01-02")], "a.Time is given twice"),
        ([jsocx.Series("hmi.M_45s"), JAN1, jsocx.PrimeKey("T_REC", Time("2014-01-01"))],
         r"a.Time and a time PrimeKey \(T_REC\) are both given"),
        ([jsocx.Series("hmi.M_45s"), jsocx.PrimeKey.range("T_REC", Time("2014-01-01"), Time("2014-01-02")), JAN1],
         r"a.Time and a time PrimeKey \(T_REC\) are both given"),
        ([jsocx.Series(AIA), JAN1, a.Wavelength(171 * u.AA), jsocx.PrimeKey("WAVELNTH", 171)],
         r"a.Wavelength and PrimeKey\('WAVELNTH', ...\) are both given"),
        ([jsocx.Series(AIA), JAN1, jsocx.PrimeKey("wavelnth", 171), a.Wavelength(171 * u.AA)],
         r"a.Wavelength and PrimeKey\('WAVELNTH', ...\) are both given"),
        ([jsocx.Series(AIA), JAN1, a.Wavelength(171 * u.AA), a.Wavelength(304 * u.AA)],
         "a.Wavelength is given twice with different values"),
        ([jsocx.Series("hmi.M_45s"), JAN1, jsocx.PrimeKey("CAMERA", 1), jsocx.PrimeKey("CAMERA", 2)],
         "PrimeKey 'CAMERA' is given twice with different values"),
        ([jsocx.Series(AIA), JAN1, jsocx.Notify("a@example.org"), jsocx.Notify("b@example.org")],
         r"Notify is given twice with different values \('a@example.org' and 'b@example.org'\)"),
        ([jsocx.Series(AIA), JAN1, jsocx.Protocol("fits"), jsocx.Protocol("as-is")],
         "Protocol is given twice with different values"),
        ([jsocx.Series(AIA), JAN1, jsocx.Method("url"), jsocx.Method("url-tar")],
         "Method is given twice with different values"),
        ([jsocx.Series(AIA), JAN1, a.Sample(0 * u.s)], "Sample must be a positive time interval"),
        ([jsocx.Series(AIA), JAN1, a.Sample(-12 * u.s)], "Sample must be a positive time interval"),
        ([jsocx.Series(AIA), JAN1, jsocx.Keyword("QUALITY")], r"Keyword\('QUALITY'\) needs a comparison"),
        ([JAN1, a.Wavelength(171 * u.AA)], "a JSOC query needs a series"),
        ([jsocx.RecordSet("hmi.M_45s[$]"), JAN1], r"selects the records by itself; .* with time filters"),
        ([jsocx.RecordSet("hmi.M_45s[$]"), jsocx.Keyword("QUALITY") == 0], "with keywords filters"),
        ([jsocx.RecordSet("hmi.M_45s[$]"), jsocx.Series("hmi.V_45s")], "two different series"),
        ([jsocx.Series(AIA), a.Time("2014-01-01", "2014-01-02", near="2014-01-01T12:00")],
         "nearest a time"),
    ],
)
def test_contradictions_are_value_errors(terms, message):
    with pytest.raises(ValueError, match=message):
        walker.create(AttrAnd(terms))


def test_repeating_the_same_value_is_not_a_contradiction():
    query = AttrAnd([jsocx.Series(AIA), jsocx.Series("AIA.LEV1_EUV_12S"), JAN1, jsocx.Notify("a@example.org"),
                     jsocx.Notify("a@example.org"), jsocx.Segment("image"), jsocx.Segment("IMAGE"),
                     a.Wavelength(171 * u.AA), a.Wavelength(171 * u.AA), jsocx.Keyword("QUALITY") == 0,
                     jsocx.Keyword("QUALITY") == 0])
    (block,) = walker.create(query)
    assert block["series"] == AIA
    assert block["segments"] == ["image"]
    assert block["keywords"] == [("QUALITY", "==", 0)]
    assert block["primekeys"] == {"WAVELNTH": [171]}


def test_unsupported_attrs_are_refused_by_the_walker():
    with pytest.raises(TypeError, match="Instrument"):
        walker.create(jsocx.Series(AIA) & a.Instrument("AIA"))


# ---------------------------------------------------------------------------
# Plugin contract
# ---------------------------------------------------------------------------


def test_supported_and_required_attrs():
    assert {a.Time, a.Wavelength, a.Sample, jsocx.Series, jsocx.Segment, jsocx.PrimeKey, jsocx.Notify,
            jsocx.Sample, jsocx.KeywordComparison, jsocx.Protocol, jsocx.Method, jsocx.Cutout,
            jsocx.RecordSet} <= SUPPORTED_ATTRS
    assert set(REQUIRED_ATTRS) == {jsocx.Series}
    # every supported attr has an applier of its own (not the fallback)
    for cls in SUPPORTED_ATTRS:
        assert walker.applymm.dispatch(cls) is not walker._unknown_type_apply


def test_can_handle_query():
    assert can_handle_query(JAN1, jsocx.Series(AIA), a.Wavelength(171 * u.AA))
    assert can_handle_query(jsocx.RecordSet("hmi.M_45s[$]"))
    assert not can_handle_query(JAN1, a.Wavelength(171 * u.AA))
    assert not can_handle_query(JAN1, jsocx.Series(AIA), a.Instrument("AIA"))
    assert not can_handle_query()


# ---------------------------------------------------------------------------
# Property: random valid queries walk to record sets the grammar parses
# ---------------------------------------------------------------------------


def _items_per_key(block, info):
    counts = {}
    if block["time"] is not None:
        counts[info.time_key] = 1
    for label, values in block["primekeys"].items():
        counts[info.primekey(label)] = len(values)
    return counts


@pytest.mark.parametrize("stem", series_stems())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_queries_walk_to_parseable_recordsets(stem, data):
    info = load_info(stem)
    query = data.draw(queries(info))
    blocks = walker.create(query)
    assert blocks
    for block in blocks:
        rs = build_recordset(block, info)
        (spec,) = parse(rs)
        assert spec.series == info.name
        # segments: exactly the chosen ones, in series order
        chosen = {info.segment(s).name for s in block["segments"]}
        expected_segments = tuple(s for s in info.segment_names if s in chosen) or None
        assert spec.segments == expected_segments
        # one clause with one comparison per keyword filter
        where = [f for f in spec.filters if f.kind == "where"]
        if block["keywords"]:
            (clause,) = where
            comparisons = clause.where.expr.operands if len(block["keywords"]) > 1 else (clause.where.expr,)
            assert [c.left.name for c in comparisons] == [info.keyword(k[0]).name for k in block["keywords"]]
        else:
            assert not where
        # positional filters: one per prime key up to the last given, with the right item count
        positional = [f for f in spec.filters if f.kind in ("values", "empty")]
        counts = _items_per_key(block, info)
        assert len(positional) <= len(info.primekeys)
        for key, filter_ in zip(info.primekeys, positional, strict=False):
            assert len(filter_.items) == counts.get(key, 0)
            for item in filter_.items:
                split_item(item, is_time=info.keywords[key].is_time)
        assert set(counts) <= set(info.primekeys[: len(positional)])


# ---------------------------------------------------------------------------
# The record sets select the intended records (emulator on 127.0.0.1)
# ---------------------------------------------------------------------------


def _rs_list(emulator, ds, keys):
    import urllib.request
    from urllib.parse import urlencode

    url = emulator.url + "cgi-bin/ajax/jsoc_info?" + urlencode({"op": "rs_list", "ds": ds, "key": ",".join(keys)})
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=60) as response:
        answer = json.loads(response.read())
    assert answer["status"] == 0, answer
    return {k["name"]: k["values"] for k in answer["keywords"]}


def test_seed_query_selects_171_and_304_in_the_time_range(emulator):
    query = and_(JAN1, jsocx.Series(AIA), a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    (rs,) = recordsets(query, AIA)
    got = _rs_list(emulator, rs, ["T_REC", "WAVELNTH"])
    assert sorted(set(got["WAVELNTH"])) == ["171", "304"]
    assert all("2014-01-01T00:00:00Z" <= t <= "2014-01-01T00:00:30Z" for t in got["T_REC"])
    assert len(got["T_REC"]) == 6


def test_keyword_range_and_sample_select_what_they_say(emulator):
    query = and_(a.Time("2014-01-01T00:00:00", "2014-01-01T00:02:00"), jsocx.Series(AIA), a.Sample(1 * u.min),
                 jsocx.Keyword("EXPTIME") > 1, jsocx.Keyword("EXPTIME") < 2.5, jsocx.Keyword("QUALITY") == 0)
    (rs,) = recordsets(query, AIA)
    got = _rs_list(emulator, rs, ["T_REC", "EXPTIME", "QUALITY"])
    assert got["T_REC"]
    assert all(1 < float(e) < 2.5 for e in got["EXPTIME"])
    assert {int(q, 16) for q in got["QUALITY"]} == {0}  # JSOC prints QUALITY in hex
    assert len(set(got["T_REC"])) == 3  # 00:00, 00:01, 00:02 at a one-minute cadence


def test_tai_series_time_range_selects_the_same_instants(emulator):
    query = a.Time("2014-01-01T00:00:00", "2014-01-01T00:03:00") & jsocx.Series("hmi.M_45s")
    (rs,) = recordsets(query, "hmi.m_45s")
    got = _rs_list(emulator, rs, ["T_REC"])
    # UTC 00:00:00-00:03:00 is TAI 00:00:35-00:03:35; JSOC rounds both ends to the nearest
    # 45 s slot (00:00:45 and 00:03:45), as in jsoc-api.md §4
    assert got["T_REC"] == ["2014.01.01_00:00:45_TAI", "2014.01.01_00:01:30_TAI", "2014.01.01_00:02:15_TAI",
                            "2014.01.01_00:03:00_TAI", "2014.01.01_00:03:45_TAI"]
