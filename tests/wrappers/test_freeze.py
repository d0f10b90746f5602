"""Fine-tuning: ``freeze`` and ``unfreeze_at`` on the Keras* wrappers.

Frozen layers' weights are compared bit for bit before, during (a recording
Keras callback) and after fits; the two-phase run is compared with the same
run done by hand; flags survive pickling and files; errors are clear.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import sktrain
from sktrain import KerasClassifier, KerasRegressor, KerasTransformer

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

N, BATCH = 64, 16  # four steps per epoch


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=N)


def regressor(**kw):
    """A small seeded KerasRegressor (the default MLP, one hidden layer of 8
    units, unless ``model`` is given)."""
    mlp = {} if kw.get("model") is not None else {"model__hidden_layer_sizes": (8,)}
    params = dict(
        **mlp,
        optimizer="adam",
        optimizer__learning_rate=0.01,
        batch_size=BATCH,
        epochs=3,
        random_state=0,
    )
    return KerasRegressor(**{**params, **kw})


def layer(model, path):
    """The layer at ``'outer/inner'`` of ``model``."""
    for name in path.split("/"):
        model = model.get_layer(name)
    return model


def weights(model, path):
    return [np.array(w) for w in layer(model, path).get_weights()]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


class Recorder(keras.callbacks.Callback):
    """The weights of some layers when training starts and after each epoch.

    Shared, not copied, by the estimator (sktrain copies callbacks per fit),
    so the test reads what it saw; a user callback makes sktrain train
    ``model_`` itself."""

    def __init__(self, *paths):
        super().__init__()
        self.paths, self.begin, self.epochs = paths, None, {}

    def __deepcopy__(self, memo):
        return self

    def _take(self):
        return {p: weights(self.model, p) for p in self.paths}

    def on_train_begin(self, logs=None):
        if self.begin is None:  # the first phase's start is the fit's start
            self.begin = self._take()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs[epoch] = self._take()


def base_and_head(n_features_in):
    """A nested 'base' model (b1, b2) under a Dense 'head'."""
    base = keras.Sequential(
        [
            keras.Input((n_features_in,)),
            keras.layers.Dense(6, activation="relu", name="b1"),
            keras.layers.Dense(5, activation="relu", name="b2"),
        ],
        name="base",
    )
    inputs = keras.Input((n_features_in,))
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(base(inputs)))


# ---------------------------------------------------------------------------
# freeze
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("Est", [KerasRegressor, KerasClassifier, KerasTransformer])
def test_frozen_layer_is_bit_identical_while_the_others_train(data, Est):
    X, y = data
    y = (y > 0).astype(int) if Est is KerasClassifier else y
    rec = Recorder("dense_1", "output")
    params = dict(regressor().get_params(), freeze="dense_1", callbacks=[rec])
    est = Est(**params).fit(X, y)
    assert same(rec.begin["dense_1"], weights(est.model_, "dense_1"))
    assert not np.array_equal(rec.begin["output"][0], weights(est.model_, "output")[0])
    assert est.model_.get_layer("dense_1").trainable is False
    assert est.model_.get_layer("output").trainable is True
    assert est._frozen_layers == ("dense_1",)
    assert est.n_iter_ == 3 and len(est.history_["loss"]) == 3
    # the optimizer was built on the trainable weights only
    assert len(est.model_.trainable_weights) == 2


def test_glob_patterns_and_lists(data):
    X, y = data
    rec = Recorder("dense_1", "dense_2", "output")
    est = regressor(
        model__hidden_layer_sizes=(8, 8), freeze="dense_*", callbacks=[rec]
    ).fit(X, y)
    assert est._frozen_layers == ("dense_1", "dense_2")
    assert same(rec.begin["dense_1"], weights(est.model_, "dense_1"))
    assert same(rec.begin["dense_2"], weights(est.model_, "dense_2"))
    assert not same(rec.begin["output"], weights(est.model_, "output"))

    rec = Recorder("dense_1", "dense_2", "output")
    est = regressor(
        model__hidden_layer_sizes=(8, 8), freeze=["dense_1", "out?ut"], callbacks=[rec]
    ).fit(X, y)
    assert est._frozen_layers == ("dense_1", "output")
    assert same(rec.begin["dense_1"], weights(est.model_, "dense_1"))
    assert same(rec.begin["output"], weights(est.model_, "output"))
    assert not same(rec.begin["dense_2"], weights(est.model_, "dense_2"))
    # a tuple is a list of patterns too; matching is case-sensitive
    est = regressor(freeze=("output",), epochs=1).fit(X, y)
    assert est._frozen_layers == ("output",)
    with pytest.raises(ValueError, match="'OUTPUT' matches no layer"):
        regressor(freeze="OUTPUT").fit(X, y)


def test_layers_of_a_nested_model_by_name_and_by_path(data):
    X, y = data
    cases = {
        "b1": ["base/b1"],
        "base/b2": ["base/b2"],
        "base": ["base", "base/b1", "base/b2"],
        "base/*": ["base/b1", "base/b2"],
    }
    for pattern, frozen in cases.items():
        rec = Recorder("base/b1", "base/b2", "head")
        est = regressor(
            model=base_and_head, freeze=pattern, callbacks=[rec], epochs=2
        ).fit(X, y)
        assert list(est._frozen_layers) == frozen, pattern
        for path in ("base/b1", "base/b2", "head"):
            kept = same(rec.begin[path], weights(est.model_, path))
            assert kept == (path in frozen), (pattern, path)


def test_pretrained_model_instance_keeps_its_frozen_weights(data):
    X, y = data
    pretrained = base_and_head(4)
    pretrained.compile("adam", "mse")
    pretrained.fit(X, y, epochs=3, verbose=0)  # an already trained network
    before = [np.array(w) for w in pretrained.get_weights()]
    base_before = weights(pretrained, "base")
    for compiled in (True, False):
        model = pretrained if compiled else keras.models.clone_model(pretrained)
        if not compiled:
            model.set_weights(before)
        est = regressor(model=model, freeze="base", optimizer="sgd").fit(X, y)
        # the copy starts from the pretrained weights and keeps the base's
        assert same(base_before, weights(est.model_, "base"))
        assert not same(weights(pretrained, "head"), weights(est.model_, "head"))
        # the user's instance is neither trained nor frozen
        assert same(before, pretrained.get_weights())
        assert model.get_layer("base").trainable is True
        assert est.model_.get_layer("base").trainable is False
        if compiled:
            # the copy's Adam was built on every weight when it was compiled
            # like the instance; it was renewed for the head's two: a step
            # count, the learning rate and two slots per weight
            assert isinstance(est.model_.optimizer, keras.optimizers.Adam)
            assert len(est.model_.optimizer.variables) == 2 + 2 * 2


def test_user_frozen_layers_stay_frozen_through_unfreezing(data):
    X, y = data

    def build(n_features_in):
        model = base_and_head(n_features_in)
        model.get_layer("base").get_layer("b2").trainable = False  # the user's
        return model

    rec = Recorder("base/b1", "base/b2")
    est = regressor(
        model=build, freeze="base", unfreeze_at=1, epochs=2, callbacks=[rec]
    ).fit(X, y)
    assert est._frozen_layers == ()
    base = est.model_.get_layer("base")
    assert base.trainable and base.get_layer("b1").trainable
    assert base.get_layer("b2").trainable is False
    assert same(rec.begin["base/b2"], weights(est.model_, "base/b2"))
    assert same(rec.begin["base/b1"], rec.epochs[0]["base/b1"])
    assert not same(rec.epochs[0]["base/b1"], rec.epochs[1]["base/b1"])


# ---------------------------------------------------------------------------
# unfreeze_at
# ---------------------------------------------------------------------------
def test_unfreeze_at_trains_the_frozen_layers_from_that_epoch(data):
    X, y = data
    rec = Recorder("dense_1", "output")
    est = regressor(freeze="dense_1", unfreeze_at=2, epochs=4, callbacks=[rec])
    est.fit(X, y)
    assert sorted(rec.epochs) == [0, 1, 2, 3]  # Keras' epoch numbers
    dense = [rec.begin["dense_1"]] + [rec.epochs[e]["dense_1"] for e in range(4)]
    assert same(dense[0], dense[1]) and same(dense[1], dense[2])  # epochs 0, 1
    assert not same(dense[2], dense[3]) and not same(dense[3], dense[4])
    output = [rec.begin["output"]] + [rec.epochs[e]["output"] for e in range(4)]
    assert all(not same(a, b) for a, b in zip(output, output[1:]))
    assert len(est.history_["loss"]) == 4 and est.n_iter_ == 4
    assert est.current_epoch == 4
    assert est.model_.get_layer("dense_1").trainable and est._frozen_layers == ()
    # a new optimizer of the same config, stepped over epochs 2 and 3 only
    optimizer = est.model_.optimizer
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert int(optimizer.iterations) == 2 * N // BATCH
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.01, rtol=1e-6)
    assert len(optimizer.variables) == 2 + 2 * 4  # every weight has its slots


@pytest.mark.parametrize("setting", ["run_eagerly", "validation_split", "sparse"])
def test_unfreeze_at_with_keras_own_loop_validation_and_sparse_input(data, setting):
    import scipy.sparse as sp

    X, y = data
    extra = {
        "run_eagerly": {"run_eagerly": True},
        "validation_split": {"validation_split": 0.25},
        "sparse": {},
    }[setting]
    X = sp.csr_matrix(X) if setting == "sparse" else X
    rec = Recorder("dense_1")
    est = regressor(
        freeze="dense_1", unfreeze_at=1, epochs=3, callbacks=[rec], **extra
    ).fit(X, y)
    assert same(rec.begin["dense_1"], rec.epochs[0]["dense_1"])
    assert not same(rec.epochs[0]["dense_1"], rec.epochs[1]["dense_1"])
    assert not same(rec.epochs[1]["dense_1"], rec.epochs[2]["dense_1"])
    assert est.n_iter_ == 3
    assert all(len(v) == 3 for v in est.history_.values())
    assert ("val_loss" in est.history_) == (setting == "validation_split")


def test_unfreeze_at_equals_the_same_two_fits_by_hand(data):
    X, y = data
    phased = regressor(freeze="dense_1", unfreeze_at=2, epochs=5).fit(X, y)
    by_hand = regressor(freeze="dense_1", epochs=2).fit(X, y)
    by_hand.set_params(freeze=None, warm_start=True, epochs=3).fit(X, y)
    assert same(phased.model_.get_weights(), by_hand.model_.get_weights())
    assert len(phased.history_["loss"]) == 5


def test_unfreeze_at_outside_the_run_and_without_freeze(data):
    X, y = data
    plain = regressor().fit(X, y)
    # from epoch 0: nothing is frozen while training, as without freeze
    at_zero = regressor(freeze="dense_1", unfreeze_at=0).fit(X, y)
    assert same(plain.model_.get_weights(), at_zero.model_.get_weights())
    # without freeze, unfreeze_at has nothing to do
    alone = regressor(unfreeze_at=1).fit(X, y)
    assert same(plain.model_.get_weights(), alone.model_.get_weights())
    # past the run: frozen throughout, and still frozen afterwards
    late = regressor(freeze="dense_1", unfreeze_at=3).fit(X, y)
    start = regressor(freeze="dense_1").initialize(X, y)
    assert same(weights(start.model_, "dense_1"), weights(late.model_, "dense_1"))
    assert late._frozen_layers == ("dense_1",)


def test_a_callback_stopping_the_frozen_phase_ends_the_fit(data):
    X, y = data

    class StopAfterOne(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch >= 1

    rec = Recorder("dense_1")
    est = regressor(
        freeze="dense_1", unfreeze_at=2, epochs=4, callbacks=[StopAfterOne(), rec]
    ).fit(X, y)
    assert est.n_iter_ == 2 and len(est.history_["loss"]) == 2
    assert sorted(rec.epochs) == [0, 1]
    assert est.model_.get_layer("dense_1").trainable is False
    assert same(rec.begin["dense_1"], weights(est.model_, "dense_1"))


class RaiseAt(keras.callbacks.Callback):
    def __init__(self, epoch, exc):
        super().__init__()
        self.epoch, self.exc = epoch, exc

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise self.exc


def test_an_interrupt_in_the_frozen_phase_ends_the_fit(data):
    X, y = data
    est = regressor(
        freeze="dense_1",
        unfreeze_at=2,
        epochs=4,
        callbacks=[RaiseAt(1, KeyboardInterrupt())],
    )
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    # sktrain's monitor recorded epoch 1 before the callback raised
    assert est.n_iter_ == 2 and len(est.history_["loss"]) == 2
    assert est.model_.get_layer("dense_1").trainable is False


def test_a_failure_in_the_unfrozen_phase_restores_the_fit_start(data):
    X, y = data
    est = regressor(freeze="dense_1", epochs=2).fit(X, y)
    before, history = est.model_.get_weights(), dict(est.history_)
    est.set_params(
        warm_start=True, unfreeze_at=1, callbacks=[RaiseAt(1, RuntimeError("boom"))]
    )
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(X, y)
    assert same(before, est.model_.get_weights())  # not the unfrozen phase's
    assert est.history_ == history
    # the next fit freezes for its epoch 0 again
    est.set_params(callbacks=None, epochs=1).fit(X, y)
    assert est.model_.get_layer("dense_1").trainable is False
    assert same(before[:2], est.model_.get_weights()[:2])


def test_partial_fit_counts_epochs_over_calls(data):
    X, y = data
    est = regressor(freeze="dense_1", unfreeze_at=2)
    seen = []
    for _ in range(4):
        est.partial_fit(X, y)
        seen.append(weights(est.model_, "dense_1"))
    start = regressor().initialize(X, y)
    assert same(weights(start.model_, "dense_1"), seen[1])  # epochs 0 and 1
    assert not same(seen[1], seen[2]) and not same(seen[2], seen[3])
    assert est.current_epoch == 4 and est.n_iter_ == 1
    assert est.model_.get_layer("dense_1").trainable  # stays unfrozen
    # a warm-started fit counts from 0 again, so it freezes for epochs 0-1
    est.set_params(warm_start=True, epochs=1).fit(X, y)
    assert est.model_.get_layer("dense_1").trainable is False
    assert same(seen[3], weights(est.model_, "dense_1"))
    # and a fresh fit builds and freezes a new network
    est.set_params(warm_start=False, epochs=1).fit(X, y)
    assert est._frozen_layers == ("dense_1",)


def test_a_changed_freeze_applies_to_the_next_continued_fit(data):
    X, y = data
    est = regressor(model__hidden_layer_sizes=(8, 8), freeze="dense_1").fit(X, y)
    est.set_params(freeze="dense_2", warm_start=True)
    before = est.model_.get_weights()
    est.fit(X, y)
    assert est._frozen_layers == ("dense_2",)
    assert est.model_.get_layer("dense_1").trainable
    after = est.model_.get_weights()
    assert not np.array_equal(before[0], after[0])  # dense_1's kernel trains
    assert np.array_equal(before[2], after[2])  # dense_2's does not


def test_build_function_compiled_optimizer_is_renewed_from_its_config(data):
    X, y = data

    def compiled(n_features_in):
        model = base_and_head(n_features_in)
        opt = keras.optimizers.SGD(learning_rate=0.05, momentum=0.5, clipnorm=2.0)
        model.compile(optimizer=opt, loss="mse")
        return model

    est = KerasRegressor(
        compiled, freeze="b*", unfreeze_at=1, epochs=3, batch_size=BATCH
    ).fit(X, y)
    optimizer = est.model_.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.05, rtol=1e-6)
    assert optimizer.momentum == 0.5 and optimizer.clipnorm == 2.0
    assert int(optimizer.iterations) == 2 * N // BATCH  # epochs 1 and 2


# ---------------------------------------------------------------------------
# sklearn and persistence
# ---------------------------------------------------------------------------
def test_grid_search_over_unfreeze_at(data):
    X, y = data
    est = regressor(freeze="dense_1", epochs=3)
    grid = GridSearchCV(est, {"unfreeze_at": [None, 1]}, cv=2, error_score="raise").fit(
        X, y
    )
    scores = grid.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores[0] != scores[1]
    assert not hasattr(est, "model_") and not hasattr(est, "_frozen_layers")
    best = grid.best_estimator_
    frozen = best.unfreeze_at is None
    assert best.model_.get_layer("dense_1").trainable is not frozen
    # clones share no network and no flags
    a, b = clone(est).fit(X, y), clone(est).set_params(unfreeze_at=1).fit(X, y)
    assert a.model_ is not b.model_
    assert a._frozen_layers == ("dense_1",) and b._frozen_layers == ()
    assert a.model_.get_layer("dense_1").trainable is False


def test_pickle_and_save_keep_the_flags(data, tmp_path):
    X, y = data
    est = regressor(freeze="dense_1", unfreeze_at=3).fit(X, y)  # epochs 0-2
    path = est.save(tmp_path / "frozen.sktrain")
    for copy in (pickle.loads(pickle.dumps(est)), sktrain.load(path)):
        assert copy._frozen_layers == ("dense_1",)
        assert copy.model_.get_layer("dense_1").trainable is False
        np.testing.assert_array_equal(copy.predict(X), est.predict(X))
        kept = weights(copy.model_, "dense_1")
        copy.partial_fit(X, y)  # epoch 3: unfrozen
        assert copy.model_.get_layer("dense_1").trainable
        assert copy._frozen_layers == () and copy.current_epoch == 4
        assert not same(kept, weights(copy.model_, "dense_1"))


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
def test_clear_errors(data):
    X, y = data
    est = regressor(freeze=["dense_1", "dense_9"])
    with pytest.raises(ValueError, match="'dense_9' matches no layer") as err:
        est.fit(X, y)
    assert "'dense_1', 'activation_1', 'output'" in str(err.value)
    assert not hasattr(est, "model_")  # a failed fresh fit leaves nothing
    with pytest.raises(ValueError, match="'base/b1', 'base/b2', 'head'"):
        regressor(model=base_and_head, freeze="nope").fit(X, y)
    with pytest.raises(ValueError, match=r"freeze='\*' leaves nothing to train"):
        regressor(freeze="*").fit(X, y)
    with pytest.raises(ValueError, match="leaves nothing to train"):
        regressor(freeze=["dense_1", "output"], unfreeze_at=1).fit(X, y)
    with pytest.raises(TypeError, match="freeze takes a layer name.*got 3"):
        regressor(freeze=["dense_1", 3]).fit(X, y)
    with pytest.raises(ValueError, match="unfreeze_at"):
        regressor(freeze="dense_1", unfreeze_at=-1).fit(X, y)
    # a continued fit with a bad pattern keeps the fitted network as it was
    fitted = regressor(freeze="dense_1").fit(X, y)
    before = fitted.model_.get_weights()
    with pytest.raises(ValueError, match="'dense_7' matches no layer"):
        fitted.set_params(freeze="dense_7").partial_fit(X, y)
    assert same(before, fitted.model_.get_weights())
    assert fitted.model_.get_layer("dense_1").trainable is False
