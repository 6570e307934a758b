"""
Synthetic stored segment files ("as-is" files) for the JSOC emulator.

`render_asis` draws the file JSOC would keep in storage for one segment of one
record: for images, a FITS file with an empty primary HDU and a Rice-compressed
image HDU whose header is *minimal*, like real SUMS files (structural and
compression keywords, ``BZERO``/``BSCALE``/``BLANK`` where the storage type
needs them, and ``CHECKSUM``/``DATASUM``); for text segments (the
helioseismology tables of ``hmi.V_sht_2drls`` and the mode tables of
``hmi.V_sht_modes``, `sunpy_jsocx.emulator.modes`), an ASCII table. The record's
keywords are *not* written into the file: `sunpy_jsocx.fitsexport.fits_export_bytes`
does that for ``protocol=fits`` exports.

Contract
--------
The keywords passed to `render_asis` must already describe the ``size`` x
``size`` image that is drawn: `render_asis` never rescales them. The emulator
keeps full-resolution values (``CRPIX1 = 2048.5``, ``CDELT1 = 0.504`` for a
4096-pixel HMI image) in its records and must rewrite ``CRPIX1``, ``CRPIX2``,
``CDELT1``, ``CDELT2`` (and ``R_SUN``) with `scaled_wcs` before calling, so that
served headers and drawn images agree. The keywords read, all optional, given
as JSOC strings or numbers:

``CRPIX1``, ``CRPIX2``
    Disk centre in FITS (1-based) pixels; default the image centre.
``CDELT1``, ``CDELT2``, ``CRVAL1``, ``CRVAL2``, ``CROTA2``
    Pixel scale (arcsec per pixel, degrees for heliographic maps), world
    coordinates of ``CRPIX`` (default 0) and image roll in degrees (HMI: about
    180, so solar north is down).
``CTYPE1``, ``CTYPE2``, ``CUNIT2``
    ``HPLN-TAN`` (the default) draws the disk; ``CRLN-``/``HGLN-`` with ``CEA``
    or ``CAR`` draws a heliographic map (SHARP CEA patches, synoptic charts;
    ``CUNIT2`` containing ``sin`` means sine-latitude).
``RSUN_OBS``, ``R_SUN``
    Solar radius in arcsec (with ``CDELT``) or in pixels.
``CRLN_OBS``, ``CRLT_OBS``
    Carrington longitude and latitude (B0) of the observer; approximated from
    the time when missing.
``T_OBS``, else ``DATE__OBS``, ``T_REC`` or ``T_START``
    Observation time: which active regions exist, how far they have rotated and
    grown.
``WAVELNTH``, ``EXPTIME``
    AIA channel and exposure time (intensity scale). ``WAVELNTH`` wins over
    ``kind`` for AIA looks: 1600 and 1700 draw the UV chromosphere, 4500 the
    visible continuum, any other wavelength the EUV corona.
``OBS_VR``
    Observer radial velocity, added to Dopplergrams.
``HARPNUM``, ``USFLUX``
    SHARP patches get their own active region at the image centre, as large as
    the record's total unsigned flux ``USFLUX`` needs.
``<segment>_bzero``, ``<segment>_bscale``
    Storage scaling of integer images (defaults by kind, as the HMI series use).

What is drawn
-------------
Active regions are a deterministic function of time only: each day may give
birth to bipolar regions at fixed Carrington coordinates that grow, decay and
drift with differential rotation, so consecutive records show the same regions
rotating across the disk, and HMI and AIA records of the same time show the
same regions. ``seed`` drives everything that differs between records (noise,
granulation, supergranulation, network). All of it is vectorised; a 4096 x 4096
image takes about a second.

Examples
--------
>>> import io
>>> from astropy.io import fits
>>> from sunpy_jsocx.emulator.render import render_asis
>>> kw = {"CRPIX1": "32.5", "CRPIX2": "32.5", "CDELT1": "32.3", "CDELT2": "32.3",
...       "RSUN_OBS": "975.6", "CROTA2": "180.0", "T_OBS": "2014.01.01_00:00:45_TAI"}
>>> raw = render_asis("hmi.M_45s", "magnetogram", kw, size=64, kind="magnetogram", seed=1)
>>> with fits.open(io.BytesIO(raw)) as hdul:
...     hdu = hdul[1]
...     print(type(hdu).__name__, hdu.compression_type, hdu.data.shape, hdu.data.dtype.name)
CompImageHDU RICE_1 (64, 64) float64
"""

from __future__ import annotations

import io
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
from astropy.io import fits

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator import aia_level1, iris, polarfield
from sunpy_jsocx.fitsexport import _HDU, _join, _split_fits

__all__ = ["KINDS", "render_asis", "scaled_wcs", "segment_kind"]

#: The looks `render_asis` can draw.
KINDS: Final = ("magnetogram", "dopplergram", "continuum", "linewidth", "linedepth", "euv", "uv", "vis",
                "inclination", "azimuth", "field", "disambig", "vector-other", "bitmap", "text", "generic",
                "synoptic")


@dataclass(frozen=True)
class _Storage:
    """How a kind is stored: numpy dtype, default scaling and the BLANK value (None: no BLANK)."""

    dtype: str
    bscale: float = 1.0
    bzero: float = 0.0
    blank: int | None = None


_I32_BLANK: Final = -2147483648
_I16_BLANK: Final = -32768
_STORAGE: Final = {
    "magnetogram": _Storage("int32", 0.1, 0.0, _I32_BLANK),
    "dopplergram": _Storage("int32", 0.5, 0.0, _I32_BLANK),
    "continuum": _Storage("int32", 3.0, 97304.0, _I32_BLANK),
    "linewidth": _Storage("int32", 0.01, 0.0, _I32_BLANK),
    "linedepth": _Storage("int32", 1e-4, 0.0, _I32_BLANK),
    "euv": _Storage("int16", blank=_I16_BLANK),
    "uv": _Storage("int16", blank=_I16_BLANK),
    "vis": _Storage("int16", blank=_I16_BLANK),
    "inclination": _Storage("int32", 0.01, 0.0, _I32_BLANK),
    "azimuth": _Storage("int32", 0.01, 0.0, _I32_BLANK),
    "field": _Storage("int32", 0.01, 0.0, _I32_BLANK),
    "disambig": _Storage("uint8"),
    "vector-other": _Storage("int32", 0.01, 0.0, _I32_BLANK),
    "bitmap": _Storage("uint8"),
    "generic": _Storage("int32", 0.001, 0.0, _I32_BLANK),
}
_DTYPE_RANGE: Final = {"int32": (-2147483647, 2147483647), "int16": (-32767, 32767), "uint8": (0, 255)}
_DEFAULT_TIME: Final = "2014.01.01_00:00:00_TAI"


# ---------------------------------------------------------------------------------------------
# Kinds and scaling
# ---------------------------------------------------------------------------------------------

_KIND_BY_SEGMENT: Final = {
    "magnetogram": "magnetogram", "m": "magnetogram", "synopmr": "synoptic", "synopml": "synoptic",
    "dopplergram": "dopplergram", "v": "dopplergram",
    "continuum": "continuum", "ic": "continuum", "intensitygram": "continuum",
    "linewidth": "linewidth", "lw": "linewidth", "linedepth": "linedepth", "ld": "linedepth",
    "inclination": "inclination", "azimuth": "azimuth", "field": "field",
    "disambig": "disambig", "bitmap": "bitmap", "conf_disambig": "bitmap", "confid_map": "bitmap",
    "br": "vector-other", "bp": "vector-other", "bt": "vector-other",
}
_TEXT_SEGMENT: Final = re.compile(r"(split|rot|err|log)\w*|.*\.(out|2d|txt|dat|log|asc)", re.IGNORECASE)


def segment_kind(series: str, segment: str) -> str:
    """
    The default look of a segment, from its name and its series.

    Parameters
    ----------
    series : str
        Series name (any case), e.g. ``"aia.lev1_uv_24s"``.
    segment : str
        Segment name, e.g. ``"image"``, ``"magnetogram"``, ``"Br"``.

    Returns
    -------
    str
        One of `KINDS`: ``magnetogram``, ``dopplergram``, ``continuum``,
        ``linewidth``, ``linedepth``, ``inclination``, ``azimuth``, ``field``,
        ``disambig``, ``bitmap`` by segment name; ``vector-other`` for ``Br``,
        ``Bp``, ``Bt``; ``euv``, ``uv`` or ``vis`` for AIA ``image`` segments by
        series; ``text`` for the helioseismology (``*_sht_*``) tables and
        non-FITS file names; ``generic`` otherwise.

    Examples
    --------
    >>> from sunpy_jsocx.emulator.render import segment_kind
    >>> segment_kind("hmi.M_45s", "magnetogram"), segment_kind("aia.lev1_uv_24s", "image")
    ('magnetogram', 'uv')
    >>> segment_kind("hmi.sharp_cea_720s", "Br"), segment_kind("hmi.V_sht_2drls", "splittings.out")
    ('vector-other', 'text')
    >>> segment_kind("hmi.sharp_720s", "chisq")
    'generic'
    """
    ser = series.lower()
    seg = segment.lower()
    if "_sht" in ser or _TEXT_SEGMENT.fullmatch(segment):
        return "text"
    if seg in _KIND_BY_SEGMENT:
        return _KIND_BY_SEGMENT[seg]
    if seg in ("image", "image_lev1"):
        if "_uv" in ser:
            return "uv"
        if "_vis" in ser:
            return "vis"
        return "euv"
    if seg == "data" and ser.startswith("mdi."):
        for marker, kind in (("_m_", "magnetogram"), ("_v", "dopplergram"), ("_ic", "continuum"),
                             ("_ld", "linedepth")):
            if marker in ser + "_":
                return kind
    return "generic"


