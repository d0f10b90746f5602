"""The suggestions read off an LR range test's smoothed loss curve
(``lr_find``): fastai's "valley" and the steepest descent."""

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class LRSuggestion:
    """Two readings of an LR range test's curve.

    Parameters
    ----------
    valley : float
        fastai's "valley" rule: the longest decreasing run of the smoothed
        loss (its longest strictly decreasing subsequence, from its first
        to its last step) and the rate at its start plus a third plus a
        sixth of its length, i.e. about halfway down it: well below the
        minimum, where the loss still falls steadily. NaN with fewer than
        3 steps.
    steepest : float
        The rate at the most negative slope of the smoothed loss against
        log(lr) (forward differences). NaN with fewer than 3 steps.

    Attributes
    ----------
    valley : float
        See Parameters.

    See Also
    --------
    lr_find : The function whose result holds this.
    LRFindResult : The full result.

    Examples
    --------
    >>> from sktrain.diagnostics import LRSuggestion
    >>> LRSuggestion(valley=1e-3, steepest=3e-3).valley
    0.001
    """

    valley: float
    steepest: float


def suggest(lrs, losses, num_steps):
    """The ``LRSuggestion`` of a curve (see ``LRSuggestion``), after
    fastai's trim: the first ``num_steps // 10`` and the last 5 steps out
    (all steps when fewer than 3 would remain)."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    lo, hi = num_steps // 10, len(lrs) - 5
    if hi - lo >= 3:
        lrs, losses = lrs[lo:hi], losses[lo:hi]
    if len(lrs) < 3:
        return LRSuggestion(math.nan, math.nan)
    return LRSuggestion(valley=_valley(lrs, losses), steepest=_steepest(lrs, losses))


def _steepest(lrs, losses):
    slopes = np.diff(losses) / np.diff(np.log(lrs))
    return float(lrs[int(np.argmin(slopes))])


def _valley(lrs, losses):
    """fastai's valley: the longest strictly decreasing subsequence of the
    losses, spanning steps ``start..end``; the rate at ``start + L // 3 +
    L // 6`` with ``L = end - start`` (fastai's int(L/3) + int(L/6))."""
    n = len(losses)
    longest = [1] * n
    end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
        if longest[i] > longest[end]:
            end = i
    start = end - longest[end]
    span = (end - start) / 3
    return float(lrs[max(0, start + int(span) + int(span / 2))])
