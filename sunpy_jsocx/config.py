"""
Which JSOC server sunpy-jsocx talks to.

The real JSOC by default. In order of precedence: the ``server`` given to
`~sunpy_jsocx.JSOCXClient`, the most recent `use_server` still in force, the
``JSOCX_SERVER`` environment variable, then `DEFAULT_SERVER`.

`use_server` works both ways users write it::

    sunpy_jsocx.use_server("http://127.0.0.1:8080")   # from now on, until reset_server()
    with sunpy_jsocx.use_server("http://127.0.0.1:8080"):
        ...                                           # only inside the block

The setting is for the whole process (all threads see it, so the client's worker
threads and parfive's downloads go to the same server as the search that started them).

`use_mirror` allows a metadata mirror (``"kis"``, see `sunpy_jsocx.mirror`) to answer
searches when JSOC cannot be reached, the same two ways; ``JSOCX_MIRROR`` does it from
the environment, ``JSOCXClient(mirror=...)`` for one client. Without one of these no
mirror is ever asked.
"""

from __future__ import annotations

import os
import threading
from urllib.parse import urlparse

__all__ = ["DEFAULT_SERVER", "current_server", "use_server", "reset_server", "ServerSetting",
           "normalise_server", "use_mirror", "reset_mirror", "current_mirror", "MirrorSetting"]

#: The real JSOC.
DEFAULT_SERVER = "http://jsoc.stanford.edu/"

_lock = threading.Lock()
#: Settings in force, oldest first; the last one names the server.
_settings: list[ServerSetting] = []
#: Mirror settings in force, oldest first (see `use_mirror`).
_mirror_settings: list[MirrorSetting] = []


def normalise_server(url: str) -> str:
    """
    Check a server URL and give it the trailing slash URL joining needs.

    Examples
    --------
    >>> normalise_server("http://127.0.0.1:8080")
    'http://127.0.0.1:8080/'
    """
    if not isinstance(url, str):
        raise TypeError(f"a JSOC server URL must be a string such as 'http://127.0.0.1:8080/', not {url!r}")
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
    with _lock:
        if _settings:
            return _settings[-1].url
    env = os.environ.get("JSOCX_SERVER")
    if env:
        return normalise_server(env)
    return DEFAULT_SERVER


class ServerSetting:
    """
    A server chosen with `~sunpy_jsocx.use_server`: in force from its creation until it is undone.

    Leaving a ``with`` block on it, or calling `restore`, undoes it and, in the
    calling thread, any plain `~sunpy_jsocx.use_server` calls made since: the server in force
    before is back. Settings made by other threads in the meantime stay.

    Attributes
    ----------
    url : str
        The server, with a trailing slash.
    """

    #: The settings of this kind in force (servers here, mirrors in `MirrorSetting`).
    _registry = _settings

    def __init__(self, url: str):
        self.url = url
        self._thread = threading.get_ident()
        self._in_block = False
        self._active = True

    def __enter__(self) -> str:
        with _lock:
            if self not in self._registry:  # entered again after it was undone
                self._registry.append(self)
                self._thread = threading.get_ident()
            self._in_block = True
            self._active = True
        return self.url

    def __exit__(self, *exc) -> None:
        self.restore()
        self._in_block = False

    def restore(self) -> None:
        """Undo this setting (and the calling thread's plain settings made after it)."""
        with _lock:
            if self not in self._registry:
                self._active = False
                return
            i = self._registry.index(self)
            me = threading.get_ident()
            later = [s for s in self._registry[i + 1:] if s._thread == me and not s._in_block]
            for s in [self, *later]:
                self._registry.remove(s)
                s._active = False

    @property
    def active(self) -> bool:
        """Whether this setting is still in force (it may be shadowed by a newer one)."""
        return self._active

    def __repr__(self) -> str:
        state = "active" if self._active else "restored"
        return f"<sunpy_jsocx.use_server {self.url!r} ({state})>"


def use_server(url: str) -> ServerSetting:
    """
    Point every sunpy-jsocx query, export and download at ``url``.

    Works as a plain call (the server is used from now on, by every thread, until
    `~sunpy_jsocx.config.reset_server` or ``.restore()`` on the returned object) and as a ``with`` block
    (the server before the block is back when it ends, even after an error). Settings
    nest: the most recent one in force wins. A ``server`` given to
    `~sunpy_jsocx.JSOCXClient` takes precedence over all of them.

    Parameters
    ----------
    url : str
        Base URL of a JSOC server, ``http(s)://host[:port]/``.

    Returns
    -------
    `~sunpy_jsocx.config.ServerSetting`
        The setting, already in force; ``with`` on it gives ``url`` (with a trailing
        slash) and undoes it at the end of the block.

    Raises
    ------
    ValueError
        If ``url`` is not an http(s) URL with a host.

    Examples
    --------
    >>> from sunpy_jsocx import use_server
    >>> from sunpy_jsocx.config import current_server, reset_server
    >>> with use_server("http://127.0.0.1:8080"):
    ...     current_server()
    'http://127.0.0.1:8080/'
    >>> setting = use_server("http://127.0.0.1:8081")
    >>> current_server()
    'http://127.0.0.1:8081/'
    >>> setting.restore()   # or reset_server() to undo every plain call
    """
    setting = ServerSetting(normalise_server(url))
    with _lock:
        _settings.append(setting)
    return setting


