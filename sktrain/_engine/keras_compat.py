"""Every place sktrain reaches into a Keras/TensorFlow internal, in one file.

Each function touches only the object it is given (a model, an optimizer, a
``tf.function``), never process-wide state, and each has a test in
``tests/engine/test_keras_compat.py`` that fails when Keras or TensorFlow
change the internal it relies on.
"""

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


def quiet_model_optimizer(model):
    """``skip_single_replica_all_reduce`` on a compiled model's optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        skip_single_replica_all_reduce(optimizer)


def omit_retracing_warning(fn):
    """Silence TensorFlow's "frequent retracing" warning for one function.

    Every fitted model traces its own predictor once, by design; TensorFlow
    keys that warning on the Python code object, so many fits look like
    retracing. Internal used: ``tf.function``'s
    ``_omit_frequent_tracing_warning`` attribute.
    """
    fn._omit_frequent_tracing_warning = True
    return fn


def install_train_function(model, steps, make_function):
    """Set how many steps one ``train_function`` call runs, and the function.

    ``make_function(model, steps)`` returns sktrain's function or None (let
    Keras make its own). Internals used: ``model.steps_per_execution`` and
    ``model.train_function``, which ``keras.Model.fit`` reads. Only replaced
    when the number of steps changes, since that re-traces the train step.
    """
    if model.steps_per_execution != steps or model.train_function is None:
        model.steps_per_execution = steps
        model.train_function = make_function(model, steps)


def loss_function_kwargs(loss):
    """Arguments a Keras function-wrapping loss holds but ``get_config`` may
    drop (Huber's ``delta``). Internal used: ``LossFunctionWrapper._fn_kwargs``.
    """
    extra = getattr(loss, "_fn_kwargs", None)
    return dict(extra) if isinstance(extra, dict) else {}
