"""What the ONNX model outputs, written in TensorFlow on top of the network
so that tf2onnx converts the network and the decoding together.

Each function mirrors a target's numpy decoding (``_targets.py``) op for
op: the same reshapes, the same thresholds (0 for logits, 0.5 for
probabilities), ``argmax`` (first maximum, as numpy), sorting of quantiles
and the binary case's ``[1 - p, p]`` columns. Outputs, by estimator kind:

- classifier: ``label`` (``predict``) and ``probabilities``
  (``predict_proba``);
- regressor: ``predictions`` (``predict``; quantile levels sorted with min/max,
  not ``tf.sort``, which tf2onnx computes in float32);
- transformer: ``features`` (``transform``, flattened to 2-D).
"""

import numpy as np

from .._engine.backend import tf

OUTPUT_NAMES = {
    "classifier": ("label", "probabilities"),
    "regressor": ("predictions",),
    "transformer": ("features",),
}


def label_values(classes):
    """``classes_`` as the values of the ``label`` output: strings for
    object/str labels, else their own numeric or bool dtype."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "OUS":
        return np.array([str(c) for c in classes], dtype=object)
    return classes


def decoded_outputs(kind, target, out):
    """The tuple of output tensors of ``kind`` (``OUTPUT_NAMES`` order) from
    the network output ``out``."""
    tf_ = tf()
    out = tf_.reshape(out, [tf_.shape(out)[0], -1])  # as ``out.reshape(n, -1)``
    if kind == "classifier":
        return _label(target, out), _proba(target, out)
    if kind == "regressor":
        return (_predictions(target, out),)
    return (out,)


def _proba(target, out):
    """``ClassificationTarget.proba``."""
    tf_ = tf()
    if len(target.classes_) == 1:
        return tf_.ones_like(out[:, :1])
    one_unit = target.one_unit
    if target.from_logits:
        multilabel = target.kind == "multilabel"
        out = tf_.sigmoid(out) if one_unit or multilabel else tf_.nn.softmax(out)
    if one_unit and target.kind == "binary":
        return tf_.concat([1.0 - out, out], axis=1)
    return out


def _label(target, out):
    """``ClassificationTarget.decode``."""
    tf_ = tf()
    cut = 0.0 if target.from_logits else 0.5
    if target.kind == "multilabel":
        return tf_.cast(out > cut, tf_.int64)
    classes = tf_.constant(label_values(target.classes_))
    if len(target.classes_) == 1:
        codes = tf_.zeros_like(out[:, 0], dtype=tf_.int32)
    elif target.one_unit:
        codes = tf_.cast(out[:, 0] > cut, tf_.int32)
    else:
        codes = tf_.argmax(out, axis=1)
    return tf_.gather(classes, codes)


def _predictions(target, out):
    """``RegressionTarget.decode``."""
    tf_ = tf()
    if target.quantiles:
        out = _sorted_rows(out, len(target.quantiles))  # no quantile crossing
    if target.predicts_1d:
        return tf_.reshape(out, [-1])
    return out


def _sorted_rows(out, k):
    """Each row of ``out`` (``k`` columns, a few quantile levels) sorted by
    odd-even transposition: ``k`` rounds of pairwise min/max, exact in any
    dtype (tf2onnx converts ``tf.sort`` through a float32 ``TopK``)."""
    tf_ = tf()
    cols = [out[:, i] for i in range(k)]
    for round_ in range(k):
        for i in range(round_ % 2, k - 1, 2):
            cols[i], cols[i + 1] = (
                tf_.minimum(cols[i], cols[i + 1]),
                tf_.maximum(cols[i], cols[i + 1]),
            )
    return tf_.stack(cols, axis=1)
