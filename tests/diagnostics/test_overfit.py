"""overfit_check: real runs on a tiny subset, the verdict's causes, the
estimator untouched."""

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import (
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)
from sktrain._diagnostics.overfit_causes import Evidence, likely_causes
from sktrain._diagnostics.probe import strip_regularizers, tiny_subset
from sktrain.diagnostics import OverfitResult, overfit_check

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(200, 5, noise=0.0, random_state=0)
    return X, y / 100.0


def _regularized(n_features_in):
    inputs = keras.Input((n_features_in,))
    big = keras.regularizers.L2(1.0)
    h = keras.layers.Dense(64, "relu", kernel_regularizer=big, name="hidden")(inputs)
    h = keras.layers.Dropout(0.9, name="drop")(h)
    out = keras.layers.Dense(1, "sigmoid", kernel_regularizer=big, name="out")(h)
    return keras.Model(inputs, out)


def _sigmoid_regressor(n_features_in):
    inputs = keras.Input((n_features_in,))
    h = keras.layers.Dense(32, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))


def _autoencoder(n_features_in):
    inputs = keras.Input((n_features_in,))
    h = keras.layers.Dense(64, activation="relu", name="code")(inputs)
    return keras.Model(inputs, keras.layers.Dense(n_features_in)(h))


def _assert_passed(result):
    assert result.passed, result.verdict
    assert result.causes == ()
    assert result.final_loss <= result.threshold * result.loss_curve[0]
    assert result.verdict.startswith("PASSED")
    assert f"epoch {result.threshold_epoch}." in result.verdict


def test_mlp_default_passes_on_scaled_data(cancer):
    _, Xs, y = cancer
    result = overfit_check(MLPClassifier(random_state=0), Xs, y, random_state=0)
    _assert_passed(result)
    assert result.train_score == 1.0
    assert result.n_samples == 32 and result.n_epochs == 500
    assert len(result.loss_curve) == 500 and result.final_loss < 0.01


def test_keras_model_passes_only_because_its_regularizers_are_stripped(cancer):
    _, Xs, y = cancer
    est = KerasClassifier(_regularized, optimizer="adam", random_state=0)
    result = overfit_check(est, Xs, y, random_state=0)
    _assert_passed(result)
    assert result.train_score == 1.0
    assert result.final_loss < 0.005  # went near zero: dropout 0.9, L2 1.0 gone
    assert result.stripped == (
        "drop: Dropout rate 0.9 -> 0",
        "hidden/kernel: weight regularizer",
        "out/kernel: weight regularizer",
    )
    # the same model with them in place does not get near zero
    kept = clone(est).set_params(epochs=500, batch_size=32)
    idx = tiny_subset(Xs, y, 32, True, 0)
    kept.fit(Xs[idx], y[idx])
    assert kept.history_["loss"][-1] > 0.5


def test_strip_regularizers_leaves_no_loss_terms():
    inputs = keras.Input((4,))
    inner_in = keras.Input((4,))
    inner = keras.Model(
        inner_in,
        keras.layers.Dense(
            3,
            kernel_regularizer="l2",
            bias_regularizer="l1",
            activity_regularizer="l2",
            name="inner_dense",
        )(inner_in),
        name="inner",
    )
    h = keras.layers.GaussianNoise(0.5, name="noise")(inner(inputs))
    h = keras.layers.GaussianDropout(0.3, name="gdrop")(h)
    h = keras.layers.SpatialDropout1D(0.2, name="sdrop")(
        keras.layers.Reshape((3, 1))(h)
    )
    out = keras.layers.Dense(1)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, out)
    x = np.ones((2, 4), "float32")
    model(x, training=True)
    assert len(model.losses) == 3
    done = strip_regularizers(model, x)
    assert model.losses == []
    assert not any(line.startswith("left:") for line in done)
    assert "noise: GaussianNoise stddev 0.5 -> 0" in done
    assert "gdrop: GaussianDropout rate 0.3 -> 0" in done
    assert "sdrop: SpatialDropout1D rate 0.2 -> 0" in done
    assert "inner_dense: activity regularizer" in done
    # training mode is now deterministic: no noise, no dropout
    np.testing.assert_allclose(model(x, training=True), model(x, training=False))


