"""Diagnostics: the checks a practitioner runs by hand when a network will
not train, as one call each.

Each takes an sktrain estimator (any public one, including a wrapper around
the user's own Keras model), never modifies it, and returns a typed result
with a ``plot()`` method (matplotlib: ``pip install "sktrain[plot]"``).
The user guide's page "When training goes wrong" is built around them.

- ``overfit_check``: can the network fit 32 rows with every regularizer off?
- ``lr_find``: the learning-rate range test, with two suggestions.
- ``diagnose``: findings with evidence, read from a fitted ``history_``.
"""

from ._diagnostics.diagnose import Diagnosis, diagnose
from ._diagnostics.lr_find import LRFindResult, lr_find
from ._diagnostics.lr_suggest import LRSuggestion
from ._diagnostics.overfit import OverfitResult, overfit_check
from ._diagnostics.rules import Finding

__all__: list[str] = [
    "Diagnosis",
    "Finding",
    "LRFindResult",
    "LRSuggestion",
    "OverfitResult",
    "diagnose",
    "lr_find",
    "overfit_check",
]
