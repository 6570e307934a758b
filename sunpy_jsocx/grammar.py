"""
Parser for JSOC record-set specifications.

A record-set specification names a series and narrows it down::

    hmi.sharp_720s[4864][2014.11.30_00:00_TAI]{continuum, magnetogram}
    aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI][171,304]{image}
    hmi.M_45s[2012.01.01_TAI/1d][? QUALITY<'2' AND EXPTIME>'2' ?]{magnetogram}
    hmi.M_45s[:#3760477,#3760478]

The grammar (from DRMS ``drms_names.txt``) is::

    RecordSet   ::= SeriesName Filter* SegmentList?
    SeriesName  ::= <namespace> '.' <name>
    Filter      ::= '[' ( '' | '?' where '?' | '!' where '!' | ':' IndexItems
                        | [ PrimeKeyName '=' ] Items ) ']'
    SegmentList ::= '{' name { ',' name } '}'

This module is series-agnostic: it does not know which prime keys a series
has or their types. `parse` returns the structure, `split_item` and
`split_recnum_item` take one filter item apart once the caller knows whether
it belongs to a time key, and `parse_where` / `evaluate_where` handle
``[? … ?]`` clauses, which are evaluated here (vectorised over numpy columns)
instead of being handed to SQL, so no user text ever reaches a database.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final
from typing import Literal as TypingLiteral

import numpy as np

from sunpy_jsocx.jsoctime import JSOCTimeError, parse_duration, parse_time

__all__ = [
    "BoolOp",
    "Comparison",
    "Filter",
    "Item",
    "Literal",
    "Name",
    "Not",
    "RecordSetSpec",
    "RecordSetSyntaxError",
    "Where",
    "evaluate_where",
    "parse",
    "parse_where",
    "split_item",
    "split_recnum_item",
]


class RecordSetSyntaxError(ValueError):
    """A record-set specification (or a part of one) does not follow the JSOC grammar."""


class _Reason(Exception):
    """Internal: why a piece of text is invalid, before the full text is known."""


def _spec_error(text: str, reason: str) -> RecordSetSyntaxError:
    return RecordSetSyntaxError(f"invalid record-set specification `{text}`: {reason}")


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """
    One bracketed filter of a record set.

    Attributes
    ----------
    kind : str
        ``"empty"`` (``[]``, skips a prime key), ``"values"`` (prime-key values),
        ``"recnums"`` (``[:#r1,#r2]``) or ``"where"`` (``[? … ?]``/``[! … !]``).
    key : str or None
        For ``"values"``, the ``NAME`` of ``[NAME=…]`` as written; None when positional.
    items : tuple of str
        For ``"values"`` and ``"recnums"``, the comma-separated items, stripped.
    where : Where or None
        For ``"where"``, the parsed clause.
    all_versions : bool
        True for ``[! … !]``.
    text : str
        The raw text between the brackets.
    """

    kind: str
    key: str | None
    items: tuple[str, ...]
    where: Where | None
    all_versions: bool = False
    text: str = ""


@dataclass(frozen=True)
class RecordSetSpec:
    """
    One parsed record set.

    Attributes
    ----------
    series : str
        The series name as written (case preserved).
    filters : tuple of Filter
        The bracketed filters, in order.
    segments : tuple of str or None
        The names in ``{…}``, or None when there is no segment list.
    text : str
        The raw text of this record set, without surrounding whitespace.
    """

    series: str
    filters: tuple[Filter, ...]
    segments: tuple[str, ...] | None
    text: str


@dataclass(frozen=True)
class Item:
    """
    One comma-separated item of a prime-key or record-number filter.

    Attributes
    ----------
    kind : str
        ``"value"``, ``"range"`` (``a-b``), ``"span"`` (``a/duration``),
        ``"first"`` (``^``) or ``"last"`` (``$``).
    start : str or None
        The single value, or the start of a range or span (raw text; for
        record numbers the digits without ``#``).
    end : str or None
        The end of a range.
    duration : str or None
        The duration of a span (``"1d"``; digits for record numbers).
    step : str or None
        The text after ``@`` (``"6h"``, ``"90.0s"``, ``"2"``).
    """

    kind: str
    start: str | None = None
    end: str | None = None
    duration: str | None = None
    step: str | None = None


# ---------------------------------------------------------------------------
# Record-set parser
# ---------------------------------------------------------------------------

_SERIES_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_]+", re.ASCII)
_NAMED_RE: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", re.ASCII | re.DOTALL)
_SEGMENT_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
# Characters a prime-key value item may contain (times, numbers, ranges, spans,
# steps, record numbers, first/last markers and plain words).
_ITEM_CHARS_RE: Final = re.compile(r"[A-Za-z0-9_.:+\-/@#$^ ]+", re.ASCII)
_STEP_RE: Final = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[smhdu]?", re.ASCII)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def parse(ds: str) -> list[RecordSetSpec]:
    """
    Parse a record-set specification.

    Parameters
    ----------
    ds : str
        One record set, or several separated by top-level commas (commas inside
        ``[]`` and ``{}`` do not separate). Whitespace around record sets and
        between their parts is ignored.

    Returns
    -------
    list of RecordSetSpec
        One entry per record set, in order.

    Raises
    ------
    RecordSetSyntaxError
        If ``ds`` does not follow the grammar; the message names the text and
        the reason, as JSOC does: ``invalid record-set specification `…`: …``.

    Examples
    --------
    >>> from sunpy_jsocx.grammar import parse
    >>> spec, = parse("hmi.sharp_720s[4864][2014.11.30_00:00_TAI]{continuum, magnetogram}")
    >>> spec.series, [f.items for f in spec.filters], spec.segments
    ('hmi.sharp_720s', [('4864',), ('2014.11.30_00:00_TAI',)], ('continuum', 'magnetogram'))
    >>> [s.series for s in parse("hmi.M_45s[$], aia.lev1_euv_12s[$][171]")]
    ['hmi.M_45s', 'aia.lev1_euv_12s']
    """
    if not isinstance(ds, str):
        raise RecordSetSyntaxError(f"a record-set specification must be a string, not {type(ds).__name__}")
    specs = []
    pos = 0
    while True:
        try:
            spec, pos = _parse_record_set(ds, pos)
        except _Reason as reason:
            raise _spec_error(ds, str(reason)) from None
        specs.append(spec)
        pos = _skip_space(ds, pos)
        if pos == len(ds):
            return specs
        if ds[pos] != ",":
            raise _spec_error(ds, f"unexpected text {ds[pos:]!r} after record set {spec.text!r}")
        pos += 1


def _parse_record_set(ds: str, pos: int) -> tuple[RecordSetSpec, int]:
    start = _skip_space(ds, pos)
    match = _SERIES_RE.match(ds, start)
    if match is None:
        if start == len(ds) or ds[start] == ",":
            raise _Reason("missing series name")
        raise _Reason(
            f"expected a series name <namespace>.<name> at {ds[start : start + 20]!r} "
            "(letters, digits and _, the namespace starting with a letter)"
        )
    series = match.group()
    pos = match.end()
    if pos < len(ds) and ds[pos] == ".":
        raise _Reason(f"series name {series + '.'!r}… has more than one '.'")

    filters = []
    while True:
        next_pos = _skip_space(ds, pos)
        if next_pos < len(ds) and ds[next_pos] == "[":
            filter_, pos = _parse_filter(ds, next_pos)
            filters.append(filter_)
        else:
            break

    segments = None
    next_pos = _skip_space(ds, pos)
    if next_pos < len(ds) and ds[next_pos] == "{":
        segments, pos = _parse_segments(ds, next_pos)

    next_pos = _skip_space(ds, pos)
    if next_pos < len(ds) and ds[next_pos] in "[]{}":
        what = "after the segment list" if segments is not None else "here"
        raise _Reason(f"unexpected {ds[next_pos]!r} {what} in {ds[start : next_pos + 1]!r}")
    return RecordSetSpec(series, tuple(filters), segments, ds[start:pos]), pos


def _parse_filter(ds: str, pos: int) -> tuple[Filter, int]:
    """Parse the filter whose ``[`` is at ``pos``; return it and the index after ``]``."""
    inner = pos + 1
    if inner < len(ds) and ds[inner] in "?!":
        mark = ds[inner]
        end = _find_clause_end(ds, inner + 1, mark)
        body = ds[inner + 1 : end]
        try:
            where = _parse_where(body)
        except _Reason as reason:
            raise _Reason(f"in where clause {ds[inner : end + 1]!r}: {reason}") from None
        return Filter("where", None, (), where, mark == "!", ds[inner : end + 1]), end + 2

    for close in range(inner, len(ds)):
        char = ds[close]
        if char == "]":
            break
        if char in "[{}":
            raise _Reason(f"unexpected {char!r} inside filter {ds[pos : close + 1]!r}")
    else:
        raise _Reason(f"unbalanced '[': filter {ds[pos:]!r} is not closed")
    raw = ds[inner:close]
    return _plain_filter(raw), close + 1


def _find_clause_end(ds: str, pos: int, mark: str) -> int:
    """Index of the ``mark`` of the closing ``mark]`` of a where clause, outside quotes."""
    quote = None
    for i in range(pos, len(ds)):
        char = ds[i]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == mark and ds[i + 1 : i + 2] == "]":
            return i
    if quote:
        raise _Reason(f"unterminated string in where clause {ds[pos - 2 :]!r}")
    raise _Reason(f"where clause {ds[pos - 2 :]!r} is not closed with '{mark}]'")


def _plain_filter(raw: str) -> Filter:
    body = raw.strip()
    if not body:
        return Filter("empty", None, (), None, False, raw)
    if body.startswith(":"):
        items = _split_items(body[1:])
        for item in items:
            _check_recnum_item(item)
        return Filter("recnums", None, items, None, False, raw)
    key = None
    named = _NAMED_RE.fullmatch(body)
    if named:
        key, body = named.group(1), named.group(2)
    items = _split_items(body)
    for item in items:
        _check_value_item(item)
    return Filter("values", key, items, None, False, raw)


def _split_items(body: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in body.split(","))
    if any(not item for item in items):
        raise _Reason(f"empty item in filter {body!r}")
    return items


def _check_recnum_item(item: str) -> None:
    try:
        split_recnum_item(item)
    except RecordSetSyntaxError:
        raise _Reason(f"bad record-number item {item!r}; expected #N, #N-#M[@K], #N/K[@K], #^ or #$") from None


def _check_value_item(item: str) -> None:
    """Lexical check of a prime-key item whose key type is not known yet."""
    if not item:
        raise _Reason("empty item")
    if item.startswith("#"):
        _check_recnum_item(item)
        return
    if item in ("$", "^"):
        return
    if not _ITEM_CHARS_RE.fullmatch(item):
        bad = next(c for c in item if not _ITEM_CHARS_RE.fullmatch(c))
        raise _Reason(f"character {bad!r} is not allowed in filter item {item!r}")
    if "$" in item or "^" in item or "#" in item:
        raise _Reason(f"'$', '^' and '#' must stand alone or start an item: {item!r}")
    body, at, step = item.partition("@")
    if "@" in step:
        raise _Reason(f"more than one '@' in {item!r}")
    if at and not _STEP_RE.fullmatch(step.strip()):
        raise _Reason(f"bad step {step!r} in {item!r}; expected a number with an optional unit s, m, h, d or u")
    start, slash, duration = body.partition("/")
    if slash:
        if "/" in duration:
            raise _Reason(f"more than one '/' in {item!r}")
        if not start.strip():
            raise _Reason(f"span {item!r} has no start")
        if not _STEP_RE.fullmatch(duration.strip()):
            raise _Reason(f"bad duration {duration!r} in {item!r}; expected e.g. 1d, 90s, 10m, 2h")
    elif not body.strip():
        raise _Reason(f"item {item!r} has no value")
    elif body.strip().endswith("-"):
        raise _Reason(f"range {item!r} has no end")


def _parse_segments(ds: str, pos: int) -> tuple[tuple[str, ...], int]:
    for close in range(pos + 1, len(ds)):
        char = ds[close]
        if char == "}":
            break
        if char in "{[]":
            raise _Reason(f"unexpected {char!r} inside segment list {ds[pos : close + 1]!r}")
    else:
        raise _Reason(f"unbalanced '{{': segment list {ds[pos:]!r} is not closed")
    names = tuple(name.strip() for name in ds[pos + 1 : close].split(","))
    for name in names:
        if not name:
            raise _Reason(f"empty segment name in {ds[pos : close + 1]!r}")
        if not _SEGMENT_RE.fullmatch(name):
            raise _Reason(f"bad segment name {name!r} in {ds[pos : close + 1]!r}")
    return names, close + 1


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------

_RECNUM_RE: Final = re.compile(
    r"#(?:(?P<first>\^)|(?P<last>\$)|(?P<start>\d+)"
    r"(?:\s*-\s*#(?P<end>\d+)|/(?P<duration>\d+))?(?:@(?P<step>\d+))?)",
    re.ASCII,
)


def split_recnum_item(item: str) -> Item:
    """
    Take a record-number (index) item apart.

    Parameters
    ----------
    item : str
        ``#N``, ``#N-#M``, ``#N/K`` (``K`` records from ``N``), either of the
        last two with ``@S`` (every ``S``-th), ``#^`` (first) or ``#$`` (last).

    Returns
    -------
    Item
        With the numbers as digit strings without ``#``.

    Raises
    ------
    RecordSetSyntaxError
        If ``item`` is not of one of these forms.

    Examples
    --------
    >>> from sunpy_jsocx.grammar import split_recnum_item
    >>> split_recnum_item("#100-#200@2")
    Item(kind='range', start='100', end='200', duration=None, step='2')
    >>> split_recnum_item("#$").kind
    'last'
    """
    match = _RECNUM_RE.fullmatch(item.strip()) if isinstance(item, str) else None
    if match is None:
        raise RecordSetSyntaxError(f"invalid record-number item `{item}`: expected #N, #N-#M[@S], #N/K[@S], #^ or #$")
    if match["first"]:
        return Item("first")
    if match["last"]:
        return Item("last")
    if match["step"] is not None and match["end"] is None and match["duration"] is None:
        raise RecordSetSyntaxError(f"invalid record-number item `{item}`: a step '@' needs a range or span")
    if match["end"] is not None:
        return Item("range", match["start"], match["end"], None, match["step"])
    if match["duration"] is not None:
        return Item("span", match["start"], None, match["duration"], match["step"])
    return Item("value", match["start"])


def _is_time(text: str) -> bool:
    try:
        parse_time(text)
    except JSOCTimeError:
        return False
    return True


def _number_range_split(body: str) -> int | None:
    """Index of the range '-' in a numeric item, or None: not first, not after '-', 'e', 'E'."""
    for i in range(1, len(body)):
        if body[i] == "-" and body[i - 1] not in "-eE":
            return i
    return None


def split_item(item: str, *, is_time: bool) -> Item:
    """
    Take one prime-key filter item apart.

    Parameters
    ----------
    item : str
        ``value``, ``a-b`` (inclusive range), ``a/duration`` (half-open span),
        either of the last two with ``@step``, ``^`` (first) or ``$`` (last).
        Items starting with ``#`` are slot indices and handled as by
        `split_recnum_item`.
    is_time : bool
        Whether the prime key is a time. Then the range ``-`` is found by
        trying each ``-`` until both sides parse as JSOC times, so ISO dates
        (``2014-01-01T00:00:00-2014-01-02T00:00:00``) split correctly, and each
        value must be a valid time. Otherwise the range ``-`` is the first one
        that is neither at the start nor after ``-``, ``e`` or ``E``, so that
        negative numbers and exponents survive (``-5--3``, ``1e-5-2e-5``).

    Returns
    -------
    Item
        The parts as raw (stripped) text.

    Raises
    ------
    RecordSetSyntaxError
        If ``item`` is not a valid item.

    Examples
    --------
    >>> from sunpy_jsocx.grammar import split_item
    >>> split_item("2016.04.01_TAI/1d@6h", is_time=True)
    Item(kind='span', start='2016.04.01_TAI', end=None, duration='1d', step='6h')
    >>> split_item("2014-01-01T00:00:00-2014-01-01T01:00:00", is_time=True)
    Item(kind='range', start='2014-01-01T00:00:00', end='2014-01-01T01:00:00', duration=None, step=None)
    >>> split_item("-5--3", is_time=False)
    Item(kind='range', start='-5', end='-3', duration=None, step=None)
    """
    if not isinstance(item, str):
        raise RecordSetSyntaxError(f"a filter item must be a string, not {type(item).__name__}")
    text = item.strip()
    if text.startswith("#"):
        return split_recnum_item(text)
    if text == "^":
        return Item("first")
    if text == "$":
        return Item("last")
    try:
        _check_value_item(text)
    except _Reason as reason:
        raise RecordSetSyntaxError(f"invalid filter item `{item}`: {reason}") from None
    try:
        return _split_checked_item(text, is_time=is_time)
    except _Reason as reason:
        raise RecordSetSyntaxError(f"invalid filter item `{item}`: {reason}") from None


def _split_checked_item(text: str, *, is_time: bool) -> Item:
    body, at, step_text = text.partition("@")
    step = step_text.strip() if at else None
    body = body.strip()
    if step is not None and is_time:
        _check_duration(step)

    start, slash, duration = body.partition("/")
    if slash:
        start, duration = start.strip(), duration.strip()
        _check_value(start, is_time=is_time)
        if is_time:
            _check_duration(duration)
        return Item("span", start, None, duration, step)

    if is_time:
        if _is_time(body):
            if step is not None:
                raise _Reason("a step '@' needs a range or span")
            return Item("value", body)
        for i, char in enumerate(body):
            if char == "-" and _is_time(body[:i].strip()) and _is_time(body[i + 1 :].strip()):
                return Item("range", body[:i].strip(), body[i + 1 :].strip(), None, step)
        raise _Reason(f"{body!r} is neither a JSOC time nor a range of two times")

    split = _number_range_split(body)
    if split is None:
        if step is not None:
            raise _Reason("a step '@' needs a range or span")
        return Item("value", body)
    start, end = body[:split].strip(), body[split + 1 :].strip()
    if not start or not end or _number_range_split(end) is not None:
        raise _Reason(f"{body!r} is not a range a-b")
    return Item("range", start, end, None, step)


def _check_value(text: str, *, is_time: bool) -> None:
    if not text:
        raise _Reason("missing value")
    if is_time and not _is_time(text):
        raise _Reason(f"{text!r} is not a JSOC time")


def _check_duration(text: str) -> None:
    try:
        parse_duration(text, slot=1.0)
    except JSOCTimeError as error:
        raise _Reason(str(error)) from None


# ---------------------------------------------------------------------------
# Where clauses: AST
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A keyword reference in a where clause (``name`` as written)."""

    name: str


@dataclass(frozen=True)
class Literal:
    """
    A literal in a where clause.

    ``kind`` is ``"number"`` (int or float value; hex literals are ints),
    ``"string"`` (quoted; ``text`` is the unquoted content) or ``"time"``
    (``$(…)``, value in internal seconds).
    """

    value: int | float | str
    kind: str
    text: str


Operand = Name | Literal


@dataclass(frozen=True)
class Comparison:
    """``left op right`` with ``op`` one of ``= != < <= > >=`` (``==`` and ``<>`` normalised)."""

    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class BoolOp:
    """``AND``/``OR`` of two or more operands."""

    op: TypingLiteral["AND", "OR"]
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """``NOT operand``."""

    operand: Node


Node = Comparison | BoolOp | Not


@dataclass(frozen=True)
class Where:
    """
    A parsed where clause.

    Attributes
    ----------
    expr : Comparison, BoolOp or Not
        The expression tree.
    text : str
        The clause as written (without the ``?``/``!`` delimiters).
    """

    expr: Node
    text: str = field(default="", compare=False)

    @property
    def names(self) -> set[str]:
        """The keyword names the clause refers to, as written."""
        return {node.name for node in _walk(self.expr) if isinstance(node, Name)}


def _walk(node) -> Iterator:
    yield node
    if isinstance(node, Comparison):
        yield node.left
        yield node.right
    elif isinstance(node, BoolOp):
        for operand in node.operands:
            yield from _walk(operand)
    elif isinstance(node, Not):
        yield from _walk(node.operand)


# ---------------------------------------------------------------------------
# Where clauses: tokenizer and parser
# ---------------------------------------------------------------------------

_TOKEN_RE: Final = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<time>\$\((?P<time_text>[^()'"]*)\))
  | (?P<hex>0[xX][0-9a-fA-F]+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|==|=|<|>)
  | (?P<paren>[()])
  | (?P<sign>[-+])
    """,
    re.VERBOSE | re.ASCII,
)
_BOOL_WORDS: Final = {"AND", "OR", "NOT"}
# SQL words that a real JSOC would pass on to PostgreSQL. None is part of the
# supported subset; naming them explicitly gives a clear message.
# fmt: off
_SQL_WORDS: Final = frozenset({
    "ALL", "ALTER", "ANY", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "COPY", "CREATE", "DELETE", "DESC",
    "DISTINCT", "DROP", "ELSE", "END", "EXCEPT", "EXEC", "EXECUTE", "EXISTS", "FROM", "GRANT", "GROUP",
    "HAVING", "ILIKE", "IN", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "LIKE", "LIMIT", "NULL", "OFFSET",
    "ORDER", "REVOKE", "SELECT", "SET", "SIMILAR", "TABLE", "THEN", "TRUNCATE", "UNION", "UPDATE", "VALUES",
    "WHEN", "WHERE", "WITH",
})
# fmt: on
_OPERATORS: Final = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "literal", "op", "(", ")", "AND", "OR", "NOT", "sign", "end"
    text: str
    pos: int
    literal: Literal | None = None


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        if text.startswith("--", pos) or text.startswith("/*", pos):
            raise _Reason(f"SQL comment {text[pos : pos + 2]!r} at position {pos} is not allowed")
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "'\"":
                raise _Reason(f"unterminated string starting at position {pos}")
            if text.startswith("$(", pos):
                raise _Reason(f"bad time literal at position {pos}; expected $(<JSOC time>)")
            raise _Reason(f"unexpected character {char!r} at position {pos}")
        kind = match.lastgroup if match.lastgroup != "time_text" else "time"
        token_text = match.group()
        if kind == "space":
            pass
        elif kind == "string":
            quote = token_text[0]
            value = token_text[1:-1].replace(quote * 2, quote)
            tokens.append(_Token("literal", token_text, pos, Literal(value, "string", value)))
        elif kind == "time":
            inner = match.group("time_text").strip()
            try:
                value = parse_time(inner)
            except JSOCTimeError as error:
                raise _Reason(str(error)) from None
            tokens.append(_Token("literal", token_text, pos, Literal(value, "time", inner)))
        elif kind == "hex":
            literal = Literal(_big_to_float(int(token_text, 16)), "number", token_text)
            tokens.append(_Token("literal", token_text, pos, literal))
        elif kind == "number":
            tokens.append(_Token("literal", token_text, pos, _number_literal(token_text)))
        elif kind == "ident":
            upper = token_text.upper()
            if upper in _BOOL_WORDS:
                tokens.append(_Token(upper, token_text, pos))
            elif upper in _SQL_WORDS:
                raise _Reason(f"SQL keyword {token_text!r} is not supported in a where clause")
            else:
                tokens.append(_Token("name", token_text, pos))
        elif kind == "op":
            tokens.append(_Token("op", _OPERATORS[token_text], pos))
        elif kind == "paren":
            tokens.append(_Token(token_text, token_text, pos))
        else:
            tokens.append(_Token("sign", token_text, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _big_to_float(value: int) -> int | float:
    # Integers beyond 64 bits compare as floats (infinite past 1.8e308), as in _parse_number.
    if abs(value) < 2**62:
        return value
    return float(value) if value.bit_length() <= 1023 else (math.inf if value > 0 else -math.inf)


def _number_literal(text: str) -> Literal:
    if re.fullmatch(r"\d+", text, re.ASCII):
        # float() reads any number of digits; int() refuses more than 4,300.
        return Literal(int(text) if len(text) <= 18 else float(text), "number", text)
    return Literal(float(text), "number", text)


class _Parser:
    """Recursive-descent parser: or := and (OR and)*; and := not (AND not)*; not := NOT not | atom."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str) -> _Token:
        if self.current.kind != kind:
            raise self.unexpected(f"expected {kind!r}")
        return self.advance()

    def unexpected(self, what: str) -> _Reason:
        token = self.current
        found = "end of clause" if token.kind == "end" else repr(token.text)
        return _Reason(f"{what} but found {found} at position {token.pos}")

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise _Reason("empty where clause")
        node = self.parse_or()
        if self.current.kind != "end":
            raise self.unexpected("expected AND, OR or the end of the clause")
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.current.kind == "OR":
            self.advance()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while self.current.kind == "AND":
            self.advance()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def parse_not(self) -> Node:
        if self.current.kind == "NOT":
            self.advance()
            return Not(self.parse_not())
        if self.current.kind == "(":
            self.advance()
            node = self.parse_or()
            self.expect(")")
            return node
        left = self.parse_operand()
        if self.current.kind != "op":
            raise self.unexpected("expected a comparison operator (= != <> < <= > >=)")
        op = self.advance().text
        right = self.parse_operand()
        return Comparison(op, left, right)

    def parse_operand(self) -> Operand:
        token = self.current
        if token.kind == "name":
            self.advance()
            return Name(token.text)
        if token.kind == "literal":
            self.advance()
            assert token.literal is not None
            return token.literal
        if token.kind == "sign":
            self.advance()
            number = self.current
            if number.kind != "literal" or number.literal is None or number.literal.kind != "number":
                raise self.unexpected(f"expected a number after {token.text!r}")
            self.advance()
            literal = number.literal
            value = -literal.value if token.text == "-" else literal.value
            return Literal(value, "number", token.text + literal.text)
        raise self.unexpected("expected a keyword name or a literal")


def _parse_where(text: str) -> Where:
    return Where(_Parser(text).parse(), text.strip())


def parse_where(text: str) -> Where:
    """
    Parse the SQL-like clause of a ``[? … ?]`` filter.

    The supported subset: ``OR``, ``AND``, ``NOT`` (any case), parentheses, and
    comparisons ``= == != <> < <= > >=`` between keyword names and literals.
    Literals are integers, floats, hex integers ``0x…``, strings in single or
    double quotes (a doubled quote escapes itself) and times ``$(<JSOC time>)``.
    Anything else, including ``;``, SQL comments and SQL keywords such as
    ``SELECT``, is rejected.

    Parameters
    ----------
    text : str
        The clause without the ``?`` delimiters.

    Returns
    -------
    Where
        The parsed clause.

    Raises
    ------
    RecordSetSyntaxError
        If ``text`` is not in the supported subset.

    Examples
    --------
    >>> from sunpy_jsocx.grammar import parse_where
    >>> where = parse_where("QUALITY<'2' AND (EXPTIME>2 OR NOT WAVELNTH=171)")
    >>> sorted(where.names)
    ['EXPTIME', 'QUALITY', 'WAVELNTH']
    """
    if not isinstance(text, str):
        raise RecordSetSyntaxError(f"a where clause must be a string, not {type(text).__name__}")
    try:
        return _parse_where(text)
    except _Reason as reason:
        raise RecordSetSyntaxError(f"invalid where clause `{text}`: {reason}") from None


# ---------------------------------------------------------------------------
# Where clauses: evaluation (three-valued, vectorised)
# ---------------------------------------------------------------------------

_COMPARE: Final = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_KIND_ALIASES: Final = {
    "int": "int",
    "short": "int",
    "longlong": "int",
    "char": "int",
    "float": "float",
    "double": "float",
    "string": "string",
    "time": "time",
}
_NUMERIC_KINDS: Final = frozenset({"int", "float", "time", "number"})


@dataclass
class _Value:
    """An evaluated operand: values (array or scalar), kind, and whether it is a literal."""

    values: object
    kind: str  # int, float, time, string (columns); number, string, time (literals)
    literal: bool
    label: str


class _Evaluator:
    def __init__(self, column: Callable[[str], np.ndarray], kinds: Callable[[str], str]):
        self.column = column
        self.kinds = kinds
        self.cache: dict[str, _Value] = {}

    # Each node evaluates to (true, unknown): SQL's three-valued logic, where
    # comparisons with missing values are unknown and never select a record.
    def evaluate(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(node, Comparison):
            return self.compare(node)
        if isinstance(node, Not):
            true, unknown = self.evaluate(node.operand)
            return ~true & ~unknown, unknown
        results = [self.evaluate(operand) for operand in node.operands]
        true, unknown = results[0]
        false = ~true & ~unknown
        for other_true, other_unknown in results[1:]:
            other_false = ~other_true & ~other_unknown
            if node.op == "AND":
                true, false = true & other_true, false | other_false
            else:
                true, false = true | other_true, false & other_false
        return true, ~true & ~false

    def operand(self, node: Operand) -> _Value:
        if isinstance(node, Literal):
            value = node.value
            if isinstance(value, int) and abs(value) >= 2**62:
                value = float(value)
            return _Value(value, node.kind, True, repr(node.text) if node.kind == "string" else node.text)
        if node.name not in self.cache:
            try:
                kind_name = self.kinds(node.name)
                values = self.column(node.name)
            except KeyError:
                raise _Reason(f"unknown keyword {node.name!r}") from None
            kind = _KIND_ALIASES.get(str(kind_name).lower())
            if kind is None:
                raise _Reason(f"keyword {node.name!r} has unsupported type {kind_name!r}")
            array = np.asarray(values)
            if kind != "string" and array.dtype == object:
                array = array.astype(float)
            self.cache[node.name] = _Value(array, kind, False, node.name)
        return self.cache[node.name]

    def compare(self, node: Comparison) -> tuple[np.ndarray, np.ndarray]:
        left, right = self.operand(node.left), self.operand(node.right)
        left, right = self.coerce(left, right), self.coerce(right, left)
        if (left.kind in _NUMERIC_KINDS) != (right.kind in _NUMERIC_KINDS):
            raise _Reason(f"cannot compare {left.label} ({left.kind}) with {right.label} ({right.kind})")
        if left.kind in _NUMERIC_KINDS:
            a, a_unknown = _numeric(left.values)
            b, b_unknown = _numeric(right.values)
        else:
            a, a_unknown = _strings(left.values)
            b, b_unknown = _strings(right.values)
        unknown = a_unknown | b_unknown
        with np.errstate(invalid="ignore"):
            result = np.asarray(_COMPARE[node.op](a, b), dtype=bool)
        return result & ~unknown, np.asarray(unknown, dtype=bool)

    def coerce(self, value: _Value, other: _Value) -> _Value:
        """Convert a string literal compared with a number or time, or a number compared with a string."""
        if value.literal and value.kind == "string" and other.kind in _NUMERIC_KINDS:
            text = str(value.values).strip()
            if other.kind == "time":
                try:
                    return _Value(parse_time(text), "time", True, value.label)
                except JSOCTimeError:
                    pass
            number = _parse_number(text)
            if number is None:
                raise _Reason(f"cannot compare {other.label} ({other.kind}) with {value.label}")
            return _Value(number, "number", True, value.label)
        if value.literal and value.kind == "number" and other.kind == "string" and not other.literal:
            return _Value(value.label, "string", True, value.label)
        return value


def _parse_number(text: str) -> int | float | None:
    try:
        if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text, re.ASCII):
            return _big_to_float(int(text, 16))
        if re.fullmatch(r"[-+]?\d+", text, re.ASCII):
            if len(text) > 19:  # int() refuses more than 4,300 digits; float() reads any
                return float(text)
            value = int(text)
            return value if abs(value) < 2**62 else float(value)
        return float(text)
    except ValueError:
        return None


def _numeric(values) -> tuple[object, np.ndarray]:
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return array, np.isnan(array)
    if array.dtype.kind in "iub":
        return array, np.zeros(array.shape, dtype=bool)
    array = array.astype(float)
    return array, np.isnan(array)


def _strings(values) -> tuple[object, np.ndarray]:
    array = np.asarray(values, dtype=object)
    unknown = np.frompyfunc(lambda v: v is None or (isinstance(v, float) and math.isnan(v)), 1, 1)(array)
    unknown = np.asarray(unknown, dtype=bool)
    if unknown.any():
        array = np.where(unknown, "", array)
    if array.ndim:
        array = np.frompyfunc(str, 1, 1)(array)
    else:
        array = str(array.item())
    return array, unknown


def evaluate_where(
    where: Where,
    column: Callable[[str], np.ndarray],
    *,
    kinds: Callable[[str], str],
    size: int | None = None,
) -> np.ndarray:
    """
    Evaluate a where clause over columns of keyword values.

    Comparisons follow SQL: a comparison involving a missing value (NaN, or
    None in a string column) is unknown, and unknown never selects a record,
    also under ``NOT`` or ``!=``. A quoted string compared with a numeric
    keyword is read as a number (sunpy sends ``QUALITY<'2'``), with a time
    keyword as a JSOC time; a number compared with a string keyword is compared
    as its text.

    Parameters
    ----------
    where : Where
        A clause from `parse_where` (or `Filter.where`).
    column : callable
        ``column(name)`` returns the values of keyword ``name`` as a numpy
        array: numbers as int/float, strings as str/object, times as internal
        seconds. It raises `KeyError` for an unknown keyword.
    kinds : callable
        ``kinds(name)`` returns ``"int"``, ``"float"``, ``"string"`` or
        ``"time"`` (DRMS type names such as ``"double"`` or ``"short"`` are
        also understood). It may raise `KeyError` as well.
    size : int, optional
        Number of records; used to broadcast the result when the clause refers
        to no keyword at all (e.g. ``1=1``).

    Returns
    -------
    numpy.ndarray of bool
        True for the records the clause selects.

    Raises
    ------
    RecordSetSyntaxError
        For an unknown keyword or a comparison between incompatible types.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_jsocx.grammar import evaluate_where, parse_where
    >>> columns = {"QUALITY": np.array([0, 1, 2, 0x400]), "EXPTIME": np.array([2.9, 2.9, 1.0, np.nan])}
    >>> kinds = {"QUALITY": "int", "EXPTIME": "float"}
    >>> evaluate_where(parse_where("QUALITY<'2' AND EXPTIME>'2'"), columns.__getitem__, kinds=kinds.__getitem__)
    array([ True,  True, False, False])
    """
    try:
        true, _ = _Evaluator(column, kinds).evaluate(where.expr)
    except _Reason as reason:
        raise RecordSetSyntaxError(f"invalid where clause `{where.text}`: {reason}") from None
    result = np.asarray(true, dtype=bool)
    if result.ndim == 0 and size is not None:
        result = np.full(size, bool(result))
    return result
