"""Each Keras/TensorFlow internal sktrain relies on (``_engine/keras_compat.py``)
still exists and still does what sktrain assumes; these fail first when a
Keras or TensorFlow release changes one."""

import keras
import numpy as np
import tensorflow as tf

from sktrain._engine import keras_compat


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_optimizer_all_reduce_hook_exists_and_is_skipped_for_one_replica():
    optimizer = keras.optimizers.Adam()
    original = optimizer._all_reduce_sum_gradients  # the internal itself
    keras_compat.skip_single_replica_all_reduce(optimizer)
    patched = optimizer._all_reduce_sum_gradients
    assert patched is not original
    keras_compat.skip_single_replica_all_reduce(optimizer)  # idempotent
    assert optimizer._all_reduce_sum_gradients is patched
    grads = [(tf.constant([1.0]), tf.Variable([0.0]))]
    assert patched(grads) == grads
    assert keras.optimizers.Adam()._all_reduce_sum_gradients is not patched


def test_training_with_the_patched_optimizer_still_learns():
    model = _model()
    keras_compat.quiet_model_optimizer(model)
    X = np.random.RandomState(0).normal(size=(64, 3)).astype("float32")
    y = X[:, :2] * 2
    first = model.evaluate(X, y, verbose=0)
    model.fit(X, y, epochs=20, verbose=0)
    assert model.evaluate(X, y, verbose=0) < first


def test_retracing_warning_flag_is_tf_functions_own():
    fn = tf.function(lambda x: x + 1)
    assert hasattr(fn, "_omit_frequent_tracing_warning")  # the internal exists
    assert keras_compat.omit_retracing_warning(fn) is fn
    assert fn._omit_frequent_tracing_warning is True


def test_install_train_function_sets_what_model_fit_reads():
    model = _model()
    calls = []

    def function(iterator):
        calls.append(1)
        return model.train_step(next(iterator))

    keras_compat.install_train_function(model, 4, None)  # Keras makes its own
    assert model.steps_per_execution == 4 and model.train_function is None
    model.make_train_function()
    keras_compat.install_train_function(model, 4, None)  # kept: no re-trace
    assert model.train_function is not None
    keras_compat.install_train_function(model, 1, function)
    assert model.steps_per_execution == 1 and model.train_function is function
    X = np.zeros((8, 3), "float32")
    model.fit(X, np.zeros((8, 2), "float32"), batch_size=2, verbose=0)
    assert calls == [1] * 4  # fit called the installed function, once a batch


def test_loss_function_kwargs_hold_what_get_config_drops():
    loss = keras.losses.Huber(delta=2.5)
    assert keras_compat.loss_function_kwargs(loss).get("delta", 2.5) == 2.5
    assert keras_compat.loss_function_kwargs(object()) == {}


def test_function_call_options_are_per_call_and_restored():
    from tensorflow.python.eager import context

    seen = []
    model = keras.Sequential(
        [keras.Input((3,), dtype="float64"), keras.layers.Dense(2, dtype="float64")]
    )

    @tf.function
    def fn(x):
        return model(x)

    def probe(x):
        options = context.context().function_call_options
        seen.append(
            tf.compat.v1.ConfigProto.FromString(
                options.config_proto_serialized
            ).graph_options.rewrite_options.remapping
        )
        return fn(x)

    before = context.context().function_call_options
    quiet = keras_compat.without_remapper(probe)
    assert keras_compat.without_remapper(quiet) is quiet  # wrapped once
    out = quiet(np.ones((2, 3)))
    assert out.shape == (2, 2)
    assert seen == [2]  # RewriterConfig.OFF inside the call
    assert context.context().function_call_options is before  # restored


def test_quiet_for_dtype_wraps_float64_models_only():
    f64 = keras.Sequential(
        [keras.Input((3,), dtype="float64"), keras.layers.Dense(2, dtype="float64")]
    )
    f32 = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    fn = tf.function(lambda x: x)
    assert keras_compat.quiet_for_dtype(f32, fn) is fn
    assert keras_compat.quiet_for_dtype(f64, fn)._sktrain_without_remapper


def test_kept_with_stores_past_keras_tracking():
    model = _model()
    made = []
    first = keras_compat.kept_with(model, "_slot", "k", lambda: made.append(1) or [1])
    again = keras_compat.kept_with(model, "_slot", "k", lambda: made.append(1) or [2])
    assert first is again and made == [1]
    assert "_slot" not in [v.path for v in model.variables]  # not tracked
    keras_compat.forget_kept(model, "_slot")
    assert keras_compat.kept_with(model, "_slot", "k", lambda: [3]) == [3]


def test_replace_optimizer_is_what_fit_and_the_compile_config_use():
    model = _model()
    new = keras.optimizers.SGD(0.5, clipvalue=0.25)
    keras_compat.replace_optimizer(model, new)
    assert model.get_compile_config()["optimizer"]["config"]["clipvalue"] == 0.25
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    assert model.optimizer is new and int(new.iterations) == 1


