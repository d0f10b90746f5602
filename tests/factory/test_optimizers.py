"""The optimizer factory (``_factory/optimizers.py``)."""

import keras
import numpy as np

from sktrain import MLPRegressor
from sktrain._factory.optimizers import make_optimizer


class _NoName(keras.optimizers.SGD):
    def __init__(self, learning_rate=0.1):
        super().__init__(learning_rate=learning_rate)


class _Kwargs(keras.optimizers.SGD):
    def __init__(self, **kwargs):  # may not take a name: left alone
        super().__init__(learning_rate=kwargs.pop("rate", 0.1))


def test_a_name_or_class_gives_one_fixed_name_and_a_users_name_is_kept():
    made = [make_optimizer("adam"), make_optimizer(keras.optimizers.Adam, {})]
    assert [o.name for o in made] == ["adam", "adam"]
    assert make_optimizer("sgd", {"name": "mine"}).name == "mine"
    assert make_optimizer(keras.optimizers.Adam(name="users")).name == "users"
    # a class that takes no name gets none (Keras numbers it)
    assert make_optimizer(_NoName).name.startswith("__no_name")
    assert make_optimizer(_Kwargs, {"rate": 0.2}).name.startswith("__kwargs")


def test_slot_variables_have_the_same_paths_in_every_fit():
    # TensorFlow caches a kernel per variable name: a fit's new names
    # ("adam_7/...") would each build one
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    paths = [
        [v.path for v in MLPRegressor(max_iter=1).fit(X, y).model_.optimizer.variables]
        for _ in range(2)
    ]
    assert paths[0] == paths[1]
    assert paths[0] and all(p.startswith("adam/") for p in paths[0])
