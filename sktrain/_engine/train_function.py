"""The train function: a whole epoch of train steps in one graph call.

Keras' own multi-step train function (``steps_per_execution > 1``) is written
for datasets that may end in the middle of an execution: it wraps every step
in optionals and a ``tf.cond`` inside a ``tf.while_loop`` whose output type is
only known after a first pass, and it traces ``train_step`` twice. sktrain's
pipeline repeats forever and an execution is exactly one epoch, so a counted
loop around one traced ``train_step`` runs the same steps on the same batches
in the same order, at about half the tracing cost.

Two loops, both kept with the model they train (a cached twin,
``trace_cache``, traces each once per process) and both taking the data, the
seed and the number of steps at run time:

- the *gather loop* (one dense X and one Y, ``Feed.arrays``): Keras'
  iterator is a placeholder; the function counts epochs itself, the loop
  draws the epoch's row order (the pipeline's ``epoch_order``, or the
  family's host-drawn order, ``Feed.orders``) and gathers each batch from X
  and Y, so no ``tf.data`` function is traced per fit and no batch crosses
  threads;
- the *iterator loop* (sparse or structured X): batches come from the
  ``tf.data`` pipeline;
- the *strategy loop* (under a ``tf.distribute`` strategy,
  ``distribution.py``): batches come from the strategy's distributed
  ``tf.data`` pipeline and each step runs on every replica.

``keras.Model.fit`` still owns the epoch loop and the callbacks: it calls
``model.train_function(iterator)`` once per execution, as it does with its own.
With per-batch callbacks an execution is one step (iterator loop).
"""

import itertools

from .backend import tf
from .backup import device_copies
from .keras_compat import (
    flat_call,
    forget_kept,
    kept_with,
    omit_retracing_warning,
    quiet_for_dtype,
)
from .lean_step import lean_train_step
from .monitoring import grad_norm_meter
from .pipeline import batch_weights, epoch_order


def counted_train_function(model, feed, steps):
    """A ``train_function`` running ``steps`` train steps of ``feed`` per
    call, or None (let Keras make its own) under eager execution. Under a
    distribution strategy, the *strategy loop*. A float64 model's function
    runs without grappler's remapper (``keras_compat.without_remapper``)."""
    tf_ = tf()
    if not supports_counted_loop(model):
        return None
    build_optimizer(model)
    todo = tf_.constant(steps, tf_.int32)
    if _distributed(model):  # batches from the strategy's distributed dataset
        run = _kept(model, "strategy", lambda: _strategy_loop(model, "train_step"))
        return lambda iterator: run(iterator, todo)
    if feed.arrays is None:
        run = _kept(model, "iterator", lambda: _iterator_loop(model))
        return lambda iterator: run(iterator, todo)
    X, Y, W = feed.arrays
    weighted = W is not None
    W = W if weighted else tf_.zeros([0], X.dtype)
    host = feed.orders is not None  # the family draws each epoch's order
    key = ("gather", _spec(X), _spec(Y), _spec(W), weighted, feed.shuffle)
    key += (feed.normalize_weights,)
    key += ("host orders",) if host else ()
    key += ("metered",) if grad_norm_meter(model.optimizer) else ()
    copies = kept_with(model, "_sktrain_copies", "w", lambda: device_copies(model))
    loop = (model, feed, X, Y, W, weighted, copies)
    run = _kept(model, key, lambda: _gather_loop(*loop))
    seed = tf_.constant(feed.seed, tf_.int64)
    size = tf_.constant(feed.batch_size, tf_.int64)
    epochs = itertools.count(feed.first_epoch)  # one call is one epoch
    unused = tf_.zeros([0], tf_.int64)

    def train_function(iterator):  # Keras' iterator is a placeholder here
        epoch = tf_.constant(next(epochs), tf_.int64)
        order = tf_.constant(next(feed.orders), tf_.int64) if host else unused
        return run(epoch, X, Y, W, seed, size, todo, order)

    train_function.weight_copies = copies  # what the epoch monitor reads
    return train_function


def supports_counted_loop(model):
    """False under eager execution (Keras' own train function then runs,
    over batches from ``tf.data``)."""
    return not model.run_eagerly


