"""Side-by-side benchmark: sktrain vs plain Keras, sklearn's MLP and SciKeras.

    python benchmarks/bench.py           # full run (~8 min on 2 cores)
    python benchmarks/bench.py --quick   # smaller sizes (~4 min)

Prints one table and writes benchmarks/results/latest.json and latest.md.
See benchmarks/README.md for what each figure means.
"""

import argparse
import gc
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

warnings.filterwarnings("ignore", category=ConvergenceWarning)

import bench_acceptance as acceptance  # noqa: E402
import bench_common as common  # noqa: E402
import bench_lbfgs  # noqa: E402
import bench_njobs  # noqa: E402
import bench_subproc as subproc  # noqa: E402
import bench_workloads as wl  # noqa: E402
from bench_table import Table  # noqa: E402

WORKLOADS = (
    "train",
    "predict",
    "grid",
    "njobs",
    "cv",
    "lbfgs",
    "memory",
    "startup",
)

# The default-path rows (bench_float64.py): the same workloads on float64
# input, as users' data comes. Their first competitor is sktrain's own
# float32 figure, so that ratio is sktrain's float64 / float32.
F64 = " (float64 input)"
SK32 = "sktrain, float32 input"
CASTS = "casts to float32 itself"


# -- the table --------------------------------------------------------------
def build_table(res, sizes):
    t = Table()
    if "train" in res:
        n_sk = sizes["sklearn_train_rows"]
        for bs, r in res["train"].items():
            metric = f"train throughput, batch {bs} (epoch 2)"
            t.compare(
                metric,
                "rate",
                "samples/s",
                "samples_per_s",
                r.get("sktrain"),
                {
                    "Keras model.fit (defaults)": r.get("keras_default"),
                    "Keras tuned (tf.data, steps_per_execution<=64)": r.get(
                        "keras_tuned"
                    ),
                    "Keras tuned, one graph call per epoch": r.get("keras_tuned_epoch"),
                    "SciKeras KerasRegressor": r.get("scikeras"),
                    f"sklearn MLP (partial_fit, {n_sk:,} rows)": r.get("sklearn"),
                },
            )
            t.compare(
                metric + F64,
                "rate",
                "samples/s",
                "samples_per_s",
                r.get("sktrain_float64"),
                {
                    SK32: r.get("sktrain"),
                    f"Keras model.fit (defaults; {CASTS})": r.get(
                        "keras_default_float64"
                    ),
                    "SciKeras KerasRegressor (Keras casts to float32)": r.get(
                        "scikeras_float64"
                    ),
                    f"sklearn MLP (partial_fit, {n_sk:,} rows, float64)": r.get(
                        "sklearn_float64"
                    ),
                },
            )
    if "predict" in res:
        lat = res["predict"]["latency"]
        for rows in (1, 100):
            r = lat[rows]
            metric = f"predict latency, {rows} row{'s' if rows > 1 else ''} (median)"
            t.compare(
                metric,
                "time",
                "ms",
                "median_ms",
                r.get("sktrain"),
                {
                    "Keras model.predict": r.get("keras_predict"),
                    "Keras model(x) eager": r.get("keras_call"),
                    "Keras tf.function(model)": r.get("keras_tf_function"),
                    "sklearn MLP predict": r.get("sklearn"),
                    "SciKeras predict": r.get("scikeras"),
                },
                extra="p95",
            )
            t.compare(
                metric + F64,
                "time",
                "ms",
                "median_ms",
                r.get("sktrain_float64"),
                {
                    SK32: r.get("sktrain"),
                    f"Keras model.predict ({CASTS})": r.get("keras_predict_float64"),
                    f"Keras model(x) eager ({CASTS})": r.get("keras_call_float64"),
                    "sklearn MLP predict (float64)": r.get("sklearn_float64"),
                    "SciKeras predict (Keras casts to float32)": r.get(
                        "scikeras_float64"
                    ),
                },
                extra="p95",
            )
        r = res["predict"]["throughput"]
        metric = f"predict throughput, {sizes['predict_rows']:,} rows"
        t.compare(
            metric,
            "rate",
            "samples/s",
            "rows_per_s",
            r.get("sktrain"),
            {
                "Keras model.predict (batch 32)": r.get("keras_predict"),
                "Keras model.predict (batch 65536)": r.get("keras_predict_bs65536"),
                "Keras tf.function, one call": r.get("keras_tf_function"),
                "Keras tf.function, 32,768-row chunks": r.get(
                    "keras_tf_function_chunked"
                ),
                "sklearn MLP predict": r.get("sklearn"),
                "SciKeras predict": r.get("scikeras"),
            },
        )
        t.compare(
            metric + F64,
            "rate",
            "samples/s",
            "rows_per_s",
            r.get("sktrain_float64"),
            {
                SK32: r.get("sktrain"),
                f"Keras model.predict (batch 32; {CASTS})": r.get(
                    "keras_predict_float64"
                ),
                "sklearn MLP predict (float64)": r.get("sklearn_float64"),
                "SciKeras predict (Keras casts to float32)": r.get("scikeras_float64"),
            },
        )
    if "grid" in res:
        g = res["grid"]
        what = f"{g['n_configs']} configs x {g['folds']} folds, {g['epochs']} epochs"
        others = {
            "SciKeras KerasClassifier": g.get("scikeras"),
            "sklearn MLPClassifier": g.get("sklearn"),
            "Keras manual loop": g.get("keras_loop"),
        }
        t.compare(
            f"GridSearchCV wall ({what})",
            "time",
            "s",
            "wall_s",
            g.get("sktrain"),
            others,
        )
        t.compare(
            "GridSearchCV best mean accuracy",
            "score",
            "",
            "best_score",
            g.get("sktrain"),
            others,
        )
    if "njobs" in res:
        _njobs_rows(t, res["njobs"])
    if "cv" in res:
        c = res["cv"]
        what = f"breast_cancer, {c['folds']} folds, {c['epochs']} epochs"
        others = {
            "SciKeras KerasClassifier": c.get("scikeras"),
            "sklearn MLPClassifier": c.get("sklearn"),
            "Keras manual loop": c.get("keras_loop"),
        }
        t.compare(
            f"cross_val_score wall ({what})",
            "time",
            "s",
            "wall_s",
            c.get("sktrain"),
            others,
        )
        t.compare(
            "cross_val_score mean accuracy",
            "score",
            "",
            "mean_accuracy",
            c.get("sktrain"),
            others,
        )
    if "lbfgs" in res:
        bench_lbfgs.table_rows(t, res["lbfgs"])
    if "memory" in res:
        m = res["memory"]
        n = sizes["memory_fits"]
        others = {
            "Keras build/compile/fit loop": m.get("keras"),
            "SciKeras": m.get("scikeras"),
            "sklearn MLP": m.get("sklearn"),
        }
        for key, metric in (
            ("rss_fit10_mib", "RSS after fit 10"),
            ("rss_last_mib", f"RSS after fit {n}"),
            ("growth_mib", f"RSS growth, fit 10 -> {n}"),
        ):
            t.compare(metric, "mem", "MiB", key, m.get("sktrain"), others)
    if "startup" in res:
        s = res["startup"]
        others = {
            "sklearn.neural_network": s.get("sklearn"),
            "keras (TF backend)": s.get("keras"),
            "scikeras.wrappers": s.get("scikeras"),
        }
        for metric, kind, unit, key in (
            ("import time (fresh process)", "time", "s", "import_s"),
            ("first fit after import (fresh process)", "time", "s", "first_fit_s"),
            ("import + first fit (fresh process)", "time", "s", "total_s"),
            ("tensorflow in sys.modules after import", "info", "", "tf_after_import"),
        ):
            t.compare(metric, kind, unit, key, s.get("sktrain"), others)
    return t


