"""SciKeras API surface of the Keras* wrappers, behaviour by behaviour.

``initialize``, model instances, ``current_epoch``, the forms ``metrics`` and
``callbacks`` take (with per-item and positional routing), ``_keras_build_fn``
subclasses, ``feature_encoder`` / ``target_encoder`` overrides, ``fit__``
aliases, SciKeras' error messages, the arguments of an open-ended build
function, output dtypes and the unstratified validation fallback. Small
data, few epochs, ``random_state`` everywhere.
"""

import numpy as np
import pytest
from conftest import STATS, TIMING
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.preprocessing import FunctionTransformer

keras = pytest.importorskip("keras")

from sktrain import (  # noqa: E402
    KerasClassifier,
    KerasRegressor,
    MLPClassifier,
    MLPRegressor,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

# sktrain's own network (model=None), kept tiny
TINY = dict(random_state=0, model__hidden_layer_sizes=(4,))


# ---------------------------------------------------------------------------
# build functions and helpers
# ---------------------------------------------------------------------------
def sigmoid_net(meta):
    """A SciKeras-style binary classifier (float32, uncompiled)."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def linear_net(meta):
    """A SciKeras-style regressor (float32, uncompiled)."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(4, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )


def compiled_mae_net(compile_kwargs):
    """A regressor its build function compiles with the 'mae' loss."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile(loss="mae", optimizer=compile_kwargs["optimizer"])
    return model


def compiling_net(meta, compile_kwargs):
    """linear_net, compiled by the build function with compile_kwargs."""
    model = linear_net(meta)
    model.compile(**compile_kwargs)
    return model


def two_input_net(meta):
    """Two inputs: three features and one feature."""
    wide, single = keras.Input((3,)), keras.Input((1,))
    hidden = keras.layers.Concatenate()([keras.layers.Dense(4)(wide), single])
    return keras.Model([wide, single], keras.layers.Dense(1)(hidden))


def recorder_class():
    """A new callback class that records the arguments it is made with."""

    class Recorder(keras.callbacks.Callback):
        made = []

        def __init__(self, tag, every=1):
            super().__init__()
            type(self).made.append((tag, every))

    return Recorder


def compiled_metrics(model):
    """The compiled model's metric objects by name."""
    found = {}
    for metric in model.metrics:
        for inner in getattr(metric, "metrics", [metric]):
            found[inner.name] = inner
    return found


def int_features(X):
    return np.round(X * 3).astype(np.int64)


# ---------------------------------------------------------------------------
# 1. initialize
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wrapper, build, data",
    [
        (KerasClassifier, sigmoid_net, "binary_data"),
        (KerasRegressor, linear_net, "regression_data"),
    ],
)
def test_initialize_builds_and_compiles_without_training(wrapper, build, data, request):
    X, y = request.getfixturevalue(data)
    est = wrapper(build, epochs=2, random_state=0)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est.current_epoch == 0

    assert est.initialize(X, y) is est
    assert est.model_.compiled
    assert est.n_iter_ == 0 and est.history_ == {} and est.current_epoch == 0
    pred = est.predict(X)
    assert pred.shape == (len(X),)
    if wrapper is KerasClassifier:
        assert set(pred) <= set(est.classes_)
        np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0, rtol=1e-5)

    # partial_fit continues from the initialized network
    initialized = est.model_
    before = [w.copy() for w in initialized.get_weights()]
    est.partial_fit(X, y)
    assert est.model_ is initialized
    assert est.current_epoch == 1 and len(est.history_["loss"]) == 1
    assert any(not np.allclose(a, b) for a, b in zip(before, est.model_.get_weights()))

    # fit (no warm_start) builds a new network
    initialized = est.initialize(X, y).model_
    est.fit(X, y)
    assert est.model_ is not initialized
    assert est.current_epoch == 2 and est.n_iter_ == 2


