"""KerasTransformer: a Keras model as a scikit-learn transformer."""

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions

from .._engine import inputs as inp
from .._io.registry import estimator
from .._targets import ReconstructionTarget, RegressionTarget
from .._utils.docstrings import WRAPPER_ATTRIBUTES, WRAPPER_MODEL, WRAPPER_PARAMETERS
from .base import BaseKerasWrapper

_SKIP = {"self", "__class__", "kwargs"}


@estimator
class KerasTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseKerasWrapper
):
    _parameter_constraints: dict = {
        **BaseKerasWrapper._parameter_constraints,
        "target": [StrOptions({"X", "y"})],
        "transform_layer": [str, None],
    }

    def __init__(
        self,
        model=None,
        *,
        target="X",
        transform_layer=None,
        loss=None,
        optimizer="rmsprop",
        metrics=None,
        batch_size=None,
        epochs=1,
        verbose=0,
        callbacks=None,
        validation_split=0.0,
        shuffle=True,
        random_state=None,
        warm_start=False,
        device="auto",
        run_eagerly=False,
        jit_compile=False,
        on_nan="raise",
        dtype=None,
        lr_schedule=None,
        warmup=0,
        lr_step_size=10,
        lr_gamma=None,
        lr_min=0.0,
        lr_patience=5,
        scoring=None,
        checkpoint=None,
        gradient_accumulation_steps=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        weight_decay=None,
        ema=None,
        distribution=None,
        freeze=None,
        unfreeze_at=None,
        **kwargs,
    ):
        params = {k: v for k, v in locals().items() if k not in _SKIP}
        super().__init__(**params, **kwargs)

    def fit(self, X, y=None, sample_weight=None, **kwargs):
        """Train the model on X (``target='X'``) or on y (``target='y'``).

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, or dict/list of arrays
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), \
default=None
            Regression targets; ignored with ``target='X'``.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        **kwargs : dict
            ``keras.Model.fit`` settings for this call only (``epochs=5``).

        Returns
        -------
        self : KerasTransformer
            The fitted transformer.
        """
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch; see :meth:`fit`.

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, or dict/list of arrays
            Training data.
        y : array-like, default=None
            Regression targets; ignored with ``target='X'``.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : KerasTransformer
            The trained transformer.
        """
        return self._partial_fit(X, y, sample_weight=sample_weight)

    def transform(self, X):
        """The model's output (or ``transform_layer``'s), one row per sample.

        Parameters
        ----------
        X : array-like, sparse matrix, N-D array, or dict/list of arrays
            The input samples.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The output, flattened to 2-D.
        """
        out = self._forward(X)
        return out.reshape(len(out), -1)

    @property
    def _n_features_out(self):
        return int(np.prod(self._transform_shape))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        tags.input_tags.sparse = self.target == "y"
        return tags

    # -- lifecycle hooks ----------------------------------------------------
    def _stream_parts(self):
        return (1,) if self.target == "X" else (2, 3)

    def _validate_fit_data(self, X, y, *, reset):
        from .._utils.validation import is_stream

        if self.target == "y" or is_stream(X):
            if y is None and not is_stream(X):
                raise ValueError("target='y' needs y: call fit(X, y).")
            return super()._validate_fit_data(X, y, reset=reset)
        X = self._validate_X(X, reset=reset)
        if any(hasattr(a, "toarray") for a in inp.leaves(X)):
            raise ValueError(
                "target='X' with sparse X would densify the whole of X as the "
                "target; pass dense X, or train on a target with target='y'."
            )
        if inp.is_structured(X):
            raise ValueError("target='X' needs a single input array.")
        return X, X

    def _check_y(self, y):
        return y

    def _make_target(self):
        name = type(self).__name__
        return (
            ReconstructionTarget(name)
            if self.target == "X"
            else (RegressionTarget(name))
        )

    def _make_predictor(self):
        from .._engine.predictor import Predictor

        model = self.model_
        if self.transform_layer is not None:
            model = _sub_model(model, self.transform_layer)
        self._transform_shape = (
            tuple(model.outputs[0].shape[1:])
            if (getattr(model, "outputs", None))
            else self._output_shape
        )
        return Predictor(model, self._sample_shapes, self._in_dtypes)


def _sub_model(model, layer_name):
    from .._engine.backend import keras
    from .._utils.validation import did_you_mean

    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"transform_layer={layer_name!r} is not a layer of the model."
            f"{did_you_mean(layer_name, names)} Layers: {names}."
        )
    try:
        return keras().Model(model.inputs, model.get_layer(layer_name).output)
    except (AttributeError, ValueError) as exc:
        raise ValueError(
            "transform_layer needs a functional or Sequential model with known "
            f"inputs ({exc})."
        ) from exc


KerasTransformer.__doc__ = f"""Wrap a Keras model as a scikit-learn transformer.

``transform`` returns the model's output, or the output of the layer named
``transform_layer`` (e.g. an autoencoder's bottleneck), flattened to one row
per sample. ``get_feature_names_out`` names the columns, so
``set_output(transform="pandas")`` works.

Parameters
----------
{WRAPPER_MODEL}
target : {{'X', 'y'}}, default='X'
    'X' trains the model to reconstruct its input (an autoencoder; y is
    ignored, so the transformer also fits inside a supervised Pipeline);
    'y' trains it on the regression target y.

transform_layer : str or None, default=None
    Name of the layer whose output ``transform`` returns; None is the
    model's output.

loss : str, class, keras.losses.Loss, callable or None, default=None
    None is the mean squared error; 'huber' is quadratic up to
    ``loss__delta`` (default 1.0), linear beyond; ``loss__name=value``
    configures any loss.

{WRAPPER_PARAMETERS}
Attributes
----------
{WRAPPER_ATTRIBUTES}
See Also
--------
KerasClassifier : A Keras model as a classifier.
KerasRegressor : A Keras model as a regressor.

Examples
--------
>>> import keras
>>> import numpy as np
>>> from sktrain import KerasTransformer
>>> X = np.random.RandomState(0).normal(size=(100, 6))
>>> def autoencoder(n_features_in, code=2):
...     inputs = keras.Input((n_features_in,))
...     z = keras.layers.Dense(code, name="bottleneck")(inputs)
...     return keras.Model(inputs, keras.layers.Dense(n_features_in)(z))
>>> enc = KerasTransformer(autoencoder, transform_layer="bottleneck",
...                        epochs=3, random_state=0).set_output(transform="pandas")
>>> enc.fit_transform(X).columns.tolist()
['kerastransformer0', 'kerastransformer1']
"""
