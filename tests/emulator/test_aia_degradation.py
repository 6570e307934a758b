"""
AIA image levels decline as the real instrument's did (issue 9, "plausible values").

Before, the emulator's AIA ``DATAMEAN`` was the same in every year, so aiapy's
``correct_degradation.py`` example, which divides ``DATAMEAN`` by the degradation factor it
computes from ``aia.response``, drew a "corrected" curve that rose. Here the factor is computed
in the test, from the records the emulator's own ``aia.response`` serves (the real version-10
table, evidence.AIA_RESPONSE_V10) with the formula aiapy documents for
``aiapy.calibrate.degradation`` (SolarSoft's aia_bp_corrections.pro)::

    EFF_AREA(epoch) / EFF_AREA(first epoch) * (1 + P1 dt + P2 dt^2 + P3 dt^3),  dt in days

and the emulator's levels divided by it must be constant: flat, as real corrected data is.
"""

from __future__ import annotations

import numpy as np
import pytest

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.catalog import load_catalog
from sunpy_jsocx.emulator.evidence import AIA_STATS
from sunpy_jsocx.emulator.records import RecordStore

NOW = jsoctime.parse_time("2025.06.01_00:00:00_TAI")
#: The per-record spread of the emulator's AIA DATAMEAN around its level (+-1 %).
SPREAD = 0.0101


@pytest.fixture(scope="module")
def store():
    return RecordStore(load_catalog(), seed=3, offline_before=0.0, now=lambda: NOW)


@pytest.fixture(scope="module")
def response(store):
    """The aia.response records the emulator serves, as aiapy's get_correction_table("jsoc") reads them."""
    (b,) = store.resolve("aia.response")
    cols = ("T_START", "T_STOP", "WAVE_STR", "VER_NUM", "EFF_AREA", "EFFA_P1", "EFFA_P2", "EFFA_P3")
    return {c: np.asarray(store.values(b, c)) for c in cols}


def degradation(response, wavelength, t):
    """aiapy's documented correction factor, written here from its formula (version 10)."""
    wave = f"{wavelength}" if wavelength in (1600, 1700, 4500) else f"{wavelength}_THIN"
    sel = (response["WAVE_STR"] == wave) & (response["VER_NUM"].astype(int) == 10)
    start, stop = (np.array([jsoctime.parse_time(str(x)) for x in response[k][sel]]) for k in ("T_START", "T_STOP"))
    order = np.argsort(start)
    area = response["EFF_AREA"][sel].astype(float)
    first = area[order[0]]
    out = []
    for ti in np.atleast_1d(t):
        (k,) = np.nonzero((start <= ti) & (ti < stop))
        k = k[-1]
        dt = (ti - start[k]) / 86400.0
        p1, p2, p3 = (float(response[c][sel][k]) for c in ("EFFA_P1", "EFFA_P2", "EFFA_P3"))
        out.append(area[k] / first * (1 + p1 * dt + p2 * dt ** 2 + p3 * dt ** 3))
    return np.array(out)


def _series(store, ds):
    (b,) = store.resolve(ds)
    assert len(b), ds
    return b, {k: np.asarray(store.values(b, k), dtype=float)
               for k in ("T_REC", "DATAMEAN", "DATAMEDN", "DATAMIN", "DATAMAX", "DATAP25", "DATAP75", "DATAP99")}


@pytest.mark.parametrize("wavelength", [94, 131, 171, 193, 211, 304, 335])
def test_euv_levels_corrected_by_the_response_table_are_flat(store, response, wavelength):
    # drms/aiapy practice: one record a month over the mission (the example samples weekly)
    _, v = _series(store, f"aia.lev1_euv_12s[2010.06.01_00:00:00_TAI-2020.06.01_00:00:00_TAI@30d][{wavelength}]")
    corrected = v["DATAMEAN"] / degradation(response, wavelength, v["T_REC"])
    level = np.median(corrected)
    assert np.all(np.abs(corrected / level - 1) <= 2 * SPREAD), wavelength
    # and the uncorrected level really declines where the table says the channel lost sensitivity
    early, late = v["DATAMEAN"][:6].mean(), v["DATAMEAN"][-6:].mean()
    expected = degradation(response, wavelength, v["T_REC"][-6:]).mean() / \
        degradation(response, wavelength, v["T_REC"][:6]).mean()
    assert late / early == pytest.approx(expected, rel=0.02)


