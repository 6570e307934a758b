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
The rules follow JSOC's export code (``fitsexport.c`` in DRMS):

* **Which keywords.** Every keyword of ``keyword_defs`` in series order, except
  keywords with ``recscope`` ``index`` (such as ``T_REC_index``) and the
  keywords DRMS creates implicitly for each segment: ``cparms_sgNNN`` (the
  compression parameters) and ``<segment>_bzero``/``<segment>_bscale`` (their
  values are already the file's ``BZERO``/``BSCALE``). Keywords with
  ``recscope`` ``segment`` are per-segment: for ``segment`` number ``NNN`` the
  value of ``<NAME>_NNN`` is used (falling back to ``<NAME>``). A keyword
  missing from ``keywords`` is left out, except a ``constant`` one, whose value
  is its ``defval``. Names that are structural in the file (``SIMPLE``,
  ``BITPIX``, ``NAXISn``, ``BZERO``, ``BSCALE``, ``BLANK``, ``Z*`` compression
  keywords, ``TFORMn`` ...) are never written.
* **Values.** By DRMS type: ``char``/``short``/``int``/``longlong`` become FITS
  integers (``0x...`` strings are hexadecimal and wrap to the signed width of
  the type, as the C value does: ``"0x80000000"`` as an ``int`` is
  -2147483648); ``float``/``double`` become FITS reals, and NaN or infinite
  values are left out; ``string`` becomes a string (non-ASCII characters become
  ``?``; long strings use the ``CONTINUE`` convention and ``LONGSTRN`` is
  written); ``time`` stays the string JSOC printed, without the trailing ``Z``
  of ISO times, which FITS does not allow, and JSOC's missing time
  (``-4712.01.01_11:59:28_TAI``) is left out. A value that cannot be read as its
  type is left out. A description starting with ``[NAME:TYPE]`` casts the value
  to ``INTEGER``, ``FLOAT``, ``STRING`` or ``LOGICAL``, as in DRMS.
* **Names.** See `fits_keyword_name`. When two keywords would get the same
  name, the later one is written as ``HIERARCH <DRMS name>``.
* **Comments.** ``[units] description``, with units left out when they are
  ``none``, the leading ``[NAME]`` of the description removed and
  ``{DRMS name}`` appended when the FITS name differs, trimmed so that each card
  keeps to 80 characters.
* **COMMENT and HISTORY** become commentary cards, one per line of the value.
* **DATE and DATE-OBS** are written in ISO 8601 UTC (``2014-01-01T00:00:07.570``),
  converted from other time systems if needed, as JSOC's date handler does.
* **Derived keywords** (not in JSOC's own export; documented here because they
  make the file self-describing for sunpy and other readers):

  - ``DATE-OBS`` from ``T_OBS`` (or ``T_REC`` if there is no ``T_OBS``) in ISO
    UTC, when the record has no usable ``DATE__OBS``. HMI's ``DATE__OBS`` is
    ``T_OBS`` minus half an exposure; without an exposure time ``T_OBS`` is the
    best estimate, and sunpy's HMI and AIA maps take their reference date from
    ``T_OBS`` anyway.
  - ``WAVEUNIT`` from the units of ``WAVELNTH`` (``Angstrom`` for HMI), when the
    series has no ``WAVEUNIT`` keyword.
  - ``RECNUM`` when ``keywords`` holds the pseudo-keyword ``*recnum*``, as JSOC
    writes the record number into every exported file.

* **Checksums.** If the stored HDU has ``CHECKSUM``/``DATASUM``, both are
  recomputed for the new header (the comments carry no date, so the output is
  deterministic); otherwise none are added.

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
>>> out = fits_export_bytes(buf.getvalue(), {"T_REC": "2014.01.01_00:00:45_TAI", "QUALITY": "0x00000000"}, defs)
>>> hdr = fits.getheader(io.BytesIO(out), 1)
>>> hdr["T_REC"], hdr["QUALITY"], hdr["DATE-OBS"]
('2014.01.01_00:00:45_TAI', 0, '2014-01-01T00:00:10.000')
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
from astropy.io import fits

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
_TIME_CONVERTED: Final = ("DATE", "DATE-OBS")
_NOT_ASCII: Final = re.compile(r"[^\x20-\x7e]")
_MISSING_UNITS: Final = ("", "none")


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
        return int(value)
    if isinstance(value, numbers.Real):
        return int(value) if math.isfinite(value) and float(value).is_integer() else None
    text = str(value).strip()
    try:
        if text.lower().startswith(("0x", "-0x")):
            return _wrap_signed(int(text, 16), bits)
        return int(text)
    except ValueError:
        pass
    try:
        f = float(text)
    except ValueError:
        return None
    return int(f) if math.isfinite(f) and f.is_integer() else None


def _to_float(value: object) -> float | None:
    try:
        f = float(value) if isinstance(value, numbers.Real) else float(str(value).strip())
    except ValueError:
        return None
    return f if math.isfinite(f) else None


def _clean_text(value: object) -> str:
    return _NOT_ASCII.sub("?", str(value).replace("\t", " ").replace("\r", "").replace("\n", " "))


def _time_text(value: object) -> str | None:
    """A time keyword value as JSOC's export writes it (None for JSOC's missing time)."""
    text = str(value).strip()
    try:
        if math.isnan(jsoctime.parse_time(text)):
            return None
    except jsoctime.JSOCTimeError:
        pass  # not a time JSOC could print; keep the string as given
    return text[:-1] if text.endswith("Z") else text


def _iso_utc(value: object) -> str | None:
    """A time value in ISO 8601 UTC without ``Z`` (None if missing or unreadable)."""
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[0-9:.]+Z?", text, re.ASCII):
        return text.rstrip("Z")
    try:
        t = jsoctime.parse_time(text)
    except jsoctime.JSOCTimeError:
        return None
    if math.isnan(t):
        return None
    return jsoctime.format_time(t, "ISO", 3).rstrip("Z")


def _cast(value: object, cast: str) -> object | None:
    cast = cast.upper()
    if cast == "INTEGER":
        return _to_int(value, 64)
    if cast == "FLOAT":
        return _to_float(value)
    if cast == "LOGICAL":
        f = _to_float(value)
        return None if f is None else f != 0
    return _clean_text(value)


def _convert(value: object, drms_type: str, cast: str | None) -> object | None:
    """The FITS value of a DRMS keyword value, or None to leave the keyword out."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if cast and cast.upper() in ("INTEGER", "FLOAT", "STRING", "LOGICAL"):
        return _cast(value, cast)
    t = (drms_type or "string").lower()
    if t in _INT_TYPES:
        return _to_int(value, _INT_TYPES[t])
    if t in _REAL_TYPES:
        return _to_float(value)
    if t == "time":
        return _time_text(value)
    return _clean_text(value)


# ---------------------------------------------------------------------------------------------
# Cards
# ---------------------------------------------------------------------------------------------


def _comment(units: object, note: str, drms_name: str, fits_name: str) -> tuple[str, str]:
    prefix = f"[{units}] " if units is not None and str(units).strip().lower() not in _MISSING_UNITS else ""
    suffix = f" {{{drms_name}}}" if fits_name.upper() != drms_name.upper() else ""
    return _clean_text(prefix + note.strip()).strip(), suffix


def _card_images(keyword: str, value: object, comment: tuple[str, str]) -> list[str]:
    """80-character card images of one keyword, with the comment trimmed to fit."""
    body, suffix = comment
    full = (body + suffix).strip()
    plain = fits.Card(keyword, value).image
    if len(plain) > _CARD:  # a long string: CONTINUE cards; keep the comment short
        image = fits.Card(keyword, value, full[:47]).image
    elif not full or len(plain.rstrip()) > _CARD - 4:
        image = plain
    else:
        # Short values are padded to column 30 before a comment; find where the comment starts.
        room = _CARD - (len(fits.Card(keyword, value, "x").image.rstrip()) - 1)
        if room <= 0:
            image = plain
        else:
            if len(full) > room:
                keep = room - len(suffix)
                full = (body[:keep].rstrip() + suffix).strip() if keep > 0 else full[:room]
            image = fits.Card(keyword, value, full).image
    return [image[i:i + _CARD] for i in range(0, len(image), _CARD)]


def _commentary_images(keyword: str, text: object) -> list[str]:
    lines = str(text).replace("\r", "").split("\n")
    images = []
    for raw_line in lines:
        line = _NOT_ASCII.sub("?", raw_line.replace("\t", " ")).rstrip()
        chunks = [line[i:i + 72] for i in range(0, len(line), 72)] or [""]
        images += [f"{keyword:8}{chunk}".ljust(_CARD) for chunk in chunks]
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


def _drms_cards(keywords: Mapping[str, object], keyword_defs: Sequence[Mapping],
                segment: str | None) -> tuple[list[tuple[str, list[str]]], bool]:
    """
    The exported cards as (FITS name, card images) in series order, and whether a
    long string needs ``LONGSTRN``.
    """
    segnum = _segment_number(keyword_defs, segment)
    out: list[tuple[str, list[str]]] = []
    used: set[str] = set()
    long_strings = False
    names = {str(kw.get("name", "")).upper() for kw in keyword_defs}

    def add(fits_name: str, images: list[str]) -> None:
        nonlocal long_strings
        out.append((fits_name, images))
        used.add(fits_name)
        long_strings = long_strings or any(img.startswith("CONTINUE") for img in images)

    for kw in keyword_defs:
        name = str(kw.get("name", ""))
        scope = str(kw.get("recscope", "variable")).lower()
        if not name or scope == "index" or _IMPLICIT.fullmatch(name):
            continue
        if scope == "segment" and segnum is not None and f"{name}_{segnum:03d}" in keywords:
            value = keywords[f"{name}_{segnum:03d}"]
        elif name in keywords:
            value = keywords[name]
        elif scope == "constant":
            value = kw.get("defval")
        else:
            continue
        base = _PER_SEGMENT_SUFFIX.sub("", name) if scope == "segment" else name
        note = str(kw.get("note") or "")
        fits_name = fits_keyword_name(base, note)
        _, cast, rest = _note_cast(note)
        if fits_name in _COMMENTARY:
            if value is not None:
                add(fits_name, _commentary_images(fits_name, value))
            continue
        if fits_name in _JSOC_RESERVED or _STRUCTURAL.fullmatch(fits_name):
            continue
        if fits_name in _TIME_CONVERTED:
            fits_value = _iso_utc(value)
        else:
            fits_value = _convert(value, str(kw.get("type", "string")), cast)
        if fits_value is None:
            continue
        keyword = fits_name if fits_name not in used else f"HIERARCH {name}"
        add(fits_name if keyword == fits_name else name.upper(),
            _card_images(keyword, fits_value, _comment(kw.get("units"), rest, name, fits_name)))

    if "DATE-OBS" not in used:
        for source in ("T_OBS", "T_REC"):
            if source in keywords and (date_obs := _iso_utc(keywords[source])) is not None:
                add("DATE-OBS", _card_images("DATE-OBS", date_obs, (f"[ISO] from {source}", "")))
                break
    if "WAVEUNIT" not in names and "WAVEUNIT" not in used:
        for kw in keyword_defs:
            if str(kw.get("name", "")).upper() == "WAVELNTH" and "WAVELNTH" in used:
                unit = str(kw.get("units") or "").strip()
                if unit.lower() not in _MISSING_UNITS:
                    add("WAVEUNIT", _card_images("WAVEUNIT", unit, ("Wavelength unit (units of WAVELNTH)", "")))
    if "*recnum*" in keywords and "RECNUM" not in used:
        recnum = _to_int(keywords["*recnum*"], 64)
        if recnum is not None:
            add("RECNUM", _card_images("RECNUM", recnum, ("Recnum", "")))
    return out, long_strings


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


def _with_checksum(cards: list[str], data: bytes) -> list[str]:
    """``cards`` plus deterministic CHECKSUM and DATASUM cards for this header and data."""
    datasum = _ones_complement_sum(data)
    base = [*cards,
            fits.Card("CHECKSUM", "0" * 16, "HDU checksum").image,
            fits.Card("DATASUM", str(datasum), "data unit checksum").image]
    total = _ones_complement_sum(_header_bytes(base), datasum)
    base[-2] = fits.Card("CHECKSUM", _encode_checksum(total), "HDU checksum").image
    return base


def _card_keyword(card: str) -> str:
    if card.startswith("HIERARCH "):
        return card[9:].split("=", 1)[0].strip().upper()
    return card[:8].rstrip()


def _join(hdus: list[_HDU], checksummed: set[int]) -> bytes:
    parts = []
    for i, hdu in enumerate(hdus):
        cards = _with_checksum(hdu.cards, hdu.data) if i in checksummed else hdu.cards
        parts += [_header_bytes(cards), hdu.data]
    return b"".join(parts)


def _strip_checksums(hdu: _HDU) -> bool:
    had = any(_card_keyword(c) in ("CHECKSUM", "DATASUM") for c in hdu.cards)
    hdu.cards = [c for c in hdu.cards if _card_keyword(c) not in ("CHECKSUM", "DATASUM")]
    return had


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


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


def fits_export_bytes(asis: bytes, keywords: Mapping[str, object], keyword_defs: Sequence[Mapping], *,
                      segment: str | None = None) -> bytes:
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
        ``*recnum*`` adds ``RECNUM``.
    keyword_defs : sequence of mapping
        The series' ``series_struct["keywords"]`` (``name``, ``type``,
        ``recscope``, ``defval``, ``units``, ``note``).
    segment : str, optional
        The segment the file belongs to; selects per-segment keyword values.

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
    >>> out = fits_export_bytes(buf.getvalue(), {"DATAMIN": "nan"}, defs)
    >>> with fits.open(io.BytesIO(out)) as hdul:
    ...     hdr = hdul[1].header
    ...     print(hdr["WAVELNTH"], hdr["WAVEUNIT"], "DATAMIN" in hdr, int(hdul[1].data.sum()))
    6173.0 Angstrom False 120
    >>> fits_export_bytes(b"l n nu\\n", {}, defs)
    b'l n nu\\n'
    """
    raw = bytes(asis)
    if not _is_fits(raw):
        return raw
    hdus = _split_fits(raw)
    target = _image_hdu_index(hdus)
    hdu = hdus[target]
    checksummed = {i for i, h in enumerate(hdus) if _strip_checksums(h)}

    new_cards, long_strings = _drms_cards(keywords, keyword_defs, segment)
    replaced = {name for name, _ in new_cards} - set(_COMMENTARY)
    kept: list[str] = []
    skipping = False
    for card in hdu.cards:
        key = _card_keyword(card)
        if key == "CONTINUE" and skipping:
            continue
        skipping = key in replaced and not _STRUCTURAL.fullmatch(key)
        if not skipping:
            kept.append(card)
    if long_strings and not any(_card_keyword(c) == "LONGSTRN" for c in kept):
        kept.append(fits.Card("LONGSTRN", "OGIP 1.0", "The OGIP long string convention may be used").image)
    hdu.cards = kept + [image for _, images in new_cards for image in images]
    return _join(hdus, checksummed)
