"""
Diagnose a network that overfits
================================

:func:`~sktrain.diagnostics.diagnose`: a large network overfits 80 noisy rows;
the report names the fix (regularization and early stopping); the fixed run is
diagnosed again.

Runs in well under a minute on 2 CPU cores.
"""

import warnings

from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sktrain import MLPClassifier
from sktrain.diagnostics import diagnose


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # run 1 is cut
    X, y = make_classification(
        n_samples=1000, n_features=20, n_informative=5, flip_y=0.2, random_state=0
    )
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=80, stratify=y, random_state=0
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, train_size=100, stratify=y_rest, random_state=0
    )
    overfit = MLPClassifier(
        hidden_layer_sizes=(256, 256),
        alpha=0.0,
        max_iter=60,
        n_iter_no_change=60,  # train all 60 epochs
        random_state=0,
    )
    # X_val / y_val record history_['val_loss'] every epoch
    overfit.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    before = diagnose(overfit, X_train, y_train)
    print(before)

    # the finding's action: regularize (alpha, dropout) and early_stopping=True
    # (stopping 10 epochs after the best validation score, sklearn's default)
    fixed = clone(overfit).set_params(
        alpha=3.0, dropout=0.5, early_stopping=True, n_iter_no_change=10
    )
    fixed.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    after = diagnose(fixed, X_train, y_train)
    print(after)

    print(f"overfitting before: {'overfitting' in before}")
    print(f"overfitting after: {'overfitting' in after}")
    print(f"overfitting began at epoch: {before['overfitting'].epoch}")
    print(f"held-out accuracy before: {overfit.score(X_test, y_test):.3f}")
    print(f"held-out accuracy after: {fixed.score(X_test, y_test):.3f}")


if __name__ == "__main__":
    main()
