"""
Check that .ci/oldestdeps.txt pins exactly the floors that pyproject.toml declares.

Covers the build requirements, the runtime dependencies and the ``tests`` extras; every
one of them must have a ``>=`` floor, and its pin must be that floor. Exit status 1 (with
the differences listed) when they do not match.
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _same(a: str | None, b: str | None) -> bool:
    """Version equality, 7.0 == 7.0.0 (PEP 440 without needing packaging)."""
    if a is None or b is None:
        return a == b
    ta, tb = a.split("."), b.split(".")
    if all(x.isdigit() for x in ta + tb):
        n = max(len(ta), len(tb))
        return [int(x) for x in ta] + [0] * (n - len(ta)) == [int(x) for x in tb] + [0] * (n - len(tb))
    return a == b


def floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [*project["build-system"]["requires"], *project["project"]["dependencies"],
                    *project["project"]["optional-dependencies"]["tests"]]
    out = {}
    for req in requirements:
        found = re.search(r">=\s*([^,;\s]+)", req)
        out[_name(req)] = found.group(1) if found else None
    return out


def pins() -> dict[str, str]:
    out = {}
    for raw in (ROOT / ".ci" / "oldestdeps.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            out[_name(name)] = version.strip()
    return out


def main() -> int:
    want, have = floors(), pins()
    problems = [f"{name}: pyproject.toml has no >= floor" for name, v in want.items() if v is None]
    problems += [f"{name}: floor {v} in pyproject.toml, pinned {have.get(name)} in .ci/oldestdeps.txt"
                 for name, v in want.items() if v is not None and not _same(have.get(name), v)]
    problems += [f"{name}: pinned in .ci/oldestdeps.txt but not a requirement" for name in have.keys() - want.keys()]
    for p in problems:
        print(f"oldestdeps: {p}", file=sys.stderr)
    if not problems:
        print(f"oldestdeps: {len(want)} floors match .ci/oldestdeps.txt")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
