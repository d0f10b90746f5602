"""Target encoders: user labels/values <-> what the network trains on.

Every encoder follows the ``Target`` protocol. It is fitted once (at the
first ``fit``/``partial_fit``); ``encode`` turns ``y`` into the array Keras
trains on and ``decode`` turns the network's output back into predictions in
the user's label space. The estimator asks it everything target-specific:
class weights, stratification, the validation score.
"""

from typing import Protocol

import numpy as np
from scipy.special import expit, softmax
from sklearn.metrics import accuracy_score, mean_pinball_loss, r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ._io.registry import state_class

state_class(LabelEncoder)


class Target(Protocol):
    """What the lifecycle needs of a target encoder."""

    kind: str  # 'binary', 'multiclass', 'multilabel', 'regression', 'autoencoder'
    target_type: str  # sklearn's type_of_target of the fitted y

    @property
    def n_outputs(self) -> int:
        """Units of the network's last layer this target implies."""

    def fit(self, y, classes=None) -> "Target":
        """Learn the labels / shape of y."""

    def configure_output(self, units, **network) -> "Target":
        """Adapt to the built network's output (units, sparse labels, logits)."""

    def check(self, y, *, context) -> None:
        """Raise ValueError if a continued fit's y does not fit this encoder."""

    def encode(self, y, dtype):
        """y as the network trains on it (floats in ``dtype``, or class codes)."""

    def decode(self, out):
        """Network output -> predictions in the user's space."""

    def class_weights(self, y, class_weight):
        """Per-sample weights from ``class_weight`` (1.0 when not applicable)."""

    def stratify(self, y):
        """What to stratify the validation split by, or None."""

    def validation_score(self, y, out, sample_weight) -> float:
        """sklearn's score of the network output on the validation split."""

    # a classification target may also give sklearn's rules on a continued
    # fit's classes: ``check_classes(classes)`` (partial_fit) and
    # ``check_same_classes(y)`` (fit with warm_start=True)


def as_1d_if_column(y):
    """Ravel a column vector y with sklearn's DataConversionWarning."""
    y = np.asarray(y) if not hasattr(y, "dtype") else y
    if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


