"""
``iris.lev1`` holds FUV and NUV spectrograph frames and SJI images, as JSOC's series does.

Before issue 9 the emulator's iris.lev1 held only slit-jaw images (``INSTRUME`` always
"SJI", 128 x 128 disk images, no ``ISYSN``/``CAMERA``). The facts held against here (see
`sunpy_jsocx.emulator.iris` for the full sources):

* JSOC's keyword list http://sun.stanford.edu/~baldner/test/Series/iris.lev1.txt:
  ``ISYSN`` FUV=0, NUV=1, SJI=2; ``CAMERA`` FUV=1, NUV=2, SJI=2; ``INSTRUME`` FUV, NUV or SJI;
  ``SUMSPTRL``/``SUMSPAT`` CCD summing.
* JSOC's pipeline code (lm-jps/proj@0cf0b90d35): ``iris_time_setting.c`` (``IMG_PATH`` FUV, NUV,
  SJI_1330/1400/2796/2832), ``do_flat_iris.c`` (frames are ``NAXIS1 * SUMSPTRL`` = 4144 or 2072
  by ``NAXIS2 * SUMSPAT`` = 1096), ``iris_isp2wcs.c`` (the level-1 WCS: FUV1 1334.53 A at
  pixel 219.50, 0.01298 A/pixel, FUV2 1402.77 A at 3807.3, 0.01272 A/pixel, NUV 2798.65 A at
  659.30, 0.02546 A/pixel; ``CDELT = cdelt * sum``, ``CRPIX = crpix / sum + (sum - 1) / (2 sum)``).
* sunpy's remote test ``test_string_keyword_is_converted_correctly``: JSOC gives 6 FUV records
  of iris.lev1 from 2014-01-01T00:00 to 00:05.
* irispy-lmsal's level-2 headers: equal numbers of FUV, NUV and SJI frames (NEXPOBS = 3 x the
  SG exposures); SJI filters 5:6:6:1 (1330, 1400, 2796, 2832) per 18 frames.
"""

from __future__ import annotations

import io
import warnings
from collections import Counter

import numpy as np
import pytest
from astropy.io import fits
from helpers import download, fetch, info, rs_list

HOUR = "iris.lev1[2014.01.01_00:00:35_TAI/1h]"
# sunpy's a.Time("2014-01-01T00:00", "2014-01-01T00:05") as sunpy's JSOC client writes it (in TAI)
SUNPY_WINDOW = "iris.lev1[2014.01.01_00:00:35_TAI-2014.01.01_00:05:35_TAI]"
EMAIL = "user@example.org"
ISYSN = {"FUV": 0, "NUV": 1, "SJI": 2}
CAMERA = {"FUV": 1, "NUV": 2, "SJI": 2}
FULL = {"FUV": 4144, "NUV": 2072, "SJI": 2072}
# JSOC's level-1 WCS of the spectrograph, unsummed (iris_isp2wcs.c)
WCS = {"FUV": (1334.53, 219.50, 0.01298), "FUV2": (1402.77, 3807.3, 0.01272), "NUV": (2798.65, 659.30, 0.02546)}
LINES = {"C II 1334": 1334.532, "C II 1335": 1335.708, "Si IV 1394": 1393.755, "Si IV 1403": 1402.770,
         "Mg II k": 2796.352, "Mg II h": 2803.531}


def _table(emu, ds, keys):
    d = rs_list(emu, ds, key=",".join(keys), seg="image_lev1")
    assert d["status"] == 0, d
    rows = {k["name"]: k["values"] for k in d["keywords"]}
    rows["dims"] = d["segments"][0]["dims"]
    rows["file"] = d["segments"][0]["values"]
    return d["count"], rows


def _data(emu, path):
    with download(emu, path) as r:
        raw = r.read()
    with fits.open(io.BytesIO(raw)) as hdul:
        return np.array(hdul[1].data, dtype=float)


