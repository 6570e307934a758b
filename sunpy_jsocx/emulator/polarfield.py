"""
The mean polar field series ``hmi.meanpf_720s``: its keyword values and its four 180-bin files.

JSOC computes each record of the series from one ``hmi.M_720s`` magnetogram with the
module ``meanpf`` (Xudong Sun, 2015; public source ``meanpf.c``, find_string id
5096946518, and its copy module ``cp_polarfield.c``, id 5505987491), and this module
follows that code's definitions:

* each line-of-sight pixel within 0.995 disk radii becomes ``Br = Bl / mu`` with weight
  ``1 / mu``; pixels within 45 deg of the central meridian fall into 180 one-degree
  latitude bins, bin 0 = 90S-89S, bin 179 = 89N-90N;
* the four segments ``mf_br`` (weighted mean Br of a bin), ``mf_bl`` (mean Bl), ``w``
  (sum of the weights) and ``num`` (pixel count) hold one double per bin; a bin with no
  pixel has ``mf_br`` = ``mf_bl`` = NaN;
* ``BANDN3``/``BANDS3`` average the 20 bins 70-90 deg, ``BANDN2``/``BANDS2`` 60-70,
  ``BANDN1``/``BANDS1`` 50-60 (each ``sum(mf_br * w) / sum(w)``), ``CAPN2``/``CAPS2`` the
  bins 60-90 and ``CAPN1``/``CAPS1`` 50-90; ``NUM*`` and ``W*`` are the bands' pixel counts
  and weights;
* ``FLUX[NS]_[PN]`` is the flux (1e20 Mx) of the pixels with ``|Br| >= THRESH`` (120 G)
  within 40 deg of the equator, per hemisphere and polarity, and ``FLAT[NS]_[PN]`` its
  flux-weighted latitude; ``DA`` the pixel area in Mm^2.

What the values are is not public as numbers here, so the emulator draws them from a model
whose every number names its source (`NORTH_CAP`, `SOUTH_CAP`, `SOURCES`): the caps'
history is interpolated between dated values of the real series (reversal epochs and
plateau amplitudes), the observer's B0 angle (``CRLT_OBS``) modulates what each cap shows
through the year, and deterministic noise is added per record. The files are made from the
keywords so that recomputing any band from ``mf_br`` and ``w`` with meanpf's formulas gives
the keyword value back.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache

import numpy as np

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.physics import hash01, name_hash

__all__ = ["SERIES", "SEGMENTS", "KEYWORDS", "NORTH_CAP", "SOUTH_CAP", "SOURCES", "cap_model", "keyword_values",
           "segment_file", "geometry"]

#: The series this module models (lower case).
SERIES = "hmi.meanpf_720s"
#: Its segments, in series order ([meanpf]: mf_br, mf_bl, w, num).
SEGMENTS = ("mf_br", "mf_bl", "w", "num")
#: Latitude bins of each segment ([meanpf]: nlat = 180, bin = floor(lat + 90)).
NLAT = 180

#: Public sources of the numbers below.
SOURCES = {
    "meanpf": "JSOC module meanpf.c (X. Sun, 2015; find_string id 5096946518): definitions of every keyword "
              "and segment, APOD 0.995, BRTHRESH 120 G, |lon| <= 45 deg, 180 bins",
    "cp": "JSOC module cp_polarfield.c (find_string id 5505987491): four 180-element double segments "
          "mf_br, mf_bl, w, num split from a 180x4 array",
    "sun2015": "Sun, Hoeksema, Liu & Zhao 2015, ApJ 798, 114 (abstract): the mean field above 60 deg reversed "
               "in November 2012 (north) and March 2014 (south); the north reversed several times; the "
               "north's active-region flux peaked in 2011, more than two years before the south's",
    "sft2d": "sr-dash/SFT2D examples/ensemble_polarfield_calibration.py (find_string id 60644732728), measured "
             "on the real 12-h CAPN2/CAPS2: last lasting reversals N 2014.33, S 2014.18, N 2024.33, S 2024.15; "
             "cycle-24 plateau extremum (2016-2023) +3.86 G north, -4.65 G south",
    "baas2023": "BAAS 55 (2023), presentation 109.07 'The Impending Reversal of the Sun's Polar-Cap Fields' "
                "(HMI): the south cap decayed gradually from 2016, plunged in mid-2022 and plateaued in early "
                "2023 at about a quarter of its peak; the north strengthened after 2014 and peaked in 2019; "
                "negative flux eroded the north quickly in late 2022; in 2023 the two are about equal",
    "notebook": "JSOC notebook (read_file id 18320964469): hmi.meanpf_720s[...@12h] with key T_REC,CAPN2,CAPS2; "
                "CAPN2 = mean radial field N60-N90, CAPS2 = S60-S90, in gauss, plotted within -4..4 G",
    "svalgaard1978": "Svalgaard, Duvall & Scherrer 1978, Sol. Phys. 58, 225: the polar field varies with "
                     "latitude as sin^8",
    "hathaway2011": "Hathaway 2011, Sol. Phys. 273, 221: the active latitudes drift as 28 deg "
                    "exp(-(t - t0) / 90 months) after a cycle's start t0",
    "choice": "emulator choice (no public value found)",
}

#: The north cap's mean radial field (CAPN2, G) before the B0 modulation: (decimal year, value, source).
NORTH_CAP = (
    (2010.33, -3.0, "choice: of the order of the cycle-24 plateau [sft2d], old-cycle (negative) sign [sun2015]"),
    (2011.60, -2.2, "choice: the north's active-region flux peaked in 2011 [sun2015]"),
    (2012.40, -0.8, "choice"),
    (2012.88, 0.0, "sun2015: reversal in November 2012"),
    (2013.20, 0.4, "choice: first positive excursion"),
    (2013.75, -0.25, "choice: a negative surge, the north reversed several times [sun2015]"),
    (2014.28, 0.0, "sft2d: the lasting reversal N 2014.33 (its detector on the 30-day mean)"),
    (2016.00, 1.7, "choice: strengthening after 2014 [baas2023]"),
    (2019.30, 2.9, "sft2d: plateau +3.86 G (the 30-day mean, B0 wave included); baas2023: peak in 2019"),
    (2022.00, 2.5, "choice"),
    (2022.90, 1.2, "baas2023: eroded quickly in late 2022, about equal to the south in 2023"),
    (2023.60, 1.0, "baas2023: relatively stable since early 2023"),
    (2024.33, 0.0, "sft2d: reversal N 2024.33"),
    (2026.00, -1.5, "choice: new-cycle sign growing"),
)
#: The south cap's mean radial field (CAPS2, G) before the B0 modulation: (decimal year, value, source).
SOUTH_CAP = (
    (2010.33, 3.5, "choice: of the order of the cycle-24 plateau [sft2d], old-cycle (positive) sign [sun2015]"),
    (2012.00, 2.6, "choice: the south's active-region flux peaked two years after the north's [sun2015]"),
    (2013.40, 1.2, "choice"),
    (2014.18, 0.0, "sft2d: reversal S 2014.18; sun2015: March 2014"),
    (2015.00, -2.2, "choice"),
    (2016.00, -3.65, "sft2d: plateau -4.65 G (the 30-day mean, B0 wave included); baas2023: decay from 2016"),
    (2022.40, -2.6, "baas2023: long gradual decay until mid-2022"),
    (2023.10, -1.16, "baas2023: plateau in early 2023 at a quarter of the peak (-4.65 / 4)"),
    (2023.80, -1.1, "baas2023: relatively stable since early 2023"),
    (2024.15, 0.0, "sft2d: reversal S 2024.15"),
    (2026.00, 1.5, "choice: new-cycle sign growing"),
)
#: Poleward surges: the caps wander around the dated values by this much (G, rms; choice),
#: on the time scale of a Carrington rotation (knots every 27.2753 days).
SURGE_G, SURGE_DAYS = 0.15, 27.2753
#: What a cap shows grows by this fraction per 7.25 deg of tilt towards the observer (choice:
#: the yearly B0 wave of the real series); its noise per record is NOISE_G (1 sigma), doubled
#: for a cap tilted fully away (choice).
B0_GAIN, B0_MAX, NOISE_G = 0.3, 7.25, 0.15
#: The 50-60 deg band shows the cap's value this many years early (choice: reversals proceed
#: from low latitudes to the pole; Yang et al. 2024 from Hinode, and [sun2015]'s surges).
BAND1_LEAD_YEARS = 0.5
#: HMI plate scale (arcsec/pixel) of the 4096-pixel magnetograms meanpf reads (hmi.M_720s CDELT1).
CDELT = 0.504365
#: Sun radius in Mm, as meanpf's pixel area uses it ([meanpf]: dsun_obs - 696).
RSUN_MM = 696.0
#: cos(angle) limit of the pixels within APOD = 0.995 disk radii ([meanpf]).
MU_MIN = float(np.sqrt(1.0 - 0.995 ** 2))
#: Active-region flux of each polarity per hemisphere at a cycle's maximum (1e20 Mx; choice), the
#: cycles' starts (Dec 2008 and Dec 2019, SIDC's minima) and the hemispheres' maxima ([sun2015]
#: north 2011, south more than two years later; cycle 25 both in 2024, choice).
FLUX_PEAK = 150.0
CYCLES = ((2008.95, {"N": 2011.8, "S": 2014.2}, 1.0), (2019.95, {"N": 2024.6, "S": 2024.6}, 1.3))

#: Keywords this module computes.
KEYWORDS = frozenset(
    [f"BAND{h}{k}" for h in "NS" for k in "123"] + [f"CAP{h}{k}" for h in "NS" for k in "12"]
    + [f"NUM{h}{k}" for h in "NS" for k in "123"] + [f"W{h}{k}" for h in "NS" for k in "123"]
    + [f"FLUX{h}_{p}" for h in "NS" for p in "PN"] + [f"FLAT{h}_{p}" for h in "NS" for p in "PN"] + ["DA"]
)
#: Bins of each band ([meanpf]): north 70-90 = 160..179, 60-70 = 150..159, 50-60 = 140..149;
#: south mirrored (0..19, 20..29, 30..39).
BANDS = {("N", 3): slice(160, 180), ("N", 2): slice(150, 160), ("N", 1): slice(140, 150),
         ("S", 3): slice(0, 20), ("S", 2): slice(20, 30), ("S", 1): slice(30, 40)}
_LAT = np.arange(NLAT) - 89.5
_B0_GRID = np.linspace(-7.5, 7.5, 301)
_YEAR = 365.25 * 86400.0
_BLOCK = 4096  # records per block of bin arithmetic


def _decimal_year(t: np.ndarray) -> np.ndarray:
    """Decimal year of DRMS internal TAI seconds (Julian years from 2000.0)."""
    return 2000.0 + (np.asarray(t, dtype=float) - _tai_2000()) / _YEAR


def _normal(rec: np.ndarray, *salt: int) -> np.ndarray:
    """Deterministic standard normal numbers per record (Box-Muller on two hashes)."""
    u1 = np.maximum(hash01(rec, *salt, 1), 1e-12)
    u2 = hash01(rec, *salt, 2)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def cap_model(t, hemisphere: str, *, seed: int = 0) -> np.ndarray:
    """
    The smooth mean radial field (G) of a polar cap (60-90 deg) at TAI time(s) ``t``.

    The dated values of `NORTH_CAP` or `SOUTH_CAP`, joined linearly (held after the last),
    plus slow surges of `SURGE_G` rms. The B0 modulation and the noise of single records
    are not included.

    Parameters
    ----------
    t : float or array
        DRMS internal times (TAI seconds since 1977.01.01_00:00:00_TAI).
    hemisphere : {"N", "S"}
        The cap.
    seed : int
        The emulator's seed (the surges depend on it).

    Returns
    -------
    numpy.ndarray
        The cap's field in gauss.

    Raises
    ------
    ValueError
        If ``hemisphere`` is not "N" or "S".

    Examples
    --------
    >>> from sunpy_jsocx import jsoctime
    >>> from sunpy_jsocx.emulator.polarfield import cap_model
    >>> t = jsoctime.parse_time("2010.06.01_00:00:00_TAI")
    >>> bool(cap_model(t, "N") < -2), bool(cap_model(t, "S") > 2)
    (True, True)
    """
    if hemisphere not in ("N", "S"):
        raise ValueError(f"hemisphere must be 'N' or 'S', not {hemisphere!r}")
    table = NORTH_CAP if hemisphere == "N" else SOUTH_CAP
    years = np.array([y for y, _, _ in table])
    vals = np.array([v for _, v, _ in table])
    yr = _decimal_year(t)
    base = np.interp(yr, years, vals)
    knot = (yr - 2010.0) * 365.25 / SURGE_DAYS
    k0 = np.floor(knot).astype(np.int64)
    frac = knot - k0
    salt = name_hash("surge" + hemisphere)
    a = (hash01(k0, salt, seed) - 0.5) * 2 * np.sqrt(3.0) * SURGE_G
    b = (hash01(k0 + 1, salt, seed) - 0.5) * 2 * np.sqrt(3.0) * SURGE_G
    return base + a + (b - a) * (3 * frac ** 2 - 2 * frac ** 3)


@cache
def _geometry_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per B0 of `_B0_GRID` and bin: visible area, sum of mu dA and of mu^2 dA, for a unit Sun (sr)."""
    sub = 6  # latitude samples per bin
    lat = np.radians(np.arange(NLAT * sub) / sub - 90.0 + 0.5 / sub)
    lon = np.radians(np.linspace(-45.0, 45.0, 61))
    dlat, dlon = np.radians(1.0 / sub), lon[1] - lon[0]
    weight = np.full(lon.size, dlon)
    weight[[0, -1]] *= 0.5  # trapezoid over the +-45 deg window
    da = np.cos(lat)[:, None] * dlat * weight[None, :]
    area, mu1, mu2 = (np.empty((len(_B0_GRID), NLAT)) for _ in range(3))
    for i, b0 in enumerate(np.radians(_B0_GRID)):  # one B0 at a time: a few MB, not hundreds
        mu = np.cos(lat)[:, None] * np.cos(b0) * np.cos(lon)[None, :] + np.sin(lat)[:, None] * np.sin(b0)
        seen = np.where(mu >= MU_MIN, da, 0.0)
        area[i] = seen.sum(axis=1).reshape(NLAT, sub).sum(axis=1)
        mu1[i] = (seen * mu).sum(axis=1).reshape(NLAT, sub).sum(axis=1)
        mu2[i] = (seen * mu * mu).sum(axis=1).reshape(NLAT, sub).sum(axis=1)
    return area, mu1, mu2


