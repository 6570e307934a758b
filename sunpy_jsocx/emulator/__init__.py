"""
A faithful offline emulator of the Stanford JSOC's public web API.

The emulator is a real HTTP server (aiohttp) on the loopback interface that
``drms``, sunpy's ``JSOCClient`` and `sunpy_jsocx.JSOCXClient` talk to unchanged:
series listings, ``jsoc_info`` (``series_struct``, ``rs_summary``, ``rs_list``),
``checkAddress.sh``, ``jsoc_fetch`` exports with JSOC's status machine, and SUMS
file downloads. Records are generated deterministically for any time range.

Examples
--------
>>> from sunpy_jsocx.emulator import JSOCEmulator, redirect_drms
>>> import drms
>>> with JSOCEmulator() as emu, redirect_drms(emu.url):
...     drms.Client().pkeys("hmi.m_45s")
['T_REC', 'CAMERA']
"""

from sunpy_jsocx.emulator.redirect import drms_server_config, redirect_drms

__all__ = ["JSOCEmulator", "EmulatorConfig", "redirect_drms", "drms_server_config", "DEFAULT_REGISTERED"]


def __getattr__(name):
    # The server (and aiohttp) load only when used, so that importing the
    # emulator package (e.g. for `redirect_drms`) stays cheap.
    if name in ("JSOCEmulator", "EmulatorConfig", "DEFAULT_REGISTERED"):
        from sunpy_jsocx.emulator import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
