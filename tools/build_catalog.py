#!/usr/bin/env python
"""Build the emulator's series catalogue from the real JSOC reference answers.

The JSOC emulator (``sunpy_jsocx.emulator``) serves ``jsoc_info?op=series_struct``,
``show_series`` and friends from the JSON files under
``sunpy_jsocx/emulator/data/``.  This script produces those files:

``data/series/<lower-case name>.json``
    One file per fully defined series: ``{"name", "series_struct", "emulator"}``.
    Five series are real ``series_struct`` answers recorded from jsoc.stanford.edu
    (``aia.lev1_euv_12s``, ``hmi.M_45s``, ``hmi.V_45s``, ``hmi.sharp_720s``,
    ``hmi.sharp_cea_720s``) and are copied verbatim, minus the per-request
    ``Interval``, ``runtime`` and ``status`` members.  Every other series is
    synthesised here from the closest real template, following JSOC's naming,
    keyword and segment conventions.
``data/catalog.json``
    The series list (canonical JSOC case, note) and the segment list, from the real
    list in ``series-catalog.json`` plus the series defined here.

The emulator never reads the shared reference directory at run time; run this
script again when the templates or the definitions below change::

    python tools/build_catalog.py ../shared            # (re)write the data files
    python tools/build_catalog.py ../shared --check    # verify they are up to date

The output is deterministic: running the script twice gives identical bytes.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # the evidence module of the emulator holds real tables we write out
    sys.path.insert(0, str(PROJECT_ROOT))
DATA_DIR = PROJECT_ROOT / "sunpy_jsocx" / "emulator" / "data"

# Members of a live series_struct answer that the emulator computes per request.
PER_REQUEST_MEMBERS = ("Interval", "runtime", "status")

# The five recorded answers: file stem in shared/jsoc-reference/series_struct -> canonical name.
REAL_SERIES = {
    "aia.lev1_euv_12s": "aia.lev1_euv_12s",
    "hmi.m_45s": "hmi.M_45s",
    "hmi.v_45s": "hmi.V_45s",
    "hmi.sharp_720s": "hmi.sharp_720s",
    "hmi.sharp_cea_720s": "hmi.sharp_cea_720s",
}

# DRMS missing values, as series_struct prints them.
MISSING = {
    "int": "-2147483648",
    "short": "-32768",
    "longlong": "-9223372036854775808",
    "float": "nan",
    "double": "nan",
    "string": "",
}
TIME_MISSING = {"TAI": "-4712.01.01_11:59:28_TAI", "ISO": "-4712.01.01_11:59:28Z"}
QUALITY_MISSING = "0x80000000"

MDI_EPOCH = "1993.01.01_00:00:00_TAI"
AIA_EPOCH = "1993.01.01_00:00:04_TAI"
# Observed AIA T_REC values (2010-05-13T00:00:02Z, 2014-01-01T00:00:01Z, 2020-04-03T23:59:59Z)
# fall on TAI seconds that are multiples of 12 from this origin, not from T_REC_epoch.
AIA_SLOT_ORIGIN = "1993.01.01_00:00:00_TAI"
LEV1_SLOT_EPOCH = "1977.01.01_00:00:00_TAI"

AIA_EUV = [94, 131, 171, 193, 211, 304, 335]
AIA_UV = [1600, 1700]
AIA_VIS = [4500]


# --------------------------------------------------------------------------------------
# Small constructors that keep the member order of real series_struct answers.
# --------------------------------------------------------------------------------------
def kw(name, type_, recscope, defval=None, units="none", note="", linkinfo=None):  # noqa: PLR0917 (table rows)
    """Return a series_struct keyword entry."""
    if defval is None:
        if type_ == "time":
            defval = TIME_MISSING["ISO" if units == "ISO" else "TAI"]
        else:
            defval = MISSING[type_]
    entry = {"name": name}
    if linkinfo is not None:
        entry["linkinfo"] = linkinfo
    entry.update(type=type_, recscope=recscope, defval=defval, units=units, note=note)
    return entry


def seg(name, type_, units, dims, note, protocol="fits"):  # noqa: PLR0917 (table rows)
    """Return a series_struct segment entry."""
    return {"name": name, "type": type_, "units": units, "protocol": protocol, "dims": dims, "note": note}


def link(name, target, note, kind="DYNAMIC"):
    """Return a series_struct link entry."""
    return {"name": name, "target": target, "kind": kind, "note": note}


def compression_keywords(segments):
    """Per-segment ``cparms_sgNNN``, ``<seg>_bzero`` and ``<seg>_bscale`` keywords.

    ``segments`` is a list of ``(name, bzero, bscale)``.  JSOC lists these first, in
    segment order, for series whose segments are Rice-compressed FITS.
    """
    out = []
    for i, (name, bzero, bscale) in enumerate(segments):
        out.append(kw(f"cparms_sg{i:03d}", "string", "variable", "compress Rice"))
        out.append(kw(f"{name}_bzero", "double", "variable", bzero))
        out.append(kw(f"{name}_bscale", "double", "variable", bscale))
    return out


def struct(note, primekeys, slotted, keywords, segments, links=(), *, retention=10000,  # noqa: PLR0917
           stagingretention=3, unitsize=32, archive=1, tapegroup=6, dbindex=None):
    """Assemble a series_struct (without the per-request members).

    ``slotted`` maps a slotted prime key to the ``step`` string JSOC prints for it.
    """
    names = [k["name"] for k in keywords]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    pinfo = []
    for pk in primekeys:
        if pk in slotted:
            pinfo.append({"name": pk, "slotted": 1, "step": slotted[pk]})
        else:
            pinfo.append({"name": pk, "slotted": 0})
    return {
        "note": note,
        "retention": retention,
        "stagingretention": stagingretention,
        "unitsize": unitsize,
        "archive": archive,
        "tapegroup": tapegroup,
        "primekeys": list(primekeys),
        "primekeysinfo": pinfo,
        "dbindex": list(dbindex if dbindex is not None else primekeys),
        "keywords": keywords,
        "segments": list(segments),
        "links": list(links),
    }


def by_name(keywords):
    return {k["name"]: k for k in keywords}


def replace_kw(keywords, name, **changes):
    """Change members of keyword ``name`` in place (``type_`` for ``type``)."""
    for k in keywords:
        if k["name"] == name:
            for key, value in changes.items():
                k["type" if key == "type_" else key] = value
            return
    raise KeyError(name)


# --------------------------------------------------------------------------------------
# The "emulator" block.
# --------------------------------------------------------------------------------------
SEGMENT_KINDS = {
    "magnetogram": "magnetogram",
    "Dopplergram": "dopplergram",
    "continuum": "continuum",
    "linewidth": "linewidth",
    "linedepth": "linedepth",
    "inclination": "inclination",
    "azimuth": "azimuth",
    "field": "field",
    "disambig": "disambig",
    "bitmap": "bitmap",
    "Bp": "vector-other",
    "Bt": "vector-other",
    "Br": "vector-other",
    "split": "text",
    "rot": "text",
    "err": "text",
    "m6": "text",  # hmi.V_sht_modes mode tables (sunpy_jsocx/emulator/modes.py)
    "m18": "text",
    "m36": "text",
    "synopMr": "synoptic",
    "spikes": "generic",
}
VECTOR_OTHER = {
    "vlos_mag", "dop_width", "eta_0", "damping", "src_continuum", "src_grad", "alpha_mag",
    "chisq", "conv_flag", "info_map", "qual_map", "confid_map", "conf_disambig",
}


def segment_kind(series, segname):
    if segname in ("image", "image_lev1"):
        if series.startswith("aia."):
            if "_uv_" in series:
                return "uv"
            if "_vis_" in series:
                return "vis"
            return "euv"
        return "uv"  # IRIS slit-jaw / spectra: FUV and NUV
    if segname == "data":
        return "generic"
    if segname in SEGMENT_KINDS:
        return SEGMENT_KINDS[segname]
    if segname in VECTOR_OTHER or segname.endswith("_err"):
        return "vector-other"
    return "generic"


def emulator_block(name, ss, *, instrument, time_key, epoch=None, step=None, first=None,
                   last=None, axes=(), combos=None, harp=None, image_dims=None,
                   segment_files=None, extra_constants=None, **optional):
    """Build the "emulator" block of a series file.

    ``constants`` holds every keyword whose recscope is ``constant`` (its defval, which
    is how JSOC prints it) plus ``extra_constants`` (variable keywords that are fixed for
    this series, such as INSTRUME).  ``optional`` adds documented optional members
    (``cadence``, ``slot_origin``, ``fsn_from_time``, ``cycle_values``, ``record_values``: per-record
    keyword values, one per prime-key combination; ``time_offsets``: ``{keyword: {"from": time keyword,
    "seconds": n}}``, time keywords that are another one plus a fixed offset; ``utc_slots``: the time
    key's values sit on whole UTC times, the leap seconds since ``slot_origin`` taken off).
    """
    constants = {k["name"]: k["defval"] for k in ss["keywords"] if k["recscope"] == "constant"}
    constants.update(extra_constants or {})
    files = {s["name"]: f"{s['name']}.fits" for s in ss["segments"]}
    files.update(segment_files or {})
    block = {
        "time_key": time_key,
        "epoch": epoch,
        "step": step,
        "first": first,
        "last": last,
        "axes": [dict(a) for a in axes],
        "combos": combos,
        "harp": harp,
        "instrument": instrument,
        "segment_files": files,
        "segment_kinds": {s["name"]: segment_kind(name.lower(), s["name"]) for s in ss["segments"]},
        "constants": constants,
        "image_dims": image_dims,
    }
    for key in ("cadence", "slot_origin", "fsn_from_time", "cycle_values", "record_values", "time_offsets",
                "utc_slots"):
        if key in optional:
            block[key] = optional.pop(key)
    if optional:
        raise TypeError(f"unknown emulator members {sorted(optional)}")
    return block


# --------------------------------------------------------------------------------------
# HMI line-of-sight observables, from the real hmi.M_45s / hmi.V_45s answers.
# --------------------------------------------------------------------------------------
HMI_OBSERVABLES = {
    # name: (template, segment, segment type, units, seg note, bzero, bscale, BUNIT, CONTENT, DATASIGN)
    "magnetogram": ("hmi.M_45s", "magnetogram", "int", "Gauss", "magnetogram", "0", "0.1", "Gauss", "MAGNETOGRAM", "1"),
    "Dopplergram": ("hmi.V_45s", "Dopplergram", "short", "m/s", "Dopplergram", "0", "0.5", "m/s", "DOPPLERGRAM", "-1"),
    "continuum": ("hmi.M_45s", "continuum", "int", "DN/s", "continuum intensity", "97304", "3", "DN/s",
                  "CONTINUUM INTENSITY", "1"),
    "linewidth": ("hmi.M_45s", "linewidth", "short", "mA", "linewidth", "0", "0.01", "mA", "LINEWIDTH", "1"),
    "linedepth": ("hmi.M_45s", "linedepth", "int", "DN/s", "linedepth", "0", "0.5", "DN/s", "LINEDEPTH", "1"),
}


def hmi_los(templates, observable, cadence, note):
    tname, segname, segtype, units, segnote, bzero, bscale, bunit, content, datasign = HMI_OBSERVABLES[observable]
    template = templates[tname]
    keywords = copy.deepcopy(template["keywords"])
    old_seg = template["segments"][0]["name"]
    old_bunit = by_name(template["keywords"])["BUNIT"]["defval"]
    for k in keywords:
        if k["name"] == f"{old_seg}_bzero":
            k["name"], k["defval"] = f"{segname}_bzero", bzero
        elif k["name"] == f"{old_seg}_bscale":
            k["name"], k["defval"] = f"{segname}_bscale", bscale
        elif (k["name"].startswith("DATA") or k["name"] == "RAWMEDN") and k["units"] == old_bunit:
            k["units"] = bunit  # the pixel statistics are in the units of the data
    step = f"{float(cadence):.1f}"
    replace_kw(keywords, "BUNIT", defval=bunit, note=f"BUNIT: physical units of data, {bunit}")
    replace_kw(keywords, "CONTENT", defval=content, note=f"CONTENT: {content}")
    replace_kw(keywords, "DATASIGN", defval=datasign)
    replace_kw(keywords, "T_REC_step", defval=step)
    replace_kw(keywords, "CADENCE", defval=step)
    segment = seg(segname, segtype, units, "4096x4096", segnote)
    return struct(note, ["T_REC", "CAMERA"], {"T_REC": step}, keywords, [segment])


# --------------------------------------------------------------------------------------
# HMI vector field: hmi.ME_720s_fd10 and hmi.B_720s, from the real hmi.sharp_720s answer.
# --------------------------------------------------------------------------------------
ME_SEGMENTS = [
    # name, type, units, ME note, B note (None: not in B_720s)
    ("inclination", "int", "deg", "Inclination", "Inclination"),
    ("azimuth", "int", "deg", "Azimuth", "Azimuth"),
    ("disambig", "char", "none", None, "Flag for 180 degree change in azimuth"),
    ("field", "int", "gauss", "Field Strength", "Field Strength"),
    ("vlos_mag", "int", "cm/s", "LOS Velocity with Field", "LOS Velocity with Field"),
    ("dop_width", "int", "mA", "Doppler Width", "Doppler Width"),
    ("eta_0", "int", "adimensional", "Eta_0", "Eta_0"),
    ("damping", "int", "Doppler width units", "Damping", "Damping"),
    ("src_continuum", "int", "data units", "Continuum", "Continuum"),
    ("src_grad", "int", "data units", "Gradient", "Gradient"),
    ("alpha_mag", "int", "adimensional", "Filling Factor with Field", "Filling Factor with Field"),
    ("chisq", "int", "", "Chi square", "Chisq"),
    ("conv_flag", "char", "", "Convergence flag and index", "flag and index of ME-inversion convergence process"),
    ("qual_map", "int", "", "quality map", None),
    ("info_map", "int", "", None, "updated quality map"),
    ("confid_map", "char", "", "confidence index", "updated confidence index"),
    ("inclination_err", "int", "deg", "Inclination_Err", "std of Inclination_Err"),
    ("azimuth_err", "int", "deg", "Azimuth_Err", "std of Azimuth_Err"),
    ("field_err", "int", "gauss", "Field_Err", "std of Field_Err"),
    ("vlos_err", "int", "cm/s", "VLos_Err", "std of VLos_Err"),
    ("alpha_err", "int", "adimensional", " Alpha_Err", "std of Alpha_Err"),
    ("field_inclination_err", "int", "", "Field_Inclination_Err", "cor.coef of Field_Inclination_Err"),
    ("field_az_err", "int", "", "Field_azimuth_Err", "cor.coef of Field_azimuth_Err"),
    ("inclin_azimuth_err", "int", "", "Inclination_Azimuth_Err", "cor.coef of Inclination_Azimuth_Err"),
    ("field_alpha_err", "int", "", "Field_Alpha_Err", "cor.coef of Field_Alpha_Err"),
    ("inclination_alpha_err", "int", "", "Inclination_Alpha_Err", "cor.coef of Inclination_Alpha_Err"),
    ("azimuth_alpha_err", "int", "", "Azimuth_Alpha_Err", "cor.coef of Azimuth_Alpha_Err"),
    ("conf_disambig", "char", "none", None, "Confidence of disambiguation result"),
]


def hmi_vector(templates, which):
    """``which`` is ``"ME"`` (hmi.ME_720s_fd10) or ``"B"`` (hmi.B_720s)."""
    sharp = by_name(templates["hmi.sharp_720s"]["keywords"])
    m720 = by_name(templates["hmi.M_45s"]["keywords"])
    scale = {}
    for k in templates["hmi.sharp_720s"]["keywords"]:
        if k["name"].endswith("_bzero"):
            scale.setdefault(k["name"][:-6], [None, None])[0] = k["defval"]
        elif k["name"].endswith("_bscale"):
            scale.setdefault(k["name"][:-7], [None, None])[1] = k["defval"]
    scale["qual_map"] = ["0", "1"]

    column = 3 if which == "ME" else 4
    segs = [(s[0], s[1], s[2], s[column]) for s in ME_SEGMENTS if s[column] is not None]
    segments = [seg(n, t, u, "4096x4096", note) for n, t, u, note in segs]
    keywords = compression_keywords([(n, *scale[n]) for n, *_ in segs])

    def fd(name, **changes):  # a full-disk keyword, from the hmi.M_45s definition
        k = copy.deepcopy(m720[name])
        k.update({("type" if a == "type_" else a): b for a, b in changes.items()})
        return k

    def sh(name, **changes):  # a vector keyword, from the hmi.sharp_720s definition
        k = copy.deepcopy(sharp[name])
        k.update({("type" if a == "type_" else a): b for a, b in changes.items()})
        return k

    if which == "B":
        head = [
            fd("T_OBS", note="Nominal time"),
            fd("T_REC"),
            fd("T_REC_epoch", note="Time of origin"),
            fd("T_REC_step", defval="720.0"),
            fd("T_REC_unit"),
            kw("DATE", "time", "variable", units="ISO",
               note="Date_time of processing to disambiguate of ME VFISV magnetic field azimuth"),
            sh("DATE_S"),
            kw("DATE_ME", "time", "variable", units="ISO", note="Date_time of generating ME inversion data"),
            fd("DATE__OBS"),
            fd("CADENCE", defval="720.0", note="Repetition interval"),
            fd("TELESCOP"), fd("INSTRUME"), fd("WAVELNTH"), fd("CAMERA"),
            kw("QUALITY", "int", "variable", QUALITY_MISSING,
               note="Quality index of data used to generate fd.B_720s (0x00000000) is good quality, "
                    "(any nonzero value) should be investigated in data documentation"),
            kw("QUAL_ME", "int", "variable", QUALITY_MISSING, note="ME Quality word"),
        ]
    else:
        head = [
            kw("DATE", "time", "variable", units="ISO", note="Date_time of processing ME VFISV"),
            sh("DATE_S"),
            fd("DATE__OBS"),
            fd("T_OBS"),
            fd("T_REC"),
            fd("T_REC_epoch", note="Time of origin"),
            fd("T_REC_step", defval="720.0"),
            fd("T_REC_unit"),
            fd("CADENCE", defval="720.0"),
            fd("TELESCOP"), fd("INSTRUME"), fd("WAVELNTH"), fd("CAMERA"),
            kw("QUALITY", "int", "variable", QUALITY_MISSING, note="ME_VFISV Quality index"),
        ]
    history_note = "History of data" if which == "B" else "history of data"
    comment_note = "Commentary on the data" if which == "B" else "commentary on the data"
    qlook_note = "QLOOK: 0=definitive data, 1=quick-look data" if which == "B" else m720["QLOOK"]["note"]
    body = [
        sh("QUAL_S"), sh("QUALLEV1"), sh("BUNIT"), sh("ORIGIN"), sh("CONTENT"),
        sh("HISTORY", note=history_note), sh("COMMENT", note=comment_note), sh("BLD_VERS"), sh("CALVER64"),
        sh("HFLID"), sh("HCFTID"), fd("QLOOK", note=qlook_note),
    ]
    wcs = ["CTYPE1", "CTYPE2", "CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CDELT1", "CDELT2", "CUNIT1",
           "CUNIT2", "CROTA2", "CRDER1", "CRDER2", "CSYSER1", "CSYSER2", "WCSNAME", "DSUN_OBS",
           "DSUN_REF", "RSUN_REF", "CRLN_OBS", "CRLT_OBS", "CAR_ROT", "OBS_VR", "OBS_VW", "OBS_VN",
           "RSUN_OBS"]
    for name in wcs:
        if which == "B" and name in ("CDELT1", "CDELT2"):
            axis = "x" if name.endswith("1") else "y"
            body.append(fd(name, note=f"Image scale in the {axis} direction"))
        else:
            body.append(fd(name))
    body += [sh(n) for n in ("TINTNUM", "SINTNUM", "DISTCOEF", "ROTCOEF", "POLCALM", "SOURCE",
                             "CODEVER0", "CODEVER1", "CODEVER2", "CODEVER3", "CODEVER4")]
    if which == "B":
        body.append(sh("CODEVER5"))
    body += [copy.deepcopy(k) for k in templates["hmi.sharp_720s"]["keywords"] if k["name"].startswith("INV")]
    if which == "B":
        body += [copy.deepcopy(k) for k in templates["hmi.sharp_720s"]["keywords"] if k["name"].startswith("AMB")]
        body.append(sh("DOFFSET"))
    body += [sh(n) for n in ("DATAVALS", "MISSVALS", "DATAMIN", "DATAMAX", "DATAMEDN", "DATAMEAN", "DATARMS")]
    body.append(fd("T_REC_index"))
    keywords = keywords + head + body

    if which == "B":
        note = "Full-disk Milne-Eddigton inversion with the magnetic field azimuthal ambiguity resolution applied"
        links = [link("MDATA", "hmi.ME_720s_fd10", "ME inversion data", kind="STATIC")]
    else:
        note = "Milne-Eddigton inversion"
        links = [link("SDATA", "hmi.S_720s", "Stokes data", kind="STATIC")]
    return struct(note, ["T_REC"], {"T_REC": "720.0"}, keywords, segments, links,
                  unitsize=1, tapegroup=20)


# --------------------------------------------------------------------------------------
# AIA, from the real aia.lev1_euv_12s answer.
# --------------------------------------------------------------------------------------
def aia_synoptic(templates, cadence, note):
    """aia.lev1_uv_24s and aia.lev1_vis_1h: same layout as aia.lev1_euv_12s."""
    ss = copy.deepcopy(templates["aia.lev1_euv_12s"])
    step = f"{float(cadence):f}"
    ss["note"] = note
    ss["primekeysinfo"][0]["step"] = step
    replace_kw(ss["keywords"], "T_REC_step", defval=step)
    return ss


AIA_LEV1_HEAD = [
    "BLD_VERS", "LVL_NUM", "T_REC", "T_REC_step", "T_REC_epoch", "T_REC_round", "ORIGIN", "DATE",
    "TELESCOP", "INSTRUME", "DATE__OBS", "T_OBS", "CAMERA", "IMG_TYPE", "EXPTIME", "EXPSDEV",
    "INT_TIME", "WAVELNTH", "WAVEUNIT", "WAVE_STR", "FSN", "FID", "QUALLEV0", "QUALITY", "TOTVALS",
    "DATAVALS", "MISSVALS", "PERCENTD", "DATAMIN", "DATAMAX", "DATAMEDN", "DATAMEAN", "DATARMS",
    "DATASKEW", "DATAKURT", "DATACENT", "DATAP01", "DATAP10", "DATAP25", "DATAP75", "DATAP90",
    "DATAP95", "DATAP98", "DATAP99", "NSATPIX",
]


def aia_lev1(templates):
    """aia.lev1: the target of the lev1 links; T_REC is ts_slot on a 1 s grid, plus FSN."""
    euv = templates["aia.lev1_euv_12s"]["keywords"]
    plain = {}
    for k in euv:
        unlinked = copy.deepcopy(k)
        unlinked.pop("linkinfo", None)
        plain[k["name"]] = unlinked
    plain["BLD_VERS"] = kw("BLD_VERS", "string", "variable", note="Build Version: from jsoc_version.h")
    plain["T_REC"] = kw("T_REC", "time", "ts_slot", units="ISO", note="Slotted observation time")
    plain["T_REC_step"] = kw("T_REC_step", "double", "constant", "1.000000", "second", "T_REC step")
    plain["T_REC_epoch"] = kw("T_REC_epoch", "time", "constant", LEV1_SLOT_EPOCH, "TAI", "")
    plain["T_REC_round"] = kw("T_REC_round", "int", "constant", "1", note="center of slot")
    plain["DATE__OBS"]["note"] = "[DATE-OBS] Date when observation started; ISO 8601"
    order = list(AIA_LEV1_HEAD)
    order += [k["name"] for k in euv if k["name"] not in order and not k["name"].startswith("T_REC")]
    order.append("T_REC_index")
    keywords = [plain[n] for n in order]
    segments = [
        seg("image_lev1", "int", "DN", "4096x4096", "lev1 image fits file"),
        seg("spikes", "int", "none", "VARxVAR", "spiked pixel list"),
    ]
    return struct("AIA Level 1", ["T_REC", "FSN"], {"T_REC": "1.000000"}, keywords, segments,
                  retention=0, unitsize=1, archive=0, tapegroup=7)


def aia_response():
    """aia.response: the keywords are the columns of the real AIA response tables.

    The SSW tables (``aia_V<n>_<date>_response_table.txt``) are dumps of this series; aiapy reads the
    same column names from JSOC (``get_correction_table("jsoc")``, LM-SAL/aiapy@afc3db7
    aiapy/calibrate/utils.py). Column order as in the tables. Units: EFF_AREA cm^2, WAVELNTH and
    EFF_WVLN Angstrom as aiapy assigns them; the descriptions are the emulator's wording (no
    series_struct of aia.response is public). aiapy's comment says the real prime keys are WAVE_STR
    and T_START; the emulator adds VER_NUM because it does not emulate DRMS's "latest version of a
    prime-key combination" rule, so records of different versions must differ in a prime key.
    """
    keywords = [
        kw("DATE", "time", "variable", units="ISO", note="Date_time of processing; ISO 8601"),
        kw("T_START", "time", "variable", units="ISO", note="Start time of validity of this response"),
        kw("T_STOP", "time", "variable", units="ISO", note="End time of validity of this response"),
        kw("VER_NUM", "int", "variable", note="Version number of the response (calibration version)"),
        kw("WAVE_STR", "string", "variable", note="Wavelength_FilterPosition"),
        kw("WAVELNTH", "int", "variable", units="angstrom", note="Wavelength"),
        kw("EPERDN", "float", "variable", note="electrons per DN"),
        kw("DNPERPHT", "float", "variable", note="DN per photon"),
        kw("EFF_AREA", "float", "variable", units="cm^2", note="Effective area at EFF_WVLN"),
        kw("EFF_WVLN", "float", "variable", units="angstrom", note="Wavelength of the effective area"),
        kw("EFFA_P1", "float", "variable", note="Effective area degradation: polynomial coefficient 1"),
        kw("EFFA_P2", "float", "variable", note="Effective area degradation: polynomial coefficient 2"),
        kw("EFFA_P3", "float", "variable", note="Effective area degradation: polynomial coefficient 3"),
        kw("RMSE", "float", "variable", note="RMS error of the degradation fit"),
    ]
    return struct("AIA instrument response table", ["T_START", "WAVE_STR", "VER_NUM"], {}, keywords, [],
                  retention=0, unitsize=1, archive=0, tapegroup=0)


def aia_pointing_values(wavelengths):
    """record_values of X0_MP, Y0_MP, IMSCL_MP, INST_ROT for an AIA series' WAVELNTH axis.

    From ``sunpy_jsocx.emulator.evidence.AIA_POINTING`` (171 and 304 real, the other channels the 171
    values), so aiapy's update_pointing finds the level-1 pointing it compares with the master
    pointing table (before, the keywords fell back to noise between 0 and 100 pixels).
    """
    from sunpy_jsocx.emulator.evidence import AIA_POINTING

    rows = [AIA_POINTING.get(w, AIA_POINTING[171]) for w in wavelengths]
    return {k: [row[k] for row in rows] for k in ("X0_MP", "Y0_MP", "IMSCL_MP", "INST_ROT")}


def aia_response_records():
    """``(combos, record_values)`` of aia.response: one record per row of the real tables.

    The rows are ``sunpy_jsocx.emulator.evidence.AIA_RESPONSE`` (versions 8 and 10, each with its
    source named there), so the data file holds exactly what the emulator serves.
    """
    from sunpy_jsocx.emulator.evidence import AIA_RESPONSE, AIA_RESPONSE_COLUMNS

    primes = ("T_START", "WAVE_STR", "VER_NUM")
    combos = [{c: row[AIA_RESPONSE_COLUMNS.index(c)] for c in primes} for row in AIA_RESPONSE]
    values = {c: [row[i] for row in AIA_RESPONSE] for i, c in enumerate(AIA_RESPONSE_COLUMNS) if c not in primes}
    return combos, values


# --------------------------------------------------------------------------------------
# AIA master pointing table: aia.master_pointing3h.
# --------------------------------------------------------------------------------------
#: Sources (the facts are kept with their sources in sunpy_jsocx.emulator.evidence,
#: AIA_MASTER_POINTING and AIA_POINTING):
#:
#: * [mptkeys]: LM-SAL/backup_files get_pointing_table.py (main): SERIES "aia.master_pointing3h", NEEDED_KEYS
#:   T_START, T_STOP, A_<wl>_X0/_Y0/_IMSCALE/_INSTROT for 094 171 193 211 304 335 1600 1700 4500, queried
#:   as ``aia.master_pointing3h[<start>Z-<end>Z]`` from 2010-05-13T00:00:00Z.
#: * [aiapy]: LM-SAL/aiapy@afc3db7 aiapy/calibrate/utils.py get_pointing_table ("A MPT entry covers the
#:   interval [T_START:T_STOP)", "generally ... TSTOP = T_START + 3 hours"; units pixel, arcsecond / pixel,
#:   degree) and meta.py update_pointing (reads A_<wavelength:03.0f>_*, so A_131_* too; X0/Y0 0-based CCD
#:   pixels); aiapy/calibrate/tests/test_utils.py: the query for 2021-01-01T00:00 +- 3 h starts at
#:   T_START 2020-12-31T21:00:00 UTC, so T_START sits on whole UTC hours that are multiples of 3.
#: * [jsocmod]: a JSOC module (find_string id 4635566334) reads A_094_X0 ... A_131_X0 ... with
#:   drms_getkey_float: the columns are floats, one set per AIA channel, 131 included.
#: * [limbfit]: the limb-fit pipeline that fills the series (find_string id 60990979159, config tz 'UTC',
#:   cadence_h 3): show_info prints its T_START/T_STOP as ``2026-05-01T00:00:00Z 2026-05-01T03:00:00Z``.
#:
#: Emulator choices: no other keywords than these and DRMS's companions of the slotted T_START, no
#: segments; T_STOP is always T_START + 3 h (aiapy names rare longer entries at calibrations and
#: eclipses; none is emulated); the values are the level-1 pointing of AIA_POINTING, constant over the
#: mission, so update_pointing leaves a level-1 map's pointing as it is.
MPT_WAVELENGTHS = ("094", "131", "171", "193", "211", "304", "335", "1600", "1700", "4500")
MPT_PARTS = (  # (suffix, level-1 keyword with the same value, units, note)
    ("X0", "X0_MP", "pixel", "Sun centre X in the CCD frame, 0-based pixels"),
    ("Y0", "Y0_MP", "pixel", "Sun centre Y in the CCD frame, 0-based pixels"),
    ("IMSCALE", "IMSCL_MP", "arcsec/pixel", "image scale"),
    ("INSTROT", "INST_ROT", "deg", "CCD rotation wrt SDO Z axis"),
)
MPT_FIRST = "2010.05.13_00:00:37_TAI"  # [mptkeys] 2010-05-13T00:00:00Z: the slot printed so under utc_slots
#: Slot origin of T_START: a whole UTC midnight after the last leap second (2017-01-01), so slots fall on
#: whole UTC hours; ``utc_slots`` takes the leap seconds since then off earlier slots.
MPT_SLOT_ORIGIN = "2017.01.01_00:00:37_TAI"


def aia_master_pointing3h():
    """series_struct of aia.master_pointing3h ([mptkeys], [aiapy], [jsocmod], [limbfit] above)."""
    keywords = [
        kw("T_START", "time", "ts_slot", units="ISO", note="start of the interval [T_START, T_STOP)"),
        kw("T_STOP", "time", "variable", units="ISO", note="end of the interval (T_START + 3 hours)"),
    ]
    for wl in MPT_WAVELENGTHS:
        for part, _, units, note in MPT_PARTS:
            keywords.append(kw(f"A_{wl}_{part}", "float", "variable", units=units, note=f"{int(wl)} A: {note}"))
    # DRMS's companions of a slotted time key (emulator choice: no public source shows them)
    keywords += [
        kw("T_START_epoch", "time", "constant", MPT_SLOT_ORIGIN, "TAI", "beginning of slot 0 (a UTC midnight)"),
        kw("T_START_step", "float", "constant", "3.0", "hour", "T_START step, = 3 hours"),
        kw("T_START_unit", "string", "constant", "hour", note="T_START step unit"),
        kw("T_START_index", "longlong", "index", "0", note="Index keyword associated with T_START"),
    ]
    return struct("Master Pointing Parameters", ["T_START"], {"T_START": "3.0"}, keywords, [],
                  retention=0, unitsize=1, archive=0, tapegroup=0, dbindex=["T_START_index"])


def aia_master_pointing_values():
    """record_values of aia.master_pointing3h: the level-1 pointing of evidence.AIA_POINTING per channel."""
    from sunpy_jsocx.emulator.evidence import AIA_POINTING

    out = {}
    for wl in MPT_WAVELENGTHS:
        row = AIA_POINTING.get(int(wl), AIA_POINTING[171])
        for part, level1, _, _ in MPT_PARTS:
            out[f"A_{wl}_{part}"] = [row[level1]]
    return out


# --------------------------------------------------------------------------------------
# HMI helioseismology: hmi.V_sht_2drls (layout of the hmi.V_sht_* family).
# --------------------------------------------------------------------------------------
SHT_COMBOS = [{"LMIN": 0, "LMAX": 300, "NACOEFF": n} for n in (6, 18, 36)]
#: Seconds one hmi.V_sht_2drls record spans: 72 days, the spacing of the hmi.V_sht_* records (drms's
#: examples/plot_hmi_modes.py: 2024.09.19 is 73 x 72 days after 2010.04.30), with T_STOP "beginning of
#: following time period". The emulator's NDT (138240 points of T_STEP 45 s) is chosen to agree.
SHT_SPAN = 72 * 86400.0


def hmi_v_sht_2drls():
    keywords = [
        kw("T_START", "time", "ts_slot", units="TAI", note="beginning of time period"),
        kw("T_START_step", "float", "constant", "1.0", "day", "T_START step, =1d"),
        kw("T_START_unit", "string", "constant", "day", note="T_START step unit"),
        kw("T_START_epoch", "time", "constant", MDI_EPOCH, "TAI", "beginning of slot 0 (MDI epoch)"),
        kw("T_START_round", "float", "constant", "45.0", "seconds", "= T_STEP"),
        kw("LMIN", "int", "variable", note="minimum spherical harmonic degree"),
        kw("LMAX", "int", "variable", note="maximum spherical harmonic degree"),
        kw("NACOEFF", "int", "variable", note="number of a-coefficients used in the inversion"),
        kw("NDT", "int", "variable", note="number of points in timeseries"),
        kw("T_STOP", "time", "variable", units="TAI", note="beginning of following time period"),
        kw("T_OBS", "time", "variable", units="TAI", note="midpoint of timeseries, =(T_START+T_STOP)/2"),
        kw("DATE", "time", "variable", units="ISO", note="time the record was last updated, ISO format"),
        kw("QUALITY", "int", "variable", "0x00000000",
           note="bitfield specifying various aspects of data quality, see ???"),
        kw("MAPMMAX", "int", "variable", note="maximum m for remapping dopplergrams"),
        kw("SINBDIVS", "int", "variable", note="number of increments in sin latitude for remapping dopplergrams"),
        kw("MFLIPPED", "int", "variable", note="sign convention for m: 0 for MDI, 1 for GONG"),
        kw("T_STEP", "float", "constant", "45.0", "seconds", "time step"),
        kw("RLSPARAM", "string", "variable", note="parameters of the 2d regularized least squares inversion"),
        kw("TELESCOP", "string", "constant", "SDO", note="source telescope for data, SDO=Solar Dynamics Observatory"),
        kw("INSTRUME", "string", "constant", "HMI",
           note="source instrument, HMI=Helioseismic and Magnetic Imager"),
        kw("ORIGIN", "string", "constant", "JSOC",
           note="location of data processing, JSOC=Joint Science Operations Center, at Stanford"),
        kw("WAVELNTH", "int", "constant", "6173",
           note="wavelength of observation, 6173.3 Angstroms, Fe I photospheric absorption line"),
        kw("VERSION", "string", "variable", note="version of data, used for retrieving obsolete versions"),
        kw("CALVER64", "longlong", "variable", "0x0000000000000000", note="calibration version"),
        kw("T_START_index", "longlong", "index", "0", note="Index keyword associated with T_START"),
    ]
    segments = [
        seg("split", "char", "none", "", "calculated splittings", protocol="generic"),
        seg("rot", "char", "none", "", "rotation profile", protocol="generic"),
        seg("err", "char", "none", "", "errors", protocol="generic"),
    ]
    links = [
        link("HISTORY", "hmi.globalhs_history", "processing history", kind="STATIC"),
        link("SRCDATA", "hmi.V_sht_modes", "input mode parameters", kind="STATIC"),
    ]
    return struct("2d rls inversions for rotation", ["T_START", "LMIN", "LMAX", "NACOEFF"],
                  {"T_START": "1.0"}, keywords, segments, links,
                  retention=10000, unitsize=1, tapegroup=14,
                  dbindex=["T_START_index", "LMIN", "LMAX", "NACOEFF"])


# --------------------------------------------------------------------------------------
# HMI global-mode parameters: hmi.V_sht_modes (prime keys T_START, LMIN, LMAX, NDT).
# --------------------------------------------------------------------------------------
#: Sources (all public):
#:
#: * [shtmodes]: JSOC's keyword list sun.stanford.edu/~baldner/test/Series/hmi.V_sht_modes.txt: prime keys
#:   T_START (slotted ts_slot using T_START_index), LMIN, LMAX, NDT; DB index T_START_index LMIN LMAX NDT;
#:   the keywords below, in this order, with these types and notes; segments m6, m18, m36 ("none",
#:   "generic", "6/18/36 a-coeffient fits", JSOC's spelling); link HISTORY (STATIC) to hmi.globalhs_history.
#:   It gives no recscope, defval or units: those are the hmi.V_sht_2drls family's (same page layout).
#: * [jsocnote]: JSOC's series list (../shared/jsoc-reference/series-catalog.json): "mode parameters from jpkbgn".
#: * [globalhs]: jsoc.stanford.edu/HMI/Global_products.html: T_START slotted one day from the MDI epoch
#:   1993.01.01_TAI; timeseries "typically of length 72 days".
#: * [drmsdoc]: drms docs/tutorial.rst: client.pkeys('hmi.v_sht_modes') -> ['T_START', 'LMIN', 'LMAX', 'NDT'].
#: * [drmsex]: drms examples/plot_hmi_modes.py queries hmi.v_sht_modes[2024.09.19_00:00:00_TAI] (older
#:   versions [2014.06.20_00:00:00_TAI]): 21 and 73 x 72 days after 2010.04.30, the 72-day grid.
#: * [larson]: a public script of T. P. Larson queries hmi.V_sht_modes[<day>d][0][300][138240] (LMIN 0,
#:   LMAX 300, NDT 138240 = 72 d of 45 s) and reads the m6 table; a public file name
#:   hmi.v_sht_modes.20140620_000000_TAI.0.300.138240.m10qr.7840.36 (day 7840 after the MDI epoch =
#:   2014.06.20) shows the same prime-key values and a stored file "m10qr.<day>.36".
#: The emulator's stored file names are per series, not per record, so they leave out the day number:
#: m10qr.6, m10qr.18, m10qr.36 (emulator choice). The tables' numbers are a model (emulator/modes.py).
SHT_MODES_COMBOS = [{"LMIN": 0, "LMAX": 300, "NDT": 138240}]  # [larson]
SHT_MODES_FILES = {"m6": "m10qr.6", "m18": "m10qr.18", "m36": "m10qr.36"}  # [larson], day number left out


def hmi_v_sht_modes():
    """series_struct of hmi.V_sht_modes ([shtmodes], [jsocnote] above)."""
    family = {k["name"]: k for k in hmi_v_sht_2drls()["keywords"]}
    order = ["T_START", "T_START_step", "T_START_unit", "T_START_epoch", "T_START_round", "LMIN", "LMAX", "NDT",
             "T_STOP", "T_OBS", "DATE", "QUALITY", "MAPMMAX", "SINBDIVS", "MFLIPPED", "T_STEP", "TELESCOP",
             "INSTRUME", "ORIGIN", "WAVELNTH", "VERSION", "CALVER64", "T_START_index"]  # [shtmodes]
    keywords = [dict(family[name]) for name in order]
    segments = [seg(f"m{n}", "char", "none", "", f"{n} a-coeffient fits", protocol="generic") for n in (6, 18, 36)]
    links = [link("HISTORY", "hmi.globalhs_history", "processing history", kind="STATIC")]
    return struct("mode parameters from jpkbgn", ["T_START", "LMIN", "LMAX", "NDT"], {"T_START": "1.0"},
                  keywords, segments, links, retention=10000, unitsize=1, tapegroup=14,
                  dbindex=["T_START_index", "LMIN", "LMAX", "NDT"])


# --------------------------------------------------------------------------------------
# HMI synoptic maps: hmi.Synoptic_Mr_720s (Carrington rotation is the prime key).
# --------------------------------------------------------------------------------------
#: Sources of the synoptic-map definition (all public):
#:
#: * [synop]: sunpy/data/test/hmi_synoptic.header (sunpy/sunpy@3e5f3bf41, 2020-04-23, "a 1:1 copy of a HMI
#:   synoptic map header"): the keyword names, their order, types shown by the values, and the values
#:   of CR 2210 (a 720x360 Br chart).
#: * [mdisynop]: sunpy/data/test/mdi_synoptic.header (CR 2099): T_START/T_STOP/T_ROT of a second rotation.
#: * [gallery]: sunpy's gallery example plotting/hmi_synoptic_maps.py reads
#:   http://jsoc.stanford.edu/data/hmi/synoptic/hmi.Synoptic_Mr.2191.fits (the synopMr map of
#:   hmi.synoptic_mr_720s[2191]); from 2020-04-23 (sunpy/sunpy@3e5f3bf41) to 2022-03-31
#:   (sunpy/sunpy@6d06b7e22) sunpy's HMISynopticMap accepted a header only if CONTENT was exactly
#:   'Carrington Synoptic Chart Of Br Field', and the gallery plotted that file as an HMISynopticMap
#:   (a generic map refuses CUNIT2 'Sine Latitude'), so the Mr file's CONTENT is that string. Before
#:   sunpy/sunpy@3e5f3bf41 the same example fixed "CDELT1 has the wrong sign" and CUNIT2 'Sine Latitude'
#:   by hand: the Mr file has a negative CDELT1 and a sine-latitude axis.
#: * [drms]: drms examples/plot_synoptic_mr.py: hmi.synoptic_mr_720s[2150], segment synopMr, keywords
#:   CRPIX1/2, CDELT1/2, CRVAL1/2, LON_LAST, T_START, T_STOP; the map spans 360 deg of longitude.
#: * [probe]: a public repository note (find_string id 70571811447, repository not named by the index)
#:   recording a Range GET of http://jsoc.stanford.edu/data/hmi/synoptic/hmi.Synoptic_Mr.2200.fits:
#:   BITPIX=-32, NAXIS1=3600, NAXIS2=1440, BUNIT='Mx/cm^2', CONTENT='Carrington Synoptic Chart Of Br Field',
#:   TOTVALS=5184000, MISSVALS=47292, LICENSE; data at byte 8640; 220 such files, CR 2096-2315.
#: * [wiki]: JSOC's wiki pages MagneticField/SynopticRadial and SynopticMaps (jsoc.stanford.edu/jsocwiki):
#:   one record per Carrington rotation from CR 2096 (April 2010), prime key CAR_ROT, segment synopMr,
#:   3600 longitudes x 1440 steps in sine latitude, the 720 x 360 maps a 5 x 4 boxcar average of them,
#:   Mr = Mlos / cos(angle from disk centre), low-latitude noise well below 0.5 G.
#: * [frame]: JSOC's synoptic-frame module (brblosdailysynframe.c, find_string id 4561570351): CRPIX2 =
#:   (ydim+1)/2, CDELT1 = -360/xdim, CDELT2 = 2/ydim, CARRTIME = CRVAL1; 3600x1440 charts rebinned by 5 in
#:   longitude and 4 in sine latitude into the 720x360 small charts.
#:
#: The 3600x1440 geometry follows from [synop] and [frame]: a small pixel averages 5 big ones, so the
#: small chart's LON_FRST = 360 (CR-1) + 0.2 and CRPIX1 = 360.4 (0.5 deg pixels) give the big chart's
#: LON_FRST = 360 (CR-1), LON_LAST = 360 CR - 0.1, CRPIX1 = 1800 at CRVAL1 = CARRTIME = 360 (CR-0.5).
#: Units and descriptions (series_struct "units" and "note") are not in the evidence: the 2020 export
#: wrote no comments. They are the emulator's wording.
SYNOPTIC_CR = (2096, 2315)  # [wiki] first rotation, [probe] 220 files to CR 2315 (October 2026)
SYNOPTIC_NX, SYNOPTIC_NY = 3600, 1440  # [wiki], [probe], [frame]
SYNOPTIC_MISSVALS = 47292  # [probe] CR 2200; the only count known for a 3600x1440 chart
#: Carrington-rotation times of the real headers, (rotation number, TAI time): T_START is rotation
#: CR, T_ROT = T_OBS is CR + 0.5 and T_STOP is CR + 1.
SYNOPTIC_TIMES = [
    (2210.0, "2018.10.26_20:53:36_TAI"), (2210.5, "2018.11.09_12:30:52_TAI"), (2211.0, "2018.11.23_04:13:10_TAI"),
    (2099.0, "2010.07.13_09:38:38_TAI"), (2099.5, "2010.07.27_00:09:05_TAI"), (2100.0, "2010.08.09_14:48:26_TAI"),
]  # [synop], [mdisynop]
#: IMG_NUM of [synop] (3276) over the 720-s slots from its IMG_FRST (2018.10.26_00:00:00_TAI) to its
#: IMG_LAST (2018.11.23_23:00:00_TAI), both included (3476): the share of slots whose magnetograms went
#: into the chart, used for every rotation (an emulator rule from one case).
SYNOPTIC_IMG_SHARE = 3276 / ((28 * 86400 + 23 * 3600) / 720 + 1)


def _tai_seconds(text):
    from sunpy_jsocx import jsoctime

    return jsoctime.parse_time(text)


def _tai_text(seconds, zone="TAI"):
    from sunpy_jsocx import jsoctime

    return jsoctime.format_time(round(seconds), zone, 0)


def carrington_rule():
    """``(a, b)`` of the emulator's Carrington-rotation times and the residuals in seconds.

    JSOC's rule is not public. sunpy's ``carrington_rotation_time`` (converted to TAI with astropy's
    leap seconds: TAI = UTC + 37 s since 2017, + 34 s in 2010) is 195-283 s earlier than the six times
    of [synop] and [mdisynop]; the emulator adds ``a + b (c - 2150)`` seconds (``c`` the fractional
    rotation number), fitted by least squares to those six times. The residuals are at most 5.3 s.
    """
    import numpy as np

    c = np.array([x for x, _ in SYNOPTIC_TIMES])
    offset = np.array([_tai_seconds(t) for _, t in SYNOPTIC_TIMES]) - _sunpy_tai(c)
    design = np.vstack([np.ones_like(c), c - 2150.0]).T
    (a, b), *_ = np.linalg.lstsq(design, offset, rcond=None)
    return float(a), float(b), offset - design @ np.array([a, b])


def _sunpy_tai(c):
    """sunpy's time of Carrington rotation number(s) ``c``, as DRMS internal seconds (TAI)."""
    import warnings

    from astropy.time import Time
    from sunpy.coordinates import sun

    from sunpy_jsocx import jsoctime

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = sun.carrington_rotation_time(c).tai
    epoch = Time("1977-01-01T00:00:00", scale="tai")
    return jsoctime.parse_time("1977.01.01_00:00:00_TAI") + (t - epoch).sec


