"""``diagnose``: read a fitted estimator's training history (and, given a
sample of the training data, its network) and say what went wrong, with the
evidence and the parameter to change. The rules are in ``rules.py``, the
advice per family in ``advice.py``, the dead-ReLU measurement in
``activations.py``.
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline

from .._engine import inputs as inp
from .._engine.trainer import BaseTrainer
from .._mlp.base import BaseMLP
from . import rules
from .advice import Context
from .plotting import draw_history, pyplot


@dataclass
class Diagnosis:
    """What ``diagnose`` found in one fitted estimator's training run.

    Parameters
    ----------
    findings : list of Finding
        The problems found, in the order the rules ran (empty: none).
    history : dict of str to list of float
        A copy of the estimator's ``history_``.
    n_epochs : int
        Epochs recorded (``len(history['loss'])``).
    not_checked : dict of str to str
        Checks that could not run, by finding kind, with the reason.
    relu_layers : dict of str to float
        Fraction of dead units per ReLU layer measured (empty without X).
    estimator_name : str
        The class name of the diagnosed estimator.

    Attributes
    ----------
    findings, history, n_epochs, not_checked, relu_layers, estimator_name
        As given.
    kinds : list of str
        The kinds of the findings, in order.

    See Also
    --------
    diagnose : Makes a Diagnosis.
    Finding : One finding.

    Examples
    --------
    >>> from sktrain.diagnostics import Diagnosis
    >>> d = Diagnosis([], {"loss": [0.9, 0.5]}, 2, {}, {}, "MLPClassifier")
    >>> print(d)
    Diagnosis of MLPClassifier (2 epochs): no problems found
    >>> "overfitting" in d
    False
    """

    findings: list
    history: dict
    n_epochs: int
    not_checked: dict = field(default_factory=dict)
    relu_layers: dict = field(default_factory=dict)
    estimator_name: str = "estimator"

    @property
    def kinds(self):
        """The kinds of the findings, in order."""
        return [f.kind for f in self.findings]

    def __contains__(self, kind):
        return kind in self.kinds

    def __getitem__(self, kind):
        """The first finding of ``kind`` (KeyError if none)."""
        for f in self.findings:
            if f.kind == kind:
                return f
        raise KeyError(f"no {kind!r} finding; the findings are {self.kinds}")

    def __str__(self):
        head = f"Diagnosis of {self.estimator_name} ({self.n_epochs} epochs)"
        if not self.findings:
            lines = [f"{head}: no problems found"]
        else:
            lines = [f"{head}: {len(self.findings)} finding(s)"]
            lines += [f"  {f}" for f in self.findings]
        lines += [f"  not checked: {k}: {why}" for k, why in self.not_checked.items()]
        return "\n".join(lines)

    def plot(self, ax=None):
        """Draw the loss curves with the findings marked, and the gradient
        norms (log scale) on a second panel when recorded.

        Parameters
        ----------
        ax : matplotlib Axes or a pair of Axes, default=None
            Where to draw the losses (and, for a pair, the gradient norms);
            None makes a new figure with one or two panels.

        Returns
        -------
        ax : matplotlib Axes
            The losses' Axes; ``ax.grad_axes`` is the gradient norms' Axes
            (None when not drawn) and ``ax.lr_axes`` the learning rate's. The
            loss axis is logarithmic when the loss spans over two orders of
            magnitude (a diverging run).
        """
        grads = self.history.get("grad_norm")
        if ax is None:
            rows = 2 if grads else 1
            _, axes = pyplot().subplots(rows, 1, sharex=True, squeeze=False)
            ax = list(axes[:, 0])
        loss_ax, grad_ax = (
            (ax[0], ax[1] if len(ax) > 1 else None)
            if (isinstance(ax, (list, tuple, np.ndarray)))
            else (ax, None)
        )
        marks = [(f.epoch, f.kind) for f in self.findings if f.epoch is not None]
        draw_history(self.history, "loss", ax=loss_ax, marks=marks)
        if _spans_orders(self.history.get("loss")):
            loss_ax.set_yscale("log")  # a diverging run
        loss_ax.set_title(f"{self.estimator_name}: {', '.join(self.kinds) or 'ok'}")
        if grads and grad_ax is not None:
            grad_ax.plot(range(len(grads)), grads, label="grad_norm")
            grad_ax.set_yscale("log")
            grad_ax.set_ylabel("gradient norm")
            grad_ax.set_xlabel("epoch")
            for epoch, _ in marks:
                grad_ax.axvline(epoch, linestyle=":", color="grey")
        else:
            grad_ax = None
        loss_ax.grad_axes = grad_ax
        return loss_ax


def _spans_orders(values, orders=2):
    v = np.asarray(values or [np.nan], dtype=float)
    v = v[np.isfinite(v)]
    return v.size > 1 and v.min() > 0 and v.max() / v.min() > 10**orders


def diagnose(
    estimator,
    X=None,
    y=None,
    *,
    patience=5,
    min_rise=0.1,
    flat_tol=0.01,
    high_loss=0.9,
    spike_ratio=1.5,
    grad_growth=100.0,
    grad_collapse=100.0,
    max_dead_fraction=0.25,
    max_samples=1000,
):
    """Diagnose a fitted estimator's training run from its ``history_``.

    Reads the per-epoch ``loss``, ``val_loss`` (when there was validation
    data), ``grad_norm`` and ``lr``, runs one rule per problem and returns
    the findings with their evidence and the parameter to change. Never
    modifies the estimator. A rule without what it measures (too few epochs;
    ``solver='lbfgs'`` records no gradient norms) finds nothing. Epochs are
    0-based. The rules, with the ``evidence`` keys of their findings:

    - ``overfitting``: the validation loss ended more than ``min_rise``
      (relative) above its minimum, ``patience`` or more epochs after it,
      while the training loss fell over that span. ``epoch`` is the
      minimum's. 'info' instead of 'warning' when the estimator kept its best
      validation epoch's weights (the MLP's ``early_stopping=True``, a Keras
      ``EarlyStopping(restore_best_weights=True)``). Evidence: ``epoch``,
      ``val_loss_min``, ``val_loss_end``, ``loss_at_min``, ``loss_end``,
      ``epochs_rising``. Without validation data: an 'info'
      ``no_validation`` finding saying how to record it.
    - ``underfitting`` (needs ``X`` and ``y``): the model's loss on (X, y) is
      at least ``high_loss`` times that of the best constant prediction (log
      loss of the class priors; for regressors the mean squared error of the
      mean, i.e. ``1 - R^2``), and the training (and validation) loss fell by
      less than ``flat_tol`` (relative) over the last quarter of the epochs.
      Evidence: ``loss_ratio``, ``fall``, ``from_epoch``.
    - ``unstable``: a non-finite training loss, or two or more spikes (an
      epoch's loss above ``spike_ratio`` times the minimum of the 5 epochs
      before it; consecutive spiking epochs are one spike). Evidence:
      ``epoch``, ``spikes`` (their epochs), ``max_ratio``.
    - ``exploding_gradients``: a non-finite gradient norm, or one
      ``grad_growth`` times the first epoch's or more. Evidence: ``epoch``
      (the first such), ``grad_norm_start``, ``grad_norm_max``, ``growth``,
      ``lr``.
    - ``vanishing_gradients``: the gradient norm fell to ``1/grad_collapse``
      of the first epoch's or less while the last loss is still at least half
      the first epoch's. Evidence: ``epoch``, ``grad_norm_start``,
      ``grad_norm_end``, ``collapse``, ``loss_start``, ``loss_end``.
    - ``lr_too_high``: the training loss went non-finite, ended above its
      first epoch's value, or oscillated (6+ epochs; over the second half at
      least 40% of the changes are rises, with a mean absolute change of at
      least 10% of the mean loss). Evidence: ``epoch``, ``lr`` (the last
      recorded), ``loss_start``, ``loss_end``, ``rise_fraction``.
    - ``lr_too_low``: 5+ epochs, 80%+ of the epoch-to-epoch changes falls,
      but a total fall under 10% of the first epoch's loss, with healthy
      gradient norms (the last at least a tenth of the first) and, when (X, y)
      are given, a loss still over half the constant prediction's. Evidence:
      ``lr``, ``fall``, ``falling_epochs``.
    - ``not_converged``: the whole epoch budget (``max_iter`` / ``epochs``)
      was used and over the last 10% of the epochs (at least 3) the training
      loss fell 0.5% or more per epoch and the validation loss (if recorded)
      fell too. Evidence: ``from_epoch``, ``fall_per_epoch``, ``loss_end``.
    - ``dead_relu`` (needs ``X``): on at most ``max_samples`` rows of X, the
      fraction of a ReLU layer's units (output channels) never positive is
      above ``max_dead_fraction``; one finding per layer. The MLP's hidden
      layers, or every ReLU layer of a wrapper's functional or Sequential
      model, nested models included (a subclassed model is listed in
      ``not_checked``). Evidence: ``layer``, ``units``, ``dead``,
      ``fraction``.

    Parameters
    ----------
    estimator : fitted sktrain estimator or Pipeline
        Any public sktrain estimator, or a Pipeline whose last step is one
        (X then goes through the preceding steps; actions name the step's
        parameters, e.g. ``mlpclassifier__alpha``).
    X : array-like, default=None
        The training data, or a sample of it: enables ``dead_relu`` and,
        with ``y``, ``underfitting``.
    y : array-like, default=None
        The targets of ``X``.
    patience : int, default=5
        Epochs the validation loss must have been past its minimum.
    min_rise : float, default=0.1
        Relative rise of the validation loss above its minimum that counts.
    flat_tol : float, default=0.01
        Relative fall below which the late loss counts as flat.
    high_loss : float, default=0.9
        Loss ratio to the constant prediction's that counts as high.
    spike_ratio : float, default=1.5
        Ratio to the recent minimum loss that counts as a spike.
    grad_growth : float, default=100.0
        Growth of the gradient norm that counts as exploding.
    grad_collapse : float, default=100.0
        Shrinking of the gradient norm that counts as vanishing.
    max_dead_fraction : float, default=0.25
        Fraction of dead units in a layer above which it is reported.
    max_samples : int, default=1000
        Rows of X used for the dead-ReLU check (a fixed random subset).

    Returns
    -------
    diagnosis : Diagnosis
        The findings; ``print(diagnosis)`` gives the report.

    Examples
    --------
    >>> import numpy as np
    >>> from sktrain import MLPClassifier
    >>> from sktrain.diagnostics import diagnose
    >>> X = np.random.RandomState(0).normal(size=(60, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    >>> d = diagnose(clf.fit(X, y), X, y)
    >>> d.kinds
    ['no_validation', 'underfitting', 'lr_too_low']
    >>> print(d["lr_too_low"].action)
    raise learning_rate_init (e.g. 10x)
    """
    est, X, prefix = _final_step(estimator, X)
    _check_args(patience, max_samples)
    history = {k: list(v) for k, v in est.history_.items()}
    ctx = Context("mlp" if isinstance(est, BaseMLP) else "keras", prefix)
    not_checked = {}
    ratio = _fit_ratio(est, X, y, not_checked)
    found = [
        rules.exploding_gradients(history, ctx, growth=grad_growth),
        rules.vanishing_gradients(history, ctx, collapse=grad_collapse),
        rules.lr_too_high(history, ctx),
        rules.unstable(history, ctx, spike_ratio=spike_ratio),
        rules.overfitting(
            history, ctx, patience=patience, min_rise=min_rise, restored=_restores(est)
        ),
        rules.no_validation(history, ctx),
        rules.underfitting(
            history, ctx, fit_ratio=ratio, flat_tol=flat_tol, high=high_loss
        ),
        rules.lr_too_low(history, ctx, fit_ratio=ratio),
        rules.not_converged(history, ctx, budget_used=_budget_used(est, history)),
    ]
    layers = _dead_units(est, X, max_samples, not_checked)
    found += rules.dead_relu(layers, ctx, max_dead_fraction=max_dead_fraction)
    return Diagnosis(
        findings=[f for f in found if f is not None],
        history=history,
        n_epochs=len(history.get("loss", ())),
        not_checked=not_checked,
        relu_layers={k: dead / units for k, (units, dead) in layers.items()},
        estimator_name=type(est).__name__,
    )


def _final_step(estimator, X):
    """The sktrain estimator, X as it sees it, and the parameter prefix."""
    prefix = ""
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        if X is not None and len(estimator) > 1:
            X = estimator[:-1].transform(X)
        estimator, prefix = last, f"{name}__"
    if not isinstance(estimator, BaseTrainer):
        raise TypeError(
            "diagnose takes a fitted sktrain estimator (MLPClassifier, "
            "MLPRegressor, KerasClassifier, KerasRegressor, KerasTransformer) or "
            f"a Pipeline ending in one, not {type(estimator).__name__}."
        )
    if not hasattr(estimator, "model_") or not hasattr(estimator, "history_"):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: "
            "diagnose reads the history of a fit. Call fit first."
        )
    return estimator, X, prefix


def _check_args(patience, max_samples):
    for name, value in (("patience", patience), ("max_samples", max_samples)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}.")


def _restores(est):
    """Whether the fitted weights are the best validation epoch's."""
    if isinstance(est, BaseMLP):
        return bool(est.early_stopping)
    return any(
        type(cb).__name__ == "EarlyStopping" and getattr(cb, "restore_best_weights", 0)
        for cb in est.callbacks or ()
    )


def _budget_used(est, history):
    budget = est.max_iter if isinstance(est, BaseMLP) else est.epochs
    return len(history.get("loss", ())) >= budget


def _fit_ratio(est, X, y, not_checked):
    """The model's loss on (X, y) over the best constant prediction's, or
    None (with the reason in ``not_checked``)."""
    if not (is_classifier(est) or is_regressor(est)):
        not_checked["underfitting"] = (
            f"{type(est).__name__} predicts no target to compare with a "
            "constant prediction"
        )
        return None
    if X is None or y is None:
        not_checked["underfitting"] = (
            "pass X and y (training data) to compare the loss with the best "
            "constant prediction's"
        )
        return None
    y = np.asarray(y)
    if is_classifier(est) and y.ndim == 1:
        proba = np.asarray(est.predict_proba(X), dtype=float)
        proba /= proba.sum(axis=1, keepdims=True)  # float32 rounding
        priors = np.mean(y[:, None] == est.classes_[None, :], axis=0)
        constant = log_loss(y, np.tile(priors, (len(y), 1)), labels=est.classes_)
        return float(log_loss(y, proba, labels=est.classes_) / constant)
    if is_regressor(est):
        pred = np.asarray(est.predict(X), dtype=float)
        target = y.astype(float)
        if pred.shape == target.shape:
            spread = np.sum((target - target.mean(axis=0)) ** 2)
            return float(np.sum((target - pred) ** 2) / spread) if spread else None
    not_checked["underfitting"] = (
        f"no constant-prediction baseline for {type(est).__name__} with y of "
        f"shape {y.shape}"
    )
    return None


def _dead_units(est, X, max_samples, not_checked):
    """``{layer: (units, dead)}`` on a sample of X, or {} (reason noted)."""
    from .activations import UnsupportedModel, dead_fractions, sample_rows

    if X is None:
        not_checked["dead_relu"] = "pass X (a sample of the training data)"
        return {}
    Xs = sample_rows(est._validate_X(X, reset=False), max_samples)
    Xs = inp.map_inputs(lambda a: a.toarray() if sp.issparse(a) else a, Xs)
    Xs = inp.cast_inputs(Xs, est._in_dtypes)
    try:
        return dead_fractions(est.model_, Xs)
    except UnsupportedModel as exc:
        not_checked["dead_relu"] = str(exc)
        return {}
