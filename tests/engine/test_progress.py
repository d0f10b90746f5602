"""``verbose``: one tqdm bar per fit (1), a line per epoch (2), sklearn's own
lines for the MLP's ``verbose=True`` and ints from 2; prediction never
prints; Keras' own progress bar never shows (``_engine/progress.py``)."""

import re

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from sktrain import KerasClassifier, KerasRegressor, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(4,), random_state=0)
NUMBER = r"-?[0-9.]+(?:e[-+]?\d+)?"


def _bars(err):
    """The final state of each bar tqdm drew on a non-terminal stream: one
    line per bar (``leave=True``), its redraws separated by carriage returns."""
    return [line.split("\r")[-1] for line in err.split("\n") if line.strip()]


def _postfix(bar):
    """The ``name=value`` pairs after the bar's rate, as floats."""
    found = re.search(r"epoch/s, (.*)\]$", bar) or re.search(r"s/epoch, (.*)\]$", bar)
    pairs = (item.split("=") for item in found.group(1).split(", "))
    return {name: float(value) for name, value in pairs}


def test_verbose_1_draws_one_bar_per_fit_and_predict_prints_nothing(
    binary_data, capsys
):
    X, y = binary_data
    capsys.readouterr()
    clf = MLPClassifier(**SMALL, max_iter=3, verbose=1, early_stopping=True)
    clf.fit(X, y)
    clf.fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    bars = _bars(err)
    assert len(bars) == 2
    for bar in bars:
        assert re.match(r"MLPClassifier: 100%\|.*\| 3/3 \[", bar), bar
        shown = _postfix(bar)
        assert set(shown) == {"loss", "val_score", "val_loss"}  # no timing
    # the postfix is the last epoch's values, short (3 significant digits)
    assert _postfix(bars[1])["loss"] == pytest.approx(clf.loss_curve_[-1], rel=5e-3)
    clf.predict(X)
    clf.predict_proba(X)
    clf.score(X, y)
    assert capsys.readouterr() == ("", "")


def test_the_bar_closes_at_early_stopping(binary_data, capsys):
    X, y = binary_data
    capsys.readouterr()
    # tol so large that no epoch after the first improves: stops at epoch 3
    clf = MLPClassifier(**SMALL, max_iter=20, tol=1e9, n_iter_no_change=1, verbose=1)
    clf.fit(X, y)
    (bar,) = _bars(capsys.readouterr().err)
    assert clf.n_iter_ == 3
    assert re.match(r"MLPClassifier:  15%\|.*\| 3/20 \[", bar), bar


def test_wrappers_bar_lean_loop_and_no_keras_progress(
    regression_data, capsys, monkeypatch
):
    from sktrain._engine import epochs

    calls = []
    real = epochs.lean_loop
    monkeypatch.setattr(epochs, "lean_loop", lambda *a: calls.append(1) or real(*a))
    X, y = regression_data
    capsys.readouterr()
    reg = KerasRegressor(epochs=3, verbose=1, random_state=0).fit(X, y)
    assert calls == [1]  # the bar is drawn between epochs of the lean loop
    reg.set_params(validation_split=0.25, predict__verbose=1).fit(X, y)
    reg.predict(X)
    reg.score(X, y)
    out, err = capsys.readouterr()
    assert out == ""  # Keras' "1/1 ━━━ 0s 3ms/step" lines go to stdout
    first, second = _bars(err)
    assert re.match(r"KerasRegressor: 100%\|.*\| 3/3 \[", first)
    assert set(_postfix(first)) == {"loss"}
    assert set(_postfix(second)) == {"loss", "val_loss"}
    assert _postfix(second)["val_loss"] == pytest.approx(
        reg.history_["val_loss"][-1], rel=5e-3
    )


def test_transform_prints_nothing(regression_data, capsys):
    from sktrain import KerasTransformer

    X, _ = regression_data
    est = KerasTransformer(epochs=2, verbose=2, random_state=0).fit(X)
    capsys.readouterr()
    est.transform(X)
    assert capsys.readouterr() == ("", "")


def test_verbose_2_prints_a_line_per_epoch(binary_data, capsys):
    X, y = binary_data
    capsys.readouterr()
    clf = KerasClassifier(epochs=4, verbose=2, validation_split=0.25, random_state=0)
    clf.fit(X, y)
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 4
    pattern = (
        rf"Epoch (\d)/4 - loss: ({NUMBER}) - val_loss: ({NUMBER}) - \d+\.\d{{3}}s$"
    )
    for epoch, line in enumerate(lines, 1):
        found = re.match(pattern, line)
        assert found, line
        assert int(found.group(1)) == epoch
        assert float(found.group(2)) == pytest.approx(
            clf.history_["loss"][epoch - 1], rel=1e-3
        )
        assert float(found.group(3)) == pytest.approx(
            clf.history_["val_loss"][epoch - 1], rel=1e-3
        )


def test_fit_verbose_is_an_alias_and_true_is_a_bar_for_the_wrappers(
    regression_data, capsys
):
    X, y = regression_data
    capsys.readouterr()
    KerasRegressor(epochs=2, fit__verbose=2, random_state=0).fit(X, y)
    out, err = capsys.readouterr()
    assert [line.split(" - ")[0] for line in out.splitlines()] == [
        "Epoch 1/2",
        "Epoch 2/2",
    ]
    KerasRegressor(epochs=2, verbose=True, random_state=0).fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and len(_bars(err)) == 1


def test_lbfgs_reports_each_iteration(regression_data, capsys):
    X, y = regression_data
    capsys.readouterr()
    reg = MLPRegressor(**SMALL, solver="lbfgs", max_iter=5, verbose=2).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == reg.n_iter_ == 5
    losses = [float(re.search(rf"loss: ({NUMBER})", ln).group(1)) for ln in lines]
    np.testing.assert_allclose(losses, reg.loss_curve_, rtol=1e-3)


def _shape(lines):
    """A line with its numbers replaced: the format without the values."""
    return [re.sub(r"-?\d+\.\d+", "F", line) for line in lines]


@pytest.mark.parametrize(
    "early_stopping, verbose", [(False, True), (True, True), (False, 2), (True, 10)]
)
def test_mlp_verbose_prints_sklearns_lines(
    binary_data, capsys, early_stopping, verbose
):
    """True, and any int from 2 (sklearn prints its lines for any truthy
    verbose; its own test_verbose_sgd passes verbose=10)."""
    X, y = binary_data
    # tol so large that the run stops at epoch 3 and prints why, as sklearn's
    params = dict(
        hidden_layer_sizes=(4,),
        max_iter=10,
        tol=1e9,
        n_iter_no_change=1,
        early_stopping=early_stopping,
        random_state=0,
        verbose=verbose,
    )
    capsys.readouterr()
    SkMLPClassifier(**params).fit(X, y)
    expected, _ = capsys.readouterr()
    MLPClassifier(**params).fit(X, y)
    out, err = capsys.readouterr()
    assert err == ""  # no bar
    assert _shape(out.splitlines()) == _shape(expected.splitlines())
    assert "Iteration 3, loss = F" in _shape(out.splitlines())
    assert out.splitlines()[-1].endswith("consecutive epochs. Stopping.")
