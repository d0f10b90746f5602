"""Learning-rate schedules and warmup: the rate of every step, on the host.

``ScheduleSpec`` is what the parameters say (``options.py``: the MLP's
``learning_rate``, the wrappers' ``lr_schedule``, ``warmup``, ``lr_*``);
``ScheduleState`` is where a run stands (its epoch, the 'plateau'
reductions, a callable's last rate), stored with the estimator so that
``partial_fit`` and a resumed checkpoint go on along the same run.
``epoch_rates(spec, state, steps)`` gives one epoch's per-step rates.

The rates reach the optimizer through ``StepTable``
(``_factory/keras_objects.py``), a Keras ``LearningRateSchedule`` that
looks the optimizer's step up in a table the engine writes before each
epoch (``LrScheduler``, an epoch listener). Keras evaluates it inside the
traced step, so every train loop (sktrain's, Keras' own, per-batch
callbacks) follows it, and the rates are runtime values: one trace serves
every schedule and base rate (``trace_cache``).
"""

import math
from dataclasses import dataclass

import numpy as np

from .._io.registry import state_class
from .callbacks import EpochListener
from .keras_compat import applying_optimizer

_DEFAULT_GAMMA = {"step": 0.1, "exponential": 0.95, "plateau": 0.1}
_ONECYCLE_RISE, _ONECYCLE_START, _ONECYCLE_END = 0.3, 25.0, 1e4


@dataclass(frozen=True)
class ScheduleSpec:
    """A learning-rate schedule as the parameters define it."""

    kind: object  # a name of SCHEDULES, a LearningRateSchedule or a callable
    base: float  # the base rate
    run_epochs: int  # the run: max_iter (MLP) / epochs (wrappers)
    warmup: float = 0  # int epochs, or a float fraction of the run
    step_size: int = 10
    gamma: float | None = None
    lr_min: float = 0.0
    patience: int = 5

    @property
    def decay(self):
        if self.gamma is not None:
            return float(self.gamma)
        return _DEFAULT_GAMMA.get(self.kind, 0.1) if isinstance(self.kind, str) else 0.1

    def warmup_steps(self, steps):
        if isinstance(self.warmup, float | np.floating) and 0 < self.warmup < 1:
            return int(round(self.warmup * self.run_epochs * steps))
        return int(self.warmup) * steps


@state_class
@dataclass
class ScheduleState:
    """Where a run stands (stored as ``_lr_state``)."""

    epoch: int = 0  # epochs of the run trained
    factor: float = 1.0  # 'plateau': product of its reductions
    best: float = math.inf  # 'plateau': best monitored value
    wait: int = 0  # 'plateau': epochs without improvement
    lr: float | None = None  # a callable's last rate


def epoch_rates(spec, state, steps):
    """The rates of the ``steps`` steps of epoch ``state.epoch`` of the run.

    A callable ``(epoch, lr) -> lr`` is called here, before the epoch, with
    the run's epoch index and its previous rate (the base rate at first),
    as Keras' ``LearningRateScheduler`` does; it is kept in ``state.lr``.
    """
    first = state.epoch * steps
    g = np.arange(first, first + steps, dtype=np.float64)  # steps of the run
    W = spec.warmup_steps(steps)
    clock = np.maximum(g - W, 0)  # the schedule's clock, in steps
    if _is_epoch_callable(spec.kind):
        previous = spec.base if state.lr is None else state.lr
        state.lr = float(spec.kind(state.epoch, previous))
        rates = np.full(steps, state.lr)
        peak = state.lr
    else:
        rates = _schedule(spec, state, clock, steps, W)
        peak = float(_schedule(spec, state, np.zeros(1), steps, W)[0])
        peak = spec.base if spec.kind == "onecycle" else peak
    if W > 0:
        rates = np.where(g < W, peak * (g + 1) / W, rates)
    return rates


