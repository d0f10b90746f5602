"""Docstring fragments of the training toolkit's parameters (``_engine/options``),
shared by both families."""

from textwrap import dedent

SCHEDULE_VALUES = """\

    - 'constant': the base rate;
    - 'step': ``base * lr_gamma ** (epoch // lr_step_size)``, per epoch;
    - 'exponential': ``base * lr_gamma ** epoch``, per epoch;
    - 'cosine': per step, ``lr_min + (base - lr_min) * (1 + cos(pi * s / S)) / 2``
      over the run's ``S`` steps;
    - 'onecycle': per step, Smith's one-cycle policy: a cosine rise from
      ``base / 25`` to ``base`` over the first 30% of the run (over the
      warmup instead, when ``warmup`` is set), then a cosine descent to
      ``lr_min`` (``base / 1e4`` when ``lr_min`` is 0);
    - 'plateau': per epoch, multiplied by ``lr_gamma`` after
      ``lr_patience`` epochs without improvement of the validation loss
      (the training loss without validation data), never below
      ``lr_min``;
    - a ``keras.optimizers.schedules.LearningRateSchedule``: called with
      the step number, per step;
    - a callable ``(epoch, lr) -> lr``: called before each epoch with
      its index and the current rate, as Keras' ``LearningRateScheduler``.

    The run is ``{run}`` epochs; ``epoch`` and ``s`` count from the end of
    the warmup. ``history_['lr']`` records the rate of every epoch's
    first step. A ``warm_start`` fit starts the schedule again;
    ``partial_fit`` goes on along it.
"""

TOOLKIT_PARAMETERS = dedent("""\
    warmup : int or float, default=0
        Linear learning-rate warmup before the schedule: an int is a number
        of epochs, a float in (0, 1) a fraction of the run. Step ``i`` of
        the ``W`` warmup steps trains at ``(i + 1) / W`` times the rate the
        schedule starts at.

    lr_step_size : int, default=10
        'step' schedule: epochs between two decays.

    lr_gamma : float or None, default=None
        Decay factor of the 'step' (None: 0.1), 'exponential' (None: 0.95,
        per epoch) and 'plateau' (None: 0.1) schedules.

    lr_min : float, default=0.0
        Lowest rate: where 'cosine' and 'onecycle' end, the floor of
        'plateau'.

    lr_patience : int, default=5
        'plateau' schedule: epochs without improvement before the rate is
        reduced.

    scoring : str, callable, list, tuple, dict or None, default=None
        sklearn scorers (a name such as 'roc_auc', a callable
        ``scorer(estimator, X, y)``, a list of names or a dict of name ->
        scorer) computed on the validation data after every epoch and
        recorded as ``history_['val_<name>']`` (a callable's name is its
        ``__name__``). The validation data are ``X_val`` / ``y_val`` when
        given to ``fit``, else the split held out by ``early_stopping``
        (MLP) or ``validation_split`` (wrappers); scoring without either is
        an error.

    checkpoint : str, path-like or None, default=None
        After every epoch, save the estimator to this path in sktrain's file
        format (atomically: a temporary file, then a rename), with its
        optimizer state, epoch count, history and the positions of its
        schedule and random generators; the best epoch so far (highest
        first scorer, else lowest validation loss, else lowest training
        loss) also goes to ``<stem>.best<suffix>``. To resume a killed fit,
        ``sktrain.load`` the file and call ``fit`` on the same data with
        ``warm_start=True``: it trains the remaining epochs of the
        interrupted fit and ends where the uninterrupted fit would.

    gradient_accumulation_steps : int or None, default=None
        Accumulate the gradients of this many batches and apply their mean
        once: the update of a batch that many times as large, in the memory
        of one (``optimizer.iterations`` counts updates). Groups run across
        epoch ends; a partial group left when a fit ends is completed by the
        next ``partial_fit`` or ``warm_start`` fit.

    clipvalue : float or None, default=None
        Clip every gradient element to ``[-clipvalue, clipvalue]``.

    global_clipnorm : float or None, default=None
        Rescale the gradients together so that their global norm is at most
        this (``clipnorm`` clips each variable's gradient separately).

    weight_decay : float or None, default=None
        Decoupled weight decay (each step, ``w -= lr * weight_decay * w``),
        for any Keras optimizer ('adamw', 'sgd', 'adam', ...); None keeps
        the optimizer's own default.

    ema : float or None, default=None
        Keep an exponential moving average of the weights with this
        momentum (e.g. 0.99); when a fit ends the network takes the
        averaged weights, which predictions then use (after a NaN epoch or
        the MLP's early stopping: the averages of the epoch kept).

    distribution : {'mirrored', 'multiworker'}, tf.distribute.Strategy or \
None, default=None
        Train under a ``tf.distribute`` strategy: the network is built,
        compiled and trained in its scope, each batch (``batch_size`` is
        the global batch) split across the replicas and their gradients
        summed, which gives the single-device steps up to float rounding.
        'mirrored' is a ``MirroredStrategy`` over every visible GPU (else
        the CPU), 'multiworker' a ``MultiWorkerMirroredStrategy`` (its
        cluster from ``TF_CONFIG``), each made once per process; a strategy
        instance is used as given and shared by clones. ``device`` must be
        'auto'; ``solver='lbfgs'`` cannot be distributed. Files and pickles
        store the name (an instance as None) and load on one device. See
        the user guide's "Scaling out" page.
""")

