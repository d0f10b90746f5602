"""Behavioural tests of sktrain.MLPClassifier / sktrain.MLPRegressor.

Small data, small networks and few epochs keep the whole file quick on 2 CPU
cores; every test checks values (shapes, layer types, regularizer configs,
learning rates, predictions), not merely that a call returns.
"""

import concurrent.futures

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sktrain import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ---------------------------------------------------------------------------
# data and helpers
# ---------------------------------------------------------------------------
def _binary(n=120, n_features=4, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        random_state=seed,
    )
    return X, y


def _multiclass(n=150, n_features=4, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=seed,
    )
    return X, y


def _regression(n=120, n_features=4, n_targets=1, seed=0):
    X, y = make_regression(
        n_samples=n, n_features=n_features, n_targets=n_targets, random_state=seed
    )
    return X / 2.0, y / 100.0


def _keras():
    import keras

    return keras


def _layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def _dense(model):
    return _layers_of(model, _keras().layers.Dense)


def _activation_names(model):
    Activation = _keras().layers.Activation
    return [layer.get_config()["activation"] for layer in _layers_of(model, Activation)]


def _lr(est):
    return float(np.asarray(est.model_.optimizer.learning_rate))


def _is_decreasing_overall(curve):
    return curve[-1] < curve[0]


@pytest.fixture(scope="module")
def binary_data():
    return _binary()


@pytest.fixture(scope="module")
def multiclass_data():
    return _multiclass()


@pytest.fixture(scope="module")
def fitted_binary(binary_data):
    X, y = binary_data
    return MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0).fit(X, y)


# ---------------------------------------------------------------------------
# 1. model structure
# ---------------------------------------------------------------------------
def test_dropout_layers_follow_each_hidden_layer(binary_data, fitted_binary):
    X, y = binary_data
    Dropout = _keras().layers.Dropout
    clf = MLPClassifier(
        hidden_layer_sizes=(8, 4), dropout=0.3, max_iter=5, random_state=0
    ).fit(X, y)
    layers = clf.model_.layers
    drops = _layers_of(clf.model_, Dropout)
    assert len(drops) == 2
    assert all(d.rate == pytest.approx(0.3) for d in drops)
    # each Dropout comes right after a hidden activation, none after the output
    for d in drops:
        i = layers.index(d)
        assert isinstance(layers[i - 1], _keras().layers.Activation)
    assert not isinstance(layers[-1], Dropout)
    # the default dropout=0.0 adds none
    assert fitted_binary.dropout == 0.0
    assert _layers_of(fitted_binary.model_, Dropout) == []


def test_l1_l2_set_kernel_regularizer_on_every_dense(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8, 4), l1=0.01, l2=0.02, max_iter=5, random_state=0
    ).fit(X, y)
    dense = _dense(clf.model_)
    assert len(dense) == 3
    for layer in dense:
        reg = layer.kernel_regularizer
        assert reg is not None
        config = reg.get_config()
        assert config["l1"] == pytest.approx(0.01)
        assert config["l2"] == pytest.approx(0.02)
        assert layer.bias_regularizer is None
    # the penalties are part of the model's losses
    assert len(clf.model_.losses) == 3


def test_alpha_is_stored_on_model_not_as_regularizer(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), alpha=0.5, max_iter=5, random_state=0
    ).fit(X, y)
    assert clf.model_.alpha == pytest.approx(0.5)
    assert all(d.kernel_regularizer is None for d in _dense(clf.model_))


def test_alpha_shrinks_weights(binary_data):
    X, y = binary_data
    common = dict(
        hidden_layer_sizes=(16,), max_iter=40, learning_rate_init=0.05, random_state=0
    )
    free = MLPClassifier(alpha=0.0, **common).fit(X, y)
    strong = MLPClassifier(alpha=10.0, **common).fit(X, y)

    def sq_norm(est):
        return sum(float(np.sum(c**2)) for c in est.coefs_)

    assert sq_norm(strong) < 0.5 * sq_norm(free)


