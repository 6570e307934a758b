"""
Workload 6, bulk offline: thousands of records on tape, more than one export's worth.

    python benchmarks/bench_bulk.py [--records 2000] [--staging 3.0] [--exports 8]

The emulator's export size limit is set so that JSOC refuses the whole request
(status 3) and the client splits it into about ``--exports`` exports; each stages for
``--staging`` seconds, and the download bandwidth is set so that one export's files
take about as long to download as one export takes to stage. Printed: the wall time,
the exports, the files, and the bound max(total staging, total transfer) plus the
request floor. sunpy-jsocx submits the next export as soon as the last one is done, so
its files download while the next one stages.

Only sunpy-jsocx is measured here; sunpy's JSOCClient and a drms export loop
serialise staging and download by construction (they wait for each export, then
download it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=2000)
    p.add_argument("--staging", type=float, default=3.0)
    p.add_argument("--exports", type=int, default=8, help="about how many exports the size limit makes")
    p.add_argument("--image-size", type=int, default=16)
    args = p.parse_args()
    warnings.simplefilter("ignore")
    os.environ["JSOCX_CACHE_TTL"] = "0"
    os.environ["JSOCX_RECORD_CACHE"] = "0"
    from sunpy import log
    from sunpy.net import attrs as a

    import sunpy_jsocx
    from sunpy_jsocx.emulator import JSOCEmulator

    log.setLevel("ERROR")
    seconds = args.records * 45
    start = "2010-06-01T00:00:00"
    end = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.mktime(time.strptime(start, "%Y-%m-%dT%H:%M:%S"))
                                                           - time.timezone + seconds - 1))
    with tempfile.TemporaryDirectory() as d:
        with JSOCEmulator(image_size=args.image_size, staging_delay=0.0) as probe:
            c = sunpy_jsocx.JSOCXClient(probe.url)
            res = c.search(a.Time(start, end), a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify("user@example.org"))
            one = c.fetch(res[:20], path=d + "/probe/{file}", progress=False)
            per_file = sum(os.path.getsize(f) for f in one) / max(1, len(one))
            # JSOC's size estimate per record, from the emulator's own status-3 answer
            answer = sunpy_jsocx.transport.connection(probe.url).exp_request(
                f"hmi.M_45s[{start.replace('-', '.').replace('T', '_')}_TAI/{seconds}s]", "user@example.org",
                method="url", protocol="fits")
            size_mb = float(answer.get("size", 0)) or args.records * 32.0
        limit_mb = max(1, int(size_mb / args.exports))
        n = len(res)
        per_export = n / args.exports
        bandwidth = per_export * per_file / args.staging  # one export's files in about one staging time
        with JSOCEmulator(image_size=args.image_size, staging_delay=args.staging, size_limit_mb=limit_mb) as emu:
            # Unmeasured first run, as-is (so JSOC's duplicate rule does not hand the measured fits run the
            # same exports): the emulator renders its stored files, which JSOC's exist already.
            c = sunpy_jsocx.JSOCXClient(emu.url)
            warm = c.search(a.Time(start, end), a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify("user@example.org"),
                            a.jsocx.Protocol("as-is"))
            c.fetch(warm, path=d + "/warm/{file}", progress=False)
            emu.unstage()
            emu.config.bandwidth = bandwidth
            emu.reset_stats()
            res = c.search(a.Time(start, end), a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify("user@example.org"))
            t0 = time.perf_counter()
            files = c.fetch(res, path=d + "/bulk/{file}", progress=False)
            wall = time.perf_counter() - t0
            s = emu.stats()
        exports = s["exports_created"]
        total_bytes = sum(os.path.getsize(f) for f in files)
        staging_total = exports * args.staging
        transfer_total = total_bytes / bandwidth
        bound = max(staging_total, transfer_total)
        print(f"W6 bulk offline: {n} records, {len(files)} files ({len(files.errors)} errors), {exports} exports "
              f"(size limit {limit_mb} MB of {size_mb:.0f} MB), {args.staging:g} s staging each, "
              f"{bandwidth / 1e6:.2f} MB/s")
        print(f"  wall {wall:.2f} s; total staging {staging_total:.1f} s, total transfer {transfer_total:.1f} s; "
              f"bound max(...) {bound:.1f} s; wall / bound = {wall / bound:.2f}x; "
              f"serial (staging + transfer) would be {staging_total + transfer_total:.1f} s")
        print(f"  requests: {dict((k, v) for k, v in s['requests'].items() if ':' in k)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
