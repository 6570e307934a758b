"""
Keyword statistics of real data, kept as data with the source of every value.

The emulator's image statistics (``DATAMIN``, ``DATAMEDN``, ``DATAMEAN``, ``DATAMAX``,
``DATARMS``, the AIA percentiles ``DATAP01``..``DATAP99``, ``TOTVALS``/``DATAVALS``/``MISSVALS``)
and AIA exposure times are drawn around the values below. Each profile names the real artifact
it comes from; where no public value was found the entry says ``"emulator choice"``.

Sources (all public):

* ``[cass304]``: JSOC's answer to ``aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:02:35_TAI][304]``
  with ``key=**ALL**``, recorded in sunpy's VCR cassette
  ``sunpy/net/jsoc/tests/cassettes/test_search_metadata.yaml`` (sunpy/sunpy@b361c0cda, 2020-04-10).
* ``[aia171]``: the level-1 header of ``sunpy/data/test/aia_171_level1.fits`` (T_REC 2011-02-15T00:00:01Z).
* ``[exptime2020]``: sunpy's remote test ``sunpy/net/jsoc/tests/test_jsoc.py::test_jsoc_attrs``
  (sunpy/sunpy@d2ae0740e): one slot of 2020-01-01T01:00:35Z has 7 EUV records with ``EXPTIME>2``
  and none with ``EXPTIME<2``, so every EUV channel, 171 and 193 included, exposes above 2 s.
* ``[hmiic]``: ``sunpy/data/test/resampled_hmi.fits`` (hmi.Ic_45s, T_REC 2014.03.01_00:01:30_TAI).
* ``[sharp]``: ``sunpy/data/test/hmi_sharp_magnetogram.header`` (HARP 11465, 2024.06.28).
* ``[synop]``: ``sunpy/data/test/hmi_synoptic.header`` (hmi.synoptic_mr_720s).
* ``[mdim]``, ``[mdiic]``: ``sunpy/data/test/mdi.fd_M_96m_lev182.20101015_191200_TAI.data.header``
  and ``mdi.fd_Ic.20101015_230100_TAI.data.header`` (statistics of rebinned test images: ratios
  are used, not pixel counts).
"""

from __future__ import annotations

__all__ = ["AIA_AEC", "AIA_AEC_WINDOWS", "AIA_EXPTIME", "AIA_MEANS_CHOSEN", "AIA_RESPONSE", "AIA_RESPONSE_COLUMNS",
           "AIA_RESPONSE_SOURCE",
           "AIA_STATS", "AIA_PERCENTILES", "HARP_SEEN_ALIVE", "KIND_STATS", "KNOWN_HARPS", "SEGMENT_BUNIT", "SOURCES"]

SOURCES = {
    "cass304": "sunpy/sunpy@b361c0cda sunpy/net/jsoc/tests/cassettes/test_search_metadata.yaml",
    "aia171": "sunpy/data/test/aia_171_level1.fits",
    "exptime2020": "sunpy/sunpy@d2ae0740e sunpy/net/jsoc/tests/test_jsoc.py::test_jsoc_attrs",
    "hmiic": "sunpy/data/test/resampled_hmi.fits",
    "sharp": "sunpy/data/test/hmi_sharp_magnetogram.header",
    "synop": "sunpy/data/test/hmi_synoptic.header",
    "mdim": "sunpy/data/test/mdi.fd_M_96m_lev182.20101015_191200_TAI.data.header",
    "mdiic": "sunpy/data/test/mdi.fd_Ic.20101015_230100_TAI.data.header",
}

