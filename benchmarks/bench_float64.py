"""The default path: the training and predict workloads on float64 input.

The other rows cast X and y to float32 before measuring. Users' data usually
comes as float64 (the NumPy and pandas default), and with ``dtype=None``
sktrain then builds a float64 network and trains and predicts in float64.
These runs give the same values, as float64 arrays, to each competitor whose
ordinary use takes them as they come:

- sktrain (``dtype=None``): a float64 network;
- plain Keras ``model.fit`` / ``model.predict`` / ``model(x)``: Keras casts
  the float64 arrays to float32 itself, its network stays float32;
- SciKeras: passes float64 on to Keras, which casts it to float32;
- sklearn's MLP: float64 is its natural path.

The hand-tuned Keras variants are left out: their ``tf.data`` pipeline and
``tf.function`` signature are written for float32, and an expert would cast
first. Results sit next to the float32 ones, under ``<name>_float64`` keys.
"""

import numpy as np

SUFFIX = "_float64"
# the float32 training runners that also run on float64 data
TRAIN = ("sktrain", "keras_default", "scikeras", "sklearn")


def key(name):
    return name + SUFFIX


def user_data(*arrays):
    """The arrays as a user's float64 data (the same values)."""
    return tuple(a.astype(np.float64) for a in arrays)


def train_jobs(runners, X, y):
    """(result key, runner, X, y) for the float64 training runs."""
    X64, y64 = user_data(X, y)
    return [(key(name), runners[name], X64, y64) for name in TRAIN]


def predictors(models):
    """result key -> function(X) returning a NumPy array, for the models
    trained on float64 data; each is called on float64 rows."""
    fns = {}
    if key("sktrain") in models:
        fns[key("sktrain")] = models[key("sktrain")].predict
    if key("keras_default") in models:
        model = models[key("keras_default")]
        fns[key("keras_predict")] = lambda x: model.predict(x, verbose=0)
        fns[key("keras_call")] = lambda x: np.asarray(model(x, training=False))
    for name in ("sklearn", "scikeras"):
        if key(name) in models:
            fns[key(name)] = models[key(name)].predict
    return fns
