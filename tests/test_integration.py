"""Integration tests: sktrain estimators inside the scikit-learn ecosystem.

clone / GridSearchCV / cross_val_score / Pipeline + ColumnTransformer,
persistence (pickle, joblib, deepcopy), warm_start and partial_fit, Keras
callbacks shared between fits, label types, the drop-in script, seeding and
lazy TensorFlow import.
"""

import copy
import itertools
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    check_cv,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from sktrain import MLPClassifier, MLPRegressor

# Keras on TensorFlow, as sktrain itself arranges before importing Keras.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # Keras' own NumPy-2 notice when it converts tensors; not sktrain's doing
    pytest.mark.filterwarnings(
        "ignore:__array__ implementation doesn't accept a copy keyword"
        ":DeprecationWarning"
    ),
]

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent


def _subprocess_env():
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


# --------------------------------------------------------------------------
# data and helpers
# --------------------------------------------------------------------------
def binary_data(n=150, n_features=6, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=4,
        n_redundant=0,
        class_sep=1.5,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def multiclass_data(n=150, seed=0):
    X, y = make_blobs(
        n_samples=n, centers=3, n_features=5, cluster_std=1.0, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


def multilabel_data(n=150, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.3])
    return X, Y.astype(int)


def regression_data(n=150, n_targets=1, seed=0):
    X, y = make_regression(
        n_samples=n, n_features=5, n_targets=n_targets, noise=5.0, random_state=seed
    )
    X = StandardScaler().fit_transform(X)
    return X, y / np.std(y, axis=0)


def _small(Est, **kw):
    params = dict(
        hidden_layer_sizes=(16,),
        max_iter=20,
        learning_rate_init=0.01,
        random_state=0,
    )
    params.update(kw)
    return Est(**params)


def small_clf(**kw):
    return _small(MLPClassifier, **kw)


def small_reg(**kw):
    return _small(MLPRegressor, **kw)


class EpochCounter(keras.callbacks.Callback):
    """Counts epochs on the instance; every finished fit is logged on the class.

    The class-level ``log`` is shared by all (deep) copies of an instance, so
    the tests can see what the copies sktrain trains with actually did.
    """

    log = []

    def __init__(self):
        super().__init__()
        self.count = 0

    def on_epoch_end(self, epoch, logs=None):
        self.count += 1

    def on_train_end(self, logs=None):
        # the instance itself, not its id: a freed copy's id can be reused
        EpochCounter.log.append((self, self.count))


class WeightsAtTrainBegin(keras.callbacks.Callback):
    """Records the model's weights when training starts (class-level log)."""

    log = []

    def on_train_begin(self, logs=None):
        WeightsAtTrainBegin.log.append(
            [np.array(w, copy=True) for w in self.model.get_weights()]
        )


def _simple_state(cb):
    """Plain-valued attributes of a callback (to detect mutation)."""
    return {
        k: v
        for k, v in vars(cb).items()
        if isinstance(v, (bool, int, float, str, type(None)))
    }


def _assert_params_equal(p1, p2):
    assert p1.keys() == p2.keys()
    for name in p1:
        a, b = p1[name], p2[name]
        if name == "callbacks" and a is not None:
            assert isinstance(b, type(a))
            assert len(a) == len(b)
            for cb_a, cb_b in zip(a, b):
                assert type(cb_a) is type(cb_b)
                assert _simple_state(cb_a) == _simple_state(cb_b)
        else:
            assert a == b, name


@pytest.fixture
def restore_tf_global_seed():
    yield
    tf.random.set_seed(None)


# --------------------------------------------------------------------------
# 1. clone
# --------------------------------------------------------------------------
def _estimator_with_extras():
    return small_clf(
        dropout=0.1,
        l2=0.01,
        metrics=["accuracy"],
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="loss", patience=2),
            EpochCounter(),
        ],
        max_iter=5,
    )


def test_clone_unfitted_keeps_params_and_is_unfitted():
    est = _estimator_with_extras()
    cloned = clone(est)
    assert cloned is not est
    _assert_params_equal(est.get_params(), cloned.get_params())
    assert cloned.metrics == ["accuracy"]
    es, counter = cloned.callbacks
    assert isinstance(es, keras.callbacks.EarlyStopping)
    assert es.monitor == "loss" and es.patience == 2
    assert isinstance(counter, EpochCounter) and counter.count == 0
    with pytest.raises(NotFittedError):
        check_is_fitted(cloned)
    assert not hasattr(cloned, "model_")
    for est_ in (MLPRegressor(hidden_layer_sizes=(3, 2), l1=0.5), MLPClassifier()):
        _assert_params_equal(est_.get_params(), clone(est_).get_params())


