"""Learning-rate schedules and warmup: the recorded and the applied rates
equal the documented formulas (``_engine/schedules.py``)."""

import math

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV

import sktrain
from sktrain import KerasRegressor, MLPClassifier, MLPRegressor
from sktrain._engine.schedules import ScheduleSpec, ScheduleState, epoch_rates

X, y = make_classification(n_samples=160, n_features=6, random_state=0)
XR, YR = make_regression(n_samples=160, n_features=6, noise=1.0, random_state=0)
YR = YR / YR.std()
BASE = 0.01
STEPS = 5  # 160 rows, batch 32


def mlp(**params):
    defaults = dict(
        hidden_layer_sizes=(8,),
        batch_size=32,
        learning_rate_init=BASE,
        max_iter=8,
        random_state=0,
        tol=0,
        n_iter_no_change=10**6,
    )
    return MLPClassifier(**{**defaults, **params})


def fitted_lr(**params):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        return np.array(mlp(**params).fit(X, y).history_["lr"])


def test_step_schedule_records_its_formula():
    lr = fitted_lr(learning_rate="step", lr_step_size=3, lr_gamma=0.5)
    epochs = np.arange(8)
    np.testing.assert_allclose(lr, BASE * 0.5 ** (epochs // 3))


def test_exponential_default_gamma_is_095_per_epoch():
    lr = fitted_lr(learning_rate="exponential")
    np.testing.assert_allclose(lr, BASE * 0.95 ** np.arange(8))


def test_cosine_is_per_step_from_base_to_lr_min():
    lr = fitted_lr(learning_rate="cosine", lr_min=1e-4)
    total = 8 * STEPS
    s = np.arange(8) * STEPS  # each epoch's first step
    expected = 1e-4 + (BASE - 1e-4) * (1 + np.cos(np.pi * s / total)) / 2
    np.testing.assert_allclose(lr, expected)


def test_onecycle_rises_then_falls():
    rates = epoch_rates_of(ScheduleSpec("onecycle", BASE, run_epochs=10), 10)
    peak = int(np.argmax(rates))
    assert rates[0] == pytest.approx(BASE / 25)
    assert peak == round(0.3 * 10 * STEPS)
    assert rates[peak] == pytest.approx(BASE)
    end, last, length = BASE / 1e4, 10 * STEPS - 1 - peak, 10 * STEPS - peak
    expected = end + (BASE - end) * (1 + np.cos(np.pi * last / length)) / 2
    assert rates[-1] == pytest.approx(expected)
    assert np.all(np.diff(rates[: peak + 1]) > 0)
    assert np.all(np.diff(rates[peak:]) <= 0)


def epoch_rates_of(spec, epochs, state=None):
    state = state or ScheduleState()
    out = []
    for e in range(epochs):
        state.epoch = e
        out.append(epoch_rates(spec, state, STEPS))
    return np.concatenate(out)


@pytest.mark.parametrize("warmup, steps", [(2, 2 * STEPS), (0.25, 10)])
def test_warmup_starts_near_zero_and_reaches_the_base_rate(warmup, steps):
    rates = epoch_rates_of(ScheduleSpec("constant", BASE, 8, warmup=warmup), 8)
    np.testing.assert_allclose(rates[:steps], BASE * np.arange(1, steps + 1) / steps)
    assert rates[0] == pytest.approx(BASE / steps)
    np.testing.assert_allclose(rates[steps:], BASE)


def test_warmup_then_cosine_starts_its_clock_after_the_warmup():
    lr = fitted_lr(learning_rate="cosine", warmup=2)
    W, total = 2 * STEPS, 8 * STEPS
    assert lr[0] == pytest.approx(BASE / W)  # near zero
    assert lr[1] == pytest.approx(BASE * (STEPS + 1) / W)
    s = np.arange(2, 8) * STEPS - W
    expected = BASE * (1 + np.cos(np.pi * s / (total - W))) / 2
    np.testing.assert_allclose(lr[2:], expected)


def test_plateau_reduces_after_patience_epochs_without_improvement():
    # a rate so small that the loss cannot improve by the 1e-4 threshold
    lr = fitted_lr(
        learning_rate="plateau",
        learning_rate_init=1e-9,
        lr_patience=2,
        lr_gamma=0.5,
        solver="sgd",
        momentum=0,
    )
    # epoch 0 sets the best; 1 and 2 do not improve -> reduced from epoch 3
    factors = [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]
    np.testing.assert_allclose(lr, 1e-9 * np.array(factors))


def test_plateau_never_goes_below_lr_min():
    lr = fitted_lr(
        learning_rate="plateau",
        learning_rate_init=1e-9,
        lr_patience=0,
        lr_min=2.5e-10,
        solver="sgd",
        momentum=0,
    )
    assert lr.min() == pytest.approx(2.5e-10)


def test_callable_schedule_gets_epoch_and_current_rate():
    seen = []

    def halve(epoch, rate):
        seen.append((epoch, rate))
        return rate / 2

    lr = fitted_lr(learning_rate=halve, max_iter=4)
    np.testing.assert_allclose(lr, BASE / 2 ** np.arange(1, 5))
    assert [e for e, _ in seen] == [0, 1, 2, 3]
    assert seen[1][1] == pytest.approx(BASE / 2)


APPLIED = []  # module level: sktrain trains a deep copy of each callback


class RateLog(keras.callbacks.Callback):
    """The rate the optimizer applies at each step (read before the step)."""

    def on_train_batch_begin(self, batch, logs=None):
        APPLIED.append(float(self.model.optimizer.learning_rate))


@pytest.mark.parametrize("schedule", ["cosine", "onecycle", "step"])
def test_the_optimizer_applies_the_scheduled_rate_at_every_step(schedule):
    APPLIED.clear()
    est = KerasRegressor(
        epochs=4,
        batch_size=32,
        optimizer="sgd",
        optimizer__learning_rate=BASE,
        lr_schedule=schedule,
        lr_step_size=1,
        warmup=1,
        callbacks=[RateLog()],
        random_state=0,
    ).fit(XR, YR)
    spec = ScheduleSpec(schedule, BASE, run_epochs=4, warmup=1, step_size=1)
    expected = epoch_rates_of(spec, 4)
    np.testing.assert_allclose(APPLIED, expected, rtol=1e-6)
    np.testing.assert_allclose(est.history_["lr"], expected[::STEPS], rtol=1e-6)


def test_a_keras_learning_rate_schedule_is_evaluated_per_step():
    schedule = keras.optimizers.schedules.ExponentialDecay(BASE, 3, 0.5)
    lr = fitted_lr(learning_rate=schedule, max_iter=4)
    np.testing.assert_allclose(lr, [BASE * 0.5 ** (e * STEPS / 3) for e in range(4)])


def test_partial_fit_goes_on_along_the_schedule_and_warm_start_restarts():
    est = mlp(learning_rate="exponential", lr_gamma=0.5, max_iter=10)
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_allclose(est.history_["lr"], BASE * 0.5 ** np.arange(3))
    warm = mlp(learning_rate="exponential", lr_gamma=0.5, max_iter=3, warm_start=True)
    warm.fit(X, y)
    warm.fit(X, y)
    np.testing.assert_allclose(warm.history_["lr"], BASE * 0.5 ** np.r_[0:3, 0:3])


def test_a_cached_trace_gives_what_a_fresh_one_gives():
    sktrain.clear_cache()
    first = mlp(learning_rate="cosine", warmup=1).fit(X, y)
    cached = mlp(learning_rate="cosine", warmup=1).fit(X, y)
    sktrain.clear_cache()
    fresh = mlp(learning_rate="cosine", warmup=1).fit(X, y)
    other = mlp(learning_rate="step", learning_rate_init=0.05).fit(X, y)
    again = mlp(learning_rate="cosine", warmup=1).fit(X, y)  # after another schedule
    for est in (cached, fresh, again):
        np.testing.assert_array_equal(est.predict_proba(X), first.predict_proba(X))
    assert not np.allclose(other.predict_proba(X), first.predict_proba(X))


def test_a_schedule_survives_save_and_load(tmp_path):
    est = mlp(learning_rate="cosine", warmup=1).fit(X, y)
    path = est.save(tmp_path / "m.sktrain")
    loaded = sktrain.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert loaded._lr_state.epoch == 8
    loaded.set_params(warm_start=True, max_iter=2).fit(X, y)  # trains again


def test_grid_search_over_schedules_and_warmup():
    grid = GridSearchCV(
        mlp(max_iter=3),
        {"learning_rate": ["constant", "cosine", "step"], "warmup": [0, 1, 0.5]},
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 9
    assert not math.isnan(grid.best_score_)
    est = clone(grid.best_estimator_)
    assert est.get_params()["warmup"] == grid.best_params_["warmup"]


def test_regressor_and_wrappers_take_the_same_values():
    reg = MLPRegressor(
        hidden_layer_sizes=(4,), learning_rate="cosine", max_iter=3, random_state=0
    ).fit(XR, YR)
    assert len(reg.history_["lr"]) == 3
    wrapped = KerasRegressor(epochs=3, lr_schedule="exponential", random_state=0)
    wrapped.fit(XR, YR)
    base = wrapped.model_.optimizer._learning_rate.initial  # the rmsprop default
    np.testing.assert_allclose(wrapped.history_["lr"], base * 0.95 ** np.arange(3))


def test_clear_errors():
    with pytest.raises(ValueError, match="warmup cannot be combined"):
        mlp(learning_rate="adaptive", solver="sgd", warmup=1).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        mlp(learning_rate="cosinus").fit(X, y)
    with pytest.raises(ValueError, match="warmup"):
        mlp(warmup=1.5).fit(X, y)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5)
    with pytest.raises(ValueError, match="already has a LearningRateSchedule"):
        KerasRegressor(
            optimizer=keras.optimizers.SGD(schedule), lr_schedule="cosine"
        ).fit(XR, YR)


def test_scheduled_and_unscheduled_fits_never_share_a_twin():
    settings = [{}, {"warmup": 1}, {}, {"learning_rate": "cosine"}, {}]
    sktrain.clear_cache()
    cached = [mlp(max_iter=2, **kw).fit(X, y).predict_proba(X) for kw in settings]
    for kwargs, proba in zip(settings, cached):
        sktrain.clear_cache()
        fresh = mlp(max_iter=2, **kwargs).fit(X, y)
        np.testing.assert_array_equal(fresh.predict_proba(X), proba)


def test_one_trace_serves_every_schedule_and_base_rate():
    from sktrain._engine.trace_cache import CACHE

    sktrain.clear_cache()
    hits, misses = CACHE.hits, CACHE.misses
    for base in (1e-3, 1e-2):
        for schedule in ("cosine", "step", "plateau"):
            mlp(learning_rate=schedule, learning_rate_init=base, warmup=1).fit(X, y)
    assert (CACHE.hits - hits, CACHE.misses - misses) == (5, 1)


def test_grid_search_over_the_wrappers_lr_schedule_and_clones_share_no_state():
    from sktrain import KerasClassifier

    base = KerasClassifier(epochs=2, random_state=0)
    grid = GridSearchCV(
        base,
        {"lr_schedule": [None, "cosine", "plateau"], "warmup": [0, 1]},
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 6
    assert not hasattr(base, "model_")
    a = clone(base).set_params(lr_schedule="cosine").fit(X, y)
    b = clone(a).fit(X, y)
    assert a._lr_state is not b._lr_state
    assert a.model_.optimizer is not b.model_.optimizer
    np.testing.assert_array_equal(a.history_["lr"], b.history_["lr"])
