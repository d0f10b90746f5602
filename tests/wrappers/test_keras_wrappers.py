"""Behavioural tests of KerasClassifier / KerasRegressor / KerasTransformer.

User models of every kind (CNN on images, LSTM on sequences, two-input
functional models, sparse one-hot input), build-function styles, routing,
targets, seeding and continued training. Every test checks values: shapes,
probabilities, scores, weights, configs.
"""

import pickle
import random

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktrain import KerasClassifier, KerasRegressor, KerasTransformer

keras = pytest.importorskip("keras")
import tensorflow as tf  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


# ---------------------------------------------------------------------------
# data and build functions
# ---------------------------------------------------------------------------
def binary(n=200, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=6, n_informative=4, class_sep=2.0, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


def multiclass(n=300, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def mlp(n_features_in, n_outputs, output_activation, units=16):
    """An sktrain-style build function."""
    return keras.Sequential(
        [
            keras.Input((n_features_in,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(n_outputs, activation=output_activation),
        ]
    )


def cnn(input_shape, n_outputs, filters=8):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(n_outputs, activation="softmax"),
        ]
    )


def lstm(input_shape, n_outputs, output_activation, units=8):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.LSTM(units),
            keras.layers.Dense(n_outputs, activation=output_activation),
        ]
    )


def two_inputs(input_shape, units=16):
    a = keras.Input(input_shape["num"], name="num")
    b = keras.Input(input_shape["extra"], name="extra")
    h = keras.layers.Concatenate()([a, b])
    h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model({"num": a, "extra": b}, keras.layers.Dense(1)(h))


def fast(Est, model=mlp, **kw):
    params = dict(
        optimizer="adam", optimizer__learning_rate=0.01, epochs=20, random_state=0
    )
    params.update(kw)
    return Est(model, **params)


# ---------------------------------------------------------------------------
# 1. models of every kind
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_images():
    d = load_digits()
    return (d.images / 16.0)[..., None].astype("float32"), d.target


