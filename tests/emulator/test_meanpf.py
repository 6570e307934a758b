"""
hmi.meanpf_720s, the mean polar field, against its public evidence.

drms's ``examples/plot_polarfield.py`` lists ``hmi.meanpf_720s[2010.05.01_TAI-2016.04.01_TAI@12h]``
with keys T_REC, CAPN2, CAPS2; the emulator refused the series. Its structure is JSOC's module
meanpf.c's (keywords, four 180-bin segments, the band formulas); its values follow dated facts
of the real series (sunpy_jsocx/emulator/polarfield.py names each source).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from helpers import download, fetch, info, rs_list, values

from sunpy_jsocx import jsoctime

EXAMPLE = "hmi.meanpf_720s[2010.05.01_TAI-2016.04.01_TAI@12h]"  # drms examples/plot_polarfield.py


def _decimal_year(t):
    """Decimal year of DRMS internal TAI times (Julian years from 2000.0)."""
    return 2000.0 + (np.asarray(t, float) - jsoctime.parse_time("2000.01.01_00:00:00_TAI")) / (365.25 * 86400.0)


def _rolling(x, n=60):
    """The 30-day centred running mean of 12-hourly values, as the example and SFT2D take it."""
    import pandas as pd

    return pd.Series(x).rolling(n, min_periods=1, center=True).mean().to_numpy()


@pytest.fixture(scope="module")
def example(emulator):
    d = rs_list(emulator, EXAMPLE, key="T_REC,CAPN2,CAPS2")
    assert d["status"] == 0, d.get("error")
    t = np.array([jsoctime.parse_time(v) for v in values(d, "T_REC")])
    return d, _decimal_year(t), np.array(values(d, "CAPN2"), float), np.array(values(d, "CAPS2"), float)


def test_series_struct_is_meanpf_s(emulator):
    # JSOC's meanpf.c sets these keywords and writes four one-dimensional 180-element double
    # segments; sunpy's attrs.json gives the series note and its 720-s cadence.
    d = info(emulator, op="series_struct", ds="hmi.meanpf_720s")
    assert d["status"] == 0, d.get("error")
    assert d["note"] == "Mean polar field and AR field with a cadence of 720 seconds."
    assert d["primekeys"] == ["T_REC"]
    assert d["primekeysinfo"] == [{"name": "T_REC", "slotted": 1, "step": "720.0"}]
    names = {k["name"] for k in d["keywords"]}
    meanpf = {"T_REC", "DATE", "THRESH", "DA", "QUALITY", "CRLT_OBS", "CRLN_OBS", "CAR_ROT", "OBS_VR",
              "CAPN1", "CAPN2", "CAPS1", "CAPS2", "FLUXN_P", "FLUXN_N", "FLUXS_P", "FLUXS_N",
              "FLATN_P", "FLATN_N", "FLATS_P", "FLATS_N"}
    meanpf |= {f"{p}{h}{k}" for p in ("BAND", "NUM", "W") for h in "NS" for k in "123"}
    assert meanpf <= names
    kinds = {k["name"]: k["type"] for k in d["keywords"]}
    assert {kinds[n] for n in meanpf if n.startswith(("BAND", "CAP", "NUM", "W", "FLUX", "FLAT"))} == {"double"}
    segs = {s["name"]: s for s in d["segments"]}
    assert list(segs) == ["mf_br", "mf_bl", "w", "num"]
    assert {s["type"] for s in segs.values()} == {"double"}
    assert {s["dims"] for s in segs.values()} == {"180"}
    # JSOC's own segment notes (its segment list)
    assert segs["mf_br"]["note"] == "Mean Br in 1 deg latitude bins, weighted average (1/mu)"


def test_example_query_lists_every_12_hours(example):
    d, yr, north, south = example
    t_rec = values(d, "T_REC")
    assert t_rec[0] == "2010.05.01_00:00:00_TAI" and t_rec[-1] == "2016.04.01_00:00:00_TAI"
    # 2162 days, both ends included: 4325 slots; the emulator's short outages miss none of them here
    assert d["count"] == len(t_rec) == 2 * 2162 + 1
    steps = np.diff([jsoctime.parse_time(v) for v in t_rec])
    assert set(steps.tolist()) == {43200.0}
    assert np.isfinite(north).all() and np.isfinite(south).all()


def test_caps_have_the_signs_and_sizes_of_the_real_series(example):
    _, yr, north, south = example
    n30, s30 = _rolling(north), _rolling(south)

    def at(year):
        return int(np.argmin(np.abs(yr - year)))

    # Cycle 23's old polarities at the start (north negative, south positive), a few gauss
    # (the JSOC notebook plots the series within -4..4 G).
    assert -4.5 < n30[at(2010.6)] < -1.5 and 1.5 < s30[at(2010.6)] < 4.5
    # Both near zero while reversing (Sun et al. 2015: north Nov 2012, south Mar 2014)
    assert abs(n30[at(2013.5)]) < 1.0 and abs(s30[at(2014.2)]) < 1.0
    # New polarities in 2016: north positive, south strongly negative
    assert n30[at(2016.1)] > 1.0 and s30[at(2016.1)] < -3.0
    # The north's first sign change of the 30-day mean: late 2012 (Sun et al. 2015: November 2012)
    first = yr[np.nonzero(np.diff(np.sign(n30)))[0][0]]
    assert 2012.6 < first < 2013.2
    # The south changes sign once, in early 2014 (March 2014)
    changes = yr[np.nonzero(np.diff(np.sign(s30)))[0]]
    assert len(changes) == 1 and 2013.9 < changes[0] < 2014.5
    # The yearly B0 wave: the north shows more in September (its tilt towards SDO) than in March
    month = (yr % 1) * 12
    late = yr > 2015.0
    sept = north[late & (month > 8) & (month < 9)].mean()
    march = north[late & (month > 2) & (month < 3)].mean()
    assert sept > march


def _reversal(t, b, window, stick=1.0):
    """SFT2D's detector: the last sign change in the window whose new sign holds for a year."""
    m = (t >= window[0]) & (t <= window[1])
    tt, bb = t[m], b[m]
    s = np.sign(bb)
    best = np.nan
    for i in np.nonzero(np.diff(s))[0]:
        tc = tt[i] + (tt[i + 1] - tt[i]) * (-bb[i]) / (bb[i + 1] - bb[i])
        post = (t > tc) & (t <= tc + stick)
        if post.any() and np.all(np.sign(b[post]) == s[i + 1]):
            best = tc
    return best


