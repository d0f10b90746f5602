"""The one dtype rule of every estimator.

- ``dtype`` set ('float32' / 'float64'): the network computes in it.
- On CPU, ``dtype=None`` follows X like sklearn: float32 X stays float32,
  anything else (float64, ints, mixed) computes in float64.
- On a GPU, ``dtype=None`` computes in float32 (float64 runs at a small
  fraction of float32's rate there and misses the tensor cores);
  ``dtype='float64'`` still asks for float64.

With ``dtype=None`` predictions come back in X's float dtype, whatever the
network computed in; for non-float X (ints, bools) in the dtype the network
computed in (float64 for the MLP on CPU, as sklearn; a wrapped model's own,
usually Keras' float32, as SciKeras). With ``dtype`` set they come back in
that dtype.
"""

import numpy as np

from .backend import on_gpu
from .inputs import leaves


def compute_dtype(requested, X, device):
    """The float dtype name the network computes in (see the module doc)."""
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


def as_output(out, X, computed):
    """Cast a float network output (array or list) to ``output_dtype``."""
    dtype = output_dtype(X, computed)
    if isinstance(out, list):
        return [as_output(o, X, computed) for o in out]
    if out.dtype.kind == "f" and out.dtype != dtype:
        return out.astype(dtype)
    return out
