"""The emulator's query endpoints: series lists, series_struct, rs_list, rs_summary, checkAddress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import get_json, info, rs_list, values

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "jsoc-reference"


def test_showextseries_filter_is_case_insensitive_regex_search(emulator):
    d = get_json(emulator, "cgi-bin/ajax/showextseries", dbhost="hmidb2", filter=r"HMI\.M_")
    assert d["errMsg"] == ""
    assert d["seriesList"], "expected hmi.M_* series"
    assert all(n.lower().startswith("hmi.m_") for n in d["seriesList"])
    assert "hmi.M_45s" in d["seriesList"]
    assert d["seriesList"] == sorted(d["seriesList"], key=str.lower)


def test_showextseries_not_filter_and_info(emulator):
    everything = get_json(emulator, "cgi-bin/ajax/showextseries")["seriesList"]
    not_hmi = get_json(emulator, "cgi-bin/ajax/showextseries", filter="NOT hmi")["seriesList"]
    assert not any("hmi" in n.lower() for n in not_hmi)
    assert len(not_hmi) < len(everything)
    full = get_json(emulator, "cgi-bin/ajax/showextseries", filter=r"^aia\.lev1_euv", info=1)["seriesList"]
    assert full == [{"aia.lev1_euv_12s": {"description": "AIA Level 1, 12 second cadence"}}]


def test_show_series_shape(emulator):
    d = get_json(emulator, "cgi-bin/ajax/show_series", filter=r"hmi\.m_45s$")
    assert d["status"] == 0
    assert d["n"] == 1
    assert d["names"][0]["name"] == "hmi.M_45s"
    assert d["names"][0]["primekeys"] == "T_REC, CAMERA"


def test_series_struct_is_case_insensitive_and_real(emulator):
    d = info(emulator, op="series_struct", ds="HMI.m_45S")
    assert d["status"] == 0
    assert d["primekeys"] == ["T_REC", "CAMERA"]
    assert {"keywords", "segments", "links"} <= set(d)
    assert d["Interval"]["FirstRecord"].startswith("hmi.M_45s[2010.")
    real = SHARED / "series_struct" / "hmi.m_45s.json"
    if real.exists():
        assert d["keywords"] == json.loads(real.read_text())["keywords"]


def test_series_struct_unknown_series_is_a_jsoc_error(emulator):
    d = info(emulator, op="series_struct", ds="foo.bar")
    assert d["status"] == 1
    assert "not found" in d["error"]


@pytest.mark.parametrize(
    ("ds", "expected"),
    [
        # the three recorded queries of jsoc-api.md §4 (slot rounding to the nearest slot)
        ("hmi.M_45s[2012.01.01_00:00:34_TAI-2012.01.01_00:01:19_TAI]",
         ["2012.01.01_00:00:45_TAI", "2012.01.01_00:01:30_TAI"]),
        ("hmi.M_45s[2012.01.01_01:01:10_TAI-2012.01.01_01:01:12_TAI]", ["2012.01.01_01:01:30_TAI"]),
        ("hmi.M_45s[2012.01.01_00:00:34_TAI-2012.01.01_00:02:04_TAI@90.0s]",
         ["2012.01.01_00:00:45_TAI", "2012.01.01_00:02:15_TAI"]),
        # start/duration is half-open; @step keeps every step
        ("hmi.v_45s[2016.04.01_TAI/1d@6h]",
         ["2016.04.01_00:00:00_TAI", "2016.04.01_06:00:00_TAI", "2016.04.01_12:00:00_TAI",
          "2016.04.01_18:00:00_TAI"]),
        ("hmi.v_45s[2013.07.03_08:42_TAI/3m]",
         ["2013.07.03_08:42:00_TAI", "2013.07.03_08:42:45_TAI", "2013.07.03_08:43:30_TAI",
          "2013.07.03_08:44:15_TAI"]),
        # a UTC time without zone is converted (TAI-UTC = 35 s in 2014)
        ("hmi.M_45s[2014.01.01_00:00:00/2m]", ["2014.01.01_00:00:45_TAI", "2014.01.01_00:01:30_TAI"]),
    ],
)
def test_rs_list_slot_rounding(emulator, ds, expected):
    d = rs_list(emulator, ds)
    assert d["status"] == 0
    assert values(d, "T_REC") == expected
    assert d["count"] == len(expected)


def test_aia_t_rec_is_iso_utc_on_the_recorded_phase(emulator):
    # sunpy sends UTC 00:00:00-00:00:30 as TAI; the real series answers 00:00:01Z, 13Z, 25Z
    d = rs_list(emulator, "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI][304]",
                key="T_REC,T_OBS,WAVELNTH,TELESCOP,INSTRUME,CAR_ROT,QUALITY")
    assert values(d, "T_REC") == ["2014-01-01T00:00:01Z", "2014-01-01T00:00:13Z", "2014-01-01T00:00:25Z"]
    assert values(d, "WAVELNTH") == ["304"] * 3
    assert values(d, "TELESCOP") == ["SDO/AIA"] * 3
    assert values(d, "CAR_ROT") == ["2145"] * 3
    assert all(v.startswith("0x") and len(v) == 10 for v in values(d, "QUALITY"))
    assert all(v.endswith("Z") and "." in v for v in values(d, "T_OBS"))


def test_rs_list_value_lists_and_named_filters(emulator):
    d = rs_list(emulator, "aia.lev1_euv_12s[2014-01-01T00:00:01Z][171,304]", key="T_REC,WAVELNTH")
    assert values(d, "WAVELNTH") == ["171", "304"]
    named = rs_list(emulator, "aia.lev1_euv_12s[WAVELNTH=171][T_REC=2014-01-01T00:00:01Z]", key="WAVELNTH")
    assert values(named, "WAVELNTH") == ["171"]
    skip = rs_list(emulator, "hmi.sharp_720s[][2014.11.30_00:00_TAI]", key="HARPNUM,T_REC")
    assert "4864" in values(skip, "HARPNUM")
    assert set(values(skip, "T_REC")) == {"2014.11.30_00:00:00_TAI"}


def test_rs_list_first_last_and_recnums(emulator):
    last = rs_list(emulator, "hmi.M_45s[$]", key="T_REC,*recnum*")
    assert last["count"] == 1
    first = rs_list(emulator, "hmi.M_45s[^]", key="T_REC,*recnum*")
    interval = info(emulator, op="series_struct", ds="hmi.M_45s")["Interval"]
    assert interval["FirstRecord"].startswith(f"hmi.M_45s[{values(first, 'T_REC')[0]}]")
    assert interval["LastRecord"].startswith(f"hmi.M_45s[{values(last, 'T_REC')[0]}]")
    d = rs_list(emulator, "hmi.M_45s[2012.01.01_00:00:00_TAI/3m]", key="T_REC,*recnum*")
    recnums = values(d, "*recnum*")
    again = rs_list(emulator, f"hmi.M_45s[:#{recnums[1]},#{recnums[3]}]", key="T_REC")
    assert values(again, "T_REC") == [values(d, "T_REC")[1], values(d, "T_REC")[3]]


def test_last_and_first_records_skip_data_gaps(clock):
    # With the clock at this instant, the emulator's newest slot of hmi.M_45s (one day
    # earlier) falls in one of its data gaps (checked below), as it did when this was found.
    from datetime import UTC, datetime

    from sunpy_jsocx.emulator import JSOCEmulator

    clock.now = datetime(2026, 11, 24, 0, 22, 28, tzinfo=UTC).timestamp()
    with JSOCEmulator(clock=clock) as emu:
        gap_day = rs_list(emu, "hmi.M_45s[2026.11.23_00:00:00_TAI/1d]", key="T_REC,*recnum*")
        times = values(gap_day, "T_REC")
        newest_slot = "2026.11.23_00:22:"  # one day before the clock, within a gap
        assert not any(t.startswith(newest_slot) for t in times)
        last = rs_list(emu, "hmi.M_45s[$]", key="T_REC,*recnum*")
        assert last["count"] == 1
        assert values(last, "T_REC")[0] < "2026.11.23_00:22:00_TAI"
        by_recnum = rs_list(emu, "hmi.M_45s[:#$]", key="T_REC,*recnum*")
        assert values(by_recnum, "*recnum*") == values(last, "*recnum*")
        interval = info(emu, op="series_struct", ds="hmi.M_45s")["Interval"]
        assert interval["LastRecord"].startswith(f"hmi.M_45s[{values(last, 'T_REC')[0]}]")


def test_rs_list_n_limits_from_either_end(emulator):
    ds = "hmi.M_45s[2012.01.01_00:00:00_TAI/10m]"
    all_ = values(rs_list(emulator, ds), "T_REC")
    assert values(rs_list(emulator, ds, n=3), "T_REC") == all_[:3]
    assert values(rs_list(emulator, ds, n=-2), "T_REC") == all_[-2:]


def test_rs_list_all_keywords_omit_index_keywords(emulator):
    d = rs_list(emulator, "aia.lev1_euv_12s[2014-01-01T00:00:01Z][304]", key="**ALL**")
    names = [k["name"] for k in d["keywords"]]
    struct = info(emulator, op="series_struct", ds="aia.lev1_euv_12s")
    assert "T_REC_index" not in names
    assert len(names) == len(struct["keywords"]) - 1
    assert names[:3] == ["T_REC", "T_OBS", "WAVELNTH"]


def test_rs_list_segments_links_recinfo_and_sentinels(emulator):
    ds = "hmi.B_720s[2013.07.03_08:42_TAI/40m]"
    d = rs_list(emulator, ds, key="T_REC,foo", seg="field,baz", link="MDATA,bar", R=1)
    assert d["count"] == 3
    assert values(d, "foo") == ["Invalid KeyLink"] * 3
    segs = {s["name"]: s for s in d["segments"]}
    assert segs["baz"]["values"] == ["InvalidSegName"] * 3
    assert all(v.startswith("/SUM") and v.endswith("/field.fits") for v in segs["field"]["values"])
    links = {s["name"]: s["values"] for s in d["links"]}
    assert links["bar"] == ["Invalid_Link"] * 3
    assert all(v.startswith("hmi.ME_720s_fd10[") for v in links["MDATA"])
    assert [r["name"] for r in d["recinfo"]][0] == "hmi.B_720s[2013.07.03_08:48:00_TAI]"


def test_rs_list_zero_records_shape(emulator):
    d = rs_list(emulator, "hmi.M_45s[2001.01.01_TAI/1h]")
    assert d["count"] == 0
    assert d["status"] == 0
    assert "keywords" not in d


@pytest.mark.parametrize("ds", ["hmi.M_45s[2012.01.01", "hmi.M_45s[x]", "hmi.M_45s]", "nonexistent.series[1]",
                                "hmi.M_45s[? QUALITY=0; DROP TABLE x ?]", "hmi.M_45s[1][2][3]"])
def test_malformed_record_sets_get_jsoc_errors(emulator, ds):
    d = rs_list(emulator, ds)
    assert d["status"] == 1
    assert d["error"]


def test_where_clause_filters_records(emulator):
    ds = "aia.lev1_euv_12s[2014-01-01T00:00:00Z/2h][171]"
    total = rs_list(emulator, ds, key="QUALITY")
    good = rs_list(emulator, ds + "[? QUALITY = 0 ?]", key="QUALITY")
    flagged = rs_list(emulator, ds + "[? QUALITY != 0 ?]", key="QUALITY")
    assert good["count"] + flagged["count"] == total["count"]
    assert flagged["count"] > 0, "a 2 h AIA sequence should contain flagged records"
    assert set(values(good, "QUALITY")) == {"0x00000000"}


def test_rs_summary_counts(emulator):
    d = info(emulator, op="rs_summary", ds="hmi.M_45s[2012.01.01_00:00:00_TAI/1h]")
    assert d["status"] == 0
    assert d["count"] == 80


def test_keyword_values_are_realistic(emulator):
    d = rs_list(emulator, "hmi.v_45s[2013.07.03_08:42_TAI/3m]", key="CRLT_OBS,DSUN_OBS,RSUN_OBS,CAR_ROT")
    crlt = [float(v) for v in values(d, "CRLT_OBS")]
    # drms's test_query_basic asserts this real value
    assert all(abs(v - 3.14159) < 1e-4 for v in crlt)
    assert all(1.515e11 < float(v) < 1.525e11 for v in values(d, "DSUN_OBS"))
    assert all(940 < float(v) < 950 for v in values(d, "RSUN_OBS"))
    assert values(d, "CAR_ROT") == ["2138"] * 4


def test_data_gaps_are_deterministic_and_rare(emulator):
    d = info(emulator, op="rs_summary", ds="aia.lev1_euv_12s[2014-01-01T00:00:00Z/30d][171]")
    full = 30 * 86400 // 12
    assert 0.98 * full < d["count"] < full
    again = info(emulator, op="rs_summary", ds="aia.lev1_euv_12s[2014-01-01T00:00:00Z/30d][171]")
    assert again["count"] == d["count"]


@pytest.mark.parametrize(
    ("address", "status"),
    [("user@example.org", 2), ("notregistered@example.com", 4), ("not-valid", -2)],
)
def test_check_address_decodes_twice(emulator, address, status):
    from urllib.parse import quote_plus

    d = get_json(emulator, "cgi-bin/ajax/checkAddress.sh", address=quote_plus(address), checkonly=1)
    assert d["status"] == status


def test_check_address_missing(emulator):
    d = get_json(emulator, "cgi-bin/ajax/checkAddress.sh", checkonly=1)
    assert d["status"] == -2
