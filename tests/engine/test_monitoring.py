"""Per-epoch 'grad_norm', 'epoch_time', 'samples_per_s' and 'lr' in history_."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import make_regression

from sktrain import KerasRegressor, MLPRegressor

X, y = make_regression(n_samples=64, n_features=4, noise=0.5, random_state=0)
y = y / y.std()


def grad_norm_at_start(est):
    """The global gradient norm of the fitted estimator's loss at its
    initial weights, computed by hand (full batch)."""
    model = est.model_
    with tf.GradientTape() as tape:
        pred = model(X, training=True)
        loss = 0.5 * tf.reduce_mean(tf.square(pred[:, 0] - y))
    grads = tape.gradient(loss, model.trainable_variables)
    return float(tf.linalg.global_norm(grads))


@pytest.mark.parametrize("clip", [None, 1e-3])
def test_grad_norm_is_the_global_norm_before_clipping(clip):
    # one full-batch step per epoch; max_iter=1 leaves the weights after one
    # step, so rebuild the initial weights from a twin fitted with lr ~ 0
    est = MLPRegressor(
        hidden_layer_sizes=(5,),
        batch_size=64,
        max_iter=1,
        alpha=0,
        solver="sgd",
        momentum=0,
        learning_rate_init=1e-12,
        clipnorm=clip,
        random_state=0,
    ).fit(X, y)
    expected = grad_norm_at_start(est)  # weights moved by 1e-12 at most
    assert est.history_["grad_norm"][0] == pytest.approx(expected, rel=1e-4)


def test_grad_norm_is_the_mean_over_the_epoch_steps_on_every_path():
    log = []

    class Norms(keras.callbacks.Callback):  # per-batch hooks: one step a call
        def on_train_batch_end(self, batch, logs=None):
            log.append(batch)

    kwargs = dict(epochs=3, batch_size=16, optimizer="sgd", random_state=0)
    fast = KerasRegressor(**kwargs).fit(X, y)
    slow = KerasRegressor(**kwargs, callbacks=[Norms()]).fit(X, y)
    np.testing.assert_allclose(
        fast.history_["grad_norm"], slow.history_["grad_norm"], rtol=1e-5
    )
    assert len(log) == 12


def test_timing_and_throughput():
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    times = np.array(est.history_["epoch_time"])
    assert np.all(times > 0)
    np.testing.assert_allclose(est.history_["samples_per_s"], 64 / times)
    np.testing.assert_allclose(est.history_["lr"], 0.001, rtol=1e-6)
