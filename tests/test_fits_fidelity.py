"""
Our FITS export headers held against real JSOC export headers.

Each real header (from sunpy's test data, shipped under ``tests/data/jsoc-headers``) is
turned back into what the writer gets from JSOC: the record's keyword values as
``rs_list`` prints them, the series' keyword definitions (type, units, description) and
the record number, series, segment and prime keys. The values come from the real header
itself, so they are real; the descriptions are rebuilt from the real comments. The writer
must then give back the real cards: the same names in the same order, the same value
fields (to the character: JSOC's ``%.17G`` doubles, the ``%.17G`` of the ``%.9G`` text of
floats, three-decimal times, CFITSIO's string padding and CONTINUE cards) and the same
comments, the same HEADSUM, and its CHECKSUM/DATASUM must verify with astropy. The types
of the numeric keywords are hmi.sharp_720s's and hmi.sharp_cea_720s's (``series_struct``)
where they name the keyword. Differences that no evidence explains are
``xfail(strict=True)`` with the gap named.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from sunpy_jsocx.fitsexport import fits_export_bytes, fits_keyword_name

DATA = Path(__file__).parent / "data" / "jsoc-headers"
REFERENCE = Path(__file__).parent / "data" / "jsoc-reference" / "series_struct"

#: Headers written by JSOC's current export (2024): compared card for card, comments included.
CURRENT = ["hmi_sharp_magnetogram.header", "hmi_cea_sharp_magnetogram.header", "hmi_bharp_vlos_mag.header"]
#: MDI headers exported in 2021 and then rebinned for sunpy's test data (their structural
#: cards, HISTORY and COMMENT were rewritten afterwards): compared up to PRIMARYK.
MDI = ["mdi.fd_M_96m_lev182.20101015_191200_TAI.data.header", "mdi.fd_Ic.20101015_230100_TAI.data.header"]
#: Synoptic maps as JSOC's web pages serve them (2020): written by an older export.
SYNOPTIC = ["hmi_synoptic.header", "mdi_synoptic.header"]

#: The two COMMENT lines CFITSIO writes into every primary header (hmi_synoptic.header, lines 7-8).
CFITSIO_FITS_COMMENTS = ("  FITS (Flexible Image Transport System) format is defined in 'Astronomy",
                         "  and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H")
TIME = re.compile(r"-?\d{4}\.\d\d\.\d\d_\d\d:\d\d:\d\d(\.\d+)?_[A-Z]+$|\d{4}-\d\d-\d\dT[\d:.]+$")
FIRST_DRMS = {"hmi_sharp_magnetogram.header": "DATE", "hmi_cea_sharp_magnetogram.header": "DATE",
              "hmi_bharp_vlos_mag.header": "DATE"}


def real_cards(name: str) -> list[str]:
    """The card images of a real header file (sunpy stores them one per line or as 80-character blocks)."""
    text = (DATA / name).read_text()
    lines = text.split("\n") if "\n" in text else [text[i:i + 80] for i in range(0, len(text), 80)]
    return [line.rstrip().ljust(80) for line in lines if line.strip()]


def drms_names() -> dict[str, str]:
    """FITS name -> DRMS name, from the real series_struct answers (for braces the card cut off)."""
    out = {}
    for path in sorted(REFERENCE.glob("hmi.sharp*.json")):
        for kw in json.loads(path.read_text())["keywords"]:
            out.setdefault(fits_keyword_name(re.sub(r"_\d{3}$", "", kw["name"]), kw["note"]), kw["name"])
    return out


def split_comment(comment: str) -> tuple[str, bool, str, str | None]:
    """(units, missing, description, DRMS name in braces) of a real card's comment."""
    units = ""
    m = re.match(r"\[([^\]]*)\] ?", comment)
    if m:
        units, comment = m.group(1), comment[m.end():]
    missing = comment.startswith("(MISSING)")
    if missing:
        comment = comment[len("(MISSING)"):].lstrip()
    braced = None
    m = re.search(r" ?\{([A-Za-z0-9_]+)(\}?)$", comment)
    if m:
        braced = m.group(1) + ("" if m.group(2) else "...")  # "..." marks a name the card cut off
        comment = comment[:m.start()]
    return units, missing, comment, braced