def test_batch_norm_adds_one_layer_per_hidden_layer(binary_data, fitted_binary):
    X, y = binary_data
    BN = _keras().layers.BatchNormalization
    clf = MLPClassifier(
        hidden_layer_sizes=(8, 6, 4), batch_norm=True, max_iter=5, random_state=0
    ).fit(X, y)
    assert len(_layers_of(clf.model_, BN)) == 3
    # each one sits between its Dense layer and the activation
    names = [layer.name for layer in clf.model_.layers]
    for i in (1, 2, 3):
        assert names.index(f"dense_{i}") + 1 == names.index(f"batch_norm_{i}")
        assert names.index(f"batch_norm_{i}") + 1 == names.index(f"activation_{i}")
    assert _layers_of(fitted_binary.model_, BN) == []


def test_hidden_layer_sizes_shape_dense_layers_and_weights(multiclass_data):
    X, y = multiclass_data
    clf = MLPClassifier(hidden_layer_sizes=(8, 4), max_iter=5, random_state=0)
    clf.fit(X, y)
    n_features, n_out = X.shape[1], 3
    assert [d.units for d in _dense(clf.model_)] == [8, 4, n_out]
    assert [c.shape for c in clf.coefs_] == [(n_features, 8), (8, 4), (4, n_out)]
    assert [b.shape for b in clf.intercepts_] == [(8,), (4,), (n_out,)]
    assert clf.n_layers_ == 4
    assert clf.n_outputs_ == n_out
    # coefs_ are views of the live keras weights
    np.testing.assert_array_equal(clf.coefs_[0], _dense(clf.model_)[0].kernel.numpy())


@pytest.mark.parametrize(
    "activation, keras_name",
    [
        ("logistic", "sigmoid"),
        ("tanh", "tanh"),
        ("identity", "linear"),
        ("gelu", "gelu"),
    ],
)
def test_activation_names(binary_data, activation, keras_name):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 5), activation=activation, max_iter=5, random_state=0
    ).fit(X, y)
    assert _activation_names(clf.model_) == [keras_name, keras_name]
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))


def test_identity_activation_network_is_linear_before_output():
    # with 'identity' hidden units, the logit is an affine function of X
    X, y = _binary()
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), activation="identity", max_iter=5, random_state=0
    ).fit(X, y)
    W1, W2 = clf.coefs_
    b1, b2 = clf.intercepts_
    logits = (X @ W1 + b1) @ W2 + b2
    expected = 1.0 / (1.0 + np.exp(-logits.ravel()))
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expected, rtol=1e-6)


def test_kernel_initializer_he_normal_is_used_and_seeded():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 50))
    y = (X[:, 0] > 0).astype(int)
    common = dict(
        hidden_layer_sizes=(64,),
        kernel_initializer="he_normal",
        max_iter=1,
        learning_rate_init=1e-9,
    )
    a = MLPClassifier(random_state=3, **common).fit(X, y)
    b = MLPClassifier(random_state=3, **common).fit(X, y)
    c = MLPClassifier(random_state=4, **common).fit(X, y)
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.coefs_[0], c.coefs_[0])
    # he_normal: std ~ sqrt(2 / fan_in); the default would give ~0.132 here
    assert np.std(a.coefs_[0]) == pytest.approx(np.sqrt(2 / 50), rel=0.1)
    default = MLPClassifier(
        hidden_layer_sizes=(64,), max_iter=1, learning_rate_init=1e-9, random_state=3
    ).fit(X, y)
    limit = np.sqrt(6 / (50 + 64))
    assert np.abs(default.coefs_[0]).max() <= limit + 1e-6


# ---------------------------------------------------------------------------
# 2. targets
# ---------------------------------------------------------------------------
def test_binary_target(fitted_binary, binary_data):
    X, y = binary_data
    clf = fitted_binary
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 1
    out = _dense(clf.model_)[-1]
    assert out.units == 1
    assert out.get_config()["activation"] == "sigmoid"
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_multiclass_target(multiclass_data):
    X, y = multiclass_data
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    clf.fit(X, y)
    assert clf.out_activation_ == "softmax"
    out = _dense(clf.model_)[-1]
    assert out.units == 3
    assert out.get_config()["activation"] == "softmax"
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), proba.argmax(axis=1))
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_multilabel_target():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 5))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0]).astype(int)
    clf = MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=40, learning_rate_init=0.02, random_state=0
    ).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    out = _dense(clf.model_)[-1]
    assert out.units == 3
    assert out.get_config()["activation"] == "sigmoid"
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 3)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    # it actually learned the labels
    assert (pred == Y).mean() > 0.8


