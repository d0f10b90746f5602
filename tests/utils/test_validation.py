"""Bad input gets a clear error before anything reaches TensorFlow.

One table of bad inputs, run against every estimator it applies to; each
error is checked by type and by the words that tell the user what to do.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sktrain import (
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)

RNG = np.random.RandomState(0)
X = RNG.normal(size=(30, 3))
Y_CLF = np.r_[np.zeros(15, int), np.ones(15, int)]
Y_REG = X[:, 0] * 2.0

CLASSIFIERS = [MLPClassifier, KerasClassifier]
REGRESSORS = [MLPRegressor, KerasRegressor]
ALL = CLASSIFIERS + REGRESSORS + [KerasTransformer]


def _quick(Est, **kw):
    base = {"max_iter": 2} if Est.__name__.startswith("MLP") else {"epochs": 1}
    return Est(**base, **kw)


def _y_for(Est):
    return Y_REG if Est in REGRESSORS or Est is KerasTransformer else Y_CLF


def _nan(a):
    a = a.astype(float).copy()
    a[3, 1] = np.nan
    return a


def _inf(a):
    a = a.astype(float).copy()
    a.flat[4] = np.inf
    return a


# (case, estimators, call, exception, message pattern)
CASES = [
    (
        "NaN in X",
        ALL,
        lambda E: _quick(E).fit(_nan(X), _y_for(E)),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf in X",
        ALL,
        lambda E: _quick(E).fit(_inf(X), _y_for(E)),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "NaN in y",
        REGRESSORS,
        lambda E: _quick(E).fit(X, np.where(Y_REG > 1, np.nan, Y_REG)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "inf in y",
        REGRESSORS,
        lambda E: _quick(E).fit(X, _inf(Y_REG)),
        ValueError,
        "Input y contains infinity",
    ),
    (
        "1-D X",
        ALL,
        lambda E: _quick(E).fit(X[:, 0], _y_for(E)),
        ValueError,
        r"(?s)Expected 2D array, got 1D array.*reshape\(-1, 1\)",
    ),
    (
        "empty X",
        ALL,
        lambda E: _quick(E).fit(X[:0], _y_for(E)[:0]),
        ValueError,
        r"0 sample\(s\).*minimum of 1 is required",
    ),
    (
        "X, y lengths differ",
        CLASSIFIERS + REGRESSORS,
        lambda E: _quick(E).fit(X, _y_for(E)[:-1]),
        ValueError,
        r"inconsistent numbers of samples: \[30, 29\]",
    ),
    (
        "non-numeric column",
        ALL,
        lambda E: _quick(E).fit(
            pd.DataFrame({"a": X[:, 0], "b": ["u"] * 30}), _y_for(E)
        ),
        ValueError,
        "non-numeric values.*ColumnTransformer",
    ),
    (
        "complex X",
        ALL,
        lambda E: _quick(E).fit(X + 1j, _y_for(E)),
        ValueError,
        "Complex data not supported",
    ),
    (
        "wrong feature count",
        ALL,
        lambda E: (
            _quick(E).fit(X, _y_for(E)).predict(X[:, :2])
            if E is not KerasTransformer
            else _quick(E).fit(X).transform(X[:, :2])
        ),
        ValueError,
        r"X has 2 features, but \w+ is expecting 3 features as input",
    ),
    (
        "unseen label in partial_fit",
        CLASSIFIERS,
        lambda E: (
            _quick(E)
            .partial_fit(X, Y_CLF, classes=[0, 1])
            .partial_fit(X[:3], np.array([0, 1, 7]))
        ),
        ValueError,
        r"labels not seen before: \[7\].*Known classes: \[0, 1\]",
    ),
    (
        "partial_fit without classes",
        [MLPClassifier],  # sklearn's rule; KerasClassifier takes y's (SciKeras')
        lambda E: _quick(E).partial_fit(X, Y_CLF),
        ValueError,
        "classes must be passed on the first call",
    ),
    (
        "sample_weight length",
        ALL,
        lambda E: _quick(E).fit(X, _y_for(E), sample_weight=np.ones(4)),
        ValueError,
        r"sample_weight.shape == \(4,\), expected \(30,\)",
    ),
    (
        "negative sample_weight",
        ALL,
        lambda E: _quick(E).fit(X, _y_for(E), sample_weight=-np.ones(30)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "all-zero sample_weight",
        ALL,
        lambda E: _quick(E).fit(X, _y_for(E), sample_weight=np.zeros(30)),
        ValueError,
        "(?i)sample weights? .*(at least one non-zero|zero for every sample)",
    ),
    (
        "unknown class in class_weight",
        CLASSIFIERS,
        lambda E: _quick(E, class_weight={0: 1.0, 5: 2.0}).fit(X, Y_CLF),
        ValueError,
        r"class_weight names classes not in the data: \[5\]",
    ),
    (
        "invalid parameter value",
        ALL,
        lambda E: (E(max_iter=-1) if E.__name__.startswith("MLP") else E(epochs=0)).fit(
            X, _y_for(E)
        ),
        InvalidParameterError,
        r"parameter of \w+ must be an int in the range",
    ),
    (
        "unknown loss name",
        CLASSIFIERS + REGRESSORS,
        lambda E: _quick(E, loss="mean_sqared_error").fit(X, _y_for(E)),
        ValueError,
        "Unknown loss 'mean_sqared_error'. Did you mean 'mean_squared_error'",
    ),
    (
        "unknown optimizer",
        [MLPClassifier],
        lambda E: _quick(E, solver="adamm").fit(X, Y_CLF),
        ValueError,
        "Unknown solver 'adamm'. Did you mean 'adam'",
    ),
    (
        "unknown optimizer",
        [KerasClassifier],
        lambda E: _quick(E, optimizer="rmsprp").fit(X, Y_CLF),
        ValueError,
        "Unknown optimizer 'rmsprp'. Did you mean 'rmsprop'",
    ),
    (
        "unknown activation",
        [MLPClassifier],
        lambda E: _quick(E, activation="rellu").fit(X, Y_CLF),
        ValueError,
        "Unknown activation 'rellu'. Did you mean 'relu'",
    ),
    (
        "unknown activation",
        [KerasClassifier],
        lambda E: _quick(E, model__activation="rellu").fit(X, Y_CLF),
        ValueError,
        "Unknown activation 'rellu'. Did you mean 'relu'",
    ),
    (
        "loss does not fit target",
        REGRESSORS,
        lambda E: _quick(E, loss="categorical_crossentropy").fit(X, Y_REG * 10),
        ValueError,
        "classification loss, but y is a continuous",
    ),
    (
        "loss does not fit target",
        [MLPClassifier],
        lambda E: _quick(E, loss="categorical_crossentropy").fit(X, Y_CLF),
        ValueError,
        "needs one output per class.*binary",
    ),
    (
        "regression target for a classifier",
        CLASSIFIERS,
        lambda E: _quick(E).fit(X, Y_REG),
        ValueError,
        "Unknown label type: continuous",
    ),
]


def _params():
    for case, estimators, call, exc, match in CASES:
        for Est in estimators:
            yield pytest.param(Est, call, exc, match, id=f"{case}-{Est.__name__}")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est, call, exc, match", list(_params()))
def test_bad_input_gets_a_clear_error(Est, call, exc, match):
    with pytest.raises(exc, match=match):
        call(Est)