def test_cnn_on_digit_images_in_cross_val_score(digits_images):
    X, y = digits_images
    clf = fast(
        KerasClassifier,
        cnn,
        loss="sparse_categorical_crossentropy",
        epochs=5,
        batch_size=64,
    )
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.85
    fitted = clf.fit(X[:500], y[:500])
    proba = fitted.predict_proba(X[500:520])
    assert proba.shape == (20, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert fitted.n_features_in_ == 8
    assert fitted.X_shape_ == (500, 8, 8, 1)
    with pytest.raises(ValueError, match=r"samples of shape \(8, 8\).*\(8, 8, 1\)"):
        fitted.predict(X[:3, ..., 0])


def test_lstm_on_sequences_in_cross_val_score():
    rng = np.random.RandomState(0)
    S = rng.normal(size=(300, 12, 2)).astype("float32")
    y = (S[:, :, 0].mean(axis=1) > 0).astype(int)
    clf = fast(KerasClassifier, lstm, epochs=15)
    scores = cross_val_score(clf, S, y, cv=3)
    assert scores.min() > 0.8
    proba = clf.fit(S, y).predict_proba(S[:7])
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert isinstance(clf.model_.layers[0], keras.layers.LSTM)


def _two_input_data(n=240, seed=0):
    rng = np.random.RandomState(seed)
    num, extra = rng.normal(size=(n, 4)), rng.normal(size=(n, 2))
    y = num[:, 0] - 2 * extra[:, 1] + 0.1 * rng.normal(size=n)
    return num, extra, y


def test_two_input_functional_model_with_dict_and_list_inputs():
    num, extra, y = _two_input_data()
    reg = fast(KerasRegressor, two_inputs, epochs=60).fit(
        {"num": num, "extra": extra}, y
    )
    assert reg.score({"num": num, "extra": extra}, y) > 0.9
    pred = reg.predict({"num": num[:5], "extra": extra[:5]})
    assert pred.shape == (5,)
    np.testing.assert_allclose(pred, y[:5], atol=0.6)
    assert not hasattr(reg, "n_features_in_")
    with pytest.raises(ValueError, match="different structure"):
        reg.predict({"num": num[:5]} | {"other": extra[:5]})
    with pytest.raises(ValueError, match=r"input 'extra'.*\(3,\).*\(2,\)"):
        reg.predict({"num": num[:5], "extra": np.ones((5, 3))})

    def as_list(input_shape):
        a, b = keras.Input(input_shape[0]), keras.Input(input_shape[1])
        h = keras.layers.Dense(16, activation="relu")(
            keras.layers.Concatenate()([a, b])
        )
        return keras.Model([a, b], keras.layers.Dense(1)(h))

    reg2 = fast(KerasRegressor, as_list, epochs=60).fit([num, extra], y)
    assert reg2.score([num, extra], y) > 0.9
    assert reg2.predict([num[:4], extra[:4]]).shape == (4,)


def test_sparse_one_hot_input_in_a_pipeline():
    rng = np.random.RandomState(0)
    cats = rng.choice(["a", "b", "c", "d", "e"], size=(400, 3))
    y = np.where((cats[:, 0] == "a") | (cats[:, 1] == "b"), "yes", "no")
    pipe = make_pipeline(OneHotEncoder(), fast(KerasClassifier, epochs=30))
    pipe.fit(cats, y)
    Xt = pipe[0].transform(cats)
    assert sp.issparse(Xt)
    assert pipe.score(cats, y) > 0.97
    proba = pipe.predict_proba(cats[:10])
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(pipe.predict(cats)) == {"yes", "no"}
    # the sparse path and the dense path give the same predictions
    clf = pipe[-1]
    np.testing.assert_allclose(
        clf.predict_proba(Xt), clf.predict_proba(Xt.toarray()), rtol=1e-6
    )


def test_keras_model_instance_is_cloned_not_trained():
    X, y = binary()
    template = mlp(6, 1, "sigmoid")
    before = [w.copy() for w in template.get_weights()]
    clf = fast(KerasClassifier, template).fit(X, y)
    assert clf.model_ is not template
    for a, b in zip(before, template.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert clf.score(X, y) > 0.85
    # clone shares the (never trained) template instead of deep-copying it
    assert clone(clf).model is template
    with pytest.raises(ValueError, match="takes no hyperparameters"):
        KerasClassifier(template, units=3).fit(X, y)


# ---------------------------------------------------------------------------
# 2. targets
# ---------------------------------------------------------------------------
def test_multiclass_string_labels_and_probabilities():
    X, y = multiclass()
    labels = np.array(["cat", "dog", "eel"])[y]
    clf = fast(KerasClassifier).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    assert clf.n_classes_ == 3
    assert clf.target_type_ == "multiclass"
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.score(X, labels) > 0.9
    assert clf.model_.loss == "categorical_crossentropy"


@pytest.mark.parametrize(
    "units, activation, loss",
    [
        (1, "sigmoid", None),
        (2, "softmax", "sparse_categorical_crossentropy"),
        (2, "softmax", None),
        (1, "linear", "__logits__"),
    ],
)
def test_binary_target_with_one_or_two_output_units(units, activation, loss):
    X, y = binary()
    if loss == "__logits__":
        loss = keras.losses.BinaryCrossentropy(from_logits=True)

    def build(n_features_in):
        return mlp(n_features_in, units, activation)

    clf = fast(KerasClassifier, build, loss=loss).fit(X, y + 5)
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    assert proba.min() >= 0 and proba.max() <= 1
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), np.array([5, 6])[proba.argmax(1)])
    assert clf.score(X, y + 5) > 0.9


def test_multilabel_target():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.3]).astype(int)
    clf = fast(KerasClassifier, epochs=40).fit(X, Y)
    pred = clf.predict(X)
    assert pred.shape == (300, 3)
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3) and proba.min() >= 0 and proba.max() <= 1
    assert (pred == Y).mean() > 0.9
    assert clf.model_.loss == "binary_crossentropy"


