"""The catalogue definition of hmi.meanpf_720s, for ``tools/build_catalog.py``.

Sources (all public; the values themselves are modelled in ``sunpy_jsocx.emulator.polarfield``):

* [meanpf]: JSOC's module meanpf.c (X. Sun, 2015; find_string id 5096946518), which fills the
  series from hmi.M_720s: it copies T_REC, QUALITY, CRLT_OBS, CRLN_OBS, CAR_ROT and OBS_VR from
  the magnetogram, sets DATE (processing time, ISO), THRESH (120 G), DA, BANDN1-3, BANDS1-3,
  CAPN1-2, CAPS1-2, NUMN1-3, NUMS1-3, WN1-3, WS1-3, FLUXN_P/N, FLUXS_P/N, FLATN_P/N, FLATS_P/N
  (all with drms_setkey_double), and writes four one-dimensional 180-element double segments
  mf_br, mf_bl, w, num. It also copies INTERVAL "for MDI": left out here.
* [cp]: JSOC's cp_polarfield.c (find_string id 5505987491): the same four segments, Rice
  compressed, T_REC the record's time; out= defaults to hmi.meanpf_720s.
* [attrs]: sunpy's sunpy/net/jsoc/data/attrs.json: note "Mean polar field and AR field with a
  cadence of 720 seconds." (the series note, and the 720-s step of T_REC).
* [file]: a public script (find_string "meanpf_720s", id 7673870407) opens
  hmi.meanpf_720s.20170108_192400_TAI.mf_br.fits: a 19:24:00 record exists, so the records sit
  on the 720-s grid of hmi.M_720s, not on a daily one; another (id 12290370840) reads BANDN3 and
  BANDS3 from the primary header of daily mf_br files, another (id 7138942697) reads mf_br as
  180 latitude values per day from 2010.05.01_00_TAI on.
* [segnotes]: JSOC's segment list (../shared/jsoc-reference/series-catalog.json) holds mf_br "Mean Br in
  1 deg latitude bins, weighted average (1/mu)", mf_bl "Mean Bl in 1 deg latitude bins, numerical
  average", w "Total of 1/mu in 1 deg latitude bins", num "Total pixel number in 1 deg latitude bins".
* [notebook]: a JSOC notebook (read_file id 18320964469): CAPN2 "Mean radial field in N60-N90",
  CAPS2 in S60-S90, gauss.

Emulator choices: the keyword types of the copied keywords are hmi.M_720s's; T_REC's companions
are hmi.M_720s's (MDI epoch, 720-s step); units and notes of the computed keywords are the
emulator's wording of [meanpf]'s definitions; the first record is 2010.05.01_00:00:00_TAI (the
notebook's and drms's example's start).
"""

from __future__ import annotations

MDI_EPOCH = "1993.01.01_00:00:00_TAI"
FIRST = "2010.05.01_00:00:00_TAI"
NOTE = "Mean polar field and AR field with a cadence of 720 seconds."  # [attrs]
#: Keywords with one value in every record (THRESH: [meanpf]'s BRTHRESH).
CONSTANTS = {"THRESH": "120.0"}


