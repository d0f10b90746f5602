"""``solver='lbfgs'``: sklearn's full-batch L-BFGS-B on the Keras network.

As sklearn does, ``scipy.optimize.minimize(method='L-BFGS-B', jac=True)``
minimises the full-batch loss over the flattened trainable weights, with
``max_iter`` iterations, ``max_fun`` function calls and ``gtol=tol``. The loss
and its gradient come from one traced TensorFlow function, kept with the
model it trains (a cached twin, ``_engine/trace_cache.py``: traced once per
architecture, X, y and the weights are its inputs): the weights are
assigned from the flat vector, the network runs on all of X in training
mode and ``Network.compute_loss`` gives sklearn's loss (weighted by
``sample_weight`` / ``class_weight``, plus ``alpha``'s L2 term and any
``l1`` / ``l2`` penalty). Dropout would make that loss random, so it is
refused; Keras callbacks have no epochs to run at, and the optimizer knobs
(``clipnorm``, ``weight_decay``, ``ema``, ...) no optimizer to set, so they
are refused too. An int ``verbose`` and sklearn's callbacks see each scipy
iteration at its end (``_engine/progress.py``: ``report_step``).
"""

import numpy as np
from sklearn.utils.optimize import _check_optimize_result

from .._factory.knobs import KNOBS


def check_lbfgs_settings(est):
    """Refuse settings that have no meaning for a full-batch solver."""
    if float(est.dropout) > 0:
        raise ValueError(
            "solver='lbfgs' minimises the full-batch loss deterministically, "
            "and dropout makes that loss random. Set dropout=0.0, or use a "
            "stochastic solver ('adam', 'sgd') with dropout."
        )
    knobs = [n for n in KNOBS if getattr(est, n, None) is not None]
    if knobs:
        raise ValueError(
            f"solver='lbfgs' does not use a Keras optimizer, so {', '.join(knobs)} "
            "cannot apply (gradient clipping, accumulation, weight decay and "
            "weight averaging are optimizer settings). Leave them at None, or "
            "use a stochastic solver ('adam', 'sgd')."
        )
    if est.callbacks:
        raise ValueError(
            "solver='lbfgs' does not run Keras epochs, so callbacks cannot be "
            "called. Remove callbacks, or use a stochastic solver."
        )
    if est.distribution is not None:
        raise ValueError(
            "solver='lbfgs' runs scipy's L-BFGS-B on the host over one "
            "full-batch function, so a distribution strategy cannot apply. Set "
            "distribution=None, or use a stochastic solver ('adam', 'sgd')."
        )


def fit_lbfgs(est, model, data, state):
    """Train ``model`` (``est.model_`` or its cached twin) on ``data.train``
    with L-BFGS-B; fill ``state``."""
    from scipy.optimize import minimize

    from .._engine.progress import report_step

    fun = _loss_and_gradient(model, data.train)
    x0 = np.concatenate([np.ravel(v.numpy()) for v in model.trainable_variables])
    curve = []

    def record(intermediate_result):
        curve.append(float(intermediate_result.fun))
        if state.reporters:  # ``verbose``, sklearn's callbacks: an iteration
            fun.assign(intermediate_result.x)
            report_step(model, state, {"loss": curve[-1]})

    try:
        result = minimize(
            fun,
            x0.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={
                "maxfun": int(est.max_fun),
                "maxiter": int(est.max_iter),
                "gtol": float(est.tol),
            },
        )
    except KeyboardInterrupt:
        state.interrupted = True  # the weights of the last evaluation stay
        state.n_iter = len(curve)
        state.history["loss"] = curve
        return
    fun.assign(result.x)
    state.n_iter = _check_optimize_result("lbfgs", result, int(est.max_iter))
    if not np.isfinite(result.fun):
        fun.assign(x0)
        state.nonfinite_epoch = state.n_iter
        state.n_iter = 0
        curve = []
    state.history["loss"] = curve or [float(result.fun)]


class _LossAndGradient:
    """``f(flat) -> (loss, gradient)`` in float64, for scipy; ``assign(flat)``
    sets the model's weights."""

    def __init__(self, traced, variables, data):
        self.traced, self.variables, self.data = traced, variables, data
        self.dtype = np.dtype(variables[0].dtype)

    def __call__(self, flat):
        loss, grad = self.traced(flat.astype(self.dtype), *self.data)
        return float(loss), np.asarray(grad, dtype=np.float64)

    def assign(self, flat):
        start = 0
        for v in self.variables:
            size = int(np.prod(v.shape))
            v.assign(np.reshape(flat[start : start + size], v.shape).astype(v.dtype))
            start += size


def _loss_and_gradient(model, train):
    from .._engine.backend import tf
    from .._engine.keras_compat import kept_with

    tf_ = tf()
    x = tf_.constant(train.X.toarray() if hasattr(train.X, "toarray") else train.X)
    y = tf_.constant(train.Y)
    weighted = not np.all(train.sample_weight == 1)
    w = tf_.constant(train.sample_weight if weighted else [], dtype=x.dtype)
    key = (weighted, tuple(x.shape[1:]), x.dtype.name, tuple(y.shape[1:]), y.dtype.name)
    traced = kept_with(
        model,
        "_sktrain_lbfgs",
        key,
        lambda: _traced_loss_and_gradient(model, x, y, w, weighted),
    )
    return _LossAndGradient(traced, list(model.trainable_variables), (x, y, w))


def _traced_loss_and_gradient(model, x, y, w, weighted):
    """The concrete function ``(flat, X, Y, W) -> (loss, flat gradient)``."""
    from .._engine.backend import tf
    from .._engine.keras_compat import quiet_for_dtype
    from .._engine.train_function import row_spec as rows

    tf_ = tf()
    variables = list(model.trainable_variables)
    shapes = [tuple(v.shape) for v in variables]
    sizes = [int(np.prod(s)) for s in shapes]

    flat_spec = tf_.TensorSpec([sum(sizes)], np.dtype(variables[0].dtype))

    signature = [flat_spec, rows(x), rows(y), rows(w)]

    @tf_.function(input_signature=signature, autograph=False)  # ~0.6 s less
    def traced(flat, x, y, w):
        for v, part, shape in zip(variables, tf_.split(flat, sizes), shapes):
            v.assign(tf_.reshape(part, shape))
        with tf_.GradientTape() as tape:
            y_pred = model(x, training=True)
            weights = w if weighted else None
            loss = model.compute_loss(x, y, y_pred, weights, training=True)
        grads = tape.gradient(loss, variables)
        flat_grads = [
            tf_.zeros([n], flat.dtype) if g is None else tf_.reshape(g, [-1])
            for g, n in zip(grads, sizes)
        ]
        return loss, tf_.cast(tf_.concat(flat_grads, 0), flat.dtype)

    return quiet_for_dtype(model, traced.get_concrete_function())