def _njobs_rows(t, r):
    """n_jobs=2 (loky) next to n_jobs=1, warm and cold workers."""
    if common.is_error(r):
        t.compare("GridSearchCV wall, n_jobs=2", "time", "s", "wall_s", r, {"": r})
        return
    limited, unlimited = r[bench_njobs.LIMITED], r[bench_njobs.UNLIMITED]
    t.compare(
        "GridSearchCV wall, n_jobs=2 (workers reused)",
        "time",
        "s",
        "wall_s",
        limited,
        {
            "sktrain, n_jobs=1": r["n_jobs=1"],
            "sktrain, n_jobs=2, TF's default threads per worker": unlimited,
        },
    )
    cold = {"wall_s": limited["cold_wall_s"]}
    t.compare(
        "GridSearchCV wall, n_jobs=2 (new workers: start, TF import, traces)",
        "time",
        "s",
        "wall_s",
        cold,
        {"sktrain, n_jobs=1": r["n_jobs=1"]},
    )


# -- running ----------------------------------------------------------------
def run(mode, only):
    """Run the selected workloads; returns (results, seconds per workload)."""
    sizes = common.SIZES[mode]
    res, seconds = {}, {}

    def stage(name, title, fn, *args):
        print(f"[{name}] {title}", flush=True)
        t = time.perf_counter()
        res[name] = fn(*args)
        seconds[name] = round(time.perf_counter() - t, 1)

    if "train" in only or "predict" in only:
        stage("train", "training throughput", wl.train_throughput, sizes)
        res["train"], models, X = res["train"]
        if "predict" in only:
            stage("predict", "latency and throughput", wl.prediction, models, X, sizes)
        if "train" not in only:
            del res["train"]
        del models, X
        gc.collect()
    if "grid" in only:
        stage("grid", "GridSearchCV", wl.grid_search, sizes)
    if "njobs" in only:
        stage("njobs", "GridSearchCV, n_jobs=1 vs 2", _njobs, sizes)
    if "cv" in only:
        stage("cv", "cross_val_score on breast_cancer", wl.cross_validation, sizes)
    if "lbfgs" in only:
        stage("lbfgs", "cross_val_score, solver='lbfgs'", bench_lbfgs.lbfgs, sizes)
    if "memory" in only:
        stage("memory", f"RSS over {sizes['memory_fits']} fits", _memory, sizes)
    if "startup" in only:
        stage("startup", "import + first fit, fresh processes", _startup, sizes)
    return res, seconds


