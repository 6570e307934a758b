"""
Tables in the docs render as written (issue 11, part 3).

In an RST *simple* table a line whose first column holds text starts a new row; only a
line with an empty first column continues the row above. A cell of the first column
wrapped onto a second line therefore becomes a row of its own, and the text beside it
is cut in two rows as well. Sphinx gives no warning: the table just reads wrong (the
"Coming from sunpy's JSOCClient" table did, as did two others).

Each simple table of every ``docs/**/*.rst`` is cut into rows by docutils' own simple
table parser, so the rows checked are the rows rendered, and a row is taken for the
second half of a wrapped cell when

- one of its cells is empty while another is not (the other column had nothing to
  continue), or
- a cell of the row above ends in the middle of a sentence (``,`` ``;`` ``(`` or
  "and"/"or"), or
- its first cell starts with ``(`` (a parenthesis that belongs to the line above).

Wrapped cells belong in a grid table or a ``list-table`` (or in the last column of a
simple table, with the first column empty on the continuation lines).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docutils.parsers.rst.tableparser import SimpleTableParser
from docutils.statemachine import StringList

DOCS = Path(__file__).resolve().parents[1] / "docs"
BORDER = re.compile(r"^( *)=+( +=+)* *$")
CONTINUES = re.compile(r"(?:[,;(]|\band|\bor)$")


def simple_tables(text: str) -> list[tuple[int, list[str]]]:
    """
    The simple tables of an RST text: (line number, lines without their indentation).

    A simple table runs from a border line (``===  ===``) to the border line that is
    followed by a blank line or the end of the text, with at least one line between.
    """
    lines = text.splitlines()
    tables = []
    i = 0
    while i < len(lines):
        m = BORDER.match(lines[i])
        if not m or (i > 0 and lines[i - 1].strip()):
            i += 1
            continue
        indent = len(m.group(1))
        j = i + 1
        while j < len(lines) and lines[j].strip():
            if BORDER.match(lines[j]) and (j + 1 == len(lines) or not lines[j + 1].strip()):
                break
            j += 1
        if j < len(lines) and BORDER.match(lines[j]) and j > i + 1:
            tables.append((i + 1, [line[indent:] for line in lines[i:j + 1]]))
        i = j + 1
    return tables


def _cell_text(cell) -> str:
    return " ".join(line.strip() for line in cell[3] if line.strip())


def table_rows(lines: list[str]) -> list[list[str]]:
    """The rows docutils renders (header rows first), each a list of cell texts."""
    _, head, body = SimpleTableParser().parse(StringList(lines))
    return [[_cell_text(cell) for cell in row] for row in [*head, *body]]


def broken_rows(lines: list[str]) -> list[str]:
    """What in a simple table looks like a wrapped cell cut into rows; empty when none."""
    rows = table_rows(lines)
    problems = []
    for n, row in enumerate(rows):
        prev = rows[n - 1] if n else None
        if any(row) and not all(row):
            problems.append(f"row {n + 1} {row!r} has an empty cell (a wrapped cell of the row above?)")
        elif prev is not None and any(CONTINUES.search(c) for c in prev if c):
            problems.append(f"row {n + 1} {row!r} continues row {n} {prev!r}, which ends mid-sentence")
        elif prev is not None and row and row[0].startswith("("):
            problems.append(f"row {n + 1} {row!r} starts with '(' (the rest of row {n}?)")
    return problems


def _doc_files() -> list[Path]:
    # _build and generated (the gallery's pages, written by sphinx-gallery from examples/) are output
    return sorted(p for p in DOCS.rglob("*.rst")
                  if not {"_build", "generated"} & set(p.relative_to(DOCS).parts)
                  and p.name != "sg_execution_times.rst")


#: Pages whose broken tables are known and waiting for their owner; strict, so that the
#: entry must go once the table is fixed.
KNOWN_BROKEN: dict[str, str] = {}  # page -> why its table is known to render wrong (strict xfail)


def _doc_params():
    return [pytest.param(p, id=str(p.relative_to(DOCS)),
                         marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[str(p.relative_to(DOCS))])]
                         if str(p.relative_to(DOCS)) in KNOWN_BROKEN else [])
            for p in _doc_files()]


def test_there_are_docs_with_tables():
    assert len(_doc_files()) > 5
    assert any(simple_tables(p.read_text()) for p in _doc_files())


@pytest.mark.parametrize("path", _doc_params())
def test_simple_tables_render_the_rows_written(path):
    problems = [f"{path.relative_to(DOCS)}:{line}: {problem}"
                for line, lines in simple_tables(path.read_text())
                for problem in broken_rows(lines)]
    assert not problems, "\n".join(problems)


# The first rows of the "Coming from sunpy" table as it was (git aa3a4de): every wrapped
# first-column cell became a row.
OLD_COMING_FROM_SUNPY = """\
Coming from sunpy's JSOCClient
==============================