def _schedule(spec, state, clock, steps, W):
    kind, base = spec.kind, spec.base
    epochs = np.floor(clock / steps)
    if _is_keras_schedule(kind):
        return _evaluate(kind, clock)
    if kind == "step":
        return base * spec.decay ** np.floor(epochs / spec.step_size)
    if kind == "exponential":
        return base * spec.decay**epochs
    if kind == "plateau":
        return np.full(len(clock), max(base * state.factor, spec.lr_min))
    total = spec.run_epochs * steps - W  # steps after the warmup
    if kind == "cosine":
        return _cosine(base, spec.lr_min, clock, total)
    if kind == "onecycle":
        end = spec.lr_min if spec.lr_min > 0 else base / _ONECYCLE_END
        if W > 0:  # the warmup was the rise
            return _cosine(base, end, clock, total)
        rise = max(int(round(_ONECYCLE_RISE * total)), 1)
        up = _cosine(base, base / _ONECYCLE_START, rise - clock, rise)
        down = _cosine(base, end, clock - rise, max(total - rise, 1))
        return np.where(clock < rise, up, down)
    return np.full(len(clock), base)  # 'constant'


def _cosine(start, end, clock, length):
    """From ``start`` at clock 0 to ``end`` at ``length`` (then flat)."""
    t = np.clip(clock, 0, length) / max(length, 1)
    return end + (start - end) * (1 + np.cos(np.pi * t)) / 2


def _evaluate(schedule, clock):
    """A Keras schedule at each step of ``clock`` (vectorised when it can)."""
    try:
        values = np.asarray(schedule(clock.astype(np.float32)), dtype=np.float64)
        if values.shape == clock.shape:
            return values
    except Exception:  # noqa: BLE001 - a schedule written for scalars
        pass
    return np.array([float(schedule(int(c))) for c in clock])


def _is_keras_schedule(kind):
    from .backend import keras

    schedules = keras().optimizers.schedules
    return not isinstance(kind, str) and isinstance(
        kind, schedules.LearningRateSchedule
    )


def _is_epoch_callable(kind):
    return callable(kind) and not isinstance(kind, str) and not _is_keras_schedule(kind)


def step_count(optimizer):
    """The step count Keras calls a schedule with: every batch, also under
    gradient accumulation (``iterations`` then counts updates)."""
    inner = applying_optimizer(optimizer)
    return int(getattr(inner, "_iterations", inner.iterations).numpy())


def step_table(optimizer):
    """The optimizer's ``StepTable`` (also under a LossScaleOptimizer), or None."""
    inner = applying_optimizer(optimizer)
    table = getattr(inner, "_learning_rate", None)
    return table if hasattr(table, "write_rates") else None


class LrScheduler(EpochListener):
    """Writes each epoch's rates into the model's ``StepTable`` and records
    ``logs['lr']``; updates 'plateau' from the epoch's monitored value."""

    def __init__(self, spec, state, steps, monitor, epochs):
        self.spec, self.state, self.steps, self.monitor = spec, state, steps, monitor
        self.remaining = epochs  # epochs of this fit
        self.rates = None

    def begin(self, model):
        """Before the first epoch of this fit."""
        self._write(model)

    def _write(self, model):
        self.rates = epoch_rates(self.spec, self.state, self.steps)
        start = step_count(model.optimizer)
        step_table(model.optimizer).write_rates(self.rates, start)

    def on_epoch_end(self, model, state, logs):
        logs["lr"] = float(self.rates[0])
        if self.spec.kind == "plateau":
            self._plateau(logs)
        self.state.epoch += 1
        self.remaining -= 1
        if self.remaining > 0 and not model.stop_training:
            self._write(model)

    def _plateau(self, logs):
        """Keras' ReduceLROnPlateau rule (relative threshold 1e-4)."""
        st, value = self.state, float(logs.get(self.monitor, logs["loss"]))
        if value < st.best - 1e-4 * abs(st.best) or not math.isfinite(st.best):
            st.best, st.wait = value, 0
            return
        st.wait += 1
        if st.wait >= self.spec.patience:
            st.factor *= self.spec.decay
            st.wait = 0
