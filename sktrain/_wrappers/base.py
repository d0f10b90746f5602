"""BaseKerasWrapper: the lifecycle around a user's Keras model.

The same ``BaseTrainer`` lifecycle as the MLP estimators; what differs is
where the network comes from (``_build_model``: the user's build function or
model instance, or sktrain's MLP when ``model=None``), how it is compiled
(``_compile``: kept as the build function compiled it, or from ``loss``,
``optimizer``, ``metrics`` and their routed parameters) and Keras-style
training settings (``epochs``, ``batch_size``, ``validation_split``).
Parameter handling is ``params.RoutedParams``; SciKeras' ``feature_encoder``
/ ``target_encoder`` hooks are ``encoders.EncoderHooks``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_array
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_consistent_length

from .._engine import inputs as inp
from .._engine.fitdata import TrainSettings
from .._engine.options import TOOLKIT_CONSTRAINTS, WRAPPER_TOOLKIT_CONSTRAINTS
from .._engine.trainer import BaseTrainer
from .._factory.instantiate import as_items, instantiate_many
from .._utils.routing import routed
from .._utils.validation import explain_non_numeric, validate_data
from .encoders import EncoderHooks
from .params import PLAIN_FIT, RoutedParams
from .streamfit import StreamHooks, check_fit_arguments, validate_stream

WRAPPER_CONSTRAINTS = {
    "model": [callable, object, None],
    "loss": [str, callable, object, None],
    "optimizer": [str, object],
    # one metric or callback (a name, class or object), a list, or a dict
    "metrics": [list, tuple, dict, str, callable, HasMethods("update_state"), None],
    "batch_size": [Interval(Integral, -1, None, closed="left"), None],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "verbose": ["verbose"],
    "callbacks": [list, tuple, dict, callable, HasMethods("set_model"), None],
    "validation_split": [Interval(Real, 0, 1, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "device": [str],
    "run_eagerly": ["boolean"],
    "jit_compile": ["boolean", StrOptions({"auto"})],
    "on_nan": [StrOptions({"raise", "warn"})],
    **TOOLKIT_CONSTRAINTS,
    **WRAPPER_TOOLKIT_CONSTRAINTS,
}


class BaseKerasWrapper(RoutedParams, EncoderHooks, StreamHooks, BaseTrainer):
    """Parameters, routing and model building shared by the Keras* wrappers."""

    _parameter_constraints: dict = dict(WRAPPER_CONSTRAINTS)
    _WEIGHTS_IN_PIPELINE = True
    # the names a build function's ``compile_kwargs`` may hold (SciKeras')
    _compile_kwargs = frozenset(
        {
            "optimizer",
            "loss",
            "metrics",
            "loss_weights",
            "weighted_metrics",
            "run_eagerly",
            "jit_compile",
            "steps_per_execution",
            "auto_scale_loss",
        }
    )
    _STORED = (
        "X_shape_",
        "X_dtype_",
        "y_dtype_",
        "y_ndim_",
        "target_type_",
        "n_outputs_",
        "n_outputs_expected_",
        "_output_shape",
        "_feature_encoder",
        "_frozen_layers",
    )

    def __init__(self, model=None, **params):
        self.model = model
        vars(self).update(params)

    def fit(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
        **kwargs,
    ):
        """Train a new network on X and y (or continue it with ``warm_start``).

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, dict/list of arrays, \
tf.data.Dataset or callable
            Training data (a dict or list of arrays for a multi-input model;
            a ``numpy.memmap`` is read from its file batch by batch), or a
            ``tf.data.Dataset`` of ``(x, y)`` or ``(x, y, sample_weight)``
            batches, or a generator factory (a callable returning a fresh
            iterator of such batches): one pass is one epoch
            (``fit__steps_per_epoch`` for an infinite one), no
            ``validation_split``; see the user guide's "Data larger than
            memory".
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
            Target labels or values (None with a dataset).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; each batch's loss is
            ``sum(w * loss) / sum(w)``.
        X_val, y_val : array-like, default=None
            Validation data (sklearn's convention), used instead of the
            ``validation_split``: ``val_loss``, ``val_<metric>``, ``scoring``
            and callbacks such as ``EarlyStopping(monitor='val_loss')`` read
            them.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.
        **kwargs : dict
            ``keras.Model.fit`` settings for this call only, as SciKeras
            allowed (``epochs=5``); the same as ``fit__epochs`` for one call.
            Prefer the parameters, which ``clone`` and ``GridSearchCV`` keep.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        check_fit_arguments(self, X, sample_weight, vars(self).get("_call_classes"))
        self._call_fit_kwargs = kwargs
        try:
            return super().fit(
                X,
                y,
                sample_weight=sample_weight,
                X_val=X_val,
                y_val=y_val,
                sample_weight_val=sample_weight_val,
            )
        finally:
            del self._call_fit_kwargs

    def initialize(self, X, y=None):
        """Build and compile the network for X and y without training it.

        A model instance given as ``model`` keeps its weights (and its
        compile settings, if it was compiled), so a pretrained network
        predicts at once; ``partial_fit`` or ``warm_start=True`` then
        fine-tune it. ``fit`` without ``warm_start`` builds anew, as always.

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, or dict/list of arrays
            Data of the shape the network takes (a few rows suffice).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: they fix the classes, outputs and target encoding.

        Returns
        -------
        self : object
            The estimator, ready to predict (``n_iter_ == 0``).
        """
        from .._engine.distribution import fit_scope

        self._validate_params()
        X, y = self._validate_fit_data(X, y, reset=True)
        try:
            with fit_scope(self, fresh=True):
                self._initialize(X, y, None)
        except BaseException:
            self._undo_failed_fit(fresh=True, state=None)
            raise
        self.n_iter_ = 0
        self._predictor = self._make_predictor()
        return self

    @property
    def current_epoch(self):
        """Epochs trained so far over all fits since the network was built
        (0 before the first fit; SciKeras' name)."""
        history = getattr(self, "history_", None) or {}
        return len(history.get("loss", []))

    def _first_epoch(self):
        """The epoch this ``keras.Model.fit`` call starts at (Keras'
        ``initial_epoch``): ``current_epoch``, plus the epochs of this fit's
        frozen phase when it runs in two (``freeze.py``)."""
        return self.current_epoch + vars(self).get("_phase_offset", 0)

    # -- training settings (lifecycle hooks) ---------------------------------
    def _on_continue(self, incremental):
        """A ``fit`` call trains ``epochs`` epochs from epoch 0, also with
        ``warm_start`` (which keeps the weights only), as in SciKeras and
        ``keras.Model.fit``; ``partial_fit`` goes on from ``current_epoch``.
        The fitted optimizer goes on too (``check_knobs_unchanged``)."""
        from .._factory.knobs import check_knobs_unchanged

        check_knobs_unchanged(self, self.model_.optimizer)
        if not incremental:
            self.history_ = {}

    def _fit_routed(self):
        params = self.get_params(deep=False)
        return {
            **(params.get("fit_kwargs") or {}),
            **{k: params[k] for k in PLAIN_FIT if k in params},
            **routed(params, "fit"),
            **vars(self).get("_call_fit_kwargs", {}),
        }

    def _train_settings(self, incremental):
        routed_fit = self._fit_routed()  # fit__epochs etc. override, as in SciKeras
        epochs = 1 if incremental else int(routed_fit.get("epochs", self.epochs))
        steps = routed_fit.get("steps_per_epoch")
        return TrainSettings(
            steps_per_epoch=None if steps is None else int(steps),
            epochs=epochs,
            batch_size=routed_fit.get("batch_size", self.batch_size),
            validation_fraction=routed_fit.get(
                "validation_split", self.validation_split
            ),
            unstratified_fallback=True,
        )

    def _lr_schedule(self):
        return self.lr_schedule

    def _verbose(self):
        return self._fit_routed().get("verbose", self.verbose)

    def _schedule_run(self, settings):
        return int(self._fit_routed().get("epochs", self.epochs))

    def _class_weight(self):
        return self._fit_routed().get(
            "class_weight", getattr(self, "class_weight", None)
        )

    def _user_callbacks(self):
        if self.callbacks is None:
            return []
        params = routed(self.get_params(deep=False), "callbacks")
        made = instantiate_many(as_items(self.callbacks), params, prefix="callbacks")
        return list(made.values()) if isinstance(made, dict) else made

    def _fit_loop(self, data, settings, state, listeners):
        """The engine's loop, in a frozen and an unfrozen phase when
        ``unfreeze_at`` falls inside this fit (``freeze.py``)."""
        from .freeze import fit_in_phases

        fit_in_phases(self, super()._fit_loop, data, settings, state, listeners)

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
        streamed = validate_stream(self, X, y, reset=reset, parts=self._stream_parts())
        if streamed is not None:
            return streamed
        X = self._encode_features(X, y, reset=reset)
        if self._nd_input(X):
            X = self._check_X(X, reset=reset)
            y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
            check_consistent_length(inp.leaves(X)[0], y)
        else:
            self._check_layout(X, reset=reset)
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

    def _check_layout(self, X, *, reset):
        """A 2-D X for a network fitted on N-D or several inputs: say so
        before sklearn's feature count does, less clearly."""
        fitted = None if reset else self._sample_shapes
        if fitted is not None and (inp.is_structured(fitted) or len(fitted) > 1):
            X = X if hasattr(X, "shape") else np.asarray(X)
            inp.check_same_inputs(X, fitted, name=type(self).__name__)

    @staticmethod
    def _nd_input(X):
        return inp.is_structured(X) or (
            hasattr(X, "ndim") and getattr(X, "ndim", 2) > 2
        )

    def _validate_X(self, X, *, reset):
        return self._check_X(self._encode_features(X, None, reset=reset), reset=reset)

    def _check_X(self, X, *, reset):
        if not self._nd_input(X):
            self._check_layout(X, reset=reset)
            X = validate_data(
                self, X, reset=reset, accept_sparse="csr", dtype="numeric"
            )
            if reset:
                self._sample_shapes = (X.shape[1],)
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
        self.n_outputs_expected_ = getattr(self._target, "n_outputs_expected_", 1)

    # -- the network ------------------------------------------------------------
    def _architecture(self, X):
        """What must not change between warm-started fits."""
        from .._engine.dtypes import dtype_policy

        _, hyper = self._hyperparameters()
        spec = {"inputs": inp.sample_shapes(X), "hyper": repr(sorted(hyper.items()))}
        policy = dtype_policy(getattr(self, "dtype", None))
        return spec if policy is None else {**spec, "dtype_policy": policy}

    def _build_model(self, X, y):
        from .freeze import freeze_new_model
        from .network import build_network

        self._check_extra_params()
        model = build_network(self, X, y)
        freeze_new_model(self, model)  # before compile: the optimizer sees it
        return model

    def _compile_model(self):
        from .network import compile_network, configure_target

        compile_network(self)
        configure_target(self)
