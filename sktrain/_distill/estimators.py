"""The public ``DistilledClassifier`` and ``DistilledRegressor``."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._io.registry import estimator
from .._mixins import LogProba
from .._mlp.classifier import MLPClassifier
from .._mlp.regressor import MLPRegressor
from .base import BaseDistilled
from .targets import expand_rows, mix, one_hot, soften

_COMMON_PARAMETERS = """\
alpha : float, default=0.5
    Weight of the teacher in a labeled row's target, in [0, 1]: 1 learns
    from the teacher only, 0 from the labels (y) only. Unlabeled and
    synthetic rows always learn from the teacher.

n_synthetic : int, default=0
    Synthetic rows drawn by ``sampler`` from the labeled training rows and
    labeled by the teacher.

sampler : {'gaussian', 'mixup'}, default='gaussian'
    How synthetic rows are drawn. 'gaussian': a Gaussian with diagonal
    covariance per class (the regressor: one over all rows), its mean and
    variance fitted on the training rows, classes drawn with their
    frequencies. 'mixup': ``lam * x_i + (1 - lam) * x_j`` for random pairs
    of training rows, ``lam ~ Uniform(0, 1)``.

keep_teacher : bool, default=False
    Keep the fitted teacher as ``teacher_``. Otherwise nothing of the
    teacher is kept: pickling or saving a fitted estimator sets
    ``teacher`` to None in the copy (set it again before refitting).

random_state : int, RandomState instance or None, default=None
    Seeds the synthetic sampler, the student's validation split and the
    default student's weights. A given student keeps its own
    ``random_state`` (None stays None); no global seed is set.
"""

_COMMON_ATTRIBUTES = """\
student_ : estimator
    The fitted student (a clone of ``student``); it makes every prediction.

agreement_ : float
    How well the student matches the teacher on the labeled rows it trained
    on: {agreement}.

teacher_ : estimator
    The fitted teacher; only with ``keep_teacher=True``.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during fit, when X has string feature names.
"""

_TEACHER = """\
teacher : estimator
    A fitted estimator with ``{method}`` (used as it is, never refitted) or
    an unfitted one (a clone is fitted on X, y, sample_weight). ``clone`` and
    ``GridSearchCV`` clone the teacher, which unfits it: wrap a prefit teacher
    in ``sklearn.frozen.FrozenEstimator`` to keep it fitted through them.
"""


@estimator
class DistilledClassifier(LogProba, ClassifierMixin, BaseDistilled):
    _KIND = "classifier"
    _STORED = ("classes_",)
    _parameter_constraints = {
        **BaseDistilled._parameter_constraints,
        "teacher": [HasMethods(["fit", "predict_proba"])],
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        teacher,
        student=None,
        *,
        temperature=2.0,
        alpha=0.5,
        n_synthetic=0,
        sampler="gaussian",
        keep_teacher=False,
        random_state=None,
    ):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.n_synthetic = n_synthetic
        self.sampler = sampler
        self.keep_teacher = keep_teacher
        self.random_state = random_state

    def predict_proba(self, X):
        """Class probabilities of the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        X = self._checked(X)
        return self.student_.predict_proba(X)

    # -- the family's hooks ----------------------------------------------------
    def _default_student(self, seed):
        return MLPClassifier(hidden_layer_sizes=(32,), random_state=seed)

    def _unit_weights_optional(self):
        return False  # the targets are the weights

    def _groups(self, y):
        return y

    def _validate_training(self, X, y):
        X, y = super()._validate_training(X, y)
        check_classification_targets(y)
        return X, y

    def _check_teacher(self, teacher, y):
        unknown = np.setdiff1d(np.unique(y), np.asarray(teacher.classes_))
        if len(unknown):
            raise ValueError(
                f"y has labels the teacher does not know: {unknown.tolist()}; "
                f"the teacher's classes_ are {list(teacher.classes_)}. Fit the "
                "teacher on these labels (or pass it unfitted)."
            )

    def _student_data(self, teacher, X, y, weights, X_extra):
        """Hard-label rows (X, y, sample_weight) expanded from the soft targets."""
        X_all = np.concatenate([X, X_extra])
        classes = np.asarray(teacher.classes_)
        targets = soften(teacher.predict_proba(X_all), self.temperature)
        n = len(X)
        targets[:n] = mix(targets[:n], one_hot(y, classes), self.alpha)
        weights = np.concatenate([weights, np.ones(len(X_extra))])
        rows = expand_rows(X_all, targets, classes, weights)
        return rows.X, rows.y, rows.sample_weight

    def _check_student(self, student, teacher):
        classes = np.asarray(teacher.classes_)
        if not np.array_equal(np.asarray(student.classes_), classes):
            raise ValueError(
                f"The student learned the classes {list(student.classes_)}, the "
                f"teacher's are {list(classes)}."
            )
        self.classes_ = classes

    def _agreement(self, teacher, student, X):
        return float(np.mean(student.predict(X) == teacher.predict(X)))


