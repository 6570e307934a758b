"""
Planning and running a fetch: which records download straight from storage,
which need an export, and where each file goes.

A `FetchPlan` is built from result rows. Online records fetched ``as-is`` are
downloaded from their SUMS paths with no export (what JSOC asks clients to
do). Everything else is grouped by (server, series, protocol, method, e-mail,
processing) and each group becomes exactly one export of exactly its records.
Plans queued on the same downloader (Fido fetches each result block
separately) are merged before anything is sent, so OR branches never cost an
export each.
"""

from __future__ import annotations

import gc
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import parfive
from sunpy import config as sunpy_config
from sunpy import log

from sunpy_jsocx import jsoctime
from sunpy_jsocx import recordset as _recordset
from sunpy_jsocx.download import DownloadItem, download_files
from sunpy_jsocx.export import ExportFailed, ExportRequest
from sunpy_jsocx.transport import connection

__all__ = ["FetchPlan", "FetchJob", "attach_to_downloader", "REGISTER_URL"]

REGISTER_URL = "http://jsoc.stanford.edu/ajax/register_email.html"
_SAFE = re.compile(r"[^A-Za-z0-9._+\-]")


@dataclass
class _Download:
    url: str
    filename: str
    fields: dict[str, Any]
    # For FITS written from a stored file: (server, series info, record name, segment, recnum).
    fits_from: tuple | None = None
    # Every keyword of the block's records (recnum -> name -> JSOC string), when the search had them.
    known_keywords: dict | None = None


@dataclass
class _ExportGroup:
    server: str
    info: Any
    protocol: str
    method: str
    notify: str
    cutout: dict | None
    segments: list[str]
    recnums: list[int] = field(default_factory=list)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # record name -> row fields
    request: ExportRequest | None = None

    @property
    def key(self):
        return (self.server, self.info.name.lower(), self.protocol, self.method, self.notify.lower(),
                json.dumps(self.cutout, sort_keys=True, default=str), tuple(self.segments))

    def absorb(self, other: _ExportGroup) -> None:
        seen = set(self.recnums)
        self.recnums += [r for r in other.recnums if r not in seen]
        self.rows.update(other.rows)


def _row_fields(row, colnames) -> dict[str, Any]:
    out = {}
    for c in colnames:
        if c.startswith("_"):
            continue
        v = row[c]
        out[c] = v.isot if hasattr(v, "isot") else (v.item() if hasattr(v, "item") else v)
    return out


def _default_filenamefmt(info) -> str:
    parts = [info.name.lower()]
    for k in info.primekeys:
        kw = info.find_keyword(k)
        parts.append(f"{{{k}:A}}" if kw is not None and kw.is_time else f"{{{k}}}")
    return ".".join(parts) + ".{segment}"


def _direct_name(info, record: str, segment: str, stored: str) -> str:
    """A file name for a record's stored segment, as JSOC names exported files."""
    values = re.findall(r"\[([^\]]*)\]", record)
    parts = [info.name.lower()]
    for k, v in zip(info.primekeys, values):
        kw = info.find_keyword(k)
        parts.append(jsoctime.time_filename_format(v) if kw is not None and kw.is_time else v)
    ext = os.path.splitext(stored)[1] or ""
    base = ".".join(parts + [segment])
    return _SAFE.sub("_", base + (ext if not base.endswith(ext) else ""))


