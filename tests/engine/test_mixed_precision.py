"""Mixed precision per estimator: ``dtype='mixed_bfloat16'`` / ``'mixed_float16'``.

The hidden layers compute in half precision with float32 variables, the
output layer, the loss and the predictions stay float32, 'mixed_float16'
trains with a ``LossScaleOptimizer``, and Keras' global dtype policy and
floatx never change (``_engine/dtypes.py``, ``_factory/precision.py``).
"""

import pickle
import threading
import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import sktrain
from sktrain import (
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)
from sktrain._engine import dtypes
from sktrain._engine.trace_cache import CACHE, clear_cache
from sktrain._mlp.base import BaseMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LossScaleOptimizer = keras.optimizers.LossScaleOptimizer


def user_build_fn(n_features_in, n_outputs, output_activation, dtype):
    """A build function that passes ``dtype`` to its hidden layers (the
    user guide's pattern, right for every dtype)."""
    floats = keras.DTypePolicy(dtype).variable_dtype  # float32 for a policy
    inputs = keras.Input((n_features_in,), dtype=floats)
    x = keras.layers.Dense(16, activation="relu", dtype=dtype, name="hidden")(inputs)
    out = keras.layers.Dense(
        n_outputs, activation=output_activation, dtype=floats, name="out"
    )(x)
    return keras.Model(inputs, out)


def compiling_build_fn(n_features_in, n_outputs, output_activation, dtype):
    """As ``user_build_fn``, and compiles the model itself (plain Adam)."""
    model = user_build_fn(n_features_in, n_outputs, output_activation, dtype)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    return model


def ignoring_build_fn(n_features_in, n_outputs, output_activation):
    inputs = keras.Input((n_features_in,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(n_outputs, output_activation)(x))


@pytest.fixture(scope="module")
def easy():
    """An easy binary problem (float32 X) and an easy regression problem."""
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, class_sep=2.0, random_state=0
    )
    Xr, yr = make_regression(n_samples=200, n_features=6, noise=1.0, random_state=0)
    return X.astype("float32"), y, Xr.astype("float32"), yr / np.std(yr)


MLP = dict(hidden_layer_sizes=(16,), max_iter=40, learning_rate_init=0.01)
WRAP = dict(epochs=20, optimizer__learning_rate=0.01, random_state=0)
CASES = {
    "MLPClassifier": lambda dtype: MLPClassifier(**MLP, random_state=0, dtype=dtype),
    "MLPRegressor": lambda dtype: MLPRegressor(**MLP, random_state=0, dtype=dtype),
    "KerasClassifier": lambda dtype: KerasClassifier(
        **WRAP, model__hidden_layer_sizes=(16,), dtype=dtype
    ),
    "KerasClassifier-build_fn": lambda dtype: KerasClassifier(
        user_build_fn, **WRAP, dtype=dtype
    ),
}


def _data(name, easy):
    X, y, Xr, yr = easy
    return (Xr, yr) if "Regressor" in name else (X, y)


def _global_settings():
    return keras.config.dtype_policy().name, keras.config.floatx()


def _hidden_and_output(model):
    """(the hidden layers with weights or activations, the last layer)."""
    layers = model.layers[1:]  # [0] is the input layer
    return layers[:-1], layers[-1]


@pytest.fixture(scope="module")
def fitted(easy):
    """Every case fitted once with 'mixed_bfloat16', and the global settings
    before and after."""
    before = _global_settings()
    fits = {
        name: make("mixed_bfloat16").fit(*_data(name, easy))
        for name, make in CASES.items()
    }
    return fits, before, _global_settings()


# -- the rule ------------------------------------------------------------------
def test_policy_is_a_separate_concept_from_the_float_dtype():
    X64 = np.zeros((2, 3))
    for policy, half in [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")]:
        assert dtypes.dtype_policy(policy) == policy
        assert dtypes.MIXED_POLICIES[policy] == half
        assert dtypes.compute_dtype(policy, X64, "cpu") == "float32"  # _dtype
        assert dtypes.variable_dtype(policy) == "float32"
    for plain in (None, "float32", "float64"):
        assert dtypes.dtype_policy(plain) is None
    assert dtypes.variable_dtype("float64") == "float64"


def test_as_output_casts_a_half_precision_output_to_the_network_dtype():
    import tensorflow as tf

    half = tf.constant([[0.5, 1.5]], tf.bfloat16).numpy()  # ml_dtypes' bfloat16
    out = dtypes.as_output(half, np.zeros((1, 2)), "float32", "mixed_bfloat16")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.5, 1.5]])
    # with dtype=None: X's float dtype, as for any network
    assert dtypes.as_output(half, np.zeros((1, 2)), "float32").dtype == np.float64


