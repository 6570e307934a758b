"""
A pytest plugin that runs drms's own JSOC online tests against the emulator.

Usage (what ``tests/emulator/test_drms_suite.py`` does)::

    JSOC_EMAIL=user@example.org python -m pytest --pyargs drms.tests \\
        -p sunpy_jsocx.emulator.drms_suite -m "(jsoc or remote_data) and not kis"

The plugin starts an emulator on loopback, points drms's ``"jsoc"`` server entry
at it, registers ``$JSOC_EMAIL`` with it, and tells drms's conftest that JSOC is
reachable (its own check opens jsoc.stanford.edu, which is not reachable here).
"""

from __future__ import annotations

import os
import sys

from sunpy_jsocx.emulator.redirect import redirect_drms
from sunpy_jsocx.emulator.server import DEFAULT_REGISTERED, JSOCEmulator

_state: dict = {}


def pytest_configure(config):
    for marker in ("jsoc: JSOC online tests", "kis: KIS online tests", "remote_data: needs a JSOC server"):
        config.addinivalue_line("markers", marker)
    email = os.environ.get("JSOC_EMAIL")
    registered = DEFAULT_REGISTERED + ((email,) if email else ())
    emu = JSOCEmulator(registered=registered).start()
    redirect = redirect_drms(emu.url)
    redirect.__enter__()
    _state.update(emulator=emu, redirect=redirect)


def pytest_collection_modifyitems(session, config, items):
    conftest = sys.modules.get("drms.tests.conftest")
    if conftest is not None and hasattr(conftest, "jsoc_reachable"):
        conftest.jsoc_reachable.result = True


def pytest_unconfigure(config):
    if "redirect" in _state:
        _state.pop("redirect").__exit__(None, None, None)
    if "emulator" in _state:
        _state.pop("emulator").stop()
