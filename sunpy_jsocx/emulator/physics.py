"""
Deterministic, vectorised models of record keyword values.

Values are plausible rather than archival: the observer's ephemeris comes from
sunpy's solar ephemeris (evaluated on an hourly grid and interpolated), with
SDO's geosynchronous orbit added as a small daily oscillation; instrument
keywords follow the real instruments' nominal values; everything else is a
deterministic function of the record (its recnum and the emulator's seed).
"""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np

from sunpy_jsocx import jsoctime

__all__ = ["hash01", "Ephemeris", "EPHEMERIS", "AIA_DEGRADATION_VERSION", "AIA_MEAN_EPOCHS", "aia_degradation",
           "aia_level"]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
    return x ^ (x >> np.uint64(31))


def name_hash(name: str) -> int:
    return zlib.crc32(name.encode())


def hash01(values, *salts: int) -> np.ndarray:
    """
    Deterministic pseudo-random numbers in [0, 1) from integer ``values`` and salts.
    """
    with np.errstate(over="ignore"):
        x = np.asarray(values, dtype=np.int64).astype(np.uint64)
        for s in salts:
            x = _splitmix(x ^ np.uint64(s & 0xFFFFFFFFFFFFFFFF))
        x = _splitmix(x)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# SDO's geosynchronous orbit seen from the Sun: a daily (sidereal) oscillation of
# the observer's heliographic latitude of amplitude 33,200 km at 1 AU (orbit radius
# 42,164 km, inclination to the ecliptic up to 51.9 deg), and a radial oscillation of
# 42,164 km. The latitude phase is calibrated on one real record: hmi.V_45s at
# 2013.07.03_08:42:45_TAI has CRLT_OBS = 3.14159 deg (drms's test suite asserts it).
_SDO_LAT_AMPLITUDE_DEG = 0.0125
_SIDEREAL_DAY = 86164.0905
_SDO_RADIUS_M = 42_164_000.0
_SDO_RADIAL_PHASE = 0.3  # fraction of a solar day; no real datum, any phase is plausible


