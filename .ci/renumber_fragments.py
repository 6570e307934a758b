"""
Print the ``git mv`` commands that give letter-suffixed changelog fragments numeric counters.

towncrier reads ``8.bugfix.b1.rst`` as issue 8, bugfix, counter 0, so two such files for one
issue and type collide. The writer's letter becomes the tens digit: ``8.bugfix.b1.rst`` ->
``8.bugfix.21.rst`` (a -> 1x, b -> 2x, ...), as changelog/README.rst asks. Prints only; run
the printed commands (or pipe them to ``sh``) to rename.
"""

import re
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "changelog"


def main() -> int:
    taken = {p.name for p in FOLDER.iterdir()}
    for path in sorted(FOLDER.glob("*.rst")):
        m = re.fullmatch(r"(\d+)\.([a-z]+)\.([a-z])(\d)\.rst", path.name)
        if not m:
            continue
        new = f"{m[1]}.{m[2]}.{(ord(m[3]) - ord('a') + 1) * 10 + int(m[4])}.rst"
        if new in taken:
            print(f"# {path.name}: {new} exists already, choose another number", file=sys.stderr)
            continue
        taken.add(new)
        print(f"git mv changelog/{path.name} changelog/{new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
