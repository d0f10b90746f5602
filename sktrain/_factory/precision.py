"""Mixed precision's Keras side: ``dtype='mixed_float16'`` / ``'mixed_bfloat16'``.

The policy itself is decided in ``_engine/dtypes.py`` (``dtype_policy``);
the network's float dtype stays float32. Each layer gets the policy by name
(``build_mlp``; a user's build function receives it as ``dtype``), so
nothing global changes: Keras' global dtype policy is thread-local state
(``keras.config.set_dtype_policy`` sets it for the calling thread only) and
sktrain neither sets nor reads it.

- ``loss_scaled``: 'mixed_float16' trains with dynamic loss scaling
  (``keras.optimizers.LossScaleOptimizer``). Keras'
  ``compile(auto_scale_loss=True)`` wraps the optimizer only when the
  *model's* own policy is 'mixed_float16', and a functional model takes the
  global policy when it is made (its ``dtype`` argument is ignored), so
  with per-layer policies that never applies: sktrain passes the wrapped
  optimizer to ``compile`` itself (the compile config then holds it, and a
  saved or pickled network loads with it and its loss scale);
- ``scale_compiled_loss``: the same for a model a build function compiled;
- ``check_policy_applied``: warn when ``dtype`` asks for mixed precision
  but no layer of the network computes in half precision (a build
  function that ignores ``dtype``, a model instance).
"""

import warnings

from .._engine.backend import keras
from .._engine.dtypes import MIXED_POLICIES
from .optimizers import make_optimizer


def loss_scaled(optimizer, policy):
    """``optimizer`` in a ``LossScaleOptimizer`` for 'mixed_float16' (unless
    it is one already), else ``optimizer`` itself."""
    LossScaleOptimizer = keras().optimizers.LossScaleOptimizer
    if policy != "mixed_float16" or isinstance(optimizer, LossScaleOptimizer):
        return optimizer
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer)
    # a fixed name, as make_optimizer's (TensorFlow's kernel cache)
    return LossScaleOptimizer(optimizer, name="loss_scale_optimizer")


def scale_compiled_loss(model, policy):
    """Give a model compiled elsewhere (by a build function) dynamic loss
    scaling for 'mixed_float16', keeping its compile settings."""
    from .._engine.keras_compat import replace_optimizer

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    scaled = loss_scaled(optimizer, policy)
    if scaled is not optimizer:
        replace_optimizer(model, scaled)


def half_precision_layers(model):
    """The layers of ``model`` (nested ones included) that compute in a half
    precision dtype."""
    half = set(MIXED_POLICIES.values())
    InputLayer = keras().layers.InputLayer  # its dtype is the input's
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, InputLayer):
            continue
        if getattr(layer, "compute_dtype", None) in half:
            found.append(layer)
        found += half_precision_layers(layer)  # a nested model's
    return found


def check_policy_applied(model, policy, owner):
    """Warn when ``policy`` is mixed but no layer of ``model`` uses it."""
    if policy is None or half_precision_layers(model):
        return
    warnings.warn(
        f"{owner}(dtype={policy!r}): no layer of the network computes in "
        f"{MIXED_POLICIES[policy]}, so it trains in its own dtypes (float32 "
        "for most models). Pass the build function's `dtype` argument to its "
        "layers (keras.layers.Dense(..., dtype=dtype)), keeping the last one "
        "in float32; a keras.Model instance computes in the dtypes it was "
        "built with.",
        UserWarning,
        stacklevel=2,
    )
