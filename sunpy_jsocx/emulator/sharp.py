"""
SHARP summary keywords that follow an active region's life.

The space-weather indices of the SHARP series (``USFLUX``, ``TOTUSJH``, ``TOTPOT``,
``MEANGAM``... of hmi.sharp_720s, hmi.sharp_cea_720s and their ``_nrt`` twins, Bobra et
al. 2014, Solar Phys. 289, 3549) and the patch keywords (``AREA_ACR``, ``NPIX``, ``MTOT``...)
are deterministic functions of the HARP, of its birth and lifetime (the emulator's HARP
model, see :mod:`sunpy_jsocx.emulator.records`) and of the time:

- the region's deprojected active area ``AREA_ACR`` grows from its birth to a peak and
  decays until it ends, with slow wiggles of a few per cent (hours to a day), so that a time
  series is smooth from one 12-minute record to the next, as real ones are;
- the extensive indices scale with the area as the real records of `SHARP_RECORDS` show
  (``USFLUX`` is a sum of ``|Bz| dA`` over the region, so it is proportional to the area;
  the total current and helicity follow the flux; the free energy ``TOTPOT`` grows faster
  than the flux);
- the intensive indices (means of angles, gradients, twist) keep per-HARP levels inside the
  range of the real records, with the same slow wiggles.

Every coefficient names the real record(s) it comes from, or says "emulator choice".
"""

from __future__ import annotations

import numpy as np

from sunpy_jsocx.emulator.physics import hash01

__all__ = ["CCD_WCS_KEYWORDS", "CEA_WCS_KEYWORDS", "KNOWN_BOXES", "SHARP_KEYWORDS", "SHARP_RECORDS", "box_centre",
           "ccd_box", "ccd_patch_wcs", "cea_patch_wcs", "envelope", "harp_box", "position", "render_patch",
           "sharp_keywords"]

#: Real SHARP records whose keyword values set the emulator's levels and ratios.
#:
#: - ``[sharp]``: ``sunpy/data/test/hmi_sharp_magnetogram.header`` (also
#:   ``hmi_cea_sharp_magnetogram.header``, same indices): HARP 11465 (NOAA 13733) at
#:   2024.06.28_00:00:00_TAI, a young region one day after its detection.
#: - ``[bharp]``: ``sunpy/data/test/hmi_bharp_vlos_mag.header``: HARP 4225 (NOAA 12087) at
#:   2014.06.09_23:48:00_TAI, near the east limb (patch keywords only).
#: - ``[dabench]``: a table of hmi.sharp_720s records of 2014.03.23 20:24-21:48 TAI (12-minute
#:   cadence) in the public data set infiagent/DABench (file da-dev-tables/3901.csv on
#:   huggingface.co); the first row is kept.
#: - ``[solarsae]``: HARP 1 (NOAA 11067) at 2010.05.01_00:00:00_TAI in the public data set
#:   gabrieles94/solarsae-sharp-keywords (huggingface.co), near the east limb (LON_FWT -78).
SHARP_RECORDS = {
    "sharp": dict(USFLUX=1.99282158e21, MEANGAM=23.5846176, MEANGBT=85.7408295, MEANGBZ=86.1570435,
                  MEANGBH=25.8305607, MEANJZD=0.236068085, TOTUSJZ=1.72752136e12, MEANALP=0.010571084,
                  MEANJZH=0.00241488358, TOTUSJH=73.1181107, ABSNJZH=8.22267818, SAVNCPP=9.80980007e11,
                  MEANPOT=1028.17603, TOTPOT=4.64940226e21, MEANSHR=19.9402161, SHRGT45=0.352422923,
                  R_VALUE=0.0, NPIX=6524, SIZE=591.908752, AREA=533.74469, NACR=520, SIZE_ACR=47.1785011,
                  AREA_ACR=42.4800529, MTOT=354120.312, MNET=7694.5, MMEAN=1.17941451, MSKEW=0.0358341783,
                  MKURT=5.0651083, LAT_FWT=8.86594486, LON_FWT=-56.1843529, CMASK=3405.0, ERRVF=1.69260002e18,
                  ERRBT=0.262534142, ERRMIH=0.000413938978, USFLUXL=8.7199800774431133e20, MEANGBL=17.3308563,
                  CMASKL=12159),
    "bharp": dict(NPIX=5618, SIZE=508.977631, AREA=2528.02881, NACR=687, SIZE_ACR=62.2405891, AREA_ACR=280.979218,
                  MTOT=494581.0, MNET=-1554.0, MMEAN=-0.276610881, MSKEW=-0.452324331, MKURT=4.73657274,
                  LAT_FWT=-17.9514961, LON_FWT=-82.7614441),
    "dabench": dict(USFLUX=3.246502e21, MEANGAM=21.786, MEANGBT=93.013, MEANGBZ=92.809, MEANGBH=31.210,
                    MEANJZD=0.08746085, TOTUSJZ=3.141588e12, MEANJZH=0.00286312, TOTUSJH=143.341, ABSNJZH=14.092,
                    SAVNCPP=2.248874e11, MEANPOT=1185.247, TOTPOT=7.747525e21, MEANSHR=18.695, SHRGT45=0.061,
                    R_VALUE=0.0, AREA_ACR=69.264130),
    "solarsae": dict(LAT_FWT=23.815041, LON_FWT=-78.194817, NPIX=3842, SIZE=342.819611, AREA_ACR=107.599098,
                     SIZE_ACR=33.371819, NACR=374, USFLUX=6.510776e21, MEANGAM=28.337, MEANGBT=66.808,
                     MEANGBZ=84.497, MEANGBH=32.193, MEANJZD=-0.131873, TOTUSJZ=5.777592e12, MEANALP=0.00933,
                     MEANJZH=0.003103, TOTUSJH=270.853, ABSNJZH=30.27, SAVNCPP=2.383632e12, MEANPOT=2242.021,
                     TOTPOT=2.905448e22, MEANSHR=24.064, SHRGT45=8.69, R_VALUE=3.343),
}

