"""Build the ready-made multi-layer perceptron as a ``keras.Model``.

Each hidden layer is ``Dense -> [BatchNormalization] -> Activation ->
[Dropout]``; the output layer is a ``Dense`` with the output activation.
Every random component (initializers, dropout) gets its own seed drawn from
the estimator's ``random_state``, so no global seed is ever touched.
"""

import inspect
from dataclasses import dataclass

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
            raise unknown_name_error("kernel_initializer", spec_init, choices) from None
    if inspect.isclass(init):
        params = inspect.signature(init).parameters
        return init(seed=int(seed)) if "seed" in params else init()
    raise ValueError(
        "kernel_initializer must be a Keras initializer name, class or instance; "
        f"got {spec_init!r}."
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
    hidden_act = keras_activation(spec.activation)
    inputs = k.Input(shape=(spec.n_features,), dtype=spec.dtype, name="X")
    x = inputs
    common = {"dtype": spec.dtype, "kernel_regularizer": _regularizer(spec)}
    for i, units in enumerate(spec.hidden_layer_sizes, start=1):
        init = _initializer(spec.kernel_initializer, draw_seed(rng))
        x = layers.Dense(units, kernel_initializer=init, name=f"dense_{i}", **common)(x)
        if spec.batch_norm:
            x = layers.BatchNormalization(dtype=spec.dtype, name=f"batch_norm_{i}")(x)
        x = layers.Activation(hidden_act, dtype=spec.dtype, name=f"activation_{i}")(x)
        if spec.dropout > 0:
            seed = draw_seed(rng)
            x = layers.Dropout(
                spec.dropout, seed=seed, dtype=spec.dtype, name=f"dropout_{i}"
            )(x)
    init = _initializer(spec.kernel_initializer, draw_seed(rng))
    outputs = layers.Dense(
        spec.n_outputs,
        activation=OUT_ACTIVATIONS[spec.out_activation],
        kernel_initializer=init,
        name="output",
        **common,
    )(x)
    from .._factory.keras_objects import Network

    return Network(inputs, outputs, alpha=alpha, name="mlp")


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
    hyperparameters (``model__hidden_layer_sizes=(64, 64)``).
    """
    import numpy as np

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
        dtype=dtype,
    )
    return build_mlp(spec, np.random.RandomState(seed))


def dense_layers(model):
    """The model's Dense layers in order (for ``coefs_``/``intercepts_``)."""
    Dense = keras().layers.Dense
    return [layer for layer in model.layers if isinstance(layer, Dense)]
