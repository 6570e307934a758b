#!/usr/bin/env python
"""
Write the intersphinx inventories in ``docs/_inventories`` from the installed packages.

Usage::

    python tools/build_inventories.py [--out docs/_inventories] [--repos DIR]

The docs build offline, so intersphinx cannot download the real ``objects.inv`` of
sunpy, astropy, drms, parfive, Python and NumPy (no copy ships in any wheel or source
tree we have). This script writes stand-ins: it walks the *installed* packages' public
API the way each project's own docs document it, and gives every object the URL it has
in that project's published docs. A name is in an inventory only if the project's docs
have a page for it, so a nitpicky build still fails on a reference to nothing.

URL layouts, and where each comes from:

* sunpy, drms, parfive, astropy: sphinx-automodapi. Each ``.. automodapi:: MODULE``
  directive in the project's docs sources (read from a clone, ``--repos``) makes one page
  per public class and function (and variable, with ``:include-all-objects:``) at
  ``<automodapi_toctreedirnm>/<MODULE>.<name>.html#<MODULE>.<name>``; a class's methods
  and attributes (inherited ones too with ``:inherited-members:``) are anchors on its
  page; the module itself is ``<page with the directive>.html#module-<MODULE>``. The
  directory is ``automodapi_toctreedirnm`` from each project's ``docs/conf.py``:
  ``generated/api`` for sunpy (sunpy/sunpy ``docs/conf.py``) and drms (sunpy/drms
  ``docs/conf.py``), and automodapi's default ``api`` for astropy (sphinx-astropy's
  ``conf/v2.py``, which astropy's ``docs/conf.py`` imports through ``conf.v3``) and
  parfive (Cadair/parfive ``docs/conf.py`` does not set it). The public names of a module
  are automodapi's: ``__all__`` when the module has one, else the names not starting
  with ``_`` that the module itself defines.
* NumPy: ``reference/generated/numpy.<name>.html#numpy.<name>`` (autosummary pages,
  ``:toctree: generated/`` in numpy's ``doc/source/reference``), for the public classes
  and functions of the ``numpy`` namespace, and the glossary term ``array_like``.
* Matplotlib: ``api/_as_gen/<name>.html#<name>`` (autosummary pages, ``:toctree: _as_gen``
  in matplotlib's ``doc/api/*_api.rst``), for the modules in `MATPLOTLIB_MODULES`, and one
  page per method of `~matplotlib.axes.Axes` and `~matplotlib.figure.Figure`.
* Python: ``library/<module>.html#<module>.<name>`` (CPython's ``Doc/library/<module>.rst``,
  one page per module) for the modules listed in `PYTHON_MODULES`; built-in functions and
  types on ``library/functions.html`` and ``library/stdtypes.html``, exceptions on
  ``library/exceptions.html``, constants on ``library/constants.html``, and the glossary
  terms (``iterable``, ``mapping``, ...) on ``glossary.html#term-<term>``.

Default ``--repos`` is ``/work/.mirror``, with one ``<owner>+<name>/repo`` git directory
per project (``git clone --bare`` of each gives the same); the commit read is written in
each inventory's header. Run it again after a new release of one of these packages.
"""

from __future__ import annotations

import argparse
import builtins
import importlib
import inspect
import re
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class AutomodapiProject:
    name: str  # the intersphinx name and the distribution to walk
    repo: str  # owner+name of the docs sources
    toctreedir: str  # automodapi_toctreedirnm, see the module docstring for where each comes from
    top: str  # only automodapi directives of modules under this package


PROJECTS = [
    AutomodapiProject("sunpy", "sunpy+sunpy", "generated/api", "sunpy"),
    AutomodapiProject("drms", "sunpy+drms", "generated/api", "drms"),
    AutomodapiProject("parfive", "Cadair+parfive", "api", "parfive"),
    AutomodapiProject("astropy", "astropy+astropy", "api", "astropy"),
]

#: The standard-library modules put in python.inv (what this project and its docs use): each has
#: one page, library/<module>.html. asyncio is not here: its objects are spread over asyncio-*.html.
PYTHON_MODULES = [
    "argparse", "collections", "collections.abc", "concurrent.futures", "contextlib",
    "dataclasses", "datetime", "enum", "functools", "hashlib", "http", "http.client", "io", "itertools",
    "json", "logging", "math", "numbers", "os", "os.path", "pathlib", "random", "re", "shutil", "socket", "ssl",
    "subprocess", "sys", "tarfile", "tempfile", "threading", "time", "typing", "urllib.parse",
    "warnings", "zlib",
]
#: The Matplotlib modules put in matplotlib.inv.
MATPLOTLIB_MODULES = ["matplotlib.axes", "matplotlib.figure", "matplotlib.animation", "matplotlib.pyplot",
                      "matplotlib.colors", "matplotlib.dates"]
