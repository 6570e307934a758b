"""
IRIS level 1 (``iris.lev1``): spectrograph (FUV, NUV) and slit-jaw (SJI) frames.

JSOC's ``iris.lev1`` holds every frame IRIS reads out: FUV and NUV spectrograph (SG)
frames and slit-jaw images. This module gives the emulator's records their kind
(``INSTRUME``, ``ISYSN``, ``CAMERA``, ``IMG_PATH``), their frame geometry and WCS, their
exposure and statistics keywords, and draws the SG frames (slit spectra); SJI frames are
drawn by :mod:`sunpy_jsocx.emulator.render` as patches of the disk.

Every fact is kept as data below with its source beside it; what no public artifact gives
is marked *model* or *emulator choice*. Sources:

* ``[keylist]``: JSOC's keyword list of the series,
  http://sun.stanford.edu/~baldner/test/Series/iris.lev1.txt (prime keys T_OBS, FSN;
  ``ISYSN`` "SYStem Number: FUV=0; NUV=1; SJI=2; NUV_SJI=3", ``INSTRUME`` "FUV, NUV or SJI",
  ``CAMERA`` "IRIS CEB ID: FUV=1; NUV=2; SJI=2", ``SUMSPTRL``/``SUMSPAT`` CCD summing).
* ``[jsd]``: JSOC's series definition ``proj/lev0/apps/data/iris.lev1_prelim01.jsd``
  (lm-jps/proj@0cf0b90d35): the same keyword comments, the WCS keywords of level 1
  (``CTYPE1`` "WAVE" for FUV1/NUV, solar x for SJI; the ``...A`` set for FUV2) and the
  segment ``image_lev1`` (short, "lev1 fits image with headers").
* ``[timeset]``: ``proj/lev0/apps/iris_time_setting.c`` (lm-jps/proj@0cf0b90d35), the code
  that sets ``INSTRUME`` = FUV/NUV/SJI and ``CAMERA`` = 1/2/2 from the light path,
  ``IMG_PATH`` = "FUV", "NUV", "SJI_1330", "SJI_1400", "SJI_2796", "SJI_2832" (and the
  calibration paths "SJI_5000W", "SJI_1600W", "NUV-SJI") and ``DATE__OBS = T_OBS - EXPTIME/2``.
* ``[isp2wcs]``: ``proj/lev0/apps/iris_isp2wcs.c`` (same commit): JSOC's level-1 WCS
  database: FUV1 ``CRVAL1`` 1334.53 A at ``CRPIX1`` 219.50, 0.01298 A/pixel; FUV2 (the
  ``A`` keywords) 1402.77 A at 3807.3, 0.01272 A/pixel; NUV 2798.65 A at 659.30,
  0.02546 A/pixel; 0.16632 (FUV) and 0.16637 (NUV) arcsec/pixel along the slit; SJI plate
  scales 0.16560 (1330, 1400) and 0.16790 (2796, 2832) arcsec/pixel; summing:
  ``CDELT = cdelt * sum``, ``CRPIX = crpix / sum + (sum - 1) / (2 sum)``.
* ``[flat]``: ``proj/lev0/apps/do_flat_iris.c`` (same commit): a level-1 frame is
  ``nx * SUMSPTRL`` = 4144 or 2072 columns by ``ny * SUMSPAT`` = 1096 rows.
* ``[ingest]``: ``proj/lev0/apps/ingest_lev0_irisdc.c`` (same commit): full readouts are
  4144 x 1096, single-tap and cropped NUV/SJI readouts 2072 x 1096; the summing factors
  are 1, 2, 4, 8 spectrally and 1, 2, 4 spatially (its lookup tables).
* ``[fuvregime]``: a public reader of real iris.lev1 FUV files (its header checks, found with
  the code index as id 70129339051; the index does not name the repository): FUV frames are
  4144 x 1096 Rice-compressed shorts, ``INSTRUME`` = ``IMG_PATH`` = "FUV", ``CAMERA`` 1,
  two readout regions, columns 1-2048 and 2097-4112, ``TOTVALS = DATAVALS`` = the readout
  area, ``MISSVALS`` 0, ``BLANK`` -32768; pixel values near 110 DN.
* ``[irispy]``: LM-SAL/irispy-lmsal@8503c25c: ``docs/guide.rst`` (level-2 header of OBSID
  3683602040: 0.4994 s SG exposures, FUV1 1331.70-1358.29 A, FUV2 1380.73-1406.73 A,
  NUV 2783.27-2835.06 A, NEXPOBS 240 for 5 rasters of 16 steps (80 SG exposures) and 20
  SJI_1330 frames: consistent with 80 FUV + 80 NUV + 80 SJI in four filters); the level-2 SJI test
  files of OBSID 3620258102 (``irispy/data/test/*SJI*``): 8.0000 s exposures (EXPMIN
  7.99998, EXPMAX 8.00017), 0.16635 arcsec pixels, NEXPOBS 5616 of which 520 SJI_1330,
  624 SJI_1400, 624 SJI_2796, 104 SJI_2832 (1872 SJI = 1872 FUV = 1872 NUV), first frames
  1330, 1400, 2796, 2832 about 9.3 s apart; ``irispy/utils/constants.py`` (from De Pontieu
  et al. 2014): read noise 3.1 (FUV), 1.2 (NUV, SJI) DN; gain 6/1.5 and 18 photons per DN.
* ``[itn51]``: IRIS Technical Note 51, http://iris.lmsal.com/itn51/iris_data.html: the two
  FUV CCDs "are controlled by the same CEB and read out as if they were one CCD"; the NUV
  CCD's CEB also reads the SJI CCD; the brightest lines are C II 1335, Si IV 1394 and 1403,
  Mg II k 2796 and h 2803; slit 1/3 x 175 arcsec.
* ``[sunpy9]``: sunpy's remote test ``sunpy/net/jsoc/tests/test_jsoc.py::
  test_string_keyword_is_converted_correctly`` (sunpy/sunpy@31e70b2cd, 2024-03-01): JSOC answers
  ``iris.lev1`` for 2014-01-01T00:00-00:05 with ``INSTRUME = 'FUV'`` with 6 records.

What is a model: the observing program (one SG exposure step every 48 s, its FUV, NUV and
SJI frames 16 s apart, in that FSN order), the SG exposure time, the line intensities,
widths and shapes, the spatial structure along the slit, the pedestal and the pointing.
"""