def _number(keywords: Mapping[str, object], name: str, default: float) -> float:
    """A finite float keyword value, or ``default``."""
    value = keywords.get(name)
    if value is None:
        return default
    try:
        f = float(value) if not isinstance(value, str) else float(value.strip())
    except ValueError:
        return default
    return f if math.isfinite(f) else default


def scaled_wcs(keywords: Mapping[str, object], size: int, *, full_size: int = 4096) -> dict[str, float]:
    """
    Rescale a record's image geometry from the full-resolution detector to ``size`` pixels.

    Pixel edges are preserved: the outer edge of the image (FITS coordinate 0.5)
    stays at 0.5, so ``CRPIX' = (CRPIX - 0.5) / f + 0.5`` and ``CDELT' = CDELT * f``
    with ``f = full_size / size``; ``R_SUN`` (pixels) is divided by ``f``.

    Parameters
    ----------
    keywords : mapping
        Record keywords describing the ``full_size`` image (strings or numbers).
        Missing ``CRPIX`` default to the image centre; missing ``CDELT`` to
        ``RSUN_OBS / R_SUN`` if both exist, else 0.6 for AIA (``TELESCOP``
        containing ``AIA``) and 0.504 otherwise.
    size : int
        Pixels along each axis of the image that will be drawn.
    full_size : int, optional
        Pixels along each axis of the original image (4096 for HMI and AIA).

    Returns
    -------
    dict
        ``CRPIX1``, ``CRPIX2``, ``CDELT1``, ``CDELT2`` as floats, plus ``R_SUN``
        if ``keywords`` has a usable one.

    Examples
    --------
    >>> from sunpy_jsocx.emulator.render import scaled_wcs
    >>> scaled_wcs({"CRPIX1": "2048.5", "CRPIX2": "2050.5", "CDELT1": "0.504", "CDELT2": "0.504"}, 256)
    {'CRPIX1': 128.5, 'CRPIX2': 128.625, 'CDELT1': 8.064, 'CDELT2': 8.064}
    """
    if size <= 0 or full_size <= 0:
        raise ValueError(f"sizes must be positive, got size={size}, full_size={full_size}")
    f = full_size / size
    centre = (full_size + 1) / 2
    rsun, r_pix = _number(keywords, "RSUN_OBS", math.nan), _number(keywords, "R_SUN", math.nan)
    if math.isfinite(rsun) and math.isfinite(r_pix) and r_pix > 0:
        default_cdelt = rsun / r_pix
    else:
        default_cdelt = 0.6 if "AIA" in str(keywords.get("TELESCOP", "")).upper() else 0.504
    out = {}
    for axis in (1, 2):
        out[f"CRPIX{axis}"] = (_number(keywords, f"CRPIX{axis}", centre) - 0.5) / f + 0.5
    for axis in (1, 2):
        out[f"CDELT{axis}"] = _number(keywords, f"CDELT{axis}", default_cdelt) * f
    if math.isfinite(r_pix):
        out["R_SUN"] = r_pix / f
    return out


# ---------------------------------------------------------------------------------------------
# Time and observer
# ---------------------------------------------------------------------------------------------


def _obs_time(keywords: Mapping[str, object]) -> float:
    """Observation time (DRMS internal seconds) from T_OBS, DATE__OBS, T_REC or T_START."""
    for name in ("T_OBS", "DATE__OBS", "T_REC", "T_START"):
        value = keywords.get(name)
        if value is None:
            continue
        try:
            t = jsoctime.parse_time(str(value))
        except jsoctime.JSOCTimeError:
            continue
        if math.isfinite(t):
            return t
    return jsoctime.parse_time(_DEFAULT_TIME)


_CARRINGTON_SYNODIC_DAYS: Final = 27.2753
_CARRINGTON_SIDEREAL_DEG_PER_DAY: Final = 14.1844


def _observer(keywords: Mapping[str, object], t: float) -> tuple[float, float]:
    """(L0, B0) in degrees: Carrington longitude and latitude of disk centre."""
    days = t / 86400.0
    # Approximations used only when the record has no CRLN_OBS/CRLT_OBS: the
    # Carrington rotation number (1690 at JD 2444235.34, i.e. 1979-12-25.84) and
    # B0 of Earth, 0 early in June and December, +7.25 deg in early September.
    jd = 2443144.5 + days
    rotation = 1690 + (jd - 2444235.34) / _CARRINGTON_SYNODIC_DAYS
    l0 = 360.0 * (1.0 - (rotation % 1.0))
    b0 = 7.25 * math.sin(2 * math.pi * ((days % 365.25) - 157.0) / 365.25)
    return (_number(keywords, "CRLN_OBS", l0) % 360.0,
            _number(keywords, "CRLT_OBS", _number(keywords, "HGLT_OBS", b0)))


# ---------------------------------------------------------------------------------------------
# Geometry: pixels <-> points on the solar sphere
# ---------------------------------------------------------------------------------------------


