"""Every place sktrain reaches into a Keras/TensorFlow internal, in one file.

Each function touches only the object it is given (a model, an optimizer, a
``tf.function``), never process-wide state, and each has a test in
``tests/engine/test_keras_compat.py`` that fails when Keras or TensorFlow
change the internal it relies on.
"""

import functools

import numpy as np

from .backend import tf


def skip_single_replica_all_reduce(optimizer):
    """Stop one optimizer from leaking each traced train step.

    Keras' TensorFlow optimizer all-reduces the gradients through the replica
    context even without a distribution strategy; in graph mode TensorFlow
    then registers a custom gradient for that op in its process-wide registry
    and never removes it, which keeps every traced train step (graphs, about
    5 MiB per fit) alive. With a single replica the all-reduce is the
    identity, so this optimizer skips it; under a multi-replica strategy it
    still runs. Internal used: ``optimizer._all_reduce_sum_gradients``.
    """
    tf_ = tf()
    reduce = getattr(optimizer, "_all_reduce_sum_gradients", None)
    if reduce is None or getattr(reduce, "_sktrain_skips", False):
        return optimizer

    def all_reduce_unless_single_replica(grads_and_vars):
        context = tf_.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync > 1:
            return reduce(grads_and_vars)
        return list(grads_and_vars)

    all_reduce_unless_single_replica._sktrain_skips = True
    optimizer._all_reduce_sum_gradients = all_reduce_unless_single_replica
    return optimizer


