"""
When JSOC is down (issue 10, point 5): a search that cannot reach JSOC says so in one
line, and, when the user allows it, is answered by the KIS mirror (the emulator playing
KIS here), with a warning naming the mirror and a table that says where it came from.
Fetching such a table says that KIS has no exports and no files.

JSOC is "down" as a closed port on 127.0.0.1; the retries' pauses are skipped (no real waits).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, cli, config
from sunpy_jsocx import attrs as jsocx
from sunpy_jsocx.client import MirrorResponse
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.emulator.kis import KISEmulator
from sunpy_jsocx.mirror import KIS_LAYOUT, MIRROR_META, MIRRORS, parse_mirror
from sunpy_jsocx.transport import JSOCUnreachable, MirrorOnlyError, mirror_connection

ONLINE = "hmi.M_45s[2014.01.01_TAI/3m]"  # 4 records, online
OFFLINE = "hmi.M_45s[2010.06.01_TAI/2m]"  # 3 records, on tape


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def down(monkeypatch):
    """A JSOC that cannot be reached; no real pauses between the tries."""
    monkeypatch.setattr("sunpy_jsocx.transport.pause", lambda seconds: None)
    monkeypatch.delenv("JSOCX_MIRROR", raising=False)
    return _closed_port()


@pytest.fixture
def kis():
    with KISEmulator() as emu:
        yield emu


@pytest.fixture(autouse=True)
def no_leftover_settings():
    yield
    leftover = list(config._mirror_settings) + list(config._settings)
    config._mirror_settings.clear()
    config._settings.clear()
    assert leftover == [], "a test left a server or mirror set"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


# ---------------------------------------------------------------- the emulator playing KIS
def test_kis_emulator_has_show_series_and_jsoc_info_under_cgi_bin_and_nothing_else(kis):
    base = kis.url + "cgi-bin/"
    assert _get(base + "show_series?filter=hmi%5C.m_45s%24") == 200
    assert _get(base + "jsoc_info?op=series_struct&ds=hmi.M_45s") == 200
    # No exports (a server without jsoc_fetch), no address checks, no JSOC-only wrapper, no JSOC layout.
    for path in ("jsoc_fetch?op=exp_status&requestid=JSOC_20140101_001", "checkAddress.sh?address=a%40b.org",
                 "showextseries", "ajax/jsoc_info?op=series_struct&ds=hmi.M_45s", "ajax/jsoc_fetch"):
        assert _get(base + path) == 404, path
    request = urllib.request.Request(base + "jsoc_fetch", data=b"op=exp_request&ds=hmi.M_45s", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 404
    stats = kis.stats()
    assert stats["requests"]["refused:jsoc_fetch"] == 2 and stats["exports_created"] == 0


def test_kis_emulator_serves_no_files(kis):
    conn = mirror_connection(parse_mirror("kis=" + kis.url))
    answer = conn.rs_list(ONLINE, key=["T_REC"], seg=["magnetogram"])
    path = answer["segments"][0]["values"][0]
    assert path.startswith("/SUM")
    assert _get(kis.url + path.lstrip("/")) == 404
    with JSOCEmulator() as jsoc:  # the same path is a file at JSOC
        assert _get(jsoc.url + path.lstrip("/")) == 200
    assert kis.stats()["files_served"] == 0


def test_drms_kis_configuration_works_against_the_kis_emulator(kis):
    """drms's own "kis" configuration, pointed at the emulator: series, info and query work, export does not."""
    import drms
    from drms.config import ServerConfig

    real = drms.config._server_configs["kis"]
    server = ServerConfig(real.to_dict(), name="KIS-emulated", cgi_baseurl=kis.url + "cgi-bin/",
                          url_show_series=None, url_jsoc_info=None)
    client = drms.Client(server)
    assert client.series(r"hmi\.m_45s$") == ["hmi.M_45s"]
    assert client.pkeys("hmi.M_45s") == ["T_REC", "CAMERA"]
    keys, segs = client.query(ONLINE, key="T_REC", seg="magnetogram")
    assert len(keys) == 4 and len(segs) == 4
    with pytest.raises(drms.DrmsOperationNotSupported):
        client.export(ONLINE, email="user@example.org")


