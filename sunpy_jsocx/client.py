"""
`JSOCXClient`: the Fido client for the Stanford JSOC.
"""

from __future__ import annotations

import html
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from astropy.table import Table, vstack
from sunpy import log
from sunpy.net import attr
from sunpy.net.base_client import BaseClient, QueryResponseRow, QueryResponseTable

from sunpy_jsocx import fidobatch, fidoretry
from sunpy_jsocx import recordset as _recordset
from sunpy_jsocx.config import DEFAULT_SERVER, current_mirror, current_server
from sunpy_jsocx.export import ExportRequest, check_request_id, check_timeout
from sunpy_jsocx.fetch import FetchJob, FetchPlan, attach_to_downloader
from sunpy_jsocx.mirror import JSOC_LAYOUT, MIRROR_META, Mirror, no_data_message
from sunpy_jsocx.response import DEFAULT_DISPLAY, JSOCXResponse, build_table
from sunpy_jsocx.seriesinfo import SeriesInfo
from sunpy_jsocx.transport import Connection, JSOCError, JSOCUnreachable, MirrorOnlyError, connection, mirror_connection
from sunpy_jsocx.walker import can_handle_query, merge_groups, same_values, walker

__all__ = ["JSOCXClient", "MirrorResponse"]

# Fido.fetch(results) retries our failures through sunpy-jsocx (see sunpy_jsocx.fidoretry).
fidoretry.install()

#: Guards `JSOCXClient.mirror_answers` (searches run in worker threads).
_ANSWERS_LOCK = threading.Lock()

#: Register your address with JSOC here before requesting exports.
REGISTER_URL = "http://jsoc.stanford.edu/ajax/register_email.html"


