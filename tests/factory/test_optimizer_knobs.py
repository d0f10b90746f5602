"""The optimizer knobs (``_factory/knobs.py``) in both families, by value:
gradient accumulation equals a larger batch, clipping and weight decay match
their formulas on one step, ``ema`` ends with the moving average of the
per-batch weights on every path (lean loop, ``keras.Model.fit``, trace
cache, fault guard, early stopping), and the clear errors."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import sktrain
from sktrain import KerasRegressor, MLPRegressor

keras = pytest.importorskip("keras")

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]


def data(n=64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3)
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.randn(n)


def sgd_mlp(**params):
    base = dict(
        hidden_layer_sizes=(5,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.05,
        shuffle=False,
        random_state=0,
        max_iter=4,
    )
    return MLPRegressor(**{**base, **params})


def linear(n_features_in, dtype):
    """One Dense unit starting at zero: its gradients are known in closed form."""
    inputs = keras.Input((n_features_in,), dtype=dtype)
    dense = keras.layers.Dense(1, kernel_initializer="zeros", dtype=dtype)
    return keras.Model(inputs, dense(inputs))


def linear_compiled(n_features_in, dtype):
    model = linear(n_features_in, dtype)
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    return model


def tolerance(build):
    """The model compiled by the build function has Keras' float32 'mse'."""
    return 1e-10 if build is linear else 1e-6


def one_sgd_step(build, X, y, **knobs):
    """(kernel, bias) after one full-batch SGD step with learning rate 1."""
    reg = KerasRegressor(
        build,
        loss="mse",
        optimizer="sgd",
        optimizer__learning_rate=1.0,
        batch_size=len(X),
        epochs=1,
        shuffle=False,
        **knobs,
    ).fit(X, y)
    kernel, bias = reg.model_.get_weights()
    return kernel.ravel(), bias


def mse_gradients_at_zero(X, y):
    """Keras' mean squared error's gradients for a zero linear model."""
    n = len(X)
    return -2.0 / n * X.T @ y, np.array([-2.0 / n * y.sum()])


def clip_norm(g, c):
    return g * c / max(np.linalg.norm(g), c)


# fits use deep copies of the callbacks: they record into this dict, by key
RECORDS = {}


class Recorder(keras.callbacks.Callback):
    """The weights after every batch (a per-batch hook: one step per call)."""

    def __init__(self, key):
        super().__init__()
        self.key = key

    def on_train_begin(self, logs=None):
        RECORDS[self.key] = []

    def on_train_batch_end(self, batch, logs=None):
        RECORDS[self.key].append(self.model.get_weights())


def keras_ema(batches, momentum, steps=1):
    """Keras' average: ``a = w`` while no update happened (optimizer
    iterations 0, the first ``steps`` batches), then ``a = m a + (1 - m) w``
    after every batch."""
    average = None
    for j, weights in enumerate(batches):
        if j < steps:
            average = [np.array(w) for w in weights]
        else:
            pairs = zip(average, weights)
            average = [momentum * a + (1 - momentum) * w for a, w in pairs]
    return average


