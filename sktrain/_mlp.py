"""The ready-made multi-layer perceptron: what MLPClassifier/MLPRegressor share."""

import warnings
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._base import BaseTrainer
from ._params import MLP_CONSTRAINTS, fit_config


class BaseMLP(BaseTrainer):
    """Parameters, network spec and weight views shared by the MLP estimators."""

    _parameter_constraints: dict = dict(MLP_CONSTRAINTS)

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        dropout,
        l1,
        l2,
        batch_norm,
        kernel_initializer,
        metrics,
        class_weight,
        callbacks,
        clipnorm,
        device,
        dtype,
        on_nan,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.l1 = l1
        self.l2 = l2
        self.batch_norm = batch_norm
        self.kernel_initializer = kernel_initializer
        self.metrics = metrics
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.clipnorm = clipnorm
        self.device = device
        self.dtype = dtype
        self.on_nan = on_nan

    # -- network ------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return tuple(int(s) for s in sizes)

    def _set_target_meta(self, X, y):
        from ._validation import model_dtype

        super()._set_target_meta(X, y)
        self._dtype = model_dtype(self, X).name

    def _make_spec(self, X):
        from ._model import MLPSpec

        return MLPSpec(
            n_features=X.shape[1],
            hidden_layer_sizes=self._hidden_sizes(),
            activation=self.activation,
            n_outputs=self._target.n_outputs,
            out_activation=self._out_activation(),
            dropout=float(self.dropout),
            l1=float(self.l1),
            l2=float(self.l2),
            alpha=float(self.alpha),
            batch_norm=bool(self.batch_norm),
            kernel_initializer=self.kernel_initializer,
            dtype=self._dtype,
        )

    def _continuation_key(self, spec):
        return replace(spec, alpha=None)

    def _update_continuation(self, spec, incremental):
        if spec.alpha != self._spec.alpha:
            self.model_.alpha = spec.alpha
            self.model_.train_function = None  # alpha is baked into the trace
        if not incremental and isinstance(self.solver, str):
            self.model_.optimizer.learning_rate.assign(float(self.learning_rate_init))
        super()._update_continuation(spec, incremental)

    def _build_model(self, spec, X, y):
        from ._model import build_mlp

        return build_mlp(spec, self._rng)

    def _make_loss(self):
        from ._losses import resolve_loss

        soft = getattr(self._target, "soft_targets", False)
        return resolve_loss(self.loss, self._target.kind, self._dtype, soft)

    def _compile(self):
        from ._optimizers import make_optimizer

        self._loss = self._make_loss()
        self.model_.compile(
            optimizer=make_optimizer(self),
            loss=self._loss,
            metrics=list(self.metrics) if self.metrics else None,
            jit_compile=False,
        )

    def _configure_target(self):
        from ._losses import uses_sparse_labels

        self._target.configure_output(
            self._spec.n_outputs, sparse_labels=uses_sparse_labels(self.loss)
        )

    def _restore_after_unpickle(self):
        self._loss = self._make_loss()

    # -- training loop settings ---------------------------------------------
    def _check_partial_fit(self):
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True; use fit, or "
                "set early_stopping=False."
            )

    def _epochs(self, incremental):
        return 1 if incremental else self.max_iter

    def _validation_fraction(self):
        return self.validation_fraction if self.early_stopping else 0.0

    def _batch_size(self, n_samples):
        from ._data import batch_size_for

        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped",
                stacklevel=4,
            )
        return batch_size_for(self.batch_size, n_samples)

    def _state_start(self):
        return {
            "best_loss": np.inf if self.best_loss_ is None else self.best_loss_,
            "best_score": (
                -np.inf
                if self.best_validation_score_ is None
                else self.best_validation_score_
            ),
        }

    def _make_monitor(self, state, data):
        from ._callbacks import make_monitor

        config = fit_config(self, n_samples=data["X"].shape[0])
        scorer = self._val_scorer(data) if data["X_val"] is not None else None
        return make_monitor(state, config=config, val_scorer=scorer)

    def _val_scorer(self, data):
        predictor = self._make_predictor()
        X_val, y_val, sw_val = data["X_val"], data["y_val"], data["sw_val"]
        Y_val = self._encode(y_val)

        def score(model):
            out = predictor(X_val)
            val_loss = float(np.asarray(self._loss(Y_val, out)))
            return self._validation_score(y_val, out, sw_val), val_loss

        return score

    # -- sklearn's fitted attributes ----------------------------------------
    def _reset_fitted(self):
        self.n_outputs_ = self._target.n_outputs
        self.n_layers_ = len(self._spec.hidden_layer_sizes) + 2
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = None if self.early_stopping else np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None

    def _record(self, state, n_train, incremental):
        self.t_ += state.n_iter * n_train
        self.loss_curve_ = self.loss_curve_ + state.loss_curve
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        if self.early_stopping:
            self.validation_scores_ = self.validation_scores_ + state.validation_scores
            self.best_validation_score_ = state.best_validation_score
        else:
            self.best_loss_ = state.best_loss
        reached_max = state.n_iter >= self.max_iter
        if not incremental and not state.stopped_early and reached_max:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    # -- sklearn's weight views -------------------------------------------
    def _dense_weights(self, name):
        from ._model import dense_layers

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