from __future__ import annotations

import io
import math
from typing import Final

import numpy as np

from sunpy_jsocx.emulator.seeds import file_seed

__all__ = ["SERIES", "KEYWORDS", "CATALOG_KEYWORDS", "PROGRAM", "LINES", "FRAME", "WCS_DB", "SJI_WCS",
           "kind_index", "summing", "frame_shape", "frame_wcs", "keyword_values", "segment_file", "spectrum"]

SERIES: Final = "iris.lev1"

#: The light paths, in FSN order within one step of the program (emulator choice of order).
KINDS: Final = ("FUV", "NUV", "SJI")
#: ISYSN, CAMERA and IMG_PATH of each path: [keylist], [timeset].
ISYSN: Final = {"FUV": 0, "NUV": 1, "SJI": 2}
CAMERA: Final = {"FUV": 1, "NUV": 2, "SJI": 2}

#: The observing program the emulator runs all the time.
PROGRAM: Final = {
    # [irispy]: OBSID 3620258102 took 1872 SJI frames (the four NEXP) of NEXPOBS 5616 = 3 x 1872,
    # one FUV, one NUV and one SJI frame per SG exposure; OBSID 3683602040's 240 = 3 x 80 agrees.
    "kinds_per_step": (3, "[irispy] NEXPOBS = 3 x SG exposures in OBSIDs 3620258102 and 3683602040"),
    # [sunpy9]: 6 FUV frames in the 300 s from 2014.01.01_00:00:35_TAI; a 48-s step gives 6 or 7
    # (6 with the phase below). Real programs range from ~2 s steps (the 16-step raster of
    # [irispy], 1.74 s) to tens of seconds; one program for all times is an emulator choice.
    "frame_spacing": (16.0, "seconds between frames: [sunpy9] 6 FUV in 5 min; equal spacing is a model"),
    "phase": (2, "emulator choice: grid index k is kind (k + 2) % 3, so [sunpy9]'s window holds 6 FUV, not 7"),
    "sg_exptime": (8.0, "model: no public level-1 SG exposure of 2014 was found; 8 s fits in the 48-s step"),
    "sji_exptime": (8.0, "[irispy] SJI EXPTIME 8.00006 (EXPMIN 7.99998, EXPMAX 8.00017)"),
    "exptime_jitter": (1e-4, "[irispy] EXPMAX - EXPMIN = 1.9e-4 s at 8 s"),
}

#: SJI filters of successive SJI frames: [irispy] OBSID 3620258102 takes 5 SJI_1330, 6 SJI_1400,
#: 6 SJI_2796 and 1 SJI_2832 in every 18 (520 : 624 : 624 : 104), starting 1330, 1400, 2796, 2832:
#: the 2832 frame takes the place of a 1330 frame once in six triplets.
SJI_CYCLE: Final = (1330, 1400, 2796, 2832, 1400, 2796) + (1330, 1400, 2796) * 4

#: Unsummed level-1 frame (columns, rows): [flat], [ingest], [fuvregime]. The SJI frame width is
#: the single-tap 2072 of [ingest]; no public SJI level-1 header gives its readout region, so the
#: emulator fills the whole frame (model).
FRAME: Final = {"FUV": (4144, 1096), "NUV": (2072, 1096), "SJI": (2072, 1096)}
#: FUV readout regions (first, last column, 1-based) of the two CCDs: [fuvregime] TSC1-TEC1, TSC2-TEC2.
#: NUV and SJI frames are read whole (model).
FUV_REGIONS: Final = ((1, 2048), (2097, 4112))
#: Allowed CCD summing factors: [ingest] lookup tables.
SPECTRAL_SUMS: Final = (1, 2, 4, 8)
SPATIAL_SUMS: Final = (1, 2, 4)

