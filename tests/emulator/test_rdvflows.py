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
import urllib.error

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


def test_a_directory_segment_url_lists_its_files_as_jsoc_s_web_server_does(emulator):
    # url_quick as-is answers the record's own paths; the Ux path is a directory: JSOC's web server
    # redirects to ".../Ux/" and answers an index page there (a public script reads that page with
    # pandas.read_html and then each file by name). The emulator served a made-up table instead.
    d = fetch(emulator, op="exp_request", ds="hmi.rdVflows_fd15_frame[2150][360]{Ux}", notify=EMAIL,
              method="url_quick", protocol="as-is", format="json")
    assert d["status"] == 0, d
    (item,) = d["data"]
    assert item["filename"].endswith("/Ux")
    with download(emulator, item["filename"]) as r:  # urllib follows the redirect
        assert r.geturl().endswith("/Ux/")
        assert r.headers["Content-Type"].startswith("text/html")
        page = r.read().decode()
    names = re.findall(r'<a href="\./([^"]+)">', page)
    assert len(names) == 284 and all(TILE_NAME.match(n) for n in names)
    with download(emulator, item["filename"] + "/" + names[0].replace(":", "%3A")) as r:
        text = r.read().decode("ascii")
    assert text.startswith("# Flow inversion of hmi.rdVfitsf_fd15[2150][360]")
    assert np.loadtxt(io.StringIO(text), comments="#").shape == (31, 9)
    with pytest.raises(urllib.error.HTTPError) as e:
        download(emulator, item["filename"] + "/2150:360.0_99.9W00.0N.Ux")
    assert e.value.code == 404


def test_a_staged_url_export_lists_the_directory_under_its_export_name(emulator):
    d = fetch(emulator, op="exp_request", ds="hmi.rdVflows_fd15_frame[2150][345]{Uy}", notify=EMAIL,
              method="url", protocol="as-is", format="json")
    s = fetch(emulator, op="exp_status", requestid=d["requestid"])
    assert s["status"] == "0", s
    (item,) = s["data"]
    with download(emulator, f"{s['dir']}/{item['filename']}/") as r:
        page = r.read().decode()
    assert len(re.findall(r'<a href="\./2150:345\.0_[^"]+\.Uy">', page)) == 284