def gathers_in_graph(model):
    """True where the gather loop may run: not under a strategy, whose
    batches come from its distributed ``tf.data`` pipeline."""
    return supports_counted_loop(model) and not _distributed(model)


def forget_train_function(model):
    """Drop ``model``'s traced train functions (a baked-in value changed)."""
    forget_kept(model, "_sktrain_loops")
    model.train_function = None


def row_spec(t):
    """The ``TensorSpec`` of ``t`` with any number of rows."""
    return tf().TensorSpec([None, *t.shape[1:]], t.dtype)


def _kept(model, key, make):
    """The loop kept with ``model`` under ``key``, made on first use."""

    def quiet():  # every model traces its own loop once: not "retracing"
        return quiet_for_dtype(model, omit_retracing_warning(make()))

    return kept_with(model, "_sktrain_loops", key, quiet)


def _spec(t):
    return (tuple(t.shape[1:]), t.dtype.name)


def _train_step(model):
    """``(step, logs)``: the traced train step and, for the lean step
    (``lean_step.py``), the function giving the logs after the loop (None:
    the last step's output is the logs, as Keras' ``train_step`` returns)."""
    lean = lean_train_step(model)
    step, logs = lean if lean else (model.train_step, None)
    # no AutoGraph, as in Keras' own train function: Keras code needs none,
    # and converting train_step and all it calls cost ~0.3-0.6 s per trace
    jit = model.jit_compile is True
    traced = tf().function(
        step, reduce_retracing=True, jit_compile=jit, autograph=False
    )
    return traced, logs


def _repeat(step_of, outputs, start, stop):
    """``outputs = step_of(i)`` for ``i`` in ``[start, stop)``, a graph loop."""

    def body(i, _):
        return i + 1, step_of(i)

    _, outputs = tf().while_loop(lambda i, _: i < stop, body, (start, outputs))
    return outputs


def _repeat_gathered(step, batch, outputs, start, stop):
    """``outputs = step(batch(i))`` for ``i`` in ``[start, stop)``, each
    iteration gathering the next batch while the step trains on this one:
    the gather depends on nothing the step writes, so TensorFlow runs it
    on another core instead of between two steps (~20 % of a step at batch
    256 on 500,000 rows, measured). One gather past the end (an empty or
    short slice) is never trained on."""

    def body(i, outputs, current):
        return i + 1, step(current), batch(i + 1)

    cond = lambda i, *_: i < stop  # noqa: E731
    loop_vars = (start, outputs, batch(start))
    return tf().while_loop(cond, body, loop_vars)[1]


def _iterator_loop(model):
    tf_ = tf()
    step, logs = _train_step(model)

    @tf_.function(reduce_retracing=True, autograph=False)
    def run(iterator, steps):
        outputs, start = _initial_logs(step, iterator.element_spec), 0
        if outputs is None:  # logs that are not all tensors
            outputs, start = step(iterator.get_next()), 1
        outputs = _repeat(lambda i: step(iterator.get_next()), outputs, start, steps)
        return outputs if logs is None else logs()

    return run


def strategy_test_function(model):
    """Under a strategy, a ``test_function`` (Keras' validation in ``fit``)
    running one ``test_step`` on every replica per call: Keras' own fails
    under ``MultiWorkerMirroredStrategy`` (tensorflow#72388)."""
    tf_ = tf()
    run = _kept(model, "strategy test", lambda: _strategy_loop(model, "test_step"))
    one = tf_.constant(1, tf_.int32)
    return lambda iterator: run(iterator, one)


def _strategy_loop(model, step_name):
    """The iterator loop under a ``tf.distribute`` strategy: each step runs
    ``train_step`` on every replica (``strategy.run``) over its share of
    the batch; Keras' own multi-step function fails under a strategy
    (keras#19246) and its logs reduction under ``MultiWorkerMirroredStrategy``
    (tensorflow#72388). The logs are the first replica's: the metrics'
    variables are synchronized across the replicas."""
    tf_ = tf()
    strategy = model.distribute_strategy

    def step(iterator):
        logs = strategy.run(getattr(model, step_name), args=(iterator.get_next(),))
        first = strategy.experimental_local_results
        return tf_.nest.map_structure(lambda v: first(v)[0], logs)

    @tf_.function(reduce_retracing=True, autograph=False)
    def run(iterator, steps):
        # a first step outside the loop gives the logs' structure
        return _repeat(lambda i: step(iterator), step(iterator), 1, steps)

    return run