LABEL_SMOOTHING = dedent("""\
    label_smoothing : float, default=0.0
        Train on smoothed targets ``y * (1 - label_smoothing) +
        label_smoothing / n_classes`` (one sigmoid unit per class or
        label, i.e. binary and multilabel targets: ``/ 2``) with the
        cross-entropy and focal losses (the loss's own
        ``label_smoothing``). Sparse losses (integer class codes) and
        losses without that setting cannot smooth: fitting them with
        ``label_smoothing > 0`` is an error.
""")

MIXED_DTYPES = """\
    'mixed_float16' and 'mixed_bfloat16' set this estimator's layers to
    Keras' mixed-precision policy: they compute in half precision with
    float32 variables, while the input, the output layer, the loss and the
    predictions stay float32 ('mixed_float16' adds dynamic loss scaling:
    the optimizer is a ``keras.optimizers.LossScaleOptimizer``). Keras'
    global dtype policy and floatx are never changed. float16 pays off on
    GPUs with tensor cores; bfloat16 also on recent CPUs.
"""

MIXED_BUILD_FN = """\
    A build function receives the policy name as ``dtype``: pass it to
    the hidden layers and give the input and the last layer
    ``keras.DTypePolicy(dtype).variable_dtype`` (float32). A build
    function that ignores ``dtype``, or a ``keras.Model`` instance,
    computes in the dtypes its layers were given (with a warning when no
    layer is in half precision); a model the build function compiled
    gets its optimizer wrapped for 'mixed_float16'.
"""

WRAPPER_TOOLKIT = (
    dedent("""\
    lr_schedule : str, LearningRateSchedule, callable or None, default=None
        The learning-rate schedule; its base rate is the optimizer's
        learning rate (``optimizer__learning_rate``). None is 'constant'.
""")
    + SCHEDULE_VALUES.format(run="epochs")
    + dedent("""\

    clipnorm : float or None, default=None
        Clip each variable's gradient to this norm.

    freeze : str, list of str or None, default=None
        Layer names or glob patterns (``'dense*'``) whose layers are not
        trained (their weights stay as built or pretrained), matched against
        each layer's name and its path through nested models
        (``'base/dense_1'``; a nested model freezes with its layers). A
        pattern that matches no layer, or a freeze that leaves nothing to
        train, is an error. Layers you froze yourself stay frozen.

    unfreeze_at : int or None, default=None
        The epoch (counted over the run from 0: a ``fit``, also a
        ``warm_start`` one, starts at 0 frozen; ``partial_fit`` goes on
        counting) from which the frozen layers train too. The model then
        gets a new optimizer of the same configuration (its state and step
        count start afresh). None: never; ignored without ``freeze``.
""")
)

MLP_LEARNING_RATE = dedent("""\
    learning_rate : str, LearningRateSchedule or callable, default='constant'
        The learning-rate schedule; its base rate is ``learning_rate_init``.
        sklearn's 'constant', 'invscaling' and 'adaptive' behave as in
        sklearn (the last two with ``solver='sgd'`` only); the others work
        with every stochastic solver (``solver='lbfgs'`` has no learning
        rate and ignores them):
""") + SCHEDULE_VALUES.format(run="max_iter")

HISTORY_KEYS = """\
    Every fit also records, per epoch, 'lr' (the learning rate of the
    epoch's first step), 'grad_norm' (the global norm of the gradients
    before clipping, averaged over the epoch's steps), 'epoch_time'
    (seconds) and 'samples_per_s'.
"""

LOSS_PARAMS = dedent("""\
    **loss_params : dict
        The loss's own settings, as ``loss__<name>=value``
        (``loss__gamma=2.0`` with ``loss='focal'``, ``loss__delta`` with
        'huber', ``loss__quantile`` with 'quantile',
        ``loss__label_smoothing=0.1`` with a cross-entropy): passed to the
        loss class, or merged into a loss instance's config. They are
        parameters like the others (``get_params``, ``set_params``,
        ``clone``, grid searches); any other extra name is an error.
""")