@state_class
class ClassificationTarget:
    """Binary, multiclass and multilabel-indicator targets.

    ``kind`` is 'binary' (one sigmoid unit), 'multiclass' (softmax over
    ``classes_``) or 'multilabel' (one sigmoid unit per label). A y of a
    single class is a binary target that always predicts that class (as
    sklearn's MLP does): the unit trains towards 0, the class's code.
    """

    def __init__(self, estimator_name):
        self.estimator_name = estimator_name

    def fit(self, y, classes=None):
        check_classification_targets(y)
        target_type = type_of_target(y)
        self.target_type = target_type
        self.y_ndim = np.ndim(y)
        self._units, self._sparse, self._logits = None, False, False
        if target_type == "multilabel-indicator":
            self.kind = "multilabel"
            self.classes_ = np.arange(y.shape[1])
            return self
        if np.ndim(y) == 2:
            raise ValueError(
                f"{self.estimator_name} got a 2-D y of type {target_type!r}; "
                "2-D targets must be a multilabel indicator matrix (0/1 "
                "columns). For several multiclass outputs, fit one estimator "
                "per column (sklearn.multioutput.MultiOutputClassifier)."
            )
        self._encoder = LabelEncoder().fit(y if classes is None else classes)
        self.classes_ = self._encoder.classes_
        self.kind = "binary" if len(self.classes_) <= 2 else "multiclass"
        self.target_type = type_of_target(self.classes_)
        return self

    @property
    def n_outputs(self):
        return 1 if self.kind == "binary" else len(self.classes_)

    def configure_output(self, units, *, sparse_labels=False, from_logits=False, **_):
        """Adapt encoding and decoding to the network's last layer.

        ``units`` is the size of the network's output: 1 (one sigmoid unit,
        binary only) or one unit per class / label. ``sparse_labels`` trains
        on integer class codes (sparse categorical losses); ``from_logits``
        means the output is logits, so probabilities apply sigmoid/softmax.
        """
        expected = (
            {1, len(self.classes_)} if self.kind == "binary" else {self.n_outputs}
        )
        if units not in expected:
            want = " or ".join(str(u) for u in sorted(expected))
            raise ValueError(
                f"The model's output has {units} unit(s), but this {self.kind} "
                f"target with {len(self.classes_)} classes/labels needs {want}: "
                "give the last layer one unit per class (softmax), or one "
                "sigmoid unit for a binary target."
            )
        self._units = units
        self._sparse = bool(sparse_labels) and self.kind != "multilabel"
        self._logits = bool(from_logits)
        return self

    @property
    def one_unit(self):  # one (sigmoid) output unit
        return (self._units or self.n_outputs) == 1

    @property
    def from_logits(self):  # the network outputs logits (``configure_output``)
        return self._logits

    @property
    def out_activation(self):
        return "softmax" if self.kind == "multiclass" else "logistic"

    def check_classes(self, classes):
        """``partial_fit``'s rule: ``classes``, when given again, must be the
        fitted ones (sklearn's message)."""
        if not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to "
                f"partial_fit, was: {self.classes_!r}. Every call must pass "
                "the classes of the first (or None); to learn other classes, "
                "fit a new estimator."
            )

    def check_same_classes(self, y):
        """``warm_start``'s rule (sklearn's): a refit's y has exactly the
        fitted classes; ``partial_fit`` may see a subset (``check``)."""
        if self.kind == "multilabel":
            return  # the columns are the labels: ``check`` compares them
        present = unique_labels(y)
        if set(present.tolist()) != set(self.classes_.tolist()):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes "
                f"as in the previous call to fit. Previously got {self.classes_}, "
                f"`y` has {present}. Set warm_start=False to train a new "
                "network on these classes."
            )

    def check(self, y, *, context):
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
                f"{context}: Found unknown categories in y, labels not seen "
                f"before: {unseen.tolist()}. "
                f"Known classes: {self.classes_.tolist()}."
            )

    def encode(self, y, dtype):
        """y -> float targets (n, units); integer codes for sparse losses."""
        if self.kind == "multilabel":
            return np.asarray(y, dtype=dtype)
        codes = self._encoder.transform(y)
        if self.one_unit:
            return codes.astype(dtype).reshape(-1, 1)
        if not self._sparse:
            return np.eye(len(self.classes_), dtype=dtype)[codes]
        return codes.astype(np.int32)

    def class_weights(self, y, class_weight):
        """Per-sample weights from a dict or 'balanced' (single-output only)."""
        if class_weight is None:
            return 1.0
        if self.kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        classes = self.classes_
        if isinstance(class_weight, str) and class_weight == "balanced":
            present = np.unique(y)
            weights = np.ones(len(classes))
            idx = np.searchsorted(classes, present)
            weights[idx] = compute_class_weight("balanced", classes=present, y=y)
        else:
            unknown = [c for c in class_weight if c not in set(classes.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight names classes not in the data: {unknown}. "
                    f"Known classes: {classes.tolist()}."
                )
            weights = np.array([class_weight.get(c, 1.0) for c in classes])
        return weights[self.class_codes(y)]

    def stratify(self, y):
        """The labels, or for two classes what sklearn's MLP stratifies by:
        the binarized y's one column, whose groups a too-rare-class error
        names 'True' (``classes_[1]``) and 'False' (same split either way)."""
        if self.kind == "multilabel":
            return None
        if len(self.classes_) == 2:
            return (self.class_codes(y) == 1).reshape(-1, 1)
        return y

    def validation_score(self, y, out, sample_weight):
        return accuracy_score(y, self.decode(out), sample_weight=sample_weight)

    def class_codes(self, y):
        """Integer class code per sample (single-output only)."""
        return self._encoder.transform(y)

    def proba(self, out):
        """Network output -> predict_proba array."""
        out = out.reshape(len(out), -1)
        if len(self.classes_) == 1:
            return np.ones((len(out), 1), dtype=out.dtype)
        if self._logits:
            sigmoid = self.one_unit or self.kind == "multilabel"
            out = expit(out) if sigmoid else softmax(out, axis=1)
        if self.one_unit and self.kind == "binary":
            out = out.reshape(-1)
            return np.column_stack([1.0 - out, out])
        return out

    def decode(self, out):
        """Network output -> predicted labels."""
        out = out.reshape(len(out), -1)
        cut = 0.0 if self._logits else 0.5
        if self.kind == "multilabel":
            return (out > cut).astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(out))
        if self.one_unit:
            codes = (out.reshape(-1) > cut).astype(int)
        else:
            codes = np.argmax(out, axis=1)
        return self.classes_[codes]


