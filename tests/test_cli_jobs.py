"""
The command line for whole jobs (issue 10, point 4): search, fetch (and fetch again),
stage and get, against the emulator; and every error as one line and an exit status.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import subprocess
import sys

import pytest

from sunpy_jsocx import cli
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.progress import FetchProgress, human_bytes

REGISTERED = "user@example.org"  # registered in the emulator

ONLINE = "hmi.M_45s[2014.01.01_TAI/3m]"  # 4 records, online
OFFLINE = "hmi.M_45s[2010.06.01_TAI/2m]"  # 3 records, on tape: needs an export


@pytest.fixture
def emu():
    """An emulator of its own (counts start at zero), exports staged at once."""
    with JSOCEmulator(staging_delay=0) as e:
        yield e


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def files_in(path) -> list[str]:
    """The files a user sees (not the job's hidden manifest)."""
    return sorted(p.name for p in path.iterdir() if not p.name.startswith("."))


# ---------------------------------------------------------------- search
def test_search_prints_the_shown_columns_one_row_per_record(emu, capsys):
    status, out, err = run(capsys, "--server", emu.url, "search", ONLINE)
    assert status == 0, err
    rows = lines(out)
    assert rows[0].split() == ["T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT"]
    assert set(rows[1]) <= {"-", " "}
    # T_REC as JSOC prints it, with its scale: HMI's T_REC is TAI.
    assert [r.split()[0] for r in rows[2:]] == ["2014.01.01_00:00:00_TAI", "2014.01.01_00:00:45_TAI",
                                                 "2014.01.01_00:01:30_TAI", "2014.01.01_00:02:15_TAI"]
    assert emu.stats()["requests"]["jsoc_info:rs_list"] == 1


def test_search_json_has_keywords_record_recnum_and_online_flag(emu, capsys):
    status, out, err = run(capsys, "--server", emu.url, "search", ONLINE, "--json", "--key", "QUALITY")
    assert status == 0, err
    rows = json.loads(out)
    assert len(rows) == 4
    assert set(rows[0]) == {"T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT", "QUALITY",
                            "record", "recnum", "online"}
    assert rows[0]["record"] == "hmi.M_45s[2014.01.01_00:00:00_TAI][2]"
    assert rows[0]["T_REC"] == "2014.01.01_00:00:00_TAI"
    assert all(r["online"] is True and isinstance(r["recnum"], int) for r in rows)
    assert len({r["recnum"] for r in rows}) == 4
    status, out, _ = run(capsys, "--server", emu.url, "search", OFFLINE, "--json")
    assert status == 0
    assert [r["online"] for r in json.loads(out)] == [False, False, False]


def test_search_times_name_their_scale(emu, capsys):
    """
    A time without its scale would be read as UTC: a TAI T_REC 35 s off in 2014. JSOC's own
    strings name it: the seed tutorial's table shows AIA's T_REC as ``2014-01-01T00:00:01Z``,
    and the record names JSOC gives HMI's as ``2014.01.01_00:00:00_TAI``.
    """
    aia = "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:00:55_TAI][304]"
    status, out, err = run(capsys, "--server", emu.url, "search", aia, "--json", "--key", "T_OBS,EXPTIME")
    assert status == 0, err
    rows = json.loads(out)
    assert [r["T_REC"] for r in rows] == ["2014-01-01T00:00:01Z", "2014-01-01T00:00:13Z"]
    assert all(r["T_OBS"].endswith("Z") and r["EXPTIME"] > 2 for r in rows)
    status, out, err = run(capsys, "--server", emu.url, "search", aia, "--key", "T_OBS", "--key", "EXPTIME")
    assert status == 0, err
    assert lines(out)[0].split() == ["T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT", "T_OBS", "EXPTIME"]
    assert lines(out)[2].split()[0] == "2014-01-01T00:00:01Z"


def test_search_with_no_records_says_so(emu, capsys):
    status, out, err = run(capsys, "--server", emu.url, "search", "hmi.M_45s[2014.01.01_TAI/3m][? QUALITY < 0 ?]",
                           "--json")
    assert status == 0
    assert json.loads(out) == []
    assert "no records match" in err


def test_server_comes_from_the_environment(emu, capsys, monkeypatch):
    monkeypatch.setenv("JSOCX_SERVER", emu.url)
    status, out, _ = run(capsys, "search", ONLINE)
    assert status == 0
    assert len(lines(out)) == 6
    assert emu.stats()["requests"]["jsoc_info:rs_list"] == 1


# ---------------------------------------------------------------- fetch
@pytest.mark.parametrize("recordset", ["hmi.B_720s[2014.01.01_00:00:00_TAI]{field}",  # online: no export
                                       "hmi.B_720s[2010.06.01_00:00:00_TAI]{field,inclination}"])  # on tape
def test_fetch_of_a_record_set_with_a_segment_list_downloads_only_those_segments(emu, capsys, tmp_path, recordset):
    """``{field}`` in a record set selects segments (JSOC's record-set grammar): not all 27 of hmi.B_720s."""
    status, out, err = run(capsys, "--server", emu.url, "fetch", recordset, "--path", str(tmp_path / "d"),
                           "--notify", "user@example.org", "--no-progress")
    assert status == 0, err
    wanted = recordset.split("{")[1].rstrip("}").split(",")
    assert sorted(p.name.split(".")[-2] for p in (tmp_path / "d").iterdir()) == sorted(wanted)
    assert emu.stats()["requests"]["download"] == len(wanted)


def test_fetch_downloads_then_a_second_run_downloads_nothing(emu, capsys, tmp_path):
    status, out, err = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path))
    assert status == 0, err
    assert len(files_in(tmp_path)) == 4
    assert emu.stats()["requests"]["download"] == 4
    assert lines(out) == [f"4 files, {human_bytes(sum(p.stat().st_size for p in tmp_path.iterdir()))} "
                          f"into {tmp_path}; 0 errors"]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    emu.reset_stats()
    status, out, err = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path))
    assert status == 0, err
    stats = emu.stats()
    assert "download" not in stats["requests"] and stats["files_served"] == 0 and stats["exports_created"] == 0
    assert "4 files (0 downloaded, 4 already complete)" in out
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_fetch_resumes_a_job_that_stopped_half_way(emu, capsys, tmp_path):
    run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path))
    names = files_in(tmp_path)
    (tmp_path / names[0]).unlink()  # never arrived
    (tmp_path / names[1]).write_bytes((tmp_path / names[1]).read_bytes()[:5000])  # cut off
    emu.reset_stats()
    status, out, err = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path))
    assert status == 0, err
    assert emu.stats()["requests"]["download"] == 2
    assert "4 files (2 downloaded, 2 already complete)" in out
    assert files_in(tmp_path) == names