=======================================  ================================================
sunpy's ``JSOCClient`` (``a.jsoc``)      sunpy-jsocx (``a.jsocx``)
=======================================  ================================================
``a.jsoc.Series``, ``Segment``,          same names under ``a.jsocx``; also ``Sample``,
``PrimeKey``, ``Notify``, ``Protocol``,  ``Method``, ``RecordSet``
``Keyword``, ``Cutout``
fetching a slice downloads the whole     fetching a slice downloads exactly its rows
query (with a warning)
one ``jsoc_info`` request per OR branch  one record set for branches that differ in one
(``171 | 304``)                          prime key's values, through Fido too; other
                                         branches in parallel
=======================================  ================================================

Translating a query is usually a matter of replacing ``a.jsoc`` with ``a.jsocx``.
"""

# A table of the same shape whose cells wrap only in the last column: rendered as written.
GOOD = """\
=====================================  ==================================================
attr                                   meaning
=====================================  ==================================================
``a.jsocx.Series(name)``               the series (required; case-insensitive)
``a.jsocx.Segment(name)``              a segment; AND several:
                                       ``Segment("inclination") & Segment("azimuth")``
``a.jsocx.Sample(10 * u.min)``         one record per 10 minutes (sunpy's ``a.Sample``
                                       works too), with ``a.Time``
=====================================  ==================================================
"""


def test_the_old_coming_from_sunpy_table_is_caught():
    [(line, lines)] = simple_tables(OLD_COMING_FROM_SUNPY)
    assert line == 4
    rows = table_rows(lines)
    assert len(rows) == 8  # a header and 7 rows where 3 were meant
    assert rows[2] == ["``PrimeKey``, ``Notify``, ``Protocol``,", "``Method``, ``RecordSet``"]
    problems = broken_rows(lines)
    assert len(problems) == 4, problems
    assert "row 3" in problems[0] and "ends mid-sentence" in problems[0]
    assert "row 4" in problems[1] and "empty cell" in problems[1]
    assert "row 6" in problems[2] and "empty cell" in problems[2]
    assert "row 8" in problems[3] and "starts with '('" in problems[3]


def test_a_table_wrapping_only_its_last_column_passes():
    [(_, lines)] = simple_tables(GOOD)
    rows = table_rows(lines)
    assert len(rows) == 4
    assert rows[2][1] == 'a segment; AND several: ``Segment("inclination") & Segment("azimuth")``'
    assert broken_rows(lines) == []


def test_indented_tables_and_section_underlines_are_told_apart():
    text = "Title\n=====\n\n.. note::\n\n   ===  ===\n   a    b\n   ===  ===\n   x    y\n   ===  ===\n"
    [(line, lines)] = simple_tables(text)
    assert line == 6 and table_rows(lines) == [["a", "b"], ["x", "y"]]


def _render_with_the_docs_theme(tmp_path, text: str) -> str:
    """The HTML body of ``text`` built by Sphinx with the theme of docs/conf.py."""
    sphinx_app = pytest.importorskip("sphinx.application")
    pytest.importorskip("sunpy_sphinx_theme")
    conf = (DOCS / "conf.py").read_text()
    theme = re.search(r'^html_theme = "([^"]+)"', conf, re.MULTILINE).group(1)
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(f"html_theme = {theme!r}\n"
                                 "html_theme_options = {'goatcounter_analytics_url': False}\n")
    (src / "index.rst").write_text(text)
    app = sphinx_app.Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"), "html",
                            status=None, warning=None, freshenv=True)
    app.build()
    return (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_the_docs_theme_renders_the_rows_the_check_counts(tmp_path):
    # The check reasons about docutils' rows; the page a reader sees is the theme's HTML.
    # With the theme of docs/conf.py, the old broken table is rendered with exactly the
    # rows table_rows() finds (7 body rows where 3 were meant), so what the check flags
    # is what readers saw; and the good table keeps its 3.
    html = _render_with_the_docs_theme(tmp_path, OLD_COMING_FROM_SUNPY + "\n" + GOOD)
    tables = re.findall(r"<table.*?</table>", html, re.DOTALL)
    assert len(tables) == 2
    body_rows = [len(re.findall(r"<tr", t.split("<tbody>", 1)[1])) for t in tables]
    [(_, old_lines)] = simple_tables(OLD_COMING_FROM_SUNPY)
    [(_, good_lines)] = simple_tables(GOOD)
    assert body_rows == [len(table_rows(old_lines)) - 1, len(table_rows(good_lines)) - 1] == [7, 3]
