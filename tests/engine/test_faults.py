"""Training faults: a NaN loss, a KeyboardInterrupt, a failing user callback.

Whatever happens during fit, the estimator is left fitted and consistent
(weights of the last completed, finite epoch; n_iter_ and history_ saying how
far it got) or not fitted at all, never half.
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from sktrain import KerasClassifier, KerasRegressor, MLPClassifier, MLPRegressor

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=160, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def _exploding(Est):
    """A regression set-up whose loss overflows after an epoch or two."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) * 1e3
    y = X @ rng.normal(size=5) * 1e3
    if Est is MLPRegressor:
        est = MLPRegressor(
            solver="sgd", learning_rate_init=1.0, max_iter=20, random_state=0
        )
    else:
        est = KerasRegressor(
            optimizer="sgd", optimizer__learning_rate=10.0, epochs=20, random_state=0
        )
    return est, X, y


class Recorder(keras.callbacks.Callback):
    """Keeps the weights at every epoch end; raises in (epoch, batch) of this
    fit, epochs counted from 0 whatever Keras' epoch numbering."""

    def __init__(self, raise_at=None, exc=KeyboardInterrupt):
        super().__init__()
        self.raise_at, self.exc = raise_at, exc
        self.weights, self.epoch = [], -1

    def on_train_begin(self, logs=None):
        Recorder.last = self  # the fitted copy, for the test to read

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch += 1

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.raise_at:
            Recorder.last = self  # the fitted copy, for the test to read
            raise self.exc("stop")


def _make(Est, **kw):
    if Est is MLPClassifier:
        return MLPClassifier(
            hidden_layer_sizes=(8,), max_iter=5, batch_size=16, random_state=0, **kw
        )
    return KerasClassifier(epochs=5, batch_size=16, random_state=0, **kw)


@pytest.mark.parametrize("Est", [MLPRegressor, KerasRegressor])
def test_nonfinite_loss_raises_and_keeps_last_finite_weights(Est):
    est, X, y = _exploding(Est)
    with pytest.raises(ValueError, match="became NaN or infinite in epoch .*lower"):
        est.fit(X, y)
    check_is_fitted(est)
    assert np.isfinite(est.predict(X)).all()
    assert all(np.isfinite(w).all() for w in est.model_.get_weights())
    done = est.n_iter_
    assert len(est.history_.get("loss", [])) == done
    # the kept weights are those a fit stopped after `done` epochs ends with
    if done:
        short = _exploding(Est)[0].set_params(
            **({"max_iter": done} if Est is MLPRegressor else {"epochs": done})
        )
        np.testing.assert_allclose(
            short.fit(X, y).predict(X), est.predict(X), rtol=1e-6
        )


@pytest.mark.parametrize("Est", [MLPRegressor, KerasRegressor])
def test_nonfinite_loss_can_warn_instead(Est):
    est, X, y = _exploding(Est)
    est.set_params(on_nan="warn")
    with pytest.warns(RuntimeWarning, match="on_nan='warn'|became NaN"):
        est.fit(X, y)
    assert np.isfinite(est.predict(X)).all()


def test_mlp_nonfinite_error_leads_with_sklearns_sentence():
    est, X, y = _exploding(MLPRegressor)
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    message = str(info.value)
    assert message.startswith(
        "Solver produced non-finite parameter weights. The input data may "
        "contain large values and need to be preprocessed. The training loss "
        "of MLPRegressor became NaN or infinite in epoch "
    )
    assert "lower learning_rate_init" in message and "on_nan='warn'" in message
    wrapper, X, y = _exploding(KerasRegressor)
    with pytest.raises(ValueError, match="^The training loss of KerasRegressor"):
        wrapper.fit(X, y)


