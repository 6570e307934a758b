"""
A fetch of many exports is one job (issue 10, points 3 and 4): one download connection from
its first file to its last, and one progress over all of it (a bar, or a function called
with a `FetchProgress`), from Python as from the command line.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.progress import FetchProgress, FetchTracker

EMAIL = "user@example.org"
#: 20 records of hmi.M_45s on tape (one segment each); at a 200 MB size limit the emulator's JSOC
#: takes 5 per export, so the fetch makes 4 exports (as in test_jobs.py).
OFFLINE = a.Time("2010-06-01T00:00:00", "2010-06-01T00:14:30")
ONLINE = a.Time("2014-01-01T00:00:00", "2014-01-01T00:03:00")  # 5 records on disk, no export
LIMIT_MB = 200


@pytest.fixture(autouse=True)
def _own_lock_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("JSOCX_EXPORT_LOCKS", str(tmp_path_factory.mktemp("locks")))


@pytest.fixture
def emu():
    with JSOCEmulator(size_limit_mb=LIMIT_MB) as e, sunpy_jsocx.use_server(e.url):
        yield e


def _offline(client):
    res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
    assert len(res) == 20
    return res


def test_a_fetch_of_four_exports_downloads_over_one_connection(emu, tmp_path):
    client = JSOCXClient()
    res = _offline(client)
    emu.reset_stats()
    got = client.fetch(res, path=str(tmp_path / "{file}"), progress=False)
    stats = emu.stats()
    assert not got.errors and len(got) == 20
    assert stats["exports_created"] == 4
    assert stats["download_connections"] == 1, "each export's files came over a connection of its own"


def test_export_free_files_and_exports_share_the_connection_through_fido(emu, tmp_path):
    res = Fido.search(ONLINE | OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
    assert [len(block) for block in res] == [5, 20]
    emu.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = Fido.fetch(res, path=str(tmp_path / "{file}"), progress=False)
    stats = emu.stats()
    assert not got.errors and len(got) == 25
    assert stats["exports_created"] == 4
    assert stats["download_connections"] == 1


def test_two_exports_stage_while_the_first_one_downloads(emu, tmp_path, monkeypatch):
    """
    Staging does not wait for a download to end (``fetch.STAGE_AHEAD``): while the first
    export's files are held back, the second export is requested and, once JSOC has it
    done, the third. JSOC's one pending export per address is kept: the third is asked for
    only after the second is done. With one export staged ahead, the third would be asked
    for only after the first export's files, and the gate below would time out.
    """
    client = JSOCXClient()
    res = _offline(client)
    manager = emu.state.exports
    request, status = manager.request, manager.status
    events: list[tuple[str, str]] = []
    third = threading.Event()

    def counting_request(q):
        answer = request(q)
        events.append(("request", answer.get("requestid", "")))
        if manager.created >= 3:
            third.set()
        return answer

    def counting_status(rid):
        answer = status(rid)
        events.append((f"status {answer.get('status')}", rid))
        return answer

    monkeypatch.setattr(manager, "request", counting_request)
    monkeypatch.setattr(manager, "status", counting_status)
    opened = []

    def gate(p: FetchProgress) -> None:
        # The first export's first file, on the download thread: hold the export's downloads
        # until the third export is asked for (the fetch's own thread asks).
        if p.files and not opened and threading.current_thread() is not threading.main_thread():
            opened.append(third.wait(timeout=30))

    got = client.fetch(res, path=str(tmp_path / "{file}"), progress=gate)
    assert not got.errors and len(got) == 20
    assert opened == [True], "the third export was not requested while the first one's files downloaded"
    staged = [rid for what, rid in events if what == "request" and rid != "VOID"]
    assert len(staged) == 4
    # one pending export per address: each export is asked for only after JSOC said the one before is done
    for before, after in zip(staged, staged[1:], strict=False):
        done_at = events.index(('status 0', before)) if ('status 0', before) in events else None
        assert done_at is not None and done_at < events.index(("request", after))


def test_a_progress_function_follows_the_whole_job(emu, tmp_path):
    client = JSOCXClient()
    res = _offline(client)
    seen: list[FetchProgress] = []
    got = client.fetch(res, path=str(tmp_path / "{file}"), progress=seen.append)
    assert not got.errors and len(got) == 20
    last = seen[-1]
    assert (last.files, last.expected, last.failed) == (20, 20, 0)
    assert (last.exports, last.exports_expected) == (4, 4)
    assert last.bytes == sum(Path(p).stat().st_size for p in got)
    # One record, one file: the total is known before the first export lists its files.
    assert {s.expected for s in seen} == {20}
    files = [s.files for s in seen]
    assert files == sorted(files) and files[0] < 20
    assert [s.exports for s in seen] == sorted(s.exports for s in seen)


def test_files_from_the_record_cache_count_as_done_with_no_bytes(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("JSOCX_RECORD_CACHE", str(tmp_path / "cache"))
    client = JSOCXClient()
    res = _offline(client)
    client.fetch(res, path=str(tmp_path / "first" / "{file}"), progress=False)
    emu.reset_stats()
    seen: list[FetchProgress] = []
    got = client.fetch(res, path=str(tmp_path / "again" / "{file}"), progress=seen.append)
    assert len(got) == 20 and emu.stats()["exports_created"] == 0
    assert (seen[-1].files, seen[-1].expected, seen[-1].bytes, seen[-1].exports_expected) == (20, 20, 0, 0)


def test_a_fetch_run_again_counts_the_verified_files_it_keeps(emu, tmp_path):
    client = JSOCXClient()
    res = _offline(client)
    client.fetch(res, path=str(tmp_path / "{file}"), progress=False)
    seen: list[FetchProgress] = []
    got = client.fetch(res, path=str(tmp_path / "{file}"), progress=seen.append)
    assert len(got) == 20 and not got.errors
    assert (seen[-1].files, seen[-1].expected, seen[-1].bytes) == (20, 20, 0)


def test_progress_true_draws_one_bar_for_all_exports(emu, tmp_path, monkeypatch):
    import tqdm.auto

    bars = []

    class Recorded(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not self.disable:
                bars.append(self)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    client = JSOCXClient()
    res = _offline(client)
    got = client.fetch(res, path=str(tmp_path / "{file}"), progress=True)
    assert not got.errors and len(got) == 20
    assert len(bars) == 1, [b.desc for b in bars]
    assert (bars[0].n, bars[0].total) == (20, 20)


def test_a_progress_that_is_neither_flag_nor_function_is_refused_before_any_request(emu, tmp_path):
    client = JSOCXClient()
    res = _offline(client)
    emu.reset_stats()
    with pytest.raises(TypeError, match="progress must be True, False or a function"):
        client.fetch(res, path=str(tmp_path / "{file}"), progress="yes")
    assert emu.stats()["requests"] == {}


def test_the_tracker_estimates_time_left_from_its_clock():
    now = [100.0]
    tracker = FetchTracker(None, clock=lambda: now[0])
    tracker.expect("direct", 10)
    assert tracker.snapshot().eta is None
    now[0] += 4.0
    tracker.done(2_000_000)
    tracker.done(2_000_000)
    snap = tracker.snapshot()
    assert (snap.files, snap.expected, snap.elapsed) == (2, 10, 4.0)
    assert snap.rate == 1_000_000.0
    assert snap.eta == 16.0  # 2 files in 4 s, 8 to go


def test_what_a_progress_function_raises_stops_the_fetch_in_the_callers_thread(emu, tmp_path):
    """An error (or Ctrl-C) raised by the caller's function, called on the download thread, reaches
    the caller: the fetch stops there, and leaves no file that looks complete but is not."""
    client = JSOCXClient()
    res = _offline(client)
    calls = []

    def stop_at_three(p: FetchProgress) -> None:
        calls.append(p.files)
        if p.files == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.fetch(res, path=str(tmp_path / "{file}"), progress=stop_at_three)
    finals = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert 3 <= len(finals) < 20
    from sunpy_jsocx.integrity import file_problem

    assert all(file_problem(p) is None for p in finals)
    assert not list(tmp_path.glob(".*.part"))
