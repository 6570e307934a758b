"""drms's own online tests and sunpy's built-in JSOCClient, unmodified, against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REGISTERED = "user@example.org"


def test_drms_online_test_suite_passes_against_the_emulator(tmp_path):
    """Run the tests drms marks ``jsoc`` (and its other remote tests) with drms redirected."""
    import sunpy_jsocx

    root = str(Path(sunpy_jsocx.__file__).resolve().parents[1])
    env = dict(os.environ, JSOC_EMAIL=REGISTERED,
               PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "drms.tests", "-p", "sunpy_jsocx.emulator.drms_suite",
           "-m", "(jsoc or remote_data) and not kis", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
           "--rootdir", str(tmp_path), "-W", "ignore::DeprecationWarning"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    summary = [line for line in out.splitlines() if " in " in line and "passed" in line][-1]
    assert "failed" not in summary and "skipped" not in summary and "error" not in summary, out[-3000:]
    assert int(summary.split(" passed")[0].split()[-1]) >= 30, summary


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
