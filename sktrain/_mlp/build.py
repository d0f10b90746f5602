"""Build the ready-made multi-layer perceptron as a ``keras.Model``.

Each hidden layer is ``Dense -> [BatchNormalization] -> Activation ->
[Dropout]``; the output layer is a ``Dense`` with the output activation.
The default ``kernel_initializer='sklearn'`` is sklearn's own scheme, drawn
with numpy from the estimator's ``RandomState`` (so a seed gives the same
initial weights in float32 and float64, and sklearn's for an int seed); a
Keras initializer and every dropout layer get their own seed drawn from it.
No global seed is ever touched.

With a mixed-precision ``dtype_policy`` ('mixed_bfloat16'), the hidden
layers get that Keras policy by name (half-precision compute, ``dtype``
variables) and the input and output layers stay in ``dtype`` (float32), so
the outputs, the loss and the softmax are float32; Keras' global policy is
never read or changed.
"""

import inspect
from dataclasses import dataclass

import numpy as np

from .._engine.backend import keras
from .._engine.seeds import draw_seed
from .._io.registry import state_class
from .._utils.validation import unknown_name_error

# sklearn activation names -> Keras names
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh"}
OUT_ACTIVATIONS = {
    "logistic": "sigmoid",
    "softmax": "softmax",
    "identity": "linear",
    "exp": "exponential",
}


@state_class
@dataclass(frozen=True)
class MLPSpec:
    """Everything that shapes the network (``alpha``, a runtime value of the
    loss, is None here; files of format 1 stored it)."""

    n_features: int
    hidden_layer_sizes: tuple
    activation: str
    n_outputs: int
    out_activation: str
    dropout: float
    l1: float
    l2: float
    alpha: float | None
    batch_norm: bool
    kernel_initializer: object
    dtype: str
    dtype_policy: str | None = None  # mixed precision of the hidden layers


def keras_activation(name):
    """Map an sklearn or Keras activation name to Keras (did-you-mean on typos)."""
    k = keras()
    name = ACTIVATIONS.get(name, name)
    try:
        k.activations.get(name)
    except (ValueError, TypeError):
        choices = [n for n in dir(k.activations) if not n.startswith("_")]
        raise unknown_name_error(
            "activation", name, choices + list(ACTIVATIONS)
        ) from None
    return name


SKLEARN_INIT = "sklearn"


def sklearn_initial_weights(spec, rng):
    """sklearn's ``_init_coef`` for every Dense layer: [kernel, bias, ...].

    Layer by layer, a kernel then a bias are drawn uniform in ``(-b, b)``
    with ``b = sqrt(factor / (fan_in + fan_out))``, ``factor`` 2 for a
    logistic (sigmoid) hidden activation and 6 otherwise, in float64 from
    ``rng`` (the order and draws of sklearn's MLP), then cast to the
    network's dtype.
    """
    factor = 2.0 if keras_activation(spec.activation) == "sigmoid" else 6.0
    units = [spec.n_features, *spec.hidden_layer_sizes, spec.n_outputs]
    weights = []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        weights.append(rng.uniform(-bound, bound, fan_out))
    return [w.astype(spec.dtype) for w in weights]


def _kernel_initializer(spec, rng):
    """The Dense layers' kernel initializer: 'zeros' for sklearn's scheme
    (``build_mlp`` assigns its weights; nothing is drawn from Python's
    global ``random``), else a fresh Keras one seeded from ``rng``."""
    if _is_sklearn_init(spec.kernel_initializer):
        return "zeros"
    return _initializer(spec.kernel_initializer, draw_seed(rng))


def _initializer(spec_init, seed):
    """A fresh, seeded Keras initializer from a name, class or instance."""
    k = keras()
    init = spec_init
    if isinstance(init, k.initializers.Initializer):
        return init.__class__.from_config(init.get_config())
    if isinstance(init, str):
        try:
            init = k.initializers.get(init).__class__
        except ValueError:
            choices = [n for n in dir(k.initializers) if n.islower()]
            choices.append(SKLEARN_INIT)
            raise unknown_name_error("kernel_initializer", spec_init, choices) from None
    if inspect.isclass(init):
        params = inspect.signature(init).parameters
        return init(seed=int(seed)) if "seed" in params else init()
    raise ValueError(
        "kernel_initializer must be 'sklearn' or a Keras initializer name, "
        f"class or instance; got {spec_init!r}."
    )