def reset_server() -> None:
    """
    Undo every server set by a plain `~sunpy_jsocx.use_server` call, in every thread.

    ``with use_server(...)`` blocks still running keep their server until they end.
    Afterwards the server is that of the innermost running block, else
    ``$JSOCX_SERVER``, else `DEFAULT_SERVER`.

    Examples
    --------
    >>> from sunpy_jsocx import use_server
    >>> from sunpy_jsocx.config import current_server, reset_server
    >>> _ = use_server("http://127.0.0.1:8080")
    >>> reset_server()
    >>> current_server() != "http://127.0.0.1:8080/"
    True
    """
    with _lock:
        for s in [s for s in _settings if not s._in_block]:
            _settings.remove(s)
            s._active = False


# ---------------------------------------------------------------------- the mirror
class MirrorSetting(ServerSetting):
    """
    A mirror allowed with `~sunpy_jsocx.use_mirror`, undone like a `~sunpy_jsocx.config.ServerSetting`.

    Attributes
    ----------
    mirror : `~sunpy_jsocx.mirror.Mirror` or None
        The mirror (None: this setting forbids one, e.g. ``use_mirror("off")``).
    """

    _registry = _mirror_settings

    def __init__(self, mirror):
        super().__init__(mirror.url if mirror is not None else "off")
        self.mirror = mirror

    def __repr__(self) -> str:
        state = "active" if self._active else "restored"
        what = self.mirror.label if self.mirror is not None else "no mirror"
        return f"<sunpy_jsocx.use_mirror {what} ({state})>"


def use_mirror(mirror: str = "kis") -> MirrorSetting:
    """
    Let searches be answered by a metadata mirror when JSOC cannot be reached.

    A series list, a series' structure or a search that fails with
    `~sunpy_jsocx.transport.JSOCUnreachable` is then asked once of the mirror, with a
    warning naming it; the result table says it came from the mirror. The mirror
    serves metadata only: fetching such a table fails with a message saying so.
    Works as a plain call (until `reset_mirror` or ``.restore()``) and as a ``with``
    block, like `use_server`.

    Parameters
    ----------
    mirror : str
        ``"kis"`` (drms's ``kis`` server, http://drms.leibniz-kis.de/), ``"kis=URL"``
        for a server laid out as KIS is (the emulator playing KIS), or ``"off"``.

    Returns
    -------
    `~sunpy_jsocx.config.MirrorSetting`

    Examples
    --------
    >>> from sunpy_jsocx import use_mirror
    >>> from sunpy_jsocx.config import current_mirror
    >>> with use_mirror("kis"):
    ...     current_mirror().label
    'the KIS mirror at http://drms.leibniz-kis.de/'
    """
    from sunpy_jsocx.mirror import parse_mirror

    setting = MirrorSetting(parse_mirror(mirror))
    with _lock:
        _mirror_settings.append(setting)
    return setting


def reset_mirror() -> None:
    """Undo every mirror allowed by a plain `use_mirror` call (``with`` blocks keep theirs)."""
    with _lock:
        for s in [s for s in _mirror_settings if not s._in_block]:
            _mirror_settings.remove(s)
            s._active = False


_UNSET = object()


def current_mirror(explicit=_UNSET):
    """
    The mirror allowed now, or None.

    In order: ``explicit`` (a client's ``mirror=``; None means "not given"), the
    most recent `use_mirror` in force, ``$JSOCX_MIRROR``, else none.

    Examples
    --------
    >>> current_mirror("off") is None
    True
    """
    from sunpy_jsocx.mirror import parse_mirror

    if explicit is not _UNSET and explicit is not None:
        return parse_mirror(explicit)
    with _lock:
        if _mirror_settings:
            return _mirror_settings[-1].mirror
    env = os.environ.get("JSOCX_MIRROR")
    if env:
        try:
            return parse_mirror(env)
        except ValueError as e:
            raise ValueError(f"$JSOCX_MIRROR: {e}") from None
    return None
