"""The bring-your-own-model family: ``KerasClassifier``, ``KerasRegressor``,
``KerasTransformer``; calling build functions (``buildfn``), building and
compiling the user's network (``network``), parameters and routing
(``base``), ``keras.Model.fit`` keywords (``fitargs``)."""