def test_clone_fitted_keeps_params_and_clone_is_unfitted():
    X, y = binary_data()
    est = _estimator_with_extras().fit(X, y)
    proba = est.predict_proba(X)
    cloned = clone(est)
    _assert_params_equal(est.get_params(), cloned.get_params())
    with pytest.raises(NotFittedError):
        check_is_fitted(cloned)
    for attr in ("model_", "classes_", "loss_curve_", "history_", "n_iter_", "t_"):
        assert not hasattr(cloned, attr), attr
    with pytest.raises(NotFittedError):
        cloned.predict(X)
    # the original is untouched; the clone refits to the very same model
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    cloned.fit(X, y)
    np.testing.assert_array_equal(cloned.predict_proba(X), proba)
    assert cloned.loss_curve_ == est.loss_curve_

    reg = small_reg(max_iter=5).fit(*regression_data())
    reg_clone = clone(reg)
    _assert_params_equal(reg.get_params(), reg_clone.get_params())
    assert not hasattr(reg_clone, "model_")


# --------------------------------------------------------------------------
# 2. GridSearchCV
# --------------------------------------------------------------------------
def test_grid_search_over_keras_params_uses_stratified_cv():
    X, y = binary_data(n=80)
    order = np.argsort(y, kind="stable")  # sorted labels: only stratified CV works
    X, y = X[order], y[order]
    grid = {
        "dropout": [0.0, 0.2],
        "l2": [0.0, 0.01],
        "hidden_layer_sizes": [(4,), (8,)],
        "solver": ["adam", "rmsprop"],
    }
    base = MLPClassifier(max_iter=2, learning_rate_init=0.01, random_state=0)
    assert is_classifier(base) and not is_regressor(base)
    gs = GridSearchCV(base, grid, cv=2, error_score="raise")
    assert isinstance(
        check_cv(gs.cv, y, classifier=is_classifier(gs.estimator)), StratifiedKFold
    )
    gs.fit(X, y)

    results = gs.cv_results_
    assert len(results["params"]) == 2 * 2 * 2 * 2
    seen = {tuple(sorted(p.items())) for p in results["params"]}
    expected = {
        tuple(sorted(zip(grid, values))) for values in itertools.product(*grid.values())
    }
    assert seen == expected
    assert np.all(np.isfinite(results["mean_test_score"]))
    for name, values in grid.items():
        assert gs.best_params_[name] in values
    best = gs.best_estimator_
    for name, value in gs.best_params_.items():
        assert best.get_params()[name] == value
    # the refitted network really is the one the parameters describe
    assert best.coefs_[0].shape == (X.shape[1], best.hidden_layer_sizes[0])
    assert type(best.model_.optimizer).__name__.lower() == best.solver
    has_dropout = any(
        isinstance(layer, keras.layers.Dropout) for layer in best.model_.layers
    )
    assert has_dropout == (best.dropout > 0)
    assert set(gs.predict(X)) <= {0, 1}

    # negative control: plain KFold on the sorted labels gives one-class folds;
    # each fold trains on one class (allowed, as in sklearn) and misses the other
    scores = cross_val_score(base, X, y, cv=KFold(2), error_score="raise")
    np.testing.assert_array_equal(scores, 0.0)