#: JSOC's level-1 WCS database for the spectrograph, unsummed pixels: [isp2wcs].
WCS_DB: Final = {
    "FUV": {"CRPIX1": 219.50, "CRVAL1": 1334.53, "CDELT1": 0.01298, "CRPIX2": 487.92, "CDELT2": 0.16632,
            "CRPIX1A": 3807.3, "CRVAL1A": 1402.77, "CDELT1A": 0.01272, "CRPIX2A": 518.21, "CDELT2A": 0.16632},
    "NUV": {"CRPIX1": 659.30, "CRVAL1": 2798.65, "CDELT1": 0.02546, "CRPIX2": 530.35, "CDELT2": 0.16637},
}
#: Slit-jaw reference pixel and plate scale per filter (CRPIX1, CRPIX2, arcsec/pixel): [isp2wcs].
SJI_WCS: Final = {"SJI_1330": (537.30, 524.03, 0.16560), "SJI_1400": (529.32, 510.46, 0.16560),
                  "SJI_2796": (504.69, 502.91, 0.16790), "SJI_2832": (506.47, 502.22, 0.16790)}

#: Spectral lines drawn in SG frames. Rest wavelengths (vacuum, A) are the standard values; [itn51]
#: names the lines, and JSOC's own reference wavelengths agree ([isp2wcs] FUV1 CRVAL1 1334.53 =
#: C II, FUV2 CRVAL1A 1402.77 = Si IV). Peak rates (DN/s per unsummed pixel), Gaussian widths
#: (sigma, A), the Mg II reversal and wings and the spatial behaviour are a model, chosen so that
#: C II 1335.71 and Si IV 1393.76 are the brightest FUV lines and the Mg II k/h peaks stand above
#: their absorption wings, as IRIS spectra show; quiet-Sun-like levels.
LINES: Final = (
    # (ion, rest wavelength, detector, peak DN/s, sigma A, structure: "chrom" | "tr")
    ("C II", 1334.532, "FUV", 6.0, 0.09, "chrom"),
    ("C II", 1335.708, "FUV", 8.0, 0.10, "chrom"),
    ("O I", 1355.598, "FUV", 0.6, 0.05, "chrom"),
    ("Si IV", 1393.755, "FUV", 5.0, 0.07, "tr"),
    ("O IV", 1399.766, "FUV", 0.3, 0.05, "tr"),
    ("O IV", 1401.163, "FUV", 0.6, 0.05, "tr"),
    ("Si IV", 1402.770, "FUV", 2.5, 0.07, "tr"),
    ("Mg II k", 2796.352, "NUV", 8.0, 0.09, "chrom"),
    ("Mg II h", 2803.531, "NUV", 6.4, 0.09, "chrom"),
)
#: Mg II k/h core shape (model): the two emission peaks (k2v, k2r) sit this far either side of the
#: rest wavelength, the central reversal (k3) takes this fraction of the peak away, and the broad
#: absorption wings take the pseudo-continuum down by ``wing_depth / (1 + |d| / wing_scale)`` at
#: ``d`` A from the line, so that between k and h it stays near 60% of the far wings.
MGII: Final = {"peak_offset": 0.16, "reversal": 0.45, "reversal_sigma": 0.06, "wing_depth": 0.9,
               "wing_scale": 1.2}
#: Continuum rates (DN/s per unsummed pixel, model): FUV nearly dark, NUV photospheric pseudo-continuum.
CONTINUUM: Final = {"FUV": 0.02, "NUV": 12.0}
#: Dark pedestal of a level-1 readout (DN, model after [fuvregime]'s "near 110 DN"), read noise (DN,
#: [irispy] from the instrument paper) and photons per DN ([irispy] gain / yield).
PEDESTAL: Final = {"FUV": 100.0, "NUV": 100.0, "SJI": 100.0}
READ_NOISE: Final = {"FUV": 3.1, "NUV": 1.2, "SJI": 1.2}
PHOTONS_PER_DN: Final = {"FUV": 4.0, "NUV": 18.0, "SJI": 18.0}

