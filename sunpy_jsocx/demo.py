"""
The main job: a demonstration against the embedded JSOC emulator.

Run ``python -m sunpy_jsocx.demo``. It starts the emulator on a loopback port,
then does what users do with JSOC today, unchanged, against it:

1. lists series and prime keys with ``drms``;
2. searches AIA 304 Å OR 171 Å through ``Fido`` with sunpy's built-in ``JSOCClient``;
3. fetches the results as FITS (a staged ``url`` export) and as the stored
   files (``url_quick``/``as-is``);
4. opens every file with ``sunpy.map.Map`` and prints what it shows;
5. prints the emulator's request statistics.

Nothing leaves the machine: every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

__all__ = ["main"]


def _section(title: str) -> None:
    print(f"\n== {title}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sunpy_jsocx.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="jsocx-demo-data", help="where to write the downloaded files")
    parser.add_argument("--image-size", type=int, default=256, help="pixel size of the emulated images")
    args = parser.parse_args(argv)

    import astropy.units as u
    import drms
    import sunpy.map
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    from sunpy_jsocx.emulator import JSOCEmulator, redirect_drms

    out = Path(args.path).resolve()
    out.mkdir(parents=True, exist_ok=True)
    email = "user@example.org"
    with JSOCEmulator(image_size=args.image_size) as emu, redirect_drms(emu.url):
        print(f"JSOC emulator serving at {emu.url} (registered address: {email})")

        _section("Discover: drms against the emulator")
        c = drms.Client()
        print("AIA series:", ", ".join(c.series(r"aia\.lev1")))
        print("prime keys of aia.lev1_euv_12s:", c.pkeys("aia.lev1_euv_12s"))
        print("segments of hmi.B_720s:", ", ".join(c.info("hmi.B_720s").segments.index[:6]), "...")

        _section("Search: Fido with sunpy's JSOCClient, 304 Å OR 171 Å")
        res = Fido.search(
            a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"),
            a.jsoc.Series("aia.lev1_euv_12s"),
            a.jsoc.Notify(email),
            a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA),
        )
        print(res)

        _section("Fetch as FITS (staged url export) and as stored files (url_quick/as-is)")
        fits_dir = out / "fits"
        asis_dir = out / "as-is"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            files = Fido.fetch(res, path=str(fits_dir / "{file}"), progress=False, sleep=0)
            res_asis = Fido.search(
                a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"),
                a.jsoc.Series("hmi.M_45s"),
                a.jsoc.Notify(email),
                a.jsoc.Protocol("as-is"),
            )
            files_asis = Fido.fetch(res_asis, path=str(asis_dir / "{file}"), progress=False, sleep=0)
        if files.errors or files_asis.errors:
            print("download errors:", files.errors, files_asis.errors)
            return 1

        _section("Open with sunpy.map.Map")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for f in sorted(files) + sorted(files_asis):
                m = sunpy.map.Map(f)
                wav = f"{m.wavelength:.0f}" if m.wavelength is not None else "-"
                print(f"{Path(f).relative_to(out)}: {m.instrument} {wav} {m.date.isot} "
                      f"{m.data.shape[0]}x{m.data.shape[1]} px, observer {m.observer_coordinate.lat:.3f}")

        _section("Emulator statistics")
        stats = emu.stats()
        for k, v in stats["requests"].items():
            print(f"  {k:32s} {v}")
        print(f"  exports created: {stats['exports_created']}, files served: {stats['files_served']}, "
              f"bytes served: {stats['bytes_served']}")
    print(f"\nDone: {len(files) + len(files_asis)} files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
