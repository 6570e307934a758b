"""Every story of user-stories.md, against the emulator (through Fido and the client)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Row
from sunpy.net import Fido
from sunpy.net import attrs as a
from sunpy.net.attr import AttrAnd

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, jsoctime
from sunpy_jsocx.emulator import JSOCEmulator

EMAIL = "user@example.org"
SEED_TIME = a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30")


@pytest.fixture
def emu():
    """A fresh emulator per test, so its statistics count only that test's requests."""
    with JSOCEmulator() as e, sunpy_jsocx.use_server(e.url):
        yield e


def seed_search():
    return Fido.search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.Notify(EMAIL),
                       a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))


def fetch_quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Fido.fetch(*args, progress=False, **kwargs)


# ---------------------------------------------------------------- 1. discover
def test_discover_series_primekeys_segments_keywords(emu):
    c = JSOCXClient()
    aia = c.series(r"aia\..*")
    assert {"aia.lev1", "aia.lev1_euv_12s", "aia.lev1_uv_24s"} <= set(aia)
    assert all(n.startswith("aia.") for n in aia)
    assert "hmi.B_720s" in c.series(r"hmi\.b.*")
    assert c.primekeys("aia.LEV1_euv_12s") == ["T_REC", "WAVELNTH"]
    segs = c.segments("hmi.b_720s")
    assert segs.colnames == ["name", "type", "units", "protocol", "dims", "note"]
    assert {"inclination", "azimuth", "disambig", "field"} <= set(segs["name"])
    kws = c.keywords("hmi.M_45s")
    assert {"T_REC", "QUALITY", "CRLT_OBS"} <= set(kws["name"])
    assert set(kws.colnames) == {"name", "type", "units", "note"}


def test_discovery_metadata_is_fetched_once_per_series(emu):
    c = JSOCXClient()
    for _ in range(3):
        c.primekeys("hmi.V_45s")
        c.segments("hmi.v_45s")
    assert emu.stats()["requests"]["jsoc_info:series_struct"] == 1


def test_discover_from_the_command_line(emu):
    env = dict(os.environ, JSOCX_SERVER=emu.url)
    run = [sys.executable, "-m", "sunpy_jsocx"]
    out = subprocess.run([*run, "primekeys", "aia.lev1_euv_12s"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["T_REC", "WAVELNTH"]
    out = subprocess.run([*run, "series", r"hmi\.m_45s$"], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "hmi.M_45s"
    out = subprocess.run([*run, "segments", "hmi.B_720s"], env=env, capture_output=True, text=True, timeout=120)
    assert "inclination" in out.stdout


# ---------------------------------------------------------------- 2. search
def test_seed_search_shows_default_columns(emu):
    res = seed_search()
    assert len(res) == 2
    for block, wav in zip(res, (304, 171)):
        assert len(block) == 3
        assert list(block["WAVELNTH"]) == [wav] * 3
        shown = str(block).splitlines()[0].split()
        assert shown == ["T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT"]
    assert res[0]["T_REC"][0].isot == "2014-01-01T00:00:01"
    assert res[0]["T_REC"][0].scale == "utc"


def test_or_of_one_primekey_is_one_record_set_through_the_client(emu):
    c = JSOCXClient()
    res = c.search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"),
                   a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    assert len(res) == 6
    assert len(res.query_args) == 1
    assert res.query_args[0]["recordset"].endswith("[171,304]")
    assert emu.stats()["requests"]["jsoc_info:rs_list"] == 1


def test_requested_keywords_are_in_the_table(emu):
    res = JSOCXClient().search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.PrimeKey("WAVELNTH", 171),
                               keys=["EXPTIME", "T_OBS"])
    assert {"EXPTIME", "T_OBS"} <= set(res.colnames)
    assert "EXPTIME" in str(res).splitlines()[0]
    assert np.all(res["EXPTIME"] > 1.9)


def test_hmi_segments_anded_and_sample(emu):
    segments = ["inclination", "azimuth", "field", "disambig"]
    res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"), a.jsocx.Series("hmi.B_720s"),
                      AttrAnd(list(map(a.jsocx.Segment, segments))), a.jsocx.Sample(10 * u.min))
    block = res[0]
    assert block.query_args[0]["segments"] == segments
    assert "@600s" in block.query_args[0]["recordset"]
    times = block["T_REC"]
    # 00:00:35-01:00:35 TAI rounds to the 720 s slots 00:00 .. 01:00; a 10 min step is under one slot
    assert len(times) == 6
    generic = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"), a.jsocx.Series("hmi.B_720s"),
                          a.jsocx.Segment("field") & a.jsocx.Segment("azimuth"), a.Sample(10 * u.min))
    assert len(generic[0]) == len(block)


