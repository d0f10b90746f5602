"""``sktrain.load``: the public entry point (imports Keras only when called)."""


def load(path, *, safe_mode=True):
    """Load an estimator saved with ``est.save(path)``.

    Loading runs no code from the file: parameters and fitted attributes are
    data, and the network loads in Keras' safe mode, which refuses a Lambda
    layer (code) unless ``safe_mode=False``. Functions stored by name (a
    build function, a loss function) are imported only with
    ``safe_mode=False``; otherwise they load as None, with a warning, and the
    estimator still predicts.

    Parameters
    ----------
    path : str or path-like
        A file written by ``save``.
    safe_mode : bool, default=True
        Refuse code in the file (Lambda layers) and do not import functions
        named in it. Set to False only for files you trust.

    Returns
    -------
    estimator : object
        The estimator, fitted if it was saved fitted.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import make_classification
    >>> import sktrain
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> clf = sktrain.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5,
    ...                             random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.sktrain")
    >>> loaded = sktrain.load(clf.save(path))
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    from .archive import load as _load

    return _load(path, safe_mode=safe_mode)