def geometry(b0_deg, rsun_px) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    The pixel count, weight sum and mean mu of every latitude bin, as meanpf counts them.

    A pixel of a bin lies within 45 deg of the central meridian and within 0.995 disk radii;
    its weight is ``1 / mu``. For a disk of ``rsun_px`` pixels radius the count of a bin is
    ``rsun_px^2`` times the integral of ``mu dA`` over its visible part and its weight the
    integral of ``dA`` (tabulated every 0.05 deg of B0, interpolated linearly).

    Parameters
    ----------
    b0_deg : array
        Observer's heliographic latitude (``CRLT_OBS``), degrees, one per record.
    rsun_px : array
        Disk radius in pixels of the magnetogram, one per record.

    Returns
    -------
    num, w, mean_mu : numpy.ndarray
        Arrays of shape ``(records, 180)``: pixel counts (whole numbers), weight sums and the
        count-weighted mean ``mu`` (NaN where a bin has no pixel).
    """
    area, mu1, mu2 = _geometry_table()
    b0 = np.clip(np.atleast_1d(np.asarray(b0_deg, dtype=float)), _B0_GRID[0], _B0_GRID[-1])
    pos = (b0 - _B0_GRID[0]) / (_B0_GRID[1] - _B0_GRID[0])
    i0 = np.minimum(np.floor(pos).astype(np.int64), len(_B0_GRID) - 2)
    f = (pos - i0)[:, None]
    r2 = (np.atleast_1d(np.asarray(rsun_px, dtype=float)) ** 2)[:, None]

    def lerp(table):
        return table[i0] * (1 - f) + table[i0 + 1] * f

    num = np.round(lerp(mu1) * r2)
    w = np.where(num > 0, lerp(area) * r2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_mu = np.where(num > 0, lerp(mu2) / lerp(mu1), np.nan)
    return num, w, mean_mu


def _profile() -> dict[str, np.ndarray]:
    """Relative polar-field strength per bin: sin^8 of latitude ([svalgaard1978])."""
    p = np.sin(np.radians(np.abs(_LAT))) ** 8
    return {"N": p, "S": p}


def _observer(t: np.ndarray) -> dict[str, np.ndarray]:
    """
    B0 (deg), disk radius (pixels) and Sun distance (m) at TAI times ``t``, from Meeus' formulas.

    The low-precision solar coordinates of Meeus, Astronomical Algorithms (2nd ed., ch. 25 and 29:
    Carrington's I = 7.25 deg, node K = 73.6667 + 1.3958333 (JD - 2396758) / 36525 deg), seen from
    the Earth's centre: within about 0.01 deg of the ``CRLT_OBS`` the records list (SDO's own orbit
    moves that by 0.0125 deg a day), and cheap enough for years of records, where the listed
    observer keywords need astropy per hour.
    """
    jd = 2443144.5 + (np.asarray(t, dtype=float) - _tai_1977()) / 86400.0
    c = (jd - 2451545.0) / 36525.0
    mean_lon = 280.46646 + 36000.76983 * c
    anomaly = np.radians(357.52911 + 35999.05029 * c)
    centre = ((1.914602 - 0.004817 * c) * np.sin(anomaly) + (0.019993 - 0.000101 * c) * np.sin(2 * anomaly)
              + 0.000289 * np.sin(3 * anomaly))
    lon = np.radians(mean_lon + centre - 0.00569)
    ecc = 0.016708634 - 0.000042037 * c
    nu = anomaly + np.radians(centre)
    dsun = 1.000001018 * (1 - ecc ** 2) / (1 + ecc * np.cos(nu)) * 1.495978707e11
    node = np.radians(73.6667 + 1.3958333 * (jd - 2396758.0) / 36525.0)
    b0 = np.degrees(np.arcsin(np.sin(lon - node) * np.sin(np.radians(7.25))))
    rsun_arcsec = np.degrees(np.arcsin(RSUN_MM * 1e6 / dsun)) * 3600.0
    return {"B0": b0, "RSUN_PX": rsun_arcsec / CDELT, "DSUN_OBS": dsun}


@cache
def _tai_1977() -> float:
    return jsoctime.parse_time("1977.01.01_00:00:00_TAI")


@cache
def _tai_2000() -> float:
    return jsoctime.parse_time("2000.01.01_00:00:00_TAI")


def _bands(t: np.ndarray, rec: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """BAND/CAP/NUM/W/DA keywords of records at times ``t``."""
    obs = _observer(t)
    b0 = obs["B0"]
    num, w, _ = geometry(b0, obs["RSUN_PX"])
    prof = _profile()
    out: dict[str, np.ndarray] = {}
    for h, sign in (("N", 1.0), ("S", -1.0)):
        tilt = sign * b0 / B0_MAX  # +1: this cap tilted fully towards the observer
        gain = 1.0 + B0_GAIN * tilt
        sigma = NOISE_G * (1.5 - 0.5 * tilt)
        cap = cap_model(t, h, seed=seed) * gain + sigma * _normal(rec, name_hash("cap" + h), seed)
        band1 = (cap_model(t + BAND1_LEAD_YEARS * _YEAR, h, seed=seed) * gain
                 + sigma * _normal(rec, name_hash("band1" + h), seed))
        ws = {k: w[:, BANDS[(h, k)]].sum(axis=1) for k in (1, 2, 3)}
        pk = {k: (prof[h][BANDS[(h, k)]] * w[:, BANDS[(h, k)]]).sum(axis=1) / ws[k] for k in (1, 2, 3)}
        pcap = (pk[2] * ws[2] + pk[3] * ws[3]) / (ws[2] + ws[3])
        band = {1: band1 * pk[1] / pcap, 2: cap * pk[2] / pcap, 3: cap * pk[3] / pcap}
        for k in (1, 2, 3):
            out[f"BAND{h}{k}"] = band[k]
            out[f"W{h}{k}"] = ws[k]
            out[f"NUM{h}{k}"] = num[:, BANDS[(h, k)]].sum(axis=1)
        # [meanpf]: CAP2 = (bn2 + bn3) / (wn2 + wn3), CAP1 = (bn1 + bn2 + bn3) / (wn1 + wn2 + wn3), bn = band * w
        out[f"CAP{h}2"] = (band[2] * ws[2] + band[3] * ws[3]) / (ws[2] + ws[3])
        out[f"CAP{h}1"] = (band[1] * ws[1] + band[2] * ws[2] + band[3] * ws[3]) / (ws[1] + ws[2] + ws[3])
    # [meanpf]: da = (cdelt * (dsun_obs / 1e6 - 696) / RAD2ARCSEC)^2, Mm^2 (1e16 cm^2)
    out["DA"] = (CDELT * (obs["DSUN_OBS"] / 1e6 - RSUN_MM) / (648000.0 / np.pi)) ** 2
    return out


def _activity(yr: np.ndarray, hemisphere: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(relative activity 0..1.3, mean active latitude in deg, leading-polarity sign) per time."""
    act = np.zeros_like(yr)
    lat = np.full_like(yr, 28.0)
    lead = np.ones_like(yr)
    for start, peaks, size in CYCLES:
        act = act + size * np.exp(-0.5 * ((yr - peaks[hemisphere]) / 2.0) ** 2) * (yr > start - 1.0)
        began = yr >= start
        lat = np.where(began, 28.0 * np.exp(-(yr - start) * 12.0 / 90.0), lat)  # [hathaway2011]
        # Hale's law: cycle 24's northern leaders are negative (its trailing positive flux reversed the
        # negative north cap [sun2015]); each cycle flips it; the south is the opposite.
        cycle = 24 + (start > 2010)
        sign = -1.0 if cycle % 2 == 0 else 1.0
        lead = np.where(began, sign if hemisphere == "N" else -sign, lead)
    return act, np.clip(lat, 5.0, 30.0), lead


