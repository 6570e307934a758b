"""Tests for the synthetic segment files drawn by `sunpy_jsocx.emulator.render`."""

from __future__ import annotations

import io
import math
import re
import warnings

import numpy as np
import pytest
from astropy.io import fits

from sunpy_jsocx.emulator.render import KINDS, render_asis, scaled_wcs, segment_kind

# HMI and AIA at 2014-01-01 00:00 UTC, values of the real ephemeris (sunpy.coordinates.sun):
# L0 = 189.41 deg, B0 = -3.005 deg, 975.47 arcsec solar radius.
HMI_FULL = {
    "T_REC": "2014.01.01_00:00:45_TAI", "T_OBS": "2014.01.01_00:00:45_TAI",
    "CRPIX1": "2048.5", "CRPIX2": "2050.0", "CDELT1": "0.504365", "CDELT2": "0.504365",
    "CROTA2": "180.08", "RSUN_OBS": "975.47", "CRLN_OBS": "189.41", "CRLT_OBS": "-3.005",
    "CTYPE1": "HPLN-TAN", "CTYPE2": "HPLT-TAN", "TELESCOP": "SDO/HMI",
}
AIA_FULL = {
    "T_OBS": "2014-01-01T00:00:08.57Z", "CRPIX1": "2048.5", "CRPIX2": "2048.5",
    "CDELT1": "0.600109", "CDELT2": "0.600109", "CROTA2": "0.0", "RSUN_OBS": "975.47", "R_SUN": "1625.5",
    "CRLN_OBS": "189.41", "CRLT_OBS": "-3.005", "EXPTIME": "2.0", "WAVELNTH": "171", "TELESCOP": "SDO/AIA",
}
# Keywords one CARD of a minimal stored header may have (structural, compression, scaling, checksums).
# Structural and compression cards, plus the pixel WCS and DATE-OBS the stored file carries
# so that sunpy.map.Map opens as-is files.
MINIMAL = re.compile(
    r"(SIMPLE|BITPIX|NAXIS\d*|EXTEND|XTENSION|PCOUNT|GCOUNT|TFIELDS|TTYPE\d|TFORM\d|Z[A-Z]+\d*|BLANK|BZERO|BSCALE"
    r"|CHECKSUM|DATASUM|CTYPE[12]|CUNIT[12]|CRPIX[12]|CRVAL[12]|CDELT[12]|CROTA2|DATE-OBS)"
)


def at_size(full: dict, size: int, **extra) -> dict:
    """Keywords of a full-resolution record rescaled to a ``size``-pixel image."""
    kw = dict(full)
    kw.update({k: repr(v) for k, v in scaled_wcs(full, size).items()})
    kw.update(extra)
    return kw


def image(raw: bytes, *, scaled: bool = True) -> np.ndarray:
    with fits.open(io.BytesIO(raw), do_not_scale_image_data=not scaled) as hdul:
        return np.array(hdul[1].data)


def disk_mask(raw: bytes) -> np.ndarray:
    return np.isfinite(image(raw))


# ---------------------------------------------------------------------------------------------
# File structure
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "bitpix"), [
    ("magnetogram", 32), ("dopplergram", 32), ("continuum", 32), ("linewidth", 32), ("linedepth", 32),
    ("euv", 16), ("uv", 16), ("vis", 16), ("inclination", 32), ("azimuth", 32), ("field", 32),
    ("disambig", 8), ("vector-other", 32), ("bitmap", 8), ("generic", 32),
])
def test_image_kinds_are_rice_compressed_with_a_minimal_header(kind, bitpix, header_cards):
    kw = at_size(AIA_FULL if kind in ("euv", "uv", "vis") else HMI_FULL, 48)
    raw = render_asis("x.series", "seg", kw, size=48, kind=kind, seed=1)
    with fits.open(io.BytesIO(raw)) as hdul:
        assert len(hdul) == 2
        assert hdul[0].data is None
        assert isinstance(hdul[1], fits.CompImageHDU)
        assert hdul[1].compression_type == "RICE_1"
        assert hdul[1].data.shape == (48, 48)
    keys = [c[:8].strip() for c in header_cards(raw)]
    assert keys[0] == "XTENSION"
    assert all(MINIMAL.fullmatch(k) for k in keys), keys
    assert f"ZBITPIX = {bitpix:>20}" in "".join(header_cards(raw))


