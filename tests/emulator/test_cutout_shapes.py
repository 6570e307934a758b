"""
Cutouts (``im_patch``) of one request share one shape at every image size.

sunpy's gallery example "Requesting cutouts of AIA images from the JSOC" stacks the cutouts of
one request into a sequence, which needs one shape; the emulator used to cut each record's box
from its own fractional pointing, so at small image sizes shapes differed by a pixel.
"""

from __future__ import annotations

import io

import pytest
from astropy.io import fits
from helpers import download, fetch

from sunpy_jsocx.emulator import JSOCEmulator

EMAIL = "user@example.org"
DS = "aia.lev1_euv_12s[2014.01.01_00:00:00_TAI/3m][171]{image}"
PATCH = ("0|im_patch,t_ref=2014-01-01T00:00:00,t=0,r=0,c=0,locunits=arcsec,boxunits=arcsec,"
         "x=-175,y=50,width=650,height=650")


def _shapes(emu, process):
    d = fetch(emu, op="exp_request", format="json", ds=DS, notify=EMAIL, method="url", protocol="fits",
              **{"process=n": process})
    assert d["status"] == 2, d
    s = fetch(emu, op="exp_status", requestid=d["requestid"])
    shapes = []
    for item in s["data"]:
        raw = download(emu, f"{s['dir']}/{item['filename']}").read()
        with fits.open(io.BytesIO(raw)) as hdul:
            shapes.append(next(h.data.shape for h in hdul if h.data is not None))
    return shapes


@pytest.mark.parametrize("size", [32, 48, 64, 100, 128, 256])
def test_cutouts_of_one_request_share_one_shape(size):
    with JSOCEmulator(image_size=size) as emu:
        shapes = _shapes(emu, PATCH)
    assert len(shapes) == 15
    assert len(set(shapes)) == 1, shapes
    # 650 arcsec at AIA's 0.6 arcsec/pixel of a 4096 image, rescaled to the served size
    expected = round(650 / (0.600109 * 4096 / size))
    assert abs(shapes[0][0] - expected) <= 1 and abs(shapes[0][1] - expected) <= 1