class _Geometry:
    """
    Pixel geometry of one image.

    Points on the Sun are unit vectors in a frame tied to the observer: x towards
    the observer's longitude on the equator, y towards solar west, z towards
    solar north; the observer sits at latitude B0 (direction ``o``).
    """

    def __init__(self, keywords: Mapping[str, object], size: int, b0_deg: float, l0_deg: float):
        self.size = size
        self.b0 = math.radians(b0_deg)
        self.l0 = l0_deg
        cb, sb = math.cos(self.b0), math.sin(self.b0)
        self.o = np.array([cb, 0.0, sb])
        self.img_x = np.array([0.0, 1.0, 0.0])  # helioprojective +Tx (solar west)
        self.img_y = np.array([-sb, 0.0, cb])  # helioprojective +Ty (solar north)
        ctype1 = str(keywords.get("CTYPE1", "HPLN-TAN")).upper()
        self.is_map = ctype1.startswith(("CRLN", "HGLN"))
        centre = (size + 1) / 2
        self.crpix = (_number(keywords, "CRPIX1", centre), _number(keywords, "CRPIX2", centre))
        self.crval = (_number(keywords, "CRVAL1", 0.0), _number(keywords, "CRVAL2", 0.0))
        rho = math.radians(_number(keywords, "CROTA2", 0.0))
        self.cos_rho, self.sin_rho = math.cos(rho), math.sin(rho)
        if self.is_map:
            self.carrington = ctype1.startswith("CRLN")
            self.cea = str(keywords.get("CTYPE2", "")).upper().endswith("CEA")
            self.sine_lat = "SIN" in str(keywords.get("CUNIT2", "")).upper()
            d1 = _number(keywords, "CDELT1", 180.0 / size)
            d2 = _number(keywords, "CDELT2", 180.0 / size)
            self.cdelt = (d1, d2)
            self.hgln_obs = _number(keywords, "HGLN_OBS", 0.0)
            self.synoptic = abs(d1) * size > 180.0
            self.pixels_per_radian = 1.0 / math.radians(abs(d1))
            self.rsun = 1.0
        else:
            r_pix = _number(keywords, "R_SUN", 0.45 * size)
            if r_pix <= 0:
                r_pix = 0.45 * size
            cdelt1 = _number(keywords, "CDELT1", math.nan)
            # the radius in arcsec: RSUN_OBS, else R_SUN pixels of CDELT1 arcsec, else 960
            self.rsun = _number(keywords, "RSUN_OBS", r_pix * abs(cdelt1) if math.isfinite(cdelt1) else 960.0)
            d = self.rsun / r_pix
            self.cdelt = (_number(keywords, "CDELT1", d), _number(keywords, "CDELT2", d))
            self.synoptic = False
            self.pixels_per_radian = self.rsun / abs(self.cdelt[0])
        self._full: dict[str, np.ndarray] | None = None

    # -- pixels -> sphere ---------------------------------------------------------------------
    def window(self, rows: slice, cols: slice) -> dict[str, np.ndarray]:
        """Unit vectors ``p`` (3 arrays), ``mu`` = p.o, ``rho`` (apparent radius) and ``on`` for a window."""
        r = np.arange(rows.start, rows.stop, rows.step or 1, dtype=np.float32)[:, None]
        c = np.arange(cols.start, cols.stop, cols.step or 1, dtype=np.float32)[None, :]
        if self.is_map:
            return self._map_window(r, c)
        dx = (c + 1 - self.crpix[0]) * np.float32(self.cdelt[0])
        dy = (r + 1 - self.crpix[1]) * np.float32(self.cdelt[1])
        inv = np.float32(1.0 / self.rsun)
        u = (self.crval[0] + self.cos_rho * dx - self.sin_rho * dy) * inv
        v = (self.crval[1] + self.sin_rho * dx + self.cos_rho * dy) * inv
        rho2 = u * u + v * v
        on = rho2 < 1.0
        w = np.sqrt(np.maximum(1.0 - rho2, 0.0, dtype=np.float32))
        cb, sb = np.float32(math.cos(self.b0)), np.float32(math.sin(self.b0))
        px = w * cb - v * sb
        pz = w * sb + v * cb
        return {"px": px, "py": u, "pz": pz, "mu": w, "rho": np.sqrt(rho2), "on": on}

    def _map_window(self, r: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
        lon = np.radians(self.crval[0] + (c + 1 - self.crpix[0]) * self.cdelt[0]).astype(np.float32)
        y = self.crval[1] + (r + 1 - self.crpix[1]) * self.cdelt[1]
        if self.sine_lat:
            lat = np.arcsin(np.clip(y, -1, 1))
        elif self.cea:
            lat = np.arcsin(np.clip(np.radians(y), -1, 1))
        else:
            lat = np.radians(y)
        lat = lat.astype(np.float32)
        lon = lon - np.float32(math.radians(self.l0 if self.carrington else self.hgln_obs))
        cl = np.cos(lat)
        px, py, pz = cl * np.cos(lon), cl * np.sin(lon), np.broadcast_to(np.sin(lat), (lat.shape[0], lon.shape[1]))
        mu = px * self.o[0] + pz * self.o[2]
        if self.synoptic:
            mu = np.ones_like(mu)  # synoptic charts show the radial field
        mu = np.maximum(mu, np.float32(0.02))
        on = np.ones(mu.shape, dtype=bool)
        return {"px": px, "py": np.broadcast_to(py, mu.shape), "pz": np.broadcast_to(pz, mu.shape), "mu": mu,
                "rho": np.sqrt(np.maximum(1 - mu * mu, 0)), "on": on}

    def full(self) -> dict[str, np.ndarray]:
        if self._full is None:
            n = self.size
            self._full = {k: np.ascontiguousarray(v, dtype=v.dtype)
                          for k, v in self.window(slice(0, n), slice(0, n)).items()}
        return self._full

    # -- sphere -> pixels ---------------------------------------------------------------------
    def project(self, point: np.ndarray) -> tuple[float, float, bool]:
        """(column, row) 0-based pixel of a 3D point (solar radii) and whether it is visible."""
        depth = float(point @ self.o)
        u, v = float(point @ self.img_x), float(point @ self.img_y)
        visible = depth > 0 or u * u + v * v > 1.0
        if self.is_map:
            rad = float(np.linalg.norm(point))
            lat, lon = math.degrees(math.asin(point[2] / rad)), math.degrees(math.atan2(point[1], point[0]))
            lon += self.l0 if self.carrington else self.hgln_obs
            lon = (lon - self.crval[0] + 180.0) % 360.0 - 180.0 + self.crval[0]
            y = math.sin(math.radians(lat)) if self.sine_lat else (
                math.degrees(math.sin(math.radians(lat))) if self.cea else lat)
            return ((lon - self.crval[0]) / self.cdelt[0] + self.crpix[0] - 1,
                    (y - self.crval[1]) / self.cdelt[1] + self.crpix[1] - 1, True)
        tx, ty = u * self.rsun - self.crval[0], v * self.rsun - self.crval[1]
        dx = self.cos_rho * tx + self.sin_rho * ty
        dy = -self.sin_rho * tx + self.cos_rho * ty
        return dx / self.cdelt[0] + self.crpix[0] - 1, dy / self.cdelt[1] + self.crpix[1] - 1, visible

    def image_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """3D directions of the image's +x (column) and +y (row) axes, for azimuths."""
        x = self.cos_rho * self.img_x + self.sin_rho * self.img_y
        y = -self.sin_rho * self.img_x + self.cos_rho * self.img_y
        return x, y


def _unit(lon_deg: float, lat_deg: float) -> np.ndarray:
    lon, lat = math.radians(lon_deg), math.radians(lat_deg)
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])


# ---------------------------------------------------------------------------------------------
# Active regions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spot:
    centre: np.ndarray  # unit vector, observer frame
    sigma: float  # radians
    flux: float  # peak radial field in G (signed)
    umbra: float  # 0..1 darkening at the centre


@dataclass(frozen=True)
class _Region:
    ident: int  # identifies the region across records (seeds its loops)
    lead: _Spot
    follow: _Spot
    plage_sigma: float  # radians
    strength: float  # 0..1 growth/decay envelope


_AR_SALT: Final = 0x5EED_AC71
_AR_LOOKBACK_DAYS: Final = 45


def _diff_rotation(lat_deg: float) -> float:
    """Sidereal rotation rate (deg/day) at a latitude (Snodgrass-like profile)."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    return 14.713 - 2.396 * s2 - 1.787 * s2 * s2


def _region(ident: int, lon_obs: float, lat: float, *, field: float, spot_deg: float, sep_deg: float,
            strength: float, lead_sign: float) -> _Region:
    tilt = math.radians(0.5 * lat)  # Joy's law: leading spot nearer the equator
    dlon = 0.5 * sep_deg * math.cos(tilt) / max(math.cos(math.radians(lat)), 0.2)
    dlat = 0.5 * sep_deg * math.sin(tilt)
    sigma = math.radians(spot_deg)
    lead = _Spot(_unit(lon_obs + dlon, lat - dlat), sigma, lead_sign * field * strength, 0.9 * strength)
    follow = _Spot(_unit(lon_obs - dlon, lat + dlat), 1.3 * sigma, -lead_sign * 0.8 * field * strength,
                   0.6 * strength)
    return _Region(ident, lead, follow, math.radians(max(sep_deg, 3 * spot_deg)), strength)


def _active_regions(t: float, l0: float, *, max_lon: float = 100.0) -> list[_Region]:
    """The regions alive at internal time ``t`` (deterministic in ``t`` only) within ``max_lon``
    degrees of the observer's central meridian."""
    today = math.floor(t / 86400.0)
    regions = []
    for day in range(today - _AR_LOOKBACK_DAYS, today + 1):
        rng = np.random.default_rng([_AR_SALT, day & 0xFFFFFFFF])
        for index in range(int(rng.poisson(0.5))):
            birth = (day + rng.random()) * 86400.0
            life_days = rng.uniform(8.0, 40.0)
            carr_lon = rng.uniform(0.0, 360.0)
            lat = rng.choice([-1.0, 1.0]) * rng.uniform(6.0, 32.0)
            field = rng.uniform(1400.0, 2800.0)
            spot_deg = rng.uniform(0.8, 1.8)
            sep_deg = rng.uniform(4.0, 10.0)
            age_days = (t - birth) / 86400.0
            if not 0.0 <= age_days <= life_days:
                continue
            strength = math.sin(math.pi * age_days / life_days) ** 0.5
            lon = carr_lon + (_diff_rotation(lat) - _CARRINGTON_SIDEREAL_DEG_PER_DAY) * age_days
            lon_obs = (lon - l0 + 180.0) % 360.0 - 180.0
            if abs(lon_obs) > max_lon:
                continue  # behind the limb
            regions.append(_region(day * 64 + index, lon_obs, lat, field=field, spot_deg=spot_deg,
                                   sep_deg=sep_deg, strength=strength, lead_sign=-1.0 if lat > 0 else 1.0))
    return regions


#: Peak field of a SHARP's spots (G) when only the flux is known, and the flux of the
#: emulator's two-spot region per radian^2 of lead-spot sigma^2 and G of its peak field:
#: 2 pi R_sun^2 (1 + 0.8 * 1.3^2) (a lead spot and a follower 1.3 times wider at 0.8 of the
#: field), R_sun = 6.96e10 cm. One mH (millionth of a hemisphere) is 2.063e-2 deg^2.
_HARP_FIELD_G: Final = (1800.0, 3000.0)
_HARP_FLUX_PER_SIGMA2: Final = 2 * math.pi * 6.96e10 ** 2 * (1 + 0.8 * 1.3 ** 2)
_MH_DEG2: Final = 2.063e-2


