"""Intersphinx without a network: inventories written from installed packages.

At ``config-inited`` this writes one ``objects.inv`` per project (scikit-learn,
NumPy, Keras, Python) into the build tree with ``sphinx.util.inventory``'s
writer, and puts each in ``intersphinx_mapping`` as the first (local)
location, before the project's published inventory URL. Sphinx tries the
locations in order, so the published one is never fetched while the local
file loads. The links point at the projects' real pages:

- scikit-learn: every class, function and public method of the modules in
  ``sklearn.__all__``: ``modules/generated/<name>.html#<name>``;
- NumPy: ``numpy.__all__`` and the ``numpy.random`` names, with the methods of
  ``ndarray``, ``dtype``, ``Generator`` and ``RandomState``;
- Keras: a curated map of the names the docstrings refer to (keras.io has no
  inventory), each checked against the installed Keras;
- Python: the builtins and a few standard-library names numpydoc types use;
- pandas and Matplotlib: the few classes the docstrings name.
"""

import importlib
import inspect
import platform
import re
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

from sphinx.util.inventory import InventoryFile

SKLEARN = "https://scikit-learn.org/stable/"
NUMPY = "https://numpy.org/doc/stable/"
KERAS = "https://keras.io/"
PYTHON = "https://docs.python.org/3/"
PANDAS = "https://pandas.pydata.org/docs/"

KERAS_PAGES = {
    "keras.Model": "api/models/model/",
    "keras.Model.fit": "api/models/model_training_apis/#fit-method",
    "keras.Model.compile": "api/models/model_training_apis/#compile-method",
    "keras.Model.predict": "api/models/model_training_apis/#predict-method",
    "keras.Model.evaluate": "api/models/model_training_apis/#evaluate-method",
    "keras.Model.summary": "api/models/model/#summary-method",
    "keras.Sequential": "api/models/sequential/",
    "keras.Input": "api/layers/core_layers/input/",
    "keras.DTypePolicy": "api/mixed_precision/policy/",
    "keras.layers.Layer": "api/layers/base_layer/",
    "keras.layers.Dense": "api/layers/core_layers/dense/",
    "keras.layers.Dropout": "api/layers/regularization_layers/dropout/",
    "keras.layers.BatchNormalization": (
        "api/layers/normalization_layers/batch_normalization/"
    ),
    "keras.layers.LeakyReLU": "api/layers/activation_layers/leaky_relu/",
    "keras.losses.Loss": "api/losses/#loss-class",
    "keras.losses.Huber": "api/losses/regression_losses/#huber-class",
    "keras.losses.get": "api/losses/",
    "keras.metrics.Metric": "api/metrics/base_metric/",
    "keras.optimizers.Optimizer": "api/optimizers/#base-optimizer-class",
    "keras.optimizers.get": "api/optimizers/",
    "keras.optimizers.LossScaleOptimizer": "api/optimizers/loss_scale_optimizer/",
    "keras.optimizers.schedules.LearningRateSchedule": (
        "api/optimizers/learning_rate_schedules/"
        "learning_rate_schedule/#learningrateschedule-class"
    ),
    "keras.callbacks.Callback": "api/callbacks/base_callback/",
    "keras.callbacks.EarlyStopping": "api/callbacks/early_stopping/",
    "keras.initializers.Initializer": "api/layers/initializers/#initializer-class",
    "keras.regularizers.L1L2": "api/layers/regularizers/#l1l2-class",
    "keras.config.floatx": "api/utils/config_utils/#floatx-function",
    "keras.saving.register_keras_serializable": (
        "api/models/model_saving_apis/serialization_utils/"
        "#registerkerasserializable-function"
    ),
}
PANDAS_PAGES = {
    "pandas.DataFrame": "reference/api/pandas.DataFrame.html#pandas.DataFrame",
    "pandas.Series": "reference/api/pandas.Series.html#pandas.Series",
}
PYTHON_STDLIB = {
    "pathlib.Path": "library/pathlib.html#pathlib.Path",
    "os.PathLike": "library/os.html#os.PathLike",
    "collections.abc.Callable": "library/collections.abc.html#collections.abc.Callable",
    "collections.abc.Mapping": "library/collections.abc.html#collections.abc.Mapping",
    "collections.abc.Sequence": (
        "library/collections.abc.html#collections.abc.Sequence"
    ),
    "dataclasses.dataclass": "library/dataclasses.html#dataclasses.dataclass",
    "warnings.warn": "library/warnings.html#warnings.warn",
}
# Labels that the docstrings sktrain inherits from scikit-learn refer to.
SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html#metadata-routing",
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "r2_score": "modules/model_evaluation.html#r2-score",
    "df_output_transform": "auto_examples/miscellaneous/plot_set_output.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
}
NUMPY_TERMS = ("array_like", "ndarray", "dtype", "scalar")
PYTHON_LABELS = {"bltin-boolean-values": "library/stdtypes.html#boolean-type-bool"}
SKLEARN_SKIP = {"experimental", "externals", "callback"}
SKLEARN_EXTRA = ("base", "utils", "utils.metadata_routing", "utils.validation")
MATPLOTLIB = "https://matplotlib.org/stable/"
MATPLOTLIB_PAGES = {
    name: f"api/_as_gen/{name}.html#{name}"
    for name in ("matplotlib.axes.Axes", "matplotlib.figure.Figure")
}
TERM = re.compile(r":term:`(?:[^`<]*<)?([^`>]+)>?`")