# Ratios and levels, each from the records above.
#: USFLUX per mH of AREA_ACR (Mx): [sharp] 4.69e19, [dabench] 4.69e19, [solarsae] 6.05e19.
_FLUX_PER_AREA = (4.69e19, 6.05e19)
#: TOTUSJZ / USFLUX (A/Mx): [sharp] 8.67e-10, [dabench] 9.68e-10, [solarsae] 8.87e-10.
_JZ_PER_FLUX = (8.6e-10, 9.7e-10)
#: TOTUSJH / USFLUX ((G^2/m)/Mx): [sharp] 3.67e-20, [dabench] 4.42e-20, [solarsae] 4.16e-20.
_JH_PER_FLUX = (3.6e-20, 4.5e-20)
#: ABSNJZH / TOTUSJH: [sharp] 0.112, [dabench] 0.098, [solarsae] 0.112.
_NET_JH = (0.09, 0.12)
#: SAVNCPP / TOTUSJZ: [dabench] 0.07, [solarsae] 0.41, [sharp] 0.57.
_NET_JZ = (0.07, 0.57)
#: TOTPOT = 1.016e22 (USFLUX / 3.48e21)^1.57 erg/cm and MEANPOT = 1398 (USFLUX / 3.48e21)^0.675
#: erg/cm^3: least-squares power laws in log-log through [sharp], [dabench] and [solarsae]
#: (the free energy grows faster than the flux; [dabench]'s TOTPOT alone moves by 20% in 1.5 h).
_TOTPOT = (1.016e22, 3.48e21, 1.57)
_MEANPOT = (1398.0, 3.48e21, 0.675)
#: Ranges of the intensive indices over the three records (emulator choice: 10% beyond them).
_LEVELS = {
    "MEANGAM": (20.0, 30.0),  # deg: 21.8 .. 28.3
    "MEANGBT": (62.0, 98.0),  # G/Mm: 66.8 .. 93.0
    "MEANGBZ": (78.0, 97.0),  # G/Mm: 84.5 .. 92.8
    "MEANGBH": (23.0, 35.0),  # G/Mm: 25.8 .. 32.2
    "MEANSHR": (16.0, 26.0),  # deg: 18.7 .. 24.1
    "MEANJZD": (0.08, 0.28),  # mA/m^2, signed: 0.087, 0.236, -0.132
    "MEANALP": (0.005, 0.012),  # 1/Mm, signed: 0.0093, 0.0106
    "MEANJZH": (0.0022, 0.0035),  # G^2/m, signed: 0.0024 .. 0.0031
}
#: SHRGT45 (per cent) rises with the flux: [dabench] 0.06 and [sharp] 0.35 at 2-3e21 Mx,
#: [solarsae] 8.7 at 6.5e21 Mx; the emulator takes 8.7 (USFLUX / 6.5e21)^3 times 0.3 .. 1.5.
_SHRGT45 = (8.7, 6.5e21, 3.0)
#: R_VALUE (log10 of the flux near strong-field polarity inversion lines) is 0 for the small
#: regions ([sharp], [dabench]) and 3.34 at 6.5e21 Mx ([solarsae]); the emulator sets it from
#: 4e21 Mx (times a per-HARP factor 0.7 .. 1.4) as 3.3 + 3 log10(USFLUX / 6.5e21).
_R_THRESHOLD = 4.0e21
#: Projected area per pixel (mH): SIZE / NPIX = SIZE_ACR / NACR = 0.0907 [sharp], 0.0892 [solarsae].
_MH_PER_PIXEL = 0.0905
#: Whole patch / active area (deprojected): AREA / AREA_ACR = 12.6 [sharp], 9.0 [bharp].
_PATCH_PER_ACTIVE = (9.0, 12.6)
#: Mean |B_los| over the patch (G): MTOT / NPIX = 54.3 [sharp], 88.0 [bharp]; MNET / MTOT:
#: +0.022 [sharp], -0.003 [bharp]; MMEAN = MNET / NPIX holds in both records.
_MTOT_PER_PIXEL = (54.0, 88.0)
_MNET = 0.025
#: USFLUX / CMASK: 5.85e17 Mx per CEA pixel of 0.03 deg [sharp]; ERRVF / USFLUX 8.5e-4,
#: ERRBT / MEANGBT 3.1e-3, ERRMIH / |MEANJZH| 0.171, USFLUXL / USFLUX 0.4376,
#: MEANGBL / MEANGBT 0.2021, CMASKL / CMASK 3.571 [sharp].
_FLUX_PER_CMASK = 5.85e17
_RATIOS = {"ERRVF": 8.5e-4, "ERRBT": 3.06e-3, "ERRMIH": 0.171, "USFLUXL": 0.4376, "MEANGBL": 0.2021,
           "CMASKL": 3.571}

