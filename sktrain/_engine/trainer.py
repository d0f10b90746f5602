"""``BaseTrainer``: the fit/predict lifecycle shared by every estimator.

``fit`` / ``partial_fit`` -> ``_fit``:

1. ``_validate_fit_data``: sklearn's ``validate_data`` (a hook: the wrappers
   also take N-D and multi-input X);
2. a fresh fit ``_initialize``s (target encoder, dtype, network, compile); a
   continued one (``warm_start``, ``partial_fit``) ``_continue``s;
3. ``prepare_fit_data`` makes the typed ``FitData`` (weights, cast,
   validation split, encoded targets);
4. ``_fit_loop``: one ``keras.Model.fit`` call over a seeded pipeline with the
   ``EpochMonitor`` (fault guard, the family's listeners, history);
5. ``_finalize``: best weights, fitted attributes, the fast predictor; then
   ``report_faults`` warns or raises about a NaN loss or an interrupt.

``predict`` and friends go through ``_forward``: validate X, run the
predictor, cast to X's float dtype; the target decodes.
"""

import abc

from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._utils import validation as val
from .backend import device_scope
from .checkpoint import begin_run, end_run, restore
from .distribution import fit_scope
from .dtypes import as_output, compute_dtype
from .fitdata import prepare_fit_data
from .inputs import sample_shapes
from .progress import ReportHooks
from .skl_callbacks import CALLBACK_BASES
from .toolkit import ToolkitHooks


