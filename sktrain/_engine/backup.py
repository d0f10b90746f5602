"""The weights of the last completed, finite epoch: what a fit goes back to
when an epoch's loss is NaN/inf or the fit is interrupted
(``FitState.good_weights``).

Reading the weights to the host after every epoch (``model.get_weights()``)
costs ~0.2 ms alone but ~0.8 ms right after the epoch's graph call, measured
inside fits: on small data a sixth of the epoch. So the gather loop
(``train_function.py``) keeps them on the device instead: at the end of each
call (one epoch) whose loss is finite, it copies every weight into a variable
of its own (``DeviceCopies``); the epoch monitor then reads nothing. Other
paths (Keras' own train function, per-batch callbacks, a strategy, an
``ema`` optimizer, whose kept weights are the moving averages, networks over
``MAX_DEVICE_COPY_BYTES``) keep the host copy.
"""

from .backend import tf
from .keras_compat import applying_optimizer, weights_to_keep


class DeviceCopies:
    """One variable per weight of ``model`` (``model.weights``, as
    ``get_weights``), filled in the traced epoch by ``keep_if_finite``."""

    def __init__(self, model):
        tf_ = tf()
        self.weights = list(model.weights)
        self.copies = [
            tf_.Variable(tf_.zeros(w.shape, w.dtype), trainable=False)
            for w in self.weights
        ]

    def keep_if_finite(self, loss):
        """Graph code: copy the weights if ``loss`` is finite."""
        tf_ = tf()

        def keep():
            for copy, weight in zip(self.copies, self.weights):
                copy.assign(weight.value)
            return tf_.constant(True)

        finite = tf_.reduce_all(tf_.math.is_finite(loss))
        return tf_.cond(finite, keep, lambda: tf_.constant(False))

    def restore(self):
        for copy, weight in zip(self.copies, self.weights):
            weight.assign(copy)


MAX_DEVICE_COPY_BYTES = 64 * 2**20  # larger networks: a host copy per epoch


def device_copies(model):
    """A ``DeviceCopies`` for ``model``'s gather loop, or None where the
    kept weights are not the weights (an ``ema`` optimizer's averages) or
    the weights are large: the copies live as long as the traced loop (with
    the model), and a large network's epoch dwarfs one host read anyway."""
    optimizer = applying_optimizer(getattr(model, "optimizer", None))
    if getattr(optimizer, "use_ema", False):
        return None
    tensors = [w.value for w in model.weights]  # Keras' dtype is a name
    size = sum(t.dtype.size * t.shape.num_elements() for t in tensors)
    return DeviceCopies(model) if size <= MAX_DEVICE_COPY_BYTES else None


class GoodWeights:
    """The last completed finite epoch's weights: the fit's starting ones
    (``start``, host arrays) until an epoch ends finite, then the train
    function's device copies (``copies``) or a host copy."""

    def __init__(self, model, start, copies=None):
        self.model, self.arrays, self.copies = model, start, copies
        self.on_device = False

    def epoch_done(self):
        """A finite epoch ended: its weights are the good ones."""
        if self.copies is not None:
            self.on_device = True  # the train function copied them
        else:
            self.arrays = weights_to_keep(self.model)  # ``ema``: averaged

    def restore(self):
        """Put the good weights back into the model."""
        if self.on_device:
            self.copies.restore()
        else:
            self.model.set_weights(self.arrays)
