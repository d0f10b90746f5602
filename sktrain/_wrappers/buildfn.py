"""Calling the user's ``model``: a build function in any of three styles, or a
``keras.Model`` instance.

The build function's signature decides what it receives, by parameter name:

- sktrain's own names, implied by the data: ``n_features_in``,
  ``input_shape``, ``n_outputs``, ``n_classes``, ``classes``,
  ``target_type``, ``output_activation``, ``seed`` (see ``data_arguments``);
- SciKeras' ``meta`` (the fitted attributes so far), ``compile_kwargs`` and
  ``params`` (``get_params()``);
- keras.wrappers' ``X`` and ``y``;
- any other name: a hyperparameter (``model__name=...`` or a plain
  constructor keyword), or else the estimator's own parameter of that name.

A function taking ``**kwargs`` also gets ``meta``, ``compile_kwargs``,
``params`` and every hyperparameter, as SciKeras passes them.

Everything random that Keras creates while the function runs (initializers,
dropout seeds) draws its seed from Python's ``random`` module; ``network.py``
seeds it from the estimator's ``random_state`` for the call
(``_engine.seeds.seeded_python_random``) and restores it afterwards.
"""

from .._utils.routing import check_names, signature_names
from .._utils.validation import did_you_mean

DATA_NAMES = (
    "n_features_in",
    "input_shape",
    "n_outputs",
    "n_classes",
    "classes",
    "target_type",
    "output_activation",
    "seed",
    "dtype",
)
SCIKERAS_NAMES = ("meta", "compile_kwargs", "params")


def describe(fn):
    return getattr(fn, "__name__", None) or type(fn).__name__


class HyperparameterError(TypeError, ValueError):
    """A hyperparameter the build function does not take: a ``TypeError``
    as calling the function with it would raise, and a ``ValueError`` as
    for any invalid parameter value."""


def check_hyperparameters(fn, routed_hyper, bare_hyper, *, owner, own_names=()):
    """Refuse hyperparameters the build function does not take.

    ``own_names`` (the estimator's parameters) are also offered as
    suggestions: ``epoch=3`` is more likely a typo of ``epochs`` than a new
    hyperparameter.
    """
    names, open_ended = signature_names(fn)
    where = f"the build function {describe(fn)!r}"
    try:
        check_names(
            routed_hyper, names, where=where, prefix="model", open_ended=open_ended
        )
    except ValueError as exc:
        raise HyperparameterError(
            f"{describe(fn)}() got an unexpected keyword argument: {exc}"
        ) from None
    if open_ended:
        return
    for name in bare_hyper:
        if name not in names:
            raise HyperparameterError(
                f"{owner} got the parameter {name!r}, which is neither one of "
                f"its own nor a parameter of {where} ({describe(fn)}() got an "
                f"unexpected keyword argument {name!r})."
                f"{did_you_mean(name, [*names, *own_names])} {describe(fn)!r} takes: "
                f"{', '.join(names) or '(nothing)'}."
            )


def call_build_fn(fn, *, hyper, data, scikeras, arrays, own_params):
    """Call ``fn`` with what its signature asks for (see the module doc).

    ``scikeras`` maps SciKeras' argument names to zero-argument functions,
    called only for the names ``fn`` takes.
    """
    names, open_ended = signature_names(fn)
    wanted = set(scikeras) if open_ended else set(names) & set(scikeras)
    scikeras = {k: make() for k, make in scikeras.items() if k in wanted}
    sources = (hyper, data, scikeras, arrays, own_params)
    kwargs = {}
    for name in names:
        for source in sources:
            if name in source:
                kwargs[name] = source[name]
                break
    if open_ended:  # in SciKeras' order: hyperparameters, then its three
        kwargs.update({k: v for k, v in hyper.items() if k not in kwargs})
        kwargs.update(scikeras)
    missing = [n for n in _required(fn) if n not in kwargs]
    if missing:
        raise ValueError(
            f"The build function {describe(fn)!r} needs {missing}, which the "
            f"estimator cannot supply: pass them as keywords (e.g. "
            f"model__{missing[0]}=...), or give them defaults. Data-implied "
            f"names it can ask for: {', '.join(DATA_NAMES + SCIKERAS_NAMES)}, "
            "X, y."
        )
    return fn(**kwargs)


def _required(fn):
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in params
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
