r"""
The emulator playing KIS: JSOC's metadata mirror at the Leibniz-Institut für Sonnenphysik.

What KIS serves is documented only by drms's server configuration ``"kis"``
(drms 0.9.0, ``drms/config.py``: ``cgi_baseurl="http://drms.leibniz-kis.de/cgi-bin/"``,
``cgi_show_series="show_series"``, ``cgi_jsoc_info="jsoc_info"``; no ``jsoc_fetch``, no
``checkAddress.sh``, no ``showextseries``, no download URL) and drms's tests against it
(``drms/tests/test_kis_basic.py``: series lists, ``info`` and ``query`` work, ``email``
and ``export`` are not supported). The emulator playing KIS therefore serves the same
catalogue and records as the JSOC emulator, but only

* ``/cgi-bin/show_series`` and ``/cgi-bin/jsoc_info`` (GET and POST), answered exactly as
  the JSOC emulator answers ``/cgi-bin/ajax/show_series`` and ``/cgi-bin/ajax/jsoc_info``;

and answers everything else the way a web server without those programs would: HTTP
404 for ``/cgi-bin/jsoc_fetch`` (no exports), ``/cgi-bin/checkAddress.sh``,
``/cgi-bin/showextseries``, JSOC's ``/cgi-bin/ajax/...`` layout, and every file path
(no downloads). The emulator's own ``/emulator/stats`` stays; refused requests are
counted there as ``refused`` (``refused:jsoc_fetch`` and so on).

Use `KISEmulator` from Python, or ``python -m sunpy_jsocx.emulator.kis`` (the
emulator's options) from a shell. `as_kis` turns any emulator application into KIS's;
``make_kis_app(cfg)`` is `~sunpy_jsocx.emulator.server.make_app` for KIS.

Examples
--------
>>> import urllib.request
>>> from sunpy_jsocx.emulator.kis import KISEmulator
>>> from sunpy_jsocx.mirror import parse_mirror
>>> from sunpy_jsocx.transport import mirror_connection
>>> with KISEmulator() as kis:
...     print(mirror_connection(parse_mirror("kis=" + kis.url)).series(r"hmi\.m_45s$"))
...     try:
...         urllib.request.urlopen(kis.url + "cgi-bin/jsoc_fetch?op=exp_status&requestid=JSOC_20140101_001")
...     except urllib.error.HTTPError as e:
...         print(e.code)
['hmi.M_45s']
404
"""

from __future__ import annotations

import re
import sys

from aiohttp import web

from sunpy_jsocx.emulator.server import STATE_KEY, EmulatorConfig, JSOCEmulator, make_app, serve_until_stopped

__all__ = ["KIS_CGIS", "PLAYS", "as_kis", "make_kis_app", "KISEmulator", "main"]

#: The CGI programs drms's ``kis`` configuration names (under ``/cgi-bin/``).
KIS_CGIS = ("show_series", "jsoc_info")
#: The servers the emulator can play.
PLAYS = ("jsoc", "kis")
_MARK = web.AppKey("jsocx_plays_kis", bool)
_CGI = re.compile(r"^/cgi-bin/([^/]+)$")


def as_kis(app: web.Application) -> web.Application:
    """
    Make an emulator application (not yet started) answer with KIS's layout.

    Adds one middleware, the innermost, so that the emulator's latency and faults
    apply as before: ``/cgi-bin/show_series`` and ``/cgi-bin/jsoc_info`` go to the
    handlers of ``/cgi-bin/ajax/show_series`` and ``/cgi-bin/ajax/jsoc_info``, and any
    other path but ``/`` and ``/emulator/...`` is answered 404. Calling it twice is harmless.

    Parameters
    ----------
    app
        What `~sunpy_jsocx.emulator.server.make_app` returned.

    Returns
    -------
    aiohttp.web.Application
        The same application.
    """
    if app.get(_MARK):
        return app
    handlers = {}
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource is not None else ""
        for name in KIS_CGIS:
            if canonical == f"/cgi-bin/ajax/{name}" and route.method in ("GET", "POST"):
                handlers[(name, route.method)] = route.handler
    if len(handlers) != 2 * len(KIS_CGIS):
        raise RuntimeError(f"the emulator application has no GET and POST handlers for {', '.join(KIS_CGIS)} "
                           "under /cgi-bin/ajax/; cannot play KIS")
    state = app[STATE_KEY]

    @web.middleware
    async def kis_layout(request: web.Request, handler):
        path = request.path
        if path == "/" or path.startswith("/emulator/"):
            return await handler(request)
        m = _CGI.match(path)
        method = "GET" if request.method == "HEAD" else request.method
        if m and (m.group(1), method) in handlers:
            return await handlers[(m.group(1), method)](request)
        state.count("refused", m.group(1) if m else "file")
        return web.Response(status=404, text="Not Found")

    app.middlewares.append(kis_layout)
    app[_MARK] = True
    return app


def make_kis_app(cfg: EmulatorConfig) -> web.Application:
    """The aiohttp application of the emulator playing KIS (`as_kis` of `make_app`)."""
    return as_kis(make_app(cfg))


class KISEmulator(JSOCEmulator):
    """
    The emulator playing KIS, serving HTTP on a loopback port from a background thread.

    Takes the arguments of `~sunpy_jsocx.emulator.JSOCEmulator`. Its ``url`` is the
    base URL (the CGIs are under ``url + "cgi-bin/"``); a client reaches it as a mirror
    with ``use_mirror("kis=" + url)``.
    """

    def _make_app(self) -> web.Application:
        return as_kis(make_app(self.config))


def main(argv=None) -> int:
    """``python -m sunpy_jsocx.emulator.kis [options]``: the emulator's command line, playing KIS."""
    from sunpy_jsocx.emulator import __main__ as cli

    parser = cli.build_parser()
    parser.prog = "python -m sunpy_jsocx.emulator.kis"
    parser.description = ("Run the offline JSOC emulator playing KIS, JSOC's metadata mirror: show_series "
                          "and jsoc_info under /cgi-bin/, no exports, no files.")
    args = parser.parse_args(argv)
    problem = cli._check(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    emu = KISEmulator(host=args.host, port=args.port, **cli.config_from_args(args))
    return serve_until_stopped(emu, args.host, args.port)

if __name__ == "__main__":
    sys.exit(main())
