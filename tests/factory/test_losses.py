"""The training toolkit's losses: 'focal', 'huber', 'quantile' and
``label_smoothing``, for both families (formulas, training values, shapes,
persistence, the trace cache, sklearn's search tools, errors)."""

import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV

import sktrain
from sktrain import KerasClassifier, KerasRegressor, MLPClassifier, MLPRegressor
from sktrain._engine.trace_cache import CACHE, compile_key
from sktrain._factory.losses import make_loss

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# one full-batch epoch at a vanishing learning rate: ``loss_curve_[0]`` is the
# loss of the initial network, which ``predict_proba`` still computes
AT_INIT = dict(
    hidden_layer_sizes=(4,),
    alpha=0.0,
    max_iter=1,
    learning_rate_init=1e-12,
    random_state=0,
)


def _keras():
    from sktrain._engine.backend import keras

    return keras()


def _value(loss, y_true, y_pred):
    return float(np.asarray(loss(np.asarray(y_true), np.asarray(y_pred))))


def _bce(y, p):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _np_binary_focal(y, p, gamma, alpha, ls=0.0):
    """Keras' class-balanced binary focal loss, mean over labels and rows."""
    y = y * (1 - ls) + ls / 2
    p_t = y * p + (1 - y) * (1 - p)
    weight = y * alpha + (1 - y) * (1 - alpha)
    return np.mean(weight * (1 - p_t) ** gamma * _bce(y, p))


def _np_categorical_focal(y, p, gamma, alpha, ls=0.0):
    y = y * (1 - ls) + ls / y.shape[1]
    return np.mean(np.sum(alpha * (1 - p) ** gamma * -y * np.log(p), axis=1))


def _np_crossentropy(Y, P, ls):
    """Smoothed cross-entropy: one-hot rows ``Y`` (or one binary column)."""
    if Y.shape[1] == 1:
        return np.mean(_bce(Y * (1 - ls) + ls / 2, P))
    Y = Y * (1 - ls) + ls / Y.shape[1]
    return np.mean(-np.sum(Y * np.log(P), axis=1))


def _pinball(y, pred, quantiles):
    diff = y.reshape(-1, 1) - pred
    q = np.asarray(quantiles)
    return np.mean(np.maximum(q * diff, (q - 1) * diff))


# ---------------------------------------------------------------------------
# formulas
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_binary_focal_equals_numpy(ls):
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    p = np.array([[0.9], [0.3], [0.2], [0.6]])
    loss = make_loss(
        "focal",
        {"gamma": 1.5, "alpha": 0.4},
        kind="binary",
        units=1,
        dtype="float64",
        label_smoothing=ls,
    )
    assert isinstance(loss, _keras().losses.BinaryFocalCrossentropy)
    assert loss.get_config()["apply_class_balancing"] is True
    assert loss.dtype == "float64"
    expected = _np_binary_focal(y, p, gamma=1.5, alpha=0.4, ls=ls)
    assert _value(loss, y, p) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_categorical_focal_equals_numpy(ls):
    y = np.eye(3)[[0, 2, 1]]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.25, 0.25]])
    loss = make_loss(
        "focal",
        {"gamma": 3.0},
        kind="multiclass",
        units=3,
        dtype="float64",
        label_smoothing=ls,
    )
    assert isinstance(loss, _keras().losses.CategoricalFocalCrossentropy)
    expected = _np_categorical_focal(y, p, gamma=3.0, alpha=0.25, ls=ls)
    assert _value(loss, y, p) == pytest.approx(expected, rel=1e-12)


def test_focal_defaults_and_binary_target_with_softmax():
    config = make_loss("focal", kind="binary", units=1).get_config()
    assert (config["gamma"], config["alpha"]) == (2.0, 0.25)
    # a wrapper's binary model with two softmax units gets the categorical one
    two = make_loss("focal", kind="binary", units=2)
    assert isinstance(two, _keras().losses.CategoricalFocalCrossentropy)
    multilabel = make_loss("focal", kind="multilabel", units=3)
    assert isinstance(multilabel, _keras().losses.BinaryFocalCrossentropy)


