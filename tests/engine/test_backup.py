"""The weights a fit goes back to (``_engine/backup.py``): kept on the device
by the gather loop, on the host elsewhere; the same weights either way."""

import numpy as np
import pytest

from sktrain import MLPRegressor
from sktrain._engine import backup

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, X @ rng.normal(size=4)


class EpochWeights(keras.callbacks.Callback):
    """Keeps the weights at every epoch end (an epoch-level callback: the
    fit still runs sktrain's gather loop); interrupts after ``stop_after``
    epochs."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.stop_after, self.weights = stop_after, []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())
        EpochWeights.last = self  # the fitted copy, for the test to read
        if len(self.weights) == self.stop_after:
            raise KeyboardInterrupt


def _host_reads(monkeypatch):
    calls = []

    def counting(model):
        calls.append(1)
        return model.get_weights()

    monkeypatch.setattr(backup, "weights_to_keep", counting)
    return calls


def test_the_gather_loop_keeps_the_weights_on_the_device(monkeypatch):
    calls = _host_reads(monkeypatch)
    X, y = _data()
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    est.fit(X, y)
    assert calls == []  # no host copy per epoch
    assert est.n_iter_ == 4 and "lr" in est.history_
    np.testing.assert_allclose(est.history_["lr"], [1e-3] * 4)


def test_an_ema_fit_keeps_the_averages_on_the_host(monkeypatch):
    calls = _host_reads(monkeypatch)
    X, y = _data()
    MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, ema=0.9, random_state=0).fit(X, y)
    assert len(calls) == 3


def test_an_interrupt_after_an_epoch_keeps_that_epochs_weights():
    X, y = _data()
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    est.set_params(callbacks=[EpochWeights(stop_after=3)])
    with pytest.warns(UserWarning, match="interrupted .* after 3 completed epoch"):
        est.fit(X, y)
    assert est.n_iter_ == 3
    for got, want in zip(est.model_.get_weights(), EpochWeights.last.weights[2]):
        np.testing.assert_array_equal(got, want)


def test_device_copies_restore_only_finite_epochs():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    copies = backup.DeviceCopies(model)
    kernel = model.weights[0]
    start = kernel.numpy().copy()
    assert bool(copies.keep_if_finite(np.float32(1.0)))
    kernel.assign(np.full(start.shape, np.nan, np.float32))
    assert not bool(copies.keep_if_finite(np.float32(np.nan)))
    copies.restore()
    np.testing.assert_array_equal(kernel.numpy(), start)


def test_a_large_network_keeps_a_host_copy(monkeypatch):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(backup.device_copies(model), backup.DeviceCopies)
    monkeypatch.setattr(backup, "MAX_DEVICE_COPY_BYTES", 4 * 8 * 4)  # the kernel
    assert backup.device_copies(model) is None
