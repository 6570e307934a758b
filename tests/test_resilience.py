"""
What real use meets: a JSOC that fails now and then, long record lists, retries through
Fido, pending exports of other processes, exports that take too long, proxies, and a
damaged metadata cache. Each test failed on the code before issue 8.

Time is injected: ``sunpy_jsocx.transport.pause`` (how every wait sleeps) and
``sunpy_jsocx.download.pause`` are replaced by a fake clock, never slept for real.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import warnings
from pathlib import Path

import astropy.units as u
import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, download, transport
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.export import ExportRequest
from sunpy_jsocx.integrity import fits_problem
from sunpy_jsocx.transport import Connection, JSOCUnreachable, RetryPolicy

pytestmark = pytest.mark.usefixtures("collect_loops")

EMAIL = "user@example.org"
ONLINE = a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:00")
OFFLINE = a.Time("2010-06-01T00:00:00", "2010-06-01T00:01:00")


@pytest.fixture
def instant(monkeypatch, clock):
    """Every wait of the package advances the fake clock instead of sleeping."""
    waits: list[float] = []

    def pause(seconds):
        waits.append(seconds)
        clock.advance(seconds)

    async def no_pause(seconds):
        waits.append(seconds)

    monkeypatch.setattr(transport, "pause", pause)
    monkeypatch.setattr(transport, "now", clock)
    monkeypatch.setattr(download, "pause", no_pause)
    return waits


def quiet_fetch(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Fido.fetch(*args, progress=False, **kwargs)


# ---------------------------------------------------------------- a scripted HTTP server
class Script(http.server.ThreadingHTTPServer):
    """Answers each request with the next scripted action: an HTTP status, 'drop', 'cut' or a JSON dict."""

    def __init__(self, actions, default=None):
        self.actions = list(actions)
        self.default = default
        self.seen: list[dict] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        srv = self.server
        body = b""
        if self.command == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        srv.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        action = srv.actions.pop(0) if srv.actions else srv.default
        if action == "drop":
            self.connection.close()
            return
        if isinstance(action, int):
            self.send_response(action)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(action).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if action.get("_cut") else data)

    do_GET = do_POST = _answer


# ---------------------------------------------------------------- 2. retries of API calls
def test_api_calls_are_retried_with_growing_pauses():
    pauses = []
    with Script([500, "drop", {"status": 0, "_cut": True}, {"status": 0, "count": 3}]) as srv:
        conn = Connection(srv.url, sleep=pauses.append)
        answer = conn.call("jsoc_info", {"op": "rs_summary", "ds": "hmi.M_45s[$]"}, op="rs_summary")
    assert answer["count"] == 3
    assert pauses == [1.0, 2.0, 4.0]
    assert len(srv.seen) == 4


def test_api_calls_that_keep_failing_raise_one_clear_error():
    pauses = []
    with Script([], default=503) as srv:
        conn = Connection(srv.url, sleep=pauses.append, retry=RetryPolicy(attempts=3))
        with pytest.raises(JSOCUnreachable) as info:
            conn.rs_list("hmi.M_45s[$]", key=["T_REC"])
    message = str(info.value)
    assert srv.url in message and "rs_list" in message and "3 tries" in message and "HTTP 503" in message
    assert info.value.__suppress_context__, "no urllib traceback behind the error"
    assert len(srv.seen) == 3


def test_a_server_that_is_down_is_named(instant):
    with Script([]) as srv:
        url = srv.url  # the port is free again once the server is closed
    with pytest.raises(JSOCUnreachable, match="did not answer series_struct after 4 tries"):
        Connection(url).info("hmi.M_45s")


def test_a_refusal_is_not_retried():
    with Script([404]) as srv, pytest.raises(transport.JSOCError, match="HTTP 404"):
        Connection(srv.url, sleep=lambda s: None).call("jsoc_info", {"op": "x"}, op="x")
    assert len(srv.seen) == 1


@pytest.mark.parametrize("seed", [1, 2, 3, 4])  # each of these made the code before issue 8 raise
def test_search_and_mixed_fetch_get_through_a_jsoc_that_fails_now_and_then(tmp_path, instant, seed):
    with JSOCEmulator(http500_rate=0.2, drop_rate=0.15, seed=seed) as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"))
        offline = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"))
        files = quiet_fetch(res, offline, path=str(tmp_path / "{file}"))
        assert not files.errors
        assert len(files) == len(res[0]) + len(offline[0])
        # API calls the client sent, less those the server answered: the faults it got through
        sent = sum(transport.connection(emu.url).calls.values())
        answered = sum(v for k, v in emu.stats()["requests"].items()
                       if ":" not in k and k in ("jsoc_info", "jsoc_fetch", "checkAddress.sh", "showextseries"))
        assert sent > answered, "the test must meet faults on JSOC's API, not only on downloads"


def test_an_export_that_fails_leaves_the_online_files_and_can_be_redone(tmp_path, monkeypatch, instant):
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        online = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"))
        offline = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"))
        real = Connection.exp_request

        def broken(self, *args, **kwargs):
            raise JSOCUnreachable("JSOC at the emulator did not answer exp_request after 4 tries")

        monkeypatch.setattr(Connection, "exp_request", broken)
        files = quiet_fetch(online, offline, path=str(tmp_path / "{file}"))
        assert len(files) == len(online[0]), "the online files arrive whatever happens to the export"
        assert len(files.errors) == 1 and "exp_request" in str(files.errors[0].exception)
        monkeypatch.setattr(Connection, "exp_request", real)
        again = quiet_fetch(files)
        assert not again.errors
        assert len(again) == len(online[0]) + len(offline[0])
        assert emu.stats()["exports_created"] == 1


# ---------------------------------------------------------------- 3. long record lists
def test_fetching_hundreds_of_scattered_records(tmp_path):
    """A ``::2`` slice of a four-hour AIA 171 search: 601 records, no two consecutive."""
    with JSOCEmulator(image_size=16) as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T04:00:00"), a.jsocx.Series("aia.lev1_euv_12s"),
                          a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"), a.Wavelength(171 * u.AA),
                          a.jsocx.Segment("image"))
        assert len(res[0]) == 1201  # more than a search asks storage paths for (SMALL_SEARCH_ROWS)
        part = res[0][::2]
        files = quiet_fetch(part, path=str(tmp_path / "direct" / "{file}"))
        assert not files.errors and len(files) == 601
        tar = quiet_fetch(part, path=str(tmp_path / "tar" / "{file}"), method="url-tar")
        assert not tar.errors and len(tar) == 1
        assert emu.stats()["exports_created"] == 1, "one export for the 601 records, not one per chunk"


# ---------------------------------------------------------------- 4. Fido.fetch(results)
def test_fido_retry_writes_the_files_a_first_try_would_over_one_connection(tmp_path, instant):
    with JSOCEmulator(truncate_rate=1.0) as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"))  # FITS: headers written by the client
        failed = quiet_fetch(res, path=str(tmp_path / "retry" / "{file}"))
        assert len(failed) == 0 and len(failed.errors) == len(res[0])
        assert all(e.filepath_partial.endswith(".fits") for e in failed.errors)
        emu.config.truncate_rate = 0.0
        emu.reset_stats()
        again = quiet_fetch(failed)
        assert not again.errors and len(again) == len(res[0])
        assert emu.stats()["download_connections"] == 1
        first = quiet_fetch(res, path=str(tmp_path / "first" / "{file}"))
        for path in again:
            assert Path(path).suffix == ".fits"
            assert fits_problem(Path(path).read_bytes()) is None
            assert Path(path).read_bytes() == (tmp_path / "first" / Path(path).name).read_bytes()
        assert sorted(Path(p).name for p in again) == sorted(Path(p).name for p in first)
        assert not list((tmp_path / "retry").glob("*.asis"))


def test_other_clients_errors_still_go_to_parfive(tmp_path):
    import parfive

    with Script([], default=404) as srv:
        results = parfive.Results()
        results.add_error(str(tmp_path / "x.txt"), srv.url + "x.txt", RuntimeError("earlier failure"))
        out = parfive.Downloader(progress=False).retry(results)
    assert len(out.errors) == 1 and srv.seen, "parfive's own retry ran for a foreign error"


# ---------------------------------------------------------------- 5. a pending export of someone else
def test_a_pending_export_of_another_process_is_waited_out(tmp_path, clock):
    with JSOCEmulator(staging_delay=30.0, clock=clock) as emu:
        other = Connection(emu.url)  # what another process with the same address does
        first = other.exp_request("hmi.M_45s[2010.06.01_00:10:00_TAI]", EMAIL, method="url", protocol="fits")
        assert first["status"] == 2
        client = JSOCXClient(emu.url, sleep=clock.advance)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
        start = clock.now
        files = client.fetch(res, path=str(tmp_path / "{file}"), progress=False)
        assert not files.errors and len(files) == len(res)
        assert clock.now - start >= 30.0, "it waited for the other export"
        assert emu.stats()["requests"]["jsoc_fetch:exp_request"] == 3  # the other's, our refused one, ours


# ---------------------------------------------------------------- 6. waits that end
def test_wait_polls_at_the_deadline_when_the_hint_is_longer(clock):
    with JSOCEmulator(staging_delay=120.0, clock=clock) as emu:
        conn = Connection(emu.url)
        answer = conn.exp_request("hmi.M_45s[2010.06.01_00:00:00_TAI]", EMAIL, method="url", protocol="fits")
        req = ExportRequest(conn, answer, sleep=clock.advance)
        with pytest.raises(TimeoutError, match=r"not ready after 30 s"):
            req.wait(timeout=30)
        assert req.polls >= 1 and req.waited == 30.0
        clock.advance(120)
        assert req.wait(timeout=30).status == 0


def test_a_wait_ends_early_when_told_to_and_the_export_stays_pending(clock):
    """
    ``wait(until=...)``: a fetch waits for its next export while an earlier export's files
    download, and stops when they are in, so that a download error reaches the caller
    without waiting out a staging (which takes minutes on JSOC).
    """
    with JSOCEmulator(staging_delay=60.0, clock=clock) as emu:
        conn = Connection(emu.url)
        answer = conn.exp_request("hmi.M_45s[2010.06.01_00:00:00_TAI]", EMAIL, method="url", protocol="fits")
        req = ExportRequest(conn, answer, sleep=clock.advance)
        start = clock()
        asked = []

        def files_in():
            asked.append(clock() - start)
            return clock() - start >= 10  # the downloads end 10 s into the wait

        assert req.wait(until=files_in) is req
        assert req._status in (1, 2)  # still staging: the wait ended early
        assert 10 <= clock() - start <= 10 + 0.25  # at the next look after the downloads ended
        assert all(b - a <= 0.25 + 1e-9 for a, b in zip(asked, asked[1:], strict=False))
        assert req.wait(until=lambda: False).status == 0  # and without: to the end, at JSOC's pace
        assert clock() - start >= 60


@pytest.mark.parametrize("timeout", [-1, float("nan"), "soon", True])
def test_nonsense_timeouts_are_refused(timeout):
    req = ExportRequest(None, {"requestid": "JSOC_20140101_001", "status": 2})
    with pytest.raises(ValueError, match="timeout must be"):
        req.wait(timeout=timeout)


@pytest.mark.parametrize("requestid", ["", "   ", None, "JSOC", "jsoc_fetch?op=exp_status"])
def test_get_request_refuses_what_is_not_a_request_id_before_any_request(emulator, requestid):
    before = emulator.stats()["requests"].get("jsoc_fetch", 0)
    with pytest.raises((ValueError, TypeError), match="request id|export request"):
        JSOCXClient(emulator.url).get_request(requestid)
    assert emulator.stats()["requests"].get("jsoc_fetch", 0) == before


def test_fido_fetch_timeout_reports_the_export_and_picks_it_up_again(tmp_path, clock, instant, caplog):
    with JSOCEmulator(staging_delay=3600.0, clock=clock) as emu, sunpy_jsocx.use_server(emu.url):
        online = Fido.search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
        offline = Fido.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"))
        with caplog.at_level("INFO", logger="sunpy"):
            files = quiet_fetch(online, offline, path=str(tmp_path / "{file}"), timeout=120)
        assert len(files) == len(online[0])
        assert len(files.errors) == 1 and isinstance(files.errors[0].exception, TimeoutError)
        assert "get_request('JSOC_" in str(files.errors[0].exception)
        assert any("queued" in r.getMessage() or "processing" in r.getMessage() for r in caplog.records)
        clock.advance(3600)
        again = quiet_fetch(files)
        assert not again.errors and len(again) == len(online[0]) + len(offline[0])
        assert emu.stats()["exports_created"] == 1, "the staged export is picked up by its id"


# ---------------------------------------------------------------- 12. proxies, User-Agent, progress
def test_requests_name_the_package_and_go_through_the_proxy(tmp_path, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with Script([{"status": 0, "seriesList": ["hmi.M_45s"]}], default=404) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        names = Connection("http://jsoc.invalid/").series("hmi")
        got = download.download_files([download.DownloadItem("http://jsoc.invalid/SUM1/D1/S00000/x.fits",
                                                             tmp_path / "x.fits")], progress=False)
    assert names == ["hmi.M_45s"]
    assert len(got.errors) == 1  # the proxy answered 404, which shows the download went through it
    assert [s["path"].split("?")[0] for s in proxy.seen] == [
        "http://jsoc.invalid/cgi-bin/ajax/showextseries", "http://jsoc.invalid/SUM1/D1/S00000/x.fits"]
    for s in proxy.seen:
        assert s["headers"]["User-Agent"].startswith("sunpy-jsocx/")


def test_no_proxy_is_honoured_and_the_proxy_is_looked_up_once_per_host(tmp_path, monkeypatch):
    for name in ("ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: using it would fail
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    looked_up = []
    real = download._env_proxy
    monkeypatch.setattr(download, "_env_proxy", lambda url: looked_up.append(url) or real(url))
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = JSOCXClient().search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:02:00"), a.jsocx.Series("hmi.M_45s"),
                                   a.jsocx.Protocol("as-is"))
        files = JSOCXClient().fetch(res, path=str(tmp_path / "{file}"), progress=False)
    assert not files.errors and len(files) == len(res) > 1
    assert len(looked_up) == 1, "one lookup for the one host, not one per file"


def test_large_files_show_a_progress_bar_of_their_own(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(download, "BIG_FILE", 1)
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        res = JSOCXClient().search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:10"), a.jsocx.Series("hmi.M_45s"),
                                   a.jsocx.Protocol("as-is"))
        files = JSOCXClient().fetch(res, path=str(tmp_path / "{file}"), progress=True)
    assert len(files) == 1
    assert Path(files[0]).name[:20] in capsys.readouterr().err


# ---------------------------------------------------------------- 13. cutouts need FITS
def test_a_cutout_with_as_is_is_refused_before_any_export(emulator, tmp_path):
    from astropy.coordinates import SkyCoord
    from sunpy.coordinates import frames

    corner = SkyCoord(-100 * u.arcsec, -100 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01",
                      observer="earth")
    with sunpy_jsocx.use_server(emulator.url):
        res = JSOCXClient().search(ONLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL),
                                   a.jsocx.Protocol("as-is"),
                                   a.jsocx.Cutout(corner, width=200 * u.arcsec, height=200 * u.arcsec))
        before = emulator.stats()["requests"].get("jsoc_fetch:exp_request", 0)
        with pytest.raises(ValueError, match=r"Cutout needs Protocol\('fits'\)"):
            JSOCXClient().fetch(res, path=str(tmp_path / "{file}"), progress=False)
        assert emulator.stats()["requests"].get("jsoc_fetch:exp_request", 0) == before


# ---------------------------------------------------------------- 14. the metadata cache
@pytest.mark.parametrize("content", ["[]", "{}", '{"status": 0, "keywords": 5}', "not json"])
def test_a_damaged_metadata_cache_file_is_asked_again(tmp_path, monkeypatch, emulator, content):
    monkeypatch.setenv("JSOCX_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("JSOCX_CACHE_TTL", "3600")
    path = transport._cache_file(emulator.url, "hmi.m_45s")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert list(Connection(emulator.url).info("hmi.M_45s").primekeys) == ["T_REC", "CAMERA"]
    assert transport._valid_struct(json.loads(path.read_text())), "the cache file is repaired"


def test_cache_folders_of_servers_not_seen_for_a_ttl_are_removed(tmp_path, monkeypatch, emulator):
    monkeypatch.setenv("JSOCX_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("JSOCX_CACHE_TTL", "3600")
    stale = tmp_path / "series_struct" / "0123456789abcdef"
    stale.mkdir(parents=True)
    (stale / "hmi.m_45s.json").write_text("{}")
    os.utime(stale / "hmi.m_45s.json", (1, 1))
    Connection(emulator.url).info("hmi.M_45s")
    assert not stale.exists()
    assert len(list((tmp_path / "series_struct").iterdir())) == 1


def test_a_rerun_while_the_export_stages_picks_up_the_same_export(tmp_path, clock, instant):
    """
    Ctrl-C during staging, then the same command again: JSOC answers an identical request
    within 24 h with the pending export's id (jsoc-api.md §5.6), so no second export is made.
    """
    with JSOCEmulator(staging_delay=600.0, clock=clock) as emu:
        client = JSOCXClient(emu.url)
        res = client.search(OFFLINE, a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL))
        first = client.fetch(res, path=str(tmp_path / "{file}"), progress=False, timeout=60)
        assert len(first) == 0 and isinstance(first.errors[0].exception, TimeoutError)
        clock.advance(600)
        again = JSOCXClient(emu.url).fetch(res, path=str(tmp_path / "{file}"), progress=False)
        assert not again.errors and len(again) == len(res)
        assert emu.stats()["exports_created"] == 1


def test_a_wait_hint_counts_from_the_answer_not_from_the_wait(clock):
    """
    Submitted, then another export's files downloaded for longer than JSOC's estimate:
    the first poll comes at once, not a whole hint later (bulk fetches lost a hint per export).
    """
    with JSOCEmulator(staging_delay=30.0, clock=clock) as emu:
        conn = Connection(emu.url)
        answer = conn.exp_request("hmi.M_45s[2010.06.01_00:00:00_TAI]", EMAIL, method="url", protocol="fits")
        slept = []
        req = ExportRequest(conn, answer, sleep=slept.append, clock=clock)
        assert req.wait_hint >= 30
        clock.advance(31)  # downloading something else for 31 s
        req.wait(timeout=5)
        assert req.status == 0
        assert slept == [0.0], "asked again at once, after no pause"
