"""Export-free fetching: online records come straight from storage, FITS headers written by the client.

These pin the levers of issue 4 by request and export counts and by file equality, never by timings.
"""

from __future__ import annotations

import os
import warnings

import astropy.units as u
import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient
from sunpy_jsocx.emulator import JSOCEmulator

EMAIL = "user@example.org"


@pytest.fixture
def emu():
    with JSOCEmulator() as e, sunpy_jsocx.use_server(e.url):
        yield e


def _fetch(res, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Fido.fetch(res, path=str(path / "{file}"), progress=False, **kw)


@pytest.mark.parametrize("query", [
    [a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"),
     a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA)],
    [a.Time("2014-01-01T00:00:00", "2014-01-01T00:02:00"), a.jsocx.Series("hmi.M_45s")],
    [a.Time("2014-01-01T00:00:00", "2014-01-01T00:12:00"), a.jsocx.Series("hmi.B_720s"),
     a.jsocx.Segment("field") & a.jsocx.Segment("inclination")],
])
def test_client_written_fits_equals_jsoc_fits_export(emu, tmp_path, query):
    res = Fido.search(*query, a.jsocx.Notify(EMAIL))
    direct = _fetch(res, tmp_path / "direct")
    exported = _fetch(res, tmp_path / "export", force_export=True)
    assert not direct.errors and not exported.errors
    assert len(direct) == len(exported) > 0
    by_name = {p.split("/")[-1]: p for p in exported}
    for path in direct:
        name = path.split("/")[-1]
        assert name in by_name, f"{name} missing from the export's files"
        with open(path, "rb") as a_, open(by_name[name], "rb") as b_:
            assert a_.read() == b_.read(), f"{name} differs from JSOC's fits export"


def test_small_online_fits_fetch_costs_one_get_per_file(emu, tmp_path):
    # a small search already holds every keyword, so the fetch only downloads
    res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"),
                      a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    emu.reset_stats()
    files = _fetch(res, tmp_path)
    stats = emu.stats()
    assert len(files) == 12
    # and, once per linked series, aia.lev1's series_struct: the image and spikes segments link
    # to aia.lev1, and JSOC names their files in the linked record (sunpy_jsocx.linknames)
    assert stats["requests"] == {"download": 12, "jsoc_info": 1, "jsoc_info:series_struct": 1}
    assert stats["exports_created"] == 0


def test_large_search_asks_keywords_only_for_fetched_rows(emu, tmp_path):
    res = JSOCXClient().search(a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"),
                               a.jsocx.Series("aia.lev1_euv_12s"))  # ~2100 rows: shown keywords only
    assert "record_keywords" not in res.query_args[0]
    emu.reset_stats()
    files = JSOCXClient().fetch(res[[0, 700]], path=str(tmp_path), progress=False)
    stats = emu.stats()
    assert len(files) == 4
    # (and aia.lev1's series_struct once, for the linked segments' file names: sunpy_jsocx.linknames)
    assert stats["requests"] == {"download": 4, "jsoc_info": 2, "jsoc_info:rs_list": 1,
                                 "jsoc_info:series_struct": 1}
    rs = emu.state.counts  # the one keyword query selected exactly the two records
    assert rs["jsoc_info:rs_list"] == 1


def test_search_costs_one_rs_list_per_record_set_and_metadata_once(emu):
    c = JSOCXClient()
    for _ in range(3):
        c.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:00"), a.jsocx.Series("hmi.M_45s"))
    req = emu.stats()["requests"]
    assert req["jsoc_info:rs_list"] == 3
    assert req["jsoc_info:series_struct"] == 1


def test_search_asks_only_for_shown_keywords(emu):
    c = JSOCXClient()
    res = c.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"))
    shown = {c for c in res.colnames if not c.startswith("_")}
    assert shown == {"T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT"}


def test_offline_fetch_is_one_export_polled_as_advised(tmp_path, clock):
    with JSOCEmulator(staging_delay=30.0, clock=clock) as e:
        c = JSOCXClient(e.url, sleep=clock.advance)
        res = c.search(a.Time("2010-06-01T00:00:00", "2010-06-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"),
                       a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA), a.jsocx.Notify(EMAIL))
        files = c.fetch(res, path=str(tmp_path), progress=False)
        req = e.stats()["requests"]
        assert len(files) == 12
        assert req["jsoc_fetch:exp_request"] == 1
        # the first answer says "wait 30 s"; the client sleeps that long and polls once
        assert req["jsoc_fetch:exp_status"] == 1
        assert clock.now - clock.start >= 30


def test_series_metadata_is_cached_on_disk_across_processes(emu, tmp_path, monkeypatch):
    import subprocess
    import sys

    env = dict(os.environ, JSOCX_SERVER=emu.url, JSOCX_CACHE_DIR=str(tmp_path), JSOCX_CACHE_TTL="3600")
    code = "import sunpy_jsocx; print(sunpy_jsocx.JSOCXClient().primekeys('hmi.M_45s'))"
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.stdout.strip() == "['T_REC', 'CAMERA']", out.stderr
    assert emu.stats()["requests"]["jsoc_info:series_struct"] == 1
    assert list(tmp_path.rglob("hmi.m_45s.json"))
