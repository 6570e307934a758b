"""
Shared fixtures: an emulator on loopback with a clock the tests control.

Nothing here reaches beyond 127.0.0.1. Tests that need the real JSOC carry
``@pytest.mark.remote_data`` and are skipped unless ``--remote-data=any`` is given.
"""

from __future__ import annotations

import os
import tempfile
import time

import pytest

from sunpy_jsocx.emulator import JSOCEmulator, redirect_drms

REGISTERED = "user@example.org"

# Tests count the requests they cause: no series metadata from an earlier run's disk cache
# (set before any test, so subprocesses inherit it too).
os.environ["JSOCX_CACHE_TTL"] = "0"
# ... nor record files from the record cache (tests of the cache switch it on themselves).
os.environ["JSOCX_RECORD_CACHE"] = "0"
# ... and the per-address export queues live in this run's own folder, not the user's cache
# (each emulator is a server of its own, so every test would leave a lock file there).
_LOCKS = tempfile.TemporaryDirectory(prefix="jsocx-test-locks-")
os.environ["JSOCX_EXPORT_LOCKS"] = _LOCKS.name


def pytest_addoption(parser):
    try:
        parser.addoption("--remote-data", default="none", choices=["none", "any"],
                         help="run tests that need the real JSOC ('any')")
    except ValueError:  # pytest-remotedata is installed and owns the option
        pass


def pytest_collection_modifyitems(config, items):
    if config.getoption("--remote-data", default="none") == "any":
        return
    skip = pytest.mark.skip(reason="needs the real JSOC; run with --remote-data=any")
    for item in items:
        if "remote_data" in item.keywords:
            item.add_marker(skip)


class FakeClock:
    """A clock for the emulator that only moves when a test says so."""

    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start
        self.start = self.now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _new_process_connections():
    """
    Each test meets its servers as a new process would. The client keeps one connection per
    server URL per process, with that server's series metadata; an emulator that the OS gave
    the port of an earlier test's emulator would otherwise be answered from the earlier
    one's metadata, and a test counting ``series_struct`` requests fails or passes by order.
    """
    yield
    from sunpy_jsocx import transport

    with transport._lock:
        transport._connections.clear()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def emulator():
    """A shared emulator with no delays and no faults."""
    with JSOCEmulator() as emu:
        yield emu


@pytest.fixture
def drms_client(emulator):
    import drms

    with redirect_drms(emulator.url):
        yield drms.Client()


@pytest.fixture
def staged_emulator(clock):
    """An emulator whose exports take 30 s of the fake clock to stage."""
    with JSOCEmulator(staging_delay=30.0, clock=clock) as emu:
        yield emu


@pytest.fixture
def collect_loops():
    """parfive (used by Fido and sunpy's JSOCClient) leaves its event loops open; collect them
    in the main thread after the test, before another thread's garbage collection trips on them."""
    yield
    import gc

    gc.collect()


def _second_header_cards(raw: bytes) -> list[str]:
    """The 80-character cards (without END and blanks) of a FITS file's second header."""
    headers, cards = [], []
    for i in range(0, len(raw), 80):
        card = raw[i:i + 80].decode("ascii", errors="replace")
        if card.startswith("END "):
            headers.append([c for c in cards if c.strip()])
            cards = []
            if len(headers) == 2:
                return headers[1]
            continue
        cards.append(card)
    raise AssertionError("no second header")


@pytest.fixture
def header_cards():
    """Reads the raw cards of the second header (the primary HDU of our files has no data)."""
    return _second_header_cards