def _b0(seconds):
    """sunpy's B0 angle (deg) at DRMS internal TAI seconds."""
    import warnings

    from astropy.time import Time
    from sunpy.coordinates import sun

    from sunpy_jsocx import jsoctime

    epoch = Time("1977-01-01T00:00:00", scale="tai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = epoch + (seconds - jsoctime.parse_time("1977.01.01_00:00:00_TAI")) / 86400.0
        return sun.B0(t).deg


def synoptic_records():
    """``(axes, record_values)`` of hmi.Synoptic_Mr_720s: one record per Carrington rotation.

    Per rotation CR: T_START, T_ROT (= T_OBS) and T_STOP from :func:`carrington_rule` (rotations CR,
    CR + 0.5, CR + 1), B0_FRST/B0_ROT/B0_LAST sunpy's B0 at those times ([synop] matches to 0.002 deg),
    CARRTIME = CRVAL1 = 360 (CR - 0.5), LON_FRST/LON_LAST as above, IMG_FRST = the day of T_START,
    IMG_LAST = 23:00 of the day of T_STOP, IMG_ROT = T_ROT on the 720-s grid (all as in [synop]),
    IMG_NUM = SYNOPTIC_IMG_SHARE of the 720-s slots between them, DATE = six days after the day of
    T_STOP ([synop]: 2018-11-29 for a T_STOP of 2018-11-23; an emulator rule from one case),
    TOTVALS/MISSVALS/DATAVALS from [probe].
    """
    import numpy as np

    a, b, _ = carrington_rule()
    crs = np.arange(SYNOPTIC_CR[0], SYNOPTIC_CR[1] + 1)
    c = np.concatenate([crs, crs + 0.5, crs + 1.0]).astype(float)
    times = _sunpy_tai(c) + a + b * (c - 2150.0)
    n = len(crs)
    start, rot, stop = times[:n], times[n:2 * n], times[2 * n:]
    b0 = _b0(np.concatenate([start, rot, stop]))
    day = 86400.0
    img_frst = np.floor(start / day) * day
    img_last = np.floor(stop / day) * day + 23 * 3600.0
    img_rot = np.floor(rot / 720.0 + 0.5) * 720.0
    slots = np.round((img_last - img_frst) / 720.0) + 1
    values = {
        "DATE": [_tai_text(np.floor(t / day) * day + 6 * day).replace(".", "-").replace("_00:00:00_TAI", "T00:00:00Z")
                 for t in stop],
        "T_OBS": [_tai_text(t) for t in rot],
        "T_START": [_tai_text(t) for t in start],
        "T_STOP": [_tai_text(t) for t in stop],
        "T_ROT": [_tai_text(t) for t in rot],
        "CARRTIME": [360.0 * (cr - 0.5) for cr in crs.tolist()],
        "CRVAL1": [360.0 * (cr - 0.5) for cr in crs.tolist()],
        "B0_ROT": [round(float(x), 6) for x in b0[n:2 * n]],
        "B0_FRST": [round(float(x), 6) for x in b0[:n]],
        "B0_LAST": [round(float(x), 6) for x in b0[2 * n:]],
        "LON_FRST": [360.0 * (cr - 1) for cr in crs.tolist()],
        "LON_LAST": [round(360.0 * cr - 360.0 / SYNOPTIC_NX, 6) for cr in crs.tolist()],
        "IMG_NUM": [round(float(s) * SYNOPTIC_IMG_SHARE) for s in slots],
        "IMG_FRST": [_tai_text(t) for t in img_frst],
        "IMG_LAST": [_tai_text(t) for t in img_last],
        "IMG_ROT": [_tai_text(t) for t in img_rot],
        "TOTVALS": [SYNOPTIC_NX * SYNOPTIC_NY] * n,
        "DATAVALS": [SYNOPTIC_NX * SYNOPTIC_NY - SYNOPTIC_MISSVALS] * n,
        "MISSVALS": [SYNOPTIC_MISSVALS] * n,
    }
    return [{"key": "CAR_ROT", "values": crs.tolist()}], values


#: Values that are the same in every record: [synop] unless noted. CALVER64 270610 is CR 2210's.
SYNOPTIC_CONSTANTS = {
    "TELESCOP": "SDO/HMI", "INSTRUME": "HMI_SIDE1", "BLD_VERS": "-2147483648",
    "CRPIX1": "1800.0", "CRPIX2": "720.5", "CRVAL2": "0.0", "CDELT1": "-0.1", "CDELT2": "0.0013888889",
    "CRDER1": "nan", "CRDER2": "nan", "CSYSER1": "nan", "CSYSER2": "nan",
    "T_EARTH": TIME_MISSING["TAI"], "EARTH_B0": "nan", "CALVER64": "270610", "CODEVER": "", "QUALITY": "0",
    "DATASKEW": "0.331222", "DATAKURT": "70.59648",
}


def hmi_synoptic_mr():
    """hmi.Synoptic_Mr_720s: [synop]'s keywords in [synop]'s order, with the 3600x1440 geometry."""
    hist = "Carrington-Time conversion corrected; o2helio.c bug corrected -- July 2013"
    keywords = [
        kw("DATE", "time", "variable", units="ISO", note="Date_time of processing; ISO 8601"),
        kw("TELESCOP", "string", "variable", note="For HMI: SDO/HMI"),
        kw("INSTRUME", "string", "variable", note="For HMI: HMI_SIDE1"),
        kw("WAVELNTH", "float", "constant", "6173.0", "Angstrom", "For HMI: 6173.3 Angstroms"),
        kw("BUNIT", "string", "constant", "Mx/cm^2", note="Physical units of the data"),
        # [gallery] (sunpy's HMISynopticMap of 2020-2022 took only this exact CONTENT and read the Mr
        # file with it), [probe] (the Mr file of CR 2200 has it); [synop] shows the wording.
        kw("CONTENT", "string", "constant", "Carrington Synoptic Chart Of Br Field", note="Content of the data"),
        kw("HISTORY", "string", "constant", hist, note="processing history of data"),
        kw("BLD_VERS", "int", "variable", note="Code release build number"),
        kw("CTYPE1", "string", "constant", "CRLN-CEA", note="Carrington longitude, cylindrical equal area"),
        kw("CTYPE2", "string", "constant", "CRLT-CEA", note="sine latitude, cylindrical equal area"),
        kw("CRPIX1", "float", "variable", units="pixel", note="reference pixel in x: CARRTIME"),
        kw("CRPIX2", "float", "variable", units="pixel", note="reference pixel in y: the equator"),
        kw("CRVAL1", "double", "variable", units="degree", note="Carrington time at CRPIX1"),
        kw("CRVAL2", "float", "variable", units="Sine Latitude", note="sine latitude at CRPIX2"),
        kw("CDELT1", "float", "variable", units="degree", note="longitude step"),
        kw("CDELT2", "float", "variable", units="Sine Latitude", note="sine latitude step"),
        kw("CUNIT1", "string", "constant", "Degree", note="Degree"),
        kw("CUNIT2", "string", "constant", "Sine Latitude", note="Sine Latitude"),
        kw("CRDER1", "double", "variable", note="random error in coordinate 1"),
        kw("CRDER2", "double", "variable", note="random error in coordinate 2"),
        kw("CSYSER1", "double", "variable", note="systematic error in coordinate 1"),
        kw("CSYSER2", "double", "variable", note="systematic error in coordinate 2"),
        kw("WCSNAME", "string", "constant", "Carrington Heliographic", note="WCS system name"),
        kw("CADENCE", "float", "constant", "360.0", "seconds", "repetition interval"),
        kw("DATASIGN", "int", "constant", "1", note="sign of the data"),
        kw("T_OBS", "time", "variable", units="TAI", note="nominal time: T_ROT"),
        kw("T_START", "time", "variable", units="TAI", note="start time of the Carrington rotation"),
        kw("T_STOP", "time", "variable", units="TAI", note="end time of the Carrington rotation"),
        kw("T_ROT", "time", "variable", units="TAI", note="time of the central meridian of CARRTIME"),
        kw("T_EARTH", "time", "variable", units="TAI", note="time seen from Earth"),
        kw("CAR_ROT", "int", "variable", note="Carrington rotation number"),
        kw("CARRTIME", "double", "variable", units="degree", note="Carrington time of the map centre"),
        kw("B0_ROT", "float", "variable", units="degree", note="B0 angle at T_ROT"),
        kw("B0_FRST", "float", "variable", units="degree", note="B0 angle at T_START"),
        kw("B0_LAST", "float", "variable", units="degree", note="B0 angle at T_STOP"),
        kw("EARTH_B0", "float", "variable", units="degree", note="B0 angle seen from Earth"),
        kw("LON_FRST", "double", "variable", units="degree", note="first Carrington time of the map"),
        kw("LON_LAST", "double", "variable", units="degree", note="last Carrington time of the map"),
        kw("LON_STEP", "float", "constant", "-0.1", "degree", "longitude step"),
        kw("W_OFFSET", "float", "constant", "0.0", "degree", "offset of the weighting window"),
        kw("W_WEIGHT", "string", "constant", "Even", note="weighting of the window"),
        kw("IMG_NUM", "int", "variable", note="number of magnetograms used"),
        kw("IMG_FRST", "time", "variable", units="TAI", note="first magnetogram used"),
        kw("IMG_LAST", "time", "variable", units="TAI", note="last magnetogram used"),
        kw("IMG_ROT", "time", "variable", units="TAI", note="magnetogram nearest T_ROT"),
        kw("HWNWIDTH", "float", "constant", "15.0", "degree", "half width of the window"),
        kw("EQPOINTS", "float", "constant", "20.0", note="points per degree at the equator"),
        kw("NSIGMA", "float", "constant", "3.0", note="rejection threshold in sigma"),
        kw("CARSTRCH", "int", "constant", "1", note="differential rotation correction applied"),
        kw("DIFROT_A", "float", "constant", "13.562", "deg/day", "differential rotation coefficient A"),
        kw("DIFROT_B", "float", "constant", "-2.04", "deg/day", "differential rotation coefficient B"),
        kw("DIFROT_C", "float", "constant", "-1.4875", "deg/day", "differential rotation coefficient C"),
        kw("TOTVALS", "int", "variable", note="Expected number of data values (pixels)"),
        kw("DATAVALS", "int", "variable", note="Actual number of data values (pixels)"),
        kw("MISSVALS", "int", "variable", note="Missing values: TOTVALS - DATAVALS"),
        kw("DATAMIN", "float", "variable", units="Mx/cm^2", note="Minimum value of all pixels"),
        kw("DATAMAX", "float", "variable", units="Mx/cm^2", note="Maximum value of all pixels"),
        kw("DATAMEDN", "float", "variable", units="Mx/cm^2", note="Median value of all pixels"),
        kw("DATAMEAN", "float", "variable", units="Mx/cm^2", note="Mean value of all pixels"),
        kw("DATARMS", "float", "variable", units="Mx/cm^2", note="Rms deviation from the mean of all pixels"),
        kw("DATASKEW", "float", "variable", note="Skewness of all pixels"),
        kw("DATAKURT", "float", "variable", note="Kurtosis of all pixels"),
        kw("CALVER64", "longlong", "variable", note="Calibration Version"),
        kw("CODEVER", "string", "variable", note="code version"),
        kw("QUALITY", "int", "variable", note="Quality word"),
    ]
    # The note "0.0" is the real one: series-catalog.json lists segment synopMr with note "0.0".
    segments = [seg("synopMr", "float", "Mx/cm^2", f"{SYNOPTIC_NX}x{SYNOPTIC_NY}", "0.0")]
    return struct("HMI synoptic chart of Mr field. Mr is converted from Mlos", ["CAR_ROT"], {},
                  keywords, segments, unitsize=1, tapegroup=14)


# --------------------------------------------------------------------------------------
# MDI level 1.8.2 full-disk observables.
# --------------------------------------------------------------------------------------
def mdi_fd(cadence, bunit, content, datasign, *, segnote, note):
    step = f"{float(cadence):.1f}"
    stat = [("DATAMIN", "Minimum value from all pixels"), ("DATAMAX", "Maximum value from all pixels"),
            ("DATAMEDN", "Median value from all pixels"), ("DATAMEAN", "Mean value from all pixels"),
            ("DATARMS", "Rms deviation from the mean value of all pixels"),
            ("DATASKEW", "Skewness from the mean value of all pixels"),
            ("DATAKURT", "Kurtosis of all pixels")]
    keywords = [
        kw("DATE", "time", "variable", units="ISO", note="Date_time of processing; ISO 8601 format UTC"),
        kw("DATE__OBS", "time", "variable", units="ISO", note="[DATE-OBS] DATE_OBS = T_OBS - EXPTIME/2.0"),
        kw("TELESCOP", "string", "constant", "SOHO", note="For MDI: SOHO"),
        kw("INSTRUME", "string", "constant", "MDI", note="For MDI: MDI"),
        kw("WAVELNTH", "float", "constant", "6768.0", "Angstrom", "For MDI: 6767.8 Angstroms, Ni I"),
        kw("BUNIT", "string", "constant", bunit, note=f"BUNIT: physical units of data, {bunit}"),
        kw("ORIGIN", "string", "constant", "SOI Stanford", note="ORIGIN: location where file made"),
        kw("CONTENT", "string", "constant", content, note=f"CONTENT: {content}"),
        kw("DPC", "int", "variable", note="Data Product Code"),
        kw("OBS_MODE", "string", "variable", note="MDI observing mode"),
        kw("QUALITY", "int", "variable", QUALITY_MISSING, note="Level 1.8 Quality word"),
        kw("HISTORY", "string", "variable", note="processing history of data"),
        kw("COMMENT", "string", "variable", note="commentary on the data"),
        kw("BLD_VERS", "string", "variable", note="Code release build number of program that created this record"),
        kw("SOURCE", "string", "variable", note="level 1.5 data used to produce this record"),
        kw("TOTVALS", "int", "variable", note="Expected number of data values (pixels)"),
        kw("DATAVALS", "int", "variable", note="Actual number of data values in images (pixels)"),
        kw("MISSVALS", "int", "variable", note="Missing values: TOTVALS - DATAVALS"),
    ] + [kw(n, "float", "variable", units=bunit, note=t) for n, t in stat] + [
        kw("CTYPE1", "string", "constant", "HPLN-TAN", note="CTYPE1: HPLN-TAN (SOLARX)"),
        kw("CTYPE2", "string", "constant", "HPLT-TAN", note="CTYPE2: HPLT-TAN (SOLARY)"),
        kw("CRPIX1", "float", "variable", units="pixel", note="CRPIX1: location of the Sun center in CCD x direction"),
        kw("CRPIX2", "float", "variable", units="pixel", note="CRPIX2: location of the Sun center in CCD y direction"),
        kw("CRVAL1", "float", "constant", "0.000000", "arcsec", "CRVAL1: x origin - center of the solar disk"),
        kw("CRVAL2", "float", "constant", "0.000000", "arcsec", "CRVAL2: y origin - center of the solar disk"),
        kw("CDELT1", "float", "variable", units="arcsec/pixel", note="image scale in the x direction"),
        kw("CDELT2", "float", "variable", units="arcsec/pixel", note="image scale in the y direction"),
        kw("CUNIT1", "string", "constant", "arcsec", "arcsec", "CUNIT1: arcsec"),
        kw("CUNIT2", "string", "constant", "arcsec", "arcsec", "CUNIT2: arcsec"),
        kw("CROTA2", "float", "variable", units="deg", note="CROTA2: rotation of solar north from image +y"),
        kw("DSUN_OBS", "double", "variable", units="m", note="Distance from SOHO to Sun center."),
        kw("DSUN_REF", "double", "constant", "149597870691", "m", "Astronomical Unit"),
        kw("RSUN_REF", "double", "constant", "696000000", "m", "Reference radius of the Sun: 696,000,000.0 m"),
        kw("RSUN_OBS", "double", "variable", units="arcsec",
           note="angular radius of Sun. Corresponds to arcsin(RSUN_REF/DSUN_OBS)"),
        kw("CRLN_OBS", "float", "variable", units="deg", note="Carrington longitude of the observer"),
        kw("CRLT_OBS", "float", "variable", units="deg", note="Carrington latitude of the observer"),
        kw("CAR_ROT", "int", "variable", note="Carrington rotation number of CRLN_OBS"),
        kw("OBS_VR", "double", "variable", units="m/s",
           note="velocity of the observer in radial direction. + is away from Sun"),
        kw("OBS_VW", "double", "variable", units="m/s", note="velocity of the observer solar-westward"),
        kw("OBS_VN", "double", "variable", units="m/s", note="velocity of the observer solar-northward"),
        kw("T_OBS", "time", "variable", units="TAI", note="nominal time"),
        kw("T_REC", "time", "ts_eq", units="TAI", note="Slot time"),
        kw("T_REC_epoch", "time", "constant", MDI_EPOCH, "TAI", "Time of origin; MDI EPOCH"),
        kw("T_REC_step", "float", "constant", step, "seconds", "ts_eq step"),
        kw("T_REC_unit", "string", "constant", "secs", note="ts_eq unit"),
        kw("CADENCE", "float", "constant", step, "seconds", "repetition interval"),
        kw("DATASIGN", "int", "constant", datasign, note="DATASIGN: sign of observable quantity wrt Sun center"),
        kw("T_REC_index", "longlong", "index", "0", note="Index keyword associated with T_REC"),
    ]
    segments = [seg("data", "float", bunit, "1024x1024", segnote)]
    return struct(note, ["T_REC"], {"T_REC": step}, keywords, segments, unitsize=96, tapegroup=4)


# --------------------------------------------------------------------------------------
# IRIS level 1.
# --------------------------------------------------------------------------------------
def iris_lev1():
    keywords = [
        kw("BLD_VERS", "string", "variable", note="Build Version: from jsoc_version.h"),
        kw("LVL_NUM", "float", "constant", "1.000000", note="LVL_NUM data level number"),
        kw("T_OBS", "time", "ts_slot", units="ISO", note="Observation time"),
        kw("T_OBS_step", "double", "constant", "1.000000", "second", "T_OBS step"),
        kw("T_OBS_epoch", "time", "constant", LEV1_SLOT_EPOCH, "TAI", ""),
        kw("T_OBS_round", "int", "constant", "1", note="center of slot"),
        kw("ORIGIN", "string", "constant", "SDO/JSOC-SDP", note="ORIGIN Location where file made"),
        kw("DATE", "time", "variable", units="ISO", note="Date_time of processing; ISO 8601"),
        kw("TELESCOP", "string", "constant", "IRIS", note="For IRIS: IRIS"),
        kw("INSTRUME", "string", "variable", note="For IRIS: SJI, FUV or NUV"),
        kw("DATE__OBS", "time", "variable", units="ISO", note="[DATE-OBS] Date when observation started; ISO 8601"),
        kw("IMG_PATH", "string", "variable", note="Image path: SJI_1330, SJI_1400, SJI_2796, SJI_2832, FUV, NUV"),
        kw("IMG_TYPE", "string", "variable", note="Image type: LIGHT or DARK"),
        kw("EXPTIME", "double", "variable", units="sec", note="Exposure duration: mean shutter open time"),
        kw("EXPSDEV", "float", "variable", units="sec", note="Exposure standard deviation"),
        kw("INT_TIME", "float", "variable", units="sec", note="CCD integration duration"),
        kw("WAVELNTH", "int", "variable", units="angstrom", note="Wavelength"),
        kw("WAVEUNIT", "string", "constant", "angstrom", note="Wavelength unit: angstrom"),
        kw("FSN", "int", "variable", note="FSN Filtergram Sequence Number"),
        kw("ISQOLTID", "int", "variable", note="IRIS observing list ID"),
        kw("ISQPID", "int", "variable", note="IRIS observing program ID"),
        kw("QUALLEV0", "int", "variable", QUALITY_MISSING, note="Level 0 Quality word"),
        kw("QUALITY", "int", "variable", QUALITY_MISSING, note="Level 1 Quality word"),
        kw("TOTVALS", "int", "variable", note="Expected number of data values (pixels)"),
        kw("DATAVALS", "int", "variable", note="Actual number of data values in image"),
        kw("MISSVALS", "int", "variable", note="Missing values: TOTVALS - DATAVALS"),
        kw("PERCENTD", "float", "variable", note="Percent data; 100*DATAVALS/TOTVALS"),
        kw("DATAMIN", "int", "variable", note="Minimum value of all pixels"),
        kw("DATAMAX", "int", "variable", note="Maximum value of all pixels"),
        kw("DATAMEDN", "int", "variable", note="Median value of all pixels"),
        kw("DATAMEAN", "float", "variable", note="Mean value of all pixels"),
        kw("DATARMS", "float", "variable", note="Rms deviation from the mean value of all pixels"),
        kw("CTYPE1", "string", "variable", note="CTYPE1; Typically HPLN-TAN (SOLARX)"),
        kw("CUNIT1", "string", "variable", note="CUNIT1; Typically arcsec"),
        kw("CRVAL1", "float", "variable", units="arcsec", note="CRVAL1: x coordinate of the reference pixel"),
        kw("CDELT1", "float", "variable", units="arcsec/pixel", note="CDELT1: image scale in the x direction"),
        kw("CRPIX1", "float", "variable", units="pixel", note="CRPIX1: reference pixel in x"),
        kw("CTYPE2", "string", "variable", note="CTYPE2; Typically HPLT-TAN (SOLARY)"),
        kw("CUNIT2", "string", "variable", note="CUNIT2; Typically arcsec"),
        kw("CRVAL2", "float", "variable", units="arcsec", note="CRVAL2: y coordinate of the reference pixel"),
        kw("CDELT2", "float", "variable", units="arcsec/pixel", note="CDELT2: image scale in the y direction"),
        kw("CRPIX2", "float", "variable", units="pixel", note="CRPIX2: reference pixel in y"),
        kw("CROTA2", "float", "variable", units="degree", note="CROTA2: rotation of the image"),
        kw("SAT_ROT", "float", "variable", units="deg", note="Angle of solar pole wrt the IRIS X axis"),
        kw("DSUN_OBS", "double", "variable", units="m", note="Distance from IRIS to Sun center"),
        kw("RSUN_OBS", "double", "variable", units="arcsec", note="Apparent radius of the Sun seen by IRIS"),
        kw("HGLN_OBS", "float", "variable", units="deg", note="Stonyhurst heliographic longitude of the observer"),
        kw("HGLT_OBS", "float", "variable", units="deg", note="Stonyhurst heliographic latitude of the observer"),
        kw("T_OBS_index", "longlong", "index", "0", note="Index keyword associated with T_OBS"),
    ]
    # FUV, NUV and SJI frames (issue 9): JSOC's comments and the keywords the emulator fills for
    # them (ISYSN, CAMERA, CCD summing, the 3-axis SG WCS and FUV2's A keywords), with their
    # sources, live in sunpy_jsocx.emulator.iris.
    from sunpy_jsocx.emulator import iris

    for k in keywords:
        k["note"] = iris.CATALOG_NOTES.get(k["name"], k["note"])
        if k["name"] in ("CRVAL1", "CDELT1", "CRPIX1", "CRVAL2", "CDELT2", "CRPIX2"):
            k["units"] = "none"  # wavelength (Angstrom) for FUV/NUV, arcsec for SJI: [jsd] gives "none"
    at = next(i for i, k in enumerate(keywords) if k["name"] == "FSN") + 1
    keywords[at:at] = [kw(n, t, "variable", units=u, note=note) for n, t, u, note in iris.CATALOG_KEYWORDS[:4]]
    at = next(i for i, k in enumerate(keywords) if k["name"] == "CROTA2")
    keywords[at:at] = [kw(n, t, "variable", units=u, note=note) for n, t, u, note in iris.CATALOG_KEYWORDS[4:]]
    segments = [seg("image_lev1", "short", "DN", "VARxVAR", "lev1 image fits file")]
    return struct("IRIS Level 1", ["T_OBS", "FSN"], {"T_OBS": "1.000000"}, keywords, segments,
                  retention=0, unitsize=1, archive=0, tapegroup=0)


# --------------------------------------------------------------------------------------
# Canonical case of series names (as JSOC spells them).  Anything not listed stays
# lower-case, which is how series-catalog.json records every name.
# --------------------------------------------------------------------------------------
CANONICAL = [
    "hmi.B_135s", "hmi.B_5760s", "hmi.B_720s", "hmi.B_720s_dcon", "hmi.B_720s_dcons",
    "hmi.B_720s_e15w1332_cea", "hmi.B_720s_e15w1332_cutout", "hmi.B_90s",
    "hmi.Bharp_720s", "hmi.Bharp_720s_nrt",
    "hmi.Ic_45s", "hmi.Ic_45s_dcon", "hmi.Ic_720s", "hmi.Ic_720s_dcon", "hmi.Ic_720s_dcons",
    "hmi.Ic_noLimbDark_720s", "hmi.Ic_noLimbDark_720s_nrt",
    "hmi.Ld_45s", "hmi.Ld_45s_dcon", "hmi.Ld_720s", "hmi.Ld_720s_dcon", "hmi.Ld_720s_dcons",
    "hmi.Lw_45s", "hmi.Lw_45s_dcon", "hmi.Lw_720s", "hmi.Lw_720s_dcon", "hmi.Lw_720s_dcons",
    "hmi.M_45s", "hmi.M_45s_dcon", "hmi.M_720s", "hmi.M_720s_dcon", "hmi.M_720s_dcons",
    "hmi.M_720s_mod", "hmi.M_720s_nrt",
    "hmi.Marmask_720s", "hmi.Marmask_720s_nrt",
    "hmi.ME_135s", "hmi.ME_5760s", "hmi.ME_720s_e15w1332", "hmi.ME_720s_fd10", "hmi.ME_720s_fd10_nrt",
    "hmi.ME_90s", "hmi.MEharp_720s", "hmi.MEharp_720s_nrt", "hmi.Mharp_720s", "hmi.Mharp_720s_nrt",
    "hmi.Mldailysynframe_720s", "hmi.Mldailysynframe_720s_nrt",
    "hmi.Mldailysynframe_small_720s", "hmi.Mldailysynframe_small_720s_nrt",
    "hmi.Mrdailysynframe_720s", "hmi.Mrdailysynframe_720s_nrt", "hmi.Mrdailysynframe_polfil_720s",
    "hmi.Mrdailysynframe_small_720s", "hmi.Mrdailysynframe_small_720s_nrt",
    "hmi.Mrmap_latlon_720s", "hmi.Mrmap_latlon_720s_nrt",
    "hmi.rdVavgpspec_fd15", "hmi.rdVavgpspec_fd30", "hmi.rdVfitsc_avg15", "hmi.rdVfitsc_avg30",
    "hmi.rdVfitsc_fd05", "hmi.rdVfitsc_fd15", "hmi.rdVfitsc_fd30",
    "hmi.rdVfitsf_fd05", "hmi.rdVfitsf_fd15", "hmi.rdVfitsf_fd30",
    "hmi.rdVflows_fd15_frame", "hmi.rdVflows_fd30_frame",
    "hmi.rdVpspec_fd05", "hmi.rdVpspec_fd15", "hmi.rdVpspec_fd30",
    "hmi.rdVtrack_fd05", "hmi.rdVtrack_fd15", "hmi.rdVtrack_fd30",
    "hmi.S_135s", "hmi.S_5760s", "hmi.S_720s", "hmi.S_720s_dcon", "hmi.S_720s_dcons", "hmi.S_90s",
    "hmi.Synoptic_Ml_720s", "hmi.Synoptic_Ml_720s_nrt", "hmi.Synoptic_Ml_small_720s_nrt",
    "hmi.Synoptic_Mr_720s", "hmi.Synoptic_Mr_720s_nrt", "hmi.Synoptic_Mr_polfil_720s",
    "hmi.Synoptic_Mr_small_720s_nrt",
    "hmi.V_45s", "hmi.V_45s_dcon", "hmi.V_45s_nrt", "hmi.V_720s", "hmi.V_720s_dcon", "hmi.V_720s_dcons",
    "hmi.V_avg120", "hmi.V_sht_2drls", "hmi.V_sht_2drls_asym", "hmi.V_sht_72d", "hmi.V_sht_gaps_72d",
    "hmi.V_sht_gf_72d", "hmi.V_sht_gf_gaps_72d", "hmi.V_sht_gf_gaps_retile", "hmi.V_sht_gf_retile",
    "hmi.V_sht_modes", "hmi.V_sht_modes_archive", "hmi.V_sht_modes_asym", "hmi.V_sht_modes_asym_archive",
    "hmi.V_sht_pow", "hmi.V_sht_secs_72d",
    "hmi.vw_V_45s", "hmi.vw_V_45s_nrt", "hmi.vw_V_sht_2drls", "hmi.vw_V_sht_72d", "hmi.vw_V_sht_gaps_72d",
    "hmi.vw_V_sht_gf_72d", "hmi.vw_V_sht_gf_gaps_72d", "hmi.vw_V_sht_modes", "hmi.vw_V_sht_modes_archive",
    "hmi.vw_V_sht_pow",
    "mdi.fd_Ic", "mdi.fd_M_96m_lev182", "mdi.fd_M_lev182", "mdi.fd_V",
    "mdi.fd_V_sht", "mdi.fd_V_sht_2drls", "mdi.fd_V_sht_2drls_asym", "mdi.fd_V_sht_gaps", "mdi.fd_V_sht_gf",
    "mdi.fd_V_sht_gf_gaps", "mdi.fd_V_sht_modes", "mdi.fd_V_sht_modes_archive", "mdi.fd_V_sht_modes_asym",
    "mdi.fd_V_sht_modes_asym_archive", "mdi.fd_V_sht_pow", "mdi.fd_V_sht_secs", "mdi.fdV_avg120",
    "mdi.rdVfitsc_dp", "mdi.rdVfitsf_dp", "mdi.rdVflows_dp", "mdi.rdVpspec_dp", "mdi.rdVtrack_dp",
    "mdi.vw_V", "mdi.vw_V_sht_2drls", "mdi.vw_V_sht_2drls_asym", "mdi.vw_V_sht_72d", "mdi.vw_V_sht_gaps_72d",
    "mdi.vw_V_sht_gf_72d", "mdi.vw_V_sht_gf_gaps_72d", "mdi.vw_V_sht_gf_gaps_retile", "mdi.vw_V_sht_gf_retile",
    "mdi.vw_V_sht_modes", "mdi.vw_V_sht_modes_archive", "mdi.vw_V_sht_modes_asym",
    "mdi.vw_V_sht_modes_asym_archive", "mdi.vw_V_sht_pow", "mdi.vw_V_sht_secs_72d",
]


# --------------------------------------------------------------------------------------
# Assembly.
# --------------------------------------------------------------------------------------
def _sibling(name):
    """Import the catalogue module ``tools/<name>.py`` (definitions kept beside this script)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_catalog_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_templates(shared: Path):
    directory = shared / "jsoc-reference" / "series_struct"
    templates = {}
    for stem, canonical in REAL_SERIES.items():
        answer = json.loads((directory / f"{stem}.json").read_text())
        for member in PER_REQUEST_MEMBERS:
            answer.pop(member, None)
        templates[canonical] = answer
    return templates


def build_series(templates):
    """Return ``{canonical name: series file dict}`` for every fully defined series."""
    out = {}

    def add(name, ss, **emu):
        out[name] = {"name": name, "series_struct": ss, "emulator": emulator_block(name, ss, **emu)}

    # ---- the five recorded answers ------------------------------------------------
    add("aia.lev1_euv_12s", templates["aia.lev1_euv_12s"], instrument="AIA", time_key="T_REC",
        epoch=AIA_EPOCH, step=12.0, first="2010.05.13_00:00:36_TAI",
        axes=[{"key": "WAVELNTH", "values": AIA_EUV}], image_dims="4096x4096",
        segment_files={"image": "image_lev1.fits", "spikes": "spikes.fits"},
        slot_origin=AIA_SLOT_ORIGIN, record_values=aia_pointing_values(AIA_EUV))
    for name, instrume in (("hmi.M_45s", "HMI_FRONT2"), ("hmi.V_45s", "HMI_FRONT2")):
        add(name, templates[name], instrument="HMI", time_key="T_REC", epoch=MDI_EPOCH, step=45.0,
            first="2010.03.29_08:00:00_TAI", axes=[{"key": "CAMERA", "values": [2]}],
            image_dims="4096x4096", extra_constants={"INSTRUME": instrume})
    for name in ("hmi.sharp_720s", "hmi.sharp_cea_720s"):
        add(name, templates[name], instrument="HMI", time_key="T_REC", epoch=MDI_EPOCH, step=720.0,
            first="2010.05.01_00:00:00_TAI", harp={"key": "HARPNUM"}, image_dims=None,
            extra_constants={"INSTRUME": "HMI_SIDE1", "CAMERA": "1"})

    # ---- AIA -------------------------------------------------------------------------
    add("aia.lev1_uv_24s", aia_synoptic(templates, 24, "AIA Level 1, 24 second cadence"),
        instrument="AIA", time_key="T_REC", epoch=AIA_EPOCH, step=24.0, first="2010.05.13_00:00:48_TAI",
        axes=[{"key": "WAVELNTH", "values": AIA_UV}], image_dims="4096x4096",
        segment_files={"image": "image_lev1.fits", "spikes": "spikes.fits"}, slot_origin=AIA_SLOT_ORIGIN,
        record_values=aia_pointing_values(AIA_UV))
    add("aia.lev1_vis_1h", aia_synoptic(templates, 3600, "AIA Level 1, 3600 second cadence"),
        instrument="AIA", time_key="T_REC", epoch=AIA_EPOCH, step=3600.0, first="2010.05.13_00:00:00_TAI",
        axes=[{"key": "WAVELNTH", "values": AIA_VIS}], image_dims="4096x4096",
        segment_files={"image": "image_lev1.fits", "spikes": "spikes.fits"}, slot_origin=AIA_SLOT_ORIGIN,
        record_values=aia_pointing_values(AIA_VIS))
    add("aia.lev1", aia_lev1(templates), instrument="AIA", time_key="T_REC", epoch=LEV1_SLOT_EPOCH,
        step=1.0, first="2010.05.13_00:00:36_TAI", axes=[], image_dims="4096x4096",
        cadence=12.0, fsn_from_time=True, cycle_values={"WAVELNTH": AIA_EUV + AIA_UV})
    combos, values = aia_response_records()
    add("aia.response", aia_response(), instrument="AIA", time_key=None, image_dims=None, combos=combos,
        record_values=values)
    add("aia.master_pointing3h", aia_master_pointing3h(), instrument="AIA", time_key="T_START",
        epoch=MPT_SLOT_ORIGIN, step=3 * 3600.0, first=MPT_FIRST, image_dims=None, slot_origin=MPT_SLOT_ORIGIN,
        utc_slots=True, record_values=aia_master_pointing_values(),
        time_offsets={"T_STOP": {"from": "T_START", "seconds": 3 * 3600.0}})

    # ---- HMI line-of-sight observables -------------------------------------------------
    los = [
        ("hmi.Ic_45s", "continuum", 45, "continuum intensities with a cadence of 45 seconds."),
        ("hmi.Lw_45s", "linewidth", 45, "linewidths with a cadence of 45 seconds."),
        ("hmi.Ld_45s", "linedepth", 45, "linedepths with a cadence of 45 seconds."),
        ("hmi.M_720s", "magnetogram", 720, "magnetograms with a cadence of 720 seconds."),
        ("hmi.V_720s", "Dopplergram", 720, "Dopplergrams with a cadence of 720 seconds"),
        ("hmi.Ic_720s", "continuum", 720, "continuum intensities with a cadence of 720 seconds."),
        ("hmi.Lw_720s", "linewidth", 720, "linewidths with a cadence of 720 seconds."),
        ("hmi.Ld_720s", "linedepth", 720, "linedepths with a cadence of 720 seconds."),
    ]
    for name, observable, cadence, note in los:
        if cadence == 45:
            first, camera, instrume = "2010.03.29_08:00:00_TAI", 2, "HMI_FRONT2"
        else:
            first, camera, instrume = "2010.04.30_00:00:00_TAI", 1, "HMI_SIDE1"
        add(name, hmi_los(templates, observable, cadence, note), instrument="HMI", time_key="T_REC",
            epoch=MDI_EPOCH, step=float(cadence), first=first, axes=[{"key": "CAMERA", "values": [camera]}],
            image_dims="4096x4096", extra_constants={"INSTRUME": instrume})

    # ---- HMI vector field -----------------------------------------------------------
    for name, which in (("hmi.ME_720s_fd10", "ME"), ("hmi.B_720s", "B")):
        add(name, hmi_vector(templates, which), instrument="HMI", time_key="T_REC", epoch=MDI_EPOCH,
            step=720.0, first="2010.05.01_00:00:00_TAI", image_dims="4096x4096",
            extra_constants={"INSTRUME": "HMI_SIDE1", "CAMERA": "1"})

    # ---- HMI helioseismology and synoptic maps ----------------------------------------
    add("hmi.V_sht_2drls", hmi_v_sht_2drls(), instrument="HMI", time_key="T_START", epoch=MDI_EPOCH,
        step=86400.0, cadence=72 * 86400.0, first="2010.04.30_00:00:00_TAI", combos=SHT_COMBOS,
        segment_files={"split": "splittings.out", "rot": "rot.2d", "err": "err.2d"},
        extra_constants={"NDT": "138240", "MAPMMAX": "300", "SINBDIVS": "300", "MFLIPPED": "0"},
        # A record spans SHT_SPAN (72 days, drms's plot_hmi_modes.py); T_STOP is "beginning of
        # following time period", T_OBS the midpoint "=(T_START+T_STOP)/2".
        time_offsets={"T_STOP": {"from": "T_START", "seconds": SHT_SPAN},
                      "T_OBS": {"from": "T_START", "seconds": SHT_SPAN / 2}})
    add("hmi.V_sht_modes", hmi_v_sht_modes(), instrument="HMI", time_key="T_START", epoch=MDI_EPOCH,
        step=86400.0, cadence=SHT_SPAN, first="2010.04.30_00:00:00_TAI", combos=SHT_MODES_COMBOS,
        segment_files=SHT_MODES_FILES, extra_constants={"MAPMMAX": "300", "SINBDIVS": "300", "MFLIPPED": "0"},
        # [drmsex] 72-day grid from 2010.04.30; T_STOP "beginning of following time period", T_OBS the midpoint.
        # DATE ("time the record was last updated"): the fit needs the whole series, so 14 days after T_STOP
        # (emulator choice: no public record shows the delay).
        time_offsets={"T_STOP": {"from": "T_START", "seconds": SHT_SPAN},
                      "T_OBS": {"from": "T_START", "seconds": SHT_SPAN / 2},
                      "DATE": {"from": "T_START", "seconds": SHT_SPAN + 14 * 86400.0}})
    axes, values = synoptic_records()
    add("hmi.Synoptic_Mr_720s", hmi_synoptic_mr(), instrument="HMI", time_key=None, axes=axes,
        image_dims=f"{SYNOPTIC_NX}x{SYNOPTIC_NY}", extra_constants=SYNOPTIC_CONSTANTS,
        segment_files={"synopMr": "synopMr.fits"}, record_values=values)
    # hmi.meanpf_720s: defined in tools/catalog_polarfield.py (sources there), values in emulator/polarfield.py.
    polarfield = _sibling("catalog_polarfield")
    add("hmi.meanpf_720s", polarfield.hmi_meanpf_720s(kw, seg, struct), **polarfield.emulator_options())
    # hmi.rdVflows_fd15_frame: sources and choices in sunpy_jsocx/emulator/rings.py, which also writes the
    # files of its Ux/Uy segments: directories of text files (JSOC's rdvinv), not images.
    from sunpy_jsocx.emulator import rings

    combos, values = rings.catalogue_records()
    add(rings.SERIES, rings.catalogue_struct(kw, seg, struct), instrument="HMI", time_key=None, combos=combos,
        image_dims=None, segment_files={s: s for s in rings.SEGMENTS}, extra_constants=rings.CONSTANTS,
        record_values=values)
    out[rings.SERIES]["emulator"]["segment_kinds"] = {s: "text" for s in rings.SEGMENTS}

    # ---- MDI ---------------------------------------------------------------------------
    mdi = [
        ("mdi.fd_M_96m_lev182", 5760, "Gauss", "MAGNETOGRAM", "1", "MDI Magnetogram",
         "MDI Full Disk 96m Magnetogram", "2011.04.11_22:24:00_TAI"),
        ("mdi.fd_M_lev182", 60, "Gauss", "MAGNETOGRAM", "1", "MDI Magnetogram",
         "MDI Full Disk 01-m Magnetogram", "2011.04.11_23:59:00_TAI"),
        ("mdi.fd_V", 60, "m/s", "DOPPLERGRAM", "-1", "MDI Dopplergram",
         "MDI Full Disk Dopplergram", "2011.04.11_23:59:00_TAI"),
    ]
    for name, cadence, bunit, content, sign, segnote, note, last in mdi:
        add(name, mdi_fd(cadence, bunit, content, sign, segnote=segnote, note=note), instrument="MDI", time_key="T_REC",
            epoch=MDI_EPOCH, step=float(cadence), first="1996.05.01_00:00:00_TAI", last=last,
            image_dims="1024x1024")

    # ---- IRIS ----------------------------------------------------------------------------
    from sunpy_jsocx.emulator import iris

    add("iris.lev1", iris_lev1(), instrument="IRIS", time_key="T_OBS", epoch=LEV1_SLOT_EPOCH, step=1.0,
        first="2013.07.17_00:00:35_TAI", image_dims="4144x1096", fsn_from_time=True,
        cadence=iris.PROGRAM["frame_spacing"][0])  # FUV, NUV, SJI frames in turn: emulator.iris
    return out


def build_catalog(shared: Path, series):
    real = json.loads((shared / "jsoc-reference" / "series-catalog.json").read_text())
    canonical = {n.lower(): n for n in CANONICAL}
    canonical.update({n.lower(): n for n in series})
    notes = {}
    for name, note in real["series_store"]:
        notes[name.lower()] = (canonical.get(name.lower(), name), note)
    for name, entry in series.items():
        notes[name.lower()] = (name, entry["series_struct"]["note"])
    rows = sorted((list(v) for v in notes.values()), key=lambda r: (r[0].lower(), r[0]))

    segments = {tuple(s) for s in real["segments"]}
    for entry in series.values():
        for s in entry["series_struct"]["segments"]:
            segments.add((s["name"], s["note"]))
    return {"series": rows, "segments": [list(s) for s in sorted(segments)]}


def dumps(obj) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=True) + "\n"


def render(shared: Path):
    """Return ``{relative path: text}`` for every data file."""
    templates = load_templates(shared)
    series = build_series(templates)
    files = {f"series/{name.lower()}.json": dumps(entry) for name, entry in series.items()}
    files["catalog.json"] = dumps(build_catalog(shared, series))
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", default=str(PROJECT_ROOT.parent / "shared"),
                        help="path of the shared reference directory (default: ../shared)")
    parser.add_argument("--out", default=str(DATA_DIR), help="data directory to write")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if any data file differs from what would be written")
    args = parser.parse_args(argv)
    shared, out = Path(args.shared), Path(args.out)
    files = render(shared)
    stale = [rel for rel, text in files.items()
             if not (out / rel).is_file() or (out / rel).read_text() != text]
    if out.joinpath("series").is_dir():
        expected = {rel for rel in files if rel.startswith("series/")}
        stale += [f"series/{p.name} (unexpected)" for p in sorted(out.joinpath("series").glob("*.json"))
                  if f"series/{p.name}" not in expected]
    if args.check:
        for rel in stale:
            print(f"out of date: {rel}", file=sys.stderr)
        return 1 if stale else 0
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
