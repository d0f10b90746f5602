"""``distribution=``: training under a ``tf.distribute`` strategy.

One policy, here:

- **Which strategy** (``resolve``): None trains on one device
  (``device``); 'mirrored' is a ``tf.distribute.MirroredStrategy`` over the
  visible devices (every GPU, else the CPU), 'multiworker' a
  ``MultiWorkerMirroredStrategy`` (its cluster from the ``TF_CONFIG``
  environment variable); each is made once per process and shared by every
  estimator naming it. A ``tf.distribute.Strategy`` instance is used as
  given.
- **Where** (``fit_scope``): a fresh fit builds, compiles and trains the
  network inside the strategy's scope, so its variables are mirrored on the
  strategy's devices; a continued fit (``warm_start``, ``partial_fit``)
  trains the network inside the strategy it was built in. ``device`` must
  then be 'auto' (the strategy places the computation).
- **Batch size**: ``batch_size`` is the *global* batch; Keras splits each
  batch across the replicas and sums their gradients. Keras scales each
  replica's mean loss by ``1 / replicas``, so for equal shares a step is
  the single-device step up to float reassociation; the MLP's network
  (``_factory/keras_objects.py``, ``Network.compute_loss``) sums its weight
  totals over the replicas (``replica_totals``), so weighted and unequal
  shares (the last, short batch) give the global mean exactly too (a
  wrapper's own loss is Keras' per-replica mean: exact for equal shares;
  the wrappers' per-batch weights are rescaled over the global batch).
  The reported loss is the global batch's (``ready_for_strategy``). Under
  a multi-worker strategy each worker takes its share of every batch
  (``pipeline.py`` shards by data).
- **Fast paths**: the trace cache is bypassed (``in_strategy``: a twin
  would be built outside the strategy); sktrain's *strategy loop*
  (``train_function.py``) runs a whole epoch per graph call over the
  strategy's distributed ``tf.data`` pipeline (no in-graph gather), through
  ``keras.Model.fit`` (not the lean loop); with Keras validation data, one
  step per call (Keras' multi-step test function fails under a strategy);
  the gradient-norm meter is off (each replica sees only its own
  gradients), so 'grad_norm' is NaN. Prediction is unchanged: the
  predictor and the MLP's numpy forward read the mirrored variables like
  any others.
- **Clone and persistence**: a strategy instance is shared by ``clone``
  (``DistributionHooks.__sklearn_clone__``; copying one would duplicate its
  devices' state) and never stored (``storable``: a file or pickle holds
  None for it; the names are stored); the network is saved as a plain
  Keras model, so a loaded estimator predicts on one device.
"""

import contextlib
import copy
import threading

from sklearn.base import clone

from .backend import device_scope, is_keras_model, tf

NAMES = ("mirrored", "multiworker")
_NAMED = {}  # name -> the process' strategy of that name
_LOCK = threading.Lock()


def is_strategy(obj):
    """True for a ``tf.distribute.Strategy`` (checked without importing
    TensorFlow)."""
    return any(
        c.__name__ in ("Strategy", "StrategyV1", "StrategyBase")
        and c.__module__.startswith("tensorflow")
        for c in type(obj).__mro__
    )


def resolve(distribution):
    """The strategy ``distribution`` names (see the module doc), or None."""
    if distribution is None:
        return None
    if is_strategy(distribution):
        return distribution
    if isinstance(distribution, str) and distribution in NAMES:
        with _LOCK:
            if distribution not in _NAMED:
                _NAMED[distribution] = _make(distribution)
            return _NAMED[distribution]
    raise ValueError(
        f"distribution={distribution!r} is not a strategy: use None (one "
        "device), 'mirrored' (every visible GPU, else the CPU), 'multiworker' "
        "(the cluster in TF_CONFIG) or a tf.distribute.Strategy instance."
    )


def _make(name):
    dist = tf().distribute
    if name == "mirrored":
        return dist.MirroredStrategy()
    return dist.MultiWorkerMirroredStrategy()


