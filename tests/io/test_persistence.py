"""est.save(path) / sktrain.load(path): one data-only file, safe to load."""

import copy
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

import sktrain
from sktrain import (
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)

keras = pytest.importorskip("keras")

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]

X, Y3 = make_classification(
    n_samples=120,
    n_features=6,
    n_informative=4,
    n_classes=3,
    n_clusters_per_class=1,
    random_state=0,
)
LABELS = np.array(["ant", "bee", "cat"])[Y3]
Y_BIN = (Y3 == 0).astype(int)
Y_MULTILABEL = np.column_stack([Y3 == 0, Y3 == 1, X[:, 0] > 0]).astype(int)
XR, Y_REG = make_regression(n_samples=120, n_features=6, n_targets=2, random_state=0)


def _mlp(Est):
    return Est(hidden_layer_sizes=(8,), max_iter=5, random_state=0)


def _keras(Est):
    return Est(epochs=2, optimizer="adam", random_state=0)


CASES = [
    (_mlp(MLPClassifier), X, Y_BIN),
    (_mlp(MLPClassifier), X, LABELS),
    (_mlp(MLPClassifier), X, Y_MULTILABEL),
    (_mlp(MLPRegressor), XR, Y_REG),
    (_keras(KerasClassifier), X, Y_BIN),
    (_keras(KerasClassifier), X, LABELS),
    (_keras(KerasClassifier), X, Y_MULTILABEL),
    (_keras(KerasRegressor), XR, Y_REG),
    (_keras(KerasTransformer), XR, None),
]


def _outputs(est, X_):
    if isinstance(est, KerasTransformer):
        return [est.transform(X_)]
    out = [est.predict(X_)]
    if hasattr(est, "predict_proba"):
        out.append(est.predict_proba(X_))
    return out


@pytest.mark.parametrize(
    "est, X_, y_", CASES, ids=lambda v: type(v).__name__ if hasattr(v, "fit") else ""
)
def test_save_load_gives_identical_predictions(est, X_, y_, tmp_path):
    est.fit(X_, y_)
    path = est.save(tmp_path / "est.sktrain")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert "model.keras" in names and "sktrain.json" in names
        assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    loaded = sktrain.load(path)
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    for got, want in zip(_outputs(loaded, X_), _outputs(est, X_)):
        np.testing.assert_array_equal(got, want)
    # and it keeps training
    loaded.set_params(warm_start=True).fit(X_, y_)


@pytest.mark.parametrize("how", ["pickle", "joblib", "deepcopy"])
@pytest.mark.parametrize(
    "est, X_, y_", CASES, ids=lambda v: type(v).__name__ if hasattr(v, "fit") else ""
)
def test_pickle_joblib_deepcopy_give_identical_predictions(est, X_, y_, how, tmp_path):
    est.fit(X_, y_)
    if how == "pickle":
        other = pickle.loads(pickle.dumps(est))
    elif how == "joblib":
        joblib.dump(est, tmp_path / "est.joblib")
        other = joblib.load(tmp_path / "est.joblib")
    else:
        other = copy.deepcopy(est)
    assert other.model_ is not est.model_
    for got, want in zip(_outputs(other, X_), _outputs(est, X_)):
        np.testing.assert_array_equal(got, want)


def test_unfitted_estimator_round_trips(tmp_path):
    est = MLPClassifier(hidden_layer_sizes=(4, 2), dropout=0.1, class_weight={0: 2.0})
    loaded = sktrain.load(est.save(tmp_path / "u.sktrain"))
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "model_")


def _lambda_model(n_features_in):
    inputs = keras.Input((n_features_in,))
    doubled = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(doubled))


def test_lambda_layer_is_refused_by_default(tmp_path):
    reg = KerasRegressor(_lambda_model, epochs=1, random_state=0).fit(XR, Y_REG[:, 0])
    path = reg.save(tmp_path / "lambda.sktrain")
    with pytest.raises(ValueError, match="Lambda layer.*safe_mode=False"):
        sktrain.load(path)
    trusted = sktrain.load(path, safe_mode=False)
    np.testing.assert_array_equal(trusted.predict(XR), reg.predict(XR))
    assert trusted.model is _lambda_model  # imported by name: trusted files only


def test_functions_are_not_imported_in_safe_mode(tmp_path):
    clf = KerasClassifier(_small_build, units=3, epochs=1, random_state=0)
    path = clf.fit(X, Y_BIN).save(tmp_path / "fn.sktrain")
    with pytest.warns(UserWarning, match="Not restored: .*model .*_small_build"):
        loaded = sktrain.load(path)
    assert loaded.model is None
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert sktrain.load(path, safe_mode=False).model is _small_build


def _small_build(n_features_in, n_outputs, output_activation, units=4):
    return keras.Sequential(
        [
            keras.Input((n_features_in,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(n_outputs, activation=output_activation),
        ]
    )


def test_corrupted_truncated_and_foreign_files_are_explained(tmp_path):
    path = _mlp(MLPClassifier).fit(X, Y_BIN).save(tmp_path / "ok.sktrain")
    data = path.read_bytes()
    (tmp_path / "cut.sktrain").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated, corrupted"):
        sktrain.load(tmp_path / "cut.sktrain")
    (tmp_path / "text.sktrain").write_text("hello")
    with pytest.raises(ValueError, match="not a readable sktrain estimator file"):
        sktrain.load(tmp_path / "text.sktrain")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("sktrain.json", json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not an sktrain estimator file"):
        sktrain.load(tmp_path / "other.zip")
    with pytest.raises(FileNotFoundError):
        sktrain.load(tmp_path / "missing.sktrain")


def test_file_from_a_newer_format_says_why(tmp_path):
    path = _mlp(MLPClassifier).fit(X, Y_BIN).save(tmp_path / "ok.sktrain")
    newer = tmp_path / "newer.sktrain"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "sktrain.json":
                manifest = json.loads(data)
                manifest.update(format_version=99, sktrain_version="9.0")
                data = json.dumps(manifest)
            dst.writestr(name, data)
    with pytest.raises(ValueError, match="sktrain 9.0 in file format 99.*Upgrade"):
        sktrain.load(newer)


def test_file_holds_no_pickle_and_names_versions(tmp_path):
    path = _keras(KerasClassifier).fit(X, LABELS).save(tmp_path / "k.sktrain")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("sktrain.json"))
        for name in zf.namelist():
            assert b"\x80\x04\x95" not in zf.read(name)[:3]  # no pickle stream
    assert manifest["class"] == "KerasClassifier"
    assert manifest["sktrain_version"] == sktrain.__version__
    assert manifest["keras_version"] == keras.__version__
    assert pickle.loads(pickle.dumps(sktrain.load(path))).predict(X).shape == (120,)