def test_fetch_of_offline_data_exports_and_needs_an_address(emu, capsys, tmp_path):
    status, out, err = run(capsys, "--server", emu.url, "fetch", OFFLINE, "--path", str(tmp_path))
    assert status == cli.USAGE
    assert len(lines(err)) == 1 and "--notify ADDRESS" in err
    assert files_in(tmp_path) == []

    status, out, err = run(capsys, "--server", emu.url, "fetch", OFFLINE, "--path", str(tmp_path),
                           "--notify", REGISTERED, "--protocol", "as-is", "--segment", "magnetogram")
    assert status == 0, err
    assert emu.stats()["exports_created"] == 1
    assert len(files_in(tmp_path)) == 3
    assert "3 files" in out and "0 errors" in out

    emu.reset_stats()  # again: the complete files are not downloaded again
    status, out, err = run(capsys, "--server", emu.url, "fetch", OFFLINE, "--path", str(tmp_path),
                           "--notify", REGISTERED, "--protocol", "as-is", "--segment", "magnetogram")
    assert status == 0, err
    assert "download" not in emu.stats()["requests"] and emu.stats()["files_served"] == 0
    assert "3 files (0 downloaded, 3 already complete)" in out


def test_fetch_url_tar_writes_one_tar(emu, capsys, tmp_path):
    status, out, err = run(capsys, "--server", emu.url, "fetch", OFFLINE, "--path", str(tmp_path),
                           "--notify", REGISTERED, "--method", "url-tar")
    assert status == 0, err
    assert [n.endswith(".tar") for n in files_in(tmp_path)] == [True]


