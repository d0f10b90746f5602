"""Build an object from a name, class or instance and its routed parameters.

Used by the loss, optimizer and metric factories and by the wrappers'
callbacks: ``instantiate`` never mutates the user's object (an instance is
rebuilt from its config), ``instantiate_many`` routes ``<prefix>__<i>__name``
to item ``i`` of a list or dict.
"""

import inspect

from .._engine.keras_compat import loss_function_kwargs
from .._utils.routing import check_names, routed, signature_names


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
        args, params = _positional(params)
        names, open_ended = signature_names(obj)
        check_names(
            params, names, where=obj.__name__, prefix=prefix, open_ended=open_ended
        )
        return obj(*args, **params)
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


def _positional(params):
    """(positional arguments, keywords): ``<prefix>__0``, ``__1``, ... are a
    class's positional arguments, in index order (SciKeras' routing)."""
    numbered = sorted((int(k), v) for k, v in params.items() if k.isdigit())
    if [i for i, _ in numbered] != list(range(len(numbered))):
        raise ValueError(
            f"Positional arguments must be numbered 0, 1, ... without gaps; got "
            f"{[i for i, _ in numbered]}."
        )
    return [v for _, v in numbered], {
        k: v for k, v in params.items() if not k.isdigit()
    }


def as_items(value):
    """A list or dict of objects as it is; one object as a one-item list."""
    return value if isinstance(value, (list, tuple, dict)) else [value]


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
