"""Feeding data to Keras: the training pipeline and the fast inference path.

Training: one ``tf.data`` pipeline per fit that shuffles *indices* with the
estimator's own seed (reshuffled every epoch, never the global RNG), gathers
whole batches at once and repeats, so ``keras.Model.fit`` runs every epoch on
the same iterator without re-creating it (the per-epoch cost dominates small
data). The network (``_keras_objects.Network``) turns the batch's sample
weights into sklearn's ``sum(w * loss) / sum(w)``.

Prediction: a ``tf.function`` around ``model(x, training=False)`` with a
fixed input signature, traced once per fitted model and called on chunks;
it avoids ``model.predict``'s per-call machinery (~50 ms) for small inputs.
"""

import math

import numpy as np
import scipy.sparse as sp

from ._backend import tf
from ._inputs import leaves, map_inputs, map_inputs2, n_samples, take_rows

PREDICT_CHUNK = 32768  # rows per call: large enough to amortise it, small
# enough that the activations stay in cache (500k rows: ~1.1x faster than 65536)
SPARSE_CHUNK = 4096  # sparse X is densified this many rows at a time


def batch_size_for(batch_size, n_samples):
    """sklearn's rule: 'auto' is min(200, n); explicit sizes are clipped to n."""
    if batch_size == "auto":
        return min(200, n_samples)
    return int(np.clip(batch_size, 1, n_samples))


def _epoch_orders(n, shuffle, seed):
    """Dataset of one index order per epoch, forever.

    Shuffling is stateless (seeded by (seed, epoch)), so neither TensorFlow's
    global seed nor any other fit can change it.
    """
    tf_ = tf()
    epochs = tf_.data.Dataset.counter()
    if not shuffle:
        return epochs.map(lambda e: tf_.range(n, dtype=tf_.int64))

    def order(epoch):  # O(n): a random sort key + argsort costs ~13x more
        key = tf_.stack([tf_.constant(seed, tf_.int64), epoch])
        return tf_.random.experimental.stateless_shuffle(
            tf_.range(n, dtype=tf_.int64), seed=key
        )

    return epochs.map(order)


def _rows(X):
    """A function gathering rows of X (dense, or CSR densified per batch)."""
    tf_ = tf()
    if not sp.issparse(X):
        X_t = tf_.constant(X)
        return lambda i: tf_.gather(X_t, i)
    X = X.tocsr()
    splits = X.indptr.astype(np.int64)
    cols = tf_.RaggedTensor.from_row_splits(X.indices.astype(np.int64), splits)
    vals = tf_.RaggedTensor.from_row_splits(X.data, splits)
    n_features = X.shape[1]

    def gather(i):
        c, v = tf_.gather(cols, i), tf_.gather(vals, i)
        coords = tf_.stack([c.value_rowids(), c.flat_values], axis=1)
        shape = tf_.stack([tf_.shape(i, out_type=tf_.int64)[0], n_features])
        return tf_.scatter_nd(coords, v.flat_values, shape)

    return gather


def _weight_dtype(X):
    floats = [a.dtype for a in leaves(X) if a.dtype.kind == "f"]
    return floats[0] if floats else np.dtype(np.float32)


def train_dataset(X, Y, sw, *, batch_size, shuffle, seed, normalize_weights=False):
    """A repeating dataset of (x, y, sample_weight) batches; returns (ds, steps).

    X (and Y) may be one array or a dict/list of arrays (multi-input models).
    ``normalize_weights`` rescales each batch's weights to mean 1, so Keras'
    ``sum(w * loss) / batch_size`` becomes sklearn's ``sum(w * loss) / sum(w)``.
    Weights that are all 1 are left out: the batches are (x, y) and the train
    step skips the weighting, with the same result.
    """
    tf_ = tf()
    n = n_samples(X)
    rows = map_inputs(_rows, X)
    Y_t = map_inputs(tf_.constant, Y)
    sw_t = None if np.all(sw == 1) else tf_.constant(sw, dtype=_weight_dtype(X))

    def batches(order):
        return tf_.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def weights(i):
        w = tf_.gather(sw_t, i)
        if not normalize_weights:
            return w
        total = tf_.reduce_sum(w)
        size = tf_.cast(tf_.size(w), w.dtype)
        return tf_.where(total > 0, w * (size / total), w)

    def gather(i):
        x = map_inputs(lambda r: r(i), rows)
        y = map_inputs(lambda t: tf_.gather(t, i), Y_t)
        # tf.data would pack a list into one tensor; a tuple stays separate
        x = tuple(x) if isinstance(x, list) else x
        return (x, y) if sw_t is None else (x, y, weights(i))

    orders = _epoch_orders(n, shuffle, seed)
    autotune = tf_.data.AUTOTUNE
    ds = orders.flat_map(batches).map(gather, num_parallel_calls=autotune)
    ds = ds.prefetch(autotune)
    return ds, math.ceil(n / batch_size)


class Predictor:
    """Fast forward pass of a fitted model; safe to call from several threads.

    ``sample_shape`` is the per-sample shape of X (``(n_features,)`` for 2-D
    X), or a dict/list of them for a multi-input model; ``dtype`` is the
    dtype X is fed in (one, or a structure like ``sample_shape``; None keeps
    an array's own dtype). A model with several outputs returns a list.
    """

    def __init__(self, model, sample_shape, dtype):
        tf_ = tf()
        self._dtypes = dtype
        spec = map_inputs2(self._spec, _shape_tree(sample_shape), dtype)
        self._fn = tf_.function(
            lambda x: model(x, training=False), input_signature=[spec]
        )
        # Every fitted model traces this once, by design: TensorFlow's
        # "frequent retracing" warning (keyed on the lambda's code) is noise.
        self._fn._omit_frequent_tracing_warning = True

    @staticmethod
    def _spec(shape, dtype):
        return tf().TensorSpec([None, *shape.dims], dtype=np.dtype(dtype or "float32"))

    def __call__(self, X, chunk=None):
        sparse = any(sp.issparse(a) for a in leaves(X))
        chunk = chunk or (SPARSE_CHUNK if sparse else PREDICT_CHUNK)
        n = n_samples(X)
        if n <= chunk:
            return _to_numpy(self._fn(self._dense(X)))
        parts = [
            _to_numpy(self._fn(self._dense(take_rows(X, slice(i, i + chunk)))))
            for i in range(0, n, chunk)
        ]
        if isinstance(parts[0], list):
            return [np.concatenate(p) for p in zip(*parts)]
        return np.concatenate(parts)

    def _dense(self, X):
        def dense(a, dtype):
            a = a.toarray() if sp.issparse(a) else a
            return np.asarray(a, dtype=dtype)

        return map_inputs2(dense, X, self._dtypes)


class _Shape:
    """A per-sample shape as a leaf (tuples would read as structures)."""

    def __init__(self, dims):
        self.dims = tuple(dims)


def _shape_tree(sample_shape):
    if isinstance(sample_shape, dict):
        return {k: _Shape(v) for k, v in sample_shape.items()}
    if isinstance(sample_shape, list):
        return [_Shape(v) for v in sample_shape]
    return _Shape(sample_shape)


def _to_numpy(out):
    if isinstance(out, dict):
        return [np.asarray(v) for v in out.values()]
    if isinstance(out, (list, tuple)):
        return [np.asarray(v) for v in out]
    return out.numpy()
