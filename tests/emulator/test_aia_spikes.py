"""
AIA level 1: the ``spikes`` segment and the keywords aiapy's respike and update_pointing read.

Facts (see `sunpy_jsocx.emulator.aia_level1` for the full sources):

* aiapy examples/replace_hot_pixels.py and aiapy/calibrate/spikes.py (LM-SAL/aiapy@afc3db7):
  the segment is a 3 x N array, row 0 the 1-D pixel index into the full frame, row 1 the
  removed (spike) value, row 2 the value that replaced it; aiapy's test_fetch_spikes: N is the
  record's NSPIKES.
* [cass304]: JSOC's rs_list of aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:02:35_TAI][304]
  in sunpy's cassette test_search_metadata.yaml (sunpy/sunpy@b361c0cda): NSPIKES 9136..9607,
  SAT_ROT -0.000136..0.000080, CROTA2 = INST_ROT + SAT_ROT.
* [aia171]: sunpy/data/test/aia_171_level1.fits: NSPIKES 18263, SAT_ROT 8.6e-05,
  CROTA2 0.019413 = INST_ROT 0.019327 + SAT_ROT.
* Hinode/EIS wiki "Re-spiking AIA images": the FUV wavelengths (1600, 1700) are not de-spiked.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits
from helpers import download, rs_list, values

from sunpy_jsocx.emulator import JSOCEmulator

CASS304 = "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:02:35_TAI][304]"


def _file(emu, path: str) -> np.ndarray:
    with download(emu, path) as r:
        raw = r.read()
    with fits.open(io.BytesIO(raw)) as hdul:
        return np.array(next(h for h in hdul if h.data is not None).data)


@pytest.fixture(scope="module")
def emu256():
    with JSOCEmulator(image_size=256) as emu:
        yield emu


def test_spikes_segment_is_a_3_by_nspikes_table_of_the_records_own_image(emu256):
    d = rs_list(emu256, "aia.lev1_euv_12s[2013.03.15_12:01:41_TAI][193]", key="NSPIKES,LVL_NUM",
                seg="image,spikes")
    assert d["status"] == 0 and d["count"] == 1
    nspikes = int(values(d, "NSPIKES")[0])
    assert float(values(d, "LVL_NUM")[0]) == 1.0
    segs = {s["name"]: s["values"][0] for s in d["segments"]}
    spikes = _file(emu256, segs["spikes"])
    image = _file(emu256, segs["image"])
    assert spikes.shape == (3, nspikes) and nspikes > 0
    assert np.issubdtype(spikes.dtype, np.integer)
    index = spikes[0]
    assert np.unique(index).size == nspikes
    assert index.min() >= 0 and index.max() < image.size
    # row 0 is a flat index into the image (row * width + column), row 2 the value the
    # level-1 image holds there, row 1 the brighter value that was removed
    rows, cols = np.unravel_index(index, image.shape)
    np.testing.assert_array_equal(image[rows, cols], spikes[2])
    assert (spikes[1] > spikes[2]).all()


def test_nspikes_at_jsocs_image_size_as_recorded():
    # keywords only: nothing is drawn at 4096 pixels
    with JSOCEmulator(image_size=4096) as emu:
        euv = rs_list(emu, CASS304, key="NSPIKES")
        a171 = rs_list(emu, "aia.lev1_euv_12s[2011.02.15_00:00:36_TAI/1m][171]", key="NSPIKES")
        fuv = rs_list(emu, "aia.lev1_uv_24s[2014.01.01_00:00:35_TAI/2m][1600]", key="NSPIKES")
    n304 = [int(v) for v in values(euv, "NSPIKES")]
    assert len(n304) == 11
    assert all(9136 <= n <= 9607 for n in n304)  # [cass304]
    assert len(set(n304)) > 1
    assert all(abs(int(v) - 18263) <= 0.03 * 18263 for v in values(a171, "NSPIKES"))  # [aia171]
    assert {int(v) for v in values(fuv, "NSPIKES")} == {0}  # FUV is not de-spiked


def test_nspikes_keeps_jsocs_spike_density_at_small_sizes(emu256):
    n = [int(v) for v in values(rs_list(emu256, CASS304, key="NSPIKES"), "NSPIKES")]
    scale = (256 / 4096) ** 2
    assert all(9136 * scale - 1 <= k <= 9607 * scale + 1 for k in n)


def test_sat_rot_is_small_and_crota2_is_inst_rot_plus_sat_rot(emulator):
    d = rs_list(emulator, CASS304, key="SAT_ROT,INST_ROT,CROTA2")
    sat = np.array(values(d, "SAT_ROT"), dtype=float)
    inst = np.array(values(d, "INST_ROT"), dtype=float)
    crota2 = np.array(values(d, "CROTA2"), dtype=float)
    assert np.all(np.abs(sat) <= 0.000136)  # [cass304], [aia171]
    np.testing.assert_allclose(inst, -0.131639)  # [cass304]
    np.testing.assert_allclose(crota2, inst + sat, atol=1.5e-6)  # the series' note, [cass304], [aia171]


def test_spikes_of_aia_lev1_describe_its_image_lev1_segment(emu256):
    """aia.lev1 names its image segment image_lev1; the spikes hold that image's values."""
    d = rs_list(emu256, "aia.lev1[2014.01.01_00:00:36_TAI/12s]", key="NSPIKES,WAVELNTH", seg="image_lev1,spikes")
    assert d["status"] == 0 and d["count"] >= 1
    segs = {s["name"]: s["values"][0] for s in d["segments"]}
    spikes = _file(emu256, segs["spikes"])
    image = _file(emu256, segs["image_lev1"])
    assert spikes.shape == (3, int(values(d, "NSPIKES")[0]))
    if spikes.shape[1]:
        np.testing.assert_array_equal(image.ravel()[spikes[0]], spikes[2])
