"""sklearn's own estimator checks over every public estimator."""

import functools
import warnings

from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktrain import (
    DistilledClassifier,
    DistilledRegressor,
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)

# The wrappers run with their default build function (sktrain's MLP) and
# enough epochs for sklearn's accuracy checks; the MLPs with the settings
# sklearn checks its own MLPs with (max_iter=100). Every check runs, none is
# marked as an expected failure. (Routed and build-function parameters are
# kept out of these instances: check_no_attributes_set_in_init cannot know
# that **kwargs are parameters; tests/test_keras_wrappers.py covers them.)
_WRAPPER_SETTINGS = dict(optimizer="adam", epochs=40, random_state=0)
ESTIMATORS = [
    MLPClassifier(max_iter=100, random_state=0),
    MLPRegressor(max_iter=100, random_state=0),
    KerasClassifier(**_WRAPPER_SETTINGS),
    KerasRegressor(**_WRAPPER_SETTINGS),
    # no accuracy check applies to a transformer: fewer epochs suffice
    KerasTransformer(**{**_WRAPPER_SETTINGS, "epochs": 10}),
    # distillation: a linear teacher (fitted by each check), an MLP student
    DistilledClassifier(
        LogisticRegression(),
        student=MLPClassifier(max_iter=100, random_state=0),
        random_state=0,
    ),
    DistilledRegressor(
        Ridge(), student=MLPRegressor(max_iter=100, random_state=0), random_state=0
    ),
]


# Checks that only ask that a fit runs and outputs have the right type and
# shape (a dozen fits each, one per sparse container or dtype) run with a few
# epochs, as sklearn's own suite shortens max_iter for its estimators
# (``_set_checking_parameters``); every accuracy check keeps the settings above.
SMOKE_CHECKS = {
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_dtypes",
}
_FEW_EPOCHS = {"max_iter": 5, "epochs": 3, "student__max_iter": 5}


def _check_name(check):
    return getattr(check, "func", check).__name__


def _for_check(estimator, check):
    if _check_name(check) not in SMOKE_CHECKS:
        return estimator
    params = estimator.get_params()
    return clone(estimator).set_params(
        **{k: v for k, v in _FEW_EPOCHS.items() if k in params}
    )


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(_for_check(estimator, check))


def test_smoke_checks_run_with_few_epochs():
    from sklearn.utils.estimator_checks import (
        check_classifiers_classes,
        check_estimators_dtypes,
    )

    smoke = functools.partial(check_estimators_dtypes, "name")
    assert _for_check(ESTIMATORS[5], smoke).get_params()["student__max_iter"] == 5
    assert _for_check(ESTIMATORS[2], smoke).epochs == 3
    assert ESTIMATORS[2].epochs == 40  # a copy was changed
    accuracy = functools.partial(check_classifiers_classes, "name")
    assert _for_check(ESTIMATORS[2], accuracy) is ESTIMATORS[2]
