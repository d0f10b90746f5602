"""
Find a learning rate with the LR range test
===========================================

:func:`~sktrain.diagnostics.lr_find`: one short run whose rate grows per batch
from 1e-7 to 10; the suggestion is where the loss falls steadily, well before
it diverges. Then fit with it.
"""

import warnings

from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import MLPClassifier
from sktrain.diagnostics import lr_find


def main():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(batch_size=32, max_iter=30, random_state=0)
    )

    result = lr_find(pipe, X_train, y_train)
    print("steps:", result.n_steps, "stopped early (diverged):", result.stopped_early)
    print("valley:", f"{result.suggestion.valley:.3g}")
    print("steepest:", f"{result.suggestion.steepest:.3g}")

    # 30 epochs are enough for this data; sklearn would warn it did not converge
    pipe.set_params(**{result.param: result.suggestion.valley})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X_train, y_train)
    print(f"fitted with {result.param}={result.suggestion.valley:.3g}")
    print("held-out accuracy:", f"{pipe.score(X_test, y_test):.3f}")


if __name__ == "__main__":
    main()