#: AIA level-1 exposure time per wavelength (seconds) and its record-to-record jitter
#: (absolute, seconds). Short exposures of automatic exposure control in flares: AIA_AEC below.
AIA_EXPTIME = {
    94: (2.901, 3e-6, "emulator choice: the nominal 2.9 s of the long EUV channels; > 2 s per [exptime2020]"),
    131: (2.901, 3e-6, "emulator choice: nominal 2.9 s; > 2 s per [exptime2020]"),
    171: (2.000191, 3e-6, "[aia171] EXPTIME = 2.000191; > 2 s per [exptime2020]"),
    193: (2.000191, 3e-6,
          "emulator choice: the 171 value (171 and 193 share the 2 s nominal); > 2 s per [exptime2020]"),
    211: (2.901, 3e-6, "emulator choice: nominal 2.9 s; > 2 s per [exptime2020]"),
    304: (2.90205, 3e-6, "[cass304] EXPTIME 2.902048..2.902053"),
    335: (2.901, 3e-6, "emulator choice: nominal 2.9 s; > 2 s per [exptime2020]"),
    1600: (2.901, 3e-6, "emulator choice"),
    1700: (1.000, 3e-6, "emulator choice"),
    4500: (0.500, 3e-6, "emulator choice"),
}

#: AIA image statistics (DN) per wavelength: mean, median/mean, rms/mean, max/mean range,
#: DATAMIN range. Channels without a recorded value take the 171 shape around their mean.
AIA_STATS = {
    304: {"mean": 28.0, "medn": 20.0 / 28.0, "rms": 42.07 / 28.0, "max": (3885 / 28.0, 7721 / 28.0),
          "min": (-8, -6), "source": "[cass304] DATAMEAN 27.95..28.00, DATAMEDN 20, DATARMS 42.0, "
                                      "DATAMAX 3885..7721, DATAMIN -8..-6"},
    171: {"mean": 250.34, "medn": 172 / 250.34, "rms": 318.8 / 250.34, "max": (40.0, 56.0), "min": (-7, -5),
          "source": "[aia171] DATAMEAN 250.34, DATAMEDN 172, DATARMS 318.8, DATAMAX 12115, DATAMIN -6"},
}
#: Typical means of the channels without a recorded header (DN); emulator choice, shape of 171.
AIA_MEANS_CHOSEN = {94: 1.5, 131: 5.0, 193: 450.0, 211: 150.0, 335: 8.0, 1600: 60.0, 1700: 1300.0, 4500: 5000.0}

#: AIA percentiles as multiples of the median ([cass304]: P01 -1, P10 1, P25 3, medn 20, P75 42,
#: P90 65, P95 87, P98 128, P99 171; [aia171]: 0, 8, 20, 172, 360, 585, 807, 1138, 1474).
AIA_PERCENTILES = {
    304: {"DATAP01": -0.05, "DATAP10": 0.05, "DATAP25": 0.15, "DATAP75": 2.10, "DATAP90": 3.25,
          "DATAP95": 4.35, "DATAP98": 6.40, "DATAP99": 8.55},
    171: {"DATAP01": 0.0, "DATAP10": 8 / 172, "DATAP25": 20 / 172, "DATAP75": 360 / 172, "DATAP90": 585 / 172,
          "DATAP95": 807 / 172, "DATAP98": 1138 / 172, "DATAP99": 1474 / 172},
}

