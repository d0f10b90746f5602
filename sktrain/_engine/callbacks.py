"""The engine's epoch-end callback and the user's callbacks.

``EpochMonitor`` is the one Keras callback sktrain always adds. At the start
of training it keeps the starting weights; at each epoch end it

1. guards against faults: a NaN/inf loss puts back the weights of the last
   finite epoch (with ``ema``, their moving average, also put back into the
   optimizer's averages) and stops training (a flag; ``faults.report_faults`` then
   raises or warns). A listener that keeps its own result (the MLP's
   ``early_stopping``: the best validation epoch's weights) may take the
   non-finite epoch as its last one: it is then recorded as an epoch, and
   ``report_faults`` only warns;
2. lets the family's *epoch listeners* act (the MLP's sklearn stopping
   rules: ``_mlp/stopping.py``); a listener may add to the epoch's logs,
   keep best weights in ``FitState.best_weights`` or stop training;
3. records the logs into ``FitState.history``;
4. hands the epoch to the fit's *reporters* (``FitState.reporters``:
   ``progress.py``'s bar or lines, sklearn's callback tasks), which also see
   each epoch's beginning and a non-finite epoch.

``copy_callbacks`` gives each fit fresh copies of the user's callbacks.
"""

import copy
import functools
import warnings
from dataclasses import dataclass, field

import numpy as np

from .backend import keras
from .backup import GoodWeights
from .keras_compat import restart_averages


def copy_callbacks(callbacks):
    """Fresh copies of the user's callbacks, so no state leaks between fits."""
    if callbacks is None:
        return []
    copies = []
    for cb in callbacks:
        try:
            copies.append(copy.deepcopy(cb))
        except Exception as exc:  # noqa: BLE001 - report, then share the original
            warnings.warn(
                f"Callback {cb!r} cannot be deep-copied ({exc}); the same object "
                "is used in every fit, so its state may carry over.",
                stacklevel=3,
            )
            copies.append(cb)
    return copies


_BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)


def wants_batch_hooks(callbacks):
    """True if any callback overrides a per-batch hook of keras' Callback."""
    base = keras().callbacks.Callback
    return any(
        getattr(type(cb), hook, None) is not getattr(base, hook)
        for cb in callbacks
        for hook in _BATCH_HOOKS
    )


@dataclass
class FitState:
    """What one fit recorded; ``BaseTrainer._finalize`` turns it into fitted
    attributes."""

    n_iter: int = 0
    history: dict = field(default_factory=dict)
    best_weights: list | None = None  # restored at the end when set
    start_weights: list | None = None
    good_weights: GoodWeights | None = None  # after the last finite epoch
    nonfinite_epoch: int | None = None
    nonfinite_taken: bool = False  # a listener took that epoch as its last
    interrupted: bool = False
    run_epochs: int = 0  # epochs this fit runs in all (a resumed one: with those done)
    run_start: tuple | None = None  # (RandomState, history_) at the fit's start
    reporters: list = field(default_factory=list)  # ``progress.FitReports``


class EpochListener:
    """What a family adds at each finite epoch's end (see ``EpochMonitor``)."""

    def on_epoch_end(self, model, state, logs):
        """Act on the epoch: ``logs`` may be extended, ``model.stop_training``
        set, ``state.best_weights`` kept."""
        raise NotImplementedError

    def on_nonfinite_epoch(self, model, state, logs):
        """The epoch's loss is NaN/inf (the last finite epoch's weights are
        back, training stops). Return True to take it as the last epoch of
        a result the listener keeps (``state.best_weights``): it is recorded
        and the fault only warns. By default, False: a fault."""
        return False


def epoch_monitor(state, listeners=(), copies=None):
    """The engine's callback (Keras' Callback class is imported lazily);
    ``copies``: the train function's ``DeviceCopies`` of the weights, if
    it keeps them (``backup.py``)."""
    return _monitor_class()(state, list(listeners), copies)


@functools.cache
def _monitor_class():
    return type("EpochMonitor", (_Monitor, keras().callbacks.Callback), {})


class _Monitor:
    """What ``EpochMonitor`` does; mixed into ``keras.callbacks.Callback``."""

    def __init__(self, state, listeners, copies):
        super().__init__()
        self.state, self.listeners, self.copies = state, listeners, copies

    def on_train_begin(self, logs=None):
        state = self.state
        state.start_weights = self.model.get_weights()
        state.good_weights = GoodWeights(self.model, state.start_weights, self.copies)

    def on_epoch_begin(self, epoch, logs=None):
        for reporter in self.state.reporters:
            reporter.on_epoch_begin(self.model, self.state)

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        given, logs = logs, dict(logs or {})
        if not np.isfinite(float(logs.get("loss", np.nan))):
            self._nonfinite(logs)
            self._report(logs)
            return
        state.good_weights.epoch_done()
        state.n_iter += 1
        for listener in self.listeners:
            listener.on_epoch_end(self.model, state, logs)
        self._record(logs)
        if given is not None:  # the user's callbacks see what listeners added
            given.update(logs)
        self._report(logs)

    def _report(self, logs):
        for reporter in self.state.reporters:
            reporter.on_epoch_end(self.model, self.state, logs)

    def _nonfinite(self, logs):
        state = self.state
        state.nonfinite_epoch = state.n_iter + 1
        state.good_weights.restore()
        restart_averages(self.model)  # the fit's end copies the averages in
        self.model.stop_training = True
        taken = [
            listener.on_nonfinite_epoch(self.model, state, logs)
            for listener in self.listeners
        ]
        if any(taken):
            state.nonfinite_taken = True
            state.n_iter += 1
            self._record(logs)

    def _record(self, logs):
        for key, value in logs.items():
            self.state.history.setdefault(key, []).append(float(value))