def test_multi_output_regression():
    X, Y = make_regression(n_samples=300, n_features=5, n_targets=3, random_state=0)
    Y = Y / Y.std(axis=0)
    reg = fast(KerasRegressor, epochs=60).fit(X, Y)
    pred = reg.predict(X)
    assert pred.shape == (300, 3)
    assert reg.score(X, Y) > 0.95
    assert reg.n_outputs_ == 3
    with pytest.raises(ValueError, match="2 unit.*3 target column"):
        KerasRegressor(lambda n_features_in: mlp(n_features_in, 2, "linear")).fit(X, Y)


def test_output_size_that_does_not_fit_the_target_is_explained():
    X, y = multiclass()
    with pytest.raises(ValueError, match="1 unit.*3 classes.*needs 3"):
        KerasClassifier(lambda n_features_in: mlp(n_features_in, 1, "sigmoid")).fit(
            X, y
        )


# ---------------------------------------------------------------------------
# 3. build functions, compile, routing
# ---------------------------------------------------------------------------
def test_build_function_receives_data_implied_arguments():
    seen = {}

    def build(
        n_features_in,
        input_shape,
        n_outputs,
        n_classes,
        classes,
        target_type,
        output_activation,
        seed,
        meta,
        X,
        y,
    ):
        seen.update(locals())
        return mlp(n_features_in, n_outputs, output_activation)

    X, y = multiclass()
    KerasClassifier(build, epochs=1).fit(X, y)
    assert seen["n_features_in"] == 6 and seen["input_shape"] == (6,)
    assert seen["n_outputs"] == 3 and seen["n_classes"] == 3
    np.testing.assert_array_equal(seen["classes"], [0, 1, 2])
    assert seen["target_type"] == "multiclass"
    assert seen["output_activation"] == "softmax"
    assert isinstance(seen["seed"], int)
    assert seen["meta"]["n_features_in_"] == 6 and seen["meta"]["n_classes_"] == 3
    assert seen["X"].shape == (300, 6)
    assert seen["y"].shape == (300, 3)  # keras.wrappers: one-hot for classifiers
    np.testing.assert_array_equal(seen["y"].argmax(1), y)


def test_model_compiled_by_build_function_is_used_as_compiled():
    def build(n_features_in):
        model = mlp(n_features_in, 1, "sigmoid")
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        return model

    X, y = binary()
    clf = KerasClassifier(build, optimizer="adam", epochs=2).fit(X, y)
    assert isinstance(clf.model_.optimizer, keras.optimizers.SGD)
    assert clf.model_.loss == "mse"


def test_routed_parameters_reach_their_objects():
    X, y = binary()
    clf = KerasClassifier(
        mlp,
        optimizer="adam",
        optimizer__learning_rate=0.02,
        optimizer__beta_1=0.8,
        loss="binary_crossentropy",
        loss__label_smoothing=0.1,
        metrics=["accuracy", keras.metrics.AUC],
        metrics__1__name="my_auc",
        compile__weighted_metrics=["accuracy"],
        callbacks=[keras.callbacks.EarlyStopping],
        callbacks__monitor="loss",
        callbacks__patience=1,
        callbacks__min_delta=10.0,
        fit__validation_freq=1,
        model__units=7,
        epochs=10,
    ).fit(X, y)
    opt = clf.model_.optimizer
    assert isinstance(opt, keras.optimizers.Adam)
    assert float(opt.learning_rate) == pytest.approx(0.02)
    assert float(opt.beta_1) == pytest.approx(0.8)
    assert clf.model_.loss.get_config()["label_smoothing"] == pytest.approx(0.1)
    assert clf.model_.layers[0].units == 7
    assert "my_auc" in clf.history_
    # EarlyStopping(min_delta=10) stops after patience+1 epochs
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2


