"""
The demo (issue 8, point 16): sunpy comparison polls sensibly, shows sunpy's warning, logs once.

The demo passed ``sleep=0`` to sunpy's ``Fido.fetch``; sunpy 8 uses it as the polling
interval (3,918 status polls in 2 s). It switched off every warning, hiding sunpy's own
"sliced results download everything" warning it means to show, and each sunpy log line
appeared twice because drms calls ``logging.basicConfig()``.
"""

from __future__ import annotations

import io
import logging
import time
import warnings

import pytest
from sunpy import log
from sunpy.util.exceptions import SunpyUserWarning

from sunpy_jsocx import demo
from sunpy_jsocx.emulator import JSOCEmulator


class FakeTime:
    """Stands in for the ``time`` module of sunpy's JSOC client and drms: sleeping moves a fake clock."""

    def __init__(self, clock):
        self.clock = clock
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.clock()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def fake_time(clock, monkeypatch):
    import drms.client
    import sunpy.net.jsoc.jsoc

    fake = FakeTime(clock)
    monkeypatch.setattr(sunpy.net.jsoc.jsoc, "time", fake)
    monkeypatch.setattr(drms.client, "time", fake)
    return fake


def test_comparison_polls_at_a_sensible_interval_and_shows_sunpys_warning(clock, fake_time, tmp_path,
                                                                          collect_loops):
    with JSOCEmulator(staging_delay=2.0, clock=clock, image_size=16) as emu:
        with demo._quiet_noise(), demo._log_once(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            files, cost = demo.compare_with_sunpy(emu, tmp_path)
        polls = emu.stats()["requests"].get("jsoc_fetch:exp_status", 0)
    assert len(files) == 6
    assert "exports created 1" in cost
    # Every wait is a real pause (sunpy 7: sleep/2 then drms's 5 s; sunpy 8: sleep between polls).
    assert fake_time.sleeps, "sunpy never waited for the export"
    assert min(fake_time.sleeps) >= 1.0, fake_time.sleeps
    assert 1 <= polls <= 4, polls
    sliced = [w for w in caught if issubclass(w.category, SunpyUserWarning) and "sliced" in str(w.message)]
    assert len(sliced) == 1


def test_demo_silences_only_its_noise():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with demo._quiet_noise():
            warnings.warn("unclosed event loop <_UnixSelectorEventLoop>", ResourceWarning, stacklevel=1)
            warnings.warn("Closing the loop <_UnixSelectorEventLoop> on interpreter shutdown", ResourceWarning,
                          stacklevel=1)
            warnings.warn("Downloading of sliced JSOC results is not supported.", SunpyUserWarning, stacklevel=1)
            warnings.warn("unclosed file <_io.BufferedReader>", ResourceWarning, stacklevel=1)
            warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == [
        "Downloading of sliced JSOC results is not supported.",
        "unclosed file <_io.BufferedReader>",
        "something else",
    ]


def test_log_lines_print_once_with_a_root_handler_like_drms_installs(capsys):
    root_stream = io.StringIO()
    handler = logging.StreamHandler(root_stream)  # what logging.basicConfig() in drms adds
    logging.getLogger().addHandler(handler)
    try:
        with demo._log_once():
            log.warning("inside the demo")
        log.warning("after the demo")
    finally:
        logging.getLogger().removeHandler(handler)
    printed = capsys.readouterr()
    assert (printed.out + printed.err).count("inside the demo") == 1  # by sunpy's own handler
    assert "inside the demo" not in root_stream.getvalue()
    # Outside the demo, sunpy's logger is as it was (its records reach the root again).
    assert "after the demo" in root_stream.getvalue()


def test_the_interval_also_paces_sunpy_8s_polling(clock, fake_time, drms_client_factory):
    """sunpy 8.0.1's JSOCClient.fetch calls ``response.wait(sleep=sleep, ...)`` (sunpy/net/jsoc/jsoc.py)."""
    emu, client = drms_client_factory
    request = client.export("aia.lev1_euv_12s[2014-01-01T00:00:00Z/30s][171]", method="url", protocol="fits",
                            email="user@example.org")
    emu.reset_stats()
    fake_time.sleep(demo.SUNPY_POLL_SECONDS / 2)  # as sunpy does first
    assert request.wait(sleep=demo.SUNPY_POLL_SECONDS, timeout=None, retries_notfound=5)
    polls = emu.stats()["requests"].get("jsoc_fetch:exp_status", 0)
    assert 1 <= polls <= 3, polls
    assert min(fake_time.sleeps) >= 1.0


@pytest.fixture
def drms_client_factory(clock):
    import drms

    from sunpy_jsocx.emulator import redirect_drms

    with JSOCEmulator(staging_delay=2.0, clock=clock) as emu, redirect_drms(emu.url):
        yield emu, drms.Client()
