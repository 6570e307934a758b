"""
Discover JSOC from the command line: ``python -m sunpy_jsocx COMMAND ...``.

Commands: ``series [REGEX]``, ``primekeys SERIES``, ``segments SERIES``,
``keywords SERIES``, ``info SERIES``. ``--server URL`` (or ``$JSOCX_SERVER``)
picks the server; the default is the real JSOC.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sunpy_jsocx", description="Discover what JSOC holds.")
    p.add_argument("--server", default=None, help="JSOC server URL (default: $JSOCX_SERVER or the real JSOC)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("series", help="series names matching a regular expression (case-insensitive)")
    s.add_argument("regex", nargs="?", default=None)
    for name, text in (("primekeys", "prime keys of a series"), ("segments", "segments of a series"),
                       ("keywords", "keywords of a series"), ("info", "summary of a series")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("series")
    args = p.parse_args(argv)

    from sunpy_jsocx.client import JSOCXClient
    from sunpy_jsocx.transport import JSOCError

    client = JSOCXClient(args.server)
    try:
        if args.command == "series":
            print("\n".join(client.series(args.regex)))
        elif args.command == "primekeys":
            print("\n".join(client.primekeys(args.series)))
        elif args.command == "segments":
            client.segments(args.series).pprint_all()
        elif args.command == "keywords":
            client.keywords(args.series).pprint_all()
        else:
            info = client.info(args.series)
            print(f"{info.name}: {info.note}")
            print(f"prime keys: {', '.join(info.primekeys)}")
            print(f"segments:   {', '.join(info.segment_names)}")
            print(f"keywords:   {len(info.keywords)}")
    except (JSOCError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
