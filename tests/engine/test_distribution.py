"""``distribution=`` (``_engine/distribution.py``): a fit under a
``tf.distribute`` strategy equals the single-device fit, and what a
distributed fit leaves behind (clones, pickles, files) works on one device.

The two-replica tests run TensorFlow in child processes: the logical
devices and a multi-worker cluster must be set before TensorFlow starts.
"""

import json
import os
import pickle
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import sktrain
from sktrain import KerasRegressor, MLPClassifier
from sktrain._engine.distribution import is_strategy, storable

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}

# 70 rows, batch 16: the last batch (6, or 15 of the 63 training rows with
# early stopping) is split across the replicas; shuffled every epoch
MLP = dict(
    hidden_layer_sizes=(8,),
    solver="sgd",
    batch_size=16,
    max_iter=4,
    alpha=1e-2,
    random_state=0,
    dtype="float32",
)
KERAS = dict(
    hidden_layer_sizes=(8,),
    optimizer="sgd",
    optimizer__learning_rate=0.05,
    batch_size=16,
    epochs=3,
    random_state=0,
)


def data():
    rng = np.random.RandomState(0)
    X = rng.randn(70, 5).astype("float32")
    return X, (X[:, 0] + X[:, 1] > 0).astype(int), X @ rng.randn(5), rng.rand(70)


def one_device():
    import tensorflow as tf

    return tf.distribute.OneDeviceStrategy("/cpu:0")


# -- in this process: the parameter, clones, pickles, one replica -----------
def test_a_strategy_instance_is_shared_by_clone_and_stored_as_none():
    strategy = one_device()
    est = MLPClassifier(distribution=strategy)
    assert is_strategy(strategy) and not is_strategy("mirrored")
    assert clone(est).distribution is strategy  # not a deep copy of devices
    search = GridSearchCV(est, {"alpha": [1e-4, 1e-3]})
    assert clone(search).estimator.distribution is strategy
    assert pickle.loads(pickle.dumps(est)).distribution is None
    assert storable("mirrored") == "mirrored" and storable(strategy) is None
    assert (
        KerasRegressor(distribution=strategy).__sklearn_clone__().distribution
        is strategy
    )


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(distribution="gpus"), "distribution"),
        (dict(distribution=object()), "distribution"),
        (dict(distribution="mirrored", device="cpu"), "device='auto'"),
        (dict(distribution="one device", solver="lbfgs"), "lbfgs"),
    ],
)
def test_bad_settings_are_refused_in_fit(params, match):
    X, y, _, _ = data()
    if params["distribution"] == "one device":
        params = {**params, "distribution": one_device()}
    est = MLPClassifier(max_iter=1, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "model_")


def test_a_one_replica_strategy_trains_like_one_device():
    """The strategy paths (sktrain's strategy loop, its test function, the
    model built from the batches' spec, the global batch's loss) in this
    process: equal to the default fit."""
    X, y, yr, w = data()
    strategy = one_device()
    kw = dict(MLP, early_stopping=True, n_iter_no_change=50)
    plain = MLPClassifier(**kw).fit(X, y, sample_weight=w)
    under = MLPClassifier(**kw, distribution=strategy).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(
        under.predict_proba(X), plain.predict_proba(X), rtol=1e-5
    )
    np.testing.assert_allclose(under.loss_curve_, plain.loss_curve_, rtol=1e-5)
    assert np.isnan(under.history_["grad_norm"]).all()  # no meter (see the doc)
    kw = dict(KERAS, validation_split=0.2)
    plain = KerasRegressor(**kw).fit(X, yr)
    under = KerasRegressor(**kw, distribution=strategy).fit(X, yr)
    np.testing.assert_allclose(under.predict(X), plain.predict(X), rtol=1e-5)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(under.history_[key], plain.history_[key], rtol=1e-5)


