"""
The record cache: a record's file is downloaded once per machine, whatever the folder
or the process, and is verified before it is served.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.recordcache import RecordCache, record_cache

ONLINE = a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:30")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("JSOCX_RECORD_CACHE", str(root))
    return root


def fetch(res, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Fido.fetch(res, path=str(path / "{file}"), progress=False)


@pytest.mark.parametrize("protocol", ["fits", "as-is"])
def test_the_same_records_into_another_folder_need_no_request(tmp_path, cache_dir, protocol, collect_loops):
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol(protocol))
        first = fetch(res, tmp_path / "one")
        assert len(first) == len(res[0]) == emu.stats()["files_served"]
        emu.reset_stats()
        again = fetch(res, tmp_path / "two")
        assert not again.errors and len(again) == len(first)
        assert emu.stats()["requests_total"] == 0, "no request at all: keywords, files and all"
        for p in again:
            assert Path(p).read_bytes() == (tmp_path / "one" / Path(p).name).read_bytes()


def test_another_process_is_served_from_the_cache(tmp_path, cache_dir):
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
        fetch(res, tmp_path / "one")
        emu.reset_stats()
        code = ("import sys; from sunpy.net import attrs as a; import sunpy_jsocx; c = sunpy_jsocx.JSOCXClient(); "
                "r = c.search(a.Time('2014-01-01T00:00:00', '2014-01-01T00:01:30'), a.jsocx.Series('hmi.M_45s'), "
                "a.jsocx.Protocol('as-is')); print(len(c.fetch(r, path=sys.argv[1] + '/{file}', progress=False)))")
        env = {**__import__("os").environ, "JSOCX_SERVER": emu.url}
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "two")], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.stdout.strip().splitlines()[-1] == str(len(res[0])), out.stderr
        assert emu.stats()["files_served"] == 0


def test_a_damaged_cache_entry_is_downloaded_again(tmp_path, cache_dir, collect_loops):
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
        fetch(res, tmp_path / "one")
        cache = record_cache()
        entry = cache.entries()[0]
        raw = entry.read_bytes()
        entry.write_bytes(raw[: len(raw) // 2] + bytes(len(raw) - len(raw) // 2))
        emu.reset_stats()
        again = fetch(res, tmp_path / "two")
        assert not again.errors and len(again) == len(res[0])
        assert emu.stats()["files_served"] == 1, "only the damaged record is asked for again"
        for p in again:
            assert Path(p).read_bytes() == (tmp_path / "one" / Path(p).name).read_bytes()


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch, collect_loops):
    monkeypatch.setenv("JSOCX_RECORD_CACHE", "off")
    assert record_cache() is None
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
        fetch(res, tmp_path / "one")
        fetch(res, tmp_path / "two")
        assert emu.stats()["files_served"] == 2 * len(res[0])


def test_least_recently_used_files_go_past_the_limit(tmp_path):
    import io
    import os

    import numpy as np
    from astropy.io import fits

    cache = RecordCache(tmp_path / "c", limit_bytes=3 * 5760)
    for i in range(5):
        buf = io.BytesIO()
        fits.PrimaryHDU(np.full(10, i, dtype=np.int16)).writeto(buf, checksum=True)
        src = tmp_path / f"f{i}.fits"
        src.write_bytes(buf.getvalue())
        cache.put(f"{i:02d}key", src)
        os.utime(cache._path(f"{i:02d}key"), (1000 + i, 1000 + i))
    cache.evict()
    assert sorted(p.name for p in cache.entries()) == ["02key", "03key", "04key"]
    assert cache.get("02key", tmp_path / "out.fits")  # served, and now the most recent
    assert cache.clear() == 3 and cache.entries() == []


def test_a_file_that_does_not_verify_is_not_cached(tmp_path):
    cache = RecordCache(tmp_path / "c")
    bad = tmp_path / "bad.fits"
    bad.write_bytes(b"SIMPLE  =                    T" + bytes(100))
    cache.put("aakey", bad)
    assert cache.entries() == []


def test_the_cache_command_shows_verifies_and_clears(tmp_path, cache_dir, capsys, collect_loops):
    from sunpy_jsocx import cli

    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
        fetch(res, tmp_path / "one")
    n = len(res[0])
    assert cli.main(["cache"]) == 0
    assert f"{n} files" in capsys.readouterr().out
    entry = record_cache().entries()[0]
    entry.write_bytes(entry.read_bytes()[:100])
    assert cli.main(["cache", "verify"]) == 0
    assert "1 damaged, removed" in capsys.readouterr().out
    assert cli.main(["cache", "clear"]) == 0
    assert f"removed {n - 1} files" in capsys.readouterr().out
    assert record_cache().entries() == []


# ---------------------------------------------------------------- exported files
OFFLINE = a.Time("2010-06-01T00:00:00", "2010-06-01T00:02:00")  # 3 records on tape (emulator's cut-off 2011)
EMAIL = a.jsocx.Notify("user@example.org")


def _exp_requests(emu) -> int:
    return emu.stats()["requests"].get("jsoc_fetch:exp_request", 0)


@pytest.mark.parametrize("protocol", ["fits", "as-is"])
def test_offline_records_fetched_into_another_folder_are_not_exported_again(tmp_path, cache_dir, protocol,
                                                                             collect_loops):
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL, a.jsocx.Protocol(protocol))
        assert not any(res[0]["_online"]), "the records must be on tape for this test"
        first = fetch(res, tmp_path / "one")
        assert not first.errors and len(first) == len(res[0]) == 3
        assert emu.stats()["exports_created"] == 1
        emu.reset_stats()
        again = fetch(res, tmp_path / "two")
        assert not again.errors and len(again) == len(first)
        stats = emu.stats()
        assert _exp_requests(emu) == 0 and stats["exports_created"] == 0, stats["requests"]
        assert stats["files_served"] == 0 and stats["requests_total"] == 0, stats["requests"]
        assert sorted(Path(p).name for p in again) == sorted(Path(p).name for p in first)
        for p in again:
            assert Path(p).read_bytes() == (tmp_path / "one" / Path(p).name).read_bytes()


def test_only_the_records_the_cache_lacks_are_exported(tmp_path, cache_dir, collect_loops):
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL)
        fetch(res[0][:1], tmp_path / "one")
        emu.reset_stats()
        rest = fetch(res, tmp_path / "two")
        assert not rest.errors and len(rest) == 3
        assert emu.stats()["exports_created"] == 1
        assert emu.stats()["files_served"] == 2, "the cached record is copied, the other two exported"


def test_a_finished_offline_job_run_again_asks_jsoc_for_nothing(tmp_path, cache_dir, collect_loops):
    """The job's manifest is gone once it finished; the cache still knows its files."""
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL)
        fetch(res, tmp_path / "one")
        emu.reset_stats()
        again = fetch(res, tmp_path / "one")
        assert not again.errors and len(again) == 3
        assert _exp_requests(emu) == 0 and emu.stats()["files_served"] == 0, emu.stats()["requests"]