def test_regressor_1d_and_2d_targets():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    reg.fit(X, y)
    assert reg.out_activation_ == "identity"
    assert reg.predict(X).shape == (len(X),)
    assert _dense(reg.model_)[-1].units == 1

    X2, Y2 = _regression(n_targets=3)
    reg2 = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    reg2.fit(X2, Y2)
    assert reg2.predict(X2).shape == (len(X2), 3)
    assert reg2.n_outputs_ == 3
    assert _dense(reg2.model_)[-1].units == 3


@pytest.mark.parametrize("Est", [MLPRegressor, MLPClassifier])
def test_column_vector_y_warns_and_is_raveled(Est):
    X, y = _binary(n=60) if Est is MLPClassifier else _regression(n=60)
    est = Est(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with pytest.warns(DataConversionWarning):
        est.fit(X, y.reshape(-1, 1))
    assert est.predict(X).shape == (60,)
    assert est.n_outputs_ == 1


def test_poisson_loss():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(100, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.3)).astype(float)
    reg = MLPRegressor(
        loss="poisson", hidden_layer_sizes=(8,), max_iter=10, random_state=0
    ).fit(X, y)
    assert reg.out_activation_ == "exp"
    assert _dense(reg.model_)[-1].get_config()["activation"] == "exponential"
    pred = reg.predict(X * 10)  # even far from the data
    assert pred.shape == (100,)
    assert np.all(pred > 0)

    with pytest.raises(ValueError, match="y >= 0"):
        MLPRegressor(loss="poisson", max_iter=5).fit(X, y - 5)


# ---------------------------------------------------------------------------
# 3. losses and optimizers
# ---------------------------------------------------------------------------
def test_categorical_focal_crossentropy(multiclass_data):
    X, y = multiclass_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        loss="categorical_focal_crossentropy",
        learning_rate_init=0.01,
        max_iter=15,
        random_state=0,
    ).fit(X, y)
    assert clf.model_.loss.name == "categorical_focal_crossentropy"
    assert _is_decreasing_overall(clf.loss_curve_)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "loss", ["categorical_focal_crossentropy", "categorical_crossentropy"]
)
def test_categorical_loss_on_binary_target_trains_or_raises(binary_data, loss):
    # A binary target has a single sigmoid unit; a categorical loss on one
    # column normalises the prediction to 1 and is identically 0. sktrain must
    # either train a real model or refuse the combination -- not silently fit
    # on a zero loss.
    X, y = binary_data
    common = dict(
        hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=30, random_state=0
    )
    clf = MLPClassifier(loss=loss, **common)
    try:
        clf.fit(X, y)
    except ValueError:
        return
    # (the default loss='log_loss' reaches ~0.76 with these settings)
    assert clf.loss_curve_[0] > 1e-3, "the training loss is identically ~0"
    assert clf.score(X, y) > 0.7


def test_sparse_categorical_crossentropy_equals_log_loss(multiclass_data):
    X, y = multiclass_data
    common = dict(hidden_layer_sizes=(8,), max_iter=8, random_state=0)
    sparse = MLPClassifier(loss="sparse_categorical_crossentropy", **common)
    sparse.fit(X, y)
    dense = MLPClassifier(**common).fit(X, y)
    assert "sparse" in sparse.model_.loss.name
    # the same loss on integer codes vs one-hot rows: same training
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-5, atol=1e-7
    )


def test_keras_loss_instance_is_copied_not_shared(multiclass_data):
    keras = _keras()
    X, y = multiclass_data
    user_loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), loss=user_loss, max_iter=5, random_state=0
    ).fit(X, y)
    assert clf.model_.loss is not user_loss
    assert isinstance(clf.model_.loss, keras.losses.CategoricalCrossentropy)
    assert clf.model_.loss.get_config()["label_smoothing"] == pytest.approx(0.1)
    # the parameter itself is untouched
    assert clf.loss is user_loss
    assert user_loss.get_config()["label_smoothing"] == pytest.approx(0.1)

    # an instance without extras trains exactly like the default 'log_loss'
    common = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    inst = MLPClassifier(loss=keras.losses.CategoricalCrossentropy(), **common)
    default = MLPClassifier(**common)
    np.testing.assert_allclose(
        inst.fit(X, y).loss_curve_, default.fit(X, y).loss_curve_, rtol=1e-6
    )


