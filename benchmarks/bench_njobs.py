"""GridSearchCV(n_jobs=1) against n_jobs=2 (joblib's loky processes) on the
grid workload (``bench_workloads.grid_search``'s: make_classification(5000,
20), 8 configs x 3 folds, 20 epochs, batch 200).

    python benchmarks/bench_njobs.py               # 3 rounds
    python benchmarks/bench_njobs.py --repeats 5

Variants, interleaved round by round:

- ``n_jobs=1``: the main process (its trace cache warmed by one untimed run);
- ``n_jobs=2``: loky workers with sktrain's per-worker TensorFlow thread
  budget (``OMP_NUM_THREADS`` joblib gives each worker: 1 on 2 cores);
- ``n_jobs=2, TF default threads``: ``SKTRAIN_WORKER_THREADS=off`` in the
  workers, each TensorFlow sizing its pools to all cores.

For each ``n_jobs=2`` variant the workers are started anew each round: the
first search (*cold*) pays the workers' start, their TensorFlow import and
first traces; a second search (*warm*) reuses them (loky's reusable
executor keeps its workers between searches), as a user's next search does.
The ratio printed is n_jobs=1's wall time over the variant's (> 1: faster).
``bench.py --only grid`` prints the warm figures side by side with n_jobs=1
through ``grid_njobs``.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from bench_common import GRID_BATCH, SEED, SIZES  # noqa: E402
from joblib.externals.loky import get_reusable_executor  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

import sktrain  # noqa: E402

LIMITED, UNLIMITED = "n_jobs=2", "n_jobs=2, TF default threads"


def _data():
    X, y = make_classification(n_samples=5000, n_features=20, random_state=SEED)
    return X.astype("float32"), y


def _cpu_seconds():
    """{pid: user + system CPU seconds} of this process and its children."""
    me = psutil.Process()
    out = {}
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return out


def _search(X, y, sizes, n_jobs, cpu=None):
    """Wall time and the search; ``cpu`` (a list) gets the CPU seconds spent
    by this process and its workers (new workers counted from their start)."""
    est = sktrain.MLPClassifier(
        max_iter=sizes["grid_epochs"], batch_size=GRID_BATCH, random_state=SEED
    )
    cv = StratifiedKFold(sizes["grid_folds"], shuffle=True, random_state=SEED)
    before = _cpu_seconds()
    t = time.perf_counter()
    gs = GridSearchCV(est, sizes["grid"], cv=cv, refit=False, n_jobs=n_jobs)
    gs.fit(X, y)
    wall = time.perf_counter() - t
    if cpu is not None:
        after = _cpu_seconds()
        cpu.append(sum(v - before.get(pid, 0.0) for pid, v in after.items()))
    return wall, gs


def _fresh_workers(limited):
    """Stop loky's reusable workers; the next search starts new ones."""
    get_reusable_executor().shutdown(wait=True)
    if limited:
        os.environ.pop("SKTRAIN_WORKER_THREADS", None)
    else:
        os.environ["SKTRAIN_WORKER_THREADS"] = "off"  # inherited by new workers


def grid_njobs(sizes, repeats=3, log=print):
    """Median wall times (s) of the variants over ``repeats`` rounds."""
    X, y = _data()
    _search(X, y, sizes, 1)  # warm n_jobs=1's trace cache, as the workers' is
    times = {k: [] for k in ("n_jobs=1", LIMITED, UNLIMITED)}
    cpu = {k: [] for k in times}
    cold = {LIMITED: [], UNLIMITED: []}
    scores = {}
    for r in range(repeats):
        wall, gs = _search(X, y, sizes, 1, cpu["n_jobs=1"])
        times["n_jobs=1"].append(wall)
        scores["n_jobs=1"] = gs.cv_results_["mean_test_score"]
        for name in (LIMITED, UNLIMITED):
            _fresh_workers(name == LIMITED)
            cold[name].append(_search(X, y, sizes, 2)[0])
            wall, gs = _search(X, y, sizes, 2, cpu[name])
            times[name].append(wall)
            scores[name] = gs.cv_results_["mean_test_score"]
        walls = ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items())
        log(f"  round {r + 1}: {walls}; load {os.getloadavg()[0]:.1f}")
    os.environ.pop("SKTRAIN_WORKER_THREADS", None)
    get_reusable_executor().shutdown(wait=True)
    base = statistics.median(times["n_jobs=1"])
    out = {
        "repeats": repeats,
        "load_avg_at_end": os.getloadavg()[0],
        "n_jobs=1": {
            "wall_s": base,
            "times": times["n_jobs=1"],
            "cpu_s": statistics.median(cpu["n_jobs=1"]),
        },
    }
    for name in (LIMITED, UNLIMITED):
        warm = statistics.median(times[name])
        out[name] = {
            "wall_s": warm,
            "speedup": base / warm,
            "cold_wall_s": statistics.median(cold[name]),
            "cold_speedup": base / statistics.median(cold[name]),
            "times": times[name],
            "cpu_s": statistics.median(cpu[name]),
            "cold_times": cold[name],
            "same_scores": bool((scores[name] == scores["n_jobs=1"]).all()),
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the quick run's grid")
    args = parser.parse_args(argv)
    sizes = SIZES["quick" if args.quick else "full"]
    print(f"GridSearchCV n_jobs=1 vs 2 on {os.cpu_count()} CPU(s)", flush=True)
    res = grid_njobs(sizes, args.repeats, log=lambda m: print(m, flush=True))
    base = res["n_jobs=1"]["wall_s"]
    head = f"{'variant':30} {'warm s':>7} {'ratio':>6} {'CPU s':>6}"
    print(f"\n{head} {'cold s':>7} {'ratio':>6}")
    one = res["n_jobs=1"]
    print(f"{'n_jobs=1':30} {base:7.2f} {1:6.2f} {one['cpu_s']:6.2f}")
    for name in (LIMITED, UNLIMITED):
        r = res[name]
        print(
            f"{name:30} {r['wall_s']:7.2f} {r['speedup']:6.2f} {r['cpu_s']:6.2f} "
            f"{r['cold_wall_s']:7.2f} {r['cold_speedup']:6.2f}"
            f"  same scores: {r['same_scores']}"
        )
    print("ratio = n_jobs=1's wall time / the variant's (> 1: faster); CPU s =")
    print("user + system seconds of this process and the workers, warm runs")
    print(f"load average at the end: {res['load_avg_at_end']:.1f}")


if __name__ == "__main__":
    main()
