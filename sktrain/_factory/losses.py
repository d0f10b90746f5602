"""``loss`` -> a fresh Keras loss object, for both families.

- None (wrappers): the target's natural loss (``auto_loss``).
- sklearn's names: ``'log_loss'`` (binary or categorical cross-entropy from
  the target), ``'squared_error'`` (half the mean squared error, as in
  sklearn's MLP), ``'poisson'``.
- sktrain's names (``sktrain_loss``): ``'focal'`` (binary focal
  cross-entropy with class balancing for sigmoid units, categorical focal
  cross-entropy for softmax), ``'huber'`` and ``'quantile'`` (the pinball
  loss), both from ``regression_losses.py``.
- any Keras loss name, class or instance (copied: the user's object is never
  shared between fits), or a plain function; ``loss__name=value`` configures
  a name or class.

``label_smoothing`` (the classifiers' parameter) goes into the loss's own
``label_smoothing`` setting (``smoothing_params``); a loss without one, or a
sparse loss (class codes cannot be smoothed), is refused. The object
computes in the network's dtype, and a loss that cannot fit the target (a
classification loss on a continuous y, a categorical loss on one sigmoid
unit) is refused with advice.
"""

import inspect
import re

from .._engine.backend import keras
from .._utils.routing import signature_names
from .._utils.validation import unknown_name_error
from .instantiate import instantiate, object_config

SKLEARN_LOSSES = ("log_loss", "squared_error", "poisson")
SKTRAIN_LOSSES = ("focal", "huber", "quantile")
_ALIASES = {
    "mse": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
}
_CLASSIFICATION_LOSSES = ("crossentropy", "hinge", "log_loss")
_REGRESSION = ("regression", "autoencoder")
# the canonical names of the classes sklearn's and sktrain's names pick
_FAMILIES = {
    "log_loss": ("binary_crossentropy", "categorical_crossentropy"),
    "focal": ("binary_focal_crossentropy", "categorical_focal_crossentropy"),
    "quantile": ("pinball_loss",),
    "squared_error": ("half_mean_squared_error",),
}


def sigmoid_units(kind, units):
    """True when the output is one sigmoid unit per label: a binary target's
    single unit (also when the units are not known yet) or a multilabel
    target; False for softmax over the classes."""
    return kind == "multilabel" or units == 1 or (units is None and kind == "binary")


def auto_loss(kind, units):
    """The loss a target implies when ``loss=None``."""
    if kind in _REGRESSION:
        return "mean_squared_error"
    if sigmoid_units(kind, units):
        return "binary_crossentropy"
    return "categorical_crossentropy"


def keras_loss_names():
    """Names Keras accepts in ``keras.losses.get``."""
    return [n for n in dir(keras().losses) if not n.startswith("_")]


def make_loss(
    loss,
    params=None,
    *,
    kind,
    units=None,
    dtype=None,
    soft_targets=False,
    label_smoothing=0.0,
):
    """A fresh loss object for ``loss`` and the target (see the module doc)."""
    params = dict(params or {})
    if loss is None:
        loss = auto_loss(kind, units)
    if isinstance(loss, str) and loss in SKTRAIN_LOSSES:
        loss, params = sktrain_loss(loss, params, kind=kind, units=units)
    elif isinstance(loss, str) and loss in SKLEARN_LOSSES:
        loss = _sklearn_loss(loss, kind)
    elif isinstance(loss, str):
        found = _keras_loss(loss)
        if params or label_smoothing:
            loss = _loss_class(loss)
        elif dtype not in (None, _floatx()):
            loss = found
    if label_smoothing:
        params = smoothing_params(loss, params, label_smoothing)
    if not isinstance(loss, str):  # a Keras name in floatx stays a name
        loss = instantiate(loss, params, prefix="loss", resolve=_loss_class)
        loss = with_dtype(loss, dtype)
    check_loss_fits_target(loss, kind, soft_targets)
    check_binary_units(loss, kind, units)
    return loss


def sktrain_loss(name, params, *, kind, units):
    """(Keras loss class, parameters with sktrain's defaults) of the names
    'focal', 'huber' and 'quantile'."""
    if name == "focal":
        return _focal_loss(params, kind, units)
    if name == "quantile":
        return _quantile_loss(params, kind, units)
    from .regression_losses import Huber

    return Huber, params