def applying_optimizer(optimizer):
    """The optimizer that applies the gradients: the one a
    ``LossScaleOptimizer`` wraps (mixed float16), else ``optimizer`` itself
    (None stays None)."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def quiet_model_optimizer(model):
    """``skip_single_replica_all_reduce`` on a compiled model's optimizer
    (and on the one a ``LossScaleOptimizer`` wraps, which applies the
    gradients)."""
    optimizer = getattr(model, "optimizer", None)
    while optimizer is not None:
        skip_single_replica_all_reduce(optimizer)
        optimizer = getattr(optimizer, "inner_optimizer", None)


def omit_retracing_warning(fn):
    """Silence TensorFlow's "frequent retracing" warning for one function.

    Every fitted model traces its own predictor once, by design; TensorFlow
    keys that warning on the Python code object, so many fits look like
    retracing. Internal used: ``tf.function``'s
    ``_omit_frequent_tracing_warning`` attribute.
    """
    fn._omit_frequent_tracing_warning = True
    return fn


def flat_call(concrete):
    """``concrete`` (a ``ConcreteFunction`` whose arguments are all tensors,
    given positionally in its signature's order and dtypes) as a plain
    function of them, without the structured-signature binding of each call
    (~0.3 ms: a whole epoch of a small network is ~2 ms). Internals used:
    ``ConcreteFunction._call_flat`` and ``captured_inputs`` (fixed once
    traced); without them, ``concrete`` itself."""
    call_flat = getattr(concrete, "_call_flat", None)
    captured = getattr(concrete, "captured_inputs", None)
    if call_flat is None or captured is None:  # pragma: no cover - other TF
        return concrete
    return lambda *args: call_flat(list(args), captured)


def kept_with(model, slot, key, make):
    """``make()``'s result, made once per ``(model, slot, key)`` and kept with
    ``model`` (traced functions, predictors). Stored in the model's
    ``__dict__``, past Keras' tracking ``__setattr__``, so it is neither a
    tracked attribute nor saved. Internal used: Keras layers accept untracked
    entries in ``__dict__``."""
    store = model.__dict__.get(slot)
    if store is None:
        store = {}
        object.__setattr__(model, slot, store)
    if key not in store:
        store[key] = make()
    return store[key]


def forget_kept(model, slot):
    """Drop what ``kept_with`` kept in ``slot``."""
    model.__dict__.pop(slot, None)


def install_train_function(model, steps, function):
    """Make ``keras.Model.fit`` call ``function`` (None: Keras' own) for
    every ``steps`` batches. Internals used: ``model.steps_per_execution``
    and ``model.train_function``, which ``keras.Model.fit`` reads."""
    if function is None and model.steps_per_execution == steps:
        return  # keep Keras' own function, if it made one already
    model.steps_per_execution = steps
    model.train_function = function


def loss_function_kwargs(loss):
    """Arguments a Keras function-wrapping loss holds but ``get_config`` may
    drop (Huber's ``delta``). Internal used: ``LossFunctionWrapper._fn_kwargs``.
    """
    extra = getattr(loss, "_fn_kwargs", None)
    return dict(extra) if isinstance(extra, dict) else {}


def computes_in_float64(model):
    """True when any weight of ``model`` is float64."""
    return any(np.dtype(w.dtype) == np.float64 for w in model.weights)


@functools.lru_cache(maxsize=8)
def _remapper_off(executor_type, serialized):
    """The thread's function-call options with grappler's remapper off."""
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.eager import context

    config = config_pb2.ConfigProto.FromString(serialized)
    off = rewriter_config_pb2.RewriterConfig.OFF
    config.graph_options.rewrite_options.remapping = off
    return context.FunctionCallOptions(executor_type=executor_type, config_proto=config)


def without_remapper(fn):
    """``fn`` (calling ``tf.function``s eagerly) with grappler's remapper off
    for the graphs it runs, and only those.

    On CPU with oneDNN, the remapper logs "Not handling type DT_DOUBLE" from
    TensorFlow's C++ layer for every float64 MatMul + BiasAdd it looks at
    (``tensorflow/core/util/util.cc``), once per graph instantiation; it
    never fuses float64 ops, so float64 graphs lose nothing without it.
    Each eager call of a ``tf.function`` carries the calling thread's
    ``FunctionCallOptions`` (a per-call ConfigProto that grappler optimises
    the function with): they are swapped for a copy with the remapper off
    for the duration of the call and restored afterwards. No process-wide
    setting changes. Internals used: ``tensorflow.python.eager.context``'s
    ``context().function_call_options`` and ``FunctionCallOptions``; if they
    are missing, ``fn`` runs as it is.
    """
    if getattr(fn, "_sktrain_without_remapper", False):
        return fn
    try:
        from tensorflow.python.eager import context
    except ImportError:  # pragma: no cover - a TensorFlow without the internal
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        ctx = context.context()
        old = ctx.function_call_options
        serialized = getattr(old, "config_proto_serialized", None)
        if serialized is None:
            return fn(*args, **kwargs)
        ctx.function_call_options = _remapper_off(old.executor_type, serialized)
        try:
            return fn(*args, **kwargs)
        finally:
            ctx.function_call_options = old

    call._sktrain_without_remapper = True
    return call


def quiet_for_dtype(model, fn):
    """``without_remapper(fn)`` for a float64 model, else ``fn`` unchanged."""
    if fn is None or not computes_in_float64(model):
        return fn
    return without_remapper(fn)


def quiet_test_function(model):
    """Make Keras' own ``test_function`` (validation in ``fit``) quiet."""
    if computes_in_float64(model) and not model.run_eagerly:
        model.make_test_function()
        model.test_function = without_remapper(model.test_function)


def replace_optimizer(model, optimizer):
    """Train the compiled ``model`` with ``optimizer`` instead of the one it
    was compiled with (loss and metrics stay), in its compile config too, so
    saving and pickling keep it (the optimizer knobs; a loss-scaling
    wrapper). Internal used: ``model._compile_config`` (a
    ``SerializableDict``, whose ``config`` ``get_compile_config`` and saving
    read)."""
    model.optimizer = optimizer
    compile_config = getattr(model, "_compile_config", None)
    if compile_config is not None:
        compile_config.config["optimizer"] = optimizer
    model.train_function = None


def _ema_pairs(model):
    """(trainable variable, its moving average) of each variable ``model``'s
    optimizer averages (``use_ema``) once it took a step, else []. Internals
    used: the optimizer's ``_iterations`` (steps, also inside a gradient
    accumulation group), ``_trainable_variables`` and
    ``_model_variables_moving_average`` (aligned lists made by ``build``)."""
    optimizer = applying_optimizer(getattr(model, "optimizer", None))
    if not getattr(optimizer, "use_ema", False) or not optimizer.built:
        return []
    if int(optimizer._iterations.numpy()) == 0:
        return []  # the averages are still zeros
    averages = optimizer._model_variables_moving_average
    pairs = zip(optimizer._trainable_variables, averages)
    return [(v, a) for v, a in pairs if a is not None]


def weights_to_keep(model):
    """``model.get_weights()``, with each averaged trainable variable's
    moving average in its place when the optimizer keeps one (``ema``):
    the weights the fit would end with if it stopped now."""
    average = {id(v): a for v, a in _ema_pairs(model)}
    if not average:
        return model.get_weights()
    return [np.asarray(average.get(id(w), w).numpy()) for w in model.weights]


def restart_averages(model):
    """Set the optimizer's moving averages (if any) to the current weights:
    after the fault guard put back finite weights, the averages, which took
    the non-finite steps in, would otherwise replace them at the fit's end."""
    for variable, average in _ema_pairs(model):
        average.assign(variable)


def call_inputs(layer):
    """The tensors a layer (e.g. a nested model) received where it was first
    called in its enclosing functional graph, or None if it was never called
    symbolically. Internal used: ``layer._inbound_nodes[0].input_tensors``."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return None
    return list(nodes[0].input_tensors)


def global_batch_loss(model):
    """Make the loss Keras reports under a strategy (each epoch's mean, the
    validation loss) the global batch's, also when a batch is split
    unevenly (the last, short one).

    Each replica adds its loss times ``replicas`` (Keras' unscaling),
    weighted by its own rows; weighted by the global batch's rows over
    ``replicas`` instead, the replicas' parts add up to the global batch's
    loss. Internal used: ``model._loss_tracker`` (a ``Mean`` whose
    ``update_state(loss, sample_weight=rows)`` Keras calls per replica).
    """
    dist = tf().distribute
    tracker = getattr(model, "_loss_tracker", None)
    if tracker is None or "_sktrain_global" in vars(tracker):
        return
    update = tracker.update_state

    def update_state(values, sample_weight=None):
        context = dist.get_replica_context()
        replicas = 1 if context is None else context.num_replicas_in_sync
        if sample_weight is not None and replicas > 1:
            rows = tf().cast(sample_weight, tracker.dtype)
            sample_weight = context.all_reduce(dist.ReduceOp.SUM, rows) / replicas
        return update(values, sample_weight=sample_weight)

    object.__setattr__(tracker, "update_state", update_state)
    object.__setattr__(tracker, "_sktrain_global", True)


def build_from_spec(model, element_spec):
    """Build ``model`` (layers, compiled loss and metrics) for batches of
    ``element_spec`` and make ``keras.Model.fit`` / ``evaluate`` skip their
    own build under a strategy.

    That build draws a batch from the distributed dataset and reduces it
    across the replicas: it fails under ``MultiWorkerMirroredStrategy``
    with one replica per worker, and it would start a second pass over the
    data (the family's host-drawn epoch orders would shift). Internals used:
    ``model._symbolic_build(data_batch=)`` (takes anything with ``shape``
    and ``dtype``) and ``model._maybe_symbolic_build``, replaced on this
    model by a no-op once it is built.
    """
    with model.distribute_strategy.scope():
        model._symbolic_build(data_batch=element_spec)
    object.__setattr__(model, "_maybe_symbolic_build", _built)


def _built(iterator=None, data_batch=None):
    """``keras.Model._maybe_symbolic_build`` of a model already built."""
