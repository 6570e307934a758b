"""
Build JSOC ``protocol=fits`` export files from stored (``as-is``) segment files.

JSOC keeps a segment in its storage (SUMS) as a FITS file with a *minimal*
header: the structural keywords, the compression keywords of a Rice-compressed
image and, where the storage type needs them, ``BZERO``, ``BSCALE`` and
``BLANK``. An export with ``protocol=fits`` delivers the same data with every
DRMS keyword of the record written into the header. `fits_export_bytes` is
that transformation as one pure function of the stored bytes and the record's
keywords. The emulator uses it to serve ``fits`` exports, and the client can use
it to build the same file from an ``as-is`` download and an ``rs_list`` answer;
both give byte-identical files.

The data unit of the stored file is copied byte for byte: the compressed tiles,
the compression type, ``BZERO``/``BSCALE``/``BLANK`` and every other structural
keyword are kept. Only header cards are added. A file that is not FITS (a
``generic`` segment such as a text table) is returned unchanged, because JSOC
exports such segments unconverted.

How the header is built
-----------------------
The rules are JSOC's, read from its DRMS export sources (``fitsexport.c`` and
``cfitsio.c`` of github.com/lm-jps/drms) and checked card for card against real
JSOC export headers in sunpy's test data (``tests/test_fits_fidelity.py``). The
fixed cards, comments and formats are data, each with its source, in
``sunpy_jsocx/data/jsoc_fits_cards.json``.

* **Which keywords.** Every keyword of ``keyword_defs`` in series order, except
  keywords with ``recscope`` ``index`` (such as ``T_REC_index``) and the
  keywords DRMS creates implicitly for each segment: ``cparms_sgNNN`` (the
  compression parameters) and ``<segment>_bzero``/``<segment>_bscale`` (their
  values are already the file's ``BZERO``/``BSCALE``). Keywords with
  ``recscope`` ``segment`` are per-segment: for segment number ``NNN`` the
  value of ``<NAME>_NNN`` is used (falling back to ``<NAME>``), and the
  comment names ``<NAME>_NNN``; this is how ``BUNIT`` comes from
  ``BUNIT_000``. A keyword missing from ``keywords`` is left out, except a
  ``constant`` one, whose value is its ``defval``. Names that are structural in
  the file (``SIMPLE``, ``BITPIX``, ``NAXISn``, ``BZERO``, ``BSCALE``,
  ``BLANK``, ``Z*`` compression keywords, ``TFORMn`` ...) are never written.
* **Values.** By DRMS type: ``char``/``short``/``int``/``longlong`` become FITS
  integers (``0x...`` strings are hexadecimal and wrap to the signed width of
  the type); ``double`` values are written as CFITSIO's ``%.17G`` and ``float``
  values as the ``%.17G`` of their ``%.9G`` text, because JSOC's export reads
  every real back as a double (``720.``, ``152059830419.2442``, and
  ``23.584617600000001`` for the float 23.5846176);
  ``string`` becomes a string padded to 8 characters (non-ASCII characters
  become ``?``; long strings use ``CONTINUE`` cards); ``time`` is printed in
  the keyword's time zone with three decimals (``2024.06.28_00:00:00.000_TAI``,
  ISO as ``2024-08-02T03:25:51.000``, without the ``Z`` that FITS forbids). A
  description starting with ``[NAME:TYPE]`` casts the value to ``INTEGER``,
  ``FLOAT``, ``STRING`` or ``LOGICAL``.
* **Missing values.** DRMS's missing value (NaN, the most negative integer of
  the type, the empty string, JSOC's missing time) gives a card without a value
  and the comment ``[units] (MISSING) description``, as JSOC writes it.
  Missing ``CRPIXn``, ``CRVALn`` and ``CROTAn`` are written as ``0.`` and
  ``CDELTn`` as ``1.``, as JSOC's WCS handler does. A missing ``DATE`` is left out.
* **Names.** See `fits_keyword_name`. When two keywords would get the same
  name, the later one is written as ``HIERARCH <DRMS name>``.
* **Comments.** ``[units] description {DRMS name}``: units are left out when
  they are ``none``, ``na`` or empty, the leading ``[NAME]`` of the description
  is removed, ``{DRMS name}`` is added when the FITS name differs, and the
  description ends before its first ``-`` (``--`` stands for a ``-``), as JSOC's
  "short comment"; cards are cut at 80 characters.
* **COMMENT and HISTORY** become commentary cards, one per 72 characters of
  each non-blank line of the value, and replace the stored file's cards of that
  name; COMMENT starts with CFITSIO's two "FITS (Flexible Image Transport
  System) ..." lines, as in every real export of a series with a COMMENT keyword.
* **DATE and DATE__OBS** (``DATE-OBS``) are written only when their units are
  ``ISO``, as JSOC's date handler does.
* **After the keywords**, as JSOC appends them: ``RECNUM`` (when the record
  number is known), ``DRMS_ID`` (``series:recnum:segment``, when the series is
  known too), ``PRIMARYK`` (the prime keys, when given), ``LICENSE``,
  ``HEADSUM`` and ``LONGSTRN`` with CFITSIO's four COMMENT cards about it.
* **HEADSUM** is JSOC's checksum of the keyword cards: the encoded FITS
  checksum of a header-only HDU (SIMPLE, BITPIX = 8, NAXIS = 0, EXTEND and
  CFITSIO's two FITS COMMENT lines) holding the keywords as DRMS first writes
  them (``float`` values with ``%.9G``, COMMENT and HISTORY values line by line,
  blank lines included) and RECNUM, DRMS_ID, PRIMARYK, LICENSE (see ``_headsum``).
  It reproduces the HEADSUM of the real sharp, cea and bharp exports.
* **Checksums.** ``CHECKSUM`` and ``DATASUM`` are always written and valid
  (the FITS checksum convention), as every JSOC export has them: cards already
  in the stored file keep their place, and an unchanged ``DATASUM`` keeps its
  card and date. The comments carry the export time (``HDU checksum updated
  2024-08-02T19:29:45``), or the record's ``DATE`` when no export time is given,
  so the output is deterministic.

What still differs from JSOC: JSOC's export rewrites the keyword cards of a
stored file that already holds them in place, where this writer appends them.

Examples
--------
>>> import io
>>> import numpy as np
>>> from astropy.io import fits
>>> from sunpy_jsocx.fitsexport import fits_export_bytes
>>> buf = io.BytesIO()
>>> fits.HDUList([fits.PrimaryHDU(),
...               fits.CompImageHDU(np.zeros((4, 4), dtype=np.int32))]).writeto(buf)
>>> defs = [{"name": "T_REC", "type": "time", "recscope": "ts_eq", "units": "TAI", "note": "Slot time"},
...         {"name": "QUALITY", "type": "int", "recscope": "variable", "units": "none", "note": ""}]
>>> out = fits_export_bytes(buf.getvalue(), {"T_REC": "2014.01.01_00:00:45_TAI", "QUALITY": "0x00000000"}, defs,
...                         series="hmi.M_45s", recnum=42, segment="magnetogram", primekeys=["T_REC", "CAMERA"])
>>> hdr = fits.getheader(io.BytesIO(out), 1)
>>> hdr["T_REC"], hdr["QUALITY"], hdr["DRMS_ID"], hdr["PRIMARYK"]
('2014.01.01_00:00:45.000_TAI', 0, 'hmi.M_45s:42:magnetogram', 'T_REC, CAMERA')
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Final

import numpy as np

from sunpy_jsocx import jsoctime

__all__ = ["fits_export_bytes", "fits_keyword_name"]

_BLOCK: Final = 2880
_CARD: Final = 80

_INT_TYPES: Final = {"char": 8, "short": 16, "int": 32, "longlong": 64}
_REAL_TYPES: Final = {"float", "double"}

# DRMS names that JSOC never exports (reserved FITS names without an export handler).
_JSOC_RESERVED: Final = frozenset({"SIMPLE", "EXTEND", "BZERO", "BSCALE", "BLANK", "BITPIX", "NAXIS", "END",
                                   "PRIMEKEYSTRING", "RECNUM"})
# Header keywords that describe the file itself; a DRMS keyword never replaces them.
_STRUCTURAL: Final = re.compile(
    r"(SIMPLE|EXTEND|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|GROUPS|TFIELDS|THEAP|END|BZERO|BSCALE|BLANK"
    r"|T(TYPE|FORM|UNIT|NULL|SCAL|ZERO|DISP|DIM)\d+|CHECKSUM|DATASUM|LONGSTRN"
    r"|Z(IMAGE|BITPIX|NAXIS\d*|TILE\d+|CMPTYPE|NAME\d+|VAL\d+|MASKCMP|SIMPLE|TENSION|EXTEND|BLOCKED|PCOUNT"
    r"|GCOUNT|HECKSUM|DATASUM|QUANTIZ|DITHER0|SCALE|ZERO|BLANK))",
    re.ASCII,
)
_VALID_NAME: Final = re.compile(r"(?=.*[A-Z0-9])[A-Z0-9_-]{1,8}", re.ASCII)
_NOTE_NAME: Final = re.compile(r"\[([^\]\s:]+)(?::([A-Za-z]+))?\]\s*(.*)", re.ASCII | re.DOTALL)
_PER_SEGMENT_SUFFIX: Final = re.compile(r"_\d{3}$", re.ASCII)
_IMPLICIT: Final = re.compile(r"cparms_sg\d+|.+_bzero|.+_bscale", re.ASCII | re.IGNORECASE)
_COMMENTARY: Final = ("COMMENT", "HISTORY")
_NOT_ASCII: Final = re.compile(r"[^\x20-\x7e]")
_TIME_ZONES: Final = ("TAI", "ISO", "UTC", "UT", "TT", "TDT")
_COMMENT_MAX: Final = 72  # CFITSIO's longest comment
#: The two COMMENT lines CFITSIO's fits_write_imghdr writes into every primary header (seen in the
#: synoptic headers of sunpy's test data and, through the COMMENT keyword, in the sharp, cea and bharp
#: exports: see `_commentary_cards`).
CFITSIO_FITS_COMMENTS: Final = (
    "  FITS (Flexible Image Transport System) format is defined in 'Astronomy",
    "  and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H",
)
_STRING_MAX: Final = 68  # CFITSIO's longest string value on one card
#: JSOC's fixed cards, comments and formats, each with the real header or JSOC source it was read from.
_FACTS: Final = json.loads(resources.files("sunpy_jsocx").joinpath("data/jsoc_fits_cards.json").read_text())


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def _note_cast(note: str | None) -> tuple[str | None, str | None, str]:
    """Split a DRMS description ``[NAME:TYPE] rest`` into (NAME, TYPE, rest)."""
    text = (note or "").strip()
    m = _NOTE_NAME.match(text)
    if m is None:
        return None, None, text
    return m.group(1), (m.group(2) or None), m.group(3).strip()


def fits_keyword_name(drms_name: str, note: str | None = None) -> str:
    """
    The FITS keyword name JSOC's export gives a DRMS keyword.

    The rules are tried in order:

    1. A description (``note``) starting with ``[NAME]`` or ``[NAME:TYPE]``
       names the FITS keyword, if ``NAME`` is a valid FITS name
       (``DATE__OBS`` with note ``[DATE-OBS] ...`` gives ``DATE-OBS``).
    2. The upper-cased DRMS name with ``__`` replaced by ``-``, if that is a
       valid FITS name: at most 8 characters from ``A-Z 0-9 _ -``
       (``CAR_ROT`` stays ``CAR_ROT``, ``DATE__OBS`` gives ``DATE-OBS``).
    3. JSOC's default rule for the rest: keep only letters and digits,
       upper-case them, and cut to 8 characters (``T_REC_epoch`` gives
       ``TRECEPOC``, ``LAT_FWTPOS`` gives ``LATFWTPO``). If that yields a
       reserved name (``NAXIS12``...), it is prefixed with ``_``.

    Parameters
    ----------
    drms_name : str
        The DRMS keyword name (for a per-segment keyword, without its ``_NNN``
        suffix).
    note : str, optional
        The keyword's description from ``series_struct``.

    Returns
    -------
    str
        The FITS keyword name (1 to 8 characters).

    Raises
    ------
    ValueError
        If ``drms_name`` contains no letter or digit.

    Examples
    --------
    >>> from sunpy_jsocx.fitsexport import fits_keyword_name
    >>> fits_keyword_name("DATE__OBS"), fits_keyword_name("T_REC"), fits_keyword_name("T_REC_epoch")
    ('DATE-OBS', 'T_REC', 'TRECEPOC')
    >>> fits_keyword_name("OBSDATE", note="[DATE-OBS] observation date")
    'DATE-OBS'
    """
    name, _, _ = _note_cast(note)
    if name is not None and _VALID_NAME.fullmatch(name):
        return name
    candidate = drms_name.upper().replace("__", "-")
    if _VALID_NAME.fullmatch(candidate):
        return candidate
    generated = "".join(ch for ch in drms_name.upper() if ch.isascii() and ch.isalnum())[:8]
    if not generated:
        raise ValueError(f"DRMS keyword name {drms_name!r} has no letter or digit to build a FITS name from")
    if generated in _JSOC_RESERVED or _STRUCTURAL.fullmatch(generated):
        generated = ("_" + generated)[:8]
    return generated


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def _wrap_signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _to_int(value: object, bits: int) -> int | None:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, numbers.Integral):
        return _wrap_signed(int(value), bits)
    if isinstance(value, numbers.Real):
        return int(value) if math.isfinite(value) and float(value).is_integer() else None
    text = str(value).strip()
    try:
        if text.lower().startswith(("0x", "-0x")):
            return _wrap_signed(int(text, 16), bits)
        return _wrap_signed(int(text), bits)
    except ValueError:
        pass
    try:
        f = float(text)
    except ValueError:
        return None
    return int(f) if math.isfinite(f) and f.is_integer() else None


def _to_float(value: object) -> float | None:
    """The value as a float; None if it is not a number (NaN and infinities are numbers here)."""
    try:
        return float(value) if isinstance(value, numbers.Real) else float(str(value).strip())
    except (ValueError, OverflowError):
        return None


def _clean_text(value: object) -> str:
    return _NOT_ASCII.sub("?", str(value).replace("\t", " ").replace("\r", "").replace("\n", " "))


def _g_text(value: float, digits: int) -> str | None:
    """
    A real value as CFITSIO writes it with ``digits`` significant digits (``%.{digits}G``):
    a decimal point is added when there is none (``720.``), and an exponent without one is
    rewritten as ``%.1E``. None for NaN and infinities, which CFITSIO refuses (JSOC then
    writes the keyword as missing).
    """
    if not math.isfinite(value):
        return None
    text = f"{value:.{digits}G}"
    if "." not in text:
        text = f"{value:.1E}" if "E" in text else text + "."
    return text


def _time_value(value: object, units: str) -> str | None:
    """
    A time keyword as JSOC's export prints it: in the keyword's time zone with three
    decimals, ISO without the trailing ``Z``; None for JSOC's missing time.
    """
    text = str(value).strip()
    try:
        t = jsoctime.parse_time(text)
    except jsoctime.JSOCTimeError:
        return text[:-1] if text.endswith("Z") else text  # not a time JSOC could print; keep it
    if math.isnan(t):
        return None
    zone = (units or "").strip().upper()
    try:
        out = jsoctime.format_time(t, zone if zone in _TIME_ZONES else "TAI", _FACTS["time_decimals"])
    except (ValueError, jsoctime.JSOCTimeError):  # pragma: no cover - zones are checked above
        out = text
    return out[:-1] if out.endswith("Z") else out


def _is_missing(value: object, drms_type: str) -> bool:
    """Whether ``value`` is DRMS's missing value for ``drms_type``."""
    t = drms_type.lower()
    if t in _INT_TYPES:
        v = _to_int(value, _INT_TYPES[t])
        return v is not None and v == -(1 << (_INT_TYPES[t] - 1))
    if t in _REAL_TYPES:
        f = _to_float(value)
        return f is not None and math.isnan(f)
    if t == "time":
        try:
            return math.isnan(jsoctime.parse_time(str(value).strip()))
        except jsoctime.JSOCTimeError:
            return False
    return str(value) == ""


