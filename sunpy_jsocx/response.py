"""
The search result table.

Every row carries its record's identity in hidden columns (``_recnum``, the
record name ``_record``, the query block ``_block``, whether the record is
``_online`` and its segment paths ``_seg_<name>``), and the table carries the
query blocks (``query_args``) and the server it came from. All of these
survive any indexing (int, slice, list, boolean mask, `~astropy.table.Row`, Fido's
``res[i, ::2]``), so fetching any subset exports or downloads exactly the
selected records.

What a table shows is worked out from the table itself each time it is shown
(the hidden columns from their names, the shown ones from ``display_columns``)
unless set on it (``unhide_columns()``, or assigning ``display_keys``/``hide_keys``,
which slices inherit). Setting never writes into a ``meta`` shared with another
table: astropy gives every slice a shallow copy of its parent's ``meta``, and sunpy's
display code resets the display settings of the slice it prints, which used to reset
them on the table being shown too.
"""

from __future__ import annotations

import re

import numpy as np
from astropy.table import TableAttribute
from sunpy.net.base_client import QueryResponseRow, QueryResponseTable

from sunpy_jsocx import jsoctime

__all__ = ["JSOCXResponse", "JSOCXRow", "DEFAULT_DISPLAY", "build_table"]

#: Columns shown by default (the others stay in the table).
DEFAULT_DISPLAY = ("T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT")
HIDDEN_PREFIX = "_"


class _DisplaySetting(TableAttribute):
    """
    ``display_keys`` / ``hide_keys`` of a `JSOCXResponse`: derived unless set, and set copy-on-write.

    Reading gives the value set on this table (by ``unhide_columns`` or an assignment,
    inherited by its slices), else one derived from the table's columns. Setting gives
    the table a fresh ``meta`` with a fresh ``__attributes__`` dictionary first: a slice
    shares its parent's ``__attributes__``, and sunpy resets the settings of the slice it
    prints, which must not reset them on the table being shown.
    """

    def __init__(self, derive):
        super().__init__()
        self._derive = derive

    def __set_name__(self, owner, name):
        # Not MetaAttribute's, which refuses names the parent class has: these replace sunpy's.
        self.name = name

    def __get__(self, instance, owner):
        if instance is None:
            return self
        attributes = instance.meta.get("__attributes__", {})
        if self.name in attributes:
            return attributes[self.name]
        return self._derive(instance)

    def __set__(self, instance, value):
        attributes = dict(instance.meta.get("__attributes__", {}))
        attributes[self.name] = value
        instance.meta = {**instance.meta, "__attributes__": attributes}

    def __delete__(self, instance):
        attributes = dict(instance.meta.get("__attributes__", {}))
        attributes.pop(self.name, None)
        instance.meta = {**instance.meta, "__attributes__": attributes}


def _hidden_columns(table) -> list[str]:
    return [c for c in table.colnames if c.startswith(HIDDEN_PREFIX)]


def _shown_columns(table):
    wanted = table.display_columns or DEFAULT_DISPLAY
    shown = [c for c in wanted if c in table.colnames and not c.startswith(HIDDEN_PREFIX)]
    return shown or slice(None)


class JSOCXRow(QueryResponseRow):
    """
    One row of a `JSOCXResponse`; its repr shows the same columns as the table's.

    Every column, hidden ones included, can still be read (``row["_recnum"]``).
    """

    def _one_row(self):
        index = self.index if self.index >= 0 else self.index + len(self._table)
        return self._table[index:index + 1]._display_table

    def _base_repr_(self, html=False):
        table = self._one_row()
        descr = [type(self).__name__, f"index={self.index}"]
        if table.masked:
            descr.append("masked=True")
        return table._base_repr_(html, descr, max_width=-1, tableid=f"table{id(self._table)}")

    def __str__(self):
        return "\n".join(self._one_row().pformat(max_width=-1))

    def summary(self, **kwargs) -> str:
        """This record in words; see `sunpy_jsocx.coverage.summary` (no request is made)."""
        from sunpy_jsocx import coverage

        return coverage.summary(self, **kwargs)

    def plot_coverage(self, ax=None, **kwargs):
        """Plot this record's time; see `sunpy_jsocx.coverage.plot_coverage` (no request is made)."""
        from sunpy_jsocx import coverage

        return coverage.plot_coverage(self, ax, **kwargs)

    def quicklook(self, *, path=None, **kwargs):
        """Fetch and show a small image of this record; see `sunpy_jsocx.quicklook.quicklook`."""
        from sunpy_jsocx.quicklook import quicklook

        return quicklook(self, path=path, **kwargs)


