"""``lr_find``: the learning-rate range test (Smith 2015; fastai's and
Lightning's LR finder).

One short run on a clone of the estimator whose learning rate grows
exponentially per batch. A Keras callback (``_RangeTest``, passed in the
clone's ``callbacks``) sets the compiled optimizer's rate before each batch
and records each batch's loss after it. In sktrain's engine a per-batch hook
makes every train-function call one step (``_engine/train_function.py``),
and Keras hands ``on_train_batch_end`` the loss tracker's running mean over
the epoch so far, weighted by batch rows; the batch's own loss is recovered
from two consecutive means: ``(n_k * m_k - n_{k-1} * m_{k-1}) / b_k`` with
``n_k`` the rows seen in the epoch after batch ``k`` of ``b_k`` rows.
"""

import math
from dataclasses import dataclass

import numpy as np

from .lr_suggest import LRSuggestion, suggest
from .probe import (
    has_schedule,
    keras_callback_class,
    lr_param,
    n_rows,
    quiet_run,
    set_learning_rate,
    target_of,
    training_clone,
    without_callbacks,
)


@dataclass
class LRFindResult:
    """The curve of an LR range test and its suggestions.

    Parameters
    ----------
    lrs : ndarray of shape (n_steps,)
        The learning rate of each recorded batch.
    losses : ndarray of shape (n_steps,)
        The smoothed losses: an exponential moving average of the batch
        losses with bias correction, ``avg_k = s * avg_{k-1} + (1 - s) *
        loss_k``, ``losses[k] = avg_k / (1 - s ** (k + 1))`` (``s`` is
        ``smoothing``).
    raw_losses : ndarray of shape (n_steps,)
        Each batch's own training loss.
    suggestion : LRSuggestion
        ``valley`` and ``steepest``, computed from the steps past the first
        tenth of ``num_steps`` and before the last five (fastai's trim; all
        steps when too few remain).
    param : str
        The estimator's parameter that sets the learning rate:
        'learning_rate_init' (MLP), 'optimizer__learning_rate' (the Keras*
        wrappers), prefixed with the step name inside a Pipeline.
    stopped_early : bool
        True when the run stopped before ``num_steps``: the smoothed loss
        exceeded ``diverge_factor`` times its minimum, or a batch loss was
        NaN/inf (that batch is not recorded).

    Attributes
    ----------
    n_steps : int
        Batches recorded.

    See Also
    --------
    lr_find : The function that returns this result.
    LRSuggestion : The suggestions.

    Examples
    --------
    >>> import numpy as np
    >>> from sktrain.diagnostics import LRFindResult, LRSuggestion
    >>> r = LRFindResult(np.array([1e-3, 1e-2]), np.array([1.0, 0.5]),
    ...                  np.array([1.0, 0.4]), LRSuggestion(1e-3, 1e-3),
    ...                  "learning_rate_init", False)
    >>> r.n_steps
    2
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestion: LRSuggestion
    param: str
    stopped_early: bool

    @property
    def n_steps(self):
        return len(self.lrs)

    def plot(self, ax=None):
        """Draw the smoothed (and raw) loss against the rate, log x, with
        both suggestions marked.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        ax : matplotlib Axes
            The Axes drawn on.
        """
        from .plotting import get_axes

        ax = get_axes(ax)
        ax.plot(self.lrs, self.raw_losses, color="grey", alpha=0.3, label="batch loss")
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        marks = (("valley", "green"), ("steepest", "red"))
        for name, color in marks:
            lr = getattr(self.suggestion, name)
            if math.isfinite(lr):
                ax.axvline(lr, linestyle=":", color=color, label=f"{name} {lr:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel(f"learning rate ({self.param})")
        ax.set_ylabel("training loss")
        ax.legend(loc="best", fontsize="small")
        return ax


class _RangeTestMixin:
    """Sets each batch's rate, records its loss; stops at the end of the
    rates or on divergence. Shared, not copied, by the engine's per-fit
    callback copies (``__deepcopy__``), so the caller reads the records."""

    def __init__(self, rates, n_rows, batch_size, smoothing, diverge_factor):
        super().__init__()
        self.rates, self.n_rows, self.batch_size = rates, n_rows, batch_size
        self.smoothing, self.diverge_factor = smoothing, diverge_factor
        self.lrs, self.raw, self.smoothed = [], [], []
        self.stopped_early = False
        self._avg = 0.0

    def __deepcopy__(self, memo):
        return self

    def on_train_begin(self, logs=None):
        if has_schedule(self.model.optimizer):
            raise ValueError(_SCHEDULE_MESSAGE)

    def on_epoch_begin(self, epoch, logs=None):
        self._seen, self._mean = 0, 0.0  # Keras reset the loss tracker

    def on_train_batch_begin(self, batch, logs=None):
        set_learning_rate(self.model, self.rates[len(self.raw)])

    def on_train_batch_end(self, batch, logs=None):
        size = min(self.batch_size, self.n_rows - self._seen)
        seen, mean = self._seen + size, float(logs["loss"])
        loss = (seen * mean - self._seen * self._mean) / size
        self._seen, self._mean = seen, mean
        if not math.isfinite(loss):
            self._stop(early=True)
            return
        self._record(self.rates[len(self.raw)], loss)
        if self.smoothed[-1] > self.diverge_factor * min(self.smoothed):
            self._stop(early=True)
        elif len(self.raw) == len(self.rates):
            self._stop(early=False)

    def _record(self, lr, loss):
        s = self.smoothing
        self._avg = s * self._avg + (1 - s) * loss
        self.lrs.append(float(lr))
        self.raw.append(loss)
        self.smoothed.append(self._avg / (1 - s ** len(self.raw)))

    def _stop(self, early):
        self.stopped_early = early
        self.model.stop_training = True


_SCHEDULE_MESSAGE = (
    "lr_find sets the learning rate of each batch itself, but the optimizer "
    "was given a LearningRateSchedule. Give the optimizer a float learning "
    "rate (and the schedule to the estimator's learning_rate / lr_schedule "
    "parameter, which lr_find turns off)."
)


def lr_find(
    estimator,
    X,
    y=None,
    start_lr=1e-7,
    end_lr=10.0,
    num_steps=100,
    *,
    batch_size=None,
    diverge_factor=4.0,
    smoothing=0.98,
    random_state=None,
):
    """The learning-rate range test: the loss of one short run whose
    learning rate grows exponentially per batch.

    A clone of ``estimator`` trains for at most ``num_steps`` batches; the
    rate of batch ``k`` is ``start_lr * (end_lr / start_lr) ** (k /
    (num_steps - 1))``. The run stops early when the smoothed loss exceeds
    ``diverge_factor`` times its minimum or a batch loss is not finite.
    The rate falls where the loss falls fastest well before it diverges:
    ``suggestion.valley`` (preferred) or ``suggestion.steepest``.

    In the clone, learning-rate schedules and warmup (``learning_rate``
    becomes 'constant' for the MLP, ``lr_schedule=None`` for the
    wrappers), early stopping, validation, ``scoring`` and ``checkpoint``
    are off; the user's callbacks are kept except ``EarlyStopping``,
    ``ReduceLROnPlateau``, ``ModelCheckpoint``, ``BackupAndRestore`` and
    ``LearningRateScheduler``. Regularizers stay (they are part of the
    loss being trained). The clone's weights and optimizer are thrown away
    afterwards: ``estimator`` is neither modified nor fitted. Warnings the
    run provokes on purpose (``ConvergenceWarning``, a diverging loss) are
    not shown.

    Parameters
    ----------
    estimator : sktrain estimator or Pipeline
        Any public sktrain estimator with a learning rate (not
        ``solver='lbfgs'``), or a Pipeline ending in one (clones of the
        preceding steps are fitted on X).
    X : array-like of shape (n_samples, ...)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets (None for a ``KerasTransformer`` with ``target='X'``).
    start_lr : float, default=1e-7
        The first batch's rate.
    end_lr : float, default=10.0
        The last batch's rate.
    num_steps : int, default=100
        Batches of the run (at most); epochs are repeated as needed.
    batch_size : int, default=None
        Rows per batch; None is the estimator's own batch size.
    diverge_factor : float, default=4.0
        The run stops when the smoothed loss exceeds this multiple of its
        minimum.
    smoothing : float, default=0.98
        The moving average's factor ``s`` (see ``LRFindResult.losses``).
    random_state : int, RandomState or None, default=None
        Seeds the clone when the estimator's own ``random_state`` is None.

    Returns
    -------
    result : LRFindResult
        The rates, smoothed and raw losses, the suggestions and the name
        of the parameter to set.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sktrain import MLPClassifier
    >>> from sktrain.diagnostics import lr_find
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> result = lr_find(MLPClassifier(batch_size=16, random_state=0), X, y,
    ...                  num_steps=30)
    >>> result.param, result.n_steps <= 30
    ('learning_rate_init', True)
    >>> est = MLPClassifier(random_state=0).set_params(
    ...     **{result.param: result.suggestion.valley})
    """
    from .._engine.pipeline import batch_size_for

    target = target_of(estimator, "lr_find")
    _check_arguments(target, start_lr, end_lr, num_steps, diverge_factor, smoothing)
    Xt = target.transform(X, y, fit=True)
    n = n_rows(Xt)
    est = target.estimator
    size = batch_size_for(_batch_size(est, batch_size), n, warn=False)
    rates = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    test = keras_callback_class("RangeTest", _RangeTestMixin)(
        rates, n, size, smoothing, diverge_factor
    )
    epochs = math.ceil(num_steps / math.ceil(n / size))
    seed = random_state if est.random_state is None else est.random_state
    clone = _clone(target, size, epochs, seed, test)
    with quiet_run():
        clone.fit(Xt, y)
    lrs, raw = np.array(test.lrs), np.array(test.raw)
    losses = np.array(test.smoothed)
    return LRFindResult(
        lrs=lrs,
        losses=losses,
        raw_losses=raw,
        suggestion=suggest(lrs, losses, num_steps),
        param=lr_param(target),
        stopped_early=test.stopped_early,
    )


def _check_arguments(target, start_lr, end_lr, num_steps, diverge_factor, smoothing):
    if not 0 < start_lr < end_lr:
        raise ValueError(
            f"lr_find needs 0 < start_lr < end_lr; got start_lr={start_lr!r}, "
            f"end_lr={end_lr!r}."
        )
    if int(num_steps) != num_steps or num_steps < 2:
        raise ValueError(f"num_steps must be an int >= 2; got {num_steps!r}.")
    if not diverge_factor > 1:
        raise ValueError(f"diverge_factor must be > 1; got {diverge_factor!r}.")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1); got {smoothing!r}.")
    est = target.estimator
    if target.is_mlp and est._lbfgs():
        raise ValueError(
            "solver='lbfgs' has no learning rate to find. Use a stochastic "
            "solver ('adam', 'sgd') for lr_find."
        )
    optimizer = est.solver if target.is_mlp else est.optimizer
    if hasattr(optimizer, "get_config") and has_schedule(optimizer):
        raise ValueError(_SCHEDULE_MESSAGE)


def _batch_size(est, given):
    if given is not None:
        return int(given)
    params = est.get_params(deep=False)
    return params.get("fit__batch_size", params["batch_size"])


def _clone(target, size, epochs, seed, test):
    est = target.estimator
    common = dict(
        batch_size=size,
        warmup=0,
        scoring=None,
        checkpoint=None,
        warm_start=False,
        on_nan="warn",
        random_state=seed,
        callbacks=without_callbacks(est.callbacks, [test]),
    )
    if target.is_mlp:
        mlp = dict(learning_rate="constant", early_stopping=False, verbose=False)
        stop = dict(max_iter=epochs, n_iter_no_change=epochs)
        return training_clone(est, **common, **mlp, **stop)
    wrapper = dict(epochs=epochs, validation_split=0.0, lr_schedule=None, verbose=0)
    return training_clone(est, **common, **wrapper)
