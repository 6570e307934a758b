"""
Jobs that survive (issue 10, points 2 and 3): the job manifest beside a fetch's files, a
fetch killed at any point and run again, and one export queue per address per machine.

Kills are exact, not timed: a child process runs the fetch with a hook that sends itself
SIGKILL at a chosen point (an export just recorded, a file written but not yet renamed,
files in place, the manifest half replaced). Waits for staging run on the emulator's
injected clock or on its staging delay of 0; nothing sleeps on the wall clock.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sunpy.net import attrs as a

from sunpy_jsocx import JSOCXClient, transport
from sunpy_jsocx.addresslock import AddressLock
from sunpy_jsocx.download import FINISHING
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.fetch import FetchPlan
from sunpy_jsocx.integrity import file_problem
from sunpy_jsocx.manifest import JobManifest, parse_ranges, ranges

EMAIL = "user@example.org"
OFFLINE = a.Time("2010-06-01T00:00:00", "2010-06-01T00:02:00")  # 3 records on tape
#: 20 offline records; with a 200 MB size limit JSOC (the emulator) takes 5 per export: 4 exports.
BULK = "hmi.M_45s[2010.06.01_TAI/15m]"
LIMIT_MB = 200


@pytest.fixture(autouse=True)
def _own_lock_dir(tmp_path_factory, monkeypatch):
    """Address locks of these tests in a folder of their own (children inherit it)."""
    monkeypatch.setenv("JSOCX_EXPORT_LOCKS", str(tmp_path_factory.mktemp("locks")))


@pytest.fixture
def instant(monkeypatch, clock):
    """Every wait of the package advances the fake clock instead of sleeping."""

    def pause(seconds):
        clock.advance(seconds)

    monkeypatch.setattr(transport, "pause", pause)
    monkeypatch.setattr(transport, "now", clock)
    return clock


def _manifests(folder: Path) -> list[Path]:
    return sorted(folder.glob(".jsocx-job-*.json"))


def _finals(folder: Path) -> dict[str, bytes]:
    """Files under final names (not hidden temporary files, not the manifest)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


# ---------------------------------------------------------------- the manifest
def test_a_rerun_picks_the_recorded_export_up_by_id_and_requests_nothing(tmp_path, clock, instant):
    with JSOCEmulator(staging_delay=600.0, clock=clock) as emu:
        client = JSOCXClient(emu.url)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
        first = client.fetch(res, path=str(tmp_path / "{file}"), progress=False, timeout=0)
        assert len(first) == 0 and isinstance(first.errors[0].exception, TimeoutError)
        [manifest] = _manifests(tmp_path)
        data = json.loads(manifest.read_text())
        [export] = data["exports"]
        assert export["id"].startswith("JSOC_") and len(parse_ranges(export["records"])) == 3
        assert data["files"] == {} and data["complete"] is False
        clock.advance(600)
        emu.reset_stats()
        again = JSOCXClient(emu.url).fetch(res, path=str(tmp_path / "{file}"), progress=False)
        s = emu.stats()
        assert not again.errors and len(again) == 3
        assert "jsoc_fetch:exp_request" not in s["requests"], "picked up by id: no request at all"
        assert s["requests"]["jsoc_fetch:exp_status"] == 1 and s["exports_created"] == 0
        assert _manifests(tmp_path) == [], "a finished job's manifest goes"


@pytest.mark.parametrize("how", ["expired", "forgotten"])
def test_an_export_jsoc_no_longer_has_is_requested_again_and_the_log_says_so(tmp_path, clock, instant, caplog, how):
    with JSOCEmulator(staging_delay=30.0, clock=clock) as emu:
        client = JSOCXClient(emu.url)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
        first = client.fetch(res, path=str(tmp_path / "{file}"), progress=False, timeout=0)
        assert first.errors
        [manifest] = _manifests(tmp_path)
        data = json.loads(manifest.read_text())
        if how == "expired":
            clock.advance(8 * 86400)  # JSOC deletes exports after 7 days: status 5
        else:  # JSOC has never heard of the id (status 6), and it is not a new one
            data["exports"][0]["id"] = "JSOC_20000101_999"
            data["exports"][0]["submitted"] = 0
            manifest.write_text(json.dumps(data))
            clock.advance(31)
        emu.reset_stats()
        with caplog.at_level("INFO", logger="sunpy"):
            again = client.fetch(res, path=str(tmp_path / "{file}"), progress=False)
        assert not again.errors and len(again) == 3
        assert emu.stats()["requests"]["jsoc_fetch:exp_request"] == 1
        said = " ".join(r.getMessage() for r in caplog.records)
        assert "JSOC no longer has export" in said and "requesting those records again" in said


