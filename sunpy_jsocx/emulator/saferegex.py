"""
Regular expressions for series filters, matched in bounded time.

Python's `re` backtracks: a filter such as ``(.*)*!`` takes exponential time on a
series name, and the C matcher holds the interpreter lock while it runs, so one
hostile request would freeze every other request and signal handling. JSOC
evaluates these filters in PostgreSQL, whose regex engine does not backtrack
this way.

This module parses a pattern with Python's own regex parser (so the syntax, and
the error messages for bad syntax, are those of `re`) and runs it as a Thompson
NFA (a "Pike VM" without captures): time linear in the name's length times the
program's size, with a hard budget of steps. Constructs whose meaning needs
backtracking (back-references, look-around, atomic groups, possessive
repeats) are refused with a clear message.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from re import _constants as _c  # the parser's opcodes (Python >= 3.11)
from re import _parser as _sre_parse
from typing import Final

__all__ = ["FilterError", "SafeRegex", "compile_filter", "filter_names", "MAX_PATTERN_LENGTH",
           "MAX_PROGRAM_SIZE", "DEFAULT_STEP_BUDGET"]

#: Longest pattern accepted (characters); JSOC series filters are short.
MAX_PATTERN_LENGTH: Final = 1000
#: Most NFA instructions a pattern may compile to (counted repeats expand).
MAX_PROGRAM_SIZE: Final = 5000
#: NFA steps one filtering of the catalogue may take before it is refused.
DEFAULT_STEP_BUDGET: Final = 2_000_000

_CHAR, _SPLIT, _JMP, _ASSERT, _MATCH = range(5)
_ASCII_WORD: Final = frozenset(string.ascii_letters + string.digits + "_")


class FilterError(ValueError):
    """
    A series filter the emulator refuses: bad syntax, unsupported or too costly.

    ``syntax`` is True when the pattern is not a regular expression at all.
    """

    def __init__(self, message: str, *, syntax: bool = False):
        super().__init__(message)
        self.syntax = syntax


def _is_word(ch: str, ascii_only: bool) -> bool:
    return ch in _ASCII_WORD if ascii_only else (ch.isalnum() or ch == "_")


def _category(cat, ascii_only: bool) -> Callable[[str], bool]:
    if cat == _c.CATEGORY_DIGIT:
        return (lambda ch: ch in string.digits) if ascii_only else str.isdecimal
    if cat == _c.CATEGORY_NOT_DIGIT:
        return (lambda ch: ch not in string.digits) if ascii_only else (lambda ch: not ch.isdecimal())
    if cat == _c.CATEGORY_SPACE:
        return (lambda ch: ch in " \t\n\r\f\v") if ascii_only else str.isspace
    if cat == _c.CATEGORY_NOT_SPACE:
        return (lambda ch: ch not in " \t\n\r\f\v") if ascii_only else (lambda ch: not ch.isspace())
    if cat == _c.CATEGORY_WORD:
        return lambda ch: _is_word(ch, ascii_only)
    if cat == _c.CATEGORY_NOT_WORD:
        return lambda ch: not _is_word(ch, ascii_only)
    raise FilterError(f"unsupported character category {cat} in series filter")


class _Compiler:
    def __init__(self, ascii_only: bool, max_size: int):
        self.prog: list[tuple] = []
        self.ascii_only = ascii_only
        self.max_size = max_size

    def emit(self, *ins) -> int:
        if len(self.prog) >= self.max_size:
            raise FilterError(f"series filter too complex (more than {self.max_size} steps); simplify it")
        self.prog.append(ins)
        return len(self.prog) - 1

    def patch(self, at: int, *ins) -> None:
        self.prog[at] = ins

    def char_pred(self, test: Callable[[str], bool], icase: bool) -> Callable[[str], bool]:
        if not icase:
            return test
        return lambda ch: test(ch) or test(ch.lower()) or test(ch.upper())

    def set_pred(self, items, icase: bool) -> Callable[[str], bool]:
        negate = False
        tests: list[Callable[[str], bool]] = []
        chars: set[str] = set()
        for op, av in items:
            if op is _c.NEGATE:
                negate = True
            elif op is _c.LITERAL:
                chars.add(chr(av))
            elif op is _c.RANGE:
                lo, hi = av
                tests.append(lambda ch, lo=lo, hi=hi: lo <= ord(ch) <= hi)
            elif op is _c.CATEGORY:
                tests.append(_category(av, self.ascii_only))
            else:
                raise FilterError(f"unsupported construct {op} in a character set of a series filter")
        frozen = frozenset(chars)

        def inside(ch: str) -> bool:
            return ch in frozen or any(t(ch) for t in tests)

        test = self.char_pred(inside, icase)
        return (lambda ch: not test(ch)) if negate else test

    def compile(self, items: Iterable, flags: int) -> None:
        icase = bool(flags & re.IGNORECASE)
        dotall = bool(flags & re.DOTALL)
        multiline = bool(flags & re.MULTILINE)
        for op, av in items:
            if op is _c.LITERAL:
                c = chr(av)
                self.emit(_CHAR, self.char_pred(lambda ch, c=c: ch == c, icase))
            elif op is _c.NOT_LITERAL:
                c = chr(av)
                same = self.char_pred(lambda ch, c=c: ch == c, icase)
                self.emit(_CHAR, lambda ch, same=same: not same(ch))
            elif op is _c.ANY:
                self.emit(_CHAR, (lambda ch: True) if dotall else (lambda ch: ch != "\n"))
            elif op is _c.IN:
                self.emit(_CHAR, self.set_pred(av, icase))
            elif op is _c.BRANCH:
                alternatives = av[1]
                jumps = []
                for k, alt in enumerate(alternatives):
                    if k < len(alternatives) - 1:
                        split = self.emit(_SPLIT, 0, 0)
                        self.compile(alt, flags)
                        jumps.append(self.emit(_JMP, 0))
                        self.patch(split, _SPLIT, split + 1, len(self.prog))
                    else:
                        self.compile(alt, flags)
                for j in jumps:
                    self.patch(j, _JMP, len(self.prog))
            elif op is _c.SUBPATTERN:
                _group, add, delete, sub = av
                self.compile(sub, (flags | add) & ~delete)
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
                lo, hi, sub = av
                for _ in range(lo):
                    self.compile(sub, flags)
                if hi == _c.MAXREPEAT:
                    split = self.emit(_SPLIT, 0, 0)
                    self.compile(sub, flags)
                    self.emit(_JMP, split)
                    self.patch(split, _SPLIT, split + 1, len(self.prog))
                else:
                    splits = []
                    for _ in range(hi - lo):
                        splits.append(self.emit(_SPLIT, 0, 0))
                        self.compile(sub, flags)
                    for s in splits:
                        self.patch(s, _SPLIT, s + 1, len(self.prog))
            elif op is _c.AT:
                self.emit(_ASSERT, av, multiline)
            else:
                name = str(op).lower()
                raise FilterError(f"series filters do not support {name} (back-references, look-around, "
                                  "atomic groups and possessive repeats need backtracking)")


class SafeRegex:
    """
    A compiled series filter: `search` is `re.search` in bounded time.

    Parameters
    ----------
    pattern
        A Python regular expression.
    flags
        `re` flags (``re.IGNORECASE``, ``re.ASCII``, ...).
    max_size
        Most NFA instructions the pattern may compile to.

    Raises
    ------
    FilterError
        If the pattern is too long, invalid, uses a construct that needs
        backtracking, or compiles to more than ``max_size`` instructions.
    """

    def __init__(self, pattern: str, flags: int = 0, *, max_size: int = MAX_PROGRAM_SIZE):
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise FilterError(f"series filter too long ({len(pattern)} characters; at most {MAX_PATTERN_LENGTH})")
        try:
            parsed = _sre_parse.parse(pattern, flags)
        except (re.error, OverflowError, RecursionError) as e:
            raise FilterError(str(e), syntax=True) from None
        all_flags = parsed.state.flags | flags
        comp = _Compiler(ascii_only=bool(all_flags & re.ASCII), max_size=max_size)
        comp.compile(parsed, all_flags)
        comp.emit(_MATCH)
        self.pattern = pattern
        self._prog = comp.prog
        self._ascii = comp.ascii_only

    def _holds(self, kind, multiline: bool, s: str, pos: int) -> bool:
        n = len(s)
        if kind == _c.AT_BEGINNING:
            return pos == 0 or (multiline and s[pos - 1] == "\n")
        if kind == _c.AT_BEGINNING_STRING:
            return pos == 0
        if kind == _c.AT_END:
            return pos == n or (pos == n - 1 and s[-1] == "\n") or (multiline and s[pos] == "\n")
        if kind == _c.AT_END_STRING:
            return pos == n
        if kind in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
            if n == 0:
                return False
            before = pos > 0 and _is_word(s[pos - 1], self._ascii)
            after = pos < n and _is_word(s[pos], self._ascii)
            return (before != after) == (kind == _c.AT_BOUNDARY)
        raise FilterError(f"unsupported anchor {kind} in series filter")

    def search(self, s: str, budget: list[int] | None = None) -> bool:
        """
        Whether the pattern matches anywhere in ``s`` (like ``re.search``).

        Parameters
        ----------
        s
            The text.
        budget
            A one-element list holding the steps still allowed; decremented in
            place, so one budget can span many calls.

        Raises
        ------
        FilterError
            When the budget runs out.
        """
        prog = self._prog
        steps = budget if budget is not None else [DEFAULT_STEP_BUDGET]
        current: list[int] = []
        n = len(s)
        for pos in range(n + 1):
            seen: set[int] = set()
            waiting: list[int] = []
            stack = [0, *reversed(current)]
            while stack:
                pc = stack.pop()
                if pc in seen:
                    continue
                seen.add(pc)
                ins = prog[pc]
                op = ins[0]
                if op == _CHAR:
                    waiting.append(pc)
                elif op == _SPLIT:
                    stack.append(ins[2])
                    stack.append(ins[1])
                elif op == _JMP:
                    stack.append(ins[1])
                elif op == _ASSERT:
                    if self._holds(ins[1], ins[2], s, pos):
                        stack.append(pc + 1)
                else:  # _MATCH
                    return True
            steps[0] -= len(seen) + 1
            if steps[0] < 0:
                raise FilterError("series filter too costly to evaluate; simplify it")
            if pos == n:
                break
            ch = s[pos]
            current = [pc + 1 for pc in waiting if prog[pc][1](ch)]
        return False


def compile_filter(pattern: str, flags: int = re.IGNORECASE) -> SafeRegex:
    """Compile a series filter (case-insensitive by default, as JSOC's are)."""
    return SafeRegex(pattern, flags)


def filter_names(names: list[str], flt: str | None, *, budget: int = DEFAULT_STEP_BUDGET) -> list[str]:
    """
    The names a JSOC series filter keeps.

    Parameters
    ----------
    names
        Series names.
    flt
        A case-insensitive regular expression searched in each name, or
        ``NOT <regex>`` for the names it does not match; empty keeps all.
    budget
        NFA steps allowed for the whole list.

    Raises
    ------
    FilterError
        For a bad, unsupported or too costly filter.
    """
    if not flt:
        return list(names)
    negate = flt.startswith("NOT ")
    rx = compile_filter(flt[4:] if negate else flt)
    left = [budget]
    return [n for n in names if rx.search(n, left) != negate]
