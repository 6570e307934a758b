"""Fido's | alternatives answered together: fewer requests, the same tables."""

from __future__ import annotations

import warnings

import astropy.units as u
import numpy as np
import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a
from sunpy.net.attr import SimpleAttr
from sunpy.net.base_client import BaseClient, QueryResponseTable

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, fidobatch
from sunpy_jsocx.emulator import JSOCEmulator

EMAIL = "user@example.org"
TIME = a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30")
AIA = a.jsocx.Series("aia.lev1_euv_12s")


@pytest.fixture
def emu():
    with JSOCEmulator() as e, sunpy_jsocx.use_server(e.url):
        yield e


@pytest.fixture
def unbatched(monkeypatch):
    """Searches as if the running Fido search could not be found: one search per alternative."""
    monkeypatch.setattr(fidobatch, "running_fido_search", lambda depth=1: None)


def rs_lists(emu) -> int:
    return emu.stats()["requests"].get("jsoc_info:rs_list", 0)


def three_wavelengths():
    return Fido.search(TIME, AIA, a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA) | a.Wavelength(94 * u.AA))


def snapshot(res) -> list[tuple]:
    """Everything a user or a fetch sees of each table: columns (hidden too) and query_args."""
    out = []
    for table in res:
        columns = {name: [str(v) for v in table[name]] for name in table.colnames}
        args = [{k: str(v) for k, v in block.items()} for block in getattr(table, "query_args", None) or []]
        out.append((table.colnames, columns, args, getattr(table, "server", None)))
    return out


def test_fido_or_of_wavelengths_is_one_record_set(emu):
    res = three_wavelengths()
    assert rs_lists(emu) == 1
    assert [len(t) for t in res] == [3, 3, 3]
    for table, wave in zip(res, (304, 171, 94), strict=True):
        assert set(table["WAVELNTH"]) == {wave}
        assert table.query_args[0]["primekeys"] == {"WAVELNTH": [wave]}
        assert table.query_args[0]["recordset"].endswith(f"[{wave}]")
    assert fidobatch.pending() == 0


def test_batched_tables_equal_one_search_per_alternative(emu, monkeypatch):
    batched = snapshot(three_wavelengths())
    assert rs_lists(emu) == 1
    monkeypatch.setattr(fidobatch, "running_fido_search", lambda depth=1: None)
    emu.reset_stats()
    separate = snapshot(three_wavelengths())
    assert rs_lists(emu) == 3
    assert batched == separate


def test_unbatched_fallback_gives_the_tables(emu, unbatched):
    res = three_wavelengths()
    assert rs_lists(emu) == 3
    assert [sorted(set(t["WAVELNTH"])) for t in res] == [[304], [171], [94]]


