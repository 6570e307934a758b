"""
Look before you download (issue 11, part 1): ``quicklook`` of a few chosen rows.

Against the emulator, whose counters show what each quicklook costs: requests by
endpoint, exports created and bytes served. Online records come as their stored
files with no export; records that need an export anyway (offline, cut out) come in
one binned jpg export; ``how="jpg"`` puts every record in that one export.
"""

from __future__ import annotations

import os

import astropy.units as u
import matplotlib
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from sunpy.coordinates import frames
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.quicklook import MAX_ROWS, quicklook

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

NOTIFY = "user@example.org"
#: The one metadata request a first fetch of AIA level-1 files adds: aia.lev1's series_struct, to name
#: the files of the linked image segment as JSOC does (sunpy_jsocx.linknames).
LINKED_STRUCT = {"jsoc_info": 1, "jsoc_info:series_struct": 1}
AIA = a.jsocx.Series("aia.lev1_euv_12s")
# Records before 2014-01-01T00:00:20 UTC (00:00:55 TAI) are on tape: in the two minutes
# searched below, 00:00:01 and 00:00:13 are offline, the rest online.
OFFLINE_BEFORE = "2014.01.01_00:00:55_TAI"


@pytest.fixture(scope="module")
def emu():
    """An emulator of its own, with 512-pixel images, counting only this module's requests."""
    with JSOCEmulator(image_size=512, offline_before=OFFLINE_BEFORE) as e:
        yield e


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def client(emu):
    return JSOCXClient(emu.url)


def _search(client, start="2014-01-01T00:01:00", end="2014-01-01T00:02:00", waves=(171, 304), **kw):
    wl = a.Wavelength(waves[0] * u.AA)
    for w in waves[1:]:
        wl |= a.Wavelength(w * u.AA)
    return client.search(a.Time(start, end), AIA, a.jsocx.Segment("image"), wl, a.jsocx.Notify(NOTIFY), **kw)


def _cost(emu) -> dict:
    st = emu.stats()
    return {"requests": st["requests"], "bytes": st["bytes_served"], "files": st["files_served"],
            "exports": st["exports_created"]}


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def _expected_title(row) -> str:
    return f"{row['T_REC'].isot}\nWAVELNTH {row['WAVELNTH']}"


# ---------------------------------------------------------------- choosing rows
def test_too_many_rows_are_refused_before_any_request(emu, client):
    res = _search(client)
    assert len(res) > MAX_ROWS
    emu.reset_stats()
    with pytest.raises(ValueError, match=r"at most 8 records, and 12 were chosen.*rows=\[0, ") as err:
        res.quicklook()
    assert "slice the result first" in str(err.value)
    with pytest.raises(ValueError, match="at most 8 records, and 9 were chosen"):
        res.quicklook(list(range(9)))
    with pytest.raises(ValueError, match="at most 8"):
        res[:9].quicklook()
    assert emu.stats()["requests_total"] == 0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"rows": []}, ValueError, "at least one row"),
    ({"rows": 99}, IndexError, "row 99 is out of range: the result has"),
    ({"rows": True}, TypeError, "not a bool"),
    ({"rows": [0.5]}, TypeError, "row numbers"),
    ({"rows": np.array([True, False])}, ValueError, "one value per row"),
    ({"rows": [0], "how": "fast"}, ValueError, "how must be one of 'auto', 'files', 'jpg', not 'fast'"),
    ({"rows": [0], "scaling": "cube"}, ValueError, "scaling must be one of MINMAX, MINMAXGIVEN, LOG, SQRT, MAG"),
    ({"rows": [0], "binning": 0}, ValueError, "binning must be a whole number >= 1"),
    ({"rows": [0], "segment": "magnetogram"}, ValueError, "segment 'magnetogram' is not in series.*image"),
])
def test_bad_choices_are_refused_with_what_is_valid_before_any_request(emu, client, kwargs, error, match):
    res = _search(client)
    emu.reset_stats()
    with pytest.raises(error, match=match):
        res.quicklook(**kwargs)
    assert emu.stats()["requests_total"] == 0