def _harp_size(keywords: Mapping[str, object], field: float) -> tuple[float, float] | None:
    """(lead-spot sigma in deg, peak field in G) from the record's AREA_ACR and USFLUX."""
    flux = _number(keywords, "USFLUX", math.nan)
    if not (math.isfinite(flux) and 1e18 < flux < 1e24):
        return None
    area = _number(keywords, "AREA_ACR", math.nan)
    if math.isfinite(area) and 0.1 < area < 1e4:
        # the active pixels: both spots within one sigma, pi sigma^2 (1 + 1.3^2)
        sigma = math.sqrt(area * _MH_DEG2 / (math.pi * (1 + 1.3 ** 2)))
        field = flux / (_HARP_FLUX_PER_SIGMA2 * math.radians(sigma) ** 2)
        return float(np.clip(sigma, 0.05, 4.0)), float(np.clip(field, 300.0, 3500.0))
    return float(np.clip(math.degrees(math.sqrt(flux / (_HARP_FLUX_PER_SIGMA2 * field))), 0.05, 4.0)), field


def _harp_region(keywords: Mapping[str, object], geom: _Geometry) -> _Region | None:
    """
    A SHARP patch's own bipolar region, centred in the image.

    With the record's active area ``AREA_ACR`` (mH) and total unsigned flux ``USFLUX`` (Mx,
    the sum of ``|Bz| dA``) the two spots cover that area within one sigma and carry that flux;
    with ``USFLUX`` alone they are as wide as the flux needs at a peak field of 1.8-3 kG. The
    poles are eight spot widths apart, so the drawn region grows and decays with the keywords.
    Without either, the spots' size follows the image's angular width.
    """
    harp = _number(keywords, "HARPNUM", math.nan)
    if not math.isfinite(harp) or harp < 0:
        return None
    c = geom.size // 2
    centre = geom.window(slice(c, c + 1), slice(c, c + 1))
    if not bool(centre["on"][0, 0]):
        return None
    px, py, pz = (float(np.asarray(centre[k])[0, 0]) for k in ("px", "py", "pz"))
    lat, lon = math.degrees(math.asin(max(-1.0, min(1.0, pz)))), math.degrees(math.atan2(py, px))
    rng = np.random.default_rng([_AR_SALT, int(harp), 0x4841])
    field = float(rng.uniform(*_HARP_FIELD_G))
    sized = _harp_size(keywords, field)
    if sized is not None:
        spot, field = sized
        sep = float(np.clip(8.0 * spot, 1.0, 20.0))
    else:
        span = math.degrees(geom.size / geom.pixels_per_radian)  # angular width of the image
        spot = float(np.clip(0.07 * span, 0.3, 2.0))
        sep = float(np.clip(0.35 * span, 1.0, 10.0))
    return _region(-int(harp) - 1, lon, lat, field=field, spot_deg=spot, sep_deg=sep, strength=1.0,
                   lead_sign=-1.0 if lat > 0 else 1.0)


