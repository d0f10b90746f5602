"""solver='lbfgs': sklearn's full-batch L-BFGS-B on the Keras network."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from sktrain import MLPClassifier, MLPRegressor

# most fits here stop at max_iter on purpose; the warning has its own test
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=200, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=6, n_informative=4, random_state=seed
    )
    return (X - X.mean(0)) / X.std(0), y


def _lbfgs(Est=MLPClassifier, **params):
    return Est(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, **params)


def test_classifier_matches_sklearns_lbfgs_accuracy():
    X, y = _data()
    ours = _lbfgs(max_iter=200).fit(X[:150], y[:150])
    theirs = SkMLPClassifier(
        solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, max_iter=200
    ).fit(X[:150], y[:150])
    assert 1 <= ours.n_iter_ <= 200
    assert abs(ours.score(X[150:], y[150:]) - theirs.score(X[150:], y[150:])) <= 0.1
    assert ours.score(X[:150], y[:150]) >= 0.95


def test_loss_is_sklearns_full_batch_loss():
    X, y = _data()
    alpha = 0.01
    clf = _lbfgs(max_iter=30, alpha=alpha).fit(X, y)
    penalty = 0.5 * alpha * sum(float(np.sum(w**2)) for w in clf.coefs_) / len(X)
    expected = log_loss(y, clf.predict_proba(X)) + penalty
    np.testing.assert_allclose(clf.loss_, expected, rtol=1e-5)
    assert clf.loss_curve_[-1] == clf.loss_
    assert clf.loss_curve_[0] > clf.loss_curve_[-1]
    assert len(clf.loss_curve_) == clf.n_iter_


def test_regressor_fits_a_smooth_target():
    X, y = make_regression(n_samples=150, n_features=4, noise=0.1, random_state=0)
    reg = _lbfgs(MLPRegressor, max_iter=300).fit(X, y / 100)
    assert reg.score(X, y / 100) > 0.99
    assert reg.predict(X).shape == (150,)


def test_max_iter_reached_warns_and_counts():
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = _lbfgs(max_iter=3).fit(X, y)
    assert clf.n_iter_ == 3


def test_max_fun_limits_loss_evaluations():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = _lbfgs(max_iter=500, max_fun=5).fit(X, y)
    assert clf.n_iter_ <= 5


def test_partial_fit_is_unavailable_as_in_sklearn():
    assert not hasattr(_lbfgs(), "partial_fit")
    assert not hasattr(_lbfgs(MLPRegressor), "partial_fit")
    assert hasattr(MLPClassifier(), "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as info:
        _lbfgs().partial_fit([[0.0]], [0])
    assert "lbfgs is not stochastic" in str(info.value.__cause__)


@pytest.mark.parametrize(
    "params, match",
    [({"dropout": 0.2}, "dropout"), ({"callbacks": [object()]}, "callbacks")],
)
def test_settings_without_meaning_full_batch_are_refused(params, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _lbfgs(**params).fit(X, y)


def test_zero_sample_weight_equals_leaving_the_rows_out():
    X, y = _data()
    w = np.ones(len(X))
    w[::4] = 0
    weighted = _lbfgs(max_iter=40, alpha=0.01).fit(X, y, sample_weight=w)
    subset = _lbfgs(max_iter=40, alpha=0.01).fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(
        weighted.predict_proba(X), subset.predict_proba(X), rtol=1e-4, atol=1e-6
    )


def test_class_weight_and_l1_l2_train():
    X, y = _data()
    clf = _lbfgs(max_iter=50, class_weight="balanced", l1=1e-3, l2=1e-3).fit(X, y)
    assert clf.score(X, y) > 0.85
    assert clf.n_iter_ > 1


def test_warm_start_continues_from_the_fitted_weights():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = _lbfgs(max_iter=5, warm_start=True).fit(X, y)
        first = clf.loss_
        clf.fit(X, y)
    assert clf.loss_curve_[5] <= first + 1e-12
    assert clf.loss_ < first


def test_pickle_and_early_stopping_flag():
    X, y = _data()
    clf = _lbfgs(max_iter=20, early_stopping=True).fit(X, y)  # ignored, as in sklearn
    assert clf.validation_scores_ == []
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
