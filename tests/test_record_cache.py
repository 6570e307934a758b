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