class _Features:
    """Fields of the active regions, accumulated in boxes around each spot."""

    def __init__(self, geom: _Geometry, regions: list[_Region]):
        self.geom = geom
        self.regions = regions
        n = geom.size
        self.step = max(1, n // 64)
        self.coarse = geom.window(slice(0, n, self.step), slice(0, n, self.step))

    def _box(self, centre: np.ndarray, radius: float) -> tuple[slice, slice] | None:
        cg = self.coarse
        dot = cg["px"] * centre[0] + cg["py"] * centre[1] + cg["pz"] * centre[2]
        hit = cg["on"] & (dot > math.cos(min(radius, math.pi)))
        if not hit.any():
            return None
        rows, cols = np.nonzero(hit.any(axis=1))[0], np.nonzero(hit.any(axis=0))[0]
        n, s = self.geom.size, self.step
        return (slice(max(0, rows[0] * s - s), min(n, rows[-1] * s + 2 * s)),
                slice(max(0, cols[0] * s - s), min(n, cols[-1] * s + 2 * s)))

    def _spots(self):
        for region in self.regions:
            yield region, region.lead
            yield region, region.follow

    def vector(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Total field vector (Bx, By, Bz) in G: radial spot fields plus fanning horizontal field."""
        n = self.geom.size
        full = self.geom.full()
        b = [np.zeros((n, n), np.float32) for _ in range(3)]
        for _, spot in self._spots():
            box = self._box(spot.centre, 4 * spot.sigma)
            if box is None:
                continue
            p = [full[k][box] for k in ("px", "py", "pz")]
            dot = p[0] * spot.centre[0] + p[1] * spot.centre[1] + p[2] * spot.centre[2]
            np.minimum(dot, 1.0, out=dot)  # off-disk pixels are not unit vectors
            g = np.exp((dot - 1.0) / np.float32(spot.sigma ** 2)) * np.float32(spot.flux)
            g *= full["on"][box]
            k = np.float32(0.8 / spot.sigma)
            for i in range(3):
                # radial part g*p, horizontal part pointing away from the spot centre
                b[i][box] += g * p[i] - k * g * (spot.centre[i] - dot * p[i])
        return b[0], b[1], b[2]

    def los(self) -> np.ndarray:
        """Line-of-sight field B.o in G (the radial field B.p on synoptic charts)."""
        if not self.regions:
            return np.zeros((self.geom.size, self.geom.size), np.float32)
        bx, by, bz = self.vector()
        if self.geom.synoptic:
            full = self.geom.full()
            return bx * full["px"] + by * full["py"] + bz * full["pz"]
        o = self.geom.o.astype(np.float32)
        return bx * o[0] + by * o[1] + bz * o[2]

    def _gauss(self, centre: np.ndarray, sigma: float, radius: float):
        """(box, exp(-angle^2 / 2 sigma^2) inside the box), or None when no pixel is near."""
        box = self._box(centre, radius)
        if box is None:
            return None
        full = self.geom.full()
        dot = full["px"][box] * np.float32(centre[0])
        dot += full["py"][box] * np.float32(centre[1])
        dot += full["pz"][box] * np.float32(centre[2])
        np.minimum(dot, 1.0, out=dot)  # off-disk pixels are not unit vectors
        g = np.exp((dot - 1.0) / np.float32(sigma * sigma))
        g *= full["on"][box]
        return box, g

    def weights(self, plage_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(umbra, penumbra, plage) weights in 0..1 (plage sigma scaled by ``plage_scale``)."""
        n = self.geom.size
        umbra, penumbra, plage = (np.zeros((n, n), np.float32) for _ in range(3))
        for region, spot in self._spots():
            for target, sigma, amp, radius in ((umbra, 0.5 * spot.sigma, spot.umbra, 3 * spot.sigma),
                                               (penumbra, spot.sigma, spot.umbra, 4 * spot.sigma),
                                               (plage, region.plage_sigma * plage_scale, region.strength,
                                                3.5 * region.plage_sigma * plage_scale)):
                found = self._gauss(spot.centre, sigma, radius)
                if found is None:
                    continue
                box, g = found
                np.maximum(target[box], np.minimum(g * np.float32(1.5), 1) * np.float32(amp), out=target[box])
        return umbra, penumbra, plage

    def loops(self, image: np.ndarray, amplitude: float) -> None:
        """Add coronal loops (Gaussian beads along arcs above each region) to ``image`` in place."""
        n = self.geom.size
        for region in self.regions:
            rng = np.random.default_rng([_AR_SALT, region.ident % (1 << 64), 0x100B])
            a, b = region.lead.centre, region.follow.centre
            chord = float(np.linalg.norm(a - b))
            sigma_pix = max(0.6, 0.2 * region.lead.sigma * self.geom.pixels_per_radian)
            beads = int(np.clip(2.5 * chord * self.geom.pixels_per_radian / sigma_pix, 8, 400))
            for _ in range(7):
                fa = a + rng.normal(0, 0.5 * region.lead.sigma, 3)
                fb = b + rng.normal(0, 0.5 * region.follow.sigma, 3)
                height = chord * rng.uniform(0.3, 0.8)
                # beads overlap over about 2 sigma, so a loop's brightness is about 2x a bead's
                weight = 0.5 * amplitude * region.strength * rng.uniform(0.3, 1.0)
                for s in np.linspace(0.0, 1.0, beads):
                    base = (1 - s) * fa + s * fb
                    point = base / np.linalg.norm(base) * (1.0 + height * math.sin(math.pi * s))
                    col, row, visible = self.geom.project(point)
                    if not visible:
                        continue
                    r = int(3 * sigma_pix) + 1
                    r0, r1 = max(0, int(row) - r), min(n, int(row) + r + 2)
                    c0, c1 = max(0, int(col) - r), min(n, int(col) + r + 2)
                    if r0 >= r1 or c0 >= c1:
                        continue
                    yy = np.arange(r0, r1, dtype=np.float32)[:, None] - np.float32(row)
                    xx = np.arange(c0, c1, dtype=np.float32)[None, :] - np.float32(col)
                    image[r0:r1, c0:c1] += np.float32(weight) * np.exp(-(xx * xx + yy * yy) / np.float32(
                        2 * sigma_pix ** 2))


# ---------------------------------------------------------------------------------------------
# Noise
# ---------------------------------------------------------------------------------------------


def _rng(seed: int, *salt: int | str) -> np.random.Generator:
    words = [int(seed) % (1 << 64)] + [zlib.crc32(s.encode()) if isinstance(s, str) else int(s) for s in salt]
    return np.random.default_rng(words)


def _white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal((n, n), dtype=np.float32)


def _smooth(rng: np.random.Generator, n: int, cells: float) -> np.ndarray:
    """Smooth Gaussian noise (unit variance) with about ``cells`` correlation lengths across the image."""
    m = max(2, min(int(round(cells)) + 3, n))
    low = rng.standard_normal((m, m)).astype(np.float32)
    x = np.linspace(1.0, m - 2.0, n, dtype=np.float32)
    k = np.arange(m, dtype=np.float32)
    w = np.exp(-0.5 * ((x[:, None] - k[None, :]) / np.float32(0.75)) ** 2)
    w /= w.sum(axis=1, keepdims=True)
    field = (w @ low) @ w.T
    field /= np.float32(max(float(field.std()), 1e-6))
    return field


# ---------------------------------------------------------------------------------------------
# Kinds (physical values; NaN where there is no datum)
# ---------------------------------------------------------------------------------------------


def _offdisk(values: np.ndarray, on: np.ndarray) -> np.ndarray:
    values[~on] = np.nan
    return values


def _magnetogram(geom, feats, rng, keywords):
    full = geom.full()
    n = geom.size
    b = feats.los()
    network = _smooth(rng, n, _cells(geom, 0.04))
    b += network * np.float32(12.0) * full["mu"]
    b += _white(rng, n) * np.float32(8.0)
    return _offdisk(b, full["on"])


def _dopplergram(geom, feats, rng, keywords):
    full = geom.full()
    n = geom.size
    sin2 = full["pz"] * full["pz"]
    v = np.float32(2000.0 * math.cos(geom.b0)) * (1 - 0.19 * sin2 - 0.17 * sin2 * sin2) * full["py"]
    v += np.float32(_number(keywords, "OBS_VR", 0.0))
    v += np.float32(250.0) * (1 - full["mu"])  # centre-to-limb shift
    v += _smooth(rng, n, _cells(geom, 0.045)) * np.float32(300.0) * full["rho"]
    v += _white(rng, n) * np.float32(25.0)
    return _offdisk(v, full["on"])


def _cells(geom: _Geometry, scale_radii: float) -> float:
    """Correlation lengths across the image for structures of ``scale_radii`` solar radii."""
    radii_across = geom.size / geom.pixels_per_radian
    return float(np.clip(radii_across / scale_radii, 2, geom.size / 2))


def _limb_darkening(mu: np.ndarray, u1: float, u2: float) -> np.ndarray:
    return 1 - u1 * (1 - mu) - u2 * (1 - mu * mu)


def _continuum(geom, feats, rng, keywords):
    full = geom.full()
    umbra, penumbra, _ = feats.weights()
    i = np.float32(62000.0) * _limb_darkening(full["mu"], 0.45, 0.2)
    i *= 1 - 0.75 * umbra - 0.2 * penumbra
    i *= 1 + _white(rng, geom.size) * np.float32(0.008)
    return _offdisk(i, full["on"])


def _linewidth(geom, feats, rng, keywords):
    full = geom.full()
    _, _, plage = feats.weights()
    w = np.float32(105.0) + np.float32(14.0) * (1 - full["mu"]) + np.float32(12.0) * plage
    w += _white(rng, geom.size) * np.float32(0.8)
    return _offdisk(w, full["on"])


def _linedepth(geom, feats, rng, keywords):
    full = geom.full()
    umbra, _, plage = feats.weights()
    d = np.float32(0.62) - np.float32(0.08) * (1 - full["mu"]) - np.float32(0.12) * plage - np.float32(0.1) * umbra
    d += _white(rng, geom.size) * np.float32(0.004)
    return _offdisk(d, full["on"])


# AIA channel: (quiet-Sun DN at disk centre for a 2 s exposure, active-region contrast, scale height in R)
_EUV: Final = {94: (1.5, 40.0, 0.12), 131: (5.0, 30.0, 0.08), 171: (250.0, 8.0, 0.06), 193: (400.0, 10.0, 0.08),
               211: (120.0, 15.0, 0.09), 304: (50.0, 8.0, 0.025), 335: (10.0, 25.0, 0.10)}


def _sensitivity(keywords: Mapping[str, object], wavelength: int) -> float:
    """The channel's throughput at the observation time relative to its recorded level (physics.aia_level)."""
    from sunpy_jsocx.emulator.physics import aia_level

    t = _obs_time(keywords)
    return float(aia_level(wavelength, [t])[0]) if math.isfinite(t) else 1.0


def _aia(geom, feats, rng, keywords, kind):
    wavelength = int(round(_number(keywords, "WAVELNTH", {"uv": 1600, "vis": 4500}.get(kind, 171))))
    if wavelength not in (1600, 1700, 4500, *_EUV):  # an unknown channel: the kind decides
        wavelength = {"uv": 1600, "vis": 4500}.get(kind, 171)
    if wavelength in (1600, 1700):
        return _uv(geom, feats, rng, keywords, wavelength)
    if wavelength == 4500:
        return _vis(geom, feats, rng, keywords)
    base, contrast, height = _EUV[wavelength]
    exposure = float(np.clip(_number(keywords, "EXPTIME", 2.0), 0.01, 60.0)) / 2.0
    exposure *= _sensitivity(keywords, wavelength)
    full = geom.full()
    n = geom.size
    mu, rho, on = full["mu"], full["rho"], full["on"]
    texture = np.exp(_smooth(rng, n, _cells(geom, 0.08)) * np.float32(0.25))
    disk = (1 + np.float32(0.5) * (1 - mu)) * texture
    polar = np.abs(full["pz"])  # coronal holes at the poles
    disk *= 1 - np.float32(0.6) * np.clip((polar - 0.8) / 0.15, 0, 1)
    corona = np.float32(1.5) * np.exp(-(np.maximum(rho, 1) - 1) / np.float32(height)) * texture
    i = np.where(on, disk, corona) * np.float32(base)
    if wavelength == 304:
        i *= np.exp(_smooth(rng, n, _cells(geom, 0.04)) * np.float32(0.35))
    if feats.regions:
        _, _, plage = feats.weights(plage_scale=1.4)
        i += plage * np.float32(base * contrast * 0.5)
        feats.loops(i, base * contrast)
    i *= np.float32(exposure)
    i += np.sqrt(np.maximum(i, 0)) * _white(rng, n) + np.float32(1.0)
    return np.clip(i, -8, 16383)


def _uv(geom, feats, rng, keywords, wavelength):
    full = geom.full()
    n = geom.size
    base = 1300.0 if wavelength == 1700 else 60.0
    exposure = float(np.clip(_number(keywords, "EXPTIME", 2.0), 0.01, 60.0)) / 2.0
    exposure *= _sensitivity(keywords, wavelength)
    network = np.exp(_smooth(rng, n, _cells(geom, 0.03)) * np.float32(0.3))
    i = np.float32(base) * _limb_darkening(full["mu"], 0.25, 0.0) * network
    if feats.regions:
        umbra, _, plage = feats.weights()
        i *= (1 + np.float32(2.0) * plage) * (1 - np.float32(0.6 if wavelength == 1700 else 0.4) * umbra)
    limb = np.exp(-(np.maximum(full["rho"], 1) - 1) / np.float32(0.01))
    i = np.where(full["on"], i, np.float32(base * 0.05) * limb)
    i *= np.float32(exposure)
    i += np.sqrt(np.maximum(i, 0)) * _white(rng, n)
    return np.clip(i, -8, 16383)


def _vis(geom, feats, rng, keywords):
    full = geom.full()
    exposure = float(np.clip(_number(keywords, "EXPTIME", 0.5), 0.01, 60.0)) / 0.5
    umbra, penumbra, _ = feats.weights()
    i = np.float32(5000.0) * _limb_darkening(full["mu"], 0.6, 0.15) * (1 - 0.7 * umbra - 0.2 * penumbra)
    i = np.where(full["on"], i, np.float32(0.0)) * np.float32(exposure)
    i += np.sqrt(np.maximum(i, 0)) * _white(rng, geom.size) + np.float32(2.0)
    return np.clip(i, -8, 16383)


def _observed_field(geom, feats, seed):
    """Field vector in observer axes (line of sight, image x, image y) plus noise, shared by the
    vector segments of one record (same ``seed``)."""
    n = geom.size
    bx, by, bz = feats.vector()
    ax, ay = geom.image_axes()
    o = geom.o
    rng = _rng(seed, "vector")
    los = (bx * np.float32(o[0]) + by * np.float32(o[1]) + bz * np.float32(o[2])) + _white(rng, n) * np.float32(40)
    tx = (bx * np.float32(ax[0]) + by * np.float32(ax[1]) + bz * np.float32(ax[2])) + _white(rng, n) * np.float32(70)
    ty = (bx * np.float32(ay[0]) + by * np.float32(ay[1]) + bz * np.float32(ay[2])) + _white(rng, n) * np.float32(70)
    return los, tx, ty


def _field(geom, feats, rng, keywords, seed):
    los, tx, ty = _observed_field(geom, feats, seed)
    return _offdisk(np.sqrt(los * los + tx * tx + ty * ty), geom.full()["on"])


def _inclination(geom, feats, rng, keywords, seed):
    los, tx, ty = _observed_field(geom, feats, seed)
    return _offdisk(np.degrees(np.arctan2(np.sqrt(tx * tx + ty * ty), los)), geom.full()["on"])


def _azimuth(geom, feats, rng, keywords, seed):
    _, tx, ty = _observed_field(geom, feats, seed)
    # HMI convention: 0 = image up (+y), increasing counter-clockwise.
    return _offdisk(np.mod(np.degrees(np.arctan2(-tx, ty)), 360.0), geom.full()["on"])


def _disambig(geom, feats, rng, keywords, seed):
    los, tx, ty = _observed_field(geom, feats, seed)
    strong = np.sqrt(los * los + tx * tx + ty * ty) > 300
    flip = (tx < 0).astype(np.uint8) * 7
    noisy = rng.integers(0, 8, size=(geom.size, geom.size), dtype=np.uint8)
    out = np.where(strong, flip, noisy).astype(np.float32)
    out[~geom.full()["on"]] = 0
    return out


def _bitmap(geom, feats, rng, keywords, seed):
    los, tx, ty = _observed_field(geom, feats, seed)
    on = geom.full()["on"]
    _, _, plage = feats.weights()
    inside = plage > 0.05
    strong = np.sqrt(los * los + tx * tx + ty * ty) > 250
    out = (1 + inside + 32 * strong).astype(np.float32)
    out[~on] = 0
    return out


def _vector_other(geom, feats, rng, keywords, segment):
    full = geom.full()
    n = geom.size
    name = segment.lower()
    if name.endswith("_err") or name.startswith("err"):
        err = np.float32(15.0) * (1 + np.abs(_white(rng, n)))
        return _offdisk(err, full["on"])
    if name in ("br", "bp", "bt"):
        bx, by, bz = feats.vector()
        px, py, pz = full["px"], full["py"], full["pz"]
        if name == "br":
            value = bx * px + by * py + bz * pz
        else:
            cos_lat = np.sqrt(np.maximum(1 - pz * pz, 1e-6))
            if name == "bp":  # positive westward
                value = (-bx * py + by * px) / cos_lat
            else:  # positive southward
                value = -(-bx * px * pz - by * py * pz + bz * cos_lat * cos_lat) / cos_lat
        value += _white(rng, n) * np.float32(20.0 if name == "br" else 40.0)
        return _offdisk(value, full["on"])
    # Other inversion outputs: a smooth signed map with the regions' imprint.
    value = _smooth(rng, n, _cells(geom, 0.1)) * np.float32(50.0)
    value += feats.los() * np.float32(0.05)
    value += _white(rng, n) * np.float32(5.0)
    return _offdisk(value, full["on"])


def _generic(geom, feats, rng, keywords):
    full = geom.full()
    value = np.float32(100.0) * full["mu"] + _smooth(rng, geom.size, _cells(geom, 0.2)) * np.float32(20.0)
    return _offdisk(value, full["on"])


# ---------------------------------------------------------------------------------------------
# Text segments
# ---------------------------------------------------------------------------------------------


def _text(segment: str, rng: np.random.Generator, keywords: Mapping[str, object]) -> bytes:
    name = segment.lower()
    if name.startswith("split"):
        return _splittings(rng)
    if name.startswith(("rot", "err")):
        return _rotation_grid(rng, errors=name.startswith("err"))
    if re.fullmatch(r"m\d+", name):  # hmi.V_sht_modes: m6, m18, m36 (a model, see modes.py)
        from sunpy_jsocx.emulator.modes import mode_table

        return mode_table(int(name[1:]), rng, t_obs=keywords.get("T_OBS"))
    rows = ["# index value error"]
    rows += [f"{i:6d} {v:12.5f} {e:10.5f}" for i, (v, e) in
             enumerate(zip(rng.normal(0, 1, 50), np.abs(rng.normal(0.1, 0.02, 50)), strict=True))]
    return ("\n".join(rows) + "\n").encode("ascii")


def _splittings(rng: np.random.Generator) -> bytes:
    """A table of p-mode frequencies (muHz) and splitting coefficients a1..a6 (nHz) with errors."""
    rows = ["#   l   n        nu    sig_nu        a1    sig_a1        a2    sig_a2        a3    sig_a3"
            "        a4    sig_a4        a5    sig_a5        a6    sig_a6"]
    for ell in range(5, 301, 5):
        big_l = math.sqrt(ell * (ell + 1))
        for n in range(0, 30):
            nu = 99.9 * math.sqrt(big_l * (1 + 2.6 * n))  # f mode at n = 0, p modes above
            if not 1000.0 <= nu <= 4500.0:
                continue
            sig_nu = 0.02 + 0.3 * ((nu - 1000.0) / 3500.0) ** 2
            coeffs = [440.0 - 5.0 * nu / 1000.0, 0.3, 21.0 - 1.2 * nu / 1000.0, 0.1, -3.5, 0.05]
            sig = [0.1 + sig_nu * 0.5 * (1 + k) for k in range(6)]
            values = [c + s * float(rng.standard_normal()) for c, s in zip(coeffs, sig, strict=True)]
            cols = [f"{nu + sig_nu * float(rng.standard_normal()):9.3f}", f"{sig_nu:9.4f}"]
            for v, s in zip(values, sig, strict=True):
                cols += [f"{v:9.3f}", f"{s:9.4f}"]
            rows.append(f"{ell:5d} {n:3d} " + " ".join(cols))
    return ("\n".join(rows) + "\n").encode("ascii")


def _rotation_grid(rng: np.random.Generator, *, errors: bool) -> bytes:
    """Omega/2pi (nHz) or its error on a grid of radius (rows) and latitude (columns)."""
    radii = np.round(np.arange(0.50, 1.0001, 0.01), 2)
    lats = np.arange(0, 91, 5)
    s2 = np.sin(np.radians(lats)) ** 2
    surface = 456.0 - 55.0 * s2 - 75.0 * s2 * s2
    err = 0.3 + 4.0 * (1 - radii[:, None]) ** 2 * 10 + 2.0 * s2[None, :] ** 2
    if errors:
        grid, title = err, "error of Omega/2pi (nHz)"
    else:
        blend = 1 / (1 + np.exp(-(radii[:, None] - 0.70) / 0.012))
        shear = 1 - 0.025 * np.clip((radii[:, None] - 0.95) / 0.05, 0, 1)
        grid = (433.0 + (surface[None, :] - 433.0) * blend) * shear + err * rng.standard_normal(err.shape)
        title = "Omega/2pi (nHz)"
    rows = [f"# {title}; rows r/R, columns latitude (deg)", "#  r/R " + "".join(f"{lat:9d}" for lat in lats)]
    rows += [f"{r:7.3f}" + "".join(f"{v:9.3f}" for v in row) for r, row in zip(radii, grid, strict=True)]
    return ("\n".join(rows) + "\n").encode("ascii")


# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------


def _storage(kind: str, segment: str, series: str, keywords: Mapping[str, object]) -> _Storage:
    base = _STORAGE[kind]
    if base.dtype == "uint8":
        return base
    dtype = base.dtype
    if kind == "dopplergram" and re.match(r"hmi\.v_\d", series.lower()):
        dtype = "int16"  # hmi.V_45s and hmi.V_720s store Dopplergrams as shorts
    bscale = _number(keywords, f"{segment}_bscale", base.bscale)
    bzero = _number(keywords, f"{segment}_bzero", base.bzero)
    if bscale == 0:
        bscale = base.bscale
    blank = _I16_BLANK if dtype == "int16" else base.blank
    return _Storage(dtype, bscale, bzero, blank)


def _quantise(values: np.ndarray, storage: _Storage) -> np.ndarray:
    lo, hi = _DTYPE_RANGE[storage.dtype]
    missing = np.isnan(values)
    raw = values
    if storage.bzero:
        raw = raw - np.float32(storage.bzero)
    if storage.bscale != 1.0:
        raw = raw / np.float32(storage.bscale)
    raw = np.clip(np.rint(raw), lo, hi)
    raw[missing] = storage.blank if storage.blank is not None else 0
    return raw.astype(storage.dtype)


# The stored file carries the pixel WCS and observation time, so that sunpy.map.Map opens
# as-is files (issue 2 requires it; without them sunpy refuses the file). A fits export
# replaces these cards with the record's DRMS keywords, so exported headers are unchanged.
_STORED_WCS = ("CTYPE1", "CTYPE2", "CUNIT1", "CUNIT2", "CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CDELT1", "CDELT2",
               "CROTA2")


def _stored_wcs_cards(keywords: Mapping[str, object]) -> list[str]:
    cards = []
    for name in _STORED_WCS:
        value = keywords.get(name)
        if value is None or value == "":
            continue
        try:
            value = float(value) if name not in ("CTYPE1", "CTYPE2", "CUNIT1", "CUNIT2") else str(value)
        except (TypeError, ValueError):
            continue
        if isinstance(value, float) and not np.isfinite(value):
            continue
        cards.append(fits.Card(name, value).image)
    tobs = keywords.get("T_OBS") or keywords.get("T_REC")
    if tobs:
        from sunpy_jsocx import jsoctime

        try:
            t = jsoctime.parse_time(str(tobs))
            if np.isfinite(t):
                cards.append(fits.Card("DATE-OBS", jsoctime.format_time(t, "ISO", 2).rstrip("Z")).image)
        except jsoctime.JSOCTimeError:
            pass
    return cards


def _compressed_file(raw: np.ndarray, storage: _Storage, extra_cards: list[str] = ()) -> bytes:
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data=raw, compression_type="RICE_1")]).writeto(buf)
    hdus = _split_fits(buf.getvalue())
    image: _HDU = hdus[1]
    cards = [c for c in image.cards if c[:8].rstrip() != "EXTNAME"]
    if storage.blank is not None:
        cards.append(fits.Card("BLANK", storage.blank).image)
    if storage.dtype != "uint8" and (storage.bzero != 0 or storage.bscale != 1):
        cards.append(fits.Card("BZERO", float(storage.bzero)).image)
        cards.append(fits.Card("BSCALE", float(storage.bscale)).image)
    image.cards = cards + list(extra_cards)
    return _join(hdus, checksummed={1})


