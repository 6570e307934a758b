"""
Image and movie export protocols: ``jpg`` gives real JPEG files, ``mp4`` a real MP4, ``mpg`` is refused.

JSOC's jsoc_fetch knows the protocols as-is, fits, jpg, mpg and mp4 (jsoc-api.md §3.7, §5.1;
drms's examples/export_jpg.py and export_movie.py use them). The emulator used to answer every
one of them with FITS files; then jpg was rendered as JPEG and movies were refused. JSOC's
jsoc_export_as_images (lm-jps/drms) makes an mp4 export of JPEG frames at quality 95 and an
MP4 of them at 20 frames a second, listed first in the index as "movie of the following
data"; the emulator's MP4 holds the same JPEG frames (movie.py), checked here with a small
ISO-BMFF parser of the test's own.
"""

from __future__ import annotations

import io
from pathlib import Path

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


@pytest.mark.parametrize("protocol", ["mpg", "MPG,CT=grey.sao,scaling=MINMAX,size=4"])
def test_mpeg1_movies_are_refused_not_answered_with_fits(emulator, protocol):
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


# ---------------------------------------------------------------------------- mp4
def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """ISO-BMFF boxes in data[start:end]: (type, payload start, payload end); the test's own parser."""
    import struct

    end = len(data) if end is None else end
    out, i = [], start
    while i < end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        assert size >= 8 and i + size <= end, (kind, size)
        out.append((kind, i + 8, i + size))
        i += size
    assert i == end
    return out


def _child(data, parent, kind):
    (found,) = [b for b in _boxes(data, parent[1], parent[2]) if b[0] == kind]
    return found


def _path(data, *kinds):
    box = (b"", 0, len(data))
    for k in kinds:
        box = _child(data, box, k)
    return box


def _check_mp4(body: bytes, frames: list[bytes], fps: int = 20) -> tuple[int, int]:
    """Assert body is an MP4 whose samples are exactly ``frames``; return (width, height)."""
    import struct

    top = [k for k, _, _ in _boxes(body)]
    assert top == [b"ftyp", b"moov", b"mdat"]
    ftyp = _path(body, b"ftyp")
    assert body[ftyp[1]:ftyp[1] + 4] == b"isom"
    mvhd = _path(body, b"moov", b"mvhd")
    scale, duration = struct.unpack(">II", body[mvhd[1] + 12:mvhd[1] + 20])
    assert duration * fps == len(frames) * scale  # 20 frames a second
    stbl = (b"moov", b"trak", b"mdia", b"minf", b"stbl")
    hdlr = _path(body, b"moov", b"trak", b"mdia", b"hdlr")
    assert body[hdlr[1] + 8:hdlr[1] + 12] == b"vide"
    mdhd = _path(body, b"moov", b"trak", b"mdia", b"mdhd")
    assert struct.unpack(">II", body[mdhd[1] + 12:mdhd[1] + 20]) == (fps, len(frames))
    stsd = _path(body, *stbl, b"stsd")
    (entry,) = _boxes(body, stsd[1] + 8, stsd[2])
    assert entry[0] == b"mp4v"
    width, height = struct.unpack(">HH", body[entry[1] + 24:entry[1] + 28])
    esds = _child(body, (b"", entry[1] + 78, entry[2]), b"esds")
    assert body[esds[1] + 4] == 0x03  # ES_Descriptor
    assert b"\x04\x80\x80\x80" in body[esds[1]:esds[2]]
    dcd = body.index(b"\x04\x80\x80\x80", esds[1]) + 5
    assert body[dcd] == 0x6C  # object type: JPEG (ISO/IEC 10918-1)
    stts = _path(body, *stbl, b"stts")
    assert struct.unpack(">III", body[stts[1] + 4:stts[1] + 16]) == (1, len(frames), 1)
    stsz = _path(body, *stbl, b"stsz")
    count = struct.unpack(">I", body[stsz[1] + 8:stsz[1] + 12])[0]
    sizes = struct.unpack(f">{count}I", body[stsz[1] + 12:stsz[1] + 12 + 4 * count])
    stco = _path(body, *stbl, b"stco")
    assert struct.unpack(">I", body[stco[1] + 4:stco[1] + 8])[0] == 1
    offset = struct.unpack(">I", body[stco[1] + 8:stco[1] + 12])[0]
    mdat = _path(body, b"mdat")
    assert offset == mdat[1]
    got = []
    for n in sizes:
        got.append(body[offset:offset + n])
        offset += n
    assert offset == mdat[2]
    assert got == frames
    return width, height