def test_plain_function_loss(multiclass_data):
    keras = _keras()
    X, y = multiclass_data

    def my_crossentropy(y_true, y_pred):
        return keras.losses.categorical_crossentropy(y_true, y_pred)

    common = dict(hidden_layer_sizes=(8,), max_iter=6, random_state=0)
    fn = MLPClassifier(loss=my_crossentropy, **common).fit(X, y)
    named = MLPClassifier(loss="categorical_crossentropy", **common).fit(X, y)
    assert fn.model_.loss.name == "my_crossentropy"
    np.testing.assert_allclose(fn.loss_curve_, named.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(fn.predict_proba(X), named.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize(
    "loss, keras_name",
    [("huber", "huber"), ("mae", "mean_absolute_error")],
)
def test_regressor_keras_losses(loss, keras_name):
    X, y = _regression()
    reg = MLPRegressor(
        loss=loss,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=15,
        random_state=0,
    ).fit(X, y)
    assert reg.model_.loss.name == keras_name
    assert _is_decreasing_overall(reg.loss_curve_)
    assert reg.predict(X).shape == (len(X),)
    assert reg.out_activation_ == "identity"


def test_squared_error_is_half_mse():
    # loss_curve_[0] of one full-batch epoch = 0.5 * MSE at the initial weights
    X, y = _regression(n=50)
    common = dict(
        hidden_layer_sizes=(4,), alpha=0.0, max_iter=1, learning_rate_init=1e-12
    )
    half = MLPRegressor(random_state=0, **common).fit(X, y)
    mse = MLPRegressor(loss="mse", random_state=0, **common).fit(X, y)
    assert half.loss_curve_[0] == pytest.approx(0.5 * mse.loss_curve_[0], rel=1e-6)
    pred = half.predict(X)
    assert half.loss_curve_[0] == pytest.approx(0.5 * np.mean((pred - y) ** 2), 1e-4)


@pytest.mark.parametrize(
    "solver, cls_name",
    [
        ("sgd", "SGD"),
        ("adamw", "AdamW"),
        ("rmsprop", "RMSprop"),
        ("nadam", "Nadam"),
        ("adagrad", "Adagrad"),
    ],
)
def test_named_solvers(binary_data, solver, cls_name):
    keras = _keras()
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate_init=0.05,
        max_iter=10,
        random_state=0,
    ).fit(X, y)
    opt = clf.model_.optimizer
    assert type(opt) is getattr(keras.optimizers, cls_name)
    assert _lr(clf) == pytest.approx(0.05)
    assert _is_decreasing_overall(clf.loss_curve_)


def test_sgd_uses_momentum_settings(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        momentum=0.7,
        nesterovs_momentum=False,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    config = clf.model_.optimizer.get_config()
    assert config["momentum"] == pytest.approx(0.7)
    assert config["nesterov"] is False


def test_adam_uses_sklearn_hyperparameters(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        beta_1=0.8,
        beta_2=0.99,
        epsilon=1e-6,
        learning_rate_init=0.003,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    config = clf.model_.optimizer.get_config()
    assert type(clf.model_.optimizer).__name__ == "Adam"
    assert config["beta_1"] == pytest.approx(0.8)
    assert config["beta_2"] == pytest.approx(0.99)
    assert config["epsilon"] == pytest.approx(1e-6)
    assert _lr(clf) == pytest.approx(0.003)


def test_optimizer_instance_is_copied(binary_data):
    keras = _keras()
    X, y = binary_data
    user_opt = keras.optimizers.RMSprop(learning_rate=0.005, rho=0.8)
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), solver=user_opt, max_iter=5, random_state=0
    ).fit(X, y)
    opt = clf.model_.optimizer
    assert opt is not user_opt
    assert isinstance(opt, keras.optimizers.RMSprop)
    # the instance's own settings win over learning_rate_init
    assert _lr(clf) == pytest.approx(0.005)
    assert opt.get_config()["rho"] == pytest.approx(0.8)
    # the user's optimizer was never built or stepped
    assert int(np.asarray(user_opt.iterations)) == 0
    assert int(np.asarray(opt.iterations)) > 0


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adamm"},
        {"activation": "relu6x"},
        {"activation": "rellu"},
        {"loss": "huberr"},
    ],
    ids=["solver-adamm", "activation-relu6x", "activation-rellu", "loss-huberr"],
)
def test_unknown_names_suggest_a_fix(params):
    if "loss" in params:
        X, y = _regression(n=30)
        est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, **params)
    else:
        X, y = _binary(n=30)
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, **params)
    with pytest.raises(ValueError, match="Did you mean"):
        est.fit(X, y)