# ---------------------------------------------------------------- the client
def test_search_with_jsoc_down_and_the_mirror_allowed_answers_from_kis_with_a_warning(down, kis, caplog):
    with caplog.at_level("WARNING", logger="sunpy"):
        res = JSOCXClient(down, mirror="kis=" + kis.url).search(jsocx.RecordSet(ONLINE))
    assert isinstance(res, MirrorResponse) and len(res) == 4
    assert list(res["T_REC"].isot) == ["2014-01-01T00:00:00", "2014-01-01T00:00:45",
                                       "2014-01-01T00:01:30", "2014-01-01T00:02:15"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"JSOC at {down} could not be reached; the search is answered by the KIS mirror at "
                        f"{kis.url} instead (metadata only: no exports, no files)"]
    # The table says where it came from: in its meta, and first in its display (slices too).
    assert res.meta[MIRROR_META]["mirror"] == "kis" and res.meta[MIRROR_META]["url"] == kis.url
    assert res.meta[MIRROR_META]["jsoc"] == down
    for shown in (str(res), repr(res).split("\n", 1)[1], str(res[1:3]), res._repr_html_()):
        assert f"Answered by the KIS mirror at {kis.url} because JSOC at {down} could not be reached" in shown
    assert "T_REC" in str(res).splitlines()[1]
    assert res.server == kis.url
    stats = kis.stats()["requests"]
    assert stats["jsoc_info:rs_list"] == 1 and stats["jsoc_info:series_struct"] == 1


def test_discovery_with_jsoc_down_is_answered_by_the_mirror(down, kis, caplog):
    client = JSOCXClient(down, mirror="kis=" + kis.url)
    with caplog.at_level("WARNING", logger="sunpy"):
        assert client.series(r"hmi\.m_45s$") == ["hmi.M_45s"]
        assert client.primekeys("hmi.M_45s") == ["T_REC", "CAMERA"]
    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(messages) == 2 and all(kis.url in m for m in messages)
    assert "the series list" in messages[0] and "the structure of hmi.M_45s" in messages[1]
    assert kis.stats()["requests"]["show_series"] == 1
    assert len(client.mirror_answers) == 2


def test_without_permission_a_search_fails_with_the_one_line_error(down, kis):
    with pytest.raises(JSOCUnreachable) as info:
        JSOCXClient(down).search(jsocx.RecordSet(ONLINE))
    message = str(info.value)
    assert message.startswith(f"JSOC at {down} did not answer series_struct after 4 tries")
    assert "\n" not in message
    assert kis.stats()["requests_total"] == 0  # no mirror was asked
    with pytest.raises(JSOCUnreachable):
        JSOCXClient(down, mirror="off").search(jsocx.RecordSet(ONLINE))


def test_the_real_jsoc_down_hints_at_the_mirror(monkeypatch, down):
    """Only the real JSOC's message suggests KIS (an emulator's would not)."""
    monkeypatch.setattr("sunpy_jsocx.client.DEFAULT_SERVER", down)
    with pytest.raises(JSOCUnreachable, match=r"meanwhile the KIS mirror can answer searches: JSOCX_MIRROR=kis"):
        JSOCXClient(down).search(jsocx.RecordSet(ONLINE))


def test_the_mirror_is_not_asked_while_jsoc_answers(kis, emulator):
    res = JSOCXClient(emulator.url, mirror="kis=" + kis.url).search(jsocx.RecordSet(ONLINE))
    assert type(res).__name__ == "JSOCXResponse" and MIRROR_META not in res.meta
    assert kis.stats()["requests_total"] == 0


