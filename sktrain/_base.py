"""The training lifecycle shared by every sktrain estimator.

``fit`` / ``partial_fit``
    -> ``_fit``: validate parameters and data, decide fresh start vs continue
    -> ``_initialize``: fit the target encoder, build and compile the network
    -> ``_prepare``: encode targets, combine sample and class weights, split
       off the early-stopping validation set
    -> ``_fit_loop``: one ``keras.Model.fit`` call over a seeded pipeline,
       with ``SklearnMonitor`` deciding when to stop
    -> ``_finalize``: copy what the monitor recorded into fitted attributes,
       restore the best weights, build the fast predictor.

``predict`` and friends go through ``_forward``: validate X, run the fast
predictor, let the target encoder decode the output.
"""

import pickle
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _validation as val
from ._backend import device_scope
from ._params import fit_config


class BaseTrainer(BaseEstimator):
    """Lifecycle shared by the sktrain estimators (not a public class).

    Subclasses provide ``_make_target()``, ``_build_model(X)``,
    ``_make_loss()``, ``_validation_score(y, out, sw)`` and the parameters.
    """

    _MULTI_OUTPUT = True

    # -- public entry points ------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and target(s) y; returns self."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        self._validate_params()
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True; use fit, or "
                "set early_stopping=False."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # -- lifecycle steps ----------------------------------------------------
    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        fresh = not hasattr(self, "model_") or not (incremental or self.warm_start)
        X, y = self._validate_fit_data(X, y, reset=fresh)
        with device_scope(self.device):
            if fresh:
                self._initialize(X, y, classes)
            else:
                self._check_continuation(X, y, incremental)
            data = self._prepare(X, y, sample_weight)
            state = self._fit_loop(data, epochs=1 if incremental else self.max_iter)
        self._finalize(state, data, incremental)
        return self

    def _validate_fit_data(self, X, y, *, reset):
        X, y = val.validate_X_y(
            self, X, y, reset=reset, multi_output=self._MULTI_OUTPUT
        )
        return X, self._check_y(y)

    def _initialize(self, X, y, classes):
        self._rng = check_random_state(self.random_state)
        self._target = self._make_target().fit(y, classes)
        self._dtype = val.model_dtype(self, X).name
        self._spec = self._make_spec(X)
        self.model_ = self._build_model(self._spec)
        self._loss = self._make_loss()
        self.model_.compile(
            optimizer=self._make_optimizer(),
            loss=self._loss,
            metrics=list(self.metrics) if self.metrics else None,
            jit_compile=False,
        )
        self.n_outputs_ = self._target.n_outputs
        self.n_layers_ = len(self._spec.hidden_layer_sizes) + 2
        self.t_ = 0
        self.loss_curve_ = []
        self.history_ = {}
        self.best_loss_ = None if self.early_stopping else np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None

    def _check_continuation(self, X, y, incremental):
        context = "partial_fit" if incremental else "fit with warm_start=True"
        self._target.check_same_kind(y, context=context)
        spec = self._make_spec(X)
        if self._continuation_key(spec) != self._continuation_key(self._spec):
            raise ValueError(
                f"{context} needs the same network architecture as the fitted "
                "model, but a parameter that shapes it changed (e.g. "
                "hidden_layer_sizes, activation, dropout, l1, l2, batch_norm). "
                "Set warm_start=False to train a new network."
            )
        self._update_continuation(spec, incremental)

    def _prepare(self, X, y, sample_weight):
        sw = val.check_sample_weight(sample_weight, X) * self._class_weights(y)
        X = X.astype(self._dtype, copy=False)
        data = {"X": X, "y": y, "sw": sw, "X_val": None}
        if self.early_stopping:
            data = self._split_validation(data)
        data["Y"] = self._encode(data["y"])
        return data

    def _split_validation(self, data):
        stratify = data["y"] if self._stratify() else None
        X, X_val, y, y_val, sw, sw_val = train_test_split(
            data["X"],
            data["y"],
            data["sw"],
            test_size=self.validation_fraction,
            random_state=self._rng.randint(np.iinfo(np.int32).max),
            stratify=stratify,
        )
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return {
            "X": X,
            "y": y,
            "sw": sw,
            "X_val": X_val,
            "y_val": y_val,
            "sw_val": sw_val,
        }

    def _fit_loop(self, data, *, epochs):
        from ._callbacks import (
            TrainingState,
            copy_callbacks,
            make_monitor,
            wants_batch_hooks,
        )
        from ._data import train_dataset

        X = data["X"]
        state = TrainingState(
            best_loss=np.inf if self.best_loss_ is None else self.best_loss_,
            best_score=(
                -np.inf
                if self.best_validation_score_ is None
                else self.best_validation_score_
            ),
        )
        bs = self._batch_size(X.shape[0])
        ds, steps = train_dataset(
            X,
            data["Y"],
            data["sw"],
            batch_size=bs,
            shuffle=self.shuffle,
            seed=int(self._rng.randint(np.iinfo(np.int32).max)),
        )
        config = fit_config(self, n_samples=X.shape[0])
        scorer = self._val_scorer(data) if data["X_val"] is not None else None
        monitor = make_monitor(state, config=config, val_scorer=scorer)
        user_callbacks = copy_callbacks(self.callbacks)
        self._set_steps_per_execution(1 if wants_batch_hooks(user_callbacks) else steps)
        self.model_.fit(
            ds,
            epochs=epochs,
            steps_per_epoch=steps,
            verbose=0,
            shuffle=False,
            callbacks=[monitor, *user_callbacks],
        )
        return state

    def _continuation_key(self, spec):
        """What must not change between warm-started fits (hook: MLP drops alpha)."""
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
        if self.model_.steps_per_execution != n:
            self.model_.steps_per_execution = n
            self.model_.train_function = None

    def _finalize(self, state, data, incremental):
        from ._data import Predictor

        if state.best_weights is not None:
            self.model_.set_weights(state.best_weights)
        n_train = data["X"].shape[0]
        self.n_iter_ = state.n_iter
        self.t_ += state.n_iter * n_train
        self.loss_curve_ = self.loss_curve_ + state.loss_curve
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        for key, values in state.history.items():
            self.history_[key] = self.history_.get(key, []) + values
        if self.early_stopping:
            self.validation_scores_ = self.validation_scores_ + state.validation_scores
            self.best_validation_score_ = state.best_validation_score
        else:
            self.best_loss_ = state.best_loss
        self._predictor = Predictor(self.model_, self.n_features_in_, self._dtype)
        if (
            not incremental
            and not state.stopped_early
            and state.n_iter >= self.max_iter
        ):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    # -- helpers ------------------------------------------------------------
    def _batch_size(self, n_samples):
        from ._data import batch_size_for

        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped",
                stacklevel=4,
            )
        return batch_size_for(self.batch_size, n_samples)

    def _val_scorer(self, data):
        from ._data import Predictor

        predictor = Predictor(self.model_, self.n_features_in_, self._dtype)
        X_val, y_val, sw_val = data["X_val"], data["y_val"], data["sw_val"]
        Y_val = self._encode(y_val)

        def score(model):
            out = predictor(X_val)
            val_loss = float(np.asarray(self._loss(Y_val, out)))
            return self._validation_score(y_val, out, sw_val), val_loss

        return score

    def _make_optimizer(self):
        from ._optimizers import make_optimizer

        return make_optimizer(self)

    def _forward(self, X):
        check_is_fitted(self)
        X = val.validate_X(self, X, reset=False)
        with device_scope(self.device):
            return self._predictor(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- persistence --------------------------------------------------------
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
        from ._data import Predictor

        state["model_"] = pickle.loads(model)
        super().__setstate__(state)
        self._loss = self._make_loss()
        self._predictor = Predictor(self.model_, self.n_features_in_, self._dtype)
