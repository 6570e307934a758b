"""
Mode-parameter tables of ``hmi.V_sht_modes`` (segments ``m6``, ``m18``, ``m36``).

**The values are an emulator model, not data.** No public artifact found gives the
numbers of a real table, so the frequencies, widths, amplitudes, backgrounds,
a-coefficients and their errors below come from textbook physics of solar p modes,
tuned to look like a 72-day HMI fit. What *is* taken from public sources is the
layout of the table:

* drms's ``examples/plot_hmi_modes.py`` reads a segment with ``np.genfromtxt`` (a
  whitespace-separated numeric table), takes column 0 as the degree ``l``, 1 as the
  radial order ``n``, 2 as the frequency in microhertz, and the frequency's error at
  column 7 when the table has 24, 48 or 84 columns (6, 18 or 36 a-coefficients); it
  points to the appendix of Larson & Schou (2015, Solar Physics 290, 3221) for the
  column names.
* A public script of T. P. Larson (the author of that paper) that reads the ``m6``
  segment of ``hmi.V_sht_modes[<day>d][0][300][138240]``: columns 12-17 are a1..a6 in
  nHz and 18-23 their errors, column 7 the error of the frequency. A second public
  script reading a 36-coefficient file (``hmi.v_sht_modes.20140620_000000_TAI.0.300.
  138240.m10qr.7840.36``) takes column 3 as the amplitude, 4 as the width, 12-47 as the
  a-coefficients with 31.7 nHz added to a1.
* The LOWL project's description of the same (Schou) format, web.hao.ucar.edu
  ``.../LowL/fullformat.html``: ``l n nu amp FWHM back x``, then the errors of ``nu``
  to ``x``, then ``a_1..a_N`` and their errors; a-coefficients in nHz, ``a_1`` with
  31.7 nHz added; "a standard deviation of 0 means that something has not been
  determined".

So a table with ``N`` a-coefficients has ``12 + 2 N`` columns (24, 48, 84):

====== ==============================================================================
column content (model)
====== ==============================================================================
0      degree l (0..300)
1      radial order n (0 is the f mode)
2      frequency, microhertz
3      amplitude (arbitrary units)
4      width (FWHM), microhertz
5      log10 of the background power (arbitrary units)
6      profile asymmetry (the format's seventh parameter)
7-11   errors of columns 2-6
12..   a1..aN, nHz (a1 with 31.7 nHz added), then their errors; 0 where k > 2 l
====== ==============================================================================

The model:

* **Frequencies** of the p modes follow the Duvall law, ``pi (n + alpha) / omega =
  F(omega / L)`` with ``L = l + 1/2``, ``F(w)`` the ray integral of an approximate solar
  sound-speed profile (a standard-solar-model-like table inside 0.9 R, an adiabatic
  polytrope outside), scaled so that the sound travel time from centre to surface gives
  a large separation of 135 microhertz; ``alpha`` is set so the radial mode ``n = 20``
  lies near 2.9 mHz. The f mode follows ``omega^2 = g k`` (``nu = 99.9 sqrt(L)``
  microhertz). Fitted modes lie between 0.9 mHz and a degree-dependent upper limit
  (4.8 mHz at l = 0, 4 mHz at l = 300); about 2% of them are dropped, as fits fail.
* **Widths** rise from 0.05 microhertz at 1.5 mHz to about 1 at 3 mHz and 10 at
  4.5 mHz, broader at high degree; **errors** of the frequency follow Libbrecht's
  (1992) formula for a 72-day series, ``sigma^2 = f(beta) Gamma / (4 pi T)``, reduced
  by ``(2 l + 1)^(1/4)`` for the m-averaged multiplet; the frequency column carries that
  much noise, different for every record.
* **a-coefficients**: a1 about 440 nHz, a3 about 22 nHz, a5 about -4 nHz (solar
  differential rotation), small even coefficients, higher coefficients near 0.
* **Solar cycle**: frequencies rise with activity, by about 0.4 microhertz at 3 mHz for
  a smoothed sunspot number of 150 (the size helioseismology reports between cycle
  minimum and maximum), more at higher frequency and degree; the sunspot number is a
  coarse model of cycles 24 and 25 (minima about 2008.9 and 2019.9, maxima about 116 in
  2014.3 and 160 in 2024.8), taken at the middle of the record (``T_OBS``).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from sunpy_jsocx import jsoctime

__all__ = ["LARGE_SEPARATION", "NDT", "frequency_shift", "mode_frequencies", "mode_table", "sunspot_number"]

#: Large frequency separation of low-degree p modes, microhertz (textbook value).
LARGE_SEPARATION = 135.0
#: Points of a 72-day series at 45 s: the NDT of hmi.V_sht_modes records.
NDT = 138240
#: Length of the fitted series, seconds (NDT x 45 s = 72 days).
SERIES_SECONDS = NDT * 45.0
#: Surface gravity (m s^-2) and radius (m) of the Sun, for the f mode.
_G_SUN, _R_SUN = 274.0, 6.957e8
#: Approximate solar sound speed (km/s) at r/R (standard-solar-model-like; model, not data).
_C_TABLE_R = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
_C_TABLE = np.array([507.0, 495.0, 455.0, 405.0, 360.0, 320.0, 285.0, 235.0, 165.0, 95.0])
#: Duvall-law phase; puts the radial n = 20 mode near 2.9 mHz.
_ALPHA = 1.2
LMAX = 300
#: Lowest fitted frequency and the upper limit at l = 0 and its fall per degree (microhertz).
_NU_MIN, _NU_MAX0, _NU_MAX_SLOPE = 900.0, 4800.0, 2.8
_DROP_FRACTION = 0.02
#: Coarse model of the smoothed sunspot number (decimal year, number): cycles 24 and 25.
_CYCLE_YEARS = np.array([2008.9, 2011.0, 2014.3, 2016.5, 2019.9, 2022.0, 2024.8, 2027.0, 2030.5])
_CYCLE_SSN = np.array([2.0, 55.0, 116.0, 45.0, 2.0, 70.0, 160.0, 80.0, 5.0])
#: Shift at 3 mHz and low degree per unit of sunspot number (0.4 microhertz at 150).
_SHIFT_PER_SSN = 0.4 / 150.0


def _trapezoid(y: np.ndarray, x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Trapezoidal integral along ``axis`` (``numpy.trapezoid`` needs numpy 2; the project allows 1.26)."""
    y = np.moveaxis(np.asarray(y, dtype=float), axis, -1)
    return np.sum(0.5 * (y[..., 1:] + y[..., :-1]) * np.diff(x), axis=-1)


