"""
How long a look at a large search takes: summary and coverage plot of ~50,000 rows.

Usage::

    python benchmarks/bench_coverage.py [--hours 24] [--repeat 5] [--png out.png]

Searches the JSOC emulator (in this process) for a day of AIA at 12 s in the seven
EUV wavelengths with ``QUALITY`` (7 x 7200 = 50,400 rows), then times, each
``--repeat`` times (best and median printed):

- ``coverage``: the gap, cadence, quality and size bookkeeping;
- ``summary``: the same plus the text;
- ``plot``: ``plot_coverage`` on a new figure and drawing it (Agg), i.e. what a user
  waits for before seeing it.

It also checks that none of this made a request (the emulator's counts before and
after), which is the point: the look is free.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import matplotlib

matplotlib.use("agg")

import astropy.units as u  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from sunpy.net import attrs as a  # noqa: E402

import sunpy_jsocx  # noqa: E402
from sunpy_jsocx import JSOCXClient, coverage  # noqa: E402
from sunpy_jsocx.emulator import JSOCEmulator  # noqa: E402

EUV = (94, 131, 171, 193, 211, 304, 335)


def _timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--hours", type=float, default=24.0, help="hours of AIA to search (default 24)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each step (default 5)")
    parser.add_argument("--png", help="also save the plot here")
    args = parser.parse_args(argv)

    with JSOCEmulator() as emu, sunpy_jsocx.use_server(emu.url):
        wavelengths = a.Wavelength(EUV[0] * u.AA)
        for w in EUV[1:]:
            wavelengths |= a.Wavelength(w * u.AA)
        start = "2014-01-01T00:00:00"
        end = (a.Time(start, start).start + args.hours * u.h).isot
        t0 = time.perf_counter()
        res = JSOCXClient().search(a.Time(start, end), a.jsocx.Series("aia.lev1_euv_12s"), wavelengths,
                                   keys=["QUALITY"])
        print(f"search: {len(res)} rows in {time.perf_counter() - t0:.2f} s (not part of the look)")
        before = emu.stats()["requests_total"]

        best, median = _timed(lambda: coverage.coverage(res), args.repeat)
        print(f"coverage: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
        best, median = _timed(res.summary, args.repeat)
        print(f"summary:  best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")

        def plot():
            ax = res.plot_coverage()
            ax.figure.canvas.draw()
            plt.close(ax.figure)

        best, median = _timed(plot, args.repeat)
        print(f"plot (plot_coverage + draw): best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
        requests = emu.stats()["requests_total"] - before
        print(f"requests made by the look: {requests}")
        print()
        print(res.summary())
        if args.png:
            ax = res.plot_coverage()
            ax.figure.savefig(args.png, dpi=100)
            print(f"saved {args.png}")
        return 0 if requests == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
