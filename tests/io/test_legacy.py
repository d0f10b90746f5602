"""Files (format 1) and pickles written by sktrain 0.1, before the engine-v2
layout, load and give the outputs they gave then (fixtures: see
fixtures/make_v1_files.py)."""

import pathlib
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import sktrain

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.sktrain"))


def _inputs(name):
    data = np.load(FIXTURES / "inputs.npz")
    return data["Xr"] if ("regressor" in name or "transformer" in name) else data["X"]


def _check_outputs(est, name):
    expected = np.load(FIXTURES / f"{name}.npz")
    X = _inputs(name)
    for method in expected.files:
        got, want = getattr(est, method)(X), expected[method]
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_array_equal(got, want)


def test_fixtures_are_format_1():
    assert len(NAMES) == 6
    for name in NAMES:
        with zipfile.ZipFile(FIXTURES / f"{name}.sktrain") as zf:
            assert b'"format_version": 1' in zf.read("sktrain.json")
            assert zf.comment == b""  # format 1 had no seal


@pytest.mark.parametrize("name", NAMES)
def test_format_1_file_loads_with_the_same_outputs(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about either
        est = sktrain.load(FIXTURES / f"{name}.sktrain")
    _check_outputs(est, name)


@pytest.mark.parametrize("name", NAMES)
def test_version_1_pickle_loads_with_the_same_outputs(name):
    with open(FIXTURES / f"{name}.pkl", "rb") as f:
        est = pickle.load(f)
    assert type(est).__module__.startswith("sktrain._")
    _check_outputs(est, name)


@pytest.mark.parametrize("name", ["mlp_classifier", "keras_regressor"])
def test_loaded_format_1_estimator_refits_and_continues(name):
    est = sktrain.load(FIXTURES / f"{name}.sktrain")
    X = _inputs(name)
    y = est.predict(X)
    if hasattr(est, "classes_"):  # a warm_start refit needs every fitted class
        y = np.resize(est.classes_, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(warm_start=True).fit(X, y)  # same architecture: continues
        assert est.n_iter_ >= 1
        est.set_params(warm_start=False).fit(X, y)
    assert est.predict(X).shape == y.shape


def test_migrated_state_is_what_format_2_stores():
    from sktrain._io.schema import split_state

    est = sktrain.load(FIXTURES / "mlp_classifier.sktrain")
    _, state = split_state(est)
    assert state["_spec"].alpha is None  # alpha is a runtime value now
    assert state["_in_dtypes"] == "float64"
    assert state["_sample_shapes"] == (5,)
