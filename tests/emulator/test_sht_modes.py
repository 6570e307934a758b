"""
hmi.V_sht_modes: the global-mode parameters drms's examples/plot_hmi_modes.py plots.

The emulator refused the series ("lists but does not emulate"). Its structure now comes
from JSOC's public keyword list, its record grid from drms's docs and examples and public
scripts (see tools/build_catalog.py), and its mode tables from a physical model whose
layout is the public one (sunpy_jsocx/emulator/modes.py).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from helpers import download, info, rs_list, values

QUERY = "hmi.v_sht_modes[2024.09.19_00:00:00_TAI]"  # drms examples/plot_hmi_modes.py


def _table(emulator, segment: str, ds: str = QUERY) -> tuple[np.ndarray, bytes]:
    d = rs_list(emulator, ds, key="T_START", seg=segment)
    assert d["status"] == 0 and d["count"] == 1, d
    raw = download(emulator, d["segments"][0]["values"][0]).read()
    return np.genfromtxt(io.BytesIO(raw)), raw


def test_series_struct_is_jsocs_keyword_list(emulator):
    # JSOC's keyword list (sun.stanford.edu/~baldner/test/Series/hmi.V_sht_modes.txt) and
    # drms's tutorial: client.pkeys('hmi.v_sht_modes') -> ['T_START', 'LMIN', 'LMAX', 'NDT'].
    s = info(emulator, op="series_struct", ds="hmi.v_sht_modes")
    assert s["status"] == 0
    assert s["primekeys"] == ["T_START", "LMIN", "LMAX", "NDT"]
    assert s["dbindex"] == ["T_START_index", "LMIN", "LMAX", "NDT"]
    assert s["note"] == "mode parameters from jpkbgn"
    names = [k["name"] for k in s["keywords"]]
    assert names[:8] == ["T_START", "T_START_step", "T_START_unit", "T_START_epoch", "T_START_round",
                         "LMIN", "LMAX", "NDT"]
    assert "NACOEFF" not in names and "RLSPARAM" not in names  # hmi.V_sht_2drls's, not this series'
    assert {"T_STOP", "T_OBS", "CALVER64", "WAVELNTH"} <= set(names)
    segs = {x["name"]: (x["protocol"], x["note"]) for x in s["segments"]}
    assert segs == {f"m{n}": ("generic", f"{n} a-coeffient fits") for n in (6, 18, 36)}
    assert [(x["name"], x["target"], x["kind"]) for x in s["links"]] == [
        ("HISTORY", "hmi.globalhs_history", "STATIC")]


def test_drms_pkeys(drms_client):
    assert drms_client.pkeys("hmi.v_sht_modes") == ["T_START", "LMIN", "LMAX", "NDT"]


def test_record_of_the_drms_example(emulator):
    d = rs_list(emulator, QUERY, key="T_START,T_STOP,LMIN,LMAX,NDT", seg="m6")
    assert d["status"] == 0 and d["count"] == 1
    assert values(d, "T_START") == ["2024.09.19_00:00:00_TAI"]
    assert values(d, "T_STOP") == ["2024.11.30_00:00:00_TAI"]  # 72 days later
    assert values(d, "LMIN") == ["0"]
    assert values(d, "LMAX") == ["300"]
    assert values(d, "NDT") == ["138240"]  # 72 d of 45 s
    assert d["segments"][0]["values"][0].endswith("/m10qr.6")


def test_record_is_updated_after_its_series_ends(emulator):
    # DATE, "time the record was last updated": a fit of the 72-day series cannot predate its end
    # (it was 3 days after T_START before).
    d = rs_list(emulator, QUERY, key="T_STOP,DATE")
    assert values(d, "DATE")[0] > "2024-11-30"


@pytest.mark.parametrize("ds", [
    "hmi.v_sht_modes[2014.06.20_00:00:00_TAI]",  # older drms example: 21 x 72 days after 2010.04.30
    "hmi.V_sht_modes[2014.06.20_00:00:00_TAI][0][300][138240]",  # public script's full prime-key form
    "hmi.v_sht_modes[2010.04.30_00:00:00_TAI]",  # the first record
])
def test_records_on_the_72_day_grid(emulator, ds):
    d = rs_list(emulator, ds, key="T_START,NDT")
    assert d["status"] == 0 and d["count"] == 1
    assert values(d, "T_START") == [ds.split("[")[1].rstrip("]")]


@pytest.mark.parametrize("ds", [
    "hmi.v_sht_modes[2024.09.20_00:00:00_TAI]",  # a day after a record start
    "hmi.v_sht_modes[2024.10.25_00:00:00_TAI]",  # inside the 72 days, but no record starts then
    "hmi.v_sht_modes[2024.09.19_00:00:00_TAI][0][200]",  # LMAX 200 is not fitted
])
def test_records_off_the_grid_are_absent(emulator, ds):
    d = rs_list(emulator, ds, key="T_START")
    assert d["status"] == 0 and d["count"] == 0


def test_a_record_exists_only_once_its_72_days_are_over(clock):
    # JSOC fits a 72-day series of modes after the 72 days; at 2024-10-21 the record of
    # 2024.09.19 (to 2024.11.30, made on its DATE 2024.12.14) is not there yet, and the
    # newest is the one before it.
    from datetime import UTC, datetime

    from sunpy_jsocx.emulator import JSOCEmulator

    clock.now = datetime(2024, 10, 21, tzinfo=UTC).timestamp()
    with JSOCEmulator(clock=clock) as emu:
        assert rs_list(emu, QUERY, key="T_START")["count"] == 0
        newest = rs_list(emu, "hmi.v_sht_modes[$]", key="T_START,T_STOP")
        assert values(newest, "T_START") == ["2024.07.09_00:00:00_TAI"]
        assert values(newest, "T_STOP") == ["2024.09.19_00:00:00_TAI"]
        clock.now = datetime(2024, 12, 13, tzinfo=UTC).timestamp()  # before its DATE: still not
        assert rs_list(emu, QUERY, key="T_START")["count"] == 0
        clock.now = datetime(2024, 12, 16, tzinfo=UTC).timestamp()  # its DATE and a day: now it is
        assert rs_list(emu, QUERY, key="T_START")["count"] == 1


def test_m6_table_reads_as_the_drms_example_reads_it(emulator):
    a, _ = _table(emulator, "m6")
    assert a.ndim == 2 and a.shape[1] == 24  # 12 + 2 x 6: the example's "tan(gamma) present" layout
    ell, n, nu, sig = a[:, 0], a[:, 1], a[:, 2], a[:, 7]
    assert np.all(ell == np.round(ell)) and np.all(n == np.round(n))
    assert ell.min() == 0 and ell.max() == 300 and n.min() >= 0
    assert nu.min() > 800 and nu.max() < 5000  # microhertz: the plot's 0.8-4.5 mHz
    for degree in np.unique(ell):  # frequency rises with the radial order at every degree
        at = ell == degree
        order = np.argsort(n[at])
        assert np.all(np.diff(nu[at][order]) > 0), degree
    assert np.all(sig > 0) and sig.max() < 3.0  # the example plots nu +/- 1000 sigma
    low, high = (nu > 1500) & (nu < 2500), (nu > 3500) & (nu < 4500)
    assert np.median(sig[high]) > 3 * np.median(sig[low])  # errors grow with frequency (widths do)


def test_tables_with_18_and_36_coefficients(emulator):
    for segment, ncols in (("m18", 48), ("m36", 84)):
        a, _ = _table(emulator, segment)
        assert a.shape[1] == ncols
        # a_k needs k <= 2 l; the format writes 0 (also as its error) where it is not determined
        ncoeff = (ncols - 12) // 2
        row = a[(a[:, 0] == 1)][0]  # l = 1: a1 and a2 only
        assert np.all(row[12:14] != 0) and np.all(row[12 + ncoeff:14 + ncoeff] > 0)
        assert np.all(row[14:12 + ncoeff] == 0) and np.all(row[14 + ncoeff:] == 0)
        assert 400 < np.median(a[a[:, 0] > 20, 12]) < 480  # a1 with 31.7 nHz added: about 440 nHz


def test_frequencies_look_like_solar_p_modes(emulator):
    a, _ = _table(emulator, "m6")
    ell, n, nu = a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2]
    radial = {k: v for k, m, v in zip(n, ell, nu) if m == 0}
    spacing = [radial[k + 1] - radial[k] for k in radial if k + 1 in radial]
    assert 130 < np.median(spacing) < 140  # the large separation, about 135 microhertz
    # The Duvall law a public script checks HMI's table with: (n + 1.5) / (2 nu) is one
    # function of nu / (l + 1/2) for all p modes (n >= 1).
    p = n >= 1
    x = np.log(nu[p] / (ell[p] + 0.5))
    y = np.log((n[p] + 1.5) / (2 * nu[p]))
    fit = np.polyval(np.polyfit(x, y, 5), x)
    assert np.percentile(np.abs(y - fit), 95) < 0.08  # a naive sqrt(L n) model: 0.15
    # f mode: omega^2 = g k, nu = 99.9 sqrt(l + 1/2) microhertz at the solar surface gravity
    f = n == 0
    assert f.sum() > 100
    assert np.allclose(nu[f], 99.9 * np.sqrt(ell[f] + 0.5), rtol=0.01)


def test_tables_are_stable_per_record_and_differ_between_records(emulator):
    _, first = _table(emulator, "m6")
    _, again = _table(emulator, "m6")
    _, other = _table(emulator, "m6", "hmi.v_sht_modes[2014.06.20_00:00:00_TAI]")
    assert first == again
    assert first != other


def test_frequencies_rise_with_solar_activity(emulator):
    # p-mode frequencies follow the activity cycle (a few tenths of a microhertz at 3 mHz between
    # minimum and maximum); the tables differed by noise only. 2014.06.20 is near cycle 24's
    # maximum, 2019.10.16 (48 x 72 days after 2010.04.30) near its minimum.
    high, _ = _table(emulator, "m6", "hmi.v_sht_modes[2014.06.20_00:00:00_TAI]")
    low, _ = _table(emulator, "m6", "hmi.v_sht_modes[2019.10.16_00:00:00_TAI]")
    a = {(int(r[0]), int(r[1])): r[2] for r in high}
    b = {(int(r[0]), int(r[1])): r[2] for r in low}
    common = [k for k in a if k in b and 2800 < a[k] < 3500 and k[0] <= 150]
    shift = np.median([a[k] - b[k] for k in common])
    assert 0.1 < shift < 1.0, shift


def test_plot_hmi_modes_query_through_drms(drms_client):
    # The calls of drms's examples/plot_hmi_modes.py, up to the URL it reads.
    result, filenames = drms_client.query(QUERY, key=["T_START", "T_STOP", "LMIN", "LMAX", "NDT"], seg="m6")
    assert len(result) == 1
    row = result.iloc[0]
    assert (row.T_START, row.T_STOP, int(row.LMIN), int(row.LMAX), int(row.NDT)) == (
        "2024.09.19_00:00:00_TAI", "2024.11.30_00:00:00_TAI", 0, 300, 138240)
    assert filenames["m6"][0].startswith("/SUM")
