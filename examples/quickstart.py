"""
Quick start: tune an sktrain MLPClassifier with GridSearchCV
============================================================

Runs in well under a minute on 2 CPU cores.
"""

import warnings

from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import MLPClassifier


def main():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(32,), max_iter=60, random_state=0),
    )
    grid = GridSearchCV(
        pipe,
        {"mlpclassifier__dropout": [0.0, 0.2], "mlpclassifier__l2": [0.0, 1e-3]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X_train, y_train)
    print("best parameters:", grid.best_params_)
    print(f"cross-validated accuracy: {grid.best_score_:.3f}")
    print(f"held-out accuracy: {grid.score(X_test, y_test):.3f}")
    return grid


if __name__ == "__main__":
    main()
