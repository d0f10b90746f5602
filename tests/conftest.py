"""Shared data and estimator factories, and CI's rule against hidden skips.

In CI (``CI`` set in the environment) a test module skipped because an
import failed fails the run: every package a test imports must come from the
project's own extras (``pip install -e ".[test]"``).
"""

import os

try:  # plots in tests draw off-screen
    import matplotlib

    matplotlib.use("Agg")
except ImportError:  # pragma: no cover - the test extra installs it
    pass

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

_IMPORT_SKIPS = []


@pytest.fixture(scope="session")
def binary_data():
    """(X, y): 120 rows, 5 float64 features, two classes."""
    return make_classification(
        n_samples=120, n_features=5, n_informative=3, n_redundant=0, random_state=0
    )


@pytest.fixture(scope="session")
def multiclass_data():
    """(X, labels): 150 rows, 5 float64 features, string labels of 3 classes."""
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, np.array(["ant", "bee", "cat"])[y]


@pytest.fixture(scope="session")
def regression_data():
    """(X, y): 120 rows, 5 float64 features, a scaled continuous target."""
    X, y = make_regression(n_samples=120, n_features=5, random_state=0)
    return X / 2.0, y / 100.0


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory):
    """The documentation site, built once per session by the README's command
    (``tests/site_build.py``); its gallery ran every example."""
    from site_build import build_site

    return build_site(tmp_path_factory.mktemp("docs_site"))


# what every fit records besides the loss and metrics (``_engine/monitoring``)
STATS = {"lr", "grad_norm", "epoch_time", "samples_per_s"}
TIMING = {"epoch_time", "samples_per_s"}


def without_timing(history):
    """``history_`` without its wall-clock entries (they differ run to run)."""
    return {k: v for k, v in history.items() if k not in TIMING}


def small_estimators():
    """One small, seeded instance of every public estimator (fresh each call)."""
    from sktrain import (
        KerasClassifier,
        KerasRegressor,
        KerasTransformer,
        MLPClassifier,
        MLPRegressor,
    )

    mlp = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    wrap = dict(epochs=2, random_state=0, model__hidden_layer_sizes=(8,))
    return [
        MLPClassifier(**mlp),
        MLPRegressor(**mlp),
        KerasClassifier(**wrap),
        KerasRegressor(**wrap),
        KerasTransformer(**wrap),
    ]


def pytest_collectreport(report):
    if report.skipped and "could not import" in str(report.longrepr):
        _IMPORT_SKIPS.append(f"{report.nodeid}: {report.longrepr}")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _IMPORT_SKIPS:
        print(
            "\nCI: test modules skipped for a missing import (install them "
            "through the project's extras):\n  " + "\n  ".join(_IMPORT_SKIPS)
        )
        session.exitstatus = 1
