"""Every rule of ``diagnose`` on hand-made histories: the exact evidence it
measures (epochs, ratios) and the cases where it must stay silent."""

import math

import pytest

from sktrain._diagnostics import rules
from sktrain._diagnostics.advice import Context, action

MLP, KERAS = Context("mlp"), Context("keras", "step__")


def test_overfitting_reports_the_minimum_and_the_span():
    val = [1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75]  # minimum at epoch 3
    loss = [1.0, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1]
    f = rules.overfitting({"loss": loss, "val_loss": val}, MLP, patience=5)
    assert (f.kind, f.severity, f.epoch) == ("overfitting", "warning", 3)
    assert f.evidence == {
        "epoch": 3,
        "val_loss_min": 0.5,
        "val_loss_end": 0.75,
        "loss_at_min": 0.4,
        "loss_end": 0.1,
        "epochs_rising": 5,
    }
    assert "alpha" in f.action and "early_stopping=True" in f.action
    # one epoch short of the patience, a rise within min_rise, a rising train loss
    assert rules.overfitting({"loss": loss, "val_loss": val}, MLP, patience=6) is None
    assert rules.overfitting({"loss": loss, "val_loss": val}, MLP, min_rise=0.5) is None
    rising = {"loss": loss[:3] + [0.4, 0.5, 0.5, 0.5, 0.5, 0.5], "val_loss": val}
    assert rules.overfitting(rising, MLP) is None
    kept = rules.overfitting({"loss": loss, "val_loss": val}, MLP, restored=True)
    assert kept.severity == "info" and "early stopping kept" in kept.message


def test_overfitting_action_names_the_wrapper_parameters_with_the_prefix():
    val, loss = [0.5, 0.4] + [0.5] * 5, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    f = rules.overfitting({"loss": loss, "val_loss": val}, KERAS)
    assert f.epoch == 1 and f.evidence["epochs_rising"] == 5
    assert "keras.callbacks.EarlyStopping" in f.action
    assert "step__callbacks" in f.action and "step__epochs" in f.action


def test_no_validation_is_info_and_silent_with_val_loss():
    f = rules.no_validation({"loss": [1.0, 0.5]}, MLP)
    assert (f.kind, f.severity, f.epoch) == ("no_validation", "info", None)
    assert "X_val" in f.action and "early_stopping=True" in f.action
    assert "validation_split" in rules.no_validation({"loss": [1.0]}, KERAS).action
    assert rules.no_validation({"loss": [1.0], "val_loss": [1.0]}, MLP) is None


def test_underfitting_needs_a_flat_and_high_loss():
    loss = [0.70, 0.69, 0.688, 0.687, 0.6866, 0.6865, 0.6864, 0.6863]
    f = rules.underfitting({"loss": loss}, MLP, fit_ratio=0.97)
    k = 2  # a quarter of 8 epochs
    assert f.epoch == f.evidence["from_epoch"] == len(loss) - 1 - k == 5
    assert f.evidence["loss_ratio"] == 0.97
    assert f.evidence["fall"] == pytest.approx((0.6865 - 0.6863) / 0.6865)
    assert "hidden_layer_sizes" in f.action and "max_iter" in f.action
    assert rules.underfitting({"loss": loss}, MLP, fit_ratio=0.5) is None  # learnt
    assert rules.underfitting({"loss": loss}, MLP, fit_ratio=None) is None  # unjudged
    falling = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    assert rules.underfitting({"loss": falling}, MLP, fit_ratio=0.97) is None
    # a flat training loss but a validation loss still moving is not flat
    moving = {"loss": loss, "val_loss": [1.0] * 5 + [0.9, 0.8, 0.7]}
    assert rules.underfitting(moving, MLP, fit_ratio=0.97) is None


def test_unstable_counts_spike_onsets_against_the_recent_minimum():
    loss = [1.0, 0.8, 0.6, 1.2, 1.3, 0.5, 0.45, 0.9, 0.4, 0.38]
    f = rules.unstable({"loss": loss}, MLP)
    # epoch 3: 1.2/0.6 = 2.0; 4: 1.3/0.6 (same spike); 7: 0.9/0.45 = 2.0
    assert f.evidence["spikes"] == (3, 7) and f.epoch == 3
    assert f.evidence["max_ratio"] == pytest.approx(1.3 / 0.6)
    assert rules.unstable({"loss": loss}, MLP, min_spikes=3) is None
    assert rules.unstable({"loss": loss[:7]}, MLP) is None  # one spike


def test_unstable_flags_a_non_finite_loss():
    f = rules.unstable({"loss": [1.0, 0.9, float("nan")]}, MLP)
    assert f.epoch == 2 and f.evidence["max_ratio"] == math.inf


def test_exploding_gradients_growth_and_non_finite():
    h = {"grad_norm": [0.5, 1.0, 20.0, 60.0, 40.0], "lr": [0.1] * 5}
    f = rules.exploding_gradients(h, MLP)
    assert f.epoch == 3  # 60 / 0.5 = 120 >= 100
    assert f.evidence["growth"] == 120.0 and f.evidence["grad_norm_max"] == 60.0
    assert f.evidence["lr"] == 0.1
    assert "clipnorm=1.0" in f.action and "learning_rate_init" in f.action
    assert rules.exploding_gradients(h, MLP, growth=200) is None
    h = {"grad_norm": [0.5, 1.0, float("inf")]}
    f = rules.exploding_gradients(h, KERAS)
    assert f.epoch == 2 and f.evidence["growth"] == math.inf
    assert "non-finite at epoch 2" in f.message
    assert math.isnan(f.evidence["lr"])  # no lr recorded
    assert "step__optimizer__learning_rate" in f.action
    assert rules.exploding_gradients({"loss": [1.0]}, MLP) is None  # lbfgs


