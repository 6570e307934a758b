"""The a.jsocx attrs: construction, validation, combination with & and |, tab completion."""

from __future__ import annotations

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time
from sunpy.coordinates import frames
from sunpy.net import attrs as a
from sunpy.net.attr import AttrAnd, AttrOr, and_

from sunpy_jsocx import attrs as jsocx
from sunpy_jsocx.recordset import PKRange

ATTR_NAMES = ["Cutout", "Keyword", "KeywordComparison", "Method", "Notify", "PrimeKey", "Protocol", "RecordSet",
              "Sample", "Segment", "Series"]


def test_namespace_lists_only_attrs():
    assert sorted(jsocx.__all__) == ATTR_NAMES
    assert dir(jsocx) == jsocx.__all__
    public = [name for name in vars(jsocx) if not name.startswith("_")]
    assert sorted(set(public) - set(ATTR_NAMES)) == ["register_values"]


def test_register_values_comes_from_shipped_catalogue():
    values = jsocx.register_values()
    assert set(values) == {jsocx.Series, jsocx.Segment}
    series = dict(values[jsocx.Series])
    assert series["aia.lev1_euv_12s"] == "AIA Level 1, 12 second cadence"
    assert "hmi.M_45s" in series
    assert "hmi.B_720s" in series
    assert len(series) == len(values[jsocx.Series]) > 200
    segments = [name for name, _ in values[jsocx.Segment]]
    assert len(segments) == len(set(segments))
    assert {"image", "magnetogram", "inclination", "azimuth"} <= set(segments)
    assert all(isinstance(note, str) for _, note in values[jsocx.Segment])
    # every registered value makes a valid attr (sunpy builds them for a.jsocx.Series.<name>)
    for cls, pairs in values.items():
        for name, _ in pairs:
            assert cls(name).value == name


# ---------------------------------------------------------------------------
# Simple attrs
# ---------------------------------------------------------------------------


def test_series_validates_name():
    assert jsocx.Series(" hmi.M_45s ").value == "hmi.M_45s"
    for bad in ["hmi", "hmi.M_45s[$]", "hmi M_45s", "", None, 3]:
        with pytest.raises(ValueError, match="a series name is <namespace>.<name>"):
            jsocx.Series(bad)


def test_segment_and_keyword_validate_names():
    for cls in (jsocx.Segment, jsocx.Keyword):
        assert cls("image").value == "image"
        with pytest.raises(ValueError, match="must be a JSOC name"):
            cls("image}")


@pytest.mark.parametrize("address", ["user@example.org", "first.last+jsoc@mail.example.ac.uk", "a_b@x-y.org"])
def test_notify_accepts_addresses(address):
    assert jsocx.Notify(address).value == address


@pytest.mark.parametrize("address", ["user.example.org", "user@", "@example.org", "user@example", "us er@example.org",
                                     "user@@example.org", "user@exa_mple.org", ".user@example.org", "", None])
def test_notify_refuses_non_addresses_naming_the_value(address):
    with pytest.raises(ValueError, match=rf"Notify needs an e-mail address .*not {address!r}".replace("+", r"\+")):
        jsocx.Notify(address)


def test_protocol_normalised_and_validated():
    assert jsocx.Protocol("FITS").value == "fits"
    assert jsocx.Protocol("As-Is").value == "as-is"
    with pytest.raises(ValueError, match="Protocol must be one of 'fits', 'as-is', not 'jpeg'"):
        jsocx.Protocol("jpeg")


def test_method_normalised_and_validated():
    assert jsocx.Method("URL").value == "url"
    assert jsocx.Method("url-tar").value == "url-tar"
    assert jsocx.Method("url-quick").value == "url_quick"
    assert jsocx.Method("url_quick").value == "url_quick"
    with pytest.raises(ValueError, match="Method must be one of 'url', 'url-tar', 'url_quick', not 'ftp'"):
        jsocx.Method("ftp")


def test_sample_is_sunpys_sample_in_seconds():
    sample = jsocx.Sample(10 * u.min)
    assert isinstance(sample, a.Sample)
    assert sample.value == 600.0
    with pytest.raises(ValueError, match="positive"):
        jsocx.Sample(0 * u.s)
    with pytest.raises(ValueError, match=r"time interval such as 10 \* u.min .*not 5.0 m"):
        jsocx.Sample(5 * u.m)


