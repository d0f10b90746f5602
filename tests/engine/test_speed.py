"""The fast paths give the results of the slow ones.

No timings here (they live in benchmarks/): each test runs a fast path and
the path it replaces and compares what they compute.
"""

import contextlib

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import without_timing
from sklearn.datasets import make_classification, make_regression

from sktrain import KerasRegressor, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class BatchHook(keras.callbacks.Callback):
    """Overrides a per-batch hook, so Keras runs one step per graph call."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def _regression(n=300):
    X, y = make_regression(n_samples=n, n_features=6, noise=1.0, random_state=0)
    return X.astype(np.float32), (y / 100).astype(np.float32)


@pytest.mark.parametrize("Est", [MLPRegressor, KerasRegressor])
def test_epoch_per_graph_call_equals_step_per_call(Est):
    """The counted whole-epoch train function trains exactly like Keras' own
    one-step-per-call function (the same batches in the same order)."""
    X, y = _regression()
    params = {"random_state": 0, "batch_size": 32}
    if Est is MLPRegressor:
        params.update(hidden_layer_sizes=(16,), max_iter=4, n_iter_no_change=99)
    else:
        params.update(epochs=4)
    # an epoch-only callback: the fit trains model_ itself (no cached twin),
    # whose steps_per_execution shows the whole-epoch function
    fast = Est(**params, callbacks=[keras.callbacks.Callback()]).fit(X, y)
    hook = BatchHook()
    slow = Est(**params, callbacks=[hook]).fit(X, y)
    assert fast.model_.steps_per_execution == 10  # ceil(300 / 32): one epoch
    assert slow.model_.steps_per_execution == 1
    for a, b in zip(fast.model_.get_weights(), slow.model_.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast.history_["loss"], slow.history_["loss"], rtol=1e-5)


def test_counted_train_function_is_reused_by_continued_fits():
    """partial_fit reuses the traced loop (of the cached twin) and trains
    like a single fit over the same epochs."""
    from sktrain._engine.trace_cache import CACHE, clear_cache

    X, y = _regression()
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    clear_cache()
    misses = CACHE.misses
    est = MLPRegressor(**params).partial_fit(X, y)
    est.partial_fit(X[:120], y[:120])  # another data size: still one trace
    assert CACHE.misses == misses + 1
    (twin,) = CACHE._idle.popitem()[1]
    assert len(twin.__dict__["_sktrain_loops"]) == 1
    once = MLPRegressor(**params, max_iter=2, shuffle=False, n_iter_no_change=99)
    twice = MLPRegressor(**params, shuffle=False).partial_fit(X, y).partial_fit(X, y)
    once.fit(X, y)
    np.testing.assert_allclose(twice.predict(X), once.predict(X), rtol=1e-5, atol=1e-6)


def test_unit_sample_weights_train_like_no_weights():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, alpha=0.1)
    plain = MLPClassifier(**params).fit(X, y)
    ones = MLPClassifier(**params).fit(X, y, sample_weight=np.ones(len(X)))
    twos = MLPClassifier(**params).fit(X, y, sample_weight=np.full(len(X), 2.0))
    np.testing.assert_array_equal(plain.predict_proba(X), ones.predict_proba(X))
    # uniform weights of 2 are weighted (the slow path): the data loss is the
    # same, sklearn's penalty is divided by sum(w), twice as large
    assert not np.allclose(plain.loss_curve_, twos.loss_curve_)
    zero = dict(params, alpha=0.0)
    a = MLPClassifier(**zero).fit(X, y)
    b = MLPClassifier(**zero).fit(X, y, sample_weight=np.full(len(X), 2.0))
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-5)


@pytest.mark.parametrize("chunk", [1, 7, 64, None])
def test_chunked_prediction_equals_one_call(chunk):
    X, y = _regression(n=150)
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y)
    whole = est.model_(X, training=False).numpy().ravel()
    got = est._predictor(X, chunk=chunk).ravel()
    np.testing.assert_allclose(got, whole, rtol=1e-5, atol=1e-6)  # float32 sums


def test_small_input_prediction_equals_model_predict():
    X, y = _regression(n=50)
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y)
    for rows in (1, 3, 50):
        slow = est.model_.predict(X[:rows], verbose=0).ravel()
        np.testing.assert_allclose(est.predict(X[:rows]), slow, rtol=1e-5, atol=1e-7)


class CustomStep(keras.Model):
    """A model with its own train_step and its own logs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)
        self.seen = keras.Variable(0.0, trainable=False)

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        import tensorflow as tf

        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            loss = keras.ops.mean(keras.ops.square(self(x)[:, 0] - y))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        self.seen.assign_add(keras.ops.cast(keras.ops.shape(x)[0], "float32"))
        return {"loss": loss, "rows_seen": self.seen.value}


