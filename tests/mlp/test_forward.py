"""The numpy forward pass for small inputs agrees with the TensorFlow one."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

from sktrain import MLPClassifier, MLPRegressor
from sktrain._mlp.forward import NUMPY_MAX_ROWS, SmallBatchPredictor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def _both(est, X):
    """(numpy path, TensorFlow path) outputs for X."""
    predictor = est._predictor
    assert isinstance(predictor, SmallBatchPredictor)
    x = np.asarray(X, dtype=est._dtype)
    return predictor(x), predictor._fallback(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "params",
    [
        dict(activation="relu"),
        dict(activation="tanh", hidden_layer_sizes=(7, 5)),
        dict(activation="logistic", batch_norm=True),
        dict(activation="identity", dropout=0.3),
    ],
)
def test_classifier_paths_agree(data, dtype, params):
    X, y = data
    est = MLPClassifier(max_iter=5, random_state=0, **params).fit(X.astype(dtype), y)
    fast, graph = _both(est, X[:50].astype(dtype))
    assert fast.dtype == graph.dtype == np.dtype(est._dtype)
    tol = 1e-5 if est._dtype == "float32" else 1e-12
    np.testing.assert_allclose(fast, graph, rtol=tol, atol=tol)


@pytest.mark.parametrize("y_kind", ["binary", "multilabel", "regression"])
def test_output_activations_agree(data, y_kind):
    X, y = data
    if y_kind == "regression":
        est = MLPRegressor(max_iter=5, random_state=0).fit(X, np.c_[y, -y] / 3)
    elif y_kind == "multilabel":
        est = MLPClassifier(max_iter=5, random_state=0).fit(X, np.c_[y == 0, y == 1])
    else:
        est = MLPClassifier(max_iter=5, random_state=0).fit(X, y == 0)
    fast, graph = _both(est, X[:30])
    np.testing.assert_allclose(fast, graph, rtol=1e-12, atol=1e-12)


def test_predict_and_proba_match_the_graph(data):
    X, y = data
    est = MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    small = est.predict_proba(X[:NUMPY_MAX_ROWS])
    # above the row limit, the TensorFlow predictor answers
    big = est.predict_proba(np.tile(X, (1 + NUMPY_MAX_ROWS // len(X), 1)))
    np.testing.assert_allclose(small[: len(X)], big[: len(X)], rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X[:1]), est.predict(X)[:1])


def test_sparse_input_goes_through_the_graph(data):
    X, y = data
    est = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        est.predict_proba(sp.csr_matrix(X[:20])), est.predict_proba(X[:20]), rtol=1e-12
    )


def test_unsupported_activation_uses_the_graph(data):
    X, y = data
    est = MLPClassifier(activation="gelu", max_iter=3, random_state=0).fit(X, y)
    assert est._predictor._plan is None
    assert est.predict_proba(X[:3]).shape == (3, 3)


def test_a_new_fit_takes_a_new_snapshot(data):
    X, y = data
    est = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    before = est.predict_proba(X[:5])
    est.partial_fit(X, y)
    after = est.predict_proba(X[:5])
    assert not np.array_equal(before, after)
    fast, graph = _both(est, X[:5])
    np.testing.assert_allclose(fast, graph, rtol=1e-12)


def test_pickled_estimator_predicts_the_same(data):
    import pickle

    X, y = data
    est = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X[:4]), est.predict_proba(X[:4]))
