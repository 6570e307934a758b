"""
Failures found by running third-party example scripts against the emulator.

drms's ``examples/``, sunpy's JSOC gallery examples and aiapy's examples were run
unchanged (server, e-mail address and plotting backend aside); each test here pins
one emulator fault that stopped one of them, with the script named.
"""

from __future__ import annotations

from helpers import download, rs_list, values


def test_synoptic_record_has_positive_recnum_and_its_file_downloads(emulator):
    # drms examples/plot_synoptic_mr.py lists hmi.synoptic_mr_720s[2150] with segment
    # synopMr and reads the file at the returned SUMS path. The series has no time
    # prime key (CAR_ROT only); its record numbers and storage units were negative and
    # the emulator's own file server answered 404 for the path it had just listed.
    d = rs_list(emulator, "hmi.synoptic_mr_720s[2150]", key="*recnum*,*sunum*,CAR_ROT", seg="synopMr")
    assert d["status"] == 0 and d["count"] == 1
    assert int(values(d, "*recnum*")[0]) > 0
    assert int(values(d, "*sunum*")[0]) > 0
    path = d["segments"][0]["values"][0]
    assert "/D-" not in path
    with download(emulator, path) as r:
        assert r.status == 200
        assert r.read(6) == b"SIMPLE"