def test_fetch_after_a_mirror_search_says_kis_has_no_exports_or_files(down, kis, tmp_path):
    client = JSOCXClient(down, mirror="kis=" + kis.url)
    res = client.search(jsocx.RecordSet(ONLINE))
    for call in (lambda: client.fetch(res, path=str(tmp_path)), lambda: client.fetch(res[0], path=str(tmp_path)),
                 lambda: client.request_data(res)):
        with pytest.raises(MirrorOnlyError) as info:
            call()
        message = str(info.value)
        assert f"answered by the KIS mirror at {kis.url}" in message
        assert "no exports, no files" in message and "search again when JSOC answers" in message
    assert "cannot stage" in message
    assert list(tmp_path.iterdir()) == []
    stats = kis.stats()
    assert stats["files_served"] == 0 and stats["exports_created"] == 0 and "refused" not in stats["requests"]


def test_offline_records_from_the_mirror_cannot_be_exported_either(down, kis, tmp_path):
    client = JSOCXClient(down, mirror="kis=" + kis.url)
    res = client.search(jsocx.RecordSet(OFFLINE), jsocx.Notify("user@example.org"))
    assert len(res) == 3
    with pytest.raises(MirrorOnlyError, match="cannot fetch"):
        client.fetch(res, path=str(tmp_path))
    # Below the client too: the mirror's connection refuses exports before sending anything.
    conn = mirror_connection(parse_mirror("kis=" + kis.url))
    with pytest.raises(MirrorOnlyError, match="cannot export"):
        conn.exp_request(OFFLINE, "user@example.org", method="url", protocol="fits")
    assert kis.stats()["requests"].get("refused", 0) == 0


def test_fido_search_uses_the_mirror_and_fido_fetch_says_why_it_cannot(down, kis, tmp_path):
    from sunpy.net import Fido

    with sunpy_jsocx.use_server(down), sunpy_jsocx.use_mirror("kis=" + kis.url):
        res = Fido.search(jsocx.RecordSet(ONLINE))
        assert res.file_num == 4
        assert "Answered by the KIS mirror" in str(res)
        with pytest.raises(MirrorOnlyError, match="no exports, no files"):
            Fido.fetch(res, path=str(tmp_path))
    assert kis.stats()["files_served"] == 0


def test_both_down_names_both(down):
    other = _closed_port()
    with pytest.raises(JSOCUnreachable) as info:
        JSOCXClient(down, mirror="kis=" + other).series()
    message = str(info.value)
    assert f"JSOC at {down} did not answer" in message and f"the KIS mirror at {other} did not answer" in message


# ---------------------------------------------------------------- how the mirror is allowed
def test_mirror_values():
    assert parse_mirror("kis") is MIRRORS["kis"] and MIRRORS["kis"].url == "http://drms.leibniz-kis.de/"
    assert MIRRORS["kis"].layout is KIS_LAYOUT and not KIS_LAYOUT.exports and not KIS_LAYOUT.downloads
    assert parse_mirror(" KIS=http://127.0.0.1:8766 ").url == "http://127.0.0.1:8766/"
    for off in ("off", "", "none"):
        assert parse_mirror(off) is None
    with pytest.raises(ValueError, match=r"unknown mirror 'sdac'; valid: kis .* 'kis=URL' .* or 'off'"):
        parse_mirror("sdac")
    with pytest.raises(ValueError, match="is not a JSOC server URL"):
        parse_mirror("kis=ftp://x")
    with pytest.raises(TypeError, match="a mirror is given as a string"):
        parse_mirror(3)
    with pytest.raises(ValueError, match="unknown mirror"):
        JSOCXClient(mirror="sdac")


def test_mirror_from_use_mirror_and_the_environment(monkeypatch, down, kis):
    monkeypatch.setenv("JSOCX_MIRROR", "kis=" + kis.url)
    assert JSOCXClient().mirror.url == kis.url
    assert len(JSOCXClient(down).search(jsocx.RecordSet(ONLINE))) == 4
    with sunpy_jsocx.use_mirror("off"):
        assert JSOCXClient().mirror is None
        with pytest.raises(JSOCUnreachable):
            JSOCXClient(down).series()
    assert JSOCXClient(mirror="off").mirror is None  # the client's own setting comes first
    monkeypatch.delenv("JSOCX_MIRROR")
    assert JSOCXClient().mirror is None
    setting = sunpy_jsocx.use_mirror()
    assert JSOCXClient().mirror is MIRRORS["kis"] and "KIS mirror" in repr(setting)
    config.reset_mirror()
    assert JSOCXClient().mirror is None and not setting.active
    monkeypatch.setenv("JSOCX_MIRROR", "sdac")
    with pytest.raises(ValueError, match=r"\$JSOCX_MIRROR: unknown mirror 'sdac'"):
        JSOCXClient().mirror  # noqa: B018