class JSOCXClient(BaseClient):
    """
    Search and download data from the Stanford JSOC (SDO/HMI, SDO/AIA, SOHO/MDI).

    Searches run ``jsoc_info`` once per record set and ask only for the keywords
    the table shows (plus what fetching needs). Any slice of the result table
    fetches exactly its rows: online records are downloaded straight from JSOC's
    storage with no export, others through one export per fetch, polled as JSOC
    advises. Downloads use one connection, as JSOC asks.

    Parameters
    ----------
    server : str, optional
        Base URL of the JSOC server. Default: the innermost
        `sunpy_jsocx.use_server` block, else ``$JSOCX_SERVER``, else
        ``http://jsoc.stanford.edu/``.
    sleep : callable, optional
        Function used to wait between export polls (inject one in tests).
    mirror : str, optional
        Let a metadata mirror answer when JSOC cannot be reached: ``"kis"``
        (drms's ``kis`` server), ``"kis=URL"`` (a server laid out as KIS, such as the
        emulator playing KIS) or ``"off"``. Default: the innermost
        ``sunpy_jsocx.use_mirror``, else ``$JSOCX_MIRROR``, else none. See Notes.

    Attributes
    ----------
    server : str
        The server this client talks to now.

    Notes
    -----
    JSOC requires an e-mail address registered at
    http://jsoc.stanford.edu/ajax/register_email.html for exports. Pass it with
    ``a.jsocx.Notify``; it is needed only when an export is (offline data,
    cutouts, ``url-tar``, or an explicit `request_data`).

    When JSOC cannot be reached (`~sunpy_jsocx.transport.JSOCUnreachable`, after
    the usual retries) and a mirror is allowed, the series list, a series'
    structure and searches are asked once of the mirror instead, with a warning
    naming it. Such a result table is a ``MirrorResponse``: its display starts with a
    line naming the mirror, and its ``meta["jsocx_mirror"]`` says which mirror
    answered. KIS serves metadata only (drms's configuration of it has no
    ``jsoc_fetch`` and no download URL; nothing else about it is documented), so
    fetching or staging such a table raises ``sunpy_jsocx.transport.MirrorOnlyError``
    saying to search again when JSOC answers.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy.net import Fido, attrs as a
    >>> import sunpy_jsocx
    >>> from sunpy_jsocx.emulator import JSOCEmulator
    >>> with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
    ...     res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"),
    ...                       a.jsocx.Series("aia.lev1_euv_12s"),
    ...                       a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    ...     print(res.file_num)
    6
    """

    def __init__(self, server: str | None = None, *, sleep: Callable[[float], None] | None = None,
                 mirror: str | None = None):
        self._server = server
        self._sleep = sleep  # None: sunpy_jsocx.transport.pause
        self._mirror = mirror
        #: The warnings of the requests a mirror answered for this client, oldest first.
        self.mirror_answers: list[str] = []
        if mirror is not None:
            current_mirror(mirror)  # a bad value fails here, not at the first outage

    # ------------------------------------------------------------------ plumbing
    @property
    def server(self) -> str:
        return current_server(self._server)

    @property
    def info_url(self) -> str:
        return self.server

    @property
    def mirror(self) -> Mirror | None:
        """The mirror allowed to answer metadata requests when JSOC cannot be reached, or None."""
        return current_mirror(self._mirror)

    def _connection(self, server: str | None = None) -> Connection:
        return connection(server or self.server)

    def _with_mirror(self, what: str, ask: Callable[[Connection], object]):
        """
        ``ask(connection)`` of the server; if it cannot be reached and a mirror is allowed,
        once of the mirror, with a warning naming it.
        """
        conn = self._connection()
        try:
            return ask(conn)
        except JSOCUnreachable as error:
            mirror = self.mirror
            if mirror is None or mirror.url == conn.url:
                if conn.url == DEFAULT_SERVER and mirror is None:
                    raise JSOCUnreachable(
                        f"{error} (meanwhile the KIS mirror can answer searches: JSOCX_MIRROR=kis, "
                        "sunpy_jsocx.use_mirror('kis') or --mirror kis)") from None
                raise
            message = (f"{conn.label} could not be reached; {what} is answered by {mirror.label} "
                       "instead (metadata only: no exports, no files)")
            log.warning(message)
            with _ANSWERS_LOCK:
                self.mirror_answers.append(message)
            try:
                return ask(mirror_connection(mirror))
            except JSOCUnreachable as again:
                raise JSOCUnreachable(f"{error}; {again}") from None

    @classmethod
    def _can_handle_query(cls, *query) -> bool:
        return can_handle_query(*query)

    @classmethod
    def _attrs_module(cls):
        return "jsocx", "sunpy_jsocx.attrs"

    @classmethod
    def register_values(cls):
        from sunpy_jsocx.attrs import register_values

        return register_values()

    # ------------------------------------------------------------------ discovery
    def series(self, regex: str | None = None) -> list[str]:
        """
        Names of the series matching a regular expression (case-insensitive).

        Examples
        --------
        >>> from sunpy_jsocx import JSOCXClient
        >>> from sunpy_jsocx.emulator import JSOCEmulator
        >>> with JSOCEmulator() as emu:
        ...     JSOCXClient(emu.url).series(r"hmi\\.b_7")
        ['hmi.B_720s', 'hmi.B_720s_dcon', 'hmi.B_720s_dcons', 'hmi.B_720s_e15w1332_cea', 'hmi.B_720s_e15w1332_cutout']
        """
        return list(self._with_mirror("the series list", lambda conn: conn.series(regex)))

    def info(self, series: str) -> SeriesInfo:
        """Everything JSOC says about a series (cached per server and series)."""
        return self._with_mirror(f"the structure of {series}", lambda conn: conn.info(series))

    def primekeys(self, series: str) -> list[str]:
        """
        The series' prime keys, in JSOC's order.

        Examples
        --------
        >>> from sunpy_jsocx import JSOCXClient
        >>> from sunpy_jsocx.emulator import JSOCEmulator
        >>> with JSOCEmulator() as emu:
        ...     JSOCXClient(emu.url).primekeys("AIA.lev1_euv_12s")
        ['T_REC', 'WAVELNTH']
        """
        return list(self.info(series).primekeys)

    def segments(self, series: str) -> Table:
        """The series' segments: name, type, units, protocol, dims, note."""
        segs = self.info(series).segments
        return Table(rows=[(s.name, s.type, s.units or "", s.protocol, s.dims or "", s.note) for s in segs],
                     names=("name", "type", "units", "protocol", "dims", "note"), dtype=[str] * 6)

    def keywords(self, series: str) -> Table:
        """The series' keywords: name, type, units, note."""
        kws = self.info(series).keywords
        return Table(rows=[(k.name, k.type, k.units or "", k.note) for k in kws.values()],
                     names=("name", "type", "units", "note"), dtype=[str] * 4)

    # ------------------------------------------------------------------ search
    def search(self, *query, keys: Sequence[str] | None = None) -> JSOCXResponse:
        """
        Search JSOC for records.

        Parameters
        ----------
        *query : `sunpy.net.attr.Attr`
            ``a.jsocx.Series`` and any of ``a.Time``, ``a.Wavelength``, ``a.Sample``
            and the ``a.jsocx`` attrs, combined with ``&`` and ``|``.
        keys : list of str, optional
            More keywords to put in the table (all keywords: ``["**ALL**"]``).

        Returns
        -------
        `~sunpy_jsocx.response.JSOCXResponse`

        Notes
        -----
        Alternatives (``|``) that differ only in one prime key's values, such as
        ``a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA)``, are asked for as one
        record set; other alternatives are asked for in parallel. Under
        ``Fido.search``, which hands each alternative to the client on its own, the
        alternatives of the whole Fido query are answered together the same way (see
        `sunpy_jsocx.fidobatch`); each still gets its own result table.
        """
        if not keys:
            batched = fidobatch.answer(self, query)
            if batched is not None:
                return batched
        return self._search_walked([walker.create(attr.and_(*query))], keys)[0]

    def _search_walked(self, walked: Sequence[list[dict]], keys: Sequence[str] | None = None) -> list[JSOCXResponse]:
        """
        One result table per AND-term, given as the query blocks the walker made of it.

        Record sets of different terms that differ only in prime-key values are
        asked for once and their rows dealt back to the terms; the others run in
        parallel. If the server cannot be reached and a mirror is allowed, the whole
        search is asked of the mirror (see `_with_mirror`).
        """
        return self._with_mirror("the search", lambda conn: self._search_walked_on(conn, walked, keys))

    def _search_walked_on(self, conn: Connection, walked: Sequence[list[dict]],
                          keys: Sequence[str] | None) -> list[JSOCXResponse]:
        extra = list(keys or [])
        owners: list[int] = []
        blocks: list[dict] = []
        for n, term_blocks in enumerate(walked):
            for block in term_blocks:
                owners.append(n)
                blocks.append(block)
        groups: list[tuple[dict, list[int]]] = []
        for merged, members in merge_groups(blocks):
            if len(members) == 1 or _splittable(merged, [blocks[m] for m in members]):
                groups.append((merged, members))
            else:
                groups += [(blocks[m], [m]) for m in members]

        def run(block):
            return self._search_block(conn, block, extra)

        if len(groups) > 1:
            with ThreadPoolExecutor(max_workers=min(4, len(groups))) as pool:
                results = list(pool.map(run, [g[0] for g in groups]))
        else:
            results = [run(g[0]) for g in groups]
        # Tables are built here, in the calling thread: astropy's time parser is not thread-safe.
        parts: dict[int, tuple[dict, dict]] = {}
        for (merged, members), (resolved, answer, info) in zip(groups, results, strict=True):
            columns = build_table(answer, info, 0)
            if len(members) == 1:
                parts[members[0]] = (resolved, columns)
                continue
            dealt = _deal_rows(columns, info, merged, [blocks[m] for m in members])
            for m, mask in zip(members, dealt or [None] * len(members), strict=True):
                if mask is None:  # the rows could not be told apart: ask for this block alone
                    own, own_answer, own_info = run(blocks[m])
                    parts[m] = (own, build_table(own_answer, own_info, 0))
                    continue
                own = self._resolve(conn, blocks[m], extra)[0]
                cols = {name: col[mask] for name, col in columns.items()}
                if "record_keywords" in resolved:
                    known = resolved["record_keywords"]
                    own["record_keywords"] = {int(r): known[int(r)] for r in cols.get("_recnum", ())}
                parts[m] = (own, cols)
        return [self._response(conn, [parts[m] for m in range(len(blocks)) if owners[m] == n])
                for n in range(len(walked))]

    def _response(self, conn: Connection, parts: list[tuple[dict, dict]]) -> JSOCXResponse:
        """The result table of one AND-term from its blocks' (resolved block, columns)."""
        tables = []
        for index, (_, columns) in enumerate(parts):
            n = len(columns["_block"])
            columns["_block"] = np.full(n, index, dtype=np.int16)
            if n:
                tables.append(Table(columns))
        resolved = [p[0] for p in parts]
        display = list(DEFAULT_DISPLAY)
        for b in resolved:
            for k in b["display"]:
                if k not in display:
                    display.append(k)
        if tables:
            table = tables[0] if len(tables) == 1 else vstack(tables, join_type="outer", metadata_conflicts="silent")
        else:
            table = Table()
        # What is shown and hidden is derived by the table from its columns and this list
        # (never stored as sunpy's display_keys/hide_keys, which a display resets).
        if conn.layout is JSOC_LAYOUT:
            return JSOCXResponse(table, client=self, query_args=resolved, server=conn.url,
                                 display_columns=display)
        res = MirrorResponse(table, client=self, query_args=resolved, server=conn.url, display_columns=display)
        res.meta[MIRROR_META] = {
            "mirror": conn.layout.name.lower(), "url": conn.url, "jsoc": self.server,
            "note": f"Answered by {conn.label} because JSOC at {self.server} could not be reached; metadata only "
                    "(no exports, no files): search again when JSOC answers to fetch these records.",
        }
        return res

    def _resolve(self, conn: Connection, block: dict, extra: list[str]):
        """A block resolved against the series (no request but cached metadata), and the keys to ask for."""
        if block.get("recordset"):
            series = _recordset.validate_recordset(block["recordset"]).split("[", 1)[0].split("{", 1)[0]
        else:
            series = block["series"]
        info = conn.info(series)
        ds = _recordset.build_recordset(block, info)
        asked = block.get("segments") or []
        if not asked and block.get("recordset"):  # a record set's own {seg,...} list
            asked = _recordset.recordset_segments(block["recordset"]) or []
        segments = [info.segment(s).name for s in asked] or list(info.segment_names)
        keys = [k for k in DEFAULT_DISPLAY if info.find_keyword(k)]
        keys += [k for k in info.primekeys if k not in keys]
        asked = [info.keyword(k[0]).name for k in block.get("keywords") or []]
        if any(k.upper() == "**ALL**" for k in extra):
            asked += [k for k in info.keyword_names if info.keyword(k).recscope != "index"]
        else:
            asked += [info.keyword(k).name for k in extra]
        keys += [k for k in asked if k not in keys]
        resolved = dict(block, series=info.name, recordset=ds, segments=segments, display=asked, server=conn.url)
        return resolved, info, keys

    def _search_block(self, conn: Connection, block: dict, extra: list[str]):
        resolved, info, keys = self._resolve(conn, block, extra)
        # A FITS fetch of online records writes every keyword into the header. When the
        # result is small, ask for them all now (same request, a few more bytes) rather
        # than in another round trip at fetch time.
        small = _estimate_rows(block, info) <= SMALL_SEARCH_ROWS
        ds, segments = resolved["recordset"], resolved["segments"]
        if not small:
            # A large search asks only for what the table shows; a fetch asks for storage
            # paths and online flags of the rows it selects.
            estimate = _estimate_rows(block, info, open_keys=1)
            large = math.isfinite(estimate) and estimate >= TRUNCATION_CHECK_ROWS
            return resolved, self._whole(conn, block, resolved, info, keys, count_early=large), info
        want_all = (block.get("protocol") or "fits") == "fits"
        request_keys = ["**ALL**"] if want_all else keys
        answer = conn.rs_list(ds, key=[*request_keys, "*recnum*", "*online*"], seg=segments, recinfo=True)
        if int(answer.get("count", 0)) >= TRUNCATION_CHECK_ROWS:
            # More records than the estimate allowed (prime-key values it guessed): list it as a
            # large search, which is held against JSOC's count.
            return resolved, self._whole(conn, block, resolved, info, keys), info
        if want_all:
            answer, resolved["record_keywords"] = _split_all_keywords(answer, keys)
        return resolved, answer, info

    def _whole(self, conn: Connection, block: dict, resolved: dict, info: SeriesInfo, keys: list[str], *,
               count_early: bool = False) -> dict:
        """
        The whole listing of a block, never the first part of it.

        JSOC's ``rs_list`` lists at most one DRMS query's limit of records (75,000, or fewer
        for large records), the first ones in prime-key order, and says nothing of the
        rest: status 0, ``count`` the records listed (``CAP_LIMIT`` in drms_record.c,
        ``rs_list`` in jsoc_info.c). So a listing of `TRUNCATION_CHECK_ROWS` records or
        more is held against ``rs_summary``'s count. A block cut short is listed again in
        time spans on its sampling grid, each small enough (a span cut short again is
        halved), and the parts joined; a block with no time range to split is refused
        with a message that says how to narrow it. The listing asks for ``keys`` and the
        record numbers; with ``count_early`` (a listing expected to be large) the count is
        asked in a second thread meanwhile, so that its round trip overlaps the listing's.
        """
        ds, key = resolved["recordset"], [*keys, "*recnum*"]
        with ThreadPoolExecutor(max_workers=1) as pool:
            count = pool.submit(conn.rs_count, ds) if count_early else None
            answer = conn.rs_list(ds, key=key)
        listed = int(answer.get("count", 0))
        if listed < TRUNCATION_CHECK_ROWS:
            return answer
        total = conn.rs_count(ds) if count is None else count.result()
        if total <= listed:
            return answer
        if block.get("recordset") or not block.get("time"):
            raise JSOCError(
                f"JSOC lists at most {listed:,} records of one record set and {ds} holds {total:,}: narrow it "
                "(a shorter time range, a sampling such as @1h, more prime-key values or a filter), or search "
                "it in parts; a search with a.Time is split by the client itself", None, answer)
        log.info(f"JSOC listed {listed:,} of the {total:,} records of {ds}; listing them in parts")
        start, end = block["time"]
        tkey = info.time_key
        step = max(float(info.slotted.get(tkey, 0) or 0) if tkey else 0.0, float(block.get("sample") or 0), 1.0)
        pieces = math.ceil(total / (TRUNCATION_FILL * listed))
        parts: list[dict] = []
        spans = _time_spans(start, end, step, pieces)
        while spans:
            t0, t1 = spans.pop(0)
            sub = dict(block, time=(t0, t1))
            sub_ds = _recordset.build_recordset(sub, info)
            part = conn.rs_list(sub_ds, key=key)
            if int(part.get("count", 0)) >= listed:  # cut short again (or just full): halve it
                if (t1 - t0).to_value("s") <= step:
                    raise JSOCError(f"JSOC lists at most {listed:,} records of one record set, and {sub_ds} (one "
                                    "time step) holds more: narrow it with more prime-key values or a filter",
                                    None, part)
                spans[:0] = _time_spans(t0, t1, step, 2)
                continue
            parts.append(part)
            resolved.setdefault("parts", []).append(sub_ds)
        return _joined(parts, key)

    # ------------------------------------------------------------------ staging
    def request_data(self, query_results, *, method: str | None = None, protocol: str | None = None,
                     force_export: bool = True) -> list[ExportRequest]:
        """
        Stage the records of a result table at JSOC and return at once.

        Parameters
        ----------
        query_results : `~sunpy_jsocx.response.JSOCXResponse` or `~sunpy_jsocx.response.JSOCXRow`
            The records to stage (a result table, a slice of one, or one of its rows);
            exactly these are exported.
        method, protocol : str, optional
            Override the query's ``a.jsocx.Method`` / ``a.jsocx.Protocol``.

        Returns
        -------
        list of `~sunpy_jsocx.export.ExportRequest`
            With ``.id``, a live ``.status`` and ``.wait()``.
        """
        plan = self._plan(query_results, method=method, protocol=protocol, force_export=force_export)
        return plan.submit_all()

    def get_request(self, requests, path=None, *, downloader=None, overwrite=False, progress=True,
                    wait: bool = True, timeout: float | None = None):
        """
        Download staged exports (waiting for them if needed).

        Parameters
        ----------
        requests : `~sunpy_jsocx.export.ExportRequest`, str, or list
            A request or a list of them, or just their ids (this works in a new process). An id that is
            not JSOC's (``JSOC_YYYYMMDD_NNN``) is refused before anything is sent.
        path : str, optional
            Directory or template (``{file}``) for the files.
        progress : bool or callable
            As for `fetch`: one bar over all the exports, or a function of a
            `~sunpy_jsocx.progress.FetchProgress`.
        timeout : float, optional
            Seconds to wait for each export at most; an export still staging then is
            reported in the results' errors, and ``Fido.fetch(results)`` picks it up again.

        Returns
        -------
        `parfive.Results`
        """
        if isinstance(requests, (str, ExportRequest)):
            requests = [requests]
        if not isinstance(requests, (list, tuple)):
            raise TypeError(f"get_request takes an export request, a JSOC request id (JSOC_YYYYMMDD_NNN) or a "
                            f"list of them, not {type(requests).__name__}")
        requests = list(requests)
        if not requests:
            raise ValueError("get_request needs at least one export request or request id")
        for r in requests:
            if not isinstance(r, ExportRequest):
                check_request_id(r)
        check_timeout(timeout)
        conn = self._connection()
        reqs = [ExportRequest.from_id(conn, r, sleep=self._sleep) if isinstance(r, str) else r for r in requests]
        plan = FetchPlan(self, path=path, overwrite=overwrite, progress=progress, sleep=self._sleep,
                         timeout=timeout)
        for r in reqs:
            plan.add_staged(r)
        if downloader is not None:
            attach_to_downloader(downloader, plan)
            if not wait:
                return None
            return downloader.download()
        return plan.run()

    # ------------------------------------------------------------------ fetch
    def fetch(self, query_results, *, path=None, downloader=None, wait: bool = True, overwrite=False,
              progress=True, method: str | None = None, protocol: str | None = None,
              force_export: bool = False, max_conn: int = 1, max_splits: int = 1, timeout: float | None = None,
              **kwargs):
        """
        Download exactly the records of a result table (or any slice or row of it).

        Online records are downloaded straight from JSOC's storage; records that
        need staging (offline data, cutouts, ``url-tar``) go through one export.

        Parameters
        ----------
        query_results : `~sunpy_jsocx.response.JSOCXResponse`, `~sunpy.net.base_client.QueryResponseRow`
            What to download.
        path : str, optional
            Directory, or a template with ``{file}`` and any column
            (``"./data/{WAVELNTH}/{file}"``). Default: sunpy's download directory.
        downloader : `parfive.Downloader`, optional
            Enqueue the files on this downloader (Fido passes its own).
        wait : bool
            If False, return at once with a `~sunpy_jsocx.fetch.FetchJob` (call
            ``.wait()`` for the `parfive.Results`); with a ``downloader``, queue and
            return None.
        overwrite : bool or str
            As for parfive.
        progress : bool or callable
            True: one progress bar over the whole fetch (files, bytes, byte rate, exports,
            time left), however many exports it takes. A function: called with a
            `~sunpy_jsocx.progress.FetchProgress` after every file instead (on the
            download thread, so keep it quick; what it raises stops the fetch). False:
            neither.
        method, protocol : str, optional
            Override the query's ``a.jsocx.Method`` / ``a.jsocx.Protocol``.
        force_export : bool
            Export even records that could be downloaded directly.
        max_conn, max_splits : int
            Download connections; JSOC asks for one. Raise them only if you must.
        timeout : float, optional
            Seconds to wait for each export at most (``Fido.fetch(res, timeout=600)``
            passes it on). An export still staging then is reported in the results'
            errors with its id, and ``Fido.fetch(results)`` picks it up again. Without
            a timeout a fetch waits as long as JSOC takes, logging its progress.

        Returns
        -------
        `parfive.Results`, `~sunpy_jsocx.fetch.FetchJob` or None
            Files that failed (and exports that failed or timed out) are in the
            results' ``errors``; ``Fido.fetch(results)`` redoes exactly those.
        """
        plan = self._plan(query_results, method=method, protocol=protocol, force_export=force_export,
                          path=path, overwrite=overwrite, progress=progress, max_conn=max_conn,
                          max_splits=max_splits, timeout=timeout)
        if downloader is not None:
            attach_to_downloader(downloader, plan)
            return None if not wait else downloader.download()
        if not wait:
            job = FetchJob(plan)
            job.start()
            return job
        return plan.run()

    def _plan(self, query_results, **kwargs) -> FetchPlan:
        table = _as_table(query_results)
        answered_by = (table.meta.get(MIRROR_META) or {}) if hasattr(table, "meta") else {}
        if answered_by:
            what = "fetch" if "path" in kwargs else "stage"
            raise MirrorOnlyError(no_data_message(f"the {answered_by['mirror'].upper()} mirror at "
                                                  f"{answered_by['url']}", what))
        plan = FetchPlan(self, sleep=self._sleep, **{k: v for k, v in kwargs.items()
                                                      if k in ("path", "overwrite", "progress", "max_conn",
                                                               "max_splits", "timeout")})
        plan.add_rows(table, method=kwargs.get("method"), protocol=kwargs.get("protocol"),
                      force_export=kwargs.get("force_export", False))
        return plan

    def __repr__(self) -> str:
        return f"<JSOCXClient server={self.server}>"

    def __str__(self) -> str:
        return f"JSOCXClient: the Stanford JSOC ({self.server})"

    def _repr_html_(self) -> str:
        return f"<p>JSOCXClient: the Stanford JSOC ({self.server})</p>"


