"""ONNX export (``sktrain.export_onnx``) and the skl2onnx converters
(``sktrain.register_skl2onnx``): onnxruntime's outputs against the
estimator's own ``predict`` / ``predict_proba`` / ``transform``.

Tolerances: a float64 network exports as a float64 model and agrees to
``atol=1e-12`` (measured ~2e-16); a float32 network, or ``dtype='float32'``,
to ``atol=1e-5, rtol=0`` (measured ~2e-7). Labels are compared exactly.
"""

import os

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sktrain import (
    DistilledClassifier,
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
    export_onnx,
    register_skl2onnx,
)

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")
skl2onnx = pytest.importorskip("skl2onnx")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

F64 = dict(rtol=0, atol=1e-12)
F32 = dict(rtol=0, atol=1e-5)
MLP = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0)


def _session(estimator, tmp_path, **kw):
    path = export_onnx(estimator, tmp_path / "model.onnx", **kw)
    assert path == tmp_path / "model.onnx"
    return ort.InferenceSession(str(path))


def _run(session, X):
    return session.run(None, {session.get_inputs()[0].name: X})


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("labels", ["int", "str"])
def test_binary_classifier(binary_data, tmp_path, dtype, labels):
    """One sigmoid unit: the graph adds the 1 - p column of predict_proba."""
    X, y = binary_data
    X = X.astype(dtype)
    y = np.array(["no", "yes"])[y] if labels == "str" else y
    clf = MLPClassifier(**MLP).fit(X, y)
    assert clf.model_.output_shape == (None, 1)
    session = _session(clf, tmp_path)
    (inp,) = session.get_inputs()
    assert (inp.name, inp.shape) == ("X", ["N", 5])
    assert inp.type == ("tensor(double)" if dtype == "float64" else "tensor(float)")
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]
    label, proba = _run(session, X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(
        proba, clf.predict_proba(X), **(F64 if dtype == "float64" else F32)
    )
    assert label.tolist() == clf.predict(X).tolist()


def test_multiclass_classifier_batch_norm_dropout(multiclass_data, tmp_path):
    """String labels, softmax; batch norm with its moving statistics and
    dropout off, as in predict."""
    X, y = multiclass_data
    clf = MLPClassifier(**MLP, batch_norm=True, dropout=0.3).fit(X, y)
    label, proba = _run(_session(clf, tmp_path), X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), **F64)
    assert label.tolist() == clf.predict(X).tolist()
    assert set(label.tolist()) == {"ant", "bee", "cat"}


def test_multilabel_classifier(binary_data, tmp_path):
    X, _ = binary_data
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    clf = MLPClassifier(**MLP).fit(X, Y)
    label, proba = _run(_session(clf, tmp_path), X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), **F64)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_regressor_opset_and_float32_export(regression_data, tmp_path):
    X, y = regression_data
    reg = MLPRegressor(**MLP).fit(X, y)
    (pred,) = _run(_session(reg, tmp_path), X)
    assert pred.shape == (len(X),)
    np.testing.assert_allclose(pred, reg.predict(X), **F64)
    path = export_onnx(reg, tmp_path / "opset21.onnx", opset=21)  # past tf2onnx's 18
    opsets = {o.domain: o.version for o in onnx.load(path).opset_import}
    assert opsets[""] == 21
    (pred21,) = _run(ort.InferenceSession(str(path)), X)
    np.testing.assert_allclose(pred21, reg.predict(X), **F64)
    session = _session(reg, tmp_path, dtype="float32")
    assert session.get_inputs()[0].type == "tensor(float)"
    (pred32,) = _run(session, X.astype(np.float32))
    assert pred32.dtype == np.float32
    np.testing.assert_allclose(pred32, reg.predict(X), **F32)


