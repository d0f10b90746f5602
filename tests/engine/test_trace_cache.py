"""The trace cache: one traced network per architecture, same results."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, cross_val_score

import sktrain
from sktrain import MLPClassifier, MLPRegressor
from sktrain._engine.trace_cache import CACHE, TraceCache, clear_cache
from sktrain._mlp.base import BaseMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def data():
    X, y = make_classification(n_samples=240, n_features=6, random_state=0)
    return X, y


@pytest.fixture
def uncached(monkeypatch):
    """Switch the cache off: every fit traces model_'s own functions."""

    def off():
        monkeypatch.setattr(BaseMLP, "_trace_key", lambda self: None)

    return off


def _fit(X, y, **params):
    base = dict(hidden_layer_sizes=(8,), max_iter=6, batch_size=32, random_state=0)
    return MLPClassifier(**{**base, **params}).fit(X, y)


def test_cached_fit_equals_fresh_and_uncached(data, uncached):
    X, y = data
    clear_cache()
    misses = CACHE.misses
    fresh = _fit(X, y).predict_proba(X)
    assert CACHE.misses == misses + 1 and len(CACHE) == 1
    hits = CACHE.hits
    cached = _fit(X, y).predict_proba(X)
    assert CACHE.hits == hits + 1
    uncached()
    plain = _fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(cached, fresh)
    np.testing.assert_array_equal(cached, plain)


@pytest.mark.parametrize(
    "params",
    [
        dict(alpha=1e-2, learning_rate_init=3e-3),
        dict(solver="sgd", learning_rate="invscaling", momentum=0.5),
        dict(dropout=0.2, batch_norm=True),
        dict(early_stopping=True, validation_fraction=0.2, max_iter=8),
        dict(dtype="float32", l1=1e-3),
    ],
)
def test_runtime_values_and_settings_match_uncached(data, uncached, params):
    """Every setting trains like an uncached fit, whether its value is a
    runtime value of a shared trace (alpha, learning rate) or in the key."""
    X, y = data
    first = _fit(X, y, **params)
    again = _fit(X, y, **params)
    uncached()
    plain = _fit(X, y, **params)
    np.testing.assert_array_equal(first.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(again.predict_proba(X), plain.predict_proba(X))
    assert first.loss_curve_ == plain.loss_curve_
    assert first.n_iter_ == plain.n_iter_


def test_grid_points_share_one_trace(data):
    X, y = data
    clear_cache()
    misses = CACHE.misses
    for alpha in (1e-4, 1e-3):
        for lr in (1e-3, 3e-3):
            _fit(X, y, alpha=alpha, learning_rate_init=lr)
    assert CACHE.misses == misses + 1  # alpha and the learning rate are runtime
    _fit(X, y, alpha=0.0)  # no penalty term: another graph
    _fit(X, y, hidden_layer_sizes=(9,))
    assert CACHE.misses == misses + 3


def test_interleaved_architectures_in_any_order(data):
    X, y = data
    archs = [(8,), (5, 4), (8,), (5, 4), (8,)]
    seen = {}
    for i, arch in enumerate(archs):
        got = _fit(X, y, hidden_layer_sizes=arch, random_state=i % 2).predict_proba(X)
        seen.setdefault((arch, i % 2), []).append(got)
    clear_cache()  # now each from a fresh trace, in reverse order
    for i, arch in reversed(list(enumerate(archs))):
        got = _fit(X, y, hidden_layer_sizes=arch, random_state=i % 2).predict_proba(X)
        for earlier in seen[(arch, i % 2)]:
            np.testing.assert_array_equal(got, earlier)


def test_each_estimator_owns_its_model(data):
    X, y = data
    a = _fit(X, y, random_state=0)
    b = _fit(X, y, random_state=1)
    assert a.model_ is not b.model_
    before = a.predict_proba(X)
    b.partial_fit(X, y)  # trains through the same cached twin
    np.testing.assert_array_equal(a.predict_proba(X), before)
    for wa, wb in zip(a.model_.weights, b.model_.weights):
        assert wa is not wb


def test_continued_fits_match_uncached(data, uncached):
    X, y = data

    def run():
        est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
        est.fit(X, y).partial_fit(X, y)
        est.set_params(warm_start=True, alpha=1e-2).fit(X, y)
        return est.predict(X), est.n_iter_, est.model_.optimizer.iterations.numpy()

    cached = run()
    uncached()
    plain = run()
    np.testing.assert_array_equal(cached[0], plain[0])
    assert cached[1:] == plain[1:]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_parallel_threads_give_the_serial_scores(data, n_jobs):
    X, y = data
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    clear_cache()
    serial = cross_val_score(clone(est), X, y, cv=cv)
    with parallel_backend("threading"):
        parallel = cross_val_score(clone(est), X, y, cv=cv, n_jobs=n_jobs)
    np.testing.assert_array_equal(parallel, serial)
    assert 1 <= len(CACHE) <= n_jobs  # one idle twin per concurrent fit


def test_a_failed_fit_returns_its_twin(data):
    X, y = data

    class Boom(Exception):
        pass

    class Stop:
        def on_epoch_end(self, model, state, logs):
            raise Boom

    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=6, random_state=0)
    est._epoch_listeners = lambda data: [Stop()]
    clear_cache()
    with pytest.raises(Boom):
        est.fit(X, y)
    assert len(CACHE) == 1
    assert not hasattr(est, "model_")
    hits = CACHE.hits
    after = _fit(X, y).predict_proba(X)  # the twin the failed fit used
    assert CACHE.hits == hits + 1
    clear_cache()
    np.testing.assert_array_equal(after, _fit(X, y).predict_proba(X))


def test_the_cache_is_a_bounded_lru():
    cache = TraceCache(max_twins=3, max_per_key=2)
    for key, twin in [("a", 1), ("a", 2), ("a", 3), ("b", 4), ("c", 5)]:
        cache.give(key, twin)
    assert len(cache) == 3  # one "a" twin beyond max_per_key was not kept
    assert cache.take("a") == 2  # the oldest "a" twin was dropped first
    assert cache.take("a") is None
    assert (cache.hits, cache.misses) == (1, 1)
    cache.clear()
    assert len(cache) == 0


def test_clear_cache_is_public(data):
    X, y = data
    _fit(X, y)
    assert sktrain.clear_cache() >= 1
    assert len(CACHE) == 0


def test_user_callbacks_see_model_(data):
    """With a callback the fit trains model_ itself (a callback may keep it)."""
    import keras

    X, y = data
    seen = []

    class Keep(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            seen.append(self.model)

    est = _fit(X, y, callbacks=[Keep()])
    assert seen == [est.model_]


def test_no_model_keeps_the_training_data(data):
    """The train function holds the fit's data as tensors: neither model_
    nor an idle twin keeps it after the fit."""
    import keras

    X, y = data
    clear_cache()
    cached = _fit(X, y)
    plain = _fit(X, y, callbacks=[keras.callbacks.Callback()])
    (twin,) = CACHE._idle.popitem()[1]
    for model in (cached.model_, plain.model_, twin):
        assert model.train_function is None
