"""Lazy access to Keras/TensorFlow and device placement.

``import sktrain`` must stay cheap: nothing here imports TensorFlow until an
estimator is fitted, predicts or is unpickled.

Backend choice: sktrain runs Keras on the TensorFlow backend. If Keras has not
been imported yet and the ``KERAS_BACKEND`` environment variable is unset, it
is set to ``"tensorflow"`` before Keras is imported, so a ``keras.json`` left
over from another project cannot switch the backend under us. A backend chosen
deliberately (``KERAS_BACKEND`` set, or Keras already imported with another
backend) is respected, and sktrain then refuses to fit with a clear error.

Threads in joblib's worker processes: TensorFlow sizes its intra-op and
inter-op thread pools to every core of the machine in each process, so two
loky workers (``GridSearchCV(n_jobs=2)``) on two cores run four pools of two
threads that fight over the cores. joblib gives each loky worker a thread
budget (``OMP_NUM_THREADS`` in the worker's environment: ``cpu_count() //
n_jobs``, or ``parallel_config(inner_max_num_threads=k)``, or the parent's own
``OMP_NUM_THREADS``). The first time sktrain needs Keras in a process that is a
loky worker, it gives TensorFlow that budget
(``tf.config.threading.set_intra_op_parallelism_threads`` and
``set_inter_op_parallelism_threads``) before TensorFlow's runtime starts. This
is the worker's own setting: the user's main process, Dask workers and
threads are never touched. ``TF_NUM_INTRAOP_THREADS`` /
``TF_NUM_INTEROP_THREADS`` in the worker's environment (read by TensorFlow
itself) take precedence, and ``SKTRAIN_WORKER_THREADS=off`` turns the limit
off. ``docs/performance.md`` has the measurements.
"""

import contextlib
import os
import sys

_DEVICE_HELP = "Use device='auto', 'cpu', 'gpu' or 'gpu:N' (N = GPU index)."
WORKER_THREADS_ENV = "SKTRAIN_WORKER_THREADS"
_threads_checked = False


def keras():
    """Return the ``keras`` module, imported on the TensorFlow backend."""
    global _threads_checked
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras as _keras

    if not _threads_checked:
        _threads_checked = True
        _limit_worker_threads()

    backend = _keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"sktrain needs Keras on the TensorFlow backend, but Keras runs on "
            f"{backend!r} (KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}). "
            "Unset KERAS_BACKEND or set it to 'tensorflow' before importing Keras."
        )
    return _keras


def in_loky_worker():
    """True in a worker process of joblib's loky backend (``n_jobs > 1``)."""
    import multiprocessing

    return type(multiprocessing.current_process()).__name__ == "LokyProcess"


def worker_thread_settings():
    """TensorFlow's thread-pool sizes for this process, as sktrain sets them.

    ``{"intra_op": n, "inter_op": n}`` with ``n`` the thread budget joblib
    gave this loky worker (its ``OMP_NUM_THREADS``), less the pools that
    ``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS`` already size;
    ``{}`` in any other process, with ``SKTRAIN_WORKER_THREADS=off`` or
    without a positive integer budget.
    """
    setting = os.environ.get(WORKER_THREADS_ENV, "auto").strip().lower()
    if setting in ("off", "0", "false", "no") or not in_loky_worker():
        return {}
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if not value.isdigit() or int(value) < 1:
        return {}
    pools = {"intra_op": "TF_NUM_INTRAOP_THREADS", "inter_op": "TF_NUM_INTEROP_THREADS"}
    return {pool: int(value) for pool, env in pools.items() if env not in os.environ}


def _limit_worker_threads():
    """Give TensorFlow this loky worker's thread budget (see the module doc)."""
    settings = worker_thread_settings()
    if not settings:
        return
    import tensorflow as _tf

    threading = _tf.config.threading
    setters = {
        "intra_op": threading.set_intra_op_parallelism_threads,
        "inter_op": threading.set_inter_op_parallelism_threads,
    }
    try:
        for pool, n in settings.items():
            setters[pool](n)
    except RuntimeError:  # the worker's own code already started TensorFlow
        pass


def tf():
    """Return the ``tensorflow`` module (after Keras is set up)."""
    keras()
    import tensorflow as _tf

    return _tf


def is_keras_model(obj):
    """True for a ``keras.Model`` instance (checked without importing Keras)."""
    return any(
        c.__name__ == "Model" and c.__module__.startswith("keras")
        for c in type(obj).__mro__
    )


def _parse_device(device):
    if not isinstance(device, str):
        raise ValueError(f"device must be a string, got {device!r}. {_DEVICE_HELP}")
    name = device.strip().lower()
    if name in ("auto", "cpu", "gpu"):
        return name, 0
    kind, _, index = name.partition(":")
    if kind in ("cpu", "gpu") and index.isdigit():
        return kind, int(index)
    raise ValueError(f"Unknown device {device!r}. {_DEVICE_HELP}")


def check_device(device):
    """Validate ``device`` and return the TensorFlow device string or None."""
    kind, index = _parse_device(device)
    if kind == "auto":
        return None
    devices = tf().config.list_logical_devices(kind.upper())
    if index >= len(devices):
        found = ", ".join(d.name for d in devices) or "none"
        hint = (
            " Use device='cpu' or device='auto' on a machine without a GPU."
            if kind == "gpu"
            else ""
        )
        raise ValueError(
            f"device={device!r} was requested, but TensorFlow sees "
            f"{len(devices)} {kind.upper()} device(s) ({found}).{hint}"
        )
    return devices[index].name


def on_gpu(device):
    """True if a fit on ``device`` runs on a GPU ('auto': one is visible)."""
    kind, _ = _parse_device(device)
    if kind != "auto":
        return kind == "gpu"
    return bool(tf().config.list_logical_devices("GPU"))


def device_scope(device):
    """Context manager placing ops on ``device`` ('auto' = TensorFlow's choice)."""
    name = check_device(device)
    if name is None:
        return contextlib.nullcontext()
    return tf().device(name)