def test_the_decline_is_large_where_the_real_channels_lost_most(store):
    """335 and 304 lost most of their throughput (aiapy's example chooses 335 for that)."""
    for wavelength, dates in ((335, ("2011.01.01", "2020.01.01")), (304, ("2011.01.01", "2020.01.01"))):
        a = _series(store, f"aia.lev1_euv_12s[{dates[0]}_00:00:00_TAI][{wavelength}]")[1]["DATAMEAN"][0]
        z = _series(store, f"aia.lev1_euv_12s[{dates[1]}_00:00:00_TAI][{wavelength}]")[1]["DATAMEAN"][0]
        assert z < 0.35 * a, wavelength


def test_uv_levels_follow_the_table_too(store, response):
    _, v = _series(store, "aia.lev1_uv_24s[2010.06.01_00:00:00_TAI-2020.06.01_00:00:00_TAI@90d][1600]")
    corrected = v["DATAMEAN"] / degradation(response, 1600, v["T_REC"])
    assert np.all(np.abs(corrected / np.median(corrected) - 1) <= 2 * SPREAD)


@pytest.mark.parametrize(("ds", "wavelength"), [("aia.lev1_euv_12s[2011.02.15_00:00:01_UTC][171]", 171),
                                                ("aia.lev1_euv_12s[2014.01.01_00:00:01_UTC][304]", 304)])
def test_recorded_levels_stay_at_their_own_dates(store, ds, wavelength):
    """[aia171] DATAMEAN 250.34 on 2011-02-15; [cass304] 27.95..28.00 on 2014-01-01."""
    _, v = _series(store, ds)
    assert v["DATAMEAN"][0] == pytest.approx(AIA_STATS[wavelength]["mean"], rel=SPREAD)


def test_statistics_follow_the_mean_and_keep_their_order(store):
    _, a = _series(store, "aia.lev1_euv_12s[2011.01.01_00:00:00_TAI/1h@12m][211]")
    _, z = _series(store, "aia.lev1_euv_12s[2020.01.01_00:00:00_TAI/1h@12m][211]")
    ratio = z["DATAMEAN"].mean() / a["DATAMEAN"].mean()
    assert ratio < 0.5
    for key in ("DATAMAX", "DATAP99"):  # the bright tail dims with the channel
        assert z[key].mean() / a[key].mean() == pytest.approx(ratio, rel=0.05), key
    for v in (a, z):
        assert np.all(v["DATAMIN"] <= v["DATAMEDN"]) and np.all(v["DATAMEAN"] <= v["DATAMAX"])
        assert np.all(v["DATAP25"] <= v["DATAMEDN"]) and np.all(v["DATAMEDN"] <= v["DATAP75"])


def test_channels_without_version_10_calibration_stay_level(store):
    """4500 is calibrated only to version 3 (aiapy caps it there); the emulator holds no such rows."""
    _, v = _series(store, "aia.lev1_vis_1h[2010.06.01_00:00:00_TAI-2020.06.01_00:00:00_TAI@365d]")
    assert np.ptp(v["DATAMEAN"]) / v["DATAMEAN"].mean() <= 2 * SPREAD


def test_served_images_dim_as_their_keywords_do(tmp_path):
    """The files the emulator serves follow DATAMEAN's decline (not only the keywords)."""
    import io
    import urllib.request

    from astropy.io import fits

    from sunpy_jsocx.emulator import JSOCEmulator
    from sunpy_jsocx.transport import connection

    means, datamean = {}, {}
    with JSOCEmulator(image_size=64) as emu:
        conn = connection(emu.url)
        for year in ("2011", "2020"):
            answer = conn.rs_list(f"aia.lev1_euv_12s[{year}.06.01_00:00:00_TAI/1m][335]", key=["DATAMEAN"],
                                  seg=["image"])
            datamean[year] = np.mean([float(v) for v in answer["keywords"][0]["values"]])
            pixels = []
            for path in answer["segments"][0]["values"]:
                with urllib.request.urlopen(emu.url + path.lstrip("/")) as r, fits.open(io.BytesIO(r.read())) as h:
                    pixels.append(float(np.nanmedian(h[-1].data)))  # (the median: active regions vary)
            means[year] = np.mean(pixels)
    keyword_ratio = datamean["2020"] / datamean["2011"]
    assert keyword_ratio < 0.35  # 335 lost most of its sensitivity (test above)
    assert means["2020"] / means["2011"] == pytest.approx(keyword_ratio, rel=0.25)
