"""
A group's own JSOC (issue 11, point 2): ``serve DIR`` answers JSOC's API from the files
one machine downloaded, and drms, sunpy's JSOCClient and sunpy-jsocx fetch the same
bytes from it.

The folder served is made the way a group makes it: sunpy-jsocx downloads from the
emulator (``fits`` and ``as-is``), then the emulator is gone and only the files and the
client's cached metadata are left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

import sunpy_jsocx
from sunpy_jsocx.emulator.holdings import Holdings, read_headers
from sunpy_jsocx.emulator.serve import HeldJSOC

EMAIL = "user@example.org"
START, END = "2014-01-01T00:00:00", "2014-01-01T00:01:30"


def _fetch(res, path, **kw):
    from sunpy.net import Fido

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = Fido.fetch(res, path=str(path / "{file}"), progress=False, **kw)
    assert not files.errors, files.errors
    return [Path(f) for f in files]


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """A folder of files downloaded from the emulator by sunpy-jsocx, and its cached metadata."""
    import astropy.units as u
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    from sunpy_jsocx.emulator import JSOCEmulator

    root = tmp_path_factory.mktemp("held")
    meta = root / "client-cache"
    mp = pytest.MonkeyPatch()
    mp.setenv("JSOCX_RECORD_CACHE", "off")
    mp.setenv("JSOCX_CACHE_DIR", str(meta))
    mp.setenv("JSOCX_CACHE_TTL", "86400")  # the first machine keeps its metadata (the suite turns it off)
    try:
        with JSOCEmulator(image_size=64) as emu, sunpy_jsocx.use_server(emu.url):
            downloaded = {}
            for proto in ("fits", "as-is"):
                res = Fido.search(a.Time(START, END), a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol(proto))
                downloaded[proto] = _fetch(res, root / "data" / proto)
            res = Fido.search(a.Time(START, "2014-01-01T00:00:12"), a.jsocx.Series("aia.lev1_euv_12s"),
                              a.Wavelength(171 * u.AA),
                              a.jsocx.Protocol("fits"), a.jsocx.Notify(EMAIL))
            downloaded["aia"] = _fetch(res, root / "data" / "aia")
    finally:
        mp.undo()
    assert len(downloaded["fits"]) == len(downloaded["as-is"]) == 3
    return {"data": root / "data", "meta": meta / "series_struct", "files": downloaded, "root": root}


@pytest.fixture
def client_env(tmp_path, monkeypatch):
    """The second machine: no record cache, an empty metadata cache."""
    monkeypatch.setenv("JSOCX_RECORD_CACHE", "off")
    monkeypatch.setenv("JSOCX_CACHE_DIR", str(tmp_path / "second-machine-cache"))
    return tmp_path


def _same_bytes(got: list[Path], held_files: list[Path]) -> None:
    want = {p.name: p.read_bytes() for p in held_files}
    assert sorted(p.name for p in got) == sorted(want)
    for p in got:
        assert p.read_bytes() == want[p.name], f"{p.name} differs from the held file"


def _get(url: str) -> tuple[int, bytes]:
    assert url.startswith("http://127.0.0.1:")
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _info(server, **params) -> dict:
    from urllib.parse import urlencode

    status, body = _get(server.url + "cgi-bin/ajax/jsoc_info?" + urlencode(params))
    assert status == 200
    return json.loads(body)


# ---------------------------------------------------------------- the index
def test_index_reads_series_records_and_segments_from_the_headers(held):
    h = Holdings([held["data"]]).scan()
    assert h.names() == ["aia.lev1_euv_12s", "hmi.M_45s"]
    hmi = h.get("hmi.m_45s")
    assert hmi.primekeys == ["T_REC", "CAMERA"]
    records = list(hmi.records.values())
    assert [r.name for r in records] == [f"hmi.M_45s[2014.01.01_00:{t}_TAI][2]" for t in ("00:45", "01:30", "02:15")]
    for r in records:
        # the fits file by its DRMS_ID, the as-is file by its data unit
        assert set(r.files) == {"magnetogram"}
        assert set(r.files["magnetogram"]) == {"fits", "as-is"}
        assert r.files["magnetogram"]["as-is"].path.parent.name == "as-is"
    assert h.unplaced == []
    aia = h.get("AIA.lev1_euv_12s")
    assert {seg for r in aia.records.values() for seg in r.files} == {"image", "spikes"}


def test_cached_series_struct_is_used_and_headers_fill_in_without_it(held):
    cached = Holdings([held["data"]], [held["meta"]]).scan().get("hmi.M_45s").struct
    inferred = Holdings([held["data"]]).scan().get("hmi.M_45s").struct
    original = json.loads(next(held["meta"].rglob("hmi.m_45s.json")).read_text())
    assert cached["keywords"] == original["keywords"]
    assert cached["segments"] == original["segments"]
    names = {k["name"]: k for k in inferred["keywords"]}
    assert names["T_REC"]["type"] == "time" and names["T_REC"]["units"] == "TAI"
    assert names["QUALITY"]["type"] == "int"
    assert "DATE__OBS" in names  # the DRMS name from the card's {DATE__OBS} comment
    assert [s["name"] for s in inferred["segments"]] == ["magnetogram"]


def test_scan_reads_headers_only_and_is_fast_for_10000_files(tmp_path, held):
    """10,000 files of 100 MB each (sparse: header only on disk): reading data would take minutes."""
    src = held["files"]["fits"][0]
    header = read_headers(src)[-1]
    head = src.read_bytes()[:header.data_offset]
    recnum = head[head.index(b"DRMS_ID"):].split(b"'")[1].split(b":")[1]
    for i in range(10_000):
        data = head.replace(b":" + recnum + b":", b":" + str(int(recnum) + 100_000 + i).encode() + b":")
        path = tmp_path / f"d{i // 1000}" / f"f{i}.fits"
        path.parent.mkdir(exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
            f.truncate(len(data) + 100_000_000)
    t0 = time.perf_counter()
    h = Holdings([tmp_path]).scan()
    took = time.perf_counter() - t0
    assert len(h.files) == 10_000 and len(h.get("hmi.M_45s").records) == 10_000
    assert took < 60, f"scan of 10,000 files took {took:.1f} s"


# ---------------------------------------------------------------- the three clients
@pytest.mark.parametrize("metadata", ["cached", "inferred"])
@pytest.mark.parametrize("protocol", ["fits", "as-is"])
def test_sunpy_jsocx_fetches_the_held_bytes(held, client_env, protocol, metadata, collect_loops):
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    meta = [held["meta"]] if metadata == "cached" else []
    with HeldJSOC(held["data"], metadata=meta, token="group-token-42") as server, \
            sunpy_jsocx.use_server(server.url):
        # With JSOC's own structure the stored files are online (sunpy-jsocx downloads them
        # and writes the FITS header itself); without it the records go by export.
        online = _info(server, op="rs_list", ds="hmi.M_45s[2014.01.01_TAI/1d]", key="*online*")
        assert set(online["keywords"][0]["values"]) == ({"Y"} if metadata == "cached" else {"N"})
        res = Fido.search(a.Time(START, END), a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol(protocol),
                          a.jsocx.Notify(EMAIL))
        assert len(res[0]) == 3
        got = _fetch(res, client_env / "out")
    _same_bytes(got, held["files"][protocol])


def test_sunpy_jsocx_fetches_fits_by_export_when_only_fits_files_are_held(held, client_env, collect_loops):
    """Without the stored files the records are offline: the export delivers the held FITS files."""
    import astropy.units as u
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    with HeldJSOC(held["data"] / "aia") as server, sunpy_jsocx.use_server(server.url):
        listed = _info(server, op="rs_list", ds="aia.lev1_euv_12s[2014.01.01_TAI/1d]", key="*online*")
        assert set(listed["keywords"][0]["values"]) == {"N"}
        res = Fido.search(a.Time(START, "2014-01-01T00:00:12"), a.jsocx.Series("aia.lev1_euv_12s"),
                          a.Wavelength(171 * u.AA), a.jsocx.Notify(EMAIL))
        got = _fetch(res, client_env / "out")
    # The held bytes, but not JSOC's names: JSOC names the files of aia.lev1_euv_12s's image and
    # spikes segments in the aia.lev1 record they link to (...T000012Z.171.image_lev1.fits), and
    # the held server, whose structure is inferred from the headers, does not know that link: it
    # names them by the records' own keys, as for any series (...T000001Z.171.image.fits).
    assert sorted(p.read_bytes() for p in got) == sorted(p.read_bytes() for p in held["files"]["aia"])
    assert sorted(p.name for p in got) == sorted(_own_keys_name(p.name) for p in held["files"]["aia"])


def _own_keys_name(jsoc_name: str) -> str:
    """The name by the record's own T_REC (the 12-s slot the linked record's second falls in) and segment."""
    from sunpy_jsocx import jsoctime
    from sunpy_jsocx.emulator.catalog import load_catalog

    m = load_catalog().get("aia.lev1_euv_12s")
    t = re.search(r"\.(\d{4}-\d\d-\d\dT)(\d\d)(\d\d)(\d\d)Z\.", jsoc_name)
    sec = jsoctime.parse_time(f"{t[1]}{t[2]}:{t[3]}:{t[4]}Z")
    slot = jsoctime.format_time(m.epoch + (sec - m.epoch) // m.step * m.step, "ISO", 0).replace(":", "")
    return jsoc_name.replace(t[0], f".{slot}.").replace(".image_lev1.", ".image.")


@pytest.mark.parametrize("metadata", ["cached", "inferred"])
def test_drms_exports_and_downloads_the_held_bytes(held, client_env, metadata):
    """Cached structure: the as-is url_quick export is immediate (online); inferred: a complete export."""
    import drms

    from sunpy_jsocx.emulator import drms_server_config

    meta = [held["meta"]] if metadata == "cached" else []
    with HeldJSOC(held["data"], token="group-token-42", metadata=meta) as server:
        c = drms.Client(server=drms_server_config(server.url), email=EMAIL)
        assert "hmi.M_45s" in c.series()
        assert c.pkeys("hmi.M_45s") == ["T_REC", "CAMERA"]
        keys = c.query("hmi.M_45s[2014.01.01_00:00:45_TAI/3m]", key="T_REC,QUALITY")
        assert list(keys["T_REC"]) == [f"2014.01.01_00:{t}_TAI" for t in ("00:45", "01:30", "02:15")]
        for protocol, method in (("fits", "url"), ("as-is", "url_quick")):
            out = client_env / protocol
            out.mkdir()
            r = c.export("hmi.M_45s[2014.01.01_00:00:45_TAI/3m]", method=method, protocol=protocol)
            if protocol == "as-is":
                assert (r.id is None) == (metadata == "cached")  # url_quick of online data: no request id
            r.wait(sleep=0)
            r.download(str(out))
            got = sorted(out.iterdir())
            want = sorted(held["files"][protocol])
            assert [p.read_bytes() for p in got] == [p.read_bytes() for p in want]


def test_sunpy_jsocclient_fetches_the_held_bytes(held, client_env, collect_loops):
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    from sunpy_jsocx.emulator import redirect_drms

    with HeldJSOC(held["data"], token="group-token-42") as server, redirect_drms(server.url):
        res = Fido.search(a.Time("2014-01-01T00:00:10", "2014-01-01T00:01:30"), a.jsoc.Series("hmi.M_45s"),
                          a.jsoc.Notify(EMAIL))
        assert len(res[0]) >= 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            files = Fido.fetch(res, path=str(client_env / "out" / "{file}"), progress=False, sleep=0)
        assert not files.errors
    held_by_name = {p.name: p.read_bytes() for p in held["files"]["fits"]}
    assert len(files) == len(res[0])
    for f in files:
        assert Path(f).read_bytes() == held_by_name[Path(f).name]


def test_the_record_cache_is_served_too(tmp_path, monkeypatch, collect_loops):
    """A record cache (files named by a hash) is a folder of held files like any other."""
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    from sunpy_jsocx.emulator import JSOCEmulator

    cache = tmp_path / "record-cache"
    monkeypatch.setenv("JSOCX_RECORD_CACHE", str(cache))
    with JSOCEmulator(image_size=32) as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(a.Time(START, END), a.jsocx.Series("hmi.M_45s"))
        first = _fetch(res, tmp_path / "first")
    held = [p for p in cache.glob("??/*") if not p.name.startswith(".")]  # (hidden: the names JSOC gave them)
    assert held and all(len(p.name) == 40 for p in held)
    monkeypatch.setenv("JSOCX_RECORD_CACHE", "off")
    empty = tmp_path / "nothing-downloaded-here"
    empty.mkdir()
    with HeldJSOC([empty, cache]) as server, sunpy_jsocx.use_server(server.url):
        res = Fido.search(a.Time(START, END), a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
        got = _fetch(res, tmp_path / "second")
    _same_bytes(got, first)


def test_a_tar_export_holds_the_held_files(held, client_env):
    import tarfile

    import drms

    from sunpy_jsocx.emulator import drms_server_config

    with HeldJSOC(held["data"]) as server:
        c = drms.Client(server=drms_server_config(server.url), email=EMAIL)
        r = c.export("hmi.M_45s[2014.01.01_00:00:45_TAI/3m]", method="url-tar", protocol="fits")
        r.wait(sleep=0)
        r.download(str(client_env))
    (tar,) = client_env.glob("*.tar")
    with tarfile.open(tar) as tf:
        members = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.name != "index.json"}
    assert sorted(members.values()) == sorted(p.read_bytes() for p in held["files"]["fits"])


# ---------------------------------------------------------------- what is not held
def test_what_is_not_held_is_reported_as_jsoc_reports_missing_data(held):
    with HeldJSOC(held["data"]) as server:
        assert _info(server, op="rs_summary", ds="hmi.M_45s[2015.01.01_TAI/1d]") == {"count": 0, "status": 0,
                                                                                     "runtime": pytest.approx(0, abs=5)}
        assert _info(server, op="rs_list", ds="hmi.M_45s[2015.01.01_TAI/1d]", key="T_REC")["count"] == 0
        assert _info(server, op="rs_list", ds="hmi.M_45s[:#1]", key="T_REC")["count"] == 0
        assert _info(server, op="rs_summary", ds="hmi.M_45s[2014.01.01_00:00:45_TAI/3m]")["count"] == 3
        missing = _info(server, op="series_struct", ds="hmi.B_720s")
        assert missing["status"] == 1 and "hmi.B_720s not found" in missing["error"]
        assert "not found" in _info(server, op="rs_list", ds="hmi.B_720s[2014.01.01_TAI]", key="T_REC")["error"]
        struct = _info(server, op="series_struct", ds="hmi.m_45s")
        assert struct["Interval"]["FirstRecord"] == "hmi.M_45s[2014.01.01_00:00:45_TAI][2]"
        assert struct["Interval"]["LastRecord"] == "hmi.M_45s[2014.01.01_00:02:15_TAI][2]"


def test_record_set_filters_select_held_records(held):
    with HeldJSOC(held["data"]) as server:
        def count(ds):
            return _info(server, op="rs_summary", ds=ds)["count"]

        assert count("hmi.M_45s[2014.01.01_00:01:30_TAI]") == 1
        assert count("hmi.M_45s[2014.01.01_00:00:45_TAI-2014.01.01_00:01:30_TAI]") == 2
        assert count("hmi.M_45s[2014.01.01_00:00:45_TAI/3m@90s]") == 2
        assert count("hmi.M_45s[][3]") == 0
        assert count("hmi.M_45s[$]") == 1
        assert count("hmi.M_45s[? QUALITY = 0 ?]") == 3
        listed = _info(server, op="rs_list", ds="hmi.M_45s[2014.01.01_00:00:45_TAI/3m]", key="*recnum*,*online*",
                       seg="magnetogram", R="1")
        recnums = listed["keywords"][0]["values"]
        assert _info(server, op="rs_summary", ds=f"hmi.M_45s[:#{recnums[0]}]")["count"] == 1
        assert listed["keywords"][1]["values"] == ["N", "N", "N"], "no cached structure: offline"


# ---------------------------------------------------------------- safety
def test_nothing_outside_the_folder_is_served(held, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(held["data"] / "fits", data)
    outside = tmp_path / "outside.fits"
    shutil.copy(held["files"]["aia"][0], outside)
    (data / "link-out.fits").symlink_to(outside)
    (data / "link-in.fits").symlink_to(data / held["files"]["fits"][0].name)
    with HeldJSOC(data) as server:
        assert server.holdings.get("aia.lev1_euv_12s") is None, "a link out of the folder is not indexed"
        base = server.url
        for path in ("../../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "SUM41/D1/S00000/../../../etc/passwd",
                     "SUM41/D1/S00000/%2e%2e%2f%2e%2e%2fetc%2fpasswd", f"{outside}", "outside.fits",
                     "link-out.fits", "cgi-bin/../../outside.fits", "SUM41/D1/S00000/magnetogram.fits"):
            status, body = _get(base + path)
            assert status == 404, (path, status)
            assert b"root:" not in body


def test_a_token_is_required_when_set(held):
    with HeldJSOC(held["data"], token="s3cret-group-token") as server:
        assert server.url.endswith("/s3cret-group-token/")
        bare = server.url.rsplit("s3cret-group-token/", 1)[0]
        assert _get(bare + "cgi-bin/ajax/show_series")[0] == 401
        assert _get(bare + "SUM41/D1/S00000/magnetogram.fits")[0] == 401
        assert _get(bare + "wrong-token-here/cgi-bin/ajax/show_series")[0] == 403
        status, body = _get(server.url + "cgi-bin/ajax/show_series")
        assert status == 200 and json.loads(body)["n"] == 2
    with pytest.raises(ValueError, match="8 to 128 characters"):
        HeldJSOC(held["data"], token="a/b")


def test_new_files_are_found_by_the_cheap_check(held, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    now = [1000.0]
    with HeldJSOC(data, rescan_interval=5, clock=lambda: now[0]) as server:
        assert _info(server, op="series_struct", ds="hmi.M_45s")["status"] == 1
        shutil.copytree(held["data"] / "fits", data / "fits")
        assert _info(server, op="series_struct", ds="hmi.M_45s")["status"] == 1, "not before the interval"
        now[0] += 6
        assert _info(server, op="rs_summary", ds="hmi.M_45s[2014.01.01_TAI/1d]")["count"] == 3
        scans = server.holdings.scans
        now[0] += 6
        _info(server, op="rs_summary", ds="hmi.M_45s[2014.01.01_TAI/1d]")
        assert server.holdings.scans == scans, "nothing changed: no rescan"
        shutil.copytree(held["data"] / "aia", data / "aia")
        status, body = _get(server.url + "emulator/rescan")
        assert status == 200 and json.loads(body)["series"] == ["aia.lev1_euv_12s", "hmi.M_45s"]


# ---------------------------------------------------------------- command line
@pytest.mark.parametrize("argv", [["-m", "sunpy_jsocx.emulator", "--data"], ["-m", "sunpy_jsocx.emulator.serve"],
                                  ["-m", "sunpy_jsocx", "serve"], ["-m", "sunpy_jsocx", "-v", "serve"]])
def test_command_line_prints_the_base_url_first_and_serves(held, argv):
    env = dict(os.environ, JSOCX_SERVE_TOKEN="env-token-123")
    proc = subprocess.Popen([sys.executable, *argv, str(held["data"]), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/env-token-123/")
        status, body = _get(url + "cgi-bin/ajax/jsoc_info?op=series_struct&ds=hmi.m_45s")
        assert status == 200 and json.loads(body)["primekeys"] == ["T_REC", "CAMERA"]
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode in (0, -15)


def test_command_line_refuses_a_missing_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sunpy_jsocx.emulator", "--data", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "is not a folder" in proc.stderr



def test_cfitsios_own_comment_lines_are_not_read_as_the_records_comment():
    """A real export's COMMENT starts with CFITSIO's two lines; serving it again must not double them."""
    from sunpy_jsocx.emulator.holdings import Header, header_values
    from sunpy_jsocx.fitsexport import CFITSIO_FITS_COMMENTS

    cards = ["CONTENT = 'MAGNETOGRAM'", *(f"COMMENT {line}" for line in CFITSIO_FITS_COMMENTS),
             "COMMENT De-rotated to the reference time", "END"]
    raw = "".join(c.ljust(80) for c in cards).encode("ascii")
    values = header_values(Header(raw, len(raw), 0))
    assert values["CONTENT"][0] == "MAGNETOGRAM"
    assert values["COMMENT"][0] == "De-rotated to the reference time"