# --------------------------------------------------------------------------
# 3. cross_val_score
# --------------------------------------------------------------------------
def test_cross_val_score_classifier_and_regressor():
    X, y = multiclass_data(n=120)
    scores = cross_val_score(small_clf(), X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.mean() > 0.6

    Xr, yr = regression_data(n=120)
    r2 = cross_val_score(small_reg(max_iter=30), Xr, yr, cv=3)
    assert r2.shape == (3,)
    assert np.all(np.isfinite(r2))
    assert r2.mean() > 0.0


def test_cross_val_score_roc_auc_binary():
    X, y = binary_data(n=150)
    auc = cross_val_score(small_clf(max_iter=30), X, y, cv=3, scoring="roc_auc")
    assert auc.shape == (3,)
    assert np.all(np.isfinite(auc))
    assert np.all((auc >= 0) & (auc <= 1))
    assert auc.mean() > 0.75


# --------------------------------------------------------------------------
# 4. Pipeline + ColumnTransformer on a DataFrame with string labels
# --------------------------------------------------------------------------
def _mixed_frame(n=240, n_colors=3, seed=0):
    rng = np.random.RandomState(seed)
    colors = np.array([f"c{i}" for i in range(n_colors)])
    color = colors[rng.randint(n_colors, size=n)]
    x1 = rng.normal(size=n)
    x2 = rng.normal(loc=5.0, scale=3.0, size=n)
    offset = {c: v for c, v in zip(colors, np.linspace(-1.2, 1.2, n_colors))}
    signal = x1 + np.array([offset[c] for c in color]) + 0.1 * (x2 - 5.0)
    label = np.array(["low", "mid", "high"])[np.digitize(signal, [-0.6, 0.6])]
    frame = pd.DataFrame({"color": color, "x1": x1, "x2": x2})
    return frame, pd.Series(label, name="label")


def _mixed_pipeline(est):
    ct = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["color"]),
            ("num", StandardScaler(), ["x1", "x2"]),
        ]
    )
    return make_pipeline(ct, est)