def test_initialize_is_seeded_by_random_state(binary_data):
    """Two initialize calls with the same seed give the same network."""
    X, y = binary_data
    a = KerasClassifier(sigmoid_net, random_state=3).initialize(X, y)
    b = KerasClassifier(sigmoid_net, random_state=3).initialize(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


# ---------------------------------------------------------------------------
# 2. a keras.Model instance as model
# ---------------------------------------------------------------------------
def test_pretrained_compiled_instance_is_copied_with_weights_and_loss(
    regression_data,
):
    X, y = regression_data
    inst = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(3, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    rng = np.random.RandomState(0)
    inst.set_weights([rng.normal(size=w.shape) for w in inst.get_weights()])
    inst.compile(
        loss=keras.losses.MeanAbsoluteError(),
        optimizer=keras.optimizers.SGD(learning_rate=0.0123),
    )
    weights = [w.copy() for w in inst.get_weights()]
    expected = inst.predict(X, verbose=0).ravel()

    reg = KerasRegressor(inst, epochs=2, random_state=0).initialize(X, y)
    assert reg.model_ is not inst
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-5, atol=1e-6)
    # compiled from the instance's compile config: same loss, fresh optimizer
    assert reg.model_.get_compile_config()["loss"] == inst.get_compile_config()["loss"]
    assert isinstance(reg.model_.optimizer, keras.optimizers.SGD)
    assert reg.model_.optimizer is not inst.optimizer
    assert float(reg.model_.optimizer.learning_rate) == pytest.approx(0.0123)

    reg.partial_fit(X, y)
    reg.fit(X, y)
    assert reg.current_epoch == 2
    # the user's instance is never trained
    for before, after in zip(weights, inst.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert int(inst.optimizer.iterations) == 0
    assert reg.get_params()["model"] is inst


def test_uncompiled_instance_is_compiled_from_the_estimator_on_a_copy(
    binary_data,
):
    X, y = binary_data
    inst = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    weights = [w.copy() for w in inst.get_weights()]
    clf = KerasClassifier(
        inst, loss="binary_crossentropy", optimizer="sgd", epochs=2, random_state=0
    ).initialize(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], inst.predict(X, verbose=0).ravel(), rtol=1e-5
    )
    clf.fit(X, y)
    assert clf.model_ is not inst
    assert isinstance(clf.model_.optimizer, keras.optimizers.SGD)
    assert not inst.compiled
    for before, after in zip(weights, inst.get_weights()):
        np.testing.assert_array_equal(before, after)


# ---------------------------------------------------------------------------
# 3. current_epoch
# ---------------------------------------------------------------------------
def test_current_epoch_partial_fit_fit_and_warm_start(binary_data):
    X, y = binary_data
    clf = KerasClassifier(epochs=3, **TINY)
    assert clf.current_epoch == 0
    clf.partial_fit(X, y, classes=[0, 1])
    assert clf.current_epoch == 1
    clf.partial_fit(X, y)
    assert clf.current_epoch == 2

    clf.fit(X, y)  # a new network, trained `epochs` epochs from 0
    assert clf.current_epoch == 3 and clf.n_iter_ == 3
    assert len(clf.history_["loss"]) == 3

    clf.set_params(warm_start=True)
    model = clf.model_
    weights = [w.copy() for w in model.get_weights()]
    clf.fit(X, y)  # weights kept, history restarts (SciKeras)
    assert clf.model_ is model
    assert any(not np.allclose(a, b) for a, b in zip(weights, model.get_weights()))
    assert clf.current_epoch == 3 and len(clf.history_["loss"]) == 3
    clf.partial_fit(X, y)
    assert clf.current_epoch == 4


def test_fit_epochs_overrides_epochs(binary_data):
    X, y = binary_data
    clf = KerasClassifier(epochs=2, fit__epochs=4, **TINY).fit(X, y)
    assert clf.current_epoch == 4 and clf.n_iter_ == 4
    assert clf.get_params()["fit__epochs"] == 4
    # a clone keeps the override
    assert clone(clf).fit(X, y).current_epoch == 4


# ---------------------------------------------------------------------------
# 4. metrics and callbacks: one object, a class, a list, a dict
# ---------------------------------------------------------------------------
_STOP = dict(monitor="loss", min_delta=10, patience=0)


@pytest.mark.parametrize(
    "callbacks, routed",
    [
        (
            keras.callbacks.EarlyStopping,
            {f"callbacks__{k}": v for k, v in _STOP.items()},
        ),
        (keras.callbacks.EarlyStopping(**_STOP), {}),
        (
            [keras.callbacks.EarlyStopping],
            {f"callbacks__0__{k}": v for k, v in _STOP.items()},
        ),
        (
            {"stop": keras.callbacks.EarlyStopping},
            {f"callbacks__stop__{k}": v for k, v in _STOP.items()},
        ),
    ],
    ids=["class", "object", "list", "dict"],
)
def test_early_stopping_in_every_callbacks_form(binary_data, callbacks, routed):
    X, y = binary_data
    epochs = 6
    clf = KerasClassifier(epochs=epochs, callbacks=callbacks, **routed, **TINY)
    clf.fit(X, y)
    assert 1 <= clf.current_epoch < epochs


def test_callbacks_positional_and_keyword_routing(binary_data):
    X, y = binary_data
    Recorder = recorder_class()
    clf = KerasClassifier(
        epochs=4,
        callbacks={"stop": keras.callbacks.EarlyStopping, "rec": Recorder},
        callbacks__stop__monitor="loss",
        callbacks__stop__min_delta=10,
        callbacks__rec__1=3,  # the order of the numbered keys is irrelevant
        callbacks__rec__0="by-key",
        **TINY,
    ).fit(X, y)
    assert Recorder.made == [("by-key", 3)]
    assert clf.current_epoch < 4

    Recorder.made.clear()
    KerasClassifier(
        epochs=1,
        callbacks=[keras.callbacks.TerminateOnNaN, Recorder],
        callbacks__1__0="by-index",
        callbacks__1__every=5,
        **TINY,
    ).fit(X, y)
    assert Recorder.made == [("by-index", 5)]

    Recorder.made.clear()
    KerasClassifier(epochs=1, callbacks=Recorder, callbacks__0="single", **TINY).fit(
        X, y
    )
    assert Recorder.made == [("single", 1)]


def test_a_gap_in_positional_numbering_is_refused(binary_data):
    X, y = binary_data
    Recorder = recorder_class()
    gap_in_item = dict(
        callbacks={"rec": Recorder}, callbacks__rec__0="a", callbacks__rec__2=1
    )
    no_zero = dict(callbacks=Recorder, callbacks__1="a")
    for params in (gap_in_item, no_zero):
        with pytest.raises(ValueError, match="without gaps"):
            KerasClassifier(epochs=1, **params, **TINY).fit(X, y)
    assert Recorder.made == []


@pytest.mark.parametrize(
    "metrics, routed, expected",
    [
        ("accuracy", {}, {"accuracy": {}}),
        (
            keras.metrics.BinaryAccuracy,
            dict(metrics__name="bacc", metrics__threshold=0.9),
            {"bacc": {"threshold": 0.9}},
        ),
        (
            keras.metrics.BinaryAccuracy(name="obj_acc", threshold=0.3),
            {},
            {"obj_acc": {"threshold": 0.3}},
        ),
        (
            [keras.metrics.BinaryAccuracy, "auc"],
            dict(
                metrics__0__name="first",
                metrics__0__threshold=0.2,
                metrics__1__name="second",
            ),
            {"first": {"threshold": 0.2}, "second": {}},
        ),
        (
            {"acc": keras.metrics.BinaryAccuracy, "prec": keras.metrics.Precision},
            dict(
                metrics__acc__name="acc2",
                metrics__prec__name="prec2",
                metrics__prec__thresholds=0.3,
            ),
            {"acc2": {}, "prec2": {"thresholds": [0.3]}},
        ),
        (
            {"acc": keras.metrics.BinaryAccuracy},
            dict(metrics__acc__0="positional", metrics__acc__threshold=0.7),
            {"positional": {"threshold": 0.7}},
        ),
    ],
    ids=["name", "class", "object", "list", "dict", "positional"],
)
def test_metrics_in_every_form_with_routing(binary_data, metrics, routed, expected):
    X, y = binary_data
    clf = KerasClassifier(epochs=1, metrics=metrics, **routed, **TINY).fit(X, y)
    assert set(clf.history_) == {"loss", *STATS, *expected}
    objects = compiled_metrics(clf.model_)
    for name, attributes in expected.items():
        for attribute, value in attributes.items():
            got = getattr(objects[name], attribute)
            np.testing.assert_allclose(got, value, rtol=1e-6)


def test_metrics_positional_gap_is_refused(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="without gaps"):
        KerasClassifier(
            epochs=1,
            metrics={"acc": keras.metrics.BinaryAccuracy},
            metrics__acc__1=0.5,
            **TINY,
        ).fit(X, y)


# ---------------------------------------------------------------------------
# 5. _keras_build_fn subclasses and what model= may be
# ---------------------------------------------------------------------------
class OwnBuild(KerasClassifier):
    def _keras_build_fn(self, meta, units=3, activation="relu"):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(units, activation=activation),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )


def test_keras_build_fn_is_used_with_its_hyperparameters(binary_data):
    X, y = binary_data
    clf = OwnBuild(
        units=5, model__activation="tanh", loss="binary_crossentropy", random_state=0
    ).fit(X, y)
    assert [layer.units for layer in clf.model_.layers] == [5, 1]
    assert clf.model_.layers[0].activation.__name__ == "tanh"
    assert clf.predict(X).shape == (len(X),)
    defaults = OwnBuild(loss="binary_crossentropy", random_state=0).fit(X, y)
    assert [layer.units for layer in defaults.model_.layers] == [3, 1]
    assert defaults.model_.layers[0].activation.__name__ == "relu"


def test_keras_build_fn_and_model_together_are_refused(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="cannot implement ``_keras_build_fn``"):
        OwnBuild(model=sigmoid_net, loss="binary_crossentropy").fit(X, y)


@pytest.mark.parametrize("model", [3, "sigmoid_net", object()])
def test_model_that_is_neither_callable_nor_a_keras_model(binary_data, model):
    X, y = binary_data
    with pytest.raises(TypeError, match="``model`` must be"):
        KerasClassifier(model=model).fit(X, y)


# ---------------------------------------------------------------------------
# 6. subclasses with fewer __init__ parameters
# ---------------------------------------------------------------------------
class NoParams(KerasClassifier):
    def __init__(self):
        super().__init__()

    def _keras_build_fn(self, meta):
        model = sigmoid_net(meta)
        model.compile(loss="binary_crossentropy")
        return model