def _frames(n=5, shape=(24, 40)):
    import numpy as np

    from sunpy_jsocx.emulator.images import jpeg_bytes

    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    return [jpeg_bytes(np.sin((x + 4 * k) / 5.0) + y / 10.0, {"SCALING": "MINMAX"}) for k in range(n)]


def test_mp4_holds_the_jpeg_frames_in_an_iso_media_file():
    from PIL import Image

    from sunpy_jsocx.emulator.movie import mp4_from_jpegs

    frames = _frames()
    body = mp4_from_jpegs(frames)
    assert _check_mp4(body, frames) == (40, 24)
    assert Image.open(io.BytesIO(frames[0])).info.get("progressive") is None  # baseline JPEG, as MJPEG needs


def test_mp4_refuses_what_it_cannot_make():
    from sunpy_jsocx.emulator.movie import mp4_from_jpegs

    with pytest.raises(ValueError, match="at least one frame"):
        mp4_from_jpegs([])
    with pytest.raises(ValueError, match="JPEG"):
        mp4_from_jpegs([b"SIMPLE  =                    T"])
    with pytest.raises(ValueError, match="one size"):
        mp4_from_jpegs(_frames(1, (24, 40)) + _frames(1, (20, 40)))
    with pytest.raises(ValueError, match="fps"):
        mp4_from_jpegs(_frames(1), fps=0)


def test_mp4_export_lists_the_movie_first_then_the_frames():
    from sunpy_jsocx.emulator.catalog import load_catalog
    from sunpy_jsocx.emulator.exports import MOVIE_RECORD, ExportManager
    from sunpy_jsocx.emulator.records import RecordStore

    store = RecordStore(load_catalog(), seed=0, offline_before=0.0, now=lambda: 2e9)
    proto = "mp4,CT=grey.sao,scaling=mag,size=8,min=-1500,max=1500"
    ds = "hmi.M_720s[2025.01.29_23:12:00_TAI/5h@1h]{magnetogram}"
    refusing = ExportManager(store, clock=lambda: 1e9, registered=[EMAIL])
    d = refusing.request({"ds": ds, "notify": EMAIL, "method": "url", "protocol": proto})
    assert d["status"] == 4 and "movies" in d["error"]
    movies = ExportManager(store, clock=lambda: 1e9, registered=[EMAIL], movies=True)
    d = movies.request({"ds": ds, "notify": EMAIL, "method": "url", "protocol": proto})
    assert d["status"] == 2, d
    s = movies.status(d["requestid"])
    data = s["data"]
    assert data[0] == {"record": MOVIE_RECORD, "filename": "hmi.M_720s.mp4"}
    assert len(data) == 1 + 5
    assert all(x["filename"].endswith(".jpg") and x["record"].startswith("hmi.M_720s[") for x in data[1:])
    exp = movies.exports[d["requestid"]]
    assert [f.filename for f in movies.frames(exp)] == [x["filename"] for x in data[1:]]
    bad = movies.request({"ds": "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI][304]{spikes}", "notify": EMAIL,
                          "method": "url", "protocol": "mp4"})
    assert bad["status"] == 4 and "not an image" in bad["error"]


def test_mp4_export_gives_a_real_movie_never_fits(drms_client, tmp_path):
    """drms examples/export_movie.py: export with protocol mp4, download index 0 (the movie)."""
    args = {"ct": "grey.sao", "min": -1500, "max": 1500, "scaling": "mag", "size": 8}
    ds = "hmi.M_720s[2025.01.29_23:12:00_TAI/4h@1h]{magnetogram}"
    r = drms_client.export(ds, protocol="mp4", protocol_args=args, email=EMAIL)
    r.wait(sleep=0)
    assert len(r.urls) == 1 + 4
    got = r.download(str(tmp_path), index=0)
    body = Path(got["download"][0]).read_bytes()
    assert str(got["download"][0]).endswith("hmi.M_720s.mp4")
    frames = [Path(p).read_bytes() for p in r.download(str(tmp_path), index=[1, 2, 3, 4])["download"]]
    assert all(f[:2] == b"\xff\xd8" for f in frames)
    _check_mp4(body, frames)
