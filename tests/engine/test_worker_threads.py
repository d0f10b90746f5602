"""TensorFlow's thread pools in joblib's loky workers (``_engine/backend.py``):
sized to the worker's thread budget, never in the main process; the
environment's overrides and the opt-out."""

import os

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV

from sktrain import MLPClassifier
from sktrain._engine import backend


def tf_threads(estimator, X, y):
    """A scorer: the scoring process's pid and TensorFlow's pool sizes."""
    threading = backend.tf().config.threading
    intra = threading.get_intra_op_parallelism_threads()
    inter = threading.get_inter_op_parallelism_threads()
    return os.getpid() * 10_000 + intra * 100 + inter


def test_loky_workers_get_their_budget_and_the_main_process_is_untouched(
    binary_data,
):
    X, y = binary_data
    threading = backend.tf().config.threading
    here = (
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    )
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    gs = GridSearchCV(est, {"alpha": [1e-4, 1e-3]}, cv=2, scoring=tf_threads)
    with parallel_config(backend="loky", n_jobs=2, inner_max_num_threads=1):
        gs.fit(X, y)
    codes = np.concatenate([gs.cv_results_[f"split{i}_test_score"] for i in (0, 1)])
    pids = {int(c) // 10_000 for c in codes}
    assert os.getpid() not in pids
    assert {int(c) % 10_000 for c in codes} == {101}  # intra-op 1, inter-op 1
    # the refit ran here: this process's settings are what they were
    assert gs.best_estimator_.n_iter_ == 2
    assert (
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    ) == here


@pytest.fixture
def loky_worker(monkeypatch):
    monkeypatch.setattr(backend, "in_loky_worker", lambda: True)
    for name in (
        "SKTRAIN_WORKER_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    return monkeypatch


def test_the_budget_is_the_workers_omp_num_threads(loky_worker):
    assert backend.worker_thread_settings() == {"intra_op": 3, "inter_op": 3}


def test_tensorflows_own_variables_take_precedence(loky_worker):
    loky_worker.setenv("TF_NUM_INTRAOP_THREADS", "2")
    assert backend.worker_thread_settings() == {"inter_op": 3}


@pytest.mark.parametrize("value", ["off", "0", "OFF"])
def test_the_limit_can_be_turned_off(loky_worker, value):
    loky_worker.setenv("SKTRAIN_WORKER_THREADS", value)
    assert backend.worker_thread_settings() == {}


@pytest.mark.parametrize("value", ["", "x", "0"])
def test_no_budget_no_setting(loky_worker, value):
    loky_worker.setenv("OMP_NUM_THREADS", value)
    assert backend.worker_thread_settings() == {}


def test_the_main_process_is_no_loky_worker(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert not backend.in_loky_worker()
    assert backend.worker_thread_settings() == {}