# ---------------------------------------------------------------------------
# PrimeKey, Keyword
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [4864, 171.0, "2015.08.27_06:00:00_TAI", Time("2014-01-01"), 171 * u.AA,
                                   [171, 304], PKRange(1, 2)])
def test_primekey_accepts_documented_value_types(value):
    pk = jsocx.PrimeKey("WAVELNTH", value)
    assert pk.label == "WAVELNTH"
    assert hash(pk) == hash(jsocx.PrimeKey("WAVELNTH", value))


@pytest.mark.parametrize("value", [True, None, {"a": 1}, [], Time(["2014-01-01", "2014-01-02"]), [1, None]])
def test_primekey_refuses_other_values(value):
    with pytest.raises(ValueError, match="PrimeKey 'X'"):
        jsocx.PrimeKey("X", value)


def test_primekey_range_and_repr():
    pk = jsocx.PrimeKey.range("HARPNUM", 4864, 4870)
    assert pk.value == PKRange(4864, 4870)
    assert repr(jsocx.PrimeKey("HARPNUM", 4864)) == "<sunpy_jsocx.attrs.PrimeKey(HARPNUM: 4864)>"
    with pytest.raises(ValueError, match="must be a JSOC name"):
        jsocx.PrimeKey("HARP NUM", 1)


def test_several_primekeys_and_with_each_other():
    query = jsocx.PrimeKey("HARPNUM", 1) & jsocx.PrimeKey("T_REC", "2014.01.01_TAI")
    assert isinstance(query, AttrAnd)
    assert len(query.attrs) == 2


@pytest.mark.parametrize(("make", "op"), [(lambda k: k == 0, "=="), (lambda k: k != 0, "!="), (lambda k: k < 0, "<"),
                                          (lambda k: k <= 0, "<="), (lambda k: k > 0, ">"), (lambda k: k >= 0, ">=")])
def test_keyword_comparisons(make, op):
    comparison = make(jsocx.Keyword("QUALITY"))
    assert isinstance(comparison, jsocx.KeywordComparison)
    assert (comparison.name, comparison.operator, comparison.value) == ("QUALITY", op, 0)


def test_keyword_comparison_validation():
    assert jsocx.KeywordComparison("QUALITY", "=", 0).operator == "=="
    with pytest.raises(ValueError, match="unknown comparison '<>'"):
        jsocx.KeywordComparison("QUALITY", "<>", 0)
    with pytest.raises(ValueError, match="cannot be compared"):
        jsocx.Keyword("QUALITY") == [0, 1]  # noqa: B015
    with pytest.raises(ValueError, match="cannot be compared"):
        jsocx.Keyword("QUALITY") == None  # noqa: E711,B015


def test_several_filters_on_one_keyword_combine():
    query = (jsocx.Keyword("EXPTIME") > 1) & (jsocx.Keyword("EXPTIME") < 3) & (jsocx.Keyword("EXPTIME") > 2)
    assert [(c.operator, c.value) for c in query.attrs] == [(">", 1), ("<", 3), (">", 2)]


def test_attrs_are_hashable_for_sunpys_set_comparisons():
    query = and_(jsocx.Series("x.y"), jsocx.Keyword("EXPTIME") > 1 * u.s, jsocx.PrimeKey("A", [1, 2]),
                 jsocx.Segment("s"), jsocx.Keyword("K"))
    assert query == and_(jsocx.Series("x.y"), jsocx.Keyword("EXPTIME") > 1 * u.s, jsocx.PrimeKey("A", [1, 2]),
                         jsocx.Segment("s"), jsocx.Keyword("K"))


# ---------------------------------------------------------------------------
# Combination with & and | (a second value of a one-value attr reaches the walker)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda v: jsocx.Series(f"x.{v}"), lambda v: jsocx.Notify(f"{v}@example.org"),
                                  jsocx.Segment, lambda v: jsocx.RecordSet(f"x.{v}[$]")])
def test_repeated_attrs_combine_so_the_walker_can_explain(make):
    both = make("a") & make("b")
    assert isinstance(both, AttrAnd)
    either = make("a") | make("b")
    assert isinstance(either, AttrOr)


