"""Fitted state as data: tagged JSON with arrays as separate ``.npy`` entries.

``Writer.encode`` turns parameters and fitted state into JSON values: plain
values as they are, NumPy arrays as ``{"__array__": "arrays/N.npy"}``
(``allow_pickle=False``; object labels as strings), tuples, dicts, dtypes and
RandomStates tagged, the registered state classes (``registry.py``) as their
attributes, Keras objects as their Keras config, functions by import name.
A registered estimator inside the state (a distilled estimator's student) is
a nested archive, ``{"__estimator__": "estimators/N.sktrain"}``, written and
read by the archive's own functions (passed in as ``nest``).
``Reader.decode`` reverses it and constructs nothing but registered classes
and Keras objects from Keras' own modules (or sktrain's registered ones);
functions are imported only with ``safe_mode=False``.
"""

import importlib
import io
import json
import os
from dataclasses import fields, is_dataclass

import numpy as np

from .registry import ESTIMATORS, STATE_CLASSES

_KERAS_MODULES = ("keras", "sktrain")


def _check_keras_modules(config, where):
    """Refuse a Keras config naming a module outside Keras and sktrain (Keras
    would import it to find the class)."""
    if isinstance(config, dict):
        module = config.get("module")
        if module is not None and not (
            isinstance(module, str) and module.split(".")[0] in _KERAS_MODULES
        ):
            raise ValueError(
                f"{where}: the stored Keras object names the module {module!r}; "
                "sktrain.load only rebuilds objects of Keras and sktrain."
            )
        for value in config.values():
            _check_keras_modules(value, where)
    elif isinstance(config, list):
        for value in config:
            _check_keras_modules(value, where)


class Writer:
    """Encodes values as tagged JSON; arrays go to separate .npy entries,
    registered estimators to nested archives (``nest(est)`` -> (bytes,
    unsaved names))."""

    def __init__(self, nest=None):
        self.arrays, self.nested, self.unsaved = {}, {}, []
        self._nest = nest

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
        if isinstance(value, os.PathLike):  # ``checkpoint``: loads as a str
            return os.fspath(value)
        if self._nest is not None and ESTIMATORS.get(type(value).__name__) is type(
            value
        ):
            return self._estimator(value, where)
        return self._object(value, where)

    def _estimator(self, value, where):
        data, unsaved = self._nest(value)
        name = f"estimators/{len(self.nested)}.sktrain"
        self.nested[name] = data
        self.unsaved += [f"{where}.{n}" for n in unsaved]
        return {"__estimator__": name}

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
        from .._engine.backend import keras

        k = keras()
        if type(value).__name__ in STATE_CLASSES and not isinstance(value, type):
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


class Reader:
    """Decodes what ``_Writer`` wrote; imports functions only if unsafe;
    ``nest(bytes, safe_mode)`` -> (estimator, skipped names) loads a nested
    archive."""

    def __init__(self, zf, safe_mode, nest=None):
        self.zf, self.safe_mode, self.skipped = zf, safe_mode, []
        self._nest = nest

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
        cls = STATE_CLASSES.get(v["__object__"])
        if cls is None:
            raise ValueError(f"{where}: {v['__object__']!r} is not an sktrain type.")
        state = self.decode(v["state"], where)
        if not isinstance(state, dict):
            raise ValueError(f"{where}: malformed state of {v['__object__']!r}.")
        if is_dataclass(cls):
            return cls(**state)
        obj = cls.__new__(cls)
        vars(obj).update(state)
        return obj

    def _keras(self, v, where):
        from .._engine.backend import keras

        _check_keras_modules(v["__keras__"], where)
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

    def _estimator(self, v, where):
        if self._nest is None:
            raise ValueError(f"{where}: a nested estimator is not expected here.")
        est, skipped = self._nest(self.zf.read(v["__estimator__"]), self.safe_mode)
        self.skipped += [f"{where}.{n}" for n in skipped]
        return est

    def _unsaved(self, v, where):
        self.skipped.append(where)
        return None


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key
