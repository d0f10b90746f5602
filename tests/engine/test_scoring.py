"""``scoring`` on validation data each epoch, and ``X_val`` / ``y_val``."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import GridSearchCV

from sktrain import KerasClassifier, MLPClassifier, MLPRegressor

X, y = make_classification(n_samples=300, n_features=8, random_state=0)
Xt, yt, Xv, yv = X[:200], y[:200], X[200:], y[200:]


def mlp(**params):
    defaults = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    return MLPClassifier(**{**defaults, **params})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scores_every_epoch_on_the_given_validation_data():
    est = mlp(scoring=["roc_auc", "accuracy"]).fit(Xt, yt, X_val=Xv, y_val=yv)
    assert len(est.history_["val_roc_auc"]) == est.n_iter_ == 5
    # the last epoch's score is the fitted model's
    proba = est.predict_proba(Xv)[:, 1]
    assert est.history_["val_roc_auc"][-1] == pytest.approx(roc_auc_score(yv, proba))
    assert est.history_["val_accuracy"][-1] == pytest.approx(est.score(Xv, yv))
    # the MLP's own validation score is the first scorer's
    assert est.history_["val_score"] == est.history_["val_roc_auc"]


def test_mlp_early_stopping_watches_the_first_scorer():
    est = mlp(
        scoring="roc_auc",
        early_stopping=True,
        max_iter=200,
        n_iter_no_change=3,
        tol=0.02,
    )
    est.fit(Xt, yt, X_val=Xv, y_val=yv)
    assert est.validation_scores_ == est.history_["val_roc_auc"]
    assert est.best_validation_score_ == max(est.history_["val_roc_auc"])
    assert est.n_iter_ < 200
    # the best epoch's weights are kept
    proba = est.predict_proba(Xv)[:, 1]
    assert roc_auc_score(yv, proba) == pytest.approx(est.best_validation_score_)


def test_internal_split_scoring_with_a_callable_and_a_dict():
    def f1(estimator, X, y):
        return f1_score(y, estimator.predict(X))

    est = mlp(scoring={"f": f1, "auc": "roc_auc"}, early_stopping=True, max_iter=3)
    est.fit(X, y)
    assert set(est.history_) >= {"val_f", "val_auc", "val_loss", "val_score"}
    assert est.validation_scores_ == est.history_["val_f"]
    named = mlp(scoring=f1, early_stopping=True, max_iter=2).fit(X, y)
    assert "val_f1" in named.history_


def test_wrappers_early_stopping_callback_monitors_a_scorer():
    stop = keras.callbacks.EarlyStopping(
        monitor="val_roc_auc", mode="max", patience=0, min_delta=1.0
    )
    est = KerasClassifier(
        epochs=10, scoring="roc_auc", callbacks=[stop], random_state=0
    ).fit(Xt, yt, X_val=Xv, y_val=yv)
    # no epoch improves roc_auc by 1.0: the second epoch stops the fit
    assert est.n_iter_ == 2
    assert len(est.history_["val_roc_auc"]) == 2


def test_wrapper_validation_split_scoring_and_sample_weight_val():
    est = KerasClassifier(
        epochs=2, scoring="accuracy", validation_split=0.25, random_state=0
    ).fit(X, y)
    assert len(est.history_["val_accuracy"]) == 2
    w = np.where(yv == 1, 3.0, 1.0)
    weighted = KerasClassifier(epochs=1, scoring="accuracy", random_state=0)
    weighted.fit(Xt, yt, X_val=Xv, y_val=yv, sample_weight_val=w)
    expected = np.average(weighted.predict(Xv) == yv, weights=w)
    assert weighted.history_["val_accuracy"][-1] == pytest.approx(expected)


def test_regressor_scoring():
    from sklearn.datasets import make_regression

    Xr, yr = make_regression(n_samples=200, n_features=5, random_state=0)
    est = MLPRegressor(
        hidden_layer_sizes=(8,),
        max_iter=3,
        random_state=0,
        scoring="neg_mean_absolute_error",
    )
    est.fit(Xr[:150], yr[:150], X_val=Xr[150:], y_val=yr[150:])
    mae = np.mean(np.abs(est.predict(Xr[150:]) - yr[150:]))
    assert est.history_["val_neg_mean_absolute_error"][-1] == pytest.approx(-mae)


def test_grid_search_over_scoring_settings_runs():
    grid = GridSearchCV(
        mlp(early_stopping=True, max_iter=5),
        {"scoring": ["roc_auc", "accuracy"]},
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2


def test_clear_errors():
    with pytest.raises(ValueError, match="validation data"):
        mlp(scoring="roc_auc").fit(X, y)
    with pytest.raises(ValueError, match="scoring"):
        mlp(scoring="rocauc", early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="both X_val and y_val"):
        mlp().fit(X, y, X_val=Xv)
    with pytest.raises(ValueError, match="different numbers of samples"):
        mlp().fit(X, y, X_val=Xv, y_val=yv[:5])
    with pytest.raises(ValueError, match="labels not seen before"):
        mlp().fit(X, y, X_val=Xv, y_val=yv + 2)