def _fluxes(t: np.ndarray, rec: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """FLUX[NS]_[PN] (1e20 Mx) and FLAT[NS]_[PN] (deg): the active regions' strong-field flux."""
    yr = _decimal_year(t)
    out = {}
    for h, hs in (("N", 1.0), ("S", -1.0)):
        act, lat, lead = _activity(yr, h)
        for p, ps in (("P", 1.0), ("N", -1.0)):
            spread = np.exp(0.4 * _normal(rec, name_hash(f"flux{h}{p}"), seed))
            out[f"FLUX{h}_{p}"] = (2.0 + FLUX_PEAK * act) * spread
            # Joy's law: the leading polarity lies about 1 deg nearer the equator than the following one.
            shift = np.where(lead == ps, -0.5, 0.5)
            out[f"FLAT{h}_{p}"] = hs * (lat + shift + 1.5 * _normal(rec, name_hash(f"flat{h}{p}"), seed))
    return out


def keyword_values(store, b, name: str) -> np.ndarray:
    """
    Values of keyword ``name`` (one of `KEYWORDS`) for the records of batch ``b``.

    Parameters
    ----------
    store : sunpy_jsocx.emulator.records.RecordStore
        The record store (its seed).
    b : sunpy_jsocx.emulator.records.RecordBatch
        Records of hmi.meanpf_720s.
    name : str
        Upper-case keyword name.

    Returns
    -------
    numpy.ndarray
        One float per record.

    Raises
    ------
    KeyError
        If the module does not compute ``name``.
    """
    if name not in KEYWORDS:
        raise KeyError(name)
    key = "polarfield"
    if key not in b._cache:
        t, rec = b.t_rec, b.recnum
        # In blocks: the bins of a year of 720-s records would take hundreds of MB at once.
        parts = [_bands(t[i:i + _BLOCK], rec[i:i + _BLOCK], store.seed) for i in range(0, max(len(t), 1), _BLOCK)]
        vals = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        vals.update(_fluxes(t, rec, store.seed))
        b._cache[key] = vals
    return b._cache[key][name]


def _number(keywords: Mapping[str, object], name: str) -> float:
    try:
        return float(keywords[name])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"the {SERIES} file needs keyword {name} as a number; got {keywords.get(name)!r}") from None


