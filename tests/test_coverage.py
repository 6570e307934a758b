"""
Look before you download (issue 11, part 1): ``summary()`` and ``plot_coverage()``.

The pure pieces (cadence, gaps, sizes) are checked on synthetic times with exact
answers; the rest on real search tables from the emulator, whose request counts show
that looking costs no request.
"""

from __future__ import annotations

import astropy.units as u
import matplotlib
import numpy as np
import pytest
from astropy.time import Time, TimeDelta
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, coverage
from sunpy_jsocx.coverage import Gap, estimate_cadence, find_gaps, segment_bytes
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.response import JSOCXResponse
from sunpy_jsocx.seriesinfo import SegmentInfo

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

T0 = Time("2014-01-01T00:00:00", scale="utc")
HOUR = a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00")


@pytest.fixture(scope="module")
def emu():
    """An emulator of its own: no other test has fetched series metadata from it."""
    with JSOCEmulator() as e:
        yield e


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _table(seconds, wavelengths=None, quality=None) -> JSOCXResponse:
    seconds = np.asarray(seconds, dtype=float)
    cols = {"T_REC": T0 + TimeDelta(seconds, format="sec")}
    if wavelengths is not None:
        cols["WAVELNTH"] = np.asarray(wavelengths)
    if quality is not None:
        cols["QUALITY"] = np.asarray(quality, dtype=np.int64)
    return JSOCXResponse(cols)


# ---------------------------------------------------------------- pure pieces
def test_cadence_is_the_median_step_ignoring_simultaneous_records_and_gaps():
    assert estimate_cadence([0, 12, 24, 36, 48, 60, 1000, 1012]) == 12.0
    # Unsorted, with repeated times (other wavelengths at the same T_REC).
    assert estimate_cadence([24, 0, 0, 12, 12, 24, 36]) == 12.0
    assert estimate_cadence([45.0]) is None
    assert estimate_cadence([]) is None


def test_gaps_have_exact_starts_durations_and_missing_counts():
    times = np.r_[0:120:12, 600:720:12, 3600:3648:12]  # two gaps, at 108 s and at 708 s
    gaps = find_gaps(times)
    assert gaps == [Gap(108.0, 492.0, 40), Gap(708.0, 2892.0, 240)]
    # A step of exactly three cadences is not a gap; a bit more is.
    assert find_gaps([0, 12, 48, 60], cadence=12) == []
    assert find_gaps([0, 12, 49, 61], cadence=12) == [Gap(12.0, 37.0, 2)]
    assert find_gaps([0, 12, 36, 48], cadence=12, factor=1.5) == [Gap(12.0, 24.0, 1)]
    with pytest.raises(ValueError, match="factor must be a positive"):
        find_gaps(times, factor=0)
    with pytest.raises(ValueError, match="cadence must be a positive"):
        find_gaps(times, cadence=-1)


def test_segment_sizes_from_declared_dims_and_type():
    assert segment_bytes(SegmentInfo("m", "int", "", "fits", "4096x4096")) == 4 * 4096 * 4096
    assert segment_bytes(SegmentInfo("m", "short", "", "fits", "100x200x3")) == 2 * 100 * 200 * 3
    assert segment_bytes(SegmentInfo("s", "int", "", "fits", "VARxVAR")) is None
    assert segment_bytes(SegmentInfo("s", "int", "", "link via lev1", "")) is None
    linked = SegmentInfo("image_lev1", "int", "", "fits", "4096x4096")
    assert segment_bytes(SegmentInfo("image", "int", "", "link via lev1", ""), linked) == 4 * 4096 * 4096


# ---------------------------------------------------------------- tables
def test_coverage_of_a_table_gaps_per_wavelength_with_times():
    secs = np.r_[0:120:12, 600:720:12]
    table = _table(np.r_[secs, secs[secs != 60]], np.repeat([171, 304], [len(secs), len(secs) - 1]))
    cov = coverage.coverage(table)
    assert [t.label for t in cov.tracks] == ["WAVELNTH 171", "WAVELNTH 304"]
    assert cov.cadence == 12.0 and cov.n_records == 39
    assert [(label, g.start, g.duration) for label, g in cov.gaps] == [
        ("WAVELNTH 171", 108.0, 492.0), ("WAVELNTH 304", 108.0, 492.0)]
    assert cov.time(cov.gaps[0][1].start).isot == "2014-01-01T00:01:48.000"
    # The single missing record of 304 (a 24 s step) is not a gap of three cadences.
    text = coverage.summary(table)
    # The same outage in both rows is one gap.
    assert "1 longer than 3 cadences, in 2 rows:" in text
    assert "after 2014-01-01T00:01:48 for 8 min 12 s (about 40 records missing) in every row" in text
    # Gaps in some rows only say which.
    only_171 = _table(np.r_[secs, np.arange(0, 720, 12)], np.repeat([171, 304], [len(secs), 60]))
    text = coverage.summary(only_171)
    assert "1 longer than 3 cadences, in 1 row:" in text
    assert "(about 40 records missing) in WAVELNTH 171\n" in text