def test_vanishing_gradients_only_while_the_loss_is_still_high():
    gn = [1.0, 0.1, 0.02, 0.005, 0.004]
    f = rules.vanishing_gradients({"grad_norm": gn, "loss": [0.7] * 4 + [0.69]}, MLP)
    assert f.epoch == 3 and f.evidence["collapse"] == pytest.approx(250.0)
    assert "activation='relu'" in f.action
    learnt = {"grad_norm": gn, "loss": [0.7, 0.3, 0.1, 0.05, 0.01]}
    assert rules.vanishing_gradients(learnt, MLP) is None


def test_lr_too_high_diverged_above_start_and_oscillating():
    f = rules.lr_too_high({"loss": [1.0, 5.0, float("inf")], "lr": [3.0] * 3}, MLP)
    assert f.epoch == 2 and f.evidence["lr"] == 3.0 and "diverged" in f.message
    f = rules.lr_too_high({"loss": [1.0, 0.8, 1.5], "lr": [0.5] * 3}, MLP)
    assert f.epoch == 1 and "ended above" in f.message
    zigzag = [1.0, 0.9, 0.8, 0.5, 0.8, 0.5, 0.8, 0.5, 0.8, 0.5]
    f = rules.lr_too_high({"loss": zigzag}, KERAS)
    assert "oscillated" in f.message and f.epoch == 5  # the second half
    assert f.evidence["rise_fraction"] == 0.5  # 0.5 0.8 0.5 0.8 0.5: 2 of 4
    assert rules.lr_too_high({"loss": zigzag[:8]}, KERAS) is None  # 1 of 3
    calm = [1.0, 0.9, 0.8, 0.7, 0.701, 0.699, 0.7, 0.699]  # converged noise
    assert rules.lr_too_high({"loss": calm}, MLP) is None


def test_lr_too_low_steady_small_fall_with_healthy_gradients():
    loss = [1.0, 0.99, 0.98, 0.97, 0.96, 0.95]
    h = {"loss": loss, "grad_norm": [1.0] * 6, "lr": [1e-5] * 6}
    f = rules.lr_too_low(h, MLP)
    assert f.evidence == {
        "lr": 1e-5,
        "fall": pytest.approx(0.05),
        "falling_epochs": 1.0,
    }
    assert f.action == "raise learning_rate_init (e.g. 10x)"
    assert rules.lr_too_low(h, MLP, fit_ratio=0.2) is None  # already fits well
    assert rules.lr_too_low(dict(h, grad_norm=[1.0] * 5 + [0.01]), MLP) is None
    assert rules.lr_too_low(dict(h, loss=loss[:4]), MLP) is None  # too short


def test_not_converged_only_when_the_budget_was_used():
    loss = [1.0 - 0.05 * e for e in range(10)]
    f = rules.not_converged({"loss": loss}, MLP)
    assert f.evidence["from_epoch"] == 6 and f.epoch == 6
    assert f.evidence["fall_per_epoch"] == pytest.approx((0.7 - 0.55) / 0.7 / 3)
    assert (
        "max_iter" in f.action
        and "epochs" in rules.not_converged({"loss": loss}, KERAS).action
    )
    assert rules.not_converged({"loss": loss}, MLP, budget_used=False) is None
    rising_val = {"loss": loss, "val_loss": [0.5] * 7 + [0.6, 0.7, 0.8]}
    assert rules.not_converged(rising_val, MLP) is None


def test_dead_relu_one_finding_per_layer_over_the_threshold():
    found = rules.dead_relu({"a": (10, 2), "b": (8, 4), "c": (4, 1)}, MLP)
    assert [f.evidence for f in found] == [
        {"layer": "b", "units": 8, "dead": 4, "fraction": 0.5}
    ]
    assert len(rules.dead_relu({"a": (10, 2)}, MLP, max_dead_fraction=0.1)) == 1


def test_rules_are_silent_without_evidence():
    for h in ({}, {"loss": [0.5]}, {"loss": [float("nan")] * 3}):
        assert rules.overfitting(h, MLP) is None
        assert rules.vanishing_gradients(h, MLP) is None
        assert rules.lr_too_low(h, MLP) is None
        assert rules.not_converged(h, MLP) is None
    assert rules.lr_too_high({"loss": [0.5]}, MLP) is None


def test_every_kind_has_an_action_for_both_families():
    kinds = [
        "overfitting", "no_validation", "underfitting", "unstable",
        "exploding_gradients", "vanishing_gradients", "dead_relu",
        "lr_too_high", "lr_too_low", "not_converged",
    ]  # fmt: skip
    for kind in kinds:
        assert action(kind, MLP) and action(kind, KERAS)
        assert "learning_rate_init" not in action(kind, KERAS)
