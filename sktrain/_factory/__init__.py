"""Keras objects from parameters: losses, optimizers, metrics, one way each.

Both families resolve through here: the MLP maps sklearn's names ('log_loss',
'squared_error', 'adam' with ``beta_1`` ...) onto the same functions the
wrappers call with their routed ``loss__`` / ``optimizer__`` / ``metrics__``
parameters. ``keras_objects`` and ``regression_losses`` hold sktrain's
registered Keras classes (``register_keras_classes`` imports them before a
network loads); ``precision`` the Keras side of mixed precision (loss
scaling).
"""


def register_keras_classes():
    """Register sktrain's Keras classes with Keras (imports Keras): done
    before a saved or pickled network is loaded, so its config finds them."""
    from . import keras_objects, regression_losses  # noqa: F401 - registration only
