"""
A search never returns the first part of a record set as if it were the whole.

JSOC's ``rs_list`` lists at most one DRMS query's limit of records: DRMS caps every
query's limit at ``MAXIMUM_LIMIT`` 75,000 (``CAP_LIMIT`` in ``drms_record.c``, lm-jps/drms
@3727293), its SQL ends ``order by <prime keys> limit <limit>``, and ``jsoc_info``'s
``rs_list`` does not check the ``DRMS_QUERY_TRUNCATED`` status that follows: it answers
status 0 with ``count`` the records listed. ``rs_summary`` counts with SQL and is not cut.
The emulator lists the same way (``record_limit``), so these tests meet what JSOC does.
"""

from __future__ import annotations

import json
import warnings

import astropy.units as u
import pytest
from sunpy.net import attrs as a

from sunpy_jsocx import JSOCXClient, cli
from sunpy_jsocx import client as client_module
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.transport import JSOCError

DAY = (a.Time("2014-01-01T00:00:00", "2014-01-02T00:00:00"), a.jsocx.Series("hmi.M_45s"))  # 1,921 records


@pytest.fixture
def cut():
    """An emulator whose rs_list lists at most 1,500 records, as JSOC lists at most 75,000."""
    with JSOCEmulator(record_limit=1500) as emu:
        yield emu


@pytest.fixture
def whole():
    with JSOCEmulator(record_limit=10**6) as emu:
        yield emu


def _search(emu, *attrs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return JSOCXClient(emu.url).search(*attrs)


def test_the_emulator_cuts_a_listing_short_as_jsoc_does(cut):
    from sunpy_jsocx.transport import connection

    conn = connection(cut.url)
    d = conn.rs_list("hmi.M_45s[2014.01.01_00:00:35_TAI-2014.01.02_00:00:35_TAI]", key=["T_REC"])
    assert d["status"] == 0 and d["count"] == 1500  # nothing says it is not all
    assert conn.rs_count("hmi.M_45s[2014.01.01_00:00:35_TAI-2014.01.02_00:00:35_TAI]") == 1921


def test_a_search_jsoc_lists_only_in_part_comes_back_whole(cut, whole):
    got = _search(cut, *DAY)
    want = _search(whole, *DAY)
    assert len(want) == 1921
    assert list(got["_recnum"]) == list(want["_recnum"])
    assert list(got["T_REC"].isot) == list(want["T_REC"].isot)
    req = cut.stats()["requests"]
    # the listing cut short, JSOC's count, and two spans of about 960 records
    assert (req["jsoc_info:rs_list"], req["jsoc_info:rs_summary"]) == (3, 1)


def test_the_spans_keep_a_samplings_grid(cut, whole):
    attrs = (a.Time("2014-01-01T00:00:00", "2014-01-03T00:00:00"), a.jsocx.Series("hmi.M_45s"), a.Sample(90 * u.s))
    got, want = _search(cut, *attrs), _search(whole, *attrs)
    assert len(want) == 1921 and list(got["T_REC"].isot) == list(want["T_REC"].isot)


def test_a_span_cut_short_again_is_halved(cut, whole, monkeypatch):
    monkeypatch.setattr(client_module, "TRUNCATION_FILL", 2.0)  # aim at one span: JSOC cuts it again
    got = _search(cut, *DAY)
    assert list(got["_recnum"]) == list(_search(whole, *DAY)["_recnum"])
    assert cut.stats()["requests"]["jsoc_info:rs_list"] == 4  # whole, the one span again, its two halves


def test_a_search_estimated_small_that_lists_more_is_checked_too(cut, whole, monkeypatch):
    # The estimate guesses the values of prime keys the search leaves open; when the
    # listing of every keyword turns out bigger than it allowed, it is listed as a large one.
    monkeypatch.setattr(client_module, "SMALL_SEARCH_ROWS", 10**9)
    got = _search(cut, *DAY)
    assert list(got["_recnum"]) == list(_search(whole, *DAY)["_recnum"])
    assert cut.stats()["requests"]["jsoc_info:rs_summary"] == 1


def test_a_record_set_that_cannot_be_split_is_refused_not_cut(cut):
    with pytest.raises(JSOCError, match=r"lists at most 1,500 records .* holds 1,920: narrow it"):
        _search(cut, a.jsocx.RecordSet("hmi.M_45s[2014.01.01_TAI/1d]"))


def test_an_ordinary_search_asks_for_no_count(cut):
    res = _search(cut, a.Time("2014-01-01T00:00:00", "2014-01-01T06:00:00"), a.jsocx.Series("hmi.M_45s"))
    assert len(res) == 481
    assert "jsoc_info:rs_summary" not in cut.stats()["requests"]


def test_a_search_of_more_than_75000_records_at_jsocs_own_limit():
    with JSOCEmulator() as emu:  # record_limit 75,000 as DRMS's MAXIMUM_LIMIT
        res = _search(emu, a.Time("2014-01-01T00:00:00", "2014-01-03T00:00:00"), a.jsocx.Series("aia.lev1_euv_12s"))
        total = emu.stats()
        assert len(res) == len(set(res["_recnum"])) > 100_000
        assert total["requests"]["jsoc_info:rs_summary"] == 1


def test_the_command_lines_json_names_every_record_of_a_split_search(cut, capsys):
    status = cli.main(["--server", cut.url, "search", "hmi.M_45s[2014.01.01_TAI/1d]", "--json"])
    err = capsys.readouterr().err
    assert status == cli.FAILED and "lists at most 1,500 records" in err  # a record set is not split
    res = _search(cut, *DAY)
    rows = cli._json_rows(JSOCXClient(cut.url), res)
    assert len(rows) == 1921 and all(r["record"] and r["online"] is not None for r in rows)
    assert len({r["record"] for r in rows}) == 1921
    json.dumps(rows)
