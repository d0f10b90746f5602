"""Resolve the ``loss`` parameter into a fresh Keras loss object.

sklearn names map onto Keras as follows:

- ``'log_loss'`` (classifier default): binary cross-entropy for binary and
  multilabel targets, categorical cross-entropy for multiclass targets.
- ``'squared_error'`` (regressor default): half the mean squared error, as in
  sklearn's MLP (so ``alpha`` and the learning rate mean the same thing).
- ``'poisson'``: Keras' Poisson loss with an exponential output activation.

Any other value is handed to Keras: a loss name (``'huber'``,
``'categorical_focal_crossentropy'``, ...), a loss class, a loss instance (cloned
so the user's object is never shared between fits) or a plain function.
"""

import inspect

from ._backend import keras
from ._validation import unknown_name_error

_SKLEARN_ALIASES = {"squared_error", "log_loss", "poisson"}


def with_dtype(loss, dtype):
    """A fresh loss object computing in ``dtype`` (the user's object untouched)."""
    from ._keras_objects import FunctionLoss

    k = keras()
    if isinstance(loss, k.losses.Loss):
        from ._routing import object_config

        cls, config = type(loss), object_config(loss)
    elif inspect.isclass(loss):
        cls, config = loss, {}
    elif callable(loss):
        cls, config = FunctionLoss, {"fn": loss}
    else:
        raise ValueError(
            f"loss must be a name, a Keras loss class or instance, or a function; "
            f"got {loss!r}."
        )
    if "dtype" in inspect.signature(cls.__init__).parameters:
        return cls(**config, dtype=dtype)
    return cls.from_config(config) if config else cls()


def keras_loss_names():
    """Names Keras accepts in ``keras.losses.get``."""
    return [n for n in dir(keras().losses) if not n.startswith("_")]


def _named(loss, target_kind):
    from ._keras_objects import HalfMeanSquaredError

    k = keras()
    if loss == "log_loss":
        if target_kind == "regression":
            raise ValueError("loss='log_loss' needs a classification target.")
        if target_kind == "multiclass":
            return k.losses.CategoricalCrossentropy(name="log_loss")
        return k.losses.BinaryCrossentropy(name="log_loss")
    if loss == "squared_error":
        return HalfMeanSquaredError()
    if loss == "poisson":
        return k.losses.Poisson(name="poisson")
    try:
        return k.losses.get(loss)
    except ValueError:
        choices = keras_loss_names() + sorted(_SKLEARN_ALIASES)
        raise unknown_name_error("loss", loss, choices) from None


def resolve_loss(loss, target_kind, dtype, soft_targets=False):
    """Return a fresh Keras loss object for ``loss``, computing in ``dtype``.

    ``target_kind`` is 'binary', 'multiclass', 'multilabel' or 'regression';
    ``soft_targets``: a regression target within [0, 1].
    """
    if isinstance(loss, str):
        loss = _named(loss, target_kind)
    loss = with_dtype(loss, dtype)
    _check_fits_target(loss, target_kind, soft_targets)
    return loss


_CLASSIFICATION_LOSSES = ("crossentropy", "hinge", "log_loss")


def loss_name(loss):
    """A loss's name, whatever form it has (string, object, function)."""
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return str(name).lower()


def check_regression_loss(loss, target_kind, soft_targets=False):
    """Refuse a classification loss on a continuous target outside [0, 1].

    Targets within [0, 1] may be soft labels (e.g. a teacher's probabilities
    in distillation), which cross-entropy fits.
    """
    name = loss_name(loss)
    if target_kind != "regression" or soft_targets:
        return
    if any(k in name for k in _CLASSIFICATION_LOSSES):
        raise ValueError(
            f"loss={name!r} is a classification loss, but y is a continuous "
            "(regression) target with values outside [0, 1]. Use a regression "
            "loss such as 'squared_error'/'mean_squared_error', 'huber' or "
            "'mae', or a classifier (MLPClassifier, KerasClassifier) for class "
            "labels."
        )


def _check_fits_target(loss, target_kind, soft_targets):
    """Refuse a categorical loss on the single sigmoid unit of a binary target,
    and a classification loss on a regression target."""
    check_regression_loss(loss, target_kind, soft_targets)
    name = str(getattr(loss, "name", "")).lower()
    if target_kind == "binary" and "categorical" in name:
        raise ValueError(
            f"loss={name!r} needs one output per class, but a binary target is "
            "trained with a single sigmoid unit. Use loss='log_loss' (binary "
            "cross-entropy), or a binary loss such as "
            "'binary_focal_crossentropy'."
        )


def uses_sparse_labels(loss):
    """True when the loss expects integer class codes instead of one-hot rows."""
    return "sparse" in loss_name(loss)