# -- two replicas, in a child process ---------------------------------------
TWO_DEVICES = textwrap.dedent(
    """
    import json, pickle, sys, warnings
    warnings.simplefilter("ignore")
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import numpy as np
    import sktrain
    from sktrain import KerasRegressor, MLPClassifier
    sys.path.insert(0, sys.argv[2])
    from test_distribution import KERAS, MLP, data

    X, y, yr, w = data()
    out, info = {}, {"sktrain": sktrain.__file__}
    kw = dict(MLP, early_stopping=True, n_iter_no_change=50)
    for name in ("single", "mirrored"):
        dist = None if name == "single" else "mirrored"
        mlp = MLPClassifier(**kw, distribution=dist).fit(X, y, sample_weight=w)
        out[f"mlp_{name}"] = mlp.predict_proba(X)
        out[f"mlp_loss_{name}"] = np.array(mlp.loss_curve_)
        reg = KerasRegressor(**KERAS, validation_split=0.2, distribution=dist)
        reg.fit(X, yr, sample_weight=w)
        out[f"reg_{name}"] = reg.predict(X)
        out[f"reg_val_loss_{name}"] = np.array(reg.history_["val_loss"])
        reg.set_params(warm_start=True).fit(X, yr, sample_weight=w)  # continued
        out[f"reg_warm_{name}"] = reg.predict(X)
    info["replicas"] = mlp.model_.distribute_strategy.num_replicas_in_sync
    info["variable"] = type(mlp.model_.weights[0].value).__name__
    unpickled = pickle.loads(pickle.dumps(mlp))
    mlp.save(sys.argv[1] + ".sktrain")
    loaded = sktrain.load(sys.argv[1] + ".sktrain")
    for name, est in (("unpickled", unpickled), ("loaded", loaded)):
        out[f"mlp_{name}"] = est.predict_proba(X)
        info[f"{name}_variable"] = type(est.model_.weights[0].value).__name__
        info[f"{name}_distribution"] = est.distribution
    np.savez(sys.argv[1], **out)
    print(json.dumps(info))
    """
)


def run_child(code, *args, timeout=900):
    child = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        env=ENV,
        timeout=timeout,
        cwd=ROOT,
    )
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    return json.loads(child.stdout.decode().strip().splitlines()[-1])


@pytest.mark.slow
def test_a_mirrored_fit_equals_the_single_device_fit_and_loads_on_one_device(
    tmp_path,
):
    path = tmp_path / "results.npz"
    info = run_child(TWO_DEVICES, path, Path(__file__).parent)
    got = np.load(path)
    assert info["sktrain"] == sktrain.__file__
    assert info["replicas"] == 2 and info["variable"] == "MirroredVariable"
    # float32, the replicas' gradients summed: equal up to reassociation
    for key in ("mlp", "mlp_loss", "reg", "reg_val_loss", "reg_warm"):
        mirrored, single = got[f"{key}_mirrored"], got[f"{key}_single"]
        np.testing.assert_allclose(mirrored, single, rtol=1e-5, atol=1e-5)
    for name in ("unpickled", "loaded"):  # on one device, equal predictions
        np.testing.assert_array_equal(got[f"mlp_{name}"], got["mlp_mirrored"])
        assert info[f"{name}_variable"] == "ResourceVariable"
        assert info[f"{name}_distribution"] == "mirrored"


# -- two workers on 127.0.0.1 ------------------------------------------------
WORKER = textwrap.dedent(
    """
    import json, os, sys, warnings
    warnings.simplefilter("ignore")
    os.environ["TF_CONFIG"] = sys.argv[1]  # before TensorFlow starts
    import numpy as np
    import sktrain
    from sktrain import MLPClassifier
    sys.path.insert(0, sys.argv[3])
    from test_distribution import MLP, data

    X, y, _, _ = data()
    est = MLPClassifier(**MLP, distribution="multiworker").fit(X, y)
    np.save(sys.argv[2], est.predict_proba(X))
    strategy = est.model_.distribute_strategy
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "loss": est.loss_curve_, "sktrain": sktrain.__file__}))
    """
)


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_two_workers_train_like_one_process(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{p}" for p in free_ports(2)]}
    procs = []
    try:
        for i in range(2):  # worker 0 is the chief
            config = json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": i}}
            )
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WORKER,
                        config,
                        tmp_path / f"{i}.npy",
                        Path(__file__).parent,
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=ENV,
                    cwd=ROOT,
                )
            )
        outputs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err.decode()[-3000:]
    infos = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    X, y, _, _ = data()
    single = MLPClassifier(**MLP).fit(X, y)
    for i, info in enumerate(infos):
        assert info["replicas"] == 2 and info["sktrain"] == sktrain.__file__
        np.testing.assert_allclose(info["loss"], single.loss_curve_, rtol=1e-5)
        got = np.load(tmp_path / f"{i}.npy")
        np.testing.assert_allclose(got, single.predict_proba(X), rtol=1e-5)