def test_cutouts_are_cached_under_their_own_processing(tmp_path, cache_dir, collect_loops):
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from sunpy.coordinates import frames

    def cutout(tx):
        corner = SkyCoord(tx * u.arcsec, 0 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01T00:00:00",
                          observer="earth")
        return a.jsocx.Cutout(corner, width=200 * u.arcsec, height=200 * u.arcsec)

    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), EMAIL, cutout(-100))
        first = fetch(res, tmp_path / "one")
        assert not first.errors and emu.stats()["exports_created"] == 1
        emu.reset_stats()
        again = fetch(res, tmp_path / "two")
        assert not again.errors and len(again) == len(first)
        assert emu.stats()["exports_created"] == 0 and emu.stats()["files_served"] == 0
        for p in again:
            assert Path(p).read_bytes() == (tmp_path / "one" / Path(p).name).read_bytes()
        # Another box is another file: exported, not taken from the cache.
        other = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), EMAIL, cutout(-300))
        emu.reset_stats()
        moved = fetch(other, tmp_path / "three")
        assert not moved.errors and emu.stats()["exports_created"] == 1
        assert emu.stats()["files_served"] == len(moved)
        # Whole images are not the cutouts either: stored files, downloaded.
        whole = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"))
        emu.reset_stats()
        fetch(whole, tmp_path / "four")
        assert emu.stats()["files_served"] == len(whole[0])


def test_url_tar_exports_are_asked_for_each_time(tmp_path, cache_dir, collect_loops):
    """One tar holds many records: it is not a record's file, so the cache does not keep it."""
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL, a.jsocx.Method("url-tar"))
        fetch(res, tmp_path / "one")
        emu.reset_stats()
        again = fetch(res, tmp_path / "two")
        assert not again.errors and len(again) == 1
        assert emu.stats()["files_served"] == 1
    assert record_cache().entries() == []


def test_the_cache_keeps_the_name_jsoc_gave_each_file(tmp_path):
    import io

    import numpy as np
    from astropy.io import fits

    cache = RecordCache(tmp_path / "c")
    buf = io.BytesIO()
    fits.PrimaryHDU(np.zeros(4, dtype=np.int16)).writeto(buf, checksum=True)
    src = tmp_path / "x.fits"
    src.write_bytes(buf.getvalue())
    cache.put("aakey", src, name="hmi.m_45s.20100601_000000_TAI.magnetogram.fits")
    cache.put("abkey", src)
    assert cache.name("aakey") == "hmi.m_45s.20100601_000000_TAI.magnetogram.fits"
    assert cache.name("abkey") is None, "no name recorded: not served to an export"
    assert [p.name for p in cache.entries()] == ["aakey", "abkey"], "the names are not listed as files"
    assert cache.clear() == 2 and not list((tmp_path / "c").rglob("*name"))


