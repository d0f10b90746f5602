"""The MLP estimators' parameters: ``_parameter_constraints`` (sklearn's
validation), routed ``loss__<name>`` keywords (``LossParams``) and sklearn's
read-only weight views ``coefs_`` / ``intercepts_`` (``WeightViews``)."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from .._engine.options import (
    CLASSIFIER_CONSTRAINTS,
    MLP_LEARNING_RATE,
    TOOLKIT_CONSTRAINTS,
)

MLP_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [str],
    "solver": [str, object],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": MLP_LEARNING_RATE,
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    # sktrain extras
    "loss": [str, callable, object],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "l1": [Interval(Real, 0, None, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "batch_norm": ["boolean"],
    "kernel_initializer": [str, object],
    "metrics": [list, tuple, None],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "callbacks": [list, tuple, None],
    "clipnorm": [Interval(Real, 0, None, closed="neither"), None],
    "device": [str],
    "on_nan": [StrOptions({"raise", "warn"})],
    **TOOLKIT_CONSTRAINTS,
    **CLASSIFIER_CONSTRAINTS,
}


def extra_names(est):
    """Keyword parameters beyond the signature's: routed ``loss__*`` ones
    (and, until ``fit`` refuses them, anything else passed by keyword)."""
    names = set(est._get_param_names())
    return sorted(
        k
        for k in vars(est)
        if not k.startswith("_") and not k.endswith("_") and k not in names
    )


def check_extra_params(est):
    """Only ``loss__<name>`` may be passed beyond the signature."""
    from .._utils.validation import did_you_mean

    for name in extra_names(est):
        if not name.startswith("loss__"):
            raise ValueError(
                f"Invalid parameter {name!r} for estimator {type(est).__name__}."
                f"{did_you_mean(name, est._get_param_names())} Beyond its "
                "listed parameters it takes only the loss's own settings, as "
                "loss__<name> (e.g. loss__gamma=2.0 with loss='focal')."
            )


class LossParams:
    """``loss__<name>=value`` keywords as parameters (a mixin of ``BaseMLP``)."""

    def get_params(self, deep=True):
        """Parameters of this estimator, routed ``loss__<name>`` ones included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update((k, getattr(self, k)) for k in extra_names(self))
        return params

    def set_params(self, **params):
        """Set parameters, routed ``loss__<name>`` ones included.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
            The estimator.
        """
        loss_params = {k: params.pop(k) for k in list(params) if k.startswith("loss__")}
        vars(self).update(loss_params)
        return super().set_params(**params)

    def _loss_params(self):
        from .._utils.routing import routed

        return routed(vars(self), "loss")

    def _validate_params(self):
        super()._validate_params()
        check_extra_params(self)


class WeightViews:
    """sklearn's ``coefs_`` / ``intercepts_``, read from ``model_``."""

    def _dense_weights(self, name):
        from .build import dense_layers

        model = self.__dict__.get("model_")
        if model is None:
            raise AttributeError("coefs_ and intercepts_ are available after fit.")
        return [np.asarray(getattr(d, name).numpy()) for d in dense_layers(model)]

    @property
    def coefs_(self):
        """list of ndarray: weight matrix of each Dense layer (from ``model_``)."""
        return self._dense_weights("kernel")

    @property
    def intercepts_(self):
        """list of ndarray: bias vector of each Dense layer (from ``model_``)."""
        return self._dense_weights("bias")
