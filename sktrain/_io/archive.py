"""``est.save(path)`` / ``sktrain.load(path)``: one file, data only.

The file is a zip archive holding

- ``sktrain.json``: format and library versions, the estimator's class, its
  parameters and its stored fitted state (``schema.py``) as tagged JSON
  (``codec.py``), and the SHA-256 of every other member;
- ``arrays/<n>.npy``: every NumPy array of that state;
- ``model.keras``: the fitted network in Keras' native format;
- ``estimators/<n>.sktrain``: a registered estimator held in the state (a
  distilled estimator's student), itself a sealed archive of this format;

and, as the zip comment, the SHA-256 of every byte before it, so a
truncated or bit-flipped file is refused before anything in it is read.
Files are written to a temporary file and renamed into place: a killed
process leaves the previous file intact. Nothing is pickled; Keras loads the
network in ``safe_mode`` (no Lambda layers unless ``safe_mode=False``).
Every way a file can be unreadable is a ``ValueError`` that says so.
"""

import hashlib
import io
import json
import os
import re
import tempfile
import warnings
import zipfile

import numpy as np

from .codec import Reader, Writer
from .registry import ESTIMATORS
from .schema import FORMAT_VERSION, migrate, rehydrate, split_state

FORMAT = "sktrain-estimator"
_MANIFEST = "sktrain.json"
_MODEL = "model.keras"
_SEAL = re.compile(rb"sktrain-sha256:([0-9a-f]{64})\Z")
_SEAL_LEN = len(b"sktrain-sha256:") + 64


class FileError(ValueError):
    """A file sktrain cannot load; the message says why."""


# -- writing ----------------------------------------------------------------
def save(est, path):
    """Write ``est`` (fitted or not) to ``path``; see the module docstring."""
    data, unsaved = _archive_bytes(est)
    if unsaved:
        warnings.warn(
            f"Not saved (not storable as data): {sorted(set(unsaved))}. "
            "They load as None; set them again before refitting.",
            UserWarning,
            stacklevel=3,
        )
    _write_atomically(os.fspath(path), data)


def _archive_bytes(est):
    """(the sealed archive of ``est``, names not storable as data)."""
    from .._engine.backend import keras
    from .._version import __version__

    writer = Writer(nest=_archive_bytes)
    params, state = split_state(est)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sktrain_version": __version__,
        "keras_version": keras().__version__,
        "class": type(est).__name__,
        "params": {n: writer.encode(v, n) for n, v in params.items()},
        "state": {n: writer.encode(v, n) for n, v in state.items()},
        "fitted": "model_" in vars(est),
    }
    members = {name: _npy(array) for name, array in writer.arrays.items()}
    members.update(writer.nested)
    if manifest["fitted"]:
        members[_MODEL] = _model_bytes(est.model_)
    manifest["digests"] = {n: _sha(b) for n, b in members.items()}
    return _sealed_zip(manifest, members), writer.unsaved


def _npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _model_bytes(model):
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, _MODEL)
        model.save(model_path)
        with open(model_path, "rb") as f:
            return f.read()


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _sealed_zip(manifest, members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
        zf.comment = b"0" * _SEAL_LEN  # the seal's length, filled in below
    data = buf.getvalue()[:-_SEAL_LEN]
    return data + b"sktrain-sha256:" + _sha(data).encode()


def _write_atomically(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sktrain-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# -- reading ----------------------------------------------------------------
def load(path, *, safe_mode=True):
    """Load an estimator written by ``save``; see the module docstring."""
    name = os.fspath(path)
    with open(name, "rb") as f:
        data = f.read()
    try:
        est, skipped = _load_bytes(data, safe_mode)
    except FileError as exc:
        raise FileError(f"{name!r}: {exc}") from exc.__cause__
    except Exception as exc:  # noqa: BLE001 - any other fault is a bad file
        raise FileError(
            f"{name!r} is not a readable sktrain estimator file (it may be "
            f"truncated, corrupted or another kind of file): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if skipped:
        warnings.warn(
            f"Not restored: {sorted(set(skipped))} (stored as import names "
            "or not storable). They are None; load with safe_mode=False to import "
            "functions, or set them with set_params before refitting.",
            UserWarning,
            stacklevel=3,
        )
    return est


def _load_bytes(data, safe_mode):
    sealed = _check_seal(data)
    zf = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(zf.read(_MANIFEST))
    version = _check_manifest(manifest, sealed)
    if version >= 2:
        _check_digests(zf, manifest)
    cls = ESTIMATORS.get(manifest["class"])
    if cls is None:
        raise FileError(f"unknown estimator class {manifest['class']!r}.")
    reader = Reader(zf, safe_mode, nest=_load_bytes)
    params = {n: reader.decode(v, n) for n, v in manifest["params"].items()}
    state = {n: reader.decode(v, n) for n, v in manifest["state"].items()}
    est = cls(**params)
    state = migrate(cls, state, version)
    model = _load_model(zf, manifest, safe_mode) if manifest["fitted"] else None
    return rehydrate(est, {}, state, model), reader.skipped


def _check_seal(data):
    """True if the file carries a seal (format 2 on); raise if it is wrong."""
    match = _SEAL.search(data[-_SEAL_LEN:])
    if match is None:
        return False
    if _sha(data[:-_SEAL_LEN]).encode() != match.group(1):
        raise FileError(
            "the file is corrupted (its checksum does not match its contents; "
            "it may have been truncated or altered). Save the estimator again."
        )
    return True


def _check_manifest(manifest, sealed):
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FileError("not an sktrain estimator file.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise FileError(f"unknown file format version {version!r}.")
    if version > FORMAT_VERSION:
        raise FileError(
            f"written by sktrain {manifest.get('sktrain_version')} in file "
            f"format {version}; this sktrain reads format {FORMAT_VERSION}. "
            "Upgrade sktrain to load it."
        )
    if version >= 2 and not sealed:
        raise FileError(
            "the file's checksum is missing (it may have been truncated or "
            "altered). Save the estimator again."
        )
    return version


def _check_digests(zf, manifest):
    digests = manifest.get("digests")
    names = set(zf.namelist()) - {_MANIFEST}
    if not isinstance(digests, dict) or set(digests) != names:
        raise FileError("the file's members do not match its manifest.")
    for name, digest in digests.items():
        if _sha(zf.read(name)) != digest:
            raise FileError(f"member {name!r} does not match its checksum.")


def _load_model(zf, manifest, safe_mode):
    from .._engine.backend import keras
    from .._factory import register_keras_classes

    register_keras_classes()
    k = keras()
    with tempfile.TemporaryDirectory() as tmp:
        zf.extract(_MODEL, tmp)
        try:
            return k.saving.load_model(
                os.path.join(tmp, _MODEL), safe_mode=safe_mode, compile=True
            )
        except ValueError as exc:
            if "safe_mode" in str(exc) or "Lambda" in str(exc):
                raise FileError(
                    "the saved network contains code (e.g. a Lambda layer), "
                    "which sktrain.load refuses by default because loading it "
                    "would run code from the file. If you trust the file, load "
                    f"it with sktrain.load(path, safe_mode=False). ({exc})"
                ) from exc
            raise FileError(
                f"the network in this file could not be loaded (saved with "
                f"Keras {manifest.get('keras_version')}, this is Keras "
                f"{k.__version__}): {exc}"
            ) from exc