def _regularizer(spec):
    if spec.l1 == 0 and spec.l2 == 0:
        return None
    from .._factory.keras_objects import Penalty

    return Penalty(l1=spec.l1, l2=spec.l2)


def build_mlp(spec, rng, alpha=0.0):
    """Return an uncompiled ``keras.Model`` for ``spec``; seeds come from rng.

    ``alpha`` is sklearn's L2 penalty, applied in ``Network.compute_loss``.
    """
    k = keras()
    layers = k.layers
    sklearn_init = _is_sklearn_init(spec.kernel_initializer)
    # drawn first: an int seed gives sklearn's own initial weights
    initial = sklearn_initial_weights(spec, rng) if sklearn_init else None
    hidden_act = keras_activation(spec.activation)
    inputs = k.Input(shape=(spec.n_features,), dtype=spec.dtype, name="X")
    x = inputs
    hidden = spec.dtype_policy or spec.dtype  # a policy name or a dtype
    regularizer = _regularizer(spec)
    for i, units in enumerate(spec.hidden_layer_sizes, start=1):
        init = _kernel_initializer(spec, rng)
        x = layers.Dense(
            units,
            kernel_initializer=init,
            kernel_regularizer=regularizer,
            dtype=hidden,
            name=f"dense_{i}",
        )(x)
        if spec.batch_norm:
            x = layers.BatchNormalization(dtype=hidden, name=f"batch_norm_{i}")(x)
        x = layers.Activation(hidden_act, dtype=hidden, name=f"activation_{i}")(x)
        if spec.dropout > 0:
            seed = draw_seed(rng)
            x = layers.Dropout(
                spec.dropout, seed=seed, dtype=hidden, name=f"dropout_{i}"
            )(x)
    init = _kernel_initializer(spec, rng)
    outputs = layers.Dense(  # in spec.dtype: float32 outputs under a policy
        spec.n_outputs,
        activation=OUT_ACTIVATIONS[spec.out_activation],
        kernel_initializer=init,
        kernel_regularizer=regularizer,
        dtype=spec.dtype,
        name="output",
    )(x)
    from .._factory.keras_objects import Network

    model = Network(inputs, outputs, alpha=alpha, name="mlp")
    if initial is not None:
        for variable, value in zip(_dense_variables(model), initial, strict=True):
            variable.assign(value)
    return model


def _is_sklearn_init(init):
    return isinstance(init, str) and init == SKLEARN_INIT


def _dense_variables(model):
    """[kernel, bias, ...] of the model's Dense layers, in order."""
    return [v for d in dense_layers(model) for v in (d.kernel, d.bias)]


_FROM_KERAS = {v: k for k, v in OUT_ACTIVATIONS.items()}


def default_build_fn(
    n_features_in,
    n_outputs,
    output_activation,
    seed,
    dtype,
    hidden_layer_sizes=(100,),
    activation="relu",
    dropout=0.0,
):
    """The network the Keras* wrappers build when ``model=None``.

    sktrain's MLP (``Dense -> Activation -> [Dropout]`` per hidden layer) on
    2-D X; ``hidden_layer_sizes``, ``activation`` and ``dropout`` are its
    hyperparameters (``model__hidden_layer_sizes=(64, 64)``). ``dtype`` is
    a float dtype or a mixed-precision policy name ('mixed_bfloat16').
    """
    from .._engine.dtypes import dtype_policy, variable_dtype

    if n_features_in is None:
        raise ValueError(
            "model=None builds an MLP, which needs 2-D X (n_samples, "
            "n_features). For images, sequences or several inputs, pass your "
            "own model or build function as model=..."
        )
    sizes = (
        (hidden_layer_sizes,)
        if np.isscalar(hidden_layer_sizes)
        else (hidden_layer_sizes)
    )
    spec = MLPSpec(
        n_features=n_features_in,
        hidden_layer_sizes=tuple(int(s) for s in sizes),
        activation=activation,
        n_outputs=n_outputs,
        out_activation=_FROM_KERAS[output_activation],
        dropout=float(dropout),
        l1=0.0,
        l2=0.0,
        alpha=None,
        batch_norm=False,
        kernel_initializer="glorot_uniform",
        dtype=variable_dtype(dtype),
        dtype_policy=dtype_policy(dtype),
    )
    return build_mlp(spec, np.random.RandomState(seed))


def dense_layers(model):
    """The model's Dense layers in order (for ``coefs_``/``intercepts_``)."""
    Dense = keras().layers.Dense
    return [layer for layer in model.layers if isinstance(layer, Dense)]