def hmi_meanpf_720s(kw, seg, struct):
    """series_struct of hmi.meanpf_720s, built with build_catalog's ``kw``, ``seg`` and ``struct``."""
    bands = {1: "50-60", 2: "60-70", 3: "70-90"}
    keywords = [
        kw("T_REC", "time", "ts_eq", units="TAI", note="Slot time"),
        kw("T_REC_epoch", "time", "constant", MDI_EPOCH, "TAI", "Time of origin; MDI EPOCH"),
        kw("T_REC_step", "float", "constant", "720.0", "seconds", "ts_eq step"),
        kw("T_REC_unit", "string", "constant", "secs", note="ts_eq unit"),
        kw("DATE", "time", "variable", units="ISO", note="Date_time of processing; ISO 8601 format UTC"),
        kw("QUALITY", "int", "variable", "0x80000000", note="Quality word of the hmi.M_720s input"),
        kw("CRLT_OBS", "float", "variable", units="deg", note="Carrington latitude of the observer"),
        kw("CRLN_OBS", "float", "variable", units="deg", note="Carrington longitude of the observer"),
        kw("CAR_ROT", "int", "variable", note="Carrington rotation number of CRLN_OBS"),
        kw("OBS_VR", "double", "variable", units="m/s",
           note="velocity of the observer in radial direction. + is away from Sun"),
        kw("THRESH", "double", "variable", units="Gauss", note="|Br| threshold of the FLUX and FLAT keywords"),
        kw("DA", "double", "variable", units="Mm^2", note="Pixel area on the Sun at disk center"),
    ]
    for h, hemi in (("N", "north"), ("S", "south")):
        for k in (3, 2, 1):
            keywords.append(kw(f"BAND{h}{k}", "double", "variable", units="Gauss",
                               note=f"Mean radial field, {hemi} {bands[k]} deg"))
    for h, hemi in (("N", "north"), ("S", "south")):
        for k, span in ((2, "60-90"), (1, "50-90")):
            keywords.append(kw(f"CAP{h}{k}", "double", "variable", units="Gauss",
                               note=f"Mean radial field, {hemi} {span} deg"))
    for prefix, what, units in (("NUM", "Number of pixels", "none"), ("W", "Sum of 1/mu weights", "none")):
        for h, hemi in (("N", "north"), ("S", "south")):
            for k in (3, 2, 1):
                keywords.append(kw(f"{prefix}{h}{k}", "double", "variable", units=units,
                                   note=f"{what}, {hemi} {bands[k]} deg"))
    for h, hemi in (("N", "north"), ("S", "south")):
        for p, pol in (("P", "positive"), ("N", "negative")):
            keywords.append(kw(f"FLUX{h}_{p}", "double", "variable", units="1e20 Mx",
                               note=f"Flux of {pol} |Br| >= THRESH pixels, {hemi} of the equator within 40 deg"))
    for h in "NS":
        for p, pol in (("P", "positive"), ("N", "negative")):
            keywords.append(kw(f"FLAT{h}_{p}", "double", "variable", units="deg",
                               note=f"Flux-weighted latitude of the {pol} FLUX{h}_{p} pixels"))
    keywords += [
        kw("cparms_sg000", "string", "variable", "compress Rice"),
        kw("cparms_sg001", "string", "variable", "compress Rice"),
        kw("cparms_sg002", "string", "variable", "compress Rice"),
        kw("cparms_sg003", "string", "variable", "compress Rice"),
        kw("T_REC_index", "longlong", "index", "0", note="Index keyword associated with T_REC"),
    ]
    # Notes: JSOC's own, from its segment list (../shared/jsoc-reference/series-catalog.json) [segnotes].
    segments = [
        seg("mf_br", "double", "Gauss", "180", "Mean Br in 1 deg latitude bins, weighted average (1/mu)"),
        seg("mf_bl", "double", "Gauss", "180", "Mean Bl in 1 deg latitude bins, numerical average"),
        seg("w", "double", "none", "180", "Total of 1/mu in 1 deg latitude bins"),
        seg("num", "double", "none", "180", "Total pixel number in 1 deg latitude bins"),
    ]
    return struct(NOTE, ["T_REC"], {"T_REC": "720.0"}, keywords, segments, unitsize=1, tapegroup=14,
                  dbindex=["T_REC_index"])


def emulator_options():
    """The emulator-block arguments of build_catalog's ``add`` for hmi.meanpf_720s."""
    return {"instrument": "HMI", "time_key": "T_REC", "epoch": MDI_EPOCH, "step": 720.0, "first": FIRST,
            "image_dims": None, "extra_constants": CONSTANTS}