@pytest.mark.parametrize("delta", [1.0, 0.5])
def test_huber_equals_numpy(delta):
    y = np.array([[0.0, 1.0], [2.0, -1.0], [0.3, 0.0]])
    pred = np.array([[0.2, 3.0], [0.0, -1.4], [0.3, 2.5]])
    params = {} if delta == 1.0 else {"delta": delta}
    loss = make_loss("huber", params, kind="regression", dtype="float64")
    err = np.abs(pred - y)
    quad = np.minimum(err, delta)
    expected = np.mean(0.5 * quad**2 + delta * (err - quad))
    assert _value(loss, y, pred) == pytest.approx(expected, rel=1e-12)
    assert loss.get_config()["delta"] == delta and loss.name == "huber"


def test_pinball_equals_numpy():
    y = np.array([[1.0], [-2.0], [0.5], [3.0]])
    pred = np.array([[0.0, 1.0, 2.0], [-1.0, -3.0, 0.0], [0.5, 0.5, 0.4], [0, 1, 5]])
    loss = make_loss(
        "quantile",
        {"quantile": [0.9, 0.1, 0.5]},  # sorted: one column per sorted level
        kind="regression",
        units=3,
        dtype="float64",
    )
    assert loss.get_config()["quantile"] == [0.1, 0.5, 0.9]
    expected = _pinball(y, pred, [0.1, 0.5, 0.9])
    assert _value(loss, y, pred) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------
# label smoothing in training
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("data", ["binary_data", "multiclass_data"])
def test_mlp_training_loss_is_the_smoothed_crossentropy(data, request):
    X, y = request.getfixturevalue(data)
    clf = MLPClassifier(label_smoothing=0.2, **AT_INIT).fit(X, y)
    assert clf.model_.loss.get_config()["label_smoothing"] == 0.2
    P = clf.predict_proba(X)
    Y = (y[:, None] == clf.classes_).astype(float)
    if len(clf.classes_) == 2:  # one sigmoid unit: the positive class's column
        Y, P = Y[:, 1:], P[:, 1:]
    else:
        assert not clf._target._sparse  # one-hot rows: smoothable
    expected = _np_crossentropy(Y, P, 0.2)
    assert clf.loss_curve_[0] == pytest.approx(expected, rel=1e-6)
    unsmoothed = _np_crossentropy(Y, P, 0.0)
    assert abs(expected - unsmoothed) > 1e-3  # the test can tell them apart


