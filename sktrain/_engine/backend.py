"""Lazy access to Keras/TensorFlow and device placement.

``import sktrain`` must stay cheap: nothing here imports TensorFlow until an
estimator is fitted, predicts or is unpickled.

Backend choice: sktrain runs Keras on the TensorFlow backend. If Keras has not
been imported yet and the ``KERAS_BACKEND`` environment variable is unset, it
is set to ``"tensorflow"`` before Keras is imported, so a ``keras.json`` left
over from another project cannot switch the backend under us. A backend chosen
deliberately (``KERAS_BACKEND`` set, or Keras already imported with another
backend) is respected, and sktrain then refuses to fit with a clear error.
"""

import contextlib
import os
import sys

_DEVICE_HELP = "Use device='auto', 'cpu', 'gpu' or 'gpu:N' (N = GPU index)."


def keras():
    """Return the ``keras`` module, imported on the TensorFlow backend."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras as _keras

    backend = _keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"sktrain needs Keras on the TensorFlow backend, but Keras runs on "
            f"{backend!r} (KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}). "
            "Unset KERAS_BACKEND or set it to 'tensorflow' before importing Keras."
        )
    return _keras


def tf():
    """Return the ``tensorflow`` module (after Keras is set up)."""
    keras()
    import tensorflow as _tf

    return _tf


def is_keras_model(obj):
    """True for a ``keras.Model`` instance (checked without importing Keras)."""
    return any(
        c.__name__ == "Model" and c.__module__.startswith("keras")
        for c in type(obj).__mro__
    )


def _parse_device(device):
    if not isinstance(device, str):
        raise ValueError(f"device must be a string, got {device!r}. {_DEVICE_HELP}")
    name = device.strip().lower()
    if name in ("auto", "cpu", "gpu"):
        return name, 0
    kind, _, index = name.partition(":")
    if kind in ("cpu", "gpu") and index.isdigit():
        return kind, int(index)
    raise ValueError(f"Unknown device {device!r}. {_DEVICE_HELP}")


def check_device(device):
    """Validate ``device`` and return the TensorFlow device string or None."""
    kind, index = _parse_device(device)
    if kind == "auto":
        return None
    devices = tf().config.list_logical_devices(kind.upper())
    if index >= len(devices):
        found = ", ".join(d.name for d in devices) or "none"
        hint = (
            " Use device='cpu' or device='auto' on a machine without a GPU."
            if kind == "gpu"
            else ""
        )
        raise ValueError(
            f"device={device!r} was requested, but TensorFlow sees "
            f"{len(devices)} {kind.upper()} device(s) ({found}).{hint}"
        )
    return devices[index].name


def on_gpu(device):
    """True if a fit on ``device`` runs on a GPU ('auto': one is visible)."""
    kind, _ = _parse_device(device)
    if kind != "auto":
        return kind == "gpu"
    return bool(tf().config.list_logical_devices("GPU"))


def device_scope(device):
    """Context manager placing ops on ``device`` ('auto' = TensorFlow's choice)."""
    name = check_device(device)
    if name is None:
        return contextlib.nullcontext()
    return tf().device(name)
