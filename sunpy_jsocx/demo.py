"""
The main job: the user stories, run against the embedded JSOC emulator (exports take 2 s to stage).

Run ``python -m sunpy_jsocx.demo``. It starts the emulator on a loopback port
(nothing leaves the machine) and walks through what users do:

1. discover series, prime keys and segments;
2. search through ``Fido`` (304 Å OR 171 Å, HMI vector segments, a HARP);
3. slice the results and fetch exactly the kept rows;
4. stage an export, then pick it up again by its id;
5. choose the delivery (stored files, one tar);
6. open every FITS file with ``sunpy.map.Map``;

and prints the emulator's request statistics, which show what each step cost
JSOC. For comparison it also runs the seed search and fetch with sunpy's own
``JSOCClient`` against the same emulator.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

__all__ = ["main", "compare_with_sunpy"]

EMAIL = "user@example.org"

#: Seconds between export status polls asked of sunpy's JSOCClient (its ``sleep``).
#: sunpy 7 waits ``sleep / 2`` once and then polls as drms does (every 5 s); sunpy 8 also
#: polls every ``sleep`` seconds, so 0 would poll without pause. The emulator stages in 2 s.
SUNPY_POLL_SECONDS = 2.0


@contextlib.contextmanager
def _log_once() -> Iterator[None]:
    """
    Print each sunpy log line once while the block runs.

    drms calls ``logging.basicConfig()`` when imported, which gives the root logger a
    handler; sunpy's logger prints with its own handler and also passes every record up
    to the root, so each line appeared twice. Within the block sunpy's records stop at
    sunpy's handler (drms's own lines still reach the root handler, once).
    """
    from sunpy import log

    previous = log.propagate
    if logging.getLogger().handlers and log.handlers:
        log.propagate = False
    try:
        yield
    finally:
        log.propagate = previous


@contextlib.contextmanager
def _quiet_noise() -> Iterator[None]:
    """
    Silence only the noise the demo makes, not the warnings it means to show.

    parfive leaves an asyncio event loop open per download batch (ResourceWarning, shown
    with ``-W default`` or ``-X dev``). Everything else, such as sunpy's own "sliced
    results download everything" warning in the comparison, is shown.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"unclosed event loop", category=ResourceWarning)
        warnings.filterwarnings("ignore", message=r"Closing the loop", category=ResourceWarning)
        yield


def _section(title: str) -> None:
    print(f"\n== {title}")