def test_reversals_and_plateaus_match_sft2d_measurements(emulator):
    # SFT2D (sr-dash/SFT2D) measured on the real 12-h CAPN2/CAPS2 (30-day means): lasting
    # reversals N 2014.33, S 2014.18, N 2024.33, S 2024.15; plateau extremum over 2016-2023
    # +3.86 G (north) and -4.65 G (south).
    d = rs_list(emulator, "hmi.meanpf_720s[2010.05.01_TAI-2026.07.27_TAI@12h]", key="T_REC,CAPN2,CAPS2")
    assert d["status"] == 0, d.get("error")
    yr = _decimal_year(np.array([jsoctime.parse_time(v) for v in values(d, "T_REC")]))
    n30 = _rolling(np.array(values(d, "CAPN2"), float))
    s30 = _rolling(np.array(values(d, "CAPS2"), float))
    for got, want in ((_reversal(yr, n30, (2011.5, 2016.5)), 2014.33), (_reversal(yr, s30, (2011.5, 2016.5)), 2014.18),
                      (_reversal(yr, n30, (2022.5, 2026.6)), 2024.33), (_reversal(yr, s30, (2022.5, 2026.6)), 2024.15)):
        assert abs(got - want) < 0.2, (got, want)
    plateau = (yr >= 2016) & (yr <= 2023)
    assert abs(n30[plateau].max() - 3.86) < 0.3
    assert abs(s30[plateau].min() + 4.65) < 0.3


def test_caps_obey_meanpf_band_formulas(emulator):
    keys = "CAPN1,CAPN2,CAPS1,CAPS2,BANDN1,BANDN2,BANDN3,BANDS1,BANDS2,BANDS3,WN1,WN2,WN3,WS1,WS2,WS3,NUMN3,DA"
    d = rs_list(emulator, "hmi.meanpf_720s[2013.03.01_TAI-2013.03.02_TAI@6h]", key=keys)
    assert d["status"] == 0 and d["count"] == 5
    v = {k: np.array(values(d, k), float) for k in keys.split(",")}
    for h in "NS":
        b = [v[f"BAND{h}{k}"] * v[f"W{h}{k}"] for k in (1, 2, 3)]
        w = [v[f"W{h}{k}"] for k in (1, 2, 3)]
        np.testing.assert_allclose(v[f"CAP{h}2"], (b[1] + b[2]) / (w[1] + w[2]), rtol=1e-12)
        np.testing.assert_allclose(v[f"CAP{h}1"], (b[0] + b[1] + b[2]) / (w[0] + w[1] + w[2]), rtol=1e-12)
    # a 4096-pixel magnetogram: some 10^4-10^5 pixels at 70-90 deg; pixel area ~0.13 Mm^2 (0.5 arcsec at 1 AU)
    assert (v["NUMN3"] > 1e4).all() and (v["NUMN3"] < 2e5).all()
    assert (abs(v["DA"] - 0.133) < 0.003).all()


def _segment(emulator, ds, seg):
    from astropy.io import fits

    d = rs_list(emulator, ds, key="T_REC", seg=seg)
    assert d["status"] == 0 and d["count"] == 1
    with download(emulator, d["segments"][0]["values"][0]) as r:
        raw = r.read()
    with fits.open(io.BytesIO(raw)) as hdul:
        data = hdul[0].data
        assert hdul[0].header["BITPIX"] == -64
        return np.array(data)


