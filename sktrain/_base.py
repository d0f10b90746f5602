"""The training lifecycle shared by every sktrain estimator.

``fit`` / ``partial_fit``
    -> ``_fit``: validate parameters and data, decide fresh start vs continue
    -> ``_initialize``: fit the target encoder, build and compile the network
       (``_build_model``: the MLP builder, or the user's model / build function)
    -> ``_prepare``: encode targets, combine sample and class weights, split
       off the validation set
    -> ``_fit_loop``: one ``keras.Model.fit`` call over a seeded pipeline,
       with the monitor callback recording every epoch
    -> ``_finalize``: copy what the monitor recorded into fitted attributes,
       restore the best weights, build the fast predictor.

``predict`` and friends go through ``_forward``: validate X, run the fast
predictor, let the target encoder decode the output.

Subclasses (``BaseMLP``, ``BaseKerasWrapper``) provide the network, the
parameters, and the hooks named in ``BaseTrainer``'s docstring.
"""

import pickle

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _validation as val
from ._backend import device_scope
from ._inputs import cast_inputs, leaves, n_samples, take_rows


class BaseTrainer(BaseEstimator):
    """Lifecycle shared by the sktrain estimators (not a public class).

    Subclasses provide: ``_make_target()``, ``_make_spec(X)``,
    ``_build_model(spec)``, ``_compile()``, ``_validate_X(X, reset)``,
    ``_validation_fraction()``, ``_batch_size(n)``, ``_epochs(incremental)``,
    ``_make_monitor(state, data)``, ``_reset_fitted()``, ``_record(state, n)``
    and the target hooks ``_check_y``, ``_encode``, ``_class_weights``,
    ``_stratify`` (see ``_classification.py`` / ``_regression.py``).
    """

    _MULTI_OUTPUT = True

    # -- public entry points ------------------------------------------------
    def fit(self, X, y, sample_weight=None):
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

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        self._validate_params()
        self._check_partial_fit()
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_partial_fit(self):
        """Hook: refuse settings partial_fit cannot honour."""

    # -- lifecycle steps ----------------------------------------------------
    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        fresh = not hasattr(self, "model_") or not (incremental or self.warm_start)
        X, y = self._validate_fit_data(X, y, reset=fresh)
        state = None
        try:
            with device_scope(self.device):
                if fresh:
                    self._initialize(X, y, classes)
                else:
                    self._check_continuation(X, y, incremental)
                data = self._prepare(X, y, sample_weight)
                state = self._new_state()
                self._fit_loop(data, state, epochs=self._epochs(incremental))
        except BaseException:
            self._undo_failed_fit(fresh, state)
            raise
        self._finalize(state, data, incremental)
        self._report_faults(state)
        return self

    def _validate_fit_data(self, X, y, *, reset):
        X, y = val.validate_X_y(
            self, X, y, reset=reset, multi_output=self._MULTI_OUTPUT
        )
        return X, self._check_y(y)

    def _initialize(self, X, y, classes):
        self._rng = check_random_state(self.random_state)
        self._target = self._make_target().fit(y, classes)
        self._set_target_meta(X, y)
        self._spec = self._make_spec(X)
        self.model_ = self._build_model(self._spec, X, y)
        self._compile()
        self._avoid_trace_leak()
        self._configure_target()
        self.history_ = {}
        self._reset_fitted()

    def _avoid_trace_leak(self):
        from ._optimizers import skip_single_replica_all_reduce

        if getattr(self.model_, "optimizer", None) is not None:
            skip_single_replica_all_reduce(self.model_.optimizer)

    def _set_target_meta(self, X, y):
        """Hook: fitted attributes the model builder needs (before building)."""

    def _configure_target(self):
        """Hook: adapt the target encoding to the built network."""

    def _check_continuation(self, X, y, incremental):
        context = "partial_fit" if incremental else "fit with warm_start=True"
        self._target.check_same_kind(y, context=context)
        spec = self._make_spec(X)
        if self._continuation_key(spec) != self._continuation_key(self._spec):
            raise ValueError(
                f"{context} needs the same network architecture as the fitted "
                "model, but a parameter that shapes it changed (e.g. "
                "hidden_layer_sizes, activation, dropout, l1, l2, batch_norm, "
                "or a build-function hyperparameter). Set warm_start=False to "
                "train a new network."
            )
        self._update_continuation(spec, incremental)

    def _prepare(self, X, y, sample_weight):
        first = leaves(X)[0]
        sw = val.check_sample_weight(sample_weight, first) * self._class_weights(y)
        X = cast_inputs(X, self._input_dtypes())
        data = {"X": X, "y": y, "sw": sw, "X_val": None}
        if self._validation_fraction():
            data = self._split_validation(data)
        data["Y"] = self._encode(data["y"])
        return data

    def _input_dtypes(self):
        """The dtype(s) X is cast to: the network's float type."""
        return self._dtype

    def _split_validation(self, data):
        stratify = data["y"] if self._stratify() else None
        n = n_samples(data["X"])
        train, test = train_test_split(
            np.arange(n),
            test_size=self._validation_fraction(),
            random_state=self._rng.randint(np.iinfo(np.int32).max),
            stratify=stratify,
        )
        if len(test) < 2:
            raise ValueError(
                "The validation set is too small. Increase the validation "
                "fraction or the size of your dataset."
            )
        X, y, sw = data["X"], data["y"], data["sw"]
        return {
            "X": take_rows(X, train),
            "y": y[train],
            "sw": sw[train],
            "X_val": take_rows(X, test),
            "y_val": y[test],
            "sw_val": sw[test],
        }

    def _new_state(self):
        from ._callbacks import TrainingState

        return TrainingState(**self._state_start())

    def _fit_loop(self, data, state, *, epochs):
        from ._callbacks import copy_callbacks, wants_batch_hooks
        from ._data import train_dataset

        X = data["X"]
        bs = self._batch_size(n_samples(X))
        ds, steps = train_dataset(
            X,
            data["Y"],
            data["sw"],
            batch_size=bs,
            shuffle=self.shuffle,
            seed=int(self._rng.randint(np.iinfo(np.int32).max)),
            normalize_weights=self._normalize_weights_in_pipeline,
        )
        user_callbacks = copy_callbacks(self._user_callbacks())
        monitor = self._make_monitor(state, data)
        self._set_steps_per_execution(1 if wants_batch_hooks(user_callbacks) else steps)
        fit_kwargs = self._keras_fit_kwargs(data)
        start = fit_kwargs.pop("initial_epoch", 0)
        try:
            self.model_.fit(
                ds,
                epochs=start + epochs,
                initial_epoch=start,
                steps_per_epoch=steps,
                shuffle=False,
                callbacks=[monitor, *user_callbacks],
                **fit_kwargs,
            )
        except KeyboardInterrupt:
            # a notebook's stop button: keep the last completed epoch's weights
            state.interrupted = True
            if state.good_weights is not None:
                self.model_.set_weights(state.good_weights)

    def _undo_failed_fit(self, fresh, state):
        """Leave no half-fitted estimator behind when fit raises.

        A fresh fit forgets everything it set (the estimator is not fitted);
        a continued fit puts back the weights it started from, so the
        fitted attributes still describe the model.
        """
        if fresh:
            for name in [k for k in vars(self) if k.endswith("_") and k[0] != "_"]:
                delattr(self, name)
            vars(self).pop("_predictor", None)
        elif state is not None and state.start_weights is not None:
            self.model_.set_weights(state.start_weights)

    def _report_faults(self, state):
        """Warn about an interrupted fit; raise or warn about a non-finite loss."""
        from ._faults import report_faults

        report_faults(self, state)

    _normalize_weights_in_pipeline = False

    def _state_start(self):
        """Hook: initial best loss/score of the monitor's TrainingState."""
        return {}

    def _user_callbacks(self):
        return self.callbacks

    def _keras_fit_kwargs(self, data):
        """Hook: extra keyword arguments for ``keras.Model.fit``."""
        return {"verbose": 0}

    def _continuation_key(self, spec):
        """What must not change between warm-started fits."""
        return spec

    def _update_continuation(self, spec, incremental):
        """Apply settings that may change between warm-started fits."""
        self._spec = spec

    def _set_steps_per_execution(self, n):
        """Run a whole epoch per graph call unless callbacks need every batch.

        Must divide the epoch's steps, or executions would straddle epochs.
        Changing it re-traces the train step, so it only changes when the
        number of batches per epoch does.
        """
        from ._steps import counted_train_function

        model = self.model_
        if model.steps_per_execution != n or model.train_function is None:
            model.steps_per_execution = n
            model.train_function = counted_train_function(model, n)

    def _finalize(self, state, data, incremental):
        if state.best_weights is not None:
            self.model_.set_weights(state.best_weights)
        self.n_iter_ = state.n_iter
        for key, values in state.history.items():
            self.history_[key] = self.history_.get(key, []) + values
        self._record(state, n_samples(data["X"]), incremental)
        self._predictor = self._make_predictor()

    def _make_predictor(self):
        from ._data import Predictor

        return Predictor(self.model_, self._input_spec, self._input_dtypes())

    # -- helpers ------------------------------------------------------------
    def _forward(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        with device_scope(self.device):
            return self._predictor(X, chunk=self._predict_chunk())

    def _predict_chunk(self):
        """Hook: rows per forward call (None: the predictor's default)."""
        return None

    def _validate_X(self, X, *, reset):
        return val.validate_X(self, X, reset=reset)

    @property
    def _input_spec(self):
        """Per-sample shape of X: ``(n_features,)`` for the 2-D case."""
        return (self.n_features_in_,)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- persistence --------------------------------------------------------
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
        from ._persist import save

        save(self, path)
        return path

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never touch the live dict
        state.pop("_predictor", None)
        state.pop("_loss", None)  # rebuilt on load, after the backend is set up
        if "model_" in state:
            state["model_"] = pickle.dumps(state["model_"])
        return state

    def __setstate__(self, state):
        model = state.get("model_")
        if not isinstance(model, bytes):
            return super().__setstate__(state)
        from . import _keras_objects  # noqa: F401 - sets up and registers with Keras

        state["model_"] = pickle.loads(model)
        super().__setstate__(state)
        self._restore_after_unpickle()
        self._avoid_trace_leak()
        self._predictor = self._make_predictor()

    def _restore_after_unpickle(self):
        """Hook: rebuild unpicklable helpers (the MLP's loss object)."""