def _g(number: float, digits: int) -> str:
    text = f"{number:.{digits}G}"
    if "." not in text:
        text = f"{number:.1E}" if "E" in text else text + "."
    return text


def value_type(field: str, known: str | None = None) -> str:
    """
    The DRMS type of a real numeric value field: the series' type when ``series_struct`` gives
    it (``known``), else ``float`` when the field is what JSOC's export makes of a 32-bit value
    (the ``%.17G`` of its ``%.9G`` text: ``23.584617600000001``, ``86.1570435``).
    """
    if re.fullmatch(r"-?\d+", field):
        return "int"
    if known in ("float", "double"):
        return known
    return "float" if _g(float(_g(float(np.float32(float(field))), 9)), 17) == field else "double"


def rebuild(name: str):
    """The writer's inputs recovered from a real header, and the real cards to compare with."""
    cards = real_cards(name)
    header = fits.Header.fromstring("".join(cards))
    keys = [c[:8].rstrip() for c in cards]
    trailer = keys.index("RECNUM")
    series, recnum, segment = header["DRMS_ID"].split(":")
    start = keys.index(FIRST_DRMS.get(name, "T_REC"))
    types, notes = {}, {}
    for path in sorted(REFERENCE.glob("hmi.sharp*.json")):
        for kw in json.loads(path.read_text())["keywords"]:
            fits_name = fits_keyword_name(re.sub(r"_\d{3}$", "", kw["name"]), kw["note"])
            types.setdefault(fits_name, kw["type"])
            notes.setdefault(fits_name, kw["note"])
    names = drms_names()
    segnum = None
    defs: list[dict] = []
    keywords: dict[str, object] = {}
    comment_lines: list[str] = []
    i = start
    while i < trailer:
        card, key = cards[i], keys[i]
        if key in ("BLANK", "BZERO", "BSCALE", "CHECKSUM", "DATASUM", "HISTORY", "CONTINUE") or card.startswith(
                "COMMENT Data from"):
            i += 1
            continue
        if key == "COMMENT":
            if card[8:].rstrip() not in CFITSIO_FITS_COMMENTS:  # CFITSIO's lines, not the record's value
                comment_lines.append(card[8:])
            if keys[i + 1] != "COMMENT":
                # hmi.sharp_720s and hmi.sharp_cea_720s define HISTORY and then COMMENT here, both with
                # the default ' ' (series_struct); a blank line is not exported, but is checksummed.
                for commentary, text in (("HISTORY", "history of data"), ("COMMENT", "commentary on the data")):
                    defs.append({"name": commentary, "type": "string", "recscope": "variable", "units": "none",
                                 "note": text})
                keywords["HISTORY"] = " "
                keywords["COMMENT"] = "\n".join(comment_lines) or " "
            i += 1
            continue
        parsed = fits.Card.fromstring(card)
        comment = header.comments[key] if key in header else parsed.comment
        field = card[10:].split(" / ")[0].strip()
        units, missing, note, braced = split_comment(comment)
        drms = names.get(key, key) if braced is None or braced.endswith("...") else braced
        if braced is None and key != drms and fits_keyword_name(drms) != key:
            drms = key
        if key == "DATE-OBS" and braced is None:
            drms = "DATE__OBS"
        base = re.sub(r"_\d{3}$", "", drms)
        per_segment = base != drms
        if per_segment:
            segnum = int(drms[-3:])
        if missing:
            dtype = types.get(key, "float")
            value: object = {"int": "-2147483648", "string": "", "time": "-4712.01.01_11:59:28_TAI"}.get(dtype, "nan")
        elif isinstance(parsed.value, str):
            dtype = "time" if TIME.match(header.get(key, parsed.value)) else "string"
            value = header[key] if header[key].strip() else card[11:card.index("'", 11)]  # keep blanks
        else:
            # the types are hmi.sharp*'s; hmi.Bharp_720s shares its keywords, the MDI series do not
            dtype = value_type(field, types.get(key) if series.lower().startswith(("hmi.sharp", "hmi.bharp")) else None)
            value = field
        if dtype == "time" and units == "":
            units = "none"
        full = re.sub(r"^\[[^\]]*\] ?", "", notes.get(key, ""))
        if len(card.rstrip()) == 80 and braced is None and full.startswith(note) and len(full) > len(note):
            # the card cut the comment: the series' description has the rest (HEADSUM is computed on
            # cards where a shorter value leaves room for more of it, as for TOTPOT)
            note = full
        note_text = note
        if fits_keyword_name(base) != key:  # the FITS name comes from the description: [NAME] text
            note_text = f"[{key}] {note}"
        if per_segment:
            defs.append({"name": base, "type": dtype, "recscope": "segment", "units": units or "none", "note": ""})
            defs.append({"name": drms, "type": dtype, "recscope": "variable", "units": units or "none",
                         "note": note_text})
        else:
            defs.append({"name": drms, "type": dtype, "recscope": "variable", "units": units or "none",
                         "note": note_text})
        keywords[drms] = value
        i += 1
        while i < trailer and keys[i] == "CONTINUE":
            i += 1
    if segnum is not None:
        defs[:0] = [{"name": f"cparms_sg{segnum:03d}", "type": "string", "recscope": "variable", "note": ""},
                    {"name": f"{segment}_bzero", "type": "double", "recscope": "variable", "note": ""}]
    primekeys = header["PRIMARYK"].split(", ") if "PRIMARYK" in header else None
    m = re.search(r"updated (\S+)", header.comments["CHECKSUM"])
    export_time = m.group(1) if m else None
    inputs = {"keywords": keywords, "keyword_defs": defs, "segment": segment, "series": series,
              "recnum": int(recnum), "primekeys": primekeys, "export_time": export_time}
    return inputs, cards[start:], header


