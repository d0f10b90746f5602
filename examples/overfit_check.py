"""
Can the network fit 32 rows?
============================

:func:`~sktrain.diagnostics.overfit_check`: a correct setup drives the loss on a
tiny subset to (nearly) zero; a broken one (here a learning rate of 1e-9)
cannot, and the verdict says why.
"""

from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import MLPClassifier
from sktrain.diagnostics import overfit_check


def main():
    X, y = load_breast_cancer(return_X_y=True)

    good = make_pipeline(StandardScaler(), MLPClassifier(random_state=0))
    result = overfit_check(good, X, y, random_state=0)
    print("correct setup passed:", result.passed)
    print("final loss:", f"{result.final_loss:.5f}")
    print("training accuracy:", result.train_score)
    print(result.verdict)
    print()

    broken = make_pipeline(
        StandardScaler(), MLPClassifier(learning_rate_init=1e-9, random_state=0)
    )
    result = overfit_check(broken, X, y, random_state=0)
    print("broken setup passed:", result.passed)
    print("causes:", ", ".join(result.causes))
    print(result.verdict)


if __name__ == "__main__":
    main()
