"""
The same stories against the real JSOC. Skipped by default (no machine here reaches JSOC);
run with ``--remote-data=any`` and ``JSOC_EMAIL`` set to a registered address.
"""

from __future__ import annotations

import os

import astropy.units as u
import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient
from sunpy_jsocx.config import DEFAULT_SERVER

pytestmark = pytest.mark.remote_data


@pytest.fixture
def real_jsoc():
    with sunpy_jsocx.use_server(DEFAULT_SERVER):
        yield


def test_discover_on_jsoc(real_jsoc):
    c = JSOCXClient()
    assert c.primekeys("hmi.m_45s") == ["T_REC", "CAMERA"]
    assert "hmi.B_720s" in c.series(r"hmi\.b_720s$")
    assert "magnetogram" in list(c.segments("hmi.M_45s")["name"])


def test_seed_search_and_slice_fetch_on_jsoc(real_jsoc, tmp_path):
    res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"),
                      a.jsocx.Notify(os.environ.get("JSOC_EMAIL", "")),
                      a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    assert [len(b) for b in res] == [3, 3]
    files = Fido.fetch(res[1, ::2], path=str(tmp_path / "{file}"), progress=False)
    assert not files.errors
    assert len(files) == 2 * len(res[1].query_args[0]["segments"])  # two rows, each segment
