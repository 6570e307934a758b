"""The emulator's command line: prints its base URL first, binds loopback, serves until killed."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest


def test_cli_prints_url_and_serves():
    proc = subprocess.Popen([sys.executable, "-m", "sunpy_jsocx.emulator", "--seed", "3", "--image-size", "32"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        with urllib.request.urlopen(url + "cgi-bin/ajax/jsoc_info?op=series_struct&ds=hmi.m_45s", timeout=60) as r:
            assert json.loads(r.read())["primekeys"] == ["T_REC", "CAMERA"]
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode in (0, -15)


@pytest.mark.parametrize("args", [["--fault-rate", "2"], ["--image-size", "1"]])
def test_cli_rejects_bad_options(args):
    proc = subprocess.run([sys.executable, "-m", "sunpy_jsocx.emulator", *args], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "must be between" in proc.stderr


# ---------------------------------------------------------------- issue 8, point 9
def _emulator_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "sunpy_jsocx.emulator", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_every_config_field_has_an_option_that_sets_it():
    import dataclasses

    from sunpy_jsocx.emulator.__main__ import NOT_OPTIONS, build_parser, config_from_args, option_for
    from sunpy_jsocx.emulator.server import EmulatorConfig

    parser = build_parser()
    flags = {s for a in parser._actions for s in a.option_strings}
    fields = [f for f in dataclasses.fields(EmulatorConfig) if f.name not in NOT_OPTIONS]
    assert {"size_limit_mb", "offline_before", "http500_rate", "drop_rate", "truncate_rate", "notfound_polls",
            "bandwidth", "cache_bytes", "record_limit"} <= {f.name for f in fields}
    # a value for every option that differs from the field's default
    special = {"registered": "a@example.org", "offline_before": "2012.03.04_05:06:07_TAI", "play": "kis"}
    argv, expected = [], {}
    for f in fields:
        flag = option_for(f.name)
        assert flag in flags, f"EmulatorConfig.{f.name} has no command-line option {flag}"
        described = next(a for a in parser._actions if flag in a.option_strings).help.split("(default:")[0]
        assert described.strip(), f"{flag} has no description"
        if f.name in special:
            text = special[f.name]
        elif f.name.endswith("_rate"):
            text = "0.25"
        elif isinstance(f.default, float) or f.default is None:
            text = "12.5"
        else:
            text = str(f.default + 3)
        argv += [flag, text]
        expected[f.name] = ("a@example.org",) if f.name == "registered" else type(
            f.default if f.default is not None else 1.0)(text)
    config = EmulatorConfig(**config_from_args(parser.parse_args(argv)))
    for name, value in expected.items():
        assert getattr(config, name) == value, name


@pytest.mark.parametrize(("argv", "emails"), [
    (["--registered-email", "a@example.org", "--registered-email", "b@example.org"],
     ("a@example.org", "b@example.org")),
    (["--registered-email", "a@example.org,b@example.org", "--registered-email", "c@example.org"],
     ("a@example.org", "b@example.org", "c@example.org")),
    ([], ("user@example.org", "jsoc@example.org", "test@example.org")),
])
def test_registered_email_repeats_and_comma_lists(argv, emails):
    from sunpy_jsocx.emulator.__main__ import build_parser, config_from_args

    assert config_from_args(build_parser().parse_args(argv))["registered"] == emails


def test_busy_port_is_one_clear_error_line():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = _emulator_cli("--port", str(port))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(f"error: cannot serve on 127.0.0.1:{port}:")


def test_host_not_on_this_machine_is_one_clear_error_line():
    proc = _emulator_cli("--host", "192.0.2.1")  # TEST-NET-1: never a local address, no DNS needed
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("error: cannot serve on 192.0.2.1:0:")


@pytest.mark.parametrize(("args", "message"), [
    (["--http500-rate", "1.5"], "--http500-rate must be between 0 and 1"),
    (["--offline-before", "yesterday"], "--offline-before must be a JSOC time"),
    (["--bandwidth", "0"], "--bandwidth must be greater than 0"),
    (["--port", "70000"], "--port must be between 0 and 65535"),
])
def test_cli_rejects_bad_values_clearly(args, message):
    proc = _emulator_cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_cli_serves_its_options_and_exits_on_sigterm_after_a_hostile_filter():
    proc = subprocess.Popen([sys.executable, "-m", "sunpy_jsocx.emulator", "--size-limit-mb", "1",
                             "--registered-email", "me@example.org,you@example.org"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        q = "cgi-bin/ajax/showextseries?filter=" + urllib.parse.quote("(.*)*!")
        with urllib.request.urlopen(url + q, timeout=30) as r:
            assert json.loads(r.read())["seriesList"] == []
        q = "cgi-bin/ajax/checkAddress.sh?checkonly=1&address=you%2540example.org"
        with urllib.request.urlopen(url + q, timeout=30) as r:
            assert json.loads(r.read())["status"] == 2
        q = ("cgi-bin/ajax/jsoc_fetch?op=exp_request&method=url&protocol=fits&notify=me%40example.org&ds="
             + urllib.parse.quote("hmi.m_45s[2014.01.01_TAI/1d]"))
        with urllib.request.urlopen(url + q, timeout=30) as r:
            d = json.loads(r.read())
        assert d["status"] == 3 and d["error"] == "Request exceeds max byte limit of 1MB"
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode in (0, -15)
