"""
Failures found by running third-party example scripts against the emulator.

drms's ``examples/``, sunpy's JSOC gallery examples and aiapy's examples were run
unchanged (server, e-mail address and plotting backend aside); each test here pins
one emulator fault that stopped one of them, with the script named.
"""

from __future__ import annotations

import numpy as np
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


@pytest.mark.parametrize("ds", [
    "hmi.V_sht_modes_archive[2024.09.19_00:00:00_TAI]",  # "full results from jpkbgn": no public keyword list
    "hmi.rdVflows_fd30_frame[2150][360]",  # the 15-degree frames are emulated (test_rdvflows.py), not these
    "mdi.vw_V_sht_modes[1996.05.01_00:00:00_TAI]",
])
def test_listed_but_undescribed_series_are_refused_not_invented(emulator, ds):
    # Series in JSOC's series list whose structure no public source gives: the emulator
    # answered with an invented daily T_REC, one QUALITY keyword and a "data" segment,
    # so scripts got "Invalid KeyLink" values (plot_polarfield.py) or "InvalidSegName"
    # paths (plot_hmi_modes.py). It refuses them as JSOC refuses a series it cannot open,
    # naming why. (The three series those drms examples use are emulated now, from the
    # evidence found for them: test_meanpf.py, test_sht_modes.py, test_rdvflows.py.)
    name = ds.split("[")[0]
    struct = info(emulator, op="series_struct", ds=name)
    assert struct["status"] == 1
    assert "not found" in struct["error"] and "does not emulate" in struct["error"]
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


def _real_header(name):
    from pathlib import Path

    from astropy.io import fits

    text = (Path(__file__).parents[1] / "data" / "jsoc-headers" / name).read_text()
    return fits.Header.fromstring(text, sep="\n")


def test_synoptic_web_file_is_what_sunpy_reads_as_an_hmi_synoptic_map(emulator, tmp_path):
    # sunpy's gallery examples plotting/hmi_synoptic_maps.py and plotting/limb_plotting.py open
    # hmi.Synoptic_Mr.2191.fits with sunpy.map.Map and stopped with "'sine latitude' did not parse as
    # unit": our CONTENT was not JSOC's, so sunpy's HMISynopticMap (it needs 'carrington synoptic chart'
    # in CONTENT) was not chosen. The file is now the 3600x1440 float chart of the real web file.
    import sunpy.map
    from sunpy.map.sources.sdo import HMISynopticMap

    with download(emulator, "data/hmi/synoptic/hmi.Synoptic_Mr.2191.fits") as r:
        body = r.read()
    assert len(body) == 20_744_640  # the size of every real hmi.Synoptic_Mr.<CR>.fits file
    path = tmp_path / "hmi.Synoptic_Mr.2191.fits"
    path.write_bytes(body)
    m = sunpy.map.Map(path)
    assert isinstance(m, HMISynopticMap)
    assert m.meta["content"] == "Carrington Synoptic Chart Of Br Field"
    assert m.data.shape == (1440, 3600)
    assert m.unit.to_string() == "Mx / cm2"
    assert m.date.isot.startswith("2017-06-09")  # T_OBS = T_ROT, the middle of rotation 2191
    data = m.data
    assert abs(float(np.nanmedian(data))) < 5 and 3 < float(np.nanstd(data)) < 100
    assert int(np.isnan(data).sum()) == m.meta["missvals"] == 47292


def test_synoptic_record_times_are_the_real_carrington_rotation_times(emulator):
    # sunpy's hmi_synoptic.header (CR 2210) and mdi_synoptic.header (CR 2099) give the real
    # T_START/T_STOP/T_ROT; the emulator's synoptic records had every time at 2010.05.01 and
    # T_START = T_STOP. The rule (sunpy's rotation times plus a fitted offset) is within 10 s.
    from sunpy_jsocx import jsoctime

    keys = ["T_START", "T_STOP", "T_ROT", "T_OBS", "CARRTIME", "CRVAL1", "B0_ROT", "B0_FRST", "B0_LAST",
            "IMG_FRST", "IMG_LAST", "IMG_ROT", "IMG_NUM", "CAR_ROT"]
    d = rs_list(emulator, "hmi.synoptic_mr_720s[2210]", key=",".join(keys))
    assert d["status"] == 0 and d["count"] == 1
    ours = {k: values(d, k)[0] for k in keys}
    real = _real_header("hmi_synoptic.header")
    for key in ("T_START", "T_STOP", "T_ROT", "T_OBS"):
        assert abs(jsoctime.parse_time(ours[key]) - jsoctime.parse_time(real[key])) < 10, key
    for key in ("IMG_FRST", "IMG_LAST", "IMG_ROT"):
        assert ours[key] == real[key], key
    assert float(ours["CARRTIME"]) == float(ours["CRVAL1"]) == real["CARRTIME"] == 795420.0
    for key in ("B0_ROT", "B0_FRST", "B0_LAST"):
        assert abs(float(ours[key]) - real[key]) < 0.003, key
    assert int(ours["IMG_NUM"]) == real["IMG_NUM"]
    mdi = _real_header("mdi_synoptic.header")
    d = rs_list(emulator, "hmi.synoptic_mr_720s[2099]", key="T_START,T_STOP")
    for key in ("T_START", "T_STOP"):
        assert abs(jsoctime.parse_time(values(d, key)[0]) - jsoctime.parse_time(mdi[key])) < 10, key


