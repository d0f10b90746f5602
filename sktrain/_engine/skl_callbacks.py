"""sklearn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

``CALLBACK_BASES`` is ``(CallbackHooks,)`` where ``sklearn.callback`` is
importable and ``()`` before: ``BaseTrainer`` lists it among its bases, so
on an older scikit-learn ``set_callbacks`` is simply absent.
``CallbackHooks`` is sklearn's ``CallbackSupportMixin`` (``set_callbacks``,
``_init_callback_context``) plus ``__copy__``: mid-fit, sklearn makes the
``fitted_estimator`` its hooks get with ``copy.copy``, which for an sktrain
estimator would pickle the network; during a fit it is a shallow
``stand_in`` instead (outside a fit ``copy.copy`` is unchanged).

A fit is one task, its epochs its subtasks (``max_subtasks``: the fit's
epochs). ``fit_task`` starts the root task (merged into a meta-estimator's
leaf when ``GridSearchCV`` or a ``Pipeline`` propagated its context);
``SklearnTask`` is a reporter of ``progress.FitReports``: each epoch is a
subcontext whose ``on_fit_task_begin`` / ``on_fit_task_end`` get the fit's
X, y (as given to ``fit``), ``sample_weight`` as metadata and the epoch's
estimator (``model_`` is the network being trained: the cached twin or
``model_`` itself), and a callback that returns True stops the fit after the
epoch. The root task ends after the estimator is fitted.
"""

import contextlib

from .toolkit import stand_in

try:
    from sklearn.callback import CallbackSupportMixin
    from sklearn.callback._callback_support import callback_management_context
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = callback_management_context = None


if CallbackSupportMixin is not None:

    class CallbackHooks(CallbackSupportMixin):
        """sklearn's ``CallbackSupportMixin`` for ``BaseTrainer`` (see the
        module doc)."""

        def __copy__(self):
            if "_callback_fit_ctx" in vars(self):  # mid-fit: the epoch's view
                return stand_in(self)
            new = object.__new__(type(self))
            new.__setstate__(self.__getstate__())
            return new

    CALLBACK_BASES = (CallbackHooks,)
else:
    CALLBACK_BASES = ()


@contextlib.contextmanager
def callback_management(est):
    """sklearn's teardown of ``est``'s callbacks after its fit, if any."""
    if callback_management_context is None:
        yield
        return
    with callback_management_context(est):
        yield


def wants_callbacks(est):
    """True when ``est`` has sklearn callbacks or a meta-estimator's context."""
    return bool(vars(est).get("_skl_callbacks")) or (
        "_parent_callback_ctx" in vars(est)
    )


def fit_task(est, epochs, fit_args):
    """The ``SklearnTask`` of this fit (its root task begun), or None."""
    if CallbackSupportMixin is None or not wants_callbacks(est):
        return None
    root = est._init_callback_context(task_name="fit", max_subtasks=epochs)
    task = SklearnTask(est, root, fit_args)
    root.call_on_fit_task_begin(estimator=est, **task.data)
    return task


class SklearnTask:
    """The fit's root context and one subcontext per epoch."""

    def __init__(self, est, root, fit_args):
        X, y, sample_weight = fit_args
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.est, self.root, self.epoch = est, root, None
        self.data = {"X": X, "y": y, "metadata": metadata}

    def on_epoch_begin(self, model, state):
        self.epoch = self.root.subcontext(task_name="epoch")
        self.epoch.call_on_fit_task_begin(
            estimator=self.est,
            **self.data,
            reconstruction_attributes=lambda: self._attributes(model, state),
        )

    def on_epoch_end(self, model, state, logs):
        if self.epoch is None:  # an epoch that began before these reporters
            return
        stop = self.epoch.call_on_fit_task_end(
            estimator=self.est,
            **self.data,
            reconstruction_attributes=lambda: self._attributes(model, state),
        )
        self.epoch = None
        if stop:
            model.stop_training = True

    def _attributes(self, model, state):
        """The fitted attributes of an estimator at this epoch."""
        view = stand_in(self.est, model_=model)
        return {"model_": model, "_predictor": view._make_predictor()}

    def end(self):
        self.root.call_on_fit_task_end(
            estimator=self.est, **self.data, reconstruction_attributes={}
        )

    def close(self):
        pass


def meta_task(est, n_subtasks, X, y, sample_weight=None):
    """The root task of a meta-estimator's fit (``_distill``), whose
    subtasks fit sub-estimators (``MetaTask.sub_fit``); a no-op where
    sklearn's callbacks are absent or unused."""
    if CallbackSupportMixin is None or not wants_callbacks(est):
        return MetaTask(est, None, X, y, sample_weight)
    root = est._init_callback_context(task_name="fit", max_subtasks=n_subtasks)
    return MetaTask(est, root, X, y, sample_weight)


class MetaTask:
    """See ``meta_task``."""

    def __init__(self, est, root, X, y, sample_weight):
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.est, self.root = est, root
        self.data = {"X": X, "y": y, "metadata": metadata}
        if root is not None:
            root.call_on_fit_task_begin(estimator=est, **self.data)

    @contextlib.contextmanager
    def sub_fit(self, task_name, sub_estimator):
        """A subtask fitting ``sub_estimator`` (None: nothing to fit), which
        gets the propagated callbacks and context."""
        if self.root is None:
            yield
            return
        ctx = self.root.subcontext(task_name=task_name)
        propagate = (
            contextlib.nullcontext()
            if sub_estimator is None
            else ctx.propagate_callback_context(sub_estimator)
        )
        with propagate:
            ctx.call_on_fit_task_begin(estimator=self.est, **self.data)
            yield
            ctx.call_on_fit_task_end(estimator=self.est, **self.data)

    def end(self):
        if self.root is not None:
            self.root.call_on_fit_task_end(
                estimator=self.est, **self.data, reconstruction_attributes={}
            )
