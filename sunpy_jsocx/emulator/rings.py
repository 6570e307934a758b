"""
HMI ring-diagram flow inversions: ``hmi.rdVflows_fd15_frame``.

One record of ``hmi.rdVflows_fd15_frame`` is one *frame* of JSOC's ring-diagram
synoptic pipeline: the flow inversions of every 15-degree tile tracked around one
Carrington time (Carrington rotation ``CarrRot``, central-meridian longitude
``CMLon``). Its two segments ``Ux`` and ``Uy`` are not files but *directories*
holding one text file per tile. This module holds what public sources say about
the series, as data with the source named beside each fact, and writes the
directories' files.

Sources (all public):

* [ringvinv] JSOC's ring-diagram pipeline page "ringvinv - velocity inversions of
  ring diagram mode/ridge fits" (hmi.stanford.edu/teams/rings/ds_ringvinv.html):
  a record holds the inversions "corresponding to all available locations for a
  given time"; prime keys ``CarrRot`` (int, "Carrington rotation at MidTime") and
  ``CMLon`` (float, "Longitude of central meridian at MidTime"), ``CMLon`` slotted
  with ``CMLon_base`` and ``CMLon_step``; "at least two record segments, one for
  each of the separate sets of inversions for the fit parameters Ux and Uy".
* [catalog] JSOC's series list (``../shared/jsoc-reference/series-catalog.json``):
  the series' note, and the segment notes ``Ux`` "Zonal velocity inversions" and
  ``Uy`` "Meridional velocity inversions".
* [rdvinv] the module that writes the series, lm-jps/proj ``rings/apps/rdvinv.c``
  (v 0.93, frozen 2019.01.31): it sets the keywords ``Module`` ("rdvinv v 0.93"),
  ``Created``, ``Source`` (the input series plus ``[CarrRot][CMLon]``), ``amu``,
  ``freqmin``, ``freqmax``, ``radmin``, ``radmax``, ``BLD_VERS``, ``CarrRot``,
  ``CMLon`` and ``CarrTime`` (``"%d:%03.0f"``); makes the directories ``Ux`` and
  ``Uy`` in the record's directory and writes there, per tile, a file named by
  ``printcrcl_loc``: ``"%04d:%05.1f_%04.1f%c%04.1f%c"`` of the Carrington rotation,
  the CM longitude, the tile's distance from the central meridian (``W`` for
  ``LonCM >= 0``, else ``E``) and its latitude (``N``/``S``), plus ``.Ux`` or ``.Uy``.
  Each file has nine comment lines (the source record, the kernel, the module,
  ``mu``, the frequency and mode limits, the target radii, two column-heading
  lines) and one line per target radius ``"%7.5f %7.5f %7.5f %7.5f %7.5f %7.5f
  %7.5f %12.5e %12.5e"``: target radius, ``mu``, centre of gravity of the averaging
  kernel, its three quartiles and their spread, the solution and its error. The
  target radii are ``rb + i (re - rb) / (num - 1)``; ``nmax`` above 8 is cut to 8.
* [rdday] the pipeline script lm-jps/proj ``rings/scripts/rdday`` (JSOC release
  9.41): the 15-degree frame series is ``hmi.rdVflows_fd15_frame``, its input
  ``hmi.rdVfitsf_fd15``; rdvinv runs with ``kernel= hmi.HSKernels[cm_opal78]
  num= 31 rb= 0.97 re= 1.00 nmax= 8 lmax= 2000 amu= 0.005 ob= 1.0 oe= 5.2`` and
  ``uxseg= Ux uyseg= Uy``; the script checks that ``Ux`` and ``Uy`` each hold one
  file per tracked tile (``/bin/ls $SDIR/Ux | wc -l``).
* [runrdsyn] lm-jps/proj ``rings/scripts/runrdsyn``: the CM longitude steps down by
  5 degrees, wrapping from 0 to 360 into the next rotation (so it lies in
  (0, 360]), and the 15-degree pipeline runs when ``CLON % 15 == 0``: 24 frames
  per rotation at 360, 345, ..., 15 (sunpy's attrs.json: "tracked 1/24 CR").
* [gentargs] lm-jps/proj ``rings/apps/gentargs.c`` ``hmi15_pack_list`` (grid
  ``rdsyn15``, "284 or 281, varying with B0"): the tiles' latitudes and their
  longitude ranges and steps from the central meridian, one layout for
  ``B0 < -3.625``, one for ``B0 > 3.625`` and a symmetric one between; the
  Carrington longitude of a tile is ``CMLon + LonCM`` wrapped into [0, 360).
* [mtrack] lm-jps/proj ``rings/apps/mtrack.c``: ``LonCM = LonHG - CMLon`` wrapped
  into [-180, 180].
* [fitsf] JSOC's product page of ``hmi.rdVfitsf_fd15`` (hmi.stanford.edu/teams/
  rings/products/hmi.rdVfitsf_fd15.html): prime keys ``CarrRot, CMLon, LonHG,
  LatHG, LonCM``, ``CMLon`` printed ``%03.0f``; the same page for fd05 lists records
  as ``hmi.rdVfitsf_fd05[2096][195][125.0][-82.5][-70.0]``, so ``LonHG`` prints
  ``%05.1f`` and ``LatHG``, ``LonCM`` ``%+05.1f`` (the source record of each file).
* [fd30] the product page of ``hmi.rdVflows_fd30_frame``: its first record is
  Carrington time 2096:240 (1 May 2010).
* [export] lm-jps/drms ``base/export/apps/jsoc_export_as_is.c`` and
  ``base/export/libs/util/exputil.c`` (lm-jps/drms@37272932): an as-is export
  links each segment (a directory too, sized with ``du``) into the export
  directory under ``{seriesname}.{recnum:%lld}.{segment}``, the segment's file name
  being its name when the record keeps none; ``base/export/apps/
  jsoc_export_manage.c`` then runs ``tar chf ../<id>.tar ./`` there, so the tar
  holds each linked directory with its files.

Choices (no public source gives them; the emulator's own):

* the files' numbers: a zonal flow relative to the Carrington rate from the
  differential rotation of the synoptic charts' header (``DIFROT_A/B/C`` of
  hmi.Synoptic_Mr_720s, sunpy's ``hmi_synoptic.header``) with a near-surface shear,
  a poleward meridional flow of 15 m/s at 45 degrees, errors growing with depth
  and distance from disc centre, averaging kernels centred a little above the
  target radius; noise seeded per record, tile and component;
* B0 from sunpy at the frame's Carrington time, which picks the tile layout;
* the series' first frame (2096:240, that of [fd30]) and last (CR 2315, the last
  rotation of the emulator's synoptic charts), ``Created`` one day after the
  Carrington time, ``BLD_VERS`` the version string of lm-jps/drms@37272932,
  ``unitsize``, ``retention``, ``tapegroup``, the keywords' units and notes where
  [ringvinv] and [rdvinv] give none;
* ``CMLon`` is an unslotted float key here: the catalogue models slotted keys as
  time keys only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np

__all__ = ["SERIES", "SEGMENTS", "directory_files", "tile_file_name", "tiles", "inversion_text",
           "frame_b0", "is_directory_segment", "has_directory_segments", "index_html"]

#: The series, as JSOC spells it ([rdday]).
SERIES = "hmi.rdVflows_fd15_frame"
#: Its segments and their notes ([ringvinv] names, [catalog] notes): directories of text files ([rdvinv]).
SEGMENTS = {"Ux": "Zonal velocity inversions", "Uy": "Meridional velocity inversions"}
#: The series' note ([catalog]).
NOTE = ("flow inversions of fits to ring-diagram power spectra of 15-deg HMI Doppler cubes on ring-diagram "
        "synoptic grid tracked 1/24 CR")
#: The input series of the inversions ([rdday] FSER).
INPUT_SERIES = "hmi.rdVfitsf_fd15"
#: CM longitudes of the frames of one rotation, in DRMS order ([runrdsyn]: every 15 degrees in (0, 360]).
CMLON_STEP = 15
CMLONS = tuple(range(CMLON_STEP, 361, CMLON_STEP))
#: First and last frames (emulator choices: [fd30]'s first Carrington time; the synoptic charts' last rotation).
FIRST = (2096, 240)
LAST = (2315, 15)
#: The arguments rdvinv runs with for the 15-degree frames ([rdday]; MODULE from [rdvinv]).
RDVINV = {"module": "rdvinv v 0.93", "kernel": "hmi.HSKernels[cm_opal78]", "amu": 0.005, "ob": 1.0, "oe": 5.2,
          "nmax": 8, "lmax": 2000, "num": 31, "rb": 0.97, "re": 1.00}
#: ``BLD_VERS``: jsoc_version of lm-jps/drms@37272932 base/jsoc_version.h (emulator choice of build).
BLD_VERS = "V9R5X"
#: Differential rotation (deg/day) of hmi.Synoptic_Mr_720s's header (sunpy's hmi_synoptic.header) and the
#: Carrington synodic rate 360 / 27.2753 deg/day: the emulator's zonal flow relative to the tracking.
DIFROT = (13.562, -2.04, -1.4875)
CARRINGTON_SYNODIC = 360.0 / 27.2753
#: Solar radius (m) for turning rotation rates into speeds (RSUN_REF of the HMI series).
RSUN_M = 696.0e6

#: [gentargs] hmi15_pack_list: rows of (latitude, longitude half-range, step) from the central meridian;
#: a half-range of 0 is the single tile on the central meridian.
_PACK_SOUTH = ([(-75.0, 0.0, 1.0), (-67.5, 60.0, 20.0), (-60.0, 75.0, 15.0), (-52.5, 75.0, 12.5),
                (-45.0, 70.0, 10.0), (-37.5, 70.0, 10.0)]
               + [(lat, 75.0, 7.5) for lat in (-30.0, -22.5, -15.0)]
               + [(lat, 67.5, 7.5) for lat in (-7.5, 0.0, 7.5, 15.0, 22.5, 30.0)]
               + [(37.5, 60.0, 10.0), (45.0, 60.0, 10.0), (52.5, 50.0, 12.5), (60.0, 45.0, 15.0),
                  (67.5, 20.0, 20.0)])  # B0 < -3.625
_PACK_NORTH = [(0.0 - lat, lim, step) for lat, lim, step in reversed(_PACK_SOUTH)]  # B0 > 3.625: the mirror image
_PACK_MIDDLE = ([(-67.5, 40.0, 20.0), (-60.0, 60.0, 15.0), (-52.5, 62.5, 12.5), (-45.0, 70.0, 10.0),
                 (-37.5, 70.0, 10.0)]
                + [(lat, 67.5, 7.5) for lat in (-30.0, -22.5, -15.0, -7.5, 0.0, 7.5, 15.0, 22.5, 30.0)]
                + [(37.5, 70.0, 10.0), (45.0, 70.0, 10.0), (52.5, 62.5, 12.5), (60.0, 60.0, 15.0),
                   (67.5, 40.0, 20.0)])
#: [gentargs]: the B0 (deg) beyond which the grid reaches 75 degrees on the tilted side.
B0_LIMIT = 3.625


def tiles(b0: float) -> list[tuple[float, float]]:
    """
    The tiles of one 15-degree frame, as ``(latitude, LonCM)`` in degrees ([gentargs]).

    Parameters
    ----------
    b0 : float
        The heliographic latitude of disc centre (degrees) at the frame's time.

    Returns
    -------
    list of tuple of float
        284 tiles for ``|b0| > 3.625``, else 281, in gentargs's order.
    """
    rows = _PACK_SOUTH if b0 < -B0_LIMIT else _PACK_NORTH if b0 > B0_LIMIT else _PACK_MIDDLE
    out = []
    for lat, lim, step in rows:
        n = int(round(2 * lim / step)) + 1
        out += [(lat + 0.0, -lim + k * step + 0.0) for k in range(n)]  # + 0.0: no negative zeros
    return out


def _ew(value: float, plus: str, minus: str) -> tuple[float, str]:
    # printcrcl_loc: a value above -0.05 prints as its absolute value with the "plus" letter.
    return (abs(value), plus) if value > -0.05 else (-value, minus)


def tile_file_name(car_rot: int, cm_lon: float, lon_cm: float, lat: float, segment: str) -> str:
    """
    The name rdvinv gives a tile's inversion file ([rdvinv] ``printcrcl_loc``).

    Parameters
    ----------
    car_rot, cm_lon : int, float
        The frame's Carrington rotation and central-meridian longitude (a longitude outside
        (0, 360] moves to the neighbouring rotation, as rdvinv does).
    lon_cm, lat : float
        The tile's distance from the central meridian (west positive) and latitude, degrees.
    segment : str
        The suffix, ``"Ux"`` or ``"Uy"``.

    Returns
    -------
    str
        ``CR:CMLON_<lon><W|E><lat><N|S>.<segment>``.

    Examples
    --------
    >>> from sunpy_jsocx.emulator.rings import tile_file_name
    >>> tile_file_name(2150, 360, -7.5, 22.5, "Ux"), tile_file_name(2150, 15, 60.0, -67.5, "Uy")
    ('2150:360.0_07.5E22.5N.Ux', '2150:015.0_60.0W67.5S.Uy')
    """
    cr, cl = int(car_rot), float(cm_lon)
    while cl < 0:
        cl += 360.0
        cr += 1
    while cl > 360:
        cl -= 360.0
        cr -= 1
    dlon, ew = _ew(lon_cm, "W", "E")
    dlat, ns = _ew(lat, "N", "S")
    return f"{cr:04d}:{cl:05.1f}_{dlon:04.1f}{ew}{dlat:04.1f}{ns}.{segment}"


def _source_record(car_rot: int, cm_lon: float, lon_hg: float, lat: float, lon_cm: float) -> str:
    # drms_sprint_rec_query of the input fit record, prime keys printed with [fitsf]'s formats.
    return f"{INPUT_SERIES}[{car_rot}][{cm_lon:03.0f}][{lon_hg:05.1f}][{lat:+05.1f}][{lon_cm:+05.1f}]"


def _flow(component: str, lat: float, r: np.ndarray) -> np.ndarray:
    """The emulator's flow (m/s) at latitude ``lat`` and radii ``r`` (a choice; see the module notes)."""
    s2 = math.sin(math.radians(lat)) ** 2
    if component == "Ux":
        rate = DIFROT[0] + DIFROT[1] * s2 + DIFROT[2] * s2 * s2 - CARRINGTON_SYNODIC  # deg/day
        surface = math.radians(rate) * RSUN_M / 86400.0 * math.cos(math.radians(lat))
        return surface + 12.0 * (1.0 - r) / 0.03  # near-surface shear: faster rotation below the surface
    return 15.0 * math.sin(math.radians(2 * lat)) * (0.7 + 0.3 * (r - 0.97) / 0.03)  # poleward, northward > 0