# ---------------------------------------------------------------- the command line
def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_search_with_the_mirror_prints_the_table_and_a_note(down, kis, capsys):
    status, out, err = run(capsys, "--server", down, "--mirror", "kis=" + kis.url, "search", ONLINE)
    assert status == cli.OK, err
    assert out.splitlines()[0].split() == ["T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT"]
    assert len(out.splitlines()) == 6
    assert err.splitlines() == [f"note: JSOC at {down} could not be reached; the search is answered by the KIS "
                                f"mirror at {kis.url} instead (metadata only: no exports, no files)"]


def test_cli_mirror_after_the_command_and_from_the_environment(down, kis, capsys, monkeypatch):
    status, out, _ = run(capsys, "--server", down, "primekeys", "hmi.M_45s", "--mirror", "kis=" + kis.url)
    assert status == cli.OK and out.split() == ["T_REC", "CAMERA"]
    monkeypatch.setenv("JSOCX_MIRROR", "kis=" + kis.url)
    status, out, err = run(capsys, "--server", down, "search", ONLINE, "--json")
    assert status == cli.OK and len(out.splitlines()) == 6 and err.startswith("note: ")


def test_cli_search_without_the_mirror_is_one_line_and_status_3(down, kis, capsys):
    status, out, err = run(capsys, "--server", down, "search", ONLINE)
    assert status == cli.UNREACHABLE and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"error: JSOC at {down} did not answer")
    assert kis.stats()["requests_total"] == 0


def test_cli_fetch_with_the_mirror_says_it_needs_jsoc(down, kis, capsys, tmp_path):
    status, out, err = run(capsys, "--server", down, "--mirror", "kis=" + kis.url, "fetch", ONLINE,
                           "--path", str(tmp_path))
    assert status == cli.UNREACHABLE and out == ""
    assert err.splitlines() == [f"error: JSOC at {down} could not be reached; the KIS mirror at {kis.url} answered "
                                "the search (4 records), but it has no exports and no files to download: run the "
                                "same command again when JSOC answers"]
    assert list(tmp_path.iterdir()) == []
    status, _, err = run(capsys, "--server", down, "--mirror", "kis=" + kis.url, "stage", OFFLINE,
                         "--notify", "user@example.org")
    assert status == cli.UNREACHABLE and "no exports and no files to stage" in err
    assert kis.stats()["exports_created"] == 0


def test_cli_bad_mirror_is_a_usage_error(capsys):
    status, _, err = run(capsys, "--mirror", "sdac", "search", ONLINE)
    assert status == cli.USAGE and len(err.splitlines()) == 1 and "unknown mirror 'sdac'" in err


def test_kis_command_line_takes_the_emulators_options(capsys):
    from sunpy_jsocx.emulator import kis as kis_module

    assert kis_module.main(["--port", "70000"]) == 2
    assert "--port must be between 0 and 65535" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        kis_module.main(["--help"])
    assert "playing KIS" in capsys.readouterr().out


def test_as_kis_is_idempotent_and_keeps_the_emulators_faults():
    """The KIS layout is the innermost middleware: the emulator's fault injection still applies."""
    with KISEmulator(http500_rate=1.0, drop_rate=0.0, truncate_rate=0.0) as kis:
        assert _get(kis.url + "cgi-bin/show_series") == 500
        assert kis.stats()["faults"] == {"http500": 1}
    from sunpy_jsocx.emulator.kis import as_kis
    from sunpy_jsocx.emulator.server import EmulatorConfig, make_app

    app = as_kis(make_app(EmulatorConfig()))
    count = len(app.middlewares)
    assert as_kis(app) is app and len(app.middlewares) == count
