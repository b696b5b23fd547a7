"""Sphinx configuration: MyST Markdown pages plus autodoc of the package in this tree.

Built by ``tox -e docs`` (``sphinx-build -W --keep-going -b html docs
docs/_build/html``): warnings are errors, and nothing is fetched from the
network (no intersphinx), so the build works offline and in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Autodoc imports the package from this source tree, not from an installed copy.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sharokey import __version__  # noqa: E402 - needs the path above

project = "sharokey"
author = "Sharokey SDK contributors"
copyright = "Sharokey SDK contributors, MIT licence"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# MyST: heading anchors so pages can link to sections (`retries.md#idempotency-keys`).
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# Autodoc: signatures stay short, types go into the parameter descriptions.
autodoc_typehints = "description"
autodoc_typehints_description_target = "all"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True, "undoc-members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# No intersphinx: the build must not touch the network.
intersphinx_mapping: dict[str, tuple[str, None]] = {}

html_theme = "alabaster"
html_title = f"sharokey {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Zero-knowledge secret sharing for Python",
    "fixed_sidebar": True,
}
