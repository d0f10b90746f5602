"""Per-epoch training statistics in ``history_``: 'grad_norm', 'epoch_time',
'samples_per_s' and, when no schedule records it, 'lr'.

The gradient norm is measured inside the traced step: the optimizer's
``apply`` adds the global norm of the gradients it receives (before any
clipping) to a running sum (``meter_gradients``, installed by
``_factory/optimizers.py`` ``prepare_optimizer``).
The gather loop (``train_function.py``) returns the epoch's mean in its
logs, so the default path reads nothing extra from the device; the other
paths (per-batch callbacks, Keras' own train function) read and reset the
sum once per epoch here.
"""

import time

import numpy as np

from .backend import tf as _tf
from .callbacks import EpochListener
from .keras_compat import applying_optimizer


class EpochStats(EpochListener):
    """Adds the epoch's statistics to its logs (see the module doc)."""

    def __init__(self, steps, n_samples, *, record_lr):
        self.steps, self.n_samples, self.record_lr = steps, n_samples, record_lr
        self.last = time.perf_counter()

    def on_epoch_end(self, model, state, logs):
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        logs["epoch_time"] = seconds
        n = self.n_samples  # None: a dataset's batches, not counted
        logs["samples_per_s"] = (
            float("nan") if n is None else n / seconds if seconds > 0 else 0.0
        )
        if "grad_norm" not in logs:
            logs["grad_norm"] = read_grad_norm(model.optimizer)
        if self.record_lr and "lr" not in logs:  # the gather loop's: no read
            logs["lr"] = _current_lr(model.optimizer)


def _current_lr(optimizer):
    lr = getattr(optimizer, "learning_rate", None)
    # np.asarray: a variable mirrored by a tf.distribute strategy has no float()
    return float("nan") if lr is None else float(np.asarray(lr))


def meter_gradients(optimizer):
    """Make ``optimizer`` (its inner one, under a LossScaleOptimizer) add the
    global norm of every gradient it applies, before clipping, to a running
    sum (``read_grad_norm``). An attribute of this optimizer object only."""
    tf = _tf()
    inner = applying_optimizer(optimizer)
    if "_sktrain_grad_norm" in vars(inner):
        return False
    total = tf.Variable(0.0, dtype=tf.float32, trainable=False)
    count = tf.Variable(0.0, dtype=tf.float32, trainable=False)
    apply = inner.apply

    def metered_apply(grads, trainable_variables=None):
        add_grad_norm((total, count), grads)
        return apply(grads, trainable_variables)

    object.__setattr__(inner, "apply", metered_apply)
    object.__setattr__(inner, "_sktrain_grad_norm", (total, count))
    return True


def add_grad_norm(meter, grads):
    """Add the global norm of ``grads`` (None skipped) to ``meter``'s sum,
    in the traced step (the metered ``apply`` and ``lean_step.py``)."""
    tf = _tf()
    present = [tf.cast(g, tf.float32) for g in grads if g is not None]
    if present:
        total, count = meter
        total.assign_add(tf.linalg.global_norm(present))
        count.assign_add(1.0)


def read_grad_norm(optimizer):
    """The mean gradient norm since the last read (NaN if none), reset."""
    meter = grad_norm_meter(optimizer)
    if meter is None:
        return float("nan")
    total, count = (float(v.numpy()) for v in meter)
    for v in meter:
        v.assign(0.0)
    return total / count if count else float("nan")


def grad_norm_meter(optimizer):
    """The ``(sum, count)`` variables of ``optimizer``'s meter, or None."""
    inner = applying_optimizer(optimizer)
    return vars(inner).get("_sktrain_grad_norm")