def test_unknown_solver_suggests_adam(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        MLPClassifier(solver="adamm", max_iter=5).fit(X, y)


def test_clipnorm(binary_data, fitted_binary):
    keras = _keras()
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), clipnorm=1.5, max_iter=5, random_state=0
    ).fit(X, y)
    assert clf.model_.optimizer.clipnorm == pytest.approx(1.5)
    # also applied on top of an optimizer instance
    clf2 = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver=keras.optimizers.SGD(learning_rate=0.01),
        clipnorm=0.5,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    assert clf2.model_.optimizer.clipnorm == pytest.approx(0.5)
    # and absent by default
    assert fitted_binary.model_.optimizer.clipnorm is None


def test_learning_rate_init_is_optimizer_learning_rate(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), learning_rate_init=0.0123, max_iter=5, random_state=0
    ).fit(X, y)
    assert _lr(clf) == pytest.approx(0.0123)


def test_sgd_invscaling_schedule(binary_data):
    X, y = binary_data
    lr_init, power_t = 0.1, 0.5
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=lr_init,
        power_t=power_t,
        max_iter=6,
        random_state=0,
    ).fit(X, y)
    assert clf.t_ == clf.n_iter_ * len(X)
    expected = lr_init / (clf.t_ + 1) ** power_t
    assert _lr(clf) < lr_init
    assert _lr(clf) == pytest.approx(expected, rel=1e-5)


def test_invscaling_ignored_for_adam(binary_data):
    # sklearn's schedules only apply to 'sgd'
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        learning_rate="invscaling",
        learning_rate_init=0.1,
        max_iter=4,
        random_state=0,
    ).fit(X, y)
    assert _lr(clf) == pytest.approx(0.1)


def test_sgd_adaptive_divides_learning_rate_by_5(binary_data):
    X, y = binary_data
    common = dict(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.1,
        n_iter_no_change=1,
        tol=1e3,  # no epoch ever improves the loss by tol
        random_state=0,
    )
    # epoch 1 sets the best loss; epochs 2, 3 do not improve -> count 2 > 1
    clf = MLPClassifier(max_iter=3, **common).fit(X, y)
    assert clf.n_iter_ == 3
    assert _lr(clf) == pytest.approx(0.1 / 5, rel=1e-6)
    # the counter restarts: two more non-improving epochs divide again
    clf5 = MLPClassifier(max_iter=5, **common).fit(X, y)
    assert clf5.n_iter_ == 5
    assert _lr(clf5) == pytest.approx(0.1 / 25, rel=1e-6)


# ---------------------------------------------------------------------------
# 4. early stopping
# ---------------------------------------------------------------------------
def test_early_stopping_attributes(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=8, random_state=0
    ).fit(X, y)
    assert isinstance(clf.validation_scores_, list)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)
    assert clf.best_loss_ is None
    assert "val_loss" in clf.history_
    assert "val_score" in clf.history_
    assert clf.history_["val_score"] == pytest.approx(clf.validation_scores_)
    assert len(clf.history_["val_loss"]) == clf.n_iter_
    # 10% of 120 rows held out: trained on 108
    assert clf.t_ == clf.n_iter_ * 108


def test_no_early_stopping_attributes(fitted_binary):
    clf = fitted_binary
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert "val_loss" not in clf.history_
    assert clf.loss_ == clf.loss_curve_[-1]


