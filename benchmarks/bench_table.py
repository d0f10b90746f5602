"""The comparison table: one row per (metric, competitor), sktrain's figure
next to the competitor's, their ratio and a verdict in words."""

import bench_common as common

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
    runs = entry.get(key + "_runs", ())
    if len(runs) > 1:  # interleaved repeats (``common.runs_in_turn``)
        text += " (median of " + " / ".join(_fmt(kind, unit, r) for r in runs) + ")"
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