def assert_weights_equal(a, b, rtol=1e-7, atol=1e-10):
    assert len(a) == len(b)
    for x, z in zip(a, b):
        np.testing.assert_allclose(x, z, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# gradient accumulation
# ---------------------------------------------------------------------------
def test_mlp_accumulation_equals_a_batch_k_times_as_large():
    X, y = data(64)
    # alpha > 0: sklearn's per-batch L2 term is scaled to the larger batch
    small = sgd_mlp(batch_size=8, gradient_accumulation_steps=4, alpha=0.1).fit(X, y)
    large = sgd_mlp(batch_size=32, alpha=0.1).fit(X, y)
    assert small.coefs_[0].dtype == np.float64
    assert_weights_equal(small.coefs_, large.coefs_, rtol=1e-12)
    assert_weights_equal(small.intercepts_, large.intercepts_, rtol=1e-12)
    np.testing.assert_allclose(small.loss_curve_, large.loss_curve_, rtol=1e-6)
    optimizer = small.model_.optimizer
    # 4 epochs x 8 batches: ``iterations`` counts updates, 1 per 4 batches;
    # Keras' own counter (what a LearningRateSchedule is called with) batches
    assert int(optimizer.iterations) == int(large.model_.optimizer.iterations) == 8
    assert int(optimizer._iterations) == 32


def test_wrapper_accumulation_equals_a_batch_k_times_as_large():
    X, y = data(64)
    common = dict(optimizer="sgd", shuffle=False, random_state=0, epochs=3)
    common.update(model__hidden_layer_sizes=(5,), optimizer__learning_rate=0.05)
    small = KerasRegressor(batch_size=8, gradient_accumulation_steps=4, **common)
    large = KerasRegressor(batch_size=32, **common)
    small.fit(X, y)
    large.fit(X, y)
    assert small.model_.optimizer.gradient_accumulation_steps == 4
    assert_weights_equal(small.model_.get_weights(), large.model_.get_weights())


def test_accumulation_groups_run_across_epochs_and_continued_fits():
    """3 batches per epoch, groups of 2: the updates are (b0, b1), (b2, b0'),
    (b1', b2'), as one epoch over the data twice in batches of 16."""
    X, y = data(24)
    two_epochs = sgd_mlp(batch_size=8, gradient_accumulation_steps=2, max_iter=2)
    doubled = sgd_mlp(batch_size=16, max_iter=1)
    two_epochs.fit(X, y)
    doubled.fit(np.vstack([X, X]), np.concatenate([y, y]))
    assert_weights_equal(two_epochs.coefs_, doubled.coefs_, rtol=1e-12)
    # the half group left at the end of a fit completes in the next partial_fit
    one = sgd_mlp(batch_size=8, gradient_accumulation_steps=2, max_iter=1).fit(X, y)
    assert int(one.model_.optimizer.iterations) == 1  # b2 is accumulated
    one.partial_fit(X, y)
    assert_weights_equal(one.coefs_, two_epochs.coefs_, rtol=1e-12)


# ---------------------------------------------------------------------------
# clipping, weight decay (one step, closed form)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("build", [linear, linear_compiled], ids=["compile", "own"])
def test_clipvalue_clips_each_gradient_element(build):
    X, y = data(40)
    g_w, g_b = mse_gradients_at_zero(X, y)
    c = 2.0
    assert (np.abs(g_w) > c).any() and (np.abs(g_w) < c).any()
    kernel, bias = one_sgd_step(build, X, y, clipvalue=c)
    rtol = tolerance(build)
    np.testing.assert_allclose(kernel, -np.clip(g_w, -c, c), rtol=rtol)
    np.testing.assert_allclose(bias, -np.clip(g_b, -c, c), rtol=rtol)
    plain, _ = one_sgd_step(build, X, y)
    np.testing.assert_allclose(plain, -g_w, rtol=rtol)


@pytest.mark.parametrize("build", [linear, linear_compiled], ids=["compile", "own"])
def test_clipnorm_clips_each_variable_and_global_clipnorm_all_together(build):
    X, y = data(40)
    g_w, g_b = mse_gradients_at_zero(X, y)
    c, rtol = 0.3, tolerance(build)
    kernel, bias = one_sgd_step(build, X, y, clipnorm=c)
    np.testing.assert_allclose(kernel, -clip_norm(g_w, c), rtol=rtol)
    np.testing.assert_allclose(bias, -clip_norm(g_b, c), rtol=rtol)
    kernel, bias = one_sgd_step(build, X, y, global_clipnorm=c)
    scale = c / max(np.sqrt(np.sum(g_w**2) + np.sum(g_b**2)), c)
    np.testing.assert_allclose(kernel, -scale * g_w, rtol=rtol)
    np.testing.assert_allclose(bias, -scale * g_b, rtol=rtol)
    assert not np.allclose(scale * g_w, clip_norm(g_w, c))


def zero_loss(y_true, y_pred):
    return 0.0 * keras.ops.mean(y_pred, axis=-1)


def test_weight_decay_shrinks_by_one_minus_lr_wd_per_step():
    X, y = data(64)
    params = dict(loss=zero_loss, alpha=0.0, learning_rate_init=0.1, batch_size=16)
    start = sgd_mlp(max_iter=3, **params).fit(X, y)  # zero gradient: unchanged
    decayed = sgd_mlp(max_iter=3, weight_decay=0.5, **params).fit(X, y)
    factor = (1 - 0.1 * 0.5) ** (3 * 4)  # 3 epochs of 4 steps
    weights = start.coefs_ + start.intercepts_  # Keras decays biases too
    decayed_weights = decayed.coefs_ + decayed.intercepts_
    assert_weights_equal(decayed_weights, [factor * w for w in weights])

    reg = KerasRegressor(
        linear_random,
        loss=zero_loss,
        optimizer="sgd",
        optimizer__learning_rate=0.1,
        batch_size=32,
        epochs=2,
        random_state=0,
    )
    before = clone(reg).fit(X, y).model_.get_weights()
    after = reg.set_params(weight_decay=0.5).fit(X, y).model_.get_weights()
    assert_weights_equal(after, [(1 - 0.1 * 0.5) ** 4 * w for w in before])
    # the knob also replaces an optimizer's own default (AdamW's 0.004)
    adamw = KerasRegressor(optimizer="adamw", weight_decay=0.25, epochs=1)
    assert adamw.fit(X, y).model_.optimizer.weight_decay == 0.25


def linear_random(n_features_in, dtype, seed):
    inputs = keras.Input((n_features_in,), dtype=dtype)
    init = keras.initializers.RandomNormal(seed=seed)
    return keras.Model(inputs, keras.layers.Dense(1, kernel_initializer=init)(inputs))


# ---------------------------------------------------------------------------
# ema
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("steps", [None, 2])
def test_ema_ends_with_the_average_of_the_per_batch_weights(steps):
    X, y = data(48)
    params = dict(
        optimizer="sgd",
        optimizer__learning_rate=0.05,
        model__hidden_layer_sizes=(4,),
        batch_size=8,
        epochs=3,
        shuffle=False,
        random_state=0,
        ema=0.8,
        gradient_accumulation_steps=steps,
    )
    reg = KerasRegressor(callbacks=[Recorder("ema")], **params).fit(X, y)
    batches = RECORDS["ema"]
    assert len(batches) == 3 * 6
    expected = keras_ema(batches, 0.8, steps or 1)
    assert_weights_equal(reg.model_.get_weights(), expected)
    # the lean loop (no callback, one graph call per epoch) ends the same way
    lean = KerasRegressor(**params).fit(X, y)
    assert_weights_equal(lean.model_.get_weights(), expected)
    np.testing.assert_allclose(lean.predict(X), reg.predict(X), rtol=1e-7)


def test_mlp_ema_cached_twin_equals_model_trained_directly():
    X, y = data(48)
    sktrain.clear_cache()
    params = dict(batch_size=8, ema=0.9, solver="adam", learning_rate_init=0.01)
    cached = sgd_mlp(**params).fit(X, y)  # the lean loop on a cached twin
    direct = sgd_mlp(callbacks=[keras.callbacks.Callback()], **params).fit(X, y)
    plain = sgd_mlp(**{**params, "ema": None}).fit(X, y)  # same architecture
    fresh = sgd_mlp(**{**params, "ema": None})
    sktrain.clear_cache()
    fresh.fit(X, y)
    assert_weights_equal(cached.coefs_, direct.coefs_)
    assert_weights_equal(plain.coefs_, fresh.coefs_)  # no twin with ema reused
    assert not np.allclose(cached.coefs_[0], plain.coefs_[0])
    assert plain.model_.optimizer.use_ema is False


class PoisonAt(keras.callbacks.Callback):
    """Records the per-batch weights of the epochs before ``epoch``, whose
    loss it makes NaN."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.current = epoch, 0

    def on_train_begin(self, logs=None):
        RECORDS["poison"] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch:
            kernel = self.model.layers[-1].kernel
            kernel.assign(np.full(kernel.shape, np.nan))

    def on_train_batch_end(self, batch, logs=None):
        if self.current < self.epoch:
            RECORDS["poison"].append(self.model.get_weights())


def test_ema_with_a_nonfinite_epoch_keeps_the_last_finite_epochs_average():
    X, y = data(32)
    reg = KerasRegressor(
        optimizer="sgd",
        model__hidden_layer_sizes=(4,),
        batch_size=8,
        epochs=4,
        shuffle=False,
        random_state=0,
        ema=0.7,
        on_nan="warn",
        callbacks=[PoisonAt(2)],
    )
    with pytest.warns(RuntimeWarning, match="NaN or infinite in epoch 3"):
        reg.fit(X, y)
    batches = RECORDS["poison"]
    assert len(batches) == 2 * 4
    assert_weights_equal(reg.model_.get_weights(), keras_ema(batches, 0.7))
    assert np.isfinite(reg.predict(X)).all()
    # the averages were put back too: a continued fit starts from them
    averages = reg.model_.optimizer._model_variables_moving_average
    assert all(np.isfinite(a.numpy()).all() for a in averages)


class Snapshots(keras.callbacks.Callback):
    """What the fit would end with after each epoch (the averaged weights)."""

    def on_train_begin(self, logs=None):
        RECORDS["snapshots"] = []

    def on_epoch_end(self, epoch, logs=None):
        from sktrain._engine.keras_compat import weights_to_keep

        RECORDS["snapshots"].append(weights_to_keep(self.model))


def test_mlp_early_stopping_with_ema_keeps_the_best_epochs_average():
    rng = np.random.RandomState(1)
    X = rng.randn(80, 3)
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.randn(80)  # noisy: scores peak
    reg = sgd_mlp(
        batch_size=8,
        ema=0.9,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=3,
        max_iter=30,
        learning_rate_init=0.2,
        callbacks=[Snapshots()],
    ).fit(X, y)
    snapshots = RECORDS["snapshots"]
    best = int(np.argmax(reg.validation_scores_))
    assert best < len(snapshots) - 1  # it did stop after its best epoch
    assert_weights_equal(reg.model_.get_weights(), snapshots[best])


# ---------------------------------------------------------------------------
# searches, clones, persistence
# ---------------------------------------------------------------------------
def test_grid_search_over_weight_decay_and_accumulation():
    X, y = data(64)
    grid = GridSearchCV(
        sgd_mlp(batch_size=8, max_iter=3),
        {"weight_decay": [None, 0.01], "gradient_accumulation_steps": [None, 2]},
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    best = grid.best_estimator_.model_.optimizer
    assert best.weight_decay == grid.best_params_["weight_decay"]


def test_clones_and_a_users_optimizer_share_no_state():
    X, y = data(32)
    mine = keras.optimizers.SGD(learning_rate=0.01)
    config = mine.get_config()
    reg = KerasRegressor(
        optimizer=mine, weight_decay=0.01, ema=0.9, epochs=2, batch_size=8
    )
    a = clone(reg).fit(X, y)
    b = clone(reg).fit(X[:16], y[:16])
    assert a.model_.optimizer is not b.model_.optimizer
    assert mine not in (a.model_.optimizer, b.model_.optimizer)
    assert int(a.model_.optimizer.iterations) == 2 * int(b.model_.optimizer.iterations)
    assert mine.get_config() == config and not mine.built  # never changed
    assert a.model_.optimizer.use_ema and a.model_.optimizer.weight_decay == 0.01


@pytest.mark.parametrize("how", ["save", "pickle"])
def test_ema_and_accumulation_state_round_trip(how, tmp_path):
    X, y = data(40)  # 5 batches per epoch, groups of 2: a half group is left
    reg = sgd_mlp(batch_size=8, gradient_accumulation_steps=2, ema=0.8).fit(X, y)
    if how == "save":
        copy = sktrain.load(reg.save(tmp_path / "reg.sktrain"))
    else:
        copy = pickle.loads(pickle.dumps(reg))
    np.testing.assert_allclose(copy.predict(X), reg.predict(X))
    config = copy.model_.optimizer.get_config()
    assert config["use_ema"] and config["gradient_accumulation_steps"] == 2
    reg.partial_fit(X, y)
    copy.partial_fit(X, y)  # the accumulators and averages came along
    assert_weights_equal(copy.coefs_, reg.coefs_)


# ---------------------------------------------------------------------------
# clear errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "est",
    [
        lambda: sgd_mlp(clipnorm=1.0, global_clipnorm=1.0),
        lambda: KerasRegressor(clipvalue=1.0, optimizer__clipnorm=1.0),
        lambda: KerasRegressor(
            optimizer=keras.optimizers.Adam(clipnorm=1.0), global_clipnorm=2.0
        ),
        lambda: KerasRegressor(linear_clipnorm_compiled, clipvalue=0.1),
    ],
    ids=["mlp", "routed", "instance", "compiled"],
)
def test_two_kinds_of_clipping_are_refused(est):
    X, y = data(16)
    with pytest.raises(ValueError, match="one kind of gradient clipping"):
        est().fit(X, y)


def linear_clipnorm_compiled(n_features_in, dtype):
    model = linear(n_features_in, dtype)
    model.compile(optimizer=keras.optimizers.SGD(0.1, clipnorm=1.0), loss="mse")
    return model


def test_a_knob_and_its_routed_optimizer_value_must_agree():
    X, y = data(16)
    with pytest.raises(ValueError, match="optimizer__clipnorm=2.0 contradicts"):
        KerasRegressor(clipnorm=1.0, optimizer__clipnorm=2.0).fit(X, y)
    with pytest.raises(ValueError, match="optimizer__use_ema=False contradicts"):
        KerasRegressor(ema=0.9, optimizer__use_ema=False).fit(X, y)
    same = KerasRegressor(clipnorm=1.0, optimizer__clipnorm=1.0, epochs=1).fit(X, y)
    assert same.model_.optimizer.clipnorm == 1.0
    # an instance's config is overridden (the instance is copied)
    mine = keras.optimizers.SGD(clipnorm=3.0)
    reg = KerasRegressor(optimizer=mine, clipnorm=1.0, epochs=1).fit(X, y)
    assert reg.model_.optimizer.clipnorm == 1.0 and mine.clipnorm == 3.0


class NoDecay(keras.optimizers.SGD):
    def __init__(self, learning_rate=0.01, name="no_decay"):
        super().__init__(learning_rate=learning_rate, name=name)


def test_weight_decay_needs_an_optimizer_that_takes_it():
    X, y = data(16)
    with pytest.raises(ValueError, match="weight_decay is set.*NoDecay"):
        KerasRegressor(optimizer=NoDecay, weight_decay=0.1).fit(X, y)
    with pytest.raises(ValueError, match="ema is set.*use_ema.*NoDecay"):
        sgd_mlp(solver=NoDecay, ema=0.9).fit(X, y)


@pytest.mark.parametrize(
    "knob", [{"clipnorm": 1.0}, {"ema": 0.9}, {"gradient_accumulation_steps": 2}]
)
def test_lbfgs_refuses_the_knobs(knob):
    X, y = data(16)
    name = next(iter(knob))
    with pytest.raises(ValueError, match=f"solver='lbfgs'.*{name}"):
        MLPRegressor(solver="lbfgs", **knob).fit(X, y)


def test_a_continued_fit_refuses_a_changed_knob():
    X, y = data(16)
    reg = sgd_mlp(ema=0.9, warm_start=True).fit(X, y)
    reg.set_params(ema=0.5)
    with pytest.raises(ValueError, match="ema=0.5.*ema_momentum=0.9"):
        reg.fit(X, y)
    reg.set_params(ema=None).fit(X, y)  # None keeps the fitted optimizer's
    assert reg.model_.optimizer.use_ema
    wrapper = KerasRegressor(epochs=1).fit(X, y)
    wrapper.set_params(weight_decay=0.1)
    with pytest.raises(ValueError, match="weight_decay=0.1"):
        wrapper.partial_fit(X, y)


# ---------------------------------------------------------------------------
# compiled models: a user's instance, a loss-scale optimizer
# ---------------------------------------------------------------------------
def test_knobs_rebuild_a_compiled_model_instances_optimizer():
    X, y = data(32)
    mine = linear_compiled(3, "float64")
    reg = KerasRegressor(mine, clipvalue=0.5, ema=0.9, epochs=1).fit(X, y)
    optimizer = reg.model_.optimizer
    assert optimizer.clipvalue == 0.5 and optimizer.use_ema
    assert optimizer.learning_rate == 1.0  # the rest of its config stays
    assert reg.model_.get_compile_config()["optimizer"]["config"]["clipvalue"] == 0.5
    assert mine.optimizer.clipvalue is None and not mine.optimizer.built


def linear_loss_scaled(n_features_in, dtype):
    model = linear(n_features_in, dtype)
    inner = keras.optimizers.SGD(0.1)
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(inner), loss="mse")
    return model


def test_knobs_reach_the_inner_optimizer_of_a_loss_scale_optimizer():
    X, y = data(32)
    reg = KerasRegressor(
        linear_loss_scaled, ema=0.5, batch_size=8, epochs=2, random_state=0
    )
    reg.fit(X, y)
    optimizer = reg.model_.optimizer
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    assert optimizer.inner_optimizer.use_ema
    averages = optimizer.inner_optimizer._model_variables_moving_average
    assert_weights_equal(reg.model_.get_weights(), [a.numpy() for a in averages])