def test_fetch_shows_one_progress_bar_over_the_job(emu, capsys, tmp_path):
    """Records done of records, elapsed < time left, files, bytes and the byte rate, on one line."""
    status, out, err = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path), "--progress")
    assert status == 0
    final = err.replace("\r", "\n").strip().splitlines()[-1]
    size = human_bytes(emu.stats()["bytes_served"])  # the bytes downloaded (the files gain their FITS headers after)
    assert re.fullmatch(r"JSOC fetch: 100%\|.*\| 4/4 records \[\d\d:\d\d<\d\d:\d\d, 4/4 files, "
                        + re.escape(size) + r", [\d.]+ [kMG]?B/s\]", final.strip()), final
    assert "Files Downloaded" not in err  # the client's own per-batch bar is off


def test_progress_counts_records_files_and_bytes_from_the_fetchs_reports(tmp_path):
    (tmp_path / "kept.fits").write_bytes(b"k" * 10)  # there before the job
    (tmp_path / ".jsocx-job-0123abcd.json").write_text("{}")  # the job's manifest: not a result
    progress = cli.JobProgress(str(tmp_path), 6, False, records=3, files_per_record=2)
    assert list(progress.before) == [str(tmp_path / "kept.fits")]
    progress.update(FetchProgress(1, 6, 0, 0, 0, 1, 0.1))  # the kept file, found complete: no bytes
    progress.update(FetchProgress(3, 6, 0, 350, 1, 1, 0.5))
    assert (progress.files, progress.records, progress.bytes) == (3, 1, 350)
    assert progress.line().startswith("3/6 files, 350 B, ")
    assert progress._initial == 1  # the rate and time left count what this run downloads
    tar = cli.JobProgress(str(tmp_path), None, False, records=3)
    assert tar.records is None  # url-tar: files only, as many as the fetch expects
    tar.update(FetchProgress(0, 1, 0, 0, 0, 1, 0.1))
    assert tar.total == 1


def test_progress_lists_only_the_files_the_jobs_path_can_name(tmp_path):
    """
    The files listed before the job are those its --path can write, never the rest of a
    parent folder: a new folder in a big one (``--path ~/data/job2``) listed the whole
    parent, which took seconds in a /tmp of 400,000 files before the first request.
    """
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.fits").write_bytes(b"a")
    (tmp_path / "b.fits").write_bytes(b"b")
    assert cli.JobProgress(str(tmp_path / "new"), 1, False).before == {}  # not there yet: nothing to list
    (tmp_path / "171").mkdir()
    (tmp_path / "171" / "c.fits").write_bytes(b"c")
    (tmp_path / "171" / "deeper").mkdir()
    (tmp_path / "171" / "deeper" / "d.fits").write_bytes(b"d")
    (tmp_path / "171" / ".c.fits.part").write_bytes(b"")
    by_wave = cli.JobProgress(str(tmp_path / "{WAVELNTH}" / "{file}"), 1, False)
    # each field is any name: other/a.fits could be a WAVELNTH's file; deeper ones and hidden ones cannot
    assert sorted(by_wave.before) == [str(tmp_path / "171" / "c.fits"), str(tmp_path / "other" / "a.fits")]
    assert sorted(cli.JobProgress(str(tmp_path), 1, False).before) == [str(tmp_path / "b.fits")]
    assert list(cli.JobProgress(str(tmp_path / "[x]"), 1, False).before) == []  # glob characters are literal