class MirrorResponse(JSOCXResponse):
    """
    Records found by a metadata mirror (KIS) while JSOC could not be reached.

    A `~sunpy_jsocx.response.JSOCXResponse` whose display starts with a line naming
    the mirror; ``meta["jsocx_mirror"]`` holds the mirror's name, URL, the JSOC that
    failed and that line. Its records cannot be fetched or staged from the mirror.
    """

    @property
    def mirror_note(self) -> str:
        """The line naming the mirror that answered."""
        return str((self.meta.get(MIRROR_META) or {}).get("note", ""))

    def __str__(self) -> str:
        return f"{self.mirror_note}\n{super().__str__()}"

    def __repr__(self) -> str:
        return f"{object.__repr__(self)}\n{self}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.mirror_note)}</p>{super()._repr_html_()}"


#: Searches expected to return at most this many rows ask at once for everything a fetch needs
#: (every keyword for FITS, storage paths, online flags, record names); larger ones ask
#: only for the shown keywords, and a fetch asks for the rest for its rows only.
SMALL_SEARCH_ROWS = 1000
#: A listing of this many records or more is held against JSOC's count (``rs_summary``):
#: JSOC cuts a listing at one query's limit without saying so (`JSOCXClient._whole`). The
#: limit is 75,000 records, or fewer for records whose size in memory is large (DRMS's
#: ``1.1e6 * 512 MB / recsize``; no public source gives a record's size), so the check
#: starts well below it.
TRUNCATION_CHECK_ROWS = 1000
#: The part of the limit seen that each time span of a cut-short listing aims to fill.
TRUNCATION_FILL = 0.8


