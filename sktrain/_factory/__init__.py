"""Keras objects from parameters: losses, optimizers, metrics, one way each.

Both families resolve through here: the MLP maps sklearn's names ('log_loss',
'squared_error', 'adam' with ``beta_1`` ...) onto the same functions the
wrappers call with their routed ``loss__`` / ``optimizer__`` / ``metrics__``
parameters. ``keras_objects`` holds sktrain's registered Keras classes;
``precision`` the Keras side of mixed precision (loss scaling).
"""
