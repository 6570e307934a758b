"""
Images for the ``jpg`` export protocol: the segment's data rendered as a real JPEG file.

JSOC's ``jpg`` protocol takes arguments after the protocol name, as drms sends them
(jsoc-api.md §3.7; drms's ``examples/export_jpg.py``):
``jpg,CT=<colour table>,scaling=<MINMAX|MINMAXGIVEN|LOG|SQRT|mag>,size=<binning>[,min=..][,max=..]``.
The emulator applies the scaling, the ``min``/``max`` clip and the binning (``size=2``: a
2x2 block average, so 4096 pixels become 2048) and writes an 8-bit JPEG with Pillow. JSOC's
colour tables (``aia_304.lut``, ``HMI_mag.lut``, ...) are not public data here, so every
image is grey; solar north is up, as in JSOC's images (the first FITS row is the bottom row).

JSOC writes its JPEGs with ``pnmtojpeg -quality=95`` (lm-jps/drms
``base/export/scripts/jsoc_export_as_images``); so does the emulator. The ``mp4`` protocol
uses the same frames, joined into an MP4 by :mod:`sunpy_jsocx.emulator.movie`; ``mpg``
(MPEG-1) is refused (see :mod:`sunpy_jsocx.emulator.exports`).
"""

from __future__ import annotations

import io
import warnings

import numpy as np

__all__ = ["IMAGE_SCALINGS", "JPEG_QUALITY", "parse_image_args", "jpeg_bytes"]

#: Scalings JSOC's export page offers for the jpg protocol (jsoc-api.md §3.7).
IMAGE_SCALINGS = ("MINMAX", "MINMAXGIVEN", "LOG", "SQRT", "MAG")
#: JPEG quality of JSOC's export images (``pnmtojpeg -quality=95`` in jsoc_export_as_images).
JPEG_QUALITY = 95


def parse_image_args(protocol: str) -> dict[str, str]:
    """
    The ``key=value`` arguments of an image protocol string, keys upper-cased.

    Parameters
    ----------
    protocol
        For example ``"jpg,CT=grey.sao,scaling=LOG,size=2,min=4,max=800"``.

    Returns
    -------
    dict
        ``{"CT": "grey.sao", "SCALING": "LOG", "SIZE": "2", "MIN": "4", "MAX": "800"}``.

    Raises
    ------
    ValueError
        If an argument is not ``key=value``, the scaling is unknown, or ``size``, ``min``
        or ``max`` is not a number.
    """
    out: dict[str, str] = {}
    for raw in protocol.split(",")[1:]:
        part = raw.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise ValueError(f"protocol argument {part!r} is not key=value (e.g. scaling=LOG)")
        out[key.strip().upper()] = value.strip()
    scaling = out.get("SCALING", "MINMAX").upper()
    if scaling not in IMAGE_SCALINGS:
        raise ValueError(f"scaling={out['SCALING']} is not one of {', '.join(IMAGE_SCALINGS)}")
    out["SCALING"] = scaling
    for key in ("SIZE", "MIN", "MAX"):
        if key in out:
            try:
                float(out[key])
            except ValueError:
                raise ValueError(f"{key.lower()}={out[key]} is not a number") from None
    if "SIZE" in out and (float(out["SIZE"]) < 1 or float(out["SIZE"]) != int(float(out["SIZE"]))):
        raise ValueError(f"size={out['SIZE']} must be a whole binning factor of 1 or more")
    return out


def _bin(data: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return data
    ny, nx = (data.shape[0] // k) * k, (data.shape[1] // k) * k
    if ny == 0 or nx == 0:
        return data
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN block (off the disk) stays NaN
        return np.nanmean(data[:ny, :nx].reshape(ny // k, k, nx // k, k), axis=(1, 3))


def jpeg_bytes(data: np.ndarray, args: dict[str, str], *, quality: int = JPEG_QUALITY) -> bytes:
    """
    Render a 2-D array as a grey JPEG with JSOC's ``jpg`` protocol arguments.

    Parameters
    ----------
    data
        The physical values of the segment (BZERO/BSCALE applied); NaN for missing pixels,
        which are drawn black.
    args
        As returned by :func:`parse_image_args`.
    quality
        JPEG quality (1-95).

    Returns
    -------
    bytes
        A JFIF file (starts with ``FF D8``).
    """
    from PIL import Image

    a = np.asarray(data, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"the jpg protocol needs a 2-D image segment, not an array of shape {a.shape}")
    a = _bin(a, int(float(args.get("SIZE", "1"))))
    finite = np.isfinite(a)
    scaling = args.get("SCALING", "MINMAX")
    if scaling == "MAG":  # magnetograms: symmetric about zero
        lim = float(args["MAX"]) if "MAX" in args else (float(np.nanmax(np.abs(a[finite]))) if finite.any() else 1.0)
        lo, hi = -lim, lim
    else:
        lo = float(args["MIN"]) if "MIN" in args else (float(np.nanmin(a[finite])) if finite.any() else 0.0)
        hi = float(args["MAX"]) if "MAX" in args else (float(np.nanmax(a[finite])) if finite.any() else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    x = np.clip(np.where(finite, a, lo), lo, hi)
    if scaling == "LOG":
        base = max(lo, 1e-3 * max(abs(hi), 1.0)) if lo <= 0 else lo
        x = np.log10(np.maximum(x, base) / base) / np.log10(max(hi, base * 10) / base)
    elif scaling == "SQRT":
        x = np.sqrt((x - lo) / (hi - lo))
    else:
        x = (x - lo) / (hi - lo)
    grey = np.where(finite, np.clip(np.round(x * 255.0), 0, 255), 0).astype(np.uint8)
    img = Image.fromarray(grey[::-1], mode="L")  # FITS row 0 is the bottom: north up
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()