def inversion_text(car_rot: int, cm_lon: float, lat: float, lon_cm: float, segment: str, *, b0: float = 0.0,
                   seed: int = 0) -> bytes:
    """
    One tile's inversion file, laid out as rdvinv writes it ([rdvinv], [rdday] arguments).

    Parameters
    ----------
    car_rot, cm_lon : int, float
        The frame's Carrington rotation and central-meridian longitude.
    lat, lon_cm : float
        The tile's latitude and distance from the central meridian (degrees, west positive).
    segment : str
        ``"Ux"`` (zonal) or ``"Uy"`` (meridional).
    b0 : float
        Disc-centre latitude, for the errors' growth away from disc centre.
    seed : int
        Seeds the noise of the solution.

    Returns
    -------
    bytes
        ASCII text: nine comment lines and one line per target radius.

    Raises
    ------
    ValueError
        For a segment other than ``Ux`` or ``Uy``.
    """
    if segment not in SEGMENTS:
        raise ValueError(f"segment must be one of {', '.join(SEGMENTS)}, not {segment!r}")
    p = RDVINV
    lon_hg = (cm_lon + lon_cm) % 360.0  # [gentargs]
    head = [
        f"# Flow inversion of {_source_record(car_rot, cm_lon, lon_hg, lat, lon_cm)}",
        f"# against kernel {p['kernel']}",
        f"# {p['module']}",
        f"# error trade-off parameter mu = {p['amu']:.5f}",
        f"# mode frequency limits ob = {p['ob']:.3f} mHz, oe = {p['oe']:.3f} mHz",
        f"# mode limits nmax = {p['nmax']}, lmax = {p['lmax']}",
        f"# target bounds rb = {p['rb']:.3f}, re= {p['re']:.3f}, num = {p['num']}",
        "# Rtrg     mu    CG of av. kernel, quartiles                soln          err",
        "#                           1       2       3     3-1",
    ]
    r = p["rb"] + np.arange(p["num"]) * (p["re"] - p["rb"]) / (p["num"] - 1)
    depth = (1.0 - r) / 0.03
    # Cosine of the tile's distance from disc centre: errors grow towards the limb.
    mu_disc = max(0.15, math.sin(math.radians(lat)) * math.sin(math.radians(b0))
                  + math.cos(math.radians(lat)) * math.cos(math.radians(b0)) * math.cos(math.radians(lon_cm)))
    err = (1.5 + 9.0 * depth ** 1.5) / math.sqrt(mu_disc)
    rng = np.random.default_rng([int(seed) & 0x7FFFFFFF, int(car_rot), int(round(cm_lon * 10)),
                                 int(round((lat + 90) * 10)), int(round((lon_cm + 180) * 10)),
                                 0 if segment == "Ux" else 1])
    soln = _flow(segment, lat, r) + err * rng.standard_normal(r.size)
    cg = np.minimum(r + 0.25 * (1.0 - r) + 0.0004, 0.9995)
    half = 0.0008 + 0.12 * (1.0 - r)
    q1, q3 = cg - half, np.minimum(cg + half, 0.99995)
    lines = head + [f"{r[i]:7.5f} {p['amu']:7.5f} {cg[i]:7.5f} {q1[i]:7.5f} {cg[i]:7.5f} {q3[i]:7.5f} "
                    f"{abs(q3[i] - q1[i]):7.5f} {soln[i]:12.5e} {err[i]:12.5e}" for i in range(r.size)]
    return ("\n".join(lines) + "\n").encode("ascii")


