"""
AIA level-1 keywords and the ``spikes`` segment that aiapy's calibrate functions read.

aiapy's ``respike`` and ``fetch_spikes`` (LM-SAL/aiapy@afc3db7 aiapy/calibrate/spikes.py) and
``update_pointing`` (aiapy/calibrate/meta.py) read, from JSOC's AIA level-1 series:

* ``NSPIKES``, the number of hot pixels ("spikes") the level-0 to level-1 step removed, and
  ``LVL_NUM`` (``respike`` refuses a map whose ``LVL_NUM`` is not 1 or whose ``NSPIKES`` is 0);
* the ``spikes`` segment of ``aia.lev1_euv_12s`` / ``aia.lev1_uv_24s``: "3xN arrays, where N is the
  number of spikes removed and the three dimensions correspond to the 1-D pixel index of the
  spike, intensity value of the removed spikes, and the intensity value used in replacing the
  removed spike (via interpolation). The spike pixel positions are given with respect to the
  level 1 full-disk image" (aiapy examples/replace_hot_pixels.py). ``fetch_spikes`` reads row 0
  as flat indices into the 4096x4096 frame (``np.unravel_index(spikes[0, :], (4096, 4096))``, so
  ``index = row * 4096 + column``) and row 1 as the values; aiapy's own test
  (aiapy/calibrate/tests/test_spikes.py::test_fetch_spikes) asserts that the number of values is
  the record's ``NSPIKES``. Read with IDL's ``read_sdo`` the array is (N, 3) [wiki], the same
  FITS layout (``NAXIS1 = N``, ``NAXIS2 = 3``);
* ``SAT_ROT``, added to the master pointing's ``INST_ROT`` to give ``CROTA2`` (``update_pointing``
  sets ``crota2 = A_<wl>_INSTROT + SAT_ROT``; the series' own note says "CROTA2: INST_ROT +
  SAT_ROT").

Evidence, all public:

* ``[cass304]``: JSOC's ``rs_list key=**ALL**`` answer for
  ``aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:02:35_TAI][304]`` recorded in sunpy's
  cassette ``sunpy/net/jsoc/tests/cassettes/test_search_metadata.yaml`` (sunpy/sunpy@b361c0cda):
  eleven records with NSPIKES 9136..9607, SAT_ROT -0.000136..0.000080, INST_ROT -0.131639 and
  CROTA2 = INST_ROT + SAT_ROT to the last digit (e.g. -0.131641 = -0.131639 - 0.000002).
* ``[aia171]``: ``sunpy/data/test/aia_171_level1.fits`` (171 A, 2011-02-15): NSPIKES 18263,
  SAT_ROT 8.6e-05, INST_ROT 0.019327, CROTA2 0.019413 (= INST_ROT + SAT_ROT).
* ``[wiki]``: "Re-spiking AIA images", Hinode/EIS wiki (solarb.mssl.ucl.ac.uk, P. Young): the
  spikes file read with ``read_sdo`` has size (N, 3); "only the EUV wavelengths are de-spiked.
  The FUV wavelengths (1600, 1700) are not de-spiked"; the segment is fetched with
  ``aia.lev1_euv_12s[...][193]{spikes}``.

Where nothing public gives a value, the entry says "emulator choice". The image the emulator
serves has ``size`` x ``size`` pixels (4096 at JSOC's size, ``--image-size=4096``): the flat
indices are into that frame and ``NSPIKES`` is scaled by the ratio of pixel counts, so the spike
density is JSOC's at every size and the segment holds exactly ``NSPIKES`` spikes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["KEYWORDS", "NSPIKES_PER_WAVELENGTH", "SAT_ROT_RANGE", "SOURCES", "is_spikes_segment",
           "keyword_values", "spikes_file"]

SOURCES = {
    "cass304": "sunpy/sunpy@b361c0cda sunpy/net/jsoc/tests/cassettes/test_search_metadata.yaml",
    "aia171": "sunpy/data/test/aia_171_level1.fits",
    "wiki": "Hinode/EIS wiki 'Re-spiking AIA images' (solarb.mssl.ucl.ac.uk/JSPWiki/Wiki.jsp?page=AIARespike)",
    "aiapy": "LM-SAL/aiapy@afc3db7 aiapy/calibrate/spikes.py, examples/replace_hot_pixels.py, "
             "aiapy/calibrate/tests/test_spikes.py",
}

#: The keywords this module gives values for (AIA level-1 series only).
KEYWORDS = frozenset({"NSPIKES", "SAT_ROT", "CROTA2"})

#: NSPIKES of a full 4096x4096 frame per wavelength: (low, high, source). A record draws a value
#: uniformly between low and high.
NSPIKES_PER_WAVELENGTH: dict[int, tuple[int, int, str]] = {
    304: (9136, 9607, "[cass304] NSPIKES 9136..9607 in eleven records of 2014-01-01"),
    171: (17800, 18720, "[aia171] NSPIKES 18263; the spread (+-2.5 %) is [cass304]'s, emulator choice"),
    193: (17800, 18720, "emulator choice: 171's (193 shares 171's 2 s exposure); no public value found"),
    94: (9136, 9607, "emulator choice: 304's (the 2.9 s channels); no public value found"),
    131: (9136, 9607, "emulator choice: 304's (the 2.9 s channels); no public value found"),
    211: (9136, 9607, "emulator choice: 304's (the 2.9 s channels); no public value found"),
    335: (9136, 9607, "emulator choice: 304's (the 2.9 s channels); no public value found"),
    1600: (0, 0, "[wiki] the FUV wavelengths are not de-spiked"),
    1700: (0, 0, "[wiki] the FUV wavelengths are not de-spiked"),
    4500: (0, 0, "emulator choice: [wiki] names only the EUV wavelengths as de-spiked"),
}

#: SAT_ROT (degrees): drawn uniformly in [-x, x]. [cass304] -0.000136..0.000080 and [aia171] 8.6e-05;
#: the symmetric bound of the largest recorded magnitude is an emulator choice.
SAT_ROT_RANGE = (0.000136, "[cass304] -0.000136..0.000080, [aia171] 8.6e-05")

#: Spike amplitudes above the level-1 value (DN), log-uniform in [low, high]. Emulator choice: no
#: public distribution of the removed values was found.
SPIKE_AMPLITUDE_DN = (20.0, 2000.0)

#: The image segments of the AIA level-1 series whose ``spikes`` segment describes them.
_SPIKES_SERIES = ("aia.lev1_euv_12s", "aia.lev1_uv_24s", "aia.lev1_vis_1h", "aia.lev1")
#: The image segment's name where it is not ``image`` (the series' own segment lists).
_IMAGE_SEGMENT = {"aia.lev1": "image_lev1"}


def is_spikes_segment(series: str, segment: str) -> bool:
    """
    Whether ``segment`` of ``series`` is an AIA level-1 ``spikes`` segment.

    Examples
    --------
    >>> from sunpy_jsocx.emulator.aia_level1 import is_spikes_segment
    >>> is_spikes_segment("aia.lev1_euv_12s", "spikes"), is_spikes_segment("aia.lev1_euv_12s", "image")
    (True, False)
    """
    return series.lower() in _SPIKES_SERIES and segment.lower() == "spikes"


def keyword_values(up: str, wavelength: np.ndarray, u01: np.ndarray, *, scale: float,
                   values: Callable[[str], np.ndarray | None]) -> np.ndarray:
    """
    Values of ``NSPIKES``, ``SAT_ROT`` or ``CROTA2`` for a batch of AIA level-1 records.

    Parameters
    ----------
    up : str
        The keyword, upper case, one of `KEYWORDS`.
    wavelength : numpy.ndarray
        ``WAVELNTH`` of each record (Angstrom).
    u01 : numpy.ndarray
        One uniform number in [0, 1) per record (the record's own draw for this keyword).
    scale : float
        Full-frame pixels per served pixel (4096 / image size); NSPIKES is divided by its square.
    values : callable
        ``values(name)``: another keyword's values for the same records, or None if the series
        has no such keyword (CROTA2 reads INST_ROT and SAT_ROT).

    Returns
    -------
    numpy.ndarray
        int64 for NSPIKES, float for the angles.

    Raises
    ------
    ValueError
        For a keyword not in `KEYWORDS`.
    """
    if up == "NSPIKES":
        lo, hi = np.array([NSPIKES_PER_WAVELENGTH.get(int(w), (0, 0, ""))[:2] for w in wavelength],
                          dtype=float).reshape(-1, 2).T
        full = np.floor(lo + (hi - lo + 1) * u01)
        full = np.where(hi > 0, full, 0.0)
        return np.round(full / (scale * scale)).astype(np.int64)
    if up == "SAT_ROT":
        return np.round((2 * u01 - 1) * SAT_ROT_RANGE[0], 6)
    if up == "CROTA2":
        inst, sat = values("INST_ROT"), values("SAT_ROT")
        base = np.zeros(len(u01)) if inst is None else np.asarray(inst, dtype=float)
        return np.round(base + (0.0 if sat is None else np.asarray(sat, dtype=float)), 6)
    raise ValueError(f"{up} is not one of {', '.join(sorted(KEYWORDS))}")


def _number(keywords: Mapping[str, object], name: str) -> float:
    try:
        return float(keywords.get(name, "nan"))
    except (TypeError, ValueError):
        return float("nan")


def _image_values(series: str, keywords: Mapping[str, object], size: int, seed: int) -> np.ndarray:
    """The stored pixel values of the record's image segment (the level-1 values, DN)."""
    from astropy.io import fits

    from sunpy_jsocx.emulator import render

    segment = _IMAGE_SEGMENT.get(series.lower(), "image")
    raw = render.render_asis(series, segment, keywords, size=size, kind=render.segment_kind(series, segment),
                             seed=seed)
    with fits.open(io.BytesIO(raw)) as hdul:
        hdu = next(h for h in hdul if h.data is not None)
        blank = hdu.header.get("BLANK")
        data = np.array(hdu.data, dtype=np.int64)
        if blank is not None:
            data = np.where(data == int(blank), np.iinfo(np.int64).min, data)
    return data


def spikes_file(series: str, keywords: Mapping[str, object], *, size: int, seed: int) -> bytes:
    """
    The stored ``spikes`` file of one AIA level-1 record: a FITS array of shape (3, NSPIKES).

    Row 0 holds flat pixel indices into the record's ``size`` x ``size`` image (``row * size +
    column``, ascending, distinct), row 1 the values the spikes had before removal and row 2 the
    values the level-1 image holds there (the image segment's own pixels), as 32-bit integers in
    one primary HDU. The number of spikes is the record's ``NSPIKES``. Spike positions are
    uniform over the pixels that have a value (emulator choice), the removed values are the
    level-1 value plus a log-uniform amplitude in `SPIKE_AMPLITUDE_DN` (emulator choice).

    Parameters
    ----------
    series : str
        The level-1 series, e.g. ``"aia.lev1_euv_12s"``.
    keywords : mapping of str to str or number
        The record's keywords (``NSPIKES`` and what the image segment's drawing reads).
    size : int
        Pixels along each image axis.
    seed : int
        The record's seed, the same as its image segment's.

    Returns
    -------
    bytes
        The FITS file.

    Raises
    ------
    ValueError
        If ``NSPIKES`` is missing, negative or more than the image has pixels.
    """
    from astropy.io import fits

    n = _number(keywords, "NSPIKES")
    if not np.isfinite(n) or n < 0:
        raise ValueError(f"NSPIKES must be a count of 0 or more, not {keywords.get('NSPIKES')!r}")
    n = int(n)
    rng = np.random.default_rng([int(seed) & 0x7FFFFFFF, 0x5B1CE])
    if n:
        image = _image_values(series, keywords, int(size), seed).ravel()
        valid = np.flatnonzero(image != np.iinfo(np.int64).min)
        if n > valid.size:
            raise ValueError(f"NSPIKES={n} is more than the {valid.size} pixels of a {size}x{size} image")
        index = np.sort(rng.choice(valid, size=n, replace=False))
        level1 = image[index]
        lo, hi = np.log(SPIKE_AMPLITUDE_DN[0]), np.log(SPIKE_AMPLITUDE_DN[1])
        removed = level1 + np.round(np.exp(rng.uniform(lo, hi, n)))
        data = np.vstack([index, removed, level1]).astype(">i4")
    else:
        data = np.zeros((3, 0), dtype=">i4")
    buf = io.BytesIO()
    fits.PrimaryHDU(data).writeto(buf)
    return buf.getvalue()
