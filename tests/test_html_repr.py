"""The estimators' HTML representation in Jupyter (sklearn's diagram): it
renders for every public estimator, unfitted and fitted, and its parameter
table marks exactly the parameters the user set (routed ``model__*`` /
``optimizer__*`` and build-function parameters included) with their values."""

import html
import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

import sktrain
from sktrain import (
    DistilledClassifier,
    DistilledRegressor,
    KerasClassifier,
    KerasRegressor,
    KerasTransformer,
    MLPClassifier,
    MLPRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

_ROW = re.compile(
    r'<tr class="(user-set|default)">.*?<td class="param">(.*?)</td>\s*'
    r'<td class="value">(.*?)</td>',
    re.S,
)
_MLP = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
_WRAP = dict(epochs=2, random_state=0, model__hidden_layer_sizes=(5,))


def _cases():
    """(estimator, the parameters set, classifier?) per public estimator."""
    return [
        (MLPClassifier, dict(_MLP, alpha=0.01), True),
        (MLPRegressor, dict(_MLP, learning_rate_init=0.01), False),
        (KerasClassifier, dict(_WRAP, optimizer__learning_rate=0.02), True),
        (KerasRegressor, dict(_WRAP, loss="huber", batch_size=16), False),
        (KerasTransformer, dict(_WRAP, optimizer="adam", batch_size=32), False),
        (
            DistilledClassifier,
            dict(
                teacher=LogisticRegression(C=2.0),
                student=MLPClassifier(**_MLP),
                temperature=3.0,
                random_state=0,
            ),
            True,
        ),
        (
            DistilledRegressor,
            dict(teacher=Ridge(alpha=2.0), alpha=0.25, random_state=0),
            False,
        ),
    ]


def test_every_public_estimator_is_covered():
    covered = {cls.__name__ for cls, _, _ in _cases()}
    public = {n for n in sktrain.__all__ if isinstance(getattr(sktrain, n), type)}
    assert covered == public


def _own_rows(page):
    """{name: (css class, shown value)} of the outer estimator's table."""
    table = page.split('<table class="parameters-table">')[1].split("</table>")[0]
    return {
        name: (kind, html.unescape(value)) for kind, name, value in _ROW.findall(table)
    }


def _label(page):
    return re.search(r'<label for="sk-estimator-id-\d+" class="([^"]*)"', page)[1]


def _check_table(est, params):
    page = est._repr_html_()
    assert f"<div>{type(est).__name__}</div>" in page
    rows = _own_rows(page)
    for name, value in params.items():
        kind, shown = rows[name]
        assert kind == "user-set", name
        head, _, tail = shown.partition("...")  # sklearn shortens long reprs
        assert repr(value).startswith(head) and repr(value).endswith(tail), name
    unset = {n for n in rows if n not in params}
    assert unset and all(rows[n][0] == "default" for n in unset), sorted(
        n for n in unset if rows[n][0] != "default"
    )
    assert set(rows) == set(est.get_params(deep=False))
    return page


@pytest.mark.parametrize(
    "cls, params, is_clf", _cases(), ids=[c.__name__ for c, _, _ in _cases()]
)
def test_html_repr_marks_the_parameters_set(
    cls, params, is_clf, binary_data, regression_data
):
    est = cls(**params)
    page = _check_table(est, params)
    assert "fitted" not in _label(page).split()
    X, y = binary_data if is_clf else regression_data
    est.fit(X, y)
    page = _check_table(est, params)
    assert "fitted" in _label(page).split()


def _build(hidden=5, meta=None):
    keras = pytest.importorskip("keras")
    return keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(hidden), keras.layers.Dense(1)]
    )


def test_a_model_instance_or_build_function_gives_a_short_row(regression_data):
    X, y = regression_data
    base = len(KerasRegressor()._repr_html_())
    fitted = len(KerasRegressor().fit(X, y)._repr_html_())  # + fitted attributes
    for est, params in (
        (KerasRegressor(model=_build(), epochs=3), {"epochs": 3}),
        (KerasRegressor(model=_build, hidden=7), {"hidden": 7}),
    ):
        page = _check_table(est, dict(params, model=est.model))
        kind, shown = _own_rows(page)["model"]
        assert kind == "user-set" and len(shown) < 40  # sklearn's truncated repr
        assert shown.startswith(("<Sequential", "<function _bu"))
        assert len(page) < base + 2000
        assert len(est.fit(X, y)._repr_html_()) < fitted + 2000
    assert np.isfinite(est.predict(X)).all()