class SomeParams(KerasRegressor):
    def __init__(
        self, epochs=3, optimizer="sgd", optimizer__learning_rate=0.05, random_state=0
    ):
        # optimizer__learning_rate is declared but not stored (SciKeras style)
        super().__init__(
            model=linear_net,
            epochs=epochs,
            optimizer=optimizer,
            random_state=random_state,
        )


def test_subclass_without_init_parameters_fits(binary_data):
    X, y = binary_data
    clf = NoParams().fit(X, y)
    assert clf.current_epoch == 1
    assert clf.predict(X).shape == (len(X),)
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert clf.get_params() == {}
    assert clone(clf).fit(X, y).current_epoch == 1


def test_subclass_signature_default_of_a_routed_parameter(regression_data):
    X, y = regression_data
    reg = SomeParams()
    assert reg.get_params() == {
        "epochs": 3,
        "optimizer": "sgd",
        "optimizer__learning_rate": 0.05,
        "random_state": 0,
    }
    reg.fit(X, y)
    assert reg.current_epoch == 3
    assert isinstance(reg.model_.optimizer, keras.optimizers.SGD)
    assert float(reg.model_.optimizer.learning_rate) == pytest.approx(0.05)

    # family parameters the subclass does not declare are still settable
    tuned = clone(reg).set_params(optimizer__learning_rate=0.2, batch_size=16)
    tuned.fit(X, y)
    assert float(tuned.model_.optimizer.learning_rate) == pytest.approx(0.2)
    assert clone(SomeParams()).get_params()["optimizer__learning_rate"] == 0.05


# ---------------------------------------------------------------------------
# 7. hyperparameters the build function does not take
# ---------------------------------------------------------------------------
def build_foo(foo=1):
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(foo)])


