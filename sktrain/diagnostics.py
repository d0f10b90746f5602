"""Diagnostics: the checks a practitioner runs by hand when a network will
not train, as one call each.

Each takes an sktrain estimator (any public one, including a wrapper around
the user's own Keras model), never modifies it, and returns a typed result
with a ``plot()`` method (matplotlib: ``pip install "sktrain[plot]"``).
The user guide's page "When training goes wrong" is built around them.
"""

from ._diagnostics.diagnose import Diagnosis, diagnose
from ._diagnostics.rules import Finding

__all__: list[str] = ["Diagnosis", "Finding", "diagnose"]
