"""
Sphinx configuration. Builds offline: nothing is fetched at build time.

* Theme: the sunpy Sphinx theme (pydata-sphinx-theme underneath). Its fonts, search and
  analytics scripts are loaded by the reader's browser, not by the build; analytics are
  switched off (``goatcounter_analytics_url``).
* Cross-links: intersphinx reads only the inventories shipped in ``docs/_inventories``
  (made by ``tools/build_inventories.py`` from the installed packages, with each
  project's real URL layout); every reference must resolve (``nitpicky``).
* Gallery: sphinx-gallery runs every script in ``examples/`` at build time against the
  JSOC emulator (started by each script on a loopback port).
"""

import os
import sys
import tempfile
import tomllib
from pathlib import Path

from docutils import statemachine
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from sunpy_jsocx import __version__  # noqa: E402  (the one version string, as the package reports it)

project = "sunpy-jsocx"
author = "The sunpy-jsocx developers"
copyright = "2026, The sunpy-jsocx developers"  # noqa: A001
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.intersphinx",
    "sphinx_gallery.gen_gallery",
]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_preprocess_types = True  # "int, optional": "optional" is a word, not a class to link
# type words of the docstrings that are glossary terms, not classes
napoleon_type_aliases = {
    "iterable": ":term:`python:iterable`",
    "callable": ":term:`python:callable`",
    "mapping": ":term:`python:mapping`",
    "sequence": ":term:`python:sequence`",
    "path-like": ":term:`python:path-like object`",
    "array-like": ":term:`numpy:array_like`",
    "array_like": ":term:`numpy:array_like`",
    "number": ":class:`~numbers.Number`",
}
autodoc_typehints = "none"
autodoc_member_order = "bysource"
default_role = "obj"
exclude_patterns = ["_build", "generated/gallery/*.ipynb", "generated/gallery/*.py.md5",
                    "generated/gallery/*.codeobj.json"]
templates_path = ["_templates"]
html_static_path = ["_static"]

# -- Theme ---------------------------------------------------------------------------------
html_theme = "sunpy"
html_title = f"sunpy-jsocx {version}"
html_theme_options = {
    # the theme counts page views for sunpy.org's own pages; none for ours
    "goatcounter_analytics_url": False,
    "footer_links": [["Code", "https://github.com/sunpy/sunpy-jsocx", 3]],
}

# -- Cross-links: intersphinx from the shipped inventories only ----------------------------
# (base URL of the project's docs, inventory file shipped here). tools/build_inventories.py
# names where each URL layout comes from.
_INV = Path(__file__).parent / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", str(_INV / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable/", str(_INV / "numpy.inv")),
    "astropy": ("https://docs.astropy.org/en/stable/", str(_INV / "astropy.inv")),
    "sunpy": ("https://docs.sunpy.org/en/stable/", str(_INV / "sunpy.inv")),
    "drms": ("https://docs.sunpy.org/projects/drms/en/stable/", str(_INV / "drms.inv")),
    "parfive": ("https://parfive.readthedocs.io/en/stable/", str(_INV / "parfive.inv")),
    "matplotlib": ("https://matplotlib.org/stable/", str(_INV / "matplotlib.inv")),
}
intersphinx_timeout = 1  # nothing is fetched: a URL in place of a file here would be a mistake, fail fast

# Every reference must resolve (a target that has no documentation page anywhere would go
# into ``nitpick_ignore``, with its reason; there is none).
nitpicky = True

# -- Gallery ---------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "generated/gallery",
    "filename_pattern": r".*\.py$",  # run every example: the figures come from the code
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": True,
    "default_thumb_file": None,
    "within_subsection_order": "gallery_order.ExampleOrder",  # docs/_ext/gallery_order.py
    "reset_modules_order": "both",
    # no sg_execution_times pages: they load jQuery and DataTables from CDNs (the build time is in
    # the CI log instead)
    "write_computation_times": False,
}

_log = logging.getLogger(__name__)


class ChangelogFragments(SphinxDirective):
    """
    ``.. changelog-fragments::`` renders the unreleased fragments in ``changelog/``.

    Types, their titles, the fragment folder and the issue link come from ``[tool.towncrier]``
    in pyproject.toml, the configuration towncrier uses at release time. A file whose name
    has no known type is a warning (so an error under ``-W``): towncrier would refuse it too.
    """

    has_content = False

    def run(self):
        config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["towncrier"]
        types = {t["directory"]: t["name"] for t in config["type"]}
        folder = ROOT / config["directory"]
        ignore = {name.lower() for name in config.get("ignore", [])}
        underlines = config.get("underlines", ["=", "-", "~"])
        found = {t: [] for t in types}
        for path in sorted(folder.iterdir()):
            if path.name.lower() in ignore or path.name.startswith("."):
                continue
            self.env.note_dependency(str(path))
            parts = path.name.split(".")
            if len(parts) < 3 or parts[-1] != "rst" or parts[1] not in types or not parts[0].isdigit():
                _log.warning("changelog fragment %s: not <issue>.<type>[.<number>].rst with type one of %s",
                             path.name, ", ".join(types), location=(self.env.docname, self.lineno))
                continue
            issue = int(parts[0])
            order = (issue, [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts[2:-1]])
            found[parts[1]].append((order, issue, path.read_text(encoding="utf-8").strip()))
        lines = []
        for kind, title in types.items():
            if not found[kind]:
                continue
            lines += [title, underlines[2] * len(title), ""]
            for _, issue, text in sorted(found[kind]):
                link = config["issue_format"].format(issue=issue)
                body = f"{text} ({link})".splitlines()
                lines += ["- " + body[0], *("  " + line if line.strip() else "" for line in body[1:]), ""]
        if not lines:
            lines = ["No unreleased changes.", ""]
        self.state_machine.insert_input(statemachine.string2lines("\n".join(lines)), str(folder))
        return []


def _reread_changelog(app, env, added, changed, removed):
    # a new fragment is no dependency of any page yet: read the pages with the directive every build
    return [name for name in env.found_docs if name == "changelog"]


def _gallery_environment():
    """
    The environment the examples run in, set when Sphinx starts (not when conf.py is merely
    imported, as pytest's doctest collection of docs/ does).

    The examples print what they download; a record cache of the builder's own (~/.cache) would
    make them print other numbers and keep files after the build. Each build starts an empty one,
    which the command-line example's subprocesses inherit.
    """
    os.environ.setdefault("MPLBACKEND", "agg")
    os.environ["JSOCX_RECORD_CACHE"] = tempfile.mkdtemp(prefix="jsocx-docs-cache-")


def setup(app):
    _gallery_environment()
    app.add_directive("changelog-fragments", ChangelogFragments)
    app.connect("env-get-outdated", _reread_changelog)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
