#!/usr/bin/env python
"""
Make the coverage figure and summary of the "Look before you download" guide page.

Usage::

    python tools/coverage_figure.py [--out docs/_static/coverage.png]

Searches the JSOC emulator (in this process, nothing leaves the machine) for a day of
AIA in the seven EUV wavelengths, the ``image`` segment and ``QUALITY``, exactly as
``docs/guide/look.rst`` shows, prints ``res.summary()`` (the text on that page) and
saves ``res.plot_coverage()`` as the page's figure. The emulator's records are the same
for the same seed, so the figure and the text change only when the code does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("agg")

import astropy.units as u  # noqa: E402
from sunpy.net import attrs as a  # noqa: E402

import sunpy_jsocx  # noqa: E402
from sunpy_jsocx import JSOCXClient  # noqa: E402
from sunpy_jsocx.emulator import JSOCEmulator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", default=str(ROOT / "docs" / "_static" / "coverage.png"),
                        help="where to save the figure (default docs/_static/coverage.png)")
    args = parser.parse_args(argv)
    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        # --- as on docs/guide/look.rst
        client = JSOCXClient()
        wavelengths = a.Wavelength(94 * u.AA)
        for w in (131, 171, 193, 211, 304, 335):
            wavelengths |= a.Wavelength(w * u.AA)
        res = client.search(a.Time("2014-01-18T00:00:00", "2014-01-19T00:00:00"),
                            a.jsocx.Series("aia.lev1_euv_12s"), a.jsocx.Segment("image"), wavelengths,
                            keys=["QUALITY"])
        client.info("aia.lev1")  # the series the image segment links to: its size
        before = emu.stats()["requests_total"]
        print(res.summary())
        ax = res.plot_coverage()
        # --- end
        assert emu.stats()["requests_total"] == before, "looking made a request"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(out, dpi=90)
    print(f"saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