def test_augmentation_layers_run_as_in_inference():
    inputs = keras.Input((4, 4, 1))
    h = keras.layers.RandomFlip(seed=0, name="flip")(inputs)
    model = keras.Model(inputs, keras.layers.Flatten()(h))
    x = np.arange(32, dtype="float32").reshape(2, 4, 4, 1)
    assert "flip: RandomFlip augmentation off" in strip_regularizers(model, x)
    for _ in range(3):
        np.testing.assert_array_equal(model(x, training=True), x.reshape(2, -1))


def test_shuffled_labels_with_a_tiny_network_fail_on_capacity_or_labels(cancer):
    _, Xs, y = cancer
    shuffled = np.random.RandomState(0).permutation(y)
    est = MLPClassifier(
        hidden_layer_sizes=(2,), learning_rate_init=0.01, random_state=0
    )
    result = overfit_check(est, Xs, shuffled, random_state=0)
    assert not result.passed
    assert result.causes == ("capacity_or_labels",)
    assert "hidden_layer_sizes (now (2,))" in result.verdict
    assert result.train_score < 1.0


def test_tiny_learning_rate_fails_as_lr_too_low(cancer):
    _, Xs, y = cancer
    result = overfit_check(
        MLPClassifier(learning_rate_init=1e-9, random_state=0), Xs, y, random_state=0
    )
    assert not result.passed
    assert result.causes == ("lr_too_low",)
    assert "learning_rate_init=1e-09" in result.verdict
    assert abs(result.final_loss - result.loss_curve[0]) < 1e-3 * result.loss_curve[0]


def test_diverging_learning_rate_fails_as_lr_too_high(cancer):
    _, Xs, y = cancer
    est = MLPClassifier(solver="sgd", learning_rate_init=10.0, random_state=0)
    result = overfit_check(est, Xs, y, random_state=0)
    assert result.causes == ("lr_too_high",)
    assert np.isnan(result.final_loss) and result.n_epochs < 500
    assert "NaN or infinite" in result.verdict


@pytest.mark.parametrize("shift", [0.0, -1.0])
def test_targets_outside_a_sigmoid_output_fail_as_output_range(regression, shift):
    X, y = regression
    targets = (y - y.min()) / np.ptp(y) * 100 if shift == 0 else y + shift
    est = KerasRegressor(_sigmoid_regressor, optimizer="adam", random_state=0)
    result = overfit_check(est, X, targets, random_state=0)
    assert not result.passed
    assert result.causes == ("output_range",)
    assert "'sigmoid' outputs only [0, 1]" in result.verdict
    assert result.train_score < 0.99


def test_unscaled_inputs_are_named_as_a_contributing_cause(cancer):
    X, _, y = cancer
    result = overfit_check(
        MLPClassifier(learning_rate_init=1e-9, random_state=0), X, y, random_state=0
    )
    assert result.causes == ("lr_too_low", "unscaled_inputs")
    assert "StandardScaler" in result.verdict


def test_conflicting_labels_are_found():
    X = np.repeat(np.eye(4), 8, axis=0)
    y = np.tile([0, 1], 16)  # every row appears with both labels
    result = overfit_check(
        MLPClassifier(random_state=0), X, y, n_samples=32, max_epochs=50, random_state=0
    )
    assert not result.passed
    assert result.causes[0] == "conflicting_labels"
    assert "4 group(s) of identical" in result.verdict


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPRegressor(random_state=0),
        lambda: KerasRegressor(optimizer="adam", random_state=0),
        lambda: MLPClassifier(solver="lbfgs", random_state=0),
    ],
    ids=["MLPRegressor", "KerasRegressor", "lbfgs"],
)
def test_other_estimators_pass(make, regression, cancer):
    est = make()
    X, y = cancer[1:] if isinstance(est, MLPClassifier) else regression
    result = overfit_check(est, X, y, random_state=0)
    _assert_passed(result)
    assert result.train_score >= 0.99


def test_transformer_scores_its_reconstruction(cancer):
    _, Xs, _ = cancer
    est = KerasTransformer(
        _autoencoder, optimizer="adam", transform_layer="code", random_state=0
    )
    result = overfit_check(est, Xs, None, random_state=0)
    _assert_passed(result)
    assert result.train_score >= 0.99