def _public(module):
    """(name, object) of ``module``'s public names that import plainly
    (sklearn's experimental estimators raise until they are enabled)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    out = []
    for name in names:
        try:
            obj = getattr(module, name)
        except (AttributeError, ImportError):
            continue
        if not name.startswith("_"):
            out.append((name, obj))
    return out


def _methods(cls):
    return [
        name
        for name, member in vars(cls).items()
        if not name.startswith("_")
        and (callable(member) or isinstance(member, property))
    ]


def sklearn_objects():
    """(fullname, role, relative uri) of scikit-learn's public API."""
    import sklearn

    rows = [("sklearn", "module", "api/index.html")]
    terms = set()
    for sub in (*sklearn.__all__, *SKLEARN_EXTRA):
        if sub in SKLEARN_SKIP:
            continue
        modname = f"sklearn.{sub}"
        try:
            module = importlib.import_module(modname)
        except ImportError:  # a top-level function such as sklearn.clone
            obj = getattr(sklearn, sub, None)
            if callable(obj):
                rows.append((modname, "function", _sk_page(modname)))
            continue
        rows.append((modname, "module", f"api/{modname}.html"))
        for name, obj in _public(module):
            full = f"{modname}.{name}"
            terms.update(TERM.findall(inspect.getdoc(obj) or ""))
            if inspect.isclass(obj):
                rows.append((full, "class", _sk_page(full)))
                page = _sk_page(full).split("#")[0]
                for meth in _methods(obj):
                    rows.append((f"{full}.{meth}", "method", f"{page}#{full}.{meth}"))
                    member = getattr(obj, meth, None)
                    terms.update(TERM.findall(inspect.getdoc(member) or ""))
            elif callable(obj):
                rows.append((full, "function", _sk_page(full)))
    # the glossary terms its docstrings use, at the glossary's anchors
    for term in sorted(terms):
        anchor = re.sub(r"[^\w-]+", "-", f"term-{term}").strip("-")
        rows.append((term.lower(), "std:term", f"glossary.html#{anchor}"))
    for label, page in SKLEARN_LABELS.items():
        rows.append((label, "std:label", page))
    return rows


def _sk_page(full):
    return f"modules/generated/{full}.html#{full}"


def numpy_objects():
    """(fullname, role, relative uri) of NumPy's public API."""
    import numpy as np

    rows = [("numpy", "module", "reference/index.html")]
    for name, obj in _public(np):
        full = f"numpy.{name}"
        page = f"reference/generated/{full}.html"
        if inspect.isclass(obj):
            rows.append((full, "class", f"{page}#{full}"))
        elif inspect.ismodule(obj):
            continue
        elif callable(obj):
            rows.append((full, "function", f"{page}#{full}"))
    for cls in ("ndarray", "dtype"):
        for meth in _methods(getattr(np, cls)):
            full = f"numpy.{cls}.{meth}"
            rows.append((full, "method", f"reference/generated/{full}.html#{full}"))
    for name, obj in _public(np.random):
        full = f"numpy.random.{name}"
        page = f"reference/random/generated/{full}.html"
        if inspect.isclass(obj):
            rows.append((full, "class", f"{page}#{full}"))
            for meth in _methods(obj):
                sub = f"{full}.{meth}"
                rows.append(
                    (sub, "method", f"reference/random/generated/{sub}.html#{sub}")
                )
        elif callable(obj):
            rows.append((full, "function", f"{page}#{full}"))
    for term in NUMPY_TERMS:
        rows.append((term, "std:term", f"glossary.html#term-{term}"))
    rows.append(
        (
            "numpy.random.default_rng",
            "function",
            "reference/random/generator.html#numpy.random.default_rng",
        )
    )
    return rows