@pytest.mark.parametrize("params", [{"model__bar": 1}, {"bar": 1}])
@pytest.mark.parametrize("method", ["fit", "initialize"])
def test_unexpected_hyperparameter_is_type_and_value_error(
    regression_data, params, method
):
    X, y = regression_data
    reg = KerasRegressor(build_foo, **params)
    with pytest.raises(TypeError, match="unexpected keyword argument") as info:
        getattr(reg, method)(X, y)
    assert isinstance(info.value, ValueError)
    assert "bar" in str(info.value)
    assert not hasattr(reg, "model_")


# ---------------------------------------------------------------------------
# 8. loss= versus the loss the build function compiled with
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "loss", ["mse", keras.losses.Huber(), keras.losses.MeanSquaredError]
)
def test_different_loss_than_the_compiled_one_is_refused(regression_data, loss):
    X, y = regression_data
    with pytest.raises(ValueError, match="but model compiled with"):
        KerasRegressor(compiled_mae_net, loss=loss).fit(X, y)
    with pytest.raises(ValueError, match="but model compiled with"):
        KerasRegressor(compiled_mae_net, loss=loss).initialize(X, y)


@pytest.mark.parametrize(
    "loss",
    [
        None,
        "mae",
        "mean_absolute_error",
        keras.losses.MeanAbsoluteError(),
        keras.losses.MeanAbsoluteError,
        keras.losses.mean_absolute_error,
    ],
)
def test_same_loss_in_another_spelling_or_none_is_fine(regression_data, loss):
    X, y = regression_data
    reg = KerasRegressor(compiled_mae_net, loss=loss, random_state=0)
    reg.initialize(X, y)  # builds and compiles: where the check runs
    assert reg.model_.loss == "mae"  # the build function's compile is kept


def test_a_subclass_default_loss_does_not_count_as_given(regression_data):
    X, y = regression_data

    class HuberByDefault(KerasRegressor):
        def __init__(self, model=None, loss="huber", **kwargs):
            super().__init__(model=model, loss=loss, **kwargs)

    reg = HuberByDefault(compiled_mae_net, random_state=0).fit(X, y)
    assert reg.model_.loss == "mae"
    with pytest.raises(ValueError, match="but model compiled with"):
        HuberByDefault(compiled_mae_net, loss="mse").fit(X, y)


# ---------------------------------------------------------------------------
# 9. validation_split with a class too rare to stratify
# ---------------------------------------------------------------------------
def _rare_class_data(kind):
    X = np.random.RandomState(0).normal(size=(80, 4))
    if kind == "ten-classes":  # 8 validation rows for 10 classes
        return X, np.repeat(np.arange(10), 8)
    return X, np.r_[np.zeros(79, dtype=int), 1]  # one member of class 1


@pytest.mark.parametrize("kind", ["ten-classes", "single-member"])
def test_wrappers_fall_back_to_an_unstratified_split(kind):
    X, y = _rare_class_data(kind)
    with pytest.raises(ValueError):  # the premise: no stratified split exists
        train_test_split(X, y, test_size=0.1, stratify=y, random_state=0)
    clf = KerasClassifier(epochs=2, validation_split=0.1, **TINY)
    clf.fit(X, y)
    assert len(clf.history_["val_loss"]) == 2
    assert np.all(np.isfinite(clf.history_["val_loss"]))


def test_mlp_still_raises_sklearns_error_for_a_single_member_class():
    X, y = _rare_class_data("single-member")
    params = dict(
        early_stopping=True,
        validation_fraction=0.1,
        hidden_layer_sizes=(4,),
        max_iter=2,
        random_state=0,
    )
    with pytest.raises(ValueError, match="least populated class") as ours:
        MLPClassifier(**params).fit(X, y)
    with pytest.raises(ValueError, match="least populated class") as sklearns:
        SklearnMLPClassifier(**params).fit(X, y)
    assert str(ours.value) == str(sklearns.value)