def test_quantile_regressor_sorts_its_levels(regression_data, tmp_path):
    X, y = regression_data
    reg = MLPRegressor(**MLP, loss="quantile", loss__quantile=[0.9, 0.1, 0.5]).fit(X, y)
    raw = reg.model_(X).numpy()
    assert (np.diff(raw, axis=1) < 0).any()  # the network's levels cross
    (pred,) = _run(_session(reg, tmp_path), X)
    assert pred.shape == (len(X), 3)
    np.testing.assert_allclose(pred, reg.predict(X), **F64)


def _cnn(meta, filters=4):
    from tensorflow import keras

    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:]),
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def test_keras_classifier_cnn(tmp_path):
    digits = load_digits()
    X = (digits.images / 16.0)[:400, ..., None].astype(np.float32)
    y = digits.target[:400]
    clf = KerasClassifier(
        _cnn, loss="sparse_categorical_crossentropy", epochs=3, random_state=0
    )
    clf.fit(X, y)
    session = _session(clf, tmp_path)
    assert session.get_inputs()[0].shape == ["N", 8, 8, 1]
    label, proba = _run(session, X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), **F32)
    np.testing.assert_array_equal(label, clf.predict(X))


def _logits(meta):
    from tensorflow import keras

    return keras.Sequential(
        [keras.Input((meta["n_features_in_"],)), keras.layers.Dense(1)]
    )


def test_keras_classifier_with_logits(binary_data, tmp_path):
    """A linear output unit trained from logits: the graph applies the sigmoid."""
    from tensorflow import keras

    X, y = binary_data
    clf = KerasClassifier(
        _logits,
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        epochs=2,
        random_state=0,
    ).fit(X, y)
    label, proba = _run(_session(clf, tmp_path), X.astype(np.float32))
    np.testing.assert_allclose(proba, clf.predict_proba(X), **F32)
    np.testing.assert_array_equal(label, clf.predict(X))


def _two_inputs(meta):
    from tensorflow import keras

    a = keras.Input((3,), name="num")
    b = keras.Input((2,), name="extra")
    h = keras.layers.Dense(4, activation="relu")(keras.layers.Concatenate()([a, b]))
    return keras.Model({"num": a, "extra": b}, keras.layers.Dense(1)(h))


def test_keras_regressor_with_two_named_inputs(regression_data, tmp_path):
    X, y = regression_data
    X = {"num": X[:, :3].astype(np.float32), "extra": X[:, 3:].astype(np.float32)}
    reg = KerasRegressor(_two_inputs, loss="mse", epochs=2, random_state=0).fit(X, y)
    session = _session(reg, tmp_path)
    assert sorted(i.name for i in session.get_inputs()) == ["extra", "num"]
    (pred,) = session.run(None, X)
    np.testing.assert_allclose(pred, reg.predict(X), **F32)


def _autoencoder(meta):
    from tensorflow import keras

    n = meta["n_features_in_"]
    inp = keras.Input((n,))
    code = keras.layers.Dense(2, activation="tanh", name="code")(inp)
    return keras.Model(inp, keras.layers.Dense(n)(code))


def test_keras_transformer_bottleneck(regression_data, tmp_path):
    X, _ = regression_data
    X = X.astype(np.float32)
    tr = KerasTransformer(_autoencoder, transform_layer="code", loss="mse", epochs=2)
    tr.fit(X)
    session = _session(tr, tmp_path)
    assert [o.name for o in session.get_outputs()] == ["features"]
    (features,) = _run(session, X)
    assert features.shape == (len(X), 2)
    np.testing.assert_allclose(features, tr.transform(X), **F32)


def test_skl2onnx_pipeline_with_standard_scaler(multiclass_data):
    """skl2onnx converts StandardScaler, the sktrain step is the exported
    graph (float64 throughout: probabilities as an array, zipmap off)."""
    X, y = multiclass_data
    X = X * 3 + 5
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**MLP)).fit(X, y)
    register_skl2onnx()
    onx = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    session = ort.InferenceSession(onx.SerializeToString())
    label, proba = session.run(None, {"X": X})
    np.testing.assert_allclose(proba, pipe.predict_proba(X), **F64)
    assert label.tolist() == pipe.predict(X).tolist()