# ---------------------------------------------------------------------------------------------
# Carrington synoptic charts (kind "synoptic")
# ---------------------------------------------------------------------------------------------

#: The primary header cards CFITSIO writes for a new image, as real JSOC synoptic charts begin
#: (sunpy/data/test/hmi_synoptic.header): the stored chart is one primary HDU of 32-bit floats.
_CFITSIO_COMMENTS: Final = (
    "FITS (Flexible Image Transport System) format is defined in 'Astronomy",
    "and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H",
)
_SYNOPTIC_SALT: Final = 0x5A70_C4A7
#: Mean of ``|sin lat|^8`` over the caps (60-90 deg, uniform in sine latitude as the charts'
#: rows are): a chart's polar profile ``A |sin lat|^8`` has the cap mean ``A`` times this.
_CAP_MEAN_SIN8: Final = (1 - math.sin(math.radians(60)) ** 9) / (9 * (1 - math.sin(math.radians(60))))


def _filtered_noise(rng: np.random.Generator, ny: int, nx: int, sigma_px: float) -> np.ndarray:
    """Gaussian noise smoothed over ``sigma_px`` pixels (periodic, by FFT), scaled to unit variance."""
    white = rng.standard_normal((ny, nx), dtype=np.float32)
    ky = np.fft.fftfreq(ny).astype(np.float32)[:, None]
    kx = np.fft.rfftfreq(nx).astype(np.float32)[None, :]
    kernel = np.exp(np.float32(-2.0 * (math.pi * sigma_px) ** 2) * (ky * ky + kx * kx))
    field = np.fft.irfft2(np.fft.rfft2(white) * kernel, s=(ny, nx)).astype(np.float32)
    field /= np.float32(max(float(field.std()), 1e-6))
    return field