class FetchPlan:
    """
    What one fetch downloads, and how.

    Parameters
    ----------
    client
        The `~sunpy_jsocx.JSOCXClient` (for its server and e-mail checks).
    path
        Directory or template with ``{file}`` and row fields.
    """

    def __init__(self, client, *, path=None, overwrite=False, progress=True, max_conn: int = 1,
                 max_splits: int = 1, sleep: Callable[[float], None] | None = None):
        self.client = client
        self.path = path
        self.overwrite = overwrite
        self.progress = progress
        self.max_conn = max_conn
        self.max_splits = max_splits
        self.sleep = sleep or time.sleep
        self.direct: list[_Download] = []
        self.groups: dict[tuple, _ExportGroup] = {}
        self.staged: list[ExportRequest] = []
        self.requests: list[ExportRequest] = []

    # ---------------------------------------------------------------- building
    def add_rows(self, table, *, method=None, protocol=None, force_export=False) -> None:
        if not len(table):
            return
        blocks = table.query_args or []
        cols = table.colnames
        for b in sorted({int(x) for x in table["_block"]}):
            block = blocks[b]
            rows = table[table["_block"] == b]
            server = block.get("server") or table.server or self.client.server
            conn = connection(server)
            info = conn.info(block["series"])
            proto = (protocol or block.get("protocol") or "fits").lower()
            meth = (method or block.get("method") or "url").lower().replace("url-quick", "url_quick")
            segments = list(block.get("segments") or info.segment_names)
            cutout = block.get("cutout")
            recnums = [int(r) for r in rows["_recnum"]]
            needed = ["_record", "_online", *(f"_seg_{seg}" for seg in segments)]
            known = block.get("record_keywords")
            if all(c in cols for c in needed):
                details = {r: {c: row[c] for c in needed} for r, row in zip(recnums, rows)}
            else:
                # A large search kept only the shown columns: ask for what fetching needs,
                # for the selected records only (one request).
                details, known = self._details(conn, info, recnums, segments, proto == "fits")
            for row, recnum in zip(rows, recnums):
                fields = _row_fields(row, cols)
                fields["series"] = info.name
                d = details.get(recnum)
                if d is None:
                    raise ValueError(f"JSOC no longer has record #{recnum} of {info.name}")
                record = str(d["_record"])
                online = bool(d["_online"])
                # Online records need no export: JSOC asks clients to download them from
                # storage. For FITS, the client writes the export's header itself.
                direct = (proto in ("as-is", "fits") and meth in ("url", "url_quick") and cutout is None
                          and not force_export and online)
                if direct:
                    for seg in segments:
                        spath = str(d[f"_seg_{seg}"])
                        name = _direct_name(info, record, seg, spath)
                        fits_from = None
                        if proto == "fits" and name.endswith(".fits"):
                            fits_from = (server, info, record, seg, recnum)
                        self.direct.append(_Download(conn.file_url(spath), name, dict(fields, segment=seg),
                                                     fits_from, known))
                    continue
                notify = block.get("notify")
                self._check_notify(conn, notify, info.name)
                group = _ExportGroup(server, info, proto, "url" if meth == "url_quick" and proto != "as-is" else meth,
                                     notify, cutout, segments)
                group = self.groups.setdefault(group.key, group)
                group.recnums.append(recnum)
                group.rows[record] = fields

    @staticmethod
    def _details(conn, info, recnums, segments, all_keywords: bool):
        """Record names, online flags, storage paths (and all keywords) of some records, in one request."""
        ds = _recordset.records_recordset(info, sorted(set(recnums)))
        key = ["**ALL**", "*recnum*", "*online*"] if all_keywords else ["*recnum*", "*online*"]
        answer = conn.rs_list(ds, key=key, seg=list(segments), recinfo=True)
        names = [r["name"] for r in answer.get("recinfo", [])]
        columns = {k["name"]: k["values"] for k in answer.get("keywords", [])}
        paths = {s["name"]: s["values"] for s in answer.get("segments", [])}
        details, keywords = {}, {}
        for i, r in enumerate(columns.get("*recnum*", [])):
            recnum = int(r)
            details[recnum] = {"_record": names[i], "_online": columns["*online*"][i] == "Y",
                               **{f"_seg_{seg}": paths[seg][i] for seg in segments}}
            if all_keywords:
                keywords[recnum] = {k: v[i] for k, v in columns.items() if not k.startswith("*")}
        return details, (keywords if all_keywords else None)

    def _check_notify(self, conn, notify, series) -> None:
        if not notify:
            raise ValueError(
                f"Some {series} records need a JSOC export (offline data, a cutout, url-tar or a forced export), "
                f"and JSOC exports need a registered e-mail address: add a.jsocx.Notify('you@example.org') to the "
                f"search (register it at {REGISTER_URL}).")
        if not conn.check_address(notify):
            raise ValueError(f"JSOC does not know {notify!r} as a registered address; register it at {REGISTER_URL} "
                             "and search again with that a.jsocx.Notify.")

    def add_staged(self, request: ExportRequest) -> None:
        self.staged.append(request)

    def absorb(self, other: FetchPlan) -> None:
        """Merge another plan into this one (one export per group across both)."""
        self.direct += other.direct
        for key, g in other.groups.items():
            if key in self.groups:
                self.groups[key].absorb(g)
            else:
                self.groups[key] = g
        self.staged += other.staged

    # ---------------------------------------------------------------- exporting
    def _submit(self, group: _ExportGroup) -> ExportRequest:
        conn = connection(group.server)
        ds = _recordset.records_recordset(group.info, sorted(group.recnums), group.segments)
        method = group.method
        if group.protocol == "as-is" and method == "url":
            method = "url_quick"  # immediate for online data, staged by JSOC otherwise
        process = {"im_patch": group.cutout} if group.cutout else None
        fmt = None if group.protocol == "as-is" else _default_filenamefmt(group.info)
        while True:
            answer = conn.exp_request(ds, group.notify, method=method, protocol=group.protocol,
                                      filenamefmt=fmt, process=process)
            status = int(answer.get("status", 4))
            if status != 7:
                break
            # One pending export per address: wait for ours, then ask again.
            pending = [r for r in self.requests if r._status in (1, 2, 6)]
            if not pending:
                raise ExportFailed(f"JSOC refused the export: {answer.get('error')}", status, answer)
            log.info("JSOC allows one pending export per address; waiting for the previous one first.")
            pending[0].wait()
        if status == 3 and len(group.recnums) > 1:
            # Over JSOC's size limit: split the request rather than fail (each half may split again).
            log.info(f"JSOC export of {len(group.recnums)} records is over the size limit; splitting it in two.")
            return self._split(group)
        req = ExportRequest(conn, answer, sleep=self.sleep)
        req.group = group
        if status not in (0, 1, 2, 6):
            raise ExportFailed(f"JSOC refused the export of {ds}: {answer.get('error', 'no reason given')} "
                               f"[status={status}]", status, answer)
        group.request = req
        self.requests.append(req)
        return req

    def _split(self, group: _ExportGroup) -> ExportRequest:
        recnums = sorted(group.recnums)
        half = len(recnums) // 2
        parts = []
        for chunk in (recnums[:half], recnums[half:]):
            g = _ExportGroup(group.server, group.info, group.protocol, group.method, group.notify, group.cutout,
                             group.segments, list(chunk), group.rows)
            parts.append(g)
        # Replace the group in place, keeping the order of submission.
        items = list(self.groups.items())
        idx = next(i for i, (_, g) in enumerate(items) if g is group)
        items[idx:idx + 1] = [((*group.key, tuple(p.recnums)), p) for p in parts]
        self.groups = dict(items)
        return self._submit(parts[0])

    def submit_next(self) -> ExportRequest | None:
        for g in self.groups.values():
            if g.request is None:
                return self._submit(g)
        return None

    def submit_all(self) -> list[ExportRequest]:
        while self.submit_next() is not None:
            pass
        return list(self.requests)

    # ---------------------------------------------------------------- files
    def _template(self) -> str:
        path = self.path
        if path is None:
            path = os.path.join(sunpy_config.get("downloads", "download_dir"), "{file}")
        path = str(path)
        if "{file}" not in path:
            path = os.path.join(path, "{file}")
        return os.path.expanduser(path)

    def _target(self, filename: str, fields: dict[str, Any]) -> str:
        template = self._template()
        try:
            return template.format(file=filename, **fields)
        except (KeyError, IndexError, ValueError) as e:
            valid = ", ".join(sorted(["file", *fields]))
            raise ValueError(f"The path template {template!r} uses an unknown field ({e}); valid fields: {valid}") \
                from None

    def _export_downloads(self, req: ExportRequest) -> list[_Download]:
        group = req.group
        if req.tarfile:
            name = os.path.basename(req.tarfile)
            return [_Download(req.urls[0], name, {"series": group.info.name if group else ""})]
        out = []
        for f in req.files:
            key = re.sub(r"\{[^}]*\}$", "", f.record).replace("_mod[", "[", 1)
            fields = dict(group.rows.get(key, {})) if group else {}
            fields.setdefault("series", key.split("[", 1)[0])
            seg = re.search(r"\{([^}]*)\}$", f.record)
            fields.setdefault("segment", seg.group(1) if seg else "")
            name = f.filename
            if req.protocol == "as-is" and "/" in f.url.split("://", 1)[1] and group is not None:
                name = _direct_name(group.info, key, fields["segment"], f.filename)
            out.append(_Download(f.url, name, fields))
        return out

    def downloads(self, timeout: float | None = None) -> list[_Download]:
        """Submit and wait for every export (one at a time), then list every file."""
        out = list(self.direct)
        for req in self.staged:
            req.wait(timeout)
            out += self._export_downloads(req)
        done: set[int] = set()
        while True:
            # Submitting may split a group (size limit), so look again each time.
            group = next((g for g in self.groups.values() if id(g) not in done), None)
            if group is None:
                return out
            req = group.request or self._submit(group)
            req.wait(timeout)
            done.add(id(req.group))
            out += self._export_downloads(req)

    def _record_keywords(self, items: list[_Download]) -> dict[tuple[str, str], dict[str, str]]:
        """
        All keywords of the records to write as FITS: from the search when it asked for them
        all, else one ``rs_list`` per server and series.
        """
        wanted: dict[tuple[str, str], tuple[Any, set[int]]] = {}
        out: dict[tuple[str, str], dict[str, str]] = {}
        for d in items:
            if d.fits_from is None:
                continue
            server, info, record, _, recnum = d.fits_from
            known = d.known_keywords.get(recnum) if d.known_keywords else None
            if known is not None:
                out[(server, record)] = known
                continue
            wanted.setdefault((server, info.name), (info, set()))[1].add(recnum)
        for (server, _name), (info, recnums) in wanted.items():
            conn = connection(server)
            ds = _recordset.records_recordset(info, sorted(recnums))
            answer = conn.rs_list(ds, key=["**ALL**"], recinfo=True)
            names = [r["name"] for r in answer.get("recinfo", [])]
            columns = [(k["name"], k["values"]) for k in answer.get("keywords", [])]
            for i, rec in enumerate(names):
                out[(server, rec)] = {k: v[i] for k, v in columns}
        return out

    def items(self, timeout: float | None = None) -> list[DownloadItem]:
        """Every file to download, with its target path (waits for exports)."""
        from sunpy_jsocx.fitsexport import fits_export_bytes

        downloads = self.downloads(timeout)
        keywords = self._record_keywords(downloads)
        out = []
        for d in downloads:
            target = Path(self._target(d.filename, d.fields))
            transform = retry_path = None
            if d.fits_from is not None:
                server, info, record, seg, _ = d.fits_from
                kw = keywords.get((server, record))
                if kw is None:
                    raise ValueError(f"JSOC returned no keywords for {record}; fetch it with force_export=True")
                defs = connection(server).keyword_defs(info.name)

                def transform(raw, kw=kw, defs=defs, seg=seg):
                    return fits_export_bytes(raw, kw, defs, segment=seg)

                retry_path = target.with_name(target.name + ".asis")
            out.append(DownloadItem(d.url, target, transform, retry_path))
        return out

    def run(self, timeout: float | None = None) -> parfive.Results:
        items = self.items(timeout)
        if self.progress and items:
            log.info(f"{len(items)} files to download from JSOC")
        return download_files(items, max_conn=self.max_conn, progress=self.progress, overwrite=self.overwrite)


