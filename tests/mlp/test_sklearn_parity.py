"""Where the MLPs compute exactly what sklearn's MLP computes.

sklearn's initial weights (``kernel_initializer='sklearn'``) from the same
seed, in float32 and float64; and, with one batch per epoch (so the shuffle
order, sktrain's own, plays no part), sklearn's loss curve: its L2 term, its
losses summed over labels or outputs.
"""

import random

import keras
import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from sktrain import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.uniform(size=(80, 6))
Y3 = np.argmax(X[:, :3], axis=1)
Y_LABELS = np.column_stack([X[:, 0] > 0.5, X[:, 1] > 0.3, X[:, 2] < 0.6]).astype(int)


class StartWeights(keras.callbacks.Callback):
    """Keeps the weights a fit starts from (on the class: fits use copies)."""

    seen = []

    def on_train_begin(self, logs=None):
        StartWeights.seen.append(self.model.get_weights())


def _start_weights(X, y, **params):
    StartWeights.seen.clear()
    MLPClassifier(max_iter=1, callbacks=[StartWeights()], **params).fit(X, y)
    kernels_and_biases = StartWeights.seen[-1]
    return kernels_and_biases[0::2], kernels_and_biases[1::2]


def _sklearn_start_weights(X, y, **params):
    """sklearn's initial weights: one step of a learning rate of 1e-12."""
    sk = SkMLPClassifier(
        solver="sgd", learning_rate_init=1e-12, momentum=0, max_iter=1, **params
    ).fit(X, y)
    return sk.coefs_, sk.intercepts_


# ---------------------------------------------------------------------------
# initial weights
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
def test_default_initial_weights_are_sklearns(activation):
    params = dict(hidden_layer_sizes=(7, 4), activation=activation, random_state=3)
    kernels, biases = _start_weights(X, Y3, **params)
    sk_kernels, sk_biases = _sklearn_start_weights(X, Y3, **params)
    for ours, theirs in zip(kernels + biases, sk_kernels + sk_biases):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    assert all(np.abs(b).max() > 0 for b in biases)  # biases are drawn too
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (6 + 7))
    assert bound / 1.2 < np.abs(kernels[0]).max() <= bound


def test_initial_weights_are_the_same_in_float32_and_float64():
    params = dict(hidden_layer_sizes=(5, 3), random_state=1)
    w64 = _start_weights(X, Y3, **params)
    w32 = _start_weights(X.astype(np.float32), Y3, **params)
    for a, b in zip(w64[0] + w64[1], w32[0] + w32[1]):
        assert a.dtype == np.float64 and b.dtype == np.float32
        np.testing.assert_array_equal(a.astype(np.float32), b)


def test_a_keras_initializer_still_initializes_the_kernels_with_zero_biases():
    kernels, biases = _start_weights(
        X, Y3, hidden_layer_sizes=(64,), kernel_initializer="he_normal", random_state=0
    )
    assert np.std(kernels[0]) == pytest.approx(np.sqrt(2 / 6), rel=0.15)
    assert all(not b.any() for b in biases)
    again, _ = _start_weights(
        X, Y3, hidden_layer_sizes=(64,), kernel_initializer="he_normal", random_state=0
    )
    np.testing.assert_array_equal(kernels[0], again[0])


def test_unknown_initializer_suggests_sklearn():
    clf = MLPClassifier(kernel_initializer="sklaern", max_iter=1)
    with pytest.raises(ValueError, match="Unknown kernel_initializer.*'sklearn'"):
        clf.fit(X, Y3)


def test_initialization_leaves_pythons_random_alone():
    state = random.getstate()
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, Y3)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, Y3)  # unseeded
    assert random.getstate() == state


def test_float32_and_float64_fits_agree():
    params = dict(hidden_layer_sizes=(5, 3), max_iter=30, random_state=1)
    a = MLPRegressor(**params).fit(X, X @ np.arange(6.0))
    b = MLPRegressor(**params).fit(X.astype(np.float32), X @ np.arange(6.0))
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-3)


# ---------------------------------------------------------------------------
# sklearn's loss, with one batch per epoch
# ---------------------------------------------------------------------------
def _full_batch(**params):
    return dict(batch_size=len(X), random_state=0, max_iter=25, **params)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_full_batch_fit_follows_sklearns_loss_curve(solver, alpha):
    params = _full_batch(
        hidden_layer_sizes=(10,), solver=solver, alpha=alpha, learning_rate_init=0.05
    )
    ours = MLPClassifier(**params).fit(X, Y3)
    theirs = SkMLPClassifier(**params).fit(X, Y3)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-4)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_multilabel_log_loss_sums_over_the_labels():
    params = _full_batch(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.2, alpha=1e-5
    )
    ours = MLPClassifier(**params).fit(X, Y_LABELS)
    theirs = SkMLPClassifier(**params).fit(X, Y_LABELS)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-3
    )


def test_poisson_sums_over_the_outputs():
    y = np.column_stack([np.exp(X[:, 0]), np.exp(X[:, 1] - X[:, 2])])
    params = _full_batch(
        hidden_layer_sizes=(6,), solver="sgd", loss="poisson", learning_rate_init=0.05
    )
    ours = MLPRegressor(**params).fit(X, y)
    theirs = SkMLPRegressor(**params).fit(X, y)
    # Keras' Poisson loss differs from sklearn's by a term of y alone, so the
    # gradients, hence the weights, are sklearn's
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4)
    curve = np.array(ours.loss_curve_) - np.array(theirs.loss_curve_)
    np.testing.assert_allclose(curve, curve[0], atol=1e-5)


def test_multilabel_validation_loss_sums_over_the_labels_too():
    from sktrain._engine.fitdata import Split

    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    clf.fit(X, Y_LABELS)
    split = Split(X, Y_LABELS, clf._target.encode(Y_LABELS, "float64"), np.ones(80))
    _, val_loss = clf._val_scorer(split)(clf.model_, {})
    p = clf.predict_proba(X)
    expected = -np.mean(
        np.sum(Y_LABELS * np.log(p) + (1 - Y_LABELS) * np.log(1 - p), axis=1)
    )
    assert val_loss == pytest.approx(expected, rel=1e-5)
