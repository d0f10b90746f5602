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

PREDICT_CHUNK = 65536
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
        return epochs.map(lambda e: tf_.range(n))

    def order(epoch):
        keys = tf_.random.stateless_uniform([n], seed=tf_.stack([seed, epoch]))
        return tf_.argsort(keys, stable=True)

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


def train_dataset(X, Y, sw, *, batch_size, shuffle, seed):
    """A repeating dataset of (x, y, sample_weight) batches; returns (ds, steps)."""
    tf_ = tf()
    n = X.shape[0]
    rows = _rows(X)
    Y_t = tf_.constant(Y)
    sw_t = tf_.constant(sw, dtype=X.dtype)

    def batches(order):
        return tf_.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def gather(i):
        return rows(i), tf_.gather(Y_t, i), tf_.gather(sw_t, i)

    orders = _epoch_orders(n, shuffle, seed)
    ds = orders.flat_map(batches).map(gather).prefetch(2)
    return ds, math.ceil(n / batch_size)


class Predictor:
    """Fast forward pass of a fitted model; safe to call from several threads."""

    def __init__(self, model, n_features, dtype):
        tf_ = tf()
        self.dtype = np.dtype(dtype)
        spec = tf_.TensorSpec([None, n_features], dtype=self.dtype.name)
        self._fn = tf_.function(
            lambda x: model(x, training=False), input_signature=[spec]
        )
        # Every fitted model traces this once, by design: TensorFlow's
        # "frequent retracing" warning (keyed on the lambda's code) is noise.
        self._fn._omit_frequent_tracing_warning = True

    def __call__(self, X):
        chunk = SPARSE_CHUNK if sp.issparse(X) else PREDICT_CHUNK
        if X.shape[0] <= chunk:
            return self._fn(self._dense(X)).numpy()
        parts = [
            self._fn(self._dense(X[i : i + chunk])).numpy()
            for i in range(0, X.shape[0], chunk)
        ]
        return np.concatenate(parts)

    def _dense(self, X):
        X = X.toarray() if sp.issparse(X) else X
        return np.asarray(X, dtype=self.dtype)