def test_any_primekey(emu):
    res = JSOCXClient().search(a.Time("2014-11-30T00:00:00", "2014-11-30T00:30:00"),
                               a.jsocx.Series("hmi.sharp_720s"), a.jsocx.PrimeKey("HARPNUM", 4864))
    assert set(res["HARPNUM"]) == {4864}
    assert len(res) == 4  # 00:00:35-00:30:35 TAI rounds to the slots 00:00 .. 00:36
    res = JSOCXClient().search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.PrimeKey("WAVELNTH", 171))
    assert set(res["WAVELNTH"]) == {171}


def test_sample_with_a_time_primekey(emu):
    res = JSOCXClient().search(a.jsocx.Series("hmi.M_45s"),
                               a.jsocx.PrimeKey("T_REC", "2014.01.01_00:00:00_TAI-2014.01.01_01:00:00_TAI"),
                               a.jsocx.Sample(15 * u.min))
    assert len(res) == 5


def test_keyword_filters_all_apply(emu):
    c = JSOCXClient()
    base = [a.Time("2014-01-01T00:00:00", "2014-01-01T02:00:00"), a.jsocx.Series("aia.lev1_euv_12s"),
            a.jsocx.PrimeKey("WAVELNTH", 171)]
    everything = c.search(*base, keys=["QUALITY", "EXPTIME"])
    good = c.search(*base, a.jsocx.Keyword("QUALITY") == 0)
    assert 0 < len(good) < len(everything)
    assert set(good["QUALITY"]) == {0}
    lo, hi = np.percentile(everything["EXPTIME"], [25, 75])
    ranged = c.search(*base, a.jsocx.Keyword("EXPTIME") > lo, a.jsocx.Keyword("EXPTIME") < hi)
    assert 0 < len(ranged) < len(everything)
    assert np.all((ranged["EXPTIME"] > lo) & (ranged["EXPTIME"] < hi))


@pytest.mark.parametrize("times", [
    ("2015.08.27_06:00:36_TAI", "2015.08.27_06:01:36_TAI"),
    ("2015-08-27T06:00:00Z", "2015-08-27T06:01:00Z"),
])
def test_jsoc_time_strings_and_tai_are_honoured(emu, times):
    utc = JSOCXClient().search(a.Time("2015-08-27T06:00:00", "2015-08-27T06:01:00"), a.jsocx.Series("hmi.M_45s"))
    for time_attr in (a.Time(*sunpy_jsocx.tai(*times)), a.Time(*times)):
        res = JSOCXClient().search(time_attr, a.jsocx.Series("hmi.M_45s"))
        assert list(res["T_REC"].isot) == list(utc["T_REC"].isot)
    pk = JSOCXClient().search(a.jsocx.Series("hmi.M_45s"), a.jsocx.PrimeKey("T_REC", f"{times[0]}-{times[1]}"))
    assert list(pk["T_REC"].isot) == list(utc["T_REC"].isot)


def test_tai_helper():
    t = sunpy_jsocx.tai("2015-08-27T05:00:00")
    assert t.scale == "tai"
    assert t.isot == "2015-08-27T05:00:36.000"
    both = sunpy_jsocx.tai("2015-08-27T05:00:00", "2015.08.27_06:00:00_TAI")
    assert [x.isot for x in both] == ["2015-08-27T05:00:36.000", "2015-08-27T06:00:00.000"]


