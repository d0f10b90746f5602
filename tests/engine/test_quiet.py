"""A default fit on float64 data is quiet: no TensorFlow C++ "Not handling
type DT_DOUBLE" lines and no "retracing" warnings from sktrain's own
functions, and nothing process-wide changes to get there."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SCRIPT = textwrap.dedent("""
    import warnings
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sktrain import KerasClassifier, KerasRegressor, MLPClassifier, MLPRegressor

    warnings.simplefilter("ignore")
    X, y = make_classification(n_samples=600, n_features=8, random_state=0)
    assert X.dtype == np.float64
    MLPClassifier(max_iter=3, random_state=0).fit(X, y).predict_proba(X)
    MLPClassifier(max_iter=3, early_stopping=True).fit(X, y).predict(X[:1])
    MLPClassifier(max_iter=3, batch_size=600).fit(X, y).predict(X)  # 1 step
    MLPRegressor(max_iter=3).fit(X, X[:, 0]).predict(X)
    MLPClassifier(solver="lbfgs", max_iter=5).fit(X, y).predict(X)
    KerasClassifier(epochs=2, validation_split=0.2).fit(X, y).predict(X)
    KerasRegressor(epochs=2).fit(X, X[:, 0]).predict(X)
    grid = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-2]}
    GridSearchCV(MLPClassifier(max_iter=3), grid, cv=3).fit(X, y)
    for _ in range(6):  # clones of one estimator, as a search makes them
        MLPClassifier(max_iter=2).fit(X[:300], y[:300]).predict(X)
    print("done")
""")


def test_float64_fits_print_no_tensorflow_warnings():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "done" in proc.stdout
    assert "Not handling type" not in output
    assert "retracing" not in output


def test_call_options_of_the_thread_are_restored(binary_data):
    import tensorflow as tf
    from tensorflow.python.eager import context

    from sktrain import MLPClassifier

    before = context.context().function_call_options.config_proto_serialized
    X, y = binary_data
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y).predict(X)
    after = context.context().function_call_options.config_proto_serialized
    assert after == before
    config = tf.compat.v1.ConfigProto.FromString(after)
    assert config.graph_options.rewrite_options.remapping == 0  # the default


def test_float32_models_are_not_wrapped(binary_data):
    from keras.callbacks import Callback

    from sktrain import MLPClassifier

    X, y = binary_data
    # with a callback, model_ itself trains (no cached twin): its loops show
    params = dict(hidden_layer_sizes=(4,), max_iter=2, callbacks=[Callback()])
    clf = MLPClassifier(**params).fit(X.astype(np.float32), y)
    (loop,) = clf.model_.__dict__["_sktrain_loops"].values()
    assert not getattr(loop, "_sktrain_without_remapper", False)
    clf64 = MLPClassifier(**params).fit(X, y)
    (loop,) = clf64.model_.__dict__["_sktrain_loops"].values()
    assert loop._sktrain_without_remapper
