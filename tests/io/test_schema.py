"""The file schema: declared attributes, transient ones, migrations."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import small_estimators

from sktrain._io import schema


def _fit(est, binary_data, regression_data):
    X, y = regression_data if "Regressor" in type(est).__name__ else binary_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.mark.parametrize("est", small_estimators(), ids=lambda e: type(e).__name__)
def test_every_fitted_attribute_is_declared(est, binary_data, regression_data):
    est = _fit(est, binary_data, regression_data)
    assert schema.undeclared_attributes(est) == []
    _, state = schema.split_state(est)
    assert "model_" not in state and "_predictor" not in state
    assert {"n_iter_", "history_", "_target", "_rng"} <= set(state)


@pytest.mark.parametrize("est", small_estimators(), ids=lambda e: type(e).__name__)
def test_pickle_holds_the_schema_not_the_instance_dict(
    est, binary_data, regression_data
):
    est = _fit(est, binary_data, regression_data)
    pickled = est.__getstate__()
    assert pickled["__sktrain_format__"] == schema.FORMAT_VERSION
    assert set(pickled) == {"__sktrain_format__", "params", "state", "model"}
    assert isinstance(pickled["model"], bytes)
    again = pickle.loads(pickle.dumps(est))
    X = binary_data[0]
    out = (again.transform if hasattr(again, "transform") else again.predict)(X)
    ref = (est.transform if hasattr(est, "transform") else est.predict)(X)
    np.testing.assert_array_equal(out, ref)


def test_migration_steps_cover_every_older_version():
    assert sorted(schema.MIGRATIONS) == list(range(1, schema.FORMAT_VERSION))


def test_newer_state_is_refused_with_advice():
    from sktrain import MLPClassifier

    with pytest.raises(ValueError, match="Upgrade sktrain"):
        schema.migrate(MLPClassifier, {}, schema.FORMAT_VERSION + 1)


def test_v1_migration_drops_undeclared_and_fills_new_names():
    from sktrain import MLPRegressor
    from sktrain._mlp.build import MLPSpec

    spec = MLPSpec(
        3,
        (4,),
        "relu",
        1,
        "identity",
        0.0,
        0.0,
        0.0,
        0.5,
        False,
        "glorot_uniform",
        "float32",
    )
    state = {"_spec": spec, "_dtype": "float32", "n_features_in_": 3, "_old": 1}
    new = schema.migrate(MLPRegressor, state, 1)
    assert "_old" not in new
    assert new["_spec"].alpha is None and new["_spec"].n_features == 3
    assert new["_in_dtypes"] == "float32" and new["_sample_shapes"] == (3,)