#: Keywords this module gives values to (the rest come from `sunpy_jsocx.emulator.records`).
KEYWORDS: Final = frozenset({
    "INSTRUME", "ISYSN", "CAMERA", "IMG_PATH", "IMG_TYPE", "WAVELNTH", "EXPTIME", "EXPSDEV", "INT_TIME",
    "DATE__OBS", "SUMSPTRL", "SUMSPAT", "WCSAXES",
    "CTYPE1", "CUNIT1", "CRVAL1", "CDELT1", "CRPIX1", "CTYPE2", "CUNIT2", "CRVAL2", "CDELT2", "CRPIX2",
    "CTYPE3", "CUNIT3", "CRVAL3", "CDELT3",
    "CTYPE1A", "CUNIT1A", "CRVAL1A", "CDELT1A", "CRPIX1A", "CTYPE2A", "CUNIT2A", "CRVAL2A", "CDELT2A",
    "CRPIX2A", "CTYPE3A", "CUNIT3A", "CRVAL3A", "CDELT3A",
    "CROTA2", "TOTVALS", "DATAVALS", "MISSVALS", "PERCENTD", "DATAMIN", "DATAMAX", "DATAMEDN", "DATAMEAN",
    "DATARMS",
})

#: Keywords the catalogue adds to JSOC's list for iris.lev1 (name, type, units, note): [keylist], [jsd].
CATALOG_KEYWORDS: Final = (
    ("ISYSN", "int", "none", "SYStem Number: FUV=0; NUV=1; SJI=2; NUV_SJI=3"),
    ("CAMERA", "int", "none", "IRIS CEB ID: FUV=1; NUV=2; SJI=2"),
    ("SUMSPTRL", "short", "none", "CCD summing in spectral direction"),
    ("SUMSPAT", "short", "none", "CCD summing in spatial direction"),
    ("WCSAXES", "int", "none", "WCSAXS=3 for L1 (per WT)"),
    ("CTYPE3", "string", "none", "HPLN-TAN (solar_x): FUV1/NUV"),
    ("CUNIT3", "string", "none", "Arc-seconds: FUV1/NUV"),
    ("CRVAL3", "float", "none", "Solar_x: FUV1/NUV"),
    ("CDELT3", "float", "none", "Slit width for FUV, NUV"),
    ("CTYPE1A", "string", "none", "WAVELNTH for FUV2"),
    ("CUNIT1A", "string", "none", "Angstrom: FUV2"),
    ("CRVAL1A", "float", "none", "Wavelength: FUV2"),
    ("CDELT1A", "float", "none", "Image scale in the CCD x direction; FUV2"),
    ("CRPIX1A", "float", "none", "Location of sun/wave center in CCD x direction; FUV2"),
    ("CTYPE2A", "string", "none", "HPLT-TAN (solar_y): FUV2"),
    ("CUNIT2A", "string", "none", "Arc-seconds: FUV2"),
    ("CRVAL2A", "float", "none", "Solar_y: FUV2"),
    ("CDELT2A", "float", "none", "Image scale in the CCD y direction; FUV2"),
    ("CRPIX2A", "float", "none", "Location of sun center in CCD y direction; FUV2"),
    ("CTYPE3A", "string", "none", "HPLN-TAN (solar_x): FUV2"),
    ("CUNIT3A", "string", "none", "Arc-seconds: FUV2"),
    ("CRVAL3A", "float", "none", "Solar_x: FUV2"),
    ("CDELT3A", "float", "none", "Slit width for FUV2"),
)
#: JSOC's comments of keywords the catalogue already has ([keylist], [jsd]).
CATALOG_NOTES: Final = {
    "INSTRUME": "FUV, NUV or SJI",
    "IMG_PATH": "Light path and SJI filter setting",
    "IMG_TYPE": "Image type: LIGHT; DARK; LED; LTC; SPAT; VPAT",
    "CTYPE1": "WAVELNTH for FUV1/NUV; HPLN-TAN (solar_x): SJI",
    "CUNIT1": "Angstrom: FUV1/NUV; Arc-seconds for SJI",
    "CRVAL1": "Wavelength: FUV1/NUV; solar_x: SJI",
    "CDELT1": "Image scale in the CCD x direction",
    "CRPIX1": "Location of sun/wave center in CCD x direction; FUV1/NUV/SJI",
    "CTYPE2": "HPLT-TAN (solar_y): FUV1/NUV/SJI",
    "CUNIT2": "Arc-seconds: FUV1/NUV/SJI",
    "CRVAL2": "Solar_y: FUV1/NUV/SJI",
    "CDELT2": "Image scale in the CCD y direction",
    "CRPIX2": "Location of sun center in CCD y direction; FUV1/NUV/SJI",
}

_C_KMS: Final = 299792.458


# ------------------------------------------------------------------------------ records
def kind_index(slot) -> np.ndarray:
    """0 (FUV), 1 (NUV) or 2 (SJI) for each record grid index ``slot``."""
    return (np.asarray(slot, dtype=np.int64) + PROGRAM["phase"][0]) % 3


def sji_filter(slot) -> np.ndarray:
    """The SJI filter (1330, 1400, 2796, 2832) an SJI frame at grid index ``slot`` takes."""
    n = (np.asarray(slot, dtype=np.int64) + PROGRAM["phase"][0]) // 3
    return np.asarray(SJI_CYCLE, dtype=np.int64)[n % len(SJI_CYCLE)]


