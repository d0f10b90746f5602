"""The Keras* wrappers on a ``tf.data.Dataset`` or a generator factory.

The contract is ``_engine/streams.py``'s; here are the wrappers' checks
(``y`` and ``sample_weight`` live in the batches, no ``feature_encoder``, a
fresh fit), the fitted feature attributes from the first batch
(``n_features_in_``, the sample shapes) and prediction batch by batch.
"""

import numpy as np

from .._engine.streams import Stream, as_stream


def check_fit_arguments(est, X, sample_weight, classes):
    """Refuse what a dataset's fit cannot take; ``classes`` only with one."""
    from .._utils.validation import is_stream

    name = type(est).__name__
    if not is_stream(X):
        if classes is not None:
            raise ValueError(
                f"classes is for {name}.fit on a dataset; with arrays the "
                "classes are y's labels."
            )
        return
    if sample_weight is not None:
        raise ValueError(
            f"{name}.fit on a dataset takes the weights in its batches, "
            "(x, y, sample_weight), not as sample_weight."
        )


def validate_stream(est, X, y, *, reset, parts):
    """``(stream, None)`` for a dataset X (else None); sets the fitted
    feature attributes on a fresh fit."""
    stream = as_stream(X, est, parts=parts)
    if not isinstance(stream, Stream):
        return None
    name = type(est).__name__
    if y is not None:
        raise ValueError(
            f"{name}.fit on a dataset takes y from its (x, y) batches: leave y=None."
        )
    if not reset:
        raise ValueError(
            f"{name} continues a fit (warm_start=True or partial_fit) on "
            "arrays only; fit on a dataset trains a new network."
        )
    if est.feature_encoder is not None:
        raise ValueError(f"{name}'s feature_encoder needs arrays, not a dataset.")
    est._feature_encoder = None
    vars(est).pop("feature_names_in_", None)
    est._sample_shapes = tuple(stream.shape[1:])
    if stream.ndim == 2:
        est.n_features_in_ = stream.shape[1]
    else:
        vars(est).pop("n_features_in_", None)
    return stream, None


def validate_val_stream(est, X_val, y_val, sample_weight_val):
    """A validation dataset as ``(stream, None, None)``, or None."""
    stream = as_stream(X_val, est, parts=est._stream_parts())
    if not isinstance(stream, Stream):
        return None
    if y_val is not None or sample_weight_val is not None:
        raise ValueError(
            "A validation dataset (X_val) holds its labels and weights in its "
            "batches: leave y_val and sample_weight_val None."
        )
    _check_sample_shape(est, stream)
    return (stream, None, None)


def forward_stream(est, X):
    """The network's outputs on every batch of a dataset, concatenated."""
    stream = Stream(X, name=type(est).__name__, parts=None)
    outs = [est._forward(x) for x in stream.batches()]
    if isinstance(outs[0], list):
        return [np.concatenate(parts) for parts in zip(*outs)]
    return np.concatenate(outs)


def _check_sample_shape(est, stream):
    if tuple(stream.shape[1:]) != tuple(est._sample_shapes):
        raise ValueError(
            f"The validation dataset's x has samples of shape "
            f"{tuple(stream.shape[1:])}, the training data "
            f"{tuple(est._sample_shapes)}."
        )


class StreamHooks:
    """The lifecycle hooks of ``BaseKerasWrapper`` for datasets (a mixin)."""

    def _stream_parts(self):
        """The batch structures a dataset may have: (x, y), (x, y, w)."""
        return (2, 3)

    def _validate_val_data(self, X_val, y_val, sample_weight_val):
        given = validate_val_stream(self, X_val, y_val, sample_weight_val)
        return given or super()._validate_val_data(X_val, y_val, sample_weight_val)

    def _initialize(self, X, y, classes):
        from .._engine.streams import probe

        if isinstance(X, Stream):  # the first batch shapes the network
            given = classes if classes is not None else vars(self).get("_call_classes")
            X, y = probe(self, X, given)
        super()._initialize(X, y, classes)

    def _forward(self, X):
        from .._utils.validation import is_stream

        if is_stream(X):
            return forward_stream(self, X)
        return super()._forward(X)
