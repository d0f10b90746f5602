"""Prefix routing of parameters: ``optimizer__learning_rate=1e-3`` and friends.

A parameter ``<prefix>__<name>`` goes to the object named by the prefix:

- ``model__``: a hyperparameter of the build function;
- ``optimizer__``, ``loss__``: the optimizer / loss class (a name is first
  resolved to its Keras class), or overrides of an instance's config;
- ``metrics__``, ``callbacks__``: every class in the list, or item ``i`` /
  key ``k`` with ``metrics__i__name`` / ``callbacks__k__name``;
- ``compile__``, ``fit__``, ``predict__``: keyword arguments of
  ``keras.Model.compile`` / ``fit`` / the prediction path.

A name the target does not take is an error that suggests the closest one.
"""

import inspect

from .._engine.keras_compat import loss_function_kwargs
from .validation import did_you_mean

PREFIXES = (
    "model",
    "optimizer",
    "loss",
    "metrics",
    "callbacks",
    "compile",
    "fit",
    "predict",
)


def routed(params, prefix):
    """``{name: value}`` of the parameters ``<prefix>__<name>``."""
    start = prefix + "__"
    return {k[len(start) :]: v for k, v in params.items() if k.startswith(start)}


def is_routed(name):
    """True for a name with one of the routing prefixes."""
    return any(name.startswith(p + "__") for p in PREFIXES)


def check_names(given, allowed, *, where, prefix, open_ended=False):
    """Raise for routed names ``where`` does not take (did-you-mean included).

    ``open_ended`` targets accept ``**kwargs``: only near-misses of a known
    name are reported then, since anything else may be meant for them.
    """
    allowed = sorted(set(allowed))
    for name in given:
        if name in allowed:
            continue
        hint = did_you_mean(name, allowed)
        if open_ended and not hint:
            continue
        fix = hint.replace("'", f"'{prefix}__", 1) if hint else ""
        raise ValueError(
            f"{prefix}__{name} is not a parameter of {where}.{fix} "
            f"Valid names: {', '.join(allowed) or '(none)'}."
        )


def signature_names(fn):
    """(named parameters, accepts **kwargs) of a callable or a class."""
    names, open_ended = [], False
    targets = [fn]
    if inspect.isclass(fn):
        targets = [c.__init__ for c in fn.__mro__ if "__init__" in vars(c)]
    for target in targets:
        try:
            params = inspect.signature(target).parameters.values()
        except (TypeError, ValueError):
            open_ended = True
            continue
        for p in params:
            if p.kind == p.VAR_KEYWORD:
                open_ended = True
            elif p.kind != p.VAR_POSITIONAL and p.name != "self":
                names.append(p.name)
        if inspect.isclass(fn) and not open_ended:
            break  # a class without **kwargs takes only its own names
    return names, open_ended


def object_config(obj):
    """``obj.get_config()``, plus the function arguments of Keras' function-
    wrapping losses, which some ``get_config`` leave out (Huber's delta)."""
    config = obj.get_config()
    extra = loss_function_kwargs(obj)
    if extra:
        names, _ = signature_names(type(obj))
        config = {**{k: v for k, v in extra.items() if k in names}, **config}
    return config


def instantiate(obj, params, *, prefix, resolve=None):
    """Build the object ``obj`` with its routed ``params`` (never mutates obj).

    ``obj`` may be a name (``resolve`` turns it into a class), a class, an
    instance with ``get_config``/``from_config``, or a plain function.
    """
    if isinstance(obj, str):
        if not params or resolve is None:
            return obj
        obj = resolve(obj)
    if inspect.isclass(obj):
        names, open_ended = signature_names(obj)
        check_names(
            params, names, where=obj.__name__, prefix=prefix, open_ended=open_ended
        )
        return obj(**params)
    if hasattr(obj, "get_config") and hasattr(type(obj), "from_config"):
        config = object_config(obj)
        check_names(params, config, where=type(obj).__name__, prefix=prefix)
        return type(obj).from_config({**config, **params})
    if params:
        raise ValueError(
            f"{prefix}__{next(iter(params))}: {obj!r} takes no parameters (it "
            "is neither a class nor an object with a config). Pass a class or a "
            "name instead."
        )
    return obj


def instantiate_many(items, params, *, prefix, resolve=None):
    """``instantiate`` over a list or dict, with per-item routing.

    ``<prefix>__<i>__name`` (list) or ``<prefix>__<key>__name`` (dict) go to
    one item; plain ``<prefix>__name`` goes to every item that is a class or
    a name.
    """
    shared = {k: v for k, v in params.items() if "__" not in k}
    keys = list(items) if isinstance(items, dict) else range(len(items))
    for key in {k.split("__", 1)[0] for k in params if "__" in k}:
        if key not in {str(k) for k in keys}:
            raise ValueError(
                f"{prefix}__{key}__...: there is no item {key!r} in {prefix} "
                f"(items: {[str(k) for k in keys]})."
            )
    out = []
    for key in keys:
        item = items[key]
        own = routed(params, str(key))
        takes_shared = isinstance(item, str) or inspect.isclass(item)
        item_params = {**(shared if takes_shared else {}), **own}
        out.append(instantiate(item, item_params, prefix=prefix, resolve=resolve))
    return dict(zip(keys, out)) if isinstance(items, dict) else out