def test_pipeline_checks_its_last_step_on_the_transformed_subset(cancer):
    X, _, y = cancer
    pipe = make_pipeline(StandardScaler(), MLPClassifier(learning_rate_init=1e-9))
    result = overfit_check(pipe, X, y, random_state=0)
    assert result.causes == ("lr_too_low",)  # scaled: no unscaled_inputs
    assert "mlpclassifier__learning_rate_init=1e-09" in result.verdict
    with pytest.raises(TypeError, match="sktrain estimator"):
        overfit_check(make_pipeline(StandardScaler()), X, y)


def test_the_estimator_is_untouched(cancer):
    _, Xs, y = cancer
    unfitted = KerasClassifier(_regularized, optimizer="adam", random_state=0)
    params = unfitted.get_params()
    overfit_check(unfitted, Xs, y, max_epochs=20, random_state=0)
    assert unfitted.get_params() == params
    assert not hasattr(unfitted, "model_")

    fitted = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    fitted.fit(Xs, y)
    proba, weights = fitted.predict_proba(Xs), fitted.model_.get_weights()
    overfit_check(fitted, Xs, y, max_epochs=20, random_state=0)
    np.testing.assert_array_equal(fitted.predict_proba(Xs), proba)
    for a, b in zip(fitted.model_.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_model_instance_keeps_its_weights(cancer):
    _, Xs, y = cancer
    model = _regularized(Xs.shape[1])
    before = model.get_weights()
    result = overfit_check(
        KerasClassifier(model, optimizer="adam", random_state=0), Xs, y, random_state=0
    )
    assert result.passed
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_subset_is_stratified_with_every_class():
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    idx = tiny_subset(np.zeros((100, 1)), y, 10, True, 0)
    assert np.bincount(y[idx]).tolist() == [8, 1, 1]
    with pytest.raises(ValueError, match="smaller than the number of classes"):
        tiny_subset(np.zeros((100, 1)), y, 2, True, 0)
    with pytest.raises(ValueError, match="between 1 and the number of rows"):
        overfit_check(MLPClassifier(), np.zeros((100, 1)), y, n_samples=101)


def _evidence(curve, score=0.5, **kw):
    base = dict(
        kind="classifier",
        curve=np.asarray(curve, float),
        score=score,
        max_epochs=len(curve),
        lr=1e-3,
        lr_name="learning_rate_init",
        capacity="raise hidden_layer_sizes (now (2,))",
        conflicts=0,
        target_range=None,
        activation=None,
        scales=(0.5, 2.0),
        prefix="",
    )
    return Evidence(**{**base, **kw})


def test_diagnose_rules_on_synthetic_curves():
    n = 100
    falling = np.geomspace(1.0, 0.2, n)  # still falling at its pace
    assert likely_causes(_evidence(falling), 0.05)[2] == ("too_few_epochs",)
    flat_tail = np.concatenate([np.geomspace(1, 0.3, 80), np.full(20, 0.3)])
    assert likely_causes(_evidence(flat_tail), 0.05)[2] == ("capacity_or_labels",)
    oscillating = np.tile([1.0, 0.8], n // 2)
    assert likely_causes(_evidence(oscillating), 0.05)[2] == ("lr_too_high",)
    rising = np.linspace(1.0, 1.5, n)
    assert likely_causes(_evidence(rising), 0.05)[2] == ("lr_too_high",)
    passed, verdict, causes = likely_causes(
        _evidence(np.geomspace(1, 0.01, n), 1.0), 0.05
    )
    assert passed and causes == () and "reached at epoch 66." in verdict
    # the loss reached the threshold, the accuracy did not
    assert likely_causes(_evidence(np.geomspace(1, 0.01, n), 0.9), 0.05)[2] == (
        "capacity_or_labels",
    )


def test_result_plots_and_prints(cancer):
    import matplotlib.pyplot as plt

    result = OverfitResult(
        False, 0.5, np.array([1.0, 0.7, 0.5]), 0.5, "FAILED: ...", ("x",), 8, 3, 0.05
    )
    ax = result.plot()
    assert ax.get_yscale() == "log"
    assert ax.get_lines()[1].get_ydata()[0] == pytest.approx(0.05)
    assert str(result) == "FAILED: ..."
    plt.close(ax.figure)
