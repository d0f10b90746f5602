"""Docstring fragments shared by the public estimators (written once, used twice)."""

from textwrap import dedent

from .toolkit_docs import (  # noqa: F401 (LABEL_SMOOTHING re-exported)
    HISTORY_KEYS,
    LABEL_SMOOTHING,
    LOSS_PARAMS,
    MIXED_BUILD_FN,
    MIXED_DTYPES,
    MLP_LEARNING_RATE,
    TOOLKIT_PARAMETERS,
    WRAPPER_TOOLKIT,
)

ON_NAN = """\
    on_nan : {'raise', 'warn'}, default='raise'
        What to do when the training loss becomes NaN or infinite. Training
        always stops and the weights of the last finite epoch are kept;
        'raise' then raises a ValueError that says what to try, 'warn' keeps
        the model and warns (RuntimeWarning).
"""

MLP_ON_NAN = (
    ON_NAN
    + """\
        With ``early_stopping=True`` a NaN/inf epoch ends the fit as in
        sklearn instead: it is recorded (``validation_scores_`` ends with
        NaN), the best validation epoch's weights are kept and a
        RuntimeWarning says so.
"""
)

MLP_PARAMETERS = (
    dedent("""\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : str, default='relu'
        Hidden-layer activation: sklearn's 'identity', 'logistic', 'tanh',
        'relu', or any Keras activation name ('gelu', 'selu', 'swish', ...).

    solver : str or keras.optimizers.Optimizer, default='adam'
        'adam' and 'sgd' as in sklearn (configured by ``learning_rate_init``,
        ``beta_1``, ``beta_2``, ``epsilon``, ``momentum``,
        ``nesterovs_momentum``), any Keras optimizer name ('adamw', 'rmsprop',
        'nadam', 'adagrad', ...) with ``learning_rate=learning_rate_init``, or
        an optimizer instance (copied for each fit). 'lbfgs' is sklearn's
        full-batch L-BFGS-B (``scipy.optimize.minimize`` over the network's
        weights; recommended for small data; no dropout or callbacks, no
        ``partial_fit``, ``early_stopping`` ignored).

    alpha : float, default=0.0001
        L2 penalty as in sklearn: ``0.5 * alpha * ||W||^2 / sum(w)`` is added
        to each batch's loss (``sum(w)`` = the batch's total sample weight, its
        size when unweighted), over every Dense kernel (biases are not
        penalised); for unweighted data this equals a Keras
        ``L2(alpha / (2 * batch_size))`` kernel regularizer.

    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.

    LEARNING_RATE
    learning_rate_init : float, default=0.001
        Initial learning rate of the optimizer.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Reshuffle the samples every epoch (with the estimator's own seed).

    random_state : int, RandomState instance or None, default=None
        Seeds the initializers, dropout, shuffling and the validation split
        of this estimator only; no global TensorFlow/Keras seed is touched.

    tol : float, default=1e-4
        Minimum improvement of the training loss (or of the validation score
        with ``early_stopping``) that resets the no-improvement counter.

    verbose : bool or int, default=False
        Progress during ``fit``. ``True`` (a bool) or an int from 2 prints
        sklearn's own lines ("Iteration N, loss = ...", the validation score
        with ``early_stopping``, why it stops), as sklearn does for any
        truthy ``verbose``; 1 shows one progress bar per fit over the epochs
        instead (``tqdm.auto``: a widget in Jupyter, text on stderr in a
        terminal; loss and validation values as postfix); 0 is silent. With
        ``solver='lbfgs'``, 2 prints one line per iteration. Prediction never
        prints.

    warm_start : bool, default=False
        Continue training the fitted network on the next ``fit``.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Use Nesterov momentum with 'sgd'.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for
        single-output classification), stop when its score has not improved
        by ``tol`` for ``n_iter_no_change`` epochs, and restore the best
        weights.

    validation_fraction : float, default=0.1
        Fraction of the data held out for ``early_stopping``.

    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.

    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations with ``solver='lbfgs'``.

    dropout : float, default=0.0
        Dropout rate after every hidden layer (a ``keras.layers.Dropout``).

    l1 : float, default=0.0
        L1 penalty on every Dense kernel (``keras.regularizers.L1L2(l1=...)``).

    l2 : float, default=0.0
        Keras-style L2 penalty ``l2 * ||W||^2`` added on top of ``alpha``.

    batch_norm : bool, default=False
        Insert ``keras.layers.BatchNormalization`` before each hidden
        activation.

    kernel_initializer : 'sklearn', str, class or \
keras.initializers.Initializer, default='sklearn'
        'sklearn' is sklearn's MLP initialization: every Dense kernel and
        bias uniform in ``(-b, b)``, ``b = sqrt(f / (fan_in + fan_out))``
        with ``f = 2`` for ``activation='logistic'`` and 6 otherwise, drawn
        with numpy from ``random_state`` (an int seed gives sklearn's own
        initial weights, the same in float32 and float64). A Keras
        initializer name, class or instance initializes the kernels instead
        (seeded from ``random_state``; biases start at zero).

    metrics : list or None, default=None
        Keras metrics to track; their per-epoch values go to ``history_``.

    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks. Each fit uses fresh copies, so one list can be
        shared by clones and GridSearchCV folds without state leaking.

    clipnorm : float or None, default=None
        Clip each gradient to this norm.

    device : str, default='auto'
        'auto' (TensorFlow's choice), 'cpu', 'gpu' or 'gpu:N'. Asking for a GPU
        that does not exist raises a ValueError.

    dtype : str or None, default=None
        The network's float type: 'float32', 'float64', 'mixed_float16',
        'mixed_bfloat16' or None. None follows X like sklearn on CPU
        (float32 input trains in float32, anything else in float64) and is
        float32 on a GPU, and predictions come back in X's float dtype. An
        explicit dtype is used throughout, predictions included (float32
        for a mixed policy). Use 'float32' for speed on CPU too.
    MIXED
""")
    .replace("\nLEARNING_RATE\n", "\n" + MLP_LEARNING_RATE + "\n")
    .replace("\nMIXED\n", "\n" + MIXED_DTYPES + "\n")
    + dedent(MLP_ON_NAN)
    + "\n"
    + TOOLKIT_PARAMETERS
)

