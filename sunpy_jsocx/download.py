"""
Downloading files from JSOC: one connection, one request per file, atomic writes.

parfive (which Fido uses) asks for every file twice (``HEAD`` then ``GET``) and
writes straight to the final name. Here each file costs one ``GET`` on a kept-
alive connection, is written to ``<name>.part`` and renamed only when complete,
so a failed download never leaves a file that looks complete. Transient
failures (dropped connections, truncated bodies, HTTP 5xx) are retried a few
times; what still fails is reported in the `parfive.Results` errors, which
``Fido.fetch(results)`` (parfive's ``retry``) can retry later.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import parfive

__all__ = ["DownloadItem", "download_files", "RETRIES", "RETRY_BACKOFF"]

#: Extra attempts for a file that failed transiently.
RETRIES = 2
#: Seconds to wait before retry n (times n).
RETRY_BACKOFF = 0.5
_CHUNK = 1 << 20


@dataclass
class DownloadItem:
    """
    One file to download.

    ``transform`` (bytes -> bytes) builds the final file from the downloaded
    bytes (used to write a FITS export from a stored file); ``retry_path`` is
    where a later parfive retry should put the raw download if this one fails.
    """

    url: str
    path: Path
    transform: Callable[[bytes], bytes] | None = None
    retry_path: Path | None = None


class _Transient(Exception):
    pass


def _unique(path: Path) -> Path:
    k = 1
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{k}{path.suffix}")
        k += 1
    return candidate


async def _fetch_one(session: aiohttp.ClientSession, item: DownloadItem, overwrite) -> str:
    path = Path(item.path)
    if path.exists():
        if overwrite is False:
            return str(path)
        if overwrite == "unique":
            path = _unique(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        async with session.get(item.url) as resp:
            if resp.status >= 500:
                raise _Transient(f"HTTP {resp.status} from {item.url}")
            if resp.status != 200:
                raise FileNotFoundError(f"HTTP {resp.status} from {item.url}")
            expected = resp.content_length
            if item.transform is None:
                size = 0
                with open(part, "wb") as fh:
                    async for chunk in resp.content.iter_chunked(_CHUNK):
                        fh.write(chunk)
                        size += len(chunk)
            else:
                body = await resp.read()
                size = len(body)
            if expected is not None and size != expected:
                raise _Transient(f"truncated download of {item.url}: {size} of {expected} bytes")
        if item.transform is not None:
            data = item.transform(body)
            with open(part, "wb") as fh:
                fh.write(data)
        os.replace(part, path)
        return str(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


async def _run(items: Sequence[DownloadItem], max_conn: int, progress: bool, overwrite) -> parfive.Results:
    from tqdm.auto import tqdm

    results = parfive.Results()
    connector = aiohttp.TCPConnector(limit=max_conn, limit_per_host=max_conn)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=300, sock_connect=60)
    sem = asyncio.Semaphore(max_conn)
    bar = tqdm(total=len(items), unit="file", desc="Files Downloaded", disable=not progress)

    async def one(session, item):
        async with sem:
            for attempt in range(RETRIES + 1):
                try:
                    path = await _fetch_one(session, item, overwrite)
                    results.append(path=path, url=item.url)
                    break
                except (TimeoutError, _Transient, aiohttp.ClientError, ConnectionError) as e:
                    if attempt == RETRIES:
                        results.add_error(str(item.retry_path or item.path), item.url, e)
                    else:
                        await asyncio.sleep(RETRY_BACKOFF * (attempt + 1))
                except Exception as e:  # noqa: BLE001 (HTTP 404, transform errors): reported, not retried
                    results.add_error(str(item.retry_path or item.path), item.url, e)
                    break
            bar.update(1)

    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await asyncio.gather(*(one(session, item) for item in items))
    finally:
        bar.close()
    return results


def download_files(items: Sequence[DownloadItem], *, max_conn: int = 1, progress: bool = True,
                   overwrite=False) -> parfive.Results:
    """
    Download files over at most ``max_conn`` connections; returns `parfive.Results`.

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
    coro = _run(items, max(1, int(max_conn)), progress, overwrite)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from a running loop (a notebook): run in a helper thread with its own loop.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
