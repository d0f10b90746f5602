"""The in-process workloads: training throughput, prediction, GridSearchCV and
cross_val_score. Each competitor's result is a dict of figures, or
``{"error": "..."}`` if it failed (the run goes on)."""

import functools
import math

import bench_float64 as f64
import keras
import numpy as np
import tensorflow as tf
from bench_common import (
    COLD,
    CV_BATCH,
    GRID_BATCH,
    SEED,
    EpochTimer,
    alpha_to_l2,
    attempt,
    clock,
    keras_mlp,
    latencies,
    median_time,
    runs_in_turn,
    scikeras_binary_model,
    scikeras_regressor_model,
    scikeras_wrappers,
    throughput,
)
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sktrain

HIDDEN = (64, 64)


def regression_data(n, n_features=50):
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, n_features), dtype=np.float32)
    w = rng.standard_normal(n_features).astype(np.float32) / np.sqrt(n_features)
    y = np.tanh(X @ w) + 0.1 * rng.standard_normal(n).astype(np.float32)
    return X, y.astype(np.float32)


# -- training throughput ----------------------------------------------------
def _rate(n, timer):
    return {"samples_per_s": n / timer.times[1], "epoch_times_s": timer.times}


def _train_sktrain(X, y, bs):
    timer = EpochTimer()
    est = sktrain.MLPRegressor(
        hidden_layer_sizes=HIDDEN,
        batch_size=bs,
        max_iter=2,
        shuffle=True,
        random_state=SEED,
        callbacks=[timer],
    )
    est.fit(X, y)
    return _rate(len(X), timer), est


def _compiled_keras(n_features, steps_per_execution=1):
    model = keras_mlp(n_features, HIDDEN)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="mse",
        steps_per_execution=steps_per_execution,
    )
    return model


def _train_keras_default(X, y, bs):
    timer = EpochTimer()
    model = _compiled_keras(X.shape[1])
    model.fit(X, y, batch_size=bs, epochs=2, verbose=0, callbacks=[timer])
    return _rate(len(X), timer), model


