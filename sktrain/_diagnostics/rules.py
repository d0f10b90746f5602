"""The rules of ``diagnose``: one short function per finding, each reading a
``history_``-shaped dict (per-epoch lists) and returning a ``Finding`` or
None. A rule that lacks what it measures (too few epochs, no grad norms, no
validation loss) returns None: no finding without evidence.

Epochs are 0-based indices into the history's lists. Every threshold is a
keyword argument with the default ``diagnose`` documents.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .advice import action


@dataclass(frozen=True)
class Finding:
    """One problem ``diagnose`` found in a training run, with its evidence.

    Parameters
    ----------
    kind : str
        What was found: 'overfitting', 'no_validation', 'underfitting',
        'unstable', 'exploding_gradients', 'vanishing_gradients',
        'dead_relu', 'lr_too_high', 'lr_too_low' or 'not_converged'.
    severity : {'warning', 'info'}
        'warning' for a problem of the fitted model, 'info' for advice.
    message : str
        What the rule measured, in one sentence.
    evidence : dict of str to float, int, str or tuple
        The values the rule measured, fixed keys per kind (see ``diagnose``).
    action : str
        What to change, naming the estimator's own parameters.
    epoch : int or None
        The epoch (0-based) where the problem began, or None.

    Attributes
    ----------
    kind, severity, message, evidence, action, epoch
        As given.

    See Also
    --------
    diagnose : Runs every rule on a fitted estimator.
    Diagnosis : The findings of one ``diagnose`` call.

    Examples
    --------
    >>> from sktrain.diagnostics import Finding
    >>> f = Finding("unstable", "warning", "the loss spiked twice", {}, "lower it", 3)
    >>> print(f)
    [warning] unstable (from epoch 3): the loss spiked twice -> lower it
    """

    kind: str
    severity: str
    message: str
    evidence: dict = field(hash=False)
    action: str
    epoch: int | None = None

    def __str__(self):
        where = "" if self.epoch is None else f" (from epoch {self.epoch})"
        return f"[{self.severity}] {self.kind}{where}: {self.message} -> {self.action}"


def series(history, key):
    """``history[key]`` as a float array, or None when not recorded."""
    values = history.get(key)
    if not values:
        return None
    return np.asarray(values, dtype=float)


def _first(mask):
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _last_lr(history):
    lr = series(history, "lr")
    if lr is None or not np.isfinite(lr).any():
        return float("nan")
    return float(lr[np.isfinite(lr)][-1])


def _finding(kind, message, evidence, ctx, epoch=None, severity="warning"):
    return Finding(kind, severity, message, evidence, action(kind, ctx), epoch)


def overfitting(history, ctx, *, patience=5, min_rise=0.1, restored=False):
    """Validation loss above ``(1 + min_rise)`` times its minimum at the end,
    ``patience`` or more epochs after that minimum, while the training loss
    fell over the same span. 'info' when the estimator kept the weights of
    its best validation epoch (``restored``)."""
    val, loss = series(history, "val_loss"), series(history, "loss")
    if val is None or loss is None or not np.isfinite(val).any():
        return None
    m = int(np.nanargmin(val))
    n = min(len(val), len(loss))
    end = n - 1
    if end - m < patience or not np.isfinite([val[end], loss[m], loss[end]]).all():
        return None
    rise = val[end] / val[m] - 1.0
    if rise <= min_rise or loss[end] >= loss[m]:
        return None
    evidence = {
        "epoch": m,
        "val_loss_min": float(val[m]),
        "val_loss_end": float(val[end]),
        "loss_at_min": float(loss[m]),
        "loss_end": float(loss[end]),
        "epochs_rising": end - m,
    }
    message = (
        f"validation loss rose {rise:.0%} from {val[m]:.4g} at epoch {m} to "
        f"{val[end]:.4g} at epoch {end} while the training loss fell from "
        f"{loss[m]:.4g} to {loss[end]:.4g}"
    )
    if restored:
        message += "; early stopping kept the best validation epoch's weights"
    severity = "info" if restored else "warning"
    return _finding("overfitting", message, evidence, ctx, m, severity)


def no_validation(history, ctx):
    """An 'info' finding when no validation loss was recorded."""
    if series(history, "val_loss") is not None or series(history, "loss") is None:
        return None
    message = "no validation loss was recorded, so overfitting cannot be judged"
    return _finding("no_validation", message, {}, ctx, severity="info")


def underfitting(history, ctx, *, fit_ratio, window=0.25, flat_tol=0.01, high=0.9):
    """Training (and validation) loss flat, and high: the relative change over
    the last ``window`` of the epochs (at least 2 epochs) below ``flat_tol``,
    and the model's loss on the given data at least ``high`` times the loss
    of the best constant prediction (``fit_ratio``; None: not judged)."""
    loss = series(history, "loss")
    if fit_ratio is None or loss is None or len(loss) < 4:
        return None
    k = max(2, int(round(len(loss) * window)))
    start = len(loss) - 1 - k
    falls = [_relative_fall(s[start:]) for s in _curves(history) if len(s) > start]
    if fit_ratio < high or not all(abs(f) < flat_tol for f in falls):
        return None
    evidence = {"loss_ratio": float(fit_ratio), "fall": max(falls), "from_epoch": start}
    message = (
        f"the model's loss is {fit_ratio:.0%} of the best constant prediction's "
        f"and fell only {max(falls):.2%} since epoch {start}"
    )
    return _finding("underfitting", message, evidence, ctx, start)


def _curves(history):
    return [
        s
        for s in (series(history, "loss"), series(history, "val_loss"))
        if s is not None
    ]


def _relative_fall(values):
    first, last = values[0], values[-1]
    if not (math.isfinite(first) and math.isfinite(last)) or first <= 0:
        return float("nan")
    return float((first - last) / first)


def unstable(history, ctx, *, spike_ratio=1.5, window=5, min_spikes=2):
    """A non-finite training loss, or ``min_spikes`` or more spikes: epochs
    whose loss exceeds ``spike_ratio`` times the minimum of the previous
    ``window`` epochs (consecutive spiking epochs count as one spike)."""
    loss = series(history, "loss")
    if loss is None:
        return None
    bad = _first(~np.isfinite(loss))
    if bad is not None:
        evidence = {"epoch": bad, "spikes": (), "max_ratio": float("inf")}
        message = f"the training loss became non-finite at epoch {bad}"
        return _finding("unstable", message, evidence, ctx, bad)
    ratios = [loss[e] / loss[max(0, e - window) : e].min() for e in range(1, len(loss))]
    spiking = [r > spike_ratio for r in ratios]
    onsets = tuple(
        e + 1 for e, s in enumerate(spiking) if s and (e == 0 or not spiking[e - 1])
    )
    if len(onsets) < min_spikes:
        return None
    worst = max(ratios)
    evidence = {"epoch": onsets[0], "spikes": onsets, "max_ratio": float(worst)}
    message = (
        f"the training loss spiked {len(onsets)} times (epochs "
        f"{', '.join(map(str, onsets))}), up to {worst:.3g}x its recent minimum"
    )
    return _finding("unstable", message, evidence, ctx, onsets[0])


def exploding_gradients(history, ctx, *, growth=100.0):
    """Non-finite gradient norms, or a gradient norm ``growth`` times (or
    more) that of the first epoch."""
    gn = series(history, "grad_norm")
    if gn is None or not math.isfinite(gn[0]) or gn[0] <= 0:
        return None
    finite = np.isfinite(gn)
    epoch = _first(~finite | (gn >= growth * gn[0]))
    if epoch is None:
        return None
    top = float(gn.max()) if finite.all() else float("inf")
    evidence = {
        "epoch": epoch,
        "grad_norm_start": float(gn[0]),
        "grad_norm_max": top,
        "growth": top / float(gn[0]),
        "lr": _last_lr(history),
    }
    bad = _first(~finite)
    message = f"the gradient norm (epoch 0: {gn[0]:.3g}) "
    if bad != epoch:
        message += f"grew {gn[epoch] / gn[0]:.3g}x by epoch {epoch}"
    if bad is not None:
        message += f"{' and ' * (bad != epoch)}became non-finite at epoch {bad}"
    return _finding("exploding_gradients", message, evidence, ctx, epoch)


def vanishing_gradients(history, ctx, *, collapse=100.0, loss_fraction=0.5):
    """Gradient norms falling to ``1 / collapse`` of the first epoch's (or
    less) while the training loss is still at least ``loss_fraction`` of the
    first epoch's: the network stopped learning far from a minimum."""
    gn, loss = series(history, "grad_norm"), series(history, "loss")
    if gn is None or loss is None or not np.isfinite(gn).all() or gn[0] <= 0:
        return None
    epoch = _first(gn <= gn[0] / collapse)
    if epoch is None or not loss[-1] >= loss_fraction * loss[0]:
        return None
    evidence = {
        "epoch": epoch,
        "grad_norm_start": float(gn[0]),
        "grad_norm_end": float(gn[-1]),
        "collapse": float(gn[0] / gn[-1]) if gn[-1] > 0 else float("inf"),
        "loss_start": float(loss[0]),
        "loss_end": float(loss[-1]),
    }
    message = (
        f"the gradient norm fell from {gn[0]:.3g} to {gn[-1]:.3g} while the loss "
        f"only went from {loss[0]:.4g} to {loss[-1]:.4g}"
    )
    return _finding("vanishing_gradients", message, evidence, ctx, epoch)


