"""Resolve ``solver`` (plus its sklearn hyperparameters) into a Keras optimizer.

- ``'adam'`` -> ``keras.optimizers.Adam(learning_rate_init, beta_1, beta_2,
  epsilon)``, the same update rule as sklearn's Adam.
- ``'sgd'`` -> ``keras.optimizers.SGD(learning_rate_init, momentum,
  nesterov=nesterovs_momentum)``.
- any other Keras optimizer name ('adamw', 'rmsprop', 'nadam', ...) ->
  that optimizer with ``learning_rate=learning_rate_init``.
- a Keras optimizer instance -> a fresh copy of it (its own settings win).
- ``'lbfgs'`` -> a clear error: Keras trains with first-order optimizers.

``clipnorm`` is applied to any of them.
"""

from ._backend import keras
from ._validation import unknown_name_error


def keras_optimizer_names():
    """Lower-case names Keras accepts in ``keras.optimizers.get``."""
    k = keras()
    return [
        n.lower()
        for n in dir(k.optimizers)
        if isinstance(getattr(k.optimizers, n), type)
        and issubclass(getattr(k.optimizers, n), k.optimizers.Optimizer)
        and n not in ("Optimizer", "LossScaleOptimizer")
    ]


def _named_optimizer(est, extra):
    k = keras()
    name = est.solver.lower()
    lr = float(est.learning_rate_init)
    if name == "adam":
        return k.optimizers.Adam(
            learning_rate=lr,
            beta_1=float(est.beta_1),
            beta_2=float(est.beta_2),
            epsilon=float(est.epsilon),
            **extra,
        )
    if name == "sgd":
        return k.optimizers.SGD(
            learning_rate=lr,
            momentum=float(est.momentum),
            nesterov=est.nesterovs_momentum,
            **extra,
        )
    if name == "lbfgs":
        raise ValueError(
            "solver='lbfgs' is not supported: sktrain trains with Keras' "
            "first-order optimizers. Use solver='adam' (the default), 'sgd' "
            "or any Keras optimizer name such as 'adamw' or 'rmsprop'."
        )
    if name not in keras_optimizer_names():
        raise unknown_name_error("solver", est.solver, keras_optimizer_names())
    config = {"learning_rate": lr, **extra}
    return k.optimizers.get({"class_name": name, "config": config})


def make_optimizer(est):
    """Return a new Keras optimizer configured from the estimator's parameters."""
    k = keras()
    extra = {} if est.clipnorm is None else {"clipnorm": float(est.clipnorm)}
    if isinstance(est.solver, str):
        return _named_optimizer(est, extra)
    if isinstance(est.solver, k.optimizers.Optimizer):
        config = {**est.solver.get_config(), **extra}
        return est.solver.__class__.from_config(config)
    raise ValueError(
        "solver must be an optimizer name ('adam', 'sgd', 'adamw', ...) or a "
        f"keras.optimizers.Optimizer instance; got {est.solver!r}."
    )


def uses_sklearn_schedule(est):
    """sklearn's learning_rate schedules apply to solver='sgd' only."""
    return isinstance(est.solver, str) and est.solver.lower() == "sgd"


def skip_single_replica_all_reduce(optimizer):
    """Stop one optimizer from leaking each traced train step.

    Keras' TensorFlow optimizer all-reduces the gradients through the replica
    context even without a distribution strategy; in graph mode TensorFlow
    then registers a custom gradient for that op in its process-wide registry
    and never removes it, which keeps every traced train step (graphs, about
    5 MiB per fit) alive. With a single replica the all-reduce is the
    identity, so this optimizer skips it; under a multi-replica strategy it
    still runs. Only this optimizer object changes, nothing global.
    """
    from ._backend import tf

    tf_ = tf()
    reduce = getattr(optimizer, "_all_reduce_sum_gradients", None)
    if reduce is None:
        return optimizer

    def all_reduce_unless_single_replica(grads_and_vars):
        context = tf_.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync > 1:
            return reduce(grads_and_vars)
        return list(grads_and_vars)

    optimizer._all_reduce_sum_gradients = all_reduce_unless_single_replica
    return optimizer
