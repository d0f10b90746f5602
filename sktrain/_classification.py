"""What every sktrain classifier shares, whatever builds its network.

``ClassifierHooks`` is mixed into ``MLPClassifier`` and ``KerasClassifier``:
the public ``partial_fit`` / ``predict*`` methods and the target hooks of the
lifecycle (label encoding, class weights, stratified validation split).
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight

from ._targets import ClassificationTarget, as_1d_if_column


class ClassifierHooks(ClassifierMixin):
    """sklearn's ClassifierMixin plus the classifier side of the lifecycle."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on (X, y); ``classes`` is needed on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels.
        classes : array-like of shape (n_classes,), default=None
            All labels that can appear in any call; required on the first one.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The trained estimator.
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- lifecycle hooks ----------------------------------------------------
    def _check_y(self, y):
        return as_1d_if_column(y)

    def _make_target(self):
        return ClassificationTarget(type(self).__name__)

    def _set_target_meta(self, X, y):
        super()._set_target_meta(X, y)
        self.classes_ = self._target.classes_

    def _stratify(self):
        return self._target.kind != "multilabel"

    def _encode(self, y):
        Y = self._target.transform(y)
        return Y if Y.dtype.kind == "i" else Y.astype(self._dtype)

    def _class_weights(self, y):
        if self.class_weight is None:
            return 1.0
        if self._target.kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        classes = self.classes_
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            present = np.unique(y)
            weights = np.ones(len(classes))
            idx = np.searchsorted(classes, present)
            weights[idx] = compute_class_weight("balanced", classes=present, y=y)
        else:
            unknown = [c for c in self.class_weight if c not in set(classes.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight names classes not in the data: {unknown}. "
                    f"Known classes: {classes.tolist()}."
                )
            weights = np.array([self.class_weight.get(c, 1.0) for c in classes])
        return weights[self._target.class_codes(y)]

    def _validation_score(self, y, out, sample_weight):
        return accuracy_score(y, self._target.decode(out), sample_weight=sample_weight)