def _time_keyword(keywords: Mapping[str, object], name: str, default: float) -> float:
    """A time keyword as DRMS internal seconds, or ``default`` when missing or not a time."""
    try:
        value = jsoctime.parse_time(str(keywords.get(name, "")))
    except jsoctime.JSOCTimeError:
        return default
    return value if math.isfinite(value) else default


def _synoptic_values(keywords: Mapping[str, object], seed: int) -> np.ndarray:
    """
    The radial field (G) of one Carrington rotation on the chart's longitude x sine-latitude grid.

    The grid follows the keywords: ``360 / |CDELT1|`` columns of Carrington time
    ``CRVAL1 + (i - CRPIX1) CDELT1`` (Carrington longitude ``360 CAR_ROT`` minus it), ``2 / CDELT2``
    rows of sine latitude ``CRVAL2 + (j - CRPIX2) CDELT2``. Each longitude shows the Sun when it
    crossed the central meridian (``T_START`` to ``T_STOP``): the active regions of
    `_active_regions` near the central meridian on that day (the ones the emulator's magnetograms
    show), smoothed as a chart that averages many magnetograms is, plus network, polar caps
    whose mean field is hmi.meanpf_720s's (`sunpy_jsocx.emulator.polarfield.cap_model`), and
    noise that grows towards the poles (``Br = Blos / mu``).
    ``MISSVALS`` pixels nearest the poles are missing (NaN).
    """
    d1 = _number(keywords, "CDELT1", -0.1)
    d2 = _number(keywords, "CDELT2", 2.0 / 1440.0)
    nx = max(8, int(round(360.0 / abs(d1)))) if d1 else 3600
    ny = max(8, int(round(2.0 / abs(d2)))) if d2 else 1440
    crpix1 = _number(keywords, "CRPIX1", nx / 2.0)
    crpix2 = _number(keywords, "CRPIX2", (ny + 1) / 2.0)
    crval1 = _number(keywords, "CRVAL1", 180.0)
    crval2 = _number(keywords, "CRVAL2", 0.0)
    ct = crval1 + (np.arange(nx, dtype=np.float64) + 1 - crpix1) * d1  # Carrington time of each column
    cr = int(round(_number(keywords, "CAR_ROT", math.ceil(float(ct.max()) / 360.0))))
    lon = np.radians(360.0 * cr - ct).astype(np.float32)  # Carrington longitude of each column
    sin_lat = np.clip(crval2 + (np.arange(ny, dtype=np.float64) + 1 - crpix2) * d2, -1.0, 1.0)
    lat = np.arcsin(sin_lat).astype(np.float32)
    mid = _obs_time(keywords)
    t0 = _time_keyword(keywords, "T_START", mid - 0.5 * _CARRINGTON_SYNODIC_DAYS * 86400.0)
    t1 = _time_keyword(keywords, "T_STOP", mid + 0.5 * _CARRINGTON_SYNODIC_DAYS * 86400.0)
    if not t1 > t0:
        t0, t1 = mid - 0.5 * _CARRINGTON_SYNODIC_DAYS * 86400.0, mid + 0.5 * _CARRINGTON_SYNODIC_DAYS * 86400.0
    rng = _rng(seed, "synoptic")
    field = np.zeros((ny, nx), np.float32)

    # Small-scale mixed-polarity field (network and plage mottles, about 0.2 deg) and noise: "well below
    # 0.5 G" at low latitudes, growing as 1/mu towards the poles (JSOC wiki MagneticField/SynopticRadial).
    mottle = _filtered_noise(rng, ny, nx, 0.2 / abs(d1))
    field += mottle * np.float32(7.0)
    mu = np.sqrt(np.maximum(1.0 - sin_lat * sin_lat, 0.0)).astype(np.float32)
    field += rng.standard_normal((ny, nx), dtype=np.float32) * (np.float32(0.4) / np.maximum(mu, 0.02))[:, None]

    # Active regions: each region as it was on the day it crossed the central meridian: compact
    # spots, and plage of the spot's polarity made of mottles around them.
    seen: dict[int, tuple[float, _Region, float]] = {}
    for day in range(math.floor(t0 / 86400.0) - 1, math.ceil(t1 / 86400.0) + 1):
        t = day * 86400.0 + 43200.0
        l0 = (360.0 * cr - (360.0 * (cr - 1) + 360.0 * (t - t0) / (t1 - t0))) % 360.0
        for region in _active_regions(t, l0, max_lon=8.0):
            centre = 0.5 * (region.lead.centre + region.follow.centre)
            offset = abs(math.degrees(math.atan2(centre[1], centre[0])))
            if region.ident not in seen or offset < seen[region.ident][0]:
                seen[region.ident] = (offset, region, l0)
    for _, region, l0 in seen.values():
        for spot in (region.lead, region.follow):
            c = spot.centre
            clat = math.asin(max(-1.0, min(1.0, float(c[2]))))
            clon = math.radians(l0) + math.atan2(float(c[1]), float(c[0]))
            core, plage = 0.5 * spot.sigma, 0.5 * region.plage_sigma
            reach = 4 * max(core, plage)
            rows = np.nonzero(np.abs(lat - clat) < reach)[0]
            dlon = (lon - clon + np.float32(math.pi)) % np.float32(2 * math.pi) - np.float32(math.pi)
            cols = np.nonzero(np.abs(dlon) * max(math.cos(clat), 0.05) < reach)[0]
            if not rows.size or not cols.size:
                continue
            box = np.ix_(rows, cols)
            dy = lat[rows][:, None] - np.float32(clat)
            dx = dlon[cols][None, :] * np.cos(lat[rows])[:, None]
            d2 = dx * dx + dy * dy
            sign = np.float32(math.copysign(1.0, spot.flux))
            field[box] += np.float32(0.45 * spot.flux) * np.exp(-d2 / np.float32(2 * core ** 2))
            envelope = np.exp(-d2 / np.float32(2 * plage ** 2)) * np.float32(region.strength)
            field[box] += sign * envelope * (np.float32(25.0) + np.float32(110.0) * mottle[box] * mottle[box])

    # Polar fields: each cap's mean radial field at the rotation's middle, from the model of
    # hmi.meanpf_720s's CAPN2/CAPS2 (polarfield.cap_model: the real series' reversal dates and
    # plateaus), spread as |sin lat|^8 (Svalgaard et al. 1978) so that the chart's mean over
    # 60-90 deg is the cap's. (The emulator's default seed's surges: 0.15 G rms.)
    polar = np.abs(sin_lat).astype(np.float32) ** 8 / np.float32(_CAP_MEAN_SIN8)
    north, south = (float(polarfield.cap_model(mid, cap)) for cap in ("N", "S"))
    field += np.where(sin_lat[:, None] > 0, np.float32(north), np.float32(south)) * polar[:, None]

    # Missing pixels at the poles, MISSVALS of them: half (rounded up) at the north pole.
    miss = int(min(max(_number(keywords, "MISSVALS", 0.0), 0.0), nx * ny))
    flat = field.reshape(-1)
    north_n = (miss + 1) // 2
    flat[flat.size - north_n:] = np.nan  # the last rows are the northernmost (sine latitude grows with j)
    flat[:miss - north_n] = np.nan
    return field


