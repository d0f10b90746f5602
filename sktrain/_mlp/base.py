"""The ready-made multi-layer perceptron: what MLPClassifier/MLPRegressor share.

The engine's hooks, the sklearn way: ``MLPSpec`` -> ``build_mlp`` (``build.py``),
the loss and optimizer mapped from sklearn's names (``_factory``), sklearn's
stopping rules as an epoch listener (``stopping.py``) and sklearn's fitted
attributes (``loss_curve_``, ``t_``, ``coefs_`` ...).
"""

from numbers import Integral

import numpy as np

from .._engine.dtypes import dtype_policy
from .._engine.fitdata import TrainSettings
from .._engine.keras_compat import applying_optimizer
from .._engine.options import SKLEARN_SCHEDULES
from .._engine.trainer import BaseTrainer
from .build import MLPSpec
from .params import MLP_CONSTRAINTS, LossParams, WeightViews


class BaseMLP(LossParams, WeightViews, BaseTrainer):
    """Parameters, network spec and weight views shared by the MLP estimators."""

    _parameter_constraints: dict = dict(MLP_CONSTRAINTS)
    _STORED = (
        *("n_outputs_", "n_layers_", "out_activation_", "t_", "loss_"),
        *("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_"),
    )

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
        callbacks,
        clipnorm,
        device,
        dtype,
        on_nan,
        warmup,
        lr_step_size,
        lr_gamma,
        lr_min,
        lr_patience,
        scoring,
        checkpoint,
        gradient_accumulation_steps,
        clipvalue,
        global_clipnorm,
        weight_decay,
        ema,
        distribution,
        **loss_params,
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
        self.callbacks = callbacks
        self.clipnorm = clipnorm
        self.device = device
        self.dtype = dtype
        self.on_nan = on_nan
        self.warmup = warmup
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.lr_min = lr_min
        self.lr_patience = lr_patience
        self.scoring = scoring
        self.checkpoint = checkpoint
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.weight_decay = weight_decay
        self.ema = ema
        self.distribution = distribution
        vars(self).update(loss_params)  # loss__gamma=..., checked in fit

    # -- network ------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return tuple(int(s) for s in sizes)

    def _before_build(self, X, y):
        super()._before_build(X, y)
        self.out_activation_ = self._out_activation()
        self.n_outputs_ = self._target.n_outputs
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = None if self.early_stopping else np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None

    def _architecture(self, X):
        return MLPSpec(
            n_features=X.shape[1],
            hidden_layer_sizes=self._hidden_sizes(),
            activation=self.activation,
            n_outputs=self._target.n_outputs,
            out_activation=self._out_activation(),
            dropout=float(self.dropout),
            l1=float(self.l1),
            l2=float(self.l2),
            alpha=None,  # a runtime value of the loss, free to change
            batch_norm=bool(self.batch_norm),
            kernel_initializer=self.kernel_initializer,
            dtype=self._dtype,
            dtype_policy=dtype_policy(self.dtype),
        )

    def _build_model(self, X, y):
        from .build import build_mlp

        self.n_layers_ = len(self._spec.hidden_layer_sizes) + 2
        return build_mlp(self._spec, self._rng, alpha=float(self.alpha))

    def _make_loss(self):
        from .._factory.losses import make_loss

        soft = getattr(self._target, "soft_targets", False)
        return make_loss(
            self.loss,
            self._loss_params(),
            kind=self._target.kind,
            units=self._target.n_outputs,
            dtype=self._dtype,
            soft_targets=soft,
            label_smoothing=float(getattr(self, "label_smoothing", 0.0)),
        )

    def _output_sum(self):
        """sklearn's 'log_loss' and 'poisson' (and 'focal') sum over labels /
        outputs where Keras' losses average: the factor from Keras' value to
        sklearn's (1 for one output and for softmax's categorical losses,
        which already sum over the classes; 'quantile' averages its levels)."""
        named = self.loss in ("log_loss", "focal", "poisson")
        if named and self._target.kind != "multiclass":
            return float(self._target.n_outputs)
        return 1.0

    def _compile_model(self):
        from .._factory.losses import uses_sparse_labels

        loss = self._compile(self.model_)
        self.model_.alpha = self._network_alpha()
        self._target.configure_output(
            self._spec.n_outputs, sparse_labels=uses_sparse_labels(loss)
        )

    def _network_alpha(self):
        """``alpha`` as the network applies it, per batch: sklearn's L2 term
        is ``0.5 * alpha * ||W||^2 / batch_size``, so with gradient
        accumulation over ``k`` batches it is ``alpha / k`` per batch, the
        term of one batch ``k`` times as large."""
        optimizer = applying_optimizer(self.model_.optimizer)
        return float(self.alpha) / (optimizer.gradient_accumulation_steps or 1)

    def _compile(self, model):
        """Compile ``model`` with this estimator's loss, optimizer and
        metrics; return the loss."""
        from .._factory.knobs import tuned_optimizer
        from .._factory.metrics import make_metrics
        from .._factory.optimizers import make_optimizer, mlp_optimizer_params
        from .._factory.precision import loss_scaled

        loss = self._make_loss()
        if self._lbfgs():  # scipy minimises; Keras only needs an optimizer
            optimizer = make_optimizer("sgd")
        else:
            optimizer = tuned_optimizer(
                self.solver, mlp_optimizer_params(self), self, param="solver"
            )
        factor = self._output_sum()
        model.compile(
            optimizer=loss_scaled(optimizer, self._spec.dtype_policy),
            loss=loss,
            loss_weights=factor if factor != 1 else None,
            metrics=make_metrics(self.metrics),
            jit_compile=False,
            auto_scale_loss=False,  # loss_scaled decides, not Keras' global policy
        )
        return loss

    def _on_continue(self, incremental):
        from .._factory.knobs import check_knobs_unchanged

        if not self._lbfgs():
            check_knobs_unchanged(self, self.model_.optimizer)
        if self._network_alpha() != self.model_.alpha:
            from .._engine.train_function import forget_train_function

            self.model_.alpha = self._network_alpha()
            forget_train_function(self.model_)  # alpha is baked into its trace
        if not incremental and isinstance(self.solver, str) and not self._scheduled():
            self.model_.optimizer.learning_rate.assign(float(self.learning_rate_init))

    # -- training loop settings ---------------------------------------------
    def _check_partial_fit(self):
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True; use fit, or "
                "set early_stopping=False."
            )

    def _lbfgs(self):
        return isinstance(self.solver, str) and self.solver.lower() == "lbfgs"

    def _sklearn_lines(self):
        """sklearn's lines (``stopping.py``) for True and, as sklearn, an int
        from 2 (1: the bar; lbfgs: the engine's line per iteration)."""
        verbose = self.verbose
        if isinstance(verbose, bool | np.bool_):
            return bool(verbose)
        return isinstance(verbose, Integral) and verbose >= 2 and not self._lbfgs()

    def _partial_fit_available(self):
        if self._lbfgs():  # as in sklearn
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def _train_settings(self, incremental):
        stopping = self.early_stopping and not self._lbfgs()  # as in sklearn
        return TrainSettings(
            epochs=1 if incremental else self.max_iter,
            batch_size=self.batch_size,
            validation_fraction=self.validation_fraction if stopping else 0,
            # sklearn stratifies binary targets only (and raises when it
            # cannot); sktrain also stratifies the others where it can
            unstratified_fallback=self._target.kind != "binary",
        )

    def _fit_loop(self, data, settings, state, listeners):
        if not self._lbfgs():
            return super()._fit_loop(data, settings, state, listeners)
        from .._engine.trace_cache import training_model
        from .lbfgs import check_lbfgs_settings, fit_lbfgs

        check_lbfgs_settings(self)
        with training_model(self.model_, self._cache_key(), self._make_twin) as model:
            fit_lbfgs(self, model, data, state)

    # -- learning-rate schedules (``_engine/schedules.py``) ------------------
    def _lr_schedule(self):
        lr = self.learning_rate
        sklearn_own = isinstance(lr, str) and lr in SKLEARN_SCHEDULES
        return None if sklearn_own or self._lbfgs() else lr

    def _scheduled(self):
        if self._lbfgs():  # no learning rate
            return False
        lr = self.learning_rate
        if self.warmup != 0 and isinstance(lr, str) and lr in SKLEARN_SCHEDULES[1:]:
            raise ValueError(
                f"warmup cannot be combined with sklearn's learning_rate={lr!r}; "
                "use one of sktrain's schedules ('step', 'exponential', "
                "'cosine', 'onecycle', 'plateau') or 'constant' with warmup."
            )
        return super()._scheduled()

    def _base_lr(self):
        if isinstance(self.solver, str):
            return float(self.learning_rate_init)
        return super()._base_lr()  # an optimizer instance's own rate

    def _schedule_run(self, settings):
        return int(self.max_iter)

    def _epoch_orders(self, n_samples):
        """sklearn's epoch orders: each epoch reshuffles the previous one
        with the estimator's RandomState (``sklearn.utils.shuffle``), so an
        int ``random_state`` gives sklearn's batches."""
        return _sklearn_orders(n_samples, self._rng) if self.shuffle else None

    def _trace_key(self):
        from dataclasses import replace

        # initial weights come from model_; the graph never sees initializers
        return (replace(self._spec, kernel_initializer=None), float(self.alpha) > 0)

    def _make_twin(self):
        from .build import build_mlp

        # a throwaway RandomState: the estimator's own draws stay untouched
        twin = build_mlp(self._spec, np.random.RandomState(0), float(self.alpha))
        self._compile(twin)
        return twin

    def _epoch_listeners(self, data):
        from .stopping import SklearnStopping, stopping_rules

        if self._lbfgs():
            return []

        rules = stopping_rules(self, data.train.n_samples)
        scorer = self._val_scorer(data.validation) if data.validation else None
        best_loss = np.inf if self.best_loss_ is None else self.best_loss_
        best_score = self.best_validation_score_
        best_score = -np.inf if best_score is None else best_score
        stopping = SklearnStopping(
            rules, scorer, best_loss, best_score, stop_on_validation=self.early_stopping
        )
        return [stopping]

    def _val_scorer(self, validation):
        from .stopping import validation_scorer

        return validation_scorer(self, validation)

    def _make_predictor(self):
        from .._engine.backend import on_gpu
        from .forward import SmallBatchPredictor

        tensorflow = super()._make_predictor()
        numpy_ok = not on_gpu(self.device)
        return SmallBatchPredictor(self.model_, self._dtype, tensorflow, numpy_ok)

    # -- sklearn's fitted attributes ----------------------------------------
    def _record(self, state, listeners, data, incremental):
        from .stopping import record_fit

        record_fit(self, state, listeners, data.train.n_samples, incremental)


def _sklearn_orders(n_samples, rng):
    """Each epoch's row order as sklearn's MLP draws it: ``sklearn.utils.
    shuffle(order, random_state=rng)`` permutes ``order`` by shuffling an
    ``arange`` with ``rng.shuffle``; done here directly (the same draws and
    orders, tested) without its parameter validation (~0.14 ms per epoch)."""
    order = np.arange(n_samples, dtype=np.int64)
    while True:
        perm = np.arange(n_samples)
        rng.shuffle(perm)
        order = order[perm]
        yield order