def _segment_values(keywords: Mapping[str, object], seed: int) -> dict[str, np.ndarray]:
    """The four arrays of one record, consistent with its BAND keywords."""
    try:
        t = jsoctime.parse_time(str(keywords.get("T_REC", "")))
    except jsoctime.JSOCTimeError:
        raise ValueError(f"the {SERIES} file needs keyword T_REC as a time; got {keywords.get('T_REC')!r}") from None
    obs = _observer(np.array([t]))
    num, w, mean_mu = (x[0] for x in geometry(obs["B0"], obs["RSUN_PX"]))
    rng = np.random.default_rng([seed & 0x7FFFFFFF, 0x6D66])
    prof = _profile()
    br = np.full(NLAT, np.nan)
    # Below 50 deg: the active belts of both polarities on a weak background (choice), G.
    yr = float(_decimal_year(t))
    for h, hs, sl in (("N", 1.0, slice(90, 140)), ("S", -1.0, slice(40, 90))):
        act, lat, lead = (float(x[0]) for x in _activity(np.array([yr]), h))
        lats = np.abs(_LAT[sl])
        belt = np.exp(-0.5 * ((lats - lat) / 7.0) ** 2) * act
        br[sl] = 0.4 * rng.standard_normal(lats.size) + 3.0 * belt * rng.standard_normal(lats.size) * hs
    for (h, k), sl in BANDS.items():
        value = _number(keywords, f"BAND{h}{k}")
        ww = w[sl]
        ok = ww > 0
        shape = prof[h][sl] / ((prof[h][sl] * ww).sum() / ww.sum())
        noise = 0.3 * rng.standard_normal(shape.size)
        noise -= (noise * ww).sum() / ww.sum()  # the band's weighted mean stays the keyword's value
        br[sl] = np.where(ok, value * shape + noise, np.nan)
    br[num <= 0] = np.nan
    return {"mf_br": br, "mf_bl": br * mean_mu, "w": w, "num": num}


def segment_file(segment: str, keywords: Mapping[str, object], seed: int) -> bytes:
    """
    The stored file of one segment: a FITS primary HDU of 180 big-endian doubles.

    JSOC stores the segments Rice-compressed ([cp]); the emulator stores the doubles as they
    are (lossless, as the values demand), in one primary HDU, NaN in bins without pixels.

    Parameters
    ----------
    segment : str
        ``mf_br``, ``mf_bl``, ``w`` or ``num`` (any case).
    keywords : mapping of str to str or number
        The record's keywords as rs_list gives them (``T_REC`` and the ``BAND`` keywords are
        read).
    seed : int
        Seed of the per-bin noise.

    Returns
    -------
    bytes
        The FITS file.

    Raises
    ------
    ValueError
        For another segment name, or keywords that are missing or not numbers.
    """
    name = segment.lower()
    if name not in SEGMENTS:
        raise ValueError(f"{SERIES} has segments {', '.join(SEGMENTS)}, not {segment!r}")
    from astropy.io import fits

    data = _segment_values(keywords, seed)[name].astype(">f8")
    buf = io.BytesIO()
    fits.PrimaryHDU(data).writeto(buf)
    return buf.getvalue()
