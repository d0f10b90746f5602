"""The lbfgs workload: cross_val_score with ``solver="lbfgs"``, sktrain's
MLPClassifier against sklearn's, on breast_cancer and digits (float64 X, as
loaded), and its rows of the comparison table. Each competitor's result is
``{"wall_s", "mean_accuracy"}``, or ``{"error": "..."}`` if it failed."""

import functools
import warnings

import numpy as np
from bench_common import COLD, SEED, clock, runs_in_turn
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sktrain

DATASETS = {"breast_cancer": load_breast_cancer, "digits": load_digits}
COMPETITORS = {"sktrain": sktrain.MLPClassifier, "sklearn": SkMLPClassifier}
SKLEARN_LABEL = "sklearn MLPClassifier(solver='lbfgs')"


# -- the workload -----------------------------------------------------------
def _cv_score(cls, X, y, cv):
    """Wall time and mean accuracy of cross_val_score, every other parameter
    at its default."""
    est = make_pipeline(StandardScaler(), cls(solver="lbfgs", random_state=SEED))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = clock()
        scores = cross_val_score(est, X, y, cv=cv)
        wall = clock() - t0
    return {"wall_s": wall, "mean_accuracy": float(np.mean(scores))}


def lbfgs(sizes):
    folds = sizes["lbfgs_folds"]
    out = {"folds": folds}
    for data, load in DATASETS.items():
        X, y = load(return_X_y=True)
        cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
        runs = {
            name: functools.partial(_cv_score, cls, X, y, cv)
            for name, cls in COMPETITORS.items()
        }
        # as W1 and W2: in turn, median, each sktrain run from an empty cache
        out[data] = runs_in_turn(
            runs, sizes["wall_repeats"], **COLD, label=f"lbfgs cross_val_score, {data}"
        )
    return out


# -- the table rows ---------------------------------------------------------
def table_rows(t, res):
    """Add the lbfgs rows to ``t`` (a bench_table.Table) from res["lbfgs"]."""
    for data in DATASETS:
        r = res.get(data) or {}
        others = {SKLEARN_LABEL: r.get("sklearn")}
        t.compare(
            f"lbfgs cross_val_score wall ({data}, {res['folds']} folds)",
            "time",
            "s",
            "wall_s",
            r.get("sktrain"),
            others,
        )
        t.compare(
            f"lbfgs cross_val_score mean accuracy ({data})",
            "score",
            "",
            "mean_accuracy",
            r.get("sktrain"),
            others,
        )
