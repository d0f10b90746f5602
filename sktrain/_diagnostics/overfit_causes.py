"""The likely causes of a failed ``overfit_check``, from its evidence.

``Evidence`` gathers what the run and the subset show (the loss curve, the
score, the learning rate, conflicting rows, the targets against the output
activation's range, the columns' scales) and the parameter names of the
estimator's family; ``likely_causes`` turns them into the verdict and the cause
codes. Rules, on the loss curve ``L`` (one entry per epoch):

- 'lr_too_high': a NaN/inf loss, ``L[-1] > L[0]``, or an oscillating curve
  (the loss rose by over 5% from one epoch to the next in at least
  ``max(3, 2%)`` of the epochs);
- 'lr_too_low': the loss fell by less than 1% of ``L[0]``;
- 'capacity_or_labels': it fell, then plateaued (under 1% in the last 20%
  of the epochs, or so slowly there that reaching the threshold at that
  pace would take over 10 times the epochs trained): a network too small,
  or labels not matching X;
- 'too_few_epochs': still falling at the end;
- 'output_range': regression targets outside the range of the output
  layer's activation (sigmoid/softmax (0, 1), tanh (-1, 1), relu, softplus,
  exponential >= 0): a loss that cannot reach zero;
- 'conflicting_labels': identical rows of the subset with different labels;
- 'unscaled_inputs' (also as a contributing cause): a column's RMS over 20,
  or the largest column RMS over 100 times the smallest non-zero one.

The structural causes ('output_range', 'conflicting_labels') explain a
slow or stuck loss, so the curve's 'lr_too_low', 'capacity_or_labels' and
'too_few_epochs' are not added beside them.
"""

from dataclasses import dataclass

import numpy as np

from .._engine import inputs as inp
from .probe import learning_rate, lr_param, output_activation

SCALE_MAX, SCALE_RATIO = 20.0, 100.0
RISE, RISE_SHARE = 0.05, 0.02
BARELY, PLATEAU_TAIL, PACE_FACTOR = 0.01, 0.2, 10
_RANGES = {
    "sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, np.inf),
    "softplus": (0.0, np.inf),
    "exponential": (0.0, np.inf),
    "relu6": (0.0, 6.0),
}


@dataclass
class Evidence:
    """What ``likely_causes`` reads (see the module doc)."""

    kind: str  # 'classifier', 'regressor', 'transformer'
    curve: np.ndarray
    score: float
    max_epochs: int
    lr: float | None
    lr_name: str | None
    capacity: str
    conflicts: int
    target_range: tuple | None  # (lo, hi) of the regression targets
    activation: str | None
    scales: tuple | None  # (smallest non-zero, largest) column RMS
    prefix: str

    @classmethod
    def collect(cls, target, est, X, y, curve, score, max_epochs):
        lbfgs = target.is_mlp and est._lbfgs()
        wanted = None
        if target.kind != "classifier":
            wanted = X if target.kind == "transformer" and est.target == "X" else y
        return cls(
            kind=target.kind,
            curve=curve,
            score=score,
            max_epochs=max_epochs,
            lr=None if lbfgs else _rate(est),
            lr_name=None if lbfgs else lr_param(target),
            capacity=_capacity(target),
            conflicts=conflicting_rows(X, y) if target.kind != "transformer" else 0,
            target_range=_range(wanted),
            activation=output_activation(est.model_),
            scales=column_scales(X),
            prefix=target.prefix,
        )


def _rate(est):
    try:
        return learning_rate(est.model_)
    except (AttributeError, TypeError, ValueError):  # a schedule, no rate
        return None


def _capacity(target):
    est, p = target.estimator, target.prefix
    if target.is_mlp:
        return f"raise {p}hidden_layer_sizes (now {est.hidden_layer_sizes!r})"
    if est.model is None:
        return f"raise {p}model__hidden_layer_sizes"
    return "give the model more units or layers"


def _range(y):
    if y is None or inp.is_structured(y) or hasattr(y, "toarray"):
        return None
    y = np.asarray(y, dtype=float)
    return (float(np.nanmin(y)), float(np.nanmax(y))) if y.size else None


def _dense_rows(X):
    """X as a 2-D float array (rows flattened), or None (sparse, several
    inputs, non-numeric)."""
    if inp.is_structured(X) or hasattr(X, "toarray"):
        return None
    try:
        a = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None
    return a.reshape(len(a), -1)


def conflicting_rows(X, y):
    """How many groups of identical rows of X have different targets."""
    a = _dense_rows(X)
    if a is None or y is None:
        return 0
    y = np.asarray(y).reshape(len(a), -1)
    groups = {}
    for row, target in zip(a, y):
        groups.setdefault(row.tobytes(), set()).add(target.tobytes())
    return sum(len(targets) > 1 for targets in groups.values())


def column_scales(X):
    """(smallest non-zero, largest) root-mean-square of X's columns, or None."""
    a = _dense_rows(X)
    if a is None or not a.size:
        return None
    rms = np.sqrt(np.nanmean(a**2, axis=0))
    nonzero = rms[rms > 0]
    return (float(nonzero.min()), float(rms.max())) if nonzero.size else None


