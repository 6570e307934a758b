"""
What a group holds: an index of downloaded JSOC FITS files by series, record and segment.

`Holdings` walks one or more folders (a download folder, a record cache) and reads
the FITS *headers* only (a few 2880-byte blocks per file, no data), so that 10,000
files index in seconds. A file is a record's file when its header says which:

* ``DRMS_ID = 'series:recnum:segment'`` (JSOC writes it into every ``fits``
  export, and so does `sunpy_jsocx.fitsexport`): the series, the record number
  and the segment; ``PRIMARYK`` names the prime keys, whose values are the
  header's cards of those names; every other card is a keyword value.
* A file without ``DRMS_ID`` (a stored ``as-is`` file, whose header is minimal)
  is the ``as-is`` file of a held record when its data unit is byte for byte the
  data unit of that record's ``fits`` file (JSOC's export only adds header
  cards; the match compares the data length and two 4 KiB samples). An ``as-is``
  file that matches no held ``fits`` file cannot be placed and is listed in
  ``Holdings.unplaced``.

Series structure comes from the ``series_struct`` answers the client cached on
disk (``sunpy_jsocx.transport.cache_dir``), when there is one for the series, and is
otherwise inferred from the headers (`infer_struct`).

Nothing here opens a network connection or imports the emulator's server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sunpy import log

from sunpy_jsocx import jsoctime
from sunpy_jsocx.fitsexport import CFITSIO_FITS_COMMENTS, fits_keyword_name

__all__ = ["HeldFile", "HeldRecord", "HeldSeries", "Holdings", "infer_struct", "read_headers"]

_BLOCK = 2880
_CARD = 80
#: Header cards that describe the file, not the record (never keyword values).
_STRUCTURAL = re.compile(
    r"^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|BZERO|BSCALE|BLANK|CHECKSUM|DATASUM|EXTNAME|"
    r"TFIELDS|T(TYPE|FORM|UNIT|DIM|SCAL|ZERO|NULL|DISP)\d+|THEAP|Z[A-Z0-9_]*|RECNUM|DRMS_ID|PRIMARYK|LICENSE|"
    r"HEADSUM|LONGSTRN|END|CONTINUE)$")
_JSOC_TIME = re.compile(r"^-?\d{1,4}\.\d\d\.\d\d_\d\d:\d\d(:\d\d(\.\d+)?)?_?([A-Z]{1,4})$")
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z?$")
_DRMS_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}\s*$")
_UNITS = re.compile(r"^\[([^\]]*)\]\s*")
_SAMPLE = 4096


# ---------------------------------------------------------------------------- FITS headers
class Header:
    """One HDU's header: its raw cards, where its data starts and how long the data is."""

    def __init__(self, raw: bytes, data_offset: int, data_size: int):
        self.raw = raw
        self.data_offset = data_offset
        self.data_size = data_size

    @property
    def cards(self) -> list[str]:
        """The non-blank cards before ``END``."""
        text = self.raw.decode("ascii", errors="replace")
        cards = [text[i:i + _CARD] for i in range(0, len(text), _CARD)]
        return [c for c in cards if c.strip()]

    def card(self, name: str) -> str | None:
        """The first card of keyword ``name`` (a search of the raw bytes, card-aligned)."""
        key = name.ljust(8).encode("ascii", errors="replace") + b"="
        pos = self.raw.find(key)
        while pos >= 0 and pos % _CARD:
            pos = self.raw.find(key, pos + 1)
        if pos < 0:
            return None
        return self.raw[pos:pos + _CARD].decode("ascii", errors="replace")


def _card_name(card: str) -> str:
    if card.startswith("HIERARCH "):
        return card[9:].split("=", 1)[0].strip()
    return card[:8].rstrip()


def _int_card(header: Header, name: str, default: int = 0) -> int:
    card = header.card(name)
    if card is None:
        return default
    try:
        return int(card[10:].split("/", 1)[0])
    except ValueError:
        return default


_END = re.compile(rb"END {77}")


