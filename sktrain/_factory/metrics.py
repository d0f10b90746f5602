"""``metrics`` -> fresh Keras metric objects (names, classes or instances)."""

from .._engine.backend import keras
from .instantiate import as_items, instantiate_many


def make_metrics(metrics, params=None):
    """A list (or dict) of metrics, ``metrics__i__name`` routed to item i."""
    if not metrics:
        return None
    k = keras()

    def resolve(name):
        found = k.metrics.get(name)
        return found if isinstance(found, type) else type(found)

    items = as_items(metrics)
    items = items if isinstance(items, dict) else list(items)
    return instantiate_many(items, params or {}, prefix="metrics", resolve=resolve)
