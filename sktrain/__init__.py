"""sktrain: scikit-learn estimators backed by Keras 3 (TensorFlow backend).

Importing sktrain does not import TensorFlow; that happens on the first fit,
predict or unpickle.
"""

from ._classifier import MLPClassifier
from ._keras_estimators import KerasClassifier, KerasRegressor
from ._load import load
from ._regressor import MLPRegressor
from ._transformer import KerasTransformer

__version__ = "0.1.0"

__all__ = [
    "KerasClassifier",
    "KerasRegressor",
    "KerasTransformer",
    "MLPClassifier",
    "MLPRegressor",
    "load",
    "__version__",
]