def test_a_finished_record_is_neither_exported_nor_downloaded_again(tmp_path, clock, instant, monkeypatch):
    """Two of three records done (Ctrl-C): the re-run exports and downloads only the third."""
    from sunpy_jsocx import download

    with JSOCEmulator(staging_delay=30.0, clock=clock) as emu:
        client = JSOCXClient(emu.url)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
        calls = []
        original = FetchPlan._completed

        def interrupted(self, *args):
            original(self, *args)
            calls.append(args)
            if len(calls) == 2:
                raise KeyboardInterrupt

        # The third file is verified and written while the second one's completion is recorded
        # (download.FINISHING): without this it could be put in place before the Ctrl-C reached the
        # fetch, and the re-run would find it there (0 files served). The Ctrl-C comes first here.
        finish, finished = download._finish, []

        def killed_before_the_third(item, got, overwrite):
            finished.append(item)
            if len(finished) > 2:
                raise RuntimeError("interrupted before this file was written")
            return finish(item, got, overwrite)

        monkeypatch.setattr(download, "_finish", killed_before_the_third)
        FetchPlan._completed = interrupted
        try:
            with pytest.raises(KeyboardInterrupt):
                client.fetch(res, path=str(tmp_path / "{file}"), progress=False)
        finally:
            FetchPlan._completed = original
            monkeypatch.setattr(download, "_finish", finish)
        [manifest] = _manifests(tmp_path)
        data = json.loads(manifest.read_text())
        assert len(data["files"]) == 2 and len(parse_ranges(next(iter(data["done"].values())))) == 2
        clock.advance(8 * 86400)  # the export is gone by now: only the missing record is asked for
        emu.unstage()
        emu.reset_stats()
        again = client.fetch(res, path=str(tmp_path / "{file}"), progress=False)
        s = emu.stats()
        assert not again.errors and len(again) == 3
        assert s["files_served"] == 1 and s["requests"]["jsoc_fetch:exp_request"] == 1
        export = list(emu.state.exports.exports.values())[-1]
        assert export.rcount == 1, "the new export holds the one record not yet done"


def test_two_writers_of_one_manifest_lose_nothing(tmp_path):
    """Two processes running the same job: each update is merged into the file, never lost."""
    parts = {"p1": {"series": "hmi.m_45s", "records": "1-4"}}
    one = JobManifest(tmp_path, "t/{file}", parts)
    two = JobManifest(tmp_path, "t/{file}", parts)
    (tmp_path / "a.fits").write_bytes(b"x" * 10)
    (tmp_path / "b.fits").write_bytes(b"y" * 20)
    one.record_export("JSOC_20260101_001", "p1", "ds1", [1, 2], EMAIL)
    two.record_export("JSOC_20260101_002", "p1", "ds2", [3, 4], EMAIL)
    one.file_done(tmp_path / "a.fits", "p1", (1,))
    one.record_done("p1", 1)
    one.save()
    two.file_done(tmp_path / "b.fits", "p1", (3,))
    two.record_done("p1", 3)
    two.save()
    data = json.loads(one.path.read_text())
    assert [e["id"] for e in data["exports"]] == ["JSOC_20260101_001", "JSOC_20260101_002"]
    assert data["files"] == {"a.fits": [10, "p1", 1], "b.fits": [20, "p1", 3]}
    assert data["done"] == {"p1": "1,3"}
    again = JobManifest(tmp_path, "t/{file}", parts)
    assert again.resumed and again.done("p1") == {1, 3}
    (tmp_path / "b.fits").write_bytes(b"short")  # changed since: no longer done
    assert JobManifest(tmp_path, "t/{file}", parts).done("p1") == {1}
    assert ranges([1, 2, 3, 7]) == "1-3,7" and parse_ranges("1-3,7") == {1, 2, 3, 7}