# ---------------------------------------------------------------- what it costs
def test_online_rows_come_as_stored_files_with_no_export(emu, client, tmp_path):
    res = _search(client)
    assert res["_online"].all()
    emu.reset_stats()
    fig = res.quicklook([0, 5, -1])
    cost = _cost(emu)
    # One download per record and nothing else: no export, no e-mail check, no rs_list; only
    # aia.lev1's series_struct, once, as its files are named in the aia.lev1 record the image
    # segment links to (sunpy_jsocx.linknames).
    assert cost["requests"] == {"download": 3, **LINKED_STRUCT}
    assert cost["exports"] == 0 and cost["files"] == 3
    # ... of the whole stored files: as many bytes as the three files as they are stored.
    stored = client.fetch(res[[0, 5, -1]], path=tmp_path, protocol="as-is", progress=False)
    assert cost["bytes"] == sum(os.path.getsize(p) for p in stored)
    assert _titles(fig) == [_expected_title(res[i]) for i in (0, 5, -1)]
    # The stored 512-pixel images, shown at full size, north up (FITS row 0 at the bottom).
    images = [ax.images[0] for ax in fig.axes]
    assert all(im.get_array().shape == (512, 512) and im.origin == "lower" for im in images)


def test_jpg_costs_one_export_and_far_fewer_bytes(emu, client, tmp_path):
    res = _search(client)
    emu.reset_stats()
    res.quicklook([0, 5, -1], how="files")
    stored = _cost(emu)
    emu.reset_stats()
    fig = res.quicklook([0, 5, -1], how="jpg", path=tmp_path)
    cost = _cost(emu)
    jpegs = sorted(tmp_path.rglob("*.jpg"))
    assert len(jpegs) == 3 and all(p.read_bytes()[:2] == b"\xff\xd8" for p in jpegs)
    assert cost["bytes"] == sum(p.stat().st_size for p in jpegs)  # the JPEGs and nothing else
    assert cost["exports"] == 1
    assert cost["requests"]["jsoc_fetch:exp_request"] == 1
    assert cost["requests"]["download"] == 3
    # Besides: the e-mail check, the status polls, and (once per process) aia.lev1's metadata,
    # where the linked image segment declares its size.
    assert set(cost["requests"]) <= {"checkAddress", "jsoc_fetch", "jsoc_fetch:exp_request",
                                     "jsoc_fetch:exp_status", "download", "jsoc_info", "jsoc_info:series_struct"}
    assert cost["requests"].get("jsoc_info:series_struct", 0) <= 1
    assert cost["bytes"] * 4 < stored["bytes"]  # 512-pixel images here; 87 times with 4096 (guide)
    assert _titles(fig) == [_expected_title(res[i]) for i in (0, 5, -1)]
    # Binned at JSOC to a quarter (the declared 4096 pixels to 1024): 512 -> 128 here; a JPEG, top row first.
    images = [ax.images[0] for ax in fig.axes]
    assert all(im.get_array().shape == (128, 128) and im.origin == "upper" for im in images)
    export = list(emu.state.exports.exports.values())[-1]
    # The protocol as JSOC's jsoc_export_as_images reads it (CT= is matched case-sensitively there).
    assert export.protocol == "jpg,CT=grey.sao,scaling=LOG,size=4"
    assert export.method == "url"


def test_offline_rows_go_into_one_binned_jpg_export_and_online_rows_stay_direct(emu, client):
    res = _search(client, "2014-01-01T00:00:00", "2014-01-01T00:00:40", waves=(171,))
    assert list(res["_online"]) == [False, False, True, True]
    emu.reset_stats()
    fig = res.quicklook()
    cost = _cost(emu)
    assert cost["exports"] == 1
    assert cost["requests"]["jsoc_fetch:exp_request"] == 1
    assert cost["requests"]["download"] == 4
    export = list(emu.state.exports.exports.values())[-1]
    assert export.protocol.startswith("jpg,") and export.rcount == 2  # only the two offline records
    assert _titles(fig) == [_expected_title(row) for row in res]
    origins = [ax.images[0].origin for ax in fig.axes]
    assert origins == ["upper", "upper", "lower", "lower"]  # JPEGs from the export, stored FITS files


def test_files_gets_what_fetch_would(emu, client):
    """``how="files"`` exports the offline records as full-size FITS, as a fetch would."""
    res = _search(client, "2014-01-01T00:00:00", "2014-01-01T00:00:40", waves=(193,))  # not staged by another test
    assert not res["_online"][0]
    emu.reset_stats()
    fig = res.quicklook([0], how="files")
    export = list(emu.state.exports.exports.values())[-1]
    assert _cost(emu)["exports"] == 1 and export.protocol == "fits"
    assert fig.axes[0].images[0].get_array().shape == (512, 512)


