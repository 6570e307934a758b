"""
Nothing a user downloads may be silently wrong: verified files, unique temporary names,
and a file that is already there is checked before a fetch keeps it.

The FITS checks are held against astropy (an independent writer and checker of the
FITS standard's CHECKSUM/DATASUM cards), not against our own writer.
"""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx.download import DownloadItem, download_files
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.integrity import file_problem, fits_problem, ones_complement_sum
from sunpy_jsocx.transport import connection


def _astropy_fits(checksum=True, compressed=False) -> bytes:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(40, 30)).astype(np.float32)
    hdus = [fits.PrimaryHDU()]
    hdus.append(fits.CompImageHDU(data) if compressed else fits.ImageHDU(data))
    hdus[1].header["COMMENT"] = "test"
    buf = io.BytesIO()
    fits.HDUList(hdus).writeto(buf, checksum=checksum)
    return buf.getvalue()


@pytest.mark.parametrize("compressed", [False, True])
def test_files_astropy_checksummed_verify(compressed):
    raw = _astropy_fits(compressed=compressed)
    assert fits_problem(raw) is None
    assert fits_problem(raw, require_checksum=True) is None


@pytest.mark.parametrize("where", ["header", "data"])
def test_one_flipped_bit_is_found(where):
    raw = bytearray(_astropy_fits())
    # in the COMMENT card of the second header, or in its data
    pos = bytes(raw).index(b"COMMENT test") + 9 if where == "header" else len(raw) - 2000
    raw[pos] ^= 0x10
    problem = fits_problem(bytes(raw))
    assert problem is not None and "corrupt" in problem


def test_a_hole_of_zeros_is_found():
    # What two writers sharing one .part file left behind: right size, zeros inside.
    raw = bytearray(_astropy_fits())
    raw[-2880:] = bytes(2880)
    assert len(raw) == len(_astropy_fits())
    assert "DATASUM does not match" in fits_problem(bytes(raw))


@pytest.mark.parametrize("cut", [1, 2880, 2881])
def test_truncated_files_are_found(cut):
    raw = _astropy_fits()
    assert fits_problem(raw[:-cut]) is not None


def test_a_file_without_checksums_is_checked_for_structure_only():
    raw = _astropy_fits(checksum=False)
    assert fits_problem(raw) is None
    assert "no DATASUM" in fits_problem(raw, require_checksum=True)
    assert fits_problem(raw[:-2880]) is not None


def test_ones_complement_sum_matches_astropy():
    rng = np.random.default_rng(2)
    block = rng.integers(0, 256, size=2880 * 3, dtype=np.uint8)
    buf = io.BytesIO()
    fits.PrimaryHDU(block).writeto(buf, checksum=True)
    header = fits.getheader(io.BytesIO(buf.getvalue()))
    assert ones_complement_sum(block.tobytes()) == int(header["DATASUM"])


def test_file_problem_reads_size_and_content(tmp_path):
    good = tmp_path / "a.fits"
    good.write_bytes(_astropy_fits())
    assert file_problem(good) is None
    assert "bytes where" in file_problem(good, expected_size=good.stat().st_size + 1)
    assert "cannot be read" in file_problem(tmp_path / "missing.fits")
    (tmp_path / "empty.fits").write_bytes(b"")
    assert file_problem(tmp_path / "empty.fits") == "is empty"
    (tmp_path / "notes.txt").write_text("not FITS, nothing more to check")
    assert file_problem(tmp_path / "notes.txt") is None


# ---------------------------------------------------------------- the downloader
def _one_fits_url(emu, tmp_path) -> str:
    with sunpy_jsocx.use_server(emu.url):
        res = sunpy_jsocx.JSOCXClient().search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:10"),
                                               a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
    return emu.url + str(res[0]["_seg_magnetogram"]).lstrip("/")


