"""
sunpy's JSOCClient against sunpy-jsocx, side by side, on the same JSOC emulator.

Usage::

    python benchmarks/bench_clients.py [--latency 0.1] [--staging-delay 2.0] [--image-size 64]
                                       [--workloads 1,2,3,4,5] [--json results.json]

The emulator runs in this process with the given added latency per request and
staging delay per export. Every (workload, client) pair runs in a fresh child
process (so memory is its own); the emulator's statistics are reset before each
run and read after it. Before the measured runs, every workload is run once
unmeasured so the emulator has generated its files (JSOC's exist already).

Printed per workload and client: wall time, HTTP requests per endpoint and
operation, exports created, files and bytes downloaded, download connections and
the growth of peak memory (RSS) during the workload (on Linux the peak is reset
when the workload starts, so memory used by imports does not hide it); then the
ratios sunpy/ours and ours against the floor: the fewest requests the protocol
allows times the latency, plus the staging delay where staging is unavoidable,
plus the transfer time at the measured loopback throughput. sunpy against the
floor is the most any client could gain over sunpy. For workloads 1-3 a measured floor
is printed too: the same files fetched by a bare loop (one ``rs_list``, then one ``GET`` per
file over one kept-alive connection, nothing verified or rewritten), which meets the
emulator's own costs per request that the computed floor leaves out. Workload 2 also runs as one
``url-tar`` export (``a.jsocx.Method("url-tar")``), the fewest requests at the
cost of an export.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EMAIL = "user@example.org"
HERE = Path(__file__).resolve()

WORKLOADS = {
    1: "seed: AIA 12 s, 30 s, 304 OR 171 A; fetch all",
    2: "hmi.B_720s, 1 h, Sample(10 min), four segments; fetch all",
    3: "AIA 171 one hour (image segment), fetch five rows chosen by slicing",
    4: "one day of AIA 12 s in seven wavelengths (50,400 rows); search only",
    5: "offline data (hmi.M_45s, 2010), staged; fetch all",
}
AIA7 = (94, 131, 171, 193, 211, 304, 335)


# ----------------------------------------------------------------------------- child side
def _query(which: int, ns):
    """The attrs of a workload for the client namespace ns ('jsoc' or 'jsocx')."""
    import astropy.units as u
    from sunpy.net import attrs as a

    x = getattr(a, ns)
    if which == 1:
        return [a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"), x.Series("aia.lev1_euv_12s"),
                x.Notify(EMAIL), a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA)]
    if which == 2:
        segs = x.Segment("inclination") & x.Segment("azimuth") & x.Segment("field") & x.Segment("disambig")
        return [a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"), x.Series("hmi.B_720s"), x.Notify(EMAIL),
                segs, a.Sample(10 * u.min)]
    if which == 3:
        return [a.Time("2014-01-01T00:00:00", "2014-01-01T01:00:00"), x.Series("aia.lev1_euv_12s"),
                x.Notify(EMAIL), a.Wavelength(171 * u.AA), x.Segment("image")]
    if which == 4:
        wav = a.Wavelength(AIA7[0] * u.AA)
        for w in AIA7[1:]:
            wav = wav | a.Wavelength(w * u.AA)
        return [a.Time("2014-01-01T00:00:00", "2014-01-01T23:59:59"), x.Series("aia.lev1_euv_12s"), wav]
    if which == 5:
        return [a.Time("2010-06-01T00:00:00", "2010-06-01T00:05:00"), x.Series("hmi.M_45s"), x.Notify(EMAIL)]
    raise ValueError(which)


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _start_peak_rss() -> int:
    """Reset the peak-RSS mark where the OS allows it (Linux); the RSS now, in KiB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident set size
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss() -> int:
    """Peak RSS since `_start_peak_rss`, in KiB (since the process started where it cannot be reset)."""
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(which: int, client: str, url: str, outdir: str) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    from sunpy.net import Fido

    import sunpy_jsocx
    from sunpy_jsocx.emulator import redirect_drms

    base_rss = _start_peak_rss()
    path = os.path.join(outdir, "{file}")
    fetch_kw = {"progress": False}
    if client == "sunpy":
        ctx = redirect_drms(url)
        query = _query(which, "jsoc")
    elif client == "jsocx":
        ctx = sunpy_jsocx.use_server(url)
        query = _query(which, "jsocx")
    elif client == "jsocxtar":  # workload 2 as one url-tar export: fewest requests, but an export
        from sunpy.net import attrs as a

        ctx = sunpy_jsocx.use_server(url)
        query = [*_query(which, "jsocx"), a.jsocx.Method("url-tar")]
    elif client == "jsocx1":  # workload 4 with the seven wavelengths in one attr: one record set
        from sunpy.net import attrs as a

        ctx = sunpy_jsocx.use_server(url)
        query = [*_query(which, "jsocx")[:2], a.jsocx.PrimeKey("WAVELNTH", list(AIA7))]
    elif client == "bare":  # workloads 1-3 by the fewest requests, with no client around them
        import contextlib

        ctx = contextlib.nullcontext()
        query = None
    else:  # the floor of workload 4: one bare drms query of the same record set
        ctx = redirect_drms(url)
        query = None
    t0 = time.perf_counter()
    files = []
    rows = 0
    with ctx:
        if client == "bare":
            files = _bare(which, url, outdir)
            rows = len(files)
        elif client == "drms":
            import drms

            ds = "aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T23:59:59Z][" + ",".join(map(str, AIA7)) + "]"
            keys = drms.Client().query(ds, key="T_REC,TELESCOP,INSTRUME,WAVELNTH,CAR_ROT")
            rows = len(keys)
        else:
            res = Fido.search(*query)
            rows = sum(len(b) for b in res)
            if which in (1, 2, 5):
                files = Fido.fetch(res, path=path, **fetch_kw)
            elif which == 3:
                files = Fido.fetch(res[0, :300:60], path=path, **fetch_kw)  # five rows
    wall = time.perf_counter() - t0
    peak = _peak_rss()
    errors = len(getattr(files, "errors", []) or [])
    return {"wall": wall, "rows": rows, "files": len(files), "errors": errors,
            "bytes": sum(os.path.getsize(f) for f in files if os.path.exists(f)),
            "peak_rss_growth_mb": (peak - base_rss) / 1024.0, "peak_rss_mb": peak / 1024.0}