def test_wrapper_training_loss_is_the_smoothed_crossentropy(multiclass_data):
    X, y = multiclass_data
    clf = KerasClassifier(
        label_smoothing=0.1,
        optimizer="sgd",
        optimizer__learning_rate=1e-12,
        batch_size=len(X),
        epochs=1,
        random_state=0,
        model__hidden_layer_sizes=(4,),
    ).fit(X, y)
    assert clf.model_.loss.get_config()["label_smoothing"] == 0.1
    Y = (y[:, None] == clf.classes_).astype(float)
    expected = _np_crossentropy(Y, clf.predict_proba(X), 0.1)
    assert clf.history_["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_mlp_focal_training_loss_sums_over_labels():
    # sklearn's log_loss sums a multilabel target's labels; so does 'focal'
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    Y = (X[:, :3] + 0.3 * rng.randn(60, 3) > 0).astype(int)
    clf = MLPClassifier(loss="focal", loss__gamma=1.0, **AT_INIT).fit(X, Y)
    P = clf.predict_proba(X)
    expected = 3 * _np_binary_focal(Y.astype(float), P, gamma=1.0, alpha=0.25)
    assert clf.loss_curve_[0] == pytest.approx(expected, rel=1e-6)


def test_focal_class_weight_equals_sample_weight(binary_data):
    X, y = binary_data
    common = dict(loss="focal", hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    by_class = MLPClassifier(class_weight={0: 3.0, 1: 0.5}, **common).fit(X, y)
    weights = np.where(y == 0, 3.0, 0.5)
    by_sample = MLPClassifier(**common).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(by_class.loss_curve_, by_sample.loss_curve_, 1e-6)
    np.testing.assert_allclose(
        by_class.predict_proba(X), by_sample.predict_proba(X), rtol=1e-6
    )


def test_user_loss_instance_takes_label_smoothing(multiclass_data):
    keras = _keras()
    X, y = multiclass_data
    user = keras.losses.CategoricalCrossentropy()
    clf = MLPClassifier(loss=user, label_smoothing=0.2, **AT_INIT).fit(X, y)
    assert clf.model_.loss.get_config()["label_smoothing"] == 0.2
    assert user.get_config()["label_smoothing"] == 0.0  # the user's is untouched


def test_huber_and_quantile_in_float64(regression_data):
    X, y = regression_data
    for loss in ("huber", "quantile"):
        reg = MLPRegressor(loss=loss, dtype="float64", **AT_INIT).fit(X, y)
        assert reg.model_.loss.dtype == "float64"
    clf = MLPClassifier(loss="focal", dtype="float64", label_smoothing=0.1, **AT_INIT)
    assert clf.fit(X, y > 0).model_.loss.dtype == "float64"


# ---------------------------------------------------------------------------
# quantile regression
# ---------------------------------------------------------------------------
def _heteroscedastic(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.uniform(0, 2, size=n)
    y = x + rng.randn(n) * 0.5 * (1 + x)
    return x.reshape(-1, 1), y


def test_quantiles_cover_their_fractions():
    X, y = _heteroscedastic(2000, 0)
    X_test, y_test = _heteroscedastic(2000, 1)
    reg = MLPRegressor(
        loss="quantile",
        loss__quantile=[0.9, 0.1, 0.5],
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        max_iter=150,
        random_state=0,
    ).fit(X, y)
    pred = reg.predict(X_test)
    assert pred.shape == (len(X_test), 3) and reg.n_outputs_ == 3
    assert np.all(np.diff(pred, axis=1) >= 0)  # no quantile crossing
    coverage = (y_test[:, None] <= pred).mean(axis=0)
    np.testing.assert_allclose(coverage, [0.1, 0.5, 0.9], atol=0.05)
    # the spread follows the noise: wider where x is large
    width = pred[:, 2] - pred[:, 0]
    assert width[X_test[:, 0] > 1.5].mean() > 1.5 * width[X_test[:, 0] < 0.5].mean()


def test_quantile_prediction_shapes(regression_data):
    X, y = regression_data
    one = MLPRegressor(loss="quantile", loss__quantile=0.3, **AT_INIT).fit(X, y)
    assert one.predict(X).shape == (len(X),) and one.n_outputs_ == 1
    default = MLPRegressor(loss="quantile", **AT_INIT).fit(X, y)
    assert default.model_.loss.quantile == (0.5,)
    seen = {}

    def build(n_features_in, n_outputs):
        seen["n_outputs"] = n_outputs
        keras = _keras()
        return keras.Sequential(
            [keras.Input((n_features_in,)), keras.layers.Dense(n_outputs)]
        )

    reg = KerasRegressor(
        build, loss="quantile", loss__quantile=[0.25, 0.75], epochs=1, random_state=0
    ).fit(X, y)
    assert seen["n_outputs"] == 2
    pred = reg.predict(X)
    assert pred.shape == (len(X), 2) and np.all(pred[:, 0] <= pred[:, 1])


def test_quantile_decode_sorts_rows():
    from sktrain._targets import RegressionTarget

    target = RegressionTarget("est", quantiles=(0.1, 0.5, 0.9)).fit(np.zeros(3))
    out = np.array([[3.0, 1.0, 2.0], [0.0, -1.0, 5.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(target.decode(out), np.sort(out, axis=1))
    assert target.n_outputs == 3 and target.encode(np.zeros(3), "float32").shape == (
        3,
        1,
    )
    y = np.array([0.0, 1.0, 2.0])
    score = target.validation_score(y, out, None)
    expected = np.mean(
        [
            np.mean(np.maximum(q * (y - p), (q - 1) * (y - p)))
            for q, p in zip((0.1, 0.5, 0.9), np.sort(out, axis=1).T, strict=True)
        ]
    )
    assert score == pytest.approx(-expected)


# ---------------------------------------------------------------------------
# persistence, clone, search, trace cache
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPRegressor(loss="quantile", loss__quantile=[0.2, 0.8], **AT_INIT),
        lambda: MLPRegressor(loss="huber", loss__delta=0.3, **AT_INIT),
        lambda: MLPClassifier(loss="focal", loss__gamma=3.0, label_smoothing=0.1),
        lambda: KerasRegressor(loss="quantile", loss__quantile=[0.1, 0.9], epochs=2),
        lambda: KerasClassifier(loss="focal", loss__alpha=0.6, epochs=2),
    ],
    ids=["mlp-quantile", "mlp-huber", "mlp-focal", "keras-quantile", "keras-focal"],
)
def test_save_load_and_pickle_round_trip(make, tmp_path, regression_data):
    X, y = regression_data
    est = make().set_params(random_state=0)
    if hasattr(est, "hidden_layer_sizes"):
        est.set_params(hidden_layer_sizes=(4,), max_iter=3)
    est.fit(X, y > 0 if is_classifier(est) else y)
    expected = est.predict(X)
    path = tmp_path / "est.sktrain"
    est.save(path)
    for loaded in (sktrain.load(path), pickle.loads(pickle.dumps(est))):
        np.testing.assert_array_equal(loaded.predict(X), expected)
        assert loaded.get_params() == est.get_params()
        assert loaded.model_.loss.get_config() == est.model_.loss.get_config()


def test_clone_and_grid_search_over_loss_settings(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        loss="focal", loss__gamma=1.0, hidden_layer_sizes=(4,), max_iter=3
    )
    copy = clone(clf.set_params(loss__gamma=4.0, label_smoothing=0.05))
    assert copy.get_params()["loss__gamma"] == 4.0
    assert copy.get_params()["label_smoothing"] == 0.05
    grid = {"loss__gamma": [0.5, 3.0], "label_smoothing": [0.0, 0.2]}
    search = GridSearchCV(clf, grid, cv=2, error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_
    config = best.model_.loss.get_config()
    assert config["gamma"] == search.best_params_["loss__gamma"]
    assert config["label_smoothing"] == search.best_params_["label_smoothing"]
    wrapped = KerasClassifier(loss="focal", epochs=1, model__hidden_layer_sizes=(4,))
    search = GridSearchCV(
        wrapped, {"loss__gamma": [1.0, 2.5]}, cv=2, error_score="raise"
    ).fit(X, y)
    assert search.best_estimator_.model_.loss.get_config()["gamma"] in (1.0, 2.5)


def _huber(delta):
    return lambda: _keras().losses.Huber(delta=delta)  # config drops delta


@pytest.mark.parametrize(
    "first, second",
    [
        ({"loss": "focal", "loss__gamma": 1.0}, {"loss": "focal", "loss__gamma": 3.0}),
        ({"label_smoothing": 0.0}, {"label_smoothing": 0.3}),
        ({"loss": "huber"}, {"loss": "huber", "loss__delta": 0.2}),
        ({"loss": _huber(1.0)}, {"loss": _huber(0.2)}),
        (
            {"loss": "quantile", "loss__quantile": 0.2},
            {"loss": "quantile", "loss__quantile": 0.8},
        ),
    ],
    ids=["focal-gamma", "label-smoothing", "huber-delta", "keras-huber", "quantile"],
)
def test_trace_cache_keeps_loss_settings_apart(first, second):
    """Two MLPs that differ only in a loss setting never share a trace: a
    cached twin trains like a fresh fit."""
    rng = np.random.RandomState(0)
    X = rng.randn(120, 4)
    y = X[:, 0] + rng.randn(120) * 3.0
    loss = first.get("loss", "log_loss")
    cls = MLPClassifier if loss in ("focal", "log_loss") else MLPRegressor
    y = (y > 0).astype(int) if cls is MLPClassifier else y
    base = dict(
        hidden_layer_sizes=(6,),
        max_iter=5,
        batch_size=30,
        learning_rate_init=0.05,
        random_state=0,
    )

    def fit(params):
        params = {k: v() if callable(v) else v for k, v in params.items()}
        est = cls(**base, **params).fit(X, y)
        out = est.predict_proba(X) if cls is MLPClassifier else est.predict(X)
        return est, out

    sktrain.clear_cache()
    est_a, cached_a = fit(first)
    misses = CACHE.misses
    est_b, cached_b = fit(second)  # would reuse the first twin if keys matched
    assert CACHE.misses == misses + 1
    assert compile_key(est_a.model_) != compile_key(est_b.model_)
    _, again_a = fit(first)  # a cached twin of the first setting
    sktrain.clear_cache()
    _, fresh_b = fit(second)
    sktrain.clear_cache()
    _, fresh_a = fit(first)
    np.testing.assert_array_equal(cached_b, fresh_b)
    np.testing.assert_array_equal(cached_a, fresh_a)
    np.testing.assert_array_equal(again_a, fresh_a)
    assert not np.allclose(fresh_a, fresh_b)  # the settings do change the fit


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(loss="sparse_categorical_crossentropy", label_smoothing=0.1),
            "sparse loss trains on integer class codes",
        ),
        (dict(loss="hinge", label_smoothing=0.1), "has none"),
        (
            dict(loss="log_loss", label_smoothing=0.1, loss__label_smoothing=0.2),
            "already sets label_smoothing=0.2",
        ),
        (dict(loss="focal", loss__gama=1.0), "loss__gamma"),
        (dict(loss="quantile"), "MLPRegressor or KerasRegressor"),
    ],
)
def test_classifier_errors(multiclass_data, params, match):
    X, y = multiclass_data
    with pytest.raises(ValueError, match=match):
        MLPClassifier(hidden_layer_sizes=(3,), max_iter=1, **params).fit(X, y)


def test_function_loss_cannot_smooth(multiclass_data):
    keras = _keras()
    X, y = multiclass_data

    def my_loss(y_true, y_pred):
        return keras.losses.categorical_crossentropy(y_true, y_pred)

    with pytest.raises(ValueError, match="'my_loss' has none"):
        MLPClassifier(loss=my_loss, label_smoothing=0.1, **AT_INIT).fit(X, y)


def test_compiled_model_must_smooth_as_asked(binary_data):
    keras = _keras()
    X, y = binary_data

    def build(n_features_in, smoothing=0.0):
        model = keras.Sequential(
            [keras.Input((n_features_in,)), keras.layers.Dense(1, "sigmoid")]
        )
        loss = keras.losses.BinaryCrossentropy(label_smoothing=smoothing)
        model.compile(loss=loss, optimizer="sgd")
        return model

    with pytest.raises(ValueError, match="compiled the model"):
        KerasClassifier(build, label_smoothing=0.1, epochs=1).fit(X, y)
    ok = KerasClassifier(build, model__smoothing=0.1, label_smoothing=0.1, epochs=1)
    assert ok.fit(X, y).model_.loss.get_config()["label_smoothing"] == 0.1


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(loss="quantile", loss__quantile=1.5), r"float in \(0, 1\)"),
        (dict(loss="quantile", loss__quantile=[0.1, 0.0]), r"float in \(0, 1\)"),
        (dict(loss="quantile", loss__quantile=[]), "non-empty"),
        (dict(loss="quantile", loss__quantile=[0.5, 0.5]), "twice"),
        (dict(loss="quantile", loss__quantile="0.5"), r"float in \(0, 1\)"),
        (dict(loss="focal"), "classification loss"),
    ],
)
def test_regressor_errors(regression_data, params, match):
    X, y = regression_data
    for est in (
        MLPRegressor(hidden_layer_sizes=(3,), max_iter=1, **params),
        KerasRegressor(epochs=1, **params),
    ):
        with pytest.raises(ValueError, match=match):
            est.fit(X, y)


