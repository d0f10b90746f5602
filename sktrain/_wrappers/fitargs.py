"""Keyword arguments of ``keras.Model.fit`` for the Keras* wrappers.

sktrain owns the data, batching, epochs, shuffling, weights and callbacks;
``fit__`` routes anything else ``keras.Model.fit`` takes (``validation_freq``,
...); ``fit__verbose`` is an alias of ``verbose``, sktrain's own progress
(Keras always runs with ``verbose=0``). The seeded validation split is
handed to Keras as a finite pass over its own pipeline, so ``val_loss`` and
``val_<metric>`` land in ``history_`` and callbacks such as
``EarlyStopping(monitor='val_loss')`` work.
"""

from .._engine.backend import keras
from .._utils.routing import check_names, signature_names

_OWNED = {
    "x": "X",
    "y": "y",
    "sample_weight": "sample_weight (fit's argument)",
    "callbacks": "callbacks",
    "shuffle": "shuffle",
    "validation_data": "validation_split",
    "steps_per_epoch": "batch_size (fit__steps_per_epoch: a dataset's only)",
    "initial_epoch": "warm_start / partial_fit",
}
# fit__ aliases of the estimator's own settings (SciKeras routes them so)
_SKTRAIN_ONLY = {
    "epochs",
    "batch_size",
    "validation_batch_size",
    "validation_split",
    "class_weight",
    "verbose",  # sktrain's progress (``_engine/progress.py``); Keras runs quiet
}


def keras_fit_kwargs(est, data):
    """The ``keras.Model.fit`` keywords for one fit of ``est``."""
    from .._engine.streams import Stream

    fit = est._fit_routed()
    if isinstance(data.train.X, Stream):  # the feed passes it to Keras
        fit = {k: v for k, v in fit.items() if k != "steps_per_epoch"}
    for name in fit:
        if name in _OWNED:
            raise ValueError(
                f"fit__{name} is managed by sktrain; set the estimator's "
                f"{_OWNED[name]} instead."
            )
    names, _ = signature_names(keras().Model.fit)
    extra = {k: v for k, v in fit.items() if k not in _SKTRAIN_ONLY}
    check_names(extra, set(names) - set(_OWNED), where="keras.Model.fit", prefix="fit")
    kwargs = {**extra, "initial_epoch": est._first_epoch()}
    if data.validation is not None:
        batch_size = fit.get(
            "validation_batch_size", est._train_settings(False).batch_size
        )
        kwargs.update(_validation(est, data.validation, batch_size))
    return kwargs


def _validation(est, validation, batch_size):
    from .._engine.pipeline import batch_size_for, train_dataset
    from .._engine.streams import Stream, encoded

    if isinstance(validation.X, Stream):
        return {"validation_data": encoded(est, validation.X)}
    ds, steps = train_dataset(
        validation.X,
        validation.Y,
        validation.sample_weight,
        batch_size=batch_size_for(batch_size, validation.n_samples, warn=False),
        shuffle=False,
        seed=0,
        normalize_weights=True,
    )
    # one finite pass, no validation_steps: Keras' multi-step test loop (a
    # whole epoch's steps_per_execution) stops at the data's end instead of
    # reading on into the repeated pipeline, so every row counts once
    return {"validation_data": ds.take(steps)}