class BaseTrainer(ToolkitHooks, ReportHooks, *CALLBACK_BASES, BaseEstimator, abc.ABC):
    """Lifecycle shared by the sktrain estimators (not a public class).

    Abstract hooks, which every family implements:

    - ``_make_target()``: a new, unfitted target encoder (``_targets.Target``);
    - ``_architecture(X)``: what shapes the network; a continued fit must
      give an equal value;
    - ``_build_model(X, y)``: a new, built ``keras.Model``;
    - ``_compile_model()``: compile ``model_`` and configure the target to
      its output;
    - ``_train_settings(incremental)``: epochs, batch size, validation
      fraction (a ``TrainSettings``).

    Optional hooks, with defaults here: ``_new_target()``,
    ``_before_build(X, y)`` (fitted
    attributes the builder needs), ``_epoch_listeners(data)`` (per-epoch
    rules), ``_record(state, listeners, data, incremental)`` (family fitted
    attributes), ``_on_continue(incremental)``, ``_keras_fit_kwargs(data)``,
    ``_class_weight()``, ``_epoch_orders(n_samples)``,
    ``_user_callbacks()``, ``_validate_fit_data`` / ``_validate_X``,
    ``_make_predictor()``, ``_predict_chunk()``, ``_check_partial_fit()``,
    ``_partial_fit_available()``.
    The target hooks live on the target object, not on the estimator.
    """

    # fitted state every family stores (``_io.schema`` adds the families')
    _STORED = (
        "n_features_in_",
        "feature_names_in_",
        "n_iter_",
        "history_",
        "_rng",
        "_target",
        "_spec",
        "_dtype",
        "_in_dtypes",
        "_sample_shapes",
        "_lr_state",
        "_resume",
    )
    _MULTI_OUTPUT = True
    _WEIGHTS_IN_PIPELINE = False  # rescale each batch's weights to mean 1

    # -- abstract hooks -----------------------------------------------------
    @abc.abstractmethod
    def _make_target(self):
        """A new target encoder for this estimator."""

    @abc.abstractmethod
    def _architecture(self, X):
        """What shapes the network, compared between continued fits."""

    @abc.abstractmethod
    def _build_model(self, X, y):
        """A new, built ``keras.Model``."""

    @abc.abstractmethod
    def _compile_model(self):
        """Compile ``self.model_`` and configure ``self._target`` to it."""

    @abc.abstractmethod
    def _train_settings(self, incremental):
        """The ``TrainSettings`` of this fit."""

    # -- public entry points ------------------------------------------------
    def fit(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train a new network on X and y (or continue it with ``warm_start``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data; the Keras* wrappers also take N-D arrays and a
            dict or list of arrays for a multi-input model.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target labels or values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; each batch's loss is
            ``sum(w * loss) / sum(w)``.
        X_val, y_val : array-like, default=None
            Validation data (sklearn's convention, as in
            ``HistGradientBoostingClassifier``), used instead of the split
            held out by ``early_stopping`` / ``validation_split``: the
            validation loss, ``scoring`` and early stopping read them.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        self._validate_params()
        self._check_partial_fit()
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_partial_fit(self):
        """Hook: refuse settings partial_fit cannot honour."""

    def _partial_fit_available(self):
        """Hook: whether ``partial_fit`` exists (raise AttributeError to say
        why not)."""
        return True

    # -- lifecycle steps ----------------------------------------------------
    def _fit(self, X, y, sample_weight, *, incremental, classes=None, validation=None):
        from .callbacks import FitState
        from .faults import report_faults
        from .progress import fit_reports

        with fit_reports(self, (X, y, sample_weight)) as reports:  # ``verbose``
            fresh = not hasattr(self, "model_") or not (incremental or self.warm_start)
            X, y = self._validate_fit_data(X, y, reset=fresh)
            validation = self._validate_val_data(*(validation or (None,) * 3))
            state = FitState()
            history = dict(getattr(self, "history_", {}))  # a failed fit restores it
            try:
                with fit_scope(self, fresh):  # or the strategy's scope
                    if fresh:
                        self._initialize(X, y, classes)
                    else:
                        self._continue(X, y, incremental)
                    settings = begin_run(self, state, fresh, incremental)
                    reports.begin(state, settings.epochs)
                    data = prepare_fit_data(
                        self, X, y, sample_weight, settings, validation
                    )
                    listeners = self._epoch_listeners(data)
                    if vars(self).get("_resume") is not None:
                        restore(self, state, listeners)
                    self._fit_loop(data, settings, state, listeners)
            except BaseException:
                self._undo_failed_fit(fresh, state, history)
                raise
            reports.close()  # the bar, before the warnings of the fit's end
            self._finalize(state, data, listeners, incremental)
            end_run(self, state)
            reports.end()  # sklearn's callbacks see the fitted estimator
            report_faults(self, state)
        return self

    def _validate_fit_data(self, X, y, *, reset):
        X, y = val.validate_X_y(
            self, X, y, reset=reset, multi_output=self._MULTI_OUTPUT
        )
        return X, self._check_y(y)

    def _validate_val_data(self, X_val, y_val, sample_weight_val):
        """``(X_val, y_val, sample_weight_val)`` checked like the training
        data (after it: the fitted feature checks apply), or None."""
        return val.validate_val_data(self, X_val, y_val, sample_weight_val)

    def _check_y(self, y):
        """Hook: adjust or refuse y after validation (mixins ravel columns)."""
        return y

    def _initialize(self, X, y, classes):
        from .keras_compat import quiet_model_optimizer

        self._rng = check_random_state(self.random_state)
        self._target = self._new_target().fit(y, classes)
        self._dtype = compute_dtype(getattr(self, "dtype", None), X, self.device)
        self._in_dtypes = self._dtype
        self._sample_shapes = sample_shapes(X)
        self._before_build(X, y)
        self._spec = self._architecture(X)
        self.model_ = self._build_model(X, y)
        self._compile_model()
        quiet_model_optimizer(self.model_)
        self.history_ = {}

    def _new_target(self):
        """Hook: the unfitted target encoder of a fresh fit."""
        return self._make_target()

    def _before_build(self, X, y):
        """Hook: fitted attributes the model builder needs."""

    def _continue(self, X, y, incremental):
        context = "partial_fit" if incremental else "fit with warm_start=True"
        self._target.check(y, context=context)
        if self._architecture(X) != self._spec:
            raise ValueError(
                f"{context} needs the same network architecture as the fitted "
                "model, but a parameter that shapes it changed (e.g. "
                "hidden_layer_sizes, activation, dropout, l1, l2, batch_norm, "
                "or a build-function hyperparameter). Set warm_start=False to "
                "train a new network."
            )
        self._on_continue(incremental)

    def _on_continue(self, incremental):
        """Hook: apply settings that may change between continued fits."""

    def _class_weight(self):
        """Hook: the class weights of this fit (None, a dict or 'balanced')."""
        return getattr(self, "class_weight", None)

    def _epoch_listeners(self, data):
        """Hook: the family's per-epoch rules (``callbacks.EpochListener``)."""
        return []

    def _fit_loop(self, data, settings, state, listeners):
        from .callbacks import copy_callbacks
        from .trace_cache import training_model

        user_callbacks = copy_callbacks(self._user_callbacks())
        self._prepare_model(self.model_)  # before its trace key is read
        # a user callback sees (and may keep) the model it trains: model_
        key = None if user_callbacks else self._cache_key()
        with training_model(self.model_, key, self._prepared_twin) as model:
            self._keras_fit(model, data, settings, state, listeners, user_callbacks)

    def _prepared_twin(self):
        return self._prepare_model(self._make_twin())

    def _keras_fit(self, model, data, settings, state, listeners, user_callbacks):
        """Train ``model`` (``model_`` or its cached twin) over the seeded
        feed: one ``keras.Model.fit`` call, or the lean epoch loop, with the
        engine's epoch listeners around the family's (``fitloop.py``)."""
        from .fitloop import keras_fit

        keras_fit(self, model, data, settings, state, listeners, user_callbacks)

    def _epoch_orders(self, n_samples):
        """Hook: an iterator of each epoch's row order (int64 arrays) drawn
        by the family, or None: the engine's stateless shuffle seeded from
        ``_rng`` (``pipeline.epoch_order``)."""
        return None

    def _cache_key(self):
        """The trace-cache key of this fit (``trace_cache``), or None to
        train ``model_`` itself; the family's ``_trace_key()`` says what
        shapes its network (None: it cannot tell)."""
        from .distribution import in_strategy
        from .trace_cache import compile_key

        family = self._trace_key()
        if family is None or in_strategy():  # a twin would be single-device
            return None
        return (type(self).__name__, family, compile_key(self.model_), str(self.device))

    def _trace_key(self):
        """Hook: a hashable value equal for every fit whose network traces
        to the same graph (runtime values aside), or None (no caching)."""
        return None

    def _make_twin(self):
        """Hook (needed when ``_trace_key`` gives a key): a new compiled
        model built and compiled exactly like ``model_``; its weights do not
        matter (``trace_cache`` overwrites them)."""
        raise NotImplementedError(f"{type(self).__name__} defines no _make_twin")

    def _user_callbacks(self):
        return self.callbacks

    def _keras_fit_kwargs(self, data):
        """Hook: extra keyword arguments for ``keras.Model.fit``."""
        return {}

    def _undo_failed_fit(self, fresh, state, history=None):
        """Leave no half-fitted estimator behind when fit raises.

        A fresh fit forgets everything it set (the estimator is not fitted);
        a continued fit puts back the weights and the ``history`` it started
        from, so the fitted attributes still describe the model.
        """
        if fresh:
            for name in [k for k in vars(self) if k.endswith("_") and k[0] != "_"]:
                delattr(self, name)
            vars(self).pop("_predictor", None)
            return
        self.history_ = history
        if state.start_weights is not None:
            self.model_.set_weights(state.start_weights)

    def _finalize(self, state, data, listeners, incremental):
        if state.best_weights is not None:
            self.model_.set_weights(state.best_weights)
        self.n_iter_ = state.n_iter
        for key, values in state.history.items():
            self.history_[key] = self.history_.get(key, []) + values
        self._record(state, listeners, data, incremental)
        self._predictor = self._make_predictor()

    def _record(self, state, listeners, data, incremental):
        """Hook: the family's fitted attributes from what the fit recorded."""

    def _make_predictor(self):
        from .predictor import predictor_for

        return predictor_for(self.model_, self._sample_shapes, self._in_dtypes)

    # -- prediction ---------------------------------------------------------
    def _forward(self, X):
        check_is_fitted(self, "model_")  # one attribute: ~20 us less a call
        X = self._validate_X(X, reset=False)
        with device_scope(self.device):
            out = self._predictor(X, chunk=self._predict_chunk())
        return as_output(out, X, self._dtype, getattr(self, "dtype", None))

    def _predict_chunk(self):
        """Hook: rows per forward call (None: the predictor's default)."""
        return None

    def _validate_X(self, X, *, reset):
        return val.validate_X(self, X, reset=reset)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- persistence (``_io``) ----------------------------------------------
    def save(self, path):
        """Save the estimator to one file that loads without running code.

        The file (a zip archive) holds the network in Keras' native format
        and the parameters and fitted attributes as JSON and ``.npy`` data,
        with no pickle inside; load it with :func:`sktrain.load`.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (conventionally ``*.sktrain``).

        Returns
        -------
        path : str or path-like
            The path written.
        """
        from .._io.archive import save

        save(self, path)
        return path

    def __getstate__(self):
        from .._io.schema import pickle_state

        return pickle_state(self)

    def __setstate__(self, state):
        from .._io.schema import unpickle_state

        unpickle_state(self, state)