def test_flagged_records_are_counted_and_unknown_quality_is_said():
    table = _table(np.arange(0, 240, 12), np.full(20, 171), quality=[0] * 17 + [0x400, 0x80000000, 0x1000])
    cov = coverage.coverage(table)
    assert cov.n_flagged == 3
    assert cov.tracks[0].flagged.sum() == 3
    assert "3 of 20 records with QUALITY != 0" in coverage.summary(table)
    no_quality = _table(np.arange(0, 240, 12), np.full(20, 171))
    assert coverage.coverage(no_quality).n_flagged is None
    assert "quality not known" in coverage.summary(no_quality)
    assert "quality not known" in no_quality.plot_coverage().get_title()


def test_plot_has_one_row_per_wavelength_flagged_marked_apart_and_gaps_hatched():
    secs = np.r_[0:120:12, 600:720:12]
    n = len(secs)
    quality = np.zeros(3 * n, dtype=int)
    quality[[3, n + 4, n + 5]] = 1
    table = _table(np.tile(secs, 3), np.repeat([94, 171, 304], n), quality)
    ax = table.plot_coverage()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["WAVELNTH 94", "WAVELNTH 171", "WAVELNTH 304"]
    scatters = {c.get_label(): c for c in ax.collections if c.get_label() and not c.get_label().startswith("_")}
    records = next(c for k, c in scatters.items() if k.startswith("record"))
    flagged = scatters["QUALITY != 0 (3)"]
    assert len(records.get_offsets()) == 3 * n - 3 and len(flagged.get_offsets()) == 3
    assert sorted(flagged.get_offsets()[:, 1]) == [0, 1, 1]  # on the rows of 94 and 171
    # Each row's bar breaks at the gap: two runs per row, and the gap hatched.
    bars = [c for c in ax.collections if isinstance(c, PolyCollection) and not c.get_hatch()]
    assert len(bars) == 3 and all(len(c.get_paths()) == 2 for c in bars)
    gaps = [c for c in ax.collections if c.get_hatch()]
    assert len(gaps) == 3 and all(len(c.get_paths()) == 1 for c in gaps)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "gap (> 3 cadences)" in legend and "QUALITY != 0 (3)" in legend
    assert "cadence 12 s" in ax.get_title() and "size unknown" in ax.get_title()


def test_plot_draws_into_given_axes():
    fig, ax = plt.subplots()
    assert _table(np.arange(0, 60, 12), np.full(5, 171)).plot_coverage(ax=ax) is ax


def test_not_a_result_is_a_type_error():
    with pytest.raises(TypeError, match="JSOCX search result"):
        coverage.summary([1, 2, 3])
    with pytest.raises(TypeError, match="JSOCX search result"):
        coverage.plot_coverage("aia.lev1_euv_12s")


# ---------------------------------------------------------------- real searches
def test_looking_makes_no_request(emu):
    with sunpy_jsocx.use_server(emu.url):
        res = JSOCXClient().search(HOUR, a.jsocx.Series("aia.lev1_euv_12s"),
                                   a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA), keys=["QUALITY"])
        fido = Fido.search(HOUR, a.jsocx.Series("hmi.M_45s"))
        before = emu.stats()["requests"]
        calls = dict(sunpy_jsocx.transport.connection(emu.url).calls)
        texts = [res.summary(), res[::2].summary(), res[3].summary(), coverage.summary(fido)]
        for ax in (res.plot_coverage(), res[3].plot_coverage(), coverage.plot_coverage(fido)):
            ax.figure.canvas.draw()
        assert emu.stats()["requests"] == before
        assert sunpy_jsocx.transport.connection(emu.url).calls == calls
    n, half = len(res), len(res[::2])
    assert [t.split(" of ")[0] for t in texts] == [f"{n} records", f"{half} records", "1 record",
                                                   f"{len(fido[0])} records"], texts
    flagged = int((res["QUALITY"] != 0).sum())
    assert f"{flagged} of {n} records with QUALITY != 0" in texts[0]
    assert f"{n} online, 0 offline" in texts[0]
    # aia.lev1_euv_12s links its segments to aia.lev1, whose metadata was not fetched.
    assert "segments image, spikes link to aia.lev1" in texts[0]