def _synoptic_file(keywords: Mapping[str, object], seed: int) -> bytes:
    """The stored chart: one primary HDU of big-endian 32-bit floats, NaN where data are missing."""
    values = _synoptic_values(keywords, seed)
    ny, nx = values.shape
    cards = [
        _card_image("SIMPLE", True, "file does conform to FITS standard"),
        _card_image("BITPIX", -32, "number of bits per data pixel"),
        _card_image("NAXIS", 2, "number of data axes"),
        _card_image("NAXIS1", nx, "length of data axis 1"),
        _card_image("NAXIS2", ny, "length of data axis 2"),
        _card_image("EXTEND", True, "FITS dataset may contain extensions"),
        *(f"COMMENT   {line}".ljust(80) for line in _CFITSIO_COMMENTS),
    ]
    data = values.astype(">f4").tobytes()
    data += b"\0" * ((-len(data)) % 2880)
    return _join([_HDU(cards, data)], checksummed=set())


def _card_image(name: str, value: object, comment: str) -> str:
    return fits.Card(name, value, comment).image


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def render_asis(series: str, segment: str, keywords: Mapping[str, object], *, size: int, kind: str,
                seed: int) -> bytes:
    """
    Draw the stored file of one record segment.

    Parameters
    ----------
    series : str
        Series name, e.g. ``"hmi.M_45s"``.
    segment : str
        Segment name, e.g. ``"magnetogram"``.
    keywords : mapping of str to str or number
        The record's keywords, describing the ``size``-pixel image (see the
        module documentation for the contract and the keywords read).
    size : int
        Pixels along each image axis (ignored for ``text``, and for ``synoptic``, whose grid
        is the one its keywords describe: ``360 / |CDELT1|`` by ``2 / CDELT2``, 3600 x 1440
        for hmi.Synoptic_Mr_720s, because the series keeps its WCS keywords as constants).
    kind : str
        The look, one of `KINDS` (see `segment_kind` for defaults).
    seed : int
        Seed of everything that differs between records (noise, texture).

    Returns
    -------
    bytes
        A FITS file (an empty primary HDU and a Rice-compressed image HDU with a
        minimal header; for ``synoptic`` one primary HDU of 32-bit floats, as JSOC
        stores its charts), or an ASCII table for ``text``. The same arguments always
        give the same bytes.

    Raises
    ------
    ValueError
        For an unknown ``kind`` or a non-positive ``size``.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from sunpy_jsocx.emulator.render import render_asis
    >>> kw = {"CRPIX1": "64.5", "CRPIX2": "64.5", "CDELT1": "19.2", "CDELT2": "19.2", "RSUN_OBS": "975.0",
    ...       "WAVELNTH": "171", "T_OBS": "2014-01-01T00:00:08.57Z"}
    >>> raw = render_asis("aia.lev1_euv_12s", "image", kw, size=128, kind="euv", seed=7)
    >>> with fits.open(io.BytesIO(raw)) as hdul:
    ...     data = hdul[1].data
    ...     print(hdul[1].header["BITPIX"], data.shape, bool(data[64, 64] > 10 * data[0, 0]))
    16 (128, 128) True
    >>> render_asis("hmi.V_sht_2drls", "rot.2d", {}, size=1, kind="text", seed=1).splitlines()[0]
    b'# Omega/2pi (nHz); rows r/R, columns latitude (deg)'
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "text":
        return _text(segment, _rng(seed, "text", segment), keywords)
    if kind == "synoptic":
        return _synoptic_file(keywords, seed)
    if series.lower() == polarfield.SERIES and segment.lower() in polarfield.SEGMENTS:
        return polarfield.segment_file(segment, keywords, seed)  # 180 latitude bins, not an image
    if aia_level1.is_spikes_segment(series, segment):  # AIA's removed hot pixels: a 3 x NSPIKES table
        return aia_level1.spikes_file(series, keywords, size=int(size), seed=seed)
    if series.lower() == iris.SERIES:  # IRIS FUV and NUV frames are slit spectra (emulator.iris); SJI: below
        spectrum = iris.segment_file(segment, keywords, size=int(size), seed=seed)
        if spectrum is not None:
            return spectrum
    storage = _storage(kind, segment, series, keywords)
    return _compressed_file(draw_image(series, segment, keywords, size=size, kind=kind, seed=seed), storage,
                            _stored_wcs_cards(keywords))


def draw_image(series: str, segment: str, keywords: Mapping[str, object], *, size: int, kind: str,
               seed: int) -> np.ndarray:
    """
    The stored values of the ``size`` x ``size`` image `render_asis` draws (before compression).

    The same arguments as `render_asis` (for image kinds); the array holds the values the stored
    file holds (its storage type, before ``BSCALE``/``BZERO``), so statistics of it are those of
    the file (`sunpy_jsocx.emulator.iris` computes IRIS SJI keywords from it).
    """
    size = int(size)
    if size <= 0:
        raise ValueError(f"size must be positive, not {size}")
    t = _obs_time(keywords)
    l0, b0 = _observer(keywords, t)
    geom = _Geometry(keywords, size, b0, l0)
    harp = _harp_region(keywords, geom)
    if harp is not None:
        regions = [harp]  # a SHARP patch holds its HARP alone, as JSOC's patches are cut around it
    else:
        regions = _active_regions(t, l0, max_lon=180.0 if geom.synoptic else 100.0)
    feats = _Features(geom, regions)
    rng = _rng(seed, kind, segment)
    if kind in ("euv", "uv", "vis"):
        values = _aia(geom, feats, rng, keywords, kind)
    elif kind in ("field", "inclination", "azimuth", "disambig", "bitmap"):
        values = {"field": _field, "inclination": _inclination, "azimuth": _azimuth, "disambig": _disambig,
                  "bitmap": _bitmap}[kind](geom, feats, rng, keywords, seed)
    elif kind == "vector-other":
        values = _vector_other(geom, feats, rng, keywords, segment)
    else:
        values = {"magnetogram": _magnetogram, "dopplergram": _dopplergram, "continuum": _continuum,
                  "linewidth": _linewidth, "linedepth": _linedepth, "generic": _generic}[kind](
                      geom, feats, rng, keywords)
    return _quantise(np.asarray(values, dtype=np.float32), _storage(kind, segment, series, keywords))
