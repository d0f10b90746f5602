"""The train function: a whole epoch of train steps in one graph call.

Keras' own multi-step train function (``steps_per_execution > 1``) is written
for datasets that may end in the middle of an execution: it wraps every step
in optionals and a ``tf.cond`` inside a ``tf.while_loop`` whose output type is
only known after a first pass, and it traces ``train_step`` twice. sktrain's
pipeline repeats forever and an execution is exactly one epoch, so a counted
loop around one traced ``train_step`` runs the same steps on the same batches
in the same order, at about half the tracing cost (on small data, tracing is
the largest part of a fit).

``keras.Model.fit`` still owns the epoch loop and the callbacks: it calls
``model.train_function(iterator)`` once per execution, as it does with its own.
With per-batch callbacks an execution is one step: the same function, one
step per call.
"""

from .backend import tf
from .keras_compat import omit_retracing_warning, quiet_for_dtype


def counted_train_function(model, steps):
    """A ``train_function`` running ``steps`` train steps per call, or None
    (let Keras make its own) under eager execution or a distribution
    strategy. A float64 model's function runs without grappler's remapper
    (``keras_compat.without_remapper``: TensorFlow's C++ layer stays quiet)."""
    tf_ = tf()
    if _distributed(model):  # Keras builds the optimizer in the strategy's scope
        return None
    _build_optimizer(model)
    if model.run_eagerly:
        return None
    jit = model.jit_compile is True
    step = tf_.function(model.train_step, reduce_retracing=True, jit_compile=jit)

    @tf_.function(reduce_retracing=True)
    def run(iterator):
        if steps <= 1:
            return step(iterator.get_next())
        outputs, todo = _initial_logs(step, iterator), steps
        if outputs is None:  # logs that are not all tensors
            outputs, todo = step(iterator.get_next()), steps - 1
        for _ in tf_.range(todo):
            outputs = step(iterator.get_next())
        return outputs

    # every fit traces its own function once, by design: not "retracing"
    return quiet_for_dtype(model, omit_retracing_warning(run))


def _distributed(model):
    """True under a distribution strategy: the model's own (made in a
    strategy scope) or one whose scope is active now."""
    dist = tf().distribute
    return dist.has_strategy() or model.distribute_strategy is not dist.get_strategy()


def _build_optimizer(model):
    """Create the optimizer's variables now: built lazily inside the first
    trace, they would make TensorFlow trace the train step a second time."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)


def _initial_logs(step, iterator):
    """Zeros shaped like the step's logs, the loop's starting value.

    The step is called at one place only: a second call site (a first step
    before the loop) would double the graph TensorFlow optimises (~0.1 s per
    fit). None if the logs hold anything but tensors.
    """
    tf_ = tf()
    traced = step.get_concrete_function(iterator.element_spec)
    logs = traced.structured_outputs
    if not all(isinstance(t, tf_.Tensor) for t in tf_.nest.flatten(logs)):
        return None

    def zeros(t):
        return tf_.zeros([0 if d is None else d for d in t.shape.as_list()], t.dtype)

    return tf_.nest.map_structure(zeros, logs)
