"""One traced network per architecture per process: the trace cache.

Tracing a train step and letting grappler optimise it costs ~0.4 s, more
than training a small network for 20 epochs. Cross-validation folds, grid
points and clones build the same graph again and again, so sktrain keeps,
per *trace key*, a few idle **twins**: compiled ``keras.Model``s whose
train/test functions are already traced.

A fit leases a twin: it copies its own model's state in (every variable:
weights, batch-norm statistics, dropout seed state; the optimizer's
variables, including the learning rate; the model's runtime
hyperparameters such as the MLP's ``alpha``), trains the twin with
``keras.Model.fit`` and copies the state back. The estimator still owns its
own, independent ``model_``; the twin is only the place where the traced
functions live. A twin is never shared by two fits at once (threads lease
different twins), and a lease always starts by overwriting all of the
twin's state, so a cached trace gives exactly what a fresh one gives.

The key says what shapes the graph: the family's architecture (layers,
dtypes, dropout rate, whether a penalty term exists), the compile
configuration (loss, metrics, optimizer class and its constant settings;
not its learning rate, a variable) and the device. Batch size, data size,
learning rate, ``alpha`` and the seeds are runtime values. The cache is a
bounded LRU (``MAX_TWINS`` twins in all); ``clear_cache`` frees it.
"""

import json
import threading
from collections import OrderedDict
from contextlib import contextmanager

MAX_TWINS = 24  # idle twins kept in all (a small MLP's twin: ~1-3 MiB)
MAX_PER_KEY = 4  # idle twins kept per key (parallel threads of one search)


class TraceCache:
    """A thread-safe LRU of idle twins, by trace key."""

    def __init__(self, max_twins=MAX_TWINS, max_per_key=MAX_PER_KEY):
        self.max_twins, self.max_per_key = max_twins, max_per_key
        self._idle = OrderedDict()  # key -> [twin, ...]
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, key):
        """An idle twin for ``key`` (now leased), or None."""
        with self._lock:
            twins = self._idle.get(key)
            if not twins:
                self.misses += 1
                return None
            self.hits += 1
            twin = twins.pop()
            if not twins:
                del self._idle[key]
            return twin

    def give(self, key, twin):
        """Return a leased twin; the least recently used ones are dropped."""
        with self._lock:
            twins = self._idle.setdefault(key, [])
            if len(twins) < self.max_per_key:
                twins.append(twin)
            self._idle.move_to_end(key)
            while sum(map(len, self._idle.values())) > self.max_twins:
                oldest = next(iter(self._idle))
                self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]

    def __len__(self):
        with self._lock:
            return sum(map(len, self._idle.values()))

    def clear(self):
        with self._lock:
            self._idle.clear()


CACHE = TraceCache()


def clear_cache():
    """Free every cached traced network (sktrain's trace cache).

    sktrain keeps a few compiled, traced networks per architecture so that
    repeated fits (cross-validation folds, grid points, clones) skip
    TensorFlow's tracing. The cache is bounded; call this to give its memory
    back at once, e.g. after a large search. Fitted estimators are not
    affected.

    Returns
    -------
    n_freed : int
        How many cached networks were dropped.

    Examples
    --------
    >>> import sktrain
    >>> sktrain.clear_cache() >= 0
    True
    """
    n = len(CACHE)
    CACHE.clear()
    return n


def compile_key(model):
    """The part of the trace key the compile configuration decides."""
    from .keras_compat import loss_function_kwargs

    config = dict(model.get_compile_config() or {})
    config.pop("steps_per_execution", None)  # set by every fit
    config["optimizer"] = _optimizer_key(config.get("optimizer"))
    # arguments a function-wrapping loss holds but its config may drop
    # (Keras' Huber's delta): they are constants of the trace too
    config["loss_arguments"] = loss_function_kwargs(model.loss)
    return json.dumps(config, sort_keys=True, default=repr)


def _optimizer_key(optimizer):
    """An optimizer's serialized config without its runtime values (also
    inside a ``LossScaleOptimizer``'s ``inner_optimizer``)."""
    if not isinstance(optimizer, dict):
        return optimizer
    inner = dict(optimizer.get("config", {}))
    inner.pop("name", None)  # made unique per instance ("adam_1")
    rate = _runtime_rate(inner.get("learning_rate"))
    if rate is not None:  # its value is read at run time: only its kind counts
        inner["learning_rate"] = rate
    if "inner_optimizer" in inner:  # mixed_float16's loss scaling
        inner["inner_optimizer"] = _optimizer_key(inner["inner_optimizer"])
    return {**optimizer, "config": inner}


def _runtime_rate(rate):
    """The kind of a learning rate the traced step reads at run time ('a
    variable': a float, which Keras keeps in a variable; 'a StepTable':
    sktrain's schedules), else None. The two kinds give optimizers of
    different variables, so they never share a twin."""
    if isinstance(rate, (int, float)):
        return "a variable"
    if isinstance(rate, dict) and rate.get("class_name") == "StepTable":
        return "a StepTable"
    return None


@contextmanager
def training_model(model, key, make_twin):
    """The model ``keras.Model.fit`` should train: ``model`` itself when
    ``key`` is None, else a leased twin holding ``model``'s state, copied
    back into ``model`` when the block ends (also on an exception).
    ``make_twin()`` makes a new compiled model like ``model`` on a miss."""
    if key is None:
        yield model
        return
    twin = CACHE.take(key) or prepare_twin(make_twin())
    copy_state(model, twin)
    try:
        yield twin
    finally:
        try:
            copy_state(twin, model)
        finally:
            CACHE.give(key, twin)


def prepare_twin(twin):
    """Ready a new compiled twin: optimizer built, runtime hyperparameters
    read from variables (a model's ``use_runtime_hyperparameters``)."""
    from .keras_compat import quiet_model_optimizer
    from .train_function import build_optimizer

    build_optimizer(twin)
    quiet_model_optimizer(twin)
    runtime = getattr(twin, "use_runtime_hyperparameters", None)
    if runtime is not None:
        runtime()
    return twin


def copy_state(src, dst):
    """Copy every variable of ``src`` (and of its optimizer) into ``dst``."""
    from .train_function import build_optimizer

    for model in (src, dst):
        build_optimizer(model)
    pairs = [
        *zip(src.variables, dst.variables, strict=True),
        *zip(src.optimizer.variables, dst.optimizer.variables, strict=True),
    ]
    for a, b in pairs:
        b.assign(a)
    receive = getattr(dst, "copy_hyperparameters_from", None)
    if receive is not None:
        receive(src)
