"""The lean train step: Keras' ``train_step`` in fewer graph ops.

A small network's train step is dominated by TensorFlow's per-op cost, not
by its arithmetic (``docs/performance.md``). Keras' ``optimizer.apply``
recomputes the learning rate's casts and Adam's bias corrections for every
variable and goes through the distribution machinery even without a
strategy; ``train_step`` also reads every metric's result after every step.

For a model whose class opts in (``allows_lean_step = True``: sktrain's own
``Network``, the MLP family) and an optimizer whose update this module
knows (``lean_update``: Keras' ``Adam`` and ``SGD`` with none of the
optimizer knobs), the step is Keras' with the same forward pass, the same
``compute_loss`` and the same update arithmetic, op for op, with the
step-wide values (learning rate, step count, bias corrections) computed
once per step; the loss tracker is updated as Keras does and read once.
Anything else (another optimizer or class, clipping, weight decay, EMA,
gradient accumulation, loss scaling, variable constraints, compiled
metrics, a ``tf.distribute`` strategy, ``jit_compile``) runs Keras' own
``train_step``. The gradient-norm meter (``monitoring.py``) is kept.

The update reads Keras' optimizer slots (``_momentums``, ``_velocities``,
``momentums``): ``tests/_engine/test_lean_step.py`` checks it against
Keras' own ``apply`` bit for bit, so a Keras change shows up there.
"""

from .backend import keras, tf
from .monitoring import add_grad_norm, grad_norm_meter

_KNOBS = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay")
_KNOBS += ("gradient_accumulation_steps", "loss_scale_factor")


def lean_train_step(model):
    """``(step, logs)`` for ``model``, or None (Keras' own step applies).

    ``step(data)`` trains on one batch and returns its loss; ``logs()``,
    called once after an execution's steps, returns Keras' logs (the loss
    tracker's mean), which Keras' step reads after every step."""
    if not _lean_model(model):
        return None
    variables = model.trainable_variables
    update = lean_update(model.optimizer, variables)
    if update is None:
        return None
    tf_ = tf()
    unpack = keras().utils.unpack_x_y_sample_weight
    tracker = model.metrics[0]  # Keras' loss tracker, the only metric

    def step(data):
        x, y, sample_weight = unpack(data)
        with tf_.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
        update(tape.gradient(loss, variables))
        tracker.update_state(loss, sample_weight=tf_.shape(tf_.nest.flatten(x)[0])[0])
        return loss

    return step, lambda: {tracker.name: tracker.result()}


def _lean_model(model):
    tf_ = tf()
    return (
        getattr(type(model), "allows_lean_step", False)
        and not model.jit_compile
        and not tf_.distribute.has_strategy()
        and model.distribute_strategy is tf_.distribute.get_strategy()
        and len(model.metrics) == 1  # the loss tracker: no compiled metrics
        and bool(model.trainable_variables)
    )


def lean_update(optimizer, variables):
    """A function applying one step's gradients to ``variables`` exactly as
    ``optimizer.apply`` does (same arithmetic, same step count, the meter),
    or None for an optimizer or setting it does not cover."""
    rule, slot_lists = _rules().get(type(optimizer), (None, ()))
    if rule is None or not optimizer.built or getattr(optimizer, "amsgrad", False):
        return None
    if optimizer.use_ema or any(getattr(optimizer, n, None) for n in _KNOBS):
        return None
    if any(v.constraint is not None or v.overwrite_with_gradient for v in variables):
        return None
    slots = _slots(optimizer, variables, slot_lists)
    if slots is None:
        return None
    meter = grad_norm_meter(optimizer)

    def update(grads):
        if any(not isinstance(g, tf().Tensor) for g in grads):  # None, sparse
            return optimizer.apply(grads, variables)
        if meter:
            add_grad_norm(meter, grads)
        rates = _StepValues(optimizer)
        for grad, var, var_slots in zip(grads, variables, slots):
            rule(optimizer, rates, grad, var.value, var_slots)
        optimizer.iterations.assign_add(1)

    return update


def _rules():
    """Optimizer class -> (its update rule, the names of its slot lists)."""
    k = keras()
    return {
        k.optimizers.Adam: (_adam, ("_momentums", "_velocities")),
        k.optimizers.SGD: (_sgd, ("momentums",)),
    }


def _slots(optimizer, variables, names):
    """Per variable, the tf.Variables of its optimizer slots (Adam: m, v;
    SGD: its momentum, or none), or None if Keras keeps them elsewhere."""
    lists = [getattr(optimizer, n, None) for n in names]
    index = getattr(optimizer, "_get_variable_index", None)
    if index is None or any(slot is None for slot in lists):
        return None
    if all(len(slot) == 0 for slot in lists):  # SGD without momentum
        return [() for _ in variables]
    return [tuple(s[index(v)].value for s in lists) for v in variables]


class _StepValues:
    """One step's learning rate and step count, cast once per dtype."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.lr = optimizer.learning_rate  # a schedule's value: read once
        self.step = optimizer.iterations + 1
        self.cache = {}

    def get(self, name, dtype, make):
        key = (name, dtype)
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def learning_rate(self, dtype):
        return self.get("lr", dtype, lambda: tf().cast(self.lr, dtype))

    def adam_alpha(self, dtype):
        def make():  # Keras' Adam.update_step, per variable there
            tf_, opt = tf(), self.optimizer
            t = tf_.cast(self.step, dtype)
            b1_power = tf_.pow(tf_.cast(opt.beta_1, dtype), t)
            b2_power = tf_.pow(tf_.cast(opt.beta_2, dtype), t)
            return self.learning_rate(dtype) * tf_.sqrt(1 - b2_power) / (1 - b1_power)

        return self.get("alpha", dtype, make)


def _adam(optimizer, rates, grad, var, slots):
    tf_ = tf()
    m, v = slots
    grad = tf_.cast(grad, var.dtype)
    alpha = rates.adam_alpha(var.dtype)
    m.assign_add((grad - m) * (1 - optimizer.beta_1))
    v.assign_add((tf_.square(grad) - v) * (1 - optimizer.beta_2))
    var.assign_sub((m * alpha) / (tf_.sqrt(v) + optimizer.epsilon))


def _sgd(optimizer, rates, grad, var, slots):
    tf_ = tf()
    lr = rates.learning_rate(var.dtype)
    grad = tf_.cast(grad, var.dtype)
    if not slots:
        var.assign_sub(grad * lr)
        return
    (m,) = slots
    momentum = tf_.cast(optimizer.momentum, var.dtype)
    m.assign(m * momentum - grad * lr)
    if optimizer.nesterov:
        var.assign_add(m * momentum - grad * lr)
    else:
        var.assign_add(m.read_value())
