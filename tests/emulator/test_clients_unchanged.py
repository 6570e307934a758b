"""drms's own online tests and sunpy's built-in JSOCClient, unmodified, against the emulator."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import warnings
from pathlib import Path

import pytest

REGISTERED = "user@example.org"


def _drms_suite_env(*paths):
    import sunpy_jsocx

    root = str(Path(sunpy_jsocx.__file__).resolve().parents[1])
    return dict(os.environ, JSOC_EMAIL=REGISTERED,
                PYTHONPATH=os.pathsep.join(filter(None, [root, *map(str, paths), os.environ.get("PYTHONPATH")])))


def _summary(out):
    """pytest's closing counts, e.g. ``{"passed": 4, "deselected": 173}``."""
    line = [line for line in out.splitlines() if " in " in line and ("passed" in line or "skipped" in line)][-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", line.split(" in ")[0])}


def test_drms_online_test_suite_passes_against_the_emulator(tmp_path):
    """Run the tests drms marks ``jsoc`` (and its other remote tests) with drms redirected."""
    from sunpy_jsocx.emulator.drms_suite import suite_command

    proc = subprocess.run(suite_command(tmp_path), cwd=tmp_path, env=_drms_suite_env(), capture_output=True,
                          text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    summary = _summary(out)
    assert set(summary) <= {"passed", "deselected", "warning", "warnings"}, out[-3000:]
    assert summary["passed"] >= 30, summary


# What pytest-remotedata does to drms's tests (an option defaulting to "none", and a skip of every
# test marked remote_data while it is "none"), as a stand-in where the real plugin is not installed
# (it must not be installed into the development environment just for this test).
REMOTEDATA_STANDIN = """
import pytest

def pytest_addoption(parser):
    parser.addoption("--remote-data", nargs="?", const="any", default="none",
                     choices=["astropy", "any", "github", "none"])

def pytest_runtest_setup(item):
    if item.get_closest_marker("remote_data") is not None and item.config.getvalue("remote_data") == "none":
        pytest.skip("need --remote-data option to run")
"""


def _with_remote_data_plugin(tmp_path, *args):
    """Run drms's suite where a --remote-data plugin is loaded: pytest-remotedata itself, or the stand-in."""
    from sunpy_jsocx.emulator.drms_suite import suite_command

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "remotedata_standin.py").write_text(REMOTEDATA_STANDIN)
    real = importlib.util.find_spec("pytest_remotedata") is not None  # then it loads itself
    cmd = suite_command(tmp_path, *(() if real else ("-p", "remotedata_standin")), *args)
    proc = subprocess.run(cmd, cwd=tmp_path, env=_drms_suite_env(plugins), capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return _summary(out), out


@pytest.mark.parametrize("given", [(), ("--remote-data=any",), ("--remote-data",)])
def test_drms_suite_runs_where_a_remote_data_plugin_is_installed(tmp_path, given):
    """With a --remote-data plugin present, drms's remote_data tests run (not skip), flag given or not."""
    summary, out = _with_remote_data_plugin(tmp_path, *given, "-k", "test_series_list")
    # test_series_list_all and three test_series_list_schemata
    assert summary.get("passed") == 4 and set(summary) <= {"passed", "deselected", "warning", "warnings"}, out[-3000:]


def test_drms_suite_keeps_an_explicit_remote_data_none(tmp_path):
    """Only the default is overridden: ``--remote-data=none`` on the command line still skips."""
    summary, out = _with_remote_data_plugin(tmp_path, "--remote-data=none", "-k", "test_series_list_all")
    assert summary.get("skipped") == 1 and set(summary) <= {"skipped", "deselected", "warning", "warnings"}, out[-3000:]


@pytest.fixture
def sunpy_jsoc(emulator):
    from sunpy_jsocx.emulator import redirect_drms

    with redirect_drms(emulator.url):
        yield emulator


def _search(series, protocol=None, **extra):
    import astropy.units as u
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    query = [a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsoc.Series(series),
             a.jsoc.Notify(REGISTERED)]
    if protocol:
        query.append(a.jsoc.Protocol(protocol))
    if series.startswith("aia"):
        query.append(a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    return Fido.search(*query)


def test_sunpy_jsocclient_search_matches_the_seed_story(sunpy_jsoc):
    res = _search("aia.lev1_euv_12s")
    assert len(res) == 2
    assert [len(r) for r in res] == [3, 3]
    assert list(res[0]["WAVELNTH"]) == [304, 304, 304]
    assert list(res[1]["T_REC"]) == ["2014-01-01T00:00:01Z", "2014-01-01T00:00:13Z", "2014-01-01T00:00:25Z"]


# AIA records have two segments (image, spikes), so 6 records give 12 files.
@pytest.mark.parametrize(("series", "protocol", "nfiles"), [("aia.lev1_euv_12s", "fits", 12),
                                                           ("hmi.M_45s", "as-is", 1)])
def test_sunpy_jsocclient_fetch_opens_with_sunpy_map(sunpy_jsoc, tmp_path, series, protocol, nfiles, collect_loops):
    import sunpy.map
    from sunpy.net import Fido

    res = _search(series, protocol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = Fido.fetch(res, path=str(tmp_path / "{file}"), progress=False, sleep=0)
    assert not files.errors
    assert len(files) == nfiles
    for f in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = sunpy.map.Map(f)
        assert m.data.ndim == 2
        if protocol == "as-is":
            continue  # the stored file has a minimal header, as at JSOC: no metadata to check
        assert m.date.isot.startswith("2014-01-01T00:00")
        if series.startswith("aia"):
            assert m.wavelength.value in (171, 304)
            assert m.observer_coordinate.radius.to_value("m") == pytest.approx(1.47e11, rel=0.01)