def _sound_speed(r: np.ndarray) -> np.ndarray:
    """Model sound speed (km/s) at fractional radius ``r``: table inside 0.9, polytrope ``c^2 ~ 1 - r`` outside."""
    inner = np.interp(r, _C_TABLE_R, _C_TABLE)
    outer = _C_TABLE[-1] * np.sqrt(np.clip(1.0 - r, 0.0, None) / 0.1)
    return np.where(r <= 0.9, inner, outer)


@cache
def _duvall_table() -> tuple[np.ndarray, np.ndarray]:
    """``(w, F(w))``: the Duvall-law ray integral on a grid of ``w = omega / L`` (rad/s)."""
    radius_km = _R_SUN / 1e3
    # Dense near the surface, where the sound speed falls to zero and most high-l modes live.
    x = np.concatenate([np.linspace(0.0, 0.9, 3000, endpoint=False), 1.0 - np.geomspace(0.1, 1e-7, 6000)])
    r = x * radius_km
    c = np.maximum(_sound_speed(x), 1e-3)
    travel = _trapezoid(1.0 / c, r)  # seconds from centre to surface
    scale = travel * 2.0 * LARGE_SEPARATION * 1e-6  # c -> c * scale gives the wanted large separation
    c = c * scale
    w = np.geomspace(1e-6, 2.0, 700)
    with np.errstate(divide="ignore"):
        inv_r2 = np.where(r > 0, 1.0 / np.maximum(r, 1e-9) ** 2, np.inf)
    integrand = np.sqrt(np.clip(1.0 / c[None, :] ** 2 - inv_r2[None, :] / w[:, None] ** 2, 0.0, None))
    return w, _trapezoid(integrand, r, axis=1)


