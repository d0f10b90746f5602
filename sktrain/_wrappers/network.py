"""Build, compile and inspect a wrapper's network (imports Keras).

``build_network`` calls the user's build function (or clones a model
instance) under a seed drawn from ``random_state``, then runs the new model
once on two rows so its weights exist and its output shape is known.
``compile_network`` keeps a model the build function compiled itself (its
optimizer rebuilt with the optimizer knobs when one is set,
``_factory/knobs.py``), or compiles it from ``loss`` / ``optimizer`` /
``metrics``, their routed parameters and the knobs. ``configure_target``
adapts the target encoding to the output.
"""

from contextlib import contextmanager

import numpy as np

from .._engine import inputs as inp
from .._engine.backend import is_keras_model, keras
from .._engine.dtypes import dtype_policy
from .._engine.seeds import draw_seed, seeded_python_random
from .._factory.knobs import retune_compiled, tuned_optimizer
from .._factory.losses import (
    check_compiled_smoothing,
    check_loss_fits_target,
    from_logits,
    make_loss,
    same_loss,
    uses_sparse_labels,
)
from .._factory.metrics import make_metrics
from .._factory.precision import check_policy_applied, loss_scaled, scale_compiled_loss
from .._utils.routing import check_names, routed, signature_default, signature_names
from .buildfn import call_build_fn

_OUTPUT_ACTIVATION = {
    "binary": "sigmoid",
    "multilabel": "sigmoid",
    "multiclass": "softmax",
    "regression": "linear",
    "autoencoder": "linear",
}


# -- build ----------------------------------------------------------------------
def build_network(est, X, y):
    """A new keras.Model for ``est`` (never the user's instance itself)."""
    k = keras()
    fn = est._build_fn()
    seed = draw_seed(est._rng)
    with seeded_python_random(seed):
        if is_keras_model(fn):
            model = _clone_instance(fn)
        else:
            with _explain_policy_errors(_policy(est)):
                model = call_build_fn(
                    fn,
                    hyper=est._hyperparameters()[1],
                    data=data_arguments(est, X, seed),
                    scikeras=_scikeras_arguments(est),
                    arrays={"X": X, "y": _keras_wrappers_y(est, y)},
                    own_params=est.get_params(deep=False),
                )
        if not isinstance(model, k.Model):
            raise TypeError(
                f"The build function must return a keras.Model; it returned "
                f"{type(model).__name__}."
            )
        check_policy_applied(model, _policy(est), type(est).__name__)
        est._in_dtypes = input_dtypes(model, X)
        out = _probe(model, X, est._in_dtypes, several=_own_encoding(est))
    if isinstance(out, (list, tuple)):  # a multi-output model, a user's encoder
        est._output_shape = [tuple(o.shape[1:]) for o in out]
        out = out[0]
    else:
        est._output_shape = tuple(out.shape[1:])
    dtype = np.dtype(keras().backend.standardize_dtype(out.dtype))
    # a model that ignores ``dtype`` computes in its own; a mixed policy's
    # network stays float32 (``_engine/dtypes.py``)
    if dtype.kind == "f" and _policy(est) is None:
        est._dtype = dtype.name
    return model


def _policy(est):
    """The mixed-precision policy ``est.dtype`` asks for, or None."""
    return dtype_policy(getattr(est, "dtype", None))


@contextmanager
def _explain_policy_errors(policy):
    """A build function that passed the policy name where Keras wants a
    dtype (``keras.Input(..., dtype=dtype)``): say what ``dtype`` is."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        if policy is None or policy not in str(exc):
            raise
        raise ValueError(
            f"The build function failed with dtype={policy!r} ({exc}). With a "
            "mixed-precision dtype, the build function's `dtype` argument is "
            "the Keras policy name: pass it to the hidden layers "
            "(keras.layers.Dense(..., dtype=dtype)), and give keras.Input and "
            "the last layer a float dtype: keras.DTypePolicy(dtype)."
            "variable_dtype (float32)."
        ) from exc


def _clone_instance(model):
    """A copy of the user's model: same layers, same weights (a pretrained
    model stays pretrained) and, if it was compiled, the same compile
    settings; the user's instance itself is never trained."""
    k = keras()
    try:
        clone = k.models.clone_model(model)
    except Exception as exc:  # noqa: BLE001 - explain, keep the cause
        raise ValueError(
            f"Could not clone the keras.Model given as model ({exc}). Subclassed "
            "models need get_config/from_config to be cloned; otherwise pass a "
            "build function that creates the model."
        ) from exc
    if model.built and model.weights and clone.built:
        clone.set_weights(model.get_weights())
    if model.compiled:
        _compile_like(clone, model)
    return clone


