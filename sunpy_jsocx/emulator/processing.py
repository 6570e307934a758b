"""
Server-side processing of exported FITS files (``im_patch``, ``rebin``).

JSOC applies these in the export pipeline and names the records after an
intermediate ``<series>_mod`` series. The emulator applies ``rebin`` and
``im_patch`` to the image and leaves other steps' data unchanged (JSOC itself
"may still return an unprocessed image"), always reflecting them in the names.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

__all__ = ["apply_processing"]


def _rebin(data: np.ndarray, header, scale: float):
    factor = max(1, int(round(1 / scale))) if scale < 1 else 1
    if factor == 1:
        return data, header
    ny, nx = (data.shape[0] // factor) * factor, (data.shape[1] // factor) * factor
    d = data[:ny, :nx].reshape(ny // factor, factor, nx // factor, factor)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks off the disk stay NaN
        d = np.nanmean(d, axis=(1, 3))
    for ax in (1, 2):
        if f"CDELT{ax}" in header:
            header[f"CDELT{ax}"] = header[f"CDELT{ax}"] * factor
        if f"CRPIX{ax}" in header:
            header[f"CRPIX{ax}"] = (header[f"CRPIX{ax}"] - 0.5) / factor + 0.5
    return d, header


def _im_patch(data: np.ndarray, header, args: dict[str, str]):
    try:
        x, y = float(args.get("x", 0)), float(args.get("y", 0))
        w, h = float(args.get("width", 0)), float(args.get("height", 0))
    except ValueError:
        return data, header
    if args.get("locunits", "arcsec") != "arcsec" or not w or not h:
        return data, header
    cd1, cd2 = header.get("CDELT1", 1.0), header.get("CDELT2", 1.0)
    cx, cy = header.get("CRPIX1", data.shape[1] / 2), header.get("CRPIX2", data.shape[0] / 2)
    # The patch size in pixels comes from the nominal plate scale (CDELT to 3 significant digits),
    # so every image of one request has the same shape: the records' CDELT differ by ~1e-5 and
    # their pointing by fractions of a pixel, which must not change the size by a pixel.
    nx = max(1, int(np.floor(w / abs(float(f"{cd1:.3g}")) + 0.5)))
    ny = max(1, int(np.floor(h / abs(float(f"{cd2:.3g}")) + 0.5)))
    # pixel centre of the patch (1-based FITS pixels), ignoring the small roll
    px, py = cx + x / cd1, cy + y / cd2
    x0 = int(np.floor(px - nx / 2 + 0.5)) - 1
    y0 = int(np.floor(py - ny / 2 + 0.5)) - 1
    out = np.full((ny, nx), np.nan, dtype=data.dtype)  # parts off the image are missing
    sx0, sx1 = max(0, x0), min(data.shape[1], x0 + nx)
    sy0, sy1 = max(0, y0), min(data.shape[0], y0 + ny)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = data[sy0:sy1, sx0:sx1]
    header["CRPIX1"] = cx - x0
    header["CRPIX2"] = cy - y0
    return out, header


def apply_processing(fits_bytes: bytes, steps: list[tuple[str, dict[str, str]]]) -> bytes:
    """Apply processing steps to a FITS file; returns the new file's bytes."""
    from astropy.io import fits

    with fits.open(io.BytesIO(fits_bytes)) as hdul:
        idx = 1 if len(hdul) > 1 and hdul[1].data is not None else 0
        hdu = hdul[idx]
        data = np.asarray(hdu.data, dtype=np.float32)
        header = hdu.header.copy()
    for name, args in steps:
        if name == "rebin":
            try:
                data, header = _rebin(data, header, float(args.get("scale", 1)))
            except ValueError:
                pass
        elif name == "im_patch":
            data, header = _im_patch(data, header, args)
    for k in ("BZERO", "BSCALE", "BLANK", "ZBLANK"):
        header.remove(k, ignore_missing=True, remove_all=True)
    for k in list(header):
        if k.startswith(("ZNAXIS", "ZTILE", "ZNAME", "ZVAL", "ZCMPTYPE", "ZBITPIX", "ZSIMPLE", "ZQUANTIZ",
                         "ZDITHER", "ZEXTEND", "ZTENSION", "ZPCOUNT", "ZGCOUNT")):
            header.remove(k, ignore_missing=True, remove_all=True)
    out = fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data=data, header=_image_cards(header), dither_seed=1)])
    buf = io.BytesIO()
    out.writeto(buf, output_verify="silentfix")
    return buf.getvalue()


def _image_cards(header):
    from astropy.io import fits

    h = fits.Header()
    skip = {"SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND", "XTENSION", "PCOUNT", "GCOUNT", "TFIELDS",
            "TTYPE1", "TFORM1", "CHECKSUM", "DATASUM"}
    for card in header.cards:
        if card.keyword in skip or card.keyword.startswith(("TTYPE", "TFORM")):
            continue
        h.append(card)
    return h