def _wavelengths(rows, i, ncols):
    x = np.arange(1, ncols + 1)
    lam = float(rows["CRVAL1"][i]) + (x - float(rows["CRPIX1"][i])) * float(rows["CDELT1"][i])
    if rows["INSTRUME"][i] == "FUV":  # the second CCD (FUV2) has its own WCS, the A keywords
        lam2 = float(rows["CRVAL1A"][i]) + (x - float(rows["CRPIX1A"][i])) * float(rows["CDELT1A"][i])
        lam = np.where(x > ncols // 2, lam2, lam)
    return lam


def test_an_hour_holds_fuv_nuv_and_sji_frames_in_equal_numbers(emulator):
    n, rows = _table(emulator, HOUR, ["T_OBS", "FSN", "INSTRUME", "IMG_PATH"])
    kinds = Counter(rows["INSTRUME"])
    assert set(kinds) == {"FUV", "NUV", "SJI"}
    assert n == sum(kinds.values()) > 100
    assert max(kinds.values()) - min(kinds.values()) <= 1  # one FUV, one NUV, one SJI frame per SG step
    sji = Counter(p for p in rows["IMG_PATH"] if p.startswith("SJI_"))
    assert set(sji) == {"SJI_1330", "SJI_1400", "SJI_2796", "SJI_2832"}
    # 5 : 6 : 6 : 1 per 18 SJI frames (520 : 624 : 624 : 104 in OBSID 3620258102)
    assert sji["SJI_1400"] == pytest.approx(6 / 18 * kinds["SJI"], abs=2)
    assert sji["SJI_2832"] == pytest.approx(1 / 18 * kinds["SJI"], abs=2)
    assert sji["SJI_1330"] == pytest.approx(5 / 18 * kinds["SJI"], abs=2)


def test_fsns_follow_time_and_take_fuv_nuv_sji_in_turn(emulator):
    _, rows = _table(emulator, HOUR, ["T_OBS", "FSN", "INSTRUME"])
    fsn = np.array(rows["FSN"], dtype=np.int64)
    assert np.all(np.diff(fsn) == 1)  # records in T_OBS order take consecutive FSNs
    seq = rows["INSTRUME"]
    for a, b in zip(seq, seq[1:]):
        assert (a, b) in {("FUV", "NUV"), ("NUV", "SJI"), ("SJI", "FUV")}


def test_sunpys_recorded_count_of_fuv_records(emulator):
    """sunpy's remote test: JSOC answers 6 FUV records of iris.lev1 for 2014-01-01T00:00-00:05."""
    d = rs_list(emulator, SUNPY_WINDOW + "[? INSTRUME = 'FUV' ?]", key="T_OBS,INSTRUME")
    assert d["status"] == 0 and d["count"] == 6
    assert set(next(k["values"] for k in d["keywords"] if k["name"] == "INSTRUME")) == {"FUV"}


def test_system_keywords_agree_with_jsocs_keyword_list(emulator):
    _, rows = _table(emulator, HOUR, ["INSTRUME", "ISYSN", "CAMERA", "IMG_PATH", "WAVELNTH"])
    for inst, isysn, camera, path, wav in zip(rows["INSTRUME"], rows["ISYSN"], rows["CAMERA"], rows["IMG_PATH"],
                                              rows["WAVELNTH"], strict=True):
        assert int(isysn) == ISYSN[inst] and int(camera) == CAMERA[inst]
        if inst == "SJI":
            assert path == f"SJI_{wav}"
        else:
            assert path == inst
    struct = info(emulator, op="series_struct", ds="iris.lev1")
    notes = {k["name"]: k["note"] for k in struct["keywords"]}
    assert notes["ISYSN"] == "SYStem Number: FUV=0; NUV=1; SJI=2; NUV_SJI=3"
    assert notes["CAMERA"] == "IRIS CEB ID: FUV=1; NUV=2; SJI=2"
    assert notes["INSTRUME"] == "FUV, NUV or SJI"
    assert {"SUMSPTRL", "SUMSPAT"} <= notes.keys()


def test_frames_have_jsocs_shapes_in_listing_and_file(emulator):
    _, rows = _table(emulator, "iris.lev1[2014.01.01_00:00:35_TAI/48s]", ["INSTRUME", "SUMSPTRL", "SUMSPAT"])
    assert sorted(rows["INSTRUME"]) == ["FUV", "NUV", "SJI"]
    for i, inst in enumerate(rows["INSTRUME"]):
        sx, sy = int(rows["SUMSPTRL"][i]), int(rows["SUMSPAT"][i])
        assert sx in (1, 2, 4, 8) and sy in (1, 2, 4)  # IRIS's own summing modes
        shape = (FULL[inst] // sx, 1096 // sy)
        assert rows["dims"][i] == f"{shape[0]}x{shape[1]}"
        data = _data(emulator, rows["file"][i])
        assert data.shape == (shape[1], shape[0])


def test_sg_frames_carry_jsocs_wavelength_axis(emulator):
    keys = ["INSTRUME", "SUMSPTRL", "SUMSPAT", "CTYPE1", "CUNIT1", "CRVAL1", "CDELT1", "CRPIX1", "CRVAL1A",
            "CDELT1A", "CRPIX1A", "CTYPE2", "CDELT2", "CTYPE3"]
    _, rows = _table(emulator, "iris.lev1[2014.01.01_00:00:35_TAI/48s]", keys)
    seen = set()
    for i, inst in enumerate(rows["INSTRUME"]):
        if inst == "SJI":
            assert rows["CTYPE1"][i] == "HPLN-TAN" and rows["CTYPE2"][i] == "HPLT-TAN"
            continue
        sx = int(rows["SUMSPTRL"][i])
        assert (rows["CTYPE1"][i], rows["CUNIT1"][i], rows["CTYPE2"][i], rows["CTYPE3"][i]) == (
            "WAVE", "Angstrom", "HPLT-TAN", "HPLN-TAN")
        for name, suffix in ((inst, ""), ("FUV2", "A")) if inst == "FUV" else ((inst, ""),):
            crval, crpix, cdelt = WCS[name]
            assert float(rows["CRVAL1" + suffix][i]) == pytest.approx(crval)
            assert float(rows["CDELT1" + suffix][i]) == pytest.approx(cdelt * sx, rel=1e-5)
            assert float(rows["CRPIX1" + suffix][i]) == pytest.approx(crpix / sx + (sx - 1) / (2 * sx), abs=1e-3)
        seen.add(inst)
    assert seen == {"FUV", "NUV"}


def test_brightest_pixels_sit_at_the_real_line_wavelengths(emulator):
    keys = ["INSTRUME", "CRVAL1", "CDELT1", "CRPIX1", "CRVAL1A", "CDELT1A", "CRPIX1A"]
    _, rows = _table(emulator, "iris.lev1[2014.01.01_00:00:35_TAI/96s]", keys)
    found = set()
    for i, inst in enumerate(rows["INSTRUME"]):
        if inst == "SJI":
            continue
        data = _data(emulator, rows["file"][i])
        finite = np.isfinite(data)  # columns outside the readout regions are BLANK
        profile = np.where(finite.any(axis=0), np.where(finite, data, 0).sum(axis=0) / np.maximum(finite.sum(0), 1),
                           np.nan)
        lam = _wavelengths(rows, i, data.shape[1])
        step = float(rows["CDELT1"][i])
        if inst == "FUV":  # the brightest FUV pixel is on a C II line, the brightest of FUV2 on Si IV 1394
            first = np.where(lam < 1370, profile, -np.inf)
            second = np.where(lam > 1370, profile, -np.inf)
            assert min(abs(lam[np.nanargmax(first)] - LINES[k]) for k in ("C II 1334", "C II 1335")) <= 2 * step
            assert abs(lam[np.nanargmax(second)] - LINES["Si IV 1394"]) <= 2 * step
        for name, rest in LINES.items():
            near = np.abs(lam - rest) < 0.8
            if not near.any() or (inst == "FUV") != (rest < 2000):
                continue
            j = np.flatnonzero(near)[np.nanargmax(profile[near])]
            assert abs(lam[j] - rest) <= 2 * step, (inst, name, lam[j])
            # a line, not the continuum: it stands above the pixels 1-2 A away
            side = (np.abs(lam - rest) > 1.0) & (np.abs(lam - rest) < 2.0)
            for other in LINES.values():  # C II 1334 and 1335 are 1.2 A apart
                side &= np.abs(lam - other) > 0.5
            assert profile[j] > np.nanmax(profile[side]), (inst, name)
            found.add(name)
    assert found == set(LINES)


def test_statistics_are_those_of_the_served_frames(emulator):
    keys = ["INSTRUME", "DATAMIN", "DATAMEDN", "DATAMEAN", "DATAMAX", "TOTVALS", "DATAVALS", "MISSVALS"]
    _, rows = _table(emulator, "iris.lev1[2014.01.01_00:00:35_TAI/48s]", keys)
    for i, inst in enumerate(rows["INSTRUME"]):
        data = _data(emulator, rows["file"][i])
        good = data[np.isfinite(data)]
        lo, med, mean, hi = (float(rows[k][i]) for k in ("DATAMIN", "DATAMEDN", "DATAMEAN", "DATAMAX"))
        assert lo <= med <= hi and lo <= mean <= hi
        assert (lo, hi) == (good.min(), good.max()), inst
        assert mean == pytest.approx(good.mean(), rel=1e-5)
        tot, vals, miss = (int(rows[k][i]) for k in ("TOTVALS", "DATAVALS", "MISSVALS"))
        assert tot == vals + miss and vals == good.size
        if inst == "FUV":  # the columns between and after the two CCDs' readout regions hold no data
            assert good.size < data.size


def test_fits_export_of_an_fuv_frame_has_its_shape_and_valid_checksums(emulator):
    r = fetch(emulator, op="exp_request", format="json", notify=EMAIL, method="url", protocol="fits",
              ds="iris.lev1[2014.01.01_00:00:51_TAI]")
    s = fetch(emulator, op="exp_status", requestid=r["requestid"])
    (item,) = s["data"]
    raw = download(emulator, f"{s['dir']}/{item['filename']}").read()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(io.BytesIO(raw), checksum=True) as hdul:
            hdu = next(h for h in hdul if h.data is not None)
            header, shape = hdu.header, hdu.data.shape
    assert header["INSTRUME"] == "FUV" and header["ISYSN"] == 0 and header["CTYPE1"] == "WAVE"
    assert (header["NAXIS1"], header["NAXIS2"]) == (4144 // header["SUMSPTRL"], 1096 // header["SUMSPAT"])
    assert shape == (header["NAXIS2"], header["NAXIS1"])


@pytest.fixture(scope="module")
def full_size():
    """An emulator that serves IRIS frames unsummed (image_size 1096 and up)."""
    from sunpy_jsocx.emulator import JSOCEmulator

    with JSOCEmulator(image_size=1096) as emu:
        yield emu


def test_unsummed_fuv_frames_are_4144_by_1096_with_the_two_ccds_readout_regions(full_size):
    _, rows = _table(full_size, "iris.lev1[2014.01.01_00:00:51_TAI]", ["INSTRUME", "SUMSPTRL", "SUMSPAT", "TOTVALS"])
    assert rows["INSTRUME"] == ["FUV"] and rows["SUMSPTRL"] == ["1"] and rows["SUMSPAT"] == ["1"]
    assert rows["dims"] == ["4144x1096"]
    data = _data(full_size, rows["file"][0])
    assert data.shape == (1096, 4144)
    # columns 1-2048 (FUV1) and 2097-4112 (FUV2) are read out, the rest is BLANK
    has_data = np.isfinite(data).all(axis=0)
    expected = np.zeros(4144, dtype=bool)
    expected[0:2048] = expected[2096:4112] = True
    assert np.array_equal(has_data, expected)
    assert int(rows["TOTVALS"][0]) == (2048 + 2016) * 1096


@pytest.fixture
def fido_emu():
    import sunpy_jsocx
    from sunpy_jsocx.emulator import JSOCEmulator

    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        yield emu


def test_sunpys_fuv_query_through_fido_finds_six_records_whose_files_verify(fido_emu, tmp_path):
    """sunpy's recorded query, unchanged but for the client: 6 FUV records; export-free = exported files."""
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    res = Fido.search(a.Time("2014-01-01T00:00", "2014-01-01T00:05"), a.jsocx.Series("iris.lev1"),
                      a.jsocx.Keyword("INSTRUME") == "FUV", a.jsocx.Notify(EMAIL))
    assert len(res[0]) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = Fido.fetch(res[0][:2], path=str(tmp_path / "direct" / "{file}"), progress=False)
        exported = Fido.fetch(res[0][:2], path=str(tmp_path / "export" / "{file}"), progress=False,
                              force_export=True)
    assert not direct.errors and not exported.errors and len(direct) == len(exported) == 2
    for a_, b_ in zip(sorted(direct), sorted(exported), strict=True):
        with open(a_, "rb") as f, open(b_, "rb") as g:
            raw = f.read()
            assert raw == g.read()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with fits.open(io.BytesIO(raw), checksum=True) as hdul:
                hdu = next(h for h in hdul if h.data is not None)
                header, shape = hdu.header, hdu.data.shape
        assert header["INSTRUME"] == "FUV" and shape == (header["NAXIS2"], header["NAXIS1"])
