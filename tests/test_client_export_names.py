"""
The client names its files as JSOC's exports name them, export-free or exported, from Python and
from the command line, held against names of real JSOC exports (tests/emulator/data/aia_export_names.json).

The ``image`` and ``spikes`` segments of the AIA level-1 series link to ``aia.lev1``; JSOC names
their files in the linked record (its segment ``image_lev1``, its T_REC: the T_OBS to the second),
so ``aia.lev1_euv_12s[2020.01.01_00:00:37_TAI]`` gives ``...2020-01-01T000007Z.304.image_lev1.fits``
and the six other channels each at its own second (sunpy_jsocx.linknames).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import pytest
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, cli, jsoctime
from sunpy_jsocx.emulator import JSOCEmulator
from sunpy_jsocx.emulator.catalog import load_catalog
from sunpy_jsocx.recordset import recordset_segments

EVIDENCE = json.loads((Path(__file__).parent / "emulator" / "data" / "aia_export_names.json").read_text())
EMAIL = "user@example.org"
_NAME = re.compile(r"^(?P<series>aia\.lev1_\w+?)\.(?P<time>\d{4}-\d\d-\d\dT\d{6}Z)\.(?P<wl>\d+)\."
                   r"(?P<segment>image_lev1|spikes)\.fits$")


@pytest.fixture(scope="module")
def emu():
    with JSOCEmulator(registered=[EMAIL]) as e, sunpy_jsocx.use_server(e.url):
        yield e


def _cli_fetch(capsys, emu, ds: str, path: Path, *extra: str) -> dict[str, bytes]:
    status = cli.main(["--server", emu.url, "fetch", ds, "--path", str(path), "--no-progress", *extra])
    _, err = capsys.readouterr()
    assert status == 0, err
    return {p.name: p.read_bytes() for p in path.iterdir() if not p.name.startswith(".")}


def _python_fetch(ds: str, path: Path, **kw) -> dict[str, bytes]:
    client = JSOCXClient()
    res = client.search(a.jsocx.RecordSet(ds), a.jsocx.Notify(EMAIL))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = client.fetch(res, path=str(path), progress=False, **kw)
    assert not files.errors
    return {Path(f).name: Path(f).read_bytes() for f in files}


def _slot_of(series: str, name_time: str) -> str:
    """The slot (T_REC) a name's time falls in: T_OBS - T_REC lies in [0, step) for every AIA channel."""
    m = load_catalog().get(series)
    t = jsoctime.parse_time(f"{name_time[:13]}:{name_time[13:15]}:{name_time[15:17]}Z")
    return jsoctime.format_time(m.epoch + math.floor((t - m.epoch) / m.step) * m.step, "TAI", 0)


@pytest.mark.parametrize("case", EVIDENCE["exports"], ids=lambda c: c["ds"])
def test_export_free_python_fetch_names_files_as_jsoc_exports_them(emu, tmp_path, case):
    emu.reset_stats()
    files = _python_fetch(case["ds"], tmp_path)
    assert emu.stats()["exports_created"] == 0  # online records: the client names the files itself
    assert sorted(n for n in files if ".image_lev1." in n) == sorted(case["names"])
    # spikes is linked too, and named the same way, unless the record set's own list leaves it out
    wanted = recordset_segments(case["ds"])
    spikes = [] if wanted is not None and "spikes" not in wanted else \
        [n.replace(".image_lev1.", ".spikes.") for n in case["names"]]
    assert sorted(n for n in files if ".spikes." in n) == sorted(spikes)


@pytest.mark.parametrize("case", EVIDENCE["exports"], ids=lambda c: c["ds"])
def test_exported_python_fetch_gives_the_same_files(emu, tmp_path, case):
    """A forced export (JSOC names the files) gives the files of the export-free fetch, byte for byte."""
    direct = _python_fetch(case["ds"], tmp_path / "direct")
    exported = _python_fetch(case["ds"], tmp_path / "export", force_export=True)
    assert sorted(n for n in exported if ".image_lev1." in n) == sorted(case["names"])
    assert direct == exported


@pytest.mark.parametrize("case", EVIDENCE["exports"], ids=lambda c: c["ds"])
def test_command_line_fetch_writes_the_python_fetchs_files(capsys, emu, tmp_path, case):
    cli_files = _cli_fetch(capsys, emu, case["ds"], tmp_path / "cli")
    assert sorted(n for n in cli_files if ".image_lev1." in n) == sorted(case["names"])
    py_files = _python_fetch(case["ds"], tmp_path / "py")
    assert {n: b for n, b in py_files.items() if n in cli_files} == cli_files


@pytest.mark.parametrize(("name", "source"), [tuple(n) for n in EVIDENCE["single_names"]["names"]],
                         ids=lambda v: v if v.startswith("aia.") else "")
def test_each_public_name_is_the_clients_name_of_its_record(capsys, emu, tmp_path, name, source):
    m = _NAME.match(name)
    assert m is not None, name
    segment = "image" if m["segment"] == "image_lev1" else m["segment"]
    ds = f"{m['series']}[{_slot_of(m['series'], m['time'])}][{m['wl']}]"
    # records before 2011 are offline in the emulator: JSOC's export names those files
    assert list(_cli_fetch(capsys, emu, ds, tmp_path, "--segment", segment, "--notify", EMAIL)) == [name]
