"""What every sktrain regressor shares, whatever builds its network.

``RegressorHooks`` is mixed into ``MLPRegressor`` and ``KerasRegressor``.
"""

from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from ._targets import RegressionTarget, as_1d_if_column


class RegressorHooks(RegressorMixin):
    """sklearn's RegressorMixin plus the regressor side of the lifecycle."""

    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The trained estimator.
        """
        return self._partial_fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        out = self._forward(X)
        return self._target.decode(out)

    # -- lifecycle hooks ----------------------------------------------------
    def _check_y(self, y):
        return as_1d_if_column(y)

    def _make_target(self):
        return RegressionTarget(type(self).__name__)

    def _stratify(self):
        return False

    def _encode(self, y):
        return self._target.transform(y).astype(self._dtype)

    def _class_weights(self, y):
        return 1.0

    def _validation_score(self, y, out, sample_weight):
        return r2_score(y, self._target.decode(out), sample_weight=sample_weight)
