"""
Time helpers for users: TAI times from anything JSOC or astropy accepts.
"""

from __future__ import annotations

import math

from astropy.time import Time

from sunpy_jsocx import jsoctime

__all__ = ["tai", "to_time"]


def to_time(value) -> Time:
    """
    An astropy `~astropy.time.Time` from a Time, a JSOC time string
    (``2015.08.27_06:00:00_TAI``, ``2014-01-01T00:00:00Z``) or any string astropy parses (UTC).

    Examples
    --------
    >>> to_time("2015.08.27_06:00:00_TAI").tai.isot
    '2015-08-27T06:00:00.000'
    """
    if isinstance(value, Time):
        return value
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if isinstance(value, str):
        try:
            internal = jsoctime.parse_time(value)
        except jsoctime.JSOCTimeError:
            pass
        else:
            if math.isnan(internal):
                raise ValueError(f"{shown} is JSOC's missing time, not a time")
            t = jsoctime.to_astropy(internal)
            t.format = "isot"
            return t
    try:
        return Time(value)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{shown} is not a time: give an astropy Time, an ISO time such as "
                         "'2014-01-01T00:00:00', or a JSOC time such as '2015.08.27_06:00:00_TAI'") from None


def tai(*times):
    """
    TAI `~astropy.time.Time` objects: one for one argument, else a list.

    Strings without a zone are UTC, as everywhere in sunpy; JSOC strings carry their zone.

    Examples
    --------
    >>> import sunpy_jsocx
    >>> sunpy_jsocx.tai("2015-08-27T05:00:00").isot
    '2015-08-27T05:00:36.000'
    >>> [t.isot for t in sunpy_jsocx.tai("2015-08-27T05:00:00", "2015.08.27_06:00:00_TAI")]
    ['2015-08-27T05:00:36.000', '2015-08-27T06:00:00.000']
    """
    if not times:
        raise TypeError("tai() needs at least one time")
    out = [to_time(t).tai for t in times]
    return out[0] if len(out) == 1 else out