def test_skl2onnx_float32_pipeline_zipmap_and_regressor(binary_data, regression_data):
    X, y = binary_data
    X32 = (X * 3 + 5).astype(np.float32)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**MLP)).fit(X32, y)
    register_skl2onnx()
    session = ort.InferenceSession(skl2onnx.to_onnx(pipe, X32[:1]).SerializeToString())
    label, maps = session.run(None, {"X": X32})  # ZipMap: a dict per row
    proba = np.array([[row[c] for c in pipe.classes_] for row in maps])
    np.testing.assert_allclose(proba, pipe.predict_proba(X32), **F32)
    np.testing.assert_array_equal(label, pipe.predict(X32))

    X, y = regression_data
    reg = make_pipeline(StandardScaler(), MLPRegressor(**MLP)).fit(X, y)
    session = ort.InferenceSession(skl2onnx.to_onnx(reg, X[:1]).SerializeToString())
    (pred,) = session.run(None, {"X": X})
    np.testing.assert_allclose(pred.reshape(-1), reg.predict(X), **F64)


def test_distilled_classifier_exports_its_student(binary_data, tmp_path):
    X, y = binary_data
    teacher = MLPClassifier(**MLP).fit(X, y)
    dist = DistilledClassifier(teacher, n_synthetic=40, random_state=0).fit(X, y)
    label, proba = _run(_session(dist, tmp_path), X)
    np.testing.assert_allclose(proba, dist.predict_proba(X), **F64)
    np.testing.assert_array_equal(label, dist.predict(X))


def test_mixed_float16_exports_and_bfloat16_is_refused(binary_data, tmp_path):
    """Half precision on both sides: onnxruntime's float16 kernels differ from
    TensorFlow's by ~1e-4 (measured 1.8e-4), hence atol=1e-3."""
    X, y = binary_data
    half = MLPClassifier(**MLP, dtype="mixed_float16").fit(X, y)
    _, proba = _run(_session(half, tmp_path), X.astype(np.float32))
    np.testing.assert_allclose(proba, half.predict_proba(X), rtol=0, atol=1e-3)
    bf16 = MLPClassifier(**MLP, dtype="mixed_bfloat16").fit(X, y)
    with pytest.raises(ValueError, match="bfloat16"):
        export_onnx(bf16, tmp_path / "bf16.onnx")


def test_unfitted_estimator_is_refused(tmp_path):
    with pytest.raises(NotFittedError):
        export_onnx(MLPClassifier(), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def _lgamma(meta):
    import tensorflow as tf
    from tensorflow import keras

    class LogGamma(keras.layers.Layer):
        def call(self, x):
            return tf.math.lgamma(x)

    inp = keras.Input((meta["n_features_in_"],))
    h = LogGamma(name="log_gamma")(keras.layers.Dense(4, activation="softplus")(inp))
    return keras.Model(inp, keras.layers.Dense(1)(h))


def test_unsupported_layer_names_the_op_and_layer(regression_data, tmp_path):
    X, y = regression_data
    reg = KerasRegressor(_lgamma, loss="mse", epochs=1, random_state=0).fit(X, y)
    with pytest.raises(
        ValueError, match=r"no ONNX conversion: Lgamma \(at .*log_gamma"
    ):
        export_onnx(reg, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


class _Encoded(KerasRegressor):
    @property
    def feature_encoder(self):
        return FunctionTransformer(np.tanh)


def test_feature_encoder_is_refused(regression_data, tmp_path):
    X, y = regression_data
    reg = _Encoded(loss="mse", epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="feature_encoder"):
        export_onnx(reg, tmp_path / "m.onnx")


def test_export_leaves_the_environment_alone(binary_data, tmp_path, monkeypatch):
    """Importing tf2onnx.convert sets TF_CPP_MIN_LOG_LEVEL; export restores it."""
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    X, y = binary_data
    before = dict(os.environ)
    export_onnx(MLPClassifier(**MLP).fit(X, y), tmp_path / "m.onnx")
    assert dict(os.environ) == before
