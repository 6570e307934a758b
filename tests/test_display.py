"""
What a result table shows (issue 8, point 10).

sunpy's display code slices the table and resets the display settings of the slice;
astropy shares the ``meta`` dictionary between a table and its slices, so settings kept
there were reset on the table itself: the second ``repr`` (or the HTML a notebook asks for
after the text repr) showed every hidden column. These tests display real search results
(from the emulator) several times, in every form, and check the columns and widths.
"""

from __future__ import annotations

import re

import astropy.units as u
import numpy as np
import pytest
from sunpy.net import Fido
from sunpy.net import attrs as a
from sunpy.net.base_client import QueryResponseRow

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient
from sunpy_jsocx.response import DEFAULT_DISPLAY, JSOCXResponse

TIME = a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:00")
SHOWN = ["T_REC", "TELESCOP", "INSTRUME", "WAVELNTH", "CAR_ROT"]


def _text_names(text: str) -> list[str]:
    """Column names in the header of a text table (the line above the dashes)."""
    lines = text.splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.startswith("---"))
    # With units there is a line of units between names and dashes; names come first.
    header = next(i for i in range(dashes) if not lines[i].startswith("<"))
    return lines[header].split()


def _html_names(html: str) -> list[str]:
    """Column names of every HTML table in ``html`` (the first header row of each)."""
    names = []
    for table in html.split("<table")[1:]:
        first_row = table.split("<tr>")[1].split("</tr>")[0]
        names += re.findall(r"<th>([^<]*)</th>", first_row)
    return names


def _underscored(text: str) -> list[str]:
    """Words that start with "_" (hidden column names) anywhere in the text."""
    return re.findall(r"(?<![\w/.])_[A-Za-z]\w*", text)


def _same_html(html: str) -> str:
    """HTML without the table ids astropy makes from ``id()`` of the (temporary) table."""
    return re.sub(r'id="table\d+"', "", html)


def _width(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def assert_hidden(text: str, shown=SHOWN):
    assert _underscored(text) == [], text
    assert "/SUM" not in text, text
    assert _text_names(text) == shown, text


def assert_hidden_html(html: str, shown=SHOWN):
    assert _html_names(html) == shown, html
    assert "/SUM" not in html
    assert _underscored(re.sub(r"<[^>]*>", " ", html)) == []


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Every column fits: astropy before 7 cuts wide tables to the terminal's width."""
    monkeypatch.setenv("COLUMNS", "400")


@pytest.fixture
def result(emulator):
    with sunpy_jsocx.use_server(emulator.url):
        res = JSOCXClient().search(TIME, a.jsocx.Series("aia.lev1_euv_12s"),
                                   a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA))
    assert len(res) == 12
    assert {"_recnum", "_record", "_block", "_online", "_seg_image"} <= set(res.colnames)
    return res


def test_repr_str_html_repeat_without_hidden_columns(result):
    first = repr(result)
    assert first.startswith("<sunpy_jsocx.response.JSOCXResponse object at")
    assert_hidden(first)
    # A notebook asks for the text repr and then the HTML one; both, twice.
    html = result._repr_html_()
    assert_hidden_html(html)
    second = repr(result)
    assert second == first
    assert _width(second) == _width(first) < 80
    assert _same_html(result._repr_html_()) == _same_html(html)
    text = str(result)
    assert_hidden(text)
    assert str(result) == text
    assert repr(result) == first


def test_display_does_not_change_the_table_meta(result):
    before = dict(result.meta.get("__attributes__", {}))
    repr(result)
    result._repr_html_()
    str(result[0:2])
    assert dict(result.meta.get("__attributes__", {})) == before
    assert result.hide_keys == [c for c in result.colnames if c.startswith("_")]
    assert result.display_keys == SHOWN


def test_show_reveals_every_column_and_leaves_the_table_alone(result):
    everything = result.show()
    assert everything.colnames == result.colnames
    text = repr(everything)
    assert set(_text_names(text)) == set(result.colnames)
    assert "_recnum" in text and "/SUM" in text
    assert set(_html_names(everything._repr_html_())) == set(result.colnames)
    some = result.show("T_REC", "_recnum", "NOT_A_COLUMN")
    assert some.colnames == ["T_REC", "_recnum"]
    assert _text_names(str(some)) == ["T_REC", "_recnum"]
    # The table shown before and after is unchanged.
    assert_hidden(repr(result))
    assert_hidden_html(result._repr_html_())