def _cost(emu, before: dict) -> str:
    now = emu.stats()
    reqs = {k: v - before["requests"].get(k, 0) for k, v in now["requests"].items() if ":" in k or k == "download"}
    reqs = {k: v for k, v in reqs.items() if v}
    exports = now["exports_created"] - before["exports_created"]
    return f"requests {reqs}, exports created {exports}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sunpy_jsocx.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="jsocx-demo-data", help="where to write the downloaded files")
    parser.add_argument("--image-size", type=int, default=256, help="pixel size of the emulated images")
    args = parser.parse_args(argv)
    # The emulator's port changes every run, so its records would never be found again in
    # the user's record cache: keep the demo's cache with the demo's files.
    os.environ.setdefault("JSOCX_RECORD_CACHE", os.path.join(args.path, ".record-cache"))

    import astropy.units as u
    import sunpy.map
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    import sunpy_jsocx
    from sunpy_jsocx import JSOCXClient
    from sunpy_jsocx.emulator import JSOCEmulator

    out = Path(args.path).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with (_quiet_noise(), _log_once(),
          JSOCEmulator(image_size=args.image_size, staging_delay=2.0) as emu, sunpy_jsocx.use_server(emu.url)):
        print(f"JSOC emulator serving at {emu.url} (registered address: {EMAIL})")
        client = JSOCXClient()

        _section("1. Discover")
        print("AIA level-1 series:", ", ".join(client.series(r"aia\.lev1")))
        print("prime keys of aia.lev1_euv_12s:", client.primekeys("aia.lev1_euv_12s"))
        print("segments of hmi.B_720s:", ", ".join(client.segments("hmi.b_720s")["name"][:8]), "...")

        _section("2. Search through Fido: 304 Å OR 171 Å")
        before = emu.stats()
        res = Fido.search(
            a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"),
            a.jsocx.Series("aia.lev1_euv_12s"),
            a.jsocx.Notify(EMAIL),
            a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA),
        )
        print(res)
        print("cost:", _cost(emu, before))
        vector = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"), a.jsocx.Series("hmi.B_720s"),
                             a.jsocx.Segment("inclination") & a.jsocx.Segment("azimuth"),
                             a.jsocx.Sample(30 * u.min))
        print(f"hmi.B_720s, 1 h every 30 min, two segments: {len(vector[0])} records")
        harp = client.search(a.Time("2014-11-30T00:00:00", "2014-11-30T00:30:00"), a.jsocx.Series("hmi.sharp_720s"),
                             a.jsocx.PrimeKey("HARPNUM", 4864), a.jsocx.Keyword("QUALITY") == 0)
        print(f"HARP 4864 with QUALITY == 0: {len(harp)} records")

        _section("3. Slice, then fetch exactly the kept rows: res[1, ::2]")
        before = emu.stats()
        files = Fido.fetch(res[1, ::2], path=str(out / "slice" / "{file}"), progress=False)
        print(f"{len(files)} files (2 records x image, spikes); cost:", _cost(emu, before))

        _section("4. Stage at JSOC, download later by id")
        hmi = client.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:30"), a.jsocx.Series("hmi.M_45s"),
                            a.jsocx.Notify(EMAIL))
        req = client.request_data(hmi)[0]
        print(f"staged {req.id}, status {req.status}")
        got = JSOCXClient().get_request(req.id, path=str(out / "staged"), progress=False)
        print(f"picked up {req.id}: {len(got)} files")

        _section("5. Delivery: stored files straight from storage, and one tar")
        before = emu.stats()
        asis = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:01:30"), a.jsocx.Series("hmi.M_45s"),
                           a.jsocx.Protocol("as-is"))
        stored = Fido.fetch(asis, path=str(out / "as-is" / "{file}"), progress=False)
        print(f"as-is: {len(stored)} files; cost:", _cost(emu, before))
        tar = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsocx.Series("aia.lev1_euv_12s"),
                          a.jsocx.PrimeKey("WAVELNTH", 193), a.jsocx.Notify(EMAIL), a.jsocx.Method("url-tar"))
        tars = Fido.fetch(tar, path=str(out / "tar" / "{file}"), progress=False)
        print(f"url-tar: {[Path(f).name for f in tars]}")

        _section("6. Open with sunpy.map.Map")
        for f in sorted(list(files) + list(got)):
            if f.endswith("spikes.fits"):
                continue
            m = sunpy.map.Map(f)
            wav = f"{m.wavelength:.0f}" if m.wavelength is not None else "-"
            print(f"{Path(f).relative_to(out)}: {m.instrument} {wav} {m.date.isot} "
                  f"{m.data.shape[0]}x{m.data.shape[1]} px, observer B0 {m.observer_coordinate.lat:.3f}")

        _section("For comparison: sunpy's own JSOCClient, same search and fetch, same emulator")
        sfiles, cost = compare_with_sunpy(emu, out)
        print(f"sunpy's JSOCClient fetched {len(sfiles)} files for res[1, ::2] (the whole block); cost:", cost)

        stats = emu.stats()
        _section("Emulator statistics for the whole demo")
        for k, v in stats["requests"].items():
            print(f"  {k:32s} {v}")
        print(f"  exports created: {stats['exports_created']}, files served: {stats['files_served']}")
    print(f"\nDone: FITS files in {out}")
    return 0


def compare_with_sunpy(emu, out: Path, *, sleep: float = SUNPY_POLL_SECONDS):
    """
    The seed search and the ``res[1, ::2]`` fetch with sunpy's own JSOCClient, on ``emu``.

    sunpy warns (and the demo shows) that it downloads the whole block of a sliced result.

    Parameters
    ----------
    emu : `~sunpy_jsocx.emulator.JSOCEmulator`
        The running emulator.
    out : `pathlib.Path`
        Directory for the files (``out / "sunpy"``).
    sleep : float, optional
        sunpy's ``sleep`` (see `SUNPY_POLL_SECONDS`).

    Returns
    -------
    files : `parfive.Results`
        What sunpy downloaded.
    cost : str
        The requests it cost the emulator.
    """
    import astropy.units as u
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    from sunpy_jsocx.emulator import redirect_drms

    before = emu.stats()
    with redirect_drms(emu.url):
        sres = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), a.jsoc.Series("aia.lev1_euv_12s"),
                           a.jsoc.Notify(EMAIL), a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
        files = Fido.fetch(sres[1, ::2], path=str(out / "sunpy" / "{file}"), progress=False, sleep=sleep)
    return files, _cost(emu, before)


if __name__ == "__main__":
    sys.exit(main())