@pytest.mark.parametrize("early_stopping", [False, True])
def test_stops_before_max_iter(binary_data, early_stopping):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        early_stopping=early_stopping,
        n_iter_no_change=2,
        tol=10.0,
        max_iter=50,
        random_state=0,
    ).fit(X, y)
    # epoch 1 is the reference; epochs 2, 3, 4 don't improve by tol -> 3 > 2
    assert clf.n_iter_ == 4
    assert len(clf.loss_curve_) == 4


def _weights_recorder(store):
    keras = _keras()

    def sink(weights):
        store.append(weights)

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.sink = sink  # a function: survives sktrain's deep copy

        def on_epoch_end(self, epoch, logs=None):
            self.sink([w.copy() for w in self.model.get_weights()])

    return Recorder()


def test_early_stopping_restores_best_weights():
    X, y = make_classification(n_samples=200, n_features=6, flip_y=0.2, random_state=1)
    saved = []
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        validation_fraction=0.2,
        learning_rate_init=0.05,
        n_iter_no_change=3,
        max_iter=40,
        callbacks=[_weights_recorder(saved)],
        random_state=0,
    ).fit(X, y)
    assert len(saved) == clf.n_iter_
    best = int(np.argmax(clf.validation_scores_))
    # a meaningful check: the best epoch is not the last one
    assert best < clf.n_iter_ - 1
    for restored, recorded in zip(clf.model_.get_weights(), saved[best]):
        np.testing.assert_array_equal(restored, recorded)
    # predictions come from the best epoch's weights, not the last epoch's
    model = clf.model_
    final_weights = model.get_weights()
    expected = clf.predict_proba(X)
    model.set_weights(saved[-1])
    last = np.asarray(model(X, training=False))
    model.set_weights(saved[best])
    at_best = np.asarray(model(X, training=False))
    model.set_weights(final_weights)
    np.testing.assert_allclose(expected[:, 1], at_best.ravel(), rtol=1e-6)
    assert not np.allclose(expected[:, 1], last.ravel())


def test_partial_fit_rejects_early_stopping(binary_data):
    X, y = binary_data
    clf = MLPClassifier(early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X, y, classes=[0, 1])
    reg = MLPRegressor(early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        reg.partial_fit(*_regression(n=30))


# ---------------------------------------------------------------------------
# 5. metrics, loss curve, counters
# ---------------------------------------------------------------------------
def test_metrics_history_and_counters(binary_data):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), metrics=["accuracy"], max_iter=7, random_state=0
    ).fit(X, y)
    assert "accuracy" in clf.history_
    assert len(clf.history_["accuracy"]) == clf.n_iter_ == 7
    assert all(0.0 <= a <= 1.0 for a in clf.history_["accuracy"])
    assert clf.loss_curve_ == clf.history_["loss"]
    assert clf.n_iter_ == len(clf.loss_curve_)
    assert clf.t_ == clf.n_iter_ * len(X)


# ---------------------------------------------------------------------------
# 6. class and sample weights
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(
        n_samples=150,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        weights=[0.85, 0.15],
        random_state=0,
    )
    return X, y


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 5.0}])
def test_class_weight_changes_model(imbalanced, class_weight):
    X, y = imbalanced
    common = dict(
        hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01, random_state=0
    )
    plain = MLPClassifier(**common).fit(X, y)
    weighted = MLPClassifier(class_weight=class_weight, **common).fit(X, y)
    p_plain, p_weighted = plain.predict_proba(X), weighted.predict_proba(X)
    assert not np.allclose(p_plain, p_weighted, atol=1e-3)
    # up-weighting the minority class raises its predicted probability
    assert p_weighted[:, 1].mean() > p_plain[:, 1].mean()


def test_class_weight_dict_equals_sample_weight(imbalanced):
    X, y = imbalanced
    common = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    cw = MLPClassifier(class_weight={1: 3.0}, **common).fit(X, y)
    sw = MLPClassifier(**common).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(cw.predict_proba(X), sw.predict_proba(X), rtol=1e-6)


def test_class_weight_unknown_class_raises(binary_data):
    X, y = binary_data
    clf = MLPClassifier(class_weight={0: 1.0, 7: 2.0}, max_iter=5)
    with pytest.raises(ValueError, match="7"):
        clf.fit(X, y)


