"""
Search attributes for the JSOC, available as ``a.jsocx.*`` once sunpy-jsocx is imported.

Combine them with sunpy's generic ``a.Time``, ``a.Wavelength`` and ``a.Sample``
using ``&`` (and) and ``|`` (or)::

    >>> import astropy.units as u
    >>> from sunpy.net import attrs as a
    >>> from sunpy_jsocx import attrs as jsocx
    >>> query = (a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30")
    ...          & jsocx.Series("aia.lev1_euv_12s")
    ...          & (a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA)))
    >>> len(query.attrs)
    2

Attributes that can only be given once per query (`Series`, `Notify`,
`Protocol`, `Method`, `Cutout`) do not refuse a second one when combined with
``&``: the query walker (`sunpy_jsocx.walker`) accepts repeats of the same value
and reports different values with a `ValueError` that names both, which is
clearer than Python's ``unsupported operand type(s) for &``.
"""

import datetime as _datetime
import json as _json
import math as _math
import re as _re
from importlib.resources import files as _files

import astropy.units as _u
from astropy.coordinates import BaseCoordinateFrame as _BaseCoordinateFrame
from astropy.coordinates import SkyCoord as _SkyCoord
from astropy.time import Time as _Time
from sunpy.net import attr as _attr
from sunpy.net import attrs as _a

from sunpy_jsocx.recordset import PKRange as _PKRange
from sunpy_jsocx.recordset import validate_recordset as _validate_recordset

__all__ = [
    "Cutout",
    "Keyword",
    "KeywordComparison",
    "Method",
    "Notify",
    "PrimeKey",
    "Protocol",
    "RecordSet",
    "Sample",
    "Segment",
    "Series",
]


def __dir__():
    # Tab completion shows only the attrs.
    return __all__


_NAME_RE = _re.compile(r"[A-Za-z_][A-Za-z0-9_]*", _re.ASCII)
# A few JSOC segments have a dot in their name (``fit.out``, ``pxloc.ascii``).
_SEGMENT_RE = _re.compile(r"[A-Za-z_][A-Za-z0-9_.]*", _re.ASCII)
_SERIES_RE = _re.compile(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_]+", _re.ASCII)
# A practical e-mail syntax: local part of the RFC 5322 atom characters and dots
# (not leading, trailing or doubled), an @, and a domain of two or more labels.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = _re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+", _re.ASCII)


# Values a PrimeKey or a Keyword comparison may hold (besides numpy numbers).
_PLAIN_VALUES = (str, int, float, _Time, _u.Quantity, _datetime.datetime)


def _check_name(value, what, pattern=_NAME_RE):
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(
            f"{what} must be a JSOC name (letters, digits and _, not starting with a digit), not {value!r}"
        )
    return value


def _value_hash(value):
    """A hash for attr values that may be unhashable (lists, Quantity, dicts)."""
    try:
        return hash(value)
    except TypeError:
        return hash(repr(value))


class Series(_attr.SimpleAttr):
    """
    The JSOC series to search, e.g. ``hmi.M_45s`` or ``aia.lev1_euv_12s``.

    Every JSOC query needs exactly one series (or a `RecordSet`). The name is
    case-insensitive, as at JSOC. See the `list of series
    <http://jsoc.stanford.edu/JsocSeries_DataProducts_map.html>`__.

    Parameters
    ----------
    value : str
        ``<namespace>.<name>``.

    Raises
    ------
    ValueError
        If ``value`` is not a series name.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Series
    >>> Series("hmi.M_45s").value
    'hmi.M_45s'
    >>> Series("hmi M_45s")
    Traceback (most recent call last):
    ...
    ValueError: a series name is <namespace>.<name> (letters, digits and _), not 'hmi M_45s'
    """

    def __init__(self, value):
        if not isinstance(value, str) or not _SERIES_RE.fullmatch(value.strip()):
            raise ValueError(f"a series name is <namespace>.<name> (letters, digits and _), not {value!r}")
        super().__init__(value.strip())

    def collides(self, other):
        return False