def _njobs(sizes):
    return common.attempt("grid n_jobs", bench_njobs.grid_njobs, sizes)


def _memory(sizes):
    names = ("sktrain", "keras", "scikeras", "sklearn")
    return subproc.memory(names, sizes["memory_fits"])


def _startup(sizes):
    out = {}
    for name in ("sktrain", "sklearn", "keras", "scikeras"):
        print(f"  startup: {name}", flush=True)
        out[name] = common.attempt(
            f"startup {name}", subproc.startup, name, sizes["startup_repeats"]
        )
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # NumPy scalars
        return obj.item()
    return obj


def write_results(out_dir, machine, mode, sizes, elapsed, seconds, res, table):
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "machine": machine,
        "mode": mode,
        "sizes": sizes,
        "elapsed_s": elapsed,
        "seconds_per_workload": seconds,
        "results": res,
        "table": table.rows,
        "acceptance": acceptance.checks(res),
    }
    (out_dir / "latest.json").write_text(json.dumps(_jsonable(doc), indent=2) + "\n")
    lines = [
        f"# sktrain benchmark ({mode} run)",
        "",
        "| Machine | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in machine.items()]
    lines += [
        f"| run time | {elapsed:.0f} s ({seconds}) |",
        "",
        "Ratio = sktrain / competitor. *Better* says which direction is good for "
        "sktrain: for `higher` (throughput, accuracy) a ratio > 1 favours sktrain, "
        "for `lower` (time, memory) a ratio < 1 does. The verdict states it in "
        "words. Latency cells show the median with the p95 in brackets.",
        "",
        table.markdown(),
        "",
        f"## Acceptance points of {acceptance.ISSUE} (this run)",
        "",
        acceptance.markdown(acceptance.checks(res)),
        "",
    ]
    (out_dir / "latest.md").write_text("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (~4 min)")
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)}",
    )
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR)
    args = parser.parse_args(argv)
    only = {w.strip() for w in args.only.split(",") if w.strip()}
    unknown = only - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {sorted(unknown)}")
    mode = "quick" if args.quick else "full"
    machine = common.machine_info()
    print(
        f"sktrain benchmark, {mode} run on {machine['nproc']} CPU(s): "
        f"{machine['cpu_model']}",
        flush=True,
    )
    t0 = time.perf_counter()
    res, seconds = run(mode, only)
    elapsed = time.perf_counter() - t0
    machine["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    table = build_table(res, common.SIZES[mode])
    print()
    print(table.text())
    print(
        "\nsktrain/comp. = sktrain's figure divided by the competitor's; "
        "'Better' = which direction favours sktrain."
    )
    print(f"\nAcceptance points ({acceptance.ISSUE}):")
    print(acceptance.text(acceptance.checks(res)))
    write_results(
        args.out, machine, mode, common.SIZES[mode], elapsed, seconds, res, table
    )
    print(
        f"\n{mode} run took {elapsed:.0f} s (per workload: {seconds}); wrote "
        f"{args.out / 'latest.json'} and {args.out / 'latest.md'}"
    )


if __name__ == "__main__":
    main()
