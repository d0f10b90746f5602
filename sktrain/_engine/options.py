"""The training toolkit's parameters, shared by both families.

One place for their names, defaults and ``_parameter_constraints``:

- learning-rate schedules (``SCHEDULES``; the MLP's ``learning_rate``, the
  wrappers' ``lr_schedule``) and their settings ``warmup``,
  ``lr_step_size``, ``lr_gamma``, ``lr_min``, ``lr_patience``
  (``schedules.py`` computes the rates);
- ``scoring`` on the validation data each epoch (``scoring.py``);
- ``checkpoint``: a file saved after every epoch (``checkpoint.py``);
- optimizer knobs: ``gradient_accumulation_steps``, ``clipvalue``,
  ``global_clipnorm``, ``weight_decay``, ``ema`` (``_factory/knobs.py``);
- ``label_smoothing`` for the classifiers (``_factory/losses.py``);
- the wrappers' fine-tuning: ``freeze``, ``unfreeze_at``;
- ``distribution``: a ``tf.distribute`` strategy (``distribution.py``).

Each estimator's ``__init__`` lists them with ``TOOLKIT_DEFAULTS``' values
(a test keeps the signatures and this table equal).
"""

import os
from numbers import Integral, Real

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

# learning-rate schedules sktrain computes (besides a Keras
# LearningRateSchedule or a callable ``(epoch, lr) -> lr``)
SCHEDULES = ("constant", "step", "exponential", "cosine", "onecycle", "plateau")
# the MLP's sklearn schedules (``_mlp/stopping.py`` applies them)
SKLEARN_SCHEDULES = ("constant", "invscaling", "adaptive")
MIXED_DTYPES = ("mixed_float16", "mixed_bfloat16")
DTYPES = ("float32", "float64", *MIXED_DTYPES)

TOOLKIT_DEFAULTS = {
    "warmup": 0,
    "lr_step_size": 10,
    "lr_gamma": None,
    "lr_min": 0.0,
    "lr_patience": 5,
    "scoring": None,
    "checkpoint": None,
    "gradient_accumulation_steps": None,
    "clipvalue": None,
    "global_clipnorm": None,
    "weight_decay": None,
    "ema": None,
    "distribution": None,
}
CLASSIFIER_DEFAULTS = {"label_smoothing": 0.0}
WRAPPER_DEFAULTS = {
    "lr_schedule": None,
    "clipnorm": None,
    "freeze": None,
    "unfreeze_at": None,
}

_POSITIVE = Interval(Real, 0, None, closed="neither")
TOOLKIT_CONSTRAINTS = {
    "warmup": [
        Interval(Integral, 0, None, closed="left"),
        Interval(Real, 0, 1, closed="neither"),
    ],
    "lr_step_size": [Interval(Integral, 1, None, closed="left")],
    "lr_gamma": [Interval(Real, 0, 1, closed="neither"), None],
    "lr_min": [Interval(Real, 0, None, closed="left")],
    "lr_patience": [Interval(Integral, 0, None, closed="left")],
    "scoring": [str, callable, list, tuple, dict, None],
    "checkpoint": [str, os.PathLike, None],
    "gradient_accumulation_steps": [Interval(Integral, 1, None, closed="left"), None],
    "clipvalue": [_POSITIVE, None],
    "global_clipnorm": [_POSITIVE, None],
    "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    "ema": [Interval(Real, 0, 1, closed="neither"), None],
    # 'mirrored', 'multiworker' or a tf.distribute.Strategy (``distribution.py``)
    "distribution": [
        StrOptions({"mirrored", "multiworker"}),
        HasMethods(["scope", "run"]),
        None,
    ],
    "dtype": [StrOptions(set(DTYPES)), None],
}
CLASSIFIER_CONSTRAINTS = {
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
}
WRAPPER_TOOLKIT_CONSTRAINTS = {
    "lr_schedule": [StrOptions(set(SCHEDULES)), callable, None],
    "clipnorm": [_POSITIVE, None],
    "freeze": [str, list, tuple, None],
    "unfreeze_at": [Interval(Integral, 0, None, closed="left"), None],
}
MLP_LEARNING_RATE = [StrOptions(set(SCHEDULES + SKLEARN_SCHEDULES)), callable]