def summing(image_size: int) -> tuple[int, int]:
    """
    ``(SUMSPTRL, SUMSPAT)`` of the frames served at ``image_size``.

    The emulator serves small frames as IRIS makes them, by CCD summing ([ingest]: 1, 2, 4, 8
    spectrally, 1, 2, 4 spatially): the largest factors that keep a 2072 x 1096 frame at least
    ``image_size`` pixels along each axis (so 8 x 4 at the default 128, 1 x 1 from 2072 up).
    """
    size = int(image_size)
    if size <= 0:
        raise ValueError(f"image_size must be a positive number of pixels, not {image_size!r}")
    sx = max([s for s in SPECTRAL_SUMS if FRAME["NUV"][0] // s >= size] or [1])
    sy = max([s for s in SPATIAL_SUMS if FRAME["NUV"][1] // s >= size] or [1])
    return sx, sy


def frame_shape(instrume: str, sx: int, sy: int) -> tuple[int, int]:
    """``(NAXIS1, NAXIS2)`` of a frame of light path ``instrume`` summed ``sx`` x ``sy`` ([flat])."""
    try:
        nx, ny = FRAME[instrume]
    except KeyError:
        raise ValueError(f"unknown IRIS light path {instrume!r}; expected one of {', '.join(FRAME)}") from None
    return nx // int(sx), ny // int(sy)


def _crpix(value: float, s: int) -> float:
    return value / s + (s - 1.0) / (2.0 * s)  # [isp2wcs]: crpix / sum + (sum - 1) / (2 sum)


def frame_wcs(instrume: str, img_path: str, sx: int, sy: int) -> dict[str, object]:
    """
    The level-1 WCS keywords of a frame, as JSOC's ``iris_isp2wcs`` sets them for summing ``sx`` x ``sy``.

    The pointing is the disk centre (``CRVAL`` of solar x and y = 0, no roll): an emulator choice.
    """
    out: dict[str, object] = {}
    if instrume in WCS_DB:
        db = WCS_DB[instrume]
        second = "A" if instrume == "FUV" else ""
        out.update(WCSAXES=3, CTYPE1="WAVE", CUNIT1="Angstrom", CRVAL1=db["CRVAL1"], CDELT1=db["CDELT1"] * sx,
                   CRPIX1=_crpix(db["CRPIX1"], sx), CTYPE2="HPLT-TAN", CUNIT2="arcsec", CRVAL2=0.0,
                   CDELT2=db["CDELT2"] * sy, CRPIX2=_crpix(db["CRPIX2"], sy), CTYPE3="HPLN-TAN", CUNIT3="arcsec",
                   CRVAL3=0.0, CDELT3=db["CDELT2"] * sy)
        out.update(CTYPE1A="WAVE", CUNIT1A="Angstrom", CRVAL1A=db["CRVAL1" + second],
                   CDELT1A=db["CDELT1" + second] * sx, CRPIX1A=_crpix(db["CRPIX1" + second], sx),
                   CTYPE2A="HPLT-TAN", CUNIT2A="arcsec", CRVAL2A=0.0,
                   CDELT2A=db["CDELT2" + second] * sy, CRPIX2A=_crpix(db["CRPIX2" + second], sy),
                   CTYPE3A="HPLN-TAN", CUNIT3A="arcsec", CRVAL3A=0.0, CDELT3A=db["CDELT2" + second] * sy)
        return out
    cpx1, cpx2, scale = SJI_WCS.get(img_path, SJI_WCS["SJI_1400"])
    out.update(WCSAXES=2, CTYPE1="HPLN-TAN", CUNIT1="arcsec", CRVAL1=0.0, CDELT1=scale * sx, CRPIX1=_crpix(cpx1, sx),
               CTYPE2="HPLT-TAN", CUNIT2="arcsec", CRVAL2=0.0, CDELT2=scale * sy, CRPIX2=_crpix(cpx2, sy),
               CTYPE3="none", CUNIT3="none", CRVAL3=0.0, CDELT3=0.0)
    for k in ("CTYPE1", "CUNIT1", "CRVAL1", "CDELT1", "CRPIX1", "CTYPE2", "CUNIT2", "CRVAL2", "CDELT2", "CRPIX2",
              "CTYPE3", "CUNIT3", "CRVAL3", "CDELT3"):
        out[k + "A"] = out[k]  # [isp2wcs]: SJI's A keywords repeat the primary ones
    return out


_WCS_KEYS: Final = frozenset(frame_wcs("FUV", "FUV", 1, 1)) | frozenset(frame_wcs("SJI", "SJI_1400", 1, 1))


def _hash01(values, *salts) -> np.ndarray:
    from sunpy_jsocx.emulator.physics import hash01

    return hash01(values, *salts)


def keyword_values(store, b, up: str) -> np.ndarray:  # noqa: PLR0911, PLR0912
    """
    Values of keyword ``up`` (one of `KEYWORDS`) for the iris.lev1 records of batch ``b``.

    Parameters
    ----------
    store : sunpy_jsocx.emulator.records.RecordStore
        The record store (its seed, image size and other keyword values).
    b : sunpy_jsocx.emulator.records.RecordBatch
        Records of iris.lev1.
    up : str
        Upper-case keyword name.
    """
    n = len(b)
    kind = kind_index(b.slot)
    inst = np.array(KINDS, dtype=object)[kind]
    sji = sji_filter(b.slot)
    paths = np.where(kind == 2, np.array([f"SJI_{w}" for w in sji], dtype=object), inst)
    if up == "INSTRUME":
        return inst
    if up == "ISYSN":
        return np.array([ISYSN[k] for k in KINDS], dtype=np.int64)[kind]
    if up == "CAMERA":
        return np.array([CAMERA[k] for k in KINDS], dtype=np.int64)[kind]
    if up == "IMG_PATH":
        return paths
    if up == "IMG_TYPE":
        return np.full(n, "LIGHT", dtype=object)  # emulator choice: no dark or calibration frames
    if up == "WAVELNTH":  # SJI: its filter; SG: the detector's reference wavelength, rounded (model)
        return np.where(kind == 2, sji, np.where(kind == 0, 1335, 2799)).astype(np.int64)
    sx, sy = summing(store.image_size)
    if up == "SUMSPTRL":
        return np.full(n, sx, dtype=np.int64)
    if up == "SUMSPAT":
        return np.full(n, sy, dtype=np.int64)
    rec = b.recnum
    nominal = np.where(kind == 2, PROGRAM["sji_exptime"][0], PROGRAM["sg_exptime"][0])
    exptime = np.round(nominal + (_hash01(rec, store.seed, 0x49455850) - 0.5) * PROGRAM["exptime_jitter"][0], 6)
    if up == "EXPTIME":
        return exptime
    if up == "EXPSDEV":
        return np.round(2e-5 + 6e-5 * _hash01(rec, store.seed, 0x49455344), 7)  # model
    if up == "INT_TIME":
        return np.round(exptime + 0.5, 4)  # model: the CCD integrates a little longer than the shutter opens
    if up == "DATE__OBS":
        return b.t_rec - exptime / 2.0  # [timeset]: DATE__OBS = T_OBS - EXPTIME / 2
    if up == "CROTA2":
        return np.zeros(n)  # the pointing model has no roll
    key = "iris_wcs"
    if key not in b._cache:
        table = {}
        for p in set(paths.tolist()):
            table[p] = frame_wcs("FUV" if p == "FUV" else "NUV" if p == "NUV" else "SJI", p, sx, sy)
        b._cache[key] = table
    table = b._cache[key]
    if up in _WCS_KEYS:
        vals = [table[p].get(up) for p in paths.tolist()]
        if vals and isinstance(vals[0], str):
            return np.array(vals, dtype=object)
        return np.array(vals, dtype=float)
    stats = _stats(store, b, inst, paths, exptime, sx, sy)
    v = stats[up]
    return np.round(v).astype(np.int64) if up in ("TOTVALS", "DATAVALS", "MISSVALS", "DATAMIN", "DATAMAX",
                                                  "DATAMEDN") else v


def _stats(store, b, inst, paths, exptime, sx, sy) -> dict[str, np.ndarray]:
    """
    Frame statistics that obey their definitions.

    The statistics of the very frame the emulator serves (drawn again with the seed the server
    draws it with), over the readout area ([fuvregime]: TOTVALS = DATAVALS = that area,
    MISSVALS 0).
    """
    if "iris_stats" in b._cache:
        return b._cache["iris_stats"]
    n = len(b)
    out = {k: np.zeros(n) for k in ("TOTVALS", "DATAVALS", "MISSVALS", "PERCENTD", "DATAMIN", "DATAMAX",
                                    "DATAMEDN", "DATAMEAN", "DATARMS")}
    t = b.t_rec
    rec = b.recnum
    for i in range(n):
        kind = inst[i]
        nx, ny = frame_shape(kind, sx, sy)
        if kind == "SJI":
            frame = _sji_frame(store, b, i, (nx, ny))
            sample = frame[np.isfinite(frame)].astype(np.float64)
            tot = sample.size
        else:
            frame = spectrum(kind, frame_wcs(kind, kind, sx, sy), nx, ny, exptime=float(exptime[i]), sx=sx, sy=sy,
                             t=float(t[i]), seed=file_seed(int(rec[i]), store.seed))
            sample = np.rint(frame[np.isfinite(frame)].astype(np.float64))
            tot = sample.size
        out["TOTVALS"][i] = out["DATAVALS"][i] = tot
        out["PERCENTD"][i] = 100.0
        out["DATAMIN"][i], out["DATAMAX"][i] = sample.min(), sample.max()
        out["DATAMEDN"][i] = np.floor(np.median(sample))
        out["DATAMEAN"][i] = float(np.mean(sample))
        out["DATARMS"][i] = float(np.std(sample))
    b._cache["iris_stats"] = out
    return out


def _sji_frame(store, b, i: int, shape: tuple[int, int]) -> np.ndarray:
    """
    The SJI frame the server serves for record ``i`` of ``b``, as stored values.

    Drawn as `sunpy_jsocx.emulator.sharp.render_patch` draws it for the server: the disk image
    on the square of the frame's longer side, ``CRPIX`` moved so the frame sits in its middle,
    and cut out.
    """
    from sunpy_jsocx.emulator import render

    if "iris_kw" not in b._cache:  # the record keywords the renderer reads (not the statistics: they come from here)
        names = [k["name"] for k in b.model.keyword_defs if k["name"].upper() not in _STATISTICS]
        b._cache["iris_kw"] = {name: store.strings(b, name) for name in names}
    keywords = {name: vals[i] for name, vals in b._cache["iris_kw"].items()}
    nx, ny = shape
    side = max(nx, ny)
    ox, oy = (side - nx) // 2, (side - ny) // 2
    for name, off in (("CRPIX1", ox), ("CRPIX2", oy)):
        keywords[name] = repr(float(keywords.get(name, (side + 1) / 2.0 - off)) + off)
    kind = b.model.segment_kind("image_lev1") or "uv"  # as the server picks it
    raw = render.draw_image(SERIES, "image_lev1", keywords, size=side, kind=kind,
                            seed=file_seed(int(b.recnum[i]), store.seed))
    return raw[oy:oy + ny, ox:ox + nx].astype(np.float64)


_STATISTICS: Final = frozenset({"TOTVALS", "DATAVALS", "MISSVALS", "PERCENTD", "DATAMIN", "DATAMAX", "DATAMEDN",
                                "DATAMEAN", "DATARMS", "DATASKEW", "DATAKURT", "DATAP01", "DATAP10", "DATAP25",
                                "DATAP75", "DATAP90", "DATAP95", "DATAP98", "DATAP99"})


def _readout_columns(kind: str, nx: int, sx: int) -> np.ndarray:
    """Which columns of a summed frame hold data: FUV's two CCD regions ([fuvregime]); others all."""
    valid = np.ones(nx, dtype=bool)
    if kind == "FUV":
        valid[:] = False
        for a, z in FUV_REGIONS:
            valid[(a - 1) // sx:z // sx] = True
    return valid


# ------------------------------------------------------------------------------ drawing
def _smooth_field(y: np.ndarray, seed: int, salt: int, scale: float) -> np.ndarray:
    """A smooth unit-variance random function of position ``y`` (arcsec) with structures ~``scale`` arcsec."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, salt])
    k = rng.uniform(0.3, 3.0, 8) * 2 * math.pi / scale
    ph = rng.uniform(0, 2 * math.pi, 8)
    amp = rng.normal(0, 1, 8)
    f = (amp[:, None] * np.cos(k[:, None] * y[None, :] + ph[:, None])).sum(axis=0)
    return f / max(float(np.sqrt((amp**2).sum() / 2.0)), 1e-6)


def spectrum(kind: str, wcs: dict, nx: int, ny: int, *, exptime: float, sx: int, sy: int, t: float, seed: int,
             rows=None, noise: bool = True) -> np.ndarray:
    """
    The level-1 SG frame of light path ``kind`` ("FUV" or "NUV"), in DN (a model).

    Rows run along the slit, columns along the dispersion as ``wcs`` (`frame_wcs`) says; FUV
    columns outside the two CCDs' readout regions are NaN (stored as BLANK). Each line's
    brightness varies along the slit (log-normal, structures of a few arcsec, slowly changing
    with ``t``), with small Doppler shifts; Mg II k and h have their double-peaked cores and
    broad absorption wings on the NUV pseudo-continuum. ``rows`` picks rows (noise-free
    statistics use a few).
    """
    if kind not in WCS_DB:
        raise ValueError(f"SG frames are FUV or NUV, not {kind!r}")
    rows = np.arange(ny) if rows is None else np.asarray(rows)
    cols = np.arange(nx)
    lam = wcs["CRVAL1"] + (cols + 1 - wcs["CRPIX1"]) * wcs["CDELT1"]
    if kind == "FUV":
        lam2 = wcs["CRVAL1A"] + (cols + 1 - wcs["CRPIX1A"]) * wcs["CDELT1A"]
        split = FUV_REGIONS[1][0] // sx - 1  # first column of the second CCD
        lam = np.where(cols >= split, lam2, lam)
    y = (rows + 1 - wcs["CRPIX2"]) * wcs["CDELT2"]
    epoch = int(t // 600.0)  # the structure along the slit changes every 10 minutes (model)
    chrom = np.exp(0.55 * _smooth_field(y, epoch, 1, 6.0))
    tr = np.exp(0.85 * _smooth_field(y, epoch, 2, 4.0))
    vel = 4.0 * _smooth_field(y, epoch, 3, 5.0)  # km/s
    dl = abs(wcs["CDELT1"])
    scale = exptime * sx * sy  # DN per (DN/s per unsummed pixel)
    signal = np.full((rows.size, nx), CONTINUUM[kind], dtype=np.float64)
    if kind == "NUV":
        signal *= (1.0 + 0.04 * _smooth_field(y, epoch, 4, 8.0))[:, None]
        for _, lam0, det, *_rest in LINES:
            if det == "NUV":
                d = np.abs(lam[None, :] - lam0)
                signal *= 1.0 - MGII["wing_depth"] / (1.0 + d / MGII["wing_scale"])
    for ion, lam0, det, peak, sigma, struct in LINES:
        if det != kind:
            continue
        bright = chrom if struct == "chrom" else tr
        centre = lam0 * (1.0 + vel / _C_KMS)
        s_eff = math.sqrt(sigma**2 + dl**2 / 12.0)
        a = peak * sigma / s_eff * bright[:, None]
        x = lam[None, :] - centre[:, None]
        if ion.startswith("Mg II"):
            off = MGII["peak_offset"]
            prof = np.exp(-0.5 * ((x - off) / s_eff) ** 2) + np.exp(-0.5 * ((x + off) / s_eff) ** 2)
            r_eff = math.sqrt(MGII["reversal_sigma"] ** 2 + dl**2 / 12.0)
            prof = prof - MGII["reversal"] * MGII["reversal_sigma"] / r_eff * np.exp(-0.5 * (x / r_eff) ** 2)
            signal += a * np.maximum(prof, 0.0)
        else:
            signal += a * np.exp(-0.5 * (x / s_eff) ** 2)
    frame = PEDESTAL[kind] + signal * scale
    if noise:
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x49524953])
        sigma_dn = np.sqrt(READ_NOISE[kind] ** 2 + np.maximum(signal * scale, 0.0) / PHOTONS_PER_DN[kind])
        frame = frame + rng.standard_normal(frame.shape) * sigma_dn
    frame = np.clip(frame, -32767.0, 32767.0)
    frame[:, ~_readout_columns(kind, nx, sx)] = np.nan
    return frame.astype(np.float32)


def _value(keywords, name: str, default):
    v = keywords.get(name)
    if v is None or v == "":
        return default
    try:
        return type(default)(float(v)) if not isinstance(default, str) else str(v)
    except (TypeError, ValueError):
        return default


def segment_file(segment: str, keywords, *, size: int, seed: int) -> bytes | None:
    """
    The stored ``image_lev1`` file of an SG record (None for SJI frames: the disk renderer draws those).

    Called by `sunpy_jsocx.emulator.render.render_asis` with the record's keywords; the frame
    (``NAXIS1`` x ``NAXIS2`` of `frame_shape`) is drawn in the middle of a ``size`` x ``size``
    canvas, the square the SHARP patch cutter (`sunpy_jsocx.emulator.sharp.render_patch`) cuts
    a record's own shape from (the server hands every record with its own shape to it).
    """
    from sunpy_jsocx.emulator import render

    kind = str(keywords.get("INSTRUME", "")).strip()
    if kind not in WCS_DB or segment.lower() != "image_lev1":
        return None
    sx = max(1, _value(keywords, "SUMSPTRL", 1))
    sy = max(1, _value(keywords, "SUMSPAT", 1))
    nx, ny = frame_shape(kind, sx, sy)
    from sunpy_jsocx import jsoctime

    try:
        t = jsoctime.parse_time(str(keywords.get("T_OBS", "2014.01.01_00:00:00_TAI")))
    except jsoctime.JSOCTimeError:
        t = 0.0
    frame = spectrum(kind, frame_wcs(kind, kind, sx, sy), nx, ny, exptime=_value(keywords, "EXPTIME", 8.0), sx=sx,
                     sy=sy, t=t if math.isfinite(t) else 0.0, seed=seed)
    side = int(size)
    canvas = np.full((side, side), np.nan, dtype=np.float32)
    ox, oy = (side - nx) // 2, (side - ny) // 2
    src = frame[max(0, -oy):max(0, -oy) + min(ny, side), max(0, -ox):max(0, -ox) + min(nx, side)]
    canvas[max(0, oy):max(0, oy) + src.shape[0], max(0, ox):max(0, ox) + src.shape[1]] = src
    storage = render._storage("euv", segment, SERIES, keywords)  # shorts, BLANK -32768, no scaling: [fuvregime]
    return render._compressed_file(render._quantise(canvas, storage), storage, render._stored_wcs_cards(keywords))


def frame_bytes_shape(data: bytes) -> tuple[int, int]:
    """``(NAXIS1, NAXIS2)`` of the image HDU of a stored file (for tests and tools)."""
    from astropy.io import fits

    with fits.open(io.BytesIO(data)) as hdul:
        h = next(h for h in hdul if h.data is not None)
        return int(h.data.shape[1]), int(h.data.shape[0])
