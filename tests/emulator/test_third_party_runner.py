"""
tools/run_third_party_examples.py: runs example scripts unchanged against the emulator.

The scripts here are our own stand-ins written for the test (no third-party code): one
that talks to drms's default ``"jsoc"`` server and plots, one that hard-codes
``http://jsoc.stanford.edu`` in a string literal, and one that fails.
"""

from __future__ import annotations

import importlib.util
import os
import re
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


# --- aiapy's sample files, stood in for by the emulator's exports ---------------------------------

AIAPY_MIRROR = Path("/work/.mirror/LM-SAL+aiapy/repo")
SAMPLE_NAME = re.compile(r"aia_lev1_(\d+)a_(\d{4})_(\d\d)_(\d\d)t(\d\d)_(\d\d)_(\d\d)_(\d\d)z_image_lev1\.fits")


def test_each_sample_name_maps_to_the_record_it_names(runner):
    """aia_lev1_<wavelength>a_<time>_image_lev1.fits: that wavelength of aia.lev1_euv_12s at that time."""
    assert set(runner.AIAPY_SAMPLE_RECORDS) == set(runner.AIAPY_SAMPLE_NAMES.values())
    assert len(runner.AIAPY_SAMPLE_RECORDS) == 3
    for name, (ds, reason) in runner.AIAPY_SAMPLE_RECORDS.items():
        wav, y, mo, d, h, mi, s, cs = SAMPLE_NAME.fullmatch(name).groups()
        assert ds == f"aia.lev1_euv_12s[{y}-{mo}-{d}T{h}:{mi}:{s}.{cs}Z][{wav}]{{image}}", name
        assert reason


def test_sample_names_are_aiapys_own(runner):
    if not (AIAPY_MIRROR / "HEAD").is_file():
        pytest.skip("no aiapy mirror here")
    text = subprocess.run(["git", "--git-dir", str(AIAPY_MIRROR), "show", "HEAD:aiapy/data/_sample.py"],
                          capture_output=True, text=True, check=True).stdout
    for short, name in runner.AIAPY_SAMPLE_NAMES.items():
        assert f'"{short}": "{name}"' in text


def test_a_script_needs_the_sample_files_it_names(runner):
    assert runner.sample_files_needed("import aiapy.data.sample as s\nm = s.AIA_193_IMAGE\n") == [
        "aia_lev1_193a_2013_03_15t12_01_06_84z_image_lev1.fits"]
    assert len(runner.sample_files_needed("import aiapy.data.sample as s\ns.download_all()\n")) == 3
    assert runner.sample_files_needed("import aiapy\nAIA_193_IMAGE = 1\n") == []
    with pytest.raises(ValueError, match="not an aiapy sample file"):
        runner.fill_sample_data("http://127.0.0.1:1/", Path("unused"), ["aia_lev1_1a.fits"])


def test_sample_files_are_the_emulators_fits_exports_of_their_records(runner, tmp_path):
    from astropy.io import fits

    from sunpy_jsocx.emulator import JSOCEmulator

    name = "aia_lev1_193a_2013_03_15t12_01_06_84z_image_lev1.fits"
    with JSOCEmulator(image_size=64) as emu:
        (path,) = runner.fill_sample_data(emu.url, tmp_path / "sample", [name])
    assert path == tmp_path / "sample" / name
    assert sorted(p.name for p in (tmp_path / "sample").iterdir()) == [name]  # no leftovers
    with fits.open(path) as hdul:
        hdu = next(h for h in hdul if h.data is not None)
        assert hdu.data.shape == (64, 64)
        assert hdu.header["WAVELNTH"] == 193
        # the slot nearest 12:01:06.84 UTC: AIA's slots that minute are :01 and :13
        assert hdu.header["T_REC"].startswith("2013-03-15T12:01:01")
        assert hdu.header["DRMS_ID"].startswith("aia.lev1_euv_12s:")


