"""
The search result table.

Every row carries its record's identity in hidden columns (``_recnum``, the
record name ``_record``, the query block ``_block``, whether the record is
``_online`` and its segment paths ``_seg_<name>``), and the table carries the
query blocks (``query_args``) and the server it came from. All of these
survive any indexing (int, slice, list, boolean mask, `Row`, Fido's
``res[i, ::2]``), so fetching any subset exports or downloads exactly the
selected records.
"""

from __future__ import annotations

import re

import numpy as np
from astropy.table import TableAttribute
from sunpy.net.base_client import QueryResponseTable

from sunpy_jsocx import jsoctime

__all__ = ["JSOCXResponse", "DEFAULT_DISPLAY", "build_table"]

#: Columns shown by default (the others stay in the table).
DEFAULT_DISPLAY = ("T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT")
HIDDEN_PREFIX = "_"


class JSOCXResponse(QueryResponseTable):
    """
    Records found at JSOC by `~sunpy_jsocx.JSOCXClient`.

    Shows ``T_REC``, ``TELESCOP``, ``INSTRUME``, ``WAVELNTH`` and ``CAR_ROT`` (and any
    keyword the query asked for); ``.show()`` reveals every column. ``T_REC`` is an
    astropy `~astropy.time.Time` column in the series' time scale.
    """

    #: The query blocks the rows came from (see `sunpy_jsocx.walker`).
    query_args = TableAttribute()
    #: Base URL of the server the rows came from; fetches go to the same server.
    server = TableAttribute()
    #: Export requests made for this table by `~sunpy_jsocx.JSOCXClient.request_data` or ``fetch``.
    requests = TableAttribute()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.hide_keys is None:
            self.hide_keys = [c for c in self.colnames if c.startswith(HIDDEN_PREFIX)]

    @property
    def recnums(self) -> list[int]:
        """Record numbers of the rows."""
        return [int(x) for x in self["_recnum"]] if "_recnum" in self.colnames else []

    def path_format_keys(self):
        keys = {c for c in self.colnames if not c.startswith(HIDDEN_PREFIX)}
        return keys | {"file", "series", "segment"}


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