class Ephemeris:
    """
    The Sun as seen from SDO (Earth's centre plus SDO's orbit), on an hourly grid.
    """

    def __init__(self):
        self._cache: dict[int, tuple[float, float, float, float]] = {}
        self._lat_phase: float | None = None

    def _nodes(self, hours: np.ndarray) -> np.ndarray:
        missing = [int(h) for h in hours if int(h) not in self._cache]
        if missing:
            from astropy.time import Time, TimeDelta
            from sunpy.coordinates import sun

            base = Time("1977-01-01T00:00:00", scale="tai")
            t = base + TimeDelta(np.asarray(missing, dtype=float) * 3600.0, format="sec")
            from astropy.coordinates import HeliocentricMeanEcliptic
            from sunpy.coordinates import get_earth

            b0 = np.atleast_1d(sun.B0(t).deg)
            l0 = np.atleast_1d(sun.L0(t).deg)
            d = np.atleast_1d(sun.earth_distance(t).to_value("m"))
            crn = np.atleast_1d(np.asarray(sun.carrington_rotation_number(t), dtype=float))
            hae = get_earth(t).transform_to(HeliocentricMeanEcliptic(obstime=t)).cartesian
            hx, hy, hz = (np.atleast_1d(c.to_value("m")) for c in (hae.x, hae.y, hae.z))
            for i, h in enumerate(missing):
                self._cache[h] = (b0[i], l0[i], d[i], crn[i], hx[i], hy[i], hz[i])
        return np.array([self._cache[int(h)] for h in hours])

    def earth(self, t: np.ndarray):
        """B0 (deg), L0 (deg), Sun-Earth distance (m), Carrington rotation number and d(distance)/dt (m/s)."""
        t = np.asarray(t, dtype=float)
        x = t / 3600.0
        h0 = np.floor(x)
        frac = x - h0
        # Only the hourly nodes around each time are evaluated (not every hour of the span:
        # six years at 6-h sampling would be 52,000 ephemeris evaluations).
        hours = np.unique(np.concatenate([h0 - 1, h0, h0 + 1, h0 + 2]))
        nodes = self._nodes(hours)

        def at(offset):
            return nodes[np.searchsorted(hours, h0 + offset)]

        n0, n1 = at(0), at(1)

        def lerp(k):
            return n0[:, k] + (n1[:, k] - n0[:, k]) * frac

        b0 = lerp(0)
        # L0 decreases through 360 -> 0; interpolate along the short way round.
        step = np.mod(n1[:, 1] - n0[:, 1] + 180.0, 360.0) - 180.0
        l0 = np.mod(n0[:, 1] + step * frac, 360.0)
        dist = lerp(2)
        crn = lerp(3)
        # d(distance)/dt: hourly differences centred on the half hours, interpolated linearly.
        d_prev = (n0[:, 2] - at(-1)[:, 2]) / 3600.0
        d_here = (n1[:, 2] - n0[:, 2]) / 3600.0
        d_next = (at(2)[:, 2] - n1[:, 2]) / 3600.0
        ddist = np.where(frac < 0.5, d_prev + (d_here - d_prev) * (frac + 0.5),
                         d_here + (d_next - d_here) * (frac - 0.5))
        self._hae = tuple(lerp(k) for k in (4, 5, 6))
        return b0, l0, dist, crn, ddist

    def _phase(self) -> float:
        if self._lat_phase is None:
            t_ref = jsoctime.parse_time("2013.07.03_08:43:07.5_TAI")
            b0, *_ = self.earth(np.array([t_ref]))
            target = 3.14159 - b0[0]
            s = np.clip(target / _SDO_LAT_AMPLITUDE_DEG, -1, 1)
            # Choose the descending branch, as the real record sequence is.
            angle = np.pi - np.arcsin(s)
            self._lat_phase = t_ref - angle * _SIDEREAL_DAY / (2 * np.pi)
        return self._lat_phase

    def sdo(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """Observer keywords for SDO at internal times ``t``."""
        t = np.asarray(t, dtype=float)
        b0, l0, dist, crn, dd = self.earth(t)
        hx, hy, hz = self._hae
        lat_angle = 2 * np.pi * (t - self._phase()) / _SIDEREAL_DAY
        dlat = _SDO_LAT_AMPLITUDE_DEG * np.sin(lat_angle)
        dlon = _SDO_LAT_AMPLITUDE_DEG * np.cos(lat_angle)
        rad_angle = 2 * np.pi * (t / 86400.0 - _SDO_RADIAL_PHASE)
        dsun = dist + _SDO_RADIUS_M * np.cos(rad_angle)
        v_orbit = 2 * np.pi * _SDO_RADIUS_M / 86164.0905
        return {
            "CRLT_OBS": b0 + dlat,
            "HGLT_OBS": b0 + dlat,
            "CRLN_OBS": np.mod(l0 + dlon, 360.0),
            "HGLN_OBS": dlon,
            "DSUN_OBS": dsun,
            "CAR_ROT": np.floor(crn).astype(np.int64),
            "OBS_VR": dd - v_orbit * np.sin(rad_angle),
            "OBS_VW": 29_780.0 + v_orbit * np.cos(rad_angle) * 0.5,
            "OBS_VN": v_orbit * np.sin(lat_angle) * 0.4,
            "RSUN_OBS": np.degrees(np.arcsin(696_000_000.0 / dsun)) * 3600.0,
            # Heliocentric mean-ecliptic position: Earth's, plus SDO's orbit (radially, roughly).
            "HAEX_OBS": hx * (dsun / dist),
            "HAEY_OBS": hy * (dsun / dist),
            "HAEZ_OBS": hz + _SDO_LAT_AMPLITUDE_DEG * np.pi / 180 * dist * np.sin(lat_angle),
            # Geocentric equatorial inertial position of a geosynchronous orbit at 102 deg W.
            "GAEX_OBS": _SDO_RADIUS_M * np.cos(2 * np.pi * t / _SIDEREAL_DAY),
            "GAEY_OBS": _SDO_RADIUS_M * np.sin(2 * np.pi * t / _SIDEREAL_DAY),
            "GAEZ_OBS": _SDO_RADIUS_M * np.sin(np.radians(28.5)) * np.sin(lat_angle),
        }


EPHEMERIS = Ephemeris()


@cache
def aia_channel(wavelength: int) -> dict[str, float | str]:
    """
    Nominal AIA channel properties (telescope, exposure, T_OBS offset, typical DN).

    ``T_OBS_OFFSET`` (T_OBS - T_REC, seconds) is `sunpy_jsocx.emulator.aia_timing.AIA_T_OBS_OFFSET`,
    where each value's source is named.
    """
    from sunpy_jsocx.emulator.aia_timing import AIA_T_OBS_OFFSET, DEFAULT_T_OBS_OFFSET

    table = {
        94: ("AIA_4", 2.901, 1.5),
        131: ("AIA_1", 2.901, 5.0),
        171: ("AIA_3", 2.000, 300.0),
        193: ("AIA_2", 2.000, 450.0),
        211: ("AIA_2", 2.901, 150.0),
        304: ("AIA_4", 2.901, 40.0),
        335: ("AIA_1", 2.901, 8.0),
        1600: ("AIA_3", 2.901, 60.0),
        1700: ("AIA_3", 1.000, 1300.0),
        4500: ("AIA_3", 0.500, 5000.0),
    }
    tel, exptime, dn = table.get(int(wavelength), ("AIA_3", 2.0, 100.0))
    offset = AIA_T_OBS_OFFSET.get(int(wavelength), (DEFAULT_T_OBS_OFFSET, ""))[0]
    return {"INSTRUME": tel, "EXPTIME": exptime, "T_OBS_OFFSET": offset, "DATAMEAN": dn,
            "WAVE_STR": f"{int(wavelength)}_THIN" if int(wavelength) < 1000 else f"{int(wavelength)}"}


# --- AIA degradation ---------------------------------------------------------------------------
#: The calibration version whose epochs set the decline of the emulator's AIA levels: version 10,
#: the default of aiapy's ``degradation`` (``LATEST_CORRECTION_VERSION`` in LM-SAL/aiapy@afc3db7
#: aiapy/calibrate/utils.py), held as real rows in `sunpy_jsocx.emulator.evidence.AIA_RESPONSE_V10`.
AIA_DEGRADATION_VERSION = 10

#: The time at which each AIA channel's level in `sunpy_jsocx.emulator.evidence` was measured
#: (UTC): the level at any other time is that level times the ratio of the degradation factors.
#: ``None`` (the default for channels without a recorded header): the level is an emulator choice
#: (``AIA_MEANS_CHOSEN``, the shape of [aia171]) taken to hold at [aia171]'s time.
AIA_MEAN_EPOCHS = {
    171: ("2011-02-15T00:00:01Z", "[aia171] sunpy/data/test/aia_171_level1.fits T_REC 2011-02-15T00:00:01Z"),
    304: ("2014-01-01T00:00:01Z", "[cass304] the first record's T_REC, 2014-01-01T00:00:01Z"),
    None: ("2011-02-15T00:00:01Z", "emulator choice: the AIA_MEANS_CHOSEN levels copy [aia171]'s shape and time"),
}


@cache
def _aia_epochs(wavelength: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(T_START, T_STOP, EFF_AREA / first EFF_AREA, EFFA_P1..P3) of one channel's version-10 epochs."""
    from sunpy_jsocx.emulator.evidence import AIA_RESPONSE_COLUMNS, AIA_RESPONSE_V10

    col = {c: i for i, c in enumerate(AIA_RESPONSE_COLUMNS)}
    wave_str = f"{int(wavelength)}" + ("" if int(wavelength) in (1600, 1700, 4500) else "_THIN")
    rows = [r for r in AIA_RESPONSE_V10 if r[col["WAVE_STR"]] == wave_str
            and int(r[col["VER_NUM"]]) == AIA_DEGRADATION_VERSION]
    if not rows:
        return None
    # The first epoch is the one at launch: aiapy normalises by the first row of the channel's
    # version (LM-SAL/aiapy@afc3db7 aiapy/calibrate/utils.py _select_epoch_from_correction_table),
    # which in the table's order is the earliest T_START.
    rows.sort(key=lambda r: jsoctime.parse_time(r[col["T_START"]]))
    start = np.array([jsoctime.parse_time(r[col["T_START"]]) for r in rows])
    stop = np.array([jsoctime.parse_time(r[col["T_STOP"]]) for r in rows])
    ratio = np.array([r[col["EFF_AREA"]] for r in rows], dtype=float) / float(rows[0][col["EFF_AREA"]])
    poly = np.array([[r[col[k]] for k in ("EFFA_P1", "EFFA_P2", "EFFA_P3")] for r in rows], dtype=float)
    return start, stop, ratio, poly


def aia_degradation(wavelength: int, t) -> np.ndarray:
    r"""
    The AIA channel's sensitivity at TAI times ``t``, relative to launch, from the real response table.

    For the calibration epoch ``T_START <= t < T_STOP`` of version `AIA_DEGRADATION_VERSION`
    of ``aia.response`` (the rows of `sunpy_jsocx.emulator.evidence.AIA_RESPONSE_V10`):

    .. math::

        \frac{A_{eff}(t_e)}{A_{eff}(t_0)}\,(1 + p_1\delta t + p_2\delta t^2 + p_3\delta t^3)

    with ``EFF_AREA`` of that epoch and of the first epoch, ``EFFA_P1..P3`` of that epoch and
    :math:`\delta t` the days since the epoch's ``T_START``. This is the factor SolarSoft's
    ``aia_bp_corrections.pro`` and aiapy's ``aiapy.calibrate.degradation`` compute from the same
    table (its documented formula), so dividing the emulator's levels by it gives back a
    constant.

    Parameters
    ----------
    wavelength : int
        AIA channel in Angstrom (94 ... 4500).
    t : array of float
        Internal TAI seconds (:mod:`sunpy_jsocx.jsoctime`).

    Returns
    -------
    numpy.ndarray
        The factor for each time: 1 where the table has no epoch for the time or no version-10 rows
        for the channel (4500, whose calibration stops at version 3).

    Examples
    --------
    >>> from sunpy_jsocx import jsoctime
    >>> t = [jsoctime.parse_time("2010-06-01T00:00:00Z"), jsoctime.parse_time("2022-01-01T00:00:00Z")]
    >>> bool(aia_degradation(335, t)[1] < 0.3 * aia_degradation(335, t)[0])  # 335 lost most of its throughput
    True
    """
    t = np.asarray(t, dtype=float)
    out = np.ones(t.shape)
    epochs = _aia_epochs(int(wavelength))
    if epochs is None:
        return out
    start, stop, ratio, poly = epochs
    for k in range(start.size):  # a time in two epochs takes the later one, as aiapy does
        sel = (t >= start[k]) & (t < stop[k])
        dt = (t[sel] - start[k]) / 86400.0
        out[sel] = ratio[k] * (1.0 + poly[k, 0] * dt + poly[k, 1] * dt ** 2 + poly[k, 2] * dt ** 3)
    return out


def aia_level(wavelength: int, t) -> np.ndarray:
    """
    How an AIA channel's image level at TAI times ``t`` compares with its level in the evidence.

    ``aia_degradation(wavelength, t) / aia_degradation(wavelength, t_ref)``, ``t_ref`` the time of
    the channel's recorded level (`AIA_MEAN_EPOCHS`): 1 at that time, below 1 later as the channel
    loses sensitivity.
    """
    ref = AIA_MEAN_EPOCHS.get(int(wavelength), AIA_MEAN_EPOCHS[None])[0]
    at_ref = aia_degradation(int(wavelength), [jsoctime.parse_time(ref)])[0]
    return aia_degradation(int(wavelength), t) / at_ref
