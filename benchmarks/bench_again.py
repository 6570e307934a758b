"""
Workload 7, "again": the seed fetch (workload 1), the five-row fetch (workload 3) and
the offline export (workload 5) a second time, into another folder, with the record
cache on.

    python benchmarks/bench_again.py [--latency 0.1] [--image-size 64] [--staging-delay 2.0]

Prints, for each workload and each of the two runs, the wall time, the requests the
emulator saw per operation, the files downloaded and the exports made. The target:
the second run makes zero downloads and zero exports, and at most the search requests.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--staging-delay", type=float, default=2.0, help="seconds each export stages (workload 5)")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as d:
        os.environ["JSOCX_RECORD_CACHE"] = str(Path(d) / "cache")
        os.environ["JSOCX_CACHE_TTL"] = "0"
        import astropy.units as u
        from sunpy import log
        from sunpy.net import Fido
        from sunpy.net import attrs as a

        import sunpy_jsocx
        from sunpy_jsocx.emulator import JSOCEmulator

        log.setLevel("ERROR")
        workloads = {
            "W1 seed (fetch all)": ([a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"),
                                     a.jsocx.Series("aia.lev1_euv_12s"),
                                     a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA)], lambda r: r),
            "W3 five rows of an hour": ([a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"),
                                         a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA),
                                         a.jsocx.Segment("image")], lambda r: r[0, :300:60]),
            "W5 offline data, exported": ([a.Time("2010-06-01T00:00:00", "2010-06-01T00:05:00"),
                                           a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify("user@example.org")],
                                          lambda r: r),
        }
        with JSOCEmulator(latency=args.latency, image_size=args.image_size,
                          staging_delay=args.staging_delay) as emu, sunpy_jsocx.use_server(emu.url):
            for name, (query, pick) in workloads.items():
                print(f"== {name}")
                for run in ("first", "again"):
                    emu.reset_stats()
                    t0 = time.perf_counter()
                    res = Fido.search(*query)
                    files = Fido.fetch(pick(res), path=str(Path(d) / f"{name[:2]}-{run}" / "{file}"),
                                       progress=False)
                    wall = time.perf_counter() - t0
                    s = emu.stats()
                    ops = ", ".join(f"{k.split(':')[1]} {v}" for k, v in s["requests"].items() if ":" in k)
                    print(f"  {run:5s}  wall {wall:5.2f} s | files {len(files)} ({len(files.errors)} errors) | "
                          f"downloads {s['requests'].get('download', 0)} | exports {s['exports_created']} | "
                          f"api: {ops or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