@estimator
class DistilledRegressor(RegressorMixin, BaseDistilled):
    _KIND = "regressor"
    _parameter_constraints = {
        **BaseDistilled._parameter_constraints,
        "teacher": [HasMethods(["fit", "predict"])],
    }

    def __init__(
        self,
        teacher,
        student=None,
        *,
        alpha=0.5,
        n_synthetic=0,
        sampler="gaussian",
        keep_teacher=False,
        random_state=None,
    ):
        self.teacher = teacher
        self.student = student
        self.alpha = alpha
        self.n_synthetic = n_synthetic
        self.sampler = sampler
        self.keep_teacher = keep_teacher
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        student = self.student if self.student is not None else self._default_student(0)
        tags.target_tags.multi_output = get_tags(student).target_tags.multi_output
        return tags

    # -- the family's hooks ----------------------------------------------------
    def _default_student(self, seed):
        return MLPRegressor(hidden_layer_sizes=(32,), random_state=seed)

    def _unit_weights_optional(self):
        return True

    def _groups(self, y):
        return None  # one Gaussian over all rows

    def _validate_training(self, X, y):
        multi = get_tags(self).target_tags.multi_output
        return validate_data(
            self,
            X,
            y,
            multi_output=multi,
            y_numeric=True,
            dtype=[np.float64, np.float32],
        )

    def _student_data(self, teacher, X, y, weights, X_extra):
        """(X, targets, sample_weight): the teacher's values, mixed with y on
        the labeled rows."""
        X_all = np.concatenate([X, X_extra])
        targets = _values(teacher, X_all, y.shape[1:])
        n = len(X)
        targets[:n] = mix(targets[:n], y, self.alpha)
        return X_all, targets, np.concatenate([weights, np.ones(len(X_extra))])

    def _agreement(self, teacher, student, X):
        predicted = np.asarray(student.predict(X), dtype=float)
        return float(r2_score(_values(teacher, X, predicted.shape[1:]), predicted))


def _values(teacher, X, shape):
    """The teacher's predictions as floats of shape (n_samples, *shape)."""
    return np.asarray(teacher.predict(X), dtype=float).reshape((len(X), *shape))


