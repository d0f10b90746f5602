"""Shared helpers for the benchmark: sizes, timing, model builders, machine info.

Importing this module imports Keras on the TensorFlow backend (bench.py sets
``KERAS_BACKEND`` first).
"""

import datetime as _dt
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path

import keras
import numpy as np

import sktrain

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Sizes of the full run and of --quick.
SIZES = {
    "full": {
        "train_rows": 500_000,
        "sklearn_train_rows": 50_000,
        "batch_sizes": (256, 4096),
        "train_repeats": 5,
        "latency_min_calls": 100,
        "latency_budget_s": 2.0,
        "predict_rows": 500_000,
        "predict_repeats": 5,
        "grid": {
            "hidden_layer_sizes": [(32,), (64,)],
            "learning_rate_init": [1e-3, 3e-3],
            "alpha": [1e-4, 1e-3],
        },
        "grid_folds": 3,
        "grid_epochs": 20,
        "cv_folds": 5,
        "cv_epochs": 50,
        "wall_repeats": 3,
        "lbfgs_folds": 5,
        "memory_fits": 60,
        "startup_repeats": 3,
    },
    "quick": {
        "train_rows": 100_000,
        "sklearn_train_rows": 20_000,
        "batch_sizes": (256, 4096),
        "train_repeats": 1,
        "latency_min_calls": 50,
        "latency_budget_s": 0.5,
        "predict_rows": 100_000,
        "predict_repeats": 1,
        "grid": {
            "hidden_layer_sizes": [(32,), (64,)],
            "learning_rate_init": [1e-3, 3e-3],
            "alpha": [1e-4],
        },
        "grid_folds": 2,
        "grid_epochs": 20,
        "cv_folds": 3,
        "cv_epochs": 50,
        "wall_repeats": 1,
        "lbfgs_folds": 5,
        "memory_fits": 30,
        "startup_repeats": 1,
    },
}

GRID_BATCH = 200  # sklearn's batch_size='auto' for >= 200 samples
CV_BATCH = 32
SEED = 0