def tuned_dataset(X, y, bs, seed=SEED):
    """Best-practice in-memory pipeline: a fresh permutation per epoch in one
    op (stateless, seeded by epoch), batches of indices, one vectorized gather
    per batch, prefetch. Infinite: fit() needs steps_per_epoch."""
    X_t, y_t = tf.constant(X), tf.constant(y)
    n = len(X)

    def epoch_batches(epoch):
        key = tf.stack([tf.constant(seed, tf.int64), epoch])
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=key
        )
        return tf.data.Dataset.from_tensor_slices(perm).batch(bs)

    return (
        tf.data.Dataset.counter()
        .flat_map(epoch_batches)
        .map(
            lambda i: (tf.gather(X_t, i), tf.gather(y_t, i)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .prefetch(tf.data.AUTOTUNE)
    )


def _train_keras_tuned(X, y, bs, per_call=64):
    timer = EpochTimer()
    steps = math.ceil(len(X) / bs)
    # ``per_call`` steps per graph call, but never more than an epoch: an
    # execution that straddles epochs is slow in Keras 3.
    model = _compiled_keras(X.shape[1], steps_per_execution=min(per_call, steps))
    model.fit(
        tuned_dataset(X, y, bs),
        epochs=2,
        steps_per_epoch=steps,
        shuffle=False,  # the pipeline shuffles
        verbose=0,
        callbacks=[timer],
    )
    return _rate(len(X), timer), model


def _train_scikeras(X, y, bs):
    KerasRegressor, _ = scikeras_wrappers()
    timer = EpochTimer()
    est = KerasRegressor(
        model=scikeras_regressor_model,
        model__hidden=HIDDEN,
        loss="mse",
        optimizer="adam",
        optimizer__learning_rate=1e-3,
        batch_size=bs,
        epochs=2,
        shuffle=True,
        verbose=0,
        random_state=SEED,
        callbacks=[timer],
    )
    est.fit(X, y)
    return _rate(len(X), timer), est


def _train_sklearn(X, y, bs, n_rows, repeats=3):
    """One epoch = one partial_fit call; median of ``repeats`` epochs after the
    first (which initialises the weights)."""
    Xs, ys = X[:n_rows], y[:n_rows]
    est = SkMLPRegressor(
        hidden_layer_sizes=HIDDEN, batch_size=bs, shuffle=True, random_state=SEED
    )
    est.partial_fit(Xs, ys)  # first epoch: initialisation, warm caches
    dt = median_time(lambda: est.partial_fit(Xs, ys), repeats)
    return {"samples_per_s": n_rows / dt, "epoch_time_s": dt, "rows": n_rows}, est


def train_throughput(sizes):
    """Samples/s of the second epoch, per batch size, on float32 data and (the
    default path, bench_float64.py) on float64 data, the median of
    ``train_repeats`` runs taken in turn; returns (results, models of the
    last batch size, the float32 X)."""
    X, y = regression_data(sizes["train_rows"])
    results, models = {}, {}
    runners = {
        "sktrain": _train_sktrain,
        "keras_default": _train_keras_default,
        "keras_tuned": _train_keras_tuned,
        "keras_tuned_epoch": lambda X, y, bs: _train_keras_tuned(X, y, bs, len(X)),
        "scikeras": _train_scikeras,
        "sklearn": lambda X, y, bs: _train_sklearn(
            X, y, bs, sizes["sklearn_train_rows"]
        ),
    }
    jobs = [(name, run, X, y) for name, run in runners.items()]
    jobs += f64.train_jobs(runners, X, y)
    for bs in sizes["batch_sizes"]:
        runs = {
            name: functools.partial(_keep_model, models, name, run, X_, y_, bs)
            for name, run, X_, y_ in jobs
        }
        results[bs] = runs_in_turn(
            runs,
            sizes["train_repeats"],
            key="samples_per_s",
            label=f"train batch={bs}",
        )
    return results, models, X


def _keep_model(models, name, run, X, y, bs):
    """``run``'s figures; its model goes to ``models[name]``."""
    result, models[name] = run(X, y, bs)
    return result


# -- prediction ---------------------------------------------------------------
def _predictors(models, n_features):
    """name -> function(X) returning a NumPy array, for each fitted model."""
    fns = {}
    if "sktrain" in models:
        fns["sktrain"] = models["sktrain"].predict
    if "keras_tuned" in models:
        model = models["keras_tuned"]
        spec = tf.TensorSpec([None, n_features], tf.float32)
        compiled = tf.function(
            lambda x: model(x, training=False), input_signature=[spec]
        )
        fns["keras_predict"] = lambda x: model.predict(x, verbose=0)
        fns["keras_call"] = lambda x: np.asarray(model(x, training=False))
        fns["keras_tf_function"] = lambda x: compiled(x).numpy()
    if "sklearn" in models:
        fns["sklearn"] = models["sklearn"].predict
    if "scikeras" in models:
        fns["scikeras"] = models["scikeras"].predict
    return fns


def prediction(models, X, sizes):
    """Latency for 1 and 100 rows; throughput on ``predict_rows`` rows. The
    models trained on float64 data are called on float64 rows (the same
    values as X)."""
    big = X[: sizes["predict_rows"]]
    (big64,) = f64.user_data(big)
    fns, fns64 = _predictors(models, X.shape[1]), f64.predictors(models)
    inputs = dict.fromkeys(fns64, big64)
    out = {"latency": {1: {}, 100: {}}, "throughput": {}}
    for rows in (1, 100):
        every = {**fns, **fns64}
        out["latency"][rows] = latencies(
            every,
            {name: inputs.get(name, big)[:rows] for name in every},
            min_calls=sizes["latency_min_calls"],
            budget_s=sizes["latency_budget_s"],
        )
    if "keras_tuned" in models:
        model = models["keras_tuned"]
        fns["keras_predict_bs65536"] = lambda x: model.predict(
            x, batch_size=65536, verbose=0
        )
        compiled = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, X.shape[1]], tf.float32)],
        )

        def chunked(x, rows=32768):  # hand-written best practice for big inputs
            parts = [compiled(x[i : i + rows]).numpy() for i in range(0, len(x), rows)]
            return np.concatenate(parts)

        fns["keras_tf_function_chunked"] = chunked
    eager = ("keras_call", f64.key("keras_call"))  # not run on all rows
    fns = {k: fn for k, fn in {**fns, **fns64}.items() if k not in eager}
    inputs = {name: inputs.get(name, big) for name in fns}
    out["throughput"] = throughput(fns, inputs, sizes["predict_repeats"])
    return out


# -- GridSearchCV -------------------------------------------------------------
def classification_data():
    X, y = make_classification(n_samples=5000, n_features=20, random_state=SEED)
    return X.astype(np.float32), y


def _gs_result(gs, t0):
    return {
        "wall_s": clock() - t0,
        "best_score": float(gs.best_score_),
        "best_params": {k: str(v) for k, v in gs.best_params_.items()},
    }


def _grid_sktrain(X, y, grid, cv, epochs):
    est = sktrain.MLPClassifier(
        max_iter=epochs, batch_size=GRID_BATCH, random_state=SEED
    )
    t0 = clock()
    gs = GridSearchCV(est, grid, cv=cv, refit=False, n_jobs=1).fit(X, y)
    return _gs_result(gs, t0)


def _grid_sklearn(X, y, grid, cv, epochs):
    est = SkMLPClassifier(max_iter=epochs, batch_size=GRID_BATCH, random_state=SEED)
    t0 = clock()
    gs = GridSearchCV(est, grid, cv=cv, refit=False, n_jobs=1).fit(X, y)
    return _gs_result(gs, t0)


def _scikeras_classifier(hidden, l2, lr, epochs, batch):
    _, KerasClassifier = scikeras_wrappers()
    return KerasClassifier(
        model=scikeras_binary_model,
        model__hidden=hidden,
        model__l2=l2,
        loss="binary_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=lr,
        epochs=epochs,
        batch_size=batch,
        verbose=0,
        random_state=SEED,
    )