class Segment(_attr.SimpleAttr):
    """
    A segment (data file) of each record to download, e.g. ``image`` or ``magnetogram``.

    Several segments ANDed together select all of them; with none, every
    segment of the series is downloaded.

    Parameters
    ----------
    value : str
        The segment name (case-insensitive).

    Examples
    --------
    >>> from sunpy.net.attr import AttrAnd
    >>> from sunpy_jsocx.attrs import Segment
    >>> query = Segment("inclination") & Segment("azimuth")
    >>> [s.value for s in query.attrs]
    ['inclination', 'azimuth']
    >>> len(AttrAnd(list(map(Segment, ["field", "inclination", "azimuth"]))).attrs)
    3
    """

    def __init__(self, value):
        super().__init__(_check_name(value, "a segment name", _SEGMENT_RE))

    def collides(self, other):
        return False


class PrimeKey(_attr.DataAttr):
    """
    Select records by the value of any prime key of the series.

    Parameters
    ----------
    label : str
        The prime key, e.g. ``HARPNUM``, ``WAVELNTH``, ``T_REC`` (case-insensitive).
    value : str, int, float, `~astropy.time.Time`, `~astropy.units.Quantity`, list or range
        The value: a number (a `~astropy.units.Quantity` is converted to the
        key's units), a time for a time key (astropy `~astropy.time.Time` or a
        JSOC time string such as ``2015.08.27_06:00:00_TAI`` or
        ``2014-01-01T00:00:00Z``; a string may also be a range ``start-end`` or
        a span ``start/1h``), a string for a string key, a list of such values
        (any of them), or a range made with `PrimeKey.range`.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import PrimeKey
    >>> PrimeKey("HARPNUM", 4864)
    <sunpy_jsocx.attrs.PrimeKey(HARPNUM: 4864)>
    >>> PrimeKey("WAVELNTH", [171, 304]).value
    [171, 304]
    >>> PrimeKey.range("HARPNUM", 4864, 4870).value
    PKRange(lo=4864, hi=4870)
    """

    def __init__(self, label, value):
        super().__init__()
        self.label = _check_name(label, "a prime key name")
        if isinstance(value, list | tuple) and not isinstance(value, _PKRange):
            if not value:
                raise ValueError(f"PrimeKey {label!r} needs at least one value")
            for item in value:
                _check_primekey_value(label, item)
            value = list(value)
        else:
            _check_primekey_value(label, value)
        self.value = value

    @classmethod
    def range(cls, label, lo, hi):
        """
        A prime key between two values, both included (``lo-hi`` at JSOC).

        Parameters
        ----------
        label : str
            The prime key.
        lo, hi
            The ends: numbers, `~astropy.units.Quantity`, or times for a time key.

        Returns
        -------
        PrimeKey

        Examples
        --------
        >>> from sunpy_jsocx.attrs import PrimeKey
        >>> PrimeKey.range("T_REC", "2015.08.27_06:00:00_TAI", "2015.08.27_07:00:00_TAI").value.hi
        '2015.08.27_07:00:00_TAI'
        """
        _check_primekey_value(label, lo)
        _check_primekey_value(label, hi)
        return cls(label, _PKRange(lo, hi))

    def collides(self, other):
        return False

    def __hash__(self):
        return hash((type(self), self.label.upper(), _value_hash(self.value)))

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__}({self.label}: {self.value!r})>"


def _check_primekey_value(label, value):
    if isinstance(value, _PKRange):
        _check_primekey_value(label, value.lo)
        _check_primekey_value(label, value.hi)
        return
    if isinstance(value, bool):
        raise ValueError(f"PrimeKey {label!r}: {value!r} is a bool, not a prime-key value")
    if isinstance(value, _Time | _u.Quantity) and not value.isscalar:
        raise ValueError(f"PrimeKey {label!r}: give a list of single values, not an array {value!r}")
    if not isinstance(value, _PLAIN_VALUES) and not hasattr(value, "__index__"):
        raise ValueError(
            f"PrimeKey {label!r}: {value!r} ({type(value).__name__}) is not a prime-key value; "
            "give a str, int, float, astropy Time or Quantity, a list of them, or PrimeKey.range(...)"
        )


