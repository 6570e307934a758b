"""
When in its slot each AIA channel observes: ``T_OBS - T_REC`` per wavelength, with sources.

AIA takes its channels at fixed moments of a 12-s (EUV), 24-s (UV) or hourly (4500) cycle, so
each channel's ``T_OBS`` sits a fixed time after the record's ``T_REC``. Every value below is read
from public artifacts (kept whole, with the derivation, in
``tests/emulator/data/aia_export_names.json``):

* ``[cass304]`` JSOC's rs_list answer for 304 A, 2014-01-01 (sunpy's cassette
  ``test_search_metadata.yaml``, sunpy/sunpy@b361c0cda): T_REC 00:00:01Z, T_OBS 00:00:08.57Z,
  every record of the answer +7.57..7.59 s.
* ``[aia171]`` sunpy's ``aia_171_level1.fits``: T_OBS 2011-02-15T00:00:01.34Z, i.e. 11.34 s
  after the 12-s slot 2011-02-14T23:59:50Z (TAI-UTC 34 s; slots on whole 12 s of TAI).
* ``[lmsal]`` file names ``aia_lev1_<wl>a_<DATE-OBS>z_image_lev1.fits`` of the LMSAL/VSO
  archive (aiapy's sample data, LM-SAL/aiapy@afc3db7 aiapy/data/_sample.py, and scripts that
  read such files): they carry DATE-OBS, the start of the exposure, to 0.01 s ([cass304]'s
  DATE__OBS 07.12 against T_OBS 08.57 and [aia171]'s 00.34 against 01.34 show T_OBS =
  DATE-OBS + EXPTIME/2). Their phase in the slot is the same in every year found (193: 5.84 s
  in six names 2013-2019; 211: 10.62-10.63 s in four, 2011-2017; 1600: 3.12-3.13 s in four,
  2012-2017; 1700: 17.71-17.73 s in five, 2014-2020), so T_OBS - T_REC = phase + EXPTIME / 2
  (`sunpy_jsocx.emulator.evidence.AIA_EXPTIME`).
* ``[names]`` names of real JSOC ``fits`` exports made with drms's default ``filenamefmt``
  (RobertJaro/SuNeRF, suncast-org/pyAMPP and others): they carry the T_OBS of the linked
  aia.lev1 record rounded to the second (`sunpy_jsocx.emulator.links`), so they bound each
  offset to an interval of one second; every value below lies in its channel's interval.

A record whose T_OBS is past its slot's end (211: DATE-OBS 10.62 s + 1.45 s) belongs to the
next slot: pyAMPP's one-slot search of 2020-01-01T00:00:00 returned 211 with T_OBS
2019-12-31T23:59:59Z, the slot's own second, with the six other channels 1-11 s later.
"""

from __future__ import annotations

__all__ = ["AIA_T_OBS_OFFSET", "DEFAULT_T_OBS_OFFSET"]

#: T_OBS - T_REC in seconds per AIA wavelength, and where the value comes from.
AIA_T_OBS_OFFSET = {
    94: (1.57, "[lmsal] aiapy sample 94 A DATE-OBS 2019-01-01T00:00:11.12Z: phase 0.12 s + EXPTIME/2 1.45 s; "
               "[names] pyAMPP 2020-01-01T000001Z in the slot 2019-12-31T23:59:59Z: +1.5..2.5 s"),
    131: (9.0, "emulator choice: the middle of +8.5..9.5 s that [names] allow (pyAMPP 2020-01-01T000008Z in the "
               "slot 2019-12-31T23:59:59Z); the one [lmsal] 131 name found is of a flare (2012-07-19) and off"),
    171: (11.34, "[aia171] T_OBS 2011-02-15T00:00:01.34Z, 11.34 s into its slot; [lmsal] 171 phases 10.34, "
                 "10.35 s + EXPTIME/2 1.00 s; [names] 171 at +11 s in nine names 2010-2025, +10 s in two"),
    193: (6.84, "[lmsal] 193 phase 5.84 s in six names 2013-2019 + EXPTIME/2 1.00 s; [names] +7 s (SuNeRF "
                "2012-08-30, pyAMPP 2020-01-01)"),
    211: (0.07, "[lmsal] 211 phase 10.62-10.63 s in four names 2011-2017 + EXPTIME/2 1.45 s = 12.07 s, i.e. "
                "0.07 s into the next slot; [names] +0 s (SuNeRF 2012-08-30, pyAMPP 2019-12-31T235959Z)"),
    304: (7.57, "[cass304] T_OBS 2014-01-01T00:00:08.57Z for T_REC 00:00:01Z; [names] +8 s in eight names 2011-2024"),
    335: (3.07, "[lmsal] 335 phase 1.62 s (2012-08-05) + EXPTIME/2 1.45 s; [names] pyAMPP 2020-01-01T000002Z: +3 s"),
    1600: (4.57, "[lmsal] 1600 phase 3.12-3.13 s in four names 2012-2017 + EXPTIME/2 1.45 s; [names] +5 s in "
                 "eight names 2019-2024"),
    1700: (18.22, "[lmsal] 1700 phase 17.71-17.73 s in five names 2014-2020 + EXPTIME/2 0.50 s; [names] +18 s "
                  "(aia.lev1_uv_24s.2012-03-07T002408Z.1700)"),
    4500: (42.93, "[lmsal] 4500 DATE-OBS 2017-09-06T18:00:05.68Z: 42.68 s into its hour + EXPTIME/2 0.25 s "
                  "(EXPTIME 0.5 s an emulator choice)"),
}

#: For a wavelength without a value (none of AIA's own): an emulator choice.
DEFAULT_T_OBS_OFFSET = 5.0