def test_seed_fetch_after_one_search_request_is_thirteen_requests(emu, tmp_path):
    res = Fido.search(TIME, AIA, a.jsocx.Notify(EMAIL), a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = Fido.fetch(res, path=str(tmp_path / "{file}"), progress=False)
    assert len(files) == 12 and not files.errors
    requests = emu.stats()["requests"]
    assert requests["jsoc_info:rs_list"] == 1
    assert "jsoc_fetch:exp_request" not in requests
    assert emu.stats()["files_served"] == 12


def test_sliced_fetch_of_batched_tables_downloads_exactly_the_kept_rows(emu, tmp_path):
    res = three_wavelengths()
    kept = res[1, ::2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = Fido.fetch(kept, path=str(tmp_path / "{file}"), progress=False)
    assert not files.errors
    assert emu.stats()["files_served"] == len(kept) * 2  # image and spikes of each kept row
    assert all(".171." in f for f in files)


def test_alternatives_of_different_series_are_searched_together(emu):
    res = Fido.search(TIME, (AIA & a.Wavelength(171 * u.AA)) | a.jsocx.Series("hmi.M_45s"))
    assert [t.query_args[0]["series"] for t in res] == ["aia.lev1_euv_12s", "hmi.M_45s"]
    assert set(res[0]["WAVELNTH"]) == {171}
    assert len(res[1]) == 1
    assert rs_lists(emu) == 2


def test_wavelength_ranges_are_not_dealt_by_value(emu):
    res = Fido.search(TIME, AIA, a.Wavelength(160 * u.AA, 180 * u.AA) | a.Wavelength(304 * u.AA))
    assert [sorted(set(t["WAVELNTH"])) for t in res] == [[171], [304]]
    assert rs_lists(emu) == 2


def test_overlapping_alternatives_each_get_their_rows(emu):
    res = Fido.search(TIME, AIA, a.jsocx.PrimeKey("WAVELNTH", [171, 304]) | a.Wavelength(304 * u.AA))
    assert rs_lists(emu) == 1
    assert sorted(set(res[0]["WAVELNTH"])) == [171, 304]
    assert sorted(set(res[1]["WAVELNTH"])) == [304]
    assert len(res[0]) == 6 and len(res[1]) == 3


def outcome(query) -> tuple:
    """What Fido gives for a query: the error it raised (sunpy 7), or tables and errors (sunpy 8)."""
    try:
        res = Fido.search(*query)
    except Exception as err:  # sunpy 7 lets a client's error through
        return ("raised", type(err).__name__, str(err))
    return ("answered", snapshot(res), [str(e) for e in res.errors])


BAD_SAMPLE = [TIME, AIA, a.Wavelength(171 * u.AA) | (a.Wavelength(304 * u.AA) & a.Sample(-1 * u.s))
              | a.Wavelength(94 * u.AA)]


def test_a_bad_alternative_fails_alone_as_without_batching(emu, monkeypatch):
    batched = outcome(BAD_SAMPLE)
    assert "Sample" in str(batched)
    monkeypatch.setattr(fidobatch, "running_fido_search", lambda depth=1: None)
    assert outcome(BAD_SAMPLE) == batched


def test_the_good_alternatives_are_still_answered_together(emu):
    res = outcome(BAD_SAMPLE)
    if res[0] == "answered":  # sunpy 8: the good alternatives' tables are kept
        assert rs_lists(emu) == 1
        assert [len(cols.get("_recnum", ())) for _, cols, _, _ in res[1]] == [3, 0, 3]
        assert len(res[2]) == 1 and "Sample" in res[2][0]
    else:  # sunpy 7: Fido stops at the bad alternative, after answering the first
        assert res[1] == "ValueError"
        assert rs_lists(emu) == 1


def test_a_failed_batch_request_falls_back_to_one_search_per_alternative(emu, monkeypatch):
    calls = []
    real = JSOCXClient._search_walked

    def first_fails(self, walked, keys=None):
        calls.append(len(walked))
        if len(calls) == 1:
            raise ConnectionError("JSOC is down")
        return real(self, walked, keys)

    monkeypatch.setattr(JSOCXClient, "_search_walked", first_fails)
    res = three_wavelengths()
    assert calls == [3, 1, 1, 1]  # the batch failed; each alternative was then searched alone
    assert [sorted(set(t["WAVELNTH"])) for t in res] == [[304], [171], [94]]
    assert fidobatch.pending() == 0


def test_the_client_called_directly_is_not_batched(emu):
    c = JSOCXClient()
    first = c.search(TIME, AIA, a.Wavelength(171 * u.AA))
    second = c.search(TIME, AIA, a.Wavelength(304 * u.AA))
    assert rs_lists(emu) == 2
    assert set(first["WAVELNTH"]) == {171} and set(second["WAVELNTH"]) == {304}
    assert fidobatch.pending() == 0


class _Other(SimpleAttr):
    """An attr only the test's other client understands."""


class _OtherClient(BaseClient):
    """A second Fido client answering offline, to mix providers in one Fido search."""

    calls = 0
    fail = False

    def search(self, *query):
        type(self).calls += 1
        if type(self).fail:
            raise ConnectionError("the other provider is down")
        return QueryResponseTable({"value": [q.value for q in query if isinstance(q, _Other)]}, client=self)

    def fetch(self, *args, **kwargs):  # pragma: no cover - never fetched
        raise NotImplementedError

    @classmethod
    def _can_handle_query(cls, *query):
        return any(isinstance(q, _Other) for q in query) and all(isinstance(q, _Other | a.Time) for q in query)


# Defining a client registers it with Fido; take it out again so that it serves only its test.
BaseClient._registry.pop(_OtherClient, None)


@pytest.fixture
def other_client():
    _OtherClient.calls = 0
    _OtherClient.fail = False
    BaseClient._registry[_OtherClient] = _OtherClient._can_handle_query
    yield _OtherClient
    BaseClient._registry.pop(_OtherClient, None)


def test_other_clients_alternatives_are_left_to_them(emu, other_client):
    res = Fido.search(TIME, (AIA & a.Wavelength(171 * u.AA)) | _Other("x") | (AIA & a.Wavelength(304 * u.AA)))
    assert other_client.calls == 1
    assert rs_lists(emu) == 1
    assert [type(t).__name__ for t in res] == ["JSOCXResponse", "QueryResponseTable", "JSOCXResponse"]
    assert set(res[0]["WAVELNTH"]) == {171} and set(res[2]["WAVELNTH"]) == {304}
    assert list(res[1]["value"]) == ["x"]


def test_the_same_fido_query_searched_twice_is_answered_twice(emu):
    query = [TIME, AIA, a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA)]
    first, second = Fido.search(*query), Fido.search(*query)
    assert rs_lists(emu) == 2
    assert snapshot(first) == snapshot(second)
    assert np.all(first[0]["WAVELNTH"] == 304)


def test_a_search_that_failed_elsewhere_leaves_nothing_stale(emu, other_client):
    query = (AIA & TIME & a.Wavelength(171 * u.AA)) | _Other("x") | (AIA & TIME & a.Wavelength(304 * u.AA))
    other_client.fail = True
    try:
        Fido.search(query)  # the same query object is Fido's query both times
    except ConnectionError:
        pass  # sunpy 7 stops the search here, before the last alternative; sunpy 8 goes on
    assert rs_lists(emu) == 1
    other_client.fail = False
    res = Fido.search(query)
    assert rs_lists(emu) == 2  # answered afresh, not from the failed search's leftovers
    assert set(res[0]["WAVELNTH"]) == {171} and set(res[2]["WAVELNTH"]) == {304}
    assert fidobatch.pending() == 0