class Notify(_attr.SimpleAttr):
    """
    The e-mail address registered at JSOC, to which JSOC reports on exports.

    JSOC requires a registered address for every export request
    (`register here <http://jsoc.stanford.edu/ajax/register_email.html>`__).

    Parameters
    ----------
    value : str
        The e-mail address.

    Raises
    ------
    ValueError
        If ``value`` is not an e-mail address.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Notify
    >>> Notify("user@example.org").value
    'user@example.org'
    >>> Notify("user.example.org")
    Traceback (most recent call last):
    ...
    ValueError: Notify needs an e-mail address such as user@example.org, not 'user.example.org'
    """

    def __init__(self, value):
        if not isinstance(value, str) or not _EMAIL_RE.fullmatch(value.strip()):
            raise ValueError(f"Notify needs an e-mail address such as user@example.org, not {value!r}")
        super().__init__(value.strip())

    def collides(self, other):
        return False


class Sample(_a.Sample):
    """
    Keep one record per time interval (the cadence), e.g. one every 10 minutes.

    This is sunpy's ``a.Sample``, which the JSOC client handles as well. It
    applies to the time range of ``a.Time`` or of a time `PrimeKey`
    (``@<seconds>s`` at JSOC).

    Parameters
    ----------
    value : `~astropy.units.Quantity`
        A positive time interval.

    Raises
    ------
    TypeError
        If ``value`` is not a `~astropy.units.Quantity`.
    ValueError
        If ``value`` is not in time units, or not positive and finite.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy_jsocx.attrs import Sample
    >>> Sample(10 * u.min).value
    600.0
    >>> Sample(10 * u.m)
    Traceback (most recent call last):
    ...
    ValueError: Sample needs a time interval such as 10 * u.min (units convertible to seconds), not 10.0 m
    """

    def __init__(self, value):
        if not isinstance(value, _u.Quantity):
            raise TypeError(
                f"Sample needs a time interval as an astropy Quantity such as 10 * u.min, not {value!r}"
            )
        if not value.isscalar:
            raise ValueError(f"Sample needs a single time interval, not the array {value}")
        if value.unit.physical_type != "time":
            raise ValueError(
                f"Sample needs a time interval such as 10 * u.min (units convertible to seconds), not {value}"
            )
        super().__init__(value)
        self.value = float(self.value)
        if not (_math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"Sample must be a positive, finite time interval, not {value}")


class KeywordComparison(_attr.AttrComparison):
    """
    A comparison of a keyword with a value, made by comparing a `Keyword`.

    Several comparisons, also on the same keyword, all apply.

    Parameters
    ----------
    name : str
        The keyword.
    operator : str
        One of ``== != < <= > >=`` (``=`` is read as ``==``).
    value : int, float, str, `~astropy.time.Time` or `~astropy.units.Quantity`
        The value to compare with.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Keyword, KeywordComparison
    >>> Keyword("QUALITY") == 0
    <sunpy_jsocx.attrs.KeywordComparison(QUALITY == 0)>
    >>> KeywordComparison("EXPTIME", ">", 1).operator
    '>'
    """

    OPERATORS = ("==", "!=", "<", "<=", ">", ">=")

    def __init__(self, name, operator, value):
        _check_name(name, "a keyword name")
        if operator == "=":
            operator = "=="
        if operator not in self.OPERATORS:
            raise ValueError(f"unknown comparison {operator!r}; valid: {', '.join(self.OPERATORS)}")
        plain = isinstance(value, _PLAIN_VALUES) or hasattr(value, "__float__")
        if isinstance(value, bool) or not plain:
            raise ValueError(
                f"Keyword {name!r}: {value!r} ({type(value).__name__}) cannot be compared; "
                "give a number, a string, an astropy Time or a Quantity"
            )
        if isinstance(value, _Time | _u.Quantity) and not value.isscalar:
            raise ValueError(f"Keyword {name!r}: compare with a single value, not an array {value!r}")
        super().__init__(name, operator, value)

    def collides(self, other):
        return False

    def __hash__(self):
        return hash((type(self), self.name.upper(), self.operator, _value_hash(self.value)))

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__}({self.name} {self.operator} {self.value!r})>"


