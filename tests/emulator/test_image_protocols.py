"""
Image and movie export protocols: ``jpg`` gives real JPEG files, ``mp4``/``mpg`` are refused.

JSOC's jsoc_fetch knows the protocols as-is, fits, jpg, mpg and mp4 (jsoc-api.md §3.7, §5.1;
drms's examples/export_jpg.py and export_movie.py use them). The emulator used to answer every
one of them with FITS files; now jpg is rendered as JPEG and movies, which cannot be written
faithfully without an MPEG encoder, are refused the way jsoc_fetch refuses a request (status 4).
"""

from __future__ import annotations

import io

import pytest
from helpers import download, fetch

EMAIL = "user@example.org"
DS = "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:00:55_TAI][304]{image}"


def _export(emu, ds, protocol):
    return fetch(emu, op="exp_request", format="json", ds=ds, notify=EMAIL, method="url", protocol=protocol)


def test_jpg_export_gives_jpeg_files_binned_by_size(emulator):
    from PIL import Image

    d = _export(emulator, DS, "jpg,CT=aia_304.lut,scaling=LOG,size=2,min=4,max=800")
    assert d["status"] == 2, d
    s = fetch(emulator, op="exp_status", requestid=d["requestid"])
    assert s["status"] == "0"
    names = [x["filename"] for x in s["data"]]
    assert len(names) == 2
    assert all(n.endswith(".jpg") for n in names)
    assert s["keywords"].endswith(".keywords.txt")  # keywords are not in JPEG files
    r = download(emulator, f"{s['dir']}/{names[0]}")
    assert r.headers["Content-Type"] == "image/jpeg"
    body = r.read()
    assert body[:2] == b"\xff\xd8"
    img = Image.open(io.BytesIO(body))
    assert img.format == "JPEG"
    assert img.mode == "L"
    fits = _export(emulator, DS, "fits")
    sf = fetch(emulator, op="exp_status", requestid=fits["requestid"])
    from astropy.io import fits as pyfits

    raw = download(emulator, f"{sf['dir']}/{sf['data'][0]['filename']}").read()
    with pyfits.open(io.BytesIO(raw)) as hdul:
        shape = next(h.data.shape for h in hdul if h.data is not None)
    assert img.size == (shape[1] // 2, shape[0] // 2)
    assert len(set(img.tobytes())) > 10  # an image, not a blank


@pytest.mark.parametrize("protocol", ["mp4,CT=grey.sao,scaling=MINMAX,size=4", "mpg", "MP4"])
def test_movie_protocols_are_refused_not_answered_with_fits(emulator, protocol):
    d = _export(emulator, DS, protocol)
    assert d["status"] == 4
    assert "movies" in d["error"] and "jpg" in d["error"]
    assert "requestid" not in d


def test_unknown_protocol_and_bad_jpg_arguments_are_refused(emulator):
    d = _export(emulator, DS, "png")
    assert d["status"] == 4 and "valid protocols are as-is, fits, jpg, mpg and mp4" in d["error"]
    d = _export(emulator, DS, "jpg,scaling=CUBIC")
    assert d["status"] == 4 and "scaling=CUBIC" in d["error"]


def test_jpg_of_a_non_image_segment_is_refused(emulator):
    d = _export(emulator, "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI][304]{spikes}", "jpg")
    assert d["status"] == 4 and "not an image" in d["error"]


def test_drms_export_jpg_downloads_jpegs(drms_client, tmp_path):
    r = drms_client.export(DS, method="url", protocol="jpg",
                           protocol_args={"ct": "grey.sao", "scaling": "MINMAX", "size": 4}, email=EMAIL)
    r.wait(sleep=0)
    got = r.download(str(tmp_path))
    assert len(got) == 2
    for path in got["download"]:
        assert str(path).endswith(".jpg")
        with open(path, "rb") as fh:
            assert fh.read(2) == b"\xff\xd8"
