"""The ready-made MLP family: ``MLPClassifier`` / ``MLPRegressor``, sklearn's
parameters mapped onto the engine (``base``), the network (``build``),
sklearn's stopping rules (``stopping``), parameter constraints (``params``)."""
