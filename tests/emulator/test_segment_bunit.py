"""
Per-segment ``BUNIT_nnn`` values, so exported FITS files carry each segment's ``BUNIT``.

Real JSOC exports of HARP series write ``BUNIT = 'Mx/cm^2' / Physical Units {BUNIT_000}`` for the
magnetogram (sunpy/data/test/hmi_sharp_magnetogram.header, hmi_cea_sharp_magnetogram.header):
``BUNIT`` has recscope ``segment`` and DRMS keeps one instance per segment. The emulator had
none, so its exports had an empty ``BUNIT`` and sunpy maps lost their unit.
"""

from __future__ import annotations

import io

from astropy.io import fits
from helpers import download, fetch, rs_list

EMAIL = "user@example.org"


def test_rs_list_answers_per_segment_bunit(emulator):
    d = rs_list(emulator, "hmi.sharp_720s[11465][2024.06.28_00:00:00_TAI]", key="BUNIT_000,BUNIT_002,BUNIT_999")
    got = {k["name"]: k["values"] for k in d["keywords"]}
    assert got["BUNIT_000"] == ["Mx/cm^2"]  # magnetogram, as the real header has it
    assert got["BUNIT_002"] == ["m/s"]  # Dopplergram: the segment's units in the real series_struct
    assert got["BUNIT_999"] == ["Invalid KeyLink"]  # no such segment


def test_exported_sharp_files_have_bunit_per_segment(emulator):
    r = fetch(emulator, op="exp_request", format="json", notify=EMAIL, method="url", protocol="fits",
              ds="hmi.sharp_cea_720s[11465][2024.06.28_00:00:00_TAI]{magnetogram,Br}")
    s = fetch(emulator, op="exp_status", requestid=r["requestid"])
    units = {}
    for item in s["data"]:
        raw = download(emulator, f"{s['dir']}/{item['filename']}").read()
        with fits.open(io.BytesIO(raw)) as hdul:
            header = next(h.header for h in hdul if h.data is not None)
        units[item["filename"].split(".")[-2]] = header["BUNIT"]
    assert units == {"magnetogram": "Mx/cm^2", "Br": "Gauss"}


def test_all_keywords_include_the_per_segment_instances(emulator):
    """key=**ALL** lists BUNIT_000... after BUNIT, so export-free clients can fill BUNIT too."""
    d = rs_list(emulator, "hmi.sharp_720s[11465][2024.06.28_00:00:00_TAI]", key="**ALL**")
    names = [k["name"] for k in d["keywords"]]
    i = names.index("BUNIT")
    assert names[i + 1:i + 4] == ["BUNIT_000", "BUNIT_001", "BUNIT_002"]
    assert dict((k["name"], k["values"]) for k in d["keywords"])["BUNIT_000"] == ["Mx/cm^2"]