def _diverging_with_early_stopping(**kw):
    """sklearn's set-up for a loss that overflows after a few epochs."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, size=(150, 4))
    y = X @ np.array([0.5, -0.2, 0.8, 0.3])
    est = MLPRegressor(
        hidden_layer_sizes=(100,),
        activation="identity",
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=20,
        early_stopping=True,
        random_state=0,
        **kw,
    )
    return est, X, y


@pytest.mark.parametrize("on_nan", ["raise", "warn"])
def test_diverging_fit_with_early_stopping_ends_like_sklearn(on_nan):
    est, X, y = _diverging_with_early_stopping(on_nan=on_nan, callbacks=[Recorder()])
    with pytest.warns(RuntimeWarning, match="keeps the weights of its best valid"):
        est.fit(X, y)
    scores = est.validation_scores_
    assert 1 < est.n_iter_ < 20
    assert len(scores) == len(est.loss_curve_) == est.n_iter_
    assert np.isnan(scores[-1]) and isinstance(scores[-1], float)
    assert np.isfinite(scores[:-1]).all() and not np.isfinite(est.loss_curve_[-1])
    assert len(est.history_["val_score"]) == est.n_iter_
    assert est.best_validation_score_ == max(scores[:-1])
    best = int(np.nanargmax(scores))
    for got, want in zip(est.model_.get_weights(), Recorder.last.weights[best]):
        np.testing.assert_array_equal(got, want)
    assert np.isfinite(est.predict(X)).all()


def test_diverging_first_epoch_with_early_stopping_keeps_the_start():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(40, 2))  # overflows at once
    est = MLPRegressor(early_stopping=True, callbacks=[Recorder()], random_state=0)
    with pytest.warns(RuntimeWarning, match="weights it started this fit with"):
        est.fit(X, rng.normal(size=40))
    assert est.n_iter_ == 1 and np.isnan(est.validation_scores_).all()
    assert est.best_validation_score_ == -np.inf
    for got, want in zip(est.model_.get_weights(), Recorder.last.weights[0]):
        np.testing.assert_array_equal(got, want)  # the starting weights


@pytest.mark.parametrize("Est", [MLPClassifier, KerasClassifier])
def test_keyboard_interrupt_mid_epoch_keeps_last_completed_epoch(Est):
    X, y = _data()
    est = _make(Est, callbacks=[Recorder(raise_at=(2, 3))])
    with pytest.warns(UserWarning, match="interrupted .* after 2 completed epoch"):
        est.fit(X, y)
    assert est.n_iter_ == 2
    assert len(est.history_["loss"]) == 2
    epoch2 = Recorder.last.weights[1]  # weights at the end of epoch 2
    for got, want in zip(est.model_.get_weights(), epoch2):
        np.testing.assert_array_equal(got, want)
    proba = est.predict_proba(X)
    assert proba.shape == (160, 2) and np.isfinite(proba).all()
    # a second fit starts clean and runs to the end
    est.set_params(callbacks=None).fit(X, y)
    assert est.n_iter_ == 5 and len(est.history_["loss"]) == 5


@pytest.mark.parametrize("Est", [MLPClassifier, KerasClassifier])
def test_failing_callback_surfaces_and_leaves_no_half_fitted_estimator(Est):
    X, y = _data()
    est = _make(Est, callbacks=[Recorder(raise_at=(1, 2), exc=RuntimeError)])
    with pytest.raises(RuntimeError, match="stop"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        est.predict(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)

    # a continued fit that fails puts back the weights it started from
    warm = _make(Est, warm_start=True).fit(X, y)
    before, proba = warm.model_.get_weights(), warm.predict_proba(X)
    history = dict(warm.history_)
    warm.set_params(callbacks=[Recorder(raise_at=(1, 1), exc=RuntimeError)])
    with pytest.raises(RuntimeError):
        warm.fit(X, y)
    for got, want in zip(warm.model_.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(warm.predict_proba(X), proba)
    assert warm.history_ == history


def test_interrupt_with_early_stopping_keeps_the_best_epoch():
    X, y = _data(n=300)
    est = MLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=30,
        batch_size=16,
        early_stopping=True,
        n_iter_no_change=50,
        random_state=0,
        callbacks=[Recorder(raise_at=(6, 2))],
    )
    with pytest.warns(UserWarning, match="after 6 completed epoch"):
        est.fit(X, y)
    assert est.n_iter_ == 6 and len(est.validation_scores_) == 6
    best = int(np.argmax(est.validation_scores_))
    assert est.best_validation_score_ == max(est.validation_scores_)
    for got, want in zip(est.model_.get_weights(), Recorder.last.weights[best]):
        np.testing.assert_array_equal(got, want)
