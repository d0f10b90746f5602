"""What every sktrain classifier / regressor shares, whatever builds its network.

``ClassifierHooks`` is mixed into ``MLPClassifier`` and ``KerasClassifier``,
``RegressorHooks`` into ``MLPRegressor`` and ``KerasRegressor``: sklearn's
mixin, the public ``partial_fit`` / ``predict*`` methods, and the target
encoder the lifecycle uses (``_targets.py``).
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if

from ._targets import ClassificationTarget, RegressionTarget, as_1d_if_column


def _partial_fit_available(est):
    """``partial_fit`` exists when the estimator says so (not with lbfgs)."""
    return est._partial_fit_available()


def _class_rule(target, name):
    """sklearn's rule on the classes of a continued fit, from the target
    (``ClassificationTarget``); a target without it (a user's encoder, which
    owns the labels) accepts anything."""
    return getattr(target, name, lambda _: None)


class LogProba:
    """``predict_log_proba`` from ``predict_proba``, for every classifier."""

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log class probabilities.
        """
        return np.log(self.predict_proba(X))


class ClassifierHooks(LogProba, ClassifierMixin):
    """sklearn's ClassifierMixin plus the classifier side of the lifecycle."""

    _STORED = ("classes_",)
    # SciKeras took the classes from the first partial_fit's y; sklearn asks
    _CLASSES_FROM_FIRST_Y = False

    @available_if(_partial_fit_available)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on (X, y); ``classes`` is needed on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels.
        classes : array-like of shape (n_classes,), default=None
            All labels that can appear in any call; required on the first
            one (the Keras* wrappers take the first y's labels instead, as
            SciKeras did). A later call may omit it or pass the same classes again
            (other classes raise a ``ValueError``); its y may hold any subset
            of them.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The trained estimator.
        """
        if not hasattr(self, "model_"):
            if classes is None and not self._CLASSES_FROM_FIRST_Y:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
        elif classes is not None:
            _class_rule(self._target, "check_classes")(classes)
        return self._partial_fit(X, y, sample_weight=sample_weight, classes=classes)

    def predict(self, X):
        """Predict class labels (label-indicator rows for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels, in the labels' original type.
        """
        out = self._forward(X)
        return self._target.decode(out)

    def predict_proba(self, X):
        """Probability of each class (of each label for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        out = self._forward(X)
        return self._target.proba(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- lifecycle hooks ----------------------------------------------------
    def _check_y(self, y):
        return as_1d_if_column(y)

    def _make_target(self):
        return ClassificationTarget(type(self).__name__)

    def _continue(self, X, y, incremental):
        if not incremental:  # fit with warm_start=True: sklearn's rule
            _class_rule(self._target, "check_same_classes")(y)
        super()._continue(X, y, incremental)

    def _before_build(self, X, y):
        super()._before_build(X, y)
        self.classes_ = self._target.classes_


class RegressorHooks(RegressorMixin):
    """sklearn's RegressorMixin plus the regressor side of the lifecycle."""

    @available_if(_partial_fit_available)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The trained estimator.
        """
        return self._partial_fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        out = self._forward(X)
        return self._target.decode(out)

    # -- lifecycle hooks ----------------------------------------------------
    def _check_y(self, y):
        return as_1d_if_column(y)

    def _make_target(self):
        from ._factory.regression_losses import quantile_levels
        from ._utils.routing import routed

        params = routed(self.get_params(deep=False), "loss")
        levels = quantile_levels(self.loss, params)  # loss='quantile'
        return RegressionTarget(type(self).__name__, quantiles=levels)
