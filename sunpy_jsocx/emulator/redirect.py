"""
Point drms (and so sunpy's JSOCClient) at another JSOC server, such as the emulator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["drms_server_config", "redirect_drms"]


def drms_server_config(url: str, name: str = "JSOC"):
    """
    A `drms.ServerConfig` with JSOC's layout under the base ``url``.

    Parameters
    ----------
    url
        Base URL of the server, e.g. ``http://127.0.0.1:43511/``.
    name
        The configuration's name.
    """
    import drms

    base = url if url.endswith("/") else url + "/"
    return drms.ServerConfig(
        name=name,
        cgi_baseurl=base + "cgi-bin/ajax/",
        cgi_show_series="show_series",
        cgi_jsoc_info="jsoc_info",
        cgi_jsoc_fetch="jsoc_fetch",
        cgi_check_address="checkAddress.sh",
        cgi_show_series_wrapper="showextseries",
        show_series_wrapper_dbhost="hmidb2",
        http_download_baseurl=base,
    )


@contextlib.contextmanager
def redirect_drms(url: str) -> Iterator[None]:
    """
    Point drms's built-in ``"jsoc"`` server entry at ``url`` for the duration of the block.

    ``drms.Client()`` and sunpy's ``JSOCClient`` (which creates plain
    ``drms.Client()`` objects) then talk to that server. The previous entry is
    restored on exit. drms refuses to re-register a name, so the registry entry
    is replaced directly (jsoc-api.md §2).

    Examples
    --------
    >>> import drms
    >>> from sunpy_jsocx.emulator import JSOCEmulator, redirect_drms
    >>> with JSOCEmulator() as emu, redirect_drms(emu.url):
    ...     drms.Client().check_email("user@example.org")
    True
    """
    import drms.config

    configs = drms.config._server_configs
    previous = configs.get("jsoc")
    configs["jsoc"] = drms_server_config(url)
    try:
        yield
    finally:
        if previous is None:
            configs.pop("jsoc", None)
        else:
            configs["jsoc"] = previous