#: Statistics by image kind (physical units of the segment). ``mean`` is (centre, half-width of
#: the record-to-record spread); ``mean_from`` names a keyword the mean follows instead (HMI
#: Dopplergrams include the observer's radial velocity). ``medn``: median minus mean, as a
#: fraction of rms; ``min``/``max``: offsets from the mean in units of rms; ``totvals`` and
#: ``missfrac``: pixels counted and the fraction missing.
KIND_STATS = {
    "continuum": {"mean": (49948.07, 500.0), "rms": 7887.5, "medn": (51427.85 - 49948.07) / 7887.5,
                  "min": -(49948.07 - 7046.59) / 7887.5, "max": (69371.95 - 49948.07) / 7887.5,
                  "totvals": 12702939, "missfrac": 0.0,
                  "source": "[hmiic] DATAMEAN 49948.07, DATAMEDN 51427.85, DATAMIN 7046.59, DATAMAX 69371.95, "
                            "DATARMS 7887.50, TOTVALS = DATAVALS = 12702939"},
    "magnetogram": {"mean": (0.0, 1.5), "rms": 20.0, "medn": 0.02, "min": -120.0, "max": 120.0,
                    "totvals": 12702939, "missfrac": 0.0,
                    "source": "shape of [mdim] and [sharp] (mean near 0 G, median nearer 0, RMS 12..31 G, "
                              "extremes +-150..570 G in quiet or small fields; full-disk extremes of a few kG "
                              "are an emulator choice); TOTVALS as [hmiic]"},
    "dopplergram": {"mean": (0.0, 60.0), "mean_from": "OBS_VR", "rms": 1300.0, "medn": 0.0,
                    "min": -4.5, "max": 4.5, "totvals": 12702939, "missfrac": 0.0,
                    "source": "issue 9: real DATAMEAN follows OBS_VR; the spread (solar rotation +-2 km/s) "
                              "is an emulator choice; TOTVALS as [hmiic]"},
    "linewidth": {"mean": (110.0, 2.0), "rms": 8.0, "medn": 0.1, "min": -8.0, "max": 6.0,
                  "totvals": 12702939, "missfrac": 0.0, "source": "emulator choice"},
    "linedepth": {"mean": (0.62, 0.01), "rms": 0.05, "medn": 0.1, "min": -8.0, "max": 4.0,
                  "totvals": 12702939, "missfrac": 0.0, "source": "emulator choice"},
    "sharp": {"mean": (1.91, 3.0), "rms": 30.96, "medn": (0.703 - 1.915) / 30.96,
              "min": -(450.5 + 1.915) / 30.96, "max": (570.3 - 1.915) / 30.96, "totvals": 164592,
              "missfrac": 0.0,
              "source": "[sharp] DATAMEAN 1.915, DATAMEDN 0.703, DATAMIN -450.5, DATAMAX 570.3, DATARMS 30.96, "
                        "DATAVALS 164592, MISSVALS 0"},
    "synoptic": {"mean": (0.0245, 0.02), "rms": 8.10, "medn": (0.00698 - 0.0245) / 8.10,
                 "min": -(275.9 + 0.0245) / 8.10, "max": (352.6 - 0.0245) / 8.10, "totvals": 259200,
                 "missfrac": 1048 / 259200,
                 "source": "[synop] DATAMEAN 0.0245, DATAMEDN 0.00698, DATAMIN -275.9, DATAMAX 352.6, "
                           "DATARMS 8.10, TOTVALS 259200, MISSVALS 1048"},
    "mdi_magnetogram": {"mean": (-0.276, 0.5), "rms": 12.03, "medn": (-0.0279 + 0.276) / 12.03,
                        "min": -(233.0 - 0.276) / 12.03, "max": (142.3 + 0.276) / 12.03, "totvals": 1048576,
                        "missfrac": 1040 / 4096,
                        "source": "[mdim] DATAMEAN -0.276, DATAMEDN -0.0279, DATAMIN -233.0, DATAMAX 142.3, "
                                  "DATARMS 12.03, MISSVALS/TOTVALS 1040/4096 (TOTVALS of a 1024x1024 image)"},
    "mdi_continuum": {"mean": (10575.9, 100.0), "rms": 3340.1, "medn": (11563.6 - 10575.9) / 3340.1,
                      "min": -(10575.9 - 405.0) / 3340.1, "max": (13944.0 - 10575.9) / 3340.1,
                      "totvals": 1048576, "missfrac": 3713 / 16384,
                      "source": "[mdiic] DATAMEAN 10575.9, DATAMEDN 11563.6, DATAMIN 405, DATAMAX 13944, "
                                "DATARMS 3340.1, MISSVALS/TOTVALS 3713/16384"},
    "generic": {"mean": (50.0, 5.0), "rms": 20.0, "medn": 0.0, "min": -2.5, "max": 5.0, "totvals": 16777216,
                "missfrac": 0.0, "source": "emulator choice (no public header for this kind)"},
}