@pytest.mark.parametrize("index", [slice(0, 3), slice(None, None, 2), [0, 5, 11], "mask", slice(-2, None)])
def test_slices_display_like_the_table(result, index):
    if index == "mask":
        index = np.asarray(result["WAVELNTH"]) == 304
    part = result[index]
    assert isinstance(part, JSOCXResponse)
    text = repr(part)
    assert_hidden(text)
    assert repr(part) == text
    assert_hidden_html(part._repr_html_())
    assert_hidden_html(part._repr_html_())
    assert_hidden(str(part))
    # Hidden columns are still there for fetching, and a slice of a slice hides them too.
    assert "_recnum" in part.colnames
    assert_hidden(repr(part[0:1]))
    # Showing a slice did not reveal the hidden columns of the table.
    assert_hidden(repr(result))


def test_rows_display_like_the_table(result):
    row = result[3]
    assert isinstance(row, QueryResponseRow)
    text = repr(row)
    assert text.startswith("<JSOCXRow index=3>")
    assert_hidden(text)
    assert repr(row) == text
    assert_hidden(str(row))
    assert_hidden_html(row._repr_html_())
    assert_hidden_html(row._repr_html_())
    assert int(row["_recnum"]) == result.recnums[3]
    assert_hidden(repr(row.as_table()))
    assert_hidden(repr(result))
    assert_hidden(repr(result[-1]))


def test_unhide_columns_is_per_table(result):
    part = result[0:4]
    part.unhide_columns()
    assert set(_text_names(repr(part))) == set(result.colnames)
    assert_hidden(repr(result))
    assert_hidden(repr(result[0:4]))
    result.unhide_columns()
    assert set(_text_names(repr(result))) == set(result.colnames)
    assert set(_text_names(repr(result))) == set(result.colnames)
    # An explicit choice of columns sticks on its table, too.
    result.display_keys = ["T_REC", "_recnum"]
    result.hide_keys = None
    assert _text_names(repr(result)) == ["T_REC", "_recnum"]
    assert _text_names(repr(result)) == ["T_REC", "_recnum"]


def test_settings_made_on_a_table_are_inherited_by_its_slices(result):
    everything = result.show()
    assert set(_text_names(repr(everything[0:2]))) == set(result.colnames)
    assert set(_text_names(repr(everything[0]))) == set(result.colnames)
    part = result[0:6]
    part.display_keys = ["T_REC", "_record"]
    part.hide_keys = None
    assert _text_names(repr(part[::2])) == ["T_REC", "_record"]
    assert _text_names(repr(part[::2])) == ["T_REC", "_record"]
    assert_hidden(repr(result))
    assert_hidden_html(result._repr_html_())


def test_asked_keywords_are_shown_in_slices_too(emulator):
    with sunpy_jsocx.use_server(emulator.url):
        res = JSOCXClient().search(TIME, a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA),
                                   keys=["EXPTIME"])
    shown = [*SHOWN, "EXPTIME"]
    for table in (res, res, res[1:], res[::2]):
        assert_hidden(repr(table), shown)
        assert_hidden_html(table._repr_html_(), shown)


def test_fido_unified_response_repr_and_html(emulator):
    with sunpy_jsocx.use_server(emulator.url):
        res = Fido.search(TIME, a.jsocx.Series("aia.lev1_euv_12s"),
                          a.Wavelength(171 * u.AA) | a.Wavelength(304 * u.AA))
    assert len(res) == 2
    first = repr(res)
    html = res._repr_html_()
    assert _underscored(first) == [] and "/SUM" not in first
    assert _html_names(html) == SHOWN * 2
    assert repr(res) == first
    assert _same_html(res._repr_html_()) == _same_html(html)
    assert _width(repr(res)) == _width(first)
    assert _underscored(str(res)) == []
    part = res[0, ::2]
    assert_hidden(repr(part))
    assert _underscored(repr(res[:, 1:3])) == []
    assert repr(res) == first
    # Fido's show() reveals every column of every table.
    shown = res.show()
    assert set(_html_names(shown._repr_html_())) == set(res[0].colnames) | set(res[1].colnames)
    assert repr(res) == first


def test_default_display_list_is_the_fallback():
    table = JSOCXResponse({"T_REC": ["a"], "QUALITY": [0], "_recnum": [1]})
    assert table.display_keys == ["T_REC"]
    assert table.hide_keys == ["_recnum"]
    assert _text_names(repr(table)) == ["T_REC"]
    other = JSOCXResponse({"QUALITY": [0], "_recnum": [1]})
    assert other.display_keys == slice(None)
    assert _text_names(repr(other)) == ["QUALITY"]
    assert tuple(DEFAULT_DISPLAY) == tuple(SHOWN)
    empty = table[[]]
    assert len(empty) == 0
    assert _text_names(repr(empty)) == ["T_REC"]