def _focal_loss(params, kind, units):
    """Binary focal cross-entropy, class-balanced by ``alpha``, for sigmoid
    units (binary, multilabel); categorical focal cross-entropy for softmax."""
    k = keras()
    if kind in _REGRESSION:
        raise ValueError(
            "loss='focal' is a classification loss: use it with MLPClassifier "
            "or KerasClassifier (for a regressor, 'huber' is robust to "
            "outliers)."
        )
    if sigmoid_units(kind, units):  # alpha weighs the positive labels
        balanced = {"apply_class_balancing": True, **params}
        return k.losses.BinaryFocalCrossentropy, balanced
    return k.losses.CategoricalFocalCrossentropy, params


def _quantile_loss(params, kind, units):
    """The pinball loss over the sorted ``loss__quantile`` levels, one output
    unit per level."""
    from .regression_losses import PinballLoss, quantile_levels

    if kind != "regression":
        raise ValueError(
            "loss='quantile' predicts quantiles of a continuous target: use it "
            "with MLPRegressor or KerasRegressor (for classes, use 'log_loss' "
            "or 'focal')."
        )
    levels = quantile_levels("quantile", params)
    if units is not None and units != len(levels):
        raise ValueError(
            f"loss='quantile' with {len(levels)} quantile level(s) "
            f"{list(levels)} needs one output unit per level, but the model "
            f"has {units}: build the last layer with n_outputs units."
        )
    return PinballLoss, {**params, "quantile": levels}


def _floatx():
    return keras().config.floatx()


def _sklearn_loss(name, kind):
    """sklearn's loss names as Keras loss objects."""
    from .keras_objects import HalfMeanSquaredError

    k = keras()
    if name == "log_loss":
        if kind in ("regression", "autoencoder"):
            raise ValueError("loss='log_loss' needs a classification target.")
        if kind == "multiclass":
            return k.losses.CategoricalCrossentropy(name="log_loss")
        return k.losses.BinaryCrossentropy(name="log_loss")
    if name == "squared_error":
        return HalfMeanSquaredError()
    return k.losses.Poisson(name="poisson")


def _keras_loss(name):
    """What Keras makes of a loss name (did-you-mean error for unknown ones)."""
    try:
        return keras().losses.get(name)
    except ValueError:
        choices = keras_loss_names() + list(SKLEARN_LOSSES)
        raise unknown_name_error("loss", name, choices) from None


def _loss_class(name):
    """The Keras loss class of a name ('mse', 'huber', 'binary_crossentropy')."""
    k = keras()
    wanted = _ALIASES.get(name, name).replace("_", "").lower()
    for attr in dir(k.losses):
        obj = getattr(k.losses, attr)
        if isinstance(obj, type) and attr.lower() == wanted:
            return obj
    raise unknown_name_error("loss", name, keras_loss_names())


def with_dtype(loss, dtype):
    """A fresh loss object computing in ``dtype`` (None: Keras' floatx)."""
    from .keras_objects import FunctionLoss

    k = keras()
    if isinstance(loss, k.losses.Loss):
        cls, config = type(loss), object_config(loss)
    elif inspect.isclass(loss):
        cls, config = loss, {}
    elif callable(loss):
        cls, config = FunctionLoss, {"fn": loss}
    else:
        raise ValueError(
            "Provide a `loss`: a name, a Keras loss class or instance, or a "
            f"function; got {loss!r}."
        )
    if dtype is not None and "dtype" in inspect.signature(cls.__init__).parameters:
        return cls(**{**config, "dtype": dtype})
    return cls.from_config(config) if config else cls()


def smoothing_params(loss, params, label_smoothing):
    """``params`` with the loss's ``label_smoothing`` set to the estimator's.

    Refused with advice: a sparse loss (integer class codes cannot be
    smoothed), a loss without a ``label_smoothing`` setting (a function, a
    regression loss) and a different smoothing already set on the loss.
    """
    name = loss_name(loss)
    if uses_sparse_labels(loss):
        raise ValueError(
            f"label_smoothing={label_smoothing} cannot be used with loss="
            f"{canonical_loss_name(loss)!r}: a sparse loss trains on integer "
            "class codes, which cannot be smoothed. Use loss='log_loss' or "
            "'categorical_crossentropy' (one-hot targets), or set "
            "label_smoothing=0."
        )
    if inspect.isclass(loss):
        takes, current = "label_smoothing" in signature_names(loss)[0], None
    elif hasattr(loss, "get_config"):
        config = object_config(loss)
        takes, current = "label_smoothing" in config, config.get("label_smoothing")
    else:
        takes, current = False, None
    if not takes:
        raise ValueError(
            f"label_smoothing={label_smoothing} needs a loss with a "
            f"label_smoothing setting (the cross-entropy and focal losses: "
            f"'log_loss', 'focal', 'binary_crossentropy', ...), but loss="
            f"{name!r} has none. Set label_smoothing=0, or use such a loss."
        )
    current = params.get("label_smoothing", current)
    if current and float(current) != float(label_smoothing):
        raise ValueError(
            f"label_smoothing={label_smoothing}, but the loss already sets "
            f"label_smoothing={current}. Give it once: as the estimator's "
            "label_smoothing, or as loss__label_smoothing."
        )
    return {**params, "label_smoothing": float(label_smoothing)}