def test_scaling_follows_the_series_keywords():
    kw = at_size(HMI_FULL, 32, continuum_bzero="97304", continuum_bscale="3")
    raw = render_asis("hmi.Ic_45s", "continuum", kw, size=32, kind="continuum", seed=1)
    with fits.open(io.BytesIO(raw), disable_image_compression=True) as hdul:
        # The stored table's header: ZBITPIX is the integer type of the pixels. (Reading the
        # stored integers through do_not_scale_image_data is version-dependent: astropy 6.1
        # still scales a compressed HDU.)
        table = hdul[1].header
        assert table["ZBITPIX"] == 32
        assert (table["BZERO"], table["BSCALE"], table["BLANK"]) == (97304.0, 3.0, -2147483648)
    physical = image(raw)
    on = np.isfinite(physical)
    assert on.any() and (~on).any()
    steps = (physical[on] - 97304.0) / 3.0  # every stored value is BZERO + BSCALE * integer
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    assert np.abs(steps).max() < 2**31


def test_full_disk_dopplergrams_of_hmi_v_series_are_shorts(header_cards):
    kw = at_size(HMI_FULL, 32)
    raw = render_asis("hmi.V_45s", "Dopplergram", kw, size=32, kind="dopplergram", seed=1)
    assert "ZBITPIX =                   16" in "".join(header_cards(raw))


def test_stored_files_carry_valid_checksums():
    raw = render_asis("hmi.M_45s", "magnetogram", at_size(HMI_FULL, 32), size=32, kind="magnetogram", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(io.BytesIO(raw), checksum=True) as hdul:
            hdul[1].data  # noqa: B018
    i = raw.index(b"CHECKSUM= '") + 11
    corrupted = raw[:i] + (b"A" if raw[i:i + 1] != b"A" else b"B") + raw[i + 1:]
    with pytest.warns(UserWarning, match="Checksum verification failed"), \
            fits.open(io.BytesIO(corrupted), checksum=True):
        pass


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "text"])
def test_same_arguments_give_the_same_bytes(kind):
    kw = at_size(AIA_FULL if kind in ("euv", "uv", "vis") else HMI_FULL, 40)
    first = render_asis("x.series", "seg", kw, size=40, kind=kind, seed=11)
    assert render_asis("x.series", "seg", dict(kw), size=40, kind=kind, seed=11) == first


@pytest.mark.parametrize("kind", ["magnetogram", "continuum", "euv", "azimuth", "text"])
def test_seed_changes_the_file(kind):
    kw = at_size(AIA_FULL if kind == "euv" else HMI_FULL, 40)
    segment = "rot.2d" if kind == "text" else "seg"
    assert (render_asis("x", segment, kw, size=40, kind=kind, seed=1)
            != render_asis("x", segment, kw, size=40, kind=kind, seed=2))


def test_seed_changes_noise_but_not_active_regions():
    kw = at_size(HMI_FULL, 128)
    a = image(render_asis("hmi.M_45s", "magnetogram", kw, size=128, kind="magnetogram", seed=1))
    b = image(render_asis("hmi.M_45s", "magnetogram", kw, size=128, kind="magnetogram", seed=2))
    strong_a, strong_b = np.abs(np.nan_to_num(a)) > 300, np.abs(np.nan_to_num(b)) > 300
    assert strong_a.sum() > 20
    assert (strong_a == strong_b).mean() > 0.995
    assert np.nanstd(a - b) > 5  # independent noise


# ---------------------------------------------------------------------------------------------
# Geometry: the disk is where the keywords say
# ---------------------------------------------------------------------------------------------


def test_disk_centre_and_radius_follow_crpix_and_rsun():
    size, crpix1, crpix2, radius = 128, 70.5, 58.0, 40.0
    kw = {"CRPIX1": str(crpix1), "CRPIX2": str(crpix2), "CDELT1": "2.0", "CDELT2": "2.0",
          "RSUN_OBS": str(2.0 * radius)}
    on = disk_mask(render_asis("hmi.M_45s", "magnetogram", kw, size=size, kind="magnetogram", seed=3))
    rows, cols = np.nonzero(on)
    assert cols.mean() == pytest.approx(crpix1 - 1, abs=0.2)  # FITS pixels are 1-based
    assert rows.mean() == pytest.approx(crpix2 - 1, abs=0.2)
    assert on.sum() == pytest.approx(math.pi * radius**2, rel=0.02)


def test_disk_radius_falls_back_to_r_sun_in_pixels():
    kw = {"CRPIX1": "32.5", "CRPIX2": "32.5", "R_SUN": "20", "RSUN_OBS": "975.0"}
    on = disk_mask(render_asis("x", "s", kw, size=64, kind="generic", seed=3))
    assert on.sum() == pytest.approx(math.pi * 20**2, rel=0.03)