# -- the network ---------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_hidden_layers_compute_in_bfloat16_with_float32_variables(fitted, name):
    est = fitted[0][name]
    hidden, output = _hidden_and_output(est.model_)
    for layer in hidden:
        assert layer.compute_dtype == "bfloat16", layer.name
        assert layer.variable_dtype == "float32", layer.name
    for weight in est.model_.weights:
        assert weight.dtype == "float32"
    assert output.compute_dtype == "float32"
    assert est._dtype == "float32" and est._in_dtypes == "float32"


@pytest.mark.parametrize("name", list(CASES))
def test_an_intermediate_activation_really_is_bfloat16(fitted, easy, name):
    est = fitted[0][name]
    X, _ = _data(name, easy)
    hidden, output = _hidden_and_output(est.model_)
    sub = keras.Model(est.model_.inputs[0], hidden[-1].output)
    assert keras.backend.standardize_dtype(sub(X[:4]).dtype) == "bfloat16"
    full = est.model_(X[:4])
    assert keras.backend.standardize_dtype(full.dtype) == "float32"


@pytest.mark.parametrize("name", list(CASES))
def test_predictions_are_float32_finite_and_it_learns(fitted, easy, name):
    est = fitted[0][name]
    X, y = _data(name, easy)
    out = est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    # float64 X too: an explicit dtype decides the predictions' dtype
    X64 = X[:3].astype("float64")
    out64 = (
        est.predict_proba(X64) if hasattr(est, "predict_proba") else est.predict(X64)
    )
    assert out64.dtype == np.float32
    chance = 0.5 if "Classifier" in name else 0.0
    assert est.score(X, y) > chance + 0.3


@pytest.mark.parametrize("name", list(CASES))
def test_one_row_and_many_rows_agree(fitted, easy, name):
    """The MLP's numpy path computes in float32 only, so a mixed network
    predicts small inputs with TensorFlow too: one row, many rows and the
    traced Keras forward pass agree (to float32 rounding: the float32 output
    layer may round a row differently in a batch, while numpy's float32
    hidden layers differ from bfloat16 ones by ~1e-4)."""
    import tensorflow as tf

    est = fitted[0][name]
    X, _ = _data(name, easy)
    if name.startswith("MLP"):  # no numpy plan: TensorFlow for every input
        assert est._predictor._plan is None
    predict = est.predict_proba if hasattr(est, "predict_proba") else est.predict
    many = predict(X)
    for i in (0, 7, 100):
        np.testing.assert_allclose(predict(X[i : i + 1]), many[i : i + 1], atol=1e-6)
    forward = tf.function(lambda x: est.model_(x, training=False))
    keras_out = np.asarray(forward(X[:1]))
    if "Regressor" in name:
        keras_out = keras_out.ravel()
    elif keras_out.shape[1] == 1:  # one sigmoid unit: [1 - p, p]
        keras_out = np.hstack([1 - keras_out, keras_out])
    np.testing.assert_allclose(predict(X[:1]), keras_out, rtol=0, atol=1e-6)


def test_fit_and_predict_leave_the_global_policy_and_floatx(fitted):
    _, before, after = fitted
    assert after == before


# -- persistence -----------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("how", ["save", "pickle"])
def test_save_load_and_pickle_keep_the_policy(fitted, easy, name, how, tmp_path):
    est = fitted[0][name]
    X, _ = _data(name, easy)
    before = _global_settings()
    if how == "save":
        with warnings.catch_warnings():  # a build function loads by name only
            warnings.simplefilter("ignore", UserWarning)
            other = sktrain.load(est.save(tmp_path / "m.sktrain"))
    else:
        other = pickle.loads(pickle.dumps(est))
    assert _global_settings() == before
    hidden, output = _hidden_and_output(other.model_)
    assert [layer.compute_dtype for layer in hidden] == ["bfloat16"] * len(hidden)
    assert output.compute_dtype == "float32"
    predict = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(other, predict)(X), getattr(est, predict)(X))
    np.testing.assert_array_equal(
        getattr(other, predict)(X[:1]), getattr(est, predict)(X[:1])
    )
    assert _global_settings() == before


