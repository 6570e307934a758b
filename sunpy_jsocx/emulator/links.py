"""
Linked segments: what JSOC's exporter takes from the record a segment links to.

A segment with protocol ``link via <L>`` (``image`` and ``spikes`` of ``aia.lev1_euv_12s``,
``aia.lev1_uv_24s`` and ``aia.lev1_vis_1h``, all linking ``lev1`` to ``aia.lev1``) holds no file
of its own: its file is the segment of the record link ``L`` points to. JSOC's file-name
generator ``exputl_mk_expfilename`` (lm-jps/drms@37272932 base/export/libs/util/exputil.c)
then writes

* ``{segment}`` as the *target* segment's file name (``tgtseg->filename``), and
* a time keyword with a layout (``{T_REC:A}``) with the *target* record's value
  (``drms_getkey_string(tgtseg->record, ...)``),

while ``{seriesname}``, ``{recnum}`` and keywords without a layout come from the source record.
So a ``fits`` export of ``aia.lev1_euv_12s[2014-01-01T00:00:01Z][304]`` with drms's default
``aia.lev1_euv_12s.{T_REC:A}.{WAVELNTH}.{segment}`` is named
``aia.lev1_euv_12s.2014-01-01T000009Z.304.image_lev1.fits``: the T_REC of the ``aia.lev1``
record, whose T_REC is its T_OBS (00:00:08.57Z) slotted on a 1-s grid. Public names of real
exports and the derivation are kept in ``tests/emulator/data/aia_export_names.json``.

Everything here is read from the catalogue (links, segment protocols and files, the target's
slotting keywords), nothing is AIA-specific. Emulator inference, where the catalogue says nothing:

* ``series_struct`` does not say which target segment a link segment maps to (DRMS keeps it as
  ``target_seg``, lm-jps/drms drms_segment.c): the target segment is the one of the same name,
  else the one whose stored file is the source segment's file in the catalogue
  (``image`` -> ``image_lev1.fits`` -> ``image_lev1``).
* The target record of a DYNAMIC link is not listed either: its slotted time key is the source's
  linked observation time (the keyword linked as ``<L>-><KEY>``, else ``<L>->T_OBS``: aia.lev1's
  T_REC is described as "Slotted observation time") put into the target's slot by DRMS's
  ``CalcSlot`` (lm-jps/drms drms_keyword_priv.h): ``floor((t - epoch + round / 2) / step)`` for a
  ``ts_slot`` key with ``<KEY>_round``, ``floor((t - epoch + step / 2) / step)`` for ``ts_eq``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from sunpy_jsocx import jsoctime

__all__ = ["LinkedSegment", "linked_segment", "slot_values", "target_time_strings"]

_LINK_PROTOCOL = re.compile(r"^\s*link\s+via\s+(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class LinkedSegment:
    """
    Where a linked segment's file lives.

    Attributes
    ----------
    link : str
        The link's name in the source series (``lev1``).
    target : SeriesModel
        The series the link points to (``aia.lev1``).
    segment : str
        The target segment (``image_lev1``).
    """

    link: str
    target: object
    segment: str


def linked_segment(catalog, model, segment: str) -> LinkedSegment | None:
    """
    The target of ``segment`` of ``model`` if it is a linked segment, else None.

    None as well when the link, its target series or a matching target segment is not in the
    catalogue (the export then names the file as for an ordinary segment).
    """
    seg = model.segment(segment)
    if seg is None:
        return None
    m = _LINK_PROTOCOL.match(str(seg.get("protocol") or ""))
    if m is None:
        return None
    link = model.links_by_upper.get(m.group(1).upper())
    if link is None:
        return None
    target = catalog.get(link["target"])
    if target is None:
        return None
    same = target.segment(seg["name"])
    if same is not None:
        return LinkedSegment(link["name"], target, same["name"])
    stored = model.segment_file(seg["name"])
    for t in target.struct.get("segments", []):
        if target.segment_file(t["name"]) == stored:
            return LinkedSegment(link["name"], target, t["name"])
    return None


def _constant(target, name: str) -> str | None:
    kw = target.keyword(name)
    if kw is None:
        return None
    return target.constants.get(kw["name"], kw.get("defval"))


def slot_values(target, key: str, t) -> np.ndarray:
    """
    Internal times ``t`` put into the slots of time key ``key`` of series ``target``.

    DRMS's ``CalcSlot`` with the key's ``_epoch``, ``_step`` and (``ts_slot``) ``_round``
    keywords; the slot's value is ``epoch + slot * step``. A key that is not slotted keeps ``t``.
    """
    t = np.asarray(t, dtype=float)
    kw = target.keyword(key)
    scope = (kw or {}).get("recscope", "")
    try:
        step = float(_constant(target, f"{key}_step") or "nan")
        epoch = jsoctime.parse_time(_constant(target, f"{key}_epoch") or jsoctime.DRMS_EPOCH)
    except (ValueError, jsoctime.JSOCTimeError):
        return t
    if scope not in ("ts_slot", "ts_eq") or not math.isfinite(step) or step <= 0:
        return t
    if scope == "ts_slot":
        try:
            rounding = float(_constant(target, f"{key}_round") or 0.0)
        except ValueError:
            rounding = 0.0
    else:
        rounding = step
    return jsoctime.slot_start(t, epoch, step, rounding)


def target_time_strings(store, batch, ls: LinkedSegment, name: str) -> list[str] | None:
    """
    The target records' values of time keyword ``name``, as JSOC prints them, or None.

    The target's slotted time key comes from the source's linked observation time
    (`slot_values`); another target keyword linked into the source (``<L>-><name>``) is the
    source's value. None when the target has no such time keyword or the source links nothing
    to compute it from.
    """
    m, target = batch.model, ls.target
    tkw = target.keyword(name)
    if tkw is None or tkw.get("type") != "time":
        return None
    linked = {str(k.get("linkinfo") or "").upper(): k["name"] for k in m.keyword_defs if k.get("linkinfo")}
    direct = linked.get(f"{ls.link}->{tkw['name']}".upper())
    if direct is not None:
        return store.strings(batch, direct)
    if tkw.get("recscope") not in ("ts_slot", "ts_eq"):
        return None
    observed = linked.get(f"{ls.link}->T_OBS".upper())
    if observed is None:
        return None
    values = slot_values(target, tkw["name"], store.values(batch, observed))
    return jsoctime.format_times(values, target.time_units(tkw["name"]), 0)