#: Built-in types documented in library/stdtypes.rst rather than library/functions.rst.
STDTYPES = {"str", "list", "dict", "tuple", "set", "frozenset", "bytes", "bytearray", "range", "memoryview"}
#: Glossary terms of CPython's Doc/glossary.rst that docstrings use as type words.
PYTHON_TERMS = ["iterable", "iterator", "mapping", "sequence", "callable", "path-like object",
                "file object", "bytes-like object", "context manager", "coroutine function",
                "hashable", "keyword argument", "generator"]

_LAZY = object()
DIRECTIVE = re.compile(r"^\.\. automodapi::\s*(\S+)\s*$")
OPTION = re.compile(r"^\s+:([\w-]+):\s*(.*)$")


def _git(gitdir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True,
                          text=True).stdout


def automodapi_directives(gitdir: Path, top: str):
    """(page, module, options) of every automodapi directive in ``docs/`` at HEAD."""
    files = _git(gitdir, "ls-tree", "-r", "--name-only", "HEAD", "docs").split()
    for path in sorted(f for f in files if f.endswith(".rst")):
        lines = _git(gitdir, "show", f"HEAD:{path}").splitlines()
        for i, line in enumerate(lines):
            m = DIRECTIVE.match(line)
            if not m or not (m.group(1) == top or m.group(1).startswith(top + ".")):
                continue
            options: dict[str, list[str]] = {}
            for opt in lines[i + 1:]:
                o = OPTION.match(opt)
                if not o:
                    break
                options.setdefault(o.group(1), []).append(o.group(2).strip())
            page = path.removeprefix("docs/").removesuffix(".rst")
            yield page, m.group(1), options


def public_names(module) -> list[str]:
    """
    automodapi's choice (``find_mod_objs`` with ``onlylocals=True``): the names in
    ``__all__`` when the module has one, else the names not starting with ``_`` whose
    object belongs to the module or one of its submodules; never modules.
    """
    modname = module.__name__
    if hasattr(module, "__all__"):
        # no getattr: a module __getattr__ may do work (sunpy.data.sample downloads files)
        return [n for n in module.__all__ if n in vars(module) or hasattr(module, "__getattr__")]
    out = []
    for name in dir(module):
        obj = vars(module).get(name, _LAZY)
        if name.startswith("_") or obj is _LAZY or inspect.ismodule(obj):
            continue
        owner = getattr(obj, "__module__", None) if hasattr(obj, "__name__") else None
        if owner is None or owner == modname or owner.startswith(modname + "."):
            out.append(name)
    return out


def _kind(obj) -> str | None:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj) or callable(obj) and hasattr(obj, "__wrapped__"):
        return "function"
    return None


def class_members(cls, inherited: bool):
    """(name, role) of the public methods and attributes automodapi lists for a class."""
    seen = {}
    owners = cls.__mro__[:-1] if inherited else (cls,)
    for owner in owners:
        for name, value in vars(owner).items():
            if name.startswith("_") or name in seen:
                continue
            func = value.__func__ if isinstance(value, staticmethod | classmethod) else value
            if inspect.isfunction(func) or inspect.ismethoddescriptor(func) or inspect.isbuiltin(func):
                seen[name] = "method"
            elif inspect.isclass(func):
                seen[name] = "class"
            else:
                seen[name] = "attribute"
    return sorted(seen.items())


def automodapi_entries(project: AutomodapiProject, gitdir: Path):
    entries = []
    done = set()
    for page, modname, options in automodapi_directives(gitdir, project.top):
        try:
            module = importlib.import_module(modname)
        except Exception as exc:  # a module of an optional dependency we do not have
            print(f"{project.name}: skip {modname} ({type(exc).__name__}: {exc})", file=sys.stderr)
            continue
        entries.append((modname, "py:module", f"{page}.html#module-{modname}"))
        skip = {s for values in options.get("skip", []) for s in values.split(",") if s}
        every = "include-all-objects" in options
        inherited = "inherited-members" in options
        for name in public_names(module):
            if name in skip:
                continue
            obj = vars(module).get(name, _LAZY)  # _LAZY: made by the module's __getattr__ when asked
            kind = _kind(obj) if obj is not _LAZY else None
            if kind is None:
                if not every or inspect.ismodule(obj):
                    continue
                kind = "data"
            full = f"{modname}.{name}"
            if full in done:
                continue
            done.add(full)
            url = f"{project.toctreedir}/{full}.html"
            entries.append((full, f"py:{kind}", f"{url}#{full}"))
            if kind in ("class", "exception"):
                for member, role in class_members(obj, inherited):
                    entries.append((f"{full}.{member}", f"py:{role}", f"{url}#{full}.{member}"))
    return entries


