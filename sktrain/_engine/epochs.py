"""The epoch loop: ``keras.Model.fit``, or a lean loop when nothing needs it.

``keras.Model.fit`` owns the epoch loop whenever the fit has anything Keras
runs per epoch: user callbacks, validation data, ``fit__`` arguments, Keras'
own train function. Without them (the MLP's fits, the wrappers' fits
without a validation split, whatever ``verbose``: Keras always runs with
``verbose=0``, sktrain's progress is an epoch reporter, ``progress.py``), a
whole epoch is one call of sktrain's gather loop and ``fit``'s per-epoch
machinery (callback lists, metric resets and eager metric reads, logs
conversion; ~3 ms per epoch, measured, as much as the epoch's own compute on
small data) is the larger part of each epoch. The lean loop then calls the
train function once per epoch and gives its logs (the epoch's mean loss and
metrics, computed in the graph) to the engine's ``EpochMonitor`` (and each
epoch's beginning), exactly as ``fit`` would, and ends as ``fit`` does:
``optimizer.finalize_variable_values`` (an ``ema`` optimizer's moving
averages become the weights), then ``on_train_end``.
"""


def run_epochs(model, feed, function, *, epochs, start, callbacks, fit_kwargs):
    """Train ``model`` for ``epochs`` epochs from epoch ``start``.

    ``callbacks`` are the engine's monitor then the user's; ``function`` is
    the installed train function (None: Keras' own).
    """
    monitor, *user_callbacks = callbacks
    if function is None or feed.arrays is None or user_callbacks or fit_kwargs:
        model.fit(
            feed.dataset,
            epochs=start + epochs,
            initial_epoch=start,
            steps_per_epoch=feed.steps,
            shuffle=False,
            callbacks=callbacks,
            verbose=0,  # progress is sktrain's own (``progress.py``)
            **fit_kwargs,
        )
        return
    lean_loop(model, function, range(start, start + epochs), monitor)


def lean_loop(model, function, epochs, monitor):
    """One ``function`` call per epoch; ``monitor`` sees each epoch's logs."""
    model.stop_training = False
    monitor.set_model(model)
    monitor.on_train_begin()
    for epoch in epochs:
        monitor.on_epoch_begin(epoch)
        logs = function(None)
        monitor.on_epoch_end(epoch, {k: float(v) for k, v in logs.items()})
        if model.stop_training:
            break
    if len(epochs):  # as ``fit`` ends: an ``ema`` optimizer's averages
        model.optimizer.finalize_variable_values(model.trainable_weights)
    monitor.on_train_end()
