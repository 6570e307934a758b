"""Sphinx configuration. Builds offline: no intersphinx, no remote fetches."""

import sys
import tomllib
from pathlib import Path

from docutils import statemachine
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
default_role = "obj"
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
suppress_warnings = ["ref.python"]

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


def setup(app):
    app.add_directive("changelog-fragments", ChangelogFragments)
    app.connect("env-get-outdated", _reread_changelog)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
