"""One script, two MLPs: run with ``--impl sklearn`` or ``--impl sktrain``.

Only the import differs. It uses default parameters (random_state fixed),
reads the sklearn MLP attributes a typical script reads, and prints JSON.
"""

import argparse
import json
import warnings

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

ATTRIBUTES = [
    "classes_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "n_iter_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
    "t_",
    "coefs_",
    "intercepts_",
    "n_features_in_",
    "validation_scores_",
    "best_validation_score_",
]


def run(MLPClassifier, MLPRegressor):
    results = {}
    for name, loader, Est in [
        ("breast_cancer", load_breast_cancer, MLPClassifier),
        ("digits", load_digits, MLPClassifier),
        ("diabetes", load_diabetes, MLPRegressor),
    ]:
        X, y = loader(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
        scaler = StandardScaler().fit(X_tr)
        est = Est(random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(scaler.transform(X_tr), y_tr)
        missing = [
            a
            for a in ATTRIBUTES
            if not hasattr(est, a) and not (a == "classes_" and Est is MLPRegressor)
        ]
        results[name] = {
            "score": float(est.score(scaler.transform(X_te), y_te)),
            "n_iter": int(est.n_iter_),
            "missing": missing,
            "coef_shapes": [list(c.shape) for c in est.coefs_],
        }
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=["sklearn", "sktrain"], required=True)
    args = parser.parse_args()
    if args.impl == "sklearn":
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    else:
        from sktrain import MLPClassifier, MLPRegressor
    print(json.dumps(run(MLPClassifier, MLPRegressor)))