def _compile_like(clone, model):
    """Compile ``clone`` as ``model`` was (fresh optimizer and metrics)."""
    try:
        clone.compile_from_config(model.get_compile_config())
    except Exception as exc:  # noqa: BLE001 - explain, keep the cause
        raise ValueError(
            "The keras.Model given as model is compiled, but its compile "
            f"settings could not be copied ({exc}). Pass an uncompiled model "
            "and set loss=, optimizer= and metrics= on the estimator instead."
        ) from exc


def data_arguments(est, X, seed):
    """What the data implies, for sktrain-style build functions."""
    target = est._target
    single = not inp.is_structured(X)
    classes = getattr(target, "classes_", None)
    return {
        "n_features_in": X.shape[1] if single and X.ndim == 2 else None,
        "input_shape": inp.sample_shapes(X),
        "n_outputs": target.n_outputs,
        "n_classes": None if classes is None else len(classes),
        "classes": classes,
        "target_type": target.target_type,
        "output_activation": _OUTPUT_ACTIVATION[target.kind],
        "seed": seed,
        "dtype": _policy(est) or est._dtype,  # a policy: 'mixed_bfloat16'
    }


def _meta(est):
    previous_fit = {"model_", "history_", "n_iter_"}  # left by an earlier fit
    meta = {
        k: v
        for k, v in vars(est).items()
        if k.endswith("_")
        and not k.endswith("__")
        and not k.startswith("_")
        and k not in previous_fit
    }
    meta["feature_encoder_"], meta["target_encoder_"] = est._fitted_encoders()
    return meta


def _scikeras_arguments(est):
    """SciKeras' arguments, made only if the build function asks for them
    (``compile_kwargs`` creates optimizer and loss objects)."""
    return {
        "meta": lambda: _meta(est),
        "compile_kwargs": lambda: compile_kwargs(est, units=None),
        "params": est.get_params,
    }


def _keras_wrappers_y(est, y):
    """y as keras.wrappers hands it to build functions: one-hot or 2-D."""
    target = est._target
    if target.kind in ("binary", "multiclass") and hasattr(target, "class_codes"):
        return np.eye(len(target.classes_))[target.class_codes(y)]
    return np.asarray(y).reshape(len(y), -1)


def input_dtypes(model, X):
    """Per input array: the dtype the model declares, else ints stay ints and
    anything else is fed as Keras' float type."""
    k = keras()
    declared = _declared_dtypes(model, X)

    def pick(a, d):
        if d is not None:
            return d
        return a.dtype.name if a.dtype.kind in "iu" else k.config.floatx()

    return inp.map_inputs2(pick, X, declared)


def _declared_dtypes(model, X):
    try:
        tensors = list(model.inputs or [])
    except (AttributeError, ValueError):
        tensors = []
    std = keras().backend.standardize_dtype
    dtypes = [std(t.dtype) for t in tensors]
    if inp.is_dict(X):
        by_name = {str(t.name).split(":")[0]: std(t.dtype) for t in tensors}
        return {key: by_name.get(key) for key in X}
    if isinstance(X, list):
        return dtypes if len(dtypes) == len(X) else None
    return dtypes[0] if len(dtypes) == 1 else None


def _own_encoding(est):
    """True when a user's ``target_encoder`` lays out the outputs."""
    from .encoders import EncoderTarget

    return isinstance(est._target, EncoderTarget)


