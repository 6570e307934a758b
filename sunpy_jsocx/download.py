"""
Downloading files from JSOC: one connection, one request per file, verified atomic writes.

parfive (which Fido uses) asks for every file twice (``HEAD`` then ``GET``) and
writes straight to the final name. Here each file costs one ``GET`` on a kept-
alive connection and is written to a temporary name of its own
(``.<name>.<random>.part`` beside the target, so two fetches into one folder never
write the same file). It is verified (its size against ``Content-Length``, and a
FITS file's structure and ``DATASUM``/``CHECKSUM`` cards, see
`sunpy_jsocx.integrity`), flushed to disk, and only then renamed over the final
name, so a failed download never leaves a file that looks complete and a rename
only ever puts a verified file in place. A file that is already there is verified
the same way before a fetch keeps it; one that fails is downloaded again.

Transient failures (dropped connections, truncated or corrupt bodies, HTTP 5xx)
are retried a few times on the same connection; what still fails is reported in
the `parfive.Results` errors. ``Fido.fetch(results)`` then retries them through
this module (see `sunpy_jsocx.fidoretry`), writing the files a first try would.
Downloads honour ``HTTP_PROXY``/``HTTPS_PROXY`` and send sunpy-jsocx's
``User-Agent``.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import parfive
from sunpy import log

from sunpy_jsocx.integrity import file_problem, fits_problem
from sunpy_jsocx.transport import USER_AGENT

__all__ = ["Batch", "DownloadItem", "DownloadSession", "download_files", "clean_stale_parts", "RETRIES",
           "RETRY_BACKOFF", "BIG_FILE"]

#: Extra attempts for a file that failed transiently.
RETRIES = 2
#: Seconds to wait before retry n (times n).
RETRY_BACKOFF = 0.5
#: Files at least this large get a progress bar of their own (bytes).
BIG_FILE = 8 << 20
_CHUNK = 1 << 20


async def pause(seconds: float) -> None:
    """The pause before a download is tried again (a test can put a fake one here)."""
    await asyncio.sleep(seconds)


@dataclass
class DownloadItem:
    """
    One file to download.

    ``transform`` (bytes -> bytes) builds the final file from the downloaded
    bytes (used to write a FITS export from a stored file).
    """

    url: str
    path: Path
    transform: Callable[[bytes], bytes] | None = None
    #: The record cache's key for this file (`sunpy_jsocx.recordcache`), if it is one record's file.
    cache_key: str | None = None
    #: The file's name as JSOC gives it, kept in the record cache beside the file.
    cache_name: str | None = None
    #: What the fetch's job manifest knows the file as (`sunpy_jsocx.manifest`), a (part, record numbers) pair.
    job: tuple | None = None
    #: More record cache keys for the file, found from the file once it is in place (path -> keys).
    cache_aliases: Callable[[Path], list[str]] | None = None


class _Transient(Exception):
    pass


#: A temporary file whose writer is gone is removed once it is this old (seconds).
STALE_PART_AGE = 600.0
_PART = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.part$")


def _temporary(path: Path) -> Path:
    """A temporary name beside ``path`` that no other writer uses."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale_parts(folder: Path, *, now: float | None = None) -> list[Path]:
    """
    Remove temporary files that killed downloads left in ``folder``.

    Only files named as this module names them, whose process no longer runs on this
    machine and that nobody has written to for ``STALE_PART_AGE`` seconds (a writer on
    another machine sharing the folder keeps its file fresh). Returns what was removed.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _PART.match(entry.name)
        if not m or _alive(int(m.group(1))):
            continue
        try:
            if now - entry.stat().st_mtime > STALE_PART_AGE:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _claim_unique(tmp: Path, path: Path) -> Path:
    """Put ``tmp`` at ``path``, or at ``name.1.ext``, ``name.2.ext``... whichever is free, atomically."""
    k = 0
    candidate = path
    while True:
        try:
            os.link(tmp, candidate)  # fails if the name is taken, even by a concurrent writer
        except FileExistsError:
            k += 1
            candidate = path.with_name(f"{path.stem}.{k}{path.suffix}")
            continue
        except OSError:  # no hard links here (some network file systems): best effort
            while candidate.exists():
                k += 1
                candidate = path.with_name(f"{path.stem}.{k}{path.suffix}")
            os.replace(tmp, candidate)
            return candidate
        tmp.unlink()
        return candidate


def _write(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


#: Files of at most this many bytes are received into memory and written to disk by
#: `_finish` in a worker thread: creating a file costs 0.1-0.5 ms here, which on the
#: connection's thread was a third of the idle time between two small files (W6). With
#: `FINISHING` files waiting at most, memory holds a few times this.
IN_MEMORY = 16 * 1024 * 1024


@dataclass
class _Received:
    """A response read to its end: streamed into ``tmp`` (``body`` None), or held in memory (``body``)."""

    tmp: Path
    expected: int | None
    body: bytes | None = None
    #: Bytes received.
    size: int = 0


def _env_proxy(url: str) -> tuple[object | None, object | None]:
    """
    The proxy (and its credentials) the environment gives for ``url``'s scheme and host, as
    aiohttp's ``trust_env`` finds it (``HTTP(S)_PROXY``, ``NO_PROXY``, ``.netrc``); (None, None)
    for none. A `DownloadSession` asks once per scheme and host, not once per file as ``trust_env`` does
    (which costs about 0.7 ms a request: a tenth of a small file's time in a bulk job).
    """
    from aiohttp.helpers import get_env_proxy_for_url
    from yarl import URL

    try:
        return get_env_proxy_for_url(URL(url))
    except LookupError:
        return None, None


async def _receive(session: aiohttp.ClientSession, item: DownloadItem, overwrite, progress: bool,
                   proxy: tuple = (None, None)) -> _Received | str:
    """
    Read one file off the connection: into memory when a transform writes the final file or
    the file is at most `IN_MEMORY` bytes, else into its temporary file. Returns the path
    instead when a file already there verifies (kept). What is received is not trusted yet:
    `_finish` verifies it (and writes a file held in memory).
    """
    path = Path(item.path)
    if path.exists() and overwrite is False:
        problem = await asyncio.to_thread(file_problem, path)
        if problem is None:
            return str(path)
        log.warning(f"{path} is there but {problem}; downloading it again.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    try:
        async with session.get(item.url, proxy=proxy[0], proxy_auth=proxy[1]) as resp:
            if resp.status >= 500:
                raise _Transient(f"HTTP {resp.status} from {item.url}")
            if resp.status != 200:
                raise FileNotFoundError(f"HTTP {resp.status} from {item.url}")
            expected = resp.content_length
            bar = None
            if progress and expected is not None and expected >= BIG_FILE:
                from tqdm.auto import tqdm

                bar = tqdm(total=expected, unit="B", unit_scale=True, desc=path.name, leave=False)
            body = None
            try:
                if item.transform is None and (expected is None or expected > IN_MEMORY or bar is not None):
                    size = 0
                    with open(tmp, "wb") as fh:
                        async for chunk in resp.content.iter_chunked(_CHUNK):
                            fh.write(chunk)
                            size += len(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                else:
                    parts = []
                    async for chunk in resp.content.iter_chunked(_CHUNK):
                        parts.append(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                    body = b"".join(parts)
                    size = len(body)
            finally:
                if bar is not None:
                    bar.close()
            if expected is not None and size != expected:
                raise _Transient(f"truncated download of {item.url}: {size} of {expected} bytes")
        return _Received(tmp, expected, body, size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _finish(item: DownloadItem, got: _Received, overwrite) -> str:
    """
    Verify what `_receive` read (size, FITS structure and checksums), write it to disk for
    good (fsync) and put it under its name; nothing is left under a final name if any of
    it fails. Runs in a worker thread, while the connection brings the next file.
    """
    path, tmp = Path(item.path), got.tmp
    try:
        if item.transform is None:
            if got.body is not None:  # held in memory: written here, off the connection's thread
                _write(tmp, got.body)
            else:
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
            problem = file_problem(tmp, expected_size=got.expected)
            if problem is not None:
                raise _Transient(f"the download of {item.url} {problem}")
        else:
            body = got.body
            if body[:9] == b"SIMPLE  =":
                problem = fits_problem(body)
                if problem is not None:
                    raise _Transient(f"the download of {item.url} is not a whole FITS file: {problem}")
            data = item.transform(body)
            problem = fits_problem(data) if data[:9] == b"SIMPLE  =" else None
            if problem is not None:  # our own writer went wrong: say so, keep nothing
                raise ValueError(f"the FITS file written for {item.url} did not verify: {problem}")
            _write(tmp, data)
        if overwrite == "unique" and path.exists():
            return str(_claim_unique(tmp, path))
        os.replace(tmp, path)
        return str(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: Files received but not yet verified and written, at most (bounds the memory they hold).
FINISHING = 2


def _failure(item: DownloadItem, error: BaseException) -> BaseException:
    """The error reported for an item, carrying the item so that a retry can redo it exactly."""
    try:
        error._jsocx_item = item
    except AttributeError:  # an exception type without a __dict__: wrap it
        wrapped = RuntimeError(str(error))
        wrapped._jsocx_item = item
        wrapped.__cause__ = error
        return wrapped
    return error


def _placed(item: DownloadItem, path: str, on_done, cache) -> None:
    """What follows a file's arrival in place (in a worker thread): the caller's ``on_done``, the cache."""
    if on_done is not None:
        _caller(on_done, item, path)
    if cache is not None and item.cache_key:
        _keep(cache, item, Path(path))


def _keep(cache, item: DownloadItem, path: Path) -> None:
    """Put a file just verified and placed into the record cache, under each of its keys."""
    keys = [item.cache_key]
    if item.cache_aliases is not None:
        keys += [k for k in item.cache_aliases(path) if k not in keys]
    for key in keys:
        cache.put(key, path, verified=True, name=item.cache_name)


class _Stop(Exception):
    """What the caller's code raised on the download thread, to be raised again in the caller's."""

    def __init__(self, error: BaseException):
        super().__init__(repr(error))
        self.error = error


def _caller(fn, *args, anything: bool = False) -> None:
    """
    Call the caller's code (a fetch's manifest, a progress function) on the download thread.
    An interruption (KeyboardInterrupt, SystemExit) it raises, or with ``anything`` any error,
    stops the batch and goes on in the caller's thread: raised here it would stop the event
    loop and leave the caller waiting.
    """
    try:
        fn(*args)
    except (KeyboardInterrupt, SystemExit) as e:
        raise _Stop(e) from None
    except Exception as e:
        if anything:
            raise _Stop(e) from None
        raise


class Batch:
    """Files on their way over a `DownloadSession` (see `DownloadSession.start`)."""

    def __init__(self, future, finished: threading.Event | None):
        self._future = future
        self._finished = finished

    def result(self) -> parfive.Results:
        """Wait for every file; the `parfive.Results`, in the items' order."""
        if self._future is None:
            return parfive.Results()
        try:
            return self._future.result()
        except _Stop as stop:
            raise stop.error from None
        except BaseException:
            self.cancel()
            raise

    def done(self) -> bool:
        """Whether every file is in (or the batch has ended otherwise); `result` then returns at once."""
        return self._future is None or self._future.done()

    def cancel(self) -> None:
        """
        Stop the downloads (Ctrl-C in the waiting thread, or the caller failed meanwhile) and
        let them clean up their temporary files before going on.
        """
        if self._future is not None and not self._future.done():
            self._future.cancel()
            self._finished.wait(timeout=30)


