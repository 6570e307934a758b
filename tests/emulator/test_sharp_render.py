"""
A CEA SHARP patch shows its HARP's bipolar region, as large as the record's keywords say.

Before issue 9 point 3 a SHARP's spots were sized by the image's angular width alone and the
patch also held the full-disk model's unrelated regions, so the drawn flux had nothing to do
with the record's ``USFLUX``.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from astropy.io import fits

from sunpy_jsocx.emulator.render import render_asis

SIZE = 128
R_SUN_CM = 6.96e10


def _keywords(usflux, area_acr, width_deg=20.7):
    # The CEA WCS of sunpy's hmi_cea_sharp_magnetogram.header (HARP 11465), on SIZE pixels.
    return {"CTYPE1": "CRLN-CEA", "CTYPE2": "CRLT-CEA", "CUNIT1": "degree", "CUNIT2": "degree",
            "CRPIX1": str((SIZE + 1) / 2), "CRPIX2": str((SIZE + 1) / 2), "CRVAL1": "-27.39", "CRVAL2": "5.34",
            "CDELT1": str(width_deg / SIZE), "CDELT2": str(width_deg / SIZE), "CRLN_OBS": "25.17",
            "CRLT_OBS": "2.5", "T_REC": "2024.06.28_00:00:00_TAI", "HARPNUM": "11465",
            "USFLUX": str(usflux), "AREA_ACR": str(area_acr)}


def _br(kw, seed=5):
    raw = render_asis("hmi.sharp_cea_720s", "Br", kw, size=SIZE, kind="vector-other", seed=seed)
    with fits.open(io.BytesIO(raw)) as hdul:
        return hdul[1].data.astype(float)


def _flux(br, kw):
    # CEA pixels have equal areas: R^2 dlon d(sin lat), both CDELTs in degrees.
    da = R_SUN_CM ** 2 * math.radians(float(kw["CDELT1"])) * math.radians(float(kw["CDELT2"]))
    strong = np.abs(br) > 100.0  # above the noise (20 G rms)
    return float(np.abs(br[strong]).sum() * da)


@pytest.mark.parametrize(("usflux", "area"), [(1.99282158e21, 42.48), (6.51e21, 107.6), (2.0e22, 400.0)])
def test_drawn_flux_is_the_records_usflux(usflux, area):
    # [sharp] (HARP 11465), [solarsae] (HARP 1) and a large region.
    kw = _keywords(usflux, area)
    assert _flux(_br(kw), kw) == pytest.approx(usflux, rel=0.35)


def test_a_larger_region_covers_more_pixels():
    small = _br(_keywords(2e21, 42.0))
    large = _br(_keywords(2e22, 400.0))
    assert (np.abs(large) > 200).sum() > 4 * (np.abs(small) > 200).sum()


def test_peak_field_is_that_of_a_real_sharp_magnetogram():
    # sunpy's hmi_cea_sharp_magnetogram.header: DATAMIN -442.4, DATAMAX 562.6 G for HARP 11465.
    br = _br(_keywords(1.99282158e21, 42.48))
    assert 300 < br.max() < 1500 and -1500 < br.min() < -300


def test_a_cea_patch_holds_only_its_own_region():
    br = _br(_keywords(1.99282158e21, 42.48))
    ys, xs = np.nonzero(np.abs(br) > 150)
    centre = (SIZE - 1) / 2
    # every strong pixel belongs to the HARP's region at the patch centre
    assert np.hypot(xs - centre, ys - centre).max() < 0.25 * SIZE


@pytest.mark.parametrize("harp", [377, 4864, 7115])
def test_a_ccd_patch_is_centred_on_its_harp(harp):
    # hmi.sharp_720s: CRVAL = 0 and CRPIX the disk centre in patch pixels, far outside the
    # patch, as in sunpy's hmi_sharp_magnetogram.header (CRPIX1 -1238, CROTA2 180.01).
    from sunpy_jsocx.emulator.sharp import ccd_patch_wcs, render_patch, sharp_keywords

    day = 86400.0
    t, born, life = np.array([1.0e9 + 3 * day]), np.array([1.0e9]), np.array([8 * day])
    h = np.array([harp])
    wcs = ccd_patch_wcs(h, t, born, life, np.array([960.0]), np.array([3.0]), np.array([180.01]), SIZE)
    kw = sharp_keywords(h, t, born, life)
    keywords = {k: str(float(v[0])) for k, v in {**wcs, **kw}.items()}
    keywords.update(CTYPE1="HPLN-TAN", CTYPE2="HPLT-TAN", CROTA2="180.01", RSUN_OBS="960.0", CRLT_OBS="3.0",
                    CRLN_OBS="100.0", T_REC="2014.01.01_00:00:00_TAI", HARPNUM=str(harp))
    shape = (int(wcs["NAXIS1"][0]), int(wcs["NAXIS2"][0]))  # the HARP's box, as the server draws it
    raw = render_patch("hmi.sharp_720s", "magnetogram", keywords, shape, kind="magnetogram", seed=1)
    with fits.open(io.BytesIO(raw)) as hdul:
        data = hdul[1].data.astype(float)
    assert data.shape == shape[::-1]
    assert abs(float(wcs["CRPIX1"][0])) > SIZE or abs(float(wcs["CRPIX2"][0])) > SIZE / 4
    ys, xs = np.nonzero(np.abs(data) > 0.5 * np.abs(data).max())
    assert len(xs) > 3
    (nx, ny) = shape
    assert abs(xs.mean() - (nx - 1) / 2) < 0.2 * nx and abs(ys.mean() - (ny - 1) / 2) < 0.2 * ny