def _gather_loop(model, feed, X, Y, W, weighted, copies):
    tf_ = tf()
    step, logs = _train_step(model)
    shuffle, normalize = feed.shuffle, feed.normalize_weights
    host = feed.orders is not None
    meter = grad_norm_meter(model.optimizer) or ()

    int64, int32 = tf_.TensorSpec([], tf_.int64), tf_.TensorSpec([], tf_.int32)
    data = [row_spec(X), row_spec(Y), row_spec(W)]
    signature = [int64, *data, int64, int64, int32, tf_.TensorSpec([None], tf_.int64)]
    spec = tuple(data if weighted else data[:2])  # one batch's structure

    @tf_.function(input_signature=signature, autograph=False)
    def run(epoch, X, Y, W, seed, batch_size, steps, host_order):
        for metric in model.metrics:  # one call is one epoch (``epochs.py``)
            metric.reset_state()
        for v in meter:
            v.assign(tf_.zeros_like(v))
        n = tf_.shape(X, out_type=tf_.int64)[0]
        order = host_order if host else epoch_order(n, shuffle, seed, epoch)

        def batch(i):
            i = tf_.cast(i, tf_.int64)
            idx = order[i * batch_size : (i + 1) * batch_size]
            x, y = tf_.gather(X, idx), tf_.gather(Y, idx)
            if not weighted:
                return (x, y)
            return (x, y, batch_weights(tf_.gather(W, idx), normalize))

        outputs, start = _initial_logs(step, spec), 0
        if outputs is None:  # logs that are not all tensors
            outputs, start = step(batch(0)), 1
        outputs = _repeat_gathered(step, batch, outputs, start, steps)
        outputs = outputs if logs is None else logs()
        return _epoch_end(model, _with_grad_norm(outputs, meter), copies)

    # called as a concrete function, flat: tf.function's argument binding
    # costs ~2 ms per call for these eight arguments, a concrete function's
    # ~0.3 ms; the key fixes every argument's dtype and trailing shape
    return flat_call(run.get_concrete_function())


def _epoch_end(model, logs, copies):
    """The epoch's logs plus the learning rate it ends with ('lr'); the
    weights copied on the device if the loss is finite (``backup.py``).
    Both save an eager read per epoch."""
    if not isinstance(logs, dict) or "loss" not in logs:
        return logs
    kept = [] if copies is None else [copies.keep_if_finite(logs["loss"])]
    with tf().control_dependencies(kept):
        lr = tf().cast(model.optimizer.learning_rate, tf().float32)
    return {**logs, "lr": lr}


def _with_grad_norm(logs, meter):
    """The epoch's logs plus its mean gradient norm (``monitoring.py``)."""
    if not meter or not isinstance(logs, dict):
        return logs
    total, count = meter
    return {**logs, "grad_norm": total / tf().maximum(count, 1.0)}


def _distributed(model):
    """True under a distribution strategy: the model's own (made in a
    strategy scope) or one whose scope is active now."""
    dist = tf().distribute
    return dist.has_strategy() or model.distribute_strategy is not dist.get_strategy()


def build_optimizer(model):
    """Create the optimizer's variables now: built lazily inside the first
    trace, they would make TensorFlow trace the train step a second time."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)


def _initial_logs(step, spec):
    """Zeros shaped like the step's logs for batches of ``spec``, the loop's
    starting value.

    The step is called at one place only: a second call site (a first step
    before the loop) would double the graph TensorFlow optimises (~0.1 s per
    fit). None if the logs hold anything but tensors.
    """
    tf_ = tf()
    traced = step.get_concrete_function(spec)
    logs = traced.structured_outputs
    if not all(isinstance(t, tf_.Tensor) for t in tf_.nest.flatten(logs)):
        return None

    def zeros(t):
        return tf_.zeros([0 if d is None else d for d in t.shape.as_list()], t.dtype)

    return tf_.nest.map_structure(zeros, logs)