def _time_spans(start, end, step: float, pieces: int) -> list[tuple]:
    """
    ``pieces`` consecutive spans from ``start`` to ``end`` whose bounds fall on the grid of
    ``step`` seconds from ``start`` (so that a sampling such as ``@300s`` keeps its grid);
    JSOC's ``start-end`` includes both ends, so neighbours share a bound (`_joined` drops
    the record listed twice).
    """
    import astropy.units as u

    span = max(0.0, (end - start).to_value("s"))
    cuts = sorted({0.0, span, *(min(span, round(span * i / pieces / step) * step) for i in range(1, pieces))})
    return [(start + a * u.s, start + b * u.s) for a, b in zip(cuts, cuts[1:]) if b > a] or [(start, end)]


def _joined(parts: list[dict], key: list[str]) -> dict:
    """``rs_list`` answers of consecutive spans as one answer, each record once (by ``*recnum*``)."""
    names = list(key)
    columns: dict[str, list] = {}
    seen: set[str] = set()
    for part in parts:
        got = {kw["name"]: kw["values"] for kw in part.get("keywords", [])}
        recnums = got.get("*recnum*", [])
        keep = [i for i, r in enumerate(recnums) if r not in seen]
        seen.update(recnums[i] for i in keep)
        for name in got:
            if name not in names:
                names.append(name)
        for name in names:
            values = got.get(name)
            if values is not None:
                columns.setdefault(name, []).extend(values[i] for i in keep)
    return {"keywords": [{"name": n, "values": columns[n]} for n in names if n in columns],
            "count": len(seen), "status": 0}


