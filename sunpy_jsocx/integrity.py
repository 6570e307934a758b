"""
Is a file whole? Checks a downloaded or existing file before it is trusted.

Pure functions on bytes (and one that reads a file): no network. A FITS file is
whole when every HDU has its ``END`` card and all the data its header declares,
padded to 2880-byte blocks, and when the ``DATASUM`` and ``CHECKSUM`` cards it
carries (JSOC writes both into exported files) verify. The checksum is the
FITS standard's 32-bit ones' complement sum (FITS Standard 4.0, Appendix J,
and the "FITS Checksum Proposal" it cites); astropy writes and checks the
same cards, and the tests hold this module against astropy's files.

Examples
--------
>>> import numpy as np
>>> from astropy.io import fits
>>> import io
>>> buf = io.BytesIO()
>>> fits.PrimaryHDU(np.arange(100, dtype=np.int16)).writeto(buf, checksum=True)
>>> raw = buf.getvalue()
>>> fits_problem(raw) is None
True
>>> broken = raw[:-2880] + bytes(2880)
>>> fits_problem(broken)
'HDU 0: DATASUM does not match its data (file corrupt)'
>>> fits_problem(raw[:-100])
'size 5660 is not a whole number of 2880-byte FITS blocks (truncated or padded)'
>>> fits_problem(raw[:2880])
'HDU 0: data truncated (0 of 2880 bytes)'
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

__all__ = ["fits_problem", "file_problem", "ones_complement_sum", "BLOCK"]

#: FITS block size.
BLOCK = 2880
_CARD = 80
_VALUE = re.compile(rb"^([A-Z0-9_-]{1,8}) *= *('(?:[^']|'')*'|[^/]*)")


def ones_complement_sum(data: bytes | memoryview, start: int = 0) -> int:
    """
    The 32-bit ones' complement sum of big-endian words (FITS checksum arithmetic).

    Parameters
    ----------
    data
        Bytes whose length is a multiple of 4 (FITS blocks always are).
    start
        A running sum to continue.

    Examples
    --------
    >>> ones_complement_sum(b"\\xff\\xff\\xff\\xff" * 2)
    4294967295
    >>> ones_complement_sum(b"\\x00\\x00\\x00\\x01" * 3, start=2)
    5
    """
    if len(data) % 4:
        raise ValueError(f"checksummed data must be a whole number of 32-bit words, not {len(data)} bytes")
    words = np.frombuffer(data, dtype=">u4")
    total = int(start) + int(words.sum(dtype=np.uint64)) if words.size else int(start)
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total


def _header(raw: bytes | memoryview, offset: int) -> tuple[dict[str, bytes], int] | None:
    """The cards of the header at ``offset`` (name -> raw value) and the offset after it, or None."""
    cards: dict[str, bytes] = {}
    pos = offset
    while pos + BLOCK <= len(raw):
        block = bytes(raw[pos:pos + BLOCK])
        pos += BLOCK
        for i in range(0, BLOCK, _CARD):
            card = block[i:i + _CARD]
            if card[:8] == b"END     ":
                return cards, pos
            m = _VALUE.match(card)
            if m:
                cards.setdefault(m.group(1).decode(), m.group(2).strip())
    return None


def _int(cards: dict[str, bytes], name: str, default: int | None = None) -> int:
    raw = cards.get(name)
    if raw is None:
        if default is None:
            raise ValueError(f"no {name} card")
        return default
    return int(raw.decode().strip())


def _string(cards: dict[str, bytes], name: str) -> str | None:
    raw = cards.get(name)
    if raw is None:
        return None
    text = raw.decode("ascii", errors="replace").strip()
    if text.startswith("'"):
        text = text[1:-1].replace("''", "'")
    return text.strip()


def _data_size(cards: dict[str, bytes], primary: bool) -> int:
    bitpix = _int(cards, "BITPIX")
    naxis = _int(cards, "NAXIS")
    if not 0 <= naxis <= 999:
        raise ValueError(f"NAXIS = {naxis} is not valid")
    dims = [_int(cards, f"NAXIS{i}") for i in range(1, naxis + 1)]
    if naxis == 0:
        return 0
    groups = primary and dims[0] == 0 and cards.get("GROUPS", b"").strip() == b"T"
    if groups:
        dims = dims[1:]
    pcount = _int(cards, "PCOUNT", 0)
    gcount = _int(cards, "GCOUNT", 1)
    size = 1
    for d in dims:
        size *= d
    if primary and not groups:
        pcount, gcount = 0, 1
    return abs(bitpix) // 8 * gcount * (pcount + size)


def fits_problem(raw: bytes | memoryview, *, require_checksum: bool = False) -> str | None:
    """
    What is wrong with a FITS file's bytes, or None if it is whole.

    Parameters
    ----------
    raw
        The whole file.
    require_checksum
        Also fail when an HDU carries no ``DATASUM`` (JSOC's exports always do).

    Returns
    -------
    str or None
        A sentence naming the first problem found.
    """
    if bytes(raw[:9]) != b"SIMPLE  =":
        return "not a FITS file (no SIMPLE card at the start)"
    if len(raw) % BLOCK:
        return f"size {len(raw)} is not a whole number of 2880-byte FITS blocks (truncated or padded)"
    offset, index = 0, 0
    while offset < len(raw):
        parsed = _header(raw, offset)
        if parsed is None:
            return f"HDU {index}: header has no END card (truncated)"
        cards, data_start = parsed
        try:
            size = _data_size(cards, primary=index == 0)
        except ValueError as error:
            return f"HDU {index}: unreadable header ({error}): file corrupt"
        padded = -(-size // BLOCK) * BLOCK
        end = data_start + padded
        if end > len(raw):
            return f"HDU {index}: data truncated ({len(raw) - data_start} of {padded} bytes)"
        datasum = _string(cards, "DATASUM")
        if datasum is None and require_checksum:
            return f"HDU {index}: no DATASUM card"
        data_sum = ones_complement_sum(raw[data_start:end])
        if datasum is not None and datasum != "":
            try:
                expected = int(datasum)
            except ValueError:
                return f"HDU {index}: DATASUM {datasum!r} is not a number"
            if expected != data_sum:
                return f"HDU {index}: DATASUM does not match its data (file corrupt)"
        if _string(cards, "CHECKSUM") not in (None, ""):
            total = ones_complement_sum(raw[offset:data_start], start=data_sum)
            if total != 0xFFFFFFFF:
                return f"HDU {index}: CHECKSUM does not verify (file corrupt)"
        offset, index = end, index + 1
    return None


def file_problem(path: str | os.PathLike, *, expected_size: int | None = None) -> str | None:
    """
    What is wrong with a file on disk, or None if it can be trusted.

    A missing or empty file, a size other than ``expected_size`` (when known),
    and, for FITS files (by content, whatever the name), any `fits_problem`.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "x.fits")
    ...     _ = open(p, "wb").write(b"SIMPLE  =                    T" + bytes(10))
    ...     file_problem(p)
    'size 40 is not a whole number of 2880-byte FITS blocks (truncated or padded)'
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if expected_size is not None and size != expected_size:
        return f"has {size} bytes where {expected_size} were expected"
    if size == 0:
        return "is empty"
    with open(path, "rb") as fh:
        head = fh.read(9)
        if head != b"SIMPLE  =":
            return None
        fh.seek(0)
        raw = fh.read()
    return fits_problem(raw)
