"""sktrain's regression losses, registered Keras classes (imports Keras).

``loss='quantile'``: ``PinballLoss(quantile=[0.1, 0.5, 0.9])`` trains one
output unit per quantile level on a single target column ``y`` of shape
(n, 1): unit ``j``
minimises ``mean(max(q_j * (y - f_j), (q_j - 1) * (y - f_j)))``, whose
minimiser is the ``q_j`` quantile of ``y`` given ``x``. The levels are kept
sorted, so output column ``j`` is the ``j``-th smallest level.
``quantile_levels`` reads the levels from an estimator's ``loss`` and routed
``loss__`` parameters (the regression target needs them before the network
is built: one unit per level).

``loss='huber'``: ``Huber``, Keras' Huber loss whose config keeps ``delta``
(Keras' own drops it, so a saved model would come back with delta=1).

Registered under 'sktrain' so saved and pickled models load again (``_io``
imports this module before loading, ``register_keras_classes``).
"""

from numbers import Real

import numpy as np

from .._engine.backend import keras as _get_keras

keras = _get_keras()
ops = keras.ops
register = keras.saving.register_keras_serializable(package="sktrain")

DEFAULT_QUANTILE = 0.5


def check_quantiles(quantile):
    """``loss__quantile`` (a float or a list of floats in (0, 1)) as a sorted
    tuple of distinct floats, or a ValueError that says what is wrong."""
    values = (
        list(quantile)
        if isinstance(quantile, (list, tuple, np.ndarray))
        else [quantile]
    )
    bad = [
        q
        for q in values
        if isinstance(q, bool) or not isinstance(q, Real) or not 0.0 < q < 1.0
    ]
    if not values or bad:
        raise ValueError(
            "loss__quantile must be a float in (0, 1) or a non-empty list of "
            f"them (e.g. 0.5 or [0.1, 0.5, 0.9]); got {quantile!r}."
        )
    levels = tuple(sorted(float(q) for q in values))
    if len(set(levels)) != len(levels):
        raise ValueError(
            f"loss__quantile lists a quantile level twice: {quantile!r}. Give "
            "each level once."
        )
    return levels


def quantile_levels(loss, loss_params):
    """The sorted quantile levels when ``loss='quantile'``, else None."""
    if not (isinstance(loss, str) and loss == "quantile"):
        return None
    return check_quantiles(loss_params.get("quantile", DEFAULT_QUANTILE))


@register
class PinballLoss(keras.losses.Loss):
    """The pinball (quantile) loss, averaged over the quantile levels.

    ``y_true`` has one column (or as many as levels); ``y_pred`` one column
    per level, in the order of the sorted levels.
    """

    def __init__(
        self,
        quantile=DEFAULT_QUANTILE,
        name="quantile",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.quantile = check_quantiles(quantile)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        q = ops.convert_to_tensor(self.quantile, dtype=y_pred.dtype)
        diff = y_true - y_pred  # (n, 1) - (n, levels): one column per level
        return ops.mean(ops.maximum(q * diff, (q - 1.0) * diff), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantile": list(self.quantile)}


@register
class Huber(keras.losses.Huber):
    """Keras' Huber loss (``name='huber'``) with ``delta`` in its config."""

    def __init__(
        self, delta=1.0, reduction="sum_over_batch_size", name="huber", dtype=None
    ):
        super().__init__(delta=delta, reduction=reduction, name=name, dtype=dtype)
        self.delta = float(delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}
