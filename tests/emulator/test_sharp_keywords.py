"""
SHARP summary keywords follow a region's life and the relations of real SHARP records.

Before issue 9 point 3 the SHARP indices (USFLUX, TOTUSJH, MEANGAM...) were uniform noise
from 0 to 100, so a time series plotted as noise. The levels checked here are those of the
real records in :data:`sunpy_jsocx.emulator.sharp.SHARP_RECORDS` (sunpy's test headers and
two public tables of hmi.sharp_720s records).
"""

from __future__ import annotations

import numpy as np
import pytest

from sunpy_jsocx.emulator.sharp import SHARP_KEYWORDS, SHARP_RECORDS, sharp_keywords

DAY = 86400.0


def _life(harp, days, *, step=720.0):
    t = np.arange(0.0, days * DAY + 1.0, step) + 1.0e9
    n = t.size
    return t, sharp_keywords(np.full(n, harp), t, np.full(n, t[0]), np.full(n, days * DAY))


@pytest.mark.parametrize("harp", [377, 3604, 4864, 7115])
def test_a_long_lived_region_grows_then_decays_smoothly(harp):
    t, kw = _life(harp, 12.0)
    flux = kw["USFLUX"]
    peak = int(np.argmax(flux))
    assert 0.15 * flux.size < peak < 0.75 * flux.size  # the peak is inside the life
    assert flux[0] < 0.3 * flux[peak]  # born small
    assert flux[-1] < 0.9 * flux[peak]  # decays after the peak
    # Smooth from one 12-minute record to the next, as real series are (uniform noise
    # from 0 to 100 jumps by ~33% of its range on average).
    for name in ("USFLUX", "TOTUSJH", "TOTPOT", "MEANGAM", "MEANSHR", "AREA_ACR"):
        v = np.abs(kw[name])
        step = np.abs(np.diff(v)) / v[:-1]
        assert np.median(step) < 0.02, name
        assert step.max() < 0.08, name


def test_every_keyword_is_given_with_one_value_a_record():
    t, kw = _life(4864, 3.0)
    assert set(kw) == SHARP_KEYWORDS
    for name, v in kw.items():
        assert v.shape == t.shape, name
        assert np.all(np.isfinite(v)), name
    assert kw["NPIX"].dtype.kind == "i" and kw["NACR"].dtype.kind == "i"


def _random_harps(seed: int, n: int, shortest_life_days: float):
    """``n`` random HARPs (number, time, birth, lifetime) seen at a random moment of their lives."""
    rng = np.random.default_rng(seed)
    harp = rng.integers(1, 12000, n)
    life = rng.uniform(shortest_life_days, 16.0, n) * DAY
    born = rng.uniform(3e8, 1e9, n)
    return harp, born + rng.uniform(0, 1, n) * life, born, life


def test_relations_of_the_real_records_hold():
    kw = sharp_keywords(*_random_harps(1, 4000, 0.3), seed=3)
    flux = kw["USFLUX"]
    # USFLUX per mH of AREA_ACR: 4.69e19 [sharp], [dabench]; 6.05e19 [solarsae].
    assert np.all((flux / kw["AREA_ACR"] > 4.3e19) & (flux / kw["AREA_ACR"] < 6.6e19))
    # TOTUSJZ / USFLUX 8.7e-10 .. 9.7e-10, TOTUSJH / USFLUX 3.7e-20 .. 4.4e-20 (all three records).
    assert np.all((kw["TOTUSJZ"] / flux > 7.5e-10) & (kw["TOTUSJZ"] / flux < 1.1e-9))
    assert np.all((kw["TOTUSJH"] / flux > 3.0e-20) & (kw["TOTUSJH"] / flux < 5.2e-20))
    assert np.all(kw["ABSNJZH"] <= kw["TOTUSJH"]) and np.all(kw["SAVNCPP"] <= kw["TOTUSJZ"])
    # Patch definitions: MMEAN = MNET / NPIX ([sharp], [bharp]); active pixels inside the patch.
    np.testing.assert_allclose(kw["MMEAN"], kw["MNET"] / kw["NPIX"])
    assert np.all(kw["NACR"] <= kw["NPIX"]) and np.all(kw["SIZE_ACR"] <= kw["SIZE"])
    assert np.all(np.abs(kw["MNET"]) <= kw["MTOT"])
    # Angles and percentages inside their domains; helicity and twist share their sign.
    assert np.all((kw["MEANGAM"] > 0) & (kw["MEANGAM"] < 90) & (kw["MEANSHR"] > 0) & (kw["MEANSHR"] < 90))
    assert np.all((kw["SHRGT45"] >= 0) & (kw["SHRGT45"] <= 100))
    assert np.all(np.sign(kw["MEANALP"]) == np.sign(kw["MEANJZH"]))
    assert np.all(kw["R_VALUE"] >= 0)


