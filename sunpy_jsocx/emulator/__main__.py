"""
Command line: ``python -m sunpy_jsocx.emulator [options]``.

Prints the base URL as the first line of standard output, then serves until killed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from sunpy_jsocx.emulator.server import DEFAULT_REGISTERED, JSOCEmulator


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sunpy_jsocx.emulator",
                                description="Run an offline emulator of the Stanford JSOC web API.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=0, help="port (default: 0, a free port)")
    p.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay added to every request")
    p.add_argument("--staging-delay", type=float, default=0.0, metavar="SECONDS",
                   help="time a staged export takes to complete")
    p.add_argument("--seed", type=int, default=0, help="seed for data gaps, noise and faults")
    p.add_argument("--registered-email", nargs="+", default=None, metavar="ADDR",
                   help=f"registered e-mail addresses (default: {', '.join(DEFAULT_REGISTERED)})")
    p.add_argument("--image-size", type=int, default=128, metavar="N", help="pixel size of generated images")
    p.add_argument("--fault-rate", type=float, default=0.0, metavar="P",
                   help="probability of a fault per request (HTTP 500, dropped connection, truncated body)")
    p.add_argument("--notfound-polls", type=int, default=0, metavar="N",
                   help="exp_status answers 'not found' N times for each new request")
    p.add_argument("--bandwidth", type=float, default=None, metavar="BYTES_PER_S", help="download bandwidth")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not 0.0 <= args.fault_rate <= 1.0:
        print("--fault-rate must be between 0 and 1", file=sys.stderr)
        return 2
    if args.image_size < 8 or args.image_size > 8192:
        print("--image-size must be between 8 and 8192", file=sys.stderr)
        return 2
    emu = JSOCEmulator(
        host=args.host, port=args.port, latency=args.latency, staging_delay=args.staging_delay, seed=args.seed,
        registered=tuple(args.registered_email) if args.registered_email else DEFAULT_REGISTERED,
        image_size=args.image_size, fault_rate=args.fault_rate, notfound_polls=args.notfound_polls,
        bandwidth=args.bandwidth,
    )
    emu.start()
    print(emu.url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
