"""Sphinx configuration of sktrain's documentation site.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the
README's third command). Everything is offline: the intersphinx inventories of
scikit-learn, NumPy, Keras and Python are written from the installed packages
(``_ext/offline_inventories.py``), the API pages from ``sktrain.__all__`` and
``sktrain.diagnostics.__all__`` (``_ext/api_pages.py``), the gallery from
``examples/*.py`` (sphinx-gallery, executed) and the notebooks from
``examples/notebooks/`` (myst-nb, executed).
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document (and run) this checkout's sktrain
sys.path.insert(0, str(DOCS / "_ext"))

# The build process only (not the library): the examples and the notebook
# kernel run TensorFlow, whose C++ start-up lines would clutter the log, and
# matplotlib draws off-screen. The kernel inherits this environment, so it
# imports the same sktrain as autodoc.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
)

import sktrain  # noqa: E402

project = "sktrain"
author = "sktrain developers"
copyright = "sktrain developers"
release = sktrain.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
    "offline_inventories",
    "api_pages",
    "notebook_pages",
    "page_links",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "_ext", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
templates_path = []
nitpicky = False
suppress_warnings = []

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sktrain {release}"
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_static_path = []
html_show_sourcelink = False

# -- autodoc, autosummary, numpydoc ------------------------------------------
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections say the types
autosummary_generate = False  # the API pages are written by _ext/api_pages.py
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "Pipeline": "sklearn.pipeline.Pipeline",
    "ndarray": "numpy.ndarray",
    "RandomState": "numpy.random.RandomState",
    "DataFrame": "pandas.DataFrame",
    "Path": "pathlib.Path",
    "Axes": "matplotlib.axes.Axes",
    "Figure": "matplotlib.figure.Figure",
    "LearningRateSchedule": "keras.optimizers.schedules.LearningRateSchedule",
    "MetadataRequest": "sklearn.utils.metadata_routing.MetadataRequest",
}
# Words of the type descriptions that are not names. Every other word is
# tried as a cross-reference (sktrain's, or one of the inventories'); one
# that resolves nowhere renders as code, which is silent with nitpicky off.
numpydoc_xref_ignore = set(
    """default or of and to the a an in if for with from by is not one each
    like shape class e instance object objects path pair arrays fitted sparse
    matrix estimator classifier regressor callback N D X y sklearn sktrain
    keras matplotlib pandas polars optional""".split()  # noqa: SIM905
)
# numpydoc's validation of every docstring the site renders; a failure is a
# warning, an error with -W. Off: checks sktrain's docstrings deliberately do
# not follow (a named "self : object" return, RT02; See Also and Examples on
# methods, SA01/EX01; an extended summary, ES01; two-line summaries and
# property summaries in lower case, SS06/SS02/SS05/GL02; parameters documented
# in groups, not in signature order, PR03; descriptions starting with a
# quoted value, PR08).
numpydoc_validation_checks = {"all", "ES01", "EX01", "GL02", "PR03", "PR08"} | {
    *("RT02", "SA01", "SS02", "SS05", "SS06")
}
# scikit-learn's own metadata-routing and set_output methods, inherited as is
numpydoc_validation_exclude = {
    r"\.(get_metadata_routing|set_\w+_request|set_output)$",
}

# -- intersphinx: local inventories only (no network at build time) -----------
# _ext/offline_inventories.py fills intersphinx_mapping with inventories it
# writes into the build tree from the installed packages.
intersphinx_mapping = {}
intersphinx_timeout = 1

# -- MyST / myst-nb ---------------------------------------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "dollarmath"]
nb_execution_mode = "force"  # notebooks are stored without outputs
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- sphinx-gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example at build time
    "run_stale_examples": True,  # every build, not only when a script changed
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "write_computation_times": False,
    "show_signature": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),
    "reset_modules": ("matplotlib",),
    "min_reported_time": 10**6,
}
