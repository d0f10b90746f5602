"""What the probing diagnostics (``overfit_check``, ``lr_find``) share.

- ``Target``: the sktrain estimator a diagnostic trains (the last step of a
  Pipeline, with the preceding steps and the parameter-name prefix);
- ``training_clone``: a ``sklearn.base.clone`` with settings changed (names
  the estimator does not have are skipped), so the user's estimator is never
  touched;
- ``without_callbacks``: the user's callbacks minus the kinds a diagnostic
  run must not have (early stopping, plateau, checkpoints);
- ``strip_regularizers``: every regularizer of a built Keras model off
  (dropout-family rates, weight and activity regularizers, augmentation
  layers), nested models included;
- the learning rate: the estimator's parameter name (``lr_param``), the
  compiled optimizer's rate (``set_learning_rate``, through
  ``keras_compat.applying_optimizer`` for a ``LossScaleOptimizer``);
- ``tiny_subset``: a stratified subset, at least one row per class;
- ``quiet_run``: a training run whose expected warnings (``ConvergenceWarning``,
  the fault warning of a diverging run) are collected, not shown.
"""

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone, is_classifier

from .._engine import inputs as inp
from .._engine.backend import keras
from .._engine.keras_compat import applying_optimizer
from .._engine.trainer import BaseTrainer

# callbacks a diagnostic run drops: they would end it early, change the rate
# or write files
_DROPPED = (
    "EarlyStopping",
    "ReduceLROnPlateau",
    "ModelCheckpoint",
    "BackupAndRestore",
    "LearningRateScheduler",
)
_DROPOUT = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")
_RATE_LAYERS = (*_DROPOUT, "AlphaDropout", "GaussianDropout")
_AUGMENTATION = ("AugMix", "CutMix", "MixUp", "RandAugment")


@dataclass
class Target:
    """The sktrain estimator a diagnostic trains, and where it sits.

    ``steps`` is the Pipeline before it (None: no Pipeline) and ``prefix``
    the parameter-name prefix of the last step (``'mlp__'``).
    """

    estimator: object
    steps: object = None
    prefix: str = ""

    @property
    def is_mlp(self):
        return hasattr(self.estimator, "learning_rate_init")

    @property
    def kind(self):
        """'classifier', 'regressor' or 'transformer'."""
        if is_classifier(self.estimator):
            return "classifier"
        return "transformer" if hasattr(self.estimator, "transform") else "regressor"

    def transform(self, X, y, fit):
        """X through clones of the preceding steps (fitted on X, y when
        ``fit``; the fitted clones are kept for later calls)."""
        if self.steps is None:
            return X
        if fit:
            self._fitted = clone(self.steps).fit(X, y)
        return self._fitted.transform(X)