def lr_too_high(history, ctx, *, rise_fraction=0.4, amplitude=0.1, min_epochs=6):
    """The loss diverged (non-finite), ended above the first epoch's, or
    oscillated: over the second half of a run of ``min_epochs`` or more
    epochs, ``rise_fraction`` or more of the epoch-to-epoch changes are rises
    and the mean absolute change is ``amplitude`` or more of the mean loss."""
    loss = series(history, "loss")
    if loss is None or len(loss) < 2:
        return None
    finite = np.isfinite(loss)
    half = loss[len(loss) // 2 :]
    steps = np.diff(half)
    rises = float(np.mean(steps > 0)) if steps.size else 0.0
    if not finite.all():
        epoch, why = _first(~finite), "diverged (non-finite)"
    elif loss[-1] > loss[0]:
        epoch, why = int(np.argmin(loss)), "ended above its first epoch's value"
    elif (
        len(loss) >= min_epochs
        and rises >= rise_fraction
        and np.abs(steps).mean() >= amplitude * half.mean()
    ):
        epoch, why = len(loss) // 2, "oscillated"
    else:
        return None
    lr = _last_lr(history)
    evidence = {
        "epoch": epoch,
        "lr": lr,
        "loss_start": float(loss[0]),
        "loss_end": float(loss[-1]),
        "rise_fraction": rises,
    }
    message = (
        f"the training loss {why} (from {loss[0]:.4g} to {loss[-1]:.4g}) at lr {lr:.3g}"
    )
    return _finding("lr_too_high", message, evidence, ctx, epoch)


def lr_too_low(history, ctx, *, fit_ratio=None, min_fall=0.1, steady=0.8, min_epochs=5):
    """The loss fell steadily (``steady`` or more of the epoch-to-epoch
    changes are falls) but by less than ``min_fall`` of the first epoch's
    loss over the run, with healthy gradients (finite, the last at least a
    tenth of the first) and, when judged (``fit_ratio``), a loss still over
    half the best constant prediction's."""
    loss, gn = series(history, "loss"), series(history, "grad_norm")
    if loss is None or len(loss) < min_epochs or not np.isfinite(loss).all():
        return None
    if gn is not None and not (np.isfinite(gn).all() and gn[-1] >= gn[0] / 10):
        return None
    falls = float(np.mean(np.diff(loss) < 0))
    fall = _relative_fall(loss)
    if falls < steady or not 0 < fall < min_fall:
        return None
    if fit_ratio is not None and fit_ratio < 0.5:
        return None
    lr = _last_lr(history)
    evidence = {"lr": lr, "fall": fall, "falling_epochs": falls}
    message = (
        f"the training loss fell steadily but only {fall:.1%} over "
        f"{len(loss)} epochs at lr {lr:.3g}"
    )
    return _finding("lr_too_low", message, evidence, ctx)


def not_converged(history, ctx, *, window=0.1, tol=0.005, budget_used=True):
    """The run used its whole epoch budget (``budget_used``) and the loss
    (and the validation loss, when recorded) still fell over the last
    ``window`` of the epochs (at least 3), the training loss by ``tol`` or
    more of its value per epoch on average."""
    loss = series(history, "loss")
    if not budget_used or loss is None or len(loss) < 4:
        return None
    k = min(len(loss) - 1, max(3, int(round(len(loss) * window))))
    start = len(loss) - 1 - k
    rate = _relative_fall(loss[start:]) / k
    val = series(history, "val_loss")
    if not rate >= tol or (val is not None and not _relative_fall(val[start:]) > 0):
        return None
    evidence = {
        "from_epoch": start,
        "fall_per_epoch": rate,
        "loss_end": float(loss[-1]),
    }
    message = (
        f"the training loss was still falling {rate:.2%} per epoch over the "
        f"last {k} epochs"
    )
    return _finding("not_converged", message, evidence, ctx, start)


def dead_relu(layers, ctx, *, max_dead_fraction=0.25):
    """One finding per ReLU layer whose fraction of dead units (never
    positive on the sample) is above ``max_dead_fraction``; ``layers`` maps
    each layer's path to ``(units, dead units)``."""
    found = []
    for name, (units, dead) in layers.items():
        fraction = dead / units if units else 0.0
        if fraction > max_dead_fraction:
            evidence = {
                "layer": name,
                "units": units,
                "dead": dead,
                "fraction": fraction,
            }
            message = (
                f"{dead} of the {units} units of layer {name!r} ({fraction:.0%}) "
                "are never active on the sample"
            )
            found.append(_finding("dead_relu", message, evidence, ctx))
    return found
