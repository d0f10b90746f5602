"""The class rules every sktrain classifier shares (``_targets.py``,
``_mixins.py``), with sklearn's semantics: which classes a continued fit may
see, a target of a single class, and what the validation split is
stratified by.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sktrain import KerasClassifier, MLPClassifier
from sktrain._targets import ClassificationTarget

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CLASSIFIERS = [MLPClassifier, KerasClassifier]
RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 3))
Y3 = np.repeat([0, 1, 2], 20)


def _quick(Est, **kw):
    if Est is MLPClassifier:
        return MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0, **kw)
    return KerasClassifier(
        epochs=1, random_state=0, model__hidden_layer_sizes=(4,), **kw
    )


# ---------------------------------------------------------------------------
# partial_fit's classes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("Est", CLASSIFIERS)
def test_partial_fit_refuses_other_classes_than_the_first_call(Est):
    est = _quick(Est).partial_fit(X, Y3, classes=[0, 1, 2])
    weights = [w.copy() for w in est.model_.get_weights()]
    message = re.escape("`classes=[1, 2, 3]` is not the same as on last call")
    with pytest.raises(ValueError, match=message + ".*was: array"):
        est.partial_fit(X, Y3, classes=[1, 2, 3])
    with pytest.raises(ValueError, match="not the same as on last call"):
        est.partial_fit(X, Y3, classes=[0, 1])  # a subset of classes too
    for got, want in zip(est.model_.get_weights(), weights):  # nothing trained
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("Est", CLASSIFIERS)
def test_partial_fit_takes_the_same_classes_again_and_a_subset_of_them_in_y(Est):
    est = _quick(Est).partial_fit(X, Y3, classes=[0, 1, 2])
    est.partial_fit(X, Y3, classes=np.array([2, 1, 0]))  # same set, any order
    est.partial_fit(X[:20], Y3[:20])  # y of one class: fine
    est.partial_fit(X[20:], Y3[20:], classes=None)
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert len(est.history_["loss"]) == 4


def test_partial_fit_after_fit_checks_classes_against_fit():
    est = _quick(MLPClassifier).fit(X, Y3)
    est.partial_fit(X, Y3, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not the same as on last call"):
        est.partial_fit(X, Y3, classes=[0, 1, 2, 3])


def test_partial_fit_multilabel_classes_are_the_label_indices():
    Y = np.column_stack([Y3 == 0, Y3 == 1, Y3 != 1]).astype(int)
    est = _quick(MLPClassifier).partial_fit(X, Y, classes=[0, 1, 2])
    est.partial_fit(X, Y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not the same as on last call"):
        est.partial_fit(X, Y, classes=[0, 1])


# ---------------------------------------------------------------------------
# warm_start's classes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("Est", CLASSIFIERS)
@pytest.mark.parametrize(
    "y_new",
    [np.repeat([0, 1], 30), np.repeat([0, 1, 3], 20), np.repeat([0, 1, 2, 3], 15)],
    ids=["subset", "other", "superset"],
)
def test_warm_start_refit_needs_the_same_classes(Est, y_new):
    est = _quick(Est, warm_start=True).fit(X, Y3)
    weights = [w.copy() for w in est.model_.get_weights()]
    message = (
        "warm_start can only be used where `y` has the same classes as in the "
        f"previous call to fit. Previously got [0 1 2], `y` has {np.unique(y_new)}"
    )
    with pytest.raises(ValueError, match=re.escape(message) + ".*warm_start=False"):
        est.fit(X, y_new)
    for got, want in zip(est.model_.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])


@pytest.mark.parametrize("Est", CLASSIFIERS)
def test_warm_start_refit_with_the_same_classes_continues(Est):
    est = _quick(Est, warm_start=True).fit(X, Y3)
    model = est.model_
    est.fit(X[::-1], Y3[::-1])  # same classes, another order
    assert est.model_ is model
    est.partial_fit(X[:40], Y3[:40])  # partial_fit may see a subset
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])


def test_fit_without_warm_start_takes_new_classes():
    est = _quick(MLPClassifier).fit(X, Y3)
    est.fit(X, np.repeat(["a", "b"], 30))
    np.testing.assert_array_equal(est.classes_, ["a", "b"])


# ---------------------------------------------------------------------------
# a single class (as sklearn's MLP: fit, always predict it)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("Est", CLASSIFIERS)
def test_single_class_fits_and_always_predicts_it(Est):
    est = _quick(Est).fit(X, np.full(len(X), "only"))
    np.testing.assert_array_equal(est.classes_, ["only"])
    X_new = RNG.normal(size=(7, 3)) * 10
    np.testing.assert_array_equal(est.predict(X_new), ["only"] * 7)
    proba = est.predict_proba(X_new)
    assert proba.shape == (7, 1)
    np.testing.assert_array_equal(proba, 1.0)
    assert est.score(X_new, ["only"] * 7) == 1.0


def test_single_class_with_early_stopping_trains_towards_its_code():
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        early_stopping=True,
        validation_fraction=0.2,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, np.ones(len(X), dtype=int))
    assert clf.validation_scores_ and set(clf.validation_scores_) == {1.0}
    # the first epoch's 1.0 is never beaten: sklearn stops after 1 + 10 + 1
    assert clf.n_iter_ == clf.n_iter_no_change + 2
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]  # the unit goes to 0


def test_single_class_given_to_partial_fit():
    est = _quick(MLPClassifier).partial_fit(X, np.full(len(X), 7), classes=[7])
    np.testing.assert_array_equal(est.predict(X[:3]), [7, 7, 7])
    with pytest.raises(ValueError, match=r"labels not seen before: \[8\]"):
        est.partial_fit(X[:3], [7, 8, 7])


# ---------------------------------------------------------------------------
# the stratified validation split
# ---------------------------------------------------------------------------
def _target(y):
    return ClassificationTarget("MLPClassifier").fit(np.asarray(y))


def test_binary_target_stratifies_like_sklearns_mlp():
    y = np.array(["no", "yes", "no", "yes", "no", "no"])
    groups = _target(y).stratify(y)
    np.testing.assert_array_equal(groups.ravel(), y == "yes")
    assert groups.shape == (6, 1)  # sklearn's binarized y: one column
    for seed in range(3):  # the same split as stratifying by the labels
        a = train_test_split(np.arange(6), test_size=0.5, stratify=y, random_state=seed)
        b = train_test_split(
            np.arange(6), test_size=0.5, stratify=groups, random_state=seed
        )
        for part_a, part_b in zip(a, b):
            np.testing.assert_array_equal(part_a, part_b)


def test_multiclass_target_stratifies_by_the_labels():
    y = np.repeat(["a", "b", "c"], 4)
    np.testing.assert_array_equal(_target(y).stratify(y), y)
    Y = np.eye(3, dtype=int)[[0, 1, 2, 1]]
    assert _target(Y).stratify(Y) is None  # multilabel: not stratified


def test_early_stopping_with_a_class_of_one_sample_raises():
    # binary: sklearn stratifies and raises, naming its binarized column
    X_small = RNG.normal(size=(4, 2))
    clf = MLPClassifier(hidden_layer_sizes=(3,), early_stopping=True)
    with pytest.raises(
        ValueError, match=r"least populated classes in y have only 1 member.*\['True'\]"
    ):
        clf.fit(X_small, ["x", "x", "x", "y"])


def test_multiclass_early_stopping_falls_back_to_an_unstratified_split():
    # sklearn never stratifies multiclass; sktrain does where it can, and
    # splits unstratified where a class is too rare (no error, as sklearn)
    y = np.array([0] * 20 + [1] * 20 + [2])
    X = RNG.normal(size=(len(y), 2))
    clf = MLPClassifier(
        hidden_layer_sizes=(3,), early_stopping=True, max_iter=3, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
