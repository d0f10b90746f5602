"""The one dtype rule (``_engine/dtypes.py``) on every estimator."""

import warnings

import keras
import numpy as np
import pytest

from sktrain import KerasClassifier, KerasRegressor, MLPClassifier, MLPRegressor
from sktrain._engine import dtypes


@pytest.fixture
def gpu(monkeypatch):
    """Pretend the fit runs on a GPU (the rule, not the device, is tested)."""
    monkeypatch.setattr(dtypes, "on_gpu", lambda device: True)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _network_dtype(est):
    return est.model_.layers[-1].kernel.dtype


def _ignores_dtype(n_features_in, n_outputs, output_activation):
    return keras.Sequential(
        [
            keras.Input((n_features_in,)),
            keras.layers.Dense(n_outputs, activation=output_activation),
        ]
    )


MLP = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
WRAP = dict(epochs=1, random_state=0, model__hidden_layer_sizes=(4,))


@pytest.mark.parametrize(
    "make",
    [lambda: MLPClassifier(**MLP), lambda: KerasClassifier(**WRAP)],
    ids=["MLPClassifier", "KerasClassifier"],
)
@pytest.mark.parametrize(
    "x_dtype, expected",
    [("float32", "float32"), ("float64", "float64"), ("int64", "float64")],
)
def test_cpu_follows_x_like_sklearn(binary_data, make, x_dtype, expected):
    X, y = binary_data
    est = _fit(make(), (X * 3).astype(x_dtype), y)
    assert _network_dtype(est) == expected
    proba = est.predict_proba(X.astype(x_dtype))
    assert proba.dtype == (x_dtype if x_dtype != "int64" else "float64")


@pytest.mark.parametrize(
    "make",
    [lambda d: MLPRegressor(**MLP, dtype=d), lambda d: KerasRegressor(**WRAP, dtype=d)],
    ids=["MLPRegressor", "KerasRegressor"],
)
def test_explicit_dtype_wins(regression_data, make):
    X, y = regression_data
    est = _fit(make("float32"), X, y)
    assert _network_dtype(est) == "float32"
    assert est.predict(X).dtype == np.float32  # the dtype asked for
    est = _fit(make("float64"), X.astype("float32"), y)
    assert _network_dtype(est) == "float64"
    assert est.predict(X.astype("float32")).dtype == np.float64


@pytest.mark.parametrize(
    "make",
    [
        lambda d: MLPClassifier(**MLP, dtype=d),
        lambda d: KerasClassifier(**WRAP, dtype=d),
    ],
    ids=["MLPClassifier", "KerasClassifier"],
)
def test_gpu_computes_in_float32_unless_float64_is_asked(binary_data, gpu, make):
    X, y = binary_data
    est = _fit(make(None), X, y)
    assert _network_dtype(est) == "float32"
    assert est.predict_proba(X).dtype == np.float64  # returned as X's dtype
    assert _network_dtype(_fit(make("float64"), X, y)) == "float64"


def test_build_function_that_ignores_dtype_trains_in_its_own(binary_data):
    X, y = binary_data
    est = _fit(KerasClassifier(_ignores_dtype, epochs=1, random_state=0), X, y)
    assert _network_dtype(est) == "float32"  # Keras' floatx, as documented
    assert est._dtype == "float32" and est._in_dtypes == "float32"
    assert est.predict_proba(X).dtype == np.float64


def test_build_function_receives_the_rules_dtype(binary_data):
    seen = []

    def build(n_features_in, n_outputs, output_activation, dtype):
        seen.append(dtype)
        return _ignores_dtype(n_features_in, n_outputs, output_activation)

    X, y = binary_data
    _fit(KerasClassifier(build, epochs=1), X, y)
    _fit(KerasClassifier(build, epochs=1), X.astype("float32"), y)
    _fit(KerasClassifier(build, epochs=1, dtype="float32"), X, y)
    assert seen == ["float64", "float32", "float32"]