def test_quantile_refuses_multi_output_y_and_wrong_units(regression_data):
    keras = _keras()
    X, y = regression_data
    with pytest.raises(ValueError, match="one target, but y has 2 columns"):
        MLPRegressor(loss="quantile", max_iter=1).fit(X, np.c_[y, y])

    def one_unit(n_features_in):
        return keras.Sequential([keras.Input((n_features_in,)), keras.layers.Dense(1)])

    reg = KerasRegressor(one_unit, loss="quantile", loss__quantile=[0.1, 0.9])
    with pytest.raises(ValueError, match="one output unit per level"):
        reg.fit(X, y)


# ---------------------------------------------------------------------------
# docs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, names",
    [
        (MLPClassifier, ["'focal'", "loss__gamma", "loss__alpha"]),
        (KerasClassifier, ["'focal'", "loss__gamma", "loss__alpha"]),
        (MLPRegressor, ["'huber'", "loss__delta", "'quantile'", "loss__quantile"]),
        (KerasRegressor, ["'huber'", "loss__delta", "'quantile'", "loss__quantile"]),
    ],
)
def test_loss_docs_name_the_new_losses(cls, names):
    doc = inspect.getdoc(cls)
    start = doc.index("\nloss : ")
    entry = doc[start : doc.index("\n\n", start + 1)]
    for name in names:
        assert name in entry, (cls.__name__, name)