# ---------------------------------------------------------------- killed at any point
CHILD = r"""
import os, signal, sys
point, k = sys.argv[1], int(sys.argv[2])
n = [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def count():
    n[0] += 1
    return n[0] == k

from sunpy_jsocx import download, fetch, manifest
if point == "export-recorded":  # JSOC has answered and the manifest has the id
    orig = manifest.JobManifest.record_export
    def hook(self, *a, **kw):
        orig(self, *a, **kw)
        if count():
            die()
    manifest.JobManifest.record_export = hook
elif point == "before-rename":  # a whole file in its temporary name, not yet renamed
    orig = download.file_problem
    def hook(*a, **kw):
        if count():
            die()
        return orig(*a, **kw)
    download.file_problem = hook
elif point == "files-done":  # files in place, the manifest's last entries not yet written
    orig = fetch.FetchPlan._completed
    def hook(self, *a):
        orig(self, *a)
        if count():
            die()
    fetch.FetchPlan._completed = hook
elif point == "manifest-write":  # the new manifest written to its temporary name, not renamed
    orig = manifest.JobManifest._write
    def hook(self, data):
        if count():
            manifest.os.replace = lambda *a: die()
        orig(self, data)
    manifest.JobManifest._write = hook
from sunpy_jsocx import cli
sys.exit(cli.main(sys.argv[3:]))
"""


def _bulk_args(url: str, folder: Path) -> list[str]:
    return ["--server", url, "fetch", BULK, "--path", str(folder), "--notify", EMAIL]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run of the bulk fetch: its files and what it cost."""
    from sunpy_jsocx import cli

    folder = tmp_path_factory.mktemp("reference")
    with JSOCEmulator(size_limit_mb=LIMIT_MB) as emu:
        assert cli.main(_bulk_args(emu.url, folder)) == 0
        stats = emu.stats()
    assert stats["exports_created"] == 4 and stats["files_served"] == 20
    return _finals(folder), stats


def test_an_oversized_request_is_split_by_jsocs_size_at_once(reference):
    """JSOC's status 3 names the size and the limit: one refusal, then parts that fit, not halvings."""
    _, stats = reference
    assert stats["requests"]["jsoc_fetch:exp_request"] == stats["exports_created"] + 1 == 5


@pytest.mark.parametrize(("point", "k"), [("export-recorded", 2), ("before-rename", 8), ("files-done", 7),
                                          ("manifest-write", 4)])
