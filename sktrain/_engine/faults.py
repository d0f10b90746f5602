"""What the user hears when training went wrong: an interrupt, a NaN loss.

The epoch monitor (``callbacks.py``) and ``BaseTrainer._fit_loop`` keep
the weights of the last completed, finite epoch; this module turns what they
recorded into a warning or, for a non-finite loss with ``on_nan='raise'``, an
error. Either way the estimator is left fitted with those weights.
"""

import warnings


def _advice(est):
    if hasattr(est, "learning_rate_init"):
        return (
            "Try a lower learning_rate_init, gradient clipping (clipnorm=1.0) "
            "or scaled inputs (e.g. a StandardScaler in a Pipeline)"
        )
    return (
        "Try a lower learning rate (optimizer__learning_rate), gradient "
        "clipping (optimizer__clipnorm=1.0) or scaled inputs (e.g. a "
        "StandardScaler in a Pipeline)"
    )


def nonfinite_message(est, state):
    done = state.n_iter
    kept = f"those of epoch {done}" if done else "the initial ones"
    return (
        f"The training loss of {type(est).__name__} became NaN or infinite in "
        f"epoch {state.nonfinite_epoch} of this fit. Training stopped and the "
        f"weights were reset to the last finite epoch's ({kept}). "
        f"{_advice(est)}. Set on_nan='warn' to keep the model with a warning "
        "instead of this error."
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
    message = nonfinite_message(est, state)
    if est.on_nan == "raise":
        raise ValueError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=4)