def test_all_zero_sample_weight_raises(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="(?i)sample.weight"):
        MLPClassifier(max_iter=5).fit(X, y, sample_weight=np.zeros(len(X)))


def test_negative_sample_weight_raises(binary_data):
    X, y = binary_data
    sw = np.ones(len(X))
    sw[3] = -1.0
    with pytest.raises(ValueError, match="[Nn]egative"):
        MLPClassifier(max_iter=5).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_integer_sample_weight_equals_repeated_rows(Est):
    if Est is MLPClassifier:
        X, y = _binary(n=20, seed=2)
    else:
        X, y = _regression(n=20, seed=2)
    weights = np.array([1, 2, 3, 1, 2] * 4)
    common = dict(hidden_layer_sizes=(6,), max_iter=10, random_state=0)
    weighted = Est(**common).fit(X, y, sample_weight=weights)
    repeated = Est(**common).fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    if Est is MLPClassifier:
        a, b = weighted.predict_proba(X), repeated.predict_proba(X)
    else:
        a, b = weighted.predict(X), repeated.predict(X)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-6)
    # and they differ from unweighted training
    plain = Est(**common).fit(X, y)
    assert not np.allclose(plain.loss_curve_, weighted.loss_curve_)


def test_unit_weights_skip_weighting_with_the_same_loss(binary_data):
    """Unit weights leave the batches unweighted (the fast path); the loss,
    sklearn's L2 penalty included, is what weights of 1 would give."""
    X, y = binary_data
    est = MLPClassifier(hidden_layer_sizes=(5,), alpha=0.5, max_iter=2).fit(X, y)
    x = X[:32].astype(est.model_.dtype)
    y_true = y[:32, None].astype(x.dtype)
    y_pred = est.model_(x)
    unweighted = est.model_.compute_loss(x, y_true, y_pred, None)
    ones = np.ones(len(x), x.dtype)
    weighted = est.model_.compute_loss(x, y_true, y_pred, ones)
    np.testing.assert_allclose(float(unweighted), float(weighted), rtol=1e-12)
    est.model_.alpha = 0.0  # the penalty is part of the unweighted loss
    assert float(est.model_.compute_loss(x, y_true, y_pred, None)) < float(unweighted)


# ---------------------------------------------------------------------------
# 7. dtype
# ---------------------------------------------------------------------------
def _weight_dtypes(est):
    return {np.asarray(w).dtype for w in est.model_.get_weights()}


def test_float32_input_gives_float32_network(binary_data):
    X, y = binary_data
    X32 = X.astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    clf.fit(X32, y)
    assert _weight_dtypes(clf) == {np.dtype(np.float32)}
    assert all(c.dtype == np.float32 for c in clf.coefs_)
    proba = clf.predict_proba(X32)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # float64 X at predict time is accepted and agrees
    np.testing.assert_allclose(clf.predict_proba(X), proba, rtol=1e-5)


def test_float64_input_gives_float64_network(binary_data):
    X, y = binary_data
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    clf.fit(X, y)
    assert _weight_dtypes(clf) == {np.dtype(np.float64)}
    assert clf.predict_proba(X).dtype == np.float64


def test_dtype_float32_overrides_float64_input():
    X, y = _regression()
    reg = MLPRegressor(
        hidden_layer_sizes=(4,), dtype="float32", max_iter=5, random_state=0
    ).fit(X, y)
    assert X.dtype == np.float64
    assert _weight_dtypes(reg) == {np.dtype(np.float32)}
    assert reg.predict(X).dtype == np.float32


# ---------------------------------------------------------------------------
# 8. device
# ---------------------------------------------------------------------------
def test_device_cpu_matches_auto(binary_data):
    X, y = binary_data
    common = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    cpu = MLPClassifier(device="cpu", **common).fit(X, y)
    auto = MLPClassifier(**common).fit(X, y)
    np.testing.assert_allclose(cpu.predict_proba(X), auto.predict_proba(X), rtol=1e-6)
    kernel = _dense(cpu.model_)[0].kernel
    assert "CPU" in kernel.value.device.upper()


