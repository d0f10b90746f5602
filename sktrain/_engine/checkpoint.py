"""``checkpoint=<path>``: a file after every epoch, and resuming from it.

After each epoch that does not end the fit, ``Checkpoint`` (the last epoch
listener) saves a stand-in of the estimator in sktrain's file format
(``_io/archive.py``: a temporary file, then a rename): the network being
trained with its optimizer state, ``history_`` so far, the schedule's
position (``_lr_state``) and a ``ResumePoint``: where the fit stands
(epochs done of how many), the random generator as it was when the fit
began, this fit's history and best weights so far, and each epoch
listener's state (the MLP's stopping counters). The best epoch so far also
goes to ``<stem>.best<suffix>``. When the fit ends, the estimator itself is
saved to the path (no ``ResumePoint``: nothing to resume).

Resuming: ``sktrain.load(path)`` then ``fit(X, y)`` with ``warm_start=True``
on the same data. ``BaseTrainer._fit`` sees the ``ResumePoint``
(``resume_settings``, ``restore``): it puts the generator back to the
fit's start, so the validation split and shuffling seeds are drawn again
identically, skips the epochs done (the feed's epoch counter, the family's
host-drawn orders), restores the listeners and trains the remaining epochs,
ending where the uninterrupted fit would have.
"""

import copy
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .._io.registry import state_class
from .callbacks import EpochListener
from .schedules import ScheduleState  # a stored state class: registered on import
from .toolkit import stand_in


@state_class
@dataclass
class ResumePoint:
    """Where an interrupted fit stood at its last checkpoint."""

    epochs_total: int  # epochs the fit was asked to run
    epochs_done: int
    rng: object  # a RandomState: the estimator's generator at the fit's start
    history: dict = field(default_factory=dict)  # the estimator's, at the start
    fit_history: dict = field(default_factory=dict)  # this fit's, so far
    best_weights: list | None = None
    listener_states: list = field(default_factory=list)


def best_path(path):
    """``<stem>.best<suffix>`` next to ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.best{path.suffix}")


class Checkpoint(EpochListener):
    """Saves the estimator after every epoch (see the module doc)."""

    def __init__(self, est, listeners, monitor):
        self.est, self.listeners = est, listeners
        self.monitor, self.best = monitor, None

    def on_epoch_end(self, model, state, logs):
        if model.stop_training or state.n_iter >= state.run_epochs:
            return  # the fit ends: ``_fit`` saves the estimator itself
        rng, before = state.run_start
        full = _merged(self.est.history_, state.history, logs)
        point = ResumePoint(
            epochs_total=state.run_epochs,
            epochs_done=state.n_iter,
            rng=copy.deepcopy(rng),
            history=before,
            fit_history={k: v[len(before.get(k, [])) :] for k, v in full.items()},
            best_weights=state.best_weights,
            listener_states=[_state_of(lst) for lst in self.listeners],
        )
        view = stand_in(
            self.est,
            model_=model,
            history_=full,
            n_iter_=point.epochs_done,
            _resume=point,
        )
        path = self.est.checkpoint
        view.save(path)
        if self._improved(logs):
            _atomic_copy(path, best_path(path))

    def _improved(self, logs):
        key, sign = self.monitor
        value = logs.get(key)
        if value is None or not np.isfinite(value):
            return False
        if self.best is None or sign * value > sign * self.best:
            self.best = float(value)
            return True
        return False


def monitor_of(scoring_key, has_validation):
    """(log key, +1 for higher-is-better / -1) that picks the best epoch."""
    if scoring_key is not None:
        return scoring_key, 1
    return ("val_loss" if has_validation else "loss"), -1


def _state_of(listener):
    get = getattr(listener, "get_state", None)
    return get() if get is not None else None


def _merged(history, fit_history, logs):
    """``history`` + ``fit_history`` + this epoch's ``logs``, per key."""
    merged = {}
    for key in dict.fromkeys([*history, *fit_history, *logs]):
        now = [logs[key]] if key in logs else []
        merged[key] = [*history.get(key, []), *fit_history.get(key, []), *now]
    return merged


def _atomic_copy(src, dst):
    tmp = Path(dst).with_name(Path(dst).name + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def begin_run(est, state, fresh, incremental):
    """This fit's ``TrainSettings``, after setting up its run: a new
    schedule position unless it continues one (``partial_fit``, a resumed
    fit), the generator put back for a resumed fit, ``state.run_start``."""
    settings = est._train_settings(incremental)
    point = vars(est).get("_resume")
    if point is not None and (fresh or incremental):  # nothing to resume
        del est._resume
        point = None
    if (not incremental and point is None) or not hasattr(est, "_lr_state"):
        est._lr_state = ScheduleState()  # a new run
    if point is not None:
        est._rng = copy.deepcopy(point.rng)
        remaining = max(point.epochs_total - point.epochs_done, 0)
        settings = replace(settings, epochs=remaining)
    history = {k: list(v) for k, v in getattr(est, "history_", {}).items()}
    state.run_start = (copy.deepcopy(est._rng), history)
    state.run_epochs = settings.epochs + (point.epochs_done if point else 0)
    return settings


def end_run(est, state):
    """After a fit: nothing left to resume; the finished estimator goes to
    ``checkpoint`` (an interrupted one keeps its last epoch's file)."""
    vars(est).pop("_resume", None)
    if est.checkpoint is not None and not state.interrupted:
        est.save(est.checkpoint)


def restore(est, state, listeners):
    """Put the fit back where the ``ResumePoint`` says (see the module doc)."""
    point = est._resume
    state.n_iter = point.epochs_done
    state.best_weights = point.best_weights
    est.history_ = {k: list(v) for k, v in point.history.items()}
    for key, values in point.fit_history.items():  # current_epoch counts them
        est.history_[key] = est.history_.get(key, []) + list(values)
    for listener, saved in zip(listeners, point.listener_states, strict=False):
        if saved is not None:
            listener.set_state(saved)
    state.run_start = (state.run_start[0], point.history)
