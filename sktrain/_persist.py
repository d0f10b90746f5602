"""``est.save(path)`` / ``sktrain.load(path)``: one file, data only.

The file is a zip archive holding

- ``sktrain.json``: format and library versions, the estimator's class, its
  parameters and its fitted state, encoded as tagged JSON (see ``_encode``);
- ``arrays/<n>.npy``: every NumPy array of that state (``allow_pickle=False``);
- ``model.keras``: the fitted network in Keras' native format.

Nothing in it is pickled, so loading runs no code from the file. Keras
objects (optimizers, losses, initializers) are stored as their Keras config
and rebuilt by Keras' deserializer; the network loads with Keras'
``safe_mode``, which refuses Lambda layers unless ``safe_mode=False``.
Functions (a build function, a loss function) are stored by their import
name and imported again only with ``safe_mode=False``; callbacks are not
stored. Either way the loaded estimator predicts; the parameters left out
are None and a warning names them.
"""

import importlib
import io
import json
import os
import tempfile
import warnings
import zipfile
from dataclasses import fields, is_dataclass

import numpy as np

FORMAT = "sktrain-estimator"
FORMAT_VERSION = 1
_MANIFEST = "sktrain.json"
_MODEL = "model.keras"
_SKIP_STATE = {"_predictor", "_loss", "model_", "_call_fit_kwargs"}


def _allowed_classes():
    from sklearn.preprocessing import LabelEncoder

    from ._model import MLPSpec
    from ._targets import ClassificationTarget, RegressionTarget
    from ._transformer import ReconstructionTarget

    classes = (
        LabelEncoder,
        MLPSpec,
        ClassificationTarget,
        RegressionTarget,
        ReconstructionTarget,
    )
    return {c.__name__: c for c in classes}


class _Writer:
    """Encodes values as tagged JSON; arrays go to separate .npy entries."""

    def __init__(self):
        self.arrays, self.unsaved = {}, []

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str, int)):
            return value
        if isinstance(value, float):
            return value if np.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.generic):
            return {
                "__scalar__": self.encode(value.item(), where),
                "dtype": value.dtype.str,
            }
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, np.dtype):
            return {"__dtype__": value.str}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, where) for v in value]}
        if isinstance(value, list):
            return [self.encode(v, where) for v in value]
        if isinstance(value, dict):
            return {
                "__dict__": [
                    [self.encode(k, where), self.encode(v, where)]
                    for k, v in value.items()
                ]
            }
        if isinstance(value, np.random.RandomState):
            return {"__random_state__": self.encode(value.get_state(), where)}
        return self._object(value, where)

    def _array(self, value, where):
        if value.dtype.kind == "O":
            try:
                value = value.astype(str)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{where} holds Python objects that cannot be saved as "
                    "data; use pickle/joblib for this estimator."
                ) from None
            name = f"arrays/{len(self.arrays)}.npy"
            self.arrays[name] = value
            return {"__array__": name, "object": True}
        name = f"arrays/{len(self.arrays)}.npy"
        self.arrays[name] = value
        return {"__array__": name}

    def _object(self, value, where):
        from ._backend import keras

        k = keras()
        if type(value).__name__ in _allowed_classes() and not isinstance(value, type):
            state = (
                {f.name: getattr(value, f.name) for f in fields(value)}
                if is_dataclass(value)
                else vars(value)
            )
            return {
                "__object__": type(value).__name__,
                "state": self.encode(dict(state), where),
            }
        if not callable(value) or hasattr(value, "get_config"):
            try:
                config = k.saving.serialize_keras_object(value)
                json.dumps(config)
                return {"__keras__": config}
            except (TypeError, ValueError, NotImplementedError):
                pass
        name = getattr(value, "__qualname__", "")
        module = getattr(value, "__module__", "")
        if callable(value) and name and "<" not in name and module != "__main__":
            return {"__function__": f"{module}:{name}"}
        self.unsaved.append(where)
        return {"__unsaved__": repr(value)[:200]}


