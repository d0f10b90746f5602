"""Code written for SciKeras 0.13 runs with only its import changed.

The build functions and constructor calls below follow SciKeras' own
tutorials (MLPClassifier / regressor / callbacks pages); the one edit is
``from sktrain import ...`` where they import ``from scikeras.wrappers``.
"""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV

keras = pytest.importorskip("keras")

# was: from scikeras.wrappers import KerasClassifier, KerasRegressor
from sktrain import KerasClassifier, KerasRegressor  # noqa: E402


def get_clf(meta, hidden_layer_sizes, dropout):
    n_features_in_ = meta["n_features_in_"]
    n_classes_ = meta["n_classes_"]
    model = keras.models.Sequential()
    model.add(keras.layers.Input(shape=(n_features_in_,)))
    for hidden_layer_size in hidden_layer_sizes:
        model.add(keras.layers.Dense(hidden_layer_size, activation="relu"))
        model.add(keras.layers.Dropout(dropout))
    if meta["target_type_"] == "binary":
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    else:
        model.add(keras.layers.Dense(n_classes_, activation="softmax"))
    return model


def get_reg(meta, compile_kwargs, hidden_layer_sizes=(16,)):
    model = keras.Sequential()
    model.add(keras.layers.Input(shape=(meta["n_features_in_"],)))
    for size in hidden_layer_sizes:
        model.add(keras.layers.Dense(size, activation="relu"))
    model.add(keras.layers.Dense(meta["n_outputs_"]))
    model.compile(loss=compile_kwargs["loss"], optimizer=compile_kwargs["optimizer"])
    return model


class InitRecorder(keras.callbacks.Callback):
    """A callback class SciKeras instantiates with routed arguments."""

    made = []

    def __init__(self, tag="", every=1):
        super().__init__()
        self.tag, self.every = tag, every
        InitRecorder.made.append((tag, every))


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300,
        n_features=8,
        n_informative=5,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    return X.astype("float32"), y


def _clf(**kw):
    params = dict(
        model=get_clf,
        loss="sparse_categorical_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=0.01,
        model__hidden_layer_sizes=(32,),
        model__dropout=0.1,
        epochs=15,
        verbose=0,
        random_state=0,
    )
    params.update(kw)
    return KerasClassifier(**params)


def test_scikeras_classifier_tutorial(data):
    X, y = data
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = _clf(
        callbacks=[keras.callbacks.EarlyStopping, InitRecorder],
        callbacks__0__monitor="loss",
        callbacks__0__patience=3,
        callbacks__1__tag="routed",
        callbacks__1__every=2,
        class_weight="balanced",
    )
    clf.fit(X, labels)
    assert clf.score(X, labels) > 0.9
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert clf.n_classes_ == 3 and clf.target_type_ == "multiclass"
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert ("routed", 2) in InitRecorder.made
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.01)
    assert [type(layer).__name__ for layer in clf.model_.layers] == [
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert clf.model_.layers[0].units == 32


def test_named_hyperparameters_as_plain_keywords_and_binary_targets(data):
    X, y = data
    yb = (y == 0).astype(int)
    clf = KerasClassifier(
        model=get_clf,
        hidden_layer_sizes=(16, 8),  # SciKeras passes these to the build fn
        dropout=0.0,
        loss="binary_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=0.01,
        epochs=15,
        verbose=0,
        random_state=0,
    ).fit(X, yb)
    assert [layer.units for layer in clf.model_.layers if hasattr(layer, "units")] == [
        16,
        8,
        1,
    ]
    assert clf.predict_proba(X).shape == (300, 2)
    assert clf.score(X, yb) > 0.9
    # class_weight as a dict shifts the decision towards the heavy class
    heavy = clone(clf).set_params(class_weight={0: 1.0, 1: 20.0}).fit(X, yb)
    assert heavy.predict(X).mean() > clf.predict(X).mean()


def test_regressor_with_compile_kwargs_and_loss_routing():
    X, y = make_regression(n_samples=300, n_features=6, noise=1.0, random_state=0)
    y = y / y.std()
    reg = KerasRegressor(
        model=get_reg,
        loss=keras.losses.Huber,
        loss__delta=0.5,
        optimizer=keras.optimizers.Adam,
        optimizer__learning_rate=0.02,
        model__hidden_layer_sizes=(32,),
        epochs=40,
        verbose=0,
        random_state=0,
    ).fit(X, y)
    assert isinstance(reg.model_.loss, keras.losses.Huber)
    # (Keras' Huber.get_config leaves delta out; it lives in _fn_kwargs)
    assert reg.model_.loss._fn_kwargs["delta"] == pytest.approx(0.5)
    assert float(reg.model_.optimizer.learning_rate) == pytest.approx(0.02)
    assert reg.predict(X).shape == (300,)
    assert reg.score(X, y) > 0.9


def test_warm_start_partial_fit_and_pickling(data, tmp_path):
    X, y = data
    clf = _clf(warm_start=True, epochs=3)
    clf.fit(X, y)
    first = clf.model_.get_weights()[0].copy()
    model = clf.model_
    clf.fit(X, y)
    # continued, not rebuilt; the history and current_epoch restart, as SciKeras'
    assert clf.model_ is model and clf.current_epoch == 3
    assert not np.allclose(first, clf.model_.get_weights()[0])

    online = _clf()
    for _ in range(5):
        online.partial_fit(X, y, classes=[0, 1, 2])
    assert len(online.history_["loss"]) == 5
    assert online.history_["loss"][-1] < online.history_["loss"][0]

    for copy in (
        pickle.loads(pickle.dumps(online)),
        joblib.load(joblib.dump(online, tmp_path / "clf.joblib")[0]),
    ):
        np.testing.assert_array_equal(copy.predict_proba(X), online.predict_proba(X))
        np.testing.assert_array_equal(copy.predict(X), online.predict(X))


def test_grid_search_over_model_and_optimizer_parameters(data):
    X, y = data
    grid = GridSearchCV(
        _clf(epochs=8),
        {
            "model__hidden_layer_sizes": [(4,), (32,)],
            "optimizer__learning_rate": [1e-4, 1e-2],
        },
        cv=3,
    ).fit(X, y)
    assert grid.best_params_ == {
        "model__hidden_layer_sizes": (32,),
        "optimizer__learning_rate": 1e-2,
    }
    assert grid.best_estimator_.model_.layers[0].units == 32
    assert grid.best_score_ > 0.9