def check_compiled_smoothing(loss, label_smoothing):
    """A model compiled by the user's build function must smooth as
    ``label_smoothing`` says (the build function's compile decides the loss,
    so the parameter would otherwise be silently ignored)."""
    if not label_smoothing:
        return
    loss = _only(loss)
    config = object_config(loss) if hasattr(loss, "get_config") else {}
    value = config.get("label_smoothing")
    if value is None or float(value) != float(label_smoothing):
        raise ValueError(
            f"label_smoothing={label_smoothing}, but the build function "
            f"compiled the model with loss {loss_name(loss)!r} (label_"
            f"smoothing={value}), and its compile decides the loss. Compile "
            "with a loss that has this label_smoothing, or do not compile in "
            "the build function (sktrain then compiles with the estimator's "
            "loss and label_smoothing)."
        )


def same_loss(given, compiled):
    """True when ``compiled`` is what the estimator's ``loss`` (in any form)
    names; sklearn's and sktrain's names match the classes they pick."""
    name = canonical_loss_name(compiled)
    if isinstance(given, str) and given in _FAMILIES:
        return name in _FAMILIES[given]
    return canonical_loss_name(given) == name


def loss_name(loss):
    """A loss's name, whatever form it has (string, object, function)."""
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return str(name).lower()


def canonical_loss_name(loss):
    """One spelling per Keras loss, to compare losses given in any form:
    'mae', ``MeanAbsoluteError``, ``MeanAbsoluteError()`` and
    ``mean_absolute_error`` are all 'mean_absolute_error'."""
    if isinstance(loss, str):
        try:
            loss = _loss_class(loss)
        except ValueError:
            return loss.lower()
    cls = loss if inspect.isclass(loss) else type(loss)
    if isinstance(loss, keras().losses.Loss) or inspect.isclass(loss):
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
    return str(getattr(loss, "__name__", loss)).lower()


def check_loss_fits_target(loss, kind, soft_targets=False):
    """Refuse a classification loss on a continuous target outside [0, 1]
    (targets within [0, 1] may be soft labels, e.g. a teacher's
    probabilities), and a categorical loss on a binary target's one unit."""
    name = loss_name(loss)
    classification = any(k in name for k in _CLASSIFICATION_LOSSES)
    if kind == "regression" and not soft_targets and classification:
        raise ValueError(
            f"loss={name!r} is a classification loss, but y is a continuous "
            "(regression) target with values outside [0, 1]. Use a "
            "regression loss such as 'squared_error'/'mean_squared_error', "
            "'huber' or 'mae', or a classifier (MLPClassifier, "
            "KerasClassifier) for class labels."
        )


def check_binary_units(loss, kind, units):
    """Refuse a categorical loss on the single sigmoid unit of a binary target."""
    name = loss_name(loss)
    if kind == "binary" and units == 1 and "categorical" in name:
        raise ValueError(
            f"loss={name!r} needs one output per class, but a binary target is "
            "trained with a single sigmoid unit. Use loss='log_loss' (binary "
            "cross-entropy), or a binary loss such as "
            "'binary_focal_crossentropy'."
        )


def _only(loss):
    """The loss of a one-output model compiled with ``loss=[loss]`` (or a
    one-entry dict), else ``loss`` itself."""
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        return loss[0]
    if isinstance(loss, dict) and len(loss) == 1:
        return next(iter(loss.values()))
    return loss


def uses_sparse_labels(loss):
    """True when the loss expects integer class codes instead of one-hot rows."""
    return "sparse" in loss_name(_only(loss))


def from_logits(loss):
    """True when the loss reads the network's output as logits."""
    loss = _only(loss)
    if hasattr(loss, "from_logits"):
        return bool(loss.from_logits)
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return bool(config.get("from_logits", False))
