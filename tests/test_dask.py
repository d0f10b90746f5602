"""Searches on a Dask cluster: ``joblib.parallel_backend("dask")`` over a real
``LocalCluster`` of worker processes (nannies, one thread each) that import
this checkout's sktrain. The results equal the ``n_jobs=1`` run's, the fits
ran in the workers (a scorer records the scoring process's pid), and a worker
killed mid-search is replaced and its lost tasks rerun with the same results.
"""

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, cross_validate

import sktrain
from sktrain import KerasClassifier, MLPClassifier

distributed = pytest.importorskip("distributed")

ROOT = str(Path(sktrain.__file__).resolve().parents[1])


def scoring_pid(estimator, X, y):
    """A scorer whose value is the id of the process that scored (and fitted)."""
    return os.getpid()


SCORING = {"accuracy": "accuracy", "pid": scoring_pid}


def _import_tensorflow():
    from sktrain._engine.backend import keras

    keras()
    return sktrain.__file__


@pytest.fixture(scope="module")
def client():
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = {"PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "2"}
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=env,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # the workers import TensorFlow once, in parallel, before any test
        files = client.run(_import_tensorflow)
        assert set(files.values()) == {sktrain.__file__}
        yield client


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def local_search(data):
    """The reference: the grid search with n_jobs=1, in this process."""
    return _search(_mlp(), GRID, None, *data)


def _mlp():
    return MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)


GRID = {"learning_rate_init": [1e-3, 1e-2], "alpha": [1e-4, 1e-2]}


def _without(results, *words):
    """cv_results_ without the timing keys and the keys naming ``words``."""
    return {
        k: v
        for k, v in results.items()
        if "time" not in k and not any(w in k for w in words)
    }


def assert_same_results(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if key == "params":
            assert a[key] == b[key]
        else:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


def _pids(results):
    """The pids the ``pid`` scorer recorded, one per fit."""
    keys = [k for k in results if k.startswith("split") and k.endswith("_test_pid")]
    return {int(p) for k in keys for p in results[k]}


def _search(estimator, grid, backend, X, y, **kwargs):
    gs = GridSearchCV(estimator, grid, cv=2, scoring=SCORING, refit="accuracy")
    if backend is None:
        return gs.fit(X, y)
    with parallel_backend("dask", **kwargs):
        return gs.fit(X, y)


def test_the_workers_import_this_checkout(client):
    assert set(client.run(lambda: sktrain.__file__).values()) == {sktrain.__file__}
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids


def test_grid_search_on_the_cluster_equals_n_jobs_1(client, data, local_search):
    X, y = data
    local = local_search
    remote = _search(_mlp(), GRID, "dask", X, y)
    assert_same_results(
        _without(remote.cv_results_, "pid"), _without(local.cv_results_, "pid")
    )
    # every fit was scored, so fitted, in a worker process
    assert _pids(local.cv_results_) == {os.getpid()}
    assert _pids(remote.cv_results_) <= set(client.run(os.getpid).values())
    # the refit ran here, on the same data: the same network
    np.testing.assert_array_equal(
        remote.best_estimator_.predict_proba(X), local.best_estimator_.predict_proba(X)
    )


def test_cross_validate_on_the_cluster_equals_n_jobs_1(client, data):
    X, y = data
    local = cross_validate(_mlp(), X, y, cv=3, scoring=SCORING)
    with parallel_backend("dask"):
        remote = cross_validate(_mlp(), X, y, cv=3, scoring=SCORING)
    np.testing.assert_array_equal(remote["test_accuracy"], local["test_accuracy"])
    assert set(remote["test_pid"].astype(int)) <= set(client.run(os.getpid).values())


def test_keras_wrapper_search_on_the_cluster(client, data):
    X, y = data
    est = KerasClassifier(
        model__hidden_layer_sizes=(8,),
        loss="binary_crossentropy",
        optimizer="adam",
        epochs=3,
        batch_size=32,
        random_state=0,
    )
    grid = {"optimizer__learning_rate": [1e-3, 1e-2]}
    local = _search(est, grid, None, X, y)
    remote = _search(est, grid, "dask", X, y)
    assert_same_results(
        _without(remote.cv_results_, "pid"), _without(local.cv_results_, "pid")
    )
    assert _pids(remote.cv_results_) <= set(client.run(os.getpid).values())


class BlockingPidScorer:
    """The ``pid`` scorer, except that in the process named in ``victim_file``
    it announces itself (``blocked_file``) and then waits to be killed."""

    def __init__(self, victim_file, blocked_file):
        self.victim_file, self.blocked_file = victim_file, blocked_file

    def __call__(self, estimator, X, y):
        if Path(self.victim_file).read_text() == str(os.getpid()):
            Path(self.blocked_file).write_text("blocked")
            while True:  # until the test's SIGKILL
                time.sleep(0.05)
        return os.getpid()


def _wait_for(path, timeout=120):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_worker_killed_mid_search_is_replaced_with_the_same_results(
    client, data, local_search, tmp_path
):
    X, y = data
    local = local_search
    before = client.run(os.getpid)  # {address: pid}
    address, victim = min(before.items(), key=lambda item: item[1])
    victim_file, blocked_file = tmp_path / "victim", tmp_path / "blocked"
    victim_file.write_text(str(victim))
    blocking = BlockingPidScorer(victim_file, blocked_file)
    scoring = {"accuracy": "accuracy", "pid": blocking}

    def kill_when_blocked():
        _wait_for(blocked_file)  # the victim is in the middle of a task
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_blocked, daemon=True)
    killer.start()
    gs = GridSearchCV(_mlp(), GRID, cv=2, scoring=scoring, refit="accuracy")
    # scatter: X and y go to every worker first (broadcast); data scattered to
    # the killed worker alone would be lost for good (docs/scaling.md)
    with parallel_backend("dask", scatter=[X, y]):
        gs.fit(X, y)
    killer.join(timeout=5)
    assert not killer.is_alive()
    assert_same_results(
        _without(gs.cv_results_, "pid"), _without(local.cv_results_, "pid")
    )
    # the scheduler took the victim's running task back and ran it elsewhere
    removed = [
        msg for _, msg in client.get_events(address) if msg["action"] == "remove-worker"
    ]
    assert len(removed) == 1 and removed[0]["processing-tasks"]
    assert not removed[0]["lost-scattered-tasks"]
    assert victim not in _pids(gs.cv_results_)
    client.wait_for_workers(2, timeout=120)  # the nanny starts a new worker
    assert victim not in client.run(os.getpid).values()
