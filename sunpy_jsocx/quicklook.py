"""
A quick look at a few records before downloading them all.

``res.quicklook(rows=[0, 500, 1000])`` fetches one image of each chosen record and
shows them side by side (matplotlib; it returns the Figure). It goes through the
ordinary fetch (`sunpy_jsocx.fetch.FetchPlan`: one connection, verified files, the
record cache), choosing for each record the cheapest way JSOC offers:

* **Online records: the stored file, no export** (``how="auto"`` and ``"files"``).
  JSOC answers ``url_quick``/``as-is`` requests for online data at once, with no
  export request and no request id (``jsoc_fetch.c`` of ``lm-jps/drms@3727293``,
  line 4180: only ``url_quick`` + ``as-is`` with everything online is immediate), and
  asks clients to prefer it because it loads its servers least (drms's
  ``examples/export_as_is.py``; jsoc-api.md §5.6). The file is downloaded the way
  ``fetch`` downloads it: no export, no e-mail address, no wait, but the whole stored
  file (about 4 to 6 MB for an AIA image: the 2018 tutorial's fetches of 4 records
  totalled 17 MB and 24 MB; 15 MB for an HMI magnetogram: JSOC's ``size`` in the
  recorded ``url_quick`` answer of jsoc-api.md §3.7). The record cache keeps it, so
  a later ``fetch`` of the same record downloads nothing.
* **Records that need an export anyway** (offline on tape, or a cutout): **one**
  ``jpg`` export of all of them, binned at JSOC (the protocol's ``size`` argument:
  "binning (1 -> 4k, 2 -> 2k, 4 -> 1k)", drms's ``examples/export_jpg.py``) to about
  1024 pixels across. The staging costs what any export costs (JSOC's staging time, a
  registered ``a.jsocx.Notify`` address, JSOC's one pending export per address); the
  files are 1024-pixel JPEGs (about 120 kB each in the emulator, which writes them at
  JSOC's quality 95) instead of full-size FITS files.
* ``how="jpg"`` uses the one binned ``jpg`` export for every record, online ones
  too: the fewest bytes, at the price of an export and its wait.

JSOC's ``rebin`` processing (``processing.h``) would shrink FITS images at JSOC too,
but only inside an export, which the ``jpg`` protocol's binning already gives; the
fetch machinery passes no processing step but a cutout's ``im_patch``.

Costs measured against the emulator are in the "Look before you download" guide page.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sunpy import log

__all__ = ["quicklook", "MAX_ROWS", "HOW", "JPG_SCALINGS", "TARGET_PIXELS"]

#: At most this many records are shown by one quicklook.
MAX_ROWS = 8
#: How a quicklook may fetch, as ``how=``; ``auto`` takes stored files for online records
#: and one binned jpg export for the rest, ``files`` what ``fetch`` would download, and
#: ``jpg`` one binned jpg export of every record.
HOW = ("auto", "files", "jpg")
#: Scalings of JSOC's jpg protocol (jsoc-api.md §3.7; ``jsoc_export_as_images``).
JPG_SCALINGS = ("MINMAX", "MINMAXGIVEN", "LOG", "SQRT", "MAG")
#: A jpg export is binned to about this many pixels across; images are shown at most this large.
TARGET_PIXELS = 1024
#: The column that tells a quicklook's files apart (it names each record's folder).
_ROW_FIELD = "JSOCX_QUICKLOOK"


def _positions(rows, total: int) -> list[int]:
    """The chosen rows as positions in ``range(total)``, checked, before any request."""
    if rows is None:
        chosen = list(range(total))
    elif isinstance(rows, slice):
        chosen = list(range(total)[rows])
    elif isinstance(rows, (bool, np.bool_)):
        raise TypeError("rows must be a row number, a list of row numbers, a slice or a boolean mask, not a bool")
    elif isinstance(rows, (int, np.integer)):
        chosen = [int(rows)]
    else:
        values = np.asarray(rows)
        if values.dtype == bool:
            if values.shape != (total,):
                raise ValueError(f"a boolean mask for rows needs one value per row ({total}), not {values.shape}")
            chosen = [int(i) for i in np.flatnonzero(values)]
        elif values.ndim == 1 and (values.dtype.kind in "iu" or values.size == 0):
            chosen = [int(i) for i in values]
        else:
            raise TypeError(f"rows must be a row number, a list of row numbers, a slice or a boolean mask, "
                            f"not {rows!r}")
    out = []
    for i in chosen:
        if not -total <= i < total:
            raise IndexError(f"row {i} is out of range: the result has {total} rows")
        out.append(i % total)
    if not out:
        raise ValueError("quicklook needs at least one row; choose some with rows=[0, 10, 20]")
    if len(out) > MAX_ROWS:
        raise ValueError(
            f"quicklook shows at most {MAX_ROWS} records, and {len(out)} were chosen (of {total}). Choose a few: "
            f"rows=[0, {total // 2}, {total - 1}] (row numbers), rows=slice(None, None, {math.ceil(total / MAX_ROWS)}) "
            f"(evenly spaced), a boolean mask, or slice the result first (res[res['WAVELNTH'] == 171][:4]).")
    return out


def _image_segment(info, segments: Sequence[str], wanted: str | None) -> str:
    """The segment to show: the one asked for, else the first two-dimensional one."""
    if wanted is not None:
        seg = info.segment(wanted)
        if seg is None or seg.name not in segments:
            raise ValueError(f"{info.name} records here have no segment {wanted!r}; valid: {', '.join(segments)}")
        return seg.name
    for name in segments:
        dims = (info.segment(name).dims or "").lower().split("x")
        if len(dims) == 2:
            return name
    return segments[0]


def _binning(info, segment: str, server: str | None = None) -> int:
    """
    JSOC's jpg ``size`` (a binning factor) that brings the segment to about `TARGET_PIXELS` across.

    A segment linked to another series (AIA's ``image`` to ``aia.lev1``) declares its size
    there: that series' metadata is asked for once (and cached) when it is not at hand.
    """
    seg = info.segment(segment)
    dims = [int(d) for d in (seg.dims or "").lower().split("x") if d.isdigit()]
    if not dims and server and (seg.protocol or "").lower().startswith("link"):
        from sunpy_jsocx.coverage import _link_target
        from sunpy_jsocx.transport import JSOCError, connection

        name = _link_target(info, seg)
        try:
            target = connection(server).info(name) if name else None
        except JSOCError:
            target = None
        if target is not None:
            linked = target.find_segment(seg.name) or next(
                (s for s in target.segments if s.name.lower().startswith(seg.name.lower() + "_")), None)
            if linked is not None:
                dims = [int(d) for d in (linked.dims or "").lower().split("x") if d.isdigit()]
    return max(1, math.ceil(max(dims) / TARGET_PIXELS)) if dims else 1


def _scaling(info, segment: str) -> str:
    """A jpg scaling for the segment: ``MAG`` for magnetic field, ``LOG`` for AIA, else ``MINMAX``."""
    units = (info.segment(segment).units or "").lower()
    if units in ("gauss", "mx/cm^2", "g"):
        return "MAG"
    return "LOG" if info.name.lower().startswith("aia.") else "MINMAX"


def _jpg_protocol(binning: int, scaling: str, ct: str, vmin, vmax) -> str:
    proto = f"jpg,CT={ct},scaling={scaling},size={binning}"
    if vmin is not None:
        proto += f",min={float(vmin):g}"
    if vmax is not None:
        proto += f",max={float(vmax):g}"
    return proto


def _with_segment(table, segment_for_block: dict[int, str]):
    """``table`` asking for one segment per block (its own meta, so the parent is untouched)."""
    blocks = [dict(b, segments=[segment_for_block[i]]) if i in segment_for_block else dict(b)
              for i, b in enumerate(table.query_args or [])]
    attributes = dict(table.meta.get("__attributes__", {}))
    attributes["query_args"] = blocks
    table.meta = {**table.meta, "__attributes__": attributes}
    return table


def _read(path: Path) -> tuple[np.ndarray, bool]:
    """An image file's pixels (FITS or JPEG/PNG) and whether its first row is the bottom one."""
    with open(path, "rb") as fh:
        head = fh.read(9)
    if head == b"SIMPLE  =":
        from astropy.io import fits

        with fits.open(path) as hdul:
            data = next((h.data for h in hdul if h.data is not None and np.ndim(h.data) >= 2), None)
            if data is None:
                raise ValueError(f"{path.name} holds no image")
            data = np.asarray(data, dtype=float)
        while data.ndim > 2:
            data = data[0]
        k = max(1, math.ceil(max(data.shape) / TARGET_PIXELS))
        if k > 1:  # shown at most TARGET_PIXELS across, as a block average
            ny, nx = data.shape[0] // k * k, data.shape[1] // k * k
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks stay NaN
                data = np.nanmean(data[:ny, :nx].reshape(ny // k, k, nx // k, k), axis=(1, 3))
        return data, True
    import matplotlib.image as mpimg

    return np.asarray(mpimg.imread(path)), False


def _title(row, info) -> str:
    tkey = info.time_key
    parts = []
    if tkey and tkey in row.colnames:
        value = row[tkey]
        parts.append(value.isot if hasattr(value, "isot") else str(value))
    others = [f"{k} {row[k]}" for k in info.primekeys if k != tkey and k in row.colnames]
    parts.append(" ".join(others) if others else info.name)
    return "\n".join(parts)


def _cmap(info, row, cmap):
    if cmap is not None:
        return cmap
    if info.name.lower().startswith("aia.") and "WAVELNTH" in row.colnames:
        try:
            import sunpy.visualization.colormaps  # noqa: F401 (registers sdoaia<wavelength>)
            from matplotlib import colormaps

            return colormaps[f"sdoaia{int(row['WAVELNTH'])}"]
        except (ImportError, KeyError, ValueError):
            pass
    return "gray"


def quicklook(obj, rows=None, *, path=None, how: str = "auto", segment: str | None = None,
              binning: int | None = None, scaling: str | None = None, ct: str = "grey.sao", vmin=None, vmax=None,
              cmap=None, fig=None, timeout: float | None = None, progress: bool = True):
    """
    Fetch a small image of a few chosen records, as cheaply as JSOC allows, and show them.

    Parameters
    ----------
    obj : `~sunpy_jsocx.response.JSOCXResponse` or `~sunpy.net.fido_factory.UnifiedResponse`
        The search result, or any slice or row (`~sunpy_jsocx.response.JSOCXRow`) of it; a
        Fido result contributes its JSOCX blocks, one after the other.
    rows : int, list of int, slice or `numpy.ndarray` of bool, optional
        The records to show (row numbers of ``obj``), at most `MAX_ROWS`; by default every
        row, so a longer result needs ``rows`` (``rows=[0, 500, 1000]``,
        ``rows=slice(None, None, 6000)``) or a slice of itself. Too many rows are refused
        with a `ValueError` before any request is made.
    path : str, optional
        A folder to keep the files in, each record's in a subfolder named by its place in
        the figure (0, 1, ...). By default they go to a temporary folder that is removed
        once they are read; the record cache keeps stored files either way, so a later
        ``fetch`` of these records downloads nothing.
    how : {"auto", "files", "jpg"}
        ``"auto"``: online records' stored files straight from JSOC's storage (no export),
        the others in one binned ``jpg`` export. ``"files"``: the files ``fetch`` would
        download (an export of full-size files for offline records). ``"jpg"``: one binned
        ``jpg`` export of every record (fewest bytes; needs ``a.jsocx.Notify`` and waits
        for JSOC's staging).
    segment : str, optional
        The segment to show (default: the first two-dimensional one of the search).
    binning : int, optional
        The jpg export's ``size``: 1 full resolution, 2 half, 4 a quarter (default: down to
        about `TARGET_PIXELS` across from the segment's declared size, 4 for AIA and HMI;
        1 for a cutout).
    scaling, ct, vmin, vmax
        The jpg export's ``scaling`` (one of `JPG_SCALINGS`; default ``MAG`` for magnetic
        field segments, ``LOG`` for AIA, else ``MINMAX``), colour table (JSOC's names, such
        as ``"grey.sao"``, the default, or ``"aia_171.lut"``) and ``min``/``max``.
    cmap : optional
        Colour map for the panels (default: sunpy's AIA map for AIA, else grey).
    fig : `matplotlib.figure.Figure`, optional
        Draw into this figure (default: a new one).
    timeout : float, optional
        Seconds to wait for an export at most.
    progress : bool
        Log what the look cost (files, megabytes, exports) at INFO level.

    Returns
    -------
    `matplotlib.figure.Figure`
        One panel per record, titled with its time and other prime keys
        (``fig.axes`` are the panels).

    Raises
    ------
    ValueError
        Too many or no rows, an unknown ``how``/``scaling``/``segment``, a bad
        ``binning``, an export without a registered ``a.jsocx.Notify``, or no file arrived.

    Notes
    -----
    What it costs, measured against the emulator with 4096-pixel AIA images (the script
    and the figures are in the guide's "Look before you download" page): three online
    records with ``how="auto"`` are 3 downloads and nothing else (no export, no e-mail
    check), 31.7 MB of stored files, and nothing at all the second time (the record
    cache); with ``how="jpg"`` one e-mail check, one export request, one status poll and
    3 downloads, 0.36 MB of binned JPEGs; three offline records with ``how="auto"`` one
    export, one poll and 3 downloads, 0.39 MB. A search of more than 1,000 rows did not
    bring the records' storage paths: the chosen rows cost one ``rs_list`` more (and one
    more for those of them that go into the jpg export), as a ``fetch`` does.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy.net import attrs as a
    >>> from sunpy_jsocx import JSOCXClient
    >>> from sunpy_jsocx.emulator import JSOCEmulator
    >>> import matplotlib
    >>> matplotlib.use("agg")
    >>> with JSOCEmulator() as emu:
    ...     res = JSOCXClient(emu.url).search(a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"),
    ...                                       a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA))
    ...     fig = res.quicklook(slice(None, None, 60), progress=False)  # a record every 12 minutes
    ...     len(fig.axes)
    6
    """
    from sunpy_jsocx.coverage import _tables
    from sunpy_jsocx.fetch import FetchPlan
    from sunpy_jsocx.transport import connection

    if how not in HOW:
        raise ValueError(f"how must be one of {', '.join(repr(h) for h in HOW)}, not {how!r}")
    if scaling is not None and str(scaling).upper() not in JPG_SCALINGS:
        raise ValueError(f"scaling must be one of {', '.join(JPG_SCALINGS)}, not {scaling!r}")
    if binning is not None and (isinstance(binning, bool) or not isinstance(binning, (int, np.integer))
                                or binning < 1):
        raise ValueError(f"binning must be a whole number >= 1 (JSOC's jpg size: 1, 2, 4, ...), not {binning!r}")
    tables = [t for t in _tables(obj) if len(t)]
    total = sum(len(t) for t in tables)
    if not total:
        raise ValueError("quicklook needs a search result with rows; this one has none")
    chosen = _positions(rows, total)
    starts = np.cumsum([0] + [len(t) for t in tables])

    folder = (Path(path).expanduser() if path is not None else Path(tempfile.mkdtemp(prefix="jsocx-quicklook-")))
    folder = folder.resolve()  # the files' paths are told apart by their folder under it
    template = str(folder / f"{{{_ROW_FIELD}}}" / "{file}")
    try:
        plan, picked = None, []
        for n, table in enumerate(tables):
            local = [p - starts[n] for p in chosen if starts[n] <= p < starts[n + 1]]
            if not local:
                continue
            if "_recnum" not in table.colnames:
                raise ValueError("quicklook needs rows from JSOCXClient.search (they carry each record's identity)")
            sub = table[local]
            sub[_ROW_FIELD] = [chosen.index(starts[n] + i) for i in local]
            client = table.client
            if plan is None:
                plan = FetchPlan(client, path=template, progress=False, timeout=timeout,
                                 sleep=getattr(client, "_sleep", None))
            segments, infos_by_block, servers = {}, {}, {}
            for b in sorted({int(x) for x in sub["_block"]}):
                block = sub.query_args[b]
                servers[b] = block.get("server") or sub.server or client.server
                info = infos_by_block[b] = connection(servers[b]).info(block["series"])
                segments[b] = _image_segment(info, list(block.get("segments") or info.segment_names), segment)
            sub = _with_segment(sub, segments)

            def jpg_for(b, sub=sub, segments=segments, infos=infos_by_block, servers=servers):
                # Worked out only when a jpg export is made; a cutout is small already (binned only if asked).
                info = infos[b]
                k = binning or (1 if sub.query_args[b].get("cutout") else _binning(info, segments[b], servers[b]))
                return _jpg_protocol(k, str(scaling or _scaling(info, segments[b])).upper(), ct, vmin, vmax)

            _add(plan, sub, how, jpg_for)
            picked += [(row, infos_by_block[int(row["_block"])]) for row in sub]
        picked.sort(key=lambda p: int(p[0][_ROW_FIELD]))
        results = plan.run()
        exports = [str(r.id) for r in plan.requests]
        files: dict[int, Path] = {}
        for name in results:
            p = Path(name)
            if p.parent.parent == folder and p.parent.name.isdigit():
                files.setdefault(int(p.parent.name), p)
        if not files:
            error = results.errors[0].exception if results.errors else None
            raise ValueError(f"quicklook: no file arrived from JSOC ({error or 'no file for these records'})")
        sizes = sum(p.stat().st_size for p in files.values())
        (log.info if progress else log.debug)(f"quicklook: {len(files)} file(s), {sizes / 1e6:.2f} MB, "
                 + (f"{len(exports)} export(s) ({', '.join(exports)})" if exports
                    else "no export"))
        images = {k: _read(p) for k, p in files.items()}
        errors = [str(e.exception) for e in results.errors]
    finally:
        if path is None:
            shutil.rmtree(folder, ignore_errors=True)
    return _draw(picked, images, errors, cmap, fig)


def _add(plan, sub, how: str, jpg_for) -> None:
    """Put ``sub``'s records on the plan the way ``how`` says (see `quicklook`)."""
    if how == "files":
        plan.add_rows(sub, method="url")
        return
    if how == "auto":
        before = set(plan.groups)
        plan.add_rows(sub, method="url")
        # The records the fetch would export (offline, cut out) go into the jpg export instead.
        exported = set()  # (series, recnum): record numbers are counted per series
        for key in [k for k in plan.groups if k not in before]:
            group = plan.groups.pop(key)
            exported.update((group.info.name.lower(), int(r)) for r in group.recnums)
        if not exported:
            return
        sub = sub[[(sub.query_args[int(b)]["series"].lower(), int(r)) in exported
                   for b, r in zip(sub["_block"], sub["_recnum"])]]
    for b in sorted({int(x) for x in sub["_block"]}):
        part = sub[np.asarray(sub["_block"]) == b]
        proto = jpg_for(b)
        plan.add_rows(part, protocol=proto, method="url")  # keeps the arguments' case (CT=HMI_mag.lut)


def _scale(data: np.ndarray) -> dict:
    """How to show a FITS image: symmetric about 0 for signed data (magnetograms), else asinh-stretched."""
    from astropy.visualization import AsinhStretch, ImageNormalize, PercentileInterval

    finite = data[np.isfinite(data)]
    if not finite.size:
        return {}
    lo, hi = np.percentile(finite, [0.5, 99.5])
    if lo < 0 < hi and min(-lo, hi) > 0.2 * max(-lo, hi):
        lim = float(np.percentile(np.abs(finite), 99.5)) or 1.0
        return {"vmin": -lim, "vmax": lim}
    return {"norm": ImageNormalize(finite, interval=PercentileInterval(99.5), stretch=AsinhStretch())}


def _draw(picked, images, errors, cmap, fig):
    import matplotlib.pyplot as plt

    n = len(picked)
    ncols = min(n, 4)
    nrows = math.ceil(n / ncols)
    if fig is None:
        fig = plt.figure(figsize=(3.2 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for k, (row, info) in enumerate(picked):
        ax = axes[k]
        ax.set_title(_title(row, info), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        image = images.get(k)
        if image is None:
            ax.text(0.5, 0.5, "not fetched", ha="center", va="center", transform=ax.transAxes)
            continue
        data, bottom_first = image
        if data.ndim == 3:  # a colour JPEG (a colour table at JSOC): shown as it is
            ax.imshow(data, origin="upper")
            continue
        ax.set_facecolor("black")  # missing pixels (off the disk) as space
        ax.imshow(data, origin="lower" if bottom_first else "upper", cmap=_cmap(info, row, cmap),
                  **(_scale(data) if bottom_first else {}))
    for ax in axes[n:]:
        ax.remove()
    if errors:
        log.warning("quicklook: " + "; ".join(errors))
    return fig
