"""``scoring``: sklearn scorers on the validation data after every epoch.

``make_scorers`` turns the parameter into ``{name: scorer}`` with sklearn's
own checks (an unknown name is sklearn's error, which lists the valid ones).
``ValidationScoring`` is an engine epoch listener: it scores an *epoch view*
of the estimator (a shallow stand-in whose ``model_`` is the network being
trained, so ``predict`` / ``predict_proba`` work mid-fit) on the validation
split and adds ``val_<name>`` to the epoch's logs, before the family's
listeners (the MLP's early stopping watches the first scorer) and the
user's Keras callbacks (``EarlyStopping(monitor='val_roc_auc')``) see them.
"""

import numpy as np

from .callbacks import EpochListener
from .toolkit import stand_in


def scorer_names(scoring):
    """The names ``scoring`` records (``history_['val_<name>']``), in order."""
    if scoring is None:
        return []
    if isinstance(scoring, str):
        return [scoring]
    if callable(scoring):
        return [getattr(scoring, "__name__", None) or "score"]
    if isinstance(scoring, dict):
        return [str(k) for k in scoring]
    return [str(s) for s in scoring]


def first_scorer_key(scoring):
    """``'val_<name>'`` of the first scorer, or None without scoring."""
    names = scorer_names(scoring)
    return f"val_{names[0]}" if names else None


def make_scorers(est, scoring):
    """``{name: scorer}`` for ``scoring`` (sklearn's checks and errors)."""
    from sklearn.metrics import check_scoring

    if scoring is None:
        return {}
    if isinstance(scoring, str) or callable(scoring):
        (name,) = scorer_names(scoring)
        return {name: check_scoring(est, scoring=scoring)}
    if isinstance(scoring, dict):
        return {str(k): check_scoring(est, scoring=v) for k, v in scoring.items()}
    names = scorer_names(scoring)
    if len(set(names)) != len(names):
        raise ValueError(f"scoring lists a scorer twice: {list(scoring)!r}.")
    return {name: check_scoring(est, scoring=name) for name in names}


def check_scoring_data(est, data):
    """``scoring`` needs validation data: say how to give some."""
    if est.scoring is not None and data.validation is None:
        raise ValueError(
            f"scoring={est.scoring!r} is computed on validation data, and this "
            "fit has none. Pass X_val and y_val to fit, or hold out a split "
            "(early_stopping=True with validation_fraction for MLPClassifier/"
            "MLPRegressor, validation_split for the Keras* estimators)."
        )


def epoch_view(est, model):
    """A stand-in for ``est`` that predicts with ``model`` (mid-fit)."""
    # the split's X is validated and encoded already: no second pass
    view = stand_in(est, model_=model, _validate_X=_validated)
    view._predictor = view._make_predictor()
    return view


def _validated(X, *, reset):
    return X


class ValidationScoring(EpochListener):
    """Adds ``val_<name>`` for each scorer to every epoch's logs."""

    def __init__(self, est, scorers, validation):
        self.est, self.scorers, self.validation = est, scorers, validation
        weights = validation.sample_weight
        unit = weights is None or np.all(weights == 1)
        self.kwargs = {} if unit else {"sample_weight": weights}

    def on_epoch_end(self, model, state, logs):
        view = epoch_view(self.est, model)
        X, y = self.validation.X, self.validation.y
        for name, scorer in self.scorers.items():
            logs[f"val_{name}"] = float(scorer(view, X, y, **self.kwargs))