@pytest.mark.parametrize(
    "params, match",
    [
        ({"optimizer__learnin_rate": 0.1}, "optimizer__learning_rate"),
        ({"model__unit": 3}, "model__units"),
        ({"fit__validation_freqs": 1}, "fit__validation_freq"),
        ({"compile__weighted_metric": []}, "compile__weighted_metrics"),
        (
            {"loss": "binary_crossentropy", "loss__label_smoothin": 0.1},
            "loss__label_smoothing",
        ),
        ({"unit": 3}, "Did you mean 'units'"),
        ({"optimzer__learning_rate": 0.1}, "Did you mean 'optimizer'"),
        ({"optimizer": "adamm"}, "Did you mean 'adam'"),
        ({"loss": "binary_crossentropyy"}, "Did you mean 'binary_crossentropy'"),
        (
            {"callbacks": [keras.callbacks.EarlyStopping], "callbacks__0__patiense": 2},
            "callbacks__patience",
        ),
    ],
)
def test_misspelled_names_get_a_suggestion(params, match):
    X, y = binary(n=40)
    with pytest.raises(ValueError, match=match):
        KerasClassifier(mlp, **params).fit(X, y)


def test_set_params_routes_and_refuses_unknown_names():
    clf = KerasClassifier(mlp)
    clf.set_params(optimizer__learning_rate=0.1, units=8, model__units=9)
    params = clf.get_params()
    assert params["optimizer__learning_rate"] == 0.1
    assert params["units"] == 8 and params["model__units"] == 9
    assert clone(clf).get_params()["model__units"] == 9
    with pytest.raises(ValueError, match="Did you mean 'epochs'"):
        clf.set_params(epoch=3)
    with pytest.raises(ValueError, match="Unknown routing prefix"):
        clf.set_params(optimiser__momentum=0.9)


def test_grid_search_over_routed_optimizer_and_build_hyperparameter():
    X, y = binary()
    grid = GridSearchCV(
        KerasClassifier(mlp, optimizer="adam", epochs=10, random_state=0),
        {"optimizer__learning_rate": [1e-4, 3e-2], "model__units": [2, 16]},
        cv=3,
    ).fit(X, y)
    assert grid.best_params_ == {"optimizer__learning_rate": 3e-2, "model__units": 16}
    best = grid.best_estimator_
    assert best.model_.layers[0].units == 16
    assert float(best.model_.optimizer.learning_rate) == pytest.approx(3e-2)
    assert grid.cv_results_["mean_test_score"].min() < grid.best_score_
    assert grid.best_score_ > 0.85


