"""Feeding training data to Keras, and the one batch-size rule.

One ``tf.data`` pipeline per fit that shuffles *indices* with the
estimator's own seed (reshuffled every epoch, never the global RNG), gathers
whole batches at once and repeats, so ``keras.Model.fit`` runs every epoch on
the same iterator without re-creating it (the per-epoch cost dominates small
data). The network (``_factory.keras_objects.Network``) turns the batch's sample
weights into sklearn's ``sum(w * loss) / sum(w)``.
"""

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._utils.filerows import FileRows
from .backend import tf
from .inputs import leaves, map_inputs, n_samples

# batches read from a file ahead of the step: enough to hide the reads,
# few enough that memory stays bounded (tf.data's AUTOTUNE may buffer many)
FILE_PREFETCH = 2


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


def _epoch_orders(n, shuffle, seed, orders=None, first_epoch=0):
    """Dataset of one index order per epoch (``epoch_order`` from epoch
    ``first_epoch``, or the next of the family's host-drawn ``orders``),
    forever."""
    tf_ = tf()
    if orders is not None:
        spec = tf_.TensorSpec([n], tf_.int64)
        return tf_.data.Dataset.from_generator(lambda: orders, output_signature=spec)
    epochs = tf_.data.Dataset.counter(start=first_epoch)
    return epochs.map(lambda epoch: epoch_order(n, shuffle, seed, epoch))


def _rows(X):
    """A function gathering rows of X (dense, CSR densified per batch, or
    read from its file: ``FileRows``)."""
    tf_ = tf()
    if isinstance(X, FileRows):
        return lambda i: file_rows(X, i)
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


def file_rows(X, i):
    """Rows ``i`` of a ``FileRows`` X, read on the host (``tf.numpy_function``)."""
    tf_ = tf()
    x = tf_.numpy_function(X.read, [i], tf_.as_dtype(X.dtype), stateful=False)
    x.set_shape([None, *X.sample_shape])
    return x


def _weight_dtype(X):
    floats = [a.dtype for a in leaves(X) if a.dtype.kind == "f"]
    return floats[0] if floats else np.dtype(np.float32)


def batch_weights(w, normalize):
    """One batch's sample weights, rescaled to mean 1 when ``normalize``."""
    if not normalize:
        return w
    tf_ = tf()
    total = tf_.reduce_sum(w)
    size = tf_.cast(tf_.size(w), w.dtype)
    return tf_.where(total > 0, w * (size / total), w)


def epoch_order(n, shuffle, seed, epoch):
    """The row order of one epoch (int64 indices): stateless, so neither
    TensorFlow's global seed nor any other fit can change it."""
    tf_ = tf()
    order = tf_.range(n, dtype=tf_.int64)
    if not shuffle:
        return order
    # O(n): a random sort key + argsort costs ~13x more
    key = tf_.stack([tf_.convert_to_tensor(seed, tf_.int64), epoch])
    return tf_.random.experimental.stateless_shuffle(order, seed=key)


@dataclass(frozen=True)
class Feed:
    """How one fit's batches reach the train function.

    ``dataset`` is what ``keras.Model.fit`` iterates and ``steps`` the
    batches per epoch. With ``arrays`` set (one dense X, one Y), the dataset
    is a placeholder the train function never reads: it gathers each batch
    from the arrays itself (``train_function``), with no per-batch
    ``tf.data`` work and nothing traced per fit. Otherwise the dataset
    yields the batches.
    """

    dataset: object
    steps: int
    batch_size: int
    shuffle: bool
    seed: int
    normalize_weights: bool
    arrays: tuple | None = None  # (X, Y, sample_weight or None) as tensors
    # an iterator of int64 row orders, one per epoch, drawn by the family
    # (the MLP: sklearn's shuffles); None: ``epoch_order``
    orders: object = None
    first_epoch: int = 0  # the epoch index the orders start at (a resumed fit)


def make_feed(
    X,
    Y,
    sw,
    *,
    batch_size,
    shuffle,
    seed,
    normalize_weights,
    in_graph,
    orders=None,
    first_epoch=0,
):
    """The ``Feed`` of one fit; ``in_graph`` allows gathering in the train
    function (one dense X and one Y only); ``orders`` are host-drawn epoch
    orders (``Feed.orders``)."""
    tf_ = tf()
    n = n_samples(X)
    steps = math.ceil(n / batch_size)
    settings = dict(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        normalize_weights=normalize_weights,
    )
    single = isinstance(X, np.ndarray) and isinstance(Y, np.ndarray)
    if not (in_graph and single):
        ds, steps = train_dataset(
            X, Y, sw, **settings, orders=orders, first_epoch=first_epoch
        )
        return Feed(ds, steps, **settings, orders=orders, first_epoch=first_epoch)
    sw_t = None if np.all(sw == 1) else tf_.constant(sw, dtype=_weight_dtype(X))
    arrays = (tf_.constant(X), tf_.constant(Y), sw_t)
    return Feed(
        _placeholder(),
        steps,
        **settings,
        arrays=arrays,
        orders=orders,
        first_epoch=first_epoch,
    )


@functools.cache
def _placeholder():
    """The dataset a gathering feed gives Keras, which never reads it; one
    per process (immutable): making it costs ~1.3 ms an op, and
    ``Dataset.counter()`` would trace a function per fit (~17 ms)."""
    return tf().data.Dataset.range(2**62)


def train_dataset(
    X,
    Y,
    sw,
    *,
    batch_size,
    shuffle,
    seed,
    normalize_weights=False,
    orders=None,
    first_epoch=0,
):
    """A repeating dataset of (x, y, sample_weight) batches; returns (ds, steps).

    X (and Y) may be one array or a dict/list of arrays (multi-input or
    multi-output models).
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

    def gather(i):
        x = map_inputs(lambda r: r(i), rows)
        y = map_inputs(lambda t: tf_.gather(t, i), Y_t)
        # tf.data would pack a list into one tensor; a tuple stays separate
        x = tuple(x) if isinstance(x, list) else x
        y = tuple(y) if isinstance(y, list) else y  # a multi-output model's
        if sw_t is None:
            return (x, y)
        return (x, y, batch_weights(tf_.gather(sw_t, i), normalize_weights))

    orders = _epoch_orders(n, shuffle, seed, orders, first_epoch)
    ahead = tf_.data.AUTOTUNE
    if any(isinstance(a, FileRows) for a in leaves(X)):
        ahead = FILE_PREFETCH
    ds = orders.flat_map(batches).map(gather, num_parallel_calls=ahead)
    ds = ds.prefetch(ahead).with_options(_sharded_by_data())
    return ds, math.ceil(n / batch_size)


def _sharded_by_data():
    """Under a multi-worker strategy, each worker takes its share of every
    batch (``AutoShardPolicy.DATA``; the default finds no files to shard
    and, for the family's host-drawn orders, would give every worker the
    whole batch). No effect elsewhere."""
    tf_ = tf()
    options = tf_.data.Options()
    policy = tf_.data.experimental.AutoShardPolicy.DATA
    options.experimental_distribute.auto_shard_policy = policy
    return options
