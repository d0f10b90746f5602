"""One fit's epochs on one model: the feed, the train function, the listeners.

``keras_fit`` is the body of ``BaseTrainer._keras_fit``: it trains ``model``
(the estimator's ``model_`` or its cached twin) over the seeded feed with
one ``keras.Model.fit`` call or the lean epoch loop (``epochs.py``). The
``EpochMonitor`` runs, at each epoch end, the engine's listeners around the
family's:

1. ``ValidationScoring`` (``scoring.py``): ``val_<name>`` for ``scoring``;
2. ``EpochStats`` (``monitoring.py``): 'lr' (unscheduled fits),
   'grad_norm', 'epoch_time', 'samples_per_s';
3. the family's listeners (the MLP's sklearn rules read ``val_<first>``);
4. ``LrScheduler`` (``schedules.py``): 'lr', 'plateau', the next epoch's
   rates;
5. ``Checkpoint`` (``checkpoint.py``): last, when everything of the epoch
   is known.
"""

import contextlib
import itertools
import warnings


def keras_fit(est, model, data, settings, state, listeners, user_callbacks):
    """Train ``model`` for ``settings.epochs`` epochs (see the module doc),
    inside the scope of the strategy it was built in, if any (a build
    function's model made under a strategy, ``distribution.py``)."""
    from .distribution import model_scope

    with model_scope(model):
        _train(est, model, data, settings, state, listeners, user_callbacks)


def _train(est, model, data, settings, state, listeners, user_callbacks):
    from .callbacks import epoch_monitor, wants_batch_hooks
    from .checkpoint import Checkpoint
    from .distribution import in_strategy, ready_for_strategy
    from .epochs import run_epochs
    from .keras_compat import install_train_function, quiet_test_function
    from .streams import Stream
    from .train_function import (
        counted_train_function,
        gathers_in_graph,
        supports_counted_loop,
    )

    per_batch = wants_batch_hooks(user_callbacks)
    streamed = isinstance(data.train.X, Stream)  # Keras' own train function
    custom = supports_counted_loop(model) and not streamed
    est._prepare_model(model)  # a loaded or lbfgs-made model has no meter yet
    in_graph = gathers_in_graph(model) and not per_batch and not streamed
    feed = seeded_feed(est, data.train, settings, state, in_graph)
    fit_kwargs = est._keras_fit_kwargs(data)
    validating = fit_kwargs.get("validation_data") is not None
    # under a strategy, Keras' multi-step functions fail (keras#19246), its
    # validation's too: one step per call then (``distribution.py``); a
    # stream's batches come one per call as well
    one_step = per_batch or streamed or (in_strategy() and (validating or not custom))
    steps = 1 if one_step else feed.steps
    function = counted_train_function(model, feed, steps) if custom else None
    install_train_function(model, steps, function)
    if in_strategy():
        ready_for_strategy(model, feed.dataset.element_spec, validating and custom)
    elif validating:
        quiet_test_function(model)
    start = fit_kwargs.pop("initial_epoch", 0)
    everyone = engine_listeners(est, model, data, settings, feed, listeners)
    if est.checkpoint is not None:
        everyone.append(Checkpoint(est, listeners, _best_monitor(est, data)))
    copies = getattr(function, "weight_copies", None)  # ``backup.py``
    monitor = epoch_monitor(state, everyone, copies)
    try:
        with _end_of_data_expected(streamed and feed.steps is None):
            run_epochs(
                model,
                feed,
                function,
                epochs=settings.epochs,
                start=start,
                callbacks=[monitor, *user_callbacks],
                fit_kwargs=fit_kwargs,
            )
    except KeyboardInterrupt:
        # a notebook's stop button: keep the last completed epoch's weights
        state.interrupted = True
        if state.good_weights is not None:
            state.good_weights.restore()
    finally:
        if function is not None:  # it holds this fit's data as tensors
            model.train_function = None


@contextlib.contextmanager
def _end_of_data_expected(expected):
    """Without Keras' warning that a dataset of unknown length "ran out of
    data": one pass is one epoch, so its end is expected (not with
    ``fit__steps_per_epoch``, where it means too few batches)."""
    if not expected:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        yield


def seeded_feed(est, train, settings, state, in_graph):
    """The ``Feed`` of this fit's training split: seeded from ``_rng`` (or
    the family's host-drawn epoch orders), past the epochs a resumed fit
    did."""
    from .pipeline import Feed, batch_size_for, make_feed
    from .seeds import draw_seed
    from .streams import Stream, encoded

    if isinstance(train.X, Stream):  # the user's batches, as they come
        ds, steps = encoded(est, train.X), settings.steps_per_epoch
        return Feed(ds, steps, 0, False, 0, normalize_weights=True)
    first = _epochs_resumed(est, state)
    orders = est._epoch_orders(train.n_samples)
    if orders is not None and first:
        orders = itertools.islice(orders, first, None)
    return make_feed(
        train.X,
        train.Y,
        train.sample_weight,
        batch_size=batch_size_for(settings.batch_size, train.n_samples),
        shuffle=est.shuffle,
        seed=0 if orders is not None else draw_seed(est._rng),
        normalize_weights=est._WEIGHTS_IN_PIPELINE,
        in_graph=in_graph,
        orders=orders,
        first_epoch=first,
    )


def engine_listeners(est, model, data, settings, feed, listeners):
    """The family's ``listeners`` with the engine's around them, in order."""
    from .monitoring import EpochStats
    from .schedules import LrScheduler, ScheduleSpec
    from .scoring import ValidationScoring, check_scoring_data, make_scorers

    before, after = [], []
    check_scoring_data(est, data)
    if est.scoring is not None:
        scorers = make_scorers(est, est.scoring)
        before.append(ValidationScoring(est, scorers, data.validation))
    scheduled = est._scheduled()
    if scheduled and feed.steps is None:
        raise ValueError(
            "A learning-rate schedule or warmup on a dataset needs its number "
            "of batches per epoch: set fit__steps_per_epoch."
        )
    before.append(EpochStats(feed.steps, data.train.n_samples, record_lr=not scheduled))
    if scheduled:
        kind = est._lr_schedule()
        spec = ScheduleSpec(
            kind="constant" if kind is None else kind,
            base=est._base_lr(),
            run_epochs=est._schedule_run(settings),
            warmup=est.warmup,
            step_size=int(est.lr_step_size),
            gamma=est.lr_gamma,
            lr_min=float(est.lr_min),
            patience=int(est.lr_patience),
        )
        monitor = "val_loss" if data.validation is not None else "loss"
        scheduler = LrScheduler(
            spec, est._lr_state, feed.steps, monitor, settings.epochs
        )
        scheduler.begin(model)
        after.append(scheduler)
    return [*before, *listeners, *after]


def _epochs_resumed(est, state):
    """Epochs of this run a resumed fit skips (``checkpoint.py``), else 0.
    (A second ``unfreeze_at`` phase starts its own epoch count, as a
    continued fit does.)"""
    point = vars(est).get("_resume")
    if point is not None and state.n_iter == point.epochs_done:
        return point.epochs_done
    return 0


def _best_monitor(est, data):
    from .checkpoint import monitor_of
    from .scoring import first_scorer_key

    return monitor_of(first_scorer_key(est.scoring), data.validation is not None)
