"""X larger than memory: a ``numpy.memmap`` read in rows, never mapped.

A C-ordered ``numpy.memmap`` (``np.memmap(...)``, ``np.load(...,
mmap_mode='r')``) becomes a ``FileRows``: the file, the byte position of its
first row, dtype and shape. Every read is a positional read (``os.preadv``)
into a new array of just the rows asked for (sorted, consecutive rows in one
call), so the data passes through the kernel's page cache and never through
the process' mapping: pages of a mapped file that were read count in the
process' RSS until the kernel needs them back, and reading a 2 GiB memmap
through its mapping would raise RSS by 2 GiB without copying anything.
Reading rows costs ~2 us a row from the page cache (~7x numpy's fancy
indexing of the mapping), a small part of a training step.

A ``FileRows`` is lazy: ``astype`` casts each read, ``take_rows`` keeps a
subset of the rows (a validation split); ``__getitem__`` and ``__array__``
read. Validation (``validate_file_rows``) checks dtype, shape and
finiteness chunk by chunk, as sklearn's ``check_array`` would on the whole.
"""

import mmap
import os

import numpy as np

CHECK_BYTES = 64 * 2**20  # bytes per chunk of the finite check


def file_backed(X):
    """True for a ``numpy.memmap`` sktrain reads in rows: C-contiguous, at
    least 2-D, of a numeric dtype, with its mapping (a view keeps it)."""
    return (
        isinstance(X, np.memmap)
        and getattr(X, "_mmap", None) is not None
        and X.filename is not None
        and X.ndim >= 2
        and X.flags.c_contiguous
        and X.dtype.kind in "fiub"
    )