def test_the_progress_bar_counts_an_exports_records_as_they_arrive(emu, capsys, tmp_path, monkeypatch):
    """Offline records: the bar follows the fetch's own report of every file, to the end."""
    monkeypatch.setattr(cli.JobProgress, "REDRAW", 0.0, raising=False)  # draw at every report
    status, out, err = run(capsys, "--server", emu.url, "fetch", "hmi.M_45s[2010.06.01_TAI/15m]", "--path",
                           str(tmp_path), "--progress", "--notify", REGISTERED)
    assert status == 0, err
    shown = [int(n) for n, total in re.findall(r"\| (\d+)/(\d+) records", err) if total == "20"]
    assert shown == sorted(shown)  # never backwards
    assert set(shown) == set(range(21))  # each record as its file came


# ---------------------------------------------------------------- stage and get
def test_stage_prints_the_export_id_and_get_downloads_it_later(emu, capsys, tmp_path):
    status, out, err = run(capsys, "--server", emu.url, "stage", OFFLINE, "--notify", REGISTERED)
    assert status == 0, err
    ids = lines(out)
    assert len(ids) == 1 and re.fullmatch(r"JSOC_\d{8}_\d+", ids[0])
    assert emu.stats()["files_served"] == 0

    status, out, err = run(capsys, "--server", emu.url, "get", ids[0], "--path", str(tmp_path))
    assert status == 0, err
    assert len(files_in(tmp_path)) == 3
    assert emu.stats()["exports_created"] == 1  # picked up by id, not asked for again
    assert "3 files" in out


def test_fetch_that_times_out_says_how_to_pick_the_export_up(staged_emulator, clock, capsys, tmp_path):
    emu = staged_emulator  # exports take 30 s of a clock the test moves
    status, out, err = run(capsys, "--server", emu.url, "fetch", OFFLINE, "--path", str(tmp_path),
                           "--notify", REGISTERED, "--timeout", "0")
    assert status == cli.FAILED
    assert "0 files, 0 B" in out and "1 error" in out
    failed, hint = lines(err)
    assert failed.startswith("failed: ") and "not ready" in failed
    request = re.search(r"JSOC_\d{8}_\d+", failed).group()
    assert hint == (f"error: 1 export still staging at JSOC; download later with: "
                    f"python -m sunpy_jsocx get {request} --path {tmp_path}")
    clock.advance(31)
    status, out, err = run(capsys, "--server", emu.url, "get", request, "--path", str(tmp_path), "--timeout", "0")
    assert status == 0, err
    assert len(files_in(tmp_path)) == 3
    assert emu.stats()["exports_created"] == 1


def test_stage_needs_an_address_and_get_a_real_id(emu, capsys, tmp_path):
    status, _, err = run(capsys, "--server", emu.url, "stage", OFFLINE)
    assert status == cli.USAGE and len(lines(err)) == 1 and "--notify" in err
    status, _, err = run(capsys, "--server", emu.url, "get", "12345", "--path", str(tmp_path))
    assert status == cli.USAGE and len(lines(err)) == 1 and "not a JSOC export request id" in err
    assert emu.stats()["requests_total"] == 0


