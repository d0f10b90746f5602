"""MLPClassifier: sklearn's MLPClassifier on Keras."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight

from ._docstrings import MLP_ATTRIBUTES, MLP_PARAMETERS
from ._mlp import BaseMLP
from ._targets import ClassificationTarget, as_1d_if_column


class MLPClassifier(ClassifierMixin, BaseMLP):
    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        loss="log_loss",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        l1=0.0,
        l2=0.0,
        batch_norm=False,
        kernel_initializer="glorot_uniform",
        metrics=None,
        class_weight=None,
        callbacks=None,
        clipnorm=None,
        device="auto",
        dtype=None,
    ):
        super().__init__(**{k: v for k, v in locals().items() if k not in _SKIP})

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
        self : MLPClassifier
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

    def _initialize(self, X, y, classes):
        super()._initialize(X, y, classes)
        self.classes_ = self._target.classes_
        self.out_activation_ = self._target.out_activation

    def _out_activation(self):
        return self._target.out_activation

    def _stratify(self):
        return self._target.kind != "multilabel"

    def _encode(self, y):
        from ._losses import uses_sparse_labels

        Y = self._target.transform(y, one_hot=not uses_sparse_labels(self.loss))
        return Y if Y.dtype.kind == "i" else Y.astype(self._dtype)

    def _class_weights(self, y):
        if self.class_weight is None:
            return 1.0
        if self._target.kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        classes = self.classes_
        if self.class_weight == "balanced":
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


_SKIP = {"self", "__class__"}

MLPClassifier.__doc__ = f"""Multi-layer perceptron classifier trained with Keras.

A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameters,
defaults and fitted attributes) whose network is a ``keras.Model`` trained on
CPU or GPU, with dropout, L1/L2, batch normalization, any Keras loss,
optimizer, metric or callback as flat, tunable parameters.

Parameters
----------
{MLP_PARAMETERS}
loss : str, class, keras.losses.Loss or callable, default='log_loss'
    'log_loss' picks binary or categorical cross-entropy from the
    target; any Keras loss name, class, instance or function also works.

class_weight : dict, 'balanced' or None, default=None
    Weights of the classes, multiplied into ``sample_weight``.

Attributes
----------
classes_ : ndarray or list of ndarray
    Class labels (label indices for multilabel targets).

out_activation_ : str
    'logistic' for binary and multilabel targets, 'softmax' otherwise.
{MLP_ATTRIBUTES}
See Also
--------
MLPRegressor : The regressor counterpart.
sklearn.neural_network.MLPClassifier : The NumPy implementation it mirrors.

Examples
--------
>>> from sklearn.datasets import make_classification
>>> from sktrain import MLPClassifier
>>> X, y = make_classification(n_samples=100, random_state=1)
>>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
...                     max_iter=100, random_state=1)
>>> clf = clf.fit(X, y)
>>> clf.predict_proba(X[:1]).shape
(1, 2)
>>> clf.score(X, y) > 0.9
True
"""