def keras_objects():
    """(fullname, role, relative uri) of the curated Keras names that exist."""
    from sktrain._engine.backend import keras as import_keras

    keras = import_keras()
    rows = [("keras", "module", "api/")]
    for full, page in KERAS_PAGES.items():
        obj = keras
        for part in full.split(".")[1:]:
            obj = getattr(obj, part, None)
        if obj is None:
            continue  # not in the installed Keras: no link rather than a bad one
        role = "class" if inspect.isclass(obj) else "function"
        owner = full.split(".")[-2]
        if role == "function" and owner[0].isupper():  # keras.Model.fit
            role = "method"
        rows.append((full, role, page))
    return rows


def python_objects():
    """(fullname, role, relative uri) of the builtins and a few stdlib names."""
    import builtins

    rows = []
    for name in dir(builtins):
        obj = getattr(builtins, name)
        if name.startswith("_") or not inspect.isclass(obj) and not callable(obj):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            rows.append((name, "exception", f"library/exceptions.html#{name}"))
        elif name in ("int", "float", "str", "bool", "dict", "list", "tuple", "set"):
            rows.append((name, "class", f"library/functions.html#{name}"))
        else:
            rows.append((name, "function", f"library/functions.html#{name}"))
    rows.append(("None", "data", "library/constants.html#None"))
    for label, page in PYTHON_LABELS.items():
        rows.append((label, "std:label", page))
    for full, page in PYTHON_STDLIB.items():
        rows.append((full, "class" if full[0].isupper() else "function", page))
    return rows


def pandas_objects():
    return [(full, "class", page) for full, page in PANDAS_PAGES.items()]


def matplotlib_objects():
    return [(full, "class", page) for full, page in MATPLOTLIB_PAGES.items()]


PROJECTS = {  # key: (project, distribution, site, objects)
    "sklearn": ("scikit-learn", "scikit-learn", SKLEARN, sklearn_objects),
    "numpy": ("NumPy", "numpy", NUMPY, numpy_objects),
    "keras": ("Keras", "keras", KERAS, keras_objects),
    "python": ("Python", None, PYTHON, python_objects),
    "pandas": ("pandas", "pandas", PANDAS, pandas_objects),
    "matplotlib": ("Matplotlib", "matplotlib", MATPLOTLIB, matplotlib_objects),
}


def write_inventory(path, project, rows):
    """Write ``rows`` as an ``objects.inv`` with Sphinx's own writer.

    ``rows`` are (name, role, uri): a role without a domain is the Python
    domain's (``class``, ``method``...), else ``std:term`` or ``std:label``.
    ``InventoryFile.dump`` reads the objects from a build environment's
    domains and their URIs from a builder; these stand-ins give it the rows.
    """
    by_domain = {}
    for full, role, uri in rows:
        domain, _, objtype = role.rpartition(":")
        page, _, anchor = uri.partition("#")
        display = full if domain != "std" or objtype == "term" else full.title()
        entry = (full, display, objtype, page, anchor, 1 if domain != "std" else -1)
        by_domain.setdefault(domain or "py", set()).add(entry)
    domains = [
        SimpleNamespace(name=name, get_objects=lambda e=entries: sorted(e))
        for name, entries in sorted(by_domain.items())
    ]
    env = SimpleNamespace(
        config=SimpleNamespace(project=project, version="installed"),
        domains=SimpleNamespace(sorted=lambda: domains),
    )
    builder = SimpleNamespace(get_target_uri=lambda docname: docname)
    path.parent.mkdir(parents=True, exist_ok=True)
    InventoryFile.dump(path, env, builder)


def write_inventories(app, config):
    folder = Path(app.doctreedir) / "offline_inventories"
    for key, (project, dist, url, objects) in PROJECTS.items():
        installed = metadata.version(dist) if dist else platform.python_version()
        path = folder / f"{key}-{installed}.inv"  # a new version writes anew
        if not path.exists():
            write_inventory(path, project, objects())
        config.intersphinx_mapping[key] = (url, (str(path), f"{url}objects.inv"))


def setup(app):
    app.connect("config-inited", write_inventories, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
