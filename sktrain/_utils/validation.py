"""Input validation shared by every estimator: X, sample weights, names."""

import contextlib
import difflib

import numpy as np
from sklearn.utils.validation import _check_sample_weight
from sklearn.utils.validation import validate_data as _sk_validate_data

# X is validated as float64 or float32 as given; the engine casts it to the
# network's dtype when it is fed (one dtype rule: _engine/dtypes.py)
_FLOATS = (np.float64, np.float32)


def did_you_mean(name, choices):
    """Return ' Did you mean 'x'?' for the closest of ``choices``, or ''."""
    matches = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f" Did you mean {matches[0]!r}?" if matches else ""


def unknown_name_error(kind, name, choices):
    """A ValueError for an unknown loss/optimizer/activation name."""
    return ValueError(
        f"Unknown {kind} {name!r}.{did_you_mean(name, choices)} "
        f"Valid names include: {', '.join(sorted(choices)[:30])}."
    )


@contextlib.contextmanager
def explain_non_numeric(name):
    """Turn numpy's 'could not convert string to float' into advice."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if "could not convert" not in text and "numeric" not in text:
            raise
        raise ValueError(
            f"{name} needs numeric input, but X has non-numeric values "
            f"({text}). Encode categorical or text columns first, e.g. with "
            "sklearn.compose.ColumnTransformer and OneHotEncoder (categories) "
            "or TfidfVectorizer (text), in a Pipeline before the estimator."
        ) from exc


def validate_data(estimator, X, y="no_validation", **kwargs):
    """sklearn's ``validate_data`` with advice for non-numeric X; a
    ``numpy.memmap`` is checked in chunks and read in rows (``filerows.py``),
    a ``tf.data.Dataset`` or a generator factory refused."""
    from .filerows import FileRows, file_backed, validate_file_rows

    if file_backed(X) or isinstance(X, FileRows):
        return validate_file_rows(estimator, X, y, **kwargs)
    refuse_stream(estimator, X)
    with explain_non_numeric(type(estimator).__name__):
        return _sk_validate_data(estimator, X, y, **kwargs)


def is_stream(X):
    """True for a ``tf.data.Dataset`` or a generator factory (a zero-argument
    callable returning an iterator of batches), without importing TensorFlow."""
    if hasattr(X, "element_spec") and type(X).__module__.startswith("tensorflow"):
        return True
    return callable(X) and not hasattr(X, "shape") and not hasattr(X, "fit")


def refuse_stream(estimator, X):
    """The error for a dataset given to an estimator that takes arrays only."""
    if is_stream(X):
        raise TypeError(
            f"{type(estimator).__name__} takes arrays (a numpy.memmap streams "
            "from disk); a tf.data.Dataset or a generator factory is taken by "
            "KerasClassifier, KerasRegressor and KerasTransformer."
        )


def validate_X(estimator, X, *, reset):
    """Validate X as a finite 2-D float array (sklearn's wording on errors)."""
    return validate_data(estimator, X, reset=reset, dtype=_FLOATS, accept_sparse="csr")


def validate_X_y(estimator, X, y, *, reset, multi_output):
    """Validate X and y together; y keeps its own dtype (labels may be str)."""
    return validate_data(
        estimator,
        X,
        y,
        reset=reset,
        dtype=_FLOATS,
        multi_output=multi_output,
        y_numeric=False,
        accept_sparse="csr",
    )


def check_sample_weight(sample_weight, X):
    """Validate sample weights: right length, finite, non-negative, not all 0."""
    if sample_weight is not None:  # before sklearn's check, with our advice
        values = np.asarray(sample_weight)
        if values.ndim and values.size and not values.any():
            raise ValueError(
                "Sample weights are zero for every sample (only zeros were "
                "passed in sample_weight); at least one sample needs a positive "
                "weight to train on."
            )
    return _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )


def validate_y_val(y_val, X_val):
    """Validate y_val like fit's y (labels may be str) and its length."""
    from sklearn.utils import check_array

    y_val = check_array(
        y_val, ensure_2d=False, dtype=None, ensure_all_finite=True, input_name="y_val"
    )
    first = X_val if hasattr(X_val, "shape") else _first_leaf(X_val)
    if first.shape[0] != y_val.shape[0]:
        raise ValueError(
            f"X_val and y_val have different numbers of samples: "
            f"{first.shape[0]} and {y_val.shape[0]}."
        )
    return y_val


def validate_val_data(est, X_val, y_val, sample_weight_val):
    """``(X_val, y_val, sample_weight_val)`` of ``est``'s fit, checked like
    its training data (``est._validate_X``, ``est._check_y``), or None."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        raise ValueError(
            "Pass both X_val and y_val (validation data), or neither; got "
            f"only {'X_val' if y_val is None else 'y_val'}."
        )
    X_val = est._validate_X(X_val, reset=False)
    y_val = est._check_y(validate_y_val(y_val, X_val))
    return (X_val, y_val, sample_weight_val)


def _first_leaf(X):
    values = list(X.values()) if isinstance(X, dict) else list(X)
    return np.asarray(values[0])