def stored_file(header: fits.Header) -> bytes:
    """A stored (SUMS) file like the one the real export was made from: the image with its scaling."""
    shape = (8, 8)
    bitpix = header["BITPIX"]
    dtype = {8: np.uint8, 16: np.int16, 32: np.int32, -32: np.float32, -64: np.float64}[bitpix]
    data = (np.arange(64).reshape(shape) % 7).astype(dtype)
    hdr = fits.Header()
    for key in ("BLANK", "BZERO", "BSCALE"):
        if key in header and bitpix > 0:
            hdr[key] = header[key]
    buf = io.BytesIO()
    if bitpix > 0:
        image = fits.CompImageHDU(data, header=hdr, compression_type="RICE_1")
        image.header["BZERO"], image.header["BSCALE"] = header.get("BZERO", 0.0), header.get("BSCALE", 1.0)
        fits.HDUList([fits.PrimaryHDU(), image]).writeto(buf, checksum=True)
    else:
        fits.HDUList([fits.PrimaryHDU(data)]).writeto(buf, checksum=True)
    return buf.getvalue()


def exported_cards(name: str) -> tuple[list[str], list[str], bytes]:
    """Our export of the rebuilt record: (our cards from the first DRMS card on, the real ones, the file)."""
    inputs, real, header = rebuild(name)
    out = fits_export_bytes(stored_file(header), **inputs)
    cards = _raw_cards(out, 1 if header["BITPIX"] > 0 else 0)
    first = real[0][:8].rstrip()
    return cards[[c[:8].rstrip() for c in cards].index(first):], real, out


