"""``checkpoint=<path>``: a file after every epoch; a killed fit resumed from
it ends where the uninterrupted fit ends (``_engine/checkpoint.py``)."""

import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification

import sktrain
from sktrain import KerasClassifier, MLPClassifier
from sktrain._engine import checkpoint as ck

X, y = make_classification(n_samples=240, n_features=8, random_state=0)
Xt, yt, Xv, yv = X[:180], y[:180], X[180:], y[180:]
MLP = dict(
    hidden_layer_sizes=(16,),
    max_iter=8,
    batch_size=32,
    learning_rate="cosine",
    warmup=2,
    random_state=0,
    tol=0,
    n_iter_no_change=100,
)

CHILD = textwrap.dedent(
    """
    import os, signal, sys, warnings
    warnings.simplefilter("ignore")
    import numpy as np
    from sklearn.datasets import make_classification
    from sktrain import MLPClassifier

    X, y = make_classification(n_samples=240, n_features=8, random_state=0)
    calls = []

    def killer(estimator, X, y):  # scored first at every epoch end
        calls.append(1)
        if len(calls) == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)
        return 0.0

    MLPClassifier(**eval(sys.argv[3]), checkpoint=sys.argv[1], scoring=killer).fit(
        X[:180], y[:180], X_val=X[180:], y_val=y[180:]
    )
    """
)


@pytest.mark.slow
def test_a_fit_killed_with_sigkill_resumes_to_the_uninterrupted_weights(tmp_path):
    path = tmp_path / "run.sktrain"
    killed_in = 5  # the kill comes at the end of epoch 5: 4 epochs are saved
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(killed_in), repr(MLP)],
        capture_output=True,
        timeout=600,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    assert not list(tmp_path.glob("*.tmp*"))  # no half-written file left
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the child's scorer cannot be imported
        resumed = sktrain.load(path)
    assert resumed._resume.epochs_done == killed_in - 1
    assert len(resumed.history_["loss"]) == killed_in - 1
    resumed.set_params(scoring=None, warm_start=True)
    resumed.fit(Xt, yt, X_val=Xv, y_val=yv)
    full = MLPClassifier(**MLP).fit(Xt, yt, X_val=Xv, y_val=yv)
    for a, b in zip(
        resumed.coefs_ + resumed.intercepts_, full.coefs_ + full.intercepts_
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert resumed.n_iter_ == full.n_iter_ == 8
    np.testing.assert_allclose(resumed.loss_curve_, full.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(resumed.history_["lr"], full.history_["lr"])
    assert resumed.t_ == full.t_
    assert not hasattr(resumed, "_resume")


class Stop(Exception):
    pass


def stop_after(monkeypatch, epochs):
    """Make a fit stop (as if killed) right after the checkpoint of ``epochs``."""
    original = ck.Checkpoint.on_epoch_end

    def on_epoch_end(self, model, state, logs):
        original(self, model, state, logs)
        if state.n_iter == epochs:
            raise Stop

    monkeypatch.setattr(ck.Checkpoint, "on_epoch_end", on_epoch_end)


@pytest.mark.parametrize(
    "make",
    [
        lambda path: MLPClassifier(
            **{**MLP, "early_stopping": True, "learning_rate": "plateau"},
            checkpoint=path,
        ),
        lambda path: KerasClassifier(
            epochs=6,
            lr_schedule="onecycle",
            validation_split=0.25,
            random_state=0,
            checkpoint=path,
        ),
    ],
    ids=["mlp-early-stopping", "keras"],
)
def test_resume_equals_the_uninterrupted_fit(tmp_path, monkeypatch, make):
    path = tmp_path / "m.sktrain"
    full = make(path).fit(X, y)
    with monkeypatch.context() as m:
        stop_after(m, 3)
        with pytest.raises(Stop):
            make(path).fit(X, y)
    resumed = sktrain.load(path)
    assert resumed._resume.epochs_done == 3
    resumed.set_params(warm_start=True).fit(X, y)
    np.testing.assert_allclose(
        resumed.predict_proba(X), full.predict_proba(X), atol=1e-7
    )
    for key in ("loss", "lr", "val_loss"):
        np.testing.assert_allclose(resumed.history_[key], full.history_[key], rtol=1e-6)
    assert resumed.n_iter_ == full.n_iter_


def test_the_files_after_every_epoch_and_at_the_end(tmp_path, monkeypatch):
    path = tmp_path / "m.sktrain"
    est = MLPClassifier(**MLP, checkpoint=path, scoring="roc_auc")
    with monkeypatch.context() as m:
        stop_after(m, 4)
        with pytest.raises(Stop):
            est.fit(Xt, yt, X_val=Xv, y_val=yv)
    mid = sktrain.load(path)
    assert mid.n_iter_ == 4 and len(mid.history_["val_roc_auc"]) == 4
    best = sktrain.load(ck.best_path(path))
    scores = mid.history_["val_roc_auc"]
    # the best file is the epoch with the best first scorer so far
    assert len(best.history_["val_roc_auc"]) == int(np.argmax(scores)) + 1
    done = MLPClassifier(**MLP, checkpoint=path).fit(Xt, yt)
    final = sktrain.load(path)
    assert not hasattr(final, "_resume")
    np.testing.assert_array_equal(final.predict_proba(X), done.predict_proba(X))


def test_without_resume_point_a_warm_fit_is_an_ordinary_continued_fit(tmp_path):
    path = tmp_path / "m.sktrain"
    MLPClassifier(**MLP, checkpoint=path).fit(Xt, yt)
    loaded = sktrain.load(path).set_params(warm_start=True, max_iter=2)
    loaded.fit(Xt, yt)
    assert loaded.n_iter_ == 2 and len(loaded.loss_curve_) == 10


def test_a_checkpoint_partial_fit_starts_no_resume(tmp_path, monkeypatch):
    path = tmp_path / "m.sktrain"
    with monkeypatch.context() as m:
        stop_after(m, 2)
        with pytest.raises(Stop):
            MLPClassifier(**MLP, checkpoint=path).fit(Xt, yt)
    loaded = sktrain.load(path)
    loaded.partial_fit(Xt, yt)
    assert not hasattr(loaded, "_resume") and loaded.n_iter_ == 1
