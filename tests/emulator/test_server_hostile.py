"""
The emulator as a server under hostile or heavy input (issue 8, points 7 and 8).

No test sleeps: concurrency is shown by ordering (a request answered while another is
held inside its work), and timeouts are only generous failure bounds.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from helpers import download, fetch, get_json, info, rs_list, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.emulator.saferegex import FilterError, SafeRegex, filter_names
from sunpy_jsocx.emulator.server import DRMS_RECORD_LIMIT, EmulatorConfig, _rs_list, _rs_list_plan, _State

BOUND = 30  # seconds: a failure bound only; a healthy server answers in milliseconds
HOSTILE_FILTER = "(.*)*!"  # exponential for a backtracking matcher on every series name
BIG = "9" * 5000
EMAIL = "test@example.org"


def get_raw(emu, path: str, headers=None, **params):
    """Status, headers and body of one request, HTTP errors included."""
    url = emu.url + path.lstrip("/") + ("?" + urlencode(params) if params else "")
    assert url.startswith("http://127.0.0.1:")
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=BOUND) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# ----------------------------------------------------------------- point 7: regular expressions
@pytest.mark.parametrize("endpoint", ["showextseries", "show_series"])
def test_catastrophic_series_filter_answers_at_once(endpoint):
    with JSOCEmulator() as emu:
        status, _, body = get_raw(emu, f"cgi-bin/ajax/{endpoint}", filter=HOSTILE_FILTER)
        assert status == 200
        d = json.loads(body)
        assert d.get("seriesList", d.get("names")) == []
        # and the server still serves everyone afterwards
        assert info(emu, op="series_struct", ds="hmi.m_45s")["status"] == 0


def test_costly_filters_are_refused_with_a_clear_message(emulator):
    d = get_json(emulator, "cgi-bin/ajax/showextseries", filter="(a?){3000}")
    assert d["seriesList"] == []
    assert "too complex" in d["errMsg"]
    d = get_json(emulator, "cgi-bin/ajax/show_series", filter="x" * 2000)
    assert d["status"] == 1 and "too long" in d["error"]
    d = get_json(emulator, "cgi-bin/ajax/showextseries", filter=r"(hmi)\1")
    assert "back-references" in d["errMsg"]
    d = get_json(emulator, "cgi-bin/ajax/show_series", filter=r"(?=hmi)")
    assert d["status"] == 1 and "look-around" in d["error"]
    assert get_json(emulator, "cgi-bin/ajax/show_series", filter="(")["names"] == []  # bad syntax, as before


def test_filter_budget_bounds_the_work():
    rx = SafeRegex("(x?){2400}y")  # fits the program size, but costs ~2400 steps a character
    with pytest.raises(FilterError, match="too costly"):
        filter_names(["hmi.M_45s"] * 300, "(x?){2400}y", budget=100_000)
    assert rx.search("y")


_ATOMS = st.sampled_from(["a", "b", "m", "_", ".", r"\.", r"\d", r"\w", "[a-c]", "[^a]", "(a|b)", "(?:ab|a)",
                          "^", "$", r"\b", "[0-9]"])
_QUANT = st.sampled_from(["", "*", "+", "?", "{2}", "{0,2}", "*?"])
_PATTERNS = st.lists(st.tuples(_ATOMS, _QUANT), min_size=1, max_size=5).map(
    lambda parts: "".join(a + q for a, q in parts))


@settings(max_examples=300, deadline=None)
@given(_PATTERNS, st.text(alphabet="abmAB_.0123x", max_size=12))
def test_bounded_matcher_agrees_with_re(pattern, text):
    try:
        expected = bool(re.search(pattern, text, re.IGNORECASE))
    except re.error:
        with pytest.raises(FilterError):
            SafeRegex(pattern, re.IGNORECASE)
        return
    assert SafeRegex(pattern, re.IGNORECASE).search(text) == expected


# ----------------------------------------------------------------- point 7: heavy rs_list
def test_heavy_rs_list_does_not_stall_other_clients():
    entered, release, done = threading.Event(), threading.Event(), threading.Event()
    with JSOCEmulator() as emu:
        store = emu.state.store
        strings = store.strings

        def held_strings(b, name, **kw):
            # The heavy (AIA) request stops inside its keyword work until the test lets it go.
            if b.model.name.startswith("aia"):
                entered.set()
                release.wait(2 * BOUND)
            return strings(b, name, **kw)

        store.strings = held_strings
        answer = {}

        def heavy():
            answer.update(rs_list(emu, "aia.lev1_euv_12s[2014.01.01_TAI/1h]", key="**ALL**"))
            done.set()

        t = threading.Thread(target=heavy)
        t.start()
        try:
            assert entered.wait(BOUND), "the heavy request never reached its keyword work"
            # While the heavy request is held, another client is answered.
            status, _, body = get_raw(emu, "cgi-bin/ajax/jsoc_info", op="series_struct", ds="hmi.m_45s")
            assert status == 200 and json.loads(body)["status"] == 0
            assert get_json(emu, "cgi-bin/ajax/show_series", filter=r"hmi\.m_45s$")["n"] == 1
            assert not done.is_set()
        finally:
            release.set()
            t.join(2 * BOUND)
        assert answer["status"] == 0 and answer["count"] == 7 * 300
        assert len(answer["keywords"]) > 100


def test_rs_list_beyond_drms_record_limit_lists_the_first_records_as_jsoc_does(emulator):
    """
    DRMS caps a query's limit at MAXIMUM_LIMIT, 75,000 (drms_record.c, lm-jps/drms@3727293), its
    SQL is "order by <prime keys> limit <limit>", and jsoc_info's rs_list does not check the
    DRMS_QUERY_TRUNCATED status that follows: status 0, count the records listed, nothing else.
    """
    assert EmulatorConfig().record_limit == DRMS_RECORD_LIMIT == 75_000
    ds = "aia.lev1_euv_12s[2014.01.01_TAI/2d]"  # 100,800 records
    d = rs_list(emulator, ds, key="T_REC,WAVELNTH")
    assert d["status"] == 0 and d["count"] == 75_000 and "error" not in d
    times = values(d, "T_REC")
    assert len(times) == 75_000 and times[0] == "2013-12-31T23:59:25Z"  # the first records, in T_REC order
    assert times[-1] < "2014-01-02T12:00"  # the tail is cut: 75,000 of 7 x 7,200 a day end in day two's morning
    assert info(emulator, op="rs_summary", ds=ds)["count"] == 100_800  # a count is not cut
    # n= within the cap, and the cap over n= beyond it, as on JSOC
    assert rs_list(emulator, ds, key="T_REC", n=10)["count"] == 10
    assert rs_list(emulator, ds, key="T_REC", n=-80_000)["count"] == 75_000
    with JSOCEmulator(record_limit=100) as emu:
        d = rs_list(emu, "hmi.m_45s[2014.01.01_TAI/2h]")  # 160 records
        assert d["status"] == 0 and d["count"] == 100
        assert values(d, "T_REC")[-1] == "2014.01.01_01:14:15_TAI"  # the 100th, 99 x 45 s after the first
        assert rs_list(emu, "hmi.m_45s[2014.01.01_TAI/2h]", n=-100)["count"] == 100


def test_rs_list_is_streamed_one_column_at_a_time(emulator):
    q = {"ds": "aia.lev1_euv_12s[2014.01.01_TAI/10m]", "key": "**ALL**,*recnum*,NOSUCHKEY", "seg": "**ALL**",
         "link": "**ALL**", "R": "1"}
    state = _State(EmulatorConfig())
    pieces = list(_rs_list_plan(state, q))
    total = sum(map(len, pieces))
    assert len(pieces) > 170 and max(map(len, pieces)) < total / 20  # one column (or recinfo) at a time
    whole = json.loads("".join(pieces) + "}")
    # the streamed HTTP answer is the same JSON, sent chunked
    status, headers, body = get_raw(emulator, "cgi-bin/ajax/jsoc_info", op="rs_list", **q)
    assert status == 200 and headers.get("Transfer-Encoding") == "chunked"
    got = json.loads(body)
    assert got.pop("runtime") >= 0
    assert got == whole == _rs_list(state, q)
    assert list(got) == ["recinfo", "keywords", "segments", "links", "count", "status"]


# ----------------------------------------------------------------- point 8: JSOC-style errors
HOSTILE_SETS = [
    f"hmi.m_45s[2014.01.01_TAI/1d][? CAMERA > {BIG} ?]",
    f"hmi.m_45s[2014.01.01_TAI/1d][? CAMERA > 0x{'f' * 5000} ?]",
    "hmi.m_45s[2014.01.01_TAI/1d][? CAMERA < 1e400 ?]",
    "hmi.m_45s[2014.01.01_TAI/1e309d]",
    f"hmi.m_45s[{BIG}]",
    f"aia.lev1_euv_12s[2014.01.01_TAI/1m][{BIG}]",
    "aia.lev1_euv_12s[2014.01.01_TAI/1m][1e309]",
    "hmi.m_45s[:#1-99999999999999999999]",
    "hmi.m_45s[:#99999999999999999990-99999999999999999999]",
    "hmi.sharp_720s[1-99999999999999999999]",
    "hmi.sharp_720s[1e309]",
]


@pytest.mark.parametrize("ds", HOSTILE_SETS)
def test_hostile_record_sets_get_jsoc_style_answers(emulator, ds):
    for op in ("rs_list", "rs_summary"):
        status, _, body = get_raw(emulator, "cgi-bin/ajax/jsoc_info", op=op, ds=ds, key="T_REC")
        assert status == 200, body[:300]
        assert "status" in json.loads(body)
    status, _, body = get_raw(emulator, "cgi-bin/ajax/jsoc_fetch", op="exp_request", ds=ds, notify=EMAIL,
                              method="url", protocol="fits")
    assert status == 200, body[:300]
    assert "status" in json.loads(body)


@pytest.fixture(scope="module")
def file_path(emulator):
    d = fetch(emulator, op="exp_request", ds="hmi.M_45s[2014.01.01_00:00:00_TAI/2m]{magnetogram}", notify=EMAIL,
              method="url_quick", protocol="as-is")
    return d["data"][0]["filename"]


@pytest.mark.parametrize(("rng", "status", "part"), [
    (f"bytes={BIG}-", 416, None),               # starts past any file
    ("bytes=99999999999999999999-", 416, None),
    (f"bytes=10-{BIG}", 206, slice(10, None)),  # ends past the file: up to its end
    (f"bytes=-{BIG}", 206, slice(0, None)),     # a suffix longer than the file: all of it
    ("bytes=0-1,5-6", 416, None),
    ("bytes=abc", 416, None),
])
def test_bad_and_huge_range_headers(emulator, file_path, rng, status, part):
    body = download(emulator, file_path).read()
    got, headers, data = get_raw(emulator, file_path, headers={"Range": rng})
    assert got == status
    if part is None:
        assert headers["Content-Range"] == f"bytes */{len(body)}"
    else:
        assert data == body[part]


@pytest.mark.parametrize("fmt", ["{T_REC:%q}", "{T_REC:%d%}", "{T_REC:%}", "{T_REC:%*d}", "{T_REC:%s%s}",
                                 "{T_REC:%999999d}", "{T_REC:%.99999f}", "{CAMERA:%c}", "{recnum:%s}",
                                 "{recnum:A}", "{segment:%d}", "{:%d}", "{T_REC:%n}", "x" * 2000])
def test_bad_filenamefmt_is_refused_at_request(emulator, fmt):
    d = fetch(emulator, op="exp_request", ds="hmi.M_45s[2014.01.01_00:00:00_TAI/2m]{magnetogram}",
              notify=EMAIL, method="url", protocol="fits", filenamefmt=fmt)
    assert d["status"] == 4
    assert d["error"].startswith("Cannot process your request.") and "filenamefmt" in d["error"]


def test_printf_filenamefmt_with_c_length_modifiers_works(emulator):
    # JSOC's documented default for recnum is %lld (exputil.c); Python's % has no "ll".
    ds = "hmi.M_45s[2014.01.02_00:00:00_TAI/2m]{magnetogram}"
    d = fetch(emulator, op="exp_request", ds=ds, notify=EMAIL, method="url", protocol="fits",
              filenamefmt="{seriesname}.{recnum:%lld}.{CAMERA:%02d}.{segment}")
    assert d["status"] == 2
    s = fetch(emulator, op="exp_status", requestid=d["requestid"])
    assert int(s["status"]) == 0  # index answers carry numbers as strings
    recnums = [str(v) for v in rs_list(emulator, ds, key="*recnum*")["keywords"][0]["values"]]
    assert [f["filename"] for f in s["data"]] == [f"hmi.M_45s.{r}.02.magnetogram.fits" for r in recnums]


def test_unexpected_failures_are_jsoc_errors_not_http_500():
    with JSOCEmulator() as emu:
        def broken(*a, **k):
            raise OverflowError("boom")

        emu.state.store.resolve = broken
        status, _, body = get_raw(emu, "cgi-bin/ajax/jsoc_info", op="rs_summary", ds="hmi.m_45s[$]")
        assert status == 200
        d = json.loads(body)
        assert d["status"] == 1 and "OverflowError: boom" in d["error"]
        status, _, body = get_raw(emu, "cgi-bin/ajax/jsoc_fetch", op="exp_request", ds="hmi.m_45s[$]",
                                  notify=EMAIL, method="url", protocol="fits")
        assert status == 200 and json.loads(body)["status"] == 4


# ----------------------------------------------------------------- point 8: fuzz
_PIECES = st.sampled_from(["hmi.m_45s", "aia.lev1_euv_12s", "hmi.sharp_720s", "[", "]", "{", "}", "?", "!", ":",
                           "#", "$", "^", "-", "/", "@", ",", "'", "=", " AND ", " > ", "1e309", "-1e309",
                           "99999999999999999999", BIG, "0x" + "f" * 40, "2014.01.01_TAI", "1d", "171",
                           "T_REC", "CAMERA", "\x00", "é", "%", "%s", "*ALL*", "nan", "inf"])
_TEXT = st.lists(_PIECES, max_size=8).map("".join)
_NUMBER = st.sampled_from(["", "0", "7", "-1", "1e309", "-1e400", "99999999999999999999", BIG, "0x" + "f" * 5000,
                           "nan", "1.5", "'x'"])
# Record sets and headers shaped like real ones, with hostile numbers in every slot.
_DS = st.one_of(_TEXT, st.builds("hmi.m_45s[2014.01.01_TAI/1h][? CAMERA {} {} ?]".format,
                                 st.sampled_from(["<", ">", "=", "<>"]), _NUMBER),
                st.builds("aia.lev1_euv_12s[2014.01.01_TAI/1m][{}-{}]".format, _NUMBER, _NUMBER),
                st.builds("hmi.m_45s[:#{}-{}]".format, _NUMBER, _NUMBER),
                st.builds("hmi.sharp_720s[{}][2014.01.01_TAI/{}d]".format, _NUMBER, _NUMBER))
_RANGE = st.one_of(_TEXT, st.builds("{}-{}".format, _NUMBER, _NUMBER))
_FMT = st.one_of(_TEXT, st.builds("{{seriesname}}.{{{}:{}}}.{{segment}}".format,
                                  st.sampled_from(["T_REC", "CAMERA", "recnum", "#", "segment", "NOSUCH", ""]),
                                  st.sampled_from(["%d", "%lld", "%05d", "%.3f", "%s", "%q", "%", "%d%", "%*d",
                                                   "%999999d", "A", "D", "A,UTC", "%c", "%n", "%%", "x"])))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ds=_DS, n=_NUMBER | _TEXT, key=_TEXT, fmt=_FMT, flt=_TEXT, rng=_RANGE, rid=_TEXT)
def test_fuzzed_input_never_gets_http_500(emulator, file_path, ds, n, key, fmt, flt, rng, rid):
    requests = [
        ("cgi-bin/ajax/jsoc_info", {"op": "rs_list", "ds": ds, "key": key, "n": n, "R": "1"}, None),
        ("cgi-bin/ajax/jsoc_info", {"op": "rs_summary", "ds": ds, "n": n}, None),
        ("cgi-bin/ajax/jsoc_info", {"op": "series_struct", "ds": ds}, None),
        ("cgi-bin/ajax/jsoc_fetch", {"op": "exp_request", "ds": ds, "notify": EMAIL, "method": "url",
                                     "protocol": "fits", "filenamefmt": fmt, "process": n}, None),
        ("cgi-bin/ajax/jsoc_fetch", {"op": "exp_status", "requestid": rid}, None),
        ("cgi-bin/ajax/showextseries", {"filter": flt}, None),
        ("cgi-bin/ajax/show_series", {"filter": flt}, None),
        ("cgi-bin/ajax/checkAddress.sh", {"address": rid, "checkonly": "1"}, None),
        (file_path, {}, {"Range": "bytes=" + rng}),
    ]
    for path, params, headers in requests:
        status, _, body = get_raw(emulator, path, headers=headers, **params)
        assert status != 500, (path, params, body[:300])
        if path.startswith("cgi-bin") and status == 200:  # (a URL past 8 KiB is HTTP 400)
            d = json.loads(body)
            if path.endswith("jsoc_fetch") and params["op"] == "exp_request" and d.get("requestid"):
                s = fetch(emulator, op="exp_status", requestid=d["requestid"])
                assert "status" in s


def test_a_client_that_hangs_up_mid_file_is_not_a_server_error(caplog, monkeypatch):
    """A killed downloader leaves the emulator quiet (no traceback in its log) and serving."""
    import socket
    import threading
    import urllib.request
    from urllib.parse import urlsplit

    from sunpy_jsocx.emulator import server
    from sunpy_jsocx.transport import connection

    hung_up = threading.Event()
    real = server.log.debug

    def debug(msg, *args, **kwargs):
        if "closed the connection mid-file" in str(msg):
            hung_up.set()
        return real(msg, *args, **kwargs)

    monkeypatch.setattr(server.log, "debug", debug)
    with JSOCEmulator(image_size=1024, bandwidth=1_000_000) as emu, caplog.at_level("ERROR"):
        answer = connection(emu.url).rs_list("hmi.M_45s[2014.01.01_00:00:00_TAI/1m]", key=["T_REC"],
                                             seg=["magnetogram"])
        path = answer["segments"][0]["values"][0]
        port = urlsplit(emu.url).port
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert s.recv(1024).startswith(b"HTTP/1.1 200")
        assert hung_up.wait(timeout=20), "the server noticed the hang-up"
        emu.config.bandwidth = None
        with urllib.request.urlopen(emu.url + path.lstrip("/")) as r:
            assert len(r.read()) > 1_000_000
    assert not [r for r in caplog.records if r.levelname == "ERROR"], [r.getMessage() for r in caplog.records]


def test_a_client_that_hangs_up_before_its_answer_is_not_a_server_error(caplog, monkeypatch):
    """
    A downloader killed between its request and the answer's first byte (bench_interrupted's
    SIGKILLs found it): the headers then meet a closed connection, and aiohttp logged a
    traceback as "Error handling request". The emulator stays quiet and serving.
    """
    import asyncio
    import socket
    import urllib.request
    from urllib.parse import urlsplit

    from sunpy_jsocx.emulator import server
    from sunpy_jsocx.transport import connection

    closed, noticed = threading.Event(), threading.Event()
    real = server.log.debug

    def debug(msg, *args, **kwargs):
        if "closed the connection before the answer" in str(msg):
            noticed.set()
        return real(msg, *args, **kwargs)

    armed = threading.Event()

    async def held(seconds):  # the emulator's latency: once armed, it lasts until the client has gone
        while armed.is_set() and not closed.is_set():
            await asyncio.sleep(0.005)

    monkeypatch.setattr(server.log, "debug", debug)
    with JSOCEmulator(latency=1.0, sleep=held) as emu, caplog.at_level("ERROR"):
        answer = connection(emu.url).rs_list("hmi.M_45s[2014.01.01_00:00:00_TAI/1m]", key=["T_REC"],
                                             seg=["magnetogram"])
        path = answer["segments"][0]["values"][0]
        armed.set()
        with socket.create_connection(("127.0.0.1", urlsplit(emu.url).port)) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        closed.set()
        assert noticed.wait(timeout=20), "the server noticed the hang-up"
        armed.clear()
        with urllib.request.urlopen(emu.url + path.lstrip("/")) as r:
            assert r.read(6) == b"SIMPLE"
    assert not [r for r in caplog.records if r.levelname == "ERROR"], [r.getMessage() for r in caplog.records]