def _grid_scikeras(X, y, grid, cv, epochs):
    est = _scikeras_classifier((32,), 0.0, 1e-3, epochs, GRID_BATCH)
    sk_grid = {
        "model__hidden": grid["hidden_layer_sizes"],
        "optimizer__learning_rate": grid["learning_rate_init"],
        "model__l2": [alpha_to_l2(a, GRID_BATCH) for a in grid["alpha"]],
    }
    t0 = clock()
    gs = GridSearchCV(est, sk_grid, cv=cv, refit=False, n_jobs=1).fit(X, y)
    return _gs_result(gs, t0)


def _keras_fit_score(X_tr, y_tr, X_te, y_te, *, hidden, alpha, lr, epochs, batch):
    model = keras_mlp(
        X_tr.shape[1],
        hidden,
        out_activation="sigmoid",
        l2=alpha_to_l2(alpha, batch),
    )
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="binary_crossentropy")
    model.fit(X_tr, y_tr, epochs=epochs, batch_size=batch, verbose=0)
    proba = model.predict(X_te, verbose=0)[:, 0]
    return accuracy_score(y_te, (proba > 0.5).astype(int))


def _grid_keras(X, y, grid, cv, epochs):
    t0 = clock()
    best_score, best_params = -np.inf, None
    for params in ParameterGrid(grid):
        scores = [
            _keras_fit_score(
                X[tr],
                y[tr],
                X[te],
                y[te],
                hidden=params["hidden_layer_sizes"],
                alpha=params["alpha"],
                lr=params["learning_rate_init"],
                epochs=epochs,
                batch=GRID_BATCH,
            )
            for tr, te in cv.split(X, y)
        ]
        if np.mean(scores) > best_score:
            best_score, best_params = float(np.mean(scores)), params
    return {
        "wall_s": clock() - t0,
        "best_score": best_score,
        "best_params": {k: str(v) for k, v in best_params.items()},
    }


def grid_search(sizes):
    X, y = classification_data()
    grid = sizes["grid"]
    cv = StratifiedKFold(sizes["grid_folds"], shuffle=True, random_state=SEED)
    out = {
        "n_configs": len(ParameterGrid(grid)),
        "folds": sizes["grid_folds"],
        "epochs": sizes["grid_epochs"],
    }
    args = (X, y, grid, cv, sizes["grid_epochs"])
    # the acceptance pair, in turn, each sktrain run tracing anew (COLD)
    pair = {"sktrain": _grid_sktrain, "sklearn": _grid_sklearn}
    pair = {name: functools.partial(run, *args) for name, run in pair.items()}
    out.update(runs_in_turn(pair, sizes["wall_repeats"], **COLD, label="grid"))
    for name, run in {"scikeras": _grid_scikeras, "keras_loop": _grid_keras}.items():
        print(f"  GridSearchCV: {name}", flush=True)
        keras.utils.set_random_seed(SEED)
        out[name] = attempt(f"grid {name}", run, *args)
    return out


# -- cross_val_score on breast_cancer -----------------------------------------
CV_HIDDEN = (64,)
CV_ALPHA = 1e-4


def _cv_score(est, X, y, cv):
    t0 = clock()
    scores = cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=cv)
    return {"wall_s": clock() - t0, "mean_accuracy": float(np.mean(scores))}


def _cv_keras(X, y, cv, epochs):
    t0 = clock()
    scores = []
    for tr, te in cv.split(X, y):
        scaler = StandardScaler().fit(X[tr])
        scores.append(
            _keras_fit_score(
                scaler.transform(X[tr]),
                y[tr],
                scaler.transform(X[te]),
                y[te],
                hidden=CV_HIDDEN,
                alpha=CV_ALPHA,
                lr=1e-3,
                epochs=epochs,
                batch=CV_BATCH,
            )
        )
    return {"wall_s": clock() - t0, "mean_accuracy": float(np.mean(scores))}


def cross_validation(sizes):
    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    epochs = sizes["cv_epochs"]
    cv = StratifiedKFold(sizes["cv_folds"], shuffle=True, random_state=SEED)
    common = {"hidden_layer_sizes": CV_HIDDEN, "alpha": CV_ALPHA}
    common.update(max_iter=epochs, batch_size=CV_BATCH, random_state=SEED)
    pair = {
        "sktrain": lambda: _cv_score(sktrain.MLPClassifier(**common), X, y, cv),
        "sklearn": lambda: _cv_score(SkMLPClassifier(**common), X, y, cv),
    }
    out = {"folds": sizes["cv_folds"], "epochs": epochs}
    out.update(runs_in_turn(pair, sizes["wall_repeats"], **COLD, label="cv"))
    runners = {
        "scikeras": lambda: _cv_score(
            _scikeras_classifier(
                CV_HIDDEN, alpha_to_l2(CV_ALPHA, CV_BATCH), 1e-3, epochs, CV_BATCH
            ),
            X,
            y,
            cv,
        ),
        "keras_loop": lambda: _cv_keras(X, y, cv, epochs),
    }
    for name, run in runners.items():
        print(f"  cross_val_score: {name}", flush=True)
        keras.utils.set_random_seed(SEED)
        out[name] = attempt(f"cv {name}", run)
    return out