def test_scaled_wcs_keeps_pixel_edges_and_the_disk_size_in_pixels():
    full = {"CRPIX1": "2048.5", "CRPIX2": "2040.5", "CDELT1": "0.504365", "CDELT2": "0.504365", "R_SUN": "1934.0"}
    out = scaled_wcs(full, 256)
    assert out["CRPIX1"] == pytest.approx(128.5)
    assert out["CRPIX2"] == pytest.approx((2040.5 - 0.5) / 16 + 0.5)
    assert out["CDELT1"] == pytest.approx(0.504365 * 16)
    assert out["R_SUN"] == pytest.approx(1934.0 / 16)
    assert scaled_wcs(full, 4096)["CRPIX1"] == pytest.approx(2048.5)
    with pytest.raises(ValueError, match="sizes must be positive"):
        scaled_wcs(full, 0)


def test_scaled_wcs_defaults_describe_a_centred_disk():
    out = scaled_wcs({"RSUN_OBS": "975.0", "R_SUN": "1625.0"}, 128)
    assert out["CRPIX1"] == out["CRPIX2"] == pytest.approx(64.5)
    assert out["CDELT1"] == pytest.approx(975.0 / 1625.0 * 32)
    assert scaled_wcs({"TELESCOP": "SDO/HMI"}, 4096)["CDELT1"] == pytest.approx(0.504)


def test_a_4096_pixel_image_renders():
    kw = at_size(HMI_FULL, 4096)
    data = image(render_asis("hmi.M_45s", "magnetogram", kw, size=4096, kind="magnetogram", seed=1))
    assert data.shape == (4096, 4096)
    assert np.isfinite(data[2049, 2047])
    assert np.isnan(data[0, 0])


def test_cea_maps_are_all_on_disk_and_show_the_harp_region():
    kw = {"CTYPE1": "CRLN-CEA", "CTYPE2": "CRLT-CEA", "CUNIT1": "degree", "CUNIT2": "degree",
          "CRPIX1": "32.5", "CRPIX2": "32.5", "CDELT1": "0.12", "CDELT2": "0.12", "CRVAL1": "199.4",
          "CRVAL2": "12.0", "CRLN_OBS": "189.41", "CRLT_OBS": "-3.005", "HARPNUM": "3604",
          "T_OBS": "2014.01.01_00:00:45_TAI"}
    br = image(render_asis("hmi.sharp_cea_720s", "Br", kw, size=64, kind="vector-other", seed=2))
    assert np.isfinite(br).all()
    assert br.max() > 500
    assert br.min() < -500


# ---------------------------------------------------------------------------------------------
# Looks
# ---------------------------------------------------------------------------------------------


def test_magnetogram_is_signed_gauss_with_blank_off_disk():
    kw = at_size(HMI_FULL, 128)
    raw = render_asis("hmi.M_45s", "magnetogram", kw, size=128, kind="magnetogram", seed=4)
    data = image(raw)
    assert np.isnan(data[0, 0])
    assert np.isnan(data[-1, -1])
    quiet = data[np.isfinite(data) & (np.abs(np.nan_to_num(data)) < 100)]
    assert abs(np.median(quiet)) < 5
    assert 3 < quiet.std() < 40
    assert np.nanmax(data) > 500
    assert np.nanmin(data) < -500


@pytest.mark.parametrize(("crota2", "west_on_left"), [("180.0", True), ("0.0", False)])
def test_dopplergram_west_limb_recedes(crota2, west_on_left):
    kw = at_size(HMI_FULL, 96, CROTA2=crota2)
    data = image(render_asis("hmi.V_45s", "Dopplergram", kw, size=96, kind="dopplergram", seed=5))
    left, right = np.nanmean(data[:, :40]), np.nanmean(data[:, 56:])
    assert (left > right) == west_on_left
    assert abs(left - right) > 1000


def test_dopplergram_includes_the_observer_velocity():
    kw = at_size(HMI_FULL, 64)
    still = image(render_asis("hmi.V_45s", "Dopplergram", kw, size=64, kind="dopplergram", seed=5))
    kw["OBS_VR"] = "-1500.0"
    moving = image(render_asis("hmi.V_45s", "Dopplergram", kw, size=64, kind="dopplergram", seed=5))
    assert np.nanmean(moving - still) == pytest.approx(-1500.0, abs=1.0)


