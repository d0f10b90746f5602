"""BaseKerasWrapper: the lifecycle around a user's Keras model.

The same ``BaseTrainer`` lifecycle as the MLP estimators; what differs is
where the network comes from (``_build_model``: the user's build function or
model instance, or sktrain's MLP when ``model=None``), how it is compiled
(``_compile``: kept as the build function compiled it, or from ``loss``,
``optimizer``, ``metrics`` and their routed parameters) and Keras-style
training settings (``epochs``, ``batch_size``, ``validation_split``).
Parameters beyond the fixed ones (build-function hyperparameters and routed
``prefix__name`` values) are stored as attributes and reported by
``get_params``, so ``clone`` and ``GridSearchCV`` see them.
"""

from numbers import Integral, Real

from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_consistent_length

from .._engine import inputs as inp
from .._engine.backend import is_keras_model
from .._engine.fitdata import TrainSettings
from .._engine.trainer import BaseTrainer
from .._factory.instantiate import instantiate_many
from .._utils.routing import PREFIXES, is_routed, routed
from .._utils.validation import did_you_mean, explain_non_numeric, validate_data

# keras.wrappers' names for build-function and fit keyword dictionaries
_ALIASES = ("build_fn", "model_kwargs", "fit_kwargs")

WRAPPER_CONSTRAINTS = {
    "model": [callable, object, None],
    "loss": [str, callable, object, None],
    "optimizer": [str, object],
    "metrics": [list, tuple, dict, None],
    "batch_size": [Interval(Integral, -1, None, closed="left"), None],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "verbose": ["verbose"],
    "callbacks": [list, tuple, dict, None],
    "validation_split": [Interval(Real, 0, 1, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "device": [str],
    "run_eagerly": ["boolean"],
    "jit_compile": ["boolean", StrOptions({"auto"})],
    "on_nan": [StrOptions({"raise", "warn"})],
    "dtype": [StrOptions({"float32", "float64"}), None],
}


class BaseKerasWrapper(BaseTrainer):
    """Parameters, routing and model building shared by the Keras* wrappers."""

    _parameter_constraints: dict = dict(WRAPPER_CONSTRAINTS)
    _WEIGHTS_IN_PIPELINE = True
    _STORED = (
        "X_shape_",
        "X_dtype_",
        "y_dtype_",
        "y_ndim_",
        "target_type_",
        "n_outputs_",
        "n_outputs_expected_",
        "_output_shape",
    )

    def __init__(self, model=None, **params):
        self.model = model
        vars(self).update(params)

    # -- parameters -----------------------------------------------------------
    def _extra_names(self):
        fixed = set(self._get_param_names())
        return sorted(
            k
            for k in vars(self)
            if not k.startswith("_") and not k.endswith("_") and k not in fixed
        )

    def get_params(self, deep=True):
        """Parameters of this estimator, routed and build-function ones included.

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
        params.update({k: getattr(self, k) for k in self._extra_names()})
        return params

    def set_params(self, **params):
        """Set parameters, including ``prefix__name`` routed ones.

        Parameters
        ----------
        **params : dict
            Estimator parameters; a new plain name must be a parameter of
            the build function.

        Returns
        -------
        self : object
            The estimator.
        """
        fixed = set(self._get_param_names())
        if "model" in params:
            self.model = params.pop("model")
        for name, value in params.items():
            if name in fixed:
                super().set_params(**{name: value})
            elif (
                is_routed(name)
                or name in self._extra_names()
                or (name in self._build_fn_names())
            ):
                setattr(self, name, value)
            else:
                raise ValueError(self._unknown_param_message(name))
        return self

    def __sklearn_clone__(self):
        from sklearn.base import clone

        params = self.get_params(deep=False)
        return type(self)(
            **{
                k: v if is_keras_model(v) else clone(v, safe=False)
                for k, v in params.items()
            }
        )

    def _build_fn_names(self):
        from .._utils.routing import signature_names

        fn = self._build_fn()
        return set(signature_names(fn)[0]) if callable(fn) else set()

    def _build_fn(self):
        from .._mlp.build import default_build_fn

        source = self.model if self.model is not None else vars(self).get("build_fn")
        return default_build_fn if source is None else source

    def _unknown_param_message(self, name):
        head = name.split("__", 1)[0]
        if "__" in name:
            return (
                f"Unknown routing prefix in {name!r}.{did_you_mean(head, PREFIXES)} "
                f"Valid prefixes: {', '.join(p + '__' for p in PREFIXES)}."
            )
        names = sorted(set(self._get_param_names()) | self._build_fn_names())
        return (
            f"Invalid parameter {name!r} for estimator {type(self).__name__}."
            f"{did_you_mean(name, names)} It is neither a parameter of the "
            "estimator nor of its build function."
        )

    def _check_extra_params(self):
        """Every extra parameter must be routed or taken by the build function."""
        from .buildfn import check_hyperparameters

        for name in self._extra_names():
            if "__" in name and not is_routed(name):
                raise ValueError(self._unknown_param_message(name))
        bare, hyper = self._hyperparameters()
        fn = self._build_fn()
        if is_keras_model(fn):
            if bare or hyper:
                raise ValueError(
                    "model is a keras.Model instance, so it takes no "
                    f"hyperparameters; got {sorted({**bare, **hyper})}. Pass a "
                    "build function to tune the architecture."
                )
            return
        check_hyperparameters(
            fn,
            routed(vars(self), "model"),
            bare,
            owner=type(self).__name__,
            own_names=self._get_param_names(),
        )

    def _hyperparameters(self):
        """(plain constructor keywords, all hyperparameters) for the build fn."""
        params = self.get_params(deep=False)
        bare = {
            k: params[k]
            for k in self._extra_names()
            if not is_routed(k) and "__" not in k and k not in _ALIASES
        }
        wrappers_kwargs = params.get("model_kwargs") or {}
        return bare, {**bare, **wrappers_kwargs, **routed(params, "model")}

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Train a new network on X and y (or continue it with ``warm_start``).

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, or dict/list of arrays
            Training data (a dict or list of arrays for a multi-input model).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target labels or values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; each batch's loss is
            ``sum(w * loss) / sum(w)``.
        **kwargs : dict
            ``keras.Model.fit`` settings for this call only, as SciKeras
            allowed (``epochs=5``); the same as ``fit__epochs`` for one call.
            Prefer the parameters, which ``clone`` and ``GridSearchCV`` keep.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._call_fit_kwargs = kwargs
        try:
            return super().fit(X, y, sample_weight=sample_weight)
        finally:
            del self._call_fit_kwargs

    # -- training settings (lifecycle hooks) ---------------------------------
    def _fit_routed(self):
        params = self.get_params(deep=False)
        return {
            **(params.get("fit_kwargs") or {}),
            **routed(params, "fit"),
            **vars(self).get("_call_fit_kwargs", {}),
        }

    def _train_settings(self, incremental):
        routed_fit = self._fit_routed()
        epochs = 1 if incremental else int(routed_fit.get("epochs", self.epochs))
        return TrainSettings(
            epochs=epochs,
            batch_size=routed_fit.get("batch_size", self.batch_size),
            validation_fraction=self.validation_split,
        )

    def _user_callbacks(self):
        callbacks = self.callbacks
        if callbacks is None:
            return []
        if not isinstance(callbacks, (list, tuple, dict)):
            callbacks = [callbacks]
        params = routed(self.get_params(deep=False), "callbacks")
        made = instantiate_many(callbacks, params, prefix="callbacks")
        return list(made.values()) if isinstance(made, dict) else made

    def _keras_fit_kwargs(self, data):
        from .fitargs import keras_fit_kwargs

        return keras_fit_kwargs(self, data)

    def _predict_chunk(self):
        from .._utils.routing import check_names

        params = routed(vars(self), "predict")  # cheap: runs on every predict
        check_names(
            params, ["batch_size", "verbose"], where="predict", prefix="predict"
        )
        size = params.get("batch_size")  # the training batch size is no limit here
        return None if size is None or size == -1 else int(size)

    # -- data -----------------------------------------------------------------
    def _validate_fit_data(self, X, y, *, reset):
        if self._nd_input(X):
            X = self._validate_X(X, reset=reset)
            y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
            check_consistent_length(inp.leaves(X)[0], y)
        else:
            X, y = validate_data(
                self,
                X,
                y,
                reset=reset,
                accept_sparse="csr",
                dtype="numeric",
                multi_output=True,
                y_numeric=False,
            )
            if reset:
                self._sample_shapes = (X.shape[1],)
        return X, self._check_y(y)

    @staticmethod
    def _nd_input(X):
        return inp.is_structured(X) or (
            hasattr(X, "ndim") and getattr(X, "ndim", 2) > 2
        )

    def _validate_X(self, X, *, reset):
        if not self._nd_input(X):
            X = validate_data(
                self, X, reset=reset, accept_sparse="csr", dtype="numeric"
            )
            if reset:
                self._sample_shapes = (X.shape[1],)
            elif inp.is_structured(self._sample_shapes) or len(self._sample_shapes) > 1:
                inp.check_same_inputs(X, self._sample_shapes, name=type(self).__name__)
            return X
        with explain_non_numeric(type(self).__name__):
            X = inp.check_input_arrays(X, name=type(self).__name__)
        if reset:
            self._sample_shapes = inp.sample_shapes(X)
            if not inp.is_structured(X):
                self.n_features_in_ = X.shape[1]
        else:
            inp.check_same_inputs(X, self._sample_shapes, name=type(self).__name__)
        return X

    def _before_build(self, X, y):
        """SciKeras' ``meta``: what the data says, before the model is built."""
        super()._before_build(X, y)
        self.X_shape_ = inp.map_inputs(lambda a: a.shape, X)
        self.X_dtype_ = inp.map_inputs(lambda a: a.dtype, X)
        self.y_dtype_ = y.dtype
        self.y_ndim_ = y.ndim
        self.target_type_ = self._target.target_type
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.n_outputs_expected_ = 1

    # -- the network ------------------------------------------------------------
    def _architecture(self, X):
        """What must not change between warm-started fits."""
        _, hyper = self._hyperparameters()
        return {"inputs": inp.sample_shapes(X), "hyper": repr(sorted(hyper.items()))}

    def _build_model(self, X, y):
        from .network import build_network

        self._check_extra_params()
        return build_network(self, X, y)

    def _compile_model(self):
        from .network import compile_network, configure_target

        compile_network(self)
        configure_target(self)
