"""The typed data one fit works on: ``FitData`` and how it is made.

``prepare_fit_data`` combines sample and class weights, casts X to the
network's input dtypes, splits off the validation set (seeded from the
estimator's RNG, stratified when the target says so) and encodes y.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from .._utils.validation import check_sample_weight
from .inputs import cast_inputs, leaves, n_samples, take_rows
from .seeds import draw_seed
from .streams import Stream, stream_splits


@dataclass(frozen=True)
class Split:
    """One part of the data: inputs, raw and encoded targets, weights."""

    X: object  # an array, or a dict/list of arrays for a multi-input model
    y: np.ndarray  # the user's targets (labels or values)
    Y: object  # encoded for the network
    sample_weight: np.ndarray

    @property
    def n_samples(self):
        return n_samples(self.X)


@dataclass(frozen=True)
class FitData:
    """The training split and, when one was held out, the validation split."""

    train: Split
    validation: Split | None = None


@dataclass(frozen=True)
class TrainSettings:
    """How a family wants one fit run (``BaseTrainer._train_settings``)."""

    epochs: int
    batch_size: object  # 'auto', None, -1 or an int: see pipeline.batch_size_for
    validation_fraction: float = 0.0
    # where a stratified split is impossible (a class too rare for both
    # parts): split unstratified (the wrappers, like Keras) or raise (the MLP,
    # like sklearn)
    unstratified_fallback: bool = False
    # batches per epoch of a dataset (``streams.py``); None: one pass
    steps_per_epoch: int | None = None


def prepare_fit_data(est, X, y, sample_weight, settings, validation=None):
    """The ``FitData`` of one fit of ``est`` (its target is already fitted);
    ``validation``: the user's ``(X_val, y_val, sample_weight_val)``, used
    instead of a split."""
    if isinstance(X, Stream):  # a dataset's batches (the Keras* wrappers)
        return FitData(*stream_splits(est, X, settings, validation, _given_split))
    sw = _weights(est, X, y, sample_weight)
    X = cast_inputs(X, est._in_dtypes)
    if validation is not None:
        return FitData(_split(est, X, y, sw, None), _given_split(est, *validation))
    if not settings.validation_fraction:
        return FitData(_split(est, X, y, sw, None))
    train, test = _validation_rows(
        n_samples(X), est._target.stratify(y), settings, draw_seed(est._rng)
    )
    if len(test) < 2:
        raise ValueError(
            "The validation set is too small. Increase the validation "
            "fraction or the size of your dataset."
        )
    return FitData(_split(est, X, y, sw, train), _split(est, X, y, sw, test))


def _weights(est, X, y, sample_weight):
    sw = check_sample_weight(sample_weight, leaves(X)[0])
    return sw * est._target.class_weights(y, est._class_weight())


def _given_split(est, X_val, y_val, sample_weight_val):
    est._target.check(y_val, context="validation data (y_val)")
    sw = _weights(est, X_val, y_val, sample_weight_val)
    return _split(est, cast_inputs(X_val, est._in_dtypes), y_val, sw, None)


def _validation_rows(n, stratify, settings, seed):
    """(train rows, validation rows), stratified by ``stratify`` if given."""
    rows = np.arange(n)
    size = settings.validation_fraction
    try:
        return train_test_split(
            rows, test_size=size, random_state=seed, stratify=stratify
        )
    except ValueError:
        if stratify is None or not settings.unstratified_fallback:
            raise
        return train_test_split(rows, test_size=size, random_state=seed)


def _split(est, X, y, sw, rows):
    if rows is None:
        X_part, y_part = X, y
    else:
        X_part, y_part, sw = take_rows(X, rows), y[rows], sw[rows]
    return Split(X_part, y_part, est._target.encode(y_part, est._dtype), sw)
