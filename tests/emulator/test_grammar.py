"""Tests for the record-set specification parser (`sunpy_jsocx.grammar`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunpy_jsocx.grammar import (
    BoolOp,
    Comparison,
    Filter,
    Item,
    Literal,
    Name,
    Not,
    RecordSetSpec,
    RecordSetSyntaxError,
    Where,
    evaluate_where,
    parse,
    parse_where,
    split_item,
    split_recnum_item,
)
from sunpy_jsocx.jsoctime import parse_time


def only(ds: str) -> RecordSetSpec:
    specs = parse(ds)
    assert len(specs) == 1
    return specs[0]


# ---------------------------------------------------------------------------
# Record sets: the forms of jsoc-api.md section 4 and what sunpy sends
# ---------------------------------------------------------------------------


def test_bare_series():
    spec = only("hmi.M_45s")
    assert spec == RecordSetSpec("hmi.M_45s", (), None, "hmi.M_45s")


def test_series_case_is_preserved():
    assert only("HMI.m_45S[$]").series == "HMI.m_45S"


def test_sunpy_sharp_query_with_empty_filter_step_and_segments():
    ds = "hmi.sharp_720s[][2020.01.01_00:00:35_TAI-2020.01.01_01:00:35_TAI@300.0s]{continuum,magnetogram}"
    spec = only(ds)
    assert spec.series == "hmi.sharp_720s"
    assert spec.text == ds
    empty, times = spec.filters
    assert empty == Filter("empty", None, (), None, False, "")
    assert times.kind == "values"
    assert times.key is None
    assert times.items == ("2020.01.01_00:00:35_TAI-2020.01.01_01:00:35_TAI@300.0s",)
    assert spec.segments == ("continuum", "magnetogram")
    assert split_item(times.items[0], is_time=True) == Item(
        "range", "2020.01.01_00:00:35_TAI", "2020.01.01_01:00:35_TAI", None, "300.0s"
    )


def test_sunpy_aia_query_with_wavelength_list():
    spec = only("aia.lev1_euv_12s[2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI][171,304]{image}")
    assert [f.kind for f in spec.filters] == ["values", "values"]
    assert spec.filters[0].items == ("2014.01.01_00:00:35_TAI-2014.01.01_00:01:05_TAI",)
    assert spec.filters[1].items == ("171", "304")
    assert spec.filters[1].text == "171,304"
    assert spec.segments == ("image",)


def test_sunpy_where_clause():
    ds = "hmi.M_45s[2012.01.01_00:00:34_TAI-2012.01.01_00:02:34_TAI][? QUALITY<'2' AND EXPTIME>'2' ?]{magnetogram}"
    spec = only(ds)
    times, where = spec.filters
    assert times.kind == "values"
    assert where.kind == "where"
    assert where.all_versions is False
    assert where.text == "? QUALITY<'2' AND EXPTIME>'2' ?"
    assert where.items == ()
    assert isinstance(where.where, Where)
    assert where.where.names == {"QUALITY", "EXPTIME"}
    assert where.where.expr == BoolOp(
        "AND",
        (
            Comparison("<", Name("QUALITY"), Literal("2", "string", "2")),
            Comparison(">", Name("EXPTIME"), Literal("2", "string", "2")),
        ),
    )
    assert spec.segments == ("magnetogram",)


def test_all_versions_clause():
    spec = only("hmi.M_45s[! QUALITY = 0 !]")
    (f,) = spec.filters
    assert f.kind == "where"
    assert f.all_versions is True
    assert f.where.expr == Comparison("=", Name("QUALITY"), Literal(0, "number", "0"))


def test_span_with_step():
    (f,) = only("hmi.v_45s[2016.04.01_TAI/1d@6h]").filters
    assert f.items == ("2016.04.01_TAI/1d@6h",)
    assert split_item(f.items[0], is_time=True) == Item("span", "2016.04.01_TAI", None, "1d", "6h")


def test_last_and_first():
    assert only("hmi.M_45s[$]").filters[0].items == ("$",)
    assert only("hmi.M_45s[^]").filters[0].items == ("^",)
    assert split_item("$", is_time=True) == Item("last")
    assert split_item("^", is_time=False) == Item("first")


def test_record_numbers():
    (f,) = only("hmi.M_45s[:#3760477,#3760478]").filters
    assert f == Filter("recnums", None, ("#3760477", "#3760478"), None, False, ":#3760477,#3760478")
    assert [split_recnum_item(i) for i in f.items] == [Item("value", "3760477"), Item("value", "3760478")]


def test_record_number_ranges_spans_steps_first_last():
    (f,) = only("hmi.M_45s[:#100-#200@2, #5/10, #^, #$]").filters
    assert f.items == ("#100-#200@2", "#5/10", "#^", "#$")
    assert [split_recnum_item(i) for i in f.items] == [
        Item("range", "100", "200", None, "2"),
        Item("span", "5", None, "10", None),
        Item("first"),
        Item("last"),
    ]


def test_sharp_with_harpnum_and_truncated_time_and_spaced_segments():
    spec = only("hmi.sharp_720s[4864][2014.11.30_00:00_TAI]{continuum, magnetogram}")
    assert [f.items for f in spec.filters] == [("4864",), ("2014.11.30_00:00_TAI",)]
    assert spec.segments == ("continuum", "magnetogram")
    assert split_item("2014.11.30_00:00_TAI", is_time=True) == Item("value", "2014.11.30_00:00_TAI")


def test_iso_span_with_step():
    spec = only("aia.lev1_euv_12s[2025-01-01T04:33:30.000/1m@12s][171]{image}")
    first, wavelength = spec.filters
    assert split_item(first.items[0], is_time=True) == Item("span", "2025-01-01T04:33:30.000", None, "1m", "12s")
    assert wavelength.items == ("171",)


def test_named_filter():
    (f,) = only("hmi.M_45s[T_REC=2014.01.01_TAI]").filters
    assert f.kind == "values"
    assert f.key == "T_REC"
    assert f.items == ("2014.01.01_TAI",)
    assert f.text == "T_REC=2014.01.01_TAI"


def test_named_filter_with_spaces_and_list():
    (f,) = only("aia.lev1_euv_12s[ WAVELNTH = 171, 193 ]").filters
    assert f.key == "WAVELNTH"
    assert f.items == ("171", "193")


def test_time_list():
    (f,) = only("hmi.M_45s[2014.01.01_TAI,2014.01.02_TAI]").filters
    assert f.items == ("2014.01.01_TAI", "2014.01.02_TAI")


def test_slot_index_items_in_a_prime_key_filter():
    (f,) = only("hmi.M_45s[#3000-#3010]").filters
    assert f.kind == "values"
    assert split_item(f.items[0], is_time=True) == Item("range", "3000", "3010", None, None)


def test_two_record_sets():
    specs = parse("hmi.M_45s[2014.01.01_TAI]{magnetogram}, aia.lev1_euv_12s[$][171,193]{image}")
    assert [s.series for s in specs] == ["hmi.M_45s", "aia.lev1_euv_12s"]
    assert [s.text for s in specs] == ["hmi.M_45s[2014.01.01_TAI]{magnetogram}", "aia.lev1_euv_12s[$][171,193]{image}"]
    assert specs[1].filters[1].items == ("171", "193")


def test_commas_inside_brackets_do_not_split_record_sets():
    specs = parse("a.b[1,2]{x,y},c.d[? S='p,q' ?]")
    assert [s.series for s in specs] == ["a.b", "c.d"]
    assert specs[1].filters[0].where.expr.right == Literal("p,q", "string", "p,q")


def test_whitespace_is_tolerated_around_record_sets_and_parts():
    specs = parse("  hmi.M_45s [$] {magnetogram} ,\n aia.lev1_euv_12s[$]  ")
    assert [s.series for s in specs] == ["hmi.M_45s", "aia.lev1_euv_12s"]
    assert specs[0].segments == ("magnetogram",)
    assert specs[0].text == "hmi.M_45s [$] {magnetogram}"


def test_where_clause_may_contain_closing_bracket_in_quotes():
    (f,) = only("hmi.M_45s[? NAME = 'a?]b' ?]").filters
    assert f.where.expr.right.value == "a?]b"


def test_mixed_filters_keep_order():
    spec = only("hmi.sharp_720s[][2014.01.01_TAI][? USFLUX > 1e21 ?][:#1]{bitmap}")
    assert [f.kind for f in spec.filters] == ["empty", "values", "where", "recnums"]


# ---------------------------------------------------------------------------
# Malformed record sets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ds", "reason"),
    [
        ("", "missing series name"),
        ("   ", "missing series name"),
        ("hmi", "series name"),
        ("hmi.", "series name"),
        (".M_45s", "series name"),
        ("1hmi.M_45s", "series name"),
        ("_hmi.M_45s", "series name"),
        ("hmi.M_45s.x", "more than one"),
        ("hmi.M-45s[$]", "unexpected"),
        ("hmi.M_45s[", "unbalanced"),
        ("hmi.M_45s[$", "unbalanced"),
        ("hmi.M_45s[$]]", "unexpected"),
        ("hmi.M_45s]", "unexpected"),
        ("hmi.M_45s{a", "unbalanced"),
        ("hmi.M_45s{a}}", "unexpected"),
        ("hmi.M_45s{a}x", "unexpected"),
        ("hmi.M_45s{a}[$]", "after the segment list"),
        ("hmi.M_45s{a}{b}", "after the segment list"),
        ("hmi.M_45s{}", "empty segment name"),
        ("hmi.M_45s{a,}", "empty segment name"),
        ("hmi.M_45s{a b}", "bad segment name"),
        ("hmi.M_45s{a-b}", "bad segment name"),
        ("hmi.M_45s[a[b]]", "unexpected '\\['"),
        ("hmi.M_45s[a{b]", "unexpected"),
        ("hmi.M_45s[1,,2]", "empty item"),
        ("hmi.M_45s[1,]", "empty item"),
        ("hmi.M_45s[T_REC=]", "empty item"),
        ("hmi.M_45s[1;2]", "not allowed"),
        ("hmi.M_45s['x']", "not allowed"),
        ("hmi.M_45s[x=y=z]", "not allowed"),
        ("hmi.M_45s[$x]", "stand alone"),
        ("hmi.M_45s[2014$]", "stand alone"),
        ("hmi.M_45s[1-]", "no end"),
        ("hmi.M_45s[/1d]", "no start"),
        ("hmi.M_45s[2014.01.01/]", "bad duration"),
        ("hmi.M_45s[2014.01.01/1x]", "bad duration"),
        ("hmi.M_45s[2014.01.01/1d/2d]", "more than one '/'"),
        ("hmi.M_45s[2014.01.01/1d@]", "bad step"),
        ("hmi.M_45s[2014.01.01/1d@1h@2h]", "more than one '@'"),
        ("hmi.M_45s[:5]", "record-number"),
        ("hmi.M_45s[:#5-6]", "record-number"),
        ("hmi.M_45s[:]", "empty item"),
        ("hmi.M_45s[#x]", "record-number"),
        ("hmi.M_45s[? ?]", "empty where clause"),
        ("hmi.M_45s[? QUALITY=0 ]", "not closed"),
        ("hmi.M_45s[? QUALITY='0 ?]", "unterminated string"),
        ("hmi.M_45s[$],", "missing series name"),
        (",hmi.M_45s[$]", "missing series name"),
        ("hmi.M_45s[$] aia.lev1_euv_12s", "unexpected text"),
    ],
)
def test_malformed_record_sets_are_rejected(ds, reason):
    with pytest.raises(RecordSetSyntaxError, match=reason) as info:
        parse(ds)
    assert str(info.value).startswith(f"invalid record-set specification `{ds}`: ")
    assert isinstance(info.value, ValueError)


def test_parse_rejects_non_strings():
    with pytest.raises(RecordSetSyntaxError, match="string"):
        parse(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("2014.01.01_TAI", Item("value", "2014.01.01_TAI")),
        ("2014-01-01T00:00:00Z", Item("value", "2014-01-01T00:00:00Z")),
        ("2014-01-01", Item("value", "2014-01-01")),
        (
            "2014.01.01_TAI-2014.01.02_TAI@1h",
            Item("range", "2014.01.01_TAI", "2014.01.02_TAI", None, "1h"),
        ),
        (
            "2014-01-01T00:00:00Z-2014-01-02T00:00:00Z",
            Item("range", "2014-01-01T00:00:00Z", "2014-01-02T00:00:00Z"),
        ),
        ("2014-01-01-2014-01-02", Item("range", "2014-01-01", "2014-01-02")),
        (
            "2014-01-01T00:00:00.5-2014.01.01_00:01:00_TAI@90.0s",
            Item("range", "2014-01-01T00:00:00.5", "2014.01.01_00:01:00_TAI", None, "90.0s"),
        ),
        ("2010.05.01/1d", Item("span", "2010.05.01", None, "1d")),
        ("2014-01-01T00:00/2h@10u", Item("span", "2014-01-01T00:00", None, "2h", "10u")),
        ("  2014.01.01_TAI  ", Item("value", "2014.01.01_TAI")),
    ],
)
def test_split_time_items(item, expected):
    assert split_item(item, is_time=True) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("171", Item("value", "171")),
        ("-5", Item("value", "-5")),
        ("1e-5", Item("value", "1e-5")),
        ("100-200", Item("range", "100", "200")),
        ("-5--3", Item("range", "-5", "-3")),
        ("-5-3", Item("range", "-5", "3")),
        ("1e-5-2E-5", Item("range", "1e-5", "2E-5")),
        ("1-9@2", Item("range", "1", "9", None, "2")),
        ("5/10", Item("span", "5", None, "10")),
        ("5/10@2", Item("span", "5", None, "10", "2")),
        ("SIDE1", Item("value", "SIDE1")),
        ("#7", Item("value", "7")),
    ],
)
def test_split_number_items(item, expected):
    assert split_item(item, is_time=False) == expected


@pytest.mark.parametrize(
    ("item", "is_time"),
    [
        ("", True),
        ("", False),
        ("now", True),
        ("2014.01.01_TAI@1h", True),  # a step needs a range or span
        ("171@2", False),
        ("2014.01.01_TAI-", True),
        ("-2014.01.01_TAI", True),
        ("2014.01.01_TAI-tomorrow", True),
        ("2014.13.01_TAI-2014.12.01_TAI", True),
        ("2014.01.01_TAI/1x", True),
        ("2014.01.01_TAI/1d@1x", True),
        ("bogus/1d", True),
        ("1-2-3", False),
        ("1-", False),
        ("1;2", False),
        ("1]", False),
        ("[1", False),
        ("1@2@3", False),
        ("$$", False),
        ("#5-6", False),
    ],
)
def test_split_item_rejects_garbage(item, is_time):
    with pytest.raises(RecordSetSyntaxError):
        split_item(item, is_time=is_time)


@pytest.mark.parametrize("item", ["", "#", "5", "#5-", "#5-6", "#-5", "#5@2", "#5/", "#^5", "#$$", "#5.5", "#5/10@"])
def test_split_recnum_item_rejects_garbage(item):
    with pytest.raises(RecordSetSyntaxError, match="record-number"):
        split_recnum_item(item)


# ---------------------------------------------------------------------------
# Where clauses: parsing
# ---------------------------------------------------------------------------


def test_where_precedence_and_parentheses():
    where = parse_where("A=1 OR B=2 AND NOT C=3")
    assert where.expr == BoolOp(
        "OR",
        (
            Comparison("=", Name("A"), Literal(1, "number", "1")),
            BoolOp(
                "AND",
                (
                    Comparison("=", Name("B"), Literal(2, "number", "2")),
                    Not(Comparison("=", Name("C"), Literal(3, "number", "3"))),
                ),
            ),
        ),
    )
    grouped = parse_where("(A=1 or B=2) and c=3")
    assert grouped.expr.op == "AND"
    assert grouped.expr.operands[0].op == "OR"
    assert grouped.names == {"A", "B", "c"}


@pytest.mark.parametrize(
    ("text", "op"),
    [("A=1", "="), ("A==1", "="), ("A!=1", "!="), ("A<>1", "!="), ("A<1", "<"), ("A<=1", "<="), ("A>1", ">"),
     ("A>=1", ">=")],
)  # fmt: skip
def test_where_operators_are_normalised(text, op):
    assert parse_where(text).expr.op == op


T_2014 = parse_time("2014.01.01_00:00:35_TAI")


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("A = 17", Literal(17, "number", "17")),
        ("A = -17", Literal(-17, "number", "-17")),
        ("A = +2.5", Literal(2.5, "number", "+2.5")),
        ("A = 1.5e3", Literal(1500.0, "number", "1.5e3")),
        ("A = .5", Literal(0.5, "number", ".5")),
        ("A = 0x00000400", Literal(1024, "number", "0x00000400")),
        ("A = 'x y'", Literal("x y", "string", "x y")),
        ('A = "double"', Literal("double", "string", "double")),
        ("A = 'it''s'", Literal("it's", "string", "it's")),
        ("A = $(2014.01.01_00:00:35_TAI)", Literal(T_2014, "time", "2014.01.01_00:00:35_TAI")),
        ("A = $( 2014-01-01T00:00:00Z )", Literal(T_2014, "time", "2014-01-01T00:00:00Z")),
    ],
)  # fmt: skip
def test_where_literals(text, literal):
    assert parse_where(text).expr.right == literal


def test_where_literal_on_the_left_and_keyword_vs_keyword():
    assert parse_where("2 < QUALITY").expr == Comparison("<", Literal(2, "number", "2"), Name("QUALITY"))
    assert parse_where("T_OBS > T_REC").names == {"T_OBS", "T_REC"}


def test_where_names_ignore_case_of_boolean_words():
    assert parse_where("a=1 And b=2 oR NoT c=3").names == {"a", "b", "c"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "QUALITY",
        "QUALITY =",
        "= 1",
        "QUALITY = 1 AND",
        "QUALITY = 1 OR OR B = 2",
        "(QUALITY = 1",
        "QUALITY = 1)",
        "QUALITY = 1 B = 2",
        "QUALITY = 'unterminated",
        "QUALITY = $(not a time)",
        "QUALITY = $(2014.01.01",
        "QUALITY = - 'x'",
        "QUALITY = --1",
        "QUALITY & 1 = 0",
        "QUALITY = 1 + 1",
        "QUALITY = 1 || 1",
        "QUALITY IN (1, 2)",
        "QUALITY IS NULL",
        "QUALITY BETWEEN 1 AND 2",
        "NAME LIKE 'a%'",
    ],
)
def test_where_rejects_text_outside_the_grammar(text):
    with pytest.raises(RecordSetSyntaxError, match="invalid where clause"):
        parse_where(text)


@pytest.mark.parametrize(
    "text",
    [
        "QUALITY = 0; DROP TABLE hmi.m_45s",
        "QUALITY = 0 -- comment",
        "QUALITY = 0 /* comment */",
        "QUALITY = 0 UNION SELECT * FROM pg_user",
        "QUALITY = (SELECT 1)",
        "QUALITY = 0 OR 1=1; DELETE FROM x",
        "QUALITY = '0'; DROP TABLE x; --'",
        "QUALITY = 0' OR '1'='1",
        "QUALITY = 0\x00",
        "QUALITY = pg_sleep(10)",
        "QUALITY = `x`",
        "QUALITY = $(2014.01.01); DROP",
        "QUALITY = 0 \\",
        "EXEC xp_cmdshell 'dir'",
        "QUALITY = 0 INTO OUTFILE '/tmp/x'",
    ],
)
def test_injection_attempts_are_rejected(text):
    with pytest.raises(RecordSetSyntaxError):
        parse_where(text)
    with pytest.raises(RecordSetSyntaxError):
        parse(f"hmi.M_45s[$][? {text} ?]")


def test_injection_inside_filter_items_is_rejected():
    for ds in [
        "hmi.M_45s[2014.01.01'; DROP TABLE x; --]",
        "hmi.M_45s[T_REC=0 OR 1=1]",
        'hmi.M_45s[1"]',
        "hmi.M_45s{image; rm -rf /}",
        "hmi.M_45s[$]; DROP TABLE x",
    ]:
        with pytest.raises(RecordSetSyntaxError):
            parse(ds)


# ---------------------------------------------------------------------------
# Where clauses: evaluation
# ---------------------------------------------------------------------------

COLUMNS = {
    "QUALITY": np.array([0, 1, 2, 0x400, 0]),
    "EXPTIME": np.array([2.9, 2.9, 1.0, np.nan, 3.0]),
    "WAVELNTH": np.array([171, 193, 171, 304, 171]),
    "INSTRUME": np.array(["AIA_3", "AIA_4", "AIA_3", "AIA_1", None], dtype=object),
    "T_OBS": np.array(
        [parse_time(f"2014.01.01_00:00:{s:02d}_TAI") for s in (35, 47, 59)] + [np.nan, parse_time("2014.01.02_TAI")]
    ),
    "T_REC": np.array([parse_time(f"2014.01.01_00:00:{s:02d}_TAI") for s in (36, 48, 59, 11, 0)]),
}
KINDS = {"QUALITY": "int", "EXPTIME": "float", "WAVELNTH": "short", "INSTRUME": "string", "T_OBS": "time",
         "T_REC": "time"}  # fmt: skip


def evaluate(text: str) -> list[bool]:
    result = evaluate_where(parse_where(text), COLUMNS.__getitem__, kinds=KINDS.__getitem__, size=5)
    assert result.dtype == bool
    assert result.shape == (5,)
    return result.tolist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("QUALITY<'2' AND EXPTIME>'2'", [True, True, False, False, True]),
        ("QUALITY = 0", [True, False, False, False, True]),
        ("QUALITY == 0x400", [False, False, False, True, False]),
        ("QUALITY = '0x00000400'", [False, False, False, True, False]),
        ("QUALITY != 0", [False, True, True, True, False]),
        ("QUALITY <> 0", [False, True, True, True, False]),
        ("QUALITY >= 1 AND QUALITY <= 2", [False, True, True, False, False]),
        ("WAVELNTH = 171 OR WAVELNTH = 304", [True, False, True, True, True]),
        ("NOT WAVELNTH = 171", [False, True, False, True, False]),
        ("NOT (WAVELNTH = 171 OR QUALITY > 0)", [False, False, False, False, False]),
        ("2 > QUALITY", [True, True, False, False, True]),
        ("EXPTIME > 2.95", [False, False, False, False, True]),
        ("EXPTIME > -1e3", [True, True, True, False, True]),
        ("INSTRUME = 'AIA_3'", [True, False, True, False, False]),
        ('INSTRUME = "AIA_4"', [False, True, False, False, False]),
        ("INSTRUME > 'AIA_2'", [True, True, True, False, False]),
        ("T_OBS < $(2014.01.01_00:00:50_TAI)", [True, True, False, False, False]),
        ("T_OBS < '2014.01.01_00:00:50_TAI'", [True, True, False, False, False]),
        ("T_OBS >= $(2014-01-01T00:00:00Z)", [True, True, True, False, True]),
        ("T_OBS < T_REC", [True, True, False, False, False]),
        ("T_OBS = T_REC", [False, False, True, False, False]),
        ("1 = 1 AND QUALITY = 1", [False, True, False, False, False]),
        ("'2' = 2", [True] * 5),
    ],
)
def test_where_evaluation(text, expected):
    assert evaluate(text) == expected


def test_missing_values_never_match_not_even_under_not_or_inequality():
    # EXPTIME[3] and T_OBS[3] are NaN, INSTRUME[4] is None.
    assert evaluate("EXPTIME != 5")[3] is False
    assert evaluate("NOT EXPTIME = 5")[3] is False
    # unknown AND false is false, so its negation selects row 3 ...
    assert evaluate("NOT (EXPTIME > 5 AND QUALITY = 0)") == [True, True, True, True, True]
    # ... but unknown AND true is unknown, and so is its negation.
    assert evaluate("NOT (EXPTIME > 1 AND QUALITY = 1024)") == [True, True, True, False, True]
    assert evaluate("EXPTIME > 5 OR QUALITY > 0")[3] is True  # OR with a true side is true
    assert evaluate("NOT (EXPTIME > 5 OR QUALITY = 1024)")[3] is False  # not (unknown or true)
    assert evaluate("NOT (EXPTIME > 5 OR QUALITY = 0)")[3] is False  # not (unknown or false) = unknown
    assert evaluate("T_OBS != $(2000.01.01_TAI)")[3] is False
    assert evaluate("INSTRUME != 'x'") == [True, True, True, True, False]


def test_number_against_a_string_keyword_compares_as_text():
    columns = {"CAMERA": np.array(["1", "2", "10"], dtype=object)}
    result = evaluate_where(parse_where("CAMERA = 10"), columns.__getitem__, kinds=lambda n: "string")
    assert result.tolist() == [False, False, True]


def test_clause_without_keywords_broadcasts_with_size():
    where = parse_where("1 = 1")
    assert where.names == set()
    assert evaluate_where(where, COLUMNS.__getitem__, kinds=KINDS.__getitem__, size=3).tolist() == [True] * 3
    assert bool(evaluate_where(parse_where("1 = 2"), COLUMNS.__getitem__, kinds=KINDS.__getitem__)) is False


def test_columns_are_fetched_once_per_evaluation():
    calls = []

    def column(name):
        calls.append(name)
        return COLUMNS[name]

    evaluate_where(parse_where("QUALITY = 0 OR QUALITY = 1 OR QUALITY = 2"), column, kinds=KINDS.__getitem__)
    assert calls == ["QUALITY"]


def test_unknown_keyword_is_a_syntax_error():
    with pytest.raises(RecordSetSyntaxError, match="unknown keyword 'NOPE'"):
        evaluate("NOPE = 1")
    with pytest.raises(RecordSetSyntaxError, match="unknown keyword"):
        evaluate("QUALITY = 0 AND NOPE = 1")


@pytest.mark.parametrize(
    "text",
    [
        "QUALITY < 'abc'",
        "EXPTIME = 'fast'",
        "T_OBS < 'yesterday'",
        "INSTRUME = $(2014.01.01_TAI)",
        "INSTRUME = QUALITY",
    ],
)
def test_incompatible_comparisons_are_errors(text):
    with pytest.raises(RecordSetSyntaxError, match="cannot compare"):
        evaluate(text)


def test_huge_literals_do_not_overflow():
    assert evaluate("QUALITY < 0xFFFFFFFFFFFFFFFFFFFF") == [True] * 5
    assert evaluate("QUALITY > '-99999999999999999999999'") == [True] * 5


def test_evaluation_through_parse():
    (spec,) = parse("aia.lev1_euv_12s[2014.01.01_TAI/1m][? WAVELNTH = 171 AND QUALITY = 0 ?]{image}")
    where = spec.filters[1].where
    mask = evaluate_where(where, COLUMNS.__getitem__, kinds=KINDS.__getitem__)
    assert mask.tolist() == [True, False, False, False, True]


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

RECORDSET_ALPHABET = st.sampled_from(list("hmiaM_45s.[]{}?!:#$^@/-,=' \"<>()0123456789TAIZ;xQ"))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=RECORDSET_ALPHABET, max_size=60) | st.text(max_size=60))
def test_parse_raises_only_record_set_syntax_errors(text):
    try:
        specs = parse(text)
    except RecordSetSyntaxError:
        return
    assert specs
    assert all(isinstance(spec, RecordSetSpec) for spec in specs)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("QUALITY AND OR NOT()=<>!'\"$0x123.e-+;_")), max_size=50)
    | st.text(max_size=50)
)
def test_parse_where_raises_only_record_set_syntax_errors(text):
    try:
        where = parse_where(text)
    except RecordSetSyntaxError:
        return
    assert isinstance(where, Where)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.booleans())
def test_split_item_raises_only_record_set_syntax_errors(text, is_time):
    try:
        item = split_item(text, is_time=is_time)
    except RecordSetSyntaxError:
        return
    assert item.kind in {"value", "range", "span", "first", "last"}


names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True)
series_names = st.builds(lambda a, b: f"{a}.{b}", names, st.from_regex(r"[A-Za-z0-9_]{1,10}", fullmatch=True))
times = st.integers(min_value=0, max_value=1_500_000_000).map(
    lambda s: __import__("sunpy_jsocx.jsoctime", fromlist=["format_time"]).format_time(float(s))
)
time_items = st.one_of(
    times,
    st.builds(lambda a, b: f"{a}-{b}", times, times),
    st.builds(lambda a, d, s: f"{a}/{d}d@{s}h", times, st.integers(1, 9), st.integers(1, 9)),
    st.sampled_from(["$", "^"]),
)
segments = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    series_names,
    st.lists(st.lists(time_items, min_size=1, max_size=3), max_size=3),
    st.none() | segments,
)
def test_generated_record_sets_round_trip(series, filters, segs):
    text = series + "".join("[" + ",".join(items) + "]" for items in filters)
    if segs is not None:
        text += "{" + ", ".join(segs) + "}"
    (spec,) = parse(text)
    assert spec.series == series
    assert spec.text == text
    assert [f.items for f in spec.filters] == [tuple(items) for items in filters]
    assert spec.segments == (tuple(segs) if segs is not None else None)
    for f in spec.filters:
        for item in f.items:
            assert split_item(item, is_time=True).kind in {"value", "range", "span", "first", "last"}


def test_client_grammar_does_not_load_the_emulator():
    # The grammar is shared by the client and the emulator; the client must use it without
    # importing it from the emulator package (issue 8, layering).
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from sunpy_jsocx import recordset\n"
        "g = recordset._grammar()\n"
        "g.parse('hmi.m_45s[2014.01.01_TAI/1d]')\n"
        "print(g.__name__, 'sunpy_jsocx.emulator.grammar' in sys.modules,"
        " 'sunpy_jsocx.emulator.server' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["sunpy_jsocx.grammar", "False", "False"]
