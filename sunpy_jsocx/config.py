"""
Which JSOC server sunpy-jsocx talks to.

The real JSOC by default. In order of precedence: the ``server`` given to
`~sunpy_jsocx.JSOCXClient`, the innermost `use_server` block, the
``JSOCX_SERVER`` environment variable, then `DEFAULT_SERVER`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

__all__ = ["DEFAULT_SERVER", "current_server", "use_server", "normalise_server"]

#: The real JSOC.
DEFAULT_SERVER = "http://jsoc.stanford.edu/"

_local = threading.local()
_global_stack: list[str] = []


def normalise_server(url: str) -> str:
    """
    Check a server URL and give it the trailing slash URL joining needs.

    Examples
    --------
    >>> normalise_server("http://127.0.0.1:8080")
    'http://127.0.0.1:8080/'
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{url!r} is not a JSOC server URL; expected http(s)://host[:port]/")
    return url if url.endswith("/") else url + "/"


def current_server(explicit: str | None = None) -> str:
    """
    The server to use now.

    Examples
    --------
    >>> current_server("http://127.0.0.1:9/")
    'http://127.0.0.1:9/'
    """
    if explicit:
        return normalise_server(explicit)
    if _global_stack:
        return _global_stack[-1]
    env = os.environ.get("JSOCX_SERVER")
    if env:
        return normalise_server(env)
    return DEFAULT_SERVER


@contextlib.contextmanager
def use_server(url: str) -> Iterator[str]:
    """
    Point every sunpy-jsocx query, export and download at ``url`` within the block.

    Examples
    --------
    >>> from sunpy_jsocx import use_server
    >>> from sunpy_jsocx.config import current_server
    >>> with use_server("http://127.0.0.1:8080"):
    ...     current_server()
    'http://127.0.0.1:8080/'
    """
    url = normalise_server(url)
    _global_stack.append(url)
    try:
        yield url
    finally:
        _global_stack.remove(url)
