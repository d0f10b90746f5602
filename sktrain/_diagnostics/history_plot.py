"""``sktrain.plot_history``: a fitted estimator's learning curves (train and
validation, the learning rate on a second axis, the best epoch marked),
drawn by ``plotting.draw_history`` like every other plot of sktrain.
"""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from .._distill.base import BaseDistilled
from .._engine.trainer import BaseTrainer
from .._mlp.base import BaseMLP
from .plotting import draw_history


def plot_history(estimator, metrics=None, ax=None):
    """Plot a fitted estimator's learning curves from its ``history_``.

    Each recorded loss and metric is drawn per epoch (0-based): the training
    value as a solid line labelled with its ``history_`` key (``'loss'``), the
    validation value as a dashed line (``'val_loss'``). The learning rate,
    when recorded (``history_['lr']``), is drawn on a second y axis with a log
    scale. The best epoch is marked with a vertical line labelled
    ``'best epoch'``:

    - the MLP with ``early_stopping=True``: the epoch of
      ``best_validation_score_``, whose weights the fit kept (the first
      maximum of ``validation_scores_``);
    - otherwise the epoch of the lowest ``val_loss`` when a validation loss
      was recorded (``validation_split``, ``X_val``); the estimator keeps the
      last epoch's weights unless a callback such as Keras'
      ``EarlyStopping(restore_best_weights=True)`` restored these;
    - no mark without validation data.

    Needs matplotlib (``pip install "sktrain[plot]"``). Nothing global
    (backend, style, rcParams) is changed.

    Parameters
    ----------
    estimator : fitted sktrain estimator or Pipeline
        Any public sktrain estimator, a Pipeline whose last step is one, or a
        fitted ``DistilledClassifier`` / ``DistilledRegressor`` (its
        student's curves are drawn).
    metrics : str or list of str, default=None
        The curves to draw, named as in ``history_`` without the ``val_``
        prefix (``'loss'``, ``'accuracy'``; ``'score'`` for the MLP's
        early-stopping ``val_score``). None draws every recorded loss and
        metric, but not the per-epoch statistics (``grad_norm``,
        ``epoch_time``, ``samples_per_s``; ``lr`` has its own axis).
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on. ``ax.lr_axes`` is the learning rate's twin Axes
        (None when no learning rate was recorded).

    Raises
    ------
    NotFittedError
        If the estimator is not fitted.
    ValueError
        If a name in ``metrics`` was not recorded (the message lists what
        was).
    ImportError
        If matplotlib is not installed.

    See Also
    --------
    sktrain.diagnostics.diagnose : Findings read from the same history.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from sktrain import KerasClassifier, plot_history
    >>> X = np.random.RandomState(0).normal(size=(80, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = KerasClassifier(epochs=5, validation_split=0.25, random_state=0)
    >>> ax = plot_history(clf.fit(X, y), ax=Figure().subplots())
    >>> [line.get_label() for line in ax.get_lines()]
    ['loss', 'val_loss', 'best epoch']
    >>> ax.lr_axes.get_yscale()
    'log'
    """
    est = _fitted_trainer(estimator)
    history = {k: list(v) for k, v in est.history_.items()}
    ax = draw_history(history, metrics, ax=ax, best_epoch=best_epoch(est, history))
    ax.set_title(f"{type(est).__name__} training history")
    return ax


def best_epoch(est, history):
    """The best epoch (0-based) of ``history`` as ``plot_history`` marks it,
    or None."""
    scores = getattr(est, "validation_scores_", None)
    if isinstance(est, BaseMLP) and est.early_stopping and scores:
        # validation_scores_ covers the fits ``history_`` ends with
        offset = len(history.get("loss", scores)) - len(scores)
        return offset + int(np.argmax(scores))
    val_loss = np.asarray(history.get("val_loss", ()), dtype=float)
    if val_loss.size and np.isfinite(val_loss).any():
        return int(np.nanargmin(np.where(np.isfinite(val_loss), val_loss, np.nan)))
    return None


def _fitted_trainer(estimator):
    """The fitted sktrain estimator whose ``history_`` is drawn."""
    if isinstance(estimator, Pipeline) and estimator.steps:
        estimator = estimator.steps[-1][1]
    if isinstance(estimator, BaseDistilled):
        if not hasattr(estimator, "student_"):
            raise NotFittedError(
                f"This {type(estimator).__name__} instance is not fitted yet: "
                "plot_history draws its student's training history. Call fit "
                "first."
            )
        estimator = estimator.student_
    if not isinstance(estimator, BaseTrainer):
        raise TypeError(
            "plot_history takes a fitted sktrain estimator (MLPClassifier, "
            "MLPRegressor, KerasClassifier, KerasRegressor, KerasTransformer, "
            "DistilledClassifier, DistilledRegressor) or a Pipeline ending in "
            f"one, not {type(estimator).__name__}."
        )
    if not hasattr(estimator, "history_"):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: "
            "plot_history draws the history of a fit. Call fit first."
        )
    if not any(estimator.history_.values()):
        raise ValueError(
            f"This {type(estimator).__name__} has trained no epoch yet "
            "(history_ is empty, e.g. after initialize); fit it first."
        )
    return estimator
