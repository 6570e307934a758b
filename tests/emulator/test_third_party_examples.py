"""
Failures found by running third-party example scripts against the emulator.

drms's ``examples/``, sunpy's JSOC gallery examples and aiapy's examples were run
unchanged (server, e-mail address and plotting backend aside); each test here pins
one emulator fault that stopped one of them, with the script named.
"""

from __future__ import annotations

import pytest
from helpers import download, get_json, info, rs_list, values


def test_synoptic_record_has_positive_recnum_and_its_file_downloads(emulator):
    # drms examples/plot_synoptic_mr.py lists hmi.synoptic_mr_720s[2150] with segment
    # synopMr and reads the file at the returned SUMS path. The series has no time
    # prime key (CAR_ROT only); its record numbers and storage units were negative and
    # the emulator's own file server answered 404 for the path it had just listed.
    d = rs_list(emulator, "hmi.synoptic_mr_720s[2150]", key="*recnum*,*sunum*,CAR_ROT", seg="synopMr")
    assert d["status"] == 0 and d["count"] == 1
    assert int(values(d, "*recnum*")[0]) > 0
    assert int(values(d, "*sunum*")[0]) > 0
    path = d["segments"][0]["values"][0]
    assert "/D-" not in path
    with download(emulator, path) as r:
        assert r.status == 200
        assert r.read(6) == b"SIMPLE"


def test_harp_401_is_alive_on_2011_03_09(emulator):
    # sunpy examples/acquiring_data/querying_and_loading_SHARP_data.py searches
    # hmi.sharp_cea_720s with HARPNUM 401 from 2011-03-09 23:20 to 23:30 (one sample an
    # hour, segment Bp) and plots the map JSOC returns; the emulator had HARP 401 dead
    # since February, so the search found nothing and sunpy.map.Map got no file.
    d = rs_list(emulator, "hmi.sharp_cea_720s[401][2011.03.09_23:20:34_TAI-2011.03.09_23:30:34_TAI@3600s]",
                key="T_REC,HARPNUM", seg="Bp")
    assert d["status"] == 0
    assert values(d, "T_REC") == ["2011.03.09_23:24:00_TAI"]
    assert values(d, "HARPNUM") == ["401"]


@pytest.mark.parametrize(("ds", "script"), [
    ("hmi.meanpf_720s[2010.05.01_TAI-2016.04.01_TAI@12h]", "drms examples/plot_polarfield.py"),
    ("hmi.v_sht_modes[2024.09.19_00:00:00_TAI]", "drms examples/plot_hmi_modes.py"),
    ("hmi.rdvflows_fd15_frame[2150][360]", "drms examples/export_tar.py"),
])
def test_listed_but_undescribed_series_are_refused_not_invented(emulator, ds, script):
    # These series are in JSOC's series list, but no public series_struct answer gives
    # their structure; the emulator answered with an invented daily T_REC, one QUALITY
    # keyword and a "data" segment, so the scripts got "Invalid KeyLink" values (plot_polarfield)
    # or "InvalidSegName" paths (plot_hmi_modes). It now refuses them as JSOC refuses a
    # series it cannot open, naming why.
    name = ds.split("[")[0]
    struct = info(emulator, op="series_struct", ds=name)
    assert struct["status"] == 1
    assert "not found" in struct["error"] and "does not emulate" in struct["error"], script
    d = rs_list(emulator, ds)
    assert d["status"] != 0
    assert "does not emulate" in d["error"]
    assert "keywords" not in d or not d["keywords"]
    listed = get_json(emulator, "cgi-bin/ajax/show_series", filter=name.replace(".", r"\.") + "$")
    assert [n["name"].lower() for n in listed["names"]] == [name.lower()]


def _response_rows(emulator):
    d = rs_list(emulator, "aia.response[][!1=1!]",
                key="T_START,T_STOP,WAVE_STR,VER_NUM,EFF_AREA,EFF_WVLN,EFFA_P1,DATE")
    assert d["status"] == 0
    cols = ("T_START", "T_STOP", "WAVE_STR", "VER_NUM", "EFF_AREA", "EFF_WVLN", "EFFA_P1", "DATE")
    return [dict(zip(cols, r, strict=True)) for r in zip(*(values(d, c) for c in cols), strict=True)]


