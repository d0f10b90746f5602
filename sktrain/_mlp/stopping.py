"""sklearn's MLP semantics at each epoch end, as an engine epoch listener.

``SklearnStopping`` is the body of sklearn's ``_fit_stochastic`` loop: it
records the loss curve, scores the validation split with ``early_stopping``
(keeping the best weights; with ``ema``, their moving average), counts
epochs without ``tol`` improvement, applies the 'invscaling' / 'adaptive'
learning-rate rules (``solver='sgd'`` only, as in sklearn), prints
sklearn's ``verbose=True`` lines (iteration loss, validation score, why it
stops) and stops training with ``model.stop_training``.
The engine's ``EpochMonitor`` calls ``on_epoch_end`` for epochs whose loss
is finite; with ``early_stopping`` a NaN/inf epoch ends the fit as in
sklearn (``on_nonfinite_epoch``).
"""

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._engine.callbacks import EpochListener
from .._engine.keras_compat import weights_to_keep


@dataclass(frozen=True)
class StoppingRules:
    """The estimator's settings the listener applies."""

    tol: float
    n_iter_no_change: float
    verbose: bool
    schedule: str  # 'constant', 'invscaling' or 'adaptive'
    learning_rate_init: float
    power_t: float
    n_samples: int  # per epoch, for 'invscaling'
    t0: int  # samples seen before this fit


def stopping_rules(est, n_samples):
    """The ``StoppingRules`` of one fit of an MLP estimator."""
    sgd = isinstance(est.solver, str) and est.solver.lower() == "sgd"
    return StoppingRules(
        tol=float(est.tol),
        n_iter_no_change=est.n_iter_no_change,
        verbose=est._sklearn_lines(),  # else ``_engine/progress`` reports
        schedule=est.learning_rate if sgd else "constant",
        learning_rate_init=float(est.learning_rate_init),
        power_t=float(est.power_t),
        n_samples=n_samples,
        t0=est.t_,
    )


class SklearnStopping(EpochListener):
    """sklearn's stopping and schedule rules (see the module doc).

    ``val_scorer(model, logs) -> (score, val_loss)`` is given when there
    are validation data; the validation score decides when to stop with
    ``early_stopping`` (``stop_on_validation``), the training loss
    otherwise. ``best_loss`` / ``best_score`` carry over from earlier
    ``partial_fit`` calls.
    """

    def __init__(
        self,
        rules,
        val_scorer=None,
        best_loss=np.inf,
        best_score=-np.inf,
        stop_on_validation=False,
    ):
        self.rules, self.val_scorer = rules, val_scorer
        self.stop_on_validation = stop_on_validation and val_scorer is not None
        self.loss_curve, self.validation_scores = [], []
        self.best_loss, self.best_validation_score = best_loss, best_score
        self.no_improvement_count = 0
        self.stopped_early = False

    def on_epoch_end(self, model, state, logs):
        loss = float(logs["loss"])
        self.loss_curve.append(loss)
        if self.val_scorer is not None:
            score, val_loss = self.val_scorer(model, logs)
            if self.stop_on_validation:
                self.validation_scores.append(score)
            logs.update(val_score=score, val_loss=val_loss)
        if self.rules.verbose:
            print(f"Iteration {state.n_iter}, loss = {loss:.8f}")
            if self.stop_on_validation:
                print(f"Validation score: {self.validation_scores[-1]:f}")
        self._update_no_improvement(model, state)
        self._end_of_epoch_learning_rate(model, state)
        if self.no_improvement_count > self.rules.n_iter_no_change:
            if self._should_stop(model, self._stop_message()):
                self.stopped_early = True
                model.stop_training = True
            else:
                self.no_improvement_count = 0

    _STATE = (
        "loss_curve",
        "validation_scores",
        "best_loss",
        "best_validation_score",
        "no_improvement_count",
    )

    def get_state(self):
        """What a checkpoint keeps of this listener (``_engine/checkpoint``)."""
        return {k: getattr(self, k) for k in self._STATE}

    def set_state(self, saved):
        """Continue a resumed fit from a checkpoint's ``get_state``."""
        for k in self._STATE:
            setattr(self, k, saved[k])

    def on_nonfinite_epoch(self, model, state, logs):
        """A NaN/inf loss. With ``early_stopping`` the fit keeps its best
        validation weights, as sklearn's MLP does: the epoch is taken as the
        last one, scored NaN (sklearn's score of a diverged network).
        Without it, the engine's fault rule (``on_nan``) applies."""
        if not self.stop_on_validation:
            return False
        self.loss_curve.append(float(logs.get("loss", np.nan)))
        self.validation_scores.append(np.nan)
        logs.update(val_score=np.nan, val_loss=np.nan)
        self.stopped_early = True
        return True

    def _update_no_improvement(self, model, state):
        tol = self.rules.tol
        if self.stop_on_validation:
            score = self.validation_scores[-1]
            improved = not score < self.best_validation_score + tol
            if score > self.best_validation_score:
                self.best_validation_score = score
                state.best_weights = weights_to_keep(model)  # ``ema``: averaged
        else:
            loss = self.loss_curve[-1]
            improved = not loss > self.best_loss - tol
            self.best_loss = min(self.best_loss, loss)
        self.no_improvement_count = 0 if improved else self.no_improvement_count + 1

    def _end_of_epoch_learning_rate(self, model, state):
        rules = self.rules
        if rules.schedule == "invscaling":
            t = rules.t0 + state.n_iter * rules.n_samples
            lr = rules.learning_rate_init / (t + 1) ** rules.power_t
            model.optimizer.learning_rate.assign(lr)

    def _stop_message(self):
        """sklearn's verbose message when the patience runs out."""
        what = "Validation score" if self.stop_on_validation else "Training loss"
        return (
            f"{what} did not improve more than tol={self.rules.tol:f} for "
            f"{self.rules.n_iter_no_change} consecutive epochs."
        )

    def _should_stop(self, model, message):
        """sklearn's ``trigger_stopping`` (and its verbose message)."""
        if self.rules.schedule != "adaptive":
            return self._say(message + " Stopping.", True)
        lr = float(model.optimizer.learning_rate.numpy())
        if lr <= 1e-6:
            return self._say(message + " Learning rate too small. Stopping.", True)
        model.optimizer.learning_rate.assign(lr / 5.0)
        return self._say(message + f" Setting learning rate to {lr / 5.0:f}", False)

    def _say(self, message, stop):
        if self.rules.verbose:
            print(message)
        return stop


