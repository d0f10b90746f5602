"""KerasClassifier and KerasRegressor: bring your own Keras model."""

from sklearn.utils._param_validation import StrOptions

from .._engine.options import CLASSIFIER_CONSTRAINTS
from .._io.registry import estimator
from .._mixins import ClassifierHooks, RegressorHooks
from .._utils.docstrings import (
    LABEL_SMOOTHING,
    WRAPPER_ATTRIBUTES,
    WRAPPER_MODEL,
    WRAPPER_PARAMETERS,
)
from .base import BaseKerasWrapper

_SKIP = {"self", "__class__", "kwargs"}


@estimator
class KerasClassifier(ClassifierHooks, BaseKerasWrapper):
    _parameter_constraints: dict = {
        **BaseKerasWrapper._parameter_constraints,
        **CLASSIFIER_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _STORED = ("n_classes_",)
    _CLASSES_FROM_FIRST_Y = True

    def __init__(
        self,
        model=None,
        *,
        loss=None,
        optimizer="rmsprop",
        metrics=None,
        batch_size=None,
        epochs=1,
        verbose=0,
        callbacks=None,
        validation_split=0.0,
        shuffle=True,
        class_weight=None,
        random_state=None,
        warm_start=False,
        device="auto",
        run_eagerly=False,
        jit_compile=False,
        on_nan="raise",
        dtype=None,
        lr_schedule=None,
        warmup=0,
        lr_step_size=10,
        lr_gamma=None,
        lr_min=0.0,
        lr_patience=5,
        scoring=None,
        checkpoint=None,
        gradient_accumulation_steps=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        weight_decay=None,
        ema=None,
        distribution=None,
        freeze=None,
        unfreeze_at=None,
        label_smoothing=0.0,
        **kwargs,
    ):
        params = {k: v for k, v in locals().items() if k not in _SKIP}
        super().__init__(**params, **kwargs)

    def fit(self, X, y=None, sample_weight=None, *, classes=None, **kwargs):
        """Train a new network on X and y (or continue it with ``warm_start``).

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, dict/list of arrays, \
tf.data.Dataset or callable
            Training data; a ``tf.data.Dataset`` of ``(x, y)`` or
            ``(x, y, sample_weight)`` batches or a generator factory needs
            ``classes`` (see the user guide's "Data larger than memory").
        y : array-like of shape (n_samples,) or (n_samples, n_labels), \
default=None
            Target labels (None with a dataset).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights (with a dataset: in its batches).
        classes : array-like of shape (n_classes,), default=None
            Every class label, for a fit on a dataset only (its labels cannot
            be read before the data streams); with arrays, y gives them.
        **kwargs : dict
            ``X_val``, ``y_val``, ``sample_weight_val`` and ``keras.Model.fit``
            settings for this call (``epochs=5``), as for ``KerasRegressor``.

        Returns
        -------
        self : KerasClassifier
            The fitted classifier.
        """
        self._call_classes = classes
        try:
            return super().fit(X, y, sample_weight, **kwargs)
        finally:
            del self._call_classes

    def _before_build(self, X, y):
        super()._before_build(X, y)
        learned = getattr(self._target, "n_classes_", None)  # a user's encoder's
        self.n_classes_ = len(self.classes_) if learned is None else learned


@estimator
class KerasRegressor(RegressorHooks, BaseKerasWrapper):
    def __init__(
        self,
        model=None,
        *,
        loss=None,
        optimizer="rmsprop",
        metrics=None,
        batch_size=None,
        epochs=1,
        verbose=0,
        callbacks=None,
        validation_split=0.0,
        shuffle=True,
        random_state=None,
        warm_start=False,
        device="auto",
        run_eagerly=False,
        jit_compile=False,
        on_nan="raise",
        dtype=None,
        lr_schedule=None,
        warmup=0,
        lr_step_size=10,
        lr_gamma=None,
        lr_min=0.0,
        lr_patience=5,
        scoring=None,
        checkpoint=None,
        gradient_accumulation_steps=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        weight_decay=None,
        ema=None,
        distribution=None,
        freeze=None,
        unfreeze_at=None,
        **kwargs,
    ):
        params = {k: v for k, v in locals().items() if k not in _SKIP}
        super().__init__(**params, **kwargs)


KerasClassifier.__doc__ = f"""Wrap any Keras model as a scikit-learn classifier.

Binary, multiclass and multilabel targets with labels of any type; the
model's last layer has one sigmoid unit (binary), one unit per class
(softmax, or logits with a ``from_logits=True`` loss) or one sigmoid unit
per label. ``predict`` returns the original labels, ``predict_proba`` one
column per class in ``classes_`` order. Inputs may be 2-D (numpy, pandas,
scipy sparse), N-D (images, sequences) or a dict/list of arrays for a
multi-input model.

Parameters
----------
{WRAPPER_MODEL}
loss : str, class, keras.losses.Loss, callable or None, default=None
    None picks binary cross-entropy for one sigmoid unit or multilabel
    targets and categorical cross-entropy otherwise; a sparse categorical
    loss trains on integer class codes. 'focal' is the focal loss:
    ``BinaryFocalCrossentropy`` with class balancing for sigmoid units
    (the positive class weighted by ``loss__alpha``, default 0.25, the
    negative by ``1 - loss__alpha``), ``CategoricalFocalCrossentropy``
    for softmax; ``loss__gamma`` (default 2.0) focuses it on hard
    examples. ``loss__name=value`` configures any loss. Ignored when the
    build function compiles the model itself.

{WRAPPER_PARAMETERS}
class_weight : dict, 'balanced' or None, default=None
    Weights of the classes, multiplied into ``sample_weight``.

{LABEL_SMOOTHING}
Attributes
----------
classes_ : ndarray of shape (n_classes,)
    Class labels (label indices for multilabel targets).

n_classes_ : int
    Number of classes (labels for multilabel targets).

{WRAPPER_ATTRIBUTES}
See Also
--------
KerasRegressor : The regressor counterpart.
KerasTransformer : A Keras model as a transformer.
MLPClassifier : The ready-made network, with sklearn's MLP parameters.

Examples
--------
>>> import keras
>>> from sklearn.datasets import make_classification
>>> from sktrain import KerasClassifier
>>> X, y = make_classification(n_samples=200, n_features=8, random_state=0)
>>> def build(n_features_in, n_outputs, output_activation, units=16):
...     return keras.Sequential([
...         keras.Input((n_features_in,)),
...         keras.layers.Dense(units, activation="relu"),
...         keras.layers.Dense(n_outputs, activation=output_activation),
...     ])
>>> clf = KerasClassifier(build, units=32, optimizer="adam",
...                       optimizer__learning_rate=0.01, epochs=20,
...                       random_state=0).fit(X, y)
>>> clf.predict_proba(X[:2]).shape
(2, 2)
>>> clf.score(X, y) > 0.8
True
"""

KerasRegressor.__doc__ = f"""Wrap any Keras model as a scikit-learn regressor.

Single- and multi-output targets (the model's last layer has one unit per
target column). Inputs may be 2-D (numpy, pandas, scipy sparse), N-D
(images, sequences) or a dict/list of arrays for a multi-input model.

Parameters
----------
{WRAPPER_MODEL}
loss : str, class, keras.losses.Loss, callable or None, default=None
    None is the mean squared error. 'huber' is quadratic up to
    ``loss__delta`` (default 1.0), linear beyond. 'quantile' is the
    pinball loss of the levels ``loss__quantile`` (a float in (0, 1) or a
    list of them, default 0.5): the build function gets ``n_outputs`` =
    the number of levels, and ``predict`` returns shape (n_samples,) for
    one level, (n_samples, n_levels) for several (columns in the order of
    the sorted levels, each row sorted); y must be 1-D.
    ``loss__name=value`` configures any loss. Ignored when the build
    function compiles the model itself.

{WRAPPER_PARAMETERS}
Attributes
----------
{WRAPPER_ATTRIBUTES}
See Also
--------
KerasClassifier : The classifier counterpart.
MLPRegressor : The ready-made network, with sklearn's MLP parameters.

Examples
--------
>>> import keras
>>> from sklearn.datasets import make_regression
>>> from sktrain import KerasRegressor
>>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
>>> def build(meta, compile_kwargs, hidden=16):  # a SciKeras-style function
...     model = keras.Sequential([
...         keras.Input((meta["n_features_in_"],)),
...         keras.layers.Dense(hidden, activation="relu"),
...         keras.layers.Dense(1),
...     ])
...     model.compile(**compile_kwargs)
...     return model
>>> reg = KerasRegressor(build, model__hidden=32, optimizer="adam",
...                      epochs=5, random_state=0).fit(X, y / 100)
>>> reg.predict(X[:3]).shape
(3,)
>>> len(reg.history_["loss"])
5
"""
