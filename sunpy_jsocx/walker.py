"""
Turn a Fido query (a tree of attrs joined by ``&`` and ``|``) into query blocks.

``walker.create(query)`` returns a list of *query blocks*, one per record set
JSOC will be asked for. The query is first put into disjunctive normal form
(each ``|`` alternative of the tree becomes one AND-term), each AND-term becomes
one block, and `merge_blocks` then folds alternatives that differ only in the
values of one prime key (``a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA)``)
back into one block with a value list.

Block format
------------
A block is a plain dict; everything in it is JSON-serialisable except astropy
`~astropy.time.Time` and `~astropy.units.Quantity` values::

    {"series": "aia.lev1_euv_12s",     # as the user wrote it; case is resolved against SeriesInfo
     "time": (start, end) or None,      # a.Time: astropy Time objects, scale as given
     "sample": 600.0 or None,           # a.Sample / a.jsocx.Sample, seconds
     "primekeys": {"WAVELNTH": [171, 304]},   # upper-cased key -> list of values (any of them)
     "segments": ["image"],             # [] = all segments
     "keywords": [("QUALITY", "==", 0), ("EXPTIME", ">", 1)],  # all apply
     "notify": "user@example.org" or None,
     "protocol": "fits" | "as-is" | None,
     "method": "url" | "url-tar" | "url_quick" | None,
     "cutout": {...im_patch parameters...} or None,
     "recordset": "hmi.M_45s[$]" or None}      # a.jsocx.RecordSet, raw

Prime-key values are numbers, strings, astropy ``Time`` or ``Quantity``, or
`~sunpy_jsocx.recordset.PKRange` ``(lo, hi)`` for an inclusive range (a tuple, so JSON gives
``[lo, hi]``). ``a.Wavelength`` becomes ``WAVELNTH`` values in Å, ints when
integral; a wavelength range (``wavemin != wavemax``) becomes
``PKRange(lo, hi)``. ``a.Sample`` applies to the time range, whether from
``a.Time`` or a time ``PrimeKey`` (`~sunpy_jsocx.recordset.build_recordset`
decides which, knowing the series).

`~sunpy_jsocx.recordset.build_recordset` turns a block into a record set.

Contradictions in one AND-term raise `ValueError`: two different series, a
time given twice, ``a.Time`` together with a time-valued ``PrimeKey``,
``a.Wavelength`` together with ``PrimeKey("WAVELNTH", ...)``, one prime key
with two different values, two different ``Notify``/``Protocol``/``Method``/
``Sample``/``Cutout`` values, ``Sample`` <= 0, a ``RecordSet`` combined with
record filters, and a bare ``Keyword`` without a comparison.

Examples
--------
>>> import astropy.units as u
>>> from sunpy.net import attrs as a
>>> from sunpy_jsocx import attrs as jsocx
>>> from sunpy_jsocx.walker import walker
>>> query = (a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30") & jsocx.Series("aia.lev1_euv_12s")
...          & (a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA)))
>>> blocks = walker.create(query)
>>> len(blocks), blocks[0]["series"], blocks[0]["primekeys"]
(1, 'aia.lev1_euv_12s', {'WAVELNTH': [171, 304]})
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any, Final

import astropy.units as u
import numpy as np
from astropy.time import Time
from sunpy.net import attrs as a
from sunpy.net.attr import AttrAnd, AttrOr, AttrWalker, DataAttr

from sunpy_jsocx import attrs as jsocx
from sunpy_jsocx.recordset import MAX_SECONDS, PKRange, check_time_range

__all__ = [
    "REQUIRED_ATTRS",
    "SUPPORTED_ATTRS",
    "PKRange",
    "can_handle_query",
    "empty_block",
    "merge_blocks",
    "merge_groups",
    "same_values",
    "walker",
]

#: The attr classes the walker handles (subclasses included).
SUPPORTED_ATTRS: Final[frozenset[type]] = frozenset(
    {
        a.Time,
        a.Wavelength,
        a.Sample,
        jsocx.Series,
        jsocx.Segment,
        jsocx.PrimeKey,
        jsocx.Notify,
        jsocx.Sample,
        jsocx.Keyword,
        jsocx.KeywordComparison,
        jsocx.Protocol,
        jsocx.Method,
        jsocx.Cutout,
        jsocx.RecordSet,
    }
)

#: Attrs a query must have (a series). A `~sunpy_jsocx.attrs.RecordSet` names its
#: own series and counts as one; `can_handle_query` implements this rule, so a
#: client should use it rather than test the classes itself.
REQUIRED_ATTRS: Final[frozenset[type]] = frozenset({jsocx.Series})

# Attrs that stand in for a required attr.
_SATISFIES: Final = {jsocx.Series: (jsocx.Series, jsocx.RecordSet)}


def can_handle_query(*query: Any) -> bool:
    """
    Whether an AND-term of a Fido query is one the JSOC client can run.

    Every attr must be of a `SUPPORTED_ATTRS` class (or a subclass), and each
    of `REQUIRED_ATTRS` must be present, where a
    `~sunpy_jsocx.attrs.RecordSet` counts as a `~sunpy_jsocx.attrs.Series`.

    Parameters
    ----------
    *query : `~sunpy.net.attr.Attr`
        The attrs of one AND-term, as Fido passes them to ``_can_handle_query``.

    Returns
    -------
    bool

    Examples
    --------
    >>> from sunpy.net import attrs as a
    >>> from sunpy_jsocx import attrs as jsocx
    >>> from sunpy_jsocx.walker import can_handle_query
    >>> can_handle_query(a.Time("2014-01-01", "2014-01-02"), jsocx.Series("hmi.M_45s"))
    True
    >>> can_handle_query(jsocx.RecordSet("hmi.M_45s[$]"))
    True
    >>> can_handle_query(a.Time("2014-01-01", "2014-01-02"), a.Instrument("AIA"))
    False
    """
    supported = tuple(SUPPORTED_ATTRS)
    if not all(isinstance(attr, supported) for attr in query):
        return False
    return all(
        any(isinstance(attr, _SATISFIES.get(required, (required,))) for attr in query) for required in REQUIRED_ATTRS
    )


def empty_block() -> dict[str, Any]:
    """
    A query block with nothing selected.

    Returns
    -------
    dict

    Examples
    --------
    >>> from sunpy_jsocx.walker import empty_block
    >>> sorted(empty_block())  # doctest: +NORMALIZE_WHITESPACE
    ['cutout', 'keywords', 'method', 'notify', 'primekeys', 'protocol', 'recordset', 'sample',
     'segments', 'series', 'time']
    """
    return {
        "series": None,
        "time": None,
        "sample": None,
        "primekeys": {},
        "segments": [],
        "keywords": [],
        "notify": None,
        "protocol": None,
        "method": None,
        "cutout": None,
        "recordset": None,
    }


# ---------------------------------------------------------------------------
# Comparing values (astropy objects do not compare to a single bool)
# ---------------------------------------------------------------------------


def _same(x: Any, y: Any) -> bool:
    """Whether two block values are equal, for Time, Quantity and containers too."""
    if isinstance(x, Time) or isinstance(y, Time):
        if not (isinstance(x, Time) and isinstance(y, Time)) or x.shape != y.shape:
            return False
        return bool(np.all(x == y))
    if isinstance(x, u.Quantity) or isinstance(y, u.Quantity):
        if not (isinstance(x, u.Quantity) and isinstance(y, u.Quantity)):
            return False
        try:
            return bool(np.all(x == y))
        except u.UnitsError:
            return False
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return (
            isinstance(x, PKRange) == isinstance(y, PKRange)
            and len(x) == len(y)
            and all(_same(p, q) for p, q in zip(x, y, strict=True))
        )
    if isinstance(x, str) != isinstance(y, str):
        return False
    return bool(x == y)


def same_values(x: Sequence[Any], y: Sequence[Any]) -> bool:
    """Whether two prime-key value lists hold the same values, in any order (Time and Quantity too)."""
    return all(any(_same(p, q) for q in y) for p in x) and all(any(_same(p, q) for p in x) for q in y)


_same_values = same_values


def _sort_key(value: Any) -> tuple:
    if isinstance(value, PKRange):
        return (5, _sort_key(value.lo), _sort_key(value.hi))
    if isinstance(value, bool):
        return (9, repr(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, float(value))
    if isinstance(value, u.Quantity):
        return (1, str(value.si.unit), float(value.si.value))
    if isinstance(value, Time):
        tai = value.tai
        return (2, float(tai.jd1), float(tai.jd2))
    if isinstance(value, str):
        return (3, value)
    return (9, repr(value))


def _union(x: Sequence[Any], y: Sequence[Any]) -> list[Any]:
    merged: list[Any] = []
    for value in [*x, *y]:
        if not any(_same(value, kept) for kept in merged):
            merged.append(value)
    try:
        return sorted(merged, key=_sort_key)
    except TypeError:
        return merged


# ---------------------------------------------------------------------------
# Merging OR branches
# ---------------------------------------------------------------------------


def _merge_pair(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any] | None:
    """The merge of two blocks, or None if they cannot be merged."""
    for key in set(x) | set(y):
        if key == "primekeys":
            continue
        xv, yv = x.get(key), y.get(key)
        if key == "series" and isinstance(xv, str) and isinstance(yv, str):
            if xv.lower() != yv.lower():
                return None
        elif key == "segments":
            if not _same_values(xv or [], yv or []):
                return None
        elif key == "keywords":
            if not _same_values([tuple(k) for k in xv or []], [tuple(k) for k in yv or []]):
                return None
        elif not _same(xv, yv):
            return None
    xp, yp = x.get("primekeys") or {}, y.get("primekeys") or {}
    if xp.keys() != yp.keys():
        return None
    differing = [key for key in xp if not _same_values(xp[key], yp[key])]
    if len(differing) > 1:
        return None
    merged = copy.copy(x)
    merged["primekeys"] = dict(xp)
    for key in differing:
        merged["primekeys"][key] = _union(xp[key], yp[key])
    return merged


def merge_blocks(blocks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """
    Merge query blocks that differ only in the values of one prime key.

    Two blocks merge when everything but one prime key's values is equal
    (series in any case, segments and keyword filters in any order); the
    merged block has the union of the values, sorted. Identical blocks merge
    into one. This repeats until nothing merges, so
    ``(171 | 304) & (CAMERA 1 | 2)`` collapses to one block. The input is not
    modified.

    Parameters
    ----------
    blocks : iterable of dict
        Query blocks (see the module docstring).

    Returns
    -------
    list of dict
        The merged blocks, in the order of their first appearance.

    Examples
    --------
    >>> from sunpy_jsocx.walker import empty_block, merge_blocks
    >>> def block(wave, camera):
    ...     b = empty_block()
    ...     b.update(series="hmi.x", primekeys={"WAVELNTH": [wave], "CAMERA": [camera]})
    ...     return b
    >>> merged = merge_blocks([block(304, 1), block(171, 1), block(304, 2), block(171, 2)])
    >>> len(merged), merged[0]["primekeys"]
    (1, {'WAVELNTH': [171, 304], 'CAMERA': [1, 2]})
    >>> len(merge_blocks([block(304, 1), block(171, 2)]))
    2
    """
    return [merged for merged, _ in merge_groups(blocks)]


def merge_groups(blocks: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], list[int]]]:
    """
    `merge_blocks`, also saying which input blocks went into each merged block.

    Returns
    -------
    list of tuple
        Each merged block (a dict) with the (sorted) list of the indices of the input blocks it covers.

    Examples
    --------
    >>> from sunpy_jsocx.walker import empty_block, merge_groups
    >>> def block(wave, camera):
    ...     b = empty_block()
    ...     b.update(series="hmi.x", primekeys={"WAVELNTH": [wave], "CAMERA": [camera]})
    ...     return b
    >>> [(m["primekeys"], members) for m, members in merge_groups([block(304, 1), block(171, 2), block(171, 1)])]
    [({'WAVELNTH': [171, 304], 'CAMERA': [1]}, [0, 2]), ({'WAVELNTH': [171], 'CAMERA': [2]}, [1])]
    """
    result = [(dict(block), [i]) for i, block in enumerate(blocks)]
    changed = True
    while changed:
        changed = False
        for i, j in itertools.combinations(range(len(result)), 2):
            merged = _merge_pair(result[i][0], result[j][0])
            if merged is not None:
                result[i] = (merged, sorted(result[i][1] + result[j][1]))
                del result[j]
                changed = True
                break
    return result


# ---------------------------------------------------------------------------
# The walker
# ---------------------------------------------------------------------------

walker = AttrWalker()
"""The `~sunpy.net.attr.AttrWalker` for JSOC queries: ``walker.create(query)`` gives query blocks."""

_WAVELNTH: Final = "WAVELNTH"
_RECORD_FILTERS: Final = ("time", "sample", "primekeys", "keywords")


def _conjunctions(query: Any) -> list[list[Any]]:
    """The query in disjunctive normal form: a list of AND-terms (lists of data attrs)."""
    if isinstance(query, AttrOr):
        return [term for sub in query.attrs for term in _conjunctions(sub)]
    if isinstance(query, AttrAnd):
        terms: list[list[Any]] = [[]]
        for sub in query.attrs:
            terms = [left + right for left in terms for right in _conjunctions(sub)]
        return terms
    return [[query]]


@walker.add_creator(AttrOr, AttrAnd, DataAttr)
def _create(wlk: AttrWalker, query: Any) -> list[dict[str, Any]]:
    blocks = []
    for term in _conjunctions(query):
        block = empty_block()
        block["_origin"] = {}
        for attr in term:
            wlk.apply(attr, block)
        blocks.append(_finish(block))
    return merge_blocks(blocks)


def _finish(block: dict[str, Any]) -> dict[str, Any]:
    block.pop("_origin", None)
    if block["series"] is None:
        raise ValueError(
            "a JSOC query needs a series: add a.jsocx.Series(...) (or a.jsocx.RecordSet(...)) "
            "to every | alternative of the query"
        )
    if block["recordset"] is not None:
        given = [name for name in _RECORD_FILTERS if block[name]]
        if given:
            raise ValueError(
                f"a.jsocx.RecordSet({block['recordset']!r}) selects the records by itself; it cannot be combined "
                f"with {', '.join(given)} filters. Put them into the record set, or use a.jsocx.Series instead"
            )
    return block


def _set_once(block: dict[str, Any], key: str, value: Any, what: str) -> None:
    current = block[key]
    if current is not None and not _same(current, value):
        raise ValueError(f"{what} is given twice with different values ({current!r} and {value!r}); give one")
    block[key] = value


@walker.add_applier(jsocx.Series)
def _apply_series(wlk: AttrWalker, attr: jsocx.Series, block: dict[str, Any]) -> None:
    current = block["series"]
    if current is not None and current.lower() != attr.value.lower():
        raise ValueError(
            f"two different series in one query ({current!r} and {attr.value!r}); "
            "a query is for one series: combine series with | instead of &"
        )
    if current is None:
        block["series"] = attr.value


@walker.add_applier(jsocx.RecordSet)
def _apply_recordset(wlk: AttrWalker, attr: jsocx.RecordSet, block: dict[str, Any]) -> None:
    _set_once(block, "recordset", attr.value, "RecordSet")
    _apply_series(wlk, jsocx.Series(attr.series), block)


def _holds_time(values: Sequence[Any]) -> bool:
    return any(
        isinstance(value, Time) or (isinstance(value, PKRange) and any(isinstance(v, Time) for v in value))
        for value in values
    )


@walker.add_applier(a.Time)
def _apply_time(wlk: AttrWalker, attr: a.Time, block: dict[str, Any]) -> None:
    if getattr(attr, "near", None) is not None:
        raise ValueError("JSOC cannot search for the record nearest a time: give a.Time(start, end) without near=")
    if block["time"] is not None:
        raise ValueError(
            f"a.Time is given twice ({block['time'][0].isot}-{block['time'][1].isot} and "
            f"{attr.start.isot}-{attr.end.isot}); give one time range, or combine ranges with |"
        )
    for key, values in block["primekeys"].items():
        if _holds_time(values):
            raise ValueError(f"a.Time and a time PrimeKey ({key}) are both given; give only one of them")
    check_time_range(attr.start, "a.Time start")
    check_time_range(attr.end, "a.Time end")
    block["time"] = (attr.start, attr.end)


@walker.add_applier(a.Sample)
def _apply_sample(wlk: AttrWalker, attr: a.Sample, block: dict[str, Any]) -> None:
    seconds = float(attr.value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"Sample must be a positive time interval, not {seconds} s")
    if seconds > MAX_SECONDS:
        raise ValueError(f"Sample of {seconds:.6g} s is too long: at most 10,000 years ({MAX_SECONDS:.6g} s)")
    _set_once(block, "sample", seconds, "Sample")


def _angstrom(value: u.Quantity) -> int | float:
    try:
        number = float(value.to_value(u.AA, equivalencies=u.spectral()))
    except (u.UnitsError, TypeError, ValueError):
        raise ValueError(f"a.Wavelength needs a wavelength, frequency or energy, not {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"a.Wavelength must be a positive, finite wavelength, not {value} ({number} Angstrom)")
    nearest = round(number)
    if abs(number - nearest) <= 1e-6 * max(1.0, abs(number)):
        return int(nearest)
    return number


def _add_primekey(block: dict[str, Any], key: str, values: list[Any], origin: str) -> None:
    primekeys = block["primekeys"]
    origins = block.setdefault("_origin", {})
    if key in primekeys:
        previous = origins.get(key, "PrimeKey")
        if {previous, origin} == {"Wavelength", "PrimeKey"}:
            raise ValueError(
                "a.Wavelength and PrimeKey('WAVELNTH', ...) are both given; they select on the same prime key, "
                "give only one of them"
            )
        if not _same_values(primekeys[key], values):
            what = "a.Wavelength" if origin == "Wavelength" else f"PrimeKey {key!r}"
            raise ValueError(
                f"{what} is given twice with different values ({primekeys[key]!r} and {values!r}), which selects "
                "nothing; combine values with | or give a list"
            )
        return
    primekeys[key] = values
    origins[key] = origin


@walker.add_applier(a.Wavelength)
def _apply_wavelength(wlk: AttrWalker, attr: a.Wavelength, block: dict[str, Any]) -> None:
    lo, hi = _angstrom(attr.min), _angstrom(attr.max)
    value = lo if lo == hi else PKRange(lo, hi)
    _add_primekey(block, _WAVELNTH, [value], "Wavelength")


@walker.add_applier(jsocx.PrimeKey)
def _apply_primekey(wlk: AttrWalker, attr: jsocx.PrimeKey, block: dict[str, Any]) -> None:
    values = list(attr.value) if isinstance(attr.value, list) else [attr.value]
    if block["time"] is not None and _holds_time(values):
        raise ValueError(f"a.Time and a time PrimeKey ({attr.label}) are both given; give only one of them")
    _add_primekey(block, attr.label.upper(), values, "PrimeKey")


@walker.add_applier(jsocx.Segment)
def _apply_segment(wlk: AttrWalker, attr: jsocx.Segment, block: dict[str, Any]) -> None:
    if attr.value.lower() not in (name.lower() for name in block["segments"]):
        block["segments"].append(attr.value)


@walker.add_applier(jsocx.Keyword)
def _apply_keyword(wlk: AttrWalker, attr: jsocx.Keyword, block: dict[str, Any]) -> None:
    raise ValueError(
        f"Keyword({attr.value!r}) needs a comparison with a value, e.g. Keyword({attr.value!r}) == 0 "
        "or (Keyword(...) > 1) & (Keyword(...) < 3)"
    )


@walker.add_applier(jsocx.KeywordComparison)
def _apply_keyword_comparison(wlk: AttrWalker, attr: jsocx.KeywordComparison, block: dict[str, Any]) -> None:
    entry = (attr.name, attr.operator, attr.value)
    if not any(_same(entry, tuple(kept)) for kept in block["keywords"]):
        block["keywords"].append(entry)


@walker.add_applier(jsocx.Notify)
def _apply_notify(wlk: AttrWalker, attr: jsocx.Notify, block: dict[str, Any]) -> None:
    _set_once(block, "notify", attr.value, "Notify")


@walker.add_applier(jsocx.Protocol)
def _apply_protocol(wlk: AttrWalker, attr: jsocx.Protocol, block: dict[str, Any]) -> None:
    _set_once(block, "protocol", attr.value, "Protocol")


@walker.add_applier(jsocx.Method)
def _apply_method(wlk: AttrWalker, attr: jsocx.Method, block: dict[str, Any]) -> None:
    _set_once(block, "method", attr.value, "Method")


@walker.add_applier(jsocx.Cutout)
def _apply_cutout(wlk: AttrWalker, attr: jsocx.Cutout, block: dict[str, Any]) -> None:
    _set_once(block, "cutout", dict(attr.value), "Cutout")


@walker.add_applier(AttrAnd)
def _apply_and(wlk: AttrWalker, attr: AttrAnd, block: dict[str, Any]) -> None:
    for sub in attr.attrs:
        wlk.apply(sub, block)


@walker.add_applier(AttrOr)
def _apply_or(wlk: AttrWalker, attr: AttrOr, block: dict[str, Any]) -> None:
    raise TypeError("an | cannot be applied to one block; use walker.create(query) to get one block per alternative")
