"""
SHARP patches have their HARP's own width and height (issue 9, "plausible values").

Real patches are not square: sunpy's hmi_cea_sharp_magnetogram.header (HARP 11465) is 689 x 363
pixels and its CCD twin hmi_sharp_magnetogram.header 432 x 381. JSOC cuts them from the HARP's
disk-transit box (LONDTMIN..LONDTMAX by LATDTMIN..LATDTMAX, which that header also carries):
``round(extent / 0.03)`` CEA pixels per axis (lm-jps/drms proj/sharp/apps/sharp.c), a box whose
size holds for the HARP's life. Before, the emulator made every patch image_size square.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.catalog import load_catalog
from sunpy_jsocx.emulator.records import RecordStore
from sunpy_jsocx.emulator.sharp import ccd_box, harp_box, render_patch

HEADERS = Path(__file__).parents[1] / "data" / "jsoc-headers"
NOW = jsoctime.parse_time("2025.06.01_00:00:00_TAI")
WHEN = "2024.06.28_00:00:00_TAI"  # T_REC of both real headers


def real(name: str) -> fits.Header:
    text = (HEADERS / name).read_text()
    lines = text.split("\n") if "\n" in text else [text[i:i + 80] for i in range(0, len(text), 80)]
    return fits.Header.fromstring("".join(line.rstrip().ljust(80) for line in lines if line.strip()))


def store(image_size: int) -> RecordStore:
    return RecordStore(load_catalog(), seed=2, offline_before=0.0, now=lambda: NOW, image_size=image_size)


def _one(s: RecordStore, ds: str):
    (b,) = s.resolve(ds)
    assert len(b), ds
    kw = {k: float(s.values(b, k)[0]) for k in ("CRPIX1", "CRPIX2", "CDELT1", "CDELT2", "CRVAL1", "CRVAL2")}
    nx, ny = s.patch_shape(b)
    return b, kw, (int(nx[0]), int(ny[0]))


def test_the_real_cea_patch_of_harp_11465_is_reproduced():
    h = real("hmi_cea_sharp_magnetogram.header")
    _, kw, shape = _one(store(1024), f"hmi.sharp_cea_720s[11465][{WHEN}]")
    assert shape == (h["NAXIS1"], h["NAXIS2"]) == (689, 363)
    assert (kw["CRPIX1"], kw["CRPIX2"]) == (h["CRPIX1"], h["CRPIX2"]) == (345.0, 182.0)
    assert kw["CDELT1"] == kw["CDELT2"] == pytest.approx(h["CDELT1"])
    assert kw["CRVAL2"] == pytest.approx(h["CRVAL2"], abs=1e-4)
    # CRVAL1: the box centre's Carrington longitude (JSOC writes -27.39, the emulator 0..360)
    assert (kw["CRVAL1"] - h["CRVAL1"]) % 360.0 == pytest.approx(0.0, abs=0.2)


def test_the_box_is_the_one_in_the_real_header():
    h = real("hmi_cea_sharp_magnetogram.header")
    width, height = harp_box(np.array([11465]), np.array([12 * 86400.0]))
    assert width[0] == pytest.approx(h["LONDTMAX"] - h["LONDTMIN"])
    assert height[0] == pytest.approx(h["LATDTMAX"] - h["LATDTMIN"])


def test_the_ccd_patch_is_the_boxs_projection_as_in_the_real_header():
    """The real box seen with the real ephemeris gives the real CCD patch, 432 x 381 pixels."""
    cea, ccd = real("hmi_cea_sharp_magnetogram.header"), real("hmi_sharp_magnetogram.header")
    rect = ccd_box((cea["LONDTMIN"], cea["LONDTMAX"]), (cea["LATDTMIN"], cea["LATDTMAX"]), ccd["RSUN_OBS"],
                   ccd["CRLT_OBS"], ccd["CROTA2"])
    assert rect["width"] / ccd["CDELT1"] == pytest.approx(ccd["NAXIS1"], rel=0.01)
    assert rect["height"] / ccd["CDELT2"] == pytest.approx(ccd["NAXIS2"], rel=0.01)
    # and where the patch lies: CRPIX is the disk centre in patch pixels (-1238.1, 316.1)
    crpix1 = (ccd["NAXIS1"] + 1) / 2 - rect["x"] / ccd["CDELT1"]
    crpix2 = (ccd["NAXIS2"] + 1) / 2 - rect["y"] / ccd["CDELT2"]
    assert crpix1 == pytest.approx(ccd["CRPIX1"], abs=4.0) and crpix2 == pytest.approx(ccd["CRPIX2"], abs=4.0)


def test_the_emulators_ccd_patch_of_harp_11465():
    h = real("hmi_sharp_magnetogram.header")
    _, kw, shape = _one(store(1024), f"hmi.sharp_720s[11465][{WHEN}]")
    assert shape[0] == pytest.approx(h["NAXIS1"], rel=0.02) and shape[1] == pytest.approx(h["NAXIS2"], rel=0.02)
    assert kw["CDELT1"] == pytest.approx(h["CDELT1"])
    assert kw["CRVAL1"] == kw["CRVAL2"] == 0.0
    assert kw["CRPIX1"] == pytest.approx(h["CRPIX1"], abs=8.0) and kw["CRPIX2"] == pytest.approx(h["CRPIX2"], abs=8.0)


def test_a_harps_cea_shape_holds_for_its_whole_life_and_is_not_square():
    s = store(128)
    (b,) = s.resolve("hmi.sharp_cea_720s[3604]")  # the recorded 1223-record life
    nx, ny = s.patch_shape(b)
    assert len(set(nx.tolist())) == 1 and len(set(ny.tolist())) == 1
    assert nx[0] == 128 and 128 / 2.6 - 1 <= ny[0] < 128  # wider than tall, longer side image_size
    np.testing.assert_array_equal(s.values(b, "CRPIX1"), (nx + 1) / 2)
    np.testing.assert_array_equal(s.values(b, "CRPIX2"), (ny + 1) / 2)


def test_harps_alive_at_once_have_their_own_ratios():
    s = store(128)
    (b,) = s.resolve("hmi.sharp_cea_720s[][2014.01.01_00:00:00_TAI]")
    nx, ny = s.patch_shape(b)
    ratio = nx / ny
    assert len(b) > 8
    assert np.all((ratio >= 1.1) & (ratio <= 2.7))  # [sharp] 689 / 363 = 1.90 within
    assert len(np.unique(np.round(ratio, 2))) > len(b) // 2


@pytest.mark.parametrize("size", [32, 128, 1024])
def test_image_size_scales_the_patch_and_keeps_its_shape(size):
    _, kw, shape = _one(store(size), f"hmi.sharp_cea_720s[11465][{WHEN}]")
    assert max(shape) == min(size, 689)
    assert shape[0] / shape[1] == pytest.approx(689 / 363, rel=0.05)
    assert kw["CDELT1"] * shape[0] == pytest.approx(20.684, rel=0.02)  # the box's width, at any size


def test_a_ccd_patch_narrows_towards_the_limb():
    s = store(128)
    (b,) = s.resolve("hmi.sharp_720s[3604]")
    nx, ny = s.patch_shape(b)
    lon = s.values(b, "LON_FWT")
    centre, limb = np.argmin(np.abs(lon)), np.argmax(np.abs(lon))
    assert nx[limb] < 0.8 * nx[centre]
    assert np.all(s.values(b, "CDELT1") == s.values(b, "CDELT1")[0])  # one pixel scale for the HARP's life


def _record_keywords(s, b):
    return {k["name"]: s.strings(b, k["name"])[0] for k in b.model.keyword_defs}


@pytest.mark.parametrize("series", ["hmi.sharp_cea_720s", "hmi.sharp_720s"])
def test_the_drawn_patch_has_the_records_shape_and_wcs(series):
    s = store(128)
    b, kw, (nx, ny) = _one(s, f"{series}[11465][{WHEN}]")
    segment, kind = ("Br", "vector-other") if series.endswith("cea_720s") else ("magnetogram", "magnetogram")
    raw = render_patch(series, segment, _record_keywords(s, b), (nx, ny), kind=kind, seed=4)
    assert b"CHECKSUM= '" in raw
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checksum that does not verify warns
        with fits.open(io.BytesIO(raw), checksum=True) as hdul:
            hdu = hdul[1]
            assert hdu.data.shape == (ny, nx)
            assert hdu.header["CRPIX1"] == pytest.approx(kw["CRPIX1"])
            assert hdu.header["CRPIX2"] == pytest.approx(kw["CRPIX2"])
            data = np.nan_to_num(hdu.data.astype(float))
    # the HARP's region sits in the middle of its patch
    ys, xs = np.nonzero(np.abs(data) > 0.3 * np.abs(data).max())
    assert len(xs) > 3
    assert abs(xs.mean() - (nx - 1) / 2) < 0.25 * nx and abs(ys.mean() - (ny - 1) / 2) < 0.25 * ny


def test_render_patch_refuses_an_empty_shape():
    with pytest.raises(ValueError, match="positive"):
        render_patch("hmi.sharp_cea_720s", "Br", {}, (0, 10), kind="vector-other", seed=1)


@pytest.mark.parametrize("series", ["hmi.sharp_cea_720s", "hmi.sharp_720s"])
def test_the_server_serves_each_patch_in_its_harps_shape(series, tmp_path):
    """Through the emulator's API: rs_list's dims, the stored file and its keywords agree, and are not square."""
    import urllib.request

    from sunpy_jsocx.emulator import JSOCEmulator
    from sunpy_jsocx.transport import connection

    with JSOCEmulator(image_size=128) as emu:
        ds = f"{series}[11465][{WHEN}]"
        answer = connection(emu.url).rs_list(ds, key=["CRPIX1", "CRPIX2"], seg=["magnetogram"])
        kw = {k["name"]: k["values"][0] for k in answer["keywords"]}
        (seg,) = answer["segments"]
        with urllib.request.urlopen(emu.url + seg["values"][0].lstrip("/")) as r:
            raw = r.read()
    with fits.open(io.BytesIO(raw)) as hdul:
        hdu = hdul[-1]
        ny, nx = hdu.data.shape
        header = hdu.header
    assert nx != ny, "a HARP's patch is its disk-transit box, not a square"
    assert seg["dims"][0] == f"{nx}x{ny}"
    assert max(nx, ny) <= 128
    assert float(kw["CRPIX1"]) == pytest.approx(header["CRPIX1"]) and float(kw["CRPIX2"]) == pytest.approx(
        header["CRPIX2"])