@cache
def mode_frequencies(lmax: int = LMAX) -> dict[tuple[int, int], float]:
    """
    Model frequencies (microhertz) of the f mode and p modes, ``{(l, n): nu}``.

    A model, not data: see the module docstring.

    Parameters
    ----------
    lmax : int
        Highest degree.

    Returns
    -------
    dict
        ``{(l, n): frequency}`` for ``0 <= l <= lmax`` and every order whose frequency
        lies between 0.9 mHz and the degree's upper limit.

    Examples
    --------
    >>> from sunpy_jsocx.emulator.modes import mode_frequencies
    >>> nu = mode_frequencies()
    >>> 2850 < nu[0, 20] < 2950, 130 < nu[0, 21] - nu[0, 20] < 140
    (True, True)
    """
    w_grid, f_grid = _duvall_table()
    nu = np.arange(300.0, 6000.0, 0.5)  # microhertz
    omega = 2 * math.pi * nu * 1e-6
    out: dict[tuple[int, int], float] = {}
    for ell in range(lmax + 1):
        big_l = ell + 0.5
        phase = omega * np.interp(omega / big_l, w_grid, f_grid) / math.pi - _ALPHA  # = n on the ridges
        top = _NU_MAX0 - _NU_MAX_SLOPE * ell
        f_mode = 1e6 * math.sqrt(_G_SUN * math.sqrt(ell * (ell + 1)) / _R_SUN) / (2 * math.pi)
        if _NU_MIN <= f_mode <= top:
            out[ell, 0] = f_mode
        for n in range(1, int(phase[-1]) + 1):
            value = float(np.interp(n, phase, nu))
            if _NU_MIN <= value <= top:
                out[ell, n] = value
    return out


def sunspot_number(year) -> np.ndarray:
    """
    Model smoothed sunspot number at decimal ``year`` (a coarse model of cycles 24 and 25, not data).

    Examples
    --------
    >>> from sunpy_jsocx.emulator.modes import sunspot_number
    >>> bool(sunspot_number(2014.3) > 100 > 10 > sunspot_number(2019.9))
    True
    """
    return np.interp(np.asarray(year, dtype=float), _CYCLE_YEARS, _CYCLE_SSN)


def frequency_shift(nu, ell, year) -> np.ndarray:
    """
    Model solar-cycle shift (microhertz) of modes of frequency ``nu`` (microhertz) and degree ``ell``.

    Grows with frequency up to 4 mHz and with degree (smaller mode inertia); a model, not data.
    """
    nu = np.asarray(nu, dtype=float)
    shape = (np.minimum(nu, 4000.0) / 3000.0) ** 3
    return _SHIFT_PER_SSN * sunspot_number(year) * shape * (1.0 + np.asarray(ell, dtype=float) / 300.0)


def _decimal_year(text: str | None) -> float | None:
    if not text:
        return None
    try:
        t = jsoctime.parse_time(str(text))
    except ValueError:
        return None
    return 2000.0 + (t - jsoctime.parse_time("2000.01.01_00:00:00_TAI")) / (365.25 * 86400.0)


