"""X larger than memory: a ``numpy.memmap`` is read in rows, never copied.

The fast tests check that a memmap gives the same fit and predictions as the
array it holds (the batches come from the file, read by positional reads),
for both families, with a validation split and with early stopping; and
that validation reads it chunk by chunk with sklearn's messages. The slow
test streams a 2 GiB file (1 epoch, then a chunked prediction) and bounds
the growth of the process' RSS, sampled every 2 ms by a thread.
"""

import os
import shutil
import threading
import time
import warnings

import numpy as np
import psutil  # the test extras install it (CI fails on a skipped module)
import pytest
from sklearn.base import clone

from sktrain import KerasClassifier, KerasRegressor, MLPClassifier, MLPRegressor
from sktrain._utils.filerows import FileRows

MiB = 2**20


@pytest.fixture
def small_memmap(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    return X, np.load(tmp_path / "X.npy", mmap_mode="r")


@pytest.fixture
def reads(monkeypatch):
    """The number of row reads from a file (every batch is one)."""
    calls = []
    original = FileRows.read

    def counted(self, idx):
        calls.append(len(np.atleast_1d(idx)))
        return original(self, idx)

    monkeypatch.setattr(FileRows, "read", counted)
    return calls


def _targets(X):
    return (X[:, 0] + X[:, 1] > 0).astype(int), X[:, 0] * 2 + X[:, 2]


@pytest.mark.parametrize(
    "est",
    [
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0),
        MLPClassifier(
            hidden_layer_sizes=(8,), max_iter=4, early_stopping=True, random_state=0
        ),
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=4, random_state=0),
        KerasClassifier(epochs=3, batch_size=64, validation_split=0.2, random_state=0),
        KerasRegressor(epochs=3, batch_size=64, random_state=0),
    ],
    ids=[
        "mlp-clf",
        "mlp-clf-early-stopping",
        "mlp-reg",
        "keras-clf-split",
        "keras-reg",
    ],
)
def test_memmap_fit_equals_the_array_fit(est, small_memmap, reads):
    X, mm = small_memmap
    y_clf, y_reg = _targets(X)
    y = y_reg if "Regressor" in type(est).__name__ else y_clf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        in_memory = clone(est).fit(X, y)
        assert not reads
        streamed = clone(est).fit(mm, y)
    assert len(reads) >= est.get_params().get("epochs", 4)  # batches from the file
    method = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    expected = getattr(in_memory, method)(X)
    got = getattr(streamed, method)(mm)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(streamed.predict(mm[:5]), in_memory.predict(X[:5]))
    assert streamed.n_features_in_ == X.shape[1]
    assert (
        streamed.history_.get(
            "loss", streamed.loss_curve_ if hasattr(streamed, "loss_curve_") else None
        )
        is not None
    )


def test_memmap_chunked_prediction_reads_row_blocks(small_memmap, reads):
    X, mm = small_memmap
    y, _ = _targets(X)
    est = KerasClassifier(epochs=1, random_state=0, predict__batch_size=128).fit(X, y)
    proba = est.predict_proba(mm)
    # the finite check (one 64 MiB block here), then three chunks of rows
    assert reads == [300, 128, 128, 44]
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=1e-6)