def numpy_entries():
    import numpy

    # the glossary term docstrings use for "anything numpy.asarray takes" (doc/source/glossary.rst)
    entries = [("numpy", "py:module", "reference/index.html#module-numpy"),
               ("array_like", "std:term", "glossary.html#term-array_like")]
    for name in sorted(n for n in dir(numpy) if not n.startswith("_")):
        obj = getattr(numpy, name)
        kind = _kind(obj) or ("function" if isinstance(obj, numpy.ufunc) else None)
        if kind is None:
            continue
        full = f"numpy.{name}"
        url = f"reference/generated/{full}.html"
        entries.append((full, f"py:{kind}", f"{url}#{full}"))
        if name in ("ndarray", "dtype", "generic"):
            for member, role in class_members(obj, inherited=False):
                entries.append((f"{full}.{member}", f"py:{role}", f"reference/generated/{full}.{member}.html"
                                f"#{full}.{member}"))
    return entries


def matplotlib_entries():
    entries = []
    for modname in MATPLOTLIB_MODULES:
        module = importlib.import_module(modname)
        entries.append((modname, "py:module", f"api/{modname.split('.')[1]}_api.html#module-{modname}"))
        for name in public_names(module):
            obj = getattr(module, name, None)
            kind = _kind(obj)
            if kind is None:
                continue
            full = f"{modname}.{name}"
            entries.append((full, f"py:{kind}", f"api/_as_gen/{full}.html#{full}"))
            if full in ("matplotlib.axes.Axes", "matplotlib.figure.Figure"):
                for member, role in class_members(obj, inherited=True):
                    entries.append((f"{full}.{member}", f"py:{role}", f"api/_as_gen/{full}.{member}.html"
                                    f"#{full}.{member}"))
    return entries


def python_entries():
    entries = []
    for name in dir(builtins):
        obj = getattr(builtins, name)
        if name.startswith("_"):
            continue
        if name in ("None", "True", "False", "Ellipsis", "NotImplemented"):
            entries.append((name, "py:data", f"library/constants.html#{name}"))
        elif inspect.isclass(obj) and issubclass(obj, BaseException):
            entries.append((name, "py:exception", f"library/exceptions.html#{name}"))
        elif name in STDTYPES:
            entries.append((name, "py:class", f"library/stdtypes.html#{name}"))
        elif inspect.isclass(obj):
            entries.append((name, "py:class", f"library/functions.html#{name}"))
        elif callable(obj):
            entries.append((name, "py:function", f"library/functions.html#{name}"))
    for modname in PYTHON_MODULES:
        module = importlib.import_module(modname)
        page = f"library/{modname}.html"
        entries.append((modname, "py:module", f"{page}#module-{modname}"))
        for name in getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]:
            obj = getattr(module, name, None)
            if obj is None or inspect.ismodule(obj):
                continue
            owner = getattr(obj, "__module__", "") or ""
            if not (owner.lstrip("_").split(".")[0] == modname.split(".")[0] or owner.startswith("_")):
                continue  # imported from elsewhere: documented there
            kind = _kind(obj)
            if kind is None:
                continue
            full = f"{modname}.{name}"
            entries.append((full, f"py:{kind}", f"{page}#{full}"))
            if kind in ("class", "exception"):
                for member, role in class_members(obj, inherited=False):
                    entries.append((f"{full}.{member}", f"py:{role}", f"{page}#{full}.{member}"))
    for term in PYTHON_TERMS:
        entries.append((term, "std:term", "glossary.html#term-" + term.replace(" ", "-")))
    return entries


def write_inventory(path: Path, project: str, version: str, entries) -> int:
    seen = {}
    for name, role, uri in entries:
        seen.setdefault((name, role), uri)
    lines = []
    for (name, role), uri in sorted(seen.items()):
        # "$" at the end is the inventory format's shorthand for the name
        short = uri[: -len(name)] + "$" if uri.endswith("#" + name) else uri
        prio = "-1" if role == "py:module" else "1"
        lines.append(f"{name} {role} {prio} {short} -")
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    path.write_bytes(header.encode() + zlib.compress(("\n".join(lines) + "\n").encode()))
    return len(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", default=str(ROOT / "docs" / "_inventories"))
    parser.add_argument("--repos", default="/work/.mirror",
                        help="folder with <owner>+<name>/repo git directories of the projects' sources")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from importlib.metadata import version

    for project in PROJECTS:
        gitdir = Path(args.repos) / project.repo / "repo"
        commit = _git(gitdir, "rev-parse", "HEAD").strip()
        owner_repo = project.repo.replace("+", "/")
        n = write_inventory(out / f"{project.name}.inv", project.name,
                            f"{version(project.name)} (URL layout: {owner_repo}@{commit[:12]})",
                            automodapi_entries(project, gitdir))
        print(f"{project.name}: {n} objects")
    import numpy

    n = write_inventory(out / "numpy.inv", "NumPy", numpy.__version__, numpy_entries())
    print(f"numpy: {n} objects")
    import matplotlib

    n = write_inventory(out / "matplotlib.inv", "Matplotlib", matplotlib.__version__, matplotlib_entries())
    print(f"matplotlib: {n} objects")
    n = write_inventory(out / "python.inv", "Python", ".".join(map(str, sys.version_info[:2])), python_entries())
    print(f"python: {n} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
