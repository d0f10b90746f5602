"""Fine-tuning for the Keras* wrappers: ``freeze`` and ``unfreeze_at``.

``freeze`` names the layers that do not train: layer names or ``fnmatch``
patterns, each matched against a layer's name and against its path through
nested models (``'base/dense_1'``); a matching nested model freezes with
everything in it. ``unfreeze_at`` is the epoch of the run (counted from 0, as
``current_epoch`` counts) from which those layers train again.

- ``freeze_new_model`` (``BaseKerasWrapper._build_model``): a new network's
  matching layers are set ``trainable=False`` before it is compiled or
  trained. A pattern that matches no layer, or a freeze that leaves nothing
  to train, is a ``ValueError``.
- ``fit_in_phases`` (``BaseKerasWrapper._fit_loop``): a fit whose epochs
  ``[start, end)`` contain ``unfreeze_at = k`` runs the engine's loop twice,
  ``[start, k)`` frozen and ``[k, end)`` unfrozen, with one ``FitState``
  (one history, one ``n_iter_``). A fit stopped in the first phase
  (``EarlyStopping``, a non-finite loss, an interrupt) ends there.

Before every phase ``set_frozen`` brings the flags to what the starting
epoch calls for (a warm-started fit counts from 0 again, so it freezes
again; ``partial_fit`` goes on counting). Only the layers sktrain turned off
(``_frozen_layers``, stored with the estimator) are turned on again, so
layers the user froze stay frozen. Whenever the set of trainable weights
changes, the model gets a new optimizer of the same configuration (a Keras
optimizer is built on a fixed list of variables; its slots and step count
start afresh, as in Keras' fine-tuning guide) and its traced train functions
are dropped (the train step reads ``trainable_variables`` when it is traced).
Keras saves each layer's ``trainable`` flag, so a saved or pickled
estimator comes back frozen or unfrozen as it was.
"""

from dataclasses import replace
from fnmatch import fnmatchcase

from .._engine.backend import keras


def freeze_patterns(freeze):
    """``freeze`` as a tuple of patterns (empty for None)."""
    if freeze is None:
        return ()
    patterns = (freeze,) if isinstance(freeze, str) else tuple(freeze)
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise TypeError(
                "freeze takes a layer name or glob pattern (str), or a list of "
                f"them; got {pattern!r} ({type(pattern).__name__})."
            )
    return patterns


def frozen_at(est, epoch):
    """Whether the layers ``freeze`` names are frozen during ``epoch``."""
    if not freeze_patterns(est.freeze):
        return False
    return est.unfreeze_at is None or epoch < est.unfreeze_at


def layer_tree(model):
    """``[(path, layer)]`` of the layers of ``model`` and of the models
    nested in it, each parent before its children; input layers are left
    out. A path joins the names from the top: ``'base/dense_1'``."""
    k = keras()
    tree = []

    def walk(container, prefix):
        for layer in container.layers:
            if isinstance(layer, k.layers.InputLayer):
                continue
            path = prefix + layer.name
            tree.append((path, layer))
            if isinstance(layer, k.Model):
                walk(layer, path + "/")

    walk(model, "")
    return tree


def _inside(path, roots):
    """True if ``path`` is one of ``roots`` or lies inside one of them."""
    return any(path == r or path.startswith(r + "/") for r in roots)


def _paths_to_freeze(tree, patterns):
    """Every path matching a pattern, and every path inside those."""
    roots = set()
    for pattern in patterns:
        found = [
            path
            for path, layer in tree
            if fnmatchcase(layer.name, pattern) or fnmatchcase(path, pattern)
        ]
        if not found:
            names = ", ".join(repr(path) for path, _ in tree)
            raise ValueError(
                f"freeze pattern {pattern!r} matches no layer of the model. Its "
                f"layers (nested ones as 'outer/inner'): {names}."
            )
        roots.update(found)
    return {path for path, _ in tree if _inside(path, roots)}


def _restore(tree, release):
    """Turn on the layers in ``release`` again. Setting a layer's flag sets
    its sublayers' too, so parents go first and every layer inside a
    released one gets its own flag back (off unless released itself)."""
    for path, layer in tree:
        if path in release:
            layer.trainable = True
        elif any(path.startswith(r + "/") for r in release):
            layer.trainable = False


def set_frozen(est, model, frozen):
    """Freeze the layers ``est.freeze`` names (``frozen``) or none of them,
    turning back on only what sktrain turned off; a change renews the
    optimizer and drops the traced train functions. Returns whether the
    trainable flags changed."""
    tree = layer_tree(model)
    target = _paths_to_freeze(tree, freeze_patterns(est.freeze)) if frozen else set()
    recorded = set(vars(est).get("_frozen_layers", ()))
    release = recorded - target
    _restore(tree, release)
    newly = {path for path, layer in tree if path in target and layer.trainable}
    for path, layer in tree:
        if path in target:
            layer.trainable = False
    est._frozen_layers = tuple(sorted((recorded - release) | newly))
    changed = bool(release or newly)
    if changed:
        _trainable_weights_changed(model)
    if target and not model.trainable_weights:
        raise ValueError(
            f"freeze={est.freeze!r} leaves nothing to train: every layer with "
            "weights is frozen. Freeze fewer layers (to predict with a "
            "pretrained model as it is, call initialize(X, y) instead of fit)."
        )
    return changed


def freeze_new_model(est, model):
    """Freeze a newly built network's layers as ``est.freeze`` says."""
    est._frozen_layers = ()
    if freeze_patterns(est.freeze):
        set_frozen(est, model, True)


def _trainable_weights_changed(model):
    from .._engine.train_function import forget_train_function

    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.built:
        renew_optimizer(model)
    forget_train_function(model)


def renew_optimizer(model):
    """Give ``model`` a new, unbuilt optimizer of its optimizer's config
    (also one the user's build function compiled with)."""
    from .._engine.keras_compat import quiet_model_optimizer

    old = model.optimizer
    try:
        new = type(old).from_config(old.get_config())
    except Exception as exc:  # noqa: BLE001 - explain, keep the cause
        raise ValueError(
            "Changing which layers train (freeze / unfreeze_at) needs a new "
            f"optimizer like the model's {type(old).__name__}, but it could not "
            f"be re-created from its config ({exc})."
        ) from exc
    model.optimizer = new
    quiet_model_optimizer(model)


def fit_in_phases(est, fit_loop, data, settings, state, listeners):
    """Run ``fit_loop`` (the engine's) over this fit's epochs: once, or in
    a frozen and an unfrozen phase when ``unfreeze_at`` falls inside them."""
    start = est.current_epoch
    end = start + settings.epochs
    frozen = frozen_at(est, start)
    set_frozen(est, est.model_, frozen)
    boundary = est.unfreeze_at
    if not (frozen and boundary is not None and boundary < end):
        fit_loop(data, settings, state, listeners)
        return
    first = boundary - start
    fit_loop(data, replace(settings, epochs=first), state, listeners)
    if _stopped(est.model_, state, first):
        return
    set_frozen(est, est.model_, False)
    start_weights = state.start_weights
    est._phase_offset = first  # ``_first_epoch``: Keras' initial_epoch
    try:
        fit_loop(data, replace(settings, epochs=end - boundary), state, listeners)
    finally:
        del est._phase_offset
        state.start_weights = start_weights  # a failed fit goes back to these


def _stopped(model, state, epochs):
    """True when the first phase ended before its last epoch, or a callback
    stopped training at it."""
    return (
        state.interrupted
        or state.nonfinite_epoch is not None
        or state.n_iter < epochs
        or bool(getattr(model, "stop_training", False))
    )
