"""Dead ReLU units: hidden units that output zero for every row of a sample.

The fitted network (the MLP's ``model_`` or the wrapper's model, a copy of
the user's) is read, never changed: a Keras sub-model from the network's
inputs to the outputs of every ReLU layer (a layer whose activation is
``relu``, an ``Activation('relu')`` or a plain ``ReLU`` layer) computes the
activations in inference mode. Nested models are walked: a functional or
Sequential model used as a layer is entered with the tensors it received in
the enclosing graph. A unit is one output channel (the last axis); it is
active when it is positive for at least one row (and position). Subclassed
models (no layer graph) and layers called more than once are not supported
(``UnsupportedModel``).
"""

import numpy as np

from .._engine import inputs as inp
from .._engine.backend import keras
from .._engine.keras_compat import call_inputs


class UnsupportedModel(ValueError):
    """The network's layer graph cannot be read (the message says why)."""


def dead_fractions(model, X):
    """``{layer path: (units, dead units)}`` for every ReLU layer of
    ``model`` on the (validated, cast) inputs ``X``."""
    return {path: _count_dead(out) for path, out in _relu_outputs(model, X, "")}


def _count_dead(out):
    out = np.asarray(out)
    active = (out.reshape(-1, out.shape[-1]) > 0).any(axis=0)
    return int(active.size), int(active.size - active.sum())


def _relu_outputs(model, X, prefix):
    """``[(path, activations)]`` of the ReLU layers of ``model`` (and of the
    models nested in it) for the inputs ``X``."""
    if not getattr(model, "_functional", None) and not _has_graph(model):
        raise UnsupportedModel(
            f"{type(model).__name__} {model.name!r} is a subclassed model: its "
            "layer graph is not known, so its ReLU units cannot be reached. "
            "Build it with the functional API or keras.Sequential."
        )
    relus, nested = [], []
    for layer in model.layers:
        if _has_graph(layer):
            nested.append((layer, _tensors(call_inputs(layer), layer, model)))
        elif _is_relu(layer):
            relus.append((layer, _output(layer, model)))
    targets = [t for _, t in relus] + [t for _, ts in nested for t in ts]
    if not targets:
        return []
    if not isinstance(X, (list, tuple, dict)):
        X = [X]  # the structure of ``model.inputs``: no Keras warning
    values = keras().Model(model.inputs, targets)(X, training=False)
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    found = [(prefix + layer.name, v) for (layer, _), v in zip(relus, values)]
    rest = values[len(relus) :]
    for layer, tensors in nested:
        feed, rest = rest[: len(tensors)], rest[len(tensors) :]
        feed = feed[0] if len(feed) == 1 else feed
        found += _relu_outputs(layer, feed, f"{prefix}{layer.name}/")
    return found


def _has_graph(obj):
    """A functional or built Sequential model (it has symbolic inputs)."""
    if not isinstance(obj, keras().Model):
        return False
    try:
        return bool(obj.inputs)
    except (AttributeError, ValueError):
        return False


def _tensors(tensors, layer, model):
    if not tensors:
        raise UnsupportedModel(
            f"the nested model {layer.name!r} of {model.name!r} was never "
            "called in its graph, so its inputs are not known."
        )
    return tensors


def _output(layer, model):
    try:
        return layer.output
    except (AttributeError, ValueError) as exc:
        raise UnsupportedModel(
            f"layer {layer.name!r} of {model.name!r} is called more than once "
            "(a shared layer); its dead units are not measured."
        ) from exc


def _is_relu(layer):
    kind = type(layer).__name__
    if kind == "ReLU":
        plain = not getattr(layer, "negative_slope", 0) and not getattr(
            layer, "threshold", 0
        )
        return plain
    return getattr(getattr(layer, "activation", None), "__name__", None) == "relu"


def sample_rows(X, max_samples, seed=0):
    """At most ``max_samples`` rows of X (a fixed random subset, in order)."""
    n = inp.n_samples(X)
    if n <= max_samples:
        return X
    idx = np.sort(np.random.RandomState(seed).choice(n, max_samples, replace=False))
    return inp.take_rows(X, idx)