def test_the_runner_fills_a_scripts_sample_folder_from_the_emulator_it_runs_on(runner, tmp_path, monkeypatch,
                                                                               capsys):
    """A stand-in aiapy checkout (our own code) whose sample module only looks in SUNPY_SAMPLEDIR."""
    checkout = tmp_path / "aiapy"
    (checkout / "aiapy" / "data").mkdir(parents=True)
    (checkout / "examples").mkdir()
    (checkout / "aiapy" / "__init__.py").write_text("")
    (checkout / "aiapy" / "data" / "__init__.py").write_text("")
    (checkout / "aiapy" / "data" / "sample.py").write_text(textwrap.dedent("""\
        import os
        AIA_094_IMAGE = os.path.join(os.environ["SUNPY_SAMPLEDIR"],
                                     "aia_lev1_94a_2019_01_01t00_00_11_12z_image_lev1.fits")
    """))
    (checkout / "examples" / "reads_sample.py").write_text(textwrap.dedent("""\
        import os
        from astropy.io import fits
        import aiapy.data.sample as sample_data
        assert sorted(os.listdir(os.environ["SUNPY_SAMPLEDIR"])) == [os.path.basename(sample_data.AIA_094_IMAGE)]
        with fits.open(sample_data.AIA_094_IMAGE) as hdul:
            hdu = next(h for h in hdul if h.data is not None)
            assert hdu.data.shape == (96, 96), hdu.data.shape
            assert hdu.header["WAVELNTH"] == 94
    """))
    monkeypatch.setattr(runner, "SCRIPT_EMULATOR_OPTIONS",
                        {"aiapy examples/reads_sample.py": (["--image-size=96"], "test")})
    assert runner.main(["--aiapy", str(checkout), "--timeout", "120"]) == 0
    captured = capsys.readouterr()
    assert "1 of 1 scripts ran to the end" in captured.out, captured.out + captured.err


# --- URLs that libraries build with JSOC's host -----------------------------------------------------

LOOPBACK_ONLY = textwrap.dedent("""\
    import socket
    _resolve = socket.getaddrinfo
    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            raise OSError(f"test: no network beyond loopback ({host})")
        return _resolve(host, *args, **kwargs)
    socket.getaddrinfo = getaddrinfo
""")


def test_sitecustomize_sends_a_librarys_jsoc_urls_to_the_emulator(runner, tmp_path):
    """As aiapy's fetch_spikes does: fits.getdata("http://jsoc.stanford.edu" + path)."""
    from sunpy_jsocx.emulator import JSOCEmulator

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(runner.SITECUSTOMIZE)
    script = tmp_path / "library_urls.py"
    script.write_text(LOOPBACK_ONLY + textwrap.dedent("""\
        import sys, urllib.error, urllib.request
        import drms
        from astropy.io import fits
        paths = drms.Client().query("aia.lev1_euv_12s[2014.01.01_00:00:35_TAI][304]", seg="spikes").spikes
        data = fits.getdata("http://jsoc.stanford.edu" + paths[0], cache=False)
        print("shape", data.shape)
        req = urllib.request.Request("https://jsoc.stanford.edu/cgi-bin/ajax/checkAddress.sh?address=a%40b.org")
        print("request", urllib.request.urlopen(req).status)
        for other in ("http://jsoc.stanford.edu.example.org/x", "http://example.org/http://jsoc.stanford.edu/x"):
            try:
                urllib.request.urlopen(other)
            except urllib.error.URLError as exc:
                print("other host", exc.reason)
    """))
    env = dict(os.environ, PYTHONPATH=str(site), XDG_CACHE_HOME=str(tmp_path / "cache"))
    with JSOCEmulator(image_size=64) as emu:
        env["JSOCX_EMULATOR_URL"] = emu.url
        proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("shape (3, ")
    assert lines[1] == "request 200"
    assert lines[2:] == ["other host test: no network beyond loopback (jsoc.stanford.edu.example.org)",
                         "other host test: no network beyond loopback (example.org)"]
