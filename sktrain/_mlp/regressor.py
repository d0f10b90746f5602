"""MLPRegressor: sklearn's MLPRegressor on Keras."""

from .._io.registry import estimator
from .._mixins import RegressorHooks
from .._utils.docstrings import MLP_ATTRIBUTES, MLP_PARAMETERS, MLP_PARAMETERS_END
from .base import BaseMLP


@estimator
class MLPRegressor(RegressorHooks, BaseMLP):
    def __init__(
        self,
        loss="squared_error",
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
        **loss_params,
    ):
        params = {k: v for k, v in locals().items() if k not in _SKIP}
        super().__init__(**params, **loss_params)

    # -- lifecycle hooks ----------------------------------------------------
    def _check_y(self, y):
        y = super()._check_y(y)
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError("loss='poisson' requires y >= 0.")
        return y

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"


_SKIP = {"self", "__class__", "loss_params"}

MLPRegressor.__doc__ = f"""Multi-layer perceptron regressor trained with Keras.

A drop-in for :class:`sklearn.neural_network.MLPRegressor` (same parameters,
defaults and fitted attributes) whose network is a ``keras.Model`` trained on
CPU or GPU, with dropout, L1/L2, batch normalization, any Keras loss,
optimizer, metric or callback as flat, tunable parameters.

Parameters
----------
loss : str, class, keras.losses.Loss or callable, default='squared_error'
    'squared_error' (half the mean squared error, as in sklearn),
    'poisson' (exponential output; summed over the outputs of a 2-D y, as
    in sklearn), 'huber' (quadratic up to ``loss__delta``, default 1.0,
    linear beyond), 'quantile' (the pinball loss of the levels
    ``loss__quantile``: a float in (0, 1) or a list of them, default 0.5;
    one output per level, so ``predict`` returns shape (n_samples,) for
    one level and (n_samples, n_levels) for several, columns in the order
    of the sorted levels and each row sorted; y must be 1-D), or any Keras
    loss name ('mae', ...), class, instance or function.
    ``loss__<name>=value`` configures it.
{MLP_PARAMETERS}{MLP_PARAMETERS_END}
Attributes
----------
out_activation_ : str
    'identity', or 'exp' with ``loss='poisson'``.
{MLP_ATTRIBUTES}
See Also
--------
MLPClassifier : The classifier counterpart.
sklearn.neural_network.MLPRegressor : The NumPy implementation it mirrors.

Examples
--------
>>> from sklearn.datasets import make_regression
>>> from sktrain import MLPRegressor
>>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
>>> reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
>>> reg = reg.fit(X / 10, y / 100)
>>> reg.predict(X[:2] / 10).shape
(2,)
"""
