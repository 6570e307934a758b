"""
How fast the JSOC emulator answers: it must never be the bottleneck.

Usage::

    python benchmarks/bench_emulator.py [--image-size 4096] [--repeat 3]

Prints the time to answer ``rs_list`` for one day of AIA 12 s in seven wavelengths
(50,400 records) with ``key=**ALL**`` (cold: first time those records are asked for;
warm: again), the size of the answer, and the download throughput of files on
loopback (cold: generated on first request; warm: served again).

Then the server under hostile and heavy load (issue 8): how long a catastrophic
series filter (``(.*)*!``) takes to answer, how fast another client is answered
while that ``rs_list`` runs, the refusal of two days of AIA (over DRMS's 75,000
record limit), and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import threading
import time
import urllib.request
from urllib.parse import urlencode

DS = "aia.lev1_euv_12s[2014-01-01T00:00:00Z/1d][94,131,171,193,211,304,335]"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as r:
        return r.read()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--image-size", type=int, default=4096)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    import json

    from sunpy_jsocx.emulator import JSOCEmulator

    with JSOCEmulator(image_size=args.image_size) as emu:
        url = emu.url + "cgi-bin/ajax/jsoc_info?" + urlencode({"op": "rs_list", "ds": DS, "key": "**ALL**"})
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            body = _get(url)
            times.append(time.perf_counter() - t0)
        d = json.loads(body)
        print(f"rs_list {DS} key=**ALL**: {d['count']} records x {len(d['keywords'])} keywords, "
              f"{len(body) / 1e6:.0f} MB of JSON; cold {times[0]:.2f} s, warm {min(times[1:] or times):.2f} s")

        seg = emu.url + "cgi-bin/ajax/jsoc_info?" + urlencode(
            {"op": "rs_list", "ds": "hmi.M_45s[2014.01.01_00:00:00_TAI/3m]", "seg": "magnetogram"})
        paths = json.loads(_get(seg))["segments"][0]["values"]
        files = [emu.url + p.lstrip("/") for p in paths]
        t0 = time.perf_counter()
        sizes = [len(_get(f)) for f in files]
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            for f in files:
                _get(f)
        warm = (time.perf_counter() - t0) / args.repeat
        total = sum(sizes)
        print(f"{len(files)} hmi.M_45s magnetograms of {args.image_size}x{args.image_size} px "
              f"({total / len(files) / 1e6:.1f} MB each): generated and served in {cold:.2f} s; served again at "
              f"{total / warm / 1e6:.0f} MB/s")

        _hostile(emu)
    print(f"peak memory of this process (client and server): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


def _hostile(emu) -> None:
    import json

    cgi = emu.url + "cgi-bin/ajax/"
    t0 = time.perf_counter()
    names = json.loads(_get(cgi + "showextseries?" + urlencode({"filter": "(.*)*!"})))["seriesList"]
    print(f"showextseries filter=(.*)*!: {len(names)} series in {time.perf_counter() - t0:.3f} s")

    heavy = cgi + "jsoc_info?" + urlencode({"op": "rs_list", "ds": DS, "key": "**ALL**"})
    small = cgi + "jsoc_info?" + urlencode({"op": "series_struct", "ds": "hmi.m_45s"})
    done = threading.Event()
    t = threading.Thread(target=lambda: (_get(heavy), done.set()))
    t0 = time.perf_counter()
    t.start()
    waits = []
    while not done.is_set():
        t1 = time.perf_counter()
        _get(small)
        waits.append(time.perf_counter() - t1)
    t.join()
    print(f"while rs_list key=**ALL** ran ({time.perf_counter() - t0:.1f} s): {len(waits)} series_struct answers, "
          f"median {statistics.median(waits) * 1000:.0f} ms, slowest {max(waits) * 1000:.0f} ms")

    two_days = "aia.lev1_euv_12s[2014-01-01T00:00:00Z/2d]"
    t0 = time.perf_counter()
    d = json.loads(_get(cgi + "jsoc_info?" + urlencode({"op": "rs_list", "ds": two_days, "key": "**ALL**"})))
    print(f"rs_list {two_days} key=**ALL** (100,800 records): status {d['status']} in "
          f"{time.perf_counter() - t0:.3f} s: {d.get('error', '')}")


if __name__ == "__main__":
    sys.exit(main())
