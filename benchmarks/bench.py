"""Side-by-side benchmark: sktrain vs plain Keras, sklearn's MLP and SciKeras.

    python benchmarks/bench.py           # full run (~6 min on 2 cores)
    python benchmarks/bench.py --quick   # smaller sizes (~3 min)

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
import bench_subproc as subproc  # noqa: E402
import bench_workloads as wl  # noqa: E402

WORKLOADS = ("train", "predict", "grid", "cv", "memory", "startup")

# kind of figure -> the direction that is better
KINDS = {
    "rate": "higher",
    "time": "lower",
    "score": "higher",
    "mem": "lower",
    "info": "",
}


# -- formatting -------------------------------------------------------------
def _fmt(kind, unit, v):
    if unit == "samples/s":
        return f"{v / 1e3:,.0f}k/s" if v >= 1e4 else f"{v:,.0f}/s"
    if unit == "ms":
        return f"{v:.3g} ms"
    if unit == "s":
        return f"{v:.2f} s" if v >= 1 else f"{v:.3g} s"
    if unit == "MiB":
        return f"{v:,.1f} MiB"
    if kind == "score":
        return f"{v:.4f}"
    return str(v)


def _verdict(kind, sk, other):
    if kind == "score":
        return f"Δ {sk - other:+.4f}"
    if kind == "mem":
        return f"Δ {sk - other:+.1f} MiB"
    if sk <= 0 or other <= 0:
        return ""
    r = sk / other if kind == "rate" else other / sk  # > 1: sktrain better
    return f"sktrain {r:.2f}x faster" if r >= 1 else f"sktrain {1 / r:.2f}x slower"


def _cell(entry, key, kind, unit, extra=None):
    """(number or None, display text) for one result entry."""
    if entry is None:
        return None, "not run"
    if common.is_error(entry):
        return None, "ERROR: " + entry["error"]
    value = entry[key]
    if kind == "info":
        return None, str(value)
    text = _fmt(kind, unit, value)
    if extra:
        text += f" ({extra} {_fmt(kind, unit, entry[extra + '_ms'])})"
    return value, text


class Table:
    def __init__(self):
        self.rows = []

    def compare(self, metric, kind, unit, key, sk, others, extra=None):
        """Add one row per competitor; ``others`` maps label -> result entry."""
        sk_num, sk_text = _cell(sk, key, kind, unit, extra)
        for label, entry in others.items():
            num, text = _cell(entry, key, kind, unit, extra)
            ratio = verdict = ""
            if sk_num is not None and num is not None and kind != "info":
                # a ratio to a near-zero memory figure would mean nothing
                if num and not (kind == "mem" and abs(num) < 1):
                    ratio = (
                        f"{sk_num / num:.4f}"
                        if kind == "score"
                        else (f"{sk_num / num:.3g}")
                    )
                verdict = _verdict(kind, sk_num, num)
            self.rows.append(
                {
                    "metric": metric,
                    "better": KINDS[kind],
                    "sktrain": sk_text,
                    "competitor": label,
                    "value": text,
                    "ratio": ratio,
                    "verdict": verdict,
                    "sktrain_raw": sk_num,
                    "competitor_raw": num,
                }
            )

    COLUMNS = [
        ("metric", "Metric"),
        ("better", "Better"),
        ("sktrain", "sktrain"),
        ("competitor", "Competitor"),
        ("value", "Competitor value"),
        ("ratio", "sktrain/comp."),
        ("verdict", "Verdict"),
    ]

    def text(self, width=60):
        cols = self.COLUMNS
        cut = [[str(r[k])[:width] for k, _ in cols] for r in self.rows]
        widths = [
            max([len(h)] + [len(c[i]) for c in cut]) for i, (_, h) in enumerate(cols)
        ]
        line = "  ".join(h.ljust(w) for (_, h), w in zip(cols, widths))
        out = [line, "-" * len(line)]
        prev = None
        for c in cut:
            if prev is not None and c[0] != prev:
                out.append("")
            prev = c[0]
            out.append("  ".join(v.ljust(w) for v, w in zip(c, widths)))
        return "\n".join(out)

    def markdown(self):
        cols = self.COLUMNS
        out = ["| " + " | ".join(h for _, h in cols) + " |"]
        out.append("|" + "|".join("---" for _ in cols) + "|")
        for r in self.rows:
            cells = [str(r[k]).replace("|", "\\|") for k, _ in cols]
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out)


# -- the table --------------------------------------------------------------
def build_table(res, sizes):
    t = Table()
    if "train" in res:
        n_sk = sizes["sklearn_train_rows"]
        for bs, r in res["train"].items():
            t.compare(
                f"train throughput, batch {bs} (epoch 2)",
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
    if "predict" in res:
        lat = res["predict"]["latency"]
        for rows in (1, 100):
            r = lat[rows]
            t.compare(
                f"predict latency, {rows} row{'s' if rows > 1 else ''} (median)",
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
        r = res["predict"]["throughput"]
        t.compare(
            f"predict throughput, {sizes['predict_rows']:,} rows",
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
        t.compare(
            "import time (fresh process)",
            "time",
            "s",
            "import_s",
            s.get("sktrain"),
            others,
        )
        t.compare(
            "first fit after import (fresh process)",
            "time",
            "s",
            "first_fit_s",
            s.get("sktrain"),
            others,
        )
        t.compare(
            "import + first fit (fresh process)",
            "time",
            "s",
            "total_s",
            s.get("sktrain"),
            others,
        )
        t.compare(
            "tensorflow in sys.modules after import",
            "info",
            "",
            "tf_after_import",
            s.get("sktrain"),
            others,
        )
    return t


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
    if "cv" in only:
        stage("cv", "cross_val_score on breast_cancer", wl.cross_validation, sizes)
    if "memory" in only:
        stage("memory", f"RSS over {sizes['memory_fits']} fits", _memory, sizes)
    if "startup" in only:
        stage("startup", "import + first fit, fresh processes", _startup, sizes)
    return res, seconds


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
        "## Acceptance points of issue 5 (this run)",
        "",
        acceptance.markdown(acceptance.checks(res)),
        "",
    ]
    (out_dir / "latest.md").write_text("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (~3 min)")
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
    print("\nAcceptance points (issue 5):")
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
