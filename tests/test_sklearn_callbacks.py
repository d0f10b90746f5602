"""sklearn's callback API (scikit-learn >= 1.9) with sklearn's own
``ProgressBar`` and ``ScoringMonitor``: epochs are a fit's subtasks, the
context propagates from ``GridSearchCV``, a ``Pipeline`` and the distilled
estimators, and what ``ScoringMonitor`` scores is the epoch's network."""

import copy
import pickle
import subprocess
import sys
import textwrap
from importlib.util import find_spec
from unittest import mock

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktrain import DistilledClassifier, KerasRegressor, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
needs_callbacks = pytest.mark.skipif(
    find_spec("sklearn.callback") is None, reason="scikit-learn < 1.9"
)
SMALL = dict(hidden_layer_sizes=(4,), random_state=0)


@pytest.fixture
def ended():
    """The path of every task whose end sklearn's ProgressBar displayed."""
    from sklearn.callback._progressbar import RichProgressMonitor

    paths = []
    real = RichProgressMonitor._on_task_end

    def record(self, task_info):
        paths.append(tuple(task_info["path"]))
        real(self, task_info)

    with mock.patch.object(RichProgressMonitor, "_on_task_end", record):
        yield paths


@needs_callbacks
def test_set_callbacks_checks_and_returns_the_estimator():
    from sklearn.callback import ProgressBar

    est = MLPClassifier()
    bar = ProgressBar()
    assert est.set_callbacks(bar) is est
    assert est._skl_callbacks == [bar]
    with pytest.raises(TypeError, match="FitCallback protocol"):
        est.set_callbacks(object())


@needs_callbacks
def test_progress_bar_reports_every_epoch(binary_data, ended, capsys):
    from sklearn.callback import ProgressBar

    X, y = binary_data
    clf = MLPClassifier(**SMALL, max_iter=4).set_callbacks(ProgressBar()).fit(X, y)
    # the four epochs (subtasks 0..3 of the root task), then the fit
    assert ended == [(0, 0), (0, 1), (0, 2), (0, 3), (0,)]
    assert clf.n_iter_ == 4
    out = capsys.readouterr().out
    assert "MLPClassifier - fit" in out and "100%" in out
    assert not hasattr(clf, "_callback_fit_ctx")  # torn down


@needs_callbacks
def test_grid_search_propagates_the_progress_bar(binary_data, ended, capsys):
    from sklearn.callback import ProgressBar

    X, y = binary_data
    grid = GridSearchCV(
        MLPClassifier(**SMALL, max_iter=3), {"alpha": [1e-4, 1e-2]}, cv=2
    )
    grid.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    fits = "GridSearchCV - candidate-split-evaluation | MLPClassifier - fit"
    assert out.count(fits) == 4
    assert "GridSearchCV - refit-with-best-params | MLPClassifier - fit" in out
    # root/search/candidate-split/epoch: 4 fits of 3 epochs; the refit's 3
    searched = [p for p in ended if len(p) == 4]
    assert len(searched) == 12
    assert sorted({p[-1] for p in searched}) == [0, 1, 2]
    refit = [p for p in ended if p[:2] == (0, 1) and len(p) == 3]
    assert refit == [(0, 1, 0), (0, 1, 1), (0, 1, 2)]


@needs_callbacks
def test_pipeline_propagates_to_its_sktrain_step(regression_data, ended, capsys):
    from sklearn.callback import ProgressBar

    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), KerasRegressor(epochs=3, random_state=0))
    pipe.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    assert "Pipeline - fit-final-estimator | KerasRegressor - fit" in out
    assert [p for p in ended if p[:2] == (0, 1) and len(p) == 3] == [
        (0, 1, 0),
        (0, 1, 1),
        (0, 1, 2),
    ]


def _r2_at_epoch_end(X, y):
    """A Keras callback: the R2 of the network being trained at each epoch's
    end (another route to the score ScoringMonitor logs); shared, not
    copied, by the fit."""
    import keras

    class Recorder(keras.callbacks.Callback):
        def __deepcopy__(self, memo):
            return self

        def on_epoch_end(self, epoch, logs=None):
            pred = self.model.predict(X, verbose=0).ravel()
            self.scores.append(r2_score(y, pred))

    recorder = Recorder()
    recorder.scores = []
    return recorder