def test_synoptic_export_has_the_real_keywords_in_the_real_order(emulator):
    # The keyword list of hmi.Synoptic_Mr_720s was invented (no T_ROT, B0_*, IMG_*, CRDER*, WCSNAME...);
    # it is now sunpy's real hmi_synoptic.header's, in its order, with the real constants.
    import io

    from astropy.io import fits

    with download(emulator, "data/hmi/synoptic/hmi.Synoptic_Mr.2210.fits") as r:
        header = fits.getheader(io.BytesIO(r.read()), 0)
    real = _real_header("hmi_synoptic.header")
    def names(h):
        return [k for k in dict.fromkeys(h) if k not in ("COMMENT", "HISTORY")]

    assert [k for k in names(header) if k in real] == [k for k in names(real) if k in header]
    assert set(real) - set(header) == set()
    for key in ("TELESCOP", "INSTRUME", "WAVELNTH", "BUNIT", "CONTENT", "CTYPE1", "CTYPE2", "CUNIT1", "CUNIT2",
                "WCSNAME", "CADENCE", "DATASIGN", "CAR_ROT", "CARRTIME", "LON_STEP", "W_OFFSET", "W_WEIGHT",
                "HWNWIDTH", "EQPOINTS", "NSIGMA", "CARSTRCH", "DIFROT_A", "DIFROT_B", "DIFROT_C", "CALVER64",
                "QUALITY", "CRVAL2"):
        if key == "LON_STEP":  # the 3600-pixel chart has 0.1-degree pixels, the small one 0.5
            assert header[key] == pytest.approx(-0.1) and real[key] == -0.5
        elif isinstance(real[key], float):
            assert header[key] == pytest.approx(real[key]), key
        else:
            assert header[key] == real[key], key
    assert header["NAXIS1"] == 3600 and header["NAXIS2"] == 1440 and header["BITPIX"] == -32
    # CRPIX1/LON_FRST of the 720-pixel chart are those of the 3600-pixel one rebinned by 5
    assert header["LON_FRST"] + 0.2 == pytest.approx(real["LON_FRST"])
    assert header["LON_LAST"] - 0.2 == pytest.approx(real["LON_LAST"])
    assert header["CDELT2"] * 4 == pytest.approx(real["CDELT2"], rel=1e-3)


def test_aia_level1_pointing_keywords_are_real_pointing(emulator):
    # aiapy's update_pointing (examples/download_specific_data.py) moves CRPIX by the difference
    # between the master pointing table's X0/Y0 and the level-1 X0_MP/Y0_MP, and sets CDELT to
    # IMSCL_MP's table twin; the emulator's X0_MP/Y0_MP were noise between 0 and 100 pixels (the Sun
    # centre of a 4096-pixel AIA image is near pixel 2048). They are now the real values of sunpy's
    # aia_171_level1.fits (171) and of JSOC's recorded 304 answer; other channels take the 171 values.
    d = rs_list(emulator, "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI/12s]",
                key="WAVELNTH,X0_MP,Y0_MP,IMSCL_MP,INST_ROT")
    assert d["status"] == 0 and d["count"] == 7
    rows = {w: (float(x), float(y), float(s), float(r)) for w, x, y, s, r in zip(
        values(d, "WAVELNTH"), values(d, "X0_MP"), values(d, "Y0_MP"), values(d, "IMSCL_MP"), values(d, "INST_ROT"),
        strict=True)}
    # float keywords: the emulator prints 32-bit values, so compare to 32-bit precision
    assert rows["304"] == pytest.approx((2060.370117, 2031.859985, 0.600165, -0.131639), rel=1e-7)  # recorded
    assert rows["171"] == pytest.approx((2055.060059, 2042.719971, 0.599489, 0.019327), rel=1e-7)  # aia_171
    for x, y, scale, rot in rows.values():
        assert 2000 < x < 2100 and 2000 < y < 2100
        assert 0.59 < scale < 0.61 and abs(rot) < 0.2


_MPT_WAVELENGTHS = ("094", "131", "171", "193", "211", "304", "335", "1600", "1700", "4500")


