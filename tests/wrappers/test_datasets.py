"""The Keras* wrappers on a tf.data.Dataset or a generator factory.

A fit on a dataset of the batches the array fit makes (``shuffle=False``,
the same batch size and seed) trains the same network: the predictions are
equal to float tolerance, with string labels, sample weights in
``(x, y, sample_weight)`` batches, a generator factory, an autoencoder and
a validation dataset; one pass is one epoch, or ``fit__steps_per_epoch``
batches of an infinite dataset. The contract's errors say what to do.
"""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from sktrain import (
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)

B = 32  # the batch size of both fits


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    y_reg = (X[:, 0] * 2 + X[:, 2]).astype(np.float32)
    w = rng.uniform(0.1, 2.0, size=200).astype(np.float32)
    return X, y, y_reg, w


def _batches(*arrays):
    return tf.data.Dataset.from_tensor_slices(arrays).batch(B)


def _same(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_classifier_dataset_fit_equals_the_array_fit(data):
    X, y, _, _ = data
    labels = np.array(["no", "yes"])[y]
    params = dict(epochs=3, shuffle=False, random_state=0)
    arrays = KerasClassifier(batch_size=B, **params).fit(X, labels)
    streamed = KerasClassifier(**params).fit(_batches(X, labels), classes=["no", "yes"])
    _same(streamed.predict_proba(X), arrays.predict_proba(X))
    _same(streamed.history_["loss"], arrays.history_["loss"])
    assert streamed.classes_.tolist() == ["no", "yes"]
    assert streamed.n_features_in_ == 5 and streamed.n_iter_ == 3
    # predict on a dataset of x batches, or of (x, y) batches: x is taken
    _same(
        streamed.predict_proba(tf.data.Dataset.from_tensor_slices(X).batch(64)),
        arrays.predict_proba(X),
    )
    np.testing.assert_array_equal(
        streamed.predict(_batches(X, labels)), arrays.predict(X)
    )


def test_sample_weights_in_the_batches(data):
    X, _, y, w = data
    params = dict(epochs=2, shuffle=False, random_state=0)
    arrays = KerasRegressor(batch_size=B, **params).fit(X, y, sample_weight=w)
    streamed = KerasRegressor(**params).fit(_batches(X, y, w))
    _same(streamed.predict(X), arrays.predict(X))
    unweighted = KerasRegressor(**params).fit(_batches(X, y))
    assert np.abs(unweighted.predict(X) - streamed.predict(X)).max() > 1e-4


def test_generator_factory(data):
    X, _, y, _ = data
    calls = []

    def batches():  # a fresh iterator per call: the spec, then each epoch
        calls.append(1)
        for i in range(0, len(X), B):
            yield X[i : i + B], y[i : i + B]

    params = dict(epochs=2, shuffle=False, random_state=0)
    arrays = KerasRegressor(batch_size=B, **params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "ran out of data": one pass, one epoch
        streamed = KerasRegressor(**params).fit(batches)
    assert len(calls) == 3
    _same(streamed.predict(X), arrays.predict(X))
    _same(streamed.predict(lambda: iter([X[:50], X[50:]])), arrays.predict(X))


def test_autoencoder_and_validation_dataset(data):
    X, _, _, _ = data
    params = dict(epochs=2, shuffle=False, random_state=0)
    arrays = KerasTransformer(batch_size=B, **params)
    arrays.fit(X, X_val=X[:64], y_val=X[:64])
    streamed = KerasTransformer(**params).fit(
        tf.data.Dataset.from_tensor_slices(X).batch(B),
        X_val=tf.data.Dataset.from_tensor_slices(X[:64]).batch(B),
    )
    _same(streamed.transform(X), arrays.transform(X))
    # one pass over the validation dataset: the final network's MSE on it
    # (the array fit's val_loss is not compared: with validation arrays,
    # Keras evaluates steps_per_execution batches of the repeating pipeline)
    mse = np.mean((streamed.model_.predict(X[:64], verbose=0) - X[:64]) ** 2)
    _same(streamed.history_["val_loss"][-1], mse)


def test_steps_per_epoch_of_an_infinite_dataset(data):
    X, y, _, _ = data
    clf = KerasClassifier(epochs=3, fit__steps_per_epoch=2, random_state=0)
    clf.fit(_batches(X, y).repeat(), classes=[0, 1], X_val=X[:40], y_val=y[:40])
    assert len(clf.history_["loss"]) == len(clf.history_["val_loss"]) == 3
    # the same 6 batches as an array fit of 6 * B rows, one epoch
    arrays = KerasClassifier(batch_size=B, shuffle=False, random_state=0)
    arrays.fit(X[: 6 * B], y[: 6 * B])
    _same(
        KerasClassifier(fit__steps_per_epoch=6, random_state=0)
        .fit(_batches(X, y).repeat(), classes=[0, 1])
        .predict_proba(X),
        arrays.predict_proba(X),
    )


@pytest.mark.parametrize(
    "fit, message",
    [
        (lambda X, y: KerasClassifier().fit(_batches(X, y)), "needs classes"),
        (
            lambda X, y: KerasClassifier(validation_split=0.2).fit(
                _batches(X, y), classes=[0, 1]
            ),
            "pass X_val and y_val, or a validation dataset",
        ),
        (
            lambda X, y: KerasRegressor().fit(tf.data.Dataset.from_tensor_slices(X)),
            r"\(x, y\) or \(x, y, sample_weight\) batches",
        ),
        (
            lambda X, y: KerasRegressor().fit(
                tf.data.Dataset.from_tensor_slices((X, y))
            ),
            r"Batch the dataset",
        ),
        (lambda X, y: KerasRegressor().fit(_batches(X, y), y), "leave y=None"),
        (
            lambda X, y: KerasRegressor().fit(_batches(X, y), sample_weight=y),
            "weights in its batches",
        ),
        (lambda X, y: KerasClassifier().fit(X, y, classes=[0, 1]), "with arrays"),
        (
            lambda X, y: KerasClassifier(class_weight="balanced").fit(
                _batches(X, y), classes=[0, 1]
            ),
            "class_weight",
        ),
    ],
    ids=[
        "no-classes",
        "validation-split",
        "x-only",
        "unbatched",
        "y-given",
        "sample-weight-given",
        "classes-with-arrays",
        "class-weight",
    ],
)
def test_contract_errors(data, fit, message):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=message):
        fit(X, y)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_the_mlp_refuses_a_dataset(data, Est):
    X, y, _, _ = data
    with pytest.raises(TypeError, match="KerasClassifier, KerasRegressor and Keras"):
        Est().fit(_batches(X, y))
    with pytest.raises(TypeError, match="takes arrays"):
        Est().fit(lambda: iter([(X, y)]))


def test_a_continued_fit_needs_arrays(data):
    X, y, _, _ = data
    clf = KerasClassifier(warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="on arrays only"):
        clf.fit(_batches(X, y), classes=[0, 1])
