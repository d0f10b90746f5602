"""X as the network sees it: one array, or a dict / list of arrays.

A single input is a 2-D array (numpy, pandas, scipy sparse) or an N-D array
(images, sequences). A multi-input model takes a dict of arrays keyed by the
model's input names, or a list of arrays in the model's input order. The
helpers here map one function over every array of such a structure, so the
lifecycle never has to care which of the three it has.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array


def is_dict(X):
    """A dict of inputs (scipy's DOK matrix is a dict too, but one array)."""
    return isinstance(X, dict) and not sp.issparse(X)


def is_structured(X):
    """True for a multi-input X: a dict of arrays or a list/tuple of arrays."""
    if is_dict(X):
        return True
    if isinstance(X, (list, tuple)) and X:
        return all(_is_array(x) for x in X)
    return False


def _is_array(x):
    return isinstance(x, np.ndarray) or sp.issparse(x) or hasattr(x, "iloc")


def map_inputs(fn, X):
    """Apply ``fn`` to every array of (validated) X, keeping X's structure."""
    if is_dict(X):
        return {k: fn(v) for k, v in X.items()}
    if isinstance(X, (list, tuple)):
        return [fn(v) for v in X]
    return fn(X)


def map_inputs2(fn, X, other):
    """Apply ``fn(x, o)`` pairwise over X and a structure of the same shape."""
    if is_dict(X):
        return {k: fn(v, other[k] if is_dict(other) else other) for k, v in X.items()}
    if isinstance(X, (list, tuple)):
        return [
            fn(v, other[i] if isinstance(other, list) else other)
            for i, v in enumerate(X)
        ]
    return fn(X, other)


def leaves(X):
    """The arrays of X, in order."""
    if is_dict(X):
        return list(X.values())
    if isinstance(X, (list, tuple)):
        return list(X)
    return [X]


def n_samples(X):
    """Number of rows of X (the first array's, for structured X)."""
    return leaves(X)[0].shape[0]


def take_rows(X, idx):
    """Rows ``idx`` of every array of X (a lazy subset of a file's rows)."""
    return map_inputs(
        lambda a: a.take_rows(idx) if hasattr(a, "take_rows") else a[idx], X
    )


def cast_inputs(X, dtypes):
    """Cast X's arrays to ``dtypes`` (one dtype, or a structure like X).

    A ``None`` dtype leaves that array alone (e.g. integer token ids).
    """

    def cast(a, dtype):
        if dtype is None or a.dtype == dtype:
            return a
        return a.astype(dtype)

    return map_inputs2(cast, X, dtypes)


def sample_shapes(X):
    """Per-sample shape of each array of X (structure like X)."""
    return map_inputs(lambda a: tuple(a.shape[1:]), X)


def check_input_arrays(X, *, name):
    """Validate each array of a structured or N-D X (numeric, finite, same rows).

    Integer arrays keep their type (token ids for an Embedding layer);
    everything else becomes a float array. In a dict or list of inputs a 1-D
    array is one feature per sample (n_samples, 1), as in Keras.
    """

    def check(a):
        dtype = None if np.asarray(a[:0]).dtype.kind in "iub" else "numeric"
        return check_array(
            a,
            accept_sparse="csr",
            allow_nd=True,
            dtype=dtype,
            ensure_2d=False,
            input_name="X",
        )

    if isinstance(X, (list, tuple)) and not is_structured(X):
        X = np.asarray(X)
    X = map_inputs(check, X)
    if is_structured(X):  # one input of a multi-input model may be one feature
        X = map_inputs(lambda a: a.reshape(-1, 1) if a.ndim == 1 else a, X)
    for a in leaves(X):
        if a.ndim < 2:
            raise ValueError(
                f"{name} expects each input array to be at least 2-D "
                f"(n_samples, ...), got an array of shape {a.shape}. Reshape "
                "a single feature with X.reshape(-1, 1)."
            )
    rows = {a.shape[0] for a in leaves(X)}
    if len(rows) > 1:
        raise ValueError(
            f"All input arrays must have the same number of samples; got "
            f"{sorted(rows)}."
        )
    return X


def check_same_inputs(X, expected, *, name):
    """Raise if X's structure or per-sample shapes differ from the fitted ones."""
    got = sample_shapes(X)
    if type(got) is not type(expected) or (is_dict(got) and set(got) != set(expected)):
        raise ValueError(
            f"X has a different structure than the data {name} was fitted on: "
            f"expected {_describe(expected)}, got {_describe(got)}."
        )
    if isinstance(got, list) and len(got) != len(expected):
        raise ValueError(
            f"X has {len(got)} input arrays, but {name} was fitted with "
            f"{len(expected)}."
        )
    if is_dict(got):
        pairs = [(k, got[k], expected[k]) for k in expected]
    elif isinstance(got, list):
        pairs = list(zip(range(len(got)), got, expected))
    else:
        pairs = [(None, got, expected)]
    for key, g, e in pairs:
        if tuple(g) != tuple(e):
            where = "" if not is_structured(X) else f" (input {key!r})"
            raise ValueError(
                f"X{where} has samples of shape {tuple(g)}, but {name} is "
                f"expecting samples of shape {tuple(e)} as input (the number "
                "of dimensions in X and their sizes must stay the same)."
            )


def _describe(shapes):
    if is_dict(shapes):
        return f"a dict with keys {sorted(shapes)}"
    if isinstance(shapes, list):
        return f"a list of {len(shapes)} arrays"
    return "a single array"