def test_master_pointing_table_has_the_structure_aiapy_reads(emulator):
    # aiapy examples/download_specific_data.py calls get_pointing_table("JSOC", time_range=...),
    # which asks aia.master_pointing3h[<start>Z-<end>Z] for **ALL** keywords, and update_pointing
    # reads T_START, T_STOP and A_<wl>_X0/_Y0/_IMSCALE/_INSTROT. The emulator refused the series
    # ("not found"), so the example stopped there. Structure: LM-SAL/backup_files
    # get_pointing_table.py and aiapy (sources in tools/build_catalog.py).
    struct = info(emulator, op="series_struct", ds="aia.master_pointing3h")
    assert struct["status"] == 0
    assert struct["primekeys"] == ["T_START"]
    names = [k["name"] for k in struct["keywords"]]
    assert names[:2] == ["T_START", "T_STOP"]
    for wl in _MPT_WAVELENGTHS:
        for part in ("X0", "Y0", "IMSCALE", "INSTROT"):
            assert f"A_{wl}_{part}" in names
    assert struct["segments"] == []


def test_master_pointing_table_rows_are_three_hour_windows_with_the_level1_pointing(emulator):
    # aiapy's own test (aiapy/calibrate/tests/test_utils.py) asks for 2021-01-01T00:00 +- 3 h and
    # expects the first T_START at 2020-12-31T21:00:00 UTC; update_pointing picks the row with
    # T_START <= T_OBS < T_STOP. Values: the level-1 X0_MP/Y0_MP/IMSCL_MP/INST_ROT the emulator
    # serves (171 from sunpy's aia_171_level1.fits, 304 from JSOC's recorded answer).
    d = rs_list(emulator, "aia.master_pointing3h[2020-12-31T21:00:00.000Z-2021-01-01T03:00:00.000Z]", key="**ALL**")
    assert d["status"] == 0
    assert values(d, "T_START") == ["2020-12-31T21:00:00Z", "2021-01-01T00:00:00Z", "2021-01-01T03:00:00Z"]
    assert values(d, "T_STOP") == ["2021-01-01T00:00:00Z", "2021-01-01T03:00:00Z", "2021-01-01T06:00:00Z"]
    real = {"171": (2055.060059, 2042.719971, 0.599489, 0.019327),
            "304": (2060.370117, 2031.859985, 0.600165, -0.131639)}
    for wl, expected in real.items():
        got = [tuple(float(values(d, f"A_{wl}_{p}")[i]) for p in ("X0", "Y0", "IMSCALE", "INSTROT")) for i in range(3)]
        assert got == [pytest.approx(expected, rel=1e-7)] * 3
    # the example's channel (211) holds what its level-1 records hold
    lev1 = rs_list(emulator, "aia.lev1_euv_12s[2021.07.03_14:30:00_TAI/12s][211]", key="T_OBS,X0_MP,Y0_MP,IMSCL_MP")
    assert lev1["status"] == 0 and lev1["count"] == 1
    window = rs_list(emulator, "aia.master_pointing3h[2021-07-03T11:25:00.000Z-2021-07-03T17:35:00.000Z]",
                     key="T_START,T_STOP,A_211_X0,A_211_Y0,A_211_IMSCALE")
    assert window["status"] == 0
    t_obs = values(lev1, "T_OBS")[0].replace("_TAI", "")
    covering = [i for i, (a, z) in enumerate(zip(values(window, "T_START"), values(window, "T_STOP"), strict=True))
                if a <= "2021-07-03T14:30:00Z" < z]
    assert covering, (t_obs, values(window, "T_START"))
    i = covering[0]
    assert [values(window, k)[i] for k in ("A_211_X0", "A_211_Y0", "A_211_IMSCALE")] == [
        values(lev1, k)[0] for k in ("X0_MP", "Y0_MP", "IMSCL_MP")]


def test_master_pointing_table_starts_on_whole_utc_hours_before_the_last_leap_second(emulator):
    # aiapy's test_get_data_from_jsoc asks aia.master_pointing3h[2010-05-13T00:00:00Z], the table's
    # first entry (LM-SAL/backup_files starts its copy there); T_START sits on whole UTC hours.
    d = rs_list(emulator, "aia.master_pointing3h[2010-05-13T00:00:00Z]", key="T_START,T_STOP")
    assert d["status"] == 0
    assert values(d, "T_START") == ["2010-05-13T00:00:00Z"]
    assert values(d, "T_STOP") == ["2010-05-13T03:00:00Z"]


def test_helioseismology_record_spans_72_days_through_an_offset_keyword(emulator):
    # hmi.V_sht_2drls: T_STOP is the "beginning of following time period" and T_OBS the
    # "midpoint of timeseries, =(T_START+T_STOP)/2"; records come every 72 days (drms's
    # plot_hmi_modes.py: 2024.09.19 is 73 x 72 days after 2010.04.30), so a record spans 72 days.
    # T_STOP equalled T_START before.
    d = rs_list(emulator, "hmi.V_sht_2drls[2010.04.30_00:00:00_TAI][0][300][6]", key="T_START,T_STOP,T_OBS,NDT,T_STEP")
    assert d["status"] == 0 and d["count"] == 1
    assert values(d, "T_START") == ["2010.04.30_00:00:00_TAI"]
    assert values(d, "T_STOP") == ["2010.07.11_00:00:00_TAI"]
    assert values(d, "T_OBS")[0].startswith("2010.06.05_00:00:00")
