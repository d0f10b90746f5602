"""What ``diagnose`` tells the user to change, per finding and per family:
the MLP's own parameters (``alpha``, ``learning_rate_init``, ...) or the
wrappers' (``optimizer__learning_rate``, ``epochs``, Keras callbacks, the
model's layers). Inside a Pipeline every parameter carries the step's prefix
(``mlpclassifier__alpha``), so the action can go to ``set_params`` as is.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    """Whom the advice is for: ``family`` ('mlp' or 'keras') and the
    parameter ``prefix`` ('' or '<step>__' inside a Pipeline)."""

    family: str
    prefix: str = ""


_MLP = {
    "overfitting": (
        "regularize: raise {p}alpha (e.g. 10x) or set {p}dropout=0.2, and set "
        "{p}early_stopping=True to keep the best validation epoch's weights"
    ),
    "no_validation": (
        "fit with X_val=..., y_val=... or set {p}early_stopping=True to record "
        "val_loss each epoch"
    ),
    "underfitting": (
        "give the network more capacity ({p}hidden_layer_sizes), less "
        "regularization ({p}alpha, {p}dropout) or more epochs ({p}max_iter), and "
        "check that the features are informative and scaled"
    ),
    "unstable": (
        "lower {p}learning_rate_init (e.g. 3x), set {p}clipnorm=1.0 or "
        "{p}batch_norm=True, or scale the inputs (StandardScaler)"
    ),
    "exploding_gradients": (
        "set {p}clipnorm=1.0 and lower {p}learning_rate_init (e.g. 10x); scale "
        "the inputs (StandardScaler)"
    ),
    "vanishing_gradients": (
        "use {p}activation='relu', set {p}batch_norm=True, or raise "
        "{p}learning_rate_init"
    ),
    "dead_relu": (
        "lower {p}learning_rate_init, set {p}batch_norm=True or use "
        "{p}activation='leaky_relu'"
    ),
    "lr_too_high": "lower {p}learning_rate_init (e.g. 10x) or set {p}clipnorm=1.0",
    "lr_too_low": "raise {p}learning_rate_init (e.g. 10x)",
    "not_converged": "raise {p}max_iter (the loss was still falling)",
}

_KERAS = {
    "overfitting": (
        "add keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, "
        "restore_best_weights=True) to {p}callbacks, train fewer {p}epochs, or "
        "regularize the model (Dropout layers, kernel_regularizer)"
    ),
    "no_validation": (
        "set {p}validation_split=0.1 or fit with X_val=..., y_val=... to record "
        "val_loss each epoch"
    ),
    "underfitting": (
        "give the model more capacity (units, layers), less regularization or "
        "more {p}epochs, and check that the features are informative and scaled"
    ),
    "unstable": (
        "lower {p}optimizer__learning_rate (e.g. 3x), set {p}clipnorm=1.0, add "
        "BatchNormalization layers, or scale the inputs (StandardScaler)"
    ),
    "exploding_gradients": (
        "set {p}clipnorm=1.0 and lower {p}optimizer__learning_rate (e.g. 10x); "
        "scale the inputs (StandardScaler)"
    ),
    "vanishing_gradients": (
        "use relu activations, He initialization or BatchNormalization layers in "
        "the model, or raise {p}optimizer__learning_rate"
    ),
    "dead_relu": (
        "lower {p}optimizer__learning_rate, add BatchNormalization before the "
        "activation, or use a leaky activation (keras.layers.LeakyReLU)"
    ),
    "lr_too_high": (
        "lower {p}optimizer__learning_rate (e.g. 10x) or set {p}clipnorm=1.0"
    ),
    "lr_too_low": "raise {p}optimizer__learning_rate (e.g. 10x)",
    "not_converged": "raise {p}epochs (the loss was still falling)",
}


def action(kind, ctx):
    """The action text of ``kind`` for ``ctx``'s family and prefix."""
    table = _MLP if ctx.family == "mlp" else _KERAS
    return table[kind].format(p=ctx.prefix)
