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
Building the objects from their routed parameters is ``_factory.instantiate``.
"""

import inspect

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


def signature_default(cls, name):
    """The default of ``cls.__init__``'s parameter ``name`` (None if absent)."""
    parameter = inspect.signature(cls.__init__).parameters.get(name)
    return None if parameter is None else parameter.default


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
