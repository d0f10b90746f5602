"""What a saved file may construct: sktrain's public estimators and the few
classes their fitted state holds. Nothing else is ever instantiated by
``sktrain.load``; classes register themselves where they are defined.
"""

ESTIMATORS = {}
STATE_CLASSES = {}


def estimator(cls):
    """Class decorator: a public estimator ``sktrain.load`` may construct."""
    ESTIMATORS[cls.__name__] = cls
    return cls


def state_class(cls):
    """Register a class whose instances appear in fitted state (data only)."""
    STATE_CLASSES[cls.__name__] = cls
    return cls
