"""Sphinx configuration of the sklearn-ns3l documentation.

Build offline, warnings as errors::

    sphinx-build -W -b html docs docs/_build/html

The gallery runs every example with ``NS3L_EXAMPLE_QUICK=1`` unless the
environment says otherwise, so the build takes a minute or two on a laptop
CPU; ``NS3L_EXAMPLE_QUICK=0`` renders the full runs (several minutes), and
``-D plot_gallery=0`` renders the examples without running them. The
flagship example (``semi_supervised/plot_scarce_labels.py``) plots the
committed full run, ``results/scarce_labels.json`` written by
``python benchmarks/scarce_labels.py``, in either mode: its figure is never
that of a quick run.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

# Set before the examples import torch: torch reads it once, and on a shared
# machine one thread per process is faster than contending for all cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NS3L_EXAMPLE_QUICK", "1")

import sklearn_ns3l  # noqa: E402

project = "sklearn-ns3l"
author = "the sklearn-ns3l developers"
copyright = "the sklearn-ns3l developers"  # noqa: A001
release = version = sklearn_ns3l.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/README.md"]
default_role = "literal"

# API reference: one page per public name, generated from the numpydoc
# docstrings; members are listed by autosummary, not repeated by numpydoc.
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # scikit-learn generates these on every estimator for metadata routing;
    # their docstrings point into scikit-learn's own user guide.
    "exclude-members": ", ".join(
        f"set_{method}_request"
        for method in ("fit", "partial_fit", "predict", "score", "transform")
    )
    + ", set_output, get_metadata_routing",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Markdown pages written alongside the code (benchmarks, results).
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "subsection_order": [
        "../examples/semi_supervised",
        "../examples/model_selection",
        "../examples/selectors",
        "../examples/pipelines",
    ],
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1e9,
    "write_computation_times": False,
    "doc_module": ("sklearn_ns3l",),
    "backreferences_dir": "generated/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ns3l {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

# --------------------------------------------------------------------------
# Pages that other parts of the project write in markdown. They may or may
# not exist when the docs are built; the toctree lists those that do, so the
# build never points at a missing page nor leaves a present one orphaned.
# --------------------------------------------------------------------------

#: Known pages first, in this order; any other top-level ``*.md`` follows.
OPTIONAL_PAGES = ["selectors", "performance", "results"]
OPTIONAL_MARKER = ".. optional-markdown-pages"
#: Folders Sphinx or its extensions own, never optional pages.
_GENERATED_DIRS = {"_build", "_templates", "_static", "auto_examples", "generated"}


def _optional_pages(docs=DOCS):
    """Top-level markdown pages and folders of markdown pages, in toctree order.

    Returns ``(pages, folders)``: page names without suffix, and folder names
    holding ``*.md`` files (listed by a glob under the page of the same name
    when there is one, else in the main toctree).
    """
    present = {p.stem for p in docs.glob("*.md") if p.name != "README.md"}
    pages = [p for p in OPTIONAL_PAGES if p in present]
    pages += sorted(present - set(pages))
    folders = sorted(
        d.name
        for d in docs.iterdir()
        if d.is_dir()
        and d.name not in _GENERATED_DIRS
        and not d.name.startswith((".", "_"))
        and any(p.name != "README.md" for p in d.rglob("*.md"))
    )
    return pages, folders


def _toctree(entries, caption=None, hidden=False, glob=False):
    lines = [".. toctree::", "   :maxdepth: 1"]
    if caption:
        lines.append(f"   :caption: {caption}")
    if hidden:
        lines.append("   :hidden:")
    if glob:
        lines.append("   :glob:")
    return "\n".join([*lines, "", *(f"   {e}" for e in entries), ""])


def _insert_optional_pages(app, docname, source):
    """Fill the marker in index.rst; attach each page's own folder to it."""
    pages, folders = _optional_pages(Path(app.srcdir))
    if docname == root_doc and OPTIONAL_MARKER in source[0]:
        entries = pages + [f"{d}/*" for d in folders if d not in pages]
        block = _toctree(entries, caption="Benchmarks and notes", glob=True)
        source[0] = source[0].replace(OPTIONAL_MARKER, block if entries else "")
    elif docname in folders and docname in pages and "toctree" not in source[0]:
        # A results.md that links to results/*.md without a toctree of its own
        # would leave those pages orphaned (a warning, so a failed build).
        fence = "```"
        source[0] += (
            f"\n\n{fence}{{toctree}}\n:hidden:\n:glob:\n\n{docname}/*\n{fence}\n"
        )


def setup(app):
    app.connect("source-read", _insert_optional_pages)
