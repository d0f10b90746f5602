"""``ToolkitHooks``: the training toolkit's hooks on ``BaseTrainer``.

What the engine asks of an estimator for the toolkit's parameters
(``options.py``): its optimizer readied for them and its learning-rate
schedule (``schedules.py``). Defaults here; the families override them.
``stand_in``: the shallow copy of an estimator that scoring and checkpoints
use mid-fit. ``DistributionHooks`` (``distribution.py``): a clone shares a
strategy instance.
"""

from .distribution import DistributionHooks


def stand_in(est, **attributes):
    """A shallow copy of ``est`` with ``attributes`` set, made without
    ``__init__`` or pickling: mid-fit, an estimator that predicts
    (``scoring``) or saves (``checkpoint``) with the model being trained."""
    view = object.__new__(type(est))
    view.__dict__.update(est.__dict__)
    view.__dict__.update(attributes)
    return view


class ToolkitHooks(DistributionHooks):
    """A mixin of ``BaseTrainer`` (see the module doc)."""

    def _prepare_model(self, model):
        """Ready ``model``'s optimizer for the toolkit before a train step
        is traced: the gradient-norm meter and, for a scheduled fit, the
        rate table (``_factory/optimizers.py`` ``prepare_optimizer``); a
        train step traced before without them is dropped. Returns ``model``.
        """
        from .._factory.optimizers import prepare_optimizer
        from .distribution import in_strategy
        from .train_function import forget_train_function

        # no meter under a strategy: 'grad_norm' would be one replica's
        meter = not in_strategy()
        if prepare_optimizer(model.optimizer, scheduled=self._scheduled(), meter=meter):
            forget_train_function(model)
        return model

    def _lr_schedule(self):
        """Hook: the schedule sktrain drives (a name of ``SCHEDULES``, a
        ``LearningRateSchedule`` or a callable), or None."""
        return None

    def _scheduled(self):
        """True when sktrain drives the learning rate (a schedule or warmup)."""
        kind = self._lr_schedule()
        return not (kind is None or kind == "constant") or self.warmup != 0

    def _base_lr(self):
        """Hook: the base rate of the schedule (the optimizer's own rate)."""
        from .schedules import step_table

        return step_table(self.model_.optimizer).initial

    def _schedule_run(self, settings):
        """Hook: the epochs of one run (the schedules' horizon)."""
        return settings.epochs