class Keyword(_attr.SimpleAttr):
    """
    A keyword to filter on; compare it with a value to make a filter.

    ``Keyword("QUALITY") == 0``, ``Keyword("EXPTIME") > 1``; the comparisons
    ``== != < <= > >=`` give `KeywordComparison` attrs. Several filters on one
    keyword all apply, so ``(Keyword("EXPTIME") > 1) & (Keyword("EXPTIME") < 3)``
    is a range (mind the parentheses: ``&`` binds tighter than comparisons).

    Parameters
    ----------
    value : str
        The keyword name (case-insensitive).

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Keyword
    >>> query = (Keyword("EXPTIME") > 1) & (Keyword("EXPTIME") < 3)
    >>> [(c.name, c.operator, c.value) for c in query.attrs]
    [('EXPTIME', '>', 1), ('EXPTIME', '<', 3)]
    """

    def __init__(self, value):
        super().__init__(_check_name(value, "a keyword name"))

    def __hash__(self):
        return hash((type(self), self.value))

    def __lt__(self, other):
        return KeywordComparison(self.value, "<", other)

    def __le__(self, other):
        return KeywordComparison(self.value, "<=", other)

    def __gt__(self, other):
        return KeywordComparison(self.value, ">", other)

    def __ge__(self, other):
        return KeywordComparison(self.value, ">=", other)

    # Comparing with another attr (as sunpy does when it compares queries) is attr equality.
    def __eq__(self, other):
        if isinstance(other, _attr.Attr):
            return _attr.Attr.__eq__(self, other)
        return KeywordComparison(self.value, "==", other)

    def __ne__(self, other):
        if isinstance(other, _attr.Attr):
            return not _attr.Attr.__eq__(self, other)
        return KeywordComparison(self.value, "!=", other)

    def collides(self, other):
        return False


def _choice(value, valid, what, aliases=None):
    text = value.strip().lower() if isinstance(value, str) else value
    text = (aliases or {}).get(text, text)
    if text not in valid:
        raise ValueError(f"{what} must be one of {', '.join(repr(v) for v in valid)}, not {value!r}")
    return text


class Protocol(_attr.SimpleAttr):
    """
    How JSOC delivers the data files.

    Parameters
    ----------
    value : str
        ``"fits"`` (the default: FITS files with the full header of each
        record) or ``"as-is"`` (the files as stored, headers separate).
        Case-insensitive.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Protocol
    >>> Protocol("FITS").value
    'fits'
    >>> Protocol("jpeg")
    Traceback (most recent call last):
    ...
    ValueError: Protocol must be one of 'fits', 'as-is', not 'jpeg'
    """

    VALUES = ("fits", "as-is")

    def __init__(self, value):
        super().__init__(_choice(value, self.VALUES, "Protocol", {"as_is": "as-is"}))

    def collides(self, other):
        return False


class Method(_attr.SimpleAttr):
    """
    How JSOC packages an export.

    Parameters
    ----------
    value : str
        ``"url"`` (one file per record, the default), ``"url-tar"`` (one tar
        file; JSOC asks heavy users to prefer it) or ``"url_quick"`` (files
        served straight from disk when online; ``"url-quick"`` is accepted).
        Case-insensitive.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Method
    >>> Method("url-tar").value, Method("URL-quick").value
    ('url-tar', 'url_quick')
    """

    VALUES = ("url", "url-tar", "url_quick")

    def __init__(self, value):
        super().__init__(_choice(value, self.VALUES, "Method", {"url-quick": "url_quick", "url_tar": "url-tar"}))

    def collides(self, other):
        return False