def _epoch_scores(monitor):
    rows = monitor.get_logs().data
    return [r["r2"] for r in rows if r["task_name"] == "epoch"], [
        r["r2"] for r in rows if r["task_name"] == "fit"
    ]


@needs_callbacks
def test_scoring_monitor_scores_each_epochs_network(regression_data):
    from sklearn.callback import ScoringMonitor

    X, y = regression_data
    recorder = _r2_at_epoch_end(X, y)
    params = dict(SMALL, max_iter=4)
    # with a Keras callback, model_ itself trains; without, a cached twin
    monitor = ScoringMonitor(scoring="r2")
    reg = MLPRegressor(**params, callbacks=[recorder]).set_callbacks(monitor)
    reg.fit(X, y)
    epochs, (final,) = _epoch_scores(monitor)
    assert len(epochs) == 4
    np.testing.assert_allclose(epochs, recorder.scores, rtol=1e-5)
    assert final == pytest.approx(reg.score(X, y), rel=1e-6)
    twin_monitor = ScoringMonitor(scoring="r2")
    MLPRegressor(**params).set_callbacks(twin_monitor).fit(X, y)
    np.testing.assert_allclose(_epoch_scores(twin_monitor)[0], epochs, rtol=1e-5)
    assert len(set(np.round(epochs, 8))) == 4  # the score moves each epoch


@needs_callbacks
def test_scoring_monitor_on_a_cloned_wrapper_in_a_search(regression_data):
    from sklearn.callback import ScoringMonitor

    X, y = regression_data
    monitor = ScoringMonitor(scoring="r2")
    est = KerasRegressor(epochs=2, random_state=0).set_callbacks(monitor)
    GridSearchCV(est, {"batch_size": [16, 32]}, cv=2).fit(X, y)
    rows = monitor.get_logs(select="all")
    epochs = [r for log in rows for r in log.data if r["task_name"] == "epoch"]
    assert len(epochs) == (4 + 1) * 2  # 4 search fits and the refit, 2 epochs
    assert all(np.isfinite(r["r2"]) for r in epochs)


@needs_callbacks
def test_distilled_fit_has_the_teacher_and_student_as_subtasks(
    binary_data, capsys, ended
):
    from sklearn.callback import ProgressBar

    X, y = binary_data
    student = MLPClassifier(**SMALL, max_iter=2)
    est = DistilledClassifier(
        teacher=LogisticRegression(), student=student, n_synthetic=0, random_state=0
    )
    est.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    assert "DistilledClassifier - fit-teacher | LogisticRegression - fit" in out
    assert "DistilledClassifier - fit-student | MLPClassifier - fit" in out
    assert [p for p in ended if p[:2] == (0, 1) and len(p) == 3] == [
        (0, 1, 0),
        (0, 1, 1),
    ]


@needs_callbacks
def test_callbacks_survive_pickling_and_copy_is_unchanged(binary_data):
    from sklearn.callback import ScoringMonitor

    X, y = binary_data
    clf = MLPClassifier(**SMALL, max_iter=2).fit(X, y)
    clf.set_callbacks(ScoringMonitor(scoring="accuracy"))
    again = pickle.loads(pickle.dumps(clf))
    assert type(again._skl_callbacks[0]).__name__ == "ScoringMonitor"
    shallow = copy.copy(clf)  # outside a fit: a copy with its own network
    assert shallow.model_ is not clf.model_
    np.testing.assert_array_equal(shallow.predict(X), clf.predict(X))


def test_without_sklearn_callback_there_is_no_set_callbacks():
    # scikit-learn < 1.9 (simulated on 1.9: sklearn.callback cannot be
    # imported when sktrain is; sklearn's own modules imported it before)
    script = textwrap.dedent("""
        import sys
        import sklearn.model_selection, sklearn.pipeline
        for name in [n for n in sys.modules if n.startswith("sklearn.callback")]:
            sys.modules[name] = None
        import sktrain
        from sktrain._engine import skl_callbacks
        assert skl_callbacks.CALLBACK_BASES == ()
        for cls in (sktrain.MLPClassifier, sktrain.KerasRegressor,
                    sktrain.KerasTransformer, sktrain.DistilledClassifier):
            assert not hasattr(cls, "set_callbacks"), cls
        print("absent")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert proc.stdout.strip() == "absent", proc.stderr[-2000:]