def _width(nu: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """Model FWHM (microhertz): about 1 at 3 mHz, rising steeply above, broader at high degree."""
    nodes = np.array([800.0, 1500.0, 2000.0, 2500.0, 2800.0, 3100.0, 3500.0, 4000.0, 4500.0, 5000.0])
    widths = np.array([0.01, 0.05, 0.3, 0.7, 0.95, 1.1, 2.0, 5.0, 10.0, 16.0])
    return np.exp(np.interp(nu, nodes, np.log(widths))) * (1.0 + 0.6 * (ell / LMAX) ** 1.5)


def _noise_to_signal(nu: np.ndarray) -> np.ndarray:
    """Model background-to-peak ratio: small near 3 mHz, large at both ends of the band."""
    mhz = nu / 1000.0
    return 0.02 + np.exp((mhz - 4.6) / 0.35) + np.exp((1.2 - mhz) / 0.25)


def _frequency_error(nu: np.ndarray, ell: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Libbrecht's (1992) error for a 72-day series, per multiplet (microhertz)."""
    beta = _noise_to_signal(nu)
    f_beta = np.sqrt(1 + beta) * (np.sqrt(1 + beta) + np.sqrt(beta)) ** 3
    sigma_hz = np.sqrt(f_beta * width * 1e-6 / (4 * math.pi * SERIES_SECONDS))
    return 1e6 * sigma_hz / (2 * ell + 1.0) ** 0.25


def _a_coefficients(nu: np.ndarray, ell: np.ndarray, ncoeff: int) -> np.ndarray:
    """Model a1..aN (nHz): rotation (odd) and small structure/magnetic terms (even)."""
    depth = np.clip(nu / (ell + 0.5) / 150.0, 0.0, 1.0)  # ~1 for deep (low-l) modes, ~0 for shallow ones
    a = np.zeros((nu.size, ncoeff))
    base = {1: 446.0 - 10.0 * depth, 2: 0.25 + 0.05 * nu / 1000.0, 3: 20.0 + 3.0 * (1 - depth),
            4: -0.3 * np.ones_like(nu), 5: -3.6 - 0.6 * (1 - depth), 6: 0.1 * np.ones_like(nu),
            7: 0.4 * np.ones_like(nu)}
    for k in range(1, ncoeff + 1):
        a[:, k - 1] = base.get(k, 0.0)
    return a


def mode_table(ncoeff: int, rng: np.random.Generator, lmax: int = LMAX, t_obs: str | None = None) -> bytes:
    """
    The ASCII mode-parameter table of one ``hmi.V_sht_modes`` segment.

    A model, not data (see the module docstring); the layout is the public one.

    Parameters
    ----------
    ncoeff : int
        Number of a-coefficients: 6, 18 or 36 (segments ``m6``, ``m18``, ``m36``).
    rng : numpy.random.Generator
        Noise source (one per record and segment).
    lmax : int
        Highest degree (the record's ``LMAX``).
    t_obs : str, optional
        The record's ``T_OBS`` (middle of the series), a JSOC time: the frequencies carry
        the model's solar-cycle shift for that time. Without it (or if it does not
        parse), no shift.

    Returns
    -------
    bytes
        One line per mode, sorted by ``l`` then ``n``, ``12 + 2 * ncoeff`` columns.

    Raises
    ------
    ValueError
        If ``ncoeff`` is not a positive integer.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sunpy_jsocx.emulator.modes import mode_table
    >>> a = np.genfromtxt(io.BytesIO(mode_table(6, np.random.default_rng(1))))
    >>> a.shape[1], int(a[:, 0].min()), int(a[:, 0].max())
    (24, 0, 300)
    """
    if isinstance(ncoeff, bool) or not isinstance(ncoeff, (int, np.integer)) or ncoeff < 1:
        raise ValueError(f"ncoeff must be a positive number of a-coefficients (6, 18 or 36), not {ncoeff!r}")
    modes = mode_frequencies(int(lmax))
    keys = sorted(modes)
    keep = rng.random(len(keys)) >= _DROP_FRACTION
    keys = [k for k, flag in zip(keys, keep) if flag]
    ell = np.array([k[0] for k in keys], dtype=float)
    order = np.array([k[1] for k in keys])
    nu0 = np.array([modes[k] for k in keys])
    width = _width(nu0, ell)
    sig_nu = _frequency_error(nu0, ell, width)
    year = _decimal_year(t_obs)
    shift = frequency_shift(nu0, ell, year) if year is not None else 0.0
    nu = nu0 + shift + sig_nu * rng.standard_normal(nu0.size)
    amp = 60.0 * np.exp(-(((nu0 - 3100.0) / 900.0) ** 2)) * (1.0 + ell / 150.0)
    back = -1.5 - 0.4 * (nu0 / 1000.0) + 0.002 * ell
    asym = -0.02 - 0.03 * (nu0 / 4000.0)
    beta = _noise_to_signal(nu0)
    sig_amp = amp * (0.05 + 0.1 * beta)
    sig_width = width * (0.04 + 0.2 * beta) / (2 * ell + 1.0) ** 0.25
    sig_back = 0.01 + 0.05 * beta
    sig_asym = 0.005 + 0.02 * beta
    coeff = _a_coefficients(nu0, ell, ncoeff)
    k = np.arange(1, ncoeff + 1)
    big_l = np.sqrt(np.maximum(ell * (ell + 1), 1.0))
    sig_a = 1000.0 * sig_nu[:, None] * np.sqrt(3.0 * k[None, :]) / big_l[:, None] * (2 * ell[:, None] + 1) ** 0.25
    coeff = coeff + sig_a * rng.standard_normal(coeff.shape)
    undetermined = k[None, :] > 2 * ell[:, None]  # a_k needs k <= 2 l
    coeff[undetermined] = 0.0
    sig_a[undetermined] = 0.0
    rows = []
    for i in range(len(keys)):
        head = (f"{int(ell[i]):4d} {order[i]:3d} {nu[i]:12.6f} {amp[i]:10.4f} {width[i]:10.6f} {back[i]:9.5f} "
                f"{asym[i]:9.5f} {sig_nu[i]:10.6f} {sig_amp[i]:9.4f} {sig_width[i]:10.6f} {sig_back[i]:8.5f} "
                f"{sig_asym[i]:8.5f}")
        tail = " ".join(f"{v:9.4f}" for v in coeff[i]) + " " + " ".join(f"{v:8.4f}" for v in sig_a[i])
        rows.append(head + " " + tail)
    return ("\n".join(rows) + "\n").encode("ascii")