MLP_PARAMETERS_END = "\n" + LOSS_PARAMS

MLP_ATTRIBUTES = (
    dedent("""\
    loss_ : float
        Training loss of the last epoch (regularization included).

    best_loss_ : float or None
        Lowest training loss seen (None with ``early_stopping``).

    loss_curve_ : list of float
        Training loss of every epoch.

    validation_scores_ : list of float or None
        Validation score of every epoch with ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best validation score with ``early_stopping``, else None.

    t_ : int
        Number of training samples seen.

    coefs_ : list of ndarray
        Kernel of each Dense layer, read from ``model_``.

    intercepts_ : list of ndarray
        Bias of each Dense layer, read from ``model_``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs run by the last fit.

    n_layers_ : int
        Number of layers (hidden layers + 2).

    n_outputs_ : int
        Number of output units.

    model_ : keras.Model
        The fitted Keras network.

    history_ : dict of list
        Per-epoch values: 'loss', any ``metrics``, and with ``early_stopping``
        'val_loss' and 'val_score'.
""")
    + HISTORY_KEYS
)

WRAPPER_MODEL = dedent("""\
    model : callable, keras.Model or None, default=None
        A build function returning a ``keras.Model`` (compiled or not), or a
        ``keras.Model`` instance (cloned with fresh weights for each fit, so
        the instance itself is never trained). The build function receives,
        by parameter name, what the data implies (``n_features_in``, None
        unless X is 2-D; ``input_shape``, per sample, a dict/list for
        multi-input X; ``n_outputs``, units of the last layer;
        ``n_classes``; ``classes``; ``target_type``; ``output_activation``;
        ``seed``; ``dtype``),
        SciKeras' ``meta`` / ``compile_kwargs`` / ``params``,
        keras.wrappers' ``X`` / ``y``, and its own hyperparameters (plain
        keywords or ``model__name``). None builds sktrain's MLP, with the
        hyperparameters ``hidden_layer_sizes=(100,)``, ``activation='relu'``
        and ``dropout=0.0``.
""")