def _estimate_rows(block: dict, info: SeriesInfo, open_keys: float = 100) -> float:
    """
    An estimate of a block's rows from its time span, the slot step and the prime-key values:
    an upper one with ``open_keys`` values for each prime key the block leaves open (100
    HARPs, say), a lower one with 1.
    """
    if block.get("recordset") or not block.get("time"):
        return float("inf")
    start, end = block["time"]
    span = max(0.0, (end - start).to_value("s"))
    tkey = info.time_key
    step = float(info.slotted.get(tkey, 0) or 0) if tkey else 0.0
    if step <= 0:
        return float("inf")
    sample = block.get("sample") or 0
    rows = span / max(step, float(sample)) + 2
    for key in info.primekeys:
        if key == tkey:
            continue
        values = (block.get("primekeys") or {}).get(key.upper())
        rows *= len(values) if values else open_keys
    return rows


def _numbers(values) -> bool:
    return all(isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
               for v in values)


def _splittable(merged: dict, members: list[dict]) -> bool:
    """Whether rows of a merged block can be dealt back to its members by their prime-key values (numbers)."""
    for block in members:
        for key, values in (block.get("primekeys") or {}).items():
            if not same_values(values, merged["primekeys"][key]) and not _numbers(values):
                return False
    return True


def _deal_rows(columns: dict, info: SeriesInfo, merged: dict, members: list[dict]) -> list[np.ndarray] | None:
    """
    For each member block, a mask of the merged block's rows it selects.

    None if some row matches no member, or a prime key is not a numeric column:
    then the members are better asked for one by one than guessed.
    """
    n = len(columns["_block"])
    masks = []
    for block in members:
        mask = np.ones(n, dtype=bool)
        for key, values in (block.get("primekeys") or {}).items():
            if same_values(values, merged["primekeys"][key]):
                continue
            keyword = info.find_keyword(key)
            column = np.asarray(columns.get(keyword.name if keyword else key, ()))
            if column.shape != (n,) or column.dtype.kind not in "iuf":
                return None
            wanted = np.asarray(values, dtype=float)
            mask &= np.isclose(column[:, None].astype(float), wanted[None, :], rtol=1e-9, atol=0).any(axis=1)
        masks.append(mask)
    if n and not np.logical_or.reduce(masks).all():
        return None
    return masks


def _split_all_keywords(answer: dict, keep: list[str]) -> tuple[dict, dict[int, dict[str, str]]]:
    """Keep the shown keywords as columns; return every keyword's JSOC string per record number."""
    keywords = answer.get("keywords", [])
    recnums = next((k["values"] for k in keywords if k["name"] == "*recnum*"), [])
    real = [k for k in keywords if not k["name"].startswith("*")]
    per_record = {int(r): {k["name"]: k["values"][i] for k in real} for i, r in enumerate(recnums)}
    wanted = {k.upper() for k in keep}
    trimmed = dict(answer, keywords=[k for k in keywords if k["name"].startswith("*") or k["name"].upper() in wanted])
    return trimmed, per_record


def _as_table(query_results) -> JSOCXResponse:
    if isinstance(query_results, QueryResponseRow):
        return query_results.as_table()
    if isinstance(query_results, QueryResponseTable):
        if "_recnum" not in query_results.colnames and len(query_results):
            raise ValueError("These results do not come from JSOCXClient.search (no record identity column).")
        return query_results
    raise TypeError(f"Cannot fetch {type(query_results).__name__}; pass a JSOCXResponse, a slice or a row of one.")