#: Workloads 1-3 as record sets: the same records the Fido searches select (UTC times, which the
#: emulator's grammar takes as JSOC does), and which rows of the result are fetched.
BARE = {
    1: ("aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T00:00:30Z][171,304]{image,spikes}", slice(None)),
    2: ("hmi.B_720s[2014-01-01T00:00:00Z-2014-01-01T01:00:00Z@10m]{inclination,azimuth,field,disambig}",
        slice(None)),
    3: ("aia.lev1_euv_12s[2014-01-01T00:00:00Z-2014-01-01T01:00:00Z][171]{image}", slice(None, 300, 60)),
}


def _bare(which: int, url: str, outdir: str) -> list[str]:
    """
    The measured floor: one ``rs_list`` and one ``GET`` per stored file, over one kept-alive
    connection, each file written as it arrives (no FITS header, no verification, no fsync).

    It meets the same server costs as the clients (the emulator's work per request), which the
    computed floor leaves out.
    """
    import http.client
    from urllib.parse import urlencode, urlsplit

    ds, rows = BARE[which]
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    segs = ds[ds.index("{") + 1:-1]
    conn.request("GET", "/cgi-bin/ajax/jsoc_info?" + urlencode(
        {"op": "rs_list", "ds": ds.split("{")[0], "key": "**ALL**", "seg": segs}))
    answer = json.loads(conn.getresponse().read())
    paths = [list(zip(*(s["values"] for s in answer["segments"])))[i] for i in
             range(len(answer["segments"][0]["values"]))][rows]
    files = []
    for k, record in enumerate(paths):
        for j, path in enumerate(record):
            conn.request("GET", path)
            body = conn.getresponse().read()
            name = os.path.join(outdir, f"{k}.{j}.fits")
            with open(name, "wb") as fh:
                fh.write(body)
            files.append(name)
    conn.close()
    return files