def target_of(estimator, name):
    """The ``Target`` of ``estimator`` (an sktrain estimator or a Pipeline
    ending in one), or a TypeError that says what is accepted."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, BaseTrainer):
        return Target(estimator)
    if isinstance(estimator, Pipeline) and estimator.steps:
        step, last = estimator.steps[-1]
        if isinstance(last, BaseTrainer):
            return Target(last, Pipeline(estimator.steps[:-1]), f"{step}__")
    raise TypeError(
        f"{name} needs an sktrain estimator (MLPClassifier, MLPRegressor, "
        "KerasClassifier, KerasRegressor, KerasTransformer) or a sklearn "
        f"Pipeline whose last step is one; got {type(estimator).__name__}."
    )


def lr_param(target):
    """The name of the parameter that sets the learning rate."""
    est = target.estimator
    if target.is_mlp:
        name = "learning_rate_init" if isinstance(est.solver, str) else "solver"
    else:
        name = "optimizer__learning_rate"
    return target.prefix + name


def training_clone(estimator, **settings):
    """``clone(estimator)`` with ``settings``; names it does not have (e.g.
    ``label_smoothing`` on a regressor) are skipped, and a routed
    ``fit__<name>`` the user set is overridden too."""
    est = clone(estimator)
    params = est.get_params(deep=False)
    chosen = {k: v for k, v in settings.items() if k in params}
    for key in ("epochs", "batch_size", "validation_split"):
        if f"fit__{key}" in params and key in settings:
            chosen[f"fit__{key}"] = settings[key]
    return est.set_params(**chosen)


def without_callbacks(callbacks, extra=()):
    """The user's ``callbacks`` as a list without the dropped kinds
    (``EarlyStopping``, ``ReduceLROnPlateau``, ``ModelCheckpoint``,
    ``BackupAndRestore``, ``LearningRateScheduler``) and ``extra`` appended."""
    if callbacks is None:
        items = []
    elif isinstance(callbacks, dict):
        items = list(callbacks.values())
    elif isinstance(callbacks, (list, tuple)):
        items = list(callbacks)
    else:
        items = [callbacks]
    kept = [cb for cb in items if _callback_name(cb) not in _DROPPED]
    return kept + list(extra)


def _callback_name(cb):
    if isinstance(cb, str):
        return cb
    cls = cb if isinstance(cb, type) else type(cb)
    return cls.__name__


def take_rows(X, idx):
    """Rows ``idx`` of X (arrays, DataFrames, sparse, dict/list of arrays)."""
    from sklearn.utils import _safe_indexing

    if inp.is_structured(X):
        return inp.take_rows(X, idx)
    return _safe_indexing(X, idx)


def n_rows(X):
    return inp.n_samples(X) if inp.is_structured(X) else len(X)


def tiny_subset(X, y, n_samples, classifier, random_state):
    """Row indices of a random subset of ``n_samples`` rows; for a
    classifier with 1-D labels, stratified (classes in proportion, by
    largest remainder) with at least one row per class."""
    from sklearn.utils import check_random_state

    n = n_rows(X)
    if not 1 <= n_samples <= n:
        raise ValueError(
            f"n_samples={n_samples} must be between 1 and the number of rows "
            f"of X ({n})."
        )
    rng = check_random_state(random_state)
    y = np.asarray(y) if y is not None else None
    if not classifier or y is None or y.ndim != 1:
        return np.sort(rng.choice(n, n_samples, replace=False))
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    if n_samples < len(classes):
        raise ValueError(
            f"n_samples={n_samples} is smaller than the number of classes "
            f"({len(classes)}); the subset needs at least one row per class."
        )
    take = _allocate(counts, n_samples)
    rows = [
        rng.choice(np.flatnonzero(codes == c), k, replace=False)
        for c, k in enumerate(take)
    ]
    return np.sort(np.concatenate(rows))


def _allocate(counts, n):
    """Rows per class: proportional, largest remainder, each at least 1."""
    share = counts * n / counts.sum()
    take = np.maximum(np.floor(share).astype(int), 1)
    while take.sum() > n:  # the 1-row minimums took from the largest
        take[np.argmax(np.where(take > 1, take, -1))] -= 1
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    i = 0
    while take.sum() < n:
        c = order[i % len(order)]
        if take[c] < counts[c]:
            take[c] += 1
        i += 1
    return take


# -- the learning rate ------------------------------------------------------------
def compiled_optimizer(model):
    """The optimizer that applies the gradients (inside a loss scaler)."""
    return applying_optimizer(model.optimizer)


def has_schedule(optimizer):
    """True when ``optimizer`` (a Keras optimizer) was given a
    ``LearningRateSchedule`` (its config holds the schedule's config)."""
    config = applying_optimizer(optimizer).get_config()
    return isinstance(config.get("learning_rate"), dict)


def learning_rate(model):
    """The compiled optimizer's current learning rate (float)."""
    return float(np.asarray(compiled_optimizer(model).learning_rate))


def set_learning_rate(model, lr):
    """Set the compiled optimizer's rate (a variable the traced step reads)."""
    compiled_optimizer(model).learning_rate.assign(lr)


# -- regularizers of a built model -------------------------------------------------
def _layers(model):
    """Every layer of ``model``, nested models walked (depth first)."""
    for layer in getattr(model, "layers", ()):
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def strip_regularizers(model, X_probe):
    """Turn off every regularizer of the built ``model`` in place; return
    what was turned off, one line each.

    Dropout-family rates (``Dropout``, ``SpatialDropout*``, ``AlphaDropout``,
    ``GaussianDropout``) and ``GaussianNoise``'s stddev become 0 (their
    ``call`` reads them when the train step is traced, so a model whose
    train function is not traced yet trains without them); every weight's
    ``regularizer`` (where Keras 3 collects weight penalties from) and every
    layer's ``*_regularizer`` attribute, the activity regularizer included,
    become None; augmentation layers (``Random*``, ``AugMix``, ``CutMix``,
    ``MixUp``, ``RandAugment``) run as in inference. Then the model runs on
    ``X_probe`` in training mode: a loss term left in ``model.losses`` (a
    custom layer's ``add_loss``) is reported as a line starting with 'left:'.
    """
    done = []
    for layer in _layers(model):
        done += _strip_layer(layer)
    for variable in model.trainable_weights:
        if getattr(variable, "regularizer", None) is not None:
            variable.regularizer = None
            done.append(f"{variable.path}: weight regularizer")
    model(X_probe, training=True)
    left = len(model.losses)
    if left:
        done.append(f"left: {left} loss term(s) added by the model's own add_loss")
    return tuple(done)


_REGULARIZER_ATTRS = (
    "kernel_regularizer",
    "bias_regularizer",
    "depthwise_regularizer",
    "pointwise_regularizer",
    "embeddings_regularizer",
    "recurrent_regularizer",
    "beta_regularizer",
    "gamma_regularizer",
)


def _strip_layer(layer):
    name, kind = layer.name, type(layer).__name__
    done = []
    if kind in _RATE_LAYERS and float(layer.rate) > 0:
        done.append(f"{name}: {kind} rate {float(layer.rate):g} -> 0")
        layer.rate = 0.0
    if kind == "GaussianNoise" and float(layer.stddev) > 0:
        done.append(f"{name}: GaussianNoise stddev {float(layer.stddev):g} -> 0")
        layer.stddev = 0.0
    for attr in _REGULARIZER_ATTRS:  # the weights' own are cleared below
        if getattr(layer, attr, None) is not None:
            setattr(layer, attr, None)
    if getattr(layer, "activity_regularizer", None) is not None:
        layer.activity_regularizer = None
        done.append(f"{name}: activity regularizer")
    if kind.startswith("Random") or kind in _AUGMENTATION:
        _as_in_inference(layer)
        done.append(f"{name}: {kind} augmentation off")
    return done


def _as_in_inference(layer):
    """Make an augmentation layer run as in inference (no random change)."""
    call = layer.call

    def call_without_augmentation(*args, training=None, **kwargs):
        return call(*args, training=False, **kwargs)

    object.__setattr__(layer, "call", call_without_augmentation)


def output_activation(model):
    """The name of the activation of the model's last layer (nested models
    walked), or None."""
    layer = model
    while getattr(layer, "layers", None):
        layer = layer.layers[-1]
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None) if activation else None


# -- quiet runs ------------------------------------------------------------------------
@contextmanager
def quiet_run(expected=(RuntimeWarning,)):
    """Collect the warnings of a diagnostic training run: ``ConvergenceWarning``
    and ``expected`` categories are kept in the yielded list; any other
    warning is shown after the run."""
    from sklearn.exceptions import ConvergenceWarning

    kept = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield kept
        finally:
            shown = _sort_warnings(caught, kept, (ConvergenceWarning, *expected))
    for w in shown:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _sort_warnings(caught, kept, categories):
    shown = []
    for w in caught:
        (kept if issubclass(w.category, categories) else shown).append(w)
    return shown


def keras_callback_class(name, mixin):
    """A Keras callback class made from ``mixin`` (Keras imported lazily)."""
    return type(name, (mixin, keras().callbacks.Callback), {})
