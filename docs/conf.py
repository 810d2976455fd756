"""Sphinx configuration for ikewire's documentation.

Build (warnings are errors, no network needed)::

    sphinx-build -W --keep-going -b html docs /tmp/ikewire-docs
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent / "src"))  # the checkout, even when not installed

project = "ikewire"
author = "the ikewire authors"
copyright = "the ikewire authors"

extensions = [
    "myst_parser",  # the pages are MyST markdown
    "sphinx.ext.autodoc",  # the API reference comes from the docstrings
    "ikewire_states",  # docs/_ext: the state diagram drawn from connection.state
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
# Docstrings name a few private or third-party types; autodoc does not resolve
# cross-references (no nitpicky mode), so they do not warn.

html_theme = "alabaster"
html_static_path: list[str] = []
html_theme_options = {"description": "sans-IO IKEv2 for Python", "fixed_sidebar": True}
