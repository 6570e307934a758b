"""SHARP keywords served by the emulator follow the HARP's life (needs records.py's _sharp hook)."""

from __future__ import annotations

import numpy as np

from sunpy_jsocx import jsoctime
from sunpy_jsocx.emulator.catalog import load_catalog
from sunpy_jsocx.emulator.records import RecordStore

NOW = jsoctime.parse_time("2025.06.01_00:00:00_TAI")


def test_a_harps_usflux_is_smooth_and_wcs_is_a_patch():
    store = RecordStore(load_catalog(), seed=3, offline_before=0.0, now=lambda: NOW)
    (b,) = store.resolve("hmi.sharp_cea_720s[3604]")  # the recorded 1223-record life
    flux = store.values(b, "USFLUX")
    assert flux.min() > 1e19 and flux.max() > 1e21
    assert np.median(np.abs(np.diff(flux)) / flux[:-1]) < 0.02  # uniform 0..100 noise: ~0.5
    assert np.argmax(flux) not in (0, flux.size - 1)
    width = store.values(b, "CDELT1") * store.image_size
    assert np.all((width >= 3.0) & (width <= 40.0))  # a patch, not 2000 degrees
    (c,) = store.resolve("hmi.sharp_720s[3604][2014.01.12_00:00:00_TAI]")
    assert abs(float(store.values(c, "CRVAL1")[0])) == 0.0
    assert store.values(c, "NPIX").dtype.kind == "i"