class JSOCXResponse(QueryResponseTable):
    """
    Records found at JSOC by `~sunpy_jsocx.JSOCXClient`.

    Shows ``T_REC``, ``TELESCOP``, ``INSTRUME``, ``WAVELNTH`` and ``CAR_ROT`` (and any
    keyword the query asked for); ``.show()`` reveals every column. ``T_REC`` is an
    astropy `~astropy.time.Time` column in the series' time scale. Columns whose names
    start with ``_`` (record numbers, record names, storage paths) are never shown
    unless asked for with ``.show()``, but are always there to read.
    """

    Row = JSOCXRow

    #: The query blocks the rows came from (see `sunpy_jsocx.walker`).
    query_args = TableAttribute()
    #: Base URL of the server the rows came from; fetches go to the same server.
    server = TableAttribute()
    #: Export requests made for this table by `~sunpy_jsocx.JSOCXClient.request_data` or ``fetch``.
    requests = TableAttribute()
    #: Columns to show, in order (those absent are skipped); `DEFAULT_DISPLAY` when not set.
    display_columns = TableAttribute()

    # sunpy's display settings, derived from the table each time (see the module docstring).
    display_keys = _DisplaySetting(_shown_columns)
    hide_keys = _DisplaySetting(_hidden_columns)

    @property
    def recnums(self) -> list[int]:
        """Record numbers of the rows."""
        return [int(x) for x in self["_recnum"]] if "_recnum" in self.colnames else []

    def path_format_keys(self):
        keys = {c for c in self.colnames if not c.startswith(HIDDEN_PREFIX)}
        return keys | {"file", "series", "segment"}

    def summary(self, **kwargs) -> str:
        """
        What the table holds, in words, without a request.

        Record count, time span, cadence, gaps, flagged records, online and offline
        counts and the estimated download size; see `sunpy_jsocx.coverage.summary`.
        """
        from sunpy_jsocx import coverage

        return coverage.summary(self, **kwargs)

    def plot_coverage(self, ax=None, **kwargs):
        """
        Plot what the table covers in time, without a request; returns the Axes.

        One row per wavelength (or other prime key), a mark per record, gaps left
        blank, flagged records apart; see `sunpy_jsocx.coverage.plot_coverage`.
        """
        from sunpy_jsocx import coverage

        return coverage.plot_coverage(self, ax, **kwargs)

    def quicklook(self, rows=None, *, path=None, **kwargs):
        """
        Fetch a small image of a few chosen rows (at most 8), as cheaply as JSOC allows; returns the Figure.

        Online records' stored files come straight from JSOC's storage (no export, and the
        record cache keeps them for a later fetch); records that need an export anyway go
        into one ``jpg`` export binned at JSOC. See `sunpy_jsocx.quicklook.quicklook` for
        the options and what each way costs.
        """
        from sunpy_jsocx.quicklook import quicklook

        return quicklook(self, rows, path=path, **kwargs)


_FRACTION = re.compile(r":\d\d\.\d")


def _time_column(values: list[str], units: str):
    """JSOC time strings as a Time column in the keyword's scale (TAI for TAI units, else UTC)."""
    t = jsoctime.parse_times(values)
    tt = jsoctime.to_astropy(t)
    if units != "TAI":
        tt = tt.utc
    tt.format = "isot"
    tt.precision = 2 if any(_FRACTION.search(v) for v in values) else 0
    return tt


def _convert(values: list[str], typ: str):
    if typ in ("int", "short", "longlong"):
        try:
            if not any(v[:2].lower() == "0x" for v in values):
                return np.array(values, dtype=np.int64)  # numpy parses decimal strings in C
            return np.array([int(v, 16) if v.lower().startswith("0x") else int(v) for v in values], dtype=np.int64)
        except ValueError:
            return np.array(values, dtype=str)
    if typ in ("float", "double"):
        try:
            return np.array([float(v) for v in values], dtype=float)
        except ValueError:
            return np.array(values, dtype=str)
    return np.array(values, dtype=str)


def build_table(answer: dict, info, block_index: int, *, time_keys=("T_REC",)) -> dict[str, object]:
    """
    Columns for one block from a ``rs_list`` answer.

    Typed by the series' keyword types; time keywords become `~astropy.time.Time`
    columns; pseudo-keys and segment paths become hidden columns.
    """
    cols: dict[str, object] = {}
    n = int(answer.get("count", 0))
    for kw in answer.get("keywords", []):
        name, values = kw["name"], kw["values"]
        if name == "*recnum*":
            cols["_recnum"] = np.array([int(v) for v in values], dtype=np.int64)
            continue
        if name == "*online*":
            cols["_online"] = np.array([v == "Y" for v in values], dtype=bool)
            continue
        if name.startswith("*"):
            cols["_" + name.strip("*")] = np.array(values, dtype=str)
            continue
        k = info.keyword(name)
        if k is None:
            continue
        if k.type == "time":
            try:
                cols[name] = _time_column(values, info.time_units(name))
                continue
            except jsoctime.JSOCTimeError:
                pass
        cols[name] = _convert(values, k.type)
    for seg in answer.get("segments", []):
        cols[f"_seg_{seg['name']}"] = np.array(seg["values"], dtype=str)
    if "recinfo" in answer:
        cols["_record"] = np.array([r["name"] for r in answer["recinfo"]], dtype=str)
    cols["_block"] = np.full(n, block_index, dtype=np.int16)
    return cols