def record_fit(est, state, listeners, n_samples, incremental):
    """sklearn's fitted attributes of ``est`` after one fit (and its
    ``ConvergenceWarning``)."""
    if est._lbfgs():  # scipy's iterations; it warns itself
        curve = state.history.get("loss", [])
        est.t_ += state.n_iter * n_samples
        est.loss_curve_ = est.loss_curve_ + curve
        est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else np.nan
        est.best_loss_ = min(est.loss_curve_, default=np.inf)
        return
    (stopping,) = listeners
    est.t_ += state.n_iter * n_samples
    est.loss_curve_ = est.loss_curve_ + stopping.loss_curve
    est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else np.nan
    if est.early_stopping:
        est.validation_scores_ = est.validation_scores_ + (stopping.validation_scores)
        est.best_validation_score_ = stopping.best_validation_score
    else:
        est.best_loss_ = stopping.best_loss
    reached_max = state.n_iter >= est.max_iter
    if not incremental and not stopping.stopped_early and reached_max:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) "
            "reached and the optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=6,
        )


def validation_scorer(est, validation):
    """``score(model, logs) -> (score, val_loss)`` of the MLP on the
    validation ``Split``: sklearn's accuracy / R2 (or the first of
    ``scoring``, already in the epoch's logs) and the loss as sklearn sums
    it; ``model`` is ``model_`` or its cached twin (``trace_cache``)."""
    from .._engine.predictor import predictor_for
    from .._engine.scoring import first_scorer_key

    loss, factor = est._make_loss(), est._output_sum()
    target = est._target
    first = first_scorer_key(est.scoring)
    shapes, dtypes = est._sample_shapes, est._in_dtypes

    def score(model, logs):
        out = predictor_for(model, shapes, dtypes)(validation.X)
        val_loss = factor * float(np.asarray(loss(validation.Y, out)))
        if first is not None:
            return logs[first], val_loss
        weights = validation.sample_weight
        return target.validation_score(validation.y, out, weights), val_loss

    return score