def read_headers(path: Path | str, *, stop_at: str = "DRMS_ID", max_hdus: int = 3) -> list[Header]:
    """
    The headers of a FITS file's first HDUs, reading no data.

    Reading stops after the first header holding a card ``stop_at``, after
    ``max_hdus`` headers, or at the end of the file.

    Raises
    ------
    ValueError
        If the file does not start as a FITS file or a header has no ``END``.
    """
    out: list[Header] = []
    with open(path, "rb") as f:
        end_of_file = f.seek(0, os.SEEK_END)
        offset = 0
        for _ in range(max_hdus):
            f.seek(offset)
            raw = b""
            end = -1
            while end < 0:
                chunk = f.read(4 * _BLOCK)
                if not chunk or len(chunk) % _BLOCK:
                    if not out and not raw:
                        raise ValueError(f"{path} is not a FITS file (shorter than one block)")
                    raise ValueError(f"{path}: a FITS header with no END card")
                if not out and not raw and not chunk.startswith(b"SIMPLE  ="):
                    raise ValueError(f"{path} is not a FITS file")
                start = max(0, len(raw) - _CARD)
                raw += chunk
                for m in _END.finditer(raw, start):
                    if m.start() % _CARD == 0:
                        end = m.start()
                        break
                if len(raw) > 2000 * _BLOCK:
                    raise ValueError(f"{path}: a FITS header of more than 2000 blocks")
            blocks = end // _BLOCK + 1
            header = Header(raw[:end], offset + blocks * _BLOCK, 0)
            naxis = _int_card(header, "NAXIS")
            size = 0
            if naxis:
                size = 1
                for k in range(1, naxis + 1):
                    size *= _int_card(header, f"NAXIS{k}")
            bitpix = abs(_int_card(header, "BITPIX", 8))
            header.data_size = bitpix // 8 * _int_card(header, "GCOUNT", 1) * (_int_card(header, "PCOUNT") + size)
            out.append(header)
            if header.card(stop_at) is not None:
                break
            offset = header.data_offset + -(-header.data_size // _BLOCK) * _BLOCK
            if end_of_file <= offset:
                break
    return out


def card_value(card: str) -> tuple[object, str, str | None]:
    """
    ``(value, comment, kind)`` of one header card; the value is None for a card with
    no value (DRMS's missing value) and kind one of ``string``, ``int``, ``float``,
    ``logical`` or None.
    """
    if card.startswith("HIERARCH "):
        _, _, rest = card.partition("=")
    elif card[8:10] == "= ":
        rest = card[10:]
    else:
        return None, card[8:].strip(), None
    s = rest.lstrip()
    if s.startswith("'"):
        i, chars = 1, []
        while i < len(s):
            c = s[i]
            if c == "'":
                if i + 1 < len(s) and s[i + 1] == "'":
                    chars.append("'")
                    i += 2
                    continue
                break
            chars.append(c)
            i += 1
        after = s[i + 1:]
        comment = after.split("/", 1)[1].strip() if "/" in after else ""
        return "".join(chars).rstrip(), comment, "string"
    text, _, comment = s.partition("/")
    text = text.strip()
    comment = comment.strip()
    if not text:
        return None, comment, None
    if text in ("T", "F"):
        return text == "T", comment, "logical"
    try:
        return int(text), comment, "int"
    except ValueError:
        pass
    try:
        return float(text.replace("D", "E")), comment, "float"
    except ValueError:
        return text, comment, "string"


def header_values(header: Header) -> dict[str, tuple[object, str, str | None]]:
    """
    Every keyword card of a header: FITS name -> ``(value, comment, kind)``, long strings
    joined from their ``CONTINUE`` cards, ``COMMENT`` and ``HISTORY`` before the
    trailer joined into one value each (72-character pieces without a line break), without
    the two lines CFITSIO writes into every primary header.
    """
    out: dict[str, tuple[object, str, str | None]] = {}
    commentary: dict[str, list[str]] = {}
    last = None
    trailer = False
    for card in header.cards:
        name = _card_name(card)
        if name == "CONTINUE" and last is not None:
            value, comment, kind = out[last]
            if isinstance(value, str) and value.endswith("&"):
                more = card_value("CONTINUE= " + card[10:])[0]
                out[last] = (value[:-1] + (more if isinstance(more, str) else ""), comment, kind)
            continue
        if name in ("COMMENT", "HISTORY"):
            piece = card[8:].rstrip()
            # CFITSIO's own two lines are the writer's, not the record's COMMENT: exporting the
            # record again writes them anew (`sunpy_jsocx.fitsexport`), so they are left out here.
            if not trailer and not (name == "COMMENT" and piece in CFITSIO_FITS_COMMENTS):
                commentary.setdefault(name, []).append(piece)
            continue
        if name in ("RECNUM", "DRMS_ID"):
            trailer = True
        if name == "" or name in out:
            continue
        out[name] = card_value(card)
        last = name
    for name, pieces in commentary.items():
        text = ""
        for piece in pieces:
            text += piece if len(piece) >= 72 else piece + "\n"
        out[name] = (text.rstrip("\n"), "", "string")
    return out


# ---------------------------------------------------------------------------- records
@dataclass
class HeldFile:
    """One held file: where it is and, when known, whose segment it is."""

    path: Path
    size: int
    mtime_ns: int
    kind: str  # "fits" (a full header, DRMS_ID) or "as-is"
    series: str | None = None
    recnum: int | None = None
    segment: str | None = None
    primekeys: tuple[str, ...] = ()
    key_cards: dict[str, str] = field(default_factory=dict)
    header_index: int = 0
    data_offset: int = 0
    data_size: int = 0

    def fingerprint(self) -> tuple[int, str]:
        """The data unit's length and a hash of its first and middle 4 KiB."""
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            f.seek(self.data_offset)
            h.update(f.read(min(_SAMPLE, self.data_size)))
            mid = self.data_offset + self.data_size // 2
            f.seek(mid)
            h.update(f.read(min(_SAMPLE, self.data_offset + self.data_size - mid)))
        return self.data_size, h.hexdigest()


@dataclass
class HeldRecord:
    """One record of a held series: its prime-key values and the files of its segments."""

    series: HeldSeries
    recnum: int
    pk_text: dict[str, str]
    files: dict[str, dict[str, HeldFile]] = field(default_factory=dict)
    _keywords: dict[str, str] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """JSOC's record name, ``series[pk1][pk2]``."""
        return self.series.name + "".join(f"[{self.pk_text.get(k, '')}]" for k in self.series.primekeys)

    def fits_file(self, segment: str | None = None) -> HeldFile | None:
        if segment is not None:
            return self.files.get(segment, {}).get("fits")
        return next((f["fits"] for f in self.files.values() if "fits" in f), None)

    def keywords(self) -> dict[str, str]:
        """Keyword values as ``rs_list`` prints them, from the held FITS headers."""
        if self._keywords is None:
            self._keywords = self.series.record_keywords(self)
        return self._keywords


def _missing_text(kw: dict) -> str:
    typ = kw.get("type", "string")
    bits = {"char": 8, "short": 16, "int": 32, "longlong": 64}.get(typ)
    if bits:
        return str(-(2 ** (bits - 1)))
    if typ in ("float", "double"):
        return "nan"
    if typ == "time":
        units = (kw.get("units") or "TAI").upper()
        return jsoctime.MISSING_TIME_TAI if units in ("", "TAI", "NONE") else f"-4712.01.01_11:59:28_{units}"
    return ""


def _value_text(value: object, kind: str | None, kw: dict | None) -> str:
    if value is None:
        return _missing_text(kw or {})
    if kind == "logical":
        return "1" if value else "0"
    if kind == "int":
        return str(value)
    if kind == "float":
        return repr(float(value))
    return str(value)


def _real_type(value: object) -> str:
    """``float`` for a value a 32-bit float prints back exactly (CFITSIO's %.9G), else ``double``."""
    try:
        v = float(value)
        return "float" if float(f"{np.float32(v):.9G}") == v else "double"
    except (TypeError, ValueError, OverflowError):
        return "double"


def infer_struct(series: str, primekeys: Iterable[str], header: dict[str, tuple[object, str, str | None]],
                 segments: Iterable[str]) -> dict:
    """
    A ``series_struct`` answer inferred from one record's header: keyword names
    (the DRMS name from a comment's ``{NAME}`` when the FITS name differs), types
    from the values (JSOC time strings are ``time``), units from ``[units]``.
    """
    keywords = []
    for fits_name, (value, comment, kind) in header.items():
        if _STRUCTURAL.match(fits_name):
            continue
        m = _DRMS_NAME.search(comment)
        drms = m.group(1) if m else fits_name.replace("-", "__")
        note = _DRMS_NAME.sub("", comment).strip()
        units = "none"
        u = _UNITS.match(note)
        if u:
            units, note = u.group(1), note[u.end():]
        note = note.replace("(MISSING)", "").strip()
        typ = {"int": "int", "float": _real_type(value), "logical": "int"}.get(kind or "", "string")
        if kind == "string" and isinstance(value, str):
            t = _JSOC_TIME.match(value)
            if t:
                typ, units = "time", t.group(3)
            elif _ISO_TIME.match(value):
                typ, units = "time", "ISO"
        keywords.append({"name": drms, "type": typ, "recscope": "variable", "defval": "", "units": units,
                         "note": note.replace("-", "--")})
    pks = list(primekeys)
    return {
        "note": f"{series} as held by this server (structure inferred from the FITS headers)",
        "retention": 0, "stagingretention": 0, "unitsize": 1, "archive": 0, "tapegroup": 0,
        "primekeys": pks,
        "primekeysinfo": [{"name": k, "slotted": 0} for k in pks],
        "dbindex": pks,
        "keywords": keywords,
        "segments": [{"name": s, "type": "int", "units": "none", "protocol": "fits", "dims": "", "note": ""}
                     for s in segments],
        "links": [],
    }


class HeldSeries:
    """One series as held: its structure (cached or inferred) and its records."""

    def __init__(self, name: str, primekeys: tuple[str, ...], struct: dict | None):
        self.name = name
        self.primekeys = list(primekeys)
        self.cached_struct = struct
        self.records: dict[int, HeldRecord] = {}
        self._struct: dict | None = None

    @property
    def struct(self) -> dict:
        if self._struct is None:
            if self.cached_struct is not None:
                s = {k: v for k, v in self.cached_struct.items() if k not in ("Interval", "runtime", "status")}
                known = {x["name"].lower() for x in s.get("segments", [])}
                extra = [seg for seg in self.segment_names_held() if seg.lower() not in known]
                s["segments"] = list(s.get("segments", [])) + [
                    {"name": seg, "type": "int", "units": "none", "protocol": "fits", "dims": "", "note": ""}
                    for seg in extra]
            else:
                first = next(iter(self.records.values()), None)
                f = first.fits_file() if first else None
                header = header_values(read_headers(f.path)[f.header_index]) if f else {}
                s = infer_struct(self.name, self.primekeys, header, self.segment_names_held())
            self._struct = s
        return self._struct

    def segment_names_held(self) -> list[str]:
        seen: dict[str, str] = {}
        for r in self.records.values():
            for seg in r.files:
                seen.setdefault(seg.lower(), seg)
        return list(seen.values())

    def keyword(self, name: str) -> dict | None:
        up = name.upper()
        return next((k for k in self.struct["keywords"] if k["name"].upper() == up), None)

    def segment(self, name: str) -> dict | None:
        low = name.lower()
        return next((s for s in self.struct["segments"] if s["name"].lower() == low), None)

    def time_step(self, key: str) -> float:
        """
        A slotted time key's slot length in seconds (0: not slotted or unknown). Without a
        cached structure it is the held records' spacing, when every gap between them is
        a whole number of the smallest one (as on a slotted key's grid).
        """
        if self.cached_struct is None:
            return self._spacing(key)
        for info in self.struct.get("primekeysinfo", []):
            if info.get("name", "").upper() == key.upper() and info.get("slotted"):
                try:
                    return float(info.get("step") or 0)
                except ValueError:
                    return 0.0
        return 0.0

    def _spacing(self, key: str) -> float:
        cache = self.__dict__.setdefault("_spacings", {})
        if key not in cache:
            times = []
            for r in self.records.values():
                try:
                    times.append(jsoctime.parse_time(r.pk_text.get(key, "")))
                except (jsoctime.JSOCTimeError, ValueError):
                    continue
            ordered = sorted(set(times))
            gaps = [b - a for a, b in zip(ordered, ordered[1:])]
            step = min(gaps) if gaps else 0.0
            if step < 1e-3 or any(abs(g / step - round(g / step)) > 1e-6 for g in gaps):
                step = 0.0
            cache[key] = step
        return cache[key]

    def record_keywords(self, record: HeldRecord) -> dict[str, str]:
        out: dict[str, str] = {}
        segments = [s["name"] for s in self.struct["segments"]]
        per_segment: dict[str, dict] = {}
        for seg, files in record.files.items():
            f = files.get("fits")
            if f is not None:
                per_segment[seg] = header_values(read_headers(f.path)[f.header_index])
        if not per_segment:
            return {k: record.pk_text.get(k, "") for k in self.primekeys}
        first = next(iter(per_segment.values()))
        for kw in self.struct["keywords"]:
            if kw.get("recscope") == "index":
                continue
            name = kw["name"]
            fits_name = fits_keyword_name(name, kw.get("note"))
            card = first.get(fits_name) or first.get(name)
            if card is None:
                if kw.get("recscope") == "constant" and kw.get("defval") not in (None, ""):
                    out[name] = str(kw["defval"])
                else:
                    out[name] = _missing_text(kw)
            else:
                out[name] = _value_text(card[0], card[2], kw)
            if kw.get("recscope") == "segment":
                for n, seg in enumerate(segments):
                    hv = per_segment.get(seg)
                    c = hv.get(fits_name) if hv else None
                    out[f"{name}_{n:03d}"] = _value_text(c[0], c[2], kw) if c else out[name]
        out.update({k: v for k, v in record.pk_text.items() if k in out or self.keyword(k) is None})
        return out


# ---------------------------------------------------------------------------- the index
def _walk(root: Path) -> Iterable[tuple[Path, os.stat_result]]:
    """Regular files under ``root`` (symbolic links only when they resolve inside it)."""
    real_root = os.path.realpath(root)
    stack = [str(root)]
    while stack:
        d = stack.pop()
        try:
            it = os.scandir(d)
        except OSError:
            continue
        with it:
            for e in it:
                if e.name.startswith("."):
                    continue  # hidden files and folders, and downloads still being written (.name.part)
                try:
                    if e.is_symlink():
                        target = os.path.realpath(e.path)
                        if os.path.commonpath([real_root, target]) != real_root:
                            continue  # a link out of the folder is never followed or served
                    if e.is_dir():
                        if not e.is_symlink():
                            stack.append(e.path)
                        continue
                    if e.is_file():
                        yield Path(e.path), e.stat()
                except (OSError, ValueError):
                    continue


def _load_structs(dirs: Iterable[Path]) -> dict[str, dict]:
    """Cached ``series_struct`` answers (``<dir>/**/<series>.json``), by lower-case series name."""
    out: dict[str, tuple[float, dict]] = {}
    for d in dirs:
        if not d or not Path(d).is_dir():
            continue
        for p in Path(d).rglob("*.json"):
            try:
                data = json.loads(p.read_text())
                mtime = p.stat().st_mtime
            except (OSError, ValueError):
                continue
            if not (isinstance(data, dict) and isinstance(data.get("keywords"), list)
                    and isinstance(data.get("primekeys"), list) and str(data.get("status", 0)) == "0"):
                continue
            name = p.name[:-5].lower()
            if name not in out or out[name][0] < mtime:
                out[name] = (mtime, data)
    return {k: v for k, (_, v) in out.items()}


class Holdings:
    """
    The held files under some folders, indexed by series, record number and segment.

    Parameters
    ----------
    roots
        Folders whose FITS files are served (a download folder, a record cache).
    metadata
        Folders of cached ``series_struct`` answers (JSON files named after the series).
    """

    def __init__(self, roots: Iterable[Path | str], metadata: Iterable[Path | str] = ()):
        self.roots = [Path(r).resolve() for r in roots]
        self.metadata = [Path(m) for m in metadata]
        self.series: dict[str, HeldSeries] = {}
        self.files: dict[Path, HeldFile] = {}
        self.unplaced: list[Path] = []
        self.skipped: list[tuple[Path, str]] = []
        self._parsed: dict[tuple[Path, int, int], HeldFile | None] = {}
        self._fingerprints: dict[tuple[Path, int, int], tuple[int, str]] = {}
        self._dir_mtimes: dict[str, int] = {}
        self.lock = threading.Lock()
        self.scans = 0

    # ------------------------------------------------------------------ scanning
    def _parse(self, path: Path, st: os.stat_result) -> HeldFile | None:
        key = (path, st.st_size, st.st_mtime_ns)
        if key in self._parsed:
            return self._parsed[key]
        held = None
        try:
            headers = read_headers(path)
        except (OSError, ValueError) as e:
            self.skipped.append((path, str(e)))
            headers = []
        if headers:
            idx = next((i for i, h in enumerate(headers) if h.card("DRMS_ID") is not None), None)
            if idx is None:
                image = next((i for i, h in enumerate(headers) if h.data_size), len(headers) - 1)
                h = headers[image]
                held = HeldFile(path, st.st_size, st.st_mtime_ns, "as-is", header_index=image,
                                data_offset=h.data_offset, data_size=h.data_size)
            else:
                h = headers[idx]
                drms_id = card_value(h.card("DRMS_ID"))[0]
                parts = str(drms_id).split(":") if drms_id is not None else []
                if len(parts) == 3 and parts[1].strip().isdigit():
                    pk_card = h.card("PRIMARYK")
                    pk_value = card_value(pk_card)[0] if pk_card else ""
                    pks = tuple(k.strip() for k in str(pk_value or "").split(",") if k.strip())
                    cards = {}
                    for k in pks:
                        card = h.card(_fits_name(k)) or h.card(k)
                        if card is not None:
                            cards[k] = card
                    held = HeldFile(path, st.st_size, st.st_mtime_ns, "fits", parts[0].strip(), int(parts[1]),
                                    parts[2].strip(), pks, cards, idx, h.data_offset, h.data_size)
                else:
                    self.skipped.append((path, f"DRMS_ID {drms_id!r} is not series:recnum:segment"))
        self._parsed[key] = held
        return held

    def _fingerprint(self, f: HeldFile) -> tuple[int, str] | None:
        key = (f.path, f.size, f.mtime_ns)
        if key not in self._fingerprints:
            try:
                self._fingerprints[key] = f.fingerprint()
            except OSError:
                return None
        return self._fingerprints[key]

    def changed(self) -> bool:
        """Whether any folder's modification time differs from the last scan (a cheap check)."""
        for root in self.roots:
            for d, _dirs, _files in os.walk(root):
                try:
                    if self._dir_mtimes.get(d) != os.stat(d).st_mtime_ns:
                        return True
                except OSError:
                    return True
        return len(self._dir_mtimes) == 0

    def scan(self) -> Holdings:
        """(Re)read the folders; files unchanged since the last scan are not read again."""
        structs = _load_structs(self.metadata)
        files: dict[Path, HeldFile] = {}
        unplaced: list[HeldFile] = []
        dir_mtimes: dict[str, int] = {}
        self.skipped = []
        for root in self.roots:
            for d, _dirs, _names in os.walk(root):
                try:
                    dir_mtimes[d] = os.stat(d).st_mtime_ns
                except OSError:
                    pass
            for path, st in _walk(root):
                if not (path.suffix.lower() in (".fits", ".fts", ".fit") or re.fullmatch(r"[0-9a-f]{40}", path.name)):
                    continue
                held = self._parse(path, st)
                if held is None:
                    continue
                files[path] = held
                if held.kind == "as-is":
                    unplaced.append(held)
        series: dict[str, HeldSeries] = {}
        by_size: dict[int, list[HeldRecord]] = {}
        for f in files.values():
            if f.kind != "fits":
                continue
            s = series.get(f.series.lower())
            if s is None:
                s = series[f.series.lower()] = HeldSeries(f.series, f.primekeys, structs.get(f.series.lower()))
                if s.cached_struct is not None:
                    s.primekeys = list(s.cached_struct.get("primekeys") or f.primekeys)
            rec = s.records.get(f.recnum)
            if rec is None:
                pk_text = {}
                for k, card in f.key_cards.items():
                    value, _c, kind = card_value(card)
                    pk_text[k] = _record_name_value(value, kind)
                rec = s.records[f.recnum] = HeldRecord(s, f.recnum, pk_text)
            slot = rec.files.setdefault(f.segment, {})
            if "fits" not in slot or str(f.path) < str(slot["fits"].path):
                slot["fits"] = f
            by_size.setdefault(f.data_size, []).append(rec)
        # As-is files: the record whose FITS file has the same data unit.
        still = []
        for a in unplaced:
            target = None
            candidates = by_size.get(a.data_size, [])
            fp = self._fingerprint(a) if candidates else None
            for rec in candidates:
                for seg, slot in rec.files.items():
                    ff = slot.get("fits")
                    if ff is not None and ff.data_size == a.data_size and self._fingerprint(ff) == fp:
                        target = (rec, seg)
                        break
                if target:
                    break
            if target is None:
                still.append(a.path)
                continue
            rec, seg = target
            a.series, a.recnum, a.segment = rec.series.name, rec.recnum, seg
            slot = rec.files[seg]
            if "as-is" not in slot or str(a.path) < str(slot["as-is"].path):
                slot["as-is"] = a
        for s in series.values():
            s.records = dict(sorted(s.records.items()))
        with self.lock:
            self.series, self.files, self.unplaced = series, files, still
            self._dir_mtimes = dir_mtimes
            live = {(f.path, f.size, f.mtime_ns) for f in files.values()}
            self._parsed = {k: v for k, v in self._parsed.items() if k in live}
            self.scans += 1
        n = sum(len(s.records) for s in series.values())
        log.debug(f"held files: {len(files)} files, {n} records of {len(series)} series, "
                  f"{len(still)} as-is files matched no record")
        return self

    def get(self, name: str) -> HeldSeries | None:
        return self.series.get(name.strip().lower())

    def names(self) -> list[str]:
        return sorted(s.name for s in self.series.values())

    def served_path(self, path: Path) -> bool:
        """Whether ``path`` is one of the indexed files (so inside a root and not a link out of it)."""
        return Path(path) in self.files


_FITS_NAMES: dict[str, str] = {}


def _fits_name(drms_name: str) -> str:
    name = _FITS_NAMES.get(drms_name)
    if name is None:
        name = _FITS_NAMES[drms_name] = fits_keyword_name(drms_name)
    return name


def _record_name_value(value: object, kind: str | None) -> str:
    """A prime-key value as a record name prints it (times to the second unless finer)."""
    if value is None:
        return ""
    if kind == "string" and isinstance(value, str):
        m = _JSOC_TIME.match(value)
        iso = _ISO_TIME.match(value)
        if iso:
            # ISO keys (AIA's T_REC): JSOC names the record with seconds and a Z
            frac = iso.group(2) or ""
            base = value.rstrip("Z")
            if frac and not frac.strip(".0"):
                base = base[:-len(frac)]
            return base + "Z"
        if m and m.group(2) and not m.group(2).strip(".0"):
            return value.replace(m.group(2), "", 1) if value.count(m.group(2)) == 1 else value
        if m:
            try:
                t = jsoctime.parse_time(value)
            except jsoctime.JSOCTimeError:
                return value
            zone = m.group(3)
            precision = 0 if abs(t - round(t)) < 5e-4 else 3
            return jsoctime.format_time(t, zone, precision)
        return value
    if kind == "float":
        return repr(float(value))
    if kind == "logical":
        return "1" if value else "0"
    return str(value)