def _raw_cards(raw: bytes, index: int) -> list[str]:
    """The card images of HDU ``index`` of a FITS file, as written (not as astropy rebuilds them)."""
    pos, hdu = 0, 0
    while True:
        cards = []
        while True:
            block = raw[pos:pos + 2880].decode("ascii")
            pos += 2880
            cards += [block[i:i + 80] for i in range(0, 2880, 80)]
            if any(c.startswith("END     ") or c.rstrip() == "END" for c in cards):
                break
        cards = cards[:[c.rstrip() for c in cards].index("END")]
        if hdu == index:
            return [c for c in cards if c.strip()]
        header = fits.Header.fromstring("".join(cards))
        size = 0
        if header.get("NAXIS", 0):
            axes = [header[f"NAXIS{i}"] for i in range(1, header["NAXIS"] + 1)]
            size = abs(header["BITPIX"]) // 8 * int(np.prod(axes))
            size = (size + header.get("PCOUNT", 0)) * header.get("GCOUNT", 1)
        pos += -(-size // 2880) * 2880
        hdu += 1


def drms_part(cards: list[str], stop: str) -> list[str]:
    keys = [c[:8].rstrip() for c in cards]
    return [c for c, k in zip(cards[:keys.index(stop)], keys[:keys.index(stop)], strict=True)
            if k not in ("BLANK", "BZERO", "BSCALE", "CHECKSUM", "DATASUM", "HISTORY") and not c.startswith(
                "COMMENT Data from")]


@pytest.mark.parametrize("name", CURRENT)
def test_names_and_order_match_the_real_header(name):
    ours, real, _ = exported_cards(name)
    assert [c[:8] for c in drms_part(ours, "HEADSUM")] == [c[:8] for c in drms_part(real, "HEADSUM")]


@pytest.mark.parametrize("name", CURRENT)
def test_value_fields_match_the_real_header(name):
    ours, real, _ = exported_cards(name)
    ours, real = drms_part(ours, "HEADSUM"), drms_part(real, "HEADSUM")

    def field(card: str) -> str:
        return card[:31] if card[10:11] != "'" else card[:card.index("'", 11) + 1] if "'" in card[11:] else card

    assert [field(c) for c in ours] == [field(c) for c in real]


@pytest.mark.parametrize("name", CURRENT)
def test_cards_match_the_real_header_character_for_character(name):
    ours, real, _ = exported_cards(name)
    ours, real = drms_part(ours, "HEADSUM"), drms_part(real, "HEADSUM")
    diffs = [(a, b) for a, b in zip(ours, real, strict=True) if a.rstrip() != b.rstrip()]
    assert diffs == []


@pytest.mark.parametrize("name", CURRENT)
def test_trailer_cards_after_headsum_match(name):
    ours, real, _ = exported_cards(name)
    keys = [c[:8].rstrip() for c in ours]
    real_keys = [c[:8].rstrip() for c in real]
    ours_tail = ours[keys.index("HEADSUM") + 1:]
    real_tail = real[real_keys.index("HEADSUM") + 1:]
    assert [c.rstrip() for c in ours_tail if not c.startswith(("CHECKSUM", "DATASUM"))] == \
        [c.rstrip() for c in real_tail]
    assert ours[keys.index("HEADSUM")][:10] == "HEADSUM = "
    assert ours[keys.index("HEADSUM")][30:] == real[real_keys.index("HEADSUM")][30:]


@pytest.mark.parametrize("name", CURRENT + MDI)
def test_checksums_verify_and_are_commented_as_jsoc_does(name):
    _, real, out = exported_cards(name)
    inputs, _, header = rebuild(name)
    index = 1 if header["BITPIX"] > 0 else 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(io.BytesIO(out), checksum=True) as hdul:
            hdul[index].data  # noqa: B018
    hdr = fits.Header.fromstring("".join(_raw_cards(out, index)))  # astropy hides a compressed HDU's own sums
    assert hdr.comments["CHECKSUM"] == f"HDU checksum updated {inputs['export_time']}"
    assert re.fullmatch(r"data unit checksum updated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", hdr.comments["DATASUM"])


@pytest.mark.parametrize("name", CURRENT)
def test_headsum_value_matches(name):
    ours, real, _ = exported_cards(name)
    assert [c for c in ours if c.startswith("HEADSUM")] == [c for c in real if c.startswith("HEADSUM")]


@pytest.mark.parametrize("name", MDI)
def test_mdi_names_and_values_match(name):
    ours, real, _ = exported_cards(name)
    stop = "RECNUM"
    ours_part = [c[:31] for c in drms_part(ours, stop) if c[10:11] != "'"]
    real_part = [c[:31] for c in drms_part(real, stop) if c[10:11] != "'"]
    assert ours_part == real_part


@pytest.mark.parametrize("name", SYNOPTIC)
@pytest.mark.xfail(strict=True, reason="synoptic maps on JSOC's web pages (2020) were written by an older export "
                   "that formats values with the series' format strings ('6173.000000') and writes no comments; "
                   "the series' format strings are not in our evidence")
def test_synoptic_headers_match(name):
    cards = real_cards(name)
    header = fits.Header.fromstring("".join(cards))
    keys = [c[:8].rstrip() for c in cards]
    assert "DRMS_ID" in keys, "no DRMS_ID: these files were not made by the current export"
    assert header["WAVELNTH"] == 6173.0


def sunpy_test_data() -> Path | None:
    try:
        from sunpy.data.test import rootdir
    except ImportError:
        return None
    path = Path(rootdir)
    return path if (path / CURRENT[0]).exists() else None


@pytest.mark.parametrize("name", CURRENT + MDI + SYNOPTIC)
def test_shipped_headers_are_sunpys(name):
    """The copies under tests/data/jsoc-headers are sunpy's test data, unchanged."""
    root = sunpy_test_data()
    if root is None:
        pytest.skip("sunpy's test data (sunpy/data/test) is not installed; the shipped copies are used")
    assert (DATA / name).read_bytes() == (root / name).read_bytes()


def test_commentary_keywords_replace_the_stored_cards():
    """
    A stored file written by CFITSIO already holds CFITSIO's two FITS COMMENT lines (as the
    emulator's synoptic charts and hmi_synoptic.header do). JSOC's export deletes the stored
    COMMENT (HISTORY) cards before writing the keyword's (cfitsio_update_comment_key in DRMS's
    cfitsio.c), so the lines appear once, where the COMMENT keyword is, and the default ' '
    value of COMMENT and HISTORY writes no card of its own.
    """
    primary = fits.PrimaryHDU((np.arange(64) % 7).astype(np.int16).reshape(8, 8))
    for line in CFITSIO_FITS_COMMENTS:
        primary.header.add_comment(line.strip())
    primary.header.add_history("stored history")
    buf = io.BytesIO()
    primary.writeto(buf)
    defs = [{"name": name, "type": "string", "recscope": "variable", "units": "none", "note": ""}
            for name in ("CONTENT", "HISTORY", "COMMENT", "BLD_VERS")]
    out = fits_export_bytes(buf.getvalue(), {"CONTENT": "x", "HISTORY": " ", "COMMENT": " ", "BLD_VERS": "V9"},
                            defs, series="hmi.x", recnum=1, segment="image")
    cards = [c.rstrip() for c in _raw_cards(out, 0)]
    commentary = [c for c in cards if c.startswith(("COMMENT", "HISTORY"))][:-4]  # LONGSTRN's four at the end
    assert commentary == [f"COMMENT {line}" for line in CFITSIO_FITS_COMMENTS]
    keys = [c[:8].rstrip() for c in cards]
    assert keys.index("CONTENT") + 1 == keys.index("COMMENT") and keys.index("COMMENT") + 2 == keys.index("BLD_VERS")