def test_continuum_is_limb_darkened_with_dark_spots():
    kw = at_size(HMI_FULL, 256)
    data = image(render_asis("hmi.Ic_45s", "continuum", kw, size=256, kind="continuum", seed=6))
    centre = np.nanmedian(data[118:138, 118:138])
    yy, xx = np.mgrid[:256, :256]
    r = np.hypot(xx - 127.5, yy - 127.5 - 0.09)
    near_limb = np.nanmedian(data[(r > 110) & (r < 114)])
    assert 50000 < centre < 70000
    assert near_limb < 0.75 * centre
    assert np.nanmin(data) < 0.5 * centre  # umbrae


def test_euv_corona_extends_past_the_limb_and_decays():
    kw = at_size(AIA_FULL, 256)
    data = image(render_asis("aia.lev1_euv_12s", "image", kw, size=256, kind="euv", seed=7))
    yy, xx = np.mgrid[:256, :256]
    r = np.hypot(xx - 127.5, yy - 127.5) / (1625.5 / 16)
    just_outside = np.median(data[(r > 1.02) & (r < 1.06)])
    far = np.median(data[r > 1.7])
    disk = np.median(data[r < 0.8])
    assert just_outside > 5 * far
    assert 100 < disk < 1000
    assert data.max() > 5 * disk  # active-region loops


def test_euv_brightness_depends_on_the_channel():
    medians = {}
    for wave in ("94", "171", "304", "1600", "4500"):
        kw = at_size(AIA_FULL, 64, WAVELNTH=wave, EXPTIME="0.5" if wave == "4500" else "2.0")
        medians[wave] = float(np.median(image(render_asis("aia.lev1", "image", kw, size=64, kind="euv", seed=1))
                                        [24:40, 24:40]))
    assert medians["94"] < medians["304"] < medians["171"] < medians["4500"] < 16383
    assert medians["1600"] < medians["171"]


@pytest.mark.parametrize(("kind", "wavelnth", "corona"), [
    ("euv", "171", True), ("vis", "171", True), ("euv", "1700", False), ("euv", "4500", False),
    ("uv", None, False), ("euv", None, True), ("uv", "99999", False), ("euv", "99999", True),
])
def test_aia_channel_comes_from_wavelnth_then_kind(kind, wavelnth, corona):
    kw = at_size(AIA_FULL, 64)
    if wavelnth is None:
        del kw["WAVELNTH"]
    else:
        kw["WAVELNTH"] = wavelnth
    data = image(render_asis("aia.lev1", "image", kw, size=64, kind=kind, seed=1)).astype(float)
    yy, xx = np.mgrid[:64, :64]
    r = np.hypot(xx - 31.5, yy - 31.5) / (1625.5 / 64)
    ring, disk = np.median(data[(r > 1.03) & (r < 1.1)]), np.median(data[r < 0.5])
    assert (ring > 0.2 * disk) == corona


def test_synoptic_charts_cover_all_longitudes_with_the_radial_field():
    kw = {"CTYPE1": "CRLN-CEA", "CTYPE2": "CRLT-CEA", "CUNIT1": "degree", "CUNIT2": "Sine Latitude",
          "CRPIX1": "64.5", "CRPIX2": "32.5", "CDELT1": str(360 / 128), "CDELT2": str(2 / 64),
          "CRVAL1": "180.0", "CRVAL2": "0.0", "T_OBS": "2014.01.01_00:00:45_TAI"}
    data = image(render_asis("hmi.synoptic_mr_720s", "synopMr", kw, size=128, kind="magnetogram", seed=1))
    assert data.shape == (128, 128)
    assert np.isfinite(data).all()
    strong = np.abs(data) > 300
    assert strong.any()
    columns = np.nonzero(strong.any(axis=0))[0]
    assert np.ptp(columns) > 64  # regions on both hemispheres of longitude, not only the visible one


