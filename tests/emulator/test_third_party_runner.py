"""
tools/run_third_party_examples.py: runs example scripts unchanged against the emulator.

The scripts here are our own stand-ins written for the test (no third-party code): one
that talks to drms's default ``"jsoc"`` server and plots, one that hard-codes
``http://jsoc.stanford.edu`` in a string literal, and one that fails.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "run_third_party_examples.py"


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("run_third_party_examples", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_hard_coded_urls_are_found_in_literals_not_comments(runner, tmp_path):
    assert runner.hard_coded('fname = f"http://jsoc.stanford.edu{path}"\n')
    assert runner.hard_coded("m = Map('http://jsoc.stanford.edu/data/x.fits')\n")
    assert not runner.hard_coded("# see http://jsoc.stanford.edu/ajax/register_email.html\n")
    script = tmp_path / "s.py"
    script.write_text('# http://jsoc.stanford.edu/ajax/register_email.html\nu = "http://jsoc.stanford.edu/data/a"\n')
    (tmp_path / "out").mkdir()
    text = runner.redirected_copy(script, "http://127.0.0.1:5/", tmp_path / "out").read_text()
    assert 'u = "http://127.0.0.1:5/data/a"' in text
    assert "# http://jsoc.stanford.edu/ajax/register_email.html" in text  # comments unchanged


def test_error_line_is_the_exception_with_its_message(runner):
    stderr = textwrap.dedent("""\
        ERROR: Failed to download X from all mirrors
        Traceback (most recent call last):
          File "a.py", line 1, in <module>
        OSError: Unable to query the JSOC.
         Error message: series not found [status=1]
    """)
    assert runner.error_line(stderr) == "OSError: Unable to query the JSOC. Error message: series not found [status=1]"
    bare = "ERROR: Failed to download X\nTraceback (most recent call last):\n  File \"a\", line 1\nRuntimeError\n"
    assert runner.error_line(bare) == "RuntimeError (ERROR: Failed to download X)"
    assert runner.error_line("") == ""


def test_selects_only_jsoc_examples_of_sunpy(runner, tmp_path):
    (tmp_path / "examples" / "a").mkdir(parents=True)
    (tmp_path / "examples" / "a" / "uses_jsoc.py").write_text("a.jsoc.Series('hmi.m_45s')\n")
    (tmp_path / "examples" / "a" / "other.py").write_text("print(1)\n")
    assert [p.name for p in runner.select_scripts(tmp_path, "sunpy")] == ["uses_jsoc.py"]
    assert [p.name for p in runner.select_scripts(tmp_path, "drms")] == ["other.py", "uses_jsoc.py"]


def test_runs_scripts_against_the_emulator_and_saves_their_figures(tmp_path):
    checkout = tmp_path / "drms"
    (checkout / "examples").mkdir(parents=True)
    (checkout / "examples" / "talks_to_jsoc.py").write_text(textwrap.dedent("""\
        import os
        import drms
        import matplotlib.pyplot as plt
        assert os.environ["JSOC_EMAIL"] == "user@example.org"
        assert os.environ["MPLBACKEND"] == "agg"
        c = drms.Client()
        assert c._server.url_jsoc_info.startswith("http://127.0.0.1:"), c._server.url_jsoc_info
        keys = c.query("hmi.m_45s[2014.01.01_00:00:00_TAI/3m]", key="T_REC,DATAMEAN")
        plt.plot(range(len(keys)), keys.DATAMEAN)
        plt.show()
    """))
    (checkout / "examples" / "hard_coded.py").write_text(textwrap.dedent("""\
        import urllib.request
        # http://jsoc.stanford.edu/ajax/register_email.html
        urllib.request.urlopen("http://jsoc.stanford.edu/data/hmi/synoptic/hmi.Synoptic_Mr.2191.fits").read(6)
    """))
    (checkout / "examples" / "fails.py").write_text("raise ValueError('stops here')\n")
    figures = tmp_path / "fig"
    out = subprocess.run([sys.executable, str(TOOL), "--drms", str(checkout), "--figures", str(figures),
                          "--timeout", "120"], capture_output=True, text=True, timeout=300, check=True).stdout
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("drms ")}
    assert rows["examples/talks_to_jsoc.py"].split()[2] == "yes", out
    assert rows["examples/hard_coded.py"].split()[2] == "yes", out
    assert rows["examples/fails.py"].split()[2] == "no"
    assert "ValueError: stops here" in rows["examples/fails.py"]
    assert "2 of 3 scripts ran to the end" in out
    png = figures / "drms-talks_to_jsoc-1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_script_that_needs_jsocs_image_size_gets_an_emulator_of_its_own(runner, tmp_path, monkeypatch, capsys):
    """aiapy's download_specific_data.py needs 4096-pixel AIA images; the others keep the small default."""
    assert runner.SCRIPT_EMULATOR_OPTIONS["aiapy examples/download_specific_data.py"][0] == ["--image-size=4096"]
    checkout = tmp_path / "drms"
    (checkout / "examples").mkdir(parents=True)
    probe = textwrap.dedent("""\
        import io, os, sys, urllib.request
        import drms
        from astropy.io import fits
        paths = drms.Client().query("hmi.M_45s[2014.01.01_00:00:00_TAI]", seg="magnetogram").magnetogram
        raw = urllib.request.urlopen(os.environ["JSOCX_EMULATOR_URL"].rstrip("/") + paths[0]).read()
        with fits.open(io.BytesIO(raw)) as hdul:
            size = next(h for h in hdul if h.data is not None).data.shape[-1]
        assert size == int(sys.argv[0].rsplit("_", 1)[1][:-3]), size
    """)
    (checkout / "examples" / "size_96.py").write_text(probe)
    (checkout / "examples" / "size_256.py").write_text(probe)
    monkeypatch.setattr(runner, "SCRIPT_EMULATOR_OPTIONS", {"drms examples/size_96.py": (["--image-size=96"], "test")})
    assert runner.main(["--drms", str(checkout), "--timeout", "120", "--emulator-option=--image-size=256"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 scripts ran to the end" in out, out