@pytest.mark.parametrize("record", ["sharp", "dabench", "solarsae"])
def test_regions_of_a_real_records_area_have_its_values(record):
    real = SHARP_RECORDS[record]
    kw = sharp_keywords(*_random_harps(7, 200_000, 4.0))
    near = np.abs(kw["AREA_ACR"] / real["AREA_ACR"] - 1) < 0.05
    assert near.sum() > 100
    for name, tolerance in (("USFLUX", 0.25), ("TOTUSJZ", 0.3), ("TOTUSJH", 0.3), ("TOTPOT", 0.5),
                            ("MEANPOT", 0.5), ("MEANGAM", 0.25), ("MEANGBT", 0.25), ("MEANSHR", 0.25)):
        typical = np.median(np.abs(kw[name][near]))
        assert abs(typical / real[name] - 1) < tolerance, (name, typical, real[name])
    # R_VALUE: 0 for the small regions, about 3.3 for the 6.5e21 Mx one.
    typical_r = np.median(kw["R_VALUE"][near])
    assert (typical_r < 0.5) if real["R_VALUE"] == 0 else abs(typical_r - real["R_VALUE"]) < 1.0


def test_mature_regions_reach_real_active_region_fluxes():
    t, kw = _life(7115, 12.0)
    assert 1e21 < kw["USFLUX"].max() < 1e23
    t, kw = _life(4864, 0.5)  # a short-lived patch stays small
    assert kw["USFLUX"].max() < 2e21


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        sharp_keywords(np.array([1, 2]), np.array([0.0]), np.array([0.0]), np.array([1.0]))


def test_a_cea_patch_is_fixed_in_carrington_longitude_and_as_wide_as_its_region():
    from sunpy_jsocx.emulator.sharp import cea_patch_wcs

    t = np.arange(0.0, 8 * DAY, 3600.0) + 1.0e9
    n = t.size
    h, born, life = np.full(n, 4864), np.full(n, t[0]), np.full(n, 10 * DAY)
    crln_obs = np.mod(200.0 - 13.2 * (t - t[0]) / DAY, 360.0)  # the observer's longitude falls
    wcs = cea_patch_wcs(h, t, born, life, crln_obs, 128)
    # the region rotates with the Sun: its Carrington longitude stays (within a degree)
    drift = np.mod(wcs["CRVAL1"] - wcs["CRVAL1"][0] + 180.0, 360.0) - 180.0
    assert np.abs(drift).max() < 1.0
    assert np.all(np.abs(wcs["CRVAL2"]) <= 30.0)
    # [sharp]'s CEA box is 20.7 deg wide; patches are 3 .. 40 deg, never finer than JSOC's 0.03 deg
    width = wcs["CDELT1"] * 128
    assert np.all((width >= 3.0) & (width <= 40.0)) and np.all(wcs["CDELT1"] >= 0.03)
    np.testing.assert_array_equal(wcs["CRPIX1"], 64.5)
    with pytest.raises(ValueError, match="positive"):
        cea_patch_wcs(h, t, born, life, crln_obs, 0)


def test_projected_areas_shrink_towards_the_limb():
    t, kw = _life(7115, 12.0)
    ratio = kw["SIZE_ACR"] / kw["AREA_ACR"]
    lon = kw["LON_FWT"]
    # [solarsae] at 78 deg E: SIZE_ACR / AREA_ACR = 0.31; at disk centre the two agree
    assert ratio[np.argmin(np.abs(lon))] > 0.85
    assert np.all(ratio[np.abs(lon) > 75] < 0.35)
