"""
MP4 movies for the ``mp4`` export protocol, written without a video encoder.

JSOC makes ``mp4`` exports with ``jsoc_export_as_images`` (lm-jps/drms@3727293,
``base/export/scripts/jsoc_export_as_images``): it renders every record as a JPEG
(``pnmtojpeg -quality=95``), then joins the frames with
``ffmpeg -i %04d.jpg -qscale 5 -r 20 -b 9600 ../<series>.mp4``, where ``<series>`` is the
record set up to its first ``[``. The export's index lists the movie first, as
``movie of the following data`` / ``<series>.mp4`` (the record name drms recognises by its
``movie`` prefix), then each record with its JPEG frame.

The emulator writes the same frames into an ISO base media file (ISO/IEC 14496-12 and -14):
``ftyp``, then ``moov`` (``mvhd``, one video ``trak`` with ``tkhd`` and ``mdia``/``mdhd``/
``hdlr``/``minf``/``vmhd``/``dinf``/``stbl``) ahead of ``mdat``, 20 frames a second as JSOC's
``-r 20``. Each sample is one JPEG, declared by an ``mp4v`` sample entry whose ``esds``
names object type 0x6C (ISO/IEC 10918-1, JPEG) — Motion JPEG in MP4, as ffmpeg's own mp4
muxer writes it. What differs from JSOC: ffmpeg re-encodes the frames (MPEG-4 or H.264,
depending on how it was built), the emulator keeps the JPEGs; players that read MP4 through
ffmpeg (VLC, mpv, PyAV, ffprobe) show it, some browsers do not.
"""

from __future__ import annotations

import io
import struct

__all__ = ["FRAME_RATE", "JPEG_OBJECT_TYPE", "mp4_from_jpegs", "movie_name"]

#: Frames per second of JSOC's movies (``ffmpeg ... -r 20``).
FRAME_RATE = 20
#: MPEG-4 systems object type of JPEG (ISO/IEC 10918-1) in an ``esds`` descriptor.
JPEG_OBJECT_TYPE = 0x6C
_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


def movie_name(ds: str, extension: str = "mp4") -> str:
    """
    The movie's file name: the record set up to its first ``[``, as JSOC's script names it.

    Parameters
    ----------
    ds
        The export's record set, e.g. ``hmi.M_720s[2025.01.29_23:12:00_TAI/5d@1h]{magnetogram}``.
    extension
        ``mp4``.
    """
    series = ds.split("[", 1)[0].split("{", 1)[0].strip() or "movie"
    return f"{series}.{extension}"


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def _descriptor(tag: int, body: bytes) -> bytes:
    # MPEG-4 systems descriptors: tag, then the size in 7-bit groups (4 bytes, as muxers write it)
    n = len(body)
    size = bytes([0x80 | ((n >> 21) & 0x7F), 0x80 | ((n >> 14) & 0x7F), 0x80 | ((n >> 7) & 0x7F), n & 0x7F])
    return bytes([tag]) + size + body


def _jpeg_size(frame: bytes) -> tuple[int, int]:
    """Width and height from a JPEG's SOF marker."""
    if frame[:2] != b"\xff\xd8":
        raise ValueError("an MP4 frame must be a JPEG file (it starts with FF D8)")
    i = 2
    while i + 9 < len(frame):
        if frame[i] != 0xFF:
            raise ValueError(f"not a JPEG marker at byte {i} of a frame")
        marker = frame[i + 1]
        length = struct.unpack(">H", frame[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", frame[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise ValueError("a JPEG frame has no SOF marker (no image size)")


def mp4_from_jpegs(frames: list[bytes], *, fps: int = FRAME_RATE) -> bytes:
    """
    An MP4 file whose video samples are the given JPEG frames (Motion JPEG).

    Parameters
    ----------
    frames
        JPEG files, all of one width and height, in display order.
    fps
        Frames per second.

    Returns
    -------
    bytes
        The file: ``ftyp``, ``moov``, ``mdat``.

    Raises
    ------
    ValueError
        If there is no frame, a frame is not a JPEG, the frames differ in size, or
        ``fps`` is not a positive whole number.
    """
    if not frames:
        raise ValueError("an MP4 movie needs at least one frame")
    if int(fps) != fps or fps < 1:
        raise ValueError(f"fps must be a whole number of 1 or more, got {fps!r}")
    sizes = {_jpeg_size(f) for f in frames}
    if len(sizes) != 1:
        raise ValueError(f"all frames of a movie must have one size, got {sorted(sizes)}")
    (width, height), = sizes
    n = len(frames)
    movie_scale = 1000
    duration = n * movie_scale // fps
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"mp41")

    def moov(chunk_offset: int) -> bytes:
        mvhd = _full(b"mvhd", 0, 0, struct.pack(">IIII", 0, 0, movie_scale, duration),
                     struct.pack(">IH", 0x00010000, 0x0100), b"\0" * 10, _MATRIX, b"\0" * 24, struct.pack(">I", 2))
        tkhd = _full(b"tkhd", 0, 0x3, struct.pack(">IIIII", 0, 0, 1, 0, duration), b"\0" * 8,
                     struct.pack(">hhhH", 0, 0, 0, 0), _MATRIX, struct.pack(">II", width << 16, height << 16))
        mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, fps, n), struct.pack(">HH", 0x55C4, 0))  # 'und'
        hdlr = _full(b"hdlr", 0, 0, b"\0" * 4, b"vide", b"\0" * 12, b"VideoHandler\0")
        vmhd = _full(b"vmhd", 0, 1, b"\0" * 8)
        dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
        bitrate = sum(len(f) for f in frames) * 8 * fps // n
        dcd = _descriptor(0x04, bytes([JPEG_OBJECT_TYPE, (0x04 << 2) | 1])  # visual stream
                          + max(len(f) for f in frames).to_bytes(3, "big") + struct.pack(">II", bitrate, bitrate))
        esds = _full(b"esds", 0, 0, _descriptor(0x03, struct.pack(">HB", 1, 0) + dcd + _descriptor(0x06, b"\x02")))
        name = b"Lavc JPEG".ljust(32, b"\0")  # compressorname: a Pascal string in 32 bytes
        mp4v = _box(b"mp4v", b"\0" * 6, struct.pack(">H", 1), b"\0" * 16, struct.pack(">HH", width, height),
                    struct.pack(">II", 0x00480000, 0x00480000), b"\0" * 4, struct.pack(">H", 1),
                    bytes([len(b"Lavc JPEG")]) + name[:31], struct.pack(">Hh", 0x18, -1), esds)
        stsd = _full(b"stsd", 0, 0, struct.pack(">I", 1), mp4v)
        stts = _full(b"stts", 0, 0, struct.pack(">III", 1, n, 1))
        stsc = _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, n, 1))
        stsz = _full(b"stsz", 0, 0, struct.pack(">II", 0, n), b"".join(struct.pack(">I", len(f)) for f in frames))
        stco = _full(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset))
        stbl = _box(b"stbl", stsd, stts, stsc, stsz, stco)
        minf = _box(b"minf", vmhd, dinf, stbl)
        trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
        return _box(b"moov", mvhd, trak)

    head = len(ftyp) + len(moov(0)) + 8  # the mdat payload starts after its own 8-byte header
    out = io.BytesIO()
    out.write(ftyp)
    out.write(moov(head))
    out.write(struct.pack(">I", 8 + sum(len(f) for f in frames)) + b"mdat")
    for f in frames:
        out.write(f)
    return out.getvalue()