WRAPPER_PARAMETERS = (
    dedent("""\
    optimizer : str, class or keras.optimizers.Optimizer, default='rmsprop'
        The optimizer, configured with ``optimizer__name=value`` (e.g.
        ``optimizer__learning_rate=1e-3``). An instance is copied for each
        fit. Ignored when the build function compiles the model itself.

    metrics : str, class, object, list, dict or None, default=None
        Keras metrics: one (a name, class or instance), a list, or a dict of
        name -> metric; ``metrics__i__name`` (list) or ``metrics__key__name``
        (dict) configures one item, ``metrics__name`` every class or name.
        Their per-epoch values go to ``history_``.

    batch_size : int or None, default=None
        Samples per gradient step; None is Keras' 32, -1 the whole data set.
        ``fit__batch_size`` overrides it. Prediction runs in large chunks
        (32,768 rows) whatever the training batch size; set
        ``predict__batch_size`` to bound its memory.

    epochs : int, default=1
        Passes over the data per ``fit`` (``partial_fit`` runs one).

    verbose : int, default=0
        Progress during ``fit``: 0 silent, 1 (or ``True``) one progress bar
        per fit over the epochs (``tqdm.auto``: a widget in Jupyter, text on
        stderr in a terminal; loss and ``val_*`` values as postfix), 2 one
        line per epoch on stdout (epoch, loss, validation values, seconds).
        ``fit__verbose`` is an alias. Keras' own progress bar is never shown;
        prediction never prints.

    callbacks : callback, class, list, dict or None, default=None
        Keras callbacks: one (an instance or a class), a list, or a dict of
        name -> callback. ``callbacks__i__name`` (list) or
        ``callbacks__key__name`` (dict) configures one item,
        ``callbacks__name`` every class; ``callbacks__key__0`` is a class's
        first positional argument. Each fit gets fresh copies, so one list
        can be shared between clones and folds.

    validation_split : float, default=0.0
        Fraction of the training data held out each fit for Keras' validation
        (``val_loss`` and ``val_<metric>`` in ``history_``). The split is
        shuffled with ``random_state`` and stratified for single-output
        classification (unless a class is too rare to be in both parts),
        unlike Keras' "last rows" split.

    shuffle : bool, default=True
        Reshuffle the training data every epoch (seeded by ``random_state``).

    random_state : int, RandomState instance or None, default=None
        Seeds this estimator's initializers, dropout, shuffling and
        validation split; no global TensorFlow/Keras seed is touched.

    warm_start : bool, default=False
        Continue training the fitted model on the next ``fit``.

    device : str, default='auto'
        'auto' (TensorFlow's choice), 'cpu', 'gpu' or 'gpu:N'.

    run_eagerly : bool, default=False
        Run Keras' train step eagerly (for debugging).

    jit_compile : bool or 'auto', default=False
        XLA-compile Keras' train step.

    dtype : str or None, default=None
        The float type handed to the build function as ``dtype`` (and used
        by the default MLP): 'float32', 'float64', 'mixed_float16',
        'mixed_bfloat16' or None. None follows X on CPU (float32 input gives
        'float32', anything else 'float64') and is 'float32' on a GPU. A
        build function that ignores ``dtype`` computes in the dtype its
        layers declare (Keras' floatx, float32, by default); X and y are
        then fed in that dtype. With None, predictions come back in X's
        float dtype; with a dtype set, in that dtype (float32 for a mixed
        policy).
    MIXED
""").replace("\nMIXED\n", "\n" + MIXED_DTYPES + MIXED_BUILD_FN + "\n")
    + dedent(ON_NAN)
    + "\n"
    + TOOLKIT_PARAMETERS
    + "\n"
    + WRAPPER_TOOLKIT
    + dedent("""\

    **kwargs : dict
        Hyperparameters of the build function (``units=64``), routed
        parameters (``model__``, ``optimizer__``, ``loss__``, ``metrics__``,
        ``callbacks__``, ``compile__``, ``fit__``, ``predict__``) and
        keras.wrappers' ``model_kwargs`` / ``fit_kwargs`` dictionaries. All
        are parameters: ``get_params``, ``set_params``, ``clone`` and
        ``GridSearchCV`` see them; a misspelled name is an error that
        suggests the right one.
""")
)

WRAPPER_ATTRIBUTES = (
    dedent("""\
    model_ : keras.Model
        The fitted Keras model.

    history_ : dict of list
        Per-epoch values Keras logged: 'loss', metrics and, with
        ``validation_split``, 'val_loss' and 'val_<metric>'. Continued fits
        (``warm_start``, ``partial_fit``) append.
""")
    + HISTORY_KEYS
    + dedent("""\

    n_iter_ : int
        Number of epochs run by the last ``fit``.

    n_features_in_ : int
        Number of features (``X.shape[1]``) seen during fit; not set for
        dict/list (multi-input) X.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    X_shape_, X_dtype_, y_ndim_, y_dtype_, target_type_, n_outputs_, \
n_outputs_expected_ :
        What SciKeras build functions find in ``meta``.
""")
)