@pytest.mark.parametrize("t_obs", ["2011.06.01_00:00:00_TAI", "2016.06.01_00:00:00_TAI", "2024.01.01_00:00:00_TAI"])
def test_synoptic_polar_caps_have_the_mean_field_of_hmi_meanpf(t_obs):
    # One Sun for both series: a chart's mean over 60-90 deg is the CAPN2/CAPS2 of the
    # hmi.meanpf_720s model (polarfield.cap_model: the real series' reversals, N 2014.33 and
    # S 2014.18 lasting, plateaus of +3.86 / -4.65 G). The charts had reversals of their own
    # (N 2012.9, S 2014.6) and a polar field of 5.4 G whatever the year.
    from sunpy_jsocx import jsoctime
    from sunpy_jsocx.emulator.polarfield import cap_model

    kw = {"CTYPE1": "CRLN-CEA", "CTYPE2": "CRLT-CEA", "CUNIT1": "degree", "CUNIT2": "Sine Latitude",
          "CRPIX1": "180.5", "CRPIX2": "90.5", "CDELT1": "1.0", "CDELT2": str(2 / 180),
          "CRVAL1": "180.0", "CRVAL2": "0.0", "T_OBS": t_obs}
    with fits.open(io.BytesIO(render_asis("hmi.synoptic_mr_720s", "synopMr", kw, size=360, kind="synoptic",
                                          seed=1))) as hdul:
        data = np.array(hdul[0].data, dtype=float)  # a chart is one primary HDU of floats
    sin_lat = (np.arange(data.shape[0]) + 1 - 90.5) * (2 / 180)
    t = jsoctime.parse_time(t_obs)
    for cap, rows in (("N", sin_lat > np.sin(np.radians(60))), ("S", sin_lat < -np.sin(np.radians(60)))):
        expected = float(cap_model(t, cap))
        assert float(np.nanmean(data[rows])) == pytest.approx(expected, abs=0.3), cap


@pytest.mark.parametrize(("kind", "low", "high"), [("inclination", 0.0, 180.0), ("azimuth", 0.0, 360.0),
                                                   ("field", 0.0, 1e4)])
def test_vector_angles_and_field_are_in_range(kind, low, high):
    kw = at_size(HMI_FULL, 64)
    data = image(render_asis("hmi.B_720s", kind, kw, size=64, kind=kind, seed=8))
    on = np.isfinite(data)
    assert on.sum() > 2000
    assert low <= data[on].min()
    assert data[on].max() <= high


def test_vector_segments_of_one_record_describe_one_field():
    kw = at_size(HMI_FULL, 64)
    field = image(render_asis("hmi.B_720s", "field", kw, size=64, kind="field", seed=9))
    inclination = image(render_asis("hmi.B_720s", "inclination", kw, size=64, kind="inclination", seed=9))
    other = image(render_asis("hmi.B_720s", "inclination", kw, size=64, kind="inclination", seed=10))
    los = field * np.cos(np.radians(inclination))
    assert np.nanmax(np.abs(los)) > 300
    assert np.nanmedian(np.abs(inclination - other)) > 5  # noise differs between records


@pytest.mark.parametrize(("kind", "allowed"), [("disambig", set(range(8))), ("bitmap", {0, 1, 2, 33, 34})])
def test_small_integer_segments(kind, allowed):
    kw = at_size(HMI_FULL, 64)
    data = image(render_asis("hmi.B_720s", kind, kw, size=64, kind=kind, seed=8))
    assert data.dtype == np.uint8
    assert set(np.unique(data).tolist()) <= allowed
    assert data[0, 0] == 0


def test_active_regions_rotate_west_with_time():
    size = 256
    day1 = at_size(HMI_FULL, size, CROTA2="0.0")
    day2 = at_size(HMI_FULL, size, CROTA2="0.0", T_OBS="2014.01.01_12:00:45_TAI", CRLN_OBS=str(189.41 - 6.59))
    a = np.nan_to_num(image(render_asis("hmi.M_45s", "magnetogram", day1, size=size, kind="magnetogram", seed=1)))
    b = np.nan_to_num(image(render_asis("hmi.M_45s", "magnetogram", day2, size=size, kind="magnetogram", seed=1)))
    strong_a, strong_b = (np.abs(a) > 400).astype(float), (np.abs(b) > 400).astype(float)
    shifts = range(-30, 31)
    overlap = [float((np.roll(strong_a, s, axis=1) * strong_b).sum()) for s in shifts]
    best = shifts[int(np.argmax(overlap))]
    # Half a day of rotation moves a region near disk centre by ~0.11 R = 12 pixels to the west (+x).
    assert 5 <= best <= 20


def test_harp_patches_have_their_region_in_the_middle():
    kw = {"CRPIX1": "-200.0", "CRPIX2": "40.0", "CDELT1": "2.0", "CDELT2": "2.0", "RSUN_OBS": "975.0",
          "HARPNUM": "377", "T_OBS": "2011.02.15_00:00:00_TAI", "CRLN_OBS": "100.0", "CRLT_OBS": "-6.5"}
    data = image(render_asis("hmi.sharp_720s", "magnetogram", kw, size=64, kind="magnetogram", seed=1))
    centre = np.abs(data[16:48, 16:48])
    assert np.isfinite(data).all()
    assert centre.max() > 500
    assert centre.max() >= np.abs(data).max() - 1e-6