#: HARPs whose real life JSOC recorded: first and last T_REC of the HARP in hmi.sharp_cea_720s
#: and the slots in between that hold no record. ``[cass3604]``: JSOC's answer to
#: ``hmi.sharp_cea_720s[3604]{Bp,magnetogram}`` in sunpy's cassette
#: ``sunpy/net/jsoc/tests/cassettes/test_return_query_args.yaml`` (sunpy/sunpy@b361c0cda,
#: 2020-04-10): 1223 records from 2014.01.08_03:12:00_TAI to 2014.01.18_13:24:00_TAI every 720 s,
#: 29 of the 1252 slots missing.
KNOWN_HARPS = {
    3604: {
        "first": "2014.01.08_03:12:00_TAI",
        "last": "2014.01.18_13:24:00_TAI",
        "missing": ["2014.01.14_19:36:00_TAI", "2014.01.14_19:48:00_TAI"]
        + [f"2014.01.15_{h:02d}:{mi:02d}:00_TAI" for h in range(17, 23) for mi in range(0, 60, 12)
           if (17, 24) <= (h, mi) <= (22, 36)],
        "source": "[cass3604] sunpy/sunpy@b361c0cda sunpy/net/jsoc/tests/cassettes/test_return_query_args.yaml",
    },
}

#: HARPs seen alive at a time in public real data; the emulator's HARP numbering passes through
#: them (each is born two days before), so the examples that use them find their HARP alive.
HARP_SEEN_ALIVE = [
    ("2011.03.09_23:24:00_TAI", 401, "sunpy examples/acquiring_data/querying_and_loading_SHARP_data.py: "
     "hmi.sharp_cea_720s HARPNUM 401 from 2011-03-09 23:20 to 23:30, whose Bp map the gallery plots"),
    ("2014.06.09_23:48:00_TAI", 4225, "sunpy/data/test/hmi_bharp_vlos_mag.header (NOAA_AR 12087)"),
    ("2020.09.27_00:00:00_TAI", 7451, "drms examples/export_as_is.py: hmi.sharp_720s[7451][2020.09.27_00:00:00_TAI]"),
    ("2024.06.28_00:00:00_TAI", 11465, "sunpy/data/test/hmi_sharp_magnetogram.header (NOAA_AR 13733)"),
]


#: Per-segment ``BUNIT_nnn`` values seen in real JSOC export headers (sunpy's test data), by
#: (series, segment). Other segments of series whose ``BUNIT`` has recscope ``segment`` take the
#: segment's ``units`` from the real ``series_struct`` (an emulator choice; ``none`` and empty
#: units give an empty BUNIT).
SEGMENT_BUNIT = {
    ("hmi.sharp_720s", "magnetogram"): ("Mx/cm^2", "sunpy/data/test/hmi_sharp_magnetogram.header: "
                                                   "BUNIT = 'Mx/cm^2' / Physical Units {BUNIT_000}"),
    ("hmi.sharp_cea_720s", "magnetogram"): ("Mx/cm^2", "sunpy/data/test/hmi_cea_sharp_magnetogram.header: "
                                                       "BUNIT = 'Mx/cm^2' / Physical Units {BUNIT_000}"),
    ("hmi.bharp_720s", "vlos_mag"): ("cm/s", "sunpy/data/test/hmi_bharp_vlos_mag.header: "
                                             "BUNIT = 'cm/s' / Physical Units {BUNIT_003}"),
}


#: Every record of the emulator's ``aia.response``: the real version-8 AIA response table that
#: aiapy keeps as test data (:data:`AIA_RESPONSE_SOURCE`), one record per row, times cut to
#: whole seconds. Its prime keys (T_START, WAVE_STR, VER_NUM) replace the ``combos`` of
#: ``data/series/aia.response.json`` (see ``SeriesModel.combos``). No other calibration version is emulated (aiapy's
#: default, version 10, is in no public repository found).
AIA_RESPONSE_SOURCE = "LM-SAL/aiapy aiapy/tests/data/aia_V8_20171210_050627_response_table.txt"
AIA_RESPONSE_COLUMNS = ("T_START", "WAVE_STR", "VER_NUM", "T_STOP", "DATE", "WAVELNTH", "EFF_AREA", "EFF_WVLN",
                        "EFFA_P1", "EFFA_P2", "EFFA_P3")
