"""The emulator's command line: prints its base URL first, binds loopback, serves until killed."""

from __future__ import annotations

import json
import subprocess
import sys
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
