"""
Workload 8, interrupted: workload 6 (bulk offline) killed three times and run again.

    python benchmarks/bench_interrupted.py [--records 2000] [--staging 3.0] [--exports 8]
                                           [--kills 0.25,0.5,0.75] [--keep-staged]

The setup is workload 6's (``bench_bulk.py``): thousands of records on tape, an export
size limit that makes about ``--exports`` exports, ``--staging`` seconds of staging each,
a bandwidth at which one export's files download in about one staging time. Each run is
the command line a user types, ``python -m sunpy_jsocx fetch RECORDSET --path DIR
--notify ADDR``, in a process of its own.

First one uninterrupted run (on an emulator of its own, so that JSOC's duplicate rule
cannot hand the other run its exports). Then, on a fresh emulator, the same command is
killed with SIGKILL when the emulator has served each fraction of ``--kills`` of the
uninterrupted run's bytes, and run again each time; the last run finishes the job.
Between runs the staged data goes back to tape (unless ``--keep-staged``), so that the
records not yet downloaded must come from the exports the killed runs recorded.

Printed: bytes served, files served and exports created by the emulator, for the
uninterrupted run and summed over the interrupted ones, their ratio (target 1.05x),
``exp_request`` and ``exp_status`` calls, and whether the two folders hold the same
files byte for byte.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

EMAIL = "user@example.org"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


def _command(url: str, recordset: str, folder: Path) -> list[str]:
    return [sys.executable, "-m", "sunpy_jsocx", "--server", url, "fetch", recordset, "--path", str(folder),
            "--notify", EMAIL]


def _run(cmd: list[str], env: dict, emu, kill_at: float | None) -> tuple[int, float]:
    """Run the command; with ``kill_at``, SIGKILL it once the emulator has served that many bytes."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if kill_at is not None:
            while proc.poll() is None and emu.stats()["bytes_served"] < kill_at:
                time.sleep(0.02)  # (the benchmark watches a real process; tests kill at exact points)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        err = proc.communicate()[1]
        if proc.returncode not in (0, -signal.SIGKILL):
            print(err, file=sys.stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, time.perf_counter() - t0


def _delta(after: dict, before: dict) -> dict:
    out = {k: after[k] - before[k] for k in ("bytes_served", "files_served", "exports_created")}
    out["requests"] = {k: v - before["requests"].get(k, 0) for k, v in after["requests"].items()}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=2000)
    p.add_argument("--staging", type=float, default=3.0)
    p.add_argument("--exports", type=int, default=8, help="about how many exports the size limit makes")
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--kills", default="0.25,0.5,0.75", help="fractions of the bytes at which to kill")
    p.add_argument("--keep-staged", action="store_true",
                   help="leave staged data online between runs (then finished exports' records download directly)")
    args = p.parse_args()
    kills = [float(x) for x in args.kills.split(",") if x.strip()]
    warnings.simplefilter("ignore")
    os.environ["JSOCX_CACHE_TTL"] = "0"
    os.environ["JSOCX_RECORD_CACHE"] = "0"
    from sunpy import log

    from sunpy_jsocx import transport
    from sunpy_jsocx.emulator import JSOCEmulator

    log.setLevel("ERROR")
    seconds = args.records * 45
    recordset = f"hmi.M_45s[2010.06.01_00:00:00_TAI/{seconds}s]"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        env = dict(os.environ, JSOCX_EXPORT_LOCKS=str(d / "locks"))
        # The size limit and bandwidth of workload 6: JSOC's size estimate, and one file's size.
        with JSOCEmulator(image_size=args.image_size) as probe:
            answer = transport.connection(probe.url).exp_request(recordset, EMAIL, method="url", protocol="fits")
            size_mb = float(answer.get("size", 0)) or args.records * 32.0
            one = transport.connection(probe.url).exp_request(
                "hmi.M_45s[2010.06.01_00:00:00_TAI]", EMAIL, method="url", protocol="fits")
            req = transport.connection(probe.url).exp_status(one["requestid"])
            url = transport.connection(probe.url).file_url(f"{req['dir']}/{req['data'][0]['filename']}")
            import urllib.request

            with urllib.request.urlopen(url) as r:  # noqa: S310 (the emulator on 127.0.0.1)
                per_file = len(r.read())
        limit_mb = max(1, int(size_mb / args.exports))
        bandwidth = args.records / args.exports * per_file / args.staging
        config = {"image_size": args.image_size, "staging_delay": args.staging, "size_limit_mb": limit_mb,
                  "bandwidth": bandwidth}

        with JSOCEmulator(**config) as emu:
            rc, wall = _run(_command(emu.url, recordset, d / "once"), env, emu, None)
            once = emu.stats()
        assert rc == 0, f"the uninterrupted run failed ({rc})"

        runs = []
        with JSOCEmulator(**config) as emu:
            total = {"bytes_served": 0, "files_served": 0, "exports_created": 0, "exp_request": 0, "exp_status": 0}
            for fraction in [*kills, None]:
                # Killed when the bytes served over all runs so far reach the fraction of one run's.
                kill_at = None if fraction is None else fraction * once["bytes_served"] - total["bytes_served"]
                # (Counters are read as differences: the emulator's reset_stats() also restarts the
                # numbering of export directories, which would hand new exports the killed runs' ones.)
                before = emu.stats()
                rc, took = _run(_command(emu.url, recordset, d / "job"), env, emu,
                                None if kill_at is None else before["bytes_served"] + kill_at)
                s = _delta(emu.stats(), before)
                runs.append((fraction, rc, took, s))
                for k in ("bytes_served", "files_served", "exports_created"):
                    total[k] += s[k]
                for k in ("exp_request", "exp_status"):
                    total[k] += s["requests"].get(f"jsoc_fetch:{k}", 0)
                if not args.keep_staged:
                    emu.unstage()
        assert runs[-1][1] == 0, f"the last run did not finish the job ({runs[-1][1]})"
        a, b = _files(d / "once"), _files(d / "job")
        same = a == b
        if not same:
            missing, extra = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            differ = sorted(n for n in set(a) & set(b) if a[n] != b[n])
            print(f"  files that differ: missing {missing[:5]} ({len(missing)}), extra {extra[:5]} ({len(extra)}), "
                  f"different {differ[:5]} ({len(differ)})")
        left = sorted(p.name for p in (d / "job").iterdir() if p.name.startswith("."))

    print(f"W8 interrupted: {args.records} records, size limit {limit_mb} MB of {size_mb:.0f} MB, "
          f"{args.staging:g} s staging each, {bandwidth / 1e6:.2f} MB/s; staged data "
          + ("kept online" if args.keep_staged else "back on tape") + " between runs")
    print(f"  uninterrupted: wall {wall:.1f} s, {once['bytes_served']} bytes, {once['files_served']} files, "
          f"{once['exports_created']} exports, exp_request {once['requests'].get('jsoc_fetch:exp_request', 0)}, "
          f"exp_status {once['requests'].get('jsoc_fetch:exp_status', 0)}")
    for fraction, rc, took, s in runs:
        what = f"killed at {fraction:.0%} of the bytes" if fraction is not None else "run again to the end"
        print(f"  run {what:>28}: exit {rc}, wall {took:.1f} s, {s['bytes_served']} bytes, {s['files_served']} files, "
              f"{s['exports_created']} exports, exp_request {s['requests'].get('jsoc_fetch:exp_request', 0)}, "
              f"exp_status {s['requests'].get('jsoc_fetch:exp_status', 0)}")
    print(f"  interrupted in all: {total['bytes_served']} bytes = {total['bytes_served'] / once['bytes_served']:.3f}x "
          f"the uninterrupted run (target 1.05x), {total['files_served']} files, {total['exports_created']} exports, "
          f"exp_request {total['exp_request']}, exp_status {total['exp_status']}")
    print(f"  files byte-identical to the uninterrupted run: {'yes' if same else 'NO'}; "
          f"hidden files left: {left or 'none'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