@pytest.mark.parametrize(("query", "message"), [
    ([a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.PrimeKey("HARPNUM", 1), SEED_TIME], "T_REC, WAVELNTH"),
    ([a.jsocx.Series("hmi.M_45s"), a.jsocx.Segment("image"), SEED_TIME], "magnetogram"),
    ([a.jsocx.Series("hmi.M_45s"), a.jsocx.Keyword("NOPE") == 1, SEED_TIME], "QUALITY"),
    ([a.jsocx.Series("hmi.M_45s"), a.Wavelength(171 * u.AA), SEED_TIME], "WAVELNTH"),
    ([a.jsocx.Series("nope.nothing"), SEED_TIME], "not found"),
])
def test_bad_input_is_refused_before_any_query(emu, query, message):
    with pytest.raises(ValueError, match=message) if "not found" not in message else pytest.raises(Exception,
                                                                                                 match=message):
        JSOCXClient().search(*query)
    assert "jsoc_info:rs_list" not in emu.stats()["requests"]


def test_injection_through_a_value_is_impossible(emu):
    with pytest.raises(ValueError):
        JSOCXClient().search(a.jsocx.Series("aia.response"), a.jsocx.PrimeKey("WAVE_STR", "171_THIN][? 1=1 ?]"))
    assert "jsoc_info:rs_list" not in emu.stats()["requests"]


# ---------------------------------------------------------------- 3. slice and fetch exactly
def _export_records(emu):
    """Record counts of every export the emulator created (from its export table)."""
    return [e.rcount for e in emu.state.exports.exports.values()]


@pytest.mark.parametrize("force_export", [False, True])
@pytest.mark.parametrize(("index", "nrows"), [
    ((1, slice(None, None, 2)), 2),  # res[1, ::2]
    ((0, [2]), 1),                    # res[0, [2]]
    (1, 3),                           # res[1]
])
def test_fido_slices_fetch_exactly_the_selected_rows(emu, tmp_path, index, nrows, force_export):
    res = seed_search()
    subset = res[index]
    files = fetch_quiet(subset, path=str(tmp_path / "{file}"), force_export=force_export)
    assert not files.errors
    assert len(files) == nrows * 2  # image and spikes per record
    assert emu.stats()["files_served"] == nrows * 2
    if nrows > 1:
        # JSOC names the linked image and spikes files by the linked aia.lev1 record's T_REC, the
        # record's T_OBS to the second: one time per selected record, within its 12-s slot
        # (sunpy_jsocx.linknames; tests/emulator/data/aia_export_names.json)
        named = sorted({Path(f).name.split(".")[2] for f in files})
        slots = sorted(jsoctime.parse_time(t + "Z") for t in subset["T_REC"].isot)
        assert len(named) == len(slots) == nrows
        for name, slot in zip(named, slots):
            t = jsoctime.parse_time(f"{name[:13]}:{name[13:15]}:{name[15:17]}Z")
            assert 0 <= t - slot < 12, (name, slot)
    if force_export:
        assert _export_records(emu) == [nrows]  # one export of exactly the selected records
    else:
        assert _export_records(emu) == []  # online data: no export at all
        assert "jsoc_fetch:exp_request" not in emu.stats()["requests"]


@pytest.mark.parametrize("pick", ["int", "list1", "step", "head", "pair", "mask", "row"])
def test_table_indexing_fetches_exactly_the_selected_rows(emu, tmp_path, pick):
    jr = JSOCXClient().search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:03:00"), a.jsocx.Series("hmi.M_45s"),
                              a.jsocx.Protocol("as-is"))
    assert len(jr) == 5
    subset = {"int": lambda t: t[2], "list1": lambda t: t[[2]], "step": lambda t: t[::2], "head": lambda t: t[:2],
              "pair": lambda t: t[[0, 2]], "mask": lambda t: t[t["T_REC"] > t["T_REC"][2]],
              "row": lambda t: t[3]}[pick](jr)
    expected = 1 if pick in ("int", "list1", "row") else len(subset)
    files = JSOCXClient().fetch(subset, path=str(tmp_path), progress=False)
    assert not files.errors
    assert len(files) == expected
    stats = emu.stats()
    assert stats["files_served"] == expected
    assert stats["exports_created"] == 0
    assert "jsoc_fetch:exp_request" not in stats["requests"]  # online as-is data: no export at all
    records = [subset["_record"]] if isinstance(subset, Row) else subset["_record"]
    stamps = {jsoctime.time_filename_format(str(r).split("[")[1].rstrip("]")) for r in records}
    got = sorted(Path(f).name for f in files)
    assert [next(s for s in stamps if s in g) for g in got] and len(stamps) == expected
    assert all(any(s in g for g in got) for s in stamps)