# -- mixed_float16: dynamic loss scaling -----------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPClassifier((8,), max_iter=3, random_state=0, dtype="mixed_float16"),
        lambda: KerasClassifier(
            epochs=2,
            random_state=0,
            model__hidden_layer_sizes=(8,),
            dtype="mixed_float16",
        ),
        lambda: KerasClassifier(
            compiling_build_fn,
            loss=None,
            epochs=2,
            random_state=0,
            dtype="mixed_float16",
        ),
    ],
    ids=["MLPClassifier", "KerasClassifier", "KerasClassifier-compiled-by-build_fn"],
)
def test_mixed_float16_trains_with_a_loss_scale_optimizer(make, easy, tmp_path):
    X, y, _, _ = easy
    before = _global_settings()
    est = make().fit(X, y)
    assert isinstance(est.model_.optimizer, LossScaleOptimizer)
    # the loss scale is a variable of the optimizer, saved with it
    scale = float(est.model_.optimizer.dynamic_scale.numpy())
    assert scale > 0 and np.log2(scale) == int(np.log2(scale))
    hidden, output = _hidden_and_output(est.model_)
    assert {layer.compute_dtype for layer in hidden} == {"float16"}
    assert output.compute_dtype == "float32"
    proba = est.predict_proba(X)
    assert proba.dtype == np.float32 and np.all(np.isfinite(proba))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = sktrain.load(est.save(tmp_path / "f16.sktrain"))
    assert isinstance(loaded.model_.optimizer, LossScaleOptimizer)
    assert float(loaded.model_.optimizer.dynamic_scale.numpy()) == scale
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    assert _global_settings() == before


def test_float16_loss_scaling_keeps_an_underflowing_gradient():
    """The first kernel's float16 gradient of a tiny loss underflows to 0;
    the estimator's LossScaleOptimizer scales the loss so it does not."""
    import tensorflow as tf

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(64, 3)).astype("float32"), np.zeros(64, "float32")
    reg = MLPRegressor(
        hidden_layer_sizes=(4,),
        alpha=0.0,  # its float32 gradient would not underflow
        max_iter=1,
        random_state=0,
        dtype="mixed_float16",
    ).fit(X, y)
    model, optimizer = reg.model_, reg.model_.optimizer
    assert isinstance(optimizer, LossScaleOptimizer)
    x = tf.constant(X * 1e-4)
    target = model(x) + 1e-5  # errors of 1e-5: a loss of 5e-11
    kernel = model.layers[1].kernel
    with tf.GradientTape(persistent=True) as tape:
        loss = model.compute_loss(x, target, model(x, training=True))
        scaled = optimizer.scale_loss(loss)
    plain = np.asarray(tape.gradient(loss, kernel))
    recovered = np.asarray(tape.gradient(scaled, kernel)) / optimizer.dynamic_scale
    assert np.all(plain == 0)  # underflow in float16
    assert np.count_nonzero(recovered) > 0


# -- loss, penalties ----------------------------------------------------------------
def test_alpha_and_l2_penalties_are_float32_and_exact(easy):
    _, _, Xr, yr = easy
    reg = MLPRegressor(
        hidden_layer_sizes=(8,),
        alpha=0.5,
        l2=0.01,
        max_iter=2,
        random_state=0,
        dtype="mixed_bfloat16",
    ).fit(Xr, yr)
    model = reg.model_
    x, y = Xr[:32], yr[:32].reshape(-1, 1).astype("float32")
    y_pred = model(x)
    loss = model.compute_loss(x, y, y_pred)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    kernels = [np.asarray(k, dtype=np.float64) for k in reg.coefs_]
    squares = sum(float(np.sum(k**2)) for k in kernels)
    data = 0.5 * np.mean((np.asarray(y_pred, np.float64) - y) ** 2)
    expected = data + 0.5 * 0.5 * squares / 32 + 0.01 * squares
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


# -- the trace cache -----------------------------------------------------------------
def test_trace_cache_keys_on_the_policy(easy, monkeypatch):
    X, y, _, _ = easy
    clear_cache()
    plain = MLPClassifier((8,), max_iter=3, random_state=0, dtype="float32").fit(X, y)
    mixed = MLPClassifier((8,), max_iter=3, random_state=0, dtype="mixed_bfloat16")
    mixed.fit(X, y)
    assert plain._cache_key() != mixed._cache_key()
    again = MLPClassifier((8,), max_iter=3, random_state=0, dtype="mixed_bfloat16")
    hits = CACHE.hits
    again.fit(X, y)
    assert CACHE.hits == hits + 1  # a twin of its own policy
    monkeypatch.setattr(BaseMLP, "_trace_key", lambda self: None)
    uncached = MLPClassifier((8,), max_iter=3, random_state=0, dtype="mixed_bfloat16")
    uncached.fit(X, y)
    for a, b in zip(again.coefs_, uncached.coefs_):
        np.testing.assert_array_equal(a, b)
    assert plain.loss_curve_ != mixed.loss_curve_  # bfloat16 arithmetic
    assert mixed.loss_curve_ == again.loss_curve_


def test_loss_scaled_twins_share_a_trace_across_learning_rates(easy):
    X, y, _, _ = easy
    a = MLPClassifier((8,), max_iter=1, random_state=0, dtype="mixed_float16")
    b = MLPClassifier(
        (8,), max_iter=1, random_state=0, dtype="mixed_float16", learning_rate_init=0.1
    )
    assert a.fit(X, y)._cache_key() == b.fit(X, y)._cache_key()


