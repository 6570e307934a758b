"""hmi.rdVflows_fd15_frame: ring-diagram flow inversions, directory segments and url-tar exports.

The facts tested come from JSOC's own code and pages (sources in
``sunpy_jsocx/emulator/rings.py``): prime keys CarrRot and CMLon, segments Ux and Uy that
are directories of one text file per 15-degree tile, files named and laid out as
rdvinv writes them, and an as-is url-tar export holding each record's directories.
"""

from __future__ import annotations

import io
import re
import tarfile

import numpy as np
import pytest
from helpers import download, fetch, info, rs_list, values

from sunpy_jsocx.emulator import rings

EMAIL = "user@example.org"
DS = "hmi.rdvflows_fd15_frame[2150][360]{Ux, Uy}"  # drms's examples/export_tar.py
#: rdvinv's file name: CR:CMLon_<distance from CM><E|W><latitude><N|S>.<segment> (rdvinv.c printcrcl_loc).
TILE_NAME = re.compile(r"^2150:360\.0_\d\d\.\d[EW]\d\d\.\d[NS]\.(Ux|Uy)$")


def test_series_struct_has_the_ring_diagram_prime_keys_and_directory_segments(emulator):
    d = info(emulator, op="series_struct", ds="hmi.rdVflows_fd15_frame")
    assert d["status"] == 0
    assert d["primekeys"] == ["CarrRot", "CMLon"]
    segs = {s["name"]: s for s in d["segments"]}
    assert set(segs) == {"Ux", "Uy"}
    assert {s["protocol"] for s in segs.values()} == {"generic"}
    assert segs["Ux"]["note"] == "Zonal velocity inversions"
    assert segs["Uy"]["note"] == "Meridional velocity inversions"
    keywords = {k["name"]: k for k in d["keywords"]}
    assert keywords["CarrRot"]["type"] == "int" and keywords["CMLon"]["type"] == "float"


def test_rs_list_of_one_frame_answers_one_record(emulator):
    d = rs_list(emulator, "hmi.rdVflows_fd15_frame[2150][360]", key="CarrRot,CMLon,CarrTime,Source,Module,amu")
    assert d["status"] == 0
    assert d["count"] == 1
    assert values(d, "CarrRot") == ["2150"]
    assert values(d, "CMLon") == ["360"]
    assert values(d, "CarrTime") == ["2150:360"]
    assert values(d, "Source") == ["hmi.rdVfitsf_fd15[2150][360]"]
    assert values(d, "Module") == ["rdvinv v 0.93"]
    assert float(values(d, "amu")[0]) == pytest.approx(0.005)


def test_a_rotation_has_24_frames_15_degrees_apart(emulator):
    d = rs_list(emulator, "hmi.rdVflows_fd15_frame[2150]", key="CMLon")
    assert d["count"] == 24
    assert [int(v) for v in values(d, "CMLon")] == list(range(15, 361, 15))
    assert rs_list(emulator, "hmi.rdVflows_fd15_frame[2150][350]", key="CMLon")["count"] == 0


def _staged_tar(emu) -> tuple[dict, tarfile.TarFile]:
    d = fetch(emu, op="exp_request", ds=DS, notify=EMAIL, method="url-tar", protocol="as-is", format="json")
    assert d["status"] in (1, 2), d
    s = fetch(emu, op="exp_status", requestid=d["requestid"])
    assert s["status"] == "0", s
    body = download(emu, s["tarfile"]).read()
    return s, tarfile.open(fileobj=io.BytesIO(body))


def test_url_tar_as_is_export_holds_the_records_directories_of_text_files(emulator):
    s, tf = _staged_tar(emulator)
    with tf:
        members = {m.name: m for m in tf.getmembers()}
        listed = {x["record"]: x["filename"] for x in s["data"]}
        assert set(listed) == {"hmi.rdVflows_fd15_frame[2150][360]{Ux}", "hmi.rdVflows_fd15_frame[2150][360]{Uy}"}
        for record, dirname in listed.items():
            seg = record[-3:-1]
            # jsoc_export_as_is.c names the link {seriesname}.{recnum}.{segment}; tar chf follows it.
            assert re.fullmatch(rf"hmi\.rdVflows_fd15_frame\.\d+\.{seg}", dirname)
            assert members[dirname].isdir()
            files = sorted(n for n in members if n.startswith(dirname + "/"))
            assert len(files) == 284  # gentargs rdsyn15: 284 tiles when |B0| > 3.625 (B0 = -3.8 here)
            assert all(members[n].isfile() and TILE_NAME.match(n.rsplit("/", 1)[1]) for n in files)
            assert all(n.endswith("." + seg) for n in files)
        text = tf.extractfile("/".join([listed["hmi.rdVflows_fd15_frame[2150][360]{Uy}"],
                                        "2150:360.0_00.0W30.0N.Uy"])).read().decode("ascii")
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert head[0] == "# Flow inversion of hmi.rdVfitsf_fd15[2150][360][000.0][+30.0][+00.0]"
    assert head[1] == "# against kernel hmi.HSKernels[cm_opal78]"
    assert head[6] == "# target bounds rb = 0.970, re= 1.000, num = 31"
    rows = np.loadtxt(io.StringIO(text), comments="#")
    assert rows.shape == (31, 9)
    assert rows[:, 0] == pytest.approx(np.linspace(0.97, 1.0, 31))
    assert np.all(rows[:, 1] == 0.005)
    assert np.all((rows[:, 3] <= rows[:, 4]) & (rows[:, 4] <= rows[:, 5]))
    assert np.all(rows[:, 8] > 0)
    assert np.all(rows[-5:, 7] > 0)  # 30N: the meridional flow is poleward (northward) near the surface


def test_the_tile_grid_follows_gentargs():
    assert len(rings.tiles(-5.0)) == len(rings.tiles(5.0)) == 284
    assert len(rings.tiles(0.0)) == 281
    assert (-75.0, 0.0) in rings.tiles(-5.0) and (75.0, 0.0) in rings.tiles(5.0)
    assert rings.tile_file_name(2150, 360, -7.5, -22.5, "Ux") == "2150:360.0_07.5E22.5S.Ux"
    with pytest.raises(ValueError, match="segment must be one of Ux, Uy"):
        rings.inversion_text(2150, 360, 0.0, 0.0, "Uz")