# ---------------------------------------------------------------------------
# 10. output dtype
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "x_dtype, out_dtype",
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.int64, np.float32),  # the float32 a default Keras model computes in
    ],
)
def test_wrapper_output_dtype(binary_data, regression_data, x_dtype, out_dtype):
    Xc, yc = binary_data
    Xr, yr = regression_data
    if np.dtype(x_dtype).kind == "i":
        Xc, Xr = int_features(Xc), int_features(Xr)
    Xc, Xr = Xc.astype(x_dtype), Xr.astype(x_dtype)
    # initialize is enough: the dtype does not depend on training
    reg = KerasRegressor(linear_net, random_state=0).initialize(Xr, yr)
    assert reg.predict(Xr).dtype == out_dtype
    clf = KerasClassifier(sigmoid_net, random_state=0).initialize(Xc, yc)
    assert clf.predict_proba(Xc).dtype == out_dtype
    assert clf.predict(Xc).dtype == yc.dtype


def test_float64_network_on_int_x_returns_float64(regression_data):
    X, y = regression_data

    def float64_net(meta):
        return keras.Sequential(
            [keras.Input((5,)), keras.layers.Dense(1, dtype="float64")]
        )

    reg = KerasRegressor(float64_net, random_state=0).fit(int_features(X), y)
    assert reg.predict(int_features(X)).dtype == np.float64
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("x_dtype", [np.int64, np.int32])
def test_mlp_regressor_on_int_x_returns_float64(regression_data, x_dtype):
    X, y = regression_data
    X = int_features(X).astype(x_dtype)
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with pytest.warns(Warning):  # sklearn's ConvergenceWarning after 2 epochs
        reg.fit(X, y)
    assert reg.predict(X).dtype == np.float64


# ---------------------------------------------------------------------------
# 11. feature_encoder
# ---------------------------------------------------------------------------
def split_three_one(X):
    return [X[:, :3], X[:, 3:]]


class SplitInputs(KerasRegressor):
    @property
    def feature_encoder(self):
        return FunctionTransformer(split_three_one, validate=True)


def test_feature_encoder_splits_x_for_a_two_input_model():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = X @ [0.5, -0.3, 0.2, 0.8]
    reg = SplitInputs(two_input_net, epochs=2, random_state=0).fit(X, y)
    assert reg.X_shape_ == [(60, 3), (60, 1)]
    encoder = reg.feature_encoder_
    assert isinstance(encoder, FunctionTransformer)
    assert encoder is not reg.feature_encoder  # a fitted clone
    assert encoder.n_features_in_ == 4
    # prediction goes through the encoder as well
    np.testing.assert_allclose(
        reg.predict(X[:7]),
        reg.model_.predict(split_three_one(X[:7]), verbose=0).ravel(),
        rtol=1e-5,
    )
    seen = {}

    def spy(meta):
        seen.update(meta)
        return two_input_net(meta)

    fitted = SplitInputs(spy, random_state=0).fit(X, y)
    assert seen["feature_encoder_"] is fitted.feature_encoder_


def test_default_feature_encoder_is_none(regression_data):
    X, y = regression_data
    reg = KerasRegressor(linear_net, random_state=0)
    assert reg.feature_encoder is None
    with pytest.raises(NotFittedError):
        _ = reg.feature_encoder_
    assert reg.fit(X, y).feature_encoder_ is None


def test_one_dimensional_arrays_in_a_list_are_one_feature():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = X @ [0.5, -0.3, 0.2, 0.8]
    reg = KerasRegressor(two_input_net, epochs=2, random_state=0)
    reg.fit([X[:, :3], X[:, 3]], y)
    assert reg.X_shape_ == [(60, 3), (60, 1)]
    np.testing.assert_array_equal(
        reg.predict([X[:, :3], X[:, 3]]), reg.predict([X[:, :3], X[:, 3:]])
    )


# ---------------------------------------------------------------------------
# 12. target_encoder
# ---------------------------------------------------------------------------
class TwoColumnEncoder(TransformerMixin, BaseEstimator):
    """Two label columns -> one one-hot array per output of a two-head model."""

    def fit(self, y):
        self.classes_ = [np.unique(y[:, j]) for j in range(y.shape[1])]
        self.n_classes_ = [len(c) for c in self.classes_]
        self.n_outputs_expected_ = y.shape[1]
        return self

    def transform(self, y):
        return [
            (y[:, [j]] == classes).astype("float32")
            for j, classes in enumerate(self.classes_)
        ]

    def inverse_transform(self, out, return_proba=False):
        if return_proba:
            return list(out)
        return np.column_stack(
            [classes[np.argmax(o, axis=1)] for classes, o in zip(self.classes_, out)]
        )