def test_memmap_validation(tmp_path):
    X = np.ones((50, 3), dtype=np.float64)
    X[7, 1] = np.nan
    np.save(tmp_path / "nan.npy", X)
    mm = np.load(tmp_path / "nan.npy", mmap_mode="r")
    y = np.arange(50) % 2
    est = MLPClassifier(max_iter=1)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(mm, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(mm[20:30], y)
    ints = np.lib.format.open_memmap(tmp_path / "i.npy", "w+", np.int16, (50, 3))
    ints[:] = np.arange(150).reshape(50, 3) % 5
    ints.flush()
    fitted = KerasRegressor(epochs=1, random_state=0).fit(ints, y.astype(float))
    assert fitted.n_features_in_ == 3
    with pytest.raises(ValueError, match="X has 2 features"):
        fitted.predict(ints[:, :2])  # a view that is not contiguous: read as usual


def test_memmap_rows_of_a_view_and_an_offset(tmp_path):
    path = tmp_path / "raw.bin"
    data = np.arange(40 * 4, dtype=np.float32).reshape(40, 4)
    with open(path, "wb") as f:
        f.write(b"x" * 100)
        data.tofile(f)
    mm = np.memmap(path, dtype=np.float32, mode="r", offset=100, shape=(40, 4))
    rows = FileRows.from_memmap(mm[5:30])
    np.testing.assert_array_equal(rows[[3, 1, 2, 10]], data[5:30][[3, 1, 2, 10]])
    np.testing.assert_array_equal(np.asarray(rows.take_rows([4, 0])), data[[9, 5]])
    np.testing.assert_array_equal(rows.astype(np.float64)[2:4], data[7:9])


# -- a 2 GiB file -------------------------------------------------------------
N_FEATURES = 256  # float32: 1 KiB a row
N_ROWS = 2 * 2**30 // (4 * N_FEATURES)  # 2 GiB on disk
WRITE_ROWS = 65536  # 64 MiB a chunk


def _write(path, rng):
    """Real data (no sparse file), written with file writes, not a mapping:
    a writable mapping's dirty pages would count in this process' RSS. One
    64 MiB block of normal rows is drawn; each chunk is a scaled
    permutation of it (drawing 2 GiB of normals took ~25 s of the test)."""
    w = rng.normal(size=N_FEATURES).astype(np.float32)
    block = rng.standard_normal((WRITE_ROWS, N_FEATURES), dtype=np.float32)
    labels = []
    with open(path, "wb") as f:
        for k in range(N_ROWS // WRITE_ROWS):
            chunk = block[rng.permutation(WRITE_ROWS)] * np.float32(1 + k / 32)
            labels.append((chunk @ w > 0).astype(np.int8))
            chunk.tofile(f)
    return np.concatenate(labels)


class RssSampler(threading.Thread):
    """The peak RSS (psutil) and /proc's RssAnon/RssFile at that peak."""

    def __init__(self, interval=0.002):
        super().__init__(daemon=True)
        self.interval, self.process = interval, psutil.Process()
        self.peak, self.at_peak, self.done = 0, {}, threading.Event()

    def run(self):
        while not self.done.is_set():
            rss = self.process.memory_info().rss
            if rss > self.peak:
                self.peak, self.at_peak = rss, _proc_status()
            time.sleep(self.interval)

    def stop(self):
        self.done.set()
        self.join()


def _proc_status():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if line.startswith("Rss"))
    return {k: int(v.split()[0]) * 1024 for k, v in fields.items()}


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_a_2_gib_memmap_streams_with_bounded_rss(tmp_path):
    free = shutil.disk_usage(tmp_path).free
    if free < 4 * 2**30:
        pytest.skip(f"needs 4 GiB free in {tmp_path}, has {free / 2**30:.1f}")
    path = tmp_path / "X.f32"
    y = _write(path, np.random.default_rng(0))
    try:
        X = np.memmap(path, dtype=np.float32, mode="r", shape=(N_ROWS, N_FEATURES))
        est = MLPClassifier(
            hidden_layer_sizes=(8,), batch_size=8192, max_iter=1, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: one epoch
            clone(est).fit(X[:20000], y[:20000])  # TensorFlow's one-time costs
            base = psutil.Process().memory_info().rss
            start = _proc_status()
            sampler = RssSampler()
            sampler.start()
            try:
                est.fit(X, y)
                proba = est.predict_proba(X)
            finally:
                sampler.stop()
        growth = (sampler.peak - base) / MiB
        anon = (sampler.at_peak["RssAnon"] - start["RssAnon"]) / MiB
        mapped = (sampler.at_peak["RssFile"] - start["RssFile"]) / MiB
        print(f"RSS growth {growth:.0f} MiB (anon {anon:.0f}, file {mapped:.0f})")
        assert growth < 300, f"RSS grew {growth:.0f} MiB (anon {anon:.0f})"
        assert proba.shape == (N_ROWS, 2)
        accuracy = np.mean((proba[:, 1] > 0.5) == y)
        assert accuracy > 0.8  # a linear rule, learned in one epoch
    finally:
        path.unlink()
