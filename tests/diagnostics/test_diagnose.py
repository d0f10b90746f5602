"""``diagnose`` on real fits: an overfit run and its regularized fix, a
diverging learning rate, dead ReLU units counted against numpy, Pipelines,
lbfgs, the errors, and ``plot``."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import KerasClassifier, KerasTransformer, MLPClassifier, MLPRegressor
from sktrain.diagnostics import Diagnosis, Finding, diagnose

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def noisy_split():
    """80 noisy training rows, 100 validation rows."""
    X, y = make_classification(
        n_samples=400, n_features=20, n_informative=5, flip_y=0.2, random_state=0
    )
    X_tr, X_rest, y_tr, y_rest = train_test_split(
        X, y, train_size=80, random_state=0, stratify=y
    )
    X_val, _, y_val, _ = train_test_split(
        X_rest, y_rest, train_size=100, random_state=0, stratify=y_rest
    )
    return X_tr, y_tr, X_val, y_val


@pytest.fixture(scope="module")
def overfit(noisy_split):
    X, y, X_val, y_val = noisy_split
    clf = MLPClassifier(
        hidden_layer_sizes=(256, 256),
        alpha=0.0,
        max_iter=60,
        n_iter_no_change=1000,  # no stopping: val_loss over all 60 epochs
        random_state=0,
    )
    return clf.fit(X, y, X_val=X_val, y_val=y_val)


def test_overfit_run_is_found_with_the_epoch_it_began(overfit, noisy_split):
    d = diagnose(overfit, *noisy_split[:2])
    assert isinstance(d, Diagnosis) and d.n_epochs == 60
    f = d["overfitting"]
    val, loss = np.array(overfit.history_["val_loss"]), overfit.history_["loss"]
    m = int(val.argmin())
    assert f.epoch == f.evidence["epoch"] == m and 5 <= m <= 9  # measured 7
    assert f.evidence["val_loss_min"] == val[m]
    assert f.evidence["val_loss_end"] == val[-1] > 2 * val[m]  # measured 2.1x
    assert f.evidence["loss_at_min"] == loss[m] > 50 * f.evidence["loss_end"]
    assert f.evidence["epochs_rising"] == 59 - m and f.severity == "warning"
    assert "not_converged" not in d  # more epochs would not help
    assert d.kinds == ["overfitting"]  # the real run has nothing else to report
    assert d.relu_layers.keys() == {"activation_1", "activation_2"}


def test_regularized_run_with_early_stopping_does_not_overfit(noisy_split):
    X, y, X_val, y_val = noisy_split
    clf = MLPClassifier(
        hidden_layer_sizes=(256, 256),
        alpha=3.0,
        dropout=0.5,
        early_stopping=True,
        max_iter=60,
        random_state=0,
    ).fit(X, y, X_val=X_val, y_val=y_val)
    d = diagnose(clf, X, y)
    assert "overfitting" not in d and "no_validation" not in d
    val = np.array(clf.history_["val_loss"])
    assert val[-1] / val.min() - 1 < 0.01  # measured 0.001 (the rule: > 0.1)


def test_a_huge_sgd_learning_rate_explodes_the_gradients():
    X, y = make_classification(n_samples=200, n_features=10, random_state=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(64, 64),
        solver="sgd",
        learning_rate_init=10.0,
        max_iter=20,
        random_state=0,
    ).fit(X, y)  # the loss grows to ~1e32 but stays finite: no error
    d = diagnose(clf, X, y)
    f = d["exploding_gradients"]
    gn = clf.history_["grad_norm"]
    assert f.epoch == 2 and gn[2] / gn[0] > 100 > gn[1] / gn[0]  # measured 8280, 30
    assert f.evidence["growth"] == max(gn) / gn[0] > 1e15 and f.evidence["lr"] == 10.0
    assert d["lr_too_high"].evidence["loss_end"] == clf.history_["loss"][-1] > 1e30
    assert "clipnorm=1.0" in f.action


def test_a_non_finite_fit_that_raised_is_still_diagnosed():
    X, y = make_classification(n_samples=200, n_features=10, random_state=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(64, 64),
        solver="sgd",
        learning_rate_init=100.0,
        max_iter=20,
        random_state=0,
    )
    with pytest.raises(ValueError, match="non-finite"):
        clf.fit(X, y)  # on_nan='raise'; history_ keeps the 5 epochs run
    f = diagnose(clf)["exploding_gradients"]
    assert np.isinf(clf.history_["grad_norm"][4])
    assert f.epoch == 1 and "non-finite at epoch 4" in f.message  # 1728 / 0.68


def _relu_count(H):
    return H.shape[1], int((~(H > 0).any(axis=0)).sum())


def test_mlp_dead_units_match_numpy(overfit, noisy_split):
    X = noisy_split[0]
    proba = overfit.predict_proba(X)
    d = diagnose(overfit, X)
    assert (overfit.predict_proba(X) == proba).all()  # the estimator is untouched
    h = X
    expected = []
    for W, b in zip(overfit.coefs_[:-1], overfit.intercepts_[:-1]):
        h = np.maximum(h @ W + b, 0)
        units, dead = _relu_count(h)
        expected.append(dead / units)
    assert list(d.relu_layers.values()) == pytest.approx(expected)
    assert "underfitting" in d.not_checked  # no y


def _dead_model():
    """A nested ReLU layer with a large negative bias: most units dead."""
    inner = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                12,
                activation="relu",
                bias_initializer=keras.initializers.Constant(-2.5),
                name="dead",
            ),
        ],
        name="block",
    )
    x = keras.Input((5,))
    h = keras.layers.Dense(6, name="pre")(x)
    h = keras.layers.ReLU(name="relu")(h)
    out = keras.layers.Dense(2, activation="softmax")(inner(h))
    model = keras.Model(x, out)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    return model


def test_dead_relu_in_a_nested_user_model_matches_numpy(binary_data):
    X, y = binary_data
    user_model = _dead_model()
    before = [w.copy() for w in user_model.get_weights()]
    clf = KerasClassifier(model=user_model, epochs=2, random_state=0).fit(X, y)
    fitted = [w.copy() for w in clf.model_.get_weights()]
    d = diagnose(clf, X, y, max_samples=50)
    assert all((a == b).all() for a, b in zip(fitted, clf.model_.get_weights()))
    assert all((a == b).all() for a, b in zip(before, user_model.get_weights()))
    # numpy on the same 50 rows: the fixed random subset diagnose takes
    rows = np.sort(np.random.RandomState(0).choice(len(X), 50, replace=False))
    pre = clf.model_.get_layer("pre")
    dead = clf.model_.get_layer("block").get_layer("dead")
    h = np.maximum(X[rows].astype("float32") @ pre.kernel.numpy() + pre.bias.numpy(), 0)
    units_1, dead_1 = _relu_count(h)
    g = np.maximum(h @ dead.kernel.numpy() + dead.bias.numpy(), 0)
    units_2, dead_2 = _relu_count(g)
    assert d.relu_layers == pytest.approx(
        {"relu": dead_1 / units_1, "block/dead": dead_2 / units_2}
    )
    f = d["dead_relu"]
    assert f.evidence == {
        "layer": "block/dead",
        "units": 12,
        "dead": dead_2,
        "fraction": pytest.approx(dead_2 / 12),
    }
    assert dead_2 / 12 > 0.25 and "BatchNormalization" in f.action


class SubclassedNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(4, activation="relu")
        self.out = keras.layers.Dense(2, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


def test_a_subclassed_model_is_reported_not_checked(binary_data):
    X, y = binary_data

    def build():
        m = SubclassedNet()
        m.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
        return m

    clf = KerasClassifier(model=build, epochs=1, random_state=0).fit(X, y)
    d = diagnose(clf, X, y)
    assert "subclassed model" in d.not_checked["dead_relu"] and not d.relu_layers


def test_a_pipeline_transforms_X_and_prefixes_the_actions(binary_data):
    X, y = binary_data
    X = X * 100 + 50
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
    ).fit(X, y)
    d = diagnose(pipe, X, y)
    mlp = pipe[-1]
    Xs = pipe[0].transform(X)
    h = np.maximum(Xs @ mlp.coefs_[0] + mlp.intercepts_[0], 0)
    units, dead = _relu_count(h)
    assert d.relu_layers == pytest.approx({"activation_1": dead / units})
    assert d["no_validation"].action.startswith(
        "fit with X_val=..., y_val=... or set mlpclassifier__early_stopping=True"
    )
    priors = np.bincount(y) / len(y)
    ratio = log_loss(y, mlp.predict_proba(Xs)) / log_loss(
        y, np.tile(priors, (len(y), 1))
    )
    assert d.estimator_name == "MLPClassifier"
    assert "underfitting" not in d.not_checked
    from sktrain._diagnostics.diagnose import _fit_ratio

    assert _fit_ratio(mlp, Xs, y, {}) == pytest.approx(ratio)


def test_regressor_baseline_is_one_minus_r2_and_history_is_half_mse():
    X, y = make_regression(n_samples=100, n_features=5, noise=10, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(8,), alpha=0.0, max_iter=3, random_state=0)
    reg.fit(X, y)
    from sktrain._diagnostics.diagnose import _fit_ratio

    assert _fit_ratio(reg, X, y, {}) == pytest.approx(1 - r2_score(y, reg.predict(X)))
    # history's loss is sklearn's half squared error; the ratio does not use it
    half_mse = np.mean((reg.predict(X) - y) ** 2) / 2
    assert reg.loss_curve_[-1] == pytest.approx(half_mse, rel=0.01)


def test_random_labels_underfit():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 5)), rng.randint(0, 2, 300)  # nothing to learn
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        learning_rate_init=0.01,
        max_iter=40,
        n_iter_no_change=1000,
        random_state=0,
    ).fit(X, y)
    f = diagnose(clf, X, y)["underfitting"]
    assert f.epoch == f.evidence["from_epoch"] == 29  # the last quarter: 10 epochs
    assert f.evidence["loss_ratio"] > 0.95  # measured 0.979 (seeds 0-2: 0.979-0.983)
    loss = clf.history_["loss"]
    assert f.evidence["fall"] == pytest.approx((loss[29] - loss[39]) / loss[29])
    assert f.evidence["fall"] < 0.01  # measured 0.0036


def test_a_transformer_is_diagnosed_without_a_baseline(regression_data):
    X, _ = regression_data
    est = KerasTransformer(epochs=3, validation_split=0.2, random_state=0).fit(X)
    d = diagnose(est, X)
    assert "predicts no target" in d.not_checked["underfitting"]
    assert list(d.relu_layers) == ["activation_1"]  # the default MLP's hidden layer
    assert d.n_epochs == 3 and "no_validation" not in d


def test_lbfgs_history_without_grad_norms_is_handled(binary_data):
    X, y = binary_data
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert list(clf.history_) == ["loss"]
    d = diagnose(clf, X, y)
    assert not {"exploding_gradients", "vanishing_gradients"} & set(d.kinds)
    assert d.n_epochs == len(clf.history_["loss"])


def test_errors_name_what_is_wrong():
    with pytest.raises(NotFittedError, match="not fitted yet: diagnose reads"):
        diagnose(MLPClassifier())
    with pytest.raises(NotFittedError):
        diagnose(make_pipeline(StandardScaler(), MLPClassifier()))
    with pytest.raises(TypeError, match="fitted sktrain estimator"):
        diagnose(LogisticRegression())


def test_args_are_checked(overfit):
    with pytest.raises(ValueError, match="patience must be an int >= 1"):
        diagnose(overfit, patience=0)


def test_report_and_plot(overfit):
    d = diagnose(overfit)
    text = str(d)
    assert (
        text.splitlines()[0] == "Diagnosis of MLPClassifier (60 epochs): 1 finding(s)"
    )
    assert "  [warning] overfitting (from epoch 7): validation loss rose" in text
    assert "not checked: dead_relu: pass X" in text
    ax = d.plot()
    assert [ln.get_label() for ln in ax.get_lines()][:2] == ["loss", "val_loss"]
    assert [ln.get_xdata()[0] for ln in ax.get_lines()[2:]] == [7]  # the mark
    assert [t.get_text() for t in ax.texts] == ["overfitting"]
    assert ax.grad_axes.get_yscale() == "log"
    assert (
        list(ax.grad_axes.get_lines()[0].get_ydata()) == overfit.history_["grad_norm"]
    )
    import matplotlib.pyplot as plt

    plt.close("all")
    _, own = plt.subplots()
    assert d.plot(ax=own) is own and own.grad_axes is None
    plt.close("all")


def test_finding_is_frozen_and_printable():
    f = Finding("lr_too_low", "warning", "slow", {"lr": 1e-5}, "raise it")
    with pytest.raises(AttributeError):
        f.kind = "x"
    assert str(f) == "[warning] lr_too_low: slow -> raise it"


def test_a_diverging_loss_is_plotted_on_a_log_scale():
    history = {"loss": [1.0, 10.0, 1e4], "grad_norm": [1.0, 50.0, 1e3]}
    d = Diagnosis([], history, 3)
    assert d.plot().get_yscale() == "log"
    assert Diagnosis([], {"loss": [1.0, 0.5]}, 2).plot().get_yscale() == "linear"
    import matplotlib.pyplot as plt

    plt.close("all")
