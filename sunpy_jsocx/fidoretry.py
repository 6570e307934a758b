"""
``Fido.fetch(results)`` retries a sunpy-jsocx fetch's failures through sunpy-jsocx.

Fido retries failed downloads by handing the `parfive.Results` to
``parfive.Downloader.retry``, which downloads each error's URL again, raw, to its
path, on a new downloader with up to five connections. For our errors that is
wrong three ways: an export-free FITS file would come back without the header
JSOC's export writes (the raw stored file), an export that failed or timed out
has no file URL at all, and JSOC asks for one connection.

So `install` wraps ``parfive.Downloader.retry`` once, at import: when a results
object holds errors that a sunpy-jsocx fetch reported (``sunpy_jsocx.fetch.is_ours``),
those are redone by `sunpy_jsocx.fetch.retry` (same files, same headers, one
connection, exports requested again or picked up by id) and only the others go to
parfive's own retry. Results without our errors see parfive's method unchanged.
This relies on Fido calling ``downloader.retry(results)`` (sunpy 7 and 8 do), which
is not a public interface; if that changes, ``sunpy_jsocx.fetch.retry(results)``
still works when called directly.
"""

from __future__ import annotations

import functools

import parfive

from sunpy_jsocx.fetch import is_ours, retry

__all__ = ["install"]


def install() -> None:
    """Wrap ``parfive.Downloader.retry`` (once) so that our errors are redone by us."""
    original = parfive.Downloader.retry
    if getattr(original, "_jsocx", False):
        return

    @functools.wraps(original)
    def retry_with_jsocx(self, results):
        ours = [e for e in results.errors if is_ours(e)]
        if not ours:
            return original(self, results)
        others = [e for e in results.errors if not is_ours(e)]
        mine = parfive.Results(errors=ours)
        again = retry(mine, progress=bool(getattr(self.config, "progress", True)),
                      overwrite=getattr(self.config, "overwrite", False))
        remaining = list(again.errors)
        if others:
            theirs = original(self, parfive.Results(errors=others))
            again.data += theirs.data
            again._urls += theirs.urls
            remaining += theirs.errors
        results += again.data
        results._urls += again.urls
        results._errors = remaining
        return results

    retry_with_jsocx._jsocx = True
    parfive.Downloader.retry = retry_with_jsocx
