"""The optimizer knobs of both families -> Keras optimizer arguments.

The estimators' ``gradient_accumulation_steps``, ``clipnorm``,
``clipvalue``, ``global_clipnorm``, ``weight_decay`` and ``ema`` are Keras
optimizer constructor arguments (``ema`` is ``use_ema=True,
ema_momentum=ema``; ``gradient_accumulation_steps=1`` is None, no
accumulation). ``knob_arguments`` maps them, ``tuned_optimizer`` builds the
optimizer with them, for the MLP's ``solver`` and the wrappers'
``optimizer`` alike.

Precedence, one rule for every optimizer form:

- a knob left at None does not touch the optimizer: its own setting stands
  (a routed ``optimizer__<name>``, an instance's config, the class default);
- a knob that is set overrides an optimizer instance's config (the instance
  is copied, never changed), as routed ``optimizer__`` values do;
- a knob and the routed ``optimizer__<name>`` set to different values is an
  error (equal values are fine);
- Keras applies one kind of clipping: two of ``clipnorm``, ``clipvalue``,
  ``global_clipnorm`` set, wherever from, is an error;
- an optimizer class or instance that does not take an argument the knob
  needs (``weight_decay`` on a custom optimizer) is an error.

A model the wrappers' build function compiled keeps its optimizer unless a
knob is set; then ``retune_compiled`` rebuilds that optimizer from its config
plus the knobs (``optimizer__`` values do not apply to it) before training.
A continued fit keeps the fitted optimizer and its state: a knob set to a
value the optimizer does not have is an error (``check_knobs_unchanged``).
"""

import inspect

from .._engine.backend import keras
from .._engine.keras_compat import applying_optimizer
from .instantiate import object_config
from .optimizers import make_optimizer, optimizer_class

KNOBS = (
    "gradient_accumulation_steps",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "weight_decay",
    "ema",
)
_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")
_FLOATS = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay")
_KNOB_OF = {"use_ema": "ema", "ema_momentum": "ema"}  # Keras argument -> knob


def knob_arguments(est):
    """The Keras optimizer arguments of ``est``'s knobs that are set."""
    out = {}
    steps = getattr(est, "gradient_accumulation_steps", None)
    if steps is not None:
        out["gradient_accumulation_steps"] = int(steps) if int(steps) > 1 else None
    for name in _FLOATS:
        value = getattr(est, name, None)
        if value is not None:
            out[name] = float(value)
    if getattr(est, "ema", None) is not None:
        out.update(use_ema=True, ema_momentum=float(est.ema))
    return out


def tuned_optimizer(spec, params, est, *, param="optimizer"):
    """A new optimizer from ``spec`` (name, class or instance), its routed
    ``params`` and ``est``'s knobs (see the module doc for the precedence)."""
    knobs = knob_arguments(est)
    if knobs:
        source = optimizer_class(spec, param=param) if isinstance(spec, str) else spec
        _check_accepted(source, knobs, param)
        params = _merge(params or {}, knobs, param)
        base = object_config(source) if not inspect.isclass(source) else {}
        _check_clipping({**base, **params}, knobs, param)
    return make_optimizer(spec, params, param=param)


def retune_compiled(model, est):
    """Rebuild the optimizer a build function compiled ``model`` with, from
    its config plus ``est``'s knobs; nothing when no knob is set."""
    from .._engine.keras_compat import replace_optimizer

    if not knob_arguments(est):
        return
    optimizer = model.optimizer
    inner = getattr(optimizer, "inner_optimizer", None)  # mixed float16's
    new = tuned_optimizer(inner or optimizer, {}, est, param="the compiled optimizer")
    if inner is not None:
        config = dict(optimizer.get_config())
        config.pop("inner_optimizer")
        new = type(optimizer)(new, **config)
    replace_optimizer(model, new)


def check_knobs_unchanged(est, optimizer):
    """A continued fit trains the fitted optimizer: refuse a knob set to a
    value it does not have (None knobs keep the optimizer's settings)."""
    optimizer = applying_optimizer(optimizer)
    config = optimizer.get_config()
    for key, value in knob_arguments(est).items():
        if config.get(key) != value:
            knob = _KNOB_OF.get(key, key)
            raise ValueError(
                f"{knob}={getattr(est, knob)!r}, but the fitted network's "
                f"optimizer has {key}={config.get(key)!r}: a continued fit "
                "(warm_start, partial_fit) keeps the optimizer and its state. "
                f"Set {knob} back, or fit a new network (warm_start=False)."
            )


def _merge(params, knobs, param):
    for key, value in knobs.items():
        if key in params and params[key] != value:
            knob = _KNOB_OF.get(key, key)
            raise ValueError(
                f"{param}__{key}={params[key]!r} contradicts the estimator "
                f"parameter {knob} (which sets {key}={value!r}). Set it in one "
                f"place: the parameter {knob}, or {param}__{key}."
            )
    return {**params, **knobs}


def _check_clipping(config, knobs, param):
    clips = [n for n in _CLIPPING if config.get(n) is not None]
    if len(clips) > 1:
        where = [n if n in knobs else f"{n} of {param}" for n in clips]
        raise ValueError(
            f"{' and '.join(f'{w}={config[n]!r}' for w, n in zip(where, clips))} "
            "are both set, but Keras applies one kind of gradient clipping: "
            "clipnorm (each variable's gradient), global_clipnorm (all "
            "gradients together) or clipvalue (each element). Keep one."
        )


def _check_accepted(source, knobs, param):
    if inspect.isclass(source):
        from .._utils.routing import signature_names

        names, open_ended = signature_names(source)
        taken = set(names) if not open_ended else set(knobs)
        what = source.__name__
    elif isinstance(source, keras().optimizers.Optimizer):
        taken, what = set(object_config(source)), type(source).__name__
    else:
        return  # make_optimizer explains what an optimizer must be
    for key in knobs:
        if key not in taken:
            knob = _KNOB_OF.get(key, key)
            raise ValueError(
                f"{knob} is set, which needs the optimizer argument {key}; "
                f"{what} ({param}) does not take it. Use a Keras optimizer "
                f"('adamw', 'sgd', 'adam', ...), or leave {knob}=None."
            )