def test_slice_and_row_and_unified_response_with_two_blocks(emu):
    with sunpy_jsocx.use_server(emu.url):
        fido = Fido.search(HOUR, a.jsocx.Series("aia.lev1_euv_12s"),
                           a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA))
    assert len(fido) == 2 and all(isinstance(block, JSOCXResponse) for block in fido)
    cov = coverage.coverage(fido)
    assert [t.label for t in cov.tracks] == ["WAVELNTH 171", "WAVELNTH 304"]
    assert cov.n_records == len(fido[0]) + len(fido[1]) > 500
    assert cov.cadence == 12.0 and cov.slot_step == 12.0
    ax = coverage.plot_coverage(fido)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["WAVELNTH 171", "WAVELNTH 304"]
    # Fido's slices: a block, a slice of a block, a row.
    assert coverage.coverage(fido[1]).n_records == len(fido[1])
    sliced = coverage.coverage(fido[0, ::10])
    assert sliced.n_records == len(fido[0][::10]) and sliced.cadence == 120.0
    row = fido[1][7]
    assert "1 record of aia.lev1_euv_12s in 1 row: WAVELNTH 304" in row.summary()
    assert coverage.summary(row) == row.summary()
    assert [t.get_text() for t in row.plot_coverage().get_yticklabels()] == ["WAVELNTH 304"]


def test_small_search_knows_quality_from_the_keywords_it_got(emu):
    # A small FITS search gets every keyword with the records (for the fetch), QUALITY too.
    with sunpy_jsocx.use_server(emu.url):
        res = JSOCXClient().search(HOUR, a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA))
        asked = JSOCXClient().search(HOUR, a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA),
                                     keys=["QUALITY"])
    assert "QUALITY" not in res.colnames
    expected = int((asked["QUALITY"] != 0).sum())
    assert expected > 0
    assert coverage.coverage(res).n_flagged == expected
    assert coverage.coverage(res[::2]).n_flagged == int((asked["QUALITY"][::2] != 0).sum())
    assert f"{expected} of {len(res)} records with QUALITY != 0" in res.summary()


def test_size_from_cached_segment_dims(emu):
    with sunpy_jsocx.use_server(emu.url):
        res = JSOCXClient().search(HOUR, a.jsocx.Series("hmi.M_45s"))
        cov = coverage.coverage(res)
        assert cov.size == len(res) * 4 * 4096 * 4096 and cov.size_complete
        assert f"about {coverage.format_bytes(cov.size)}" in res.summary()
        # After the linked series' metadata is fetched, AIA's image size is known; spikes vary.
        aia = JSOCXClient().search(HOUR, a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA))
        assert coverage.coverage(aia).size is None
        JSOCXClient().info("aia.lev1")
        cov = coverage.coverage(aia)
        assert cov.size == len(aia) * 4 * 4096 * 4096 and not cov.size_complete
        assert "at least" in aia.summary() and "the size of segment spikes varies" in aia.summary()
        only_image = JSOCXClient().search(HOUR, a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA),
                                          a.jsocx.Segment("image"))
        assert coverage.coverage(only_image).size_complete


def test_other_clients_blocks_are_left_out_and_empty_tables_say_so(emu):
    from sunpy.net.base_client import QueryResponseTable
    from sunpy.net.fido_factory import UnifiedResponse

    with sunpy_jsocx.use_server(emu.url):
        res = JSOCXClient().search(HOUR, a.jsocx.Series("hmi.M_45s"))
    other = QueryResponseTable({"Start Time": Time(["2014-01-01T00:00:00"] * 3), "Instrument": ["EVE"] * 3})
    mixed = UnifiedResponse(other, res)
    assert coverage.coverage(mixed).n_records == len(res)
    assert coverage.summary(mixed) == res.summary()
    with pytest.raises(TypeError, match="JSOCX search result"):
        coverage.summary(other)
    empty = res[0:0]
    assert empty.summary() == "0 records of hmi.M_45s\nNo records: nothing to download."
    assert empty.plot_coverage().get_title() == "No records"


def test_tables_in_different_time_scales_share_one_time_line():
    utc = _table([0, 12, 24], np.full(3, 171))
    tai = JSOCXResponse({"T_REC": utc["T_REC"].tai, "WAVELNTH": np.full(3, 304)})
    cov = coverage.coverage([utc, tai])
    assert cov.scale == "utc"
    assert [list(t.seconds) for t in cov.tracks] == [[0.0, 12.0, 24.0], [0.0, 12.0, 24.0]]


def test_summary_prints_as_text():
    table = _table(np.arange(0, 60, 12), np.full(5, 171))
    text = table.summary()
    assert repr(text) == str(text) and "\n" in text