class FileRows:
    """Rows of a C-ordered array stored in a file (see the module doc)."""

    def __init__(self, path, position, file_dtype, shape, rows=None, dtype=None):
        self.path, self.position = path, int(position)
        self.file_dtype = np.dtype(file_dtype)
        self.dtype = np.dtype(dtype or file_dtype)
        self._file_rows = int(shape[0])
        self.sample_shape = tuple(int(d) for d in shape[1:])
        self.rows = rows  # an int64 subset of the file's rows, or None: all

    @classmethod
    def from_memmap(cls, X):
        """The ``FileRows`` of a memmap for which ``file_backed(X)``."""
        mapped = np.frombuffer(X._mmap, np.uint8).ctypes.data
        start = X.offset - X.offset % mmap.ALLOCATIONGRANULARITY
        position = start + (X.ctypes.data - mapped)
        return cls(os.fspath(X.filename), position, X.dtype, X.shape)

    @property
    def shape(self):
        n = self._file_rows if self.rows is None else len(self.rows)
        return (n, *self.sample_shape)

    @property
    def ndim(self):
        return 1 + len(self.sample_shape)

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"FileRows({self.path!r}, shape={self.shape}, dtype={self.dtype})"

    def _copy(self, **changes):
        shape = (self._file_rows, *self.sample_shape)
        kept = dict(rows=self.rows, dtype=self.dtype)
        return FileRows(
            self.path, self.position, self.file_dtype, shape, **{**kept, **changes}
        )

    def astype(self, dtype, copy=True):
        """The same rows, each read cast to ``dtype``."""
        return self._copy(dtype=dtype)

    def take_rows(self, idx):
        """A lazy subset of the rows (an index array or a slice)."""
        mine = np.arange(len(self), dtype=np.int64)[idx]
        return self._copy(rows=mine if self.rows is None else self.rows[mine])

    def read(self, idx):
        """Rows ``idx`` (int indices, in that order) as a new array."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        file_idx = idx if self.rows is None else self.rows[idx]
        out = _pread_rows(self, file_idx)
        return out if self.dtype == self.file_dtype else out.astype(self.dtype)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            idx = np.arange(*idx.indices(len(self)))
        return self.read(np.atleast_1d(idx))

    def __array__(self, dtype=None, copy=None):
        out = self.read(np.arange(len(self)))
        return out if dtype is None else out.astype(dtype, copy=False)

    def chunks(self, nbytes=CHECK_BYTES):
        """Consecutive row blocks of about ``nbytes`` each, as arrays."""
        row_bytes = max(1, self.file_dtype.itemsize * int(np.prod(self.sample_shape)))
        step = max(1, nbytes // row_bytes)
        for start in range(0, len(self), step):
            yield self[start : start + step]


def _pread_rows(source, file_idx):
    """Read file rows ``file_idx`` into a new array, in that order: sorted,
    each run of consecutive rows is one ``os.preadv``."""
    row_bytes = source.file_dtype.itemsize * int(np.prod(source.sample_shape))
    out = np.empty((len(file_idx), *source.sample_shape), source.file_dtype)
    if not len(file_idx):
        return out
    order = np.argsort(file_idx, kind="stable")
    sorted_idx = file_idx[order]
    buf = out if np.all(order[1:] > order[:-1]) else np.empty_like(out)
    view = memoryview(buf.reshape(-1).view(np.uint8))
    breaks = np.flatnonzero(np.diff(sorted_idx) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(sorted_idx)]])
    fd = os.open(source.path, os.O_RDONLY)
    try:
        for a, b in zip(starts.tolist(), ends.tolist()):
            _read_exactly(
                fd,
                view[a * row_bytes : b * row_bytes],
                source.position + int(sorted_idx[a]) * row_bytes,
            )
    finally:
        os.close(fd)
    if buf is not out:
        out[order] = buf
    return out


def _read_exactly(fd, view, position):
    while len(view):
        got = os.preadv(fd, [view], position)
        if got <= 0:
            raise OSError(f"unexpected end of file at byte {position}")
        view, position = view[got:], position + got


def validate_file_rows(est, X, y="no_validation", **kwargs):
    """sklearn's ``validate_data`` for a file-backed X (a ``file_backed``
    memmap, or a ``FileRows`` sktrain made and checked): the same checks and
    fitted attributes (``n_features_in_``), read chunk by chunk; X comes
    back as a ``FileRows`` (cast on read to the first of a ``dtype`` tuple
    when its own dtype is not a float)."""
    from sklearn.utils import get_tags
    from sklearn.utils.validation import (
        _assert_all_finite,
        _check_feature_names,
        _check_n_features,
        _check_y,
        check_consistent_length,
    )

    name = type(est).__name__
    rows = X if isinstance(X, FileRows) else FileRows.from_memmap(X)
    if rows.ndim != 2 and not kwargs.get("allow_nd", False):
        raise ValueError(f"Found array with dim {rows.ndim}. {name} expected <= 2.")
    if not len(rows):
        raise ValueError(
            f"Found array with 0 sample(s) (shape={rows.shape}) while a minimum "
            f"of 1 is required by {name}."
        )
    if not isinstance(X, FileRows) and rows.dtype.kind == "f":
        for chunk in rows.chunks():
            _assert_all_finite(chunk, input_name="X", estimator_name=name)
    dtype = kwargs.get("dtype", "numeric")
    if isinstance(dtype, (tuple, list)) and rows.dtype not in dtype:
        rows = rows.astype(dtype[0])
    reset = kwargs.get("reset", True)
    _check_n_features(est, rows, reset=reset)
    _check_feature_names(est, rows, reset=reset)
    if isinstance(y, str) and y == "no_validation":
        return rows
    if y is None:
        if get_tags(est).target_tags.required:
            raise ValueError(
                f"This {name} estimator requires y to be passed, but the "
                "target y is None."
            )
        return rows
    multi_output = kwargs.get("multi_output", False)
    y_numeric = kwargs.get("y_numeric", False)
    y = _check_y(y, multi_output=multi_output, y_numeric=y_numeric, estimator=est)
    check_consistent_length(rows, y)
    return rows, y
