"""
The docs' cross-links work offline (issue 11, part 3).

intersphinx reads only the inventories shipped in ``docs/_inventories`` (written by
``tools/build_inventories.py``); nothing is fetched at build time, and each inventory gives
the URL the object has in its project's published docs.
"""

from __future__ import annotations

import ast
import posixpath
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _intersphinx_mapping() -> dict[str, tuple[str, str]]:
    """docs/conf.py's intersphinx_mapping, read without running conf.py: (base URL, inventory file name)."""
    tree = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    [node] = [n for n in tree.body if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == "intersphinx_mapping" for t in n.targets)]
    out = {}
    for key, value in zip(node.value.keys, node.value.values, strict=True):
        base, location = value.elts
        # the location must be the shipped file, str(_INV / "<name>.inv"), never a URL
        assert isinstance(location, ast.Call) and location.func.id == "str", ast.unparse(location)
        [path] = location.args
        assert isinstance(path, ast.BinOp) and path.left.id == "_INV", ast.unparse(location)
        out[key.value] = (base.value, path.right.value)
    return out


def test_intersphinx_reads_only_shipped_inventories():
    mapping = _intersphinx_mapping()
    assert {"python", "numpy", "astropy", "sunpy", "drms", "parfive"} <= mapping.keys()
    for name, (base, inv) in mapping.items():
        assert base.startswith("https://") and base.endswith("/"), (name, base)
        assert (DOCS / "_inventories" / inv).is_file(), f"{name}: docs/_inventories/{inv} missing"


# One object of each project and the page it has in that project's docs (see the URL layouts
# named in tools/build_inventories.py).
EXPECTED = [
    ("sunpy", "py:data", "sunpy.net.Fido", "generated/api/sunpy.net.Fido.html#sunpy.net.Fido"),
    ("sunpy", "py:class", "sunpy.net.attrs.Time", "generated/api/sunpy.net.attrs.Time.html#sunpy.net.attrs.Time"),
    ("sunpy", "py:method", "sunpy.map.GenericMap.plot",
     "generated/api/sunpy.map.GenericMap.html#sunpy.map.GenericMap.plot"),
    ("drms", "py:class", "drms.Client", "generated/api/drms.Client.html#drms.Client"),
    ("parfive", "py:class", "parfive.Results", "api/parfive.Results.html#parfive.Results"),
    ("astropy", "py:class", "astropy.units.Quantity", "api/astropy.units.Quantity.html#astropy.units.Quantity"),
    ("numpy", "py:class", "numpy.ndarray", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
    ("python", "py:class", "pathlib.Path", "library/pathlib.html#pathlib.Path"),
    ("python", "py:class", "str", "library/stdtypes.html#str"),
    ("python", "std:term", "iterable", "glossary.html#term-iterable"),
]


@pytest.mark.parametrize(("project", "role", "name", "page"), EXPECTED, ids=[e[2] for e in EXPECTED])
def test_inventory_gives_the_published_page(project, role, name, page):
    inventory = pytest.importorskip("sphinx.util.inventory")
    base, inv = _intersphinx_mapping()[project]
    with (DOCS / "_inventories" / inv).open("rb") as f:
        data = inventory.InventoryFile.load(f, base, posixpath.join)
    item = data[role][name]
    uri = item.uri if hasattr(item, "uri") else item[2]
    assert uri == base + page