class Cutout(_attr.DataAttr):
    """
    Cut a region out of each image at JSOC (the ``im_patch`` processing).

    Parameters
    ----------
    bottom_left : `~astropy.coordinates.SkyCoord`
        Bottom-left corner, in a `~sunpy.coordinates.Helioprojective` frame
        with an ``obstime`` (the reference time of the cutout).
    top_right : `~astropy.coordinates.SkyCoord`, optional
        Top-right corner. Give either this or both ``width`` and ``height``.
    width, height : `~astropy.units.Quantity`, optional
        Size of the cutout (angles).
    tracking : bool, optional
        If True, the region follows solar rotation from the reference time.
        Its centre must then be on the disk.
    register : bool, optional
        If True, register the images to sub-pixel accuracy.
    nan_off_limb : bool, optional
        If True, set off-limb pixels to NaN.

    Attributes
    ----------
    value : dict
        The ``im_patch`` parameters: ``t_ref`` (UTC, ISO), ``t`` (1 = do *not*
        track), ``r``, ``c``, ``locunits`` and ``boxunits`` (``"arcsec"``),
        ``x`` and ``y`` (centre), ``width`` and ``height`` (arcsec).

    Notes
    -----
    The observer of the frame is ignored: JSOC takes the coordinates as seen
    from SDO.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.coordinates import SkyCoord
    >>> from sunpy.coordinates import frames
    >>> from sunpy_jsocx.attrs import Cutout
    >>> bl = SkyCoord(-500 * u.arcsec, -275 * u.arcsec, frame=frames.Helioprojective,
    ...               obstime="2014-01-01T00:00:00", observer="earth")
    >>> tr = SkyCoord(150 * u.arcsec, 375 * u.arcsec, frame=frames.Helioprojective,
    ...               obstime="2014-01-01T00:00:00", observer="earth")
    >>> params = Cutout(bl, tr).value
    >>> params["x"], params["y"], params["width"], params["height"], params["t"]
    (-175.0, 50.0, 650.0, 650.0, 1)
    >>> params["t_ref"]
    '2014-01-01T00:00:00Z'
    """

    def __init__(  # noqa: PLR0917 (sunpy's Cutout signature)
        self, bottom_left, top_right=None, width=None, height=None, tracking=False, register=False, nan_off_limb=False
    ):
        super().__init__()
        from sunpy.coordinates.frames import Helioprojective
        from sunpy.coordinates.utils import get_rectangle_coordinates

        from sunpy_jsocx.recordset import format_jsoc_time

        if not isinstance(bottom_left, _SkyCoord | _BaseCoordinateFrame):
            raise TypeError(f"bottom_left must be a SkyCoord, not {type(bottom_left).__name__}")
        frame = bottom_left.frame if isinstance(bottom_left, _SkyCoord) else bottom_left
        if not isinstance(frame, Helioprojective):
            raise ValueError(
                f"bottom_left must be in the Helioprojective frame, not {type(frame).__name__}; "
                "transform it with .transform_to(sunpy.coordinates.frames.Helioprojective(...))"
            )
        if frame.obstime is None:
            raise ValueError("bottom_left needs an obstime: it is the reference time of the cutout (t_ref)")
        try:
            bl, tr = get_rectangle_coordinates(bottom_left, top_right=top_right, width=width, height=height)
        except (TypeError, ValueError) as error:
            raise ValueError(f"Cutout: {error}") from None
        center_x = (bl.Tx + tr.Tx) / 2
        center_y = (bl.Ty + tr.Ty) / 2
        if tracking:
            from sunpy.map.maputils import coordinate_is_on_solar_disk

            center = _SkyCoord(center_x, center_y, frame=frame)
            if not coordinate_is_on_solar_disk(center):
                raise ValueError(
                    f"tracking needs the centre of the cutout on the disk, but it is at "
                    f"Tx={center_x.to(_u.arcsec):.1f}, Ty={center_y.to(_u.arcsec):.1f}"
                )
        size_x = (tr.Tx - bl.Tx).to_value(_u.arcsec)
        size_y = (tr.Ty - bl.Ty).to_value(_u.arcsec)
        corners = [float(c.to_value(_u.arcsec)) for c in (bl.Tx, bl.Ty, tr.Tx, tr.Ty)]
        if not all(_math.isfinite(c) for c in [*corners, size_x, size_y]):
            raise ValueError(f"Cutout: the corners and size must be finite angles, not {corners} arcsec")
        if not (size_x > 0 and size_y > 0):
            raise ValueError(f"Cutout: top_right must be above and right of bottom_left (size {size_x} x {size_y})")
        self.value = {
            "t_ref": format_jsoc_time(_Time(frame.obstime), "ISO"),
            "t": int(not tracking),
            "r": int(bool(register)),
            "c": int(bool(nan_off_limb)),
            "locunits": "arcsec",
            "boxunits": "arcsec",
            "x": float(center_x.to_value(_u.arcsec)),
            "y": float(center_y.to_value(_u.arcsec)),
            "width": float(size_x),
            "height": float(size_y),
        }

    def collides(self, other):
        return False

    def __hash__(self):
        return hash((type(self), tuple(sorted(self.value.items()))))

    def __repr__(self):
        v = self.value
        return (
            f"<{type(self).__module__}.{type(self).__name__}(x={v['x']}, y={v['y']}, width={v['width']}, "
            f"height={v['height']} arcsec, t_ref={v['t_ref']}, tracking={not v['t']})>"
        )


