"""sktrain's own Keras objects. Importing this module imports Keras.

They are registered under the 'sktrain' package so saved and pickled models
load again; only modules that already need Keras import this one.
"""

from .._engine.backend import keras as _get_keras
from .._engine.backend import tf as _tf
from .._engine.distribution import replica_totals, replicas_in_sync

keras = _get_keras()
ops = keras.ops
register = keras.saving.register_keras_serializable(package="sktrain")


@register
class Network(keras.Model):
    """A functional model whose loss follows sklearn's weighting rules.

    Per batch, the data loss is ``sum(w * loss) / sum(w)`` and sklearn's L2
    term ``0.5 * alpha * ||W||^2 / sum(w)`` is added over the Dense kernels
    (``sum(w)`` is the batch size when no weights are given); under a
    ``tf.distribute`` strategy, ``sum(w)`` is the global batch's.
    Its train step may run in fewer ops (``_engine/lean_step.py``).
    """

    allows_lean_step = True  # Keras' train_step, unchanged: may run lean

    def __init__(self, *args, alpha=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha = float(alpha)

    # -- runtime hyperparameters (``_engine.trace_cache``'s twins) ----------
    def use_runtime_hyperparameters(self):
        """Read ``alpha`` from a variable in traced functions, so one trace
        serves every alpha of the same sign (the variable is not a weight:
        it is neither saved nor listed in ``variables``)."""
        slot = _tf().Variable(self.alpha, dtype=self._penalty_dtype(), trainable=False)
        object.__setattr__(self, "_alpha_slot", slot)

    def copy_hyperparameters_from(self, other):
        """Take ``other``'s runtime hyperparameters (``alpha``)."""
        self.alpha = float(other.alpha)
        slot = self.__dict__.get("_alpha_slot")
        if slot is not None:
            slot.assign(self.alpha)

    def _penalty_dtype(self):
        kernels = self._kernels()
        return kernels[0].dtype if kernels else keras.config.floatx()

    def _alpha_value(self):
        slot = self.__dict__.get("_alpha_slot")
        return self.alpha if slot is None else slot

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        replicas = replicas_in_sync()  # > 1 under a tf.distribute strategy
        if sample_weight is None and replicas == 1:  # sum(w): the batch size
            loss = super().compute_loss(x, y, y_pred, None, training)
            total = ops.shape(ops.convert_to_tensor(y_pred))[0]
        else:
            scaled, total = self._global_weights(y_pred, sample_weight, replicas)
            loss = super().compute_loss(x, y, y_pred, scaled, training)
        if self.alpha > 0:
            # l2_loss(k) = sum(k**2) / 2, one op whose gradient is one
            # multiply: ~40 us less per train step than square-sum-stack
            tf = _tf()
            half_squares = tf.add_n([tf.nn.l2_loss(k) for k in self._kernels()])
            total = ops.cast(total, half_squares.dtype)
            penalty = self._alpha_value() * half_squares / total
            if replicas > 1:  # each replica's share of the step's
                penalty = penalty / replicas
            loss = loss + ops.cast(penalty, loss.dtype)
        return loss

    def _global_weights(self, y_pred, sample_weight, replicas):
        """(this replica's weights, ``sum(w)`` over the whole batch).

        Keras divides each replica's weighted loss sum by its own rows and
        by ``replicas`` (``distribution.py``); weights scaled by
        ``rows * replicas / sum(w)`` make the replicas' parts add up to
        ``sum(w * loss) / sum(w)`` over the global batch, whatever each
        replica's share (one replica: weights of mean 1)."""
        rows = ops.shape(ops.convert_to_tensor(y_pred))[0]
        if sample_weight is None:
            sample_weight = ops.ones((rows,), dtype=self._penalty_dtype())
        n = ops.cast(rows, sample_weight.dtype)
        total, n_global = replica_totals(ops.sum(sample_weight), n)
        total = ops.where(total > 0, total, n_global)
        return sample_weight * (n * replicas / total), total

    def _kernels(self):
        Dense = keras.layers.Dense
        return [layer.kernel for layer in self.layers if isinstance(layer, Dense)]

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        alpha = config.pop("alpha", 0.0)
        model = super().from_config(config, custom_objects=custom_objects)
        model.alpha = alpha
        return model


@register
class Penalty(keras.regularizers.L1L2):
    """L1L2 whose value is in Keras' floatx, so it adds to the compiled loss.

    Keras sums the compiled loss (always floatx) with the layers' penalties
    (in the layer's dtype); for a float64 network the two must agree.
    """

    def __call__(self, x):
        return ops.cast(super().__call__(x), keras.config.floatx())


@register
class FunctionLoss(keras.losses.Loss):
    """A loss function as a Loss object, so it can compute in float64."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", dtype=None):
        if isinstance(fn, dict):
            fn = keras.saving.deserialize_keras_object(fn)
        name = name or getattr(fn, "__name__", "loss")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)

    def get_config(self):
        fn = keras.saving.serialize_keras_object(self.fn)
        return {"fn": fn, "name": self.name, "reduction": self.reduction}


@register
class HalfMeanSquaredError(keras.losses.Loss):
    """0.5 * mean squared error: sklearn's 'squared_error' loss."""

    def __init__(
        self, name="squared_error", reduction="sum_over_batch_size", dtype=None
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        squares = ops.square(y_pred - y_true)
        if squares.shape[-1] == 1:  # the same values; a mean's gradient
            # over an axis of a batch of unknown size is ~20 graph ops
            return 0.5 * ops.squeeze(squares, axis=-1)
        return 0.5 * ops.mean(squares, axis=-1)


@register
class StepTable(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate of each optimizer step, from a table sktrain writes.

    ``_engine/schedules.py`` computes each epoch's per-step rates on the
    host and ``write_rates`` them with the step they start at; inside the
    traced train step Keras calls the schedule with the optimizer's step
    count, which looks its rate up (the last entry past the table's end).
    The table is a runtime value, so one trace serves every schedule.
    ``initial`` is the base rate: the optimizer's rate before the table.
    """

    def __init__(self, initial=0.001):
        tf = _tf()
        self.initial = float(initial)
        self._values = tf.Variable(
            [self.initial], shape=tf.TensorShape([None]), trainable=False
        )
        self._start = tf.Variable(0, dtype=tf.int64, trainable=False)

    def __call__(self, step):
        tf = _tf()
        last = tf.cast(tf.size(self._values), tf.int64) - 1
        i = tf.clip_by_value(tf.cast(step, tf.int64) - self._start, 0, last)
        return tf.gather(self._values, i)

    def write_rates(self, rates, start):
        """Rates of the steps ``start``, ``start + 1``, ... (float32)."""
        self._values.assign(_tf().constant(rates, dtype="float32"))
        self._start.assign(int(start))

    def get_config(self):
        return {"initial": self.initial}
