"""sktrain: scikit-learn estimators backed by Keras 3 (TensorFlow backend).

Importing sktrain does not import TensorFlow; that happens on the first fit,
predict or unpickle.
"""

from ._diagnostics.history_plot import plot_history
from ._distill.estimators import DistilledClassifier, DistilledRegressor
from ._engine.trace_cache import clear_cache
from ._io import legacy as _legacy
from ._io.api import load
from ._mlp.classifier import MLPClassifier
from ._mlp.regressor import MLPRegressor
from ._onnx.converters import register_skl2onnx
from ._onnx.export import export_onnx
from ._version import __version__
from ._wrappers.estimators import KerasClassifier, KerasRegressor
from ._wrappers.transformer import KerasTransformer

_legacy.install()  # pickles of sktrain 0.1 name its old module paths

__all__ = [
    "DistilledClassifier",
    "DistilledRegressor",
    "KerasClassifier",
    "KerasRegressor",
    "KerasTransformer",
    "MLPClassifier",
    "MLPRegressor",
    "clear_cache",
    "export_onnx",
    "load",
    "plot_history",
    "register_skl2onnx",
    "__version__",
]