def test_pipeline_column_transformer_dataframe_string_labels():
    df, y = _mixed_frame()
    df_tr, df_te, y_tr, y_te = train_test_split(df, y, random_state=0, stratify=y)
    pipe = _mixed_pipeline(small_clf(max_iter=50))
    pipe.fit(df_tr, y_tr)
    mlp = pipe[-1]
    np.testing.assert_array_equal(mlp.classes_, np.array(["high", "low", "mid"]))
    assert mlp.n_features_in_ == 3 + 2
    np.testing.assert_array_equal(pipe.feature_names_in_, df.columns)
    pred = pipe.predict(df_te)
    assert pred.shape == (len(df_te),)
    assert set(pred) <= {"low", "mid", "high"}
    proba = pipe.predict_proba(df_te)
    assert proba.shape == (len(df_te), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    chance = y_te.value_counts(normalize=True).max()
    assert pipe.score(df_te, y_te) > chance + 0.15


def test_dataframe_input_sets_feature_names_in():
    df, y = _mixed_frame(n=120)
    num = df[["x1", "x2"]]
    est = small_clf(max_iter=5).fit(num, y)
    np.testing.assert_array_equal(est.feature_names_in_, np.array(["x1", "x2"]))
    assert est.n_features_in_ == 2
    with pytest.warns(UserWarning, match="feature names"):
        pred_np = est.predict(num.to_numpy())
    np.testing.assert_array_equal(est.predict(num), pred_np)


def test_pipeline_with_sparse_column_transformer_output():
    """A high-cardinality OneHotEncoder makes ColumnTransformer output sparse
    (density below sparse_threshold=0.3); sklearn's MLP accepts that, so a
    drop-in replacement must too."""
    df, y = _mixed_frame(n=240, n_colors=30)
    pre = _mixed_pipeline("passthrough")[0]
    assert sp.issparse(pre.fit_transform(df))  # the precondition of this test
    reference = _mixed_pipeline(
        SkMLPClassifier(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
    ).fit(df, y)
    assert set(reference.predict(df)) <= {"low", "mid", "high"}

    pipe = _mixed_pipeline(small_clf(max_iter=50)).fit(df, y)
    pred = pipe.predict(df)
    assert set(pred) <= {"low", "mid", "high"}
    assert pipe.score(df, y) > y.value_counts(normalize=True).max()


# --------------------------------------------------------------------------
# 5. persistence: pickle, joblib, deepcopy
# --------------------------------------------------------------------------
def _fitted(kind):
    if kind == "binary":
        return small_clf(max_iter=10).fit(*binary_data())
    if kind == "multiclass":
        return small_clf(max_iter=10).fit(*multiclass_data())
    if kind == "multilabel":
        return small_clf(max_iter=10).fit(*multilabel_data())
    if kind == "regression":
        return small_reg(max_iter=10).fit(*regression_data())
    if kind == "multioutput":
        return small_reg(max_iter=10).fit(*regression_data(n_targets=2))
    raise AssertionError(kind)


def _round_trip(est, how, tmp_path):
    if how == "pickle":
        return pickle.loads(pickle.dumps(est))
    if how == "joblib":
        path = tmp_path / "est.joblib"
        joblib.dump(est, path)
        return joblib.load(path)
    if how == "deepcopy":
        return copy.deepcopy(est)
    raise AssertionError(how)


KINDS = ["binary", "multiclass", "multilabel", "regression", "multioutput"]
EXPECTED_OUT = {
    "binary": (None, 2),
    "multiclass": (None, 3),
    "multilabel": (3, 3),
    "regression": (None, None),
    "multioutput": (2, None),
}


@pytest.mark.parametrize("kind", KINDS)
def test_persistence_round_trips_give_identical_predictions(kind, tmp_path):
    est = _fitted(kind)
    X = np.random.RandomState(1).normal(size=(40, est.n_features_in_))
    pred = est.predict(X)
    pred_cols, proba_cols = EXPECTED_OUT[kind]
    assert pred.shape == ((40,) if pred_cols is None else (40, pred_cols))
    proba = est.predict_proba(X) if proba_cols else None
    if proba is not None:
        assert proba.shape == (40, proba_cols)

    for how in ("pickle", "joblib", "deepcopy"):
        loaded = _round_trip(est, how, tmp_path)
        assert loaded is not est and loaded.model_ is not est.model_
        np.testing.assert_array_equal(loaded.predict(X), pred)
        if proba is not None:
            np.testing.assert_array_equal(loaded.predict_proba(X), proba)
        assert loaded.loss_curve_ == est.loss_curve_
        assert loaded.n_iter_ == est.n_iter_ and loaded.t_ == est.t_
        assert loaded.n_outputs_ == est.n_outputs_
        for a, b in zip(loaded.coefs_, est.coefs_):
            np.testing.assert_array_equal(a, b)
        if is_classifier(est):
            np.testing.assert_array_equal(loaded.classes_, est.classes_)
        _assert_params_equal(loaded.get_params(), est.get_params())
    # pickling must not disturb the live estimator
    np.testing.assert_array_equal(est.predict(X), pred)


def test_unpickled_estimator_keeps_training():
    X, y = multiclass_data()
    est = small_clf(max_iter=10).fit(X, y)
    loaded = pickle.loads(pickle.dumps(est))
    loaded.partial_fit(X, y)
    est.partial_fit(X, y)
    assert len(loaded.loss_curve_) == len(est.loss_curve_) == 11
    np.testing.assert_allclose(
        loaded.predict_proba(X), est.predict_proba(X), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_unfitted_estimator_pickles(Est, tmp_path):
    est = Est(hidden_layer_sizes=(7, 3), dropout=0.25, l2=0.1, random_state=3)
    for how in ("pickle", "joblib", "deepcopy"):
        loaded = _round_trip(est, how, tmp_path)
        assert type(loaded) is Est
        _assert_params_equal(loaded.get_params(), est.get_params())
        with pytest.raises(NotFittedError):
            check_is_fitted(loaded)
    loaded.set_params(max_iter=3, hidden_layer_sizes=(4,))
    X, y = (binary_data if Est is MLPClassifier else regression_data)(n=60)
    loaded.fit(X, y)
    assert loaded.n_iter_ == 3


# --------------------------------------------------------------------------
# 6. warm_start
# --------------------------------------------------------------------------
def test_warm_start_continues_training():
    X, y = binary_data(n=200)
    WeightsAtTrainBegin.log.clear()
    est = small_clf(max_iter=10, warm_start=True, callbacks=[WeightsAtTrainBegin()])
    est.fit(X, y)
    first_curve = list(est.loss_curve_)
    t1 = est.t_
    weights_after_first = est.model_.get_weights()
    assert len(first_curve) == 10 and t1 == 10 * len(X)

    est.fit(X, y)
    assert len(est.loss_curve_) == 20
    assert est.loss_curve_[:10] == first_curve
    assert est.t_ == 2 * t1
    assert est.n_iter_ == 10
    assert len(est.history_["loss"]) == 20
    # the second fit started from the first fit's weights
    assert len(WeightsAtTrainBegin.log) == 2
    for w_start, w_end in zip(WeightsAtTrainBegin.log[1], weights_after_first):
        np.testing.assert_array_equal(w_start, w_end)

    fresh = small_clf(max_iter=10).fit(X, y)
    second_start = est.loss_curve_[10]
    assert second_start < fresh.loss_curve_[0]
    assert abs(second_start - first_curve[-1]) < abs(
        fresh.loss_curve_[0] - first_curve[-1]
    )
    assert est.loss_ < first_curve[-1]


def test_warm_start_with_changed_architecture_raises():
    X, y = binary_data(n=100)
    est = small_clf(max_iter=3, warm_start=True).fit(X, y)
    est.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match="architecture"):
        est.fit(X, y)


def test_warm_start_false_restarts():
    X, y = binary_data(n=100)
    est = small_clf(max_iter=5).fit(X, y)
    first = list(est.loss_curve_)
    est.fit(X, y)
    assert est.loss_curve_ == first  # same seed, fresh network: same curve
    assert est.t_ == 5 * len(X)


# --------------------------------------------------------------------------
# 7. partial_fit
# --------------------------------------------------------------------------
def test_partial_fit_requires_classes_on_first_call():
    X, y = binary_data(n=60)
    with pytest.raises(ValueError, match="classes"):
        small_clf().partial_fit(X, y)


def test_partial_fit_classifier_loss_decreases_over_calls():
    X, y = multiclass_data(n=150)
    est = small_clf()
    for i in range(12):
        est.partial_fit(X, y, classes=np.unique(y) if i == 0 else None)
        assert len(est.loss_curve_) == i + 1
        assert est.n_iter_ == 1
    assert est.t_ == 12 * len(X)
    curve = np.array(est.loss_curve_)
    assert curve[-1] < curve[0]
    assert curve[-3:].mean() < curve[:3].mean()
    assert est.score(X, y) > 0.8


def test_partial_fit_classes_superset_and_unseen_label():
    X, y = multiclass_data(n=150)
    est = small_clf()
    mask = y != 2
    est.partial_fit(X[mask], y[mask], classes=[0, 1, 2])
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert est.predict_proba(X).shape == (len(X), 3)
    est.partial_fit(X, y)  # class 2 appears later: fine, it was declared
    y_bad = y.copy()
    y_bad[:5] = 7
    with pytest.raises(ValueError, match="7"):
        est.partial_fit(X, y_bad)
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert len(est.loss_curve_) == 2


def test_partial_fit_regressor():
    X, y = regression_data(n=150)
    est = small_reg()
    for _ in range(10):
        est.partial_fit(X, y)
    assert len(est.loss_curve_) == 10
    assert est.t_ == 10 * len(X)
    assert est.n_outputs_ == 1
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    pred = est.predict(X)
    assert pred.shape == (len(X),)
    assert np.all(np.isfinite(pred))


# --------------------------------------------------------------------------
# 8. callbacks shared between fits
# --------------------------------------------------------------------------
def _shared_callbacks():
    # min_delta so large that no epoch "improves": stops after 3 epochs
    es = keras.callbacks.EarlyStopping(monitor="loss", patience=2, min_delta=10.0)
    return [es, EpochCounter()]


def test_shared_callbacks_across_clones_are_not_mutated():
    callbacks = _shared_callbacks()
    es, counter = callbacks
    es_state = _simple_state(es)
    base = small_clf(max_iter=20, callbacks=callbacks)
    EpochCounter.log.clear()

    X1, y1 = binary_data(n=100, seed=0)
    X2, y2 = binary_data(n=140, seed=1)
    est1 = clone(base).fit(X1, y1)
    history1 = copy.deepcopy(est1.history_)
    est2 = clone(base).fit(X2, y2)

    # the user's callback objects were never used for training
    assert counter.count == 0
    assert _simple_state(es) == es_state
    assert es._model is None and counter._model is None
    assert base.callbacks is callbacks and base.callbacks[0] is es
    # ... but copies of them were, once per fit, and EarlyStopping stopped it
    assert len(EpochCounter.log) == 2
    ids = [id(c) for c, _ in EpochCounter.log]
    assert len(set(ids)) == 2 and id(counter) not in ids
    for est, (_, count) in zip((est1, est2), EpochCounter.log):
        assert est.n_iter_ == 3 == count
        assert len(est.history_["loss"]) == 3
        assert est.history_["loss"] == est.loss_curve_
    # independent histories
    assert est1.history_ == history1
    assert est1.history_["loss"] != est2.history_["loss"]


def test_shared_callbacks_refitting_same_estimator():
    callbacks = _shared_callbacks()
    es, counter = callbacks
    es_state = _simple_state(es)
    est = small_clf(max_iter=20, callbacks=callbacks)
    EpochCounter.log.clear()
    X, y = binary_data(n=100)
    est.fit(X, y)
    est.fit(X, y)
    assert counter.count == 0
    assert _simple_state(es) == es_state
    assert es._model is None
    assert [c for _, c in EpochCounter.log] == [3, 3]
    assert est.n_iter_ == 3
    assert len(est.history_["loss"]) == 3  # not accumulated across fits
    assert len(est.loss_curve_) == 3


def test_shared_callbacks_in_grid_search():
    callbacks = _shared_callbacks()
    es, counter = callbacks
    es_state = _simple_state(es)
    EpochCounter.log.clear()
    X, y = binary_data(n=100)
    gs = GridSearchCV(
        small_clf(max_iter=20, callbacks=callbacks),
        {"l2": [0.0, 0.01]},
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert counter.count == 0
    assert _simple_state(es) == es_state
    assert es._model is None
    assert gs.estimator.callbacks is callbacks
    # 2 candidates x 2 folds + refit, each with its own copy of the callbacks
    assert len(EpochCounter.log) == 5
    assert [c for _, c in EpochCounter.log] == [3] * 5
    assert len({id(c) for c, _ in EpochCounter.log}) == 5
    assert gs.best_estimator_.n_iter_ == 3


# --------------------------------------------------------------------------
# 9. label types
# --------------------------------------------------------------------------
def _label_cases():
    _, codes = multiclass_data(n=150)
    return {
        "str": np.array(["cat", "ant", "bee"])[codes],
        "object_series": pd.Series(
            np.array(["cat", "ant", "bee"], dtype=object)[codes], name="y"
        ),
        "int": np.array([10, -3, 4])[codes],
        "bool": codes == 1,
        "categorical": pd.Categorical(
            np.array(["lo", "hi", "mid"])[codes], categories=["lo", "mid", "hi"]
        ),
    }


@pytest.mark.parametrize("case", list(_label_cases()))
def test_label_types_round_trip(case):
    X, _ = multiclass_data(n=150)
    y = _label_cases()[case]
    est = small_clf(max_iter=40).fit(X, y)
    y_arr = np.asarray(y)
    expected_classes = np.unique(y_arr)
    np.testing.assert_array_equal(est.classes_, expected_classes)
    pred = est.predict(X)
    assert pred.shape == (len(X),)
    assert set(pred.tolist()) <= set(expected_classes.tolist())
    if case == "bool":
        assert pred.dtype == bool
    elif case == "int":
        assert pred.dtype.kind == "i"
        assert set(pred.tolist()) == {10, -3, 4}
    else:
        assert pred.dtype.kind in "UO"
        assert all(isinstance(p, str) for p in pred)
    assert est.score(X, y) > 0.85
    np.testing.assert_array_equal(
        est.classes_[np.argmax(est.predict_proba(X), axis=1)], pred
    )


# --------------------------------------------------------------------------
# 10. drop-in script
# --------------------------------------------------------------------------
@pytest.mark.slow
def test_dropin_script_matches_sklearn():
    script = TESTS_DIR / "dropin_script.py"
    results = {}
    for impl in ("sklearn", "sktrain"):  # one after the other: 2 cores only
        proc = subprocess.run(
            [sys.executable, str(script), "--impl", impl],
            capture_output=True,
            text=True,
            cwd=REPO_DIR,
            env=_subprocess_env(),
            timeout=300,
        )
        assert proc.returncode == 0, f"{impl} failed:\n{proc.stderr[-3000:]}"
        results[impl] = json.loads(proc.stdout.strip().splitlines()[-1])
    sk, st = results["sklearn"], results["sktrain"]
    for name in ("breast_cancer", "digits", "diabetes"):
        assert st[name]["missing"] == [], (name, st[name]["missing"])
        assert sk[name]["missing"] == []
        assert st[name]["score"] >= sk[name]["score"] - 0.02, (name, sk, st)
        assert st[name]["coef_shapes"] == sk[name]["coef_shapes"]
        assert 1 <= st[name]["n_iter"] <= 200


# --------------------------------------------------------------------------
# 11. random_state and global RNG state
# --------------------------------------------------------------------------
def _seeded(seed):
    return small_clf(max_iter=10, batch_size=32, random_state=seed)


def test_same_random_state_gives_identical_models():
    X, y = binary_data(n=200)
    a = _seeded(0).fit(X, y)
    b = _seeded(0).fit(X, y)
    c = _seeded(1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))
    assert a.loss_curve_ != c.loss_curve_

    Xr, yr = regression_data(n=200)
    r1 = small_reg(max_iter=10, batch_size=32, random_state=5).fit(Xr, yr)
    r2 = small_reg(max_iter=10, batch_size=32, random_state=5).fit(Xr, yr)
    r3 = small_reg(max_iter=10, batch_size=32, random_state=6).fit(Xr, yr)
    np.testing.assert_array_equal(r1.predict(Xr), r2.predict(Xr))
    assert not np.allclose(r1.predict(Xr), r3.predict(Xr))


def test_random_state_alone_determines_fit(restore_tf_global_seed):
    """An int random_state fixes the model whatever global seeds the user set
    (as in sklearn, where np.random.seed does not change a seeded MLP)."""
    X, y = binary_data(n=200)
    tf.random.set_seed(None)
    np.random.seed(0)
    ref = _seeded(0).fit(X, y).predict_proba(X)
    np.random.seed(12345)
    np.testing.assert_array_equal(_seeded(0).fit(X, y).predict_proba(X), ref)
    for global_seed in (1, 1234):
        tf.random.set_seed(global_seed)
        np.testing.assert_array_equal(
            _seeded(0).fit(X, y).predict_proba(X), ref, err_msg=f"{global_seed=}"
        )


def test_fit_does_not_touch_global_rng_state(restore_tf_global_seed):
    X, y = binary_data(n=100)
    # NumPy's global RandomState
    np.random.seed(42)
    before = np.random.get_state()
    _seeded(0).fit(X, y)
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]

    # TensorFlow's global-seeded op stream
    tf.random.set_seed(1)
    expected = tf.random.uniform([8]).numpy()
    tf.random.set_seed(1)
    est = _seeded(0).fit(X, y)
    est.predict(X)
    got = tf.random.uniform([8]).numpy()
    np.testing.assert_array_equal(got, expected)

    # a fit with dropout (seeded Dropout layers) leaves both streams alone too
    tf.random.set_seed(1)
    np.random.seed(42)
    small_clf(max_iter=3, dropout=0.3).fit(X, y)
    np.testing.assert_array_equal(tf.random.uniform([8]).numpy(), expected)
    np.testing.assert_array_equal(np.random.get_state()[1], before[1])


# --------------------------------------------------------------------------
# 12. lazy TensorFlow import
# --------------------------------------------------------------------------
def _run_python(code):
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
        env=_subprocess_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_import_does_not_import_tensorflow():
    out = _run_python(
        "import sktrain, sys; assert 'tensorflow' not in sys.modules; print('ok')"
    )
    assert out.strip() == "ok"


def test_sklearn_meta_operations_do_not_import_tensorflow():
    code = """
import pickle, sys
import sktrain
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, check_cv

clf = sktrain.MLPClassifier(hidden_layer_sizes=(4,), dropout=0.1, metrics=["accuracy"])
reg = sktrain.MLPRegressor(l2=0.1)
for est in (clf, reg):
    params = est.get_params()
    c = clone(est)
    assert c.get_params() == params
    est.set_params(l1=0.01)
    repr(est)
    pickle.loads(pickle.dumps(est))
def build(n_features_in, units=8):
    raise AssertionError("not called")
kc = sktrain.KerasClassifier(build, units=4, optimizer__learning_rate=0.1)
kc.set_params(model__units=3, units=5)
assert clone(kc).get_params()["model__units"] == 3
for est in (kc, sktrain.KerasRegressor(), sktrain.KerasTransformer()):
    repr(clone(est))
    pickle.loads(pickle.dumps(est))
GridSearchCV(kc, {"units": [2, 4], "optimizer__learning_rate": [0.1, 0.01]})
gs = GridSearchCV(clf, {"dropout": [0.0, 0.2], "solver": ["adam", "rmsprop"]}, cv=2)
clone(gs)
gs.get_params()
assert is_classifier(gs)
check_cv(2, [0, 1, 0, 1], classifier=True)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
assert not bad, bad[:5]
print("ok")
"""
    assert _run_python(code).strip() == "ok"
