"""The training engine: the fit/predict lifecycle every estimator shares.

``trainer.BaseTrainer`` runs the steps; ``fitdata`` prepares the typed data
they exchange, ``pipeline`` feeds it to the train function (gathered in the
graph, or through ``tf.data``), ``train_function`` runs an epoch per graph
call (of ``lean_step``'s step where the model allows it), ``epochs`` runs
the epochs (``keras.Model.fit`` or a lean loop), ``trace_cache`` keeps one
traced twin per architecture, ``callbacks`` guards against faults and
records each epoch, ``predictor`` is the fast forward pass. ``backend``,
``dtypes``, ``seeds``, ``inputs``, ``distribution`` (``tf.distribute``
strategies) and ``keras_compat`` hold one policy each.
Nothing here knows which family (MLP or wrapper) it trains.
"""
