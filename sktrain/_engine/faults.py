"""What the user hears when training went wrong: an interrupt, a NaN loss.

The epoch monitor (``callbacks.py``) and ``BaseTrainer._fit_loop`` keep
the weights of the last completed, finite epoch; this module turns what they
recorded into a warning or, for a non-finite loss with ``on_nan='raise'``, an
error (the MLP's starts with sklearn's MLP's sentence, so code that matches
it still does). Either way the estimator is left fitted with those weights.
When an epoch listener took the non-finite epoch as its last (the MLP's
``early_stopping``, which keeps its best validation weights, as sklearn's
MLP does), the fit only warns.
"""

import warnings


def _is_mlp(est):
    return hasattr(est, "learning_rate_init")


def _advice(est):
    if _is_mlp(est):
        return (
            "Try a lower learning_rate_init, gradient clipping (clipnorm=1.0) "
            "or scaled inputs (e.g. a StandardScaler in a Pipeline)"
        )
    return (
        "Try a lower learning rate (optimizer__learning_rate), gradient "
        "clipping (clipnorm=1.0) or scaled inputs (e.g. a StandardScaler in "
        "a Pipeline)"
    )


SKLEARN_NONFINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


def nonfinite_message(est, state):
    done = state.n_iter
    kept = f"those of epoch {done}" if done else "the initial ones"
    lead = f"{SKLEARN_NONFINITE} " if _is_mlp(est) else ""
    return (
        f"{lead}The training loss of {type(est).__name__} became "
        f"NaN or infinite in epoch {state.nonfinite_epoch} of this fit. "
        "Training stopped and the weights were reset to the last finite "
        f"epoch's ({kept}). {_advice(est)}. Set on_nan='warn' to keep the "
        "model with a warning instead of this error."
    )


def taken_nonfinite_message(est, state):
    """The warning when a listener took the non-finite epoch as its last."""
    kept = (
        "the weights of its best validation epoch"
        if state.best_weights is not None
        else "the weights it started this fit with (no finite validation epoch)"
    )
    return (
        f"The training loss of {type(est).__name__} became NaN or infinite in "
        f"epoch {state.nonfinite_epoch} of this fit, so training stopped there; "
        f"with early stopping the estimator keeps {kept}, as sklearn's MLP "
        f"does. {_advice(est)}."
    )


def report_faults(est, state):
    """Warn about an interrupt; raise or warn about a non-finite loss."""
    if state.interrupted:
        warnings.warn(
            f"{type(est).__name__}.fit was interrupted (KeyboardInterrupt) "
            f"after {state.n_iter} completed epoch(s) of this fit. The "
            "estimator is usable: it keeps the weights of the last completed "
            "epoch (the best ones with early stopping), and n_iter_ and "
            "history_ describe the training done. Call fit again to start over.",
            UserWarning,
            stacklevel=4,
        )
    if state.nonfinite_epoch is None:
        return
    if state.nonfinite_taken:
        warnings.warn(taken_nonfinite_message(est, state), RuntimeWarning, stacklevel=4)
        return
    message = nonfinite_message(est, state)
    if est.on_nan == "raise":
        raise ValueError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=4)
