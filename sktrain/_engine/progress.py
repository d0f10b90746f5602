"""Progress of a fit: ``verbose`` and sklearn's callbacks, one place for both
families.

``verbose`` (``verbosity``): 0 / False silent; 1 one tqdm bar per fit over
its epochs (``tqdm.auto``: a widget in Jupyter, text on stderr in a
terminal; loss and validation values as postfix); 2 (or more) one line per
epoch on stdout. A bool ``True`` is 1 for the Keras* wrappers; where a family
prints sklearn's own lines instead (``_sklearn_lines``: the MLP's
``verbose=True`` and, as in sklearn, any int from 2 with a stochastic
solver; its ``SklearnStopping`` prints them) the engine prints nothing.

``FitReports`` is one fit's set of *reporters*: the bar or the lines, and
sklearn's callback tasks (``skl_callbacks.py``). ``begin`` (once the fit's
epochs are known) puts them into ``FitState.reporters``; the engine's
``EpochMonitor`` calls their ``on_epoch_begin`` / ``on_epoch_end`` for
every epoch that runs, from ``keras.Model.fit`` and from the lean loop
alike (Keras itself always runs with ``verbose=0``); ``solver='lbfgs'``
reports each scipy iteration at its end (``report_step``). ``end`` closes the bar
and ends sklearn's root task once the estimator is fitted; ``fit_reports``
closes them and tears sklearn's callbacks down whatever happens.
Prediction never reports.
"""

import contextlib
import functools
import sys
import time
from numbers import Integral

import numpy as np


def verbosity(est):
    """0, 1 (bar) or 2 (lines) for the engine; 0 when the family prints
    sklearn's own lines (``_sklearn_lines``)."""
    verbose = est._verbose()
    if est._sklearn_lines():
        return 0
    if isinstance(verbose, bool | np.bool_):
        return int(bool(verbose))
    if not isinstance(verbose, Integral) or verbose <= 0:
        return 0
    return min(int(verbose), 2)


def _shown(logs):
    """The values a report shows: the loss and the validation values."""
    return {k: float(v) for k, v in logs.items() if k == "loss" or k.startswith("val_")}


class EpochBar:
    """One tqdm bar over a fit's epochs (``tqdm.auto``; a terminal's text
    bar where the notebook widget cannot be made)."""

    def __init__(self, name, epochs):
        self.bar = _bar_class()(total=epochs, desc=name, unit="epoch", leave=True)

    def on_epoch_begin(self, model, state):
        pass

    def on_epoch_end(self, model, state, logs):
        self.bar.set_postfix(_shown(logs), refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


@functools.cache
def _bar_class():
    """tqdm's auto class without its monitor thread (a class attribute of
    this subclass only, no tqdm global is changed)."""
    from tqdm.auto import tqdm

    return type("EpochProgress", (tqdm,), {"monitor_interval": 0})


def _std_bar_class():
    from tqdm.std import tqdm

    return type("EpochProgress", (tqdm,), {"monitor_interval": 0})


def _make_bar(name, epochs):
    try:
        return EpochBar(name, epochs)
    except ImportError:  # a notebook without ipywidgets: the text bar
        bar = EpochBar.__new__(EpochBar)
        bar.bar = _std_bar_class()(total=epochs, desc=name, unit="epoch", leave=True)
        return bar


class EpochLines:
    """One line per epoch on stdout: epoch, loss, validation values and the
    seconds since the previous epoch's end (or the fit's start)."""

    def __init__(self, epochs):
        self.epochs, self.done = epochs, 0
        self.last = time.perf_counter()

    def on_epoch_begin(self, model, state):
        pass

    def on_epoch_end(self, model, state, logs):
        self.done += 1
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        values = "".join(f" - {k}: {v:.4g}" for k, v in _shown(logs).items())
        print(f"Epoch {self.done}/{self.epochs}{values} - {seconds:.3f}s")
        sys.stdout.flush()

    def close(self):
        pass


class FitReports:
    """One fit's reporters (see the module doc)."""

    def __init__(self, est, fit_args):
        self.est, self.fit_args = est, fit_args
        self.reporters, self.task = [], None

    def begin(self, state, epochs):
        """Open the reporters of a fit of ``epochs`` epochs (at most)."""
        from .skl_callbacks import fit_task

        level = verbosity(self.est)
        if level == 1:
            self.reporters.append(_make_bar(type(self.est).__name__, epochs))
        elif level == 2:
            self.reporters.append(EpochLines(epochs))
        self.task = fit_task(self.est, epochs, self.fit_args)
        if self.task is not None:
            self.reporters.append(self.task)
        state.reporters = self.reporters

    def end(self):
        """The fit is done and the estimator fitted: close the display, end
        sklearn's root task (its callbacks see the fitted estimator)."""
        self.close()
        if self.task is not None:
            self.task.end()

    def close(self):
        for reporter in self.reporters:
            reporter.close()


def report_step(model, state, logs):
    """A step that is not a Keras epoch (an L-BFGS iteration), begun and
    ended at once for every reporter."""
    for reporter in state.reporters:
        reporter.on_epoch_begin(model, state)
        reporter.on_epoch_end(model, state, logs)


@contextlib.contextmanager
def fit_reports(est, fit_args):
    """``FitReports`` of one fit; the display closed and sklearn's
    callbacks torn down at the end, also on an exception."""
    from .skl_callbacks import callback_management

    reports = FitReports(est, fit_args)
    with callback_management(est):
        try:
            yield reports
        finally:
            reports.close()


class ReportHooks:
    """A mixin of ``BaseTrainer``: what ``verbosity`` asks of a family."""

    def _sklearn_lines(self):
        """Hook: True if this fit prints sklearn's own lines instead of the
        engine's (the MLP); False here."""
        return False

    def _verbose(self):
        """Hook: the fit's ``verbose`` (the wrappers: ``fit__verbose`` too)."""
        return getattr(self, "verbose", 0)