# -- errors -----------------------------------------------------------------
def attempt(label, fn, *args, **kwargs):
    """Run fn; on failure print the traceback and return {'error': str}."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never stops
        print(f"  !! {label} failed: {exc!r}", file=sys.stderr)
        traceback.print_exc(limit=3)
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def is_error(value):
    return isinstance(value, dict) and "error" in value


# -- timing -----------------------------------------------------------------
def clock():
    return time.perf_counter()


def latency(fn, x, *, min_calls, budget_s, max_calls=2000, warmup=3):
    """Median and p95 of fn(x) in ms over >= min_calls calls after warm-up."""
    for _ in range(warmup):
        fn(x)
    times = []
    start = clock()
    while len(times) < min_calls or (
        len(times) < max_calls and clock() - start < budget_s
    ):
        t = clock()
        fn(x)
        times.append(clock() - t)
    return _latency_summary(times)


def latencies(fns, inputs, *, min_calls, budget_s, fast_ms=10.0):
    """``latency`` for each of ``fns`` (name -> function of its input in
    ``inputs``). Those whose warm-up calls take under ``fast_ms`` run
    together, their calls in turn (a, b, a, b, ...), so drift in the
    machine's speed hits all of them alike; each slower one runs alone. A
    function that fails is reported as an error."""
    out, fast = {}, {}
    for name, fn in fns.items():
        print(f"  predict latency rows={len(inputs[name])}: {name}", flush=True)
        t = clock()
        warm = attempt(f"latency {name}", _call_thrice, fn, inputs[name])
        if is_error(warm):
            out[name] = warm
        elif (clock() - t) / 3 * 1e3 < fast_ms:
            fast[name] = fn
        else:
            out[name] = attempt(
                f"latency {name}",
                latency,
                fn,
                inputs[name],
                min_calls=min_calls,
                budget_s=budget_s,
            )
    out.update(_in_turn(fast, inputs, min_calls, budget_s * len(fast)))
    return out


def _call_thrice(fn, x):
    for _ in range(3):
        fn(x)


def _in_turn(fns, inputs, min_calls, budget_s, max_calls=2000):
    """Latency summaries of ``fns`` called in turn, each at least
    ``min_calls`` times and then until ``budget_s`` or ``max_calls``."""
    times = {name: [] for name in fns}
    start, calls = clock(), 0
    while fns and (
        calls < min_calls or (calls < max_calls and clock() - start < budget_s)
    ):
        for name, fn in fns.items():
            t = clock()
            fn(inputs[name])
            times[name].append(clock() - t)
        calls += 1
    return {name: _latency_summary(ts) for name, ts in times.items()}


def _latency_summary(times):
    ms = np.asarray(times) * 1e3
    return {
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "calls": len(times),
    }


def median_time(fn, repeats):
    """Median wall time of fn() over ``repeats`` calls (seconds)."""
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


def throughput(fns, inputs, repeats):
    """Rows/s per predictor, each on its own input (``inputs`` maps a name to
    its array): round-robin repeats (each repeat times every predictor once,
    in turn), so drift in the machine's speed hits all of them alike; the
    median per predictor. A predictor that fails is reported and dropped."""
    out, times = {}, {name: [] for name in fns}

    def timed(name, x):
        t0 = clock()
        result = attempt(f"throughput {name}", fns[name], x)
        if is_error(result):
            out[name] = result
            del times[name]
        return clock() - t0

    for name in list(times):
        print(f"  predict throughput: {name}", flush=True)
        timed(name, inputs[name][:4099])  # warm-up: traces the shapes used below
    for _ in range(repeats):
        for name in list(times):
            dt = timed(name, inputs[name])
            if name in times:
                times[name].append(dt)
    for name, ts in times.items():
        dt = float(np.median(ts))
        rows = len(inputs[name])
        out[name] = {"rows_per_s": rows / dt, "time_s": dt, "rows": rows}
    return out


def runs_in_turn(runs, repeats, *, key="wall_s", before=None, label="run"):
    """``{name: result}`` for ``runs`` (name -> function returning a dict
    with ``key``), each run ``repeats`` times in turn (a, b, a, b, ...), so
    drift in the machine's speed hits all of them alike. A result is the run
    of median ``key``, plus ``<key>_runs`` (every run's figure). ``before``
    (name -> function) runs before each of that name's runs, untimed. A run
    that fails is reported and its name dropped."""
    results, done = {}, {name: [] for name in runs}
    for _ in range(repeats):
        for name in [n for n in runs if n in done]:
            print(f"  {label}: {name}", flush=True)
            if before and name in before:
                before[name]()
            keras.utils.set_random_seed(SEED)
            out = attempt(f"{label} {name}", runs[name])
            if is_error(out):
                del done[name]
                results[name] = out
                continue
            done[name].append(out)
    for name, outs in done.items():
        median = sorted(outs, key=lambda o: o[key])[(len(outs) - 1) // 2]
        results[name] = {**median, f"{key}_runs": [o[key] for o in outs]}
    return results


# the acceptance pairs' sktrain runs start from an empty trace cache: each
# pays its traces, as the first grid or cross-validation of a process does
COLD = {"before": {"sktrain": sktrain.clear_cache}}


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch (epoch-level hooks only, so sktrain keeps
    running a whole epoch per graph call). Deep copies return the same
    object: sktrain copies user callbacks, and the times must come back."""

    def __init__(self):
        super().__init__()
        self.times = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = clock()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(clock() - self._start)

    def __deepcopy__(self, memo):
        return self


# -- plain Keras models -----------------------------------------------------
def alpha_to_l2(alpha, batch_size):
    """Keras L2 factor equal to sklearn's 0.5 * alpha * ||W||^2 / batch."""
    return 0.5 * alpha / batch_size


def keras_mlp(n_features, hidden, *, n_out=1, out_activation=None, l2=0.0):
    """Input -> Dense(relu) per hidden size -> Dense(n_out), uncompiled."""
    reg = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input((n_features,))]
    for units in hidden:
        layers.append(
            keras.layers.Dense(units, activation="relu", kernel_regularizer=reg)
        )
    layers.append(
        keras.layers.Dense(n_out, activation=out_activation, kernel_regularizer=reg)
    )
    return keras.Sequential(layers)


def scikeras_regressor_model(hidden=(64, 64), l2=0.0, meta=None):
    """SciKeras model function for regression (SciKeras compiles it)."""
    return keras_mlp(meta["n_features_in_"], hidden, l2=l2)


def scikeras_binary_model(hidden=(64,), l2=0.0, meta=None):
    """SciKeras model function for binary classification (sigmoid output)."""
    return keras_mlp(meta["n_features_in_"], hidden, out_activation="sigmoid", l2=l2)


def scikeras_wrappers():
    """(KerasRegressor, KerasClassifier), or raise what SciKeras raised."""
    from scikeras.wrappers import KerasClassifier, KerasRegressor

    return KerasRegressor, KerasClassifier


# -- machine description ----------------------------------------------------
def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit():
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "sktrain"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        commit = out.stdout.strip() or "unknown"
        return commit + (" (sktrain/ modified)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_info():
    affinity = None
    if hasattr(os, "sched_getaffinity"):
        affinity = len(os.sched_getaffinity(0))
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "nproc": affinity or os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gib": _ram_gib(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "keras": _version("keras"),
        "scikit-learn": _version("scikit-learn"),
        "scikeras": _version("scikeras"),
        "numpy": _version("numpy"),
        "sktrain": _version("sktrain"),
        "sktrain_commit": _git_commit(),
    }
