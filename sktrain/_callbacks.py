"""Keras callbacks that give training sklearn's MLP semantics.

``SklearnMonitor`` runs at every epoch end, like the body of sklearn's
``_fit_stochastic`` loop: it records the loss curve, scores the validation
split when ``early_stopping`` is on, counts epochs without ``tol``
improvement, applies the 'invscaling'/'adaptive' learning-rate rules and stops
training with ``model.stop_training`` (a flag, not an exception).
"""

import copy
import functools
import warnings

import numpy as np

from ._backend import keras


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


class TrainingState:
    """What the monitor records; the estimator copies it into fitted attributes."""

    def __init__(self, best_loss=np.inf, best_score=-np.inf):
        self.loss_curve = []
        self.validation_scores = []
        self.history = {}
        self.best_loss = best_loss
        self.best_validation_score = best_score
        self.no_improvement_count = 0
        self.n_iter = 0
        self.best_weights = None
        self.stopped_early = False
        # fault handling: weights at the start and after the last finite epoch
        self.start_weights = None
        self.good_weights = None
        self.nonfinite_epoch = None
        self.interrupted = False


def make_monitor(state, *, config, val_scorer=None):
    """The monitor callback (Keras' Callback class is imported lazily)."""
    return _monitor_class()(state, config, val_scorer)


@functools.cache
def _monitor_class():
    return type("SklearnMonitor", (_Monitor, keras().callbacks.Callback), {})


class _Monitor:
    """What ``SklearnMonitor`` does; mixed into ``keras.callbacks.Callback``."""

    def __init__(self, state, config, val_scorer):
        super().__init__()
        self.state, self.config, self.val_scorer = state, config, val_scorer

    def on_train_begin(self, logs=None):
        self.state.start_weights = self.model.get_weights()
        self.state.good_weights = self.state.start_weights

    def on_epoch_end(self, epoch, logs=None):
        state, config = self.state, self.config
        logs = dict(logs or {})
        loss = float(logs.get("loss", np.nan))
        if not np.isfinite(loss):
            # keep the last finite epoch's weights and stop (a flag)
            state.nonfinite_epoch = state.n_iter + 1
            self.model.set_weights(state.good_weights)
            self.model.stop_training = True
            return
        state.good_weights = self.model.get_weights()
        state.n_iter += 1
        state.loss_curve.append(loss)
        self._record(logs)
        if config["verbose"]:
            print(f"Iteration {state.n_iter}, loss = {loss:.8f}")
        self._update_no_improvement(self.val_scorer is not None)
        self._end_of_epoch_learning_rate(config)
        if state.no_improvement_count > config["n_iter_no_change"]:
            if self._should_stop(config):
                state.stopped_early = True
                self.model.stop_training = True
            else:
                state.no_improvement_count = 0

    def _record(self, logs):
        state = self.state
        if self.val_scorer is not None:
            score, val_loss = self.val_scorer(self.model)
            state.validation_scores.append(score)
            logs.update(val_score=score, val_loss=val_loss)
        for key, value in logs.items():
            state.history.setdefault(key, []).append(float(value))

    def _update_no_improvement(self, early_stopping):
        state, tol = self.state, self.config["tol"]
        if early_stopping:
            score = state.validation_scores[-1]
            improved = not score < state.best_validation_score + tol
            if score > state.best_validation_score:
                state.best_validation_score = score
                state.best_weights = self.model.get_weights()
        else:
            loss = state.loss_curve[-1]
            improved = not loss > state.best_loss - tol
            state.best_loss = min(state.best_loss, loss)
        state.no_improvement_count = 0 if improved else (state.no_improvement_count + 1)

    def _end_of_epoch_learning_rate(self, config):
        if config["schedule"] == "invscaling":
            t = config["t0"] + self.state.n_iter * config["n_samples"]
            lr = config["learning_rate_init"] / (t + 1) ** config["power_t"]
            self.model.optimizer.learning_rate.assign(lr)

    def _should_stop(self, config):
        if config["schedule"] != "adaptive":
            return True
        lr = float(self.model.optimizer.learning_rate.numpy())
        if lr <= 1e-6:
            return True
        self.model.optimizer.learning_rate.assign(lr / 5.0)
        return False
