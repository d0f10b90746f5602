"""Synthetic inputs for the teacher to label (``sampler=``).

- 'gaussian': a Gaussian with diagonal covariance per class (the regressor:
  one over all rows), mean and variance (``ddof=0``) fitted on the training
  rows; each synthetic row's class is drawn with the classes' frequencies.
- 'mixup': ``lam * x_i + (1 - lam) * x_j`` for random pairs of training rows
  (drawn with replacement), ``lam ~ Uniform(0, 1)`` per synthetic row.

Only inputs are drawn; the teacher labels them.
"""

import numpy as np


def gaussian(X, groups, n, rng):
    """``n`` rows from per-group diagonal Gaussians (``groups``: a label per
    row of X, or None for one group)."""
    if groups is None:
        groups = np.zeros(len(X), dtype=int)
    labels, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    means = np.array([X[inverse == g].mean(axis=0) for g in range(len(labels))])
    stds = np.array([X[inverse == g].std(axis=0) for g in range(len(labels))])
    drawn = rng.choice(len(labels), size=n, p=counts / counts.sum())
    return means[drawn] + stds[drawn] * rng.standard_normal((n, X.shape[1]))


def mixup(X, groups, n, rng):
    """``n`` convex combinations of random pairs of rows of X."""
    i = rng.randint(len(X), size=n)
    j = rng.randint(len(X), size=n)
    lam = rng.uniform(size=(n, 1))
    return lam * X[i] + (1.0 - lam) * X[j]


SAMPLERS = {"gaussian": gaussian, "mixup": mixup}


def synthetic_rows(sampler, X, groups, n, rng):
    """``n`` synthetic rows of ``sampler`` (a name of ``SAMPLERS``), in X's
    float dtype; an empty array for ``n == 0``."""
    if n == 0:
        return np.empty((0, X.shape[1]), dtype=X.dtype)
    dtype = X.dtype if X.dtype.kind == "f" else np.float64
    return SAMPLERS[sampler](np.asarray(X, dtype=float), groups, n, rng).astype(dtype)