def test_segment_files_are_180_doubles_that_give_the_keywords_back(emulator):
    # March: B0 about -7 deg, the north pole tilted away, so its last bins see no pixel (NaN).
    ds = "hmi.meanpf_720s[2013.03.06_12:00:00_TAI]"
    arrays = {s: _segment(emulator, ds, s) for s in ("mf_br", "mf_bl", "w", "num")}
    for a in arrays.values():
        assert a.shape == (180,) and a.dtype.kind == "f" and a.dtype.itemsize == 8
    br, w, num = arrays["mf_br"], arrays["w"], arrays["num"]
    assert np.isnan(br[179]) and num[179] == 0 and np.isfinite(br[0]) and num[0] > 0
    assert (num == np.round(num)).all() and (w >= num).all()  # weights 1/mu >= 1 per pixel
    d = rs_list(emulator, ds, key="CAPN2,CAPS2,BANDN3,NUMN3")
    cap_n, cap_s, band_n3, num_n3 = (float(values(d, k)[0]) for k in ("CAPN2", "CAPS2", "BANDN3", "NUMN3"))
    ok = num > 0
    north, south, n3 = np.zeros(180, bool), np.zeros(180, bool), np.zeros(180, bool)
    north[150:], south[:30], n3[160:] = True, True, True
    for sel, want in ((north, cap_n), (south, cap_s), (n3, band_n3)):
        m = sel & ok
        assert (br[m] * w[m]).sum() / w[m].sum() == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert num[160:].sum() == num_n3
    # mean Bl is mean Br times the bins' mean mu (< 1 towards the poles)
    assert (np.abs(arrays["mf_bl"][ok]) <= np.abs(br[ok]) + 1e-12).all()


def test_a_plain_six_year_range_is_cut_at_drms_record_limit(emulator):
    # Without @12h the example's range holds one record per 720 s, about 260,000: more than one
    # DRMS query lists (75,000), so JSOC lists the first 75,000 with status 0, while n= keeps within.
    ds = "hmi.meanpf_720s[2010.05.01_TAI-2016.04.01_TAI]"
    d = rs_list(emulator, ds, key="T_REC,CAPN2")
    assert d["status"] == 0 and d["count"] == 75_000
    assert values(d, "T_REC")[-1] < "2012.02"  # 75,000 x 720 s is 625 days: 2012.01.16 from 2010.05.01
    d = rs_list(emulator, ds, key="T_REC,CAPN2", n="5")
    assert d["status"] == 0
    assert values(d, "T_REC") == ["2010.05.01_00:00:00_TAI", "2010.05.01_00:12:00_TAI", "2010.05.01_00:24:00_TAI",
                                  "2010.05.01_00:36:00_TAI", "2010.05.01_00:48:00_TAI"]
    # a year, as a public script asks for it (hmi.meanpf_720s[<year>][? QUALITY=0 ?]), is listed whole
    d = rs_list(emulator, "hmi.meanpf_720s[2011.01.01_TAI-2011.03.01_TAI]", key="T_REC")
    assert d["status"] == 0 and d["count"] > 0.99 * (59 * 120 + 1)


def test_fits_export_is_the_public_file(emulator):
    # A public script opens hmi.meanpf_720s.20170108_192400_TAI.mf_br.fits and reads
    # hdul[0].data; another reads BANDN3 from hdul[0].header of such files: the export holds
    # the 180 values in its primary HDU, with the record's keywords.
    from astropy.io import fits

    ds = "hmi.meanpf_720s[2017.01.08_19:24:00_TAI]"
    d = fetch(emulator, op="exp_request", format="json", ds=ds + "{mf_br}", notify="user@example.org",
              method="url", protocol="fits", filenamefmt="hmi.meanpf_720s.{T_REC:A}.{segment}")
    assert d["status"] in (0, 1, 2), d
    for _ in range(5):  # the shared emulator has no staging delay: done within a poll or two
        s = fetch(emulator, op="exp_status", requestid=d["requestid"])
        if str(s["status"]) == "0":
            break
    assert str(s["status"]) == "0", s
    assert [x["filename"] for x in s["data"]] == ["hmi.meanpf_720s.20170108_192400_TAI.mf_br.fits"]
    with download(emulator, f"{s['dir']}/{s['data'][0]['filename']}") as r:
        raw = r.read()
    want = rs_list(emulator, ds, key="BANDN3,CAPN2")
    with fits.open(io.BytesIO(raw)) as hdul:
        assert hdul[0].data.shape == (180,)
        assert hdul[0].header["BANDN3"] == float(values(want, "BANDN3")[0])
        assert hdul[0].header["CAPN2"] == float(values(want, "CAPN2")[0])