# ---------------------------------------------------------------------------
# 4. seeding, validation split, continued training, weights
# ---------------------------------------------------------------------------
def test_random_state_seeds_the_users_unseeded_layers_and_nothing_global():
    X, y = binary()

    def build(n_features_in):  # unseeded initializers and dropout
        return keras.Sequential(
            [
                keras.Input((n_features_in,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dropout(0.3),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )

    random.seed(123)
    py_state = random.getstate()
    tf.random.set_seed(7)
    expected_tf = tf.random.uniform([4]).numpy()
    tf.random.set_seed(7)
    a = KerasClassifier(build, epochs=3, random_state=0).fit(X, y)
    assert random.getstate() == py_state
    np.testing.assert_array_equal(tf.random.uniform([4]).numpy(), expected_tf)
    tf.random.set_seed(None)
    b = KerasClassifier(build, epochs=3, random_state=0).fit(X, y)
    c = KerasClassifier(build, epochs=3, random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_validation_split_is_seeded_stratified_and_logged():
    X, y = binary()
    clf = fast(KerasClassifier, validation_split=0.25, metrics=["accuracy"])
    clf.fit(X, y)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(clf.history_)
    assert len(clf.history_["val_loss"]) == 20
    assert clf.history_["val_accuracy"][-1] > 0.8
    again = clone(clf).fit(X, y)
    assert again.history_["val_loss"] == clf.history_["val_loss"]

    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=2, min_delta=1.0, restore_best_weights=True
    )
    es = fast(KerasClassifier, validation_split=0.2, callbacks=[stop], epochs=50)
    es.fit(X, y)
    assert es.n_iter_ == 3


def test_partial_fit_and_warm_start_continue_training():
    X, y = multiclass()
    clf = fast(KerasClassifier, epochs=3)
    for _ in range(4):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert len(clf.history_["loss"]) == 4
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]
    with pytest.raises(ValueError, match=r"labels not seen before: \[7\]"):
        clf.partial_fit(X[:5], np.full(5, 7))

    warm = fast(KerasClassifier, epochs=3, warm_start=True).fit(X, y)
    first = [w.copy() for w in warm.model_.get_weights()]
    model = warm.model_
    warm.fit(X, y)
    # a fit trains its epochs from epoch 0, warm or not (SciKeras' rule)
    assert warm.model_ is model and len(warm.history_["loss"]) == 3
    assert not np.allclose(first[0], warm.model_.get_weights()[0])
    with pytest.raises(ValueError, match="same network architecture"):
        warm.set_params(model__units=3).fit(X, y)


def test_sample_weight_zero_equals_dropping_rows():
    X, y = binary(n=60)
    sw = np.ones(60)
    sw[::3] = 0
    kw = dict(epochs=5, batch_size=-1, shuffle=False)
    a = fast(KerasClassifier, **kw).fit(X, y, sample_weight=sw)
    b = fast(KerasClassifier, **kw).fit(X[sw > 0], y[sw > 0])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)
    balanced = fast(KerasClassifier, class_weight="balanced", **kw).fit(X, y)
    assert not np.allclose(balanced.predict_proba(X), b.predict_proba(X))


# ---------------------------------------------------------------------------
# 5. transformer, pandas, persistence
# ---------------------------------------------------------------------------
def autoencoder(n_features_in, code=2):
    inputs = keras.Input((n_features_in,))
    z = keras.layers.Dense(code, name="bottleneck")(inputs)
    return keras.Model(inputs, keras.layers.Dense(n_features_in)(z))


def test_transformer_autoencoder_bottleneck_and_pandas_output():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(300, 2))
    X = Z @ rng.normal(size=(2, 6))
    enc = KerasTransformer(
        autoencoder,
        transform_layer="bottleneck",
        optimizer="adam",
        optimizer__learning_rate=0.02,
        epochs=60,
        random_state=0,
    )
    codes = enc.fit_transform(X)
    assert codes.shape == (300, 2)
    assert enc.history_["loss"][-1] < 0.05 * enc.history_["loss"][0]
    # the 2 codes carry the 2 latent factors: a linear map recovers them
    coef, *_ = np.linalg.lstsq(np.c_[codes, np.ones(300)], Z, rcond=None)
    resid = Z - np.c_[codes, np.ones(300)] @ coef
    assert (resid**2).mean() < 0.05 * (Z**2).mean()
    enc.set_output(transform="pandas")
    df = enc.transform(X)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["kerastransformer0", "kerastransformer1"]
    np.testing.assert_allclose(df.to_numpy(), codes, rtol=1e-6)
    with pytest.raises(ValueError, match="Did you mean 'bottleneck'"):
        KerasTransformer(autoencoder, transform_layer="botleneck").fit(X)


