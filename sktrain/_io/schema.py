"""What is stored of an estimator, and how older states are brought forward.

Each family declares the fitted attributes it stores in a ``_STORED`` tuple
(``BaseTrainer``, the mixins, ``BaseMLP``, ``BaseKerasWrapper`` ...);
``stored_attributes`` collects them over the class hierarchy. ``TRANSIENT``
lists, once, what is rebuilt instead of stored. Renaming a private attribute
therefore means a new ``FORMAT_VERSION`` and a step in ``MIGRATIONS``: files
and pickles of every earlier version keep loading.

Pickling uses the same state as files (``pickle_state`` /
``unpickle_state``) and both end in ``rehydrate``.
"""

import dataclasses
import pickle

FORMAT_VERSION = 2
TRANSIENT = (
    "model_",
    "_predictor",
    "_call_fit_kwargs",
    "_transform_shape",
    "_phase_offset",
    "_skl_callbacks",  # sklearn's ``set_callbacks``: pickled, never in a file
)
_PICKLE_KEY = "__sktrain_format__"


def stored_attributes(cls):
    """The fitted attributes ``cls`` stores, in declaration order."""
    names = []
    for klass in reversed(cls.__mro__):
        for name in vars(klass).get("_STORED", ()):
            if name not in names:
                names.append(name)
    return names


def split_state(est):
    """(parameters, stored fitted state) of ``est``; a parameter holding a
    ``tf.distribute`` strategy is stored as None (``storable``)."""
    from .._engine.distribution import storable

    params = {n: storable(v) for n, v in est.get_params(deep=False).items()}
    present = vars(est)
    state = {n: present[n] for n in stored_attributes(type(est)) if n in present}
    return params, state


def undeclared_attributes(est):
    """Attributes of ``est`` that are neither parameters, stored nor transient
    (a test keeps this empty, so nothing is silently left out of a file)."""
    params = set(est.get_params(deep=False))
    known = params | set(stored_attributes(type(est))) | set(TRANSIENT)
    return sorted(n for n in vars(est) if n not in known)


def _v1_to_v2(cls, state):
    """Format 1 stored ``vars(est)``. The MLP kept no input dtypes/shapes
    (the engine now stores them for both families) and its spec held
    ``alpha``; MLP loss objects were never stored."""
    state = dict(state)
    spec = state.get("_spec")
    if dataclasses.is_dataclass(spec) and getattr(spec, "alpha", None) is not None:
        state["_spec"] = dataclasses.replace(spec, alpha=None)
    if "_in_dtypes" not in state and "_dtype" in state:
        state["_in_dtypes"] = state["_dtype"]
    if "_sample_shapes" not in state and "n_features_in_" in state:
        state["_sample_shapes"] = (int(state["n_features_in_"]),)
    keep = set(stored_attributes(cls))
    return {k: v for k, v in state.items() if k in keep}


MIGRATIONS = {1: _v1_to_v2}  # version -> function(cls, state) -> next version


def migrate(cls, state, version):
    """Bring a stored state of ``version`` to ``FORMAT_VERSION``."""
    if version > FORMAT_VERSION:
        raise ValueError(
            f"This {cls.__name__} was stored in format {version}; this sktrain "
            f"reads formats up to {FORMAT_VERSION}. Upgrade sktrain to load it."
        )
    while version < FORMAT_VERSION:
        state = MIGRATIONS[version](cls, state)
        version += 1
    return state


def rehydrate(est, params, state, model):
    """Give a new instance its parameters, fitted state and network; rebuild
    what is transient. Used by unpickling and ``sktrain.load`` alike."""
    from .._engine.keras_compat import quiet_model_optimizer

    vars(est).update(params)
    vars(est).update(state)
    if model is not None:
        est.model_ = model
        quiet_model_optimizer(model)
        est._predictor = est._make_predictor()
    return est


def pickle_state(est):
    """``__getstate__``: parameters, declared state, the network as bytes."""
    params, state = split_state(est)
    model = vars(est).get("model_")
    pickled = {
        _PICKLE_KEY: FORMAT_VERSION,
        "params": params,
        "state": state,
        "model": None if model is None else pickle.dumps(model),
    }
    if "_skl_callbacks" in vars(est):  # sklearn's callbacks, as sklearn pickles
        pickled["callbacks"] = est._skl_callbacks
    return pickled


def unpickle_state(est, pickled):
    """``__setstate__``: this format, or format 1's plain instance dict."""
    if _PICKLE_KEY in pickled:
        version = pickled[_PICKLE_KEY]
        params, state, model = pickled["params"], pickled["state"], pickled["model"]
    else:
        version, legacy = 1, dict(pickled)
        legacy.pop("_sklearn_version", None)
        model = legacy.pop("model_", None)
        params = {k: v for k, v in legacy.items() if k[0] != "_" and k[-1] != "_"}
        state = {k: v for k, v in legacy.items() if k not in params}
    state = migrate(type(est), state, version)
    if isinstance(model, bytes):
        from .._factory import register_keras_classes

        register_keras_classes()
        model = pickle.loads(model)
    if "callbacks" in pickled:
        est._skl_callbacks = pickled["callbacks"]
    return rehydrate(est, params, state, model)
