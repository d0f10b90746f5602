"""Seeds: every random choice of a fit is drawn from the estimator's own RNG.

``draw_seed`` is the one way a seed is taken from ``random_state``'s
``RandomState`` (initializers, dropout, shuffling, validation split, the
build function's Python ``random``). No global seed is ever set.
"""

import contextlib
import random
import threading

import numpy as np

_SEED_LOCK = threading.Lock()
_MAX_SEED = int(np.iinfo(np.int32).max)  # 2**31 - 1


def draw_seed(rng):
    """A fresh int seed in ``[0, 2**31 - 1)`` from the estimator's ``rng``."""
    return int(rng.randint(_MAX_SEED))


@contextlib.contextmanager
def seeded_python_random(seed):
    """Seed Python's ``random`` for the block, then restore its state.

    Keras draws the default seed of every initializer and dropout layer
    from it; nothing else global is touched, and the previous state comes
    back even if the block raises.
    """
    if seed is None:
        yield
        return
    with _SEED_LOCK:
        saved = random.getstate()
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(saved)
