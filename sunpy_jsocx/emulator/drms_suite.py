"""
A pytest plugin that runs drms's own JSOC online tests against the emulator.

Usage (what ``tests/emulator/test_clients_unchanged.py`` does, through `suite_command`)::

    JSOC_EMAIL=user@example.org python -m pytest --pyargs drms.tests \\
        -p sunpy_jsocx.emulator.drms_suite -m "(jsoc or remote_data) and not kis"

The plugin starts an emulator on loopback, points drms's ``"jsoc"`` server entry
at it, registers ``$JSOC_EMAIL`` with it, and tells drms's conftest that JSOC is
reachable (its own check opens jsoc.stanford.edu, which is not reachable here).

drms marks its online tests ``remote_data``. Where a plugin such as pytest-remotedata
adds a ``--remote-data`` option (and skips those tests unless it is given), this plugin
sets it to ``any`` unless the command line chose a value itself: the emulator *is* the
remote server here, so the same command works with and without such a plugin installed.
"""

from __future__ import annotations

import os
import sys

from sunpy_jsocx.emulator.redirect import redirect_drms
from sunpy_jsocx.emulator.server import DEFAULT_REGISTERED, JSOCEmulator

__all__ = ["MARKERS", "suite_command"]

#: The drms tests that talk to JSOC (its KIS tests need another server).
MARKERS = "(jsoc or remote_data) and not kis"

_state: dict = {}


def suite_command(rootdir, *extra: str, python: str | None = None) -> list[str]:
    """
    The command line that runs drms's JSOC online tests against a fresh emulator.

    Parameters
    ----------
    rootdir : str or os.PathLike
        pytest's root directory (and best also the working directory): somewhere
        without a pytest configuration file, so no project options leak in.
    *extra : str
        More pytest arguments, such as ``-k`` or ``-p`` options.
    python : str, optional
        The interpreter; defaults to `sys.executable`.

    Returns
    -------
    list of str
        The argument vector, for `subprocess.run`.
    """
    return [python or sys.executable, "-m", "pytest", "--pyargs", "drms.tests", "-p", __name__,
            "-m", MARKERS, "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", os.fspath(rootdir),
            "-W", "ignore::DeprecationWarning", *extra]


def _remote_data_given(config) -> bool:
    """Whether the command line itself set ``--remote-data`` (in any spelling)."""
    return any(arg == "--remote-data" or arg.startswith("--remote-data=") for arg in config.invocation_params.args)


def pytest_configure(config):
    for marker in ("jsoc: JSOC online tests", "kis: KIS online tests", "remote_data: needs a JSOC server"):
        config.addinivalue_line("markers", marker)
    # pytest-remotedata (or any plugin owning --remote-data) skips drms's remote_data tests
    # unless told otherwise; its skip is decided per test from this option, so setting it here works.
    if getattr(config.option, "remote_data", None) == "none" and not _remote_data_given(config):
        config.option.remote_data = "any"
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
