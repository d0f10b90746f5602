"""Parameters of the Keras* wrappers: fixed ones, build-function
hyperparameters and routed ``prefix__name`` values.

Parameters beyond the fixed ones are stored as attributes and reported by
``get_params``, so ``clone`` and ``GridSearchCV`` see them; ``set_params``
takes routed names and the build function's hyperparameters, and refuses
anything else with a did-you-mean. The build function is ``model``, a
subclass's ``_keras_build_fn`` (SciKeras) or sktrain's MLP. ``clone``
shares a ``keras.Model`` given as ``model`` (never trained, only copied)
(``_engine/distribution.py``: ``shared_clone``).
"""

from .._engine.backend import is_keras_model
from .._utils.routing import PREFIXES, is_routed, routed, signature_default
from .._utils.validation import did_you_mean

# keras.wrappers' names for build-function and fit keyword dictionaries
_ALIASES = ("build_fn", "model_kwargs", "fit_kwargs")
# ``keras.Model.fit`` settings SciKeras also takes as plain keywords
PLAIN_FIT = ("validation_batch_size", "validation_freq")


class RoutedParams:
    """The wrappers' parameter handling (a mixin of ``BaseKerasWrapper``)."""

    def _fixed_names(self):
        """The estimator's own parameters: its signature's, and the family's
        even where a subclass's ``__init__`` does not declare them."""
        return set(self._get_param_names()) | set(self._parameter_constraints)

    def _extra_names(self):
        fixed = self._fixed_names()
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
        params = {}
        for name in self._get_param_names():
            # a subclass may declare a parameter (``optimizer__learning_rate``)
            # without storing it: its default is its value, as in SciKeras
            value = getattr(self, name, signature_default(type(self), name))
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update(
                    (f"{name}__{k}", v) for k, v in value.get_params().items()
                )
            params[name] = value
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
        fixed = self._fixed_names()
        if "model" in params:
            self.model = params.pop("model")
        for name, value in params.items():
            if name in fixed or (
                is_routed(name)
                or name in self._extra_names()
                or (name in self._build_fn_names())
            ):
                setattr(self, name, value)
            else:
                raise ValueError(self._unknown_param_message(name))
        return self

    def _build_fn_names(self):
        from .._utils.routing import signature_names

        fn = self._build_fn()
        return set(signature_names(fn)[0]) if callable(fn) else set()

    def _build_fn(self):
        from .._mlp.build import default_build_fn

        source = self.model if self.model is not None else vars(self).get("build_fn")
        own = getattr(self, "_keras_build_fn", None)  # a subclass's (SciKeras)
        if source is None:
            return default_build_fn if own is None else own
        if own is not None:
            raise ValueError(
                f"{type(self).__name__} defines _keras_build_fn, so it cannot "
                "implement ``_keras_build_fn`` and take a model= as well: pass "
                "model=None, or remove the method."
            )
        if not (callable(source) or is_keras_model(source)):
            raise TypeError(
                "``model`` must be a build function (a callable returning a "
                f"keras.Model) or a keras.Model instance; got {source!r}."
            )
        return source

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
            if not is_routed(k)
            and "__" not in k
            and k not in _ALIASES
            and k not in PLAIN_FIT
        }
        wrappers_kwargs = params.get("model_kwargs") or {}
        return bare, {**bare, **wrappers_kwargs, **routed(params, "model")}