def _probe(model, X, dtypes, several=False):
    """Run the new model on two rows (builds its weights, shows its output);
    ``several`` outputs are allowed when a user's encoder produces them."""
    rows = inp.take_rows(X, slice(0, 2))

    def dense(a, dtype):
        a = a.toarray() if hasattr(a, "toarray") else a
        return np.asarray(a, dtype=dtype)

    out = model(inp.map_inputs2(dense, rows, dtypes), training=False)
    if isinstance(out, (list, tuple)) and len(out) == 1:
        return out[0]
    listed = isinstance(out, (list, tuple))
    if isinstance(out, dict) or (listed and not several):
        raise ValueError(
            f"The model has {len(out)} outputs; sktrain wrappers train models "
            "with one output. Concatenate the heads into one output layer "
            "(one unit per target column)."
        )
    return out


# -- compile ----------------------------------------------------------------------
def compile_kwargs(est, units, dtype=None):
    """Keyword arguments for ``keras.Model.compile`` (fresh objects each call)."""
    k = keras()
    params = est.get_params(deep=False)
    extra = routed(params, "compile")
    names, _ = signature_names(k.Model.compile)
    owned = {"optimizer", "loss", "metrics", "run_eagerly", "jit_compile"}
    check_names(
        extra, set(names) - owned, where="keras.Model.compile", prefix="compile"
    )
    soft = getattr(est._target, "soft_targets", False)
    optimizer = tuned_optimizer(est.optimizer, routed(params, "optimizer"), est)
    return {
        "optimizer": loss_scaled(optimizer, _policy(est)),
        "loss": make_loss(
            est.loss,
            routed(params, "loss"),
            kind=est._target.kind,
            units=units,
            dtype=dtype,
            soft_targets=soft,
            label_smoothing=float(getattr(est, "label_smoothing", 0.0)),
        ),
        "metrics": make_metrics(est.metrics, routed(params, "metrics")),
        "run_eagerly": est.run_eagerly,
        "jit_compile": est.jit_compile,
        **extra,
    }


def compile_network(est):
    """Compile ``est.model_`` unless the build function compiled it (then
    only its optimizer is rebuilt with the optimizer knobs, if any is set)."""
    model = est.model_
    if model.compiled:
        _check_compiled_loss(est, model)
        check_compiled_smoothing(model.loss, getattr(est, "label_smoothing", 0.0))
        retune_compiled(model, est)  # the optimizer knobs, then loss scaling
        scale_compiled_loss(model, _policy(est))
        return
    shape = est._output_shape
    units = None if isinstance(shape, list) else (shape[-1] if shape else 1)
    model.compile(**compile_kwargs(est, units=units, dtype=est._dtype))


def _check_compiled_loss(est, model):
    """A loss set on the estimator must be the one the model was compiled
    with: the build function's compile wins, so a different one would be
    silently ignored."""
    given = est.loss
    if given is None or given is signature_default(type(est), "loss"):
        return
    compiled = model.loss
    if isinstance(compiled, (list, tuple, dict)) or compiled is None:
        return
    if not same_loss(given, compiled):
        raise ValueError(
            f"loss={given!r} but model compiled with {compiled!r}: the build "
            "function's compile() decides the loss. Remove one of the two (set "
            "loss=None, or do not compile in the build function)."
        )


# -- target ------------------------------------------------------------------------
def configure_target(est):
    """Adapt the target's encoding to the output shape and compiled loss."""
    if _own_encoding(est):
        return  # the user's encoder matches the outputs
    shape = est._output_shape
    if len(shape) > 1 and est._target.kind != "autoencoder":
        raise ValueError(
            f"The model's output has per-sample shape {shape}; "
            f"{type(est).__name__} needs (n_samples, n_units). Flatten or pool "
            "before the last layer."
        )
    loss = est.model_.loss
    soft = getattr(est._target, "soft_targets", False)
    check_loss_fits_target(loss, est._target.kind, soft)
    est._target.configure_output(
        shape[-1] if shape else 1,
        sparse_labels=uses_sparse_labels(loss),
        from_logits=from_logits(loss),
        shape=shape,
    )
