"""The soft targets, the row expansion and the synthetic samplers, against
their formulas (numpy only: no fit)."""

import numpy as np
import pytest

from sktrain._distill.samplers import gaussian, mixup, synthetic_rows
from sktrain._distill.targets import (
    CUTOFF,
    PROBA_FLOOR,
    expand_rows,
    kept_targets,
    mix,
    one_hot,
    soften,
)

P = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_soften_is_the_tempered_softmax_of_log_probabilities():
    assert np.allclose(soften(P[:1], 1.0), P[:1])
    root = np.sqrt(P[0]) / np.sqrt(P[0]).sum()  # T=2: p**(1/2), renormalised
    assert np.allclose(soften(P[:1], 2.0), root)
    # zeros are clipped to PROBA_FLOOR before the logarithm
    floor = np.array([PROBA_FLOOR, 0.5, 0.5]) ** (1 / 4)
    assert np.allclose(soften(P[1:2], 4.0), floor / floor.sum())
    # a higher temperature is flatter, T -> 0 is the argmax
    assert soften(P, 5.0).max() < soften(P, 2.0).max() < 1
    assert np.allclose(soften(P[:1], 1e-3), [[1, 0, 0]])


def test_mix_weights_the_teacher_by_alpha():
    hard = one_hot(np.array(["b", "a", "c"]), np.array(["a", "b", "c"]))
    assert np.array_equal(hard, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert np.allclose(mix(P, hard, 0.25), 0.25 * P + 0.75 * hard)
    assert np.array_equal(mix(P, hard, 1.0), P)
    assert np.array_equal(mix(P, hard, 0.0), hard)


def test_kept_targets_drop_tiny_entries_but_keep_every_class():
    targets = np.array([[0.9995, 0.0005, 0.0], [0.6, 0.3999, 0.0001]])
    kept, keep = kept_targets(targets)
    # row 0 loses nothing it needs; class 1's largest entry is row 1's;
    # class 2 is kept at row 1, its largest entry, though below the cutoff
    assert np.array_equal(keep, [[True, False, False], [True, True, True]])
    assert np.allclose(kept[0], [1, 0, 0])
    assert np.allclose(kept[1], targets[1])  # already sums to 1
    assert np.allclose(kept.sum(axis=1), 1)
    assert CUTOFF == 1e-3


def test_expanded_rows_weighted_cross_entropy_is_the_soft_cross_entropy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 2))
    targets = rng.dirichlet([0.3, 0.3, 0.3, 0.3], size=6)
    w = rng.uniform(0.5, 2, size=6)
    classes = np.array([10, 20, 30, 40])
    rows = expand_rows(X, targets, classes, w)
    kept, _ = kept_targets(targets)
    assert np.array_equal(rows.X, X[rows.rows])
    # the weights add back up to w_i * m_ik per (row, class)
    back = np.zeros_like(targets)
    np.add.at(back, (rows.rows, np.searchsorted(classes, rows.y)), rows.sample_weight)
    assert np.allclose(back, w[:, None] * kept)
    # so any model's weighted hard-label cross-entropy is the soft one
    student = rng.dirichlet([1, 1, 1, 1], size=6)
    hard = -np.log(student[rows.rows, np.searchsorted(classes, rows.y)])
    soft = -(kept * np.log(student)).sum(axis=1)
    assert np.isclose((rows.sample_weight * hard).sum(), (w * soft).sum())
    assert np.isclose(rows.sample_weight.sum(), w.sum())


def test_gaussian_sampler_draws_the_mixture_of_class_gaussians():
    """Overlapping classes: the draws' moments are those of the mixture of
    per-class diagonal Gaussians weighted by class frequency."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (30, 3)), rng.normal(5, 2, (10, 3))])
    labels = np.array(["a"] * 30 + ["b"] * 10)
    drawn = gaussian(X, labels, 20000, np.random.RandomState(1))
    assert drawn.shape == (20000, 3)
    weights = np.array([0.75, 0.25])
    means = np.array([X[:30].mean(0), X[30:].mean(0)])
    variances = np.array([X[:30].var(0), X[30:].var(0)])
    mixture_mean = weights @ means
    mixture_var = weights @ (variances + means**2) - mixture_mean**2
    se = np.sqrt(mixture_var / 20000)
    assert np.all(np.abs(drawn.mean(0) - mixture_mean) < 5 * se)
    assert np.allclose(drawn.var(0), mixture_var, rtol=0.05)


def test_gaussian_sampler_per_class_means_with_separated_classes():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-10, 1, (40, 2)), rng.normal(10, 0.5, (20, 2))])
    labels = np.array([0] * 40 + [1] * 20)
    drawn = gaussian(X, labels, 6000, np.random.RandomState(2))
    negative = drawn[:, 0] < 0  # the classes are 20 standard deviations apart
    assert abs(negative.mean() - 40 / 60) < 0.03  # drawn with class frequencies
    for rows, Xc in ((negative, X[:40]), (~negative, X[40:])):
        se = Xc.std(0) / np.sqrt(rows.sum())
        assert np.all(np.abs(drawn[rows].mean(0) - Xc.mean(0)) < 5 * se)
        assert np.allclose(drawn[rows].std(0), Xc.std(0), rtol=0.06)
    one = gaussian(X, None, 5000, np.random.RandomState(3))  # one Gaussian
    assert np.all(np.abs(one.mean(0) - X.mean(0)) < 5 * X.std(0) / np.sqrt(5000))


def test_mixup_draws_points_between_pairs_of_rows():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    drawn = mixup(X, None, 4000, np.random.RandomState(0))
    assert drawn.shape == (4000, 2)
    assert np.allclose(drawn[:, 1], 2 * drawn[:, 0])  # on the segment
    assert drawn.min() >= 0 and drawn[:, 0].max() <= 1
    # pairs with replacement: half are (a, b) or (b, a), lam ~ U(0, 1)
    assert abs(drawn[:, 0].mean() - 0.5) < 0.02


@pytest.mark.parametrize("sampler", ["gaussian", "mixup"])
def test_synthetic_rows_shape_dtype_and_none(sampler):
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 0, 0, 1, 1, 1])
    rows = synthetic_rows(sampler, X, y, 7, np.random.RandomState(0))
    assert rows.shape == (7, 2) and rows.dtype == np.float32
    assert synthetic_rows(sampler, X, y, 0, np.random.RandomState(0)).shape == (0, 2)
    again = synthetic_rows(sampler, X, y, 7, np.random.RandomState(0))
    assert np.array_equal(rows, again)