def test_an_existing_corrupt_file_is_downloaded_again(tmp_path):
    with JSOCEmulator() as emu:
        url = _one_fits_url(emu, tmp_path)
        target = tmp_path / "m.fits"
        first = download_files([DownloadItem(url, target)], progress=False)
        assert not first.errors
        good = target.read_bytes()
        assert fits_problem(good) is None
        target.write_bytes(good[:len(good) // 2] + bytes(len(good) - len(good) // 2))  # a hole, same size
        before = emu.stats()["files_served"]
        again = download_files([DownloadItem(url, target)], progress=False)
        assert not again.errors
        assert emu.stats()["files_served"] == before + 1, "a corrupt file must not be kept"
        assert target.read_bytes() == good


def test_an_existing_whole_file_is_kept_without_a_request(tmp_path):
    with JSOCEmulator() as emu:
        url = _one_fits_url(emu, tmp_path)
        target = tmp_path / "m.fits"
        download_files([DownloadItem(url, target)], progress=False)
        before = emu.stats()["files_served"]
        kept = download_files([DownloadItem(url, target)], progress=False)
        assert list(kept) == [str(target)] and not kept.errors
        assert emu.stats()["files_served"] == before


def test_a_transform_that_writes_a_broken_file_is_refused(tmp_path):
    with JSOCEmulator() as emu:
        url = _one_fits_url(emu, tmp_path)
        target = tmp_path / "m.fits"
        res = download_files([DownloadItem(url, target, transform=lambda raw: raw[:-10])], progress=False)
        assert len(res.errors) == 1 and not target.exists()
        assert not list(tmp_path.iterdir()), "no temporary file may be left behind"


def test_unique_overwrite_never_replaces_the_existing_file(tmp_path):
    with JSOCEmulator() as emu:
        url = _one_fits_url(emu, tmp_path)
        target = tmp_path / "m.fits"
        target.write_bytes(b"keep me")
        res = download_files([DownloadItem(url, target)] * 2, progress=False, overwrite="unique")
        assert target.read_bytes() == b"keep me"
        assert sorted(Path(p).name for p in res) == ["m.1.fits", "m.2.fits"]


def test_two_fetches_into_one_folder_never_corrupt_each_other(tmp_path):
    """
    Two writers of the same files into one folder, at once, over a slow link with truncated
    bodies: every file either is whole (and each writer that says so is right) or is missing
    and reported as failed. Before, both wrote ``<name>.part``.
    """
    with (JSOCEmulator(image_size=1024, bandwidth=40_000_000, truncate_rate=0.2, seed=3) as emu,
          sunpy_jsocx.use_server(emu.url)):
        res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:03:00"), a.jsocx.Series("hmi.M_45s"),
                          a.jsocx.Protocol("as-is"))
        reference = tmp_path / "reference"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            emu.config.truncate_rate = 0.0
            ref = Fido.fetch(res, path=str(reference / "{file}"), progress=False)
            assert not ref.errors
            emu.config.truncate_rate = 0.2
        shared = tmp_path / "shared"
        outcomes: list = [None, None]

        def fetch(i):
            outcomes[i] = sunpy_jsocx.JSOCXClient().fetch(res[0], path=str(shared / "{file}"), progress=False,
                                                          overwrite=True)

        threads = [threading.Thread(target=fetch, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert all(o is not None for o in outcomes)
        names = {Path(p).name for p in ref}
        for o in outcomes:
            for p in o:  # every file a writer reports as done is whole, byte for byte
                assert Path(p).read_bytes() == (reference / Path(p).name).read_bytes()
        for f in shared.iterdir():
            assert f.name in names, f"left behind: {f.name}"
            assert f.read_bytes() == (reference / f.name).read_bytes()
        assert emu.stats()["faults"].get("truncate", 0) > 0, "the test must meet truncated bodies"


def test_concurrent_writers_of_one_file_use_their_own_temporary_files(tmp_path, monkeypatch):
    """
    Two downloads of one file into one folder are held mid-file by the server until the
    test has seen both temporary files: with a shared ``<name>.part`` there is only ever
    one, and one writer's rename takes the other's half-written file with it. (Files over
    ``IN_MEMORY`` bytes are written as they arrive; this file is made to be one.)
    """
    import asyncio

    from aiohttp import web

    from sunpy_jsocx import download
    from sunpy_jsocx.download import DownloadSession

    monkeypatch.setattr(download, "IN_MEMORY", 0)

    body = _astropy_fits()
    half = len(body) // 2
    target = tmp_path / "x.fits"
    both_midway = asyncio.Event()
    seen: set[str] = set()

    async def handler(request):
        resp = web.StreamResponse()
        resp.content_length = len(body)
        await resp.prepare(request)
        await resp.write(body[:half])
        await asyncio.wait_for(both_midway.wait(), 20)
        await resp.write(body[half:])
        await resp.write_eof()
        return resp

    async def watch():
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline and len(seen) < 2:
            seen.update(p.name for p in tmp_path.iterdir() if p.name.endswith(".part"))
            await asyncio.sleep(0.01)
        both_midway.set()

    async def main():
        app = web.Application()
        app.router.add_get("/x.fits", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        item = DownloadItem(f"http://127.0.0.1:{port}/x.fits", target)
        try:
            # Two writers, each with a connection (and a download thread) of its own.
            with DownloadSession(progress=False, overwrite=True) as one, \
                    DownloadSession(progress=False, overwrite=True) as two:
                return await asyncio.gather(asyncio.to_thread(one.download, [item]),
                                            asyncio.to_thread(two.download, [item]), watch())
        finally:
            await runner.cleanup()

    first, second, _ = asyncio.run(main())
    assert len(seen) == 2, f"both writers must write to temporary files of their own, saw {sorted(seen)}"
    assert not first.errors and not second.errors
    assert list(first) == list(second) == [str(target)]
    assert target.read_bytes() == body
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.fits"]


def test_small_files_are_written_off_the_connections_thread(emulator, tmp_path, monkeypatch):
    """
    Creating a file costs 0.1-0.5 ms on this machine: on the download thread it left the
    one connection idle between small files. A file of at most ``IN_MEMORY`` bytes is
    received into memory and written (temporary file, fsync, rename) in a worker thread,
    and arrives whole; a bigger one is still written as it arrives.
    """
    from sunpy_jsocx import download
    from sunpy_jsocx.download import DownloadSession

    opened: list[tuple[str, str]] = []
    real_open = open

    def recording_open(file, mode="r", *args, **kwargs):
        if "w" in mode:
            opened.append((threading.current_thread().name, Path(file).name))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(download, "open", recording_open, raising=False)
    answer = connection(emulator.url).rs_list("hmi.M_45s[2014.01.01_00:00:00_TAI/2m]", seg=["magnetogram"])
    items = [DownloadItem(emulator.url.rstrip("/") + p, tmp_path / f"{i}.fits")
             for i, p in enumerate(answer["segments"][0]["values"])]
    with DownloadSession(progress=False) as session:
        got = session.download(items)
    assert not got.errors and len(got) == len(items) >= 2
    assert opened and all(thread != "jsocx-downloads" for thread, _ in opened), opened
    assert all(fits.getdata(p) is not None for p in got)
    opened.clear()
    monkeypatch.setattr(download, "IN_MEMORY", 0)  # bigger than that: streamed into its file as it comes
    with DownloadSession(progress=False, overwrite=True) as session:
        assert not session.download(items).errors
    assert {thread for thread, _ in opened} >= {"jsocx-downloads"}


def test_temporary_files_of_killed_downloads_are_cleaned_up(tmp_path):
    import os
    import subprocess
    import sys

    from sunpy_jsocx.download import STALE_PART_AGE, clean_stale_parts

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".x.fits.{dead}-0123abcd.part"
    fresh_dead = tmp_path / f".y.fits.{dead}-0123abce.part"
    live = tmp_path / f".z.fits.{os.getpid()}-0123abcf.part"
    other = tmp_path / "notes.part"
    for f in (stale, fresh_dead, live, other):
        f.write_bytes(b"partial")
    old = stale.stat().st_mtime - STALE_PART_AGE - 1
    for f in (stale, live, other):
        os.utime(f, (old, old))
    assert clean_stale_parts(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (fresh_dead, live, other))


def test_the_next_file_is_on_the_wire_while_the_last_one_is_verified_and_written(tmp_path):
    """The one connection is not idle while a received file is checked and written (W6's overlap)."""
    import threading

    second_received = threading.Event()

    def slow_first(raw: bytes) -> bytes:
        # Held until the second file has been received: possible only if the connection moved on.
        assert second_received.wait(timeout=20), "the second download waited for the first file's writing"
        return raw

    def mark_second(raw: bytes) -> bytes:
        second_received.set()
        return raw

    with JSOCEmulator() as emu:
        url = _one_fits_url(emu, tmp_path)
        items = [DownloadItem(url, tmp_path / "first.fits", slow_first),
                 DownloadItem(url, tmp_path / "second.fits", mark_second)]
        got = download_files(items, progress=False)
        assert emu.stats()["download_connections"] == 1
    assert not got.errors, got.errors
    assert list(got) == [str(tmp_path / "first.fits"), str(tmp_path / "second.fits")], "in the items' order"
    assert (tmp_path / "first.fits").read_bytes() == (tmp_path / "second.fits").read_bytes()