# ---------------------------------------------------------------------------------------------
# Text segments
# ---------------------------------------------------------------------------------------------


def numeric_rows(raw: bytes) -> list[list[float]]:
    return [[float(x) for x in line.split()] for line in raw.decode("ascii").splitlines()
            if line.strip() and not line.startswith("#")]


def test_rotation_tables_are_plausible_ascii_grids():
    rot = render_asis("hmi.V_sht_2drls", "rot.2d", {}, size=0, kind="text", seed=1)
    err = render_asis("hmi.V_sht_2drls", "err.2d", {}, size=0, kind="text", seed=1)
    rot_rows, err_rows = numeric_rows(rot), numeric_rows(err)
    assert len(rot_rows) == len(err_rows) > 10
    grid = np.array(rot_rows)
    assert grid.shape[1] == 1 + 19  # radius then latitudes 0..90 step 5
    assert 0.4 < grid[:, 0].min() < grid[:, 0].max() <= 1.0
    surface = grid[-1, 1:]
    assert 440 < surface[0] < 470  # equator, nHz
    assert 300 < surface[-1] < 360  # pole
    assert (np.array(err_rows)[:, 1:] > 0).all()


def test_splittings_table_has_modes_and_coefficients():
    rows = numeric_rows(render_asis("hmi.V_sht_2drls", "splittings.out", {}, size=0, kind="text", seed=1))
    table = np.array(rows)
    assert table.shape[1] == 2 + 2 + 12
    assert (table[:, 2] >= 1000).all()
    assert (table[:, 2] <= 4500).all()
    assert 400 < np.median(table[:, 4]) < 450  # a1 in nHz
    assert render_asis("x", "split", {}, size=0, kind="text", seed=1).startswith(b"#   l   n")


# ---------------------------------------------------------------------------------------------
# Kinds and errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("series", "segment", "kind"), [
    ("hmi.M_45s", "magnetogram", "magnetogram"),
    ("hmi.V_45s", "Dopplergram", "dopplergram"),
    ("hmi.Ic_45s", "continuum", "continuum"),
    ("hmi.lw_45s", "linewidth", "linewidth"),
    ("hmi.ld_45s", "linedepth", "linedepth"),
    ("aia.lev1_euv_12s", "image", "euv"),
    ("aia.lev1_uv_24s", "image", "uv"),
    ("aia.lev1_vis_1h", "image", "vis"),
    ("aia.lev1", "image", "euv"),
    ("hmi.B_720s", "inclination", "inclination"),
    ("hmi.B_720s", "azimuth", "azimuth"),
    ("hmi.B_720s", "field", "field"),
    ("hmi.B_720s", "disambig", "disambig"),
    ("hmi.sharp_720s", "bitmap", "bitmap"),
    ("hmi.sharp_cea_720s", "Br", "vector-other"),
    ("hmi.sharp_cea_720s", "Bp", "vector-other"),
    ("hmi.sharp_cea_720s", "Bt", "vector-other"),
    ("hmi.V_sht_2drls", "splittings.out", "text"),
    ("hmi.V_sht_2drls", "rot.2d", "text"),
    ("hmi.V_sht_2drls", "err.2d", "text"),
    ("mdi.fd_M_96m_lev182", "data", "magnetogram"),
    ("hmi.sharp_720s", "chisq", "generic"),
    ("aia.lev1_euv_12s", "spikes", "generic"),
])
def test_segment_kind_defaults(series, segment, kind):
    assert segment_kind(series, segment) == kind
    assert kind in KINDS


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="unknown kind 'hologram'; expected one of magnetogram"):
        render_asis("x", "s", {}, size=8, kind="hologram", seed=1)
    with pytest.raises(ValueError, match="size must be positive"):
        render_asis("x", "s", {}, size=0, kind="magnetogram", seed=1)


def test_missing_and_unreadable_keywords_fall_back_to_defaults():
    kw = {"CRPIX1": "nan", "CDELT1": "Invalid KeyLink", "T_OBS": "-4712.01.01_11:59:28_TAI", "WAVELNTH": ""}
    data = image(render_asis("x", "s", kw, size=32, kind="magnetogram", seed=1))
    assert np.isfinite(data[15:17, 15:17]).all()
    assert np.isnan(data[0, 0])