def test_failed_downloads_can_be_retried_with_fido(tmp_path, collect_loops):
    with JSOCEmulator(truncate_rate=1.0) as emu, sunpy_jsocx.use_server(emu.url):
        res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:00"), a.jsocx.Series("hmi.M_45s"),
                          a.jsocx.Protocol("as-is"))
        files = fetch_quiet(res, path=str(tmp_path / "{file}"))
        assert len(files.errors) == len(res[0])
        assert not list(tmp_path.glob("*.fits")), "a failed download must not leave a file"
        emu.config.truncate_rate = 0.0
        again = fetch_quiet(files)
        assert not again.errors
        assert len(again) == len(res[0])


# ---------------------------------------------------------------- 4. staging apart from downloading
@pytest.fixture
def slow(clock):
    with JSOCEmulator(staging_delay=30.0, clock=clock) as e:
        yield e


def test_request_data_then_get_request_in_a_new_process(slow, clock, tmp_path):
    client = JSOCXClient(slow.url, sleep=clock.advance)
    resp = client.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:02:00"), a.jsocx.Series("hmi.M_45s"),
                         a.jsocx.Notify(EMAIL))
    reqs = client.request_data(resp)
    assert len(reqs) == 1
    req = reqs[0]
    assert req.id.startswith("JSOC_")
    assert req.status == 2
    clock.advance(16)
    assert req.status == 1  # current, not stale
    clock.advance(15)
    env = dict(os.environ, JSOCX_SERVER=slow.url)
    code = ("import sunpy_jsocx, sys; r = sunpy_jsocx.JSOCXClient().get_request(sys.argv[1], path=sys.argv[2], "
            "progress=False); print(len(r), len(r.errors))")
    out = subprocess.run([sys.executable, "-c", code, req.id, str(tmp_path)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(len(resp)), "0"]
    assert len(list(tmp_path.glob("*.fits"))) == len(resp)


def test_fetch_without_waiting_returns_at_once(slow, clock, tmp_path):
    client = JSOCXClient(slow.url, sleep=clock.advance)
    resp = client.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:02:00"), a.jsocx.Series("hmi.M_45s"),
                         a.jsocx.Notify(EMAIL))
    t0 = clock()
    job = client.fetch(resp, path=str(tmp_path), wait=False, progress=False, force_export=True)
    assert clock() == t0  # nothing waited
    assert job.requests[0].status == 2
    results = job.wait()
    assert len(results) == len(resp)
    assert clock() - t0 >= 30
    # polled as the server advised: a handful of status requests, not one per second
    assert slow.stats()["requests"]["jsoc_fetch:exp_status"] <= 4


# ---------------------------------------------------------------- 5. delivery
def test_url_tar_gives_one_tar_file(emu, tmp_path):
    res = Fido.search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.Notify(EMAIL),
                      a.jsocx.PrimeKey("WAVELNTH", 171), a.jsocx.Method("url-tar"))
    files = fetch_quiet(res, path=str(tmp_path / "{file}"))
    assert len(files) == 1
    assert files[0].endswith(".tar")


