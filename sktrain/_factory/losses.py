"""``loss`` -> a fresh Keras loss object, for both families.

- None (wrappers): the target's natural loss (``auto_loss``).
- sklearn's names: ``'log_loss'`` (binary or categorical cross-entropy from
  the target), ``'squared_error'`` (half the mean squared error, as in
  sklearn's MLP), ``'poisson'``.
- any Keras loss name, class or instance (copied: the user's object is never
  shared between fits), or a plain function; ``loss__name=value`` configures
  a name or class.

The object computes in the network's dtype, and a loss that cannot fit the
target (a classification loss on a continuous y, a categorical loss on one
sigmoid unit) is refused with advice.
"""

import inspect
import re

from .._engine.backend import keras
from .._utils.validation import unknown_name_error
from .instantiate import instantiate, object_config

SKLEARN_LOSSES = ("log_loss", "squared_error", "poisson")
_ALIASES = {
    "mse": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
}
_CLASSIFICATION_LOSSES = ("crossentropy", "hinge", "log_loss")


def auto_loss(kind, units):
    """The loss a target implies when ``loss=None``."""
    if kind in ("regression", "autoencoder"):
        return "mean_squared_error"
    if kind == "multilabel" or units == 1 or (units is None and kind == "binary"):
        return "binary_crossentropy"
    return "categorical_crossentropy"


def keras_loss_names():
    """Names Keras accepts in ``keras.losses.get``."""
    return [n for n in dir(keras().losses) if not n.startswith("_")]


def make_loss(loss, params=None, *, kind, units=None, dtype=None, soft_targets=False):
    """A fresh loss object for ``loss`` and the target (see the module doc)."""
    if loss is None:
        loss = auto_loss(kind, units)
    if isinstance(loss, str) and loss in SKLEARN_LOSSES:
        loss = _sklearn_loss(loss, kind)
    elif isinstance(loss, str):
        found = _keras_loss(loss)
        if params:
            loss = _loss_class(loss)
        elif dtype not in (None, _floatx()):
            loss = found
    if not isinstance(loss, str):  # a Keras name in floatx stays a name
        loss = instantiate(loss, params or {}, prefix="loss", resolve=_loss_class)
        loss = with_dtype(loss, dtype)
    check_loss_fits_target(loss, kind, soft_targets)
    check_binary_units(loss, kind, units)
    return loss


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
