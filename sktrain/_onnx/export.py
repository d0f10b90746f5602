"""``sktrain.export_onnx``: a fitted estimator as an ONNX model.

The route: a ``tf.function`` of ``model(x, training=False)`` (dropout off,
batch normalization with its moving statistics) followed by the target's
decoding (``decode.py``), with the estimator's input signature (batch
dimension dynamic), converted by tf2onnx's ``convert.from_function``. Keras'
own ``model.export(format="onnx")`` is the same tf2onnx call behind a patch
that sets ``np.object`` process-wide (for numpy 2); tf2onnx 1.17 converts
sktrain's networks without it, so sktrain calls tf2onnx directly. Importing
``tf2onnx.convert`` sets ``TF_CPP_MIN_LOG_LEVEL``; sktrain restores it.
"""

import os
import pathlib

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

from .._engine import inputs as inp
from .._engine.backend import keras, tf
from .._targets import ClassificationTarget, RegressionTarget
from . import graph
from .decode import OUTPUT_NAMES, decoded_outputs

_EXTRA = 'pip install "sktrain[onnx]"'
TF2ONNX_MAX_OPSET = 18  # the newest opset tf2onnx 1.17 writes


def export_onnx(estimator, path, *, opset=None, dtype=None):
    """Write a fitted estimator's network as an ONNX model.

    The model takes the estimator's input (named ``X``; a dict input's
    arrays by their keys, a list's as ``X_0``, ``X_1``...) with a dynamic
    batch dimension named ``N``, and
    computes what the estimator's prediction methods return:

    - classifiers (``MLPClassifier``, ``KerasClassifier``): ``label``, what
      ``predict`` returns (strings for string labels), and ``probabilities``,
      what ``predict_proba`` returns, columns in ``classes_`` order (for a
      binary target with one sigmoid unit the graph adds the ``1 - p``
      column, so there are two columns as in ``predict_proba``);
    - regressors (``MLPRegressor``, ``KerasRegressor``): ``predictions``,
      what ``predict`` returns (1-D for a 1-D y, quantiles sorted);
    - ``KerasTransformer``: ``features``, what ``transform`` returns.

    A distilled estimator exports its student. The network computes in its
    own float dtype (a float64 MLP: a float64 model, predictions equal to
    ~1e-15) unless ``dtype='float32'``; a 'mixed_float16' network computes
    in float16 in the graph too (onnxruntime's kernels differ from
    TensorFlow's by ~1e-4). X must be fed in the input's dtype
    (``session.get_inputs()[0].type``). Serving needs only onnxruntime.

    Parameters
    ----------
    estimator : fitted sktrain estimator
        An ``MLPClassifier``, ``MLPRegressor``, ``KerasClassifier``,
        ``KerasRegressor``, ``KerasTransformer``, or a distilled estimator
        whose student is one of these.
    path : str or path-like
        Where to write the ``.onnx`` file (overwritten).
    opset : int, default=None
        The ONNX opset (default domain); None is tf2onnx's default (15).
        tf2onnx writes opsets up to 18; a newer one is reached with onnx's
        version converter.
    dtype : {None, 'float32'}, default=None
        None keeps the network's float dtype; 'float32' writes a float64
        network as a float32 model (inputs, weights and outputs), which
        predicts to float32 precision (~1e-7 relative).

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    NotFittedError
        If the estimator is not fitted.
    ValueError
        If the network uses TensorFlow ops ONNX cannot express (the message
        names them and their layers), or the estimator has what the graph
        cannot hold (a custom ``feature_encoder`` or ``target_encoder``,
        several outputs, bfloat16 layers of ``dtype='mixed_bfloat16'``).
    ImportError
        If tf2onnx or onnx is missing (``pip install "sktrain[onnx]"``).

    See Also
    --------
    sktrain.register_skl2onnx : Convert Pipelines that end in an sktrain
        estimator with skl2onnx.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sktrain import MLPClassifier, export_onnx
    >>> X = np.random.RandomState(0).normal(size=(60, 3))
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> path = export_onnx(clf, tempfile.mkdtemp() + "/clf.onnx")
    >>> session = ort.InferenceSession(path)  # no TensorFlow needed to serve
    >>> [(i.name, i.type, i.shape) for i in session.get_inputs()]
    [('X', 'tensor(double)', ['N', 3])]
    >>> label, proba = session.run(None, {"X": X})
    >>> bool((label == clf.predict(X)).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12))
    True
    """
    path = pathlib.Path(path)
    model = onnx_model(estimator, opset=opset, dtype=dtype)
    path.write_bytes(model.SerializeToString())
    return path


