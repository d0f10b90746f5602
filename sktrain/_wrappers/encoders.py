"""A user's target encoder (SciKeras' ``target_encoder``) as an sktrain Target.

A Keras* subclass may override the ``target_encoder`` property with an
sklearn-style transformer: ``fit(y)``, ``transform(y)`` (the array, or the
list of arrays a multi-output model trains on) and
``inverse_transform(outputs)`` (plus ``inverse_transform(outputs,
return_proba=True)`` for ``predict_proba``). ``EncoderTarget`` gives it the
``Target`` protocol (``_targets.py``) the lifecycle speaks: the user's encoder
owns the encoding and the network's output layout, so nothing is checked
against the output layer, the validation split is not stratified and
``class_weight`` is refused. The attributes the encoder learns
(``classes_``, ``n_classes_``, ``n_outputs_expected_``) reach the estimator
and SciKeras-style build functions through ``meta``.
"""

import copy

import numpy as np
from sklearn.base import clone
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

_KINDS = {
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel-indicator": "multilabel",
    "multiclass-multioutput": "multiclass",
    "continuous": "regression",
    "continuous-multioutput": "regression",
}
# what the encoder learned that build functions may ask for in ``meta``
ENCODER_META = ("classes_", "n_classes_", "n_outputs_expected_")


def fresh_copy(encoder):
    """An unfitted copy of a user's encoder: ``clone`` for an sklearn
    estimator, a deep copy of anything else (``fit``/``transform`` suffice)."""
    if hasattr(encoder, "get_params"):
        return clone(encoder)
    return copy.deepcopy(encoder)


def is_target(obj):
    """True for sktrain's own targets (anything else is a user's encoder)."""
    return all(hasattr(obj, n) for n in ("encode", "decode", "configure_output"))


class EncoderTarget:
    """The ``Target`` protocol around a user's sklearn-style encoder."""

    def __init__(self, encoder, estimator_name):
        self.encoder = encoder
        self.estimator_name = estimator_name

    def fit(self, y, classes=None):
        self.encoder = fresh_copy(self.encoder).fit(y)
        self.target_type = type_of_target(y)
        self.kind = _KINDS.get(self.target_type, "regression")
        self.n_target_columns = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        for name in ENCODER_META:
            if hasattr(self.encoder, name):
                setattr(self, name, getattr(self.encoder, name))
        return self

    @property
    def n_outputs(self):
        return getattr(self.encoder, "n_outputs_expected_", None) or 1

    def configure_output(self, units, **network):
        return self  # the encoder decides the layout of the outputs

    def check(self, y, *, context):
        columns = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        if columns != self.n_target_columns:
            raise ValueError(
                f"{context}: Detected ``y`` to have {columns} column(s), but "
                f"{self.estimator_name} was fitted on {self.n_target_columns}."
            )

    def encode(self, y, dtype):
        return self.encoder.transform(y)

    def decode(self, out):
        return self.encoder.inverse_transform(out)

    def proba(self, out):
        return self.encoder.inverse_transform(out, return_proba=True)

    def class_weights(self, y, class_weight):
        if class_weight is not None:
            raise ValueError(
                f"class_weight cannot be used with {self.estimator_name}'s own "
                "target_encoder; pass per-sample weights as sample_weight."
            )
        return np.ones(len(y))

    def stratify(self, y):
        return None

    def validation_score(self, y, out, sample_weight):
        raise NotImplementedError("used by the MLP family only")


class EncoderHooks:
    """SciKeras' ``feature_encoder`` / ``target_encoder`` hooks (a mixin of
    ``BaseKerasWrapper``)."""

    @property
    def feature_encoder(self):
        """Override hook: an unfitted sklearn transformer applied to X before
        the network, at fit and predict (SciKeras' name), e.g. to split one
        array into the list a multi-input model takes. None (the default):
        X goes in as given. Custom encoders survive pickling, not ``save``.
        """
        return None

    @property
    def target_encoder(self):
        """Override hook: the unfitted target encoder (SciKeras' name).

        The default is sktrain's own encoder for this estimator. A subclass
        may return an sklearn-style transformer instead: ``fit(y)``,
        ``transform(y)`` giving the array (or the list of arrays, one per
        output of a multi-output model) the network trains on, and
        ``inverse_transform(outputs)`` (with ``return_proba=True`` for
        ``predict_proba``); see ``_wrappers/encoders.py``.
        """
        return self._make_target()

    def _new_target(self):
        encoder = self.target_encoder
        return (
            encoder
            if is_target(encoder)
            else EncoderTarget(encoder, type(self).__name__)
        )

    @property
    def feature_encoder_(self):
        """The fitted ``feature_encoder`` (None when there is none)."""
        check_is_fitted(self, "model_")
        return self._fitted_encoders()[0]

    @property
    def target_encoder_(self):
        """The fitted target encoder: it encodes y for the network and
        decodes the network's outputs (``_targets``); the same object for
        the network's lifetime, through ``partial_fit`` and warm starts."""
        check_is_fitted(self, "model_")
        return self._fitted_encoders()[1]

    def _fitted_encoders(self):
        """(feature encoder or None, target encoder): the user's own
        encoders where given, else sktrain's target (also while the network
        is built, before ``model_`` exists: SciKeras' ``meta``)."""
        target = self._target
        return vars(self).get("_feature_encoder"), getattr(target, "encoder", target)

    def _encode_features(self, X, y, *, reset):
        """X through the fitted ``feature_encoder`` (fitted anew on ``reset``)."""
        if reset:
            encoder = self.feature_encoder
            self._feature_encoder = (
                None if encoder is None else fresh_copy(encoder).fit(X, y)
            )
        encoder = vars(self).get("_feature_encoder")
        if encoder is None:
            return X
        if reset and getattr(X, "ndim", None) == 2:
            self.n_features_in_ = X.shape[1]  # the raw X's, as in SciKeras
        return encoder.transform(X)
