"""
Answer all the JSOC alternatives of one ``Fido.search`` together.

Fido puts a query into disjunctive normal form and hands each ``|`` alternative
to a new client instance, one after the other, so
``Fido.search(a.Time(...), a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))``
would cost one ``jsoc_info`` request per wavelength. JSOC answers both in one
record set (``aia.lev1_euv_12s[...][171,304]``), and sunpy gives clients no way to
see the other alternatives.

When `~sunpy_jsocx.JSOCXClient.search` is called by ``Fido.search``, `answer`
finds the query that ``Fido.search`` is working on (the ``query`` of the running
``UnifiedDownloaderFactory.search`` call, identified by its code object), takes
every alternative this client can handle, and searches them all at once with
`~sunpy_jsocx.JSOCXClient` merging: alternatives that differ only in one prime
key's values become one record set, the others run in parallel. Each
alternative still gets its own result table, with its own ``query_args`` and
exactly the rows a search of that alternative alone gives, so what Fido shows
and fetches does not change; only the number of requests does. The tables are
kept, per running ``Fido.search`` call, until Fido asks for the other
alternatives.

If the running ``Fido.search`` cannot be found (the client is called directly,
or a future sunpy works differently), each alternative is searched on its own,
with the same results. So is every alternative of a batch that fails, so that a
bad alternative fails alone, exactly as without batching (sunpy 8 turns a
client's error into an empty table with ``errors`` and keeps the other results).

This relies on how sunpy's Fido calls clients, which is not a public
interface; a hook in sunpy through which a client receives the whole query
would make it unnecessary.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from sunpy.net.attr import AttrAnd, AttrOr

if TYPE_CHECKING:
    from sunpy_jsocx.client import JSOCXClient
    from sunpy_jsocx.response import JSOCXResponse

__all__ = ["answer", "alternatives", "running_fido_search"]

#: How far up the stack to look for ``Fido.search`` (it is 3 frames up today).
_MAX_DEPTH = 12
#: Fido searches whose tables are kept (more than one only when searches run in several
#: threads, or a search failed in another client before taking all its tables).
_MAX_PENDING = 4

_lock = threading.Lock()
_pending: OrderedDict[int, _Pending] = OrderedDict()


def _fido_search_code():
    try:
        from sunpy.net.fido_factory import UnifiedDownloaderFactory
    except ImportError:  # pragma: no cover - sunpy[net] is a dependency
        return None
    return getattr(UnifiedDownloaderFactory.search, "__code__", None)


def running_fido_search(depth: int = 1) -> tuple[Any, Any] | None:
    """
    The frame and query of the ``Fido.search`` call that (indirectly) called the caller, or None.

    Parameters
    ----------
    depth : int
        Frames to skip above the caller before looking.
    """
    code = _fido_search_code()
    if code is None:
        return None
    frame = sys._getframe(depth + 1)
    for _ in range(_MAX_DEPTH):
        if frame is None:
            return None
        if frame.f_code is code:
            query = frame.f_locals.get("query")
            return None if query is None else (frame, query)
        frame = frame.f_back
    return None


def alternatives(query: Any) -> list[tuple]:
    """
    The AND-terms of a query in Fido's normal form, each as the attrs Fido passes to a client.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy.net import attr, attrs as a
    >>> from sunpy_jsocx.fidobatch import alternatives
    >>> query = attr.and_(a.Time("2014-01-01", "2014-01-02"), a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA))
    >>> [len(term) for term in alternatives(query)]
    [2, 2]
    """
    if isinstance(query, AttrOr):
        return [term for sub in query.attrs for term in alternatives(sub)]
    if isinstance(query, AttrAnd):
        return [tuple(query.attrs)]
    return [(query,)]


class _Pending:
    """The tables of one Fido search, computed at the first alternative and handed out one by one."""

    def __init__(self, search: Any, server: str, terms: list[tuple]):
        # The running Fido.search frame: one per call, even for the same query object, and
        # held so that its id stays unique while the entry lives.
        self.search = search
        self.server = server
        self.terms = terms
        self.tables: dict[int, JSOCXResponse] | None = None
        self.served: set[int] = set()
        self.failed = False
        self.lock = threading.Lock()


def _walk(term: tuple) -> list[dict] | None:
    """The query blocks of an alternative, or None if the walker refuses it (a contradiction)."""
    from sunpy.net import attr

    from sunpy_jsocx.walker import walker

    try:
        return walker.create(attr.and_(*term))
    except (ValueError, TypeError):
        return None


def _same_term(x: tuple, y: tuple) -> bool:
    return len(x) == len(y) and all(p is q for p, q in zip(x, y, strict=True))


def answer(client: JSOCXClient, query: tuple) -> JSOCXResponse | None:
    """
    This alternative's table, if the client is answering a ``Fido.search`` with more JSOC alternatives.

    Parameters
    ----------
    client : `~sunpy_jsocx.JSOCXClient`
        The client Fido made for this alternative.
    query : tuple of `~sunpy.net.attr.Attr`
        The attrs Fido passed to ``client.search``.

    Returns
    -------
    `~sunpy_jsocx.response.JSOCXResponse` or None
        None when there is nothing to batch: search this alternative alone.
    """
    running = running_fido_search(depth=1)
    if running is None:
        return None
    search, fido_query = running
    mine = [t for t in alternatives(fido_query) if client._can_handle_query(*t)]
    if len(mine) < 2 or not any(_same_term(t, query) for t in mine):
        return None
    server = client.server
    with _lock:
        entry = _pending.get(id(search))
        if entry is None or entry.search is not search or entry.server != server:
            _prune()
            entry = _Pending(search, server, mine)
            _pending[id(search)] = entry
            while len(_pending) > _MAX_PENDING:
                _pending.popitem(last=False)
    with entry.lock:
        index = next((i for i, t in enumerate(entry.terms) if i not in entry.served and _same_term(t, query)), None)
        if index is None:  # asked again for an alternative already answered: search it again
            return None
        entry.served.add(index)
        if len(entry.served) == len(entry.terms):
            _forget(entry)
        if entry.tables is None and not entry.failed:
            # An alternative the walker refuses is left out, to fail on its own turn as it
            # would without batching; the others are still answered together.
            walked = {i: _walk(t) for i, t in enumerate(entry.terms)}
            valid = [i for i, blocks in walked.items() if blocks is not None]
            if len(valid) < 2:
                entry.failed = True
            if index not in valid or entry.failed:
                return None
            try:
                tables = client._search_walked([walked[i] for i in valid])
            except Exception:
                # Let every alternative be searched alone, so that one bad alternative
                # fails alone, as without batching (sunpy 8 keeps the others' results).
                entry.failed = True
                return None
            entry.tables = dict(zip(valid, tables, strict=True))
        table = (entry.tables or {}).pop(index, None)
    if table is None:
        return None
    table.client = client
    return table


def _prune() -> None:
    """Drop the tables of Fido searches that have ended (say, failed in another client). Hold `_lock`."""
    running = set()
    for top in sys._current_frames().values():
        frame = top
        while frame is not None:
            running.add(id(frame))
            frame = frame.f_back
    for key in [k for k, e in _pending.items() if id(e.search) not in running]:
        _pending[key].search = None
        del _pending[key]


def _forget(entry: _Pending) -> None:
    with _lock:
        if _pending.get(id(entry.search)) is entry:
            del _pending[id(entry.search)]
        entry.search = None  # let the frame go


def pending() -> int:
    """How many Fido searches have tables waiting to be handed out (for tests)."""
    with _lock:
        return len(_pending)