def test_aia_response_holds_the_real_version_8_table(emulator):
    # aiapy's get_correction_table("jsoc") reads aia.response[][!1=1!] with key=**ALL** and
    # picks, per channel and calibration version, the epoch T_START <= t < T_STOP. The
    # emulator's values were random, with VER_NUM 1 only and T_STOP before T_START, so no
    # epoch was ever found (aiapy examples/correct_degradation.py). The version-8 records are
    # the real table that aiapy keeps as test data
    # (aiapy/tests/data/aia_V8_20171210_050627_response_table.txt: 88 rows).
    rows = [r for r in _response_rows(emulator) if r["VER_NUM"] == "8"]
    assert len(rows) == 88
    assert all(r["T_START"] < r["T_STOP"] for r in rows)
    first_335 = sorted((r["T_START"], r["T_STOP"], r["EFF_AREA"], r["EFF_WVLN"]) for r in rows
                       if r["WAVE_STR"] == "335_THIN")[0]
    assert first_335[:2] == ("2010-03-24T00:00:00Z", "2011-02-24T19:00:00Z")
    assert float(first_335[2]) == 0.06055
    assert float(first_335[3]) == 335.40
    in_epoch = [r for r in rows if r["WAVE_STR"] == "335_THIN" and r["T_START"] <= "2012-06-01T00:00:00Z" < r["T_STOP"]]
    assert len(in_epoch) == 1


def test_aia_response_holds_the_real_version_10_table_aiapy_asks_for(emulator):
    # aiapy's degradation() asks for calibration version 10 by default (LATEST_CORRECTION_VERSION);
    # the emulator held version 8 only, so aiapy examples/correct_degradation.py stopped with
    # "Correction table does not contain calibration for 335 Angstrom and version 10". The records
    # are now also the real aia_V10_20201119_190000_response_table.txt (86 rows; the copy's SHA-256
    # is the one aiapy pins), and every channel the example and aiapy use has one epoch per time.
    rows = _response_rows(emulator)
    v10 = [r for r in rows if r["VER_NUM"] == "10"]
    assert len(v10) == 86
    assert len([r for r in rows if r["VER_NUM"] == "8"]) == 88
    first_335 = min((r for r in v10 if r["WAVE_STR"] == "335_THIN"), key=lambda r: r["T_START"])
    assert (first_335["T_START"], first_335["T_STOP"]) == ("2010-03-24T00:00:00Z", "2011-02-24T19:00:00Z")
    assert float(first_335["EFF_AREA"]) == 0.05684
    assert float(first_335["EFFA_P1"]) == -0.000753
    assert first_335["DATE"] == "2020-10-29T11:14:51Z"
    for wave in ("94_THIN", "131_THIN", "171_THIN", "193_THIN", "211_THIN", "304_THIN", "335_THIN", "1600", "1700"):
        for t in ("2010-06-01T00:00:00Z", "2014-01-01T00:00:00Z", "2022-06-01T00:00:00Z"):
            hits = [r for r in v10 if r["WAVE_STR"] == wave and r["T_START"] <= t < r["T_STOP"]]
            assert len(hits) == 1, (wave, t, hits)


def test_synoptic_web_directory_serves_the_carrington_rotation_map(emulator):
    # sunpy's gallery examples plotting/hmi_synoptic_maps.py and plotting/limb_plotting.py
    # open http://jsoc.stanford.edu/data/hmi/synoptic/hmi.Synoptic_Mr.2191.fits directly;
    # the emulator answered 404 for everything outside its SUMS paths.
    import io

    from astropy.io import fits

    with download(emulator, "data/hmi/synoptic/hmi.Synoptic_Mr.2191.fits") as r:
        assert r.status == 200
        body = r.read()
    with fits.open(io.BytesIO(body)) as hdul:
        hdu = next(h for h in hdul if h.data is not None)
        assert hdu.header["CAR_ROT"] == 2191
        assert hdu.data.ndim == 2


def test_synoptic_web_directory_answers_404_for_a_rotation_without_a_record(emulator):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as e:
        download(emulator, "data/hmi/synoptic/hmi.Synoptic_Mr.1900.fits")
    assert e.value.code == 404


def test_a_record_number_past_the_last_selects_nothing(emulator):
    """hmi.M_45s[:#9223372036854775807] once wrapped around int64 into a record of year -292277022650."""
    import json
    import urllib.parse
    import urllib.request

    for ds in ("hmi.M_45s[:#9223372036854775807]", "hmi.M_45s[:#9223372036854775000-#9223372036854775807]"):
        query = urllib.parse.urlencode({"op": "rs_list", "ds": ds, "key": "T_REC,*recnum*"})
        with urllib.request.urlopen(f"{emulator.url}cgi-bin/ajax/jsoc_info?{query}", timeout=30) as resp:
            answer = json.loads(resp.read())
        assert answer.get("count", 0) == 0, answer
