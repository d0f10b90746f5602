"""Target encoders: user labels/values <-> what the network trains on.

Each encoder is fitted once (at the first ``fit``/``partial_fit``), then
``transform`` turns ``y`` into a float array for Keras and ``decode`` turns the
network's output back into predictions in the user's label space.
"""

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d


def as_1d_if_column(y):
    """Ravel a column vector y with sklearn's DataConversionWarning."""
    y = np.asarray(y) if not hasattr(y, "dtype") else y
    if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


class ClassificationTarget:
    """Binary, multiclass and multilabel-indicator targets.

    ``kind`` is 'binary' (one sigmoid unit), 'multiclass' (softmax over
    ``classes_``) or 'multilabel' (one sigmoid unit per label).
    """

    def __init__(self, estimator_name):
        self.estimator_name = estimator_name

    def fit(self, y, classes=None):
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type == "multilabel-indicator":
            self.kind = "multilabel"
            self.classes_ = np.arange(y.shape[1])
            return self
        self._encoder = LabelEncoder().fit(y if classes is None else classes)
        self.classes_ = self._encoder.classes_
        if classes is None and len(self.classes_) < 2:
            raise ValueError(
                f"{self.estimator_name} needs samples of at least 2 classes in "
                f"the data, but the data contains only one class: "
                f"{self.classes_[0]!r}."
            )
        self.kind = "binary" if len(self.classes_) <= 2 else "multiclass"
        return self

    @property
    def n_outputs(self):
        return 1 if self.kind == "binary" else len(self.classes_)

    @property
    def out_activation(self):
        return "softmax" if self.kind == "multiclass" else "logistic"

    def check_same_kind(self, y, *, context):
        """Raise if y's labels are not a subset of the fitted classes."""
        check_classification_targets(y)
        if self.kind == "multilabel":
            if type_of_target(y) != "multilabel-indicator" or y.shape[1] != len(
                self.classes_
            ):
                raise ValueError(
                    f"{context}: y must be a multilabel indicator matrix with "
                    f"{len(self.classes_)} columns, as in the first fit."
                )
            return
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"{context}: y contains labels not seen before: {unseen.tolist()}. "
                f"Known classes: {self.classes_.tolist()}."
            )

    def transform(self, y, one_hot=True):
        """y -> float targets (n, n_outputs); integer codes if not one_hot."""
        if self.kind == "multilabel":
            return np.asarray(y, dtype=np.float32)
        codes = self._encoder.transform(y)
        if self.kind == "binary":
            return codes.astype(np.float32).reshape(-1, 1)
        if not one_hot:
            return codes.astype(np.int32)
        return np.eye(len(self.classes_), dtype=np.float32)[codes]

    def class_codes(self, y):
        """Integer class code per sample (single-output only)."""
        return self._encoder.transform(y)

    def proba(self, out):
        """Network output -> predict_proba array."""
        if self.kind == "binary":
            out = out.reshape(-1)
            return np.column_stack([1.0 - out, out])
        return out

    def decode(self, out):
        """Network output -> predicted labels."""
        if self.kind == "multilabel":
            return (out > 0.5).astype(int)
        if self.kind == "binary":
            codes = (out.reshape(-1) > 0.5).astype(int)
        else:
            codes = np.argmax(out, axis=1)
        return self.classes_[codes]


class RegressionTarget:
    """Single- and multi-output continuous targets."""

    kind = "regression"

    def __init__(self, estimator_name):
        self.estimator_name = estimator_name

    def fit(self, y, classes=None):
        self._was_1d = y.ndim == 1
        self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        return self

    @property
    def n_outputs(self):
        return self._n_outputs

    def check_same_kind(self, y, *, context):
        n_out = 1 if y.ndim == 1 else y.shape[1]
        if n_out != self._n_outputs:
            raise ValueError(
                f"{context}: y has {n_out} output(s), but {self.estimator_name} "
                f"was fitted with {self._n_outputs}."
            )

    def transform(self, y, one_hot=True):
        y = np.asarray(y, dtype=np.float64)
        return y.reshape(len(y), -1)

    def decode(self, out):
        return out.reshape(-1) if self._was_1d else out
