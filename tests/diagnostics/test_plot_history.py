"""``sktrain.plot_history``: the lines it draws (labels and data equal to
``history_``), the learning rate's log axis, the best epoch, metric
selection, the estimators it takes, and the error without matplotlib."""

import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import (
    DistilledClassifier,
    KerasClassifier,
    KerasRegressor,
    MLPClassifier,
    plot_history,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def keras_clf(binary_data):
    X, y = binary_data
    clf = KerasClassifier(
        epochs=6,
        validation_split=0.25,
        metrics=["accuracy"],
        optimizer__learning_rate=0.05,
        model__hidden_layer_sizes=(8,),
        random_state=0,
    )
    return clf.fit(X, y)


@pytest.fixture
def ax():
    return Figure().subplots()


def _lines(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


def test_train_and_validation_curves_equal_the_history(keras_clf, ax):
    assert plot_history(keras_clf, ax=ax) is ax
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels == ["loss", "val_loss", "accuracy", "val_accuracy", "best epoch"]
    lines = _lines(ax)
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert list(lines[key].get_ydata()) == keras_clf.history_[key]
        assert list(lines[key].get_xdata()) == list(range(6))
    assert lines["loss"].get_linestyle() == "-"
    assert lines["val_loss"].get_linestyle() == "--"
    assert lines["val_loss"].get_color() == lines["loss"].get_color()
    assert lines["val_accuracy"].get_color() == lines["accuracy"].get_color()
    assert lines["accuracy"].get_color() != lines["loss"].get_color()
    assert ax.get_xlabel() == "epoch"
    assert ax.get_title() == "KerasClassifier training history"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == labels + ["lr"]


def test_learning_rate_on_a_twin_log_axis(keras_clf, ax):
    plot_history(keras_clf, ax=ax)
    twin = ax.lr_axes
    assert twin is not None and twin is not ax
    assert twin.get_yscale() == "log"
    assert twin.get_ylabel() == "learning rate"
    (line,) = twin.get_lines()
    assert line.get_label() == "lr"
    np.testing.assert_allclose(line.get_ydata(), keras_clf.history_["lr"])
    np.testing.assert_allclose(line.get_ydata(), 0.05, rtol=1e-6)
    assert "lr" not in _lines(ax)  # not on the loss axis


def test_best_epoch_is_the_lowest_validation_loss(keras_clf, ax):
    plot_history(keras_clf, ax=ax)
    best = int(np.argmin(keras_clf.history_["val_loss"]))
    assert list(_lines(ax)["best epoch"].get_xdata()) == [best, best]


def test_mlp_early_stopping_marks_sklearns_best_validation_epoch(binary_data, ax):
    X, y = binary_data
    mlp = MLPClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        n_iter_no_change=3,
        learning_rate_init=0.01,
        max_iter=40,
        random_state=0,
    ).fit(X, y)
    plot_history(mlp, ax=ax)
    lines = _lines(ax)
    assert list(lines) == ["loss", "val_loss", "val_score", "best epoch"]
    assert list(lines["val_score"].get_ydata()) == mlp.validation_scores_
    best = int(np.argmax(mlp.validation_scores_))
    assert mlp.validation_scores_[best] == mlp.best_validation_score_
    assert 0 < best < mlp.n_iter_ - mlp.n_iter_no_change  # not the last epoch
    assert list(lines["best epoch"].get_xdata()) == [best, best]


def test_metrics_selects_curves(keras_clf, ax):
    plot_history(keras_clf, metrics="accuracy", ax=ax)
    assert list(_lines(ax)) == ["accuracy", "val_accuracy", "best epoch"]
    ax2 = plot_history(keras_clf, metrics=["accuracy", "loss"], ax=Figure().subplots())
    assert list(_lines(ax2))[:4] == ["accuracy", "val_accuracy", "loss", "val_loss"]


def test_unknown_metric_says_what_is_recorded(keras_clf, ax):
    with pytest.raises(ValueError) as err:
        plot_history(keras_clf, metrics="acuracy", ax=ax)
    msg = str(err.value)
    assert "history_ records no 'acuracy'. Did you mean 'accuracy'?" in msg
    assert "['accuracy', 'grad_norm', 'loss'," in msg


def test_no_validation_no_best_epoch_and_a_new_figure(regression_data):
    X, y = regression_data
    reg = KerasRegressor(epochs=3, model__hidden_layer_sizes=(4,), random_state=0)
    ax = plot_history(reg.fit(X, y))
    try:
        assert list(_lines(ax)) == ["loss"]
        assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    finally:
        plt.close(ax.figure)


def test_pipeline_and_distilled_draw_the_sktrain_step(binary_data, keras_clf, ax):
    X, y = binary_data
    pipe = make_pipeline(StandardScaler(), keras_clf)  # the step is fitted
    assert (
        list(plot_history(pipe, ax=ax).get_lines()[0].get_ydata())
        == (keras_clf.history_["loss"])
    )
    student = MLPClassifier(hidden_layer_sizes=(4,), max_iter=4, random_state=0)
    distilled = DistilledClassifier(LogisticRegression(), student, random_state=0)
    ax2 = plot_history(distilled.fit(X, y), ax=Figure().subplots())
    assert list(ax2.get_lines()[0].get_ydata()) == distilled.student_.loss_curve_
    assert ax2.get_title() == "MLPClassifier training history"


def test_unfitted_and_foreign_estimators_are_refused():
    for est in (
        KerasClassifier(),
        make_pipeline(StandardScaler(), MLPClassifier()),
        DistilledClassifier(LogisticRegression()),
    ):
        with pytest.raises(NotFittedError, match="Call fit first"):
            plot_history(est)
    with pytest.raises(TypeError, match="not LogisticRegression"):
        plot_history(LogisticRegression())


def test_missing_matplotlib_names_the_extra(keras_clf, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "sktrain\[plot\]"'):
        plot_history(keras_clf)
