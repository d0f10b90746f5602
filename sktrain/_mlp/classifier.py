"""MLPClassifier: sklearn's MLPClassifier on Keras."""

from .._io.registry import estimator
from .._mixins import ClassifierHooks
from .._utils.docstrings import (
    LABEL_SMOOTHING,
    MLP_ATTRIBUTES,
    MLP_PARAMETERS,
    MLP_PARAMETERS_END,
)
from .base import BaseMLP


@estimator
class MLPClassifier(ClassifierHooks, BaseMLP):
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
        kernel_initializer="sklearn",
        metrics=None,
        class_weight=None,
        callbacks=None,
        clipnorm=None,
        device="auto",
        dtype=None,
        on_nan="raise",
        warmup=0,
        lr_step_size=10,
        lr_gamma=None,
        lr_min=0.0,
        lr_patience=5,
        scoring=None,
        checkpoint=None,
        gradient_accumulation_steps=None,
        clipvalue=None,
        global_clipnorm=None,
        weight_decay=None,
        ema=None,
        distribution=None,
        label_smoothing=0.0,
        **loss_params,
    ):
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        params = {k: v for k, v in locals().items() if k not in _SKIP}
        super().__init__(**params, **loss_params)

    # -- lifecycle hooks ----------------------------------------------------
    def _out_activation(self):
        return self._target.out_activation


_SKIP = {"self", "__class__", "class_weight", "label_smoothing", "loss_params"}

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
    target (summed over the labels of a multilabel target, as in
    sklearn). 'focal' is the focal loss (Lin et al.), which down-weights
    easy examples by ``(1 - p_t) ** loss__gamma`` (default 2.0): for
    binary and multilabel targets Keras' ``BinaryFocalCrossentropy`` with
    class balancing, the positive class (``classes_[1]``, a label's 1)
    weighted by ``loss__alpha`` (default 0.25) and the negative by
    ``1 - loss__alpha``, summed over the labels; for multiclass targets
    ``CategoricalFocalCrossentropy``, where ``loss__alpha`` scales every
    class alike. Any Keras loss name, class, instance or function also
    works; ``loss__<name>=value`` configures it.

class_weight : dict, 'balanced' or None, default=None
    Weights of the classes, multiplied into ``sample_weight``.

{LABEL_SMOOTHING}{MLP_PARAMETERS_END}
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
