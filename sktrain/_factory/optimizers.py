"""``optimizer`` / ``solver`` -> a fresh Keras optimizer, for both families.

``make_optimizer(spec, params)`` takes a name (any Keras optimizer; a
did-you-mean error otherwise), a class, or an instance (copied; ``params``
override its config). The MLP maps sklearn's solver settings onto it
(``mlp_optimizer_params``):

- ``'adam'``: ``learning_rate_init``, ``beta_1``, ``beta_2``, ``epsilon``,
  the same update rule as sklearn's Adam;
- ``'sgd'``: ``learning_rate_init``, ``momentum``, ``nesterov``;
- any other name: ``learning_rate=learning_rate_init``;
- an instance: its own settings win;

and the optimizer knobs (``clipnorm``, ``weight_decay``, ``ema``, ...) apply
to any of them (``knobs.py``: ``tuned_optimizer``). ``'lbfgs'`` is not a Keras
optimizer: the MLP runs it through scipy (``_mlp/lbfgs.py``); elsewhere it is
a clear error.
"""

import functools
import inspect

from .._engine.backend import keras
from .._engine.keras_compat import applying_optimizer
from .._utils.validation import unknown_name_error
from .instantiate import instantiate


def keras_optimizer_names():
    """Lower-case names Keras accepts in ``keras.optimizers.get``."""
    return sorted(_optimizer_classes())


@functools.cache
def _optimizer_classes():
    """Lower-case name -> Keras optimizer class (scanned once per process)."""
    k = keras()
    return {
        n.lower(): getattr(k.optimizers, n)
        for n in dir(k.optimizers)
        if isinstance(getattr(k.optimizers, n), type)
        and issubclass(getattr(k.optimizers, n), k.optimizers.Optimizer)
        and n not in ("Optimizer", "LossScaleOptimizer")
    }


def optimizer_class(name, *, param="optimizer"):
    """The Keras optimizer class of a name ('adam', 'AdamW', 'sgd')."""
    if name.lower() == "lbfgs":
        raise ValueError(
            f"{param}='lbfgs' is not a Keras optimizer (MLPClassifier and "
            "MLPRegressor take solver='lbfgs'). Use 'adam', 'sgd' or any "
            "Keras optimizer name such as 'adamw' or 'rmsprop'."
        )
    classes = _optimizer_classes()
    if name.lower() not in classes:
        raise unknown_name_error(param, name, list(classes))
    return classes[name.lower()]


def make_optimizer(spec, params=None, *, param="optimizer"):
    """A new optimizer from a name, class or instance and its parameters."""
    k = keras()
    if isinstance(spec, str):
        spec = optimizer_class(spec, param=param)
    elif not (inspect.isclass(spec) or isinstance(spec, k.optimizers.Optimizer)):
        raise ValueError(
            f"You must provide an optimizer: {param} must be an optimizer name "
            "('adam', 'sgd', 'adamw', ...), class or keras.optimizers.Optimizer "
            f"instance; got {spec!r}."
        )
    params = dict(params or {})
    if inspect.isclass(spec) and "name" not in params and _takes_name(spec):
        params["name"] = spec.__name__.lower()
    return instantiate(spec, params, prefix=param)  # always a new object


def _takes_name(cls):
    """True if ``cls.__init__`` names a ``name`` parameter (every Keras
    optimizer; a class taking only ``**kwargs`` is left as it is).

    A class's optimizer gets one fixed name, not Keras' numbered one
    (``adam_7``): TensorFlow keys its cached kernels on a variable's name, so
    slot variables named anew for every fit each cost a kernel build
    (~0.7 ms, measured: 7 of the 9 ms a small MLP's variables took) and a
    cache entry that is never reused.
    """
    return "name" in inspect.signature(cls.__init__).parameters


def mlp_optimizer_params(est):
    """The Keras parameters of an MLP's ``solver`` (see the module doc)."""
    if not isinstance(est.solver, str):
        return {}
    name = est.solver.lower()
    lr = float(est.learning_rate_init)
    if name == "adam":
        return {
            "learning_rate": lr,
            "beta_1": float(est.beta_1),
            "beta_2": float(est.beta_2),
            "epsilon": float(est.epsilon),
        }
    if name == "sgd":
        return {
            "learning_rate": lr,
            "momentum": float(est.momentum),
            "nesterov": bool(est.nesterovs_momentum),
        }
    return {"learning_rate": lr}


def prepare_optimizer(optimizer, *, scheduled, meter=True):
    """What the engine needs of a compiled model's optimizer before its
    train step is traced: the gradient-norm meter (``meter``; not under a
    strategy, where each replica sees its own gradients) and, when
    ``scheduled``, a ``StepTable`` learning rate. True if anything was added
    (a train step traced before must then be traced again)."""
    from .._engine.monitoring import meter_gradients

    added = meter_gradients(optimizer) if meter else False
    return (use_step_table(optimizer) if scheduled else False) or added


def use_step_table(optimizer):
    """Give ``optimizer`` a ``StepTable`` learning rate (``_engine/schedules``)
    starting at its own rate; a no-op if it has one. Call it before the
    optimizer is used in a traced step."""
    from .keras_objects import StepTable

    inner = applying_optimizer(optimizer)
    current = inner._learning_rate
    if isinstance(current, StepTable):
        return False
    if isinstance(current, keras().optimizers.schedules.LearningRateSchedule):
        raise ValueError(
            "The optimizer already has a LearningRateSchedule as its learning "
            "rate; pass the schedule as the estimator's schedule parameter "
            "(learning_rate for MLPClassifier/MLPRegressor, lr_schedule for "
            "the Keras* estimators) and a float learning rate to the optimizer."
        )
    inner.learning_rate = StepTable(float(current.numpy()))
    return True