#: Keywords :func:`sharp_keywords` gives.
SHARP_KEYWORDS = frozenset(
    ["USFLUX", "MEANGAM", "MEANGBT", "MEANGBZ", "MEANGBH", "MEANJZD", "TOTUSJZ", "MEANALP", "MEANJZH", "TOTUSJH",
     "ABSNJZH", "SAVNCPP", "MEANPOT", "TOTPOT", "MEANSHR", "SHRGT45", "R_VALUE", "NPIX", "SIZE", "AREA", "NACR",
     "SIZE_ACR", "AREA_ACR", "MTOT", "MNET", "MMEAN", "CMASK", "ERRVF", "ERRBT", "ERRMIH", "USFLUXL", "MEANGBL",
     "CMASKL", "LAT_FWT", "LON_FWT"])

#: Keywords :func:`cea_patch_wcs` gives for the CEA series (hmi.sharp_cea_720s and its twin).
CEA_WCS_KEYWORDS = frozenset(["CRVAL1", "CRVAL2", "CDELT1", "CDELT2", "CRPIX1", "CRPIX2"])
_DAY = 86400.0


def _per_harp(h: np.ndarray, salt: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    return lo + (hi - lo) * hash01(h, 0x5348, salt)


def _log_between(h: np.ndarray, salt: int, lo: float, hi: float) -> np.ndarray:
    return np.exp(_per_harp(h, salt, np.log(lo), np.log(hi)))


def _wiggle(h: np.ndarray, t: np.ndarray, salt: int, amplitude: float) -> np.ndarray:
    """
    1 + slow, smooth variations of relative size about ``amplitude``.

    Three sines: one of a per-HARP period of 2-4 days (evolution), one of exactly a day (real
    SHARP indices carry SDO's orbital 24-h modulation, Hoeksema et al. 2014, Solar Phys. 289,
    3483) and one of 5-9 hours; periods and phases per HARP (emulator choice).
    """
    out = np.ones_like(t)
    for k, (p0, p1, share) in enumerate(((2 * _DAY, 4 * _DAY, 0.45), (_DAY, _DAY, 0.35),
                                         (5 * 3600.0, 9 * 3600.0, 0.2))):
        period = _per_harp(h, salt + 16 * k, p0, p1)
        phase = _per_harp(h, salt + 16 * k + 1, 0.0, 2 * np.pi)
        out = out + amplitude * share * np.sin(2 * np.pi * t / period + phase)
    return out


def _peak_area(h: np.ndarray, life) -> np.ndarray:
    """
    A HARP's largest active area AREA_ACR (mH).

    HARPs that live four days or more are active regions (30 .. 700 mH, log-uniform: emulator
    choice spanning [sharp]'s young 42 mH to the big flare regions); shorter ones are small
    patches of plage (2 .. 25 mH).
    """
    big = np.asarray(life, dtype=float) / _DAY >= 4.0
    return np.where(big, _log_between(h, 2, 30.0, 700.0), _log_between(h, 3, 2.0, 25.0))


def envelope(h, t, born, life) -> np.ndarray:
    """
    Growth and decay of a HARP's active area, 0 .. 1 (1 at the peak).

    ``(x / p)^2 exp(2 (1 - x / p))`` of the fractional age ``x = (t - born) / life``, with the
    peak at ``p`` = 0.25 .. 0.55 of the life (per HARP), above a floor of 0.06 so a HARP has
    some area when first detected (emulator choice: real regions emerge in about a day and
    decay over days, Bobra et al. 2014, fig. 5 for NOAA 11158).
    """
    h = np.asarray(h)
    t = np.asarray(t, dtype=float)
    life = np.maximum(np.asarray(life, dtype=float), 1.0)
    x = np.clip((t - np.asarray(born, dtype=float)) / life, 0.0, 1.0)
    p = _per_harp(h, 1, 0.25, 0.55)
    r = x / p
    return 0.06 + 0.94 * r * r * np.exp(2.0 * (1.0 - r))


def position(h, t, born, life) -> tuple[np.ndarray, np.ndarray]:
    """
    Stonyhurst latitude and longitude (deg) of a HARP's flux-weighted centre at times ``t``.

    The patch crosses the disk from its longitude at birth at the synodic rate of 13.2 deg/day,
    at its latitude (5 .. 30 deg, either hemisphere). The longitude at birth is per HARP in
    -75 .. +45 deg, moved east when needed so that the HARP stays on the visible disk (within
    85 deg of the central meridian) for its life, as HARPs are tracked only there: emulator
    choices within the real records' positions ([sharp] 8.9 N 56.2 E, [bharp] 18.0 S 82.8 E,
    [solarsae] 23.8 N 78.2 E).
    """
    h = np.asarray(h)
    t = np.asarray(t, dtype=float)
    days = np.asarray(life, dtype=float) / _DAY
    lat = _per_harp(h, 33, 5.0, 30.0) * np.where(hash01(h, 0x5348, 34) < 0.5, -1.0, 1.0)
    lon0 = np.maximum(np.minimum(_per_harp(h, 35, -75.0, 45.0), 85.0 - 13.2 * days), -85.0)
    lon = np.minimum(lon0 + 13.2 * (t - np.asarray(born, dtype=float)) / _DAY, 89.0)
    return lat, lon


#: The definitive CEA patch of [sharp] (hmi_cea_sharp_magnetogram.header): 689 x 363 pixels of
#: 0.03 deg (20.7 x 10.9 deg = 225.5 deg^2) for a whole-patch AREA of 533.7 mH (11.0 deg^2;
#: 1 mH = 1e-6 of a hemisphere = 0.02063 deg^2): the box, the patch's largest extent over its
#: passage, is 20.5 times the young patch; the emulator keeps that ratio for the largest patch.
_CEA_CDELT = 0.03
_MH_TO_DEG2 = 0.02063
_BOX_PER_PATCH = 225.5 / (533.7 * _MH_TO_DEG2)

#: How JSOC sizes a SHARP patch (lm-jps/drms ``proj/sharp/apps/sharp.c``, findPosition and
#: writeCutout; find_string id 4572366466): the HARP record's "disk transit" box, Stonyhurst
#: ``LONDTMIN..LONDTMAX`` by ``LATDTMIN..LATDTMAX`` (deg), whose longitudes move at ``OMEGA_DT``
#: deg/day (``LONDTMIN(t) = LONDTMIN(t0) + (t - t0) OMEGA_DT``), so its size is the same for the
#: HARP's whole life. The CEA map has ``round((LONDTMAX - LONDTMIN) / 0.03)`` columns and
#: ``round((LATDTMAX - LATDTMIN) / 0.03)`` rows and is centred on the box; the CCD cutout of
#: hmi.sharp_720s is the HARP's CCD bounding rectangle (``CRSIZE1`` x ``CRSIZE2`` of hmi.Mharp_720s),
#: which the emulator takes as the box's projection on the disk at the record's time. Real boxes,
#: each with its source:
KNOWN_BOXES = {
    11465: {"T_REC": "2024.06.28_00:00:00_TAI", "LONDTMIN": -62.9029007, "LONDTMAX": -42.2188988,
            "LATDTMIN": -0.102799997, "LATDTMAX": 10.7839003, "OMEGA_DT": 13.5938997,
            "source": "[sharp] sunpy/data/test/hmi_cea_sharp_magnetogram.header (NAXIS 689 x 363, CRPIX 345, 182; "
                      "its hmi_sharp_magnetogram.header twin: 432 x 381 CCD pixels)"},
}
#: Width over height of a HARP's box: [sharp] 20.684 / 10.887 = 1.90 (KNOWN_BOXES). Other HARPs
#: take a per-HARP ratio, log-uniform in 1.4 .. 2.6 (emulator choice, whose geometric mean is
#: [sharp]'s 1.90): boxes are wider than tall, as the box spans the region's east-west extent
#: and its drift against the tracking rate over the passage.
_BOX_RATIO = (1.4, 2.6)
#: Box sides (deg): the emulator's boxes keep within 2 .. 40 deg (emulator choice: [sharp]'s
#: 20.7 x 10.9 deg box lies inside).
_BOX_SIDES = (2.0, 40.0)
#: CCD pixel of HMI (arcsec) at full resolution: [sharp] CDELT1 = CDELT2 = 0.504042029.
_CCD_CDELT = 0.504042029


def _cea_width(h: np.ndarray, life) -> np.ndarray:
    """Side (deg) of the square as large as a HARP's CEA box: 20.5 times its largest patch area, 3 .. 40 deg."""
    patch = _peak_area(h, life) * _per_harp(h, 36, *_PATCH_PER_ACTIVE) + 10.0
    return np.clip(np.sqrt(patch * _MH_TO_DEG2 * _BOX_PER_PATCH), 3.0, 40.0)


def harp_box(harp, life) -> tuple[np.ndarray, np.ndarray]:
    """
    Width (longitude extent) and height (latitude extent), deg, of each HARP's box.

    Fixed for the HARP's life, as JSOC's disk-transit box is (see `KNOWN_BOXES`): a HARP in
    `KNOWN_BOXES` has its real box; others have the area of ``_cea_width`` squared split by a
    per-HARP width-to-height ratio (``_BOX_RATIO``).

    Parameters
    ----------
    harp : array of int
        HARPNUM.
    life : array of float
        The HARP's lifetime (seconds).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Width and height in degrees.
    """
    h = np.asarray(harp, dtype=np.int64)
    side = _cea_width(h, life)
    ratio = _log_between(h, 51, *_BOX_RATIO)
    width = np.clip(side * np.sqrt(ratio), *_BOX_SIDES)
    height = np.clip(side / np.sqrt(ratio), *_BOX_SIDES)
    for harpnum, box in KNOWN_BOXES.items():
        known = h == harpnum
        width = np.where(known, box["LONDTMAX"] - box["LONDTMIN"], width)
        height = np.where(known, box["LATDTMAX"] - box["LATDTMIN"], height)
    return width, height


def box_centre(harp, t, born, life) -> tuple[np.ndarray, np.ndarray]:
    """
    Stonyhurst latitude and longitude (deg) of the centre of each HARP's box at times ``t``.

    The box of a HARP in `KNOWN_BOXES` moves from its recorded place at ``OMEGA_DT``; the others
    are centred on the HARP's position (`position`).
    """
    from sunpy_jsocx import jsoctime

    h = np.asarray(harp, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    lat, lon = position(h, t, born, life)
    for harpnum, box in KNOWN_BOXES.items():
        known = h == harpnum
        if known.any():
            t0 = jsoctime.parse_time(box["T_REC"])
            lat = np.where(known, (box["LATDTMIN"] + box["LATDTMAX"]) / 2, lat)
            lon = np.where(known, (box["LONDTMIN"] + box["LONDTMAX"]) / 2 + (t - t0) / _DAY * box["OMEGA_DT"],
                           lon)
    return lat, lon


def _served(ncol, nrow, size: int):
    """Served pixels of a patch of ``ncol`` x ``nrow`` full-resolution pixels: the longer side at most ``size``."""
    f = np.maximum(1.0, np.maximum(ncol, nrow) / int(size))
    return np.maximum(np.round(ncol / f), 1).astype(np.int64), np.maximum(np.round(nrow / f), 1).astype(np.int64), f


def _patch_box(harp, t, born, life, size: int):
    """The HARP numbers, their boxes' centres (lat, lon) and sizes (deg) for a patch of at most ``size`` pixels."""
    h = np.asarray(harp, dtype=np.int64)
    if int(size) <= 0:
        raise ValueError(f"size must be a positive number of pixels, not {size}")
    lat, lon = box_centre(h, t, born, life)
    width, height = harp_box(h, life)
    return h, lat, lon, width, height


def cea_patch_wcs(harp, t, born, life, crln_obs, size: int) -> dict[str, np.ndarray]:
    """
    WCS keywords and shape of a CEA SHARP patch of at most ``size`` pixels along its longer side.

    As JSOC makes them (see `KNOWN_BOXES`): the map covers the HARP's box (`harp_box`), at
    0.03 deg per pixel at full resolution, ``NAXIS1 = round(width / 0.03)`` by
    ``NAXIS2 = round(height / 0.03)`` (689 x 363 for [sharp]), the same for every record of the
    HARP; ``CRVAL1`` is the box centre's Carrington longitude, ``CRVAL2`` its latitude and ``CRPIX``
    the centre pixel (345, 182 for [sharp]). A box longer than ``size`` pixels is served on
    coarser pixels (``CDELT`` grows), keeping its shape.

    Parameters
    ----------
    harp, t, born, life : array
        As for `sharp_keywords`.
    crln_obs : array of float
        The observer's Carrington longitude (deg) at ``t``.
    size : int
        The emulator's image size: the most pixels along the patch's longer side.

    Returns
    -------
    dict of str to numpy.ndarray
        ``CRVAL1``, ``CRVAL2``, ``CDELT1``, ``CDELT2``, ``CRPIX1``, ``CRPIX2``, ``NAXIS1``, ``NAXIS2``.
    """
    h, lat, lon, width, height = _patch_box(harp, t, born, life, size)
    ncol = np.round(np.round(width * 1e3) / 1e3 / _CEA_CDELT)  # sharp.c findPosition
    nrow = np.round(np.round(height * 1e3) / 1e3 / _CEA_CDELT)
    nx, ny, f = _served(ncol, nrow, size)
    cdelt = _CEA_CDELT * f
    return {"CRVAL1": np.mod(np.asarray(crln_obs, dtype=float) + lon, 360.0), "CRVAL2": lat,
            "CDELT1": cdelt, "CDELT2": cdelt.copy(), "CRPIX1": (nx + 1) / 2.0, "CRPIX2": (ny + 1) / 2.0,
            "NAXIS1": nx, "NAXIS2": ny}


CCD_WCS_KEYWORDS = frozenset(["CRVAL1", "CRVAL2", "CDELT1", "CDELT2", "CRPIX1", "CRPIX2"])


def ccd_box(lon_range, lat_range, rsun_obs, crlt_obs, crota2, samples: int = 33):
    """
    The rectangle of image axes (arcsec) that holds a box of the disk, and its centre.

    The box's edges (Stonyhurst longitudes and latitudes, deg; longitudes cut at the limb, 90 deg)
    are projected as seen from latitude ``crlt_obs`` with solar radius ``rsun_obs`` (arcsec) and
    turned by the image roll ``crota2`` (deg), as the image's columns and rows run.

    Parameters
    ----------
    lon_range, lat_range : pair of arrays of float
        ``(min, max)`` of each record's box.
    rsun_obs, crlt_obs, crota2 : array of float
        Per record.
    samples : int
        Points along each edge.

    Returns
    -------
    dict of str to numpy.ndarray
        ``width`` and ``height`` of the rectangle along the image's columns and rows (arcsec) and
        ``x``, ``y``: its centre in the rolled image frame (arcsec from disk centre).
    """
    lo0, lo1 = (np.clip(np.asarray(v, dtype=float), -90.0, 90.0)[..., None] for v in lon_range)
    la0, la1 = (np.asarray(v, dtype=float)[..., None] for v in lat_range)
    s = np.linspace(0.0, 1.0, int(samples))
    lon = np.concatenate([lo0 + (lo1 - lo0) * s, lo0 + (lo1 - lo0) * s, lo0 + 0 * s, lo1 + 0 * s], axis=-1)
    lat = np.concatenate([la0 + 0 * s, la1 + 0 * s, la0 + (la1 - la0) * s, la0 + (la1 - la0) * s], axis=-1)
    la, lo = np.radians(lat), np.radians(lon)
    r = np.asarray(rsun_obs, dtype=float)[..., None]
    b0 = np.radians(np.asarray(crlt_obs, dtype=float))[..., None]
    tx = r * np.cos(la) * np.sin(lo)
    ty = r * (np.cos(b0) * np.sin(la) - np.sin(b0) * np.cos(la) * np.cos(lo))
    rho = np.radians(np.asarray(crota2, dtype=float))[..., None]
    dx = np.cos(rho) * tx + np.sin(rho) * ty
    dy = -np.sin(rho) * tx + np.cos(rho) * ty
    return {"width": dx.max(-1) - dx.min(-1), "height": dy.max(-1) - dy.min(-1),
            "x": (dx.max(-1) + dx.min(-1)) / 2, "y": (dy.max(-1) + dy.min(-1)) / 2}


def ccd_patch_wcs(harp, t, born, life, rsun_obs, crlt_obs, crota2, size: int) -> dict[str, np.ndarray]:
    """
    WCS keywords and shape of a SHARP patch in CCD coordinates (hmi.sharp_720s).

    As JSOC writes them ([sharp]): ``CRVAL1 = CRVAL2 = 0`` (arcsec, disk centre) and
    ``CRPIX1``, ``CRPIX2`` the disk centre in the patch's pixels, which lie far outside it
    (-1238, 316 for [sharp]). The patch is the rectangle of image pixels that holds the HARP's
    box (`harp_box`, `box_centre`) projected on the disk at the record's time (`ccd_box`), at
    HMI's 0.504 arcsec per pixel at full resolution: 431 x 379 for [sharp]'s box, whose real
    patch is 432 x 381. It narrows towards the limb as the box is foreshortened. A HARP whose
    patch at central meridian would be longer than ``size`` pixels is served on coarser pixels,
    the same for its whole life.

    Parameters
    ----------
    harp, t, born, life : array
        As for `sharp_keywords`.
    rsun_obs, crlt_obs, crota2 : array of float
        The record's solar radius (arcsec), observer latitude B0 (deg) and image roll (deg).
    size : int
        The emulator's image size: the most pixels along the patch's longer side.

    Returns
    -------
    dict of str to numpy.ndarray
        ``CRVAL1``, ``CRVAL2``, ``CDELT1``, ``CDELT2``, ``CRPIX1``, ``CRPIX2``, ``NAXIS1``, ``NAXIS2``.
    """
    h, lat, lon, width, height = _patch_box(harp, t, born, life, size)
    rect = ccd_box((lon - width / 2, lon + width / 2), (lat - height / 2, lat + height / 2), rsun_obs,
                   crlt_obs, crota2)
    # the pixel scale of the HARP's life: that of its box at central meridian, seen at 1 AU
    at_cm = ccd_box((-width / 2, width / 2), (lat - height / 2, lat + height / 2), 960.0, 0.0, 0.0)
    f = np.maximum(1.0, np.maximum(at_cm["width"], at_cm["height"]) / _CCD_CDELT / int(size))
    cdelt = _CCD_CDELT * f
    nx = np.maximum(np.ceil(rect["width"] / cdelt - 1e-6), 1).astype(np.int64)
    ny = np.maximum(np.ceil(rect["height"] / cdelt - 1e-6), 1).astype(np.int64)
    return {"CRVAL1": np.zeros(h.shape), "CRVAL2": np.zeros(h.shape), "CDELT1": cdelt, "CDELT2": cdelt.copy(),
            "CRPIX1": (nx + 1) / 2.0 - rect["x"] / cdelt, "CRPIX2": (ny + 1) / 2.0 - rect["y"] / cdelt,
            "NAXIS1": nx, "NAXIS2": ny}


def render_patch(series: str, segment: str, keywords, shape, *, kind: str, seed: int) -> bytes:
    """
    The stored file of a SHARP patch of ``shape`` = (NAXIS1, NAXIS2) pixels.

    `sunpy_jsocx.emulator.render.render_asis` draws square images: the patch is drawn on the
    square of its longer side, with ``CRPIX`` moved so the patch sits in its middle, and cut out;
    the file is stored as `~sunpy_jsocx.emulator.render.render_asis` stores it (Rice-compressed,
    the same storage type and scaling, the patch's own WCS cards).

    Parameters
    ----------
    series, segment, kind, seed
        As for `~sunpy_jsocx.emulator.render.render_asis`.
    keywords : mapping of str to str or number
        The record's keywords, describing the ``shape`` patch (``CRPIX1``, ``CRPIX2`` of it).
    shape : (int, int)
        ``(NAXIS1, NAXIS2)``: columns and rows.

    Returns
    -------
    bytes
        A FITS file whose image HDU has ``NAXIS1``, ``NAXIS2`` = ``shape``.
    """
    import io

    from astropy.io import fits

    from sunpy_jsocx.emulator import render

    nx, ny = (int(v) for v in shape)
    if nx <= 0 or ny <= 0:
        raise ValueError(f"shape must be two positive numbers of pixels (NAXIS1, NAXIS2), not {shape}")
    side = max(nx, ny)
    ox, oy = (side - nx) // 2, (side - ny) // 2
    square = dict(keywords)
    for name, off in (("CRPIX1", ox), ("CRPIX2", oy)):
        square[name] = repr(float(keywords.get(name, (side + 1) / 2.0 - off)) + off)
    drawn = render.render_asis(series, segment, square, size=side, kind=kind, seed=seed)
    if nx == ny:
        return drawn
    with fits.open(io.BytesIO(drawn), do_not_scale_image_data=True) as hdul:
        raw = np.ascontiguousarray(hdul[1].data[oy:oy + ny, ox:ox + nx])
    storage = render._storage(kind, segment, series, keywords)
    return render._compressed_file(raw, storage, render._stored_wcs_cards(keywords))


def sharp_keywords(harp, t, born, life, *, seed: int = 0) -> dict[str, np.ndarray]:
    """
    SHARP index and patch keywords of records of HARP ``harp`` at TAI times ``t``.

    Parameters
    ----------
    harp : array of int
        HARPNUM of each record.
    t : array of float
        T_REC of each record, internal seconds (:mod:`sunpy_jsocx.jsoctime`).
    born, life : array of float
        Each record's HARP birth (internal seconds) and lifetime (seconds).
    seed : int
        The emulator's seed: varies the small record-to-record noise only.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per name of `SHARP_KEYWORDS` (floats; ``NPIX``, ``NACR`` and ``CMASKL``
        are integers).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 10 * 86400.0, 720.0)
    >>> kw = sharp_keywords(np.full(t.size, 377), t, np.zeros(t.size), np.full(t.size, 10 * 86400.0))
    >>> bool(kw["USFLUX"].max() > 10 * kw["USFLUX"][0])  # grows from birth
    True
    >>> bool(np.all(kw["NPIX"] >= kw["NACR"]))
    True
    """
    h = np.asarray(harp, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    born = np.asarray(born, dtype=float)
    life = np.asarray(life, dtype=float)
    if not (h.shape == t.shape == born.shape == life.shape):
        raise ValueError(f"harp, t, born and life must have one shape; got {h.shape}, {t.shape}, "
                         f"{born.shape} and {life.shape}")
    rec = np.round(t / 720.0).astype(np.int64) * 1_000_003 + h

    def jitter(salt, scale):  # record-to-record noise, a fraction of the value
        return 1.0 + scale * (2.0 * hash01(rec, 0x5349, int(seed), salt) - 1.0)

    area = _peak_area(h, life) * envelope(h, t, born, life) * _wiggle(h, t, 4, 0.06) * jitter(1, 0.01)

    flux = area * _per_harp(h, 5, *_FLUX_PER_AREA) * _wiggle(h, t, 6, 0.03)
    totusjz = flux * _per_harp(h, 7, *_JZ_PER_FLUX) * _wiggle(h, t, 8, 0.05) * jitter(2, 0.02)
    totusjh = flux * _per_harp(h, 9, *_JH_PER_FLUX) * _wiggle(h, t, 10, 0.06) * jitter(3, 0.03)
    absnjzh = totusjh * _per_harp(h, 11, *_NET_JH) * _wiggle(h, t, 12, 0.15) * jitter(4, 0.05)
    savncpp = totusjz * _per_harp(h, 13, *_NET_JZ) * _wiggle(h, t, 14, 0.2) * jitter(5, 0.08)
    a0, f0, k = _TOTPOT
    totpot = a0 * (flux / f0) ** k * _wiggle(h, t, 15, 0.05) * jitter(6, 0.02)
    a0, f0, k = _MEANPOT
    meanpot = a0 * (flux / f0) ** k * _wiggle(h, t, 17, 0.04) * jitter(7, 0.02)

    out = {"USFLUX": flux, "TOTUSJZ": totusjz, "TOTUSJH": totusjh, "ABSNJZH": absnjzh, "SAVNCPP": savncpp,
           "TOTPOT": totpot, "MEANPOT": meanpot, "AREA_ACR": area}
    # Helicity sign per HARP, shared by twist and current helicity; the mean vertical current
    # has its own sign ([solarsae] has MEANJZD < 0 with MEANJZH > 0).
    sign_h = np.where(hash01(h, 0x5348, 18) < 0.5, -1.0, 1.0)
    sign_j = np.where(hash01(h, 0x5348, 19) < 0.5, -1.0, 1.0)
    for i, (name, (lo, hi)) in enumerate(_LEVELS.items()):
        sign = sign_h if name in ("MEANALP", "MEANJZH") else (sign_j if name == "MEANJZD" else 1.0)
        out[name] = sign * _per_harp(h, 20 + i, lo, hi) * _wiggle(h, t, 40 + 2 * i, 0.04) * jitter(8 + i, 0.01)
    a0, f0, k = _SHRGT45
    out["SHRGT45"] = np.clip(a0 * (flux / f0) ** k * _per_harp(h, 30, 0.3, 1.5) * _wiggle(h, t, 31, 0.1), 0, 100)
    threshold = _R_THRESHOLD * _per_harp(h, 32, 0.7, 1.4)
    rval = 3.3 + 3.0 * np.log10(np.maximum(flux, 1.0) / 6.5e21) + 0.05 * (jitter(20, 1.0) - 1.0)
    out["R_VALUE"] = np.where(flux >= threshold, np.clip(rval, 0.0, 5.5), 0.0)

    # Patch keywords. The observer sees the region's area foreshortened as it crosses the disk.
    lat, lon = position(h, t, born, life)
    out["LAT_FWT"], out["LON_FWT"] = lat, lon
    mu = np.clip(np.cos(np.radians(lat)) * np.cos(np.radians(np.clip(lon, -89.0, 89.0))), 0.05, 1.0)
    out["SIZE_ACR"] = area * mu
    out["NACR"] = np.maximum(np.round(out["SIZE_ACR"] / _MH_PER_PIXEL), 1).astype(np.int64)
    out["AREA"] = area * _per_harp(h, 36, *_PATCH_PER_ACTIVE) * _wiggle(h, t, 37, 0.02) + 10.0
    out["SIZE"] = out["AREA"] * mu
    out["NPIX"] = np.maximum(np.round(out["SIZE"] / _MH_PER_PIXEL), out["NACR"]).astype(np.int64)
    out["MTOT"] = out["NPIX"] * _per_harp(h, 38, *_MTOT_PER_PIXEL) * jitter(21, 0.01)
    out["MNET"] = out["MTOT"] * _MNET * (2.0 * hash01(h, 0x5348, 39) - 1.0) * _wiggle(h, t, 50, 0.3)
    out["MMEAN"] = out["MNET"] / out["NPIX"]
    out["CMASK"] = np.round(flux / _FLUX_PER_CMASK)
    out["ERRVF"] = flux * _RATIOS["ERRVF"] * jitter(22, 0.05)
    out["ERRBT"] = out["MEANGBT"] * _RATIOS["ERRBT"] * jitter(23, 0.05)
    out["ERRMIH"] = np.abs(out["MEANJZH"]) * _RATIOS["ERRMIH"] * jitter(24, 0.05)
    out["USFLUXL"] = flux * _RATIOS["USFLUXL"] * jitter(25, 0.03)
    out["MEANGBL"] = out["MEANGBT"] * _RATIOS["MEANGBL"] * jitter(26, 0.03)
    out["CMASKL"] = np.round(out["CMASK"] * _RATIOS["CMASKL"]).astype(np.int64)
    return out