def test_cutout_is_processed_server_side(emu, tmp_path):
    from astropy.coordinates import SkyCoord
    from sunpy.coordinates import frames

    bl = SkyCoord(-500 * u.arcsec, -300 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01",
                  observer="earth")
    tr = SkyCoord(100 * u.arcsec, 300 * u.arcsec, frame=frames.Helioprojective, obstime="2014-01-01",
                  observer="earth")
    res = Fido.search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.Notify(EMAIL),
                      a.jsocx.PrimeKey("WAVELNTH", 171), a.jsocx.Segment("image"),
                      a.jsocx.Cutout(bl, top_right=tr))
    files = fetch_quiet(res, path=str(tmp_path / "{file}"))
    assert len(files) == 3
    exp = next(iter(emu.state.exports.exports.values()))
    assert exp.files[0].record.startswith("aia.lev1_euv_12s_mod[")
    from astropy.io import fits

    with fits.open(files[0]) as h:
        assert h[1].data.shape[0] < 128 and h[1].data.shape[1] < 128


def test_requests_over_the_size_limit_are_split(tmp_path):
    # hmi.M_45s files are 4096x4096 (about 32 MB each): 7 records are about 230 MB
    with JSOCEmulator(size_limit_mb=100) as e, sunpy_jsocx.use_server(e.url):
        res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:05:00"), a.jsocx.Series("hmi.M_45s"),
                          a.jsocx.Notify(EMAIL))
        files = fetch_quiet(res, path=str(tmp_path / "{file}"), force_export=True)
        assert not files.errors
        assert len(files) == len(res[0])
        assert e.stats()["exports_created"] > 1


# ---------------------------------------------------------------- 6. good citizen
def test_notify_only_needed_for_exports(emu, tmp_path):
    # online data, as stored files or as FITS: no export, so no e-mail needed
    for protocol in ("as-is", "fits"):
        res = Fido.search(SEED_TIME, a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol(protocol))
        files = fetch_quiet(res, path=str(tmp_path / protocol / "{file}"))
        assert len(files) == len(res[0])
    offline = Fido.search(a.Time("2010-06-01T00:00:00", "2010-06-01T00:01:00"), a.jsocx.Series("hmi.M_45s"))
    with pytest.raises(ValueError, match="Notify"):
        fetch_quiet(offline, path=str(tmp_path / "{file}"))
    unknown = Fido.search(a.Time("2010-06-01T00:00:00", "2010-06-01T00:01:00"), a.jsocx.Series("hmi.M_45s"),
                          a.jsocx.Notify("stranger@example.com"))
    with pytest.raises(ValueError, match="register"):
        fetch_quiet(unknown, path=str(tmp_path / "{file}"))
    assert "jsoc_fetch:exp_request" not in emu.stats()["requests"]


def test_one_export_per_fetch_across_or_branches_for_offline_data(emu, tmp_path):
    res = Fido.search(a.Time("2010-06-01T00:00:00", "2010-06-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"),
                      a.jsocx.Notify(EMAIL), a.jsocx.Protocol("as-is"),
                      a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    assert len(res) == 2
    files = fetch_quiet(res, path=str(tmp_path / "{file}"))
    assert not files.errors
    assert len(files) == 12
    assert emu.stats()["requests"]["jsoc_fetch:exp_request"] == 1


def test_downloads_use_one_connection(emu, tmp_path):
    res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:05:00"), a.jsocx.Series("hmi.M_45s"),
                      a.jsocx.Protocol("as-is"))
    files = fetch_quiet(res, path=str(tmp_path / "{file}"))
    stats = emu.stats()
    assert len(files) == stats["files_served"] == 7
    assert stats["requests"]["download"] == 7  # one GET per file, no HEAD
    assert stats["download_connections"] == 1


def test_series_tab_completion_lists_real_series():
    names = dir(a.jsocx.Series)
    assert {"aia_lev1_euv_12s", "hmi_m_45s", "hmi_b_720s"} <= set(names)
    assert a.jsocx.Series.aia_lev1_euv_12s.value == "aia.lev1_euv_12s"


def test_path_templates_use_row_fields(emu, tmp_path):
    res = Fido.search(SEED_TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.Segment("image"),
                      a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    files = fetch_quiet(res, path=str(tmp_path / "{WAVELNTH}" / "{file}"))
    assert len(files) == 6
    assert {Path(f).parent.name for f in files} == {"171", "304"}
    with pytest.raises(ValueError, match="valid fields"):
        fetch_quiet(res, path=str(tmp_path / "{NOPE}" / "{file}"))