def test_a_fetch_killed_at_any_point_finishes_on_the_same_command(tmp_path, reference, point, k):
    ref_files, ref_stats = reference
    folder = tmp_path / "job"
    with JSOCEmulator(size_limit_mb=LIMIT_MB) as emu:
        args = _bulk_args(emu.url, folder)
        killed = subprocess.Popen([sys.executable, "-c", CHILD, point, str(k), *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        _, err = killed.communicate(timeout=300)
        assert killed.returncode == -signal.SIGKILL, err
        before = emu.stats()
        # Nothing under a final name is incomplete; the manifest on disk is whole JSON.
        for name, body in _finals(folder).items():
            assert body == ref_files[name] and file_problem(folder / name) is None
        [manifest] = _manifests(folder)
        recorded = json.loads(manifest.read_text())
        assert recorded["exports"], "each export is recorded once submitted"
        # The staged data goes back to tape: what is not done must come from the recorded exports.
        emu.unstage()
        emu.reset_stats()
        if point == "files-done":  # the same command, from the command line
            resumed = subprocess.run([sys.executable, "-m", "sunpy_jsocx", *args], capture_output=True, text=True,
                                     timeout=300)
            assert resumed.returncode == 0, resumed.stderr
        else:
            from sunpy_jsocx import cli

            assert cli.main(args) == 0
        after = emu.stats()
    assert _finals(folder) == ref_files, "every file, byte for byte as an uninterrupted run writes it"
    assert _manifests(folder) == []
    # Only the killed process's hidden temporary file may be left (removed once ten minutes old).
    assert all(f".{killed.pid}-" in p.name for p in folder.glob(".*.part"))
    exports = before["exports_created"] + after["exports_created"]
    assert exports == ref_stats["exports_created"], "no export is made twice"
    assert after["requests"].get("jsoc_fetch:exp_status", 0) >= 1, "recorded exports are picked up by id"
    served = before["files_served"] + after["files_served"]
    # In flight when killed: the file being received, and up to FINISHING received files being verified
    # and written while the connection brings the next (sunpy_jsocx.download). Nothing placed is fetched again.
    in_flight = 1 + FINISHING
    assert served <= ref_stats["files_served"] + in_flight, "no complete file is downloaded again"
    biggest = max(len(body) for body in ref_files.values())
    assert before["bytes_served"] + after["bytes_served"] <= ref_stats["bytes_served"] + in_flight * biggest


# ---------------------------------------------------------------- one queue per address
QUEUED = r"""
import sys
from sunpy import log
from sunpy_jsocx import addresslock
original = addresslock.AddressLock.set_request
def said(self, requestid):
    original(self, requestid)
    print("HOLDING", requestid, flush=True)
addresslock.AddressLock.set_request = said
from sunpy_jsocx import cli
sys.exit(cli.main(["--verbose", *sys.argv[1:]]))
"""


def _lines(proc) -> queue.Queue:
    """The child's output lines, read by a thread of their own (None at the end)."""
    q: queue.Queue = queue.Queue()

    def read():
        for line in proc.stdout:
            q.put(line)
        q.put(None)

    threading.Thread(target=read, daemon=True).start()
    return q


def _until(lines: queue.Queue, text: str, limit: float = 120.0) -> str:
    """Wait for a line of the child's with ``text`` (bounded; fails if the child ends first)."""
    deadline = time.monotonic() + limit
    seen = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"no {text!r} from the child; it said: {''.join(seen)[-2000:]}")


def test_two_processes_of_one_address_take_turns_instead_of_meeting_status_7(tmp_path, clock):
    """
    Process A's export stages (on a clock the test holds still); process B of the same
    address waits for A's turn to end, then asks: JSOC never answers status 7.
    """
    with JSOCEmulator(staging_delay=1.0, clock=clock) as emu:
        def start(rs, folder):
            return subprocess.Popen([sys.executable, "-u", "-c", QUEUED, "--server", emu.url, "fetch", rs,
                                     "--path", str(tmp_path / folder), "--notify", EMAIL],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        first = start("hmi.M_45s[2010.06.01_TAI/2m]", "a")
        second = None
        try:
            out_a = _lines(first)
            _until(out_a, "HOLDING")
            second = start("hmi.M_45s[2010.06.02_TAI/2m]", "b")
            out_b = _lines(second)
            _until(out_b, "waiting for its turn")
            assert emu.stats()["requests"]["jsoc_fetch:exp_request"] == 1, "B has not asked yet"
            clock.advance(2)  # A's export is ready; A downloads, B asks
            _until(out_b, "HOLDING")
            clock.advance(2)
            first.wait(timeout=120)
            second.wait(timeout=120)
        finally:
            for p in (first, second):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
        assert first.returncode == 0 and second.returncode == 0
        s = emu.stats()
        assert s["requests"]["jsoc_fetch:exp_request"] == 2, "one request each: none answered with status 7"
        assert s["exports_created"] == 2
        assert len(_finals(tmp_path / "a")) == 3 and len(_finals(tmp_path / "b")) == 3


def test_a_lock_whose_holder_died_before_naming_its_export_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = AddressLock("http://127.0.0.1:1/", EMAIL, root=tmp_path)
    lock.path.write_text(json.dumps({"host": os.uname().nodename, "pid": int(dead.stdout), "token": "x",
                                     "requestid": None, "since": time.time()}))
    slept = []
    assert lock.acquire(lambda *a: 1.0, sleep=slept.append) == 0.0 and slept == []
    assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    lock.release()
    assert lock.path.read_text() == ""


def test_a_lock_held_for_a_pending_export_is_waited_for_until_jsoc_says_it_is_done(tmp_path):
    other = AddressLock("http://127.0.0.1:1/", EMAIL, root=tmp_path)
    other.acquire(lambda *a: None)
    other.set_request("JSOC_20260101_001")
    mine = AddressLock("http://127.0.0.1:1/", EMAIL, root=tmp_path)
    answers = iter([3.0, 1.0, None])  # pending, pending, done
    asked, slept = [], []

    def finished(server, rid, alive):
        asked.append(rid)
        return next(answers)

    waited = mine.acquire(finished, sleep=slept.append)
    assert asked == ["JSOC_20260101_001"] * 3 and waited == pytest.approx(sum(slept)) and waited >= 4.0
    assert json.loads(mine.path.read_text())["token"] == mine.token
    other.release()  # no longer its lock: nothing changes
    assert json.loads(mine.path.read_text())["token"] == mine.token
    with pytest.raises(TimeoutError, match="still had a pending JSOC export"):
        AddressLock("http://127.0.0.1:1/", EMAIL, root=tmp_path).acquire(lambda *a: 5.0, timeout=1.0,
                                                                          sleep=lambda s: None)
