"""
Mirrors that can answer searches when JSOC cannot be reached.

One mirror is known: the DRMS server of the Leibniz-Institut für Sonnenphysik (KIS),
which ``drms`` knows as the server configuration ``"kis"``. Everything sunpy-jsocx
assumes about it comes from that configuration (drms 0.9.0, ``drms/config.py``)::

    ServerConfig(name="KIS", cgi_baseurl="http://drms.leibniz-kis.de/cgi-bin/",
                 cgi_show_series="show_series", cgi_jsoc_info="jsoc_info")

and from drms's tests against it (``drms/tests/test_kis_basic.py``: ``series``,
``info`` and ``query`` with keywords and segments work; ``email`` and ``export``
are not supported). So KIS has the series list (``show_series``, not JSOC's
``showextseries`` wrapper) and ``jsoc_info`` (``series_struct``, ``rs_summary``,
``rs_list``), under ``cgi-bin/`` rather than JSOC's ``cgi-bin/ajax/``; it has no
``jsoc_fetch`` (no exports) and no ``checkAddress.sh``, and drms's configuration
gives no download URL for its files. Nothing else about what KIS answers is
documented; sunpy-jsocx uses it for metadata only (series, their structure, and
searches) and says so whenever it does.

A mirror is used only when the user allows it (`sunpy_jsocx.use_mirror`,
``JSOCXClient(mirror=...)``, ``$JSOCX_MIRROR`` or ``--mirror`` on the command line)
and only after JSOC itself failed to answer (`~sunpy_jsocx.transport.JSOCUnreachable`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Layout", "JSOC_LAYOUT", "KIS_LAYOUT", "Mirror", "MIRRORS", "parse_mirror",
           "MIRROR_META", "no_data_message"]

#: The key of a result table's ``meta`` naming the mirror that answered it.
MIRROR_META = "jsocx_mirror"


@dataclass(frozen=True)
class Layout:
    """
    Where a DRMS server keeps its CGI programs, and which of them it has.

    Parameters
    ----------
    name
        Short name used in messages (``"JSOC"``, ``"KIS"``).
    cgi_path
        Path of the CGI directory below the server's base URL.
    series_cgi
        The series-list program: JSOC's ``showextseries`` wrapper, or plain ``show_series``.
    exports
        Whether the server has ``jsoc_fetch`` and ``checkAddress.sh`` (exports, address checks).
    downloads
        Whether record files can be downloaded from the server.
    """

    name: str
    cgi_path: str
    series_cgi: str
    exports: bool
    downloads: bool


#: JSOC itself (drms's ``"jsoc"`` configuration).
JSOC_LAYOUT = Layout("JSOC", "cgi-bin/ajax/", "showextseries", exports=True, downloads=True)
#: KIS (drms's ``"kis"`` configuration: ``show_series`` and ``jsoc_info`` only, under ``cgi-bin/``).
KIS_LAYOUT = Layout("KIS", "cgi-bin/", "show_series", exports=False, downloads=False)


@dataclass(frozen=True)
class Mirror:
    """
    A metadata mirror: a name, a base URL and its layout.

    Attributes
    ----------
    name : str
        ``"kis"``.
    url : str
        Base URL (with a trailing slash); the CGI programs are under ``url + layout.cgi_path``.
    layout : Layout
        Which programs it has.
    """

    name: str
    url: str
    layout: Layout

    @property
    def label(self) -> str:
        """``the KIS mirror at http://drms.leibniz-kis.de/``: how messages name it."""
        return f"the {self.layout.name} mirror at {self.url}"


#: Known mirrors by name; the URL is drms's ``cgi_baseurl`` without ``cgi-bin/``.
MIRRORS = {"kis": Mirror("kis", "http://drms.leibniz-kis.de/", KIS_LAYOUT)}

#: Values that switch the mirror off.
OFF = ("", "off", "none", "no", "0", "false")


def parse_mirror(value) -> Mirror | None:
    """
    The mirror a setting names, or None for ``"off"``.

    Parameters
    ----------
    value : str, Mirror or None
        ``"kis"`` (KIS at its real address); ``"kis=URL"`` (a server laid out as KIS
        is, such as the emulator playing KIS: `sunpy_jsocx.emulator.kis.KISEmulator`);
        ``"off"``; or a `Mirror`.

    Raises
    ------
    ValueError
        For anything else; the message lists what is valid.

    Examples
    --------
    >>> parse_mirror("kis").url
    'http://drms.leibniz-kis.de/'
    >>> parse_mirror("kis=http://127.0.0.1:8766").label
    'the KIS mirror at http://127.0.0.1:8766/'
    >>> parse_mirror("off") is None
    True
    """
    if value is None or isinstance(value, Mirror):
        return value
    if not isinstance(value, str):
        raise TypeError(f"a mirror is given as a string such as 'kis', not {type(value).__name__}")
    text = value.strip()
    if text.lower() in OFF:
        return None
    name, sep, url = text.partition("=")
    known = MIRRORS.get(name.strip().lower())
    if known is None:
        raise ValueError(f"unknown mirror {value!r}; valid: {', '.join(MIRRORS)} (JSOC's metadata mirror at KIS), "
                         f"'kis=URL' for a server laid out as KIS is, or 'off'")
    if not sep:
        return known
    from sunpy_jsocx.config import normalise_server

    return Mirror(known.name, normalise_server(url.strip()), known.layout)


def no_data_message(mirror_label: str, what: str = "fetch") -> str:
    """The one-sentence explanation of why a mirror-answered table cannot be fetched."""
    return (f"cannot {what}: this table was answered by {mirror_label} because JSOC could not be reached, "
            "and that mirror serves metadata only (no exports, no files: drms's server configuration for KIS "
            "has no jsoc_fetch and no download URL); search again when JSOC answers and fetch that table")
