"""The toolkit's parameters (``_engine/options.py``): every estimator's
signature lists them with the table's defaults, and validation refuses
bad values with sklearn's message."""

import inspect

import numpy as np
import pytest

from sktrain import (
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)
from sktrain._engine.options import (
    CLASSIFIER_DEFAULTS,
    TOOLKIT_DEFAULTS,
    WRAPPER_DEFAULTS,
)

ALL = [MLPClassifier, MLPRegressor, KerasClassifier, KerasRegressor, KerasTransformer]


def expected_defaults(cls):
    table = dict(TOOLKIT_DEFAULTS)
    if cls in (MLPClassifier, KerasClassifier):
        table.update(CLASSIFIER_DEFAULTS)
    if cls.__name__.startswith("Keras"):
        table.update(WRAPPER_DEFAULTS)
    return table


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_signatures_list_the_toolkit_with_the_tables_defaults(cls):
    params = inspect.signature(cls).parameters
    for name, default in expected_defaults(cls).items():
        assert name in params, name
        assert params[name].default == default, name
        assert cls().get_params()[name] == default


@pytest.mark.parametrize(
    "name, value",
    [
        ("warmup", -1),
        ("warmup", 1.5),
        ("lr_gamma", 0.0),
        ("lr_step_size", 0),
        ("gradient_accumulation_steps", 0),
        ("ema", 1.0),
        ("weight_decay", -0.1),
        ("clipvalue", 0),
        ("dtype", "float16"),
    ],
)
@pytest.mark.parametrize(
    "cls", [MLPClassifier, KerasRegressor], ids=lambda c: c.__name__
)
def test_bad_values_are_refused_in_fit_with_the_parameters_name(cls, name, value):
    X, y = np.random.RandomState(0).rand(20, 3), np.arange(20) % 2
    est = cls(**{name: value})  # __init__ only stores
    assert est.get_params()[name] == value
    with pytest.raises(ValueError, match=name):
        est.fit(X, y)
