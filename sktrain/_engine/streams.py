"""Batches from a ``tf.data.Dataset`` or a generator factory (Keras* only).

The contract (``docs/scaling.md``, "Data larger than memory"):

- an element is a batch ``(x, y)`` or ``(x, y, sample_weight)`` for ``fit``
  (``x`` alone for an autoencoder, ``KerasTransformer(target='X')``), ``x``
  or ``(x, ...)`` for ``predict`` / ``transform``; ``x`` is one tensor of
  shape (batch, ...);
- a generator factory is a zero-argument callable returning a fresh
  iterator of such batches (numpy arrays): called once for the element spec
  (its first batch), then once per epoch (``Dataset.from_generator``);
- one pass over the data is one epoch, unless ``fit__steps_per_epoch`` is
  set (an infinite dataset); sktrain does not shuffle or re-batch it;
- a classifier needs ``classes`` (its labels cannot be read ahead); a
  regressor's number of outputs and the model's input shape come from the
  first batch;
- no validation split: pass ``X_val`` / ``y_val`` arrays or a validation
  dataset as ``X_val``.

``Stream`` holds the source and its first batch; ``shape`` (``(None,
*sample_shape)``) and ``dtype`` describe ``x``, so the lifecycle reads
shapes and dtypes from it as from an array. The labels of each batch are
encoded by the fitted target on the host (``tf.numpy_function``), x is cast
to the network's input dtype and the weights are rescaled to mean 1 per
batch, as the array pipeline does (``pipeline.batch_weights``).
"""

from dataclasses import dataclass

import numpy as np

from .._utils.validation import is_stream
from .backend import tf
from .pipeline import batch_weights

ACCEPTED_BY = "KerasClassifier, KerasRegressor and KerasTransformer"


class Stream:
    """A dataset or generator factory of batches (see the module doc)."""

    def __init__(self, source, *, name, parts):
        """``parts``: the element structures accepted, e.g. ``(2, 3)`` for
        (x, y) or (x, y, w), ``(1,)`` for x alone, None for any (predict)."""
        tf_ = tf()
        self.name, self.source = name, source
        if isinstance(source, tf_.data.Dataset):
            self.dataset = source
            first = next(iter(source.take(1)), None)
            first = None if first is None else tf_.nest.map_structure(np.asarray, first)
        else:
            first = next(iter(source()), None)
            signature = (
                tf_.nest.map_structure(_spec, first) if first is not None else None
            )
            self.dataset = (
                tf_.data.Dataset.from_generator(source, output_signature=signature)
                if first is not None
                else None
            )
        if first is None:
            raise ValueError(f"{name} got an empty dataset (no batch).")
        self.first = first if isinstance(first, tuple) else (first,)
        self.n_parts = len(self.first)
        _check_structure(self, parts)

    @property
    def x(self):
        return self.first[0]

    @property
    def shape(self):
        return (None, *self.x.shape[1:])

    @property
    def dtype(self):
        return self.x.dtype

    @property
    def ndim(self):
        return self.x.ndim

    def take_rows(self, idx):
        """Rows of the first batch (the network's probe)."""
        return self.x[idx]

    def batches(self):
        """The x of each batch, as numpy arrays (prediction)."""
        tf_ = tf()
        if isinstance(self.source, tf_.data.Dataset):
            source = self.source.as_numpy_iterator()
        else:
            source = self.source()
        for element in source:
            yield element[0] if isinstance(element, tuple) else element


def _spec(a):
    tf_ = tf()
    a = np.asarray(a)
    dtype = tf_.string if a.dtype.kind in "USO" else tf_.as_dtype(a.dtype)
    return tf_.TensorSpec([None, *a.shape[1:]], dtype)


