"""Sphinx configuration of the pedagogy site: ``sphinx-build -W --keep-going -b html docs docs/_build/html``.

Tools: Sphinx with the furo theme, MyST for the Markdown pages, autodoc with
napoleon for the API reference (numpy-style docstrings), sphinx-gallery for
``examples/`` (never executed here: each example states its run time), and
``_ext/pedagogy_pages.py`` for the pages written from the code (teacher
catalogue, OpenAPI, benchmark results, changelog fragments).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "src"))

import pedagogy  # noqa: E402

project = "pedagogy"
author = "the pedagogy developers"
copyright = "the pedagogy developers"
release = version = getattr(pedagogy, "__version__", "0.1.0")

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "pedagogy_pages",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "changelog.d", "**/*.inc.md", "**/.ipynb_checkpoints", "auto_examples/*.ipynb", "auto_examples/*.py"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# The integrations' own dependencies are documented from the real packages where installed (CI: the dev extra),
# and stood in for where not, so that `pip install -e ".[docs]"` alone builds the site.
autodoc_mock_imports = [m for m in ("verl", "gymnasium", "stable_baselines3", "ray", "torch") if importlib.util.find_spec(m) is None]
napoleon_google_docstring = False
napoleon_numpy_docstring = True

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # The examples train networks for minutes: the site shows their code and stored figures, and runs none.
    "plot_gallery": "False",
    "filename_pattern": r"^$",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "furo"
html_title = "pedagogy"
html_static_path: list[str] = []


class _NoEmptyGlobWarning(logging.Filter):
    """guides/ and benchmarks/ fill up as authors add pages: an empty folder there is not a defect."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "didn't match any documents" not in record.getMessage()


def setup(app: object) -> None:
    logging.getLogger("sphinx.sphinx.directives.other").addFilter(_NoEmptyGlobWarning())
