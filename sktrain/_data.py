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

from ._backend import tf

PREDICT_CHUNK = 65536


def batch_size_for(batch_size, n_samples):
    """sklearn's rule: 'auto' is min(200, n); explicit sizes are clipped to n."""
    if batch_size == "auto":
        return min(200, n_samples)
    return int(np.clip(batch_size, 1, n_samples))


def train_dataset(X, Y, sw, *, batch_size, shuffle, seed):
    """A repeating dataset of (x, y, sample_weight) batches; returns (ds, steps)."""
    tf_ = tf()
    n = X.shape[0]
    X_t = tf_.constant(X)
    Y_t = tf_.constant(Y)
    sw_t = tf_.constant(sw, dtype=X_t.dtype)
    idx = tf_.data.Dataset.range(n)
    if shuffle:
        idx = idx.shuffle(n, seed=seed, reshuffle_each_iteration=True)

    def gather(i):
        return tf_.gather(X_t, i), tf_.gather(Y_t, i), tf_.gather(sw_t, i)

    ds = idx.batch(batch_size).map(gather).repeat().prefetch(2)
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
        X = np.asarray(X, dtype=self.dtype)
        if X.shape[0] <= PREDICT_CHUNK:
            return self._fn(X).numpy()
        chunks = [
            self._fn(X[i : i + PREDICT_CHUNK]).numpy()
            for i in range(0, X.shape[0], PREDICT_CHUNK)
        ]
        return np.concatenate(chunks)