def model_strategy(model):
    """The strategy ``model`` was built in, or None (one device). Call it
    outside any strategy scope."""
    dist = tf().distribute
    own = model.distribute_strategy  # its own, else the current (default) one
    return None if own is dist.get_strategy() else own


def model_scope(model):
    """The scope of the strategy ``model`` was built in when none is active
    (a build function's model made under a strategy), else a no-op."""
    if in_strategy():
        return contextlib.nullcontext()
    own = model_strategy(model)
    return contextlib.nullcontext() if own is None else own.scope()


def fit_strategy(est, fresh):
    """The strategy this fit trains in, or None; the errors of a bad
    ``distribution`` (checked in fit)."""
    requested = resolve(est.distribution)
    if requested is not None and est.device != "auto":
        raise ValueError(
            f"device={est.device!r} and distribution={est.distribution!r} both "
            "place the computation: use device='auto' with a distribution (the "
            "strategy's devices are used)."
        )
    if fresh or "model_" not in vars(est):
        return requested
    own = model_strategy(est.model_)
    if own is None and requested is not None:
        raise ValueError(
            "This estimator's network was built on one device (a loaded or "
            "unpickled estimator, or distribution set after fit), and a "
            "continued fit (warm_start, partial_fit) trains it where it was "
            "built. Fit with warm_start=False to train a new network under "
            f"distribution={est.distribution!r}."
        )
    return own


@contextlib.contextmanager
def fit_scope(est, fresh):
    """Where a fit builds, compiles and trains: the strategy's scope, or
    ``device_scope(device)`` without one."""
    strategy = fit_strategy(est, fresh)
    if strategy is None:
        with device_scope(est.device):
            yield
        return
    with strategy.scope():
        yield


def in_strategy():
    """True inside a strategy's scope (the trace cache is bypassed)."""
    return tf().distribute.has_strategy()


def replicas_in_sync():
    """Replicas that train in step, in a replica context (1 outside one)."""
    context = tf().distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def replica_totals(*values):
    """``values`` summed over the replicas (themselves with one replica):
    called in a train step, where each replica sees its share of the
    batch."""
    context = tf().distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return values
    return tuple(context.all_reduce(tf().distribute.ReduceOp.SUM, list(values)))


def ready_for_strategy(model, element_spec, validating):
    """Ready ``model`` for ``keras.Model.fit`` under a strategy: built from
    the batches' spec (``keras_compat.build_from_spec``), the reported loss
    the global batch's (``keras_compat.global_batch_loss``), and the logs
    read from the first replica: the metrics' variables are synchronized
    across the replicas, and Keras' default ('mean' over an axis) fails on
    scalar logs under ``MultiWorkerMirroredStrategy``; with ``validating``,
    sktrain's one-step test function (``train_function``)."""
    from .keras_compat import build_from_spec, global_batch_loss
    from .train_function import strategy_test_function

    build_from_spec(model, element_spec)
    global_batch_loss(model)
    model.distribute_reduction_method = "first"
    if validating:
        model.test_function = strategy_test_function(model)


def storable(value):
    """A parameter value as a file or pickle holds it: a strategy instance
    is None (it holds devices and a cluster; set it again to refit)."""
    return None if is_strategy(value) else value


def shared_clone(est):
    """sklearn's clone of ``est``, except that a ``keras.Model`` (the
    wrappers' ``model``, only ever copied before training) and a strategy
    instance are shared, not deep-copied."""
    params = {
        name: value
        if is_keras_model(value) or is_strategy(value)
        else clone(value, safe=False)
        for name, value in est.get_params(deep=False).items()
    }
    new = type(est)(**params)
    # the rest as sklearn's clone: routing requests copied, callbacks shared
    if "_metadata_request" in vars(est):
        new._metadata_request = clone(est._metadata_request)
    if "_skl_callbacks" in vars(est):
        new._skl_callbacks = est._skl_callbacks
    if hasattr(est, "_sklearn_output_config"):
        new._sklearn_output_config = copy.deepcopy(est._sklearn_output_config)
    return new


class DistributionHooks:
    """``BaseTrainer``'s part of the policy: a clone shares a strategy."""

    def __sklearn_clone__(self):
        return shared_clone(self)
