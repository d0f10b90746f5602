"""sktrain: scikit-learn estimators backed by Keras 3 (TensorFlow backend).

Importing sktrain does not import TensorFlow; that happens on the first fit,
predict or unpickle.
"""

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
