"""Issue 5's acceptance points, checked against one run's results.

Each check reads only figures measured in the same run; a check whose figures
are missing (a workload not run, or a competitor that failed) says so instead
of passing.
"""

PLAIN_KERAS_TRAIN = ("keras_tuned", "keras_tuned_epoch")
PLAIN_KERAS_PREDICT = (
    "keras_predict",
    "keras_predict_bs65536",
    "keras_tf_function",
    "keras_tf_function_chunked",
)


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _best(results, names, key):
    values = [_get(results, n, key) for n in names]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _ratio(num, den):
    return None if num is None or den is None else num / den


# each check: (acceptance point, measured value or None, ">=" or "<=", bound, unit);
# an information row has op None and its figure as text (see _float64)
def _train(res):
    r = _get(res, "train", 256) or _get(res, "train", "256") or {}
    sk = _get(r, "sktrain", "samples_per_s")
    default = _get(r, "keras_default", "samples_per_s")
    tuned = _best(r, PLAIN_KERAS_TRAIN, "samples_per_s")
    yield "train b256 / plain model.fit defaults", _ratio(sk, default), ">=", 2.0, "x"
    yield "train b256 / best hand-tuned plain Keras", _ratio(sk, tuned), ">=", 0.9, "x"


def _predict(res):
    lat = _get(res, "predict", "latency") or {}
    for rows in (1, 100):
        r = lat.get(rows) or lat.get(str(rows)) or {}
        sk = _get(r, "sktrain", "median_ms")
        slow = _get(r, "keras_predict", "median_ms")
        yield f"predict {rows} row(s), median", sk, "<=", 2.0, " ms"
        yield (
            f"predict {rows} row(s), speed-up over model.predict",
            _ratio(slow, sk),
            ">=",
            20.0,
            "x",
        )
    r = _get(res, "predict", "throughput") or {}
    sk = _get(r, "sktrain", "rows_per_s")
    best = _best(r, PLAIN_KERAS_PREDICT, "rows_per_s")
    yield "predict throughput / best plain Keras", _ratio(sk, best), ">=", 0.9, "x"


def _grid(res):
    g = res.get("grid") or {}
    sk, other = _get(g, "sktrain", "wall_s"), _get(g, "scikeras", "wall_s")
    yield "GridSearchCV speed-up over SciKeras", _ratio(other, sk), ">=", 2.0, "x"
    a, b = _get(g, "sktrain", "best_score"), _get(g, "scikeras", "best_score")
    gap = None if a is None or b is None else abs(a - b)
    yield "GridSearchCV best score, abs(sktrain - SciKeras)", gap, "<=", 0.01, ""


def _memory(res):
    growth = _get(res, "memory", "sktrain", "growth_mib")
    yield "RSS growth, fit 10 -> last fit", growth, "<=", 50.0, " MiB"


def _import(res):
    started = _get(res, "startup", "sktrain", "tf_after_import")
    value = None if started is None else float(bool(started))
    yield "TensorFlow modules loaded by `import sktrain` (0 = none)", value, "<=", 0, ""


def _stretch(res):
    for name in ("grid", "cv"):
        sk = _get(res, name, "sktrain", "wall_s")
        sklearn = _get(res, name, "sklearn", "wall_s")
        yield (
            f"(stretch) {name} wall time / sklearn MLP's",
            _ratio(sk, sklearn),
            "<=",
            2.0,
            "x",
        )


def _float64(res):
    """The default path (float64 input) next to float32, reported without a
    bound: ``op`` is None and the figure is already text."""
    lat = _get(res, "predict", "latency") or {}
    rate, ms = (lambda v: f"{v / 1e3:,.0f}k/s"), (lambda v: f"{v:.3g} ms")
    figures = (
        ("train b256", _get(res, "train", 256) or _get(res, "train", "256"), rate),
        ("predict 1 row, median", lat.get(1) or lat.get("1"), ms),
        ("predict throughput", _get(res, "predict", "throughput"), rate),
    )
    keys = ("samples_per_s", "median_ms", "rows_per_s")
    for (what, r, fmt), key in zip(figures, keys):
        f64, f32 = _get(r, "sktrain_float64", key), _get(r, "sktrain", key)
        text = None
        if f64 is not None and f32 is not None:
            text = f"{fmt(f64)} float64 vs {fmt(f32)} float32 ({f64 / f32:.2f}x)"
        yield f"(info) sktrain {what}, float64 vs float32 input", text, None, None, ""


def checks(res):
    """Rows of (acceptance point, figure, verdict) for one run's results."""
    rows = []
    sources = (_train, _predict, _grid, _memory, _import, _stretch, _float64)
    for source in sources:
        for label, value, op, bound, unit in source(res):
            if value is None:
                rows.append((label, "not measured", "n/a"))
                continue
            if op is None:  # reported for information, no bound
                rows.append((label, value, "info"))
                continue
            ok = value >= bound if op == ">=" else value <= bound
            figure = f"{value:.3g}{unit} (needs {op} {bound:g}{unit})"
            rows.append((label, figure, "met" if ok else "NOT met"))
    return rows


def markdown(rows):
    lines = ["| Acceptance point | Figure | Verdict |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def text(rows):
    width = max(len(r[0]) for r in rows)
    fig = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:<{fig}}  {c}" for a, b, c in rows)