# ----------------------------------------------------------------------------- parent side
def run_child(which: int, client: str, url: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]))
        env["JSOCX_RECORD_CACHE"] = "0"  # every workload downloads; the record cache has its own workload
        out = subprocess.run([sys.executable, str(HERE), "--child", str(which), client, url, d], env=env,
                             capture_output=True, text=True, timeout=3600, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"workload {which} with {client} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def measure_throughput(emu) -> float:
    """Loopback download throughput (bytes/s) of the emulator, at zero latency."""
    import urllib.request

    import drms

    from sunpy_jsocx.emulator import redirect_drms

    latency = emu.config.latency
    emu.config.latency = 0.0
    try:
        with redirect_drms(emu.url):
            segs = drms.Client().query("hmi.M_45s[2014.01.01_00:00:00_TAI/10m]", seg="magnetogram")
        urls = [emu.url + p.lstrip("/") for p in segs.magnetogram]
        for u in urls:  # generate first
            urllib.request.urlopen(u).read()
        t0 = time.perf_counter()
        n = sum(len(urllib.request.urlopen(u).read()) for u in urls)
        return n / (time.perf_counter() - t0)
    finally:
        emu.config.latency = latency


def floor(which: int, run: dict, latency: float, staging: float, throughput: float) -> tuple[float, int, str]:
    """Fewest requests the protocol allows, and the floor wall time."""
    n = run["files"]
    transfer = run["bytes"] / throughput
    if which in (1, 2, 3):
        req = 1 + n  # one rs_list (all keywords) + one GET per file
        how = f"1 rs_list + {n} GET"
        stage = 0.0
    elif which == 4:
        req = 1
        how = "1 rs_list"
        stage = 0.0
    else:
        req = 3 + n  # rs_list, exp_request, exp_status after staging, GETs
        how = f"rs_list + exp_request + exp_status + {n} GET, + staging {staging:g} s"
        stage = staging
    return req * latency + stage + transfer, req, how


def _summ(requests: dict) -> tuple[int, int]:
    api = sum(v for k, v in requests.items() if ":" not in k and k not in ("download", "root"))
    return api, requests.get("download", 0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--staging-delay", type=float, default=2.0)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--workloads", default="1,2,3,4,5")
    p.add_argument("--json", default=None, help="also write the figures to this file")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        which, client, url, outdir = args.child
        print(json.dumps(child(int(which), client, url, outdir)))
        return 0

    from sunpy_jsocx.emulator import JSOCEmulator

    workloads = [int(w) for w in args.workloads.split(",")]
    results = {}
    with JSOCEmulator(latency=args.latency, staging_delay=args.staging_delay, image_size=args.image_size) as emu:
        throughput = measure_throughput(emu)
        print(f"emulator {emu.url}: latency {args.latency} s per request, staging {args.staging_delay} s, "
              f"images {args.image_size} px, loopback throughput {throughput / 1e6:.0f} MB/s")
        # warm-up: the emulator generates files on first request; JSOC's exist already
        for w in workloads:
            if w != 5:  # workload 5's data must stay on tape (and its export must not exist yet)
                run_child(w, "jsocx", emu.url)
        for w in workloads:
            print(f"\n== Workload {w}: {WORKLOADS[w]}")
            row = {}
            clients = ["sunpy", "jsocx"] + {4: ["jsocx1", "drms"], 2: ["jsocxtar", "bare"]}.get(w, [])
            if w in (1, 3):
                clients.append("bare")
            for client in clients:
                emu.unstage()  # offline data is on tape again for every run
                emu.reset_stats()
                run = run_child(w, client, emu.url)
                stats = emu.stats()
                run["requests"] = stats["requests"]
                run["exports"] = stats["exports_created"]
                run["connections"] = stats["download_connections"]
                api, dl = _summ(stats["requests"])
                run["api_requests"], run["download_requests"] = api, dl
                row[client] = run
                ops = ", ".join(f"{k.split(':', 1)[-1]} {v}" for k, v in sorted(stats["requests"].items())
                                if ":" in k or k not in ("jsoc_info", "jsoc_fetch", "download", "root"))
                label = {"sunpy": "sunpy JSOCClient", "jsocx": "sunpy-jsocx", "jsocx1": "jsocx, one attr",
                         "drms": "bare drms query", "jsocxtar": "jsocx, url-tar", "bare": "bare loop"}[client]
                print(f"  {label:17s} wall {run['wall']:7.2f} s | requests {api + dl:4d} (api {api}: {ops}; "
                      f"downloads {dl}) | exports {run['exports']} | files {run['files']} ({run['bytes'] / 1e6:.2f} "
                      f"MB, {run['connections']} connection(s)) | rows {run['rows']} | peak RSS +"
                      f"{run['peak_rss_growth_mb']:.0f} MB")
            s, o = row["sunpy"], row["jsocx"]
            fl, freq, how = floor(w, o, args.latency, args.staging_delay, throughput)
            if w == 4:
                fl = row["drms"]["wall"]
                how = "a bare drms.Client.query of the same record set (measured)"
            total_s = s["api_requests"] + s["download_requests"]
            total_o = o["api_requests"] + o["download_requests"]
            print(f"  ratios sunpy/ours: wall {s['wall'] / o['wall']:.1f}x, requests {total_s / total_o:.1f}x "
                  f"(api {s['api_requests'] / max(1, o['api_requests']):.1f}x), exports {s['exports']} vs "
                  f"{o['exports']}, files {s['files']} vs {o['files']}")
            if w != 4:
                print(f"  ours vs floor: {o['wall']:.2f} s vs {fl:.2f} s = {o['wall'] / fl:.2f}x  (floor: {how}; "
                      f"{freq} requests); sunpy vs floor: wall {s['wall'] / fl:.1f}x, requests "
                      f"{total_s / freq:.1f}x (the most any client can gain here)")
            else:
                one = row["jsocx1"]
                print(f"  ours vs floor: Fido OR of 7 {o['wall'] / fl:.2f}x, one attr {one['wall'] / fl:.2f}x "
                      f"(floor: {how}, {fl:.2f} s); peak RSS growth ours {o['peak_rss_growth_mb']:.0f} / "
                      f"{one['peak_rss_growth_mb']:.0f} MB vs sunpy {s['peak_rss_growth_mb']:.0f} MB")
            if "bare" in row:
                b = row["bare"]
                if b["files"] != o["files"]:
                    raise RuntimeError(f"workload {w}: the bare loop got {b['files']} files, ours {o['files']}")
                ratio = o["wall"] / b["wall"]
                print(f"  ours vs measured floor: {o['wall']:.2f} s vs {b['wall']:.2f} s = {ratio:.2f}x "
                      f"(the same {b['files']} files by one rs_list and bare GETs over one connection, no "
                      f"headers written, no verification, no fsync: it meets the server's own costs)")
                row["measured_floor"] = {"wall": b["wall"]}
            if w == 2:
                t = row["jsocxtar"]
                total_t = t["api_requests"] + t["download_requests"]
                print(f"  url-tar instead: requests sunpy/ours {total_s / total_t:.1f}x, wall sunpy/ours "
                      f"{s['wall'] / t['wall']:.1f}x, at the cost of {t['exports']} export and its staging")
            row["floor"] = {"wall": fl, "requests": freq, "how": how}
            results[w] = row
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
