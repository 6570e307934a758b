"""
Probe what real use and faults do to a fetch, against the emulator on 127.0.0.1.

Re-measures the figures of issue 8 with the same kinds of run: two writers into one
folder under truncation faults, a mixed (online + export) fetch at a rate of HTTP 500s,
fetches killed with SIGKILL mid-download, a fetch of ~600 scattered records, and a
retry through ``Fido.fetch(results)``. Prints one line per probe.

    python benchmarks/probe_faults.py [--runs 4]

Every loop is bounded; nothing reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import astropy.units as u

EMAIL = "user@example.org"
ONLINE = ("2014-01-01T00:00:00", "2014-01-01T00:06:00")
OFFLINE = ("2010-06-01T00:00:00", "2010-06-01T00:03:00")

CHILD = r"""
import sys, warnings
warnings.simplefilter("ignore")
from sunpy.net import attrs as a
import sunpy_jsocx
c = sunpy_jsocx.JSOCXClient()
res = c.search(a.Time(sys.argv[2], sys.argv[3]), a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
files = c.fetch(res, path=sys.argv[1] + "/{file}", progress=False, overwrite=True)
print(len(files), len(files.errors))
for p in files:
    print("OK", p)
"""


def _quiet_fetch(*args, **kwargs):
    from sunpy.net import Fido

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Fido.fetch(*args, progress=False, **kwargs)


def _reference(emu_url: str, folder: Path) -> dict[str, bytes]:
    from sunpy.net import attrs as a

    import sunpy_jsocx

    with sunpy_jsocx.use_server(emu_url):
        c = sunpy_jsocx.JSOCXClient()
        res = c.search(a.Time(*ONLINE), a.jsocx.Series("hmi.M_45s"), a.jsocx.Protocol("as-is"))
        files = c.fetch(res, path=str(folder / "{file}"), progress=False)
    return {Path(p).name: Path(p).read_bytes() for p in files}


def probe_two_writers(runs: int) -> str:
    from sunpy_jsocx.emulator import JSOCEmulator

    corrupt = reported_ok = failed = leftovers = 0
    with JSOCEmulator(image_size=1024, bandwidth=30_000_000, seed=5) as emu, tempfile.TemporaryDirectory() as d:
        ref = _reference(emu.url, Path(d) / "ref")
        emu.config.truncate_rate = 0.1
        env = dict(os.environ, JSOCX_SERVER=emu.url, JSOCX_CACHE_TTL="0")
        for run in range(runs):
            shared = Path(d) / f"shared{run}"
            procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(shared), *ONLINE], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                     for _ in range(2)]
            for p in procs:
                out, _ = p.communicate(timeout=300)
                # (log lines, such as "Resuming the job recorded in ...", may come first)
                counts = [ln for ln in out.splitlines() if re.fullmatch(r"\d+ \d+", ln.strip())]
                lines = [ln for ln in out.splitlines() if ln.startswith("OK ")]
                failed += int(counts[0].split()[1]) if counts else len(ref)
                for line in lines:
                    name = Path(line[3:]).name
                    reported_ok += 1
                    if Path(line[3:]).read_bytes() != ref[name]:
                        corrupt += 1
            for f in shared.iterdir():
                if f.name not in ref:
                    leftovers += 1
                elif f.read_bytes() != ref[f.name]:
                    corrupt += 1
        faults = emu.stats()["faults"].get("truncate", 0)
    return (f"two writers, one folder: {runs} runs x 2 processes x {len(ref)} files, {faults} truncated bodies: "
            f"{reported_ok} reported done, {corrupt} corrupt, {failed} reported failed, {leftovers} stray files")


def probe_mixed_500s(runs: int) -> str:
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    import sunpy_jsocx
    from sunpy_jsocx.emulator import JSOCEmulator

    raised = delivered = expected = 0
    for seed in range(runs):
        with (JSOCEmulator(http500_rate=0.15, seed=seed) as emu, sunpy_jsocx.use_server(emu.url),
              tempfile.TemporaryDirectory() as d):
            try:
                on = Fido.search(a.Time(*ONLINE), a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL),
                                 a.jsocx.Protocol("as-is"))
                off = Fido.search(a.Time(*OFFLINE), a.jsocx.Series("hmi.M_45s"), a.jsocx.Notify(EMAIL),
                                  a.jsocx.Protocol("as-is"))
                expected += len(on[0]) + len(off[0])
                files = _quiet_fetch(on, off, path=d + "/{file}")
                delivered += len(files)
            except Exception:  # noqa: BLE001 (counted: this is what the probe measures)
                raised += 1
    return (f"mixed fetch at 0.15 HTTP 500s: {runs} runs, {raised} raised, "
            f"{delivered} of {expected} files delivered")


def probe_kills(runs: int) -> str:
    from sunpy_jsocx.emulator import JSOCEmulator
    from sunpy_jsocx.integrity import file_problem

    looks_complete_but_is_not = finals = parts = manifests = 0
    rng = random.Random(1)
    with JSOCEmulator(image_size=1024, bandwidth=1_000_000) as emu, tempfile.TemporaryDirectory() as d:
        ref = _reference(emu.url, Path(d) / "ref")
        env = dict(os.environ, JSOCX_SERVER=emu.url, JSOCX_CACHE_TTL="0")
        for run in range(runs):
            folder = Path(d) / f"kill{run}"
            p = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), *ONLINE], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5 + rng.random() * 3.0)  # the probe kills a real process at a random moment
            p.send_signal(signal.SIGKILL)
            p.wait()
            for f in folder.glob("*") if folder.exists() else []:
                if f.name.endswith(".part"):
                    parts += 1
                    continue
                if f.name.startswith(".jsocx-job-"):  # the job's manifest, for the next run (guide/bulk)
                    manifests += 1
                    continue
                finals += 1
                if f.name not in ref or f.read_bytes() != ref[f.name] or file_problem(f) is not None:
                    looks_complete_but_is_not += 1
    return (f"SIGKILL mid-fetch: {runs} kills, {finals} files under final names, "
            f"{looks_complete_but_is_not} of them incomplete, {parts} hidden .part files and {manifests} job "
            "manifests left")


def probe_scattered() -> str:
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    import sunpy_jsocx
    from sunpy_jsocx.emulator import JSOCEmulator

    with (JSOCEmulator(image_size=16) as emu, sunpy_jsocx.use_server(emu.url),
          tempfile.TemporaryDirectory() as d):
        res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T04:00:00"), a.jsocx.Series("aia.lev1_euv_12s"),
                          a.Wavelength(171 * u.AA), a.jsocx.Segment("image"), a.jsocx.Protocol("as-is"))
        part = res[0][::2]
        t0 = time.perf_counter()
        files = _quiet_fetch(part, path=d + "/{file}")
        took = time.perf_counter() - t0
        rs = emu.stats()["requests"].get("jsoc_info:rs_list", 0)
    return (f"::2 of 4 h of AIA 171: {len(part)} records, {len(files)} files, {len(files.errors)} errors, "
            f"{rs} rs_list requests in all, {took:.1f} s")


def probe_retry() -> str:
    from sunpy.net import Fido
    from sunpy.net import attrs as a

    import sunpy_jsocx
    from sunpy_jsocx.emulator import JSOCEmulator

    with (JSOCEmulator(truncate_rate=1.0) as emu, sunpy_jsocx.use_server(emu.url),
          tempfile.TemporaryDirectory() as d):
        res = Fido.search(a.Time(*ONLINE[:1], "2014-01-01T00:05:00"), a.jsocx.Series("hmi.M_45s"))
        failed = _quiet_fetch(res, path=d + "/{file}")
        n_failed = len(failed.errors)  # parfive's retry replaces the errors of the results it is given
        emu.config.truncate_rate = 0.0
        emu.reset_stats()
        again = _quiet_fetch(failed)
        s = emu.stats()
        asis = len(list(Path(d).glob("*.asis")))
    return (f"Fido.fetch(results) after {n_failed} failed FITS files: {len(again)} files, "
            f"{len(again.errors)} errors, {s['download_connections']} connection(s), {asis} .asis files")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=4, help="runs of each repeated probe (default 4)")
    args = p.parse_args()
    os.environ.setdefault("JSOCX_CACHE_TTL", "0")
    os.environ["JSOCX_RECORD_CACHE"] = "0"  # every probe downloads (children inherit this)
    from sunpy import log

    log.setLevel("ERROR")
    for probe in (lambda: probe_two_writers(args.runs), lambda: probe_mixed_500s(max(5, args.runs)),
                  lambda: probe_kills(3 * args.runs), probe_scattered, probe_retry):
        print(probe(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
