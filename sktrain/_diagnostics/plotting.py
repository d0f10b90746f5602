"""matplotlib, imported only when a result is plotted, and the one helper
that draws training curves (``history_``-shaped dicts) for every plot.

matplotlib is an optional extra (``pip install "sktrain[plot]"``); without
it, ``plot()`` raises an ImportError naming the extra. Nothing here changes
matplotlib's global state (backend, style, rcParams).
"""

import math

from .._utils.validation import did_you_mean


def pyplot():
    """``matplotlib.pyplot``, or an ImportError that names the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs matplotlib, which is not installed. Install it with "
            'pip install "sktrain[plot]" (or pip install matplotlib).'
        ) from exc
    return plt


def get_axes(ax=None):
    """``ax``, or the Axes of a new figure."""
    if ax is None:
        _, ax = pyplot().subplots()
    return ax


def curve_keys(history, metrics=None):
    """The training curves of ``history`` to draw: ``metrics`` (names without
    the ``val_`` prefix) or every key but the per-epoch statistics (a
    validation-only key such as the MLP's ``val_score`` by its bare name)."""
    stats = {"lr", "grad_norm", "epoch_time", "samples_per_s"}
    if metrics is None:
        names = dict.fromkeys(k.removeprefix("val_") for k in history)
        return sorted(
            (k for k in names if k not in stats), key=lambda k: k != "loss"
        )  # the loss first, then the rest as recorded
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for m in metrics:
        if m not in history and f"val_{m}" not in history:
            names = list(dict.fromkeys(k.removeprefix("val_") for k in history))
            raise ValueError(
                f"history_ records no {m!r}.{did_you_mean(m, names)} Name a "
                f"curve without the 'val_' prefix, one of {names}."
            )
    return metrics


def draw_history(history, metrics=None, *, ax=None, marks=(), best_epoch=None):
    """Draw train (solid) and validation (dashed, same colour) curves per
    epoch.

    Parameters
    ----------
    history : dict of str to list of float
        ``history_`` of a fitted estimator (or the same shape).
    metrics : str or list of str, default=None
        Curves to draw, named without ``val_``; None draws every recorded
        loss and metric.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    marks : sequence of (epoch, label)
        Vertical dotted lines with a label each (e.g. diagnostics' findings).
    best_epoch : int, default=None
        Epoch (0-based) marked as the best one.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on; the learning rate, when recorded, is on a twin
        Axes with a log scale (``ax.lr_axes``).
    """
    from matplotlib.ticker import MaxNLocator

    ax = get_axes(ax)
    for key in curve_keys(history, metrics):
        color = None  # a metric's validation curve takes its training colour
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = history.get(name)
            if values:
                (line,) = ax.plot(
                    range(len(values)), values, style, color=color, label=name
                )
                color = line.get_color()
    for epoch, label in marks:
        ax.axvline(epoch, linestyle=":", color="grey")
        ax.annotate(
            label,
            (epoch, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize="small",
        )
    if best_epoch is not None:
        ax.axvline(best_epoch, color="black", ls="-.", alpha=0.6, label="best epoch")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _draw_lr(ax, history.get("lr"))
    handles, labels = ax.get_legend_handles_labels()
    if ax.lr_axes is not None:  # one legend for both y axes
        more = ax.lr_axes.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="best", fontsize="small")
    return ax


def _draw_lr(ax, lrs):
    finite = [v for v in lrs or () if v is not None and math.isfinite(v) and v > 0]
    if not finite:
        ax.lr_axes = None
        return
    twin = ax.twinx()
    twin.plot(range(len(lrs)), lrs, color="grey", alpha=0.6, label="lr")
    twin.set_yscale("log")
    twin.set_ylabel("learning rate")
    ax.lr_axes = twin
