"""
The record cache: a record's file is downloaded once per machine.

A record's file is kept under a key made of the server, the series, the record
number, the segment, the protocol (``as-is``, ``fits`` with the export's header, or
an image protocol such as ``jpg`` with its arguments) and the processing (a cutout's
``im_patch`` arguments, or none). Files downloaded straight from JSOC's storage and
files of ``url`` exports (offline data, cutouts, forced exports) go in alike, with
the name JSOC gave the file beside them. A later fetch of the same record into any
folder, from any process, copies it from the cache and sends no request for it:
neither a download nor, for offline records, an export. A record number names one
version of a record (reprocessing makes a new number), so a cached file never goes
stale.

Every file is verified (`sunpy_jsocx.integrity`: size, FITS structure and
checksums) before it goes in and again before it is served; one that fails is
dropped and downloaded again. Entries are written to a temporary name and renamed,
so concurrent processes never see a torn file, and two that store the same record
store the same bytes. Files are copied, not linked, both ways, so editing a
downloaded file cannot change the cache.

Configuration (environment):

* ``JSOCX_RECORD_CACHE``: ``0``/``off`` switches the cache off; a path moves it
  (default: ``<user cache dir>/sunpy-jsocx/records``, i.e. ``$XDG_CACHE_HOME`` or
  ``~/.cache``).
* ``JSOCX_RECORD_CACHE_GB``: size limit (default 20); the least recently used
  files are removed past it.

The files of an export fetched by its id alone (``get_request``, ``python -m
sunpy_jsocx get ID``), whose listing names records but not their record numbers, are
kept under the export's id and file name (`export_file_key`): fetching the same id again,
into any folder, asks JSOC for its listing only. A plain ``fits`` export's file is also
kept under its record's key, read from the ``DRMS_ID`` card JSOC writes into it
(`record_keys_of_fits`), so that a later search and fetch of the record finds it.

Not cached: ``url-tar`` exports (one tar of many records) and ``mp4`` movies (one
file of many records).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sunpy_jsocx.integrity import file_problem


def _temporary(path: Path) -> Path:
    # The downloader's naming, so that its clean-up of killed writers' files covers these too.
    from sunpy_jsocx.download import _temporary as temporary

    return temporary(path)

__all__ = ["RecordCache", "record_cache", "cache_key", "export_file_key", "record_keys_of_fits"]

DEFAULT_LIMIT_GB = 20.0


def cache_key(server: str, series: str, recnum: int, segment: str, protocol: str,
              processing: str | None = None) -> str:
    """
    The key of one record's file (a short hash).

    ``protocol`` is JSOC's protocol name (case folded) with its arguments (kept as
    given: ``jpg,CT=HMI_mag.lut`` and ``jpg,CT=grey`` are different files);
    ``processing`` is a canonical text of the processing steps (None for none).

    Examples
    --------
    >>> cache_key("http://jsoc.stanford.edu/", "hmi.M_45s", 42, "magnetogram", "fits")[:12]
    'abcdb4178406'
    >>> cache_key("http://jsoc.stanford.edu", "HMI.m_45s", 42, "Magnetogram", "FITS")[:12]  # same record
    'abcdb4178406'
    >>> cache_key("http://jsoc.stanford.edu", "hmi.M_45s", 42, "magnetogram", "fits", '{"im_patch": {}}')[:12]
    '872aed726b12'
    """
    name, sep, args = protocol.partition(",")
    parts = [server.rstrip("/").lower(), series.lower(), str(int(recnum)), segment.lower(),
             name.strip().lower() + sep + args]
    if processing:
        parts.append(processing)
    text = "|".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def export_file_key(server: str, requestid: str, made: str, folder: str, filename: str) -> str:
    """
    The key of one file of one export, for files fetched by the export's id alone, whose
    listing names records but not record numbers. An export's files never change, and
    JSOC never reuses a request id; an emulator restarted on the same port does (its ids
    start again at ``_001``), so ``made`` (the index's ``exptime``, to the second) and
    ``folder`` (its ``dir``) are part of the key too.

    Examples
    --------
    >>> export_file_key("http://jsoc.stanford.edu", "JSOC_20200410_003", "2020.04.10_00:14:11_UT",
    ...                 "/SUM66/D1278070722/S00000", "hmi.m_45s.20120101_010130_TAI.2.magnetogram.fits")[:12]
    '93a7151aae61'
    """
    text = "|".join(["export", server.rstrip("/").lower(), requestid, made, folder, filename])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def record_keys_of_fits(path: Path, server: str, protocol: str) -> list[str]:
    """
    The record keys of a FITS file that JSOC exported, read from its ``DRMS_ID`` cards
    (``series:recnum:segment``, which JSOC's export writes into every file, e.g.
    ``'hmi.sharp_720s:9170526:magnetogram'`` in sunpy's test data): a file fetched
    by its export's id then serves later fetches of its record too. Nothing for a file
    without them, or made by processing (a ``_mod`` series).
    """
    from astropy.io import fits

    keys = []
    try:
        with fits.open(path, memmap=False, lazy_load_hdus=True) as hdul:
            for hdu in hdul:
                drms_id = hdu.header.get("DRMS_ID")
                if not isinstance(drms_id, str):
                    continue
                series, _, rest = drms_id.partition(":")
                recnum, _, segment = rest.partition(":")
                if series and recnum.isdigit() and segment and not series.lower().endswith("_mod"):
                    keys.append(cache_key(server, series, int(recnum), segment, protocol))
    except (OSError, ValueError):
        return []
    return sorted(set(keys))


@dataclass
class RecordCache:
    """
    A folder of verified record files.

    Parameters
    ----------
    root
        The folder.
    limit_bytes
        Size limit; least recently used files go first.
    """

    root: Path
    limit_bytes: int = int(DEFAULT_LIMIT_GB * 1e9)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _name_path(self, key: str) -> Path:
        # Hidden, so that the listing, the size and the eviction see only the files.
        return self.root / key[:2] / f".{key}.name"

    def name(self, key: str) -> str | None:
        """The name JSOC gave the cached file of ``key`` (None if absent or not recorded)."""
        if not self._path(key).exists():
            return None
        try:
            name = self._name_path(key).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return name if name and "/" not in name and name not in (".", "..") else None

    def get(self, key: str, target: Path) -> bool:
        """Copy the cached file of ``key`` to ``target`` (atomically). False if absent or damaged."""
        path = self._path(key)
        if not path.exists():
            return False
        if file_problem(path) is not None:
            self._remove(path)
            return False
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temporary(target)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        try:
            os.utime(path)  # most recently used
        except OSError:
            pass
        return True

    def put(self, key: str, source: Path, *, verified: bool = False, name: str | None = None) -> None:
        """
        Keep a copy of a file that verifies (one that does not is not kept); ``verified``
        says the caller has just checked it (the downloader has), so it is not read twice.
        ``name`` is the file's name as JSOC gave it, for fetches that find the file here
        before JSOC has named it (an export not made).
        """
        source = Path(source)
        if not verified and file_problem(source) is not None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if name:
                # The name first: a file whose name is missing is only not found by exports.
                label = self._name_path(key)
                tmp = _temporary(label)
                tmp.write_text(name, encoding="utf-8")
                os.replace(tmp, label)
            tmp = _temporary(path)
            shutil.copyfile(source, tmp)
            os.replace(tmp, path)
        except OSError:  # a full or read-only cache is no reason to fail a download
            return
        self.evict()

    def _remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        (path.parent / f".{path.name}.name").unlink(missing_ok=True)

    def entries(self) -> list[Path]:
        return [p for p in self.root.glob("??/*") if p.is_file() and not p.name.startswith(".")]

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.entries())

    def evict(self) -> list[Path]:
        """Remove least recently used files until the cache is within its limit."""
        files = []
        for p in self.entries():
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in files)
        removed = []
        for _, size, p in sorted(files):
            if total <= self.limit_bytes:
                break
            self._remove(p)
            total -= size
            removed.append(p)
        return removed

    def verify(self) -> list[Path]:
        """Check every file; remove and return those that fail."""
        bad = [p for p in self.entries() if file_problem(p) is not None]
        for p in bad:
            self._remove(p)
        return bad

    def clear(self) -> int:
        """Remove every file; returns how many."""
        n = 0
        for p in self.entries():
            self._remove(p)
            n += 1
        for label in self.root.glob("??/.*.name"):  # names of files already gone
            label.unlink(missing_ok=True)
        return n


def record_cache() -> RecordCache | None:
    """The record cache as configured by the environment, or None when it is off."""
    setting = os.environ.get("JSOCX_RECORD_CACHE", "").strip()
    if setting.lower() in ("0", "off", "false", "no"):
        return None
    if setting and setting.lower() not in ("1", "on", "true", "yes"):
        root = Path(setting).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = Path(base) / "sunpy-jsocx" / "records"
    try:
        limit = float(os.environ.get("JSOCX_RECORD_CACHE_GB", DEFAULT_LIMIT_GB))
    except ValueError:
        limit = DEFAULT_LIMIT_GB
    return RecordCache(root, int(limit * 1e9))
