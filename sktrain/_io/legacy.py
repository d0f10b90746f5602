"""Module paths of pickles written before the engine-v2 layout.

A pickle names the module of every class it holds. sktrain 0.1's modules
were flat (``sktrain._classifier``, ``sktrain._targets``, ``sktrain._model``
...); this finder lets ``pickle`` import those names again, each as a small
module whose attributes are looked up in the new layout. It answers only for
the retired names below and is added once, when sktrain is imported.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import types

# retired module -> the modules its public names now live in
MOVED = {
    "sktrain._classifier": ("sktrain._mlp.classifier",),
    "sktrain._regressor": ("sktrain._mlp.regressor",),
    "sktrain._model": ("sktrain._mlp.build",),
    "sktrain._keras_estimators": ("sktrain._wrappers.estimators",),
    "sktrain._transformer": ("sktrain._wrappers.transformer", "sktrain._targets"),
    "sktrain._wrapper": ("sktrain._wrappers.base",),
    "sktrain._base": ("sktrain._engine.trainer",),
    "sktrain._keras_objects": ("sktrain._factory.keras_objects",),
    "sktrain._classification": ("sktrain._mixins",),
    "sktrain._regression": ("sktrain._mixins",),
}


def _lookup(sources, name):
    for source in sources:
        module = importlib.import_module(source)
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"{name!r} is not in sktrain any more (looked in {sources})")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = types.ModuleType(spec.name, f"Retired; see {MOVED[spec.name]}.")
        module.__getattr__ = lambda name: _lookup(MOVED[spec.name], name)
        return module

    def exec_module(self, module):
        pass


def install():
    """Add the finder (once) to ``sys.meta_path``, after the normal ones."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