AIA_RESPONSE = [
    ("2010-03-24T00:00:00Z", "94_THIN", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:04:48Z",
     94, 0.31656, 93.9, 0.0, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "94_THIN", 8, "2011-04-13T18:00:00Z", "2017-12-10T05:04:50Z",
     94, 0.3273, 93.9, 0.0, 0.0, 0.0),
    ("2011-04-13T18:00:00Z", "94_THIN", 8, "2011-05-20T18:00:00Z", "2017-12-10T05:04:51Z",
     94, 0.30272, 93.9, 0.0, 0.0, 0.0),
    ("2011-05-20T18:00:00Z", "94_THIN", 8, "2011-10-06T12:00:00Z", "2017-12-10T05:04:53Z",
     94, 0.29009, 93.9, 0.0, 0.0, 0.0),
    ("2011-10-06T12:00:00Z", "94_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:04:54Z",
     94, 0.30042, 93.9, 0.0, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "94_THIN", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:04:55Z",
     94, 0.29437, 93.9, 0.0, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "94_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:04:57Z",
     94, 0.28762, 93.9, 0.0, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "94_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:04:58Z",
     94, 0.27663, 93.9, 0.0, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "94_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:05:00Z",
     94, 0.26405, 93.9, 0.0, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "94_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:05:01Z",
     94, 0.25808, 93.9, 0.0, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "94_THIN", 8, "2015-09-01T12:00:00Z", "2017-12-10T05:05:02Z",
     94, 0.24271, 93.9, 0.0, 0.0, 0.0),
    ("2015-09-01T12:00:00Z", "94_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:05:02Z",
     94, 0.23484, 93.9, 0.0, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "131_THIN", 8, "2011-02-24T19:00:00Z", "2017-12-10T05:05:04Z",
     131, 1.10943, 131.2, -0.00032, 0.0, 0.0),
    ("2011-02-24T19:00:00Z", "131_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:05:05Z",
     131, 1.00512, 131.2, -0.00015, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "131_THIN", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:05:07Z",
     131, 0.94416, 131.2, -0.00043, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "131_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:05:08Z",
     131, 0.9661, 131.2, -0.0002, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "131_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:05:09Z",
     131, 0.89933, 131.2, -0.00028, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "131_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:05:11Z",
     131, 0.88044, 131.2, -5e-05, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "131_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:05:12Z",
     131, 0.88991, 131.2, -0.00018, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "131_THIN", 8, "2015-09-01T12:00:00Z", "2017-12-10T05:05:13Z",
     131, 0.83992, 131.2, -0.00017, 0.0, 0.0),
    ("2015-09-01T12:00:00Z", "131_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:05:13Z",
     131, 0.77652, 131.2, -0.00012, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "171_THIN", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:05:15Z",
     171, 3.46641, 171.1, -0.00016, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "171_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:05:16Z",
     171, 3.36139, 171.1, -2e-05, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "171_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:05:18Z",
     171, 3.31772, 171.1, -0.00021, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "171_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:05:19Z",
     171, 3.00253, 171.1, -0.0001, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "171_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:05:21Z",
     171, 2.98776, 171.1, -9e-05, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "171_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:05:22Z",
     171, 2.9613, 171.1, 0.0, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "171_THIN", 8, "2015-09-01T12:00:00Z", "2017-12-10T05:05:22Z",
     171, 2.98421, 171.1, -0.00018, 0.0, 0.0),
    ("2015-09-01T12:00:00Z", "171_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:05:23Z",
     171, 2.74046, 171.1, -4e-05, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "193_THIN", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:05:25Z",
     193, 1.42839, 195.1, -6e-05, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "193_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:05:26Z",
     193, 1.41816, 195.1, -0.00017, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "193_THIN", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:05:27Z",
     193, 1.35667, 195.1, -0.00035, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "193_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:05:29Z",
     193, 1.36734, 195.1, -9e-05, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "193_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:05:30Z",
     193, 1.30623, 195.1, 0.0, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "193_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:05:32Z",
     193, 1.30347, 195.1, -0.00011, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "193_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:05:33Z",
     193, 1.2902, 195.1, 0.0, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "193_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:05:34Z",
     193, 1.23732, 195.1, -5e-05, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "211_THIN", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:05:35Z",
     211, 1.29562, 211.3, -0.00013, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "211_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:05:37Z",
     211, 1.27778, 211.3, -0.00026, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "211_THIN", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:05:38Z",
     211, 1.17382, 211.3, -0.00068, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "211_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:05:40Z",
     211, 1.17377, 211.3, -0.00018, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "211_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:05:41Z",
     211, 1.07271, 211.3, 0.0, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "211_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:05:42Z",
     211, 1.07011, 211.3, -0.00019, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "211_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:05:44Z",
     211, 1.04613, 211.3, 0.0, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "211_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:05:44Z",
     211, 1.00493, 211.3, -7e-05, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "304_THIN", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:05:46Z",
     304, 0.10424, 303.8, -0.00161, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "304_THIN", 8, "2011-04-13T18:00:00Z", "2017-12-10T05:05:48Z",
     304, 0.06483, 303.8, -0.00323, 0.0, 0.0),
    ("2011-04-13T18:00:00Z", "304_THIN", 8, "2011-05-20T18:00:00Z", "2017-12-10T05:05:49Z",
     304, 0.05197, 303.8, -0.00364, 0.0, 0.0),
    ("2011-05-20T18:00:00Z", "304_THIN", 8, "2011-10-06T12:00:00Z", "2017-12-10T05:05:50Z",
     304, 0.04532, 303.8, -0.00259, 0.0, 0.0),
    ("2011-10-06T12:00:00Z", "304_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:05:52Z",
     304, 0.0327, 303.8, -0.00113, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "304_THIN", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:05:53Z",
     304, 0.02977, 303.8, 0.0, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "304_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:05:55Z",
     304, 0.03533, 303.8, 0.0, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "304_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:05:56Z",
     304, 0.03471, 303.8, -0.0001, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "304_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:05:57Z",
     304, 0.03394, 303.8, -0.00083, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "304_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:05:59Z",
     304, 0.02817, 303.8, -0.00065, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "304_THIN", 8, "2015-05-01T12:00:00Z", "2017-12-10T05:05:59Z",
     304, 0.02059, 303.8, -0.00131, 0.0, 0.0),
    ("2015-05-01T12:00:00Z", "304_THIN", 8, "2016-05-01T12:00:00Z", "2017-12-10T05:06:00Z",
     304, 0.01128, 303.8, -0.00112, 0.0, 0.0),
    ("2016-05-01T12:00:00Z", "304_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:06:00Z",
     304, 0.00702, 303.8, -0.00069, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "335_THIN", 8, "2011-02-24T19:00:00Z", "2017-12-10T05:06:02Z",
     335, 0.06055, 335.4, -0.00091, 0.0, 0.0),
    ("2011-02-24T19:00:00Z", "335_THIN", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:06:03Z",
     335, 0.05888, 335.4, -0.00092, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "335_THIN", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:06:04Z",
     335, 0.04257, 335.4, -0.00249, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "335_THIN", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:06:06Z",
     335, 0.04209, 335.4, -0.00117, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "335_THIN", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:06:07Z",
     335, 0.02696, 335.4, -0.00065, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "335_THIN", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:06:09Z",
     335, 0.02573, 335.4, -0.00103, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "335_THIN", 8, "2014-05-25T12:00:00Z", "2017-12-10T05:06:10Z",
     335, 0.02315, 335.4, -0.00072, 0.0, 0.0),
    ("2014-05-25T12:00:00Z", "335_THIN", 8, "2015-05-01T12:00:00Z", "2017-12-10T05:06:10Z",
     335, 0.0175, 335.4, -0.00049, 0.0, 0.0),
    ("2015-05-01T12:00:00Z", "335_THIN", 8, "2016-05-01T12:00:00Z", "2017-12-10T05:06:11Z",
     335, 0.01468, 335.4, -0.00048, 0.0, 0.0),
    ("2016-05-01T12:00:00Z", "335_THIN", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:06:11Z",
     335, 0.01223, 335.4, -0.00016, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "1600", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:06:12Z",
     1600, 0.01291, 1600.0, -0.00012, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "1600", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:06:13Z",
     1600, 0.01264, 1600.0, -0.00045, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "1600", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:06:14Z",
     1600, 0.0098, 1600.0, -0.00012, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "1600", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:06:14Z",
     1600, 0.00945, 1600.0, -0.00032, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "1600", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:06:15Z",
     1600, 0.00849, 1600.0, -7e-05, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "1600", 8, "2013-08-16T00:00:00Z", "2017-12-10T05:06:16Z",
     1600, 0.00813, 1600.0, -0.00024, 0.0, 0.0),
    ("2013-08-16T00:00:00Z", "1600", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:06:17Z",
     1600, 0.00866, 1600.0, -0.0009, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "1600", 8, "2014-05-01T12:00:00Z", "2017-12-10T05:06:17Z",
     1600, 0.00857, 1600.0, 0.0, 0.0, 0.0),
    ("2014-05-01T12:00:00Z", "1600", 8, "2016-05-01T12:00:00Z", "2017-12-10T05:06:18Z",
     1600, 0.00839, 1600.0, -0.00015, 0.0, 0.0),
    ("2016-05-01T12:00:00Z", "1600", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:06:19Z",
     1600, 0.00732, 1600.0, -0.00021, 0.0, 0.0),
    ("2010-03-24T00:00:00Z", "1700", 8, "2011-01-27T15:00:00Z", "2017-12-10T05:06:20Z",
     1700, 0.0377, 1700.0, 0.0, 0.0, 0.0),
    ("2011-01-27T15:00:00Z", "1700", 8, "2012-01-01T12:00:00Z", "2017-12-10T05:06:21Z",
     1700, 0.0386, 1700.0, -0.00024, 0.0, 0.0),
    ("2012-01-01T12:00:00Z", "1700", 8, "2012-04-10T12:00:00Z", "2017-12-10T05:06:22Z",
     1700, 0.03249, 1700.0, 0.0, 0.0, 0.0),
    ("2012-04-10T12:00:00Z", "1700", 8, "2013-02-15T12:00:00Z", "2017-12-10T05:06:22Z",
     1700, 0.03237, 1700.0, -0.00013, 0.0, 0.0),
    ("2013-02-15T12:00:00Z", "1700", 8, "2013-05-01T12:00:00Z", "2017-12-10T05:06:23Z",
     1700, 0.03091, 1700.0, 0.0, 0.0, 0.0),
    ("2013-05-01T12:00:00Z", "1700", 8, "2013-08-16T00:00:00Z", "2017-12-10T05:06:24Z",
     1700, 0.03022, 1700.0, -2e-05, 0.0, 0.0),
    ("2013-08-16T00:00:00Z", "1700", 8, "2013-10-01T12:00:00Z", "2017-12-10T05:06:25Z",
     1700, 0.03249, 1700.0, -0.00074, 0.0, 0.0),
    ("2013-10-01T12:00:00Z", "1700", 8, "2014-05-01T12:00:00Z", "2017-12-10T05:06:25Z",
     1700, 0.03374, 1700.0, 0.0, 0.0, 0.0),
    ("2014-05-01T12:00:00Z", "1700", 8, "2016-05-01T12:00:00Z", "2017-12-10T05:06:26Z",
     1700, 0.03525, 1700.0, 0.0, 0.0, 0.0),
    ("2016-05-01T12:00:00Z", "1700", 8, "2030-05-01T00:00:00Z", "2017-12-10T05:06:27Z",
     1700, 0.03505, 1700.0, -2e-05, 0.0, 0.0),
]

