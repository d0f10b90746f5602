"""``overfit_check``: can the network fit a tiny subset to (nearly) zero loss?

"A properly configured model should achieve zero loss on a small batch; if
it can't, there is a bug in the model code, the input pipeline or the
loss." A clone of the estimator, every regularizer off, trains full batch
on a stratified subset; ``overfit_causes.py`` reads the loss curve and the
subset for the likely causes of a failure.
"""

import math
from dataclasses import dataclass

import numpy as np

from .overfit_causes import Evidence, likely_causes
from .probe import (
    n_rows,
    quiet_run,
    strip_regularizers,
    take_rows,
    target_of,
    tiny_subset,
    training_clone,
    without_callbacks,
)

R2_PASS = 0.99  # a regressor's (or transformer's) training R² that passes


@dataclass
class OverfitResult:
    """What ``overfit_check`` found.

    Parameters
    ----------
    passed : bool
        True when the last epoch's training loss is at most ``threshold``
        times the first epoch's and the training score on the subset is
        perfect (accuracy 1.0; R² >= 0.99 for regressors and transformers).
    final_loss : float
        The last epoch's training loss (NaN if the loss became NaN/inf).
    loss_curve : ndarray of shape (n_epochs,)
        The training loss of each epoch (one full-batch step each; the
        first is the loss of the initial weights).
    train_score : float
        The trained clone's score on the subset: accuracy (classifiers),
        R² (regressors) or, for a ``KerasTransformer``, the R² of its
        output (the reconstruction with ``target='X'``) against its target,
        variance-weighted over the output columns.
    verdict : str
        A readable account: passed and at which epoch the threshold was
        reached, or the likely causes with their evidence and the
        parameter to change.
    causes : tuple of str
        Short codes of the likely causes of a failure (empty when passed):
        'lr_too_low', 'lr_too_high', 'output_range', 'conflicting_labels',
        'capacity_or_labels', 'too_few_epochs', 'unscaled_inputs'.
    n_samples : int
        Rows in the subset.
    n_epochs : int
        Epochs trained.
    threshold : float
        The stated threshold: the fraction of the first epoch's loss the
        last epoch's loss must reach.
    stripped : tuple of str
        The regularizers turned off in the user's own Keras model, one line
        each (empty for the MLP estimators, whose settings are changed).

    Attributes
    ----------
    threshold_epoch : int or None
        The first epoch (1-based) whose loss was at most ``threshold``
        times the first epoch's, or None.

    See Also
    --------
    overfit_check : The function that returns this result.
    lr_find : The learning-rate range test.

    Examples
    --------
    >>> from sktrain.diagnostics import OverfitResult
    >>> r = OverfitResult(True, 0.01, [1.0, 0.1, 0.01], 1.0, "passed", (),
    ...                   8, 3, 0.05, ())
    >>> r.threshold_epoch
    3
    """

    passed: bool
    final_loss: float
    loss_curve: np.ndarray
    train_score: float
    verdict: str
    causes: tuple
    n_samples: int
    n_epochs: int
    threshold: float
    stripped: tuple = ()

    @property
    def threshold_epoch(self):
        curve = np.asarray(self.loss_curve, dtype=float)
        if not len(curve) or not np.isfinite(curve[0]):
            return None
        hits = np.flatnonzero(curve <= self.threshold * curve[0])
        return int(hits[0]) + 1 if len(hits) else None

    def __str__(self):
        return self.verdict

    def plot(self, ax=None):
        """Draw the loss curve (log scale) and the threshold line.

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
        curve = np.asarray(self.loss_curve, dtype=float)
        ax.plot(np.arange(1, len(curve) + 1), curve, label="training loss")
        if len(curve) and np.isfinite(curve[0]):
            ax.axhline(
                self.threshold * curve[0],
                linestyle="--",
                color="grey",
                label=f"threshold ({self.threshold:g} x first)",
            )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title("overfit check: " + ("passed" if self.passed else "failed"))
        ax.legend(loc="best", fontsize="small")
        return ax


def overfit_check(
    estimator,
    X,
    y=None,
    n_samples=32,
    max_epochs=500,
    *,
    threshold=0.05,
    random_state=None,
):
    """Check that the network can fit a tiny subset of the data.

    A properly configured model reaches (nearly) zero loss on a small batch;
    if it cannot, there is a bug in the model, the input pipeline or the
    loss. A clone of ``estimator`` trains on ``n_samples`` rows (stratified
    for classifiers, at least one row per class) for ``max_epochs``
    full-batch epochs with every regularizer off, and keeps the user's
    optimizer and learning rate (what is being checked).

    The stated threshold: the check passes when the last epoch's training
    loss is at most ``threshold`` times the first epoch's **and** the
    clone's score on the subset is perfect (accuracy 1.0; R² >= 0.99 for
    regressors and transformers).

    Turned off in the clone: for the MLP estimators ``alpha``, ``l1``,
    ``l2``, ``dropout``, ``label_smoothing``, ``weight_decay``, ``ema``,
    ``early_stopping``, validation, ``scoring``, ``checkpoint``, and
    sklearn's stopping (``tol=0``, ``n_iter_no_change=max_epochs``;
    ``solver='lbfgs'`` runs ``max_epochs`` iterations); for the Keras*
    wrappers ``validation_split``, ``label_smoothing``, ``weight_decay``,
    ``ema``, ``scoring``, ``checkpoint``, and in the built model (nested
    models walked) dropout-family layers, ``GaussianNoise``, weight and
    activity regularizers and augmentation layers (see ``stripped``).
    ``EarlyStopping``, ``ReduceLROnPlateau``, ``ModelCheckpoint``,
    ``BackupAndRestore`` and ``LearningRateScheduler`` callbacks are
    dropped. The estimator itself is never modified or fitted.

    Parameters
    ----------
    estimator : sktrain estimator or Pipeline
        Any public sktrain estimator, or a Pipeline ending in one (clones of
        the preceding steps are fitted on the subset).
    X : array-like of shape (n_samples_total, ...)
        Training data.
    y : array-like of shape (n_samples_total,) or (n_samples_total, n_outputs)
        Targets (None for a ``KerasTransformer`` with ``target='X'``).
    n_samples : int, default=32
        Rows of the subset.
    max_epochs : int, default=500
        Full-batch epochs (L-BFGS iterations for ``solver='lbfgs'``).
    threshold : float, default=0.05
        The fraction of the first epoch's loss to reach.
    random_state : int, RandomState or None, default=None
        Draws the subset; also seeds the clone when the estimator's own
        ``random_state`` is None.

    Returns
    -------
    result : OverfitResult
        ``passed``, the loss curve, the training score and a verdict that
        names the likely causes of a failure.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sktrain import MLPClassifier
    >>> from sktrain.diagnostics import overfit_check
    >>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    >>> result = overfit_check(MLPClassifier(learning_rate_init=0.01,
    ...                        random_state=0), X, y, n_samples=16,
    ...                        max_epochs=200, random_state=0)
    >>> result.passed, result.train_score
    (True, 1.0)
    """
    target = target_of(estimator, "overfit_check")
    _check_arguments(n_samples, max_epochs, threshold)
    classifier = target.kind == "classifier"
    idx = tiny_subset(X, y, n_samples, classifier, random_state)
    X_sub = take_rows(X, idx)
    y_sub = None if y is None else take_rows(y, idx)
    Xt = target.transform(X_sub, y_sub, fit=True)
    seed = target.estimator.random_state
    est = _clone(target, n_rows(Xt), max_epochs, random_state if seed is None else seed)
    with quiet_run() as caught:
        stripped = _train(est, target, Xt, y_sub)
    nonfinite = any("became NaN or infinite" in str(w.message) for w in caught)
    curve = np.asarray(est.history_.get("loss", []), dtype=float)
    if nonfinite:
        curve = np.append(curve, np.nan)
    score = _train_score(est, target, Xt, y_sub)
    evidence = Evidence.collect(target, est, Xt, y_sub, curve, score, max_epochs)
    passed, verdict, causes = likely_causes(evidence, threshold)
    return OverfitResult(
        passed=passed,
        final_loss=float(curve[-1]) if len(curve) else math.nan,
        loss_curve=curve,
        train_score=score,
        verdict=verdict,
        causes=causes,
        n_samples=len(idx),
        n_epochs=len(curve),
        threshold=float(threshold),
        stripped=stripped,
    )


def _check_arguments(n_samples, max_epochs, threshold):
    from numbers import Integral

    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
    if not isinstance(max_epochs, Integral) or max_epochs < 1:
        raise ValueError(f"max_epochs must be a positive int; got {max_epochs!r}.")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1); got {threshold!r}.")


def _clone(target, n, max_epochs, seed):
    """The training clone: full batch, regularizers and stopping off."""
    est = target.estimator
    common = dict(
        batch_size=n,
        label_smoothing=0.0,
        weight_decay=None,
        ema=None,
        scoring=None,
        checkpoint=None,
        warm_start=False,
        verbose=0,
        on_nan="warn",
        random_state=seed,
        callbacks=without_callbacks(est.callbacks) or None,
    )
    if target.is_mlp:
        mlp = dict(alpha=0.0, l1=0.0, l2=0.0, dropout=0.0, early_stopping=False)
        stop = dict(tol=0.0, n_iter_no_change=max_epochs, max_iter=max_epochs)
        return training_clone(est, **{**common, **mlp, **stop, "verbose": False})
    wrapper = dict(epochs=max_epochs, validation_split=0.0, transform_layer=None)
    return training_clone(est, **common, **wrapper)


def _train(est, target, X, y):
    """Fit the clone (a wrapper: build, strip its model, then train it);
    return what was stripped."""
    if target.is_mlp:
        est.fit(X, y)
        return ()
    est.initialize(X, y)
    probe = take_rows(X, np.arange(min(2, n_rows(X))))
    stripped = strip_regularizers(est.model_, _as_model_input(est, probe))
    est.set_params(warm_start=True).fit(X, y)
    return stripped


def _as_model_input(est, X):
    """X as the network takes it (dense arrays of the dtypes it was built
    for)."""
    from .._engine import inputs as inp

    if not inp.is_structured(X):
        X = np.asarray(X.toarray() if hasattr(X, "toarray") else X)
    return inp.cast_inputs(X, est._in_dtypes)


def _train_score(est, target, X, y):
    """Accuracy / R² of the trained clone on the subset (see OverfitResult)."""
    from sklearn.metrics import r2_score

    if target.kind != "transformer":
        return float(est.score(X, y))
    wanted = X if est.target == "X" else y
    wanted = np.asarray(wanted, dtype=float).reshape(n_rows(X), -1)
    out = est.transform(X)
    return float(r2_score(wanted, out, multioutput="variance_weighted"))
