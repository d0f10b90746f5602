"""``BaseDistilled``: the fit, prediction and persistence both distilled
estimators share; a family supplies its default student, its targets and its
agreement measure.

A fit: validate; the teacher (fitted on a clone when unfitted); the student
(a clone, or the family's default); the student's validation rows split off
the labeled rows when the student would split its own (``X_val``); synthetic
rows from the remaining labeled rows; the family's training data from the
teacher's predictions; the student's fit; ``agreement_``. With sklearn's
callbacks (scikit-learn >= 1.9), the teacher's fit and the student's are the
two subtasks of the fit, the callbacks propagated to them.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from .._engine.skl_callbacks import CALLBACK_BASES, meta_task
from .._io.registry import ESTIMATORS
from .samplers import SAMPLERS, synthetic_rows

_SEED_MAX = np.iinfo(np.int32).max


class BaseDistilled(*CALLBACK_BASES, BaseEstimator):
    """Shared machinery of ``DistilledClassifier`` and ``DistilledRegressor``."""

    _STORED = ("n_features_in_", "feature_names_in_", "student_", "agreement_")
    _STORED += ("teacher_",)
    _KIND = None  # 'classifier' or 'regressor': what the student must be

    _parameter_constraints = {
        "student": [HasMethods(["fit", "predict"]), None],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "n_synthetic": [Interval(Integral, 0, None, closed="left")],
        "sampler": [StrOptions(set(SAMPLERS))],
        "keep_teacher": ["boolean"],
        "random_state": ["random_state"],
    }

    # -- fit ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, X_unlabeled=None):
        """Distil the teacher into a new student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labeled training inputs.
        y : array-like of shape (n_samples,)
            Their labels (the regressor: values, or (n_samples, n_outputs)
            if the student takes several outputs).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the labeled rows (passed to an unfitted teacher's fit
            too); unlabeled and synthetic rows weigh 1.
        X_unlabeled : array-like of shape (n_unlabeled, n_features), default=None
            Inputs without labels; the student learns the teacher's
            predictions on them.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = self._validate_training(X, y)
        X_unlabeled = self._validate_unlabeled(X_unlabeled, X.dtype)
        weights = _check_sample_weight(sample_weight, X)
        rng = check_random_state(self.random_state)
        split_seed, sampler_seed, student_seed = rng.randint(_SEED_MAX, size=3)
        task = meta_task(self, 2, X, y, sample_weight)  # sklearn's callbacks
        teacher = self._fitted_teacher(X, y, sample_weight, task)
        self._check_teacher(teacher, y)
        student = self._new_student(student_seed, weighted=sample_weight is not None)
        rows, val_rows = self._split(student, y, split_seed)
        X_fit, y_fit = X[rows], y[rows]
        synthetic = synthetic_rows(
            self.sampler,
            X_fit,
            self._groups(y_fit),
            self.n_synthetic,
            np.random.RandomState(sampler_seed),
        )
        X_extra = np.concatenate([X_unlabeled, synthetic])
        data = self._student_data(teacher, X_fit, y_fit, weights[rows], X_extra)
        if sample_weight is None and self._unit_weights_optional():
            data = (data[0], data[1], None)
        with task.sub_fit("fit-student", student):
            student.fit(
                *data, **self._validation(X, y, weights, val_rows, sample_weight)
            )
        self._check_student(student, teacher)
        self.student_ = student
        self.agreement_ = self._agreement(teacher, student, X_fit)
        if self.keep_teacher:
            self.teacher_ = teacher
        task.end()
        return self

    def _validate_training(self, X, y):
        return validate_data(self, X, y, dtype=[np.float64, np.float32])

    def _validate_unlabeled(self, X_unlabeled, dtype):
        if X_unlabeled is None:
            return np.empty((0, self.n_features_in_), dtype=dtype)
        return validate_data(self, X_unlabeled, reset=False, dtype=dtype)

    def _fitted_teacher(self, X, y, sample_weight, task):
        """The teacher as given if fitted, else a fitted clone."""
        try:
            check_is_fitted(self.teacher)
        except NotFittedError:
            teacher = clone(self.teacher)
            with task.sub_fit("fit-teacher", teacher):
                return self._fit_teacher(teacher, X, y, sample_weight)
        with task.sub_fit("fit-teacher", None):  # fitted already
            return self.teacher

    def _fit_teacher(self, teacher, X, y, sample_weight):
        if sample_weight is None:
            return teacher.fit(X, y)
        if not has_fit_parameter(teacher, "sample_weight"):
            raise TypeError(
                f"The teacher {type(teacher).__name__} is unfitted and its fit "
                "takes no sample_weight; fit it yourself first, or fit without "
                "sample_weight."
            )
        return teacher.fit(X, y, sample_weight=sample_weight)

    def _new_student(self, seed, *, weighted):
        if self.student is None:
            student = self._default_student(seed)
        else:
            student = clone(self.student)
        kind = self._KIND
        if get_tags(student).estimator_type != kind:
            raise TypeError(
                f"The student must be a {kind}; got {type(student).__name__}."
            )
        needs_weights = weighted or not self._unit_weights_optional()
        if needs_weights and not has_fit_parameter(student, "sample_weight"):
            raise TypeError(
                f"The student {type(student).__name__} must take sample_weight "
                "in fit: the distillation targets are passed as sample weights. "
                "Pick a student whose fit takes sample_weight."
            )
        return student

    def _split(self, student, y, seed):
        """(rows the student trains on, its validation rows or None)."""
        rows = np.arange(len(y))
        fraction = internal_validation_fraction(student)
        if not fraction:
            return rows, None
        stratify = y if self._KIND == "classifier" else None
        return tuple(
            train_test_split(
                rows, test_size=fraction, random_state=seed, stratify=stratify
            )
        )

    def _validation(self, X, y, weights, val_rows, sample_weight):
        """The student's ``X_val`` / ``y_val`` (hard labels) fit arguments."""
        if val_rows is None:
            return {}
        val = {"X_val": X[val_rows], "y_val": y[val_rows]}
        if sample_weight is not None:
            val["sample_weight_val"] = weights[val_rows]
        return val

    def _check_teacher(self, teacher, y):
        """Hook: check the fitted teacher against y (the classifier's labels)."""

    def _check_student(self, student, teacher):
        """Hook: check the fitted student against the teacher (classes)."""

    # -- prediction -----------------------------------------------------------
    def _checked(self, X):
        check_is_fitted(self, "student_")
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def predict(self, X):
        """Predict with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray
            The student's predictions.
        """
        X = self._checked(X)
        return self.student_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        student = self.student if self.student is not None else self._default_student(0)
        tags.non_deterministic = get_tags(student).non_deterministic
        tags.input_tags.sparse = False
        return tags

    # -- persistence ----------------------------------------------------------
    def __getstate__(self):
        """A fitted estimator drops its teacher (``teacher`` is None after
        unpickling) unless ``keep_teacher=True``."""
        state = dict(super().__getstate__())
        if "student_" in state and not self.keep_teacher:
            state["teacher"] = None
        return state

    def save(self, path):
        """Save the estimator to one file that loads without running code.

        The student is stored inside as a nested sktrain file; the teacher is
        not stored unless ``keep_teacher=True`` (and then only an sktrain
        teacher: any other loads as None, with a warning). Load it with
        :func:`sktrain.load`; ``teacher`` is then None for a fitted
        estimator saved with ``keep_teacher=False``.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (conventionally ``*.sktrain``).

        Returns
        -------
        path : str or path-like
            The path written.
        """
        from .._io.archive import save

        student = vars(self).get("student_")
        if student is not None and ESTIMATORS.get(type(student).__name__) is not type(
            student
        ):
            raise TypeError(
                f"save stores an sktrain student only; this student is a "
                f"{type(student).__name__}. Use pickle or joblib instead."
            )
        stand_in = object.__new__(type(self))
        vars(stand_in).update(self.__getstate__())
        save(stand_in, path)
        return path


def internal_validation_fraction(student):
    """The fraction of its training rows ``student`` would hold out for
    validation itself (0 if none); refuses a non-sktrain student that would
    (its split would see duplicates of its training rows)."""
    from .._mlp.base import BaseMLP
    from .._wrappers.base import BaseKerasWrapper

    if isinstance(student, BaseMLP):
        stops = student.early_stopping and not student._lbfgs()
        return student.validation_fraction if stops else 0.0
    if isinstance(student, BaseKerasWrapper):
        routed = student._fit_routed()
        return float(routed.get("validation_split", student.validation_split) or 0)
    if student.get_params(deep=False).get("early_stopping", False) not in (False, None):
        raise ValueError(
            f"The student {type(student).__name__} has early_stopping on: its own "
            "validation split would hold out copies of rows it trains on (each "
            "row is repeated once per class). Set the student's "
            "early_stopping=False, or use an sktrain student, whose validation "
            "rows DistilledClassifier splits off itself."
        )
    return 0.0