# -- nothing global ---------------------------------------------------------------
def test_a_users_global_policy_is_neither_used_nor_changed(easy):
    """sktrain's layers take their policy by name: a thread's global mixed
    policy (Keras keeps it per thread) does not leak into a float32
    estimator, and a mixed estimator fitted in another thread leaves this
    thread's policy alone."""
    X, y, _, _ = easy
    result = {}

    def in_thread():
        keras.config.set_dtype_policy("mixed_float16")  # this thread only
        try:
            est = MLPClassifier((8,), max_iter=2, random_state=0, dtype="float32")
            layers = est.fit(X, y).model_.layers[1:]  # [0]: the input
            result["layers"] = [layer.compute_dtype for layer in layers]
            result["policy"] = keras.config.dtype_policy().name
        finally:
            keras.config.set_dtype_policy("float32")

    before = _global_settings()
    worker = threading.Thread(target=in_thread)
    worker.start()
    MLPClassifier((8,), max_iter=2, random_state=0, dtype="mixed_bfloat16").fit(X, y)
    worker.join()
    assert result["layers"] == ["float32"] * 3
    assert result["policy"] == "mixed_float16"
    assert _global_settings() == before


# -- other paths and clear errors ------------------------------------------------------
def test_transformer_outputs_of_a_bfloat16_layer_come_back_float32(easy):
    X, _, _, _ = easy
    enc = KerasTransformer(
        epochs=2,
        random_state=0,
        model__hidden_layer_sizes=(4,),
        transform_layer="activation_1",
        dtype="mixed_bfloat16",
    ).fit(X)
    out = enc.transform(X)
    assert out.dtype == np.float32 and out.shape == (len(X), 4)
    assert np.all(np.isfinite(out))


def test_a_build_function_that_ignores_dtype_is_warned_and_stays_float32(easy):
    X, y, _, _ = easy
    est = KerasClassifier(
        ignoring_build_fn, epochs=1, random_state=0, dtype="mixed_bfloat16"
    )
    with pytest.warns(UserWarning, match="no layer of the network computes in"):
        est.fit(X, y)
    assert {layer.compute_dtype for layer in est.model_.layers} == {"float32"}
    assert est.predict_proba(X).dtype == np.float32


def policy_on_input_build_fn(n_features_in, dtype):
    inputs = keras.Input((n_features_in,), dtype=dtype)  # a policy: invalid
    return keras.Model(inputs, keras.layers.Dense(1, "sigmoid")(inputs))


def test_a_policy_given_to_keras_input_is_explained(easy):
    X, y, _, _ = easy
    est = KerasClassifier(policy_on_input_build_fn, epochs=1, dtype="mixed_bfloat16")
    before = _global_settings()
    with pytest.raises(ValueError, match="give keras.Input and the last layer a float"):
        est.fit(X, y)
    assert not hasattr(est, "model_")
    assert _global_settings() == before  # also when the build raises


@pytest.mark.parametrize("bad", ["bfloat16", "float16", "mixed_float64", "mixed"])
def test_unsupported_dtypes_are_refused_clearly(easy, bad):
    X, y, _, _ = easy
    for est in (MLPClassifier(dtype=bad), KerasClassifier(dtype=bad)):
        with pytest.raises(ValueError, match="dtype.*mixed_bfloat16"):
            est.fit(X, y)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: MLPClassifier((8,), max_iter=2, random_state=0, dtype=d),
        lambda d: KerasClassifier(epochs=1, random_state=0, dtype=d),
    ],
    ids=["MLPClassifier", "KerasClassifier"],
)
def test_warm_start_cannot_switch_the_policy(easy, make):
    X, y, _, _ = easy
    est = make("mixed_bfloat16").fit(X, y)
    est.set_params(warm_start=True, dtype="float32")
    with pytest.raises(ValueError, match="same network architecture"):
        est.fit(X, y)
    est.set_params(dtype="mixed_bfloat16").fit(X, y)  # the same policy goes on


def test_lbfgs_and_partial_fit_under_a_policy(easy):
    X, y, _, _ = easy
    lbfgs = MLPClassifier(
        (8,), solver="lbfgs", max_iter=30, random_state=0, dtype="mixed_bfloat16"
    ).fit(X, y)
    assert lbfgs.score(X, y) > 0.8
    assert lbfgs.model_.layers[1].compute_dtype == "bfloat16"
    est = KerasRegressor(epochs=1, random_state=0, dtype="mixed_bfloat16")
    _, _, Xr, yr = easy
    est.partial_fit(Xr, yr).partial_fit(Xr, yr)
    assert est.current_epoch == 2 and est.predict(Xr).dtype == np.float32


def test_convergence_warning_is_the_only_one(easy):
    X, y, _, _ = easy
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((8,), max_iter=2, random_state=0, dtype="mixed_bfloat16").fit(
            X, y
        )