def likely_causes(ev, threshold):
    """(passed, verdict, causes) of an overfit run (see the module doc)."""
    curve = ev.curve
    first, final = (curve[0], curve[-1]) if len(curve) else (np.nan, np.nan)
    perfect = ev.score >= (1.0 if ev.kind == "classifier" else 0.99)
    reached = bool(np.isfinite(final) and final <= threshold * first)
    head = _summary(ev, first, final, threshold)
    if reached and perfect:
        epoch = int(np.flatnonzero(curve <= threshold * first)[0]) + 1
        return True, f"PASSED: {head} The threshold was reached at epoch {epoch}.", ()
    found = _structural(ev) + _dynamic(ev, first, final, reached, threshold)
    if _unscaled(ev.scales):
        lo, hi = ev.scales
        found.append(
            (
                "unscaled_inputs",
                f"unscaled inputs (a contributing cause): column RMS from "
                f"{lo:.3g} to {hi:.3g}; put a StandardScaler before the "
                "estimator in a Pipeline.",
            )
        )
    if not found:  # loss fell far enough, the score did not follow
        found = [_capacity_cause(ev, first, final)]
    lines = "\n".join(f"- {text}" for _, text in found)
    causes = tuple(dict.fromkeys(code for code, _ in found))
    return False, f"FAILED: {head} Likely causes:\n{lines}", causes


def _summary(ev, first, final, threshold):
    metric = "accuracy" if ev.kind == "classifier" else "R²"
    return (
        f"the training loss went from {first:.4g} to {final:.4g} in "
        f"{len(ev.curve)} full-batch epochs (the threshold: {threshold:g} x "
        f"the first epoch's loss, {threshold * first:.4g}); training "
        f"{metric} on the subset {ev.score:.4g}."
    )


def _structural(ev):
    found = []
    if ev.conflicts:
        found.append(
            (
                "conflicting_labels",
                f"conflicting labels: {ev.conflicts} group(s) of identical "
                "input rows in the subset have different targets, which no "
                "model can fit; deduplicate the data or check the labels.",
            )
        )
    bounds = _RANGES.get(ev.activation)
    if ev.target_range is not None and bounds is not None:
        lo, hi = ev.target_range
        if lo < bounds[0] or hi > bounds[1]:
            found.append(
                (
                    "output_range",
                    f"a loss that cannot reach zero: the targets range over "
                    f"[{lo:.4g}, {hi:.4g}] but the last layer's "
                    f"'{ev.activation}' outputs only [{bounds[0]:g}, "
                    f"{bounds[1]:g}]; use a linear output layer (activation="
                    "None) or scale the targets into that range.",
                )
            )
    return found


def _dynamic(ev, first, final, reached, threshold):
    """Causes read from the loss curve."""
    curve = ev.curve
    too_high = _too_high(ev, curve, first, final)
    if too_high:
        return [too_high]
    if ev.conflicts or any(c == "output_range" for c, _ in _structural(ev)):
        return []
    if reached or ev.lr is None:
        return [] if reached else [_capacity_cause(ev, first, final)]
    if first - final < BARELY * first:
        return [
            (
                "lr_too_low",
                f"learning rate too low: the loss fell by only "
                f"{100 * (first - final) / first:.2g}% at {ev.lr_name}="
                f"{ev.lr:g}; raise {ev.lr_name} (lr_find suggests one).",
            )
        ]
    if _plateaued(curve, threshold * first):
        return [_capacity_cause(ev, first, final)]
    return [
        (
            "too_few_epochs",
            f"the loss was still falling at the last epoch; raise max_epochs "
            f"(now {ev.max_epochs}) or {ev.lr_name} (now {ev.lr:g}).",
        )
    ]


def _plateaued(curve, goal):
    """The last 20% of the epochs lowered the loss by under 1%, or at
    their pace (in log space) reaching ``goal`` would take over 10 times the
    epochs trained."""
    tail = curve[-max(2, int(PLATEAU_TAIL * len(curve))) :]
    if tail[0] - tail[-1] < BARELY * tail[0]:
        return True
    pace = np.log(tail[-1] / tail[0]) / (len(tail) - 1)  # < 0: still falling
    return np.log(goal / tail[-1]) / pace > PACE_FACTOR * len(curve)


def _too_high(ev, curve, first, final):
    name = ev.lr_name or "the learning rate"
    lower = f"lower {name}" + (f" (now {ev.lr:g})" if ev.lr is not None else "")
    if not np.isfinite(final):
        what = f"the loss became NaN or infinite at epoch {len(curve)}"
    elif final > first:
        what = f"the loss ended above its start ({first:.4g} -> {final:.4g})"
    else:
        rises = int(np.sum(curve[1:] > (1 + RISE) * curve[:-1]))
        if rises < max(3, RISE_SHARE * len(curve)):
            return None
        what = f"the loss oscillates (it rose by over 5% in {rises} epochs)"
    return "lr_too_high", f"learning rate too high: {what}; {lower}."


def _capacity_cause(ev, first, final):
    return (
        "capacity_or_labels",
        f"the loss fell ({first:.4g} -> {final:.4g}), then plateaued: the "
        f"network is too small for these rows ({ev.capacity}) or the labels "
        "do not match X (rows misaligned or shuffled against y).",
    )


def _unscaled(scales):
    if scales is None:
        return False
    lo, hi = scales
    return hi > SCALE_MAX or hi > SCALE_RATIO * lo