def _check_structure(stream, parts):
    name, first = stream.name, stream.first
    ok = parts is None or stream.n_parts in parts
    ok = ok and all(isinstance(a, np.ndarray) for a in first)
    if not ok:
        want = " or ".join(
            {1: "x", 2: "(x, y)", 3: "(x, y, sample_weight)"}[p] for p in parts or (1,)
        )
        raise ValueError(
            f"{name} takes a dataset of {want} batches, each part one tensor "
            f"(x of shape (batch, ...)); got elements {stream.dataset.element_spec}."
        )
    if stream.x.ndim < 2 or (parts and stream.n_parts > 1 and first[1].ndim < 1):
        raise ValueError(
            f"{name} takes batches: x of shape (batch, n_features, ...), got a "
            f"first x of shape {stream.x.shape}. Batch the dataset "
            "(dataset.batch(32))."
        )


def as_stream(X, est, *, parts):
    """``X`` as a ``Stream`` if it is a dataset or a generator factory, else X."""
    if isinstance(X, Stream) or not is_stream(X):
        return X
    return Stream(X, name=type(est).__name__, parts=parts)


@dataclass(frozen=True)
class StreamSplit:
    """The ``Split`` of a stream: nothing known ahead but the stream."""

    X: Stream
    y: object = None
    Y: object = None
    sample_weight: object = None
    n_samples: object = None


def stream_splits(est, X, settings, validation, given_split):
    """(train, validation) splits of a fit on a stream (the checks of the
    contract); ``given_split`` makes the ``Split`` of validation arrays."""
    name = type(est).__name__
    if settings.validation_fraction:
        raise ValueError(
            f"{name} cannot split validation data off a dataset "
            f"(validation_split={settings.validation_fraction}): pass "
            "X_val and y_val, or a validation dataset as X_val, and set "
            "validation_split=0."
        )
    if est._class_weight() is not None:
        raise ValueError(
            f"class_weight cannot be used when {name} trains on a dataset; "
            "give each batch its weights as (x, y, sample_weight)."
        )
    if validation is None:
        val = None
    elif isinstance(validation[0], Stream):
        if est.scoring is not None:
            raise ValueError(
                "scoring needs validation arrays (X_val, y_val), not a dataset."
            )
        val = StreamSplit(validation[0])
    else:
        val = given_split(est, *validation)
    return StreamSplit(X), val


def encoded(est, stream):
    """The stream's batches as the network trains on them: x cast, y
    encoded by the fitted target, weights rescaled to mean 1."""
    tf_ = tf()
    target, dtype = est._target, est._dtype
    first = stream.first
    y0 = first[0] if stream.n_parts == 1 else first[1]
    Y0 = np.asarray(target.encode(_labels(y0), dtype))
    in_dtype = est._in_dtypes

    def encode(y):
        return np.asarray(target.encode(_labels(y), dtype), dtype=Y0.dtype)

    def batch(*parts):
        x = parts[0] if in_dtype is None else tf_.cast(parts[0], in_dtype)
        y = parts[0] if len(parts) == 1 else parts[1]
        Y = tf_.numpy_function(encode, [y], tf_.as_dtype(Y0.dtype), stateful=False)
        Y.set_shape([None, *Y0.shape[1:]])
        if len(parts) < 3:
            return (x, Y)
        w_dtype = x.dtype if x.dtype.is_floating else tf_.float32
        return (x, Y, batch_weights(tf_.cast(parts[2], w_dtype), True))

    return stream.dataset.map(batch).prefetch(2)


def _labels(y):
    """Labels as the target knows them (tf.string comes back as bytes)."""
    y = np.asarray(y)
    if y.dtype.kind in "SO" and y.size and isinstance(y.flat[0], bytes):
        return np.char.decode(y.astype(bytes), "utf-8")
    return y


def probe(est, X, classes):
    """(x, y) to initialize ``est`` from: the first batch's x and, for a
    classifier, its ``classes`` (else the first batch's y)."""
    from sklearn.base import is_classifier

    if is_classifier(est):
        if classes is None:
            raise ValueError(
                f"{type(est).__name__}.fit on a dataset needs classes=[...] "
                "(every label; they cannot be read before the data streams)."
            )
        return X.x, np.asarray(classes)
    return X.x, (X.x if X.n_parts == 1 else X.first[1])
