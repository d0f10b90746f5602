"""Feeding training data to Keras, and the one batch-size rule.

One ``tf.data`` pipeline per fit that shuffles *indices* with the
estimator's own seed (reshuffled every epoch, never the global RNG), gathers
whole batches at once and repeats, so ``keras.Model.fit`` runs every epoch on
the same iterator without re-creating it (the per-epoch cost dominates small
data). The network (``_factory.keras_objects.Network``) turns the batch's sample
weights into sklearn's ``sum(w * loss) / sum(w)``.
"""

import math
import warnings

import numpy as np
import scipy.sparse as sp

from .backend import tf
from .inputs import leaves, map_inputs, n_samples


def batch_size_for(requested, n_samples, *, warn=True):
    """The batch-size rule of every estimator.

    'auto' is sklearn's ``min(200, n)``, None Keras' ``min(32, n)``, -1 the
    whole data set (SciKeras); an explicit size is clipped to ``[1, n]``,
    with sklearn's warning when it had to be (``warn``).
    """
    if isinstance(requested, str) and requested == "auto":
        return min(200, n_samples)
    if requested is None:
        return min(32, n_samples)
    if requested == -1:
        return n_samples
    if warn and not 1 <= requested <= n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is "
            "going to be clipped",
            stacklevel=5,
        )
    return int(np.clip(requested, 1, n_samples))


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