# ---------------------------------------------------------------- exports fetched by id alone
def _staged_id(client, res) -> str:
    [request] = client.request_data(res)
    return request.id


def test_an_export_fetched_by_id_again_downloads_nothing(tmp_path, cache_dir, collect_loops):
    """``get ID`` twice, into two folders: the second copies every file from the cache."""
    with JSOCEmulator() as emu:
        client = sunpy_jsocx.JSOCXClient(emu.url)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL)
        rid = _staged_id(client, res)
        first = client.get_request(rid, path=str(tmp_path / "one"), progress=False)
        assert not first.errors and len(first) == 3
        emu.reset_stats()
        again = client.get_request(rid, path=str(tmp_path / "two"), progress=False)
        stats = emu.stats()
        assert not again.errors and len(again) == 3
        assert stats["files_served"] == 0 and stats["requests"].get("download", 0) == 0, stats["requests"]
        ops = {k: v for k, v in stats["requests"].items() if ":" in k}
        assert ops == {"jsoc_fetch:exp_status": 1}, "only the listing is asked for"
        for p in again:
            assert Path(p).read_bytes() == (tmp_path / "one" / Path(p).name).read_bytes()


def test_an_export_fetched_by_id_serves_later_fetches_of_its_records(tmp_path, cache_dir, collect_loops):
    """A fits export's files name their records (DRMS_ID): a search and fetch of them exports nothing."""
    with JSOCEmulator() as emu:
        client = sunpy_jsocx.JSOCXClient(emu.url)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL)
        got = client.get_request(_staged_id(client, res), path=str(tmp_path / "one"), progress=False)
        assert not got.errors and len(got) == 3
        emu.unstage()
        emu.reset_stats()
        later = client.fetch(res, path=str(tmp_path / "two"), progress=False)
        stats = emu.stats()
        assert not later.errors and len(later) == 3
        assert stats["exports_created"] == 0 and stats["files_served"] == 0, stats["requests"]


def test_a_restarted_server_reusing_an_export_id_is_not_served_the_old_files(tmp_path, cache_dir, clock,
                                                                              collect_loops):
    """
    JSOC never reuses a request id; an emulator restarted on the same port does, for the same
    records under the same names, and here with other images. The export's time is in the key.
    """
    port, bodies = 0, []
    for size in (32, 48):
        with JSOCEmulator(port=port, image_size=size, clock=clock) as emu:
            port = int(emu.url.rsplit(":", 1)[1].strip("/"))
            client = sunpy_jsocx.JSOCXClient(emu.url)
            res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), EMAIL)
            rid = _staged_id(client, res)
            got = client.get_request(rid, path=str(tmp_path / str(size)), progress=False)
            assert not got.errors and len(got) == 3
            assert emu.stats()["files_served"] == 3, "a file of the first server was served from the cache"
            bodies.append({Path(p).name: Path(p).read_bytes() for p in got})
        clock.advance(60)
    assert bodies[0].keys() == bodies[1].keys() and bodies[0] != bodies[1]


@pytest.mark.parametrize(("header", "series", "recnum", "segment"), [
    ("hmi_sharp_magnetogram.header", "hmi.sharp_720s", 9170526, "magnetogram"),
    ("hmi_bharp_vlos_mag.header", "hmi.Bharp_720s", 1452699, "vlos_mag"),
])
def test_a_files_record_key_is_read_from_the_drms_id_jsoc_writes(tmp_path, header, series, recnum, segment):
    """The DRMS_ID cards of real JSOC exports (sunpy's test data, tests/data/jsoc-headers) name the record."""
    import numpy as np
    from astropy.io import fits

    from sunpy_jsocx.recordcache import cache_key, record_keys_of_fits

    real = (Path(__file__).parent / "data" / "jsoc-headers" / header).read_text()
    card = next(line for line in real.splitlines() if line.startswith("DRMS_ID"))
    hdu = fits.PrimaryHDU(np.zeros((4, 4), dtype=np.int16))
    hdu.header.append(fits.Card.fromstring(card))
    hdu.writeto(tmp_path / "x.fits")
    server = "http://jsoc.stanford.edu"
    assert record_keys_of_fits(tmp_path / "x.fits", server, "fits") == [
        cache_key(server, series, recnum, segment, "fits")]
    mod = tmp_path / "mod.fits"
    hdu.header["DRMS_ID"] = f"{series}_mod:{recnum}:{segment}"
    hdu.writeto(mod)
    assert record_keys_of_fits(mod, server, "fits") == [], "processed records are not the record's file"