def test_protocol_and_method_combine_too():
    assert isinstance(jsocx.Protocol("fits") & jsocx.Protocol("as-is"), AttrAnd)
    assert isinstance(jsocx.Method("url") & jsocx.Method("url-tar"), AttrAnd)


def test_fido_style_query_builds():
    query = and_(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), jsocx.Series("aia.lev1_euv_12s"),
                 jsocx.Notify("user@example.org"), a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
    assert isinstance(query, AttrOr)
    assert len(query.attrs) == 2


# ---------------------------------------------------------------------------
# RecordSet
# ---------------------------------------------------------------------------


def test_recordset_validated_with_grammar():
    rs = jsocx.RecordSet(" hmi.M_45s[2016.04.01_TAI/1d@6h][? QUALITY = 0 ?]{magnetogram} ")
    assert rs.value == "hmi.M_45s[2016.04.01_TAI/1d@6h][? QUALITY = 0 ?]{magnetogram}"
    assert rs.series == "hmi.M_45s"
    for bad in ["hmi.M_45s[", "hmi.M_45s[? 1=1; DROP TABLE x ?]", "M_45s[$]", "hmi.M_45s[$]{a}{b}"]:
        with pytest.raises(ValueError, match="invalid record-set specification"):
            jsocx.RecordSet(bad)
    with pytest.raises(ValueError, match="holds 2 record sets"):
        jsocx.RecordSet("hmi.M_45s[$],hmi.V_45s[$]")


# ---------------------------------------------------------------------------
# Cutout
# ---------------------------------------------------------------------------


def hpc(tx, ty, obstime="2014-01-01T00:00:00"):
    return SkyCoord(tx * u.arcsec, ty * u.arcsec, frame=frames.Helioprojective, obstime=obstime, observer="earth")


def test_cutout_from_corners():
    value = jsocx.Cutout(hpc(-500, -275), hpc(150, 375)).value
    assert value == {"t_ref": "2014-01-01T00:00:00Z", "t": 1, "r": 0, "c": 0, "locunits": "arcsec",
                     "boxunits": "arcsec", "x": -175.0, "y": 50.0, "width": 650.0, "height": 650.0}


def test_cutout_from_width_height_and_flags():
    value = jsocx.Cutout(hpc(-100, -50), width=2 * u.arcmin, height=100 * u.arcsec, tracking=True, register=True,
                         nan_off_limb=True).value
    assert (value["x"], value["y"], value["width"], value["height"]) == pytest.approx((-40.0, 0.0, 120.0, 100.0))
    assert (value["t"], value["r"], value["c"]) == (0, 1, 1)


def test_cutout_refusals():
    with pytest.raises(ValueError, match="Helioprojective frame, not HeliographicStonyhurst"):
        jsocx.Cutout(SkyCoord(0 * u.deg, 0 * u.deg, frame=frames.HeliographicStonyhurst, obstime="2014-01-01"),
                     width=10 * u.arcsec, height=10 * u.arcsec)
    with pytest.raises(ValueError, match="needs an obstime"):
        jsocx.Cutout(SkyCoord(0 * u.arcsec, 0 * u.arcsec, frame=frames.Helioprojective, observer="earth"),
                     width=10 * u.arcsec, height=10 * u.arcsec)
    with pytest.raises(ValueError, match="tracking needs the centre of the cutout on the disk"):
        jsocx.Cutout(hpc(2000, 2000), width=10 * u.arcsec, height=10 * u.arcsec, tracking=True)
    with pytest.raises(ValueError, match="Cutout:"):
        jsocx.Cutout(hpc(0, 0))
    with pytest.raises(TypeError, match="SkyCoord"):
        jsocx.Cutout((0, 0), width=10 * u.arcsec, height=10 * u.arcsec)


def test_cutout_is_hashable_and_comparable():
    c1 = jsocx.Cutout(hpc(-500, -275), hpc(150, 375))
    c2 = jsocx.Cutout(hpc(-500, -275), hpc(150, 375))
    assert c1 == c2
    assert hash(c1) == hash(c2)
    assert "x=-175.0" in repr(c1)