def frame_b0(car_rot: int, cm_lon: float) -> float:
    """sunpy's B0 angle (degrees) at Carrington time ``car_rot:cm_lon`` (an emulator choice of ephemeris)."""
    import warnings

    from sunpy.coordinates import sun

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = sun.carrington_rotation_time(int(car_rot) + (360.0 - float(cm_lon)) / 360.0)
        return float(sun.B0(t).deg)


def is_directory_segment(series: str, segment: str) -> bool:
    """Whether ``segment`` of ``series`` is a directory of text files ([rdvinv]) that this module writes."""
    return series.lower() == SERIES.lower() and segment.lower() in {s.lower() for s in SEGMENTS}


def has_directory_segments(series: str) -> bool:
    """Whether ``series`` has directory segments that this module writes."""
    return series.lower() == SERIES.lower()


def directory_files(series: str, segment: str, keywords: Mapping[str, object], *,
                    seed: int = 0) -> list[tuple[str, bytes]] | None:
    """
    The files of a directory segment, as ``(name, bytes)`` sorted by name, or None.

    Parameters
    ----------
    series, segment : str
        The record's series and the segment (any case).
    keywords : mapping
        The record's keywords; ``CarrRot`` and ``CMLon`` are read.
    seed : int
        Seeds the noise of the record's files.

    Returns
    -------
    list of (str, bytes) or None
        One inversion file per tile of the frame ([rdvinv], [gentargs]); None when the
        segment is not a directory segment of a series this module knows.

    Examples
    --------
    >>> from sunpy_jsocx.emulator.rings import directory_files
    >>> files = directory_files("hmi.rdVflows_fd15_frame", "Ux", {"CarrRot": "2150", "CMLon": "360"})
    >>> len(files), files[0][0]
    (284, '2150:360.0_00.0W00.0N.Ux')
    """
    if not is_directory_segment(series, segment):
        return None
    seg = next(s for s in SEGMENTS if s.lower() == segment.lower())
    kw = {str(k).upper(): v for k, v in keywords.items()}
    try:
        cr, cl = int(float(kw["CARRROT"])), float(kw["CMLON"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{series} records need numeric CarrRot and CMLon keywords to name their files, "
                         f"got CarrRot={kw.get('CARRROT')!r}, CMLon={kw.get('CMLON')!r}") from None
    return list(_frame_files(cr, cl, seg, int(seed)))


@functools.lru_cache(maxsize=8)
def _frame_files(cr: int, cl: float, seg: str, seed: int) -> tuple[tuple[str, bytes], ...]:
    # Kept for a few frames: a client reading a directory file by file asks for the same frame each time.
    b0 = frame_b0(cr, cl)
    files = [(tile_file_name(cr, cl, lon_cm, lat, seg),
              inversion_text(cr, cl, lat, lon_cm, seg, b0=b0, seed=seed)) for lat, lon_cm in tiles(b0)]
    return tuple(sorted(files))


def index_html(path: str, files: list[tuple[str, bytes]], mtime: float) -> bytes:
    """
    The page a web server answers for the URL of a directory segment: an index of its files.

    JSOC serves SUMS directories with Apache, and a public script reads such a page
    (``pandas.read_html`` of a ``hmi.rdVflows_fd15_frame`` ``Ux`` URL, then each listed
    file by its name; find_string id 26407458632). The layout is that of Apache's
    ``mod_autoindex`` fancy index (an emulator choice of version and columns); names
    with a colon are linked as ``./name`` so that the colon is not read as a URL scheme.

    Parameters
    ----------
    path : str
        The directory's URL path, with or without the final ``/``.
    files : list of (str, bytes)
        The directory's files.
    mtime : float
        Unix time shown as every file's modification time.

    Returns
    -------
    bytes
        An HTML page.
    """
    from datetime import UTC, datetime
    from html import escape
    from urllib.parse import quote

    path = path.rstrip("/")
    when = datetime.fromtimestamp(mtime, tz=UTC).strftime("%Y-%m-%d %H:%M")
    parent = path.rsplit("/", 1)[0] + "/"
    rows = [f'<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="{escape(parent)}">'
            'Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>']
    for name, data in files:
        size = f"{len(data) / 1024:.1f}K" if len(data) < 10240 else f"{len(data) // 1024}K"
        rows.append(f'<tr><td valign="top"><img src="/icons/text.gif" alt="[TXT]"></td><td><a href="./'
                    f'{escape(quote(name, safe=":"))}">{escape(name)}</a></td><td align="right">{when}  </td>'
                    f'<td align="right">{size}</td><td>&nbsp;</td></tr>')
    rule = '   <tr><th colspan="5"><hr></th></tr>'
    page = ['<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">', "<html>", " <head>",
            f"  <title>Index of {escape(path)}</title>", " </head>", " <body>", f"<h1>Index of {escape(path)}</h1>",
            "  <table>",
            '   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a>'
            '</th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th>'
            '<th><a href="?C=D;O=A">Description</a></th></tr>', rule, *rows, rule, "</table>", "</body></html>"]
    return ("\n".join(page) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------------------
# Catalogue: what tools/build_catalog.py writes into data/series/hmi.rdvflows_fd15_frame.json.
# ------------------------------------------------------------------------------------------------
def frames() -> list[tuple[int, int]]:
    """Every frame ``(CarrRot, CMLon)`` from `FIRST` to `LAST`, in DRMS order (rotation, then CM longitude)."""

    def when(cr, cl):  # Carrington time in degrees: the CM longitude decreases through a rotation
        return 360 * cr + (360 - cl)

    lo, hi = when(*FIRST), when(*LAST)
    return [(cr, cl) for cr in range(FIRST[0], LAST[0] + 1) for cl in CMLONS if lo <= when(cr, cl) <= hi]


def catalogue_keywords(kw) -> list[dict]:
    """The series' keywords, built with build_catalog's ``kw`` ([ringvinv], [rdvinv]; units and notes marked)."""
    return [
        kw("CarrRot", "int", "variable", "-1", "NA", "Carrington rotation at MidTime"),  # [ringvinv], [fitsf]
        kw("CMLon", "float", "variable", "nan", "deg", "Longitude of central meridian at MidTime"),  # [ringvinv]
        # CarrTime "%d:%03.0f" [rdvinv]; its note is the emulator's wording.
        kw("CarrTime", "string", "variable", "", "NA", "Carrington time CarrRot:CMLon"),
        # Module, Source, Created, BLD_VERS, HISTORY: the notes of JSOC's ring-diagram series definitions
        # (hmi.rdVfitsc_avg15 on the pipeline's product pages); rdvinv sets all but HISTORY.
        kw("Module", "string", "variable", "unknown", "NA", "Creating module"),
        kw("Source", "string", "variable", "unknown", "NA", "Data source"),
        kw("Created", "time", "variable", units="ISO", note="Creation time"),
        kw("BLD_VERS", "string", "variable", "unknown", "NA", "JSOC library build"),
        kw("HISTORY", "string", "variable", "", "NA", "Record modification history"),
        # rdvinv's run parameters (their notes are rdvinv's argument descriptions; units the emulator's).
        kw("amu", "float", "variable", "nan", "NA", "Error trade-off parameter"),
        kw("freqmin", "float", "variable", "nan", "mHz", "Lower frequency limit"),
        kw("freqmax", "float", "variable", "nan", "mHz", "Upper frequency limit"),
        kw("radmin", "float", "variable", "nan", "R_sun", "Lower radius limit"),
        kw("radmax", "float", "variable", "nan", "R_sun", "Upper radius limit"),
    ]


def catalogue_struct(kw, seg, struct) -> dict:
    """The series_struct, built with build_catalog's helpers (sizes and retention are emulator choices)."""
    segments = [seg(name, "char", "none", "", note, protocol="generic") for name, note in SEGMENTS.items()]
    return struct(NOTE, ["CarrRot", "CMLon"], {}, catalogue_keywords(kw), segments, unitsize=1,
                  retention=10000, tapegroup=6)


#: Keywords with the same value in every record ([rdday] arguments, [rdvinv] module version).
CONSTANTS = {"Module": RDVINV["module"], "BLD_VERS": BLD_VERS, "HISTORY": "", "amu": str(RDVINV["amu"]),
             "freqmin": str(RDVINV["ob"]), "freqmax": str(RDVINV["oe"]), "radmin": str(RDVINV["rb"]),
             "radmax": str(RDVINV["re"])}


def catalogue_records() -> tuple[list[dict], dict[str, list]]:
    """
    ``(combos, record_values)`` of the series: one combination per frame.

    ``CMLon`` is held as JSOC prints it (``%03.0f``, [fitsf]), so record names read
    ``hmi.rdVflows_fd15_frame[2150][360]``; ``CarrTime`` and ``Source`` as rdvinv
    writes them ([rdvinv]); ``Created`` one day after sunpy's time of the Carrington
    time (an emulator choice).
    """
    import warnings

    import astropy.units as u
    from sunpy.coordinates import sun

    fr = frames()
    combos = [{"CarrRot": cr, "CMLon": f"{cl:03d}"} for cr, cl in fr]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = sun.carrington_rotation_time(np.array([cr + (360.0 - cl) / 360.0 for cr, cl in fr])) + 1 * u.day
    created = [x[:19] + "Z" for x in t.utc.isot]
    values = {
        "CarrTime": [f"{cr}:{cl:03d}" for cr, cl in fr],
        "Source": [f"{INPUT_SERIES}[{cr}][{cl:03d}]" for cr, cl in fr],
        "Created": created,
    }
    return combos, values