class TwoHeads(KerasClassifier):
    @property
    def target_encoder(self):
        return TwoColumnEncoder()


def two_head_net(meta):
    inputs = keras.Input((meta["n_features_in_"],))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    heads = [
        keras.layers.Dense(n, activation="softmax")(hidden) for n in meta["n_classes_"]
    ]
    return keras.Model(inputs, heads)


@pytest.fixture(scope="module")
def two_label_data():
    X = np.random.RandomState(0).normal(size=(80, 4))
    first = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    second = np.array(["x", "y"])[(X[:, 2] > 0).astype(int)]
    return X, np.column_stack([first, second])


def test_target_encoder_for_a_two_output_model(two_label_data):
    X, y = two_label_data
    clf = TwoHeads(
        two_head_net,
        loss="categorical_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=0.05,
        epochs=20,
        random_state=0,
    ).fit(X, y)
    assert clf.n_outputs_expected_ == 2
    assert clf.n_classes_ == [3, 2]
    assert len(clf.model_.outputs) == 2

    pred = clf.predict(X)
    assert pred.shape == y.shape and pred.dtype.kind == "U"
    assert set(pred[:, 0]) <= {"a", "b", "c"} and set(pred[:, 1]) <= {"x", "y"}
    assert np.all((pred == y).mean(axis=0) > 0.85)

    proba = clf.predict_proba(X[:5])
    assert [p.shape for p in proba] == [(5, 3), (5, 2)]
    for p in proba:
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)

    encoder = clf.target_encoder_
    for got, want in zip(encoder.classes_, [["a", "b", "c"], ["x", "y"]]):
        np.testing.assert_array_equal(got, want)
    clf.partial_fit(X, y)
    assert clf.target_encoder_ is encoder
    assert clf.current_epoch == 21


def test_target_encoder_with_class_weight_is_refused(two_label_data):
    X, y = two_label_data
    clf = TwoHeads(
        two_head_net, loss="categorical_crossentropy", class_weight="balanced"
    )
    with pytest.raises(ValueError, match="class_weight cannot be used"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "wrapper, data",
    [(KerasClassifier, "binary_data"), (KerasRegressor, "regression_data")],
)
def test_default_target_encoder_is_sktrains_own_unfitted_target(wrapper, data, request):
    X, y = request.getfixturevalue(data)
    est = wrapper(epochs=1, **TINY)
    default = est.target_encoder
    assert default is not est.target_encoder  # a new one each time
    assert not hasattr(default, "classes_")
    with pytest.raises(NotFittedError):
        _ = est.target_encoder_
    est.fit(X, y)
    fitted = est.target_encoder_
    assert type(fitted) is type(default)
    if wrapper is KerasClassifier:
        np.testing.assert_array_equal(fitted.classes_, est.classes_)
    est.partial_fit(X, y)
    assert est.target_encoder_ is fitted


# ---------------------------------------------------------------------------
# 13. fit__ aliases and plain fit keywords
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_history(binary_data):
    X, y = binary_data
    return KerasClassifier(optimizer="sgd", **TINY).fit(X, y).history_


@pytest.mark.parametrize(
    "name, value",
    [
        ("validation_split", 0.25),
        ("class_weight", {0: 1.0, 1: 20.0}),
        ("batch_size", 16),
        ("epochs", 2),
    ],
)
def test_fit_aliases_act_like_the_plain_parameters(
    binary_data, default_history, name, value
):
    X, y = binary_data
    plain = KerasClassifier(**{name: value}, optimizer="sgd", **TINY)
    routed = KerasClassifier(**{f"fit__{name}": value}, optimizer="sgd", **TINY)
    plain.fit(X, y)
    routed.fit(X, y)
    assert set(routed.history_) == set(plain.history_)
    for key in set(plain.history_) - TIMING:
        np.testing.assert_allclose(routed.history_[key], plain.history_[key], rtol=1e-6)
    # and the setting does act
    assert plain.history_ != default_history