def save(est, path):
    """Write ``est`` (fitted or not) to ``path``; see the module docstring."""
    from ._backend import keras

    k = keras()
    from . import __version__

    writer = _Writer()
    params = {n: writer.encode(v, n) for n, v in est.get_params(deep=False).items()}
    state = {
        n: writer.encode(v, n)
        for n, v in vars(est).items()
        if n not in _SKIP_STATE and n not in params
    }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sktrain_version": __version__,
        "keras_version": k.__version__,
        "class": type(est).__name__,
        "params": params,
        "state": state,
        "fitted": "model_" in vars(est),
    }
    if writer.unsaved:
        warnings.warn(
            f"Not saved (not storable as data): {sorted(set(writer.unsaved))}. "
            "They load as None; set them again before refitting.",
            UserWarning,
            stacklevel=3,
        )
    with zipfile.ZipFile(os.fspath(path), "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_MANIFEST, json.dumps(manifest))
        for name, array in writer.arrays.items():
            buf = io.BytesIO()
            np.save(buf, array, allow_pickle=False)
            zf.writestr(name, buf.getvalue())
        if manifest["fitted"]:
            with tempfile.TemporaryDirectory() as tmp:
                model_path = os.path.join(tmp, _MODEL)
                est.model_.save(model_path)
                zf.write(model_path, _MODEL)


class _Reader:
    """Decodes what ``_Writer`` wrote; imports functions only if unsafe."""

    def __init__(self, zf, safe_mode):
        self.zf, self.safe_mode, self.skipped = zf, safe_mode, []

    def decode(self, value, where):
        if isinstance(value, list):
            return [self.decode(v, where) for v in value]
        if not isinstance(value, dict):
            return value
        tag = next(iter(value), None)
        handler = getattr(self, "_" + str(tag).strip("_"), None)
        if handler is None:
            raise ValueError(f"Unknown entry {tag!r} at {where}.")
        return handler(value, where)

    def _float(self, v, where):
        return float(v["__float__"])

    def _scalar(self, v, where):
        return np.dtype(v["dtype"]).type(self.decode(v["__scalar__"], where))

    def _array(self, v, where):
        with self.zf.open(v["__array__"]) as f:
            array = np.load(io.BytesIO(f.read()), allow_pickle=False)
        return array.astype(object) if v.get("object") else array

    def _dtype(self, v, where):
        return np.dtype(v["__dtype__"])

    def _tuple(self, v, where):
        return tuple(self.decode(x, where) for x in v["__tuple__"])

    def _dict(self, v, where):
        return {
            _hashable(self.decode(k, where)): self.decode(x, where)
            for k, x in v["__dict__"]
        }

    def _random_state(self, v, where):
        rng = np.random.RandomState()
        rng.set_state(self.decode(v["__random_state__"], where))
        return rng

    def _object(self, v, where):
        cls = _allowed_classes().get(v["__object__"])
        if cls is None:
            raise ValueError(f"{where}: {v['__object__']!r} is not an sktrain type.")
        state = self.decode(v["state"], where)
        if is_dataclass(cls):
            return cls(**state)
        obj = cls.__new__(cls)
        vars(obj).update(state)
        return obj

    def _keras(self, v, where):
        from ._backend import keras

        return keras().saving.deserialize_keras_object(
            v["__keras__"], safe_mode=self.safe_mode
        )

    def _function(self, v, where):
        if self.safe_mode:
            self.skipped.append(f"{where} ({v['__function__']})")
            return None
        module, _, name = v["__function__"].partition(":")
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    def _unsaved(self, v, where):
        self.skipped.append(where)
        return None


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _open(path):
    try:
        zf = zipfile.ZipFile(os.fspath(path))
        manifest = json.loads(zf.read(_MANIFEST))
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise ValueError(
            f"{os.fspath(path)!r} is not a readable sktrain estimator file (it "
            f"may be truncated, corrupted or another kind of file): {exc}"
        ) from exc
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not an sktrain estimator file.")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{os.fspath(path)!r} was written by sktrain "
            f"{manifest.get('sktrain_version')} in file format "
            f"{manifest['format_version']}; this sktrain reads format "
            f"{FORMAT_VERSION}. Upgrade sktrain to load it."
        )
    return zf, manifest


def load(path, *, safe_mode=True):
    """Load an estimator written by ``save``; see the module docstring."""
    import sktrain

    from . import _keras_objects  # noqa: F401 - registers sktrain's Keras objects
    from ._backend import keras

    zf, manifest = _open(path)
    with zf:
        cls = getattr(sktrain, manifest["class"], None)
        if cls is None or manifest["class"] not in sktrain.__all__:
            raise ValueError(f"Unknown estimator class {manifest['class']!r}.")
        reader = _Reader(zf, safe_mode)
        params = {n: reader.decode(v, n) for n, v in manifest["params"].items()}
        est = cls(**params)
        vars(est).update({n: reader.decode(v, n) for n, v in manifest["state"].items()})
        if manifest["fitted"]:
            est.model_ = _load_model(zf, manifest, safe_mode, keras())
            est._restore_after_unpickle()
            est._avoid_trace_leak()
            est._predictor = est._make_predictor()
    if reader.skipped:
        warnings.warn(
            f"Not restored: {sorted(set(reader.skipped))} (stored as import names "
            "or not storable). They are None; load with safe_mode=False to import "
            "functions, or set them with set_params before refitting.",
            UserWarning,
            stacklevel=2,
        )
    return est


def _load_model(zf, manifest, safe_mode, k):
    with tempfile.TemporaryDirectory() as tmp:
        zf.extract(_MODEL, tmp)
        try:
            return k.saving.load_model(
                os.path.join(tmp, _MODEL), safe_mode=safe_mode, compile=True
            )
        except ValueError as exc:
            if "safe_mode" in str(exc) or "Lambda" in str(exc):
                raise ValueError(
                    "The saved network contains code (e.g. a Lambda layer), which "
                    "sktrain.load refuses by default because loading it would run "
                    "code from the file. If you trust the file, load it with "
                    f"sktrain.load(path, safe_mode=False). ({exc})"
                ) from exc
            raise ValueError(
                f"The network in this file could not be loaded (saved with Keras "
                f"{manifest.get('keras_version')}, this is Keras {k.__version__}): "
                f"{exc}"
            ) from exc