# --- AIA automatic exposure control (AEC) in flares (helper B) ---------------------------------
# Sources:
# * [aia171flare]: the header of sunpy's sample image AIA_171_IMAGE
#   (AIA20110607_063302_0171_lowres.fits, sunpy/data/_sample.py), taken in the 2011-06-07 flare:
#   T_OBS 2011-06-07T06:33:02.88Z, EXPTIME 0.234256, INT_TIME 0.507812, AIMGSHCE 237, AECTYPE 2,
#   AECMODE 'ON', DATAMEAN 26.6888, DATAMEDN 18, NSATPIX 29; "Exposure Time: 0.234256 s" is also
#   printed in sunpy's own tutorial (sunpy/sunpy@d2ae0740e docs/tutorial/maps.rst).
# * [aia171]: as above (2011-02-15, no flare): EXPTIME 2.000191, INT_TIME 2.273438, AIMGSHCE 2000,
#   AECTYPE 0, AECMODE 'ON'.
# * [hv171]: the AIA 171 header in Helioviewer's API documentation (getJP2Header example,
#   2011-05-25T09:07:01Z, no flare): EXPTIME 2.000201, AIMGSHCE 2000, AECTYPE 2, AECMODE 'ON', so
#   AECTYPE 2 alone does not mean a short exposure.
# * [aec2021]: aiapy examples/download_specific_data.py (LM-SAL/aiapy@afc3db7): "The X-class flare
#   occurred on the 2021/07/03 at 14:30:00 UTC. We will focus on the 5 minutes before and after
#   this time. What we want to do is only get the shorter exposures, which are going to be the
#   flare related", selecting EXPTIME <= 2 at 211 A; the X1.5 flare peaked at 14:29 UT
#   (PROBA2/SIDC, https://proba2.sidc.be/FinallyAnXflare).
SOURCES.update({
    "aia171flare": "sunpy sample AIA20110607_063302_0171_lowres.fits; sunpy/sunpy@d2ae0740e docs/tutorial/maps.rst",
    "hv171": "Helioviewer API documentation, getJP2Header example response (AIA 171, 2011-05-25T09:07:01Z)",
    "aec2021": "LM-SAL/aiapy@afc3db7 examples/download_specific_data.py; https://proba2.sidc.be/FinallyAnXflare",
})

