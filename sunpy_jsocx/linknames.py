"""
File names of linked segments, as JSOC's exporter writes them.

Some segments hold no file of their own: ``image`` and ``spikes`` of ``aia.lev1_euv_12s``
(and ``aia.lev1_uv_24s``, ``aia.lev1_vis_1h``) have protocol ``link via lev1``, and their files
are the ``image_lev1`` and ``spikes`` segments of the linked ``aia.lev1`` record. JSOC's
file-name generator (``exputl_mk_expfilename``, lm-jps/drms@37272932
base/export/libs/util/exputil.c) names such a file in the *linked* record: ``{segment}`` is the
linked segment's stored file, and a time keyword with a layout (drms's ``{T_REC:A}``) is the
linked record's value. aia.lev1's ``T_REC`` is its ``T_OBS`` slotted on a 1-s grid
(``T_REC_round`` 1), so a real export is named
``aia.lev1_euv_12s.2014-01-01T000009Z.304.image_lev1.fits`` for the record
``aia.lev1_euv_12s[2014-01-01T00:00:01Z][304]`` (T_OBS 00:00:08.57Z). Public names of real
exports: ``tests/emulator/data/aia_export_names.json``.

The client names its export-free files the same way: the linked series' ``series_struct``
gives the slotting (one metadata request per linked series, cached like any other), and the
source record's linked observation time (``T_OBS``, linked as ``lev1->T_OBS``) comes with the
record's keywords.
"""

from __future__ import annotations

import math
import re

from sunpy_jsocx import jsoctime

__all__ = ["linked_segments", "observation_keyword", "target_segment", "target_times"]

_LINK_PROTOCOL = re.compile(r"^\s*link\s+via\s+(\S+)\s*$", re.IGNORECASE)


def linked_segments(info) -> dict:
    """
    The segments of series ``info`` whose protocol is ``link via <L>``, each with its link.

    Returns
    -------
    dict
        Segment name -> `~sunpy_jsocx.seriesinfo.LinkInfo` (only links the series lists).

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> info = SeriesInfo.from_struct("x.y", {"primekeys": [], "keywords": [],
    ...     "segments": [{"name": "image", "protocol": "link via lev1"}, {"name": "own", "protocol": "fits"}],
    ...     "links": [{"name": "lev1", "target": "x.lev1", "kind": "DYNAMIC"}]})
    >>> {s: link.target for s, link in linked_segments(info).items()}
    {'image': 'x.lev1'}
    """
    links = {link.name.lower(): link for link in info.links}
    out = {}
    for seg in info.segments:
        m = _LINK_PROTOCOL.match(seg.protocol or "")
        if m is not None and m.group(1).lower() in links:
            out[seg.name] = links[m.group(1).lower()]
    return out


def observation_keyword(info, link) -> str | None:
    """The keyword of ``info`` linked to the target's ``T_OBS`` (``linkinfo`` ``<link>->T_OBS``), or None."""
    wanted = f"{link.name}->T_OBS".lower()
    for k in info.keywords.values():
        if (k.linkinfo or "").replace(" ", "").lower() == wanted:
            return k.name
    return None


def target_segment(segment: str, source, target) -> str:
    """
    The segment of the linked series a linked ``segment`` is (``image`` -> ``image_lev1``).

    ``series_struct`` does not list it (DRMS keeps it as ``target_seg``): the target segment of
    the same name, else the one target segment whose name starts with ``segment`` and that no
    other source segment names; else ``segment`` itself.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> src = SeriesInfo.from_struct("a", {"primekeys": [], "keywords": [],
    ...     "segments": [{"name": "image"}, {"name": "spikes"}]})
    >>> tgt = SeriesInfo.from_struct("b", {"primekeys": [], "keywords": [],
    ...     "segments": [{"name": "image_lev1"}, {"name": "spikes"}]})
    >>> target_segment("image", src, tgt), target_segment("spikes", src, tgt)
    ('image_lev1', 'spikes')
    """
    names = [s.name for s in target.segments]
    same = [n for n in names if n.lower() == segment.lower()]
    if same:
        return same[0]
    taken = {s.name.lower() for s in source.segments}
    candidates = [n for n in names if n.lower().startswith(segment.lower()) and n.lower() not in taken]
    return candidates[0] if len(candidates) == 1 else segment


def _defval(info, name: str) -> str | None:
    k = info.find_keyword(name)
    return None if k is None else k.defval


def target_times(target, observed: str) -> dict[str, str]:
    """
    The linked record's time prime keys, as JSOC prints them, from its observation time.

    Each slotted time prime key of ``target`` (``aia.lev1``'s ``T_REC``: ``ts_slot``, step 1 s,
    ``T_REC_round`` 1) takes DRMS's slot of ``observed`` (``CalcSlot``, lm-jps/drms
    drms_keyword_priv.h: ``floor((t - epoch + round / 2) / step)``, ``round`` the step for a
    ``ts_eq`` key), printed in the key's units with no decimals.

    Parameters
    ----------
    target : `~sunpy_jsocx.seriesinfo.SeriesInfo`
        The linked series.
    observed : str
        The observation time (``T_OBS``) as JSOC printed it.

    Returns
    -------
    dict
        Key name -> value; empty when ``observed`` is not a time or no key is slotted.

    Examples
    --------
    >>> from sunpy_jsocx.seriesinfo import SeriesInfo
    >>> lev1 = SeriesInfo.from_struct("aia.lev1", {"primekeys": ["T_REC", "FSN"],
    ...     "primekeysinfo": [{"name": "T_REC", "slotted": 1, "step": "1.000000"}, {"name": "FSN", "slotted": 0}],
    ...     "keywords": [{"name": "T_REC", "type": "time", "recscope": "ts_slot", "units": "ISO"},
    ...                  {"name": "T_REC_step", "type": "double", "defval": "1.000000", "units": "second"},
    ...                  {"name": "T_REC_epoch", "type": "time", "defval": "1977.01.01_00:00:00_TAI"},
    ...                  {"name": "T_REC_round", "type": "int", "defval": "1"},
    ...                  {"name": "FSN", "type": "int"}]})
    >>> target_times(lev1, "2014-01-01T00:00:08.57Z")
    {'T_REC': '2014-01-01T00:00:09Z'}
    """
    try:
        t = jsoctime.parse_time(observed)
    except (ValueError, TypeError):
        return {}
    if not math.isfinite(t):
        return {}
    out = {}
    for key in target.time_keys:
        step = target.slotted.get(key)
        kw = target.keyword(key)
        if step is None or step <= 0 or kw.recscope not in ("ts_slot", "ts_eq"):
            continue
        try:
            epoch = jsoctime.parse_time(_defval(target, f"{key}_epoch") or jsoctime.DRMS_EPOCH)
            rounding = float(_defval(target, f"{key}_round") or 0.0) if kw.recscope == "ts_slot" else step
        except ValueError:
            continue
        value = float(jsoctime.slot_start(t, epoch, step, rounding))
        out[key] = jsoctime.format_time(value, target.time_units(key), 0)
    return out