# ---------------------------------------------------------------- errors: one line and a status
def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_unreachable_server_is_one_line_and_status_3(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("sunpy_jsocx.transport.pause", lambda seconds: None)  # no real waits between tries
    status, out, err = run(capsys, "--server", _closed_port(), "fetch", ONLINE, "--path", str(tmp_path))
    assert status == cli.UNREACHABLE
    assert out == ""
    assert len(lines(err)) == 1 and err.startswith("error: JSOC at http://127.0.0.1:") and "did not answer" in err


def test_refused_record_set_is_one_line(emu, capsys):
    status, out, err = run(capsys, "--server", emu.url, "search", "hmi.nothere[2014.01.01_TAI/1h]")
    assert status == cli.FAILED
    assert lines(err) == ["error: jsoc_info: series hmi.nothere not found."]
    status, _, err = run(capsys, "--server", emu.url, "search", "hmi.M_45s[2014.01.01_TAI/1h")
    assert status == cli.USAGE and len(lines(err)) == 1 and "unbalanced" in err


def test_bad_arguments_are_one_line(emu, capsys, tmp_path):
    for argv in (["fetch", ONLINE], ["fetch", ONLINE, "--path", str(tmp_path), "--protocol", "jpeg"],
                 ["fetch", ONLINE, "--path", str(tmp_path), "--timeout", "-1"], ["frobnicate"]):
        status, out, err = run(capsys, "--server", emu.url, *argv)
        assert status == cli.USAGE, argv
        assert len(lines(err)) == 1 and err.startswith("error: "), err
    status, _, err = run(capsys, "--server", emu.url, "search", ONLINE, "--key", "NOSUCHKEY")
    assert status == cli.USAGE and len(lines(err)) == 1 and "NOSUCHKEY" in err


def test_full_disk_is_one_line_and_keeps_nothing_half_written(emu, capsys, tmp_path, monkeypatch):
    def full(tmp, data):
        with open(tmp, "wb") as fh:
            fh.write(data[:100])
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    monkeypatch.setattr("sunpy_jsocx.download._write", full)
    status, out, err = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path), "--progress")
    assert status == cli.FAILED
    assert "0 files, 0 B" in out and "4 errors" in out
    after_bar = err.replace("\r", "\n").split("files, ")[-1].split("\n", 1)[1]  # what follows the bar's line
    assert lines(after_bar) == [f"error: no space left on the device ({tmp_path}); 4 files not written; free some "
                                "space, then run the same command again (complete files are kept)"]
    assert files_in(tmp_path) == []  # no temporary file, nothing that looks complete

    monkeypatch.undo()
    status, out, _ = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path))
    assert status == 0 and "4 files, " in out


@pytest.mark.parametrize(("raised", "status", "message"), [
    (KeyboardInterrupt(), cli.INTERRUPTED, "interrupted; run the same command again"),
    (OSError(errno.ENOSPC, "No space left on device", "/data/x.fits"), cli.FAILED,
     "error: no space left on the device (/data/x.fits)"),
    (PermissionError(errno.EACCES, "Permission denied", "/data"), cli.FAILED, "error: Permission denied (/data)"),
    (TypeError("fetch takes a table"), cli.USAGE, "error: fetch takes a table"),
    (RuntimeError("boom\nsecond line"), cli.FAILED, "error: unexpected RuntimeError: boom second line"),
])
def test_what_ends_a_fetch_is_one_line_and_a_status(emu, capsys, tmp_path, monkeypatch, raised, status, message):
    def fail(self, *args, **kwargs):
        raise raised

    monkeypatch.setattr("sunpy_jsocx.client.JSOCXClient.fetch", fail)
    got, out, err = run(capsys, "--server", emu.url, "fetch", ONLINE, "--path", str(tmp_path))
    assert got == status
    assert len(lines(err)) == 1 and err.startswith(message), err


def test_many_failures_are_listed_up_to_ten_then_counted(capsys):
    from types import SimpleNamespace

    errors = [SimpleNamespace(exception=OSError(errno.EACCES, "Permission denied"), filepath_partial=f"d/{i}.fits",
                              url=f"http://x/{i}") for i in range(25)]
    results = type("Results", (list,), {"errors": errors})()  # parfive.Results: the files, and .errors
    status = cli._report(results, cli.JobProgress("d", None, False), "d")
    assert status == cli.FAILED
    errs = lines(capsys.readouterr().err)
    assert len(errs) == 12
    assert errs[0] == "failed: d/0.fits: Permission denied" and errs[10] == "failed: 15 more (run with -v to see " \
        "what the client did)"
    assert errs[11].startswith("error: 25 parts failed; run the same command again")


def test_closed_pipe_ends_quietly(emu, capsys, monkeypatch):
    def closed(*args, **kwargs):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr("builtins.print", closed)
    status, out, err = run(capsys, "--server", emu.url, "search", ONLINE)
    assert status == cli.FAILED
    assert err == ""


# ---------------------------------------------------------------- the real thing: no traceback reaches the user
def _cli(*argv, **kwargs):
    return [sys.executable, "-m", "sunpy_jsocx", *argv]