def test_custom_train_step_runs_in_the_counted_loop():
    X, y = _regression(n=200)

    def build():
        model = CustomStep()
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        return model

    params = dict(model=build, epochs=3, batch_size=50, random_state=0)
    fast = KerasRegressor(**params).fit(X, y)
    slow = KerasRegressor(**params, callbacks=[BatchHook()]).fit(X, y)
    assert fast.history_["rows_seen"] == [200.0, 400.0, 600.0]
    assert slow.history_["rows_seen"] == [200.0, 400.0, 600.0]
    np.testing.assert_allclose(fast.history_["loss"], slow.history_["loss"], rtol=1e-5)


def test_a_model_made_under_a_strategy_trains_in_its_scope():
    """A build function's model made under a strategy (``distribution``
    unset) trains in that strategy's scope, through sktrain's strategy
    loop (``train_function.py``), like the same model made without one."""
    import tensorflow as tf

    X, y = _regression(n=100)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")

    def build(n_features_in, under_strategy=True):
        scope = strategy.scope() if under_strategy else contextlib.nullcontext()
        with scope:
            model = keras.Sequential(
                [keras.Input((n_features_in,)), keras.layers.Dense(1)]
            )
            model.compile(optimizer="adam", loss="mse")
        return model

    params = dict(model=build, epochs=2, batch_size=25, random_state=0)
    est = KerasRegressor(**params).fit(X, y)
    plain = KerasRegressor(**params, under_strategy=False).fit(X, y)
    assert est.model_.distribute_strategy is strategy
    assert "strategy" in vars(est.model_)["_sktrain_loops"]  # the strategy loop
    np.testing.assert_allclose(est.predict(X), plain.predict(X), rtol=1e-6)


@pytest.mark.parametrize("Est", [MLPClassifier, KerasRegressor])
def test_lean_epoch_loop_equals_keras_fit(Est):
    """Without callbacks the lean epoch loop runs (epochs.py); with an
    epoch-only callback keras.Model.fit does: the same fit, the same logs."""
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    params = {"random_state": 0, "batch_size": 32}
    if Est is MLPClassifier:
        params.update(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True)
    else:
        params.update(epochs=5, model__hidden_layer_sizes=(8,))
        y = y.astype(np.float32)
    lean = Est(**params).fit(X, y)
    keras_fit = Est(**params, callbacks=[keras.callbacks.Callback()]).fit(X, y)
    np.testing.assert_array_equal(lean.predict(X), keras_fit.predict(X))
    assert without_timing(lean.history_) == without_timing(keras_fit.history_)
    assert lean.n_iter_ == keras_fit.n_iter_


def test_lean_loop_runs_only_when_fit_needs_nothing_of_keras(monkeypatch):
    from sktrain._engine import epochs

    calls = []
    real = epochs.lean_loop
    monkeypatch.setattr(epochs, "lean_loop", lambda *a: calls.append(1) or real(*a))
    X, y = _regression(n=120)
    params = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    MLPRegressor(**params).fit(X, y)
    assert calls == [1]
    MLPRegressor(**params, callbacks=[keras.callbacks.Callback()]).fit(X, y)
    MLPRegressor(**params).fit(sp.csr_matrix(X), y)
    KerasRegressor(epochs=2, validation_split=0.2, random_state=0).fit(X, y)
    assert calls == [1]
    KerasRegressor(epochs=2, random_state=0).fit(X, y)
    # sktrain's progress is drawn between the lean loop's epochs
    KerasRegressor(epochs=2, verbose=2, random_state=0).fit(X, y)
    assert calls == [1, 1, 1]
