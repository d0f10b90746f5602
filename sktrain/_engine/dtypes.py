"""The one dtype rule of every estimator.

- ``dtype`` set ('float32' / 'float64'): the network computes in it.
- On CPU, ``dtype=None`` follows X like sklearn: float32 X stays float32,
  anything else (float64, ints, mixed) computes in float64.
- On a GPU, ``dtype=None`` computes in float32 (float64 runs at a small
  fraction of float32's rate there and misses the tensor cores);
  ``dtype='float64'`` still asks for float64.

- ``dtype='mixed_float16'`` / ``'mixed_bfloat16'``: a mixed-precision
  *policy*, a separate concept (``dtype_policy``). The float dtype of the
  network (``compute_dtype``, the estimator's ``_dtype``: targets, inputs,
  variables, outputs, loss) stays float32; only the layers' computations run
  in half precision, each layer given the Keras policy by name (never
  Keras' global policy).

With ``dtype=None`` predictions come back in X's float dtype, whatever the
network computed in; for non-float X (ints, bools) in the dtype the network
computed in (float64 for the MLP on CPU, as sklearn; a wrapped model's own,
usually Keras' float32, as SciKeras). With ``dtype`` set they come back in
the network's float dtype: that dtype, float32 for a mixed policy.
"""

import numpy as np

from .backend import on_gpu
from .inputs import leaves
from .options import MIXED_DTYPES

# mixed-precision policy -> the dtype its layers compute in
MIXED_POLICIES = {name: name.removeprefix("mixed_") for name in MIXED_DTYPES}


def dtype_policy(requested):
    """The Keras dtype policy name of the network's hidden layers when
    ``dtype`` asks for mixed precision ('mixed_float16', 'mixed_bfloat16'),
    else None (every layer is in ``compute_dtype``)."""
    return requested if requested in MIXED_POLICIES else None


def variable_dtype(dtype):
    """The float dtype of the variables for a ``dtype`` argument that may
    name a mixed policy: float32 for one, else ``dtype`` itself."""
    return "float32" if dtype in MIXED_POLICIES else dtype


def compute_dtype(requested, X, device):
    """The float dtype name of the network: its variables, inputs, targets
    and outputs (see the module doc; float32 for a mixed policy)."""
    if dtype_policy(requested) is not None:
        return "float32"
    if requested is not None:
        return np.dtype(requested).name
    if on_gpu(device):
        return "float32"
    floats = [a.dtype for a in leaves(X) if a.dtype.kind == "f"]
    if floats and all(d == np.float32 for d in floats):
        return "float32"
    return "float64"


def output_dtype(X, computed):
    """The float dtype predictions are returned in: X's own, else the one
    the network ``computed`` in."""
    floats = [a.dtype for a in leaves(X) if a.dtype.kind == "f"]
    return floats[0] if floats else np.dtype(computed)


def as_output(out, X, computed, requested=None):
    """Cast a float network output (array or list) to ``output_dtype``, or,
    with ``dtype`` ``requested``, to the network's ``computed`` dtype (an
    output layer left in half precision comes back float32)."""
    dtype = np.dtype(computed) if requested is not None else output_dtype(X, computed)
    if isinstance(out, list):
        return [as_output(o, X, computed, requested) for o in out]
    half = out.dtype.name in MIXED_POLICIES.values()  # ml_dtypes' bfloat16: 'V'
    if (out.dtype.kind == "f" or half) and out.dtype != dtype:
        return out.astype(dtype)
    return out