# A FITS value: (kind, python value) with kind one of "int", "float", "str", "bool", "null".
_Value = tuple[str, object]


def _cast(value: object, cast: str, drms_type: str) -> _Value | None:
    cast = cast.upper()
    if cast == "INTEGER":
        v = _to_int(value, 64)
        return None if v is None else ("int", v)
    if cast == "FLOAT":
        f = _to_float(value)
        return None if f is None else ("float", (f, _FACTS["float_digits"]["double"]))
    if cast == "LOGICAL":
        f = _to_float(value)
        return None if f is None else ("bool", f != 0)
    if drms_type.lower() == "time":
        return ("str", _time_value(value, "") or str(value))
    return ("str", _clean_text(value))


def _convert(value: object, drms_type: str, cast: str | None, units: str) -> _Value | None:
    """The FITS value of a DRMS keyword value; ("null", None) when DRMS calls it missing; None to leave it out."""
    if value is None:
        return None
    t = (drms_type or "string").lower()
    if _is_missing(value, t):
        return ("null", None)
    if cast and cast.upper() in ("INTEGER", "FLOAT", "STRING", "LOGICAL"):
        return _cast(value, cast, t)
    if t in _INT_TYPES:
        v = _to_int(value, _INT_TYPES[t])
        return None if v is None else ("int", v)
    if t in _REAL_TYPES:
        f = _to_float(value)
        if f is None:
            return None
        if t == "float":
            with np.errstate(over="ignore"):
                f = float(np.float32(f))
        return ("float", (f, _FACTS["float_digits"][t]))
    if t == "time":
        text = _time_value(value, units)
        return ("null", None) if text is None else ("str", text)
    return ("str", _clean_text(value))