def test_a_cutout_is_exported_as_a_jpg_of_the_cutout(emu, client):
    bl = SkyCoord(-500 * u.arcsec, -275 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01T00:01:00",
                  observer="earth")
    tr = SkyCoord(150 * u.arcsec, 375 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01T00:01:00",
                  observer="earth")
    res = client.search(
        a.Time("2014-01-01T00:01:00", "2014-01-01T00:01:30"), AIA, a.Wavelength(171 * u.AA),
        a.jsocx.Notify(NOTIFY), a.jsocx.Cutout(bl, tr))
    emu.reset_stats()
    fig = res.quicklook([0, 1])
    assert _cost(emu)["exports"] == 1
    export = list(emu.state.exports.exports.values())[-1]
    assert export.protocol.startswith("jpg,") and export.protocol.endswith(",size=1")
    assert [name for name, _ in export.steps] == ["im_patch"]
    shape = fig.axes[0].images[0].get_array().shape
    assert shape[0] < 512 and shape[1] < 512  # the patch, not the whole image


# ---------------------------------------------------------------- where it works
def test_works_on_a_slice_a_row_and_a_mask(emu, client):
    res = _search(client)
    part = res[res["WAVELNTH"] == 304][::2]
    emu.reset_stats()
    fig = part.quicklook()
    assert _titles(fig) == [_expected_title(row) for row in part]
    assert _cost(emu)["requests"] == {"download": len(part), **LINKED_STRUCT}
    assert _titles(res[3].quicklook()) == [_expected_title(res[3])]
    mask = np.zeros(len(res), dtype=bool)
    mask[[1, 2]] = True
    assert _titles(res.quicklook(mask)) == [_expected_title(res[i]) for i in (1, 2)]
    assert _titles(res.quicklook(slice(None, None, 4))) == [_expected_title(res[i]) for i in (0, 4, 8)]


def test_works_on_a_fido_result_and_its_blocks(emu):
    with sunpy_jsocx.use_server(emu.url):
        fres = Fido.search(a.Time("2014-01-01T00:01:00", "2014-01-01T00:02:00"), AIA,
                           a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA))
        assert len(fres) == 2
        emu.reset_stats()
        # Rows of the whole result count through its blocks: the first 171 record, the last 304 one.
        fig = quicklook(fres, rows=[0, -1])
        assert _titles(fig) == [_expected_title(fres[0][0]), _expected_title(fres[1][-1])]
        assert _cost(emu)["requests"] == {"download": 2, **LINKED_STRUCT}
        block = fres[1, ::2]
        assert _titles(block.quicklook()) == [_expected_title(row) for row in block]
        with pytest.raises(ValueError, match="at most 8"):
            quicklook(fres, rows=slice(None))


# ---------------------------------------------------------------- the fetch machinery
def test_the_record_cache_keeps_the_files_for_a_later_fetch(emu, client, tmp_path, monkeypatch):
    monkeypatch.setenv("JSOCX_RECORD_CACHE", str(tmp_path / "cache"))
    res = _search(client)
    emu.reset_stats()
    res.quicklook([0, 1])
    assert _cost(emu)["requests"] == {"download": 2, **LINKED_STRUCT}
    emu.reset_stats()
    res.quicklook([0, 1])  # again: from the cache
    assert emu.stats()["requests_total"] == 0
    got = client.fetch(res[0:2], path=tmp_path / "data", progress=False)  # the fetch the look came before
    assert len(got) == 2 and not got.errors
    assert emu.stats()["requests_total"] == 0


def test_path_keeps_the_files_and_the_default_leaves_none(emu, client, tmp_path, monkeypatch):
    res = _search(client)
    monkeypatch.setenv("HOME", str(tmp_path))
    res.quicklook([0, 1], path="~/look")  # the fetch expands "~": so must the look, to find its files
    kept = sorted(p.relative_to(tmp_path / "look").as_posix() for p in (tmp_path / "look").rglob("*.fits"))
    # named as JSOC names them: in the linked aia.lev1 record (its segment, its T_REC = T_OBS to the second)
    assert kept == ["0/aia.lev1_euv_12s.2014-01-01T000112Z.171.image_lev1.fits",
                    "1/aia.lev1_euv_12s.2014-01-01T000109Z.304.image_lev1.fits"]
    made = []
    import tempfile

    real = tempfile.mkdtemp

    def mkdtemp(**kwargs):
        made.append(real(dir=tmp_path, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    res.quicklook([0])
    assert len(made) == 1 and not os.path.exists(made[0])