class FetchJob:
    """
    A fetch that has started (its first export is submitted) but not waited.

    Call `wait` to finish staging and download; it returns `parfive.Results`.
    """

    def __init__(self, plan: FetchPlan):
        self.plan = plan
        self.results: parfive.Results | None = None

    def start(self) -> FetchJob:
        self.plan.submit_next()
        return self

    @property
    def requests(self) -> list[ExportRequest]:
        return list(self.plan.requests)

    def wait(self, timeout: float | None = None) -> parfive.Results:
        if self.results is None:
            self.results = self.plan.run(timeout)
        return self.results

    def __repr__(self) -> str:
        ids = [r.id for r in self.plan.requests]
        return f"<FetchJob {len(self.plan.direct)} direct files, exports {ids}>"


def attach_to_downloader(downloader: parfive.Downloader, plan: FetchPlan) -> None:
    """
    Queue a plan on a downloader that someone else (Fido) will run.

    The first plan replaces the downloader's ``download`` with one that merges all
    queued plans (so OR branches share one export), runs them over one connection,
    then runs the downloader's own queue and returns the combined results.
    """
    plan.progress = downloader.config.progress
    plan.overwrite = downloader.config.overwrite
    plans = getattr(downloader, "_jsocx_plans", None)
    if plans is None:
        plans = downloader._jsocx_plans = []
        original = downloader.download

        def download():
            merged = None
            while plans:
                p = plans.pop(0)
                if merged is None:
                    merged = p
                else:
                    merged.absorb(p)
            ours = merged.run() if merged is not None else parfive.Results()
            if not downloader.queued_downloads:
                return ours
            theirs = original()
            # parfive leaves the loop it made open, with signal handlers; collect it here, in
            # this thread, before another thread's garbage collection fails to close it.
            gc.collect()
            theirs.data += ours.data
            theirs._errors += ours.errors
            return theirs

        downloader.download = download
    plans.append(plan)