class DownloadSession:
    """
    The download connection of a whole job: every batch of files goes over it.

    A fetch downloads in batches (the files that need no export, then each export's files as
    it is ready); one session for all of them keeps one connection (``max_conn`` at most)
    from the first file to the last, instead of a new one per export. Its event loop runs in
    a thread of its own, so the session works the same from a script and from a notebook's
    running loop. Use it as a context manager; `download` may be called any number of times.

    Parameters
    ----------
    max_conn
        Connections at once (JSOC asks for one).
    progress
        Without a ``tracker``: a progress bar per batch of files (and one per file of
        `BIG_FILE` bytes or more).
    overwrite
        As for parfive: False keeps a file already there (once it verifies), True
        replaces it, ``"unique"`` writes beside it under a new name.
    sleep
        Coroutine function used for the pause before a retry (inject one in tests).
    tracker
        A `sunpy_jsocx.progress.FetchTracker` counting files and bytes over the whole job;
        the per-batch bar is then left out.
    """

    def __init__(self, *, max_conn: int = 1, progress: bool = True, overwrite=False, sleep=None,
                 tracker=None):
        self.max_conn = max(1, int(max_conn))
        self.progress = bool(progress)
        self.overwrite = overwrite
        self.sleep = sleep or pause
        self.tracker = tracker
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], tuple] = {}

    def __enter__(self) -> DownloadSession:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=serve, name="jsocx-downloads", daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and stop the session's thread."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            if self._session is not None:
                asyncio.run_coroutine_threadsafe(self._session.close(), loop).result(timeout=30)
        except Exception as e:  # noqa: BLE001 (closing is best effort: the files are in place already)
            log.debug(f"closing the download connection failed: {e}")
        finally:
            self._session = None
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=30)
            if not self._thread.is_alive():
                loop.close()

    def download(self, items: Sequence[DownloadItem], on_done=None) -> parfive.Results:
        """
        Download ``items`` over the session's connection; returns `parfive.Results`, in the
        items' order. ``on_done(item, path)`` is called as soon as each file is in place (a
        fetch's job manifest records it), in a worker thread: calls for two files may overlap.
        """
        return self.start(items, on_done).result()

    def start(self, items: Sequence[DownloadItem], on_done=None) -> Batch:
        """
        Begin downloading ``items`` (as `download` does) and return at once: the caller can
        do other work (ask JSOC for the next export) while the files arrive. Call the
        returned `Batch`'s ``result()`` for the `parfive.Results`.
        """
        if self._loop is None:
            raise RuntimeError("a DownloadSession downloads only inside its with block")
        if not items:
            return Batch(None, None)
        finished = threading.Event()

        async def guarded():
            try:
                return await self._batch(items, on_done)
            finally:
                finished.set()

        return Batch(asyncio.run_coroutine_threadsafe(guarded(), self._loop), finished)

    def _proxy_for(self, url: str) -> tuple:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            self._proxies[key] = _env_proxy(url)
        return self._proxies[key]

    async def _connection(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self.max_conn, limit_per_host=self.max_conn)
            timeout = aiohttp.ClientTimeout(total=None, sock_read=300, sock_connect=60)
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False,
                                                  headers={"User-Agent": USER_AGENT})
        return self._session

    async def _batch(self, items: Sequence[DownloadItem], on_done=None) -> parfive.Results:
        from tqdm.auto import tqdm

        from sunpy_jsocx.recordcache import record_cache

        session = await self._connection()
        overwrite, sleep, tracker = self.overwrite, self.sleep, self.tracker
        cache = record_cache()
        results = parfive.Results()
        for folder in {Path(item.path).parent for item in items}:
            clean_stale_parts(folder)
        sem = asyncio.Semaphore(self.max_conn)
        bar = tqdm(total=len(items), unit="file", desc="Files Downloaded",
                   disable=not self.progress or tracker is not None)
        big_bars = self.progress
        finishing = asyncio.Semaphore(FINISHING)
        placed: dict[int, str] = {}  # item index -> path, reported in the items' order

        async def attempt(item) -> tuple[str, int]:
            # The connection is held while a response is read, and no longer: the file is
            # verified and written in a worker thread while the next one arrives (at most
            # FINISHING of them at once, so that received files do not pile up in memory).
            async with sem:
                got = await _receive(session, item, overwrite, big_bars, self._proxy_for(item.url))
                if isinstance(got, str):
                    return got, 0
                await finishing.acquire()
            try:
                return await asyncio.to_thread(_finish, item, got, overwrite), got.size
            finally:
                finishing.release()

        async def one(index, item):
            nbytes = None  # set once the file is in place
            for n in range(RETRIES + 1):
                try:
                    path, got = await attempt(item)
                    placed[index] = path
                    if on_done is not None or (cache is not None and item.cache_key):
                        # Off the event loop, so that the connection goes on bringing files while a
                        # job manifest is written (a few ms, with fsync) or the cache copies the file.
                        await asyncio.to_thread(_placed, item, path, on_done, cache)
                    nbytes = got
                    break
                except _Stop:
                    raise
                except (TimeoutError, _Transient, aiohttp.ClientError, ConnectionError) as e:
                    if n == RETRIES:
                        results.add_error(str(item.path), item.url, _failure(item, e))
                        if tracker is not None:
                            tracker.fail()
                    else:
                        log.debug(f"download of {item.url} failed ({e}); trying again")
                        # The pause holds the connection's turn, so nothing else is asked of the server
                        # meanwhile; the retry then queues behind the files already waiting.
                        async with sem:
                            await sleep(RETRY_BACKOFF * (n + 1))
                except Exception as e:  # noqa: BLE001 (HTTP 404, transform errors): reported, not retried
                    results.add_error(str(item.path), item.url, _failure(item, e))
                    if tracker is not None:
                        tracker.fail()
                    break
            bar.update(1)
            if tracker is not None and nbytes is not None:
                _caller(tracker.done, nbytes, anything=True)

        tasks = [asyncio.ensure_future(one(i, item)) for i, item in enumerate(items)]
        try:
            await asyncio.gather(*tasks)
        except _Stop:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            bar.close()
            for i in sorted(placed):
                results.append(path=placed[i], url=items[i].url)
        return results


def download_files(items: Sequence[DownloadItem], *, max_conn: int = 1, progress: bool = True,
                   overwrite=False, sleep=None, on_done=None) -> parfive.Results:
    """
    Download files over at most ``max_conn`` connections; returns `parfive.Results`.

    One `DownloadSession` for these files alone; a fetch keeps one session for all its
    batches.

    Parameters
    ----------
    items
        What to download, and where.
    max_conn, progress, overwrite, sleep
        As for `DownloadSession`.
    on_done
        As for `DownloadSession.download`.

    Examples
    --------
    >>> from pathlib import Path
    >>> import tempfile
    >>> from sunpy_jsocx.download import DownloadItem, download_files
    >>> from sunpy_jsocx.emulator import JSOCEmulator
    >>> with JSOCEmulator() as emu, tempfile.TemporaryDirectory() as d:
    ...     r = download_files([DownloadItem(emu.url + "nothing/here", Path(d) / "x.fits")], progress=False)
    ...     len(r), len(r.errors), list(Path(d).iterdir())
    (0, 1, [])
    """
    if not items:
        return parfive.Results()
    with DownloadSession(max_conn=max_conn, progress=progress, overwrite=overwrite, sleep=sleep) as session:
        return session.download(items, on_done)