_CLASSIFIER_DOC = f"""Knowledge distillation: a small student classifier trained on a
teacher's softened probabilities.

The student learns, for each labeled row, the target
``alpha * q_T(x) + (1 - alpha) * onehot(y)``, where
``q_T = softmax(log(p_teacher(x)) / temperature)`` softens the teacher's
probabilities; for each unlabeled (``X_unlabeled``) and synthetic
(``n_synthetic``) row, ``q_T(x)``. It minimises the cross-entropy
``sum_i w_i sum_k m_ik (-log p_student_k(x_i))`` through ordinary weighted
fitting: each row is repeated once per class with that class as label and
``w_i * m_ik`` as sample weight (entries below 1e-3 are dropped and the row
renormalised), so any student whose ``fit`` takes ``sample_weight`` works.
The student trains at temperature 1 (Hinton et al. also soften the student's
logits during training; this variant softens the targets only). Predictions
come from the student alone. See the user guide's distillation page.

Parameters
----------
{_TEACHER.format(method="predict_proba")}
student : classifier or None, default=None
    The model to train (cloned; any classifier whose ``fit`` takes
    ``sample_weight``, e.g. an sktrain ``MLPClassifier`` or
    ``KerasClassifier``). None: ``MLPClassifier(hidden_layer_sizes=(32,))``
    seeded from ``random_state``. If the student would split off its own
    validation data (``early_stopping=True``, ``validation_split``), the
    validation rows are split off the labeled rows instead (stratified,
    the student's fraction) and passed as ``X_val`` / ``y_val`` with hard
    labels, so no copy of a training row is a validation row; another
    estimator with ``early_stopping`` on is refused.

temperature : float, default=2.0
    Softens the teacher's probabilities, > 0: 1 keeps them, higher is
    flatter (more weight on the teacher's ranking of wrong classes).

{_COMMON_PARAMETERS}
Attributes
----------
classes_ : ndarray of shape (n_classes,)
    The teacher's classes (every label of y is one of them).

{
    _COMMON_ATTRIBUTES.format(
        agreement="the fraction of rows where the student's "
        "prediction equals the teacher's"
    )
}
See Also
--------
DistilledRegressor : The regressor counterpart.
sklearn.frozen.FrozenEstimator : Keeps a prefit teacher fitted through clone.

Examples
--------
>>> from sklearn.datasets import make_classification
>>> from sklearn.ensemble import RandomForestClassifier
>>> from sktrain import DistilledClassifier, MLPClassifier
>>> X, y = make_classification(n_samples=100, random_state=0)
>>> est = DistilledClassifier(
...     RandomForestClassifier(n_estimators=20, random_state=0),
...     student=MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01,
...                           max_iter=100, random_state=0),
...     temperature=2.0, alpha=0.5, n_synthetic=100, random_state=0,
... ).fit(X, y)
>>> est.predict_proba(X[:2]).shape
(2, 2)
>>> est.agreement_ > 0.8
True
>>> hasattr(est, "teacher_")  # not kept: the student predicts alone
False
"""

_REGRESSOR_DOC = f"""Knowledge distillation: a small student regressor trained on a
teacher's predictions.

The student fits, for each labeled row, the target
``alpha * teacher(x) + (1 - alpha) * y`` (its squared error is
``alpha * MSE(teacher, f) + (1 - alpha) * MSE(y, f)`` plus a constant), and
``teacher(x)`` for each unlabeled (``X_unlabeled``) and synthetic
(``n_synthetic``) row. Predictions come from the student alone. See the user
guide's distillation page.

Parameters
----------
{_TEACHER.format(method="predict")}
student : regressor or None, default=None
    The model to train (cloned; any regressor, whose ``fit`` must take
    ``sample_weight`` when ``sample_weight`` is given). None:
    ``MLPRegressor(hidden_layer_sizes=(32,))`` seeded from
    ``random_state``. A student that would split off its own validation
    data gets ``X_val`` / ``y_val`` split off the labeled rows instead, as
    in ``DistilledClassifier``.

{_COMMON_PARAMETERS}
Attributes
----------
{
    _COMMON_ATTRIBUTES.format(
        agreement="R² of the student's predictions against the teacher's"
    )
}
See Also
--------
DistilledClassifier : The classifier counterpart.

Examples
--------
>>> from sklearn.datasets import make_regression
>>> from sklearn.linear_model import Ridge
>>> from sktrain import DistilledRegressor, MLPRegressor
>>> X, y = make_regression(n_samples=100, n_features=4, noise=1.0, random_state=0)
>>> est = DistilledRegressor(
...     Ridge(), student=MLPRegressor(hidden_layer_sizes=(16,),
...                                   learning_rate_init=0.05, max_iter=300,
...                                   random_state=0),
...     alpha=0.5, n_synthetic=100, sampler="mixup", random_state=0,
... ).fit(X, y / 100)
>>> est.predict(X[:2]).shape
(2,)
>>> est.agreement_ > 0.9
True
"""

DistilledClassifier.__doc__ = _CLASSIFIER_DOC
DistilledRegressor.__doc__ = _REGRESSOR_DOC
