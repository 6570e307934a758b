"""
The emulator's HTTP server: JSOC's CGI endpoints and SUMS file downloads.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
import signal
import sys
import tarfile
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from aiohttp import web
from sunpy import log

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.catalog import load_catalog, not_emulated_message
from sunpy_jsocx.emulator.exports import ExportManager
from sunpy_jsocx.emulator.records import QueryError, RecordBatch, RecordStore
from sunpy_jsocx.emulator.saferegex import FilterError, filter_names
from sunpy_jsocx.emulator.seeds import file_seed

__all__ = ["EmulatorConfig", "JSOCEmulator", "BackgroundServer", "serve_until_stopped", "make_app",
           "DEFAULT_REGISTERED"]

#: Addresses the emulator treats as registered unless told otherwise.
DEFAULT_REGISTERED = ("user@example.org", "jsoc@example.org", "test@example.org")
_UNIX_EPOCH_INTERNAL = jsoctime.parse_time("1970.01.01_00:00:00_UTC")
_UNIX_EPOCH_TAI_UTC = float(jsoctime.tai_minus_utc(_UNIX_EPOCH_INTERNAL))
#: JSOC's web directory of HMI synoptic maps, one file per Carrington rotation
#: (sunpy's gallery examples plotting/hmi_synoptic_maps.py and plotting/limb_plotting.py
#: read ``http://jsoc.stanford.edu/data/hmi/synoptic/hmi.Synoptic_Mr.2191.fits``): the
#: ``synopMr`` segment of ``hmi.synoptic_mr_720s[CR]``.
_SYNOPTIC_PATH = re.compile(r"^/data/hmi/synoptic/hmi\.Synoptic_Mr\.(\d{4})\.fits$")
_SUMS_PATH = re.compile(r"^/SUM(\d{1,4})/D(\d{1,20})/S(\d{5})/([A-Za-z0-9][A-Za-z0-9._+\-]{0,250})$")
#: A directory segment's listing (its path with a final "/") or one of its files (rings.py).
_SUMS_DIR_PATH = re.compile(r"^/SUM(\d{1,4})/D(\d{1,20})/S(\d{5})/([A-Za-z0-9][A-Za-z0-9._+\-]{0,250})/"
                            r"([A-Za-z0-9%][A-Za-z0-9._+:%\-]{0,250})?$")
STATE_KEY: web.AppKey = web.AppKey("state", object)
# Set once a handler has started its answer: a failure after that cannot become a JSON error.
_STREAMING = web.RequestKey("streaming", bool) if hasattr(web, "RequestKey") else "jsocx_streaming"
#: The most records one DRMS query returns: ``MAXIMUM_LIMIT`` in DRMS's
#: ``base/drms/libs/api/drms_record.c`` (lm-jps/drms@3727293), which caps every
#: query's row limit (``CAP_LIMIT``; the limit is lower still when
#: ``1.1e6 * DRMS_QUERY_MEM / recsize`` is, 512 MB by default over the in-memory size of
#: one record, which no public source gives). The SQL is ``... order by <prime keys>
#: limit <limit>``, so the first records in prime-key order are listed; DRMS then sets
#: ``DRMS_QUERY_TRUNCATED``, which ``jsoc_info``'s ``rs_list`` does not check: it answers
#: status 0 with ``count`` the records listed. The emulator does the same.
DRMS_RECORD_LIMIT = 75_000
#: Digits of a byte position in a Range header beyond which it is "past any file".
_RANGE_DIGITS = 18
_PSEUDO = ("*recnum*", "*sunum*", "*size*", "*online*", "*retain*", "*archive*", "*recdir*", "*logdir*",
           "*dirmtime*", "*spec*")


@dataclass
class EmulatorConfig:
    """
    Everything that makes the emulator behave one way or another.

    Parameters
    ----------
    latency
        Seconds added to every request.
    staging_delay
        Seconds a staged export takes to complete (statuses 2 → 1 → 0).
    seed
        Seeds data gaps, quality flags, image noise and faults.
    registered : tuple of str
        Registered e-mail addresses.
    image_size
        Pixel size of generated images (JSOC's is 4096).
    fault_rate
        Probability that a request meets a fault (an even mix of HTTP 500, a
        dropped connection and, for downloads, a truncated body).
    http500_rate, drop_rate, truncate_rate : float or None
        Probabilities of each fault, overriding the mix from ``fault_rate``.
    bandwidth : float or None
        Bytes per second for file downloads (None: as fast as possible).
    notfound_polls
        ``exp_status`` answers "not found" this many times for each new request.
    offline_before
        JSOC time string: data recorded before it is on tape until staged.
    size_limit_mb
        Export size limit (MB), as JSOC's ``Request exceeds max byte limit``.
    cache_bytes
        Bytes of generated files kept in memory for repeated downloads.
    record_limit
        The most records one ``rs_list`` lists (DRMS's 75,000). Of a record set with
        more, only the first ``record_limit`` in prime-key order are listed, with status
        0 and ``count`` the records listed, as the real JSOC does (``DRMS_RECORD_LIMIT``):
        nothing in the answer says the list was cut short.
    clock
        Returns seconds since the Unix epoch; inject a fake clock in tests.
    sleep
        Coroutine function used to wait (``latency``, ``bandwidth`` pacing);
        inject a recording one in tests.
    play
        Which server to play: ``jsoc``, or ``kis`` (JSOC's metadata mirror as drms's
        configuration describes it: ``show_series`` and ``jsoc_info`` under ``/cgi-bin/``,
        HTTP 404 for exports and files; see ``sunpy_jsocx.emulator.kis``).
    """

    latency: float = 0.0
    staging_delay: float = 0.0
    seed: int = 0
    registered: tuple[str, ...] = DEFAULT_REGISTERED
    image_size: int = 128
    fault_rate: float = 0.0
    http500_rate: float | None = None
    drop_rate: float | None = None
    truncate_rate: float | None = None
    bandwidth: float | None = None
    notfound_polls: int = 0
    offline_before: str = "2011.01.01_00:00:00_TAI"
    size_limit_mb: int = 100_000
    cache_bytes: int = 512 * 1024 * 1024
    record_limit: int = DRMS_RECORD_LIMIT
    clock: object = field(default=time.time, repr=False)
    sleep: object = field(default=asyncio.sleep, repr=False)
    play: str = "jsoc"

    def rate(self, name: str) -> float:
        explicit = getattr(self, f"{name}_rate")
        return self.fault_rate / 3 if explicit is None else explicit


class _State:
    def __init__(self, cfg: EmulatorConfig):
        self.cfg = cfg
        self.catalog = load_catalog()
        self.store = RecordStore(self.catalog, seed=cfg.seed, now=self.now_internal,
                                 offline_before=jsoctime.parse_time(cfg.offline_before), image_size=cfg.image_size)
        self.exports = ExportManager(self.store, clock=cfg.clock, staging_delay=cfg.staging_delay,
                                     registered=cfg.registered, size_limit_mb=cfg.size_limit_mb,
                                     notfound_polls=cfg.notfound_polls, image_size=cfg.image_size,
                                     movies=True)
        self.rng = random.Random(cfg.seed)
        self.counts: Counter = Counter()
        self.faults: Counter = Counter()
        self.bytes_served = 0
        self.pace_debt: dict[int, float] = {}  # per connection: the lateness of its last paced wait
        self.files_served = 0
        self.download_peers: set = set()
        self.cache: OrderedDict = OrderedDict()
        self.cache_size = 0
        self.lock = threading.Lock()
        # Export bookkeeping has its own lock, so that a slow exp_request never holds up
        # the counters that every request touches on the event loop.
        self.export_lock = threading.Lock()
        # Heavy work (record resolution, keyword values, filters, files) runs here, off the
        # event loop, so that one request never stalls the others.
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="jsoc-emulator-work")

    async def offload(self, fn, *args):
        """Run ``fn(*args)`` in the worker threads and wait for it without blocking the loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def now_internal(self) -> float:
        """The injected clock's time (Unix seconds, UTC) as DRMS internal TAI seconds."""
        t = self.cfg.clock() + _UNIX_EPOCH_INTERNAL
        return t + float(jsoctime.tai_minus_utc(t)) - _UNIX_EPOCH_TAI_UTC

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": dict(sorted(self.counts.items())),
                "requests_total": sum(v for k, v in self.counts.items() if ":" not in k),
                "bytes_served": self.bytes_served,
                "files_served": self.files_served,
                "exports_created": self.exports.created,
                "download_connections": len(self.download_peers),
                "faults": dict(self.faults),
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.counts.clear()
            self.faults.clear()
            self.bytes_served = 0
            self.files_served = 0
            self.download_peers.clear()
            self.exports.created = 0

    def count(self, endpoint: str, op: str | None = None) -> None:
        with self.lock:
            self.counts[endpoint] += 1
            if op is not None:
                self.counts[f"{endpoint}:{op}"] += 1

    def cached(self, key, make):
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        data = make()
        with self.lock:
            self.cache[key] = data
            self.cache_size += len(data)
            while self.cache_size > self.cfg.cache_bytes and len(self.cache) > 1:
                _, old = self.cache.popitem(last=False)
                self.cache_size -= len(old)
        return data


def _json(d: dict, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(d), status=status, content_type="application/json")


async def _params(request: web.Request) -> dict[str, str]:
    # parse_qsl decodes '+' as space, which is what drms' urlencode sends. It reads the raw
    # query: aiohttp's ``query_string`` has already turned %25 into %, so decoding that again
    # would turn a filenamefmt's ``%02d`` into a control character.
    q = dict(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        q.update(parse_qsl(await request.text(), keep_blank_values=True))
    return q


def make_app(cfg: EmulatorConfig) -> web.Application:
    """Build the aiohttp application of an emulator configured by ``cfg``."""
    state = _State(cfg)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if cfg.latency:
            await cfg.sleep(cfg.latency)
        if request.path.startswith("/emulator/"):
            return await handler(request)
        return await _guarded(request, handler)

    @web.middleware
    async def faults(request: web.Request, handler):
        if request.path.startswith("/emulator/"):
            return await handler(request)
        roll = state.rng.random()
        r500, rdrop = cfg.rate("http500"), cfg.rate("drop")
        if roll < r500:
            state.faults["http500"] += 1
            return web.Response(status=500, text="Internal Server Error (emulated fault)")
        if roll < r500 + rdrop:
            state.faults["drop"] += 1
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        return await handler(request)

    app = web.Application(middlewares=[middleware, faults], client_max_size=1024 * 1024)
    app[STATE_KEY] = state

    async def root(request):
        state.count("root")
        return web.Response(text="<html><body><h1>JSOC emulator (sunpy-jsocx)</h1></body></html>",
                            content_type="text/html")

    async def stats(request):
        return _json(state.stats())

    async def showextseries(request):
        q = await _params(request)
        state.count("showextseries")
        try:
            names = await state.offload(filter_names, state.catalog.names(), q.get("filter"))
        except FilterError as e:
            return _json({"errMsg": f"Invalid filter: {e}", "seriesList": []})
        if q.get("info"):
            return _json({"errMsg": "", "seriesList": [{n: {"description": state.catalog.note(n)}} for n in names]})
        return _json({"errMsg": "", "seriesList": names})

    async def show_series(request):
        q = await _params(request)
        state.count("show_series")
        try:
            names = await state.offload(filter_names, state.catalog.names(), q.get("filter"))
        except FilterError as e:
            if not e.syntax:  # too long, too costly or needing backtracking: say so
                return _json({"status": 1, "error": f"show_series: invalid filter: {e}"})
            names = []  # a pattern that is not a regular expression selects nothing, as before
        out = []
        for n in names:
            m = state.catalog.get(n)
            out.append({"name": n, "primekeys": ", ".join(m.primekeys), "note": state.catalog.note(n)})
        return _json({"status": 0, "names": out, "n": len(out)})

    async def check_address(request):
        q = await _params(request)
        state.count("checkAddress")
        address = q.get("address")
        # drms quotes the address before urlencoding it: decode a second time (jsoc-api.md §3.6).
        address = unquote(address) if address else address
        return _json(state.exports.check_address(address))

    async def jsoc_info(request):
        q = await _params(request)
        op = q.get("op", "")
        state.count("jsoc_info", op or "?")
        t0 = time.perf_counter()
        if op == "rs_list":
            return await _rs_list_response(request, state, q, t0)
        d = await state.offload(_jsoc_info, state, op, q)
        d["runtime"] = round(time.perf_counter() - t0, 3)
        return _json(d)

    async def jsoc_fetch(request):
        q = await _params(request)
        op = q.get("op", "")
        state.count("jsoc_fetch", op or "?")
        return _json(await state.offload(_jsoc_fetch, state, op, q))

    async def files(request: web.Request):
        raw = request.raw_path.split("?", 1)[0]
        state.count("download")
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        with state.lock:
            state.download_peers.add(peer)
        synoptic = _SYNOPTIC_PATH.match(raw)
        if synoptic:
            data = await state.offload(_synoptic_bytes, state, int(synoptic.group(1)))
            if data is None:
                return web.Response(status=404, text="Not Found")
            return await _send(request, state, data, raw.rsplit("/", 1)[1])
        m = _SUMS_PATH.match(raw) or _SUMS_DIR_PATH.match(raw)
        if not m or ".." in raw:
            return web.Response(status=404, text="Not Found")
        _part, sunum, slot, name = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        if int(m.group(1)) != 40 + sunum % 60:
            return web.Response(status=404, text="Not Found")
        inner = unquote(m.group(5) or "") if m.re is _SUMS_DIR_PATH else None
        tree = await state.offload(_directory_at, state, sunum, slot, name) if _may_be_directory(
            state, sunum, name) else None
        if tree is not None:  # a directory segment: JSOC's web server redirects to ".../" and lists it there
            if inner is None:
                raise web.HTTPMovedPermanently(raw + "/")
            if not inner:
                from sunpy_jsocx.emulator.rings import index_html

                return await _send(request, state, index_html(raw, tree, state.cfg.clock()), "index.html")
            data = dict(tree).get(inner)
            if data is None:
                return web.Response(status=404, text="Not Found")
            return await _send(request, state, data, inner)
        if inner is not None:
            return web.Response(status=404, text="Not Found")
        data = await state.offload(_file_bytes, state, sunum, slot, name)
        if data is None:
            return web.Response(status=404, text="Not Found")
        return await _send(request, state, data, name)

    app.router.add_get("/", root)
    app.router.add_get("/emulator/stats", stats)
    for path, handler in (("showextseries", showextseries), ("show_series", show_series),
                          ("checkAddress.sh", check_address), ("jsoc_info", jsoc_info),
                          ("jsoc_fetch", jsoc_fetch)):
        app.router.add_route("GET", f"/cgi-bin/ajax/{path}", handler)
        app.router.add_route("POST", f"/cgi-bin/ajax/{path}", handler)
    app.router.add_get("/{tail:.*}", files)  # GET and HEAD
    if cfg.play == "kis":
        from sunpy_jsocx.emulator.kis import as_kis  # imported here: kis imports this module

        app = as_kis(app)
    return app


def _int(v):
    # At most 19 digits: a 5000-digit ``n`` must not reach int() (Python refuses > 4300 digits).
    if v in (None, "") or not re.fullmatch(r"\s*[-+]?\d{1,19}\s*", v):
        return None
    return int(v)


async def _guarded(request: web.Request, handler):
    """Answer an unexpected failure as JSOC would (status != 0 JSON), never as HTTP 500."""
    try:
        return await handler(request)
    except (web.HTTPException, asyncio.CancelledError, ConnectionError):
        raise
    except Exception as e:
        if request.get(_STREAMING):
            raise
        log.warning(f"JSOC emulator: {request.method} {request.path} failed: {type(e).__name__}: {e}")
        return _error_answer(request.path, f"{type(e).__name__}: {e}"[:500])


def _error_answer(path: str, msg: str) -> web.Response:
    endpoint = path.rstrip("/").rsplit("/", 1)[-1]
    if not path.startswith("/cgi-bin/ajax/"):
        return web.Response(status=400, text="Bad Request")
    if endpoint == "jsoc_fetch":
        return _json({"status": 4, "error": f"Cannot process your request: {msg}",
                      "contact": "jsoc_help@jsoc.stanford.edu"})
    if endpoint == "showextseries":
        return _json({"errMsg": f"Cannot process your request: {msg}", "seriesList": []})
    if endpoint == "checkAddress.sh":
        return _json({"status": 4, "msg": f"Cannot process your request: {msg}"})
    return _json({"status": 1, "error": f"{endpoint}: cannot process the request: {msg}"})


def _jsoc_info(state: _State, op: str, q: dict[str, str]) -> dict:
    try:
        if op == "series_struct":
            return _series_struct(state, q.get("ds", ""))
        if op == "rs_summary":
            batches = state.store.resolve(q.get("ds", ""), limit=_int(q.get("n")))
            return {"count": sum(len(b) for b in batches), "status": 0}
        return {"status": 1, "error": f"jsoc_info: unknown op '{op}'; valid ops are series_struct, rs_summary,"
                " rs_list"}
    except QueryError as e:
        return {"status": 1, "error": str(e)}


def _jsoc_fetch(state: _State, op: str, q: dict[str, str]) -> dict:
    with state.export_lock:
        if op == "exp_request":
            return state.exports.request(q)
        if op == "exp_status":
            return state.exports.status(q.get("requestid", ""))
    return {"status": 4, "error": f"jsoc_fetch: unknown op '{op}'; valid ops are exp_request, exp_status"}


def _series_struct(state: _State, ds: str) -> dict:
    name = re.split(r"[\[{]", ds.strip(), maxsplit=1)[0].strip()
    m = state.catalog.get(name)
    if m is None:
        return {"status": 1, "error": f" jsoc_info: series {name} not found."}
    if m.generic:
        return {"status": 1, "error": f" {not_emulated_message(m.name)}"}
    first = last = None
    firstn = lastn = None
    try:
        if m.time_key:
            store = state.store
            now = state.now_internal()
            head = store.resolve(f"{m.name}[{jsoctime.format_time(m.slot_time(m.first_slot), 'TAI')}/1d]", limit=1)[0]
            last_t = m.slot_time(m.last_slot(now))
            tail = store.resolve(f"{m.name}[{jsoctime.format_time(last_t - 86400, 'TAI')}-"
                                 f"{jsoctime.format_time(last_t, 'TAI')}]", limit=-1)[0]
            if len(head):
                first, firstn = store.record_names(head)[0], int(head.recnum[0])
            if len(tail):
                last, lastn = store.record_names(tail)[0], int(tail.recnum[-1])
    except QueryError:
        pass
    d = m.struct_answer(first, last, firstn, lastn)
    d["status"] = 0
    return d


def _rs_list_plan(state: _State, q: dict[str, str]) -> dict | Iterator[str]:
    """
    Resolve an ``rs_list`` request: a small answer (an error, zero records) as a
    dict, or an iterator over the JSON text of the answer, one keyword, segment or
    link at a time, so that memory holds one column and never the whole answer.
    """
    store = state.store
    ds = q.get("ds", "")
    # DRMS caps every query's limit (CAP_LIMIT): n= within it, or the cap itself (DRMS_RECORD_LIMIT).
    cap = state.cfg.record_limit
    n = _int(q.get("n"))
    limit = cap if not n else (min(n, cap) if n > 0 else max(n, -cap))
    try:
        batches = store.resolve(ds, limit=limit)
    except QueryError as e:
        return {"status": 1, "error": str(e)}
    batches = [b for b in batches if len(b)]
    if not batches:
        return {"count": 0, "status": 0}
    if len({b.model.lname for b in batches}) > 1:
        return {"status": 1, "error": "jsoc_info: rs_list of several series at once is not supported"}
    b = batches[0]
    for other in batches[1:]:
        b = b.concat(other)
    if len(b) > cap:  # a comma-separated record set: one query, one cap
        b = b.take(slice(0, cap))
    return _rs_list_json(state, b, q)


def _rs_list_json(state: _State, b: RecordBatch, q: dict[str, str]) -> Iterator[str]:
    # The same text as json.dumps of the whole answer (keys in JSOC's order), piece by piece.
    store = state.store
    m = b.model
    keys = _split(q.get("key"))
    segs = _split(q.get("seg"))
    links = _split(q.get("link"))
    dump = json.dumps
    yield "{"
    if q.get("R") == "1":
        names = store.record_names(b)
        online = store.online(b)
        yield '"recinfo": ' + dump([{"name": nm, "online": int(o)} for nm, o in zip(names, online.tolist())]) + ", "
        del names
    yield '"keywords": ['
    first = True

    def item(d: dict) -> str:
        nonlocal first
        text = ("" if first else ", ") + dump(d)
        first = False
        return text

    for k in keys:
        if k.upper() == "**ALL**":
            for kw in m.keyword_defs:
                if kw.get("recscope") != "index":
                    yield item({"name": kw["name"], "values": store.strings(b, kw["name"], keep=False)})
                if kw["name"].upper() == "BUNIT" and kw.get("recscope") == "segment":
                    # DRMS keeps one instance per segment (BUNIT_000, ...); **ALL** lists them too,
                    # so a client can write each segment's BUNIT as JSOC's export does.
                    for n in range(len(m.struct["segments"])):
                        name = f"{kw['name']}_{n:03d}"
                        yield item({"name": name, "values": store.strings(b, name, keep=False)})
        elif k.upper() == "**NONE**":
            continue
        elif k.lower() in _PSEUDO:
            yield item({"name": k.lower(), "values": _pseudo(store, b, k.lower())})
        else:
            kw = m.keyword(k)
            # store.strings also answers per-segment instances (BUNIT_000) and says Invalid KeyLink otherwise
            yield item({"name": kw["name"] if kw else k,
                        "values": store.strings(b, kw["name"] if kw else k, keep=False)})
    yield '], "segments": ['
    first = True
    seg_names = [s["name"] for s in m.struct["segments"]] if any(s.upper() == "**ALL**" for s in segs) else segs
    if seg_names:
        dirs = store.recdir(b)
        dims = f"{state.cfg.image_size}x{state.cfg.image_size}"
        shapes = store.patch_shape(b)  # SHARP patches: each record's own NAXIS1 x NAXIS2
        for s in seg_names:
            seg = m.segment(s)
            if seg is None:
                yield item({"name": s, "values": ["InvalidSegName"] * len(b), "dims": [""] * len(b)})
                continue
            fname = m.segment_file(seg["name"])
            seg_dims = dims if fname.endswith(".fits") else (seg.get("dims") or "")
            all_dims = ([f"{x}x{y}" for x, y in zip(*shapes, strict=True)] if shapes is not None
                        and fname.endswith(".fits") else [seg_dims] * len(b))
            yield item({"name": seg["name"], "values": [f"{d}/{fname}" for d in dirs], "dims": all_dims})
        del dirs
    yield '], "links": ['
    first = True
    link_names = list(m.links_by_upper) if any(s.upper() == "**ALL**" for s in links) else links
    names = None
    for ln in link_names:
        link = m.links_by_upper.get(ln.upper())
        if link is None:
            yield item({"name": ln, "values": ["Invalid_Link"] * len(b)})
        else:
            names = names if names is not None else store.record_names(b)
            target = link["target"]
            yield item({"name": link["name"], "values": [target + nm[len(m.name):] for nm in names]})
    yield f'], "count": {len(b)}, "status": 0'


def _rs_list(state: _State, q: dict[str, str]) -> dict:
    """The whole ``rs_list`` answer as a dict (for small answers and tests)."""
    plan = _rs_list_plan(state, q)
    return plan if isinstance(plan, dict) else json.loads("".join(plan) + "}")


async def _rs_list_response(request: web.Request, state: _State, q: dict[str, str], t0: float):
    plan = await state.offload(_rs_list_plan, state, q)
    if isinstance(plan, dict):
        plan["runtime"] = round(time.perf_counter() - t0, 3)
        return _json(plan)
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    # The pieces (one keyword's values each) are made in a worker thread, a block of about
    # RS_LIST_BLOCK bytes at a time, and each block is sent before the next is made: the
    # event loop stays free and memory holds about one block (or one big column). A block
    # per piece cost a thread hop and an HTTP chunk per keyword: 0.1 s for 301 AIA records.
    first = await state.offload(_rs_list_block, plan)
    request[_STREAMING] = True
    try:
        await resp.prepare(request)
    except ConnectionError:  # the client went away before its answer began
        log.debug(f"emulator: the client of {request.path} closed the connection before the answer")
        return resp
    block = first
    while block is not None:
        await resp.write(block)
        block = await state.offload(_rs_list_block, plan)
    await resp.write(f', "runtime": {round(time.perf_counter() - t0, 3)}}}'.encode())
    await resp.write_eof()
    return resp


#: Bytes of an ``rs_list`` answer made and sent at a time (see `_rs_list_response`).
RS_LIST_BLOCK = 256 * 1024


def _rs_list_block(plan: Iterator[str]) -> bytes | None:
    """The next pieces of ``plan``, joined until about `RS_LIST_BLOCK` bytes; None when it is done."""
    pieces: list[str] = []
    size = 0
    for piece in plan:
        pieces.append(piece)
        size += len(piece)
        if size >= RS_LIST_BLOCK:
            break
    return "".join(pieces).encode() if pieces else None


def _split(v: str | None) -> list[str]:
    if not v:
        return []
    return [s for s in re.split(r"[,\s]+", v) if s]


def _pseudo(store: RecordStore, b: RecordBatch, key: str) -> list[str]:
    if key == "*recnum*":
        return [str(x) for x in b.recnum.tolist()]
    if key == "*sunum*":
        return [str(x) for x in store.sunum(b).tolist()]
    if key == "*online*":
        return ["Y" if o else "N" for o in store.online(b).tolist()]
    if key == "*recdir*":
        return store.recdir(b)
    if key == "*spec*":
        return store.record_names(b)
    if key == "*size*":
        return [str(2 * 1024 * 1024)] * len(b)
    if key == "*archive*":
        return ["Y"] * len(b)
    if key == "*retain*":
        return ["2030.01.01"] * len(b)
    return [""] * len(b)


# ---------------------------------------------------------------------------- files
def _record_keywords(state: _State, b: RecordBatch, i: int) -> dict[str, str]:
    out = {kw["name"]: state.store.strings(b, kw["name"])[i] for kw in b.model.keyword_defs}
    # Per-segment instances JSOC keeps for BUNIT (recscope segment): BUNIT_000, BUNIT_001, ...
    # The FITS writer fills each segment's BUNIT from its own instance.
    bunit = b.model.keyword("BUNIT")
    if bunit is not None and bunit.get("recscope") == "segment":
        for n in range(len(b.model.struct["segments"])):
            name = f"{bunit['name']}_{n:03d}"
            out[name] = state.store.strings(b, name)[i]
    return out


def _asis_bytes(state: _State, b: RecordBatch, i: int, segment: str) -> bytes:
    from sunpy_jsocx.emulator import render

    m = b.model
    rec = int(b.recnum[i])
    key = ("asis", m.lname, rec, segment, state.cfg.image_size, state.cfg.seed)

    def make():
        kind = m.segment_kind(segment) or render.segment_kind(m.name, segment)
        shape = state.store.patch_shape(b.take(slice(i, i + 1)))
        if shape is not None:  # a SHARP patch: its HARP's own width and height
            from sunpy_jsocx.emulator.sharp import render_patch

            return render_patch(m.name, segment, _record_keywords(state, b, i), (shape[0][0], shape[1][0]),
                                kind=kind, seed=file_seed(rec, state.cfg.seed))
        return render.render_asis(m.name, segment, _record_keywords(state, b, i), size=state.cfg.image_size,
                                  kind=kind, seed=file_seed(rec, state.cfg.seed))

    return state.cached(key, make)


def _fits_bytes(state: _State, b: RecordBatch, i: int, segment: str) -> bytes:
    from sunpy_jsocx.fitsexport import fits_export_bytes

    key = ("fits", b.model.lname, int(b.recnum[i]), segment, state.cfg.image_size, state.cfg.seed)

    def make():
        asis = _asis_bytes(state, b, i, segment)
        return fits_export_bytes(asis, _record_keywords(state, b, i), b.model.keyword_defs, segment=segment,
                                 series=b.model.name, recnum=int(b.recnum[i]), primekeys=b.model.primekeys)

    return state.cached(key, make)


def _may_be_directory(state: _State, sunum: int, name: str) -> bool:
    """A quick test before `_directory_at`: could ``name`` in storage unit ``sunum`` be a directory segment?"""
    from sunpy_jsocx.emulator.records import EXPORT_SERIES_CODE
    from sunpy_jsocx.emulator.rings import SEGMENTS, has_directory_segments

    if sunum % 10000 == EXPORT_SERIES_CODE:
        exp = state.exports.by_sunum.get(sunum)
        return exp is not None and any(has_directory_segments(b.model.name) for b in exp.batches)
    return name in SEGMENTS


def _directory_at(state: _State, sunum: int, slot: int, name: str) -> list[tuple[str, bytes]] | None:
    """The files of the directory segment stored as ``name`` in an export's or a record's directory, or None."""
    from sunpy_jsocx.emulator.records import EXPORT_SERIES_CODE
    from sunpy_jsocx.emulator.rings import directory_files, is_directory_segment

    if sunum % 10000 == EXPORT_SERIES_CODE:
        with state.export_lock:
            exp = state.exports.export_for_dir(sunum)
        f = next((f for f in exp.files if f.filename == name), None) if exp is not None and slot == 0 else None
        return _directory_files(state, exp, f) if f is not None else None
    b = state.store.locate(sunum, slot)
    if b is None:
        return None
    for s in b.model.struct["segments"]:
        if b.model.segment_file(s["name"]) == name and is_directory_segment(b.model.name, s["name"]):
            rec = int(b.recnum[0])
            return directory_files(b.model.name, s["name"], _record_keywords(state, b, 0),
                                   seed=file_seed(rec, state.cfg.seed))
    return None


def _file_bytes(state: _State, sunum: int, slot: int, name: str) -> bytes | None:
    from sunpy_jsocx.emulator.records import EXPORT_SERIES_CODE

    if sunum % 10000 == EXPORT_SERIES_CODE:
        with state.export_lock:
            exp = state.exports.export_for_dir(sunum)
        if exp is None or slot != 0:
            return None
        if name == f"{exp.id}.tar" and exp.method.endswith("-tar"):
            return state.cached(("tar", exp.id), lambda: _tar(state, exp))
        if name == "index.json":
            return json.dumps(state.exports.index(exp)).encode()
        if name == f"{exp.id}.keywords.txt":
            return state.exports.keywords_text(exp).encode()
        for f in exp.files:
            if f.filename == name:
                return _export_file_bytes(state, exp, f)
        return None
    b = state.store.locate(sunum, slot)
    if b is None or not bool(state.store.online(b)[0]):
        return None
    for s in b.model.struct["segments"]:
        if b.model.segment_file(s["name"]) == name:
            return _asis_bytes(state, b, 0, s["name"])
    return None


def _synoptic_bytes(state: _State, car_rot: int) -> bytes | None:
    """JSOC's ``/data/hmi/synoptic/hmi.Synoptic_Mr.<CR>.fits`` (the map with its full header), or None."""
    try:
        batches = state.store.resolve(f"hmi.synoptic_mr_720s[{car_rot}]", limit=1)
    except QueryError:
        return None
    if not batches or not len(batches[0]):
        return None
    return _fits_bytes(state, batches[0], 0, "synopMr")


def _export_file_bytes(state: _State, exp, f) -> bytes:
    proto = exp.protocol.split(",")[0].lower()
    if proto == "as-is":
        return _asis_bytes(state, f.batch, f.index, f.segment)
    if f.kind == "movie":  # an mp4 export's movie: its JPEG frames in an MP4 (movie.py)
        from sunpy_jsocx.emulator.movie import mp4_from_jpegs

        return state.cached(("mp4", exp.id, f.filename), lambda: mp4_from_jpegs(
            [_export_file_bytes(state, exp, g) for g in state.exports.frames(exp)]))
    if proto in ("jpg", "mp4"):
        return state.cached(("jpg", exp.id, f.filename), lambda: _jpeg_bytes(state, exp, f))
    data = _fits_bytes(state, f.batch, f.index, f.segment)
    steps = exp.steps
    if steps:
        from sunpy_jsocx.emulator.processing import apply_processing

        data = state.cached(("proc", exp.id, f.filename), lambda: apply_processing(data, steps))
    return data


def _jpeg_bytes(state: _State, exp, f) -> bytes:
    """A jpg export file: the segment's data (after any processing steps) as a JPEG."""
    from astropy.io import fits

    from sunpy_jsocx.emulator.images import jpeg_bytes, parse_image_args

    data = _asis_bytes(state, f.batch, f.index, f.segment)
    if exp.steps:
        from sunpy_jsocx.emulator.processing import apply_processing

        data = apply_processing(_fits_bytes(state, f.batch, f.index, f.segment), exp.steps)
    with fits.open(io.BytesIO(data)) as hdul:
        image = next(h.data for h in hdul if h.data is not None)
    return jpeg_bytes(image, parse_image_args(exp.protocol))


def _directory_files(state: _State, exp, f) -> list[tuple[str, bytes]] | None:
    """The files of an as-is export's directory segment (rings.py), or None for a file segment."""
    from sunpy_jsocx.emulator.rings import directory_files, is_directory_segment

    m = f.batch.model
    if exp.protocol.split(",")[0].lower() != "as-is" or not is_directory_segment(m.name, f.segment):
        return None
    rec = int(f.batch.recnum[f.index])
    return directory_files(m.name, f.segment, _record_keywords(state, f.batch, f.index),
                           seed=file_seed(rec, state.cfg.seed))


def _tar(state: _State, exp) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        members = [("index.json", json.dumps(state.exports.index(exp)).encode())]
        for f in exp.files:
            tree = _directory_files(state, exp, f)
            if tree is None:
                members.append((f.filename, _export_file_bytes(state, exp, f)))
            else:  # JSOC's `tar chf` follows the export's link to the segment directory (rings.py [export])
                members.append((f.filename, None))
                members += [(f"{f.filename}/{name}", data) for name, data in tree]
        for fname, data in members:
            info = tarfile.TarInfo(fname)
            info.mtime = int(exp.ready_at)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(info)
                continue
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


async def _send(request: web.Request, state: _State, data: bytes, name: str) -> web.StreamResponse:
    cfg = state.cfg
    size = len(data)
    start, end = 0, size - 1
    status = 200
    headers = {"Accept-Ranges": "bytes",
               "Content-Disposition": f'attachment; filename="{name}"'}
    rng = request.headers.get("Range")
    if rng:
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
        if not m or (not m.group(1) and not m.group(2)):
            return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        first, last = _byte_pos(m.group(1)), _byte_pos(m.group(2))
        if first is not None:
            start = first
            end = min(last, size - 1) if last is not None else size - 1
        else:
            start = max(0, size - last)
        if start >= size or start > end:
            return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = data[start:end + 1]
    ctype = "text/html" if name == "index.html" else "application/fits" if name.endswith(".fits") else (
        "application/x-tar" if name.endswith(".tar") else (
            "application/json" if name.endswith(".json") else (
                "image/jpeg" if name.endswith(".jpg") else (
                    "video/mp4" if name.endswith(".mp4") else "application/octet-stream"))))
    resp = web.StreamResponse(status=status, headers=headers)
    resp.content_type = ctype
    resp.content_length = len(body)
    request[_STREAMING] = True
    try:
        await resp.prepare(request)
    except ConnectionError:  # the client went away before its answer began (killed, or gave up)
        log.debug(f"emulator: the client of {request.path} closed the connection before the answer")
        return resp
    if request.method == "HEAD":
        return resp
    truncate = state.rng.random() < cfg.rate("truncate")
    if truncate:
        state.faults["truncate"] += 1
        body_to_send = body[: len(body) // 2]
    else:
        body_to_send = body
    # Counted before sending, so that a client that has read the whole body sees it counted.
    with state.lock:
        state.bytes_served += len(body_to_send)
        if not truncate:
            state.files_served += 1
    try:
        if cfg.bandwidth:
            await _paced_write(resp, body_to_send, cfg.bandwidth, cfg.sleep, state.pace_debt, request.transport)
        else:
            chunk = 256 * 1024
            for k in range(0, len(body_to_send), chunk):
                await resp.write(body_to_send[k:k + chunk])
    except ConnectionError:  # the client went away mid-file (killed, or gave up): its loss, not a server error
        log.debug(f"emulator: the client of {request.path} closed the connection mid-file")
        return resp
    if truncate:
        if request.transport is not None:
            request.transport.abort()
        return resp
    await resp.write_eof()
    return resp


def _byte_pos(digits: str) -> int | None:
    """A Range header's byte position; one too long for any file stands for "past the end"."""
    if not digits:
        return None
    return 10**_RANGE_DIGITS if len(digits) > _RANGE_DIGITS else int(digits)


def _pace_chunk(bandwidth: float) -> int:
    """Bytes per paced write: about 1/20 s of the bandwidth, between 512 B and 64 KiB."""
    return int(min(64 * 1024, max(512, bandwidth / 20)))


#: The most seconds of a timer's lateness that a connection's next file is paced earlier by.
PACE_DEBT_MAX = 0.005


async def _paced_write(resp: web.StreamResponse, body: bytes, bandwidth: float, sleep,
                       debts: dict | None = None, connection=None, clock=None) -> None:
    """
    Send ``body`` at ``bandwidth`` bytes per second.

    Every chunk, the first included, waits for its share of the bandwidth before it is
    sent, so that a small file does not go out in one burst. Waits follow a schedule from
    the start (not a sum of sleeps), so timer slack does not accumulate within a file.
    Across the files of a connection it did: a timer wakes up late (the event loop's
    millisecond timeouts, the interpreter lock), and W6's 2,000 files of 12 ms each were
    each about a millisecond longer than the bandwidth allows. So the last wait's
    lateness is kept in ``debts`` under ``connection`` and paid back on that
    connection's next file (at most `PACE_DEBT_MAX`); time the link sat idle between
    files is not. ``clock`` (seconds) defaults to the event loop's.
    """
    clock = clock or asyncio.get_running_loop().time
    key = id(connection) if connection is not None and debts is not None else None
    t0 = clock() - (debts.pop(key, 0.0) if key is not None else 0.0)
    chunk = _pace_chunk(bandwidth)
    sent = 0
    late = 0.0
    for k in range(0, len(body), chunk):
        piece = body[k:k + chunk]
        sent += len(piece)
        target = t0 + sent / bandwidth
        delay = target - clock()
        late = 0.0
        if delay > 0:
            await sleep(delay)
            late = clock() - target
        await resp.write(piece)
    if key is not None and late > 0:
        if len(debts) > 1000:  # (connections long gone)
            debts.clear()
        debts[key] = min(late, PACE_DEBT_MAX)


class BackgroundServer:
    """
    An aiohttp application served on ``host:port`` from a background thread.

    The emulator (`JSOCEmulator`) and the held-files server (``sunpy_jsocx.emulator.serve``)
    are both one: a subclass gives `_make_app` (and `_cleanup`, run after the loop stops).
    """

    _thread_name = "jsoc-emulator"
    _start_timeout = 30.0  # seconds start() waits for the application to be built and bound

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._app: web.Application | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _make_app(self) -> web.Application:
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Called in the server's thread once its loop has stopped."""

    @property
    def url(self) -> str:
        """Base URL, with a trailing slash (``http://127.0.0.1:PORT/``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self):
        """Serve from a background thread; returns the server once it listens (``port`` is then known)."""
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()
        self._ready.wait(self._start_timeout)
        if self._error is not None:
            raise self._error
        return self

    def _run(self):
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._app = self._make_app()
            # A short shutdown grace: stop() must not wait a minute for a slow client.
            self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.host, self.port)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
        except BaseException as e:  # surfaced to start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        self._cleanup()
        loop.close()

    def stop(self) -> None:
        """Stop serving and wait (up to 10 s) for the thread to end."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_until_stopped(server: BackgroundServer, host: str, port: int, announce=None) -> int:
    """
    A command line's server: start it, print its URL as the first line of standard output,
    serve until SIGTERM or Ctrl-C; returns the exit status (1 when it cannot serve).

    ``announce(server)``, if given, runs once it serves (lines for standard error).
    """
    try:
        server.start()
    except (OSError, ValueError) as e:  # a busy port, an address not on this machine, a bad host name
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        print(f"error: cannot serve on {host}:{port}: {reason}", file=sys.stderr)
        return 1
    print(server.url, flush=True)
    if announce is not None:
        announce(server)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


class JSOCEmulator(BackgroundServer):
    """
    A JSOC emulator serving HTTP on a loopback port from a background thread.

    Parameters
    ----------
    host
        Interface to bind; loopback by default.
    port
        Port; 0 picks a free one.
    **config
        Any field of `EmulatorConfig` (``latency``, ``staging_delay``, ``seed``,
        ``registered``, ``image_size``, ``fault_rate``, ``clock``, ...).

    Examples
    --------
    >>> from sunpy_jsocx.emulator import JSOCEmulator
    >>> with JSOCEmulator() as emu:
    ...     emu.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config):
        super().__init__(host, port)
        self.config = EmulatorConfig(**config)

    def _make_app(self) -> web.Application:
        return make_app(self.config)

    def _cleanup(self) -> None:
        self._app[STATE_KEY].executor.shutdown(wait=False, cancel_futures=True)

    @property
    def state(self) -> _State:
        return self._app[STATE_KEY]

    def stats(self) -> dict:
        """Request counts per endpoint and operation, bytes and files served, exports created."""
        return self.state.stats()

    def reset_stats(self) -> None:
        """Zero the counters of `stats`."""
        self.state.reset_stats()

    def unstage(self) -> None:
        """Send staged data back to tape: offline records are offline again (for tests and benchmarks)."""
        self.state.store.unstage_all()

    def forget_exports(self) -> None:
        """
        Forget every export (their ids answer "Cant locate export request" from now on), so that
        JSOC's duplicate rule hands nobody an earlier export: for benchmarks that compare clients
        asking for the same records one after another.
        """
        with self.state.export_lock:
            self.state.exports.exports.clear()
            self.state.exports.by_sunum.clear()
