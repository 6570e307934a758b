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
import statistics
import sys
import threading
import time
import urllib.request
from urllib.parse import urlencode

DS = "aia.lev1_euv_12s[2014-01-01T00:00:00Z/1d][94,131,171,193,211,304,335]"


def _get(url: str, timeout: float = 600) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--image-size", type=int, default=4096)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-hostile", action="store_true", help="skip the hostile and heavy load part")
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

    if not args.no_hostile:
        _hostile()
    return 0


def _peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:  # Linux: the process's peak resident memory
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _hostile() -> None:
    import subprocess

    # The server runs in its own process, so that its memory is measured apart from the client's.
    server = subprocess.Popen([sys.executable, "-m", "sunpy_jsocx.emulator", "--image-size", "64"],
                              stdout=subprocess.PIPE, text=True)
    try:
        cgi = server.stdout.readline().strip() + "cgi-bin/ajax/"
        _hostile_runs(cgi)
        print(f"server peak memory: {_peak_mb(server.pid):.0f} MB")
        _hostile_filter(cgi)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            print("the server ignored SIGTERM for 15 s; killed")
            server.kill()
            server.wait()


def _hostile_runs(cgi: str) -> None:
    import json

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



def _hostile_filter(cgi: str) -> None:
    import json

    t0 = time.perf_counter()
    try:
        names = json.loads(_get(cgi + "showextseries?" + urlencode({"filter": "(.*)*!"}), timeout=20))["seriesList"]
        print(f"showextseries filter=(.*)*!: {len(names)} series in {time.perf_counter() - t0:.3f} s")
    except OSError as e:
        print(f"showextseries filter=(.*)*!: no answer after {time.perf_counter() - t0:.0f} s ({e})")


if __name__ == "__main__":
    sys.exit(main())
