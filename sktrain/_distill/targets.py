"""Soft targets and the row expansion that trains any student on them.

A classifier teacher gives probabilities, not logits, so they are softened as
``q_T = softmax(log(p) / T)`` (``p`` clipped to ``PROBA_FLOOR``). A labeled
row's target is ``alpha * q_T + (1 - alpha) * onehot(y)``, an unlabeled or
synthetic row's ``q_T``. The student minimises
``sum_i w_i sum_k m_ik (-log p_student_k(x_i))``: ``expand_rows`` repeats row
``i`` once per class ``k`` with label ``k`` and weight ``w_i * m_ik``, whose
ordinary weighted cross-entropy is exactly that sum. Entries below ``CUTOFF``
are dropped (each row keeps its largest entry, each class its largest
entry, so every class stays a label) and each row's kept entries are
renormalised to sum to 1.
"""

from dataclasses import dataclass

import numpy as np

PROBA_FLOOR = 1e-7  # teacher probabilities are clipped to [PROBA_FLOOR, 1]
CUTOFF = 1e-3  # target entries below this are dropped from the expansion


def soften(proba, temperature):
    """``softmax(log(clip(proba, PROBA_FLOOR, 1)) / temperature)`` per row."""
    logits = np.log(np.clip(np.asarray(proba, dtype=float), PROBA_FLOOR, 1.0))
    logits = logits / temperature
    logits -= logits.max(axis=1, keepdims=True)
    q = np.exp(logits)
    return q / q.sum(axis=1, keepdims=True)


def one_hot(y, classes):
    """Rows of ``np.eye(len(classes))`` for the labels ``y``."""
    return (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(float)


def mix(teacher, truth, alpha):
    """``alpha * teacher + (1 - alpha) * truth``: the labeled rows' target
    (soft probabilities and one-hot labels, or the regressor's values)."""
    return alpha * teacher + (1.0 - alpha) * truth


def kept_targets(targets, cutoff=CUTOFF):
    """The targets the student learns: entries below ``cutoff`` set to 0
    (not a row's or a class's largest entry), rows renormalised to sum 1."""
    targets = np.asarray(targets, dtype=float)
    keep = targets >= cutoff
    n, k = targets.shape
    keep[np.arange(n), targets.argmax(axis=1)] = True
    keep[targets.argmax(axis=0), np.arange(k)] = True
    kept = np.where(keep, targets, 0.0)
    return kept / kept.sum(axis=1, keepdims=True), keep


@dataclass(frozen=True)
class ExpandedRows:
    """Hard-label rows whose weighted cross-entropy is the soft one."""

    X: np.ndarray  # row ``rows[j]`` of the input
    y: np.ndarray  # a class label per row
    sample_weight: np.ndarray  # w_i * m_ik
    rows: np.ndarray  # the original row of each expanded row


def expand_rows(X, targets, classes, sample_weight, cutoff=CUTOFF):
    """Each row once per kept class ``k``, label ``classes[k]``, weight
    ``sample_weight[i] * m_ik`` (``m`` = ``kept_targets(targets, cutoff)``)."""
    kept, keep = kept_targets(targets, cutoff)
    rows, cols = np.nonzero(keep)
    return ExpandedRows(
        X=X[rows],
        y=np.asarray(classes)[cols],
        sample_weight=np.asarray(sample_weight, dtype=float)[rows] * kept[rows, cols],
        rows=rows,
    )
