"""Issue 11's acceptance points, checked against one run's results.

Each check reads only figures measured in the same run; a check whose figures
are missing (a workload not run, or a competitor that failed) says so instead
of passing.
"""

ISSUE = "issue 11"
PLAIN_KERAS_TRAIN = ("keras_tuned", "keras_tuned_epoch")
LBFGS_DATASETS = ("breast_cancer", "digits")
LATENCY_MS, LATENCY_VS_SKLEARN = 0.2, 2.0


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _by_size(d, size):
    """d[size], whether the key is the int or, read back from JSON, its str."""
    d = d or {}
    return d.get(size) or d.get(str(size)) or {}


def _best(results, names, key):
    values = [_get(results, n, key) for n in names]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _ratio(num, den):
    return None if num is None or den is None else num / den


# each check: (acceptance point, measured value or None, ">=" or "<=", bound, unit);
# an either-or point gives tuples of values, bounds and units (met if any part
# is; see _predict); an information row has op None and its figure as text
# (see _float64)
def _wall(res):
    for name, what, bound in (
        ("cv", "cross_val_score (W1)", 2.0),
        ("grid", "GridSearchCV (W2)", 1.5),
    ):
        sk = _get(res, name, "sktrain", "wall_s")
        sklearn = _get(res, name, "sklearn", "wall_s")
        yield f"{what} wall / sklearn MLP's", _ratio(sk, sklearn), "<=", bound, "x"


def _lbfgs(res):
    runs = {data: _get(res, "lbfgs", data) or {} for data in LBFGS_DATASETS}
    for data, r in runs.items():
        a = _get(r, "sktrain", "mean_accuracy")
        b = _get(r, "sklearn", "mean_accuracy")
        gap = None if a is None or b is None else abs(a - b)
        yield f"lbfgs accuracy, {data}, abs(sktrain - sklearn)", gap, "<=", 0.02, ""
    for data, r in runs.items():
        ratio = _ratio(_get(r, "sktrain", "wall_s"), _get(r, "sklearn", "wall_s"))
        yield f"lbfgs wall / sklearn's lbfgs, {data}", ratio, "<=", 2.0, "x"


def _predict(res):
    """Either-or: sktrain's median within LATENCY_MS, or within
    LATENCY_VS_SKLEARN times sklearn's median."""
    lat = _get(res, "predict", "latency")
    for rows in (1, 100):
        r = _by_size(lat, rows)
        sk = _get(r, "sktrain", "median_ms")
        vs_sklearn = _ratio(sk, _get(r, "sklearn", "median_ms"))
        yield (
            f"predict {rows} row(s), median (<= {LATENCY_MS:g} ms "
            f"or <= {LATENCY_VS_SKLEARN:g}x sklearn's)",
            (sk, vs_sklearn),
            "<=",
            (LATENCY_MS, LATENCY_VS_SKLEARN),
            (" ms", "x sklearn's"),
        )


def _train(res):
    for bs, bound in ((256, 1.3), (4096, 1.0)):
        r = _by_size(_get(res, "train"), bs)
        sk = _get(r, "sktrain", "samples_per_s")
        tuned = _best(r, PLAIN_KERAS_TRAIN, "samples_per_s")
        yield (
            f"train b{bs} / best hand-tuned plain Keras",
            _ratio(sk, tuned),
            ">=",
            bound,
            "x",
        )


def _memory(res):
    growth = _get(res, "memory", "sktrain", "growth_mib")
    yield "RSS growth, fit 10 -> last fit", growth, "<=", 30.0, " MiB"


def _import(res):
    started = _get(res, "startup", "sktrain", "tf_after_import")
    value = None if started is None else float(bool(started))
    yield "TensorFlow modules loaded by `import sktrain` (0 = none)", value, "<=", 0, ""


def _float64(res):
    """The default path (float64 input) next to float32, reported without a
    bound: ``op`` is None and the figure is already text."""
    lat = _get(res, "predict", "latency")
    rate, ms = (lambda v: f"{v / 1e3:,.0f}k/s"), (lambda v: f"{v:.3g} ms")
    figures = (
        ("train b256", _by_size(_get(res, "train"), 256), rate),
        ("predict 1 row, median", _by_size(lat, 1), ms),
        ("predict throughput", _get(res, "predict", "throughput"), rate),
    )
    keys = ("samples_per_s", "median_ms", "rows_per_s")
    for (what, r, fmt), key in zip(figures, keys):
        f64, f32 = _get(r, "sktrain_float64", key), _get(r, "sktrain", key)
        text = None
        if f64 is not None and f32 is not None:
            text = f"{fmt(f64)} float64 vs {fmt(f32)} float32 ({f64 / f32:.2f}x)"
        yield f"(info) sktrain {what}, float64 vs float32 input", text, None, None, ""


SOURCES = (_wall, _lbfgs, _predict, _train, _memory, _import, _float64)


def checks(res):
    """Rows of (acceptance point, figure, verdict) for one run's results."""
    return [_row(*check) for source in SOURCES for check in source(res)]


def _met(value, op, bound):
    return value >= bound if op == ">=" else value <= bound


def _row(label, value, op, bound, unit):
    if value is None:
        return label, "not measured", "n/a"
    if op is None:  # reported for information, no bound
        return label, value, "info"
    if isinstance(value, tuple):
        return (label, *_either(value, op, bound, unit))
    figure = f"{value:.3g}{unit} (needs {op} {bound:g}{unit})"
    return label, figure, "met" if _met(value, op, bound) else "NOT met"


def _either(values, op, bounds, units):
    """(figure, verdict) of an either-or point, whose label states the bounds:
    met if any measured part is; undecided if none is and a part is missing.
    The first value is sktrain's own figure: without it, nothing is measured.
    """
    if values[0] is None:
        return "not measured", "n/a"
    figure = ", ".join(
        "not measured" if v is None else f"{v:.3g}{u}" for v, u in zip(values, units)
    )
    met = [_met(v, op, b) for v, b in zip(values, bounds) if v is not None]
    if any(met):
        return figure, "met"
    return figure, "n/a" if None in values else "NOT met"


def markdown(rows):
    lines = ["| Acceptance point | Figure | Verdict |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def text(rows):
    width = max(len(r[0]) for r in rows)
    fig = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:<{fig}}  {c}" for a, b, c in rows)