def onnx_model(estimator, *, opset=None, dtype=None):
    """The ``onnx.ModelProto`` that ``export_onnx`` writes."""
    estimator = getattr(estimator, "student_", estimator)
    check_is_fitted(estimator, "model_")
    if dtype not in (None, "float32"):
        raise ValueError(f"dtype must be None or 'float32', got {dtype!r}.")
    kind = _kind(estimator)
    network = _network(estimator)
    specs, names = _input_specs(estimator)
    convert = _tf2onnx()

    def forward(*flat):
        x = _packed(estimator._sample_shapes, flat, names)
        return decoded_outputs(kind, estimator._target, network(x, training=False))

    fn = tf().function(forward, input_signature=specs, autograph=False)
    written = None if opset is None else min(opset, TF2ONNX_MAX_OPSET)
    model, _ = convert.from_function(fn, input_signature=specs, opset=written)
    if opset is not None and opset > written:
        model = graph.at_opset(model, opset)
    name = type(estimator).__name__
    graph.check_supported(model, name)
    graph.rename_outputs(model, OUTPUT_NAMES[kind])
    graph.name_batch_dims(model)
    if dtype == "float32":
        graph.to_float32(model)
    graph.add_metadata(model, estimator, kind, OUTPUT_NAMES[kind])
    return model


def _tf2onnx():
    """``tf2onnx.convert``, restoring the environment variable its import sets."""
    before = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    try:
        import onnx  # noqa: F401
        import tf2onnx.convert as convert
    except ImportError as exc:
        raise ImportError(f"ONNX export needs tf2onnx and onnx: {_EXTRA}") from exc
    finally:
        if before is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = before
    return convert


def _kind(est):
    """'classifier', 'regressor' or 'transformer', after the checks that the
    graph can hold what the estimator does after its network."""
    name = type(est).__name__
    if vars(est).get("_feature_encoder") is not None:
        raise ValueError(
            f"{name} has a feature_encoder, which runs in Python before the "
            "network: ONNX export covers the network only. Export a Pipeline "
            "of skl2onnx-convertible steps instead (sktrain.register_skl2onnx)."
        )
    if isinstance(getattr(est, "_output_shape", None), list):
        raise ValueError(f"{name}'s network has several outputs; export one.")
    if "bfloat16" in _compute_dtypes(est.model_):
        raise ValueError(
            f"{name}'s network computes in bfloat16 (dtype='mixed_bfloat16'), "
            "which tf2onnx writes as a graph onnxruntime rejects (MatMul of "
            "bfloat16 and float16). Fit with dtype='float32' (or "
            "'mixed_float16') to export."
        )
    target = est._target
    if hasattr(est, "transform") and hasattr(est, "transform_layer"):
        return "transformer"
    if is_classifier(est) and isinstance(target, ClassificationTarget):
        return "classifier"
    if is_regressor(est) and isinstance(target, RegressionTarget):
        return "regressor"
    raise ValueError(
        f"{name} decodes its network's output with its own target_encoder "
        f"({type(getattr(target, 'encoder', target)).__name__}), which ONNX "
        "export cannot translate; export the network with "
        "estimator.model_.export(path, format='onnx') and decode in Python."
    )


def _compute_dtypes(model):
    """The compute dtypes of a model's layers, nested models walked."""
    found = set()
    for layer in getattr(model, "layers", []):
        found.add(getattr(layer, "compute_dtype", None))
        found |= _compute_dtypes(layer)
    return found


def _network(est):
    """``model_``, or for a transformer the sub-model its ``transform`` uses."""
    layer = getattr(est, "transform_layer", None)
    if layer is None:
        return est.model_
    model = est.model_
    return keras().Model(model.inputs, model.get_layer(layer).output)


def _input_specs(est):
    """(TensorSpecs of the inputs, their names): ``X``, a dict's keys, or
    ``X_0``, ``X_1``... for a list."""
    tf_ = tf()
    shapes, dtypes = est._sample_shapes, est._in_dtypes
    if inp.is_dict(shapes):
        names = list(shapes)
        flat = [
            (shapes[k], dtypes[k] if inp.is_dict(dtypes) else dtypes) for k in names
        ]
    elif isinstance(shapes, list):
        names = [f"X_{i}" for i in range(len(shapes))]
        flat = [
            (s, dtypes[i] if isinstance(dtypes, list) else dtypes)
            for i, s in enumerate(shapes)
        ]
    else:
        names, flat = ["X"], [(shapes, dtypes)]
    specs = [
        tf_.TensorSpec([None, *shape], np.dtype(dtype or "float32"), name=name)
        for name, (shape, dtype) in zip(names, flat)
    ]
    return specs, names


def _packed(shapes, flat, names):
    if inp.is_dict(shapes):
        return dict(zip(names, flat))
    if isinstance(shapes, list):
        return list(flat)
    return flat[0]