def test_subprocess_errors_have_no_traceback(emu, tmp_path):
    env = dict(os.environ, JSOCX_SERVER=emu.url)
    out = subprocess.run(_cli("search", "hmi.nothere[2014.01.01_TAI/1h]"), env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1
    assert out.stderr == "error: jsoc_info: series hmi.nothere not found.\n"
    out = subprocess.run(_cli("fetch", OFFLINE, "--path", str(tmp_path)), env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert len(lines(out.stderr)) == 1 and "Traceback" not in out.stderr


def test_subprocess_piped_into_head_exits_quietly(emu):
    """``search ... | head -1``: the reader goes away after one line of a long table."""
    env = dict(os.environ, JSOCX_SERVER=emu.url)
    proc = subprocess.Popen(_cli("search", "hmi.M_45s[2014.01.01_TAI/1d]"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its line; the table (> 64 kB) is far from written
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert first.split() == [b"T_REC", b"TELESCOP", b"INSTRUME", b"WAVELNTH", b"CAR_ROT"]
    assert err == b""
    assert proc.returncode == 1


def test_subprocess_ctrl_c_is_one_line_status_130_and_leaves_no_partial_file(tmp_path):
    """SIGINT in the middle of a slow download (the bar is up): one line, status 130, no .part left."""
    import signal

    with JSOCEmulator(bandwidth=20_000) as slow:  # 20 files of ~56 kB: about a minute
        env = dict(os.environ, JSOCX_SERVER=slow.url)
        proc = subprocess.Popen(_cli("fetch", "hmi.M_45s[2014.01.01_TAI/15m]", "--path", str(tmp_path),
                                     "--progress"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = b""
        while b"/20 files" not in seen:  # the progress bar is drawn once the search is done
            chunk = os.read(proc.stderr.fileno(), 4096)
            assert chunk, seen
            seen += chunk
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        served = slow.stats()["files_served"]
    assert proc.returncode == 130
    assert b"Traceback" not in err
    assert (seen + err).replace(b"\r", b"\n").splitlines()[-1] == (
        b"interrupted; run the same command again to go on where it stopped")
    assert served < 20
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


# ---------------------------------------------------------------- a fast --help
def _imported_by(*argv) -> set[str]:
    """The modules a fresh interpreter imports for ``argv`` (from ``-X importtime``)."""
    out = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}


def test_help_does_not_import_the_client_sunpy_or_astropy():
    """``python -m sunpy_jsocx --help`` took over a second importing sunpy.net through the client."""
    modules = _imported_by("-m", "sunpy_jsocx", "--help")
    assert "sunpy_jsocx.cli" in modules
    assert not {"sunpy_jsocx.client", "sunpy.net", "astropy", "astropy.table"} & modules
    assert not {"sunpy_jsocx.client", "sunpy.net"} & _imported_by("-m", "sunpy_jsocx", "fetch", "--help")


def test_import_still_registers_the_client_with_fido_in_either_order():
    for code in ("from sunpy.net import Fido, attrs as a; import sunpy_jsocx; print(a.jsocx.Series.__name__)",
                 "import sunpy_jsocx; from sunpy.net import Fido, attrs as a; print(a.jsocx.Series.__name__, "
                 "'JSOCXClient' in [c.__name__ for c in Fido.registry])",
                 "import sunpy_jsocx; print(sunpy_jsocx.JSOCXClient.__name__, sunpy_jsocx.use_mirror.__name__)"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.split() in (["Series"], ["Series", "True"], ["JSOCXClient", "use_mirror"]), out.stdout


def test_the_client_command_line_loads_the_server_only_for_serve():
    # `python -m sunpy_jsocx serve DIR` runs sunpy_jsocx.emulator.serve; every other command,
    # and importing the package, must not load the emulator (the client does not depend on it).
    code = ("import sys, sunpy_jsocx, sunpy_jsocx.cli; sunpy_jsocx.cli.main(['series', '--help']); "
            "print(sorted(m for m in sys.modules if m.startswith('sunpy_jsocx.emulator')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    listed = subprocess.run([sys.executable, "-m", "sunpy_jsocx", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert "serve" in listed.stdout