# ---------------------------------------------------------------------------------------------
# Cards
# ---------------------------------------------------------------------------------------------


def _short_comment(text: str, braced: str | None) -> str:
    """
    JSOC's short comment: ``text`` up to its first ``-`` (``--`` stands for one ``-``), with
    trailing blanks removed and `` {braced}`` appended when it was cut.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "-":
            out.append(ch)
        elif i + 1 < len(text):
            if text[i + 1] == "-":
                out.append("-")
                i += 1
            else:
                short = "".join(out).rstrip()
                return f"{short} {{{braced}}}" if braced else short
        i += 1
    return "".join(out)


def _keyword_comment(note: str, drms_name: str, fits_name: str) -> str:
    """The comment of a keyword before its units: the description without its ``[NAME]``, cut short."""
    text = note.strip(" ")
    first, _, rest = text.partition(" ")
    if len(first) > 2 and first.startswith("[") and first.endswith("]"):
        text = rest
    else:
        text = note
    braced = drms_name if drms_name.upper() != fits_name.upper() else None
    if not text:
        return ""
    long = f"{text} {{{braced}}}" if braced else text
    return _clean_text(_short_comment(long, braced))


def _with_units(comment: str, units: object, missing: bool) -> str:
    unit = str(units or "").strip()
    prefix = "" if unit.lower() in _FACTS["units_left_out"] else f"[{_clean_text(unit)}] "
    if missing:
        body = _FACTS["missing_comment"] + (f" {comment}" if comment else "")
        return prefix + body
    return (prefix + comment).rstrip()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''").ljust(8) + "'"


def _card(name: str, field: str, comment: str, *, left: bool = False) -> str:
    """One 80-character card as CFITSIO lays it out: value field to column 30, `` / comment``, cut at 80."""
    if name.startswith("HIERARCH "):
        head = f"{name} = {field}"
    else:
        head = f"{name:8}= " + (f"{field:20}" if left else f"{field:>20}")
    if comment:
        head += " / " + comment[:_COMMENT_MAX]
    return head[:_CARD].ljust(_CARD)


def _string_cards(name: str, text: str, comment: str) -> list[str]:
    """A string keyword, with CONTINUE cards (CFITSIO's long-string convention) past 68 characters."""
    escaped = text.replace("'", "''")
    if len(escaped) <= _STRING_MAX:
        return [_card(name, _quoted(text), comment, left=True)]
    pieces: list[str] = []
    current = ""
    for ch in text:
        part = ch.replace("'", "''")
        if len(current) + len(part) > _STRING_MAX - 1:
            pieces.append(current)
            current = ""
        current += part
    pieces.append(current)
    cards = [f"{name:8}= '{pieces[0]}&'".ljust(_CARD)]
    cards += [f"CONTINUE  '{p}&'".ljust(_CARD) for p in pieces[1:-1]]
    last = "'" + pieces[-1].ljust(8) + "'"
    tail = f"CONTINUE  {last:20}" + (f" / {comment[:_COMMENT_MAX]}" if comment else "")
    cards.append(tail[:_CARD].ljust(_CARD))
    return cards


def _value_cards(name: str, value: _Value, comment: str) -> list[str]:
    kind, v = value
    if kind == "null":
        return [_card(name, "", comment)]
    if kind == "int":
        return [_card(name, str(v), comment)]
    if kind == "bool":
        return [_card(name, "T" if v else "F", comment)]
    if kind == "float":
        number, digits = v  # type: ignore[misc]
        text = _g_text(number, digits)
        return [_card(name, text if text is not None else "", comment)]
    if name.startswith("HIERARCH "):
        return [_card(name, _quoted(str(v)), comment)]
    return _string_cards(name, str(v), comment)


def _commentary_images(keyword: str, text: object) -> list[str]:
    """COMMENT and HISTORY cards: one card per 72 characters of each line of the value."""
    images = []
    for raw_line in str(text).replace("\r", "").split("\n"):
        line = _NOT_ASCII.sub("?", raw_line.replace("\t", " "))
        images += [f"{keyword:8}{line[i:i + 72]}".ljust(_CARD) for i in range(0, len(line), 72)]
    return images


def _segment_number(keyword_defs: Sequence[Mapping], segment: str | None) -> int | None:
    """The segment's number, read from the order of the implicit cparms/bzero keywords."""
    if segment is None:
        return None
    last_cparms = None
    for kw in keyword_defs:
        name = str(kw.get("name", ""))
        m = re.fullmatch(r"cparms_sg(\d+)", name, re.IGNORECASE)
        if m:
            last_cparms = int(m.group(1))
        elif name.lower() == f"{segment.lower()}_bzero":
            return last_cparms
    return None


def _wcs_default(drms_name: str) -> float | None:
    m = re.fullmatch(r"([A-Za-z]+)\d+", drms_name)
    return _FACTS["wcs_missing_defaults"].get(m.group(1).upper()) if m else None


def _export_value(value: _Value) -> _Value:
    """
    A value as the export rewrites it: JSOC writes the keywords into a header-only HDU first
    (4-byte reals with ``%.9G``), reads each value back as a double and writes it into the
    exported file with ``%.17G`` (``fits_update_key_dbl(..., -17)`` in ``cfitsio_update_header_key``
    of DRMS's ``cfitsio.c``). A ``float`` keyword therefore shows the 17 digits of its 9-digit text
    (``MEANGAM = 23.584617600000001`` in the sharp export, where hmi.sharp_720s types MEANGAM as
    ``float``); every other value reads back unchanged.
    """
    kind, v = value
    if kind != "float":
        return value
    number, digits = v  # type: ignore[misc]
    text = _g_text(number, digits)
    return value if text is None else ("float", (float(text), _FACTS["float_digits"]["double"]))


def _commentary_cards(fits_name: str, value: object) -> tuple[list[str], list[str]]:
    """
    (exported cards, checksummed cards) of the COMMENT or HISTORY keyword.

    DRMS writes the value into its header-only HDU line by line (``Cf_write_history_or_comment_key``:
    ``fits_write_comment``/``fits_write_history``, 72 characters a card), so a value of one blank,
    the series default, gives one blank card there. The export then reads *every* COMMENT (HISTORY)
    card of that HDU, which for COMMENT includes the two lines CFITSIO wrote into the HDU's own
    primary header, with trailing blanks stripped, and writes the non-empty lines at the keyword's
    place (``cfitsio_read_comment_key``, ``cfitsio_update_comment_key``). This is why the sharp, cea
    and bharp exports show CFITSIO's two FITS lines right after CONTENT, where hmi.sharp_720s defines
    COMMENT (default ' '), and no HISTORY card (HISTORY, default ' ', comes just before COMMENT).
    """
    checksummed = _commentary_images(fits_name, value)
    exported = [c for c in checksummed if c[8:].strip()]
    if fits_name == "COMMENT":
        exported = [f"COMMENT {line}".ljust(_CARD) for line in CFITSIO_FITS_COMMENTS] + exported
    return exported, checksummed


def _drms_cards(keywords: Mapping[str, object], keyword_defs: Sequence[Mapping],
                segment: str | None) -> list[tuple[str, list[str], list[str]]]:
    """
    The record's DRMS keywords in series order as (FITS name, exported card images, card images
    in DRMS's header-only HDU for HEADSUM).
    """
    segnum = _segment_number(keyword_defs, segment)
    instance_defs = {str(kw.get("name", "")).upper(): kw for kw in keyword_defs}
    out: list[tuple[str, list[str], list[str]]] = []
    used: set[str] = set()

    for kw in keyword_defs:
        name = str(kw.get("name", ""))
        scope = str(kw.get("recscope", "variable")).lower()
        if not name or scope == "index" or _IMPLICIT.fullmatch(name):
            continue
        if _PER_SEGMENT_SUFFIX.search(name) and name[:-4].upper() in instance_defs \
                and str(instance_defs[name[:-4].upper()].get("recscope", "")).lower() == "segment":
            continue  # the definition of one segment's instance, used through its template below
        drms_name = name
        if scope == "segment" and segnum is not None and f"{name}_{segnum:03d}" in keywords:
            drms_name = f"{name}_{segnum:03d}"
            value = keywords[drms_name]
            kw = instance_defs.get(drms_name.upper(), kw)  # noqa: PLW2901 (an instance may have its own note)
        elif name in keywords:
            value = keywords[name]
        elif scope == "constant":
            value = kw.get("defval")
        else:
            continue
        base = _PER_SEGMENT_SUFFIX.sub("", name) if scope == "segment" else name
        note = str(kw.get("note") or "")
        fits_name = fits_keyword_name(base, note)
        _, cast, _ = _note_cast(note)
        units = kw.get("units")
        drms_type = str(kw.get("type", "string"))
        if fits_name in _COMMENTARY:
            if value is not None and str(value) != "":
                out.append((fits_name, *_commentary_cards(fits_name, value)))
            continue
        if base.upper() in _JSOC_RESERVED or fits_name in _JSOC_RESERVED or _STRUCTURAL.fullmatch(fits_name):
            continue
        comment = _keyword_comment(note, drms_name, fits_name)
        if base.upper() in ("DATE", "DATE__OBS"):
            # JSOC's date handler: ISO keywords only, three decimals; a missing DATE is left out.
            if str(units or "").strip().upper() != "ISO":
                continue
            text = _time_value(value, "ISO")
            if text is None:
                continue
            fits_value: _Value | None = ("str", text)
        else:
            fits_value = _convert(value, drms_type, cast, str(units or ""))
        if fits_value is None:
            continue
        if fits_value[0] == "null" and (default := _wcs_default(base)) is not None:
            fits_value = ("float", (default, _FACTS["float_digits"]["double"]))
        keyword = fits_name if fits_name not in used else f"HIERARCH {name}"
        used.add(fits_name)
        full_comment = _with_units(comment, units, fits_value[0] == "null")
        summed = _value_cards(keyword, fits_value, full_comment)
        exported_value = _export_value(fits_value)  # the same value but for floats: no second formatting
        exported = summed if exported_value is fits_value else _value_cards(keyword, exported_value, full_comment)
        out.append((fits_name if keyword == fits_name else name.upper(), exported, summed))
    return out


def _trailer_cards(series: str | None, recnum: int | None, segment: str | None,
                   primekeys: Sequence[str] | None) -> list[tuple[str, list[str]]]:
    """RECNUM, DRMS_ID, PRIMARYK and LICENSE, as JSOC appends them after the record's keywords."""
    facts = {f["name"]: f for f in _FACTS["trailer"]}
    out = []
    if recnum is not None:
        out.append(("RECNUM", [_card("RECNUM", str(recnum), facts["RECNUM"]["comment"])]))
        if series:
            drms_id = facts["DRMS_ID"]["format"].format(series=series, recnum=recnum,
                                                       segment=segment or facts["DRMS_ID"]["no_segment"])
            out.append(("DRMS_ID", _string_cards("DRMS_ID", drms_id, facts["DRMS_ID"]["comment"])))
    if primekeys:
        out.append(("PRIMARYK", _string_cards("PRIMARYK", facts["PRIMARYK"]["separator"].join(primekeys),
                                              facts["PRIMARYK"]["comment"])))
    out.append(("LICENSE", _string_cards("LICENSE", facts["LICENSE"]["value"], facts["LICENSE"]["comment"])))
    return out


def _headsum(cards: list[str]) -> str:
    """
    The HEADSUM value of the keyword cards ``cards`` as DRMS first writes them.

    DRMS's export (``cfitsio_generate_checksum`` and ``CfGenerateChecksum`` in ``cfitsio.c``,
    called from ``fitsexport_mapexport_tofile2`` in ``fitsexport.c``, github.com/lm-jps/drms)
    writes the exported keywords into a new header-only HDU: ``fits_write_imghdr(8, 0)`` gives
    SIMPLE, BITPIX = 8, NAXIS = 0, EXTEND and CFITSIO's two FITS COMMENT lines, then each keyword
    as ``Cf_write_header_key`` writes it (a ``float`` with ``%.9G``; a COMMENT or HISTORY value line
    by line), then RECNUM, DRMS_ID, PRIMARYK and LICENSE. HEADSUM is the ASCII-encoded complement
    of that HDU's ones' complement checksum (``fits_get_chksum``, ``fits_encode_chksum(sum, 1, ...)``),
    the encoding of a CHECKSUM card. This reproduces the HEADSUM of the sharp, cea and bharp exports
    in sunpy's test data (``tests/test_fits_fidelity.py``).
    """
    preamble = [
        _card("SIMPLE", "T", "file does conform to FITS standard"),
        _card("BITPIX", "8", "number of bits per data pixel"),
        _card("NAXIS", "0", "number of data axes"),
        _card("EXTEND", "T", "FITS dataset may contain extensions"),
        *(f"COMMENT {line}".ljust(_CARD) for line in CFITSIO_FITS_COMMENTS),
    ]
    return _encode_checksum(_ones_complement_sum(_header_bytes(preamble + cards)))


def _longstrn_cards() -> list[str]:
    fact = {f["name"]: f for f in _FACTS["trailer"]}["LONGSTRN"]
    return [_card("LONGSTRN", _quoted(fact["value"]), fact["comment"], left=True),
            *(f"COMMENT {line}".ljust(_CARD) for line in _FACTS["longstrn_comments"])]


# ---------------------------------------------------------------------------------------------
# FITS files at the level of header cards and data blocks
# ---------------------------------------------------------------------------------------------


class _HDU:
    """One HDU of a FITS file: its header card images (without END) and its raw data area."""

    __slots__ = ("cards", "data")

    def __init__(self, cards: list[str], data: bytes):
        self.cards = cards
        self.data = data

    def value(self, keyword: str, default: object = None) -> object:
        for card in self.cards:
            if card[:8].rstrip() == keyword and card[8:10] == "= ":
                return _card_value(card)
        return default


def _card_value(card: str) -> object:
    field = card[10:].strip()
    if field.startswith("'"):
        m = re.match(r"'((?:[^']|'')*)'", field)
        return m.group(1).replace("''", "'").rstrip() if m else ""
    field = field.split("/", 1)[0].strip()
    if field in ("T", "F"):
        return field == "T"
    try:
        return int(field)
    except ValueError:
        pass
    try:
        return float(field.replace("D", "E"))
    except ValueError:
        return field


def _data_size(hdu: _HDU) -> int:
    naxis = int(hdu.value("NAXIS", 0) or 0)
    if naxis == 0:
        return 0
    dims = [int(hdu.value(f"NAXIS{i}", 0) or 0) for i in range(1, naxis + 1)]
    if hdu.value("GROUPS", False) and dims and dims[0] == 0:
        dims = dims[1:]
    count = math.prod(dims)
    bits = abs(int(hdu.value("BITPIX", 8)))
    return bits // 8 * int(hdu.value("GCOUNT", 1) or 1) * (int(hdu.value("PCOUNT", 0) or 0) + count)


def _padded(n: int) -> int:
    return -(-n // _BLOCK) * _BLOCK


def _split_fits(raw: bytes) -> list[_HDU]:
    """Split a FITS file into HDUs without interpreting the data."""
    hdus: list[_HDU] = []
    pos = 0
    while pos + _BLOCK <= len(raw):
        cards: list[str] = []
        end = None
        while end is None:
            if pos + _BLOCK > len(raw):
                raise ValueError("FITS header is not terminated by an END card")
            block = raw[pos:pos + _BLOCK].decode("ascii", errors="replace")
            pos += _BLOCK
            for i in range(0, _BLOCK, _CARD):
                card = block[i:i + _CARD]
                if card.startswith("END") and not card[3:].strip():
                    end = True
                    break
                cards.append(card)
        while cards and not cards[-1].strip():
            cards.pop()  # header padding before END
        hdu = _HDU(cards, b"")
        size = _padded(_data_size(hdu))
        data = raw[pos:pos + size]
        hdu.data = data + b"\0" * (size - len(data))
        pos += size
        hdus.append(hdu)
        if pos < len(raw) and not raw[pos:pos + 8].startswith(b"XTENSION"):
            break  # trailing bytes that are not an extension
    if not hdus:
        raise ValueError("not a FITS file")
    return hdus


def _header_bytes(cards: list[str]) -> bytes:
    text = "".join(cards) + "END".ljust(_CARD)
    return text.ljust(_padded(len(text))).encode("ascii")


def _ones_complement_sum(buf: bytes, start: int = 0) -> int:
    """32-bit ones' complement sum of big-endian words, the FITS checksum primitive."""
    if len(buf) % 4:
        buf = buf + b"\0" * (4 - len(buf) % 4)
    total = int(np.frombuffer(buf, dtype=">u4").sum(dtype=np.uint64)) + start
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total


_EXCLUDED: Final = frozenset(b":;<=>?@[\\]^_`")


def _encode_checksum(value: int) -> str:
    """The 16-character ASCII encoding of the complement of a checksum (FITS checksum convention)."""
    value = ~value & 0xFFFFFFFF
    chars = [0] * 16
    for i in range(4):
        byte = (value >> (24 - 8 * i)) & 0xFF
        quotient, remainder = byte // 4 + 0x30, byte % 4
        ch = [quotient + remainder, quotient, quotient, quotient]
        changed = True
        while changed:
            changed = False
            for j in (0, 2):
                if ch[j] in _EXCLUDED or ch[j + 1] in _EXCLUDED:
                    ch[j] += 1
                    ch[j + 1] -= 1
                    changed = True
        for j in range(4):
            chars[4 * j + i] = ch[j]
    return bytes(chars[15:] + chars[:15]).decode("ascii")


def _checksum_cards(cards: list[str], data: bytes, date: str | None) -> list[str]:
    """
    ``cards`` with valid CHECKSUM and DATASUM, as CFITSIO's ``fits_write_chksum`` leaves them:
    cards already there keep their place, new ones go to the end; a DATASUM that is still right
    is kept with its date, since the data did not change.
    """
    out = list(cards)
    datasum = str(_ones_complement_sum(data))

    def comment(key: str) -> str:
        return _FACTS[key].format(date=date) if date else _FACTS[key].split(" updated")[0]

    def put(key: str, image: str) -> None:
        where = [i for i, c in enumerate(out) if _card_keyword(c) == key]
        if where:
            out[where[0]] = image
        else:
            out.append(image)

    old = [c for c in out if _card_keyword(c) == "DATASUM"]
    put("CHECKSUM", _card("CHECKSUM", _quoted("0" * 16), comment("checksum_comment"), left=True))
    if not old or _card_value(old[0]) != datasum:
        put("DATASUM", _card("DATASUM", _quoted(datasum), comment("datasum_comment"), left=True))
    total = _ones_complement_sum(_header_bytes(out), int(datasum))
    put("CHECKSUM", _card("CHECKSUM", _quoted(_encode_checksum(total)), comment("checksum_comment"), left=True))
    return out


def _card_keyword(card: str) -> str:
    if card.startswith("HIERARCH "):
        return card[9:].split("=", 1)[0].strip().upper()
    return card[:8].rstrip()


def _has_checksums(hdu: _HDU) -> bool:
    return any(_card_keyword(c) in ("CHECKSUM", "DATASUM") for c in hdu.cards)


def _image_hdu_index(hdus: list[_HDU]) -> int:
    """The HDU that holds the segment's image: a compressed image, else the first image with data."""
    for i, hdu in enumerate(hdus):
        if hdu.value("ZIMAGE") is True:
            return i
    for i, hdu in enumerate(hdus):
        xtension = str(hdu.value("XTENSION", "IMAGE")).strip()
        if xtension == "IMAGE" and int(hdu.value("NAXIS", 0) or 0) > 0:
            return i
    return 0


def _is_fits(raw: bytes) -> bool:
    return raw[:9] == b"SIMPLE  =" and len(raw) >= _BLOCK


def _checksum_date(export_time: str | None, keywords: Mapping[str, object]) -> str | None:
    """The date in the checksum comments: the export time if given, else the record's DATE."""
    for source in (export_time, keywords.get("DATE")):
        if source is None:
            continue
        text = _time_value(source, "ISO")
        if text and re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", text):
            return text[:19]
    return None


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


def fits_export_bytes(asis: bytes, keywords: Mapping[str, object], keyword_defs: Sequence[Mapping], *,
                      segment: str | None = None, series: str | None = None, recnum: int | None = None,
                      primekeys: Sequence[str] | None = None, export_time: str | None = None) -> bytes:
    """
    The ``protocol=fits`` export of a stored segment file.

    Writes the record's DRMS keywords into the header of the image HDU of the
    stored (``as-is``) file, keeping its data unit byte for byte. See the module
    documentation for the exact rules; they follow JSOC's export.

    Parameters
    ----------
    asis : bytes
        The stored segment file, as served by a SUMS download or an ``as-is``
        export (a Rice-compressed image with a minimal header, or any FITS file).
        Bytes that are not FITS are returned unchanged.
    keywords : mapping of str to str or number
        The record's keyword values as ``jsoc_info?op=rs_list`` returns them
        (strings such as ``"6173.0"``, ``"0x00000000"``,
        ``"2012.01.01_00:00:45_TAI"``), or numbers. The pseudo-keyword
        ``*recnum*`` gives the record number when ``recnum`` is not given.
    keyword_defs : sequence of mapping
        The series' ``series_struct["keywords"]`` (``name``, ``type``,
        ``recscope``, ``defval``, ``units``, ``note``). A definition named after
        one segment's instance of a per-segment keyword (``BUNIT_000``) gives
        that instance its own description.
    segment : str, optional
        The segment the file belongs to; selects per-segment keyword values and
        names the segment in ``DRMS_ID``.
    series : str, optional
        The series name, for ``DRMS_ID`` (``series:recnum:segment``).
    recnum : int, optional
        The record number, for ``RECNUM`` and ``DRMS_ID``.
    primekeys : sequence of str, optional
        The series' prime keys (``series_struct["primekeys"]``), for ``PRIMARYK``.
    export_time : str, optional
        When the export was made (any JSOC or ISO time), written into the
        comments of ``CHECKSUM`` (and of ``DATASUM`` when it changes) as JSOC
        does. Without it the record's ``DATE`` is used, so the same inputs
        always give the same bytes.

    Returns
    -------
    bytes
        The export file. The same inputs always give the same bytes.

    Raises
    ------
    ValueError
        If ``asis`` starts like FITS but its header is not terminated.

    Examples
    --------
    >>> import io, json
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from sunpy_jsocx.fitsexport import fits_export_bytes
    >>> buf = io.BytesIO()
    >>> fits.HDUList([fits.PrimaryHDU(),
    ...               fits.CompImageHDU(np.arange(16, dtype=np.int32).reshape(4, 4))]).writeto(buf)
    >>> defs = [{"name": "WAVELNTH", "type": "float", "recscope": "constant", "defval": "6173.0",
    ...          "units": "Angstrom", "note": "For HMI: 6173.3 Angstroms"},
    ...         {"name": "DATAMIN", "type": "float", "recscope": "variable", "units": "Gauss", "note": ""}]
    >>> out = fits_export_bytes(buf.getvalue(), {"DATAMIN": "nan"}, defs, series="hmi.x", recnum=7,
    ...                         segment="image", primekeys=["T_REC"])
    >>> with fits.open(io.BytesIO(out), checksum=True) as hdul:
    ...     hdr = hdul[1].header
    ...     print(hdr["WAVELNTH"], hdr.comments["DATAMIN"], hdr["DRMS_ID"], int(hdul[1].data.sum()))
    6173.0 [Gauss] (MISSING) hmi.x:7:image 120
    >>> fits_export_bytes(b"l n nu\\n", {}, defs)
    b'l n nu\\n'
    """
    raw = bytes(asis)
    if not _is_fits(raw):
        return raw
    if recnum is None and "*recnum*" in keywords:
        recnum = _to_int(keywords["*recnum*"], 64)
    hdus = _split_fits(raw)
    target = _image_hdu_index(hdus)
    hdu = hdus[target]
    checksummed = {i for i, h in enumerate(hdus) if _has_checksums(h)} | {target}

    new_cards = _drms_cards(keywords, keyword_defs, segment) + [
        (name, images, images) for name, images in _trailer_cards(series, recnum, segment, primekeys)]
    headsum = _headsum([image for _, _, images in new_cards for image in images])
    # JSOC replaces a stored card of the same name, and writing COMMENT or HISTORY first deletes
    # the stored file's cards of that name (cfitsio_update_comment_key, cfitsio_update_history_key).
    # The four COMMENT lines of a stored LONGSTRN card are kept with it (JSOC would lose them, as it
    # does not write LONGSTRN twice; no real export shows that case).
    replaced = {name for name, _, _ in new_cards} | {"HEADSUM"}
    longstrn_lines = {f"COMMENT {line}".ljust(_CARD) for line in _FACTS["longstrn_comments"]}
    kept: list[str] = []
    skipping = False
    for card in hdu.cards:
        key = _card_keyword(card)
        if key == "CONTINUE" and skipping:
            continue
        skipping = key in replaced and not _STRUCTURAL.fullmatch(key) and card.ljust(_CARD) not in longstrn_lines
        if not skipping:
            kept.append(card)
    trailer = [_card("HEADSUM", _quoted(headsum), {f["name"]: f for f in _FACTS["trailer"]}["HEADSUM"]["comment"],
                     left=True)]
    if not any(_card_keyword(c) == "LONGSTRN" for c in kept):
        trailer += _longstrn_cards()
    hdu.cards = kept + [image for _, images, _ in new_cards for image in images] + trailer
    date = _checksum_date(export_time, keywords)
    parts = []
    for i, h in enumerate(hdus):
        cards = _checksum_cards(h.cards, h.data, date) if i in checksummed else h.cards
        parts += [_header_bytes(cards), h.data]
    return b"".join(parts)


def _join(hdus: list[_HDU], checksummed: set[int]) -> bytes:
    """The FITS file of ``hdus``, with CHECKSUM and DATASUM (no date) in the HDUs of ``checksummed``."""
    parts = []
    for i, hdu in enumerate(hdus):
        cards = _checksum_cards(hdu.cards, hdu.data, None) if i in checksummed else hdu.cards
        parts += [_header_bytes(cards), hdu.data]
    return b"".join(parts)