class RecordSet(_attr.SimpleAttr):
    """
    A raw JSOC record-set specification, for what the other attrs cannot say.

    The record set must follow the JSOC grammar and name exactly one series;
    it selects the records by itself, so it stands in for `Series` and cannot
    be combined with ``a.Time``, ``a.Wavelength``, ``a.Sample``, `PrimeKey` or
    `Keyword` filters (put those into the record set). `Segment`, `Notify`,
    `Protocol`, `Method` and `Cutout` may be added.

    Parameters
    ----------
    value : str
        E.g. ``hmi.M_45s[2016.04.01_TAI/1d@6h][? QUALITY = 0 ?]``.

    Attributes
    ----------
    series : str
        The series it names, as written.

    Raises
    ------
    ValueError
        If ``value`` does not parse or holds several record sets.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import RecordSet
    >>> rs = RecordSet("hmi.M_45s[2016.04.01_TAI/1d@6h]{magnetogram}")
    >>> rs.series
    'hmi.M_45s'
    >>> RecordSet("hmi.M_45s[2016.04.01_TAI/1d@6h")
    Traceback (most recent call last):
    ...
    ValueError: invalid record-set specification `hmi.M_45s[2016.04.01_TAI/1d@6h`: unbalanced '[': ...
    """

    def __init__(self, value):
        text = _validate_recordset(value)
        super().__init__(text)
        self.series = _re.match(r"[A-Za-z0-9_.]+", text).group()

    def collides(self, other):
        return False


def register_values():
    """
    The values sunpy offers for tab completion of ``a.jsocx`` attrs.

    Read from the catalogue shipped with the package; no network is used.

    Returns
    -------
    dict
        ``{Series: [(name, note), ...], Segment: [(name, note), ...]}``, each
        name listed once.

    Examples
    --------
    >>> from sunpy_jsocx.attrs import Segment, Series, register_values
    >>> values = register_values()
    >>> ("hmi.M_45s", "magnetograms with a cadence of 45 seconds.") in values[Series]
    True
    >>> "magnetogram" in [name for name, _ in values[Segment]]
    True
    """
    # The series list is data shared with the emulator; read as a resource of this package so
    # that registering the client with Fido never imports the emulator package.
    catalog = _json.loads(_files("sunpy_jsocx").joinpath("emulator", "data", "catalog.json")
                          .read_text(encoding="utf-8"))
    result = {}
    for attr_class, member in ((Series, "series"), (Segment, "segments")):
        seen = set()
        pairs = []
        for name, note in catalog.get(member, ()):
            if name not in seen:
                seen.add(name)
                pairs.append((name, note or ""))
        result[attr_class] = pairs
    return result
