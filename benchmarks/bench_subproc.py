"""Workloads that need a fresh interpreter: import / first-fit time and RSS
growth over repeated fits.

bench.py runs the import probes as ``python -c CODE`` and the memory probe as
``python bench_subproc.py memory NAME N_FITS``; each prints one JSON line.
This module imports nothing heavy at top level.
"""

import json
import os
import statistics
import subprocess
import sys
import textwrap

# -- import and first-fit time ---------------------------------------------
_DATA = """
import numpy as np
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=500, n_features=20, random_state=0)
X = X.astype(np.float32)
"""

_IMPORT = {
    "sktrain": "import sktrain",
    "sklearn": "from sklearn.neural_network import MLPClassifier",
    "keras": "import keras",
    "scikeras": "from scikeras.wrappers import KerasClassifier",
}

_FIRST_FIT = {
    "sktrain": "sktrain.MLPClassifier((32,), max_iter=5, random_state=0).fit(X, y)",
    "sklearn": "MLPClassifier((32,), max_iter=5, random_state=0).fit(X, y)",
    "keras": """
m = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                      keras.layers.Dense(1, activation="sigmoid")])
m.compile(optimizer="adam", loss="binary_crossentropy")
m.fit(X, y, epochs=5, batch_size=200, verbose=0)
""",
    "scikeras": """
import keras
def build(meta):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(1, activation="sigmoid")])
KerasClassifier(build, loss="binary_crossentropy", optimizer="adam", epochs=5,
                batch_size=200, verbose=0, random_state=0).fit(X, y)
""",
}


def startup_code(name):
    """The ``python -c`` program timing ``import NAME`` and its first fit."""
    first_fit = textwrap.dedent(_FIRST_FIT[name]).strip()
    return "\n".join(
        [
            "import json, sys, time, warnings",
            "t0 = time.perf_counter()",
            _IMPORT[name],
            "t1 = time.perf_counter()",
            "tf_loaded = 'tensorflow' in sys.modules",
            "warnings.filterwarnings('ignore')",
            _DATA,
            "t2 = time.perf_counter()",
            first_fit,
            "t3 = time.perf_counter()",
            "print(json.dumps({'import_s': t1 - t0, 'first_fit_s': t3 - t2,"
            " 'tf_after_import': tf_loaded}))",
        ]
    )


def _env(name):
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if name == "sktrain":
        env.pop("KERAS_BACKEND", None)  # sktrain picks the backend itself
    else:
        env["KERAS_BACKEND"] = "tensorflow"
    return env


def _run_json(cmd, env, timeout):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"subprocess exited {proc.returncode}: {tail}")
    return json.loads(lines[-1])


def startup(name, repeats):
    """Median import / first-fit time of ``name`` over fresh interpreters."""
    runs = [
        _run_json([sys.executable, "-c", startup_code(name)], _env(name), 600)
        for _ in range(repeats)
    ]
    return {
        "import_s": statistics.median(r["import_s"] for r in runs),
        "first_fit_s": statistics.median(r["first_fit_s"] for r in runs),
        "total_s": statistics.median(r["import_s"] + r["first_fit_s"] for r in runs),
        "tf_after_import": any(r["tf_after_import"] for r in runs),
        "runs": runs,
    }


# -- RSS growth over repeated fits -------------------------------------------
def _summarise_rss(rss, n_fits):
    return {
        "rss_fit10_mib": rss[9],
        "rss_last_mib": rss[-1],
        "growth_mib": rss[-1] - rss[9],
        "growth_per_fit_kib": (rss[-1] - rss[9]) * 1024 / max(1, n_fits - 10),
        "n_fits": n_fits,
        "rss_mib": rss,
    }


def memory(names, n_fits, timeout=1500):
    """RSS (MiB) after each of ``n_fits`` fits, one fresh process per name.

    Only memory is measured, so the processes run side by side (2 at a time).
    Returns name -> summary, or name -> {"error": ...}.
    """
    out, pending = {}, list(names)
    running = {}
    while pending or running:
        while pending and len(running) < 2:
            name = pending.pop(0)
            cmd = [sys.executable, os.path.abspath(__file__), "memory", name]
            running[name] = subprocess.Popen(
                cmd + [str(n_fits)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(name),
            )
        name = next(iter(running))
        proc = running.pop(name)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            out[name] = {"error": f"timed out after {timeout} s"}
            continue
        lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            out[name] = {"error": f"subprocess exited {proc.returncode}: {tail}"}
        else:
            out[name] = _summarise_rss(json.loads(lines[-1])["rss_mib"], n_fits)
        print(f"  memory: {name} done", flush=True)
    return out


def _memory_estimator(name):
    if name == "sktrain":
        import sktrain

        return sktrain.MLPClassifier((32,), max_iter=5, random_state=0)
    if name == "sklearn":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier((32,), max_iter=5, random_state=0)
    if name == "scikeras":
        import keras
        from scikeras.wrappers import KerasClassifier

        def build(meta):
            return keras.Sequential(
                [
                    keras.Input((meta["n_features_in_"],)),
                    keras.layers.Dense(32, activation="relu"),
                    keras.layers.Dense(1, activation="sigmoid"),
                ]
            )

        return KerasClassifier(
            build,
            loss="binary_crossentropy",
            optimizer="adam",
            epochs=5,
            batch_size=200,
            verbose=0,
            random_state=0,
        )
    raise ValueError(name)


class _PlainKeras:
    """Plain Keras in the same loop: build, compile, fit, predict."""

    def fit(self, X, y):
        import keras

        self.model = keras.Sequential(
            [
                keras.Input((X.shape[1],)),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        self.model.compile(optimizer="adam", loss="binary_crossentropy")
        self.model.fit(X, y, epochs=5, batch_size=200, verbose=0)
        return self

    def predict(self, X):
        return self.model.predict(X, verbose=0)


def _memory_worker(name, n_fits):
    import gc
    import warnings

    import numpy as np
    import psutil
    from sklearn.base import clone
    from sklearn.datasets import make_classification

    warnings.filterwarnings("ignore")
    X, y = make_classification(n_samples=1000, n_features=20, random_state=0)
    X = X.astype(np.float32)
    if name == "keras":
        make = _PlainKeras
    else:
        proto = _memory_estimator(name)
        make = lambda: clone(proto)  # noqa: E731
    proc = psutil.Process()
    rss = []
    for _ in range(n_fits):
        est = make().fit(X, y)
        est.predict(X[:10])
        del est
        gc.collect()
        rss.append(proc.memory_info().rss / 2**20)
    print(json.dumps({"rss_mib": rss}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "memory":
        _memory_worker(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("usage: bench_subproc.py memory NAME N_FITS")