@state_class
class RegressionTarget:
    """Single- and multi-output continuous targets.

    With ``quantiles`` (sorted levels, ``loss='quantile'``) y is one column
    and the network has one output unit per level; ``decode`` sorts each
    row, so the predicted quantiles never cross.
    """

    kind = "regression"
    quantiles = None  # also for targets stored before quantiles existed

    def __init__(self, estimator_name, quantiles=None):
        self.estimator_name = estimator_name
        self.quantiles = None if quantiles is None else tuple(quantiles)

    def fit(self, y, classes=None):
        if self.quantiles is not None and y.ndim != 1:
            raise ValueError(
                f"loss='quantile' predicts quantiles of one target, but y has "
                f"{y.shape[1]} columns. Fit one {self.estimator_name} per column "
                "(sklearn.multioutput.MultiOutputRegressor)."
            )
        self.target_type = type_of_target(y)
        # probabilities as targets (distillation) may use a cross-entropy loss
        self.soft_targets = bool(np.all((y >= 0) & (y <= 1)))
        self._was_1d = y.ndim == 1
        self.y_ndim = y.ndim
        self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        return self

    def configure_output(self, units, **_):
        """Check the network's output size against the number of targets
        (of quantile levels)."""
        if units != self.n_outputs:
            what = "quantile level(s)" if self.quantiles else "target column(s)"
            raise ValueError(
                f"The model's output has {units} unit(s), but y has "
                f"{self.n_outputs} {what}: give the last layer "
                f"{self.n_outputs} unit(s)."
            )
        return self

    @property
    def n_outputs(self):
        return len(self.quantiles) if self.quantiles else self._n_outputs

    @property
    def predicts_1d(self):  # a 1-D y, one output: 1-D predictions
        return self._was_1d and self.n_outputs == 1

    def check(self, y, *, context):
        n_out = 1 if y.ndim == 1 else y.shape[1]
        if n_out != self._n_outputs:
            raise ValueError(
                f"{context}: Detected ``y`` to have {n_out} output(s) "
                f"(columns), but {self.estimator_name} was fitted with "
                f"{self._n_outputs}."
            )

    def encode(self, y, dtype):
        y = np.asarray(y, dtype=dtype)
        return y.reshape(len(y), -1)

    def decode(self, out):
        out = out.reshape(len(out), -1)
        if self.quantiles:
            out = np.sort(out, axis=1)  # no quantile crossing
        return out.reshape(-1) if self._was_1d and out.shape[1] == 1 else out

    def class_weights(self, y, class_weight):
        return 1.0

    def stratify(self, y):
        return None

    def validation_score(self, y, out, sample_weight):
        """R², or for quantiles minus the mean pinball loss over the levels."""
        if not self.quantiles:
            return r2_score(y, self.decode(out), sample_weight=sample_weight)
        pred = self.decode(out).reshape(len(y), -1)
        return -np.mean(
            [
                mean_pinball_loss(y, pred[:, j], alpha=q, sample_weight=sample_weight)
                for j, q in enumerate(self.quantiles)
            ]
        )


@state_class
class ReconstructionTarget(RegressionTarget):
    """The target of an autoencoder: X itself, any shape."""

    kind = "autoencoder"
    target_type = "continuous-multioutput"

    def fit(self, y, classes=None):
        self.shape = tuple(y.shape[1:])
        return self

    @property
    def n_outputs(self):
        return int(np.prod(self.shape))

    def configure_output(self, units, *, shape, **_):
        if tuple(shape) != self.shape:
            raise ValueError(
                f"With target='X' the model must reconstruct its input: its "
                f"output has per-sample shape {tuple(shape)}, X has {self.shape}."
            )
        return self

    def check(self, y, *, context):
        if tuple(y.shape[1:]) != self.shape:
            raise ValueError(f"{context}: X changed shape since the first fit.")

    def encode(self, y, dtype):
        return np.asarray(y, dtype=dtype)

    def decode(self, out):
        return out
