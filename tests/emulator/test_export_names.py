"""
The emulator names ``fits`` export files as JSOC does, held against names of real JSOC exports.

The names and the facts behind them are in ``data/aia_export_names.json``: for a linked segment
(``image`` and ``spikes`` of the AIA level-1 series link to ``aia.lev1``) JSOC's
``exputl_mk_expfilename`` takes ``{segment}`` and a time keyword with a layout from the linked
record, so drms's default ``aia.lev1_euv_12s.{T_REC:A}.{WAVELNTH}.{segment}`` gives
``...2020-01-01T000007Z.304.image_lev1.fits``: aia.lev1's segment, and its T_REC (the T_OBS on a
1-s grid), one time per channel within one 12-s slot.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from helpers import fetch, rs_list, values

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.catalog import load_catalog

EVIDENCE = json.loads((Path(__file__).parent / "data" / "aia_export_names.json").read_text())
_NAME = re.compile(r"^(?P<series>aia\.lev1_\w+?)\.(?P<time>\d{4}-\d\d-\d\dT\d{6}Z)\.(?P<wl>\d+)\."
                   r"(?P<segment>image_lev1|spikes)\.fits$")


def _export_names(emu, ds: str, filenamefmt: str) -> list[str]:
    r = fetch(emu, op="exp_request", ds=ds, notify="test@example.org", method="url", protocol="fits",
              filenamefmt=filenamefmt, requester="test")
    assert r["status"] in (1, 2), r
    s = fetch(emu, op="exp_status", requestid=r["requestid"])
    assert s["status"] == "0" or s["status"] == 0, s
    return [f["filename"] for f in s["data"]]


def _parse_name_time(text: str) -> float:
    """``2020-01-01T000007Z`` -> internal seconds."""
    return jsoctime.parse_time(f"{text[:13]}:{text[13:15]}:{text[15:17]}Z")


def _slot_of(series: str, name_time: str) -> str:
    """The slot (T_REC) a name's time falls in: T_OBS - T_REC lies in [0, step) for every AIA channel."""
    m = load_catalog().get(series)
    t = _parse_name_time(name_time)
    return jsoctime.format_time(m.epoch + math.floor((t - m.epoch) / m.step) * m.step, "TAI", 0)


@pytest.mark.parametrize("case", EVIDENCE["exports"], ids=lambda c: c["ds"])
def test_exports_are_named_as_the_real_ones(emulator, case):
    """A search's files, one per channel, carry each channel's own second and aia.lev1's segment name."""
    names = _export_names(emulator, case["ds"], case["filenamefmt"])
    images = sorted(n for n in names if ".image_lev1." in n)
    assert images == sorted(case["names"])
    assert values(rs_list(emulator, case["ds"]), "T_REC")[0] == case["slot"]


@pytest.mark.parametrize(("name", "source"), [tuple(n) for n in EVIDENCE["single_names"]["names"]],
                         ids=lambda v: v if v.startswith("aia.") else "")
def test_each_public_name_is_the_emulators_name_of_its_slot(emulator, name, source):
    m = _NAME.match(name)
    assert m is not None, name
    series = m["series"]
    segment = "image" if m["segment"] == "image_lev1" else m["segment"]
    ds = f"{series}[{_slot_of(series, m['time'])}][{m['wl']}]{{{segment}}}"
    names = _export_names(emulator, ds, f"{series}.{{T_REC:A}}.{{WAVELNTH}}.{{segment}}")
    assert names == [name]


def test_names_follow_the_linked_records_t_obs(emulator):
    """The time in a name is T_OBS on aia.lev1's 1-s grid (DRMS CalcSlot, T_REC_round 1), for every record."""
    ds = "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI/2m][304,171]{image}"
    d = rs_list(emulator, ds, key="T_OBS,WAVELNTH,*recnum*")
    expected = []
    for t_obs, wl in zip(values(d, "T_OBS"), values(d, "WAVELNTH")):
        second = math.floor(jsoctime.parse_time(t_obs) + 0.5)
        expected.append(f"aia.lev1_euv_12s.{jsoctime.format_time(second, 'ISO', 0).replace(':', '')}.{wl}"
                        ".image_lev1.fits")
    assert _export_names(emulator, ds, "aia.lev1_euv_12s.{T_REC:A}.{WAVELNTH}.{segment}") == expected


def test_keywords_without_a_layout_and_recnum_stay_the_source_records(emulator):
    """exputil.c: only a time keyword *with* a layout is read from the linked record."""
    ds = "aia.lev1_euv_12s[2014.01.01_00:00:35_TAI][304]{image}"
    recnum = values(rs_list(emulator, ds, key="*recnum*"), "*recnum*")[0]
    assert _export_names(emulator, ds, "{seriesname}.{recnum:%d}.{T_REC}.{segment}") == [
        f"aia.lev1_euv_12s.{recnum}.2014-01-01T00_00_01Z.image_lev1.fits"]