def test_ema_internals_hold_the_moving_averages_of_the_trainable_variables():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1, use_ema=True), loss="mse")
    x, y = np.ones((4, 3)), np.zeros((4, 2))
    model.optimizer.build(model.trainable_variables)
    np.testing.assert_array_equal(  # no step yet: the averages are zeros
        keras_compat.weights_to_keep(model)[0], model.get_weights()[0]
    )
    model.fit(x, y, epochs=3, verbose=0)  # fit ends with the averages
    raw = [w.copy() for w in model.get_weights()]
    pairs = keras_compat._ema_pairs(model)
    assert [v for v, _ in pairs] == list(model.trainable_variables)
    for (_, average), w in zip(pairs, raw):
        np.testing.assert_array_equal(average.numpy(), w)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[_KeepRaw()])
    kept = keras_compat.weights_to_keep(model)  # the averages, not the weights
    assert not np.allclose(kept[0], model.get_weights()[0])
    for (_, average), w in zip(pairs, kept):
        np.testing.assert_array_equal(average.numpy(), w)
    for variable, _ in pairs:
        variable.assign(np.zeros(variable.shape))
    keras_compat.restart_averages(model)
    assert all(not np.any(a.numpy()) for _, a in pairs)


class _KeepRaw(keras.callbacks.Callback):
    """Undo the averaging ``fit`` ends with (runs after it)."""

    def on_train_batch_end(self, batch, logs=None):
        self.raw = self.model.get_weights()

    def on_train_end(self, logs=None):
        self.model.set_weights(self.raw)


def test_quiet_model_optimizer_reaches_a_loss_scale_optimizers_inner_one():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    inner = keras.optimizers.Adam()
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(inner), loss="mse")
    keras_compat.quiet_model_optimizer(model)
    # the inner optimizer applies the gradients (its _backend_update_step)
    assert inner._all_reduce_sum_gradients._sktrain_skips


def test_replace_optimizer_is_kept_by_the_compile_config(tmp_path):
    model = _model()
    scaled = keras.optimizers.LossScaleOptimizer(model.optimizer)
    keras_compat.replace_optimizer(model, scaled)
    assert model.optimizer is scaled
    config = model.get_compile_config()["optimizer"]
    assert config["class_name"] == "LossScaleOptimizer"
    X = np.ones((4, 3), "float32")
    model.fit(X, X[:, :2], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, keras.optimizers.LossScaleOptimizer)
    pairs = zip(loaded.optimizer.variables, model.optimizer.variables, strict=True)
    for got, want in pairs:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_call_inputs_are_the_outer_tensors_a_nested_model_received():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="inner")
    x = keras.Input((5,))
    h = keras.layers.Dense(4, name="d1")(x)
    outer = keras.Model(x, inner(h))
    (received,) = keras_compat.call_inputs(inner)
    assert received is outer.get_layer("d1").output
    assert keras_compat.call_inputs(keras.layers.Dense(2)) is None


def test_build_from_spec_builds_the_model_and_skips_fits_own_build():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = _model()
    spec = (tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None, 2], tf.float32))
    assert not model._compile_loss.built  # the internal Keras builds in fit
    keras_compat.build_from_spec(model, spec)
    assert model.built and model._compile_loss.built
    assert model._maybe_symbolic_build(iterator=object()) is None  # no pull
    with strategy.scope():  # fit, which calls it, still trains
        history = model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_global_batch_loss_patches_the_loss_tracker_fit_updates():
    model = _model()
    x, y = np.random.RandomState(0).rand(8, 3), np.zeros((8, 2))
    model.fit(x, y, verbose=0)  # the tracker Keras updates per step
    keras_compat.global_batch_loss(model)
    patched = model._loss_tracker.update_state
    keras_compat.global_batch_loss(model)  # idempotent
    assert model._loss_tracker.update_state is patched
    model._loss_tracker.reset_state()
    model._loss_tracker.update_state(2.0, sample_weight=4)  # one replica: as is
    assert float(model._loss_tracker.result()) == 2.0
    # the uneven two-replica split it fixes: test_distribution.py


def test_flat_call_equals_the_concrete_functions_call():
    v = tf.Variable(2.0)
    spec = [tf.TensorSpec([], tf.float32), tf.TensorSpec([None], tf.int64)]

    @tf.function(input_signature=spec, autograph=False)
    def f(x, idx):
        return {"y": x * v, "n": tf.size(idx)}

    concrete = f.get_concrete_function()
    fast = keras_compat.flat_call(concrete)
    args = (tf.constant(3.0), tf.constant([4, 5], tf.int64))
    got, want = fast(*args), concrete(*args)
    assert {k: float(t) for k, t in got.items()} == {"y": 6.0, "n": 2.0}
    assert {k: float(t) for k, t in want.items()} == {"y": 6.0, "n": 2.0}
    v.assign(5.0)  # captured variables are read at run time, not copied
    assert float(fast(*args)["y"]) == 15.0