#: Intervals (UTC) in which the emulator's AIA EUV channels run automatic exposure control:
#: (start, end, source). Outside them every exposure is nominal (AIA_EXPTIME).
AIA_AEC_WINDOWS = (
    ("2021.07.03_14:25:00_UTC", "2021.07.03_14:35:00_UTC",
     "[aec2021] the example's own window, 5 min either side of the X1.5 flare's 14:30 UTC"),
    ("2011.06.07_06:33:00_UTC", "2011.06.07_06:33:12_UTC",
     "[aia171flare] the 12-s slot of sunpy's sample AIA 171 image (the only AEC frame known of that flare)"),
)

#: How AEC changes a short frame, each value with its source.
AIA_AEC = {
    # EXPTIME of a short frame over the channel's nominal EXPTIME
    "exptime_ratio": (0.234256 / 2.000191, "[aia171flare] EXPTIME 0.234256 over [aia171] 2.000191"),
    # commanded exposure AIMGSHCE (ms) of a short frame over the nominal one
    "aimgshce_ratio": (237 / 2000, "[aia171flare] AIMGSHCE 237 over [aia171] 2000"),
    # INT_TIME - EXPTIME (s): the shutter's open-close overhead, the same in both frames
    "int_overhead": (0.2733, "[aia171] 2.273438 - 2.000191 = 0.27325; [aia171flare] 0.507812 - 0.234256 = 0.27356"),
    "aectype_short": (2, "[aia171flare] AECTYPE 2"),
    "aectype_nominal": (0, "[aia171] AECTYPE 0 ([hv171] shows 2 on a nominal frame: emulator choice of 0)"),
    "aecmode": ("ON", "[aia171], [aia171flare], [hv171] AECMODE 'ON'"),
    # Which frames are short: every other 12-s slot, starting with the window's first slot
    # (emulator choice: [aec2021] expects short and nominal frames in one flare window).
    "channels": ((94, 131, 171, 193, 211, 304, 335), "AEC acts on the EUV channels ([aia171flare] 171, [aec2021] 211)"),
}