def test_transformer_on_a_supervised_target():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)

    def build(n_features_in):
        inputs = keras.Input((n_features_in,))
        h = keras.layers.Dense(8, activation="relu", name="embed")(inputs)
        return keras.Model(inputs, keras.layers.Dense(1)(h))

    t = KerasTransformer(build, target="y", transform_layer="embed", epochs=2)
    assert t.fit(X, y / 100).transform(X).shape == (200, 8)
    with pytest.raises(ValueError, match="target='y' needs y"):
        KerasTransformer(build, target="y").fit(X)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_nd_and_dict_input_models_round_trip(how, tmp_path, digits_images):
    X, y = digits_images
    clf = fast(KerasClassifier, cnn, epochs=1).fit(X[:200], y[:200])
    num, extra, yr = _two_input_data()
    reg = fast(KerasRegressor, two_inputs, epochs=2).fit(
        {"num": num, "extra": extra}, yr
    )
    for est, data in ((clf, X[:50]), (reg, {"num": num, "extra": extra})):
        if how == "pickle":
            copy = pickle.loads(pickle.dumps(est))
        else:
            joblib.dump(est, tmp_path / "m.joblib")
            copy = joblib.load(tmp_path / "m.joblib")
        np.testing.assert_array_equal(copy.predict(data), est.predict(data))


def test_predict_batch_size_changes_chunks_not_results():
    X, y = binary()
    clf = fast(KerasClassifier, epochs=2).fit(X, y)
    full = clf.predict_proba(X)
    clf.set_params(predict__batch_size=7)
    np.testing.assert_allclose(clf.predict_proba(X), full, rtol=1e-6, atol=1e-6)
    clf.set_params(predict__batch_sise=7)
    with pytest.raises(ValueError, match="predict__batch_size"):
        clf.predict(X)


def test_fit_keywords_apply_to_one_call_only():
    X, y = binary()
    clf = fast(KerasClassifier, epochs=2)
    clf.fit(X, y, epochs=5)
    assert clf.n_iter_ == 5
    clf.fit(X, y)
    assert clf.n_iter_ == 2
    assert "epochs" not in clf.get_params() or clf.get_params()["epochs"] == 2
    with pytest.raises(ValueError, match="fit__validation_freq"):
        clf.fit(X, y, validation_freqq=2)


def test_default_model_explains_it_needs_2d_input(digits_images):
    X, y = digits_images
    with pytest.raises(ValueError, match="model=None builds an MLP, which needs 2-D"):
        KerasClassifier().fit(X[:50], y[:50])


def test_predict_from_four_threads_matches_serial(digits_images):
    import concurrent.futures

    X, y = digits_images
    clf = fast(KerasClassifier, cnn, epochs=1).fit(X[:300], y[:300])
    chunks = [X[i::4][:100] for i in range(4)] * 3
    serial = [clf.predict_proba(c) for c in chunks]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(clf.predict_proba, chunks))
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_misspelled_estimator_parameter_in_constructor_gets_a_suggestion():
    X, y = binary(n=40)
    with pytest.raises(ValueError, match="Did you mean 'epochs'"):
        KerasClassifier(mlp, epoch=3).fit(X, y)


def test_loss_instance_keeps_its_arguments_in_float64_models():
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    reg = KerasRegressor(loss=keras.losses.Huber(delta=0.25), epochs=1).fit(X, y)
    assert reg.model_.loss.dtype == "float64"  # default model on float64 X
    assert reg.model_.loss._fn_kwargs["delta"] == pytest.approx(0.25)


@pytest.mark.parametrize("batch_size", [32, 20])
def test_val_loss_counts_every_validation_row_once(batch_size):
    """With a whole epoch per graph call, Keras' test loop used to read on
    into the repeated validation pipeline (7 batches for 2): the recorded
    val_loss must be the final network's loss on X_val."""
    rng = np.random.RandomState(0)
    X, Xv = rng.randn(224, 4), rng.randn(64, 4)
    y, yv = X @ rng.randn(4), Xv @ rng.randn(4)
    reg = KerasRegressor(batch_size=batch_size, epochs=3, shuffle=False, random_state=0)
    reg.fit(X, y, X_val=Xv, y_val=yv)
    mse = np.mean((reg.predict(Xv) - yv) ** 2)
    np.testing.assert_allclose(reg.history_["val_loss"][-1], mse, rtol=1e-5)