def test_validation_batch_size_is_a_fit_setting_not_a_hyperparameter(binary_data):
    X, y = binary_data
    steps = {}

    class CountValidationSteps(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            steps["last"] = batch

    for params in ({"validation_batch_size": 10}, {"fit__validation_batch_size": 10}):
        # sigmoid_net takes no validation_batch_size: not a hyperparameter
        clf = KerasClassifier(
            sigmoid_net,
            validation_split=0.5,
            callbacks=CountValidationSteps,
            random_state=0,
            **params,
        ).fit(X, y)
        assert steps.pop("last") + 1 == 60 // 10  # 60 validation rows
        assert clf.get_params()[next(iter(params))] == 10
    KerasClassifier(
        sigmoid_net,
        validation_split=0.5,
        callbacks=CountValidationSteps,
        random_state=0,
    ).fit(X, y)
    assert steps.pop("last") + 1 == 2  # Keras' default batch size, 32


@pytest.mark.parametrize(
    "name, value", [("sample_weight", np.ones(120)), ("callbacks", [])]
)
def test_fit_settings_sktrain_owns_are_still_refused(binary_data, name, value):
    X, y = binary_data
    with pytest.raises(ValueError, match="managed by sktrain"):
        KerasClassifier(**{f"fit__{name}": value}, **TINY).fit(X, y)


# ---------------------------------------------------------------------------
# 14. SciKeras' error messages
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        ({"optimizer": None}, "You must provide an optimizer"),
        ({"loss": [None]}, "Provide a `loss`"),
    ],
)
@pytest.mark.parametrize("compiled", [False, True])
def test_missing_optimizer_or_loss_messages(regression_data, params, match, compiled):
    X, y = regression_data
    # sktrain compiles, or the build function compiles with compile_kwargs
    est = (
        KerasRegressor(compiling_net, random_state=0, **params)
        if compiled
        else KerasRegressor(**params, **TINY)
    )
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_all_zero_sample_weight_message(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="only zeros were passed in sample_weight"):
        KerasRegressor(**TINY).fit(X, y, sample_weight=np.zeros(len(X)))


def flatten_net(meta):
    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )


@pytest.mark.parametrize(
    "reshape",
    [lambda X: X[:, :, 0], lambda X: X.reshape(len(X), -1)],
    ids=["drop-last-axis", "flatten"],
)
def test_partial_fit_with_fewer_dimensions_in_x(reshape):
    X = np.random.RandomState(0).normal(size=(40, 2, 3))
    y = X.sum(axis=(1, 2))
    reg = KerasRegressor(flatten_net, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="dimensions in X"):
        reg.partial_fit(reshape(X), y)


# ---------------------------------------------------------------------------
# 15. an open-ended build function
# ---------------------------------------------------------------------------
def test_open_ended_build_function_arguments(binary_data):
    X, y = binary_data
    got = {}

    def build(**kwargs):
        got["order"] = list(kwargs)
        got.update(kwargs)
        model = keras.Sequential(
            [
                keras.Input((kwargs["meta"]["n_features_in_"],)),
                keras.layers.Dense(kwargs["units"], activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(**kwargs["compile_kwargs"])
        return model

    clf = KerasClassifier(
        build,
        units=3,
        model__depth=2,
        loss="binary_crossentropy",
        metrics=["accuracy"],
        random_state=0,
    ).fit(X, y)
    order = got["order"]
    assert order[-3:] == ["meta", "compile_kwargs", "params"]
    assert set(order[:-3]) == {"units", "depth"}
    assert got["units"] == 3 and got["depth"] == 2

    meta = got["meta"]
    assert meta["n_features_in_"] == 5 and meta["n_classes_"] == 2
    assert "feature_encoder_" in meta and meta["feature_encoder_"] is None
    assert meta["target_encoder_"] is clf.target_encoder_

    compile_kwargs = got["compile_kwargs"]
    assert set(compile_kwargs) <= KerasClassifier._compile_kwargs
    assert compile_kwargs["loss"] == "binary_crossentropy"
    assert isinstance(compile_kwargs["optimizer"], keras.optimizers.RMSprop)
    assert got["params"]["units"] == 3 and got["params"]["model__depth"] == 2
    assert [layer.units for layer in clf.model_.layers] == [3, 1]
    assert "accuracy" in clf.history_