def _tf_gpus():
    import tensorflow as tf

    return tf.config.list_logical_devices("GPU")


@pytest.mark.parametrize("device", ["gpu", "gpu:0"])
def test_missing_gpu_raises(binary_data, device):
    if _tf_gpus():
        pytest.skip("a GPU is available")
    X, y = binary_data
    with pytest.raises(ValueError, match="GPU"):
        MLPClassifier(device=device, max_iter=5).fit(X, y)


@pytest.mark.parametrize("device", ["tpu", "gpu:x", "cuda"])
def test_invalid_device_raises(binary_data, device):
    X, y = binary_data
    with pytest.raises(ValueError, match="device"):
        MLPClassifier(device=device, max_iter=5).fit(X, y)


# ---------------------------------------------------------------------------
# 9. errors with sklearn's wording
# ---------------------------------------------------------------------------
def test_wrong_number_of_features(fitted_binary, binary_data):
    X, _ = binary_data
    msg = "X has 3 features, but MLPClassifier is expecting 4 features as input"
    with pytest.raises(ValueError, match=msg):
        fitted_binary.predict(X[:, :3])
    with pytest.raises(ValueError, match=msg):
        fitted_binary.predict_proba(X[:, :3])


def test_nan_in_X(binary_data, fitted_binary):
    X, y = binary_data
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier(max_iter=5).fit(Xn, y)
    with pytest.raises(ValueError, match="NaN"):
        fitted_binary.predict(Xn)


@pytest.mark.parametrize(
    "params",
    [
        {"dropout": 1.5},
        {"max_iter": 0},
        {"hidden_layer_sizes": (0,)},
        {"l1": -1.0},
        {"dtype": "float16"},
        {"learning_rate": "cyclic"},
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_invalid_params_raise_at_fit(binary_data, params):
    X, y = binary_data
    clf = MLPClassifier(**params)  # no validation in __init__
    for key, value in params.items():
        assert clf.get_params()[key] == value
    with pytest.raises(ValueError) as excinfo:
        clf.fit(X, y)
    assert issubclass(InvalidParameterError, ValueError)
    if "hidden_layer_sizes" not in params:
        assert isinstance(excinfo.value, InvalidParameterError)
    assert not hasattr(clf, "model_")


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_predict_before_fit(Est):
    X, _ = _binary(n=10)
    with pytest.raises(NotFittedError):
        Est().predict(X)


# ---------------------------------------------------------------------------
# 10. verbose
# ---------------------------------------------------------------------------
def test_verbose_prints_loss(binary_data, capsys):
    X, y = binary_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), verbose=True, max_iter=3, random_state=0
    ).fit(X, y)
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("Iteration")]
    assert len(lines) == 3
    assert lines[0].startswith("Iteration 1, loss = ")
    assert lines[2].startswith("Iteration 3, loss = ")
    assert float(lines[0].split("= ")[1]) == pytest.approx(clf.loss_curve_[0], 1e-6)


# ---------------------------------------------------------------------------
# 11. thread-safe prediction
# ---------------------------------------------------------------------------
def test_multithreaded_predict(multiclass_data):
    X, y = multiclass_data
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    clf.fit(X, y)
    chunks = [X[i::4] for i in range(4)] * 3
    serial_pred = [clf.predict(c) for c in chunks]
    serial_proba = [clf.predict_proba(c) for c in chunks]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        par_pred = list(pool.map(clf.predict, chunks))
        par_proba = list(pool.map(clf.predict_proba, chunks))
    for a, b in zip(serial_pred, par_pred):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(serial_proba, par_proba):
        np.testing.assert_array_equal(a, b)


def test_epoch_orders_are_the_ones_sklearn_utils_shuffle_draws():
    """The MLP draws each epoch's order without sklearn.utils.shuffle's
    parameter validation: the same draws, the same orders."""
    from sklearn.utils import shuffle

    from sktrain._mlp.base import _sklearn_orders

    ours = _sklearn_orders(37, np.random.RandomState(5))
    rng, order = np.random.RandomState(5), np.arange(37, dtype=np.int64)
    for _ in range(4):
        order = shuffle(order, random_state=rng)
        np.testing.assert_array_equal(next(ours), order)
