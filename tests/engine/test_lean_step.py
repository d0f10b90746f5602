"""The lean train step: Keras' step in fewer ops, the same numbers."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import make_classification, make_regression

from sktrain import MLPClassifier, MLPRegressor
from sktrain._engine import train_function
from sktrain._engine.lean_step import lean_train_step, lean_update
from sktrain._engine.monitoring import grad_norm_meter, meter_gradients
from sktrain._engine.trace_cache import clear_cache
from sktrain._factory.keras_objects import HalfMeanSquaredError, StepTable

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _variables(dtype, seed):
    rng = np.random.default_rng(seed)
    shapes = [(5, 4), (4,), (4, 1), (1,)]
    return [keras.Variable(rng.standard_normal(s), dtype=dtype) for s in shapes]


def _gradients(variables, step):
    rng = np.random.default_rng(100 + step)
    return [tf.constant(rng.standard_normal(v.shape), dtype=v.dtype) for v in variables]


def _run(optimizer, variables, update, steps=4):
    @tf.function(autograph=False)
    def one(step):
        grads = _gradients(variables, step)
        return update(grads) if update else optimizer.apply(grads, variables)

    for step in range(steps):
        one(step)
    return [v.numpy() for v in variables] + [o.numpy() for o in optimizer.variables]


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(1e-2, beta_1=0.8, epsilon=1e-6),
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "schedule": lambda: keras.optimizers.Adam(StepTable(0.01)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_lean_update_equals_keras_apply_bit_for_bit(name, dtype):
    results = []
    for lean in (False, True):
        optimizer, variables = OPTIMIZERS[name](), _variables(dtype, 0)
        optimizer.build(variables)
        if name == "schedule":
            optimizer.learning_rate  # noqa: B018 (the table exists)
            optimizer._learning_rate.write_rates([0.01, 0.02, 0.005], start=1)
        meter_gradients(optimizer)
        update = lean_update(optimizer, variables) if lean else None
        assert (update is not None) == lean
        results.append(_run(optimizer, variables, update))
        results[-1] += [float(v.numpy()) for v in grad_norm_meter(optimizer)]
    for keras_value, lean_value in zip(*results, strict=True):
        np.testing.assert_array_equal(lean_value, keras_value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.optimizers.Adam(amsgrad=True),
        lambda: keras.optimizers.Adam(clipnorm=1.0),
        lambda: keras.optimizers.SGD(global_clipnorm=1.0),
        lambda: keras.optimizers.Adam(weight_decay=0.01),
        lambda: keras.optimizers.Adam(use_ema=True),
        lambda: keras.optimizers.Adam(gradient_accumulation_steps=2),
        lambda: keras.optimizers.RMSprop(),
        lambda: type("MyAdam", (keras.optimizers.Adam,), {})(),
    ],
)
def test_lean_update_leaves_other_optimizers_to_keras(make):
    optimizer, variables = make(), _variables("float32", 0)
    optimizer.build(variables)
    assert lean_update(optimizer, variables) is None


def test_lean_update_leaves_constrained_variables_to_keras():
    optimizer = keras.optimizers.Adam()
    variables = _variables("float32", 0)
    variables[0].constraint = keras.constraints.NonNeg()
    optimizer.build(variables)
    assert lean_update(optimizer, variables) is None


@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")
def test_lean_update_falls_back_for_a_missing_gradient():
    results = []
    for lean in (False, True):
        optimizer, variables = keras.optimizers.Adam(0.1), _variables("float32", 1)
        optimizer.build(variables)
        update = lean_update(optimizer, variables) if lean else None
        step = _without_second_gradient(optimizer, variables, update)
        tf.function(step, autograph=False)(_gradients(variables, 0))
        results.append([v.numpy() for v in variables + optimizer.variables])
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def _without_second_gradient(optimizer, variables, update):
    def one_step(given):
        grads = [given[0], None, *given[2:]]  # unconnected, as Keras filters
        return update(grads) if update else optimizer.apply(grads, variables)

    return one_step


def _fitted(**params):
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    base = dict(hidden_layer_sizes=(7,), max_iter=1, batch_size=32, random_state=0)
    return MLPClassifier(**{**base, **params}).fit(X, y), X, y


def test_lean_step_equals_keras_train_step_bit_for_bit():
    est, X, y = _fitted(alpha=1e-2)
    models = [keras.models.clone_model(est.model_) for _ in range(2)]
    outputs = []
    for model, lean in zip(models, (False, True)):
        model.set_weights(est.model_.get_weights())
        est._compile(model)
        model.alpha = est.model_.alpha
        train_function.build_optimizer(model)
        step, logs = lean_train_step(model) if lean else (model.train_step, None)
        step = tf.function(step, autograph=False)
        data = (tf.constant(X[:50]), tf.constant(y[:50, None], tf.float64))
        for _ in range(3):
            out = step(data)
        out = logs() if lean else out
        weights = [w.numpy() for w in model.weights + model.optimizer.variables]
        outputs.append(([float(out["loss"])], *weights))
    for keras_value, lean_value in zip(*outputs, strict=True):
        np.testing.assert_array_equal(lean_value, keras_value)


def test_lean_step_only_for_networks_that_allow_it():
    est, _, _ = _fitted()
    assert lean_train_step(est.model_) is not None
    with_metrics, _, _ = _fitted(metrics=["accuracy"])
    assert lean_train_step(with_metrics.model_) is None
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    plain.compile(optimizer="adam", loss="mse")
    plain.optimizer.build(plain.trainable_variables)
    assert lean_train_step(plain) is None  # a user's model: Keras' own step


@pytest.fixture
def use_step(monkeypatch):
    """``use_step(lean)``: fits from now on trace the lean step or Keras'
    own (an empty trace cache); returns the list of lean steps made."""
    made = []

    def spy(model):
        step = lean_train_step(model)
        made.append(step)
        return step

    def use(lean):
        clear_cache()
        made.clear()
        keras_own = lambda model: None  # noqa: E731
        monkeypatch.setattr(
            train_function, "lean_train_step", spy if lean else keras_own
        )
        return made

    yield use
    clear_cache()


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(solver="sgd", momentum=0.9, nesterovs_momentum=True),
        dict(solver="sgd", momentum=0.0, learning_rate="invscaling"),
        dict(dtype="float32", alpha=1e-2, early_stopping=True),
        dict(dropout=0.2, batch_norm=True),
    ],
)
def test_mlp_fits_equal_keras_step_fits(params, use_step):
    X, y = make_classification(n_samples=150, n_features=5, random_state=1)
    weights = np.linspace(0.5, 2.0, len(y))
    base = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    fits = []
    for lean in (True, False):
        made = use_step(lean)
        fits.append(MLPClassifier(**base, **params).fit(X, y, sample_weight=weights))
        assert any(made) == lean  # the lean step ran, or Keras' own
    lean, plain = fits
    np.testing.assert_array_equal(lean.predict_proba(X), plain.predict_proba(X))
    assert lean.loss_curve_ == plain.loss_curve_
    assert lean.history_["grad_norm"] == plain.history_["grad_norm"]


def test_regressor_partial_fit_equals_keras_step(use_step):
    X, y = make_regression(n_samples=100, n_features=4, n_targets=2, random_state=0)
    runs = []
    for lean in (True, False):
        made = use_step(lean)
        est = MLPRegressor(hidden_layer_sizes=(5,), random_state=0)
        for _ in range(3):
            est.partial_fit(X, y)
        assert any(made) == lean
        runs.append((est.predict(X), est.loss_curve_))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


@pytest.mark.parametrize("outputs", [1, 3])
def test_half_squared_error_values_are_the_mean_form(outputs):
    rng = np.random.default_rng(0)
    y_true, y_pred = (rng.standard_normal((9, outputs)) for _ in range(2))
    values = HalfMeanSquaredError().call(tf.constant(y_true), tf.constant(y_pred))
    expected = 0.5 * tf.reduce_mean(tf.square(y_pred - y_true), axis=-1)
    np.testing.assert_array_equal(values.numpy(), expected.numpy())
