"""
Bring your own Keras model: a small CNN on sklearn's 8x8 digits
===============================================================

The build function receives what the data implies (``input_shape``,
``n_outputs``) plus its own hyperparameter (``filters``); GridSearchCV tunes
that hyperparameter and a routed optimizer setting together. Runs in well
under a minute on 2 CPU cores.
"""

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

from sktrain import KerasClassifier


def cnn(input_shape, n_outputs, filters=8):
    """A build function: sktrain passes the arguments it names."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(n_outputs, activation="softmax"),
        ]
    )


def main():
    digits = load_digits()
    X = (digits.images / 16.0)[..., None].astype("float32")  # (n, 8, 8, 1)
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, stratify=digits.target, random_state=0
    )
    clf = KerasClassifier(
        cnn,
        loss="sparse_categorical_crossentropy",
        optimizer="adam",
        epochs=8,
        batch_size=64,
        random_state=0,
    )
    grid = GridSearchCV(
        clf,
        {"model__filters": [4, 16], "optimizer__learning_rate": [1e-3, 1e-2]},
        cv=3,
    )
    grid.fit(X_train, y_train)
    print("best parameters:", grid.best_params_)
    print(f"cross-validated accuracy: {grid.best_score_:.3f}")
    print(f"held-out accuracy: {grid.score(X_test, y_test):.3f}")
    print("probabilities of the first test image:")
    print(grid.predict_proba(X_test[:1]).round(3))
    return grid


if __name__ == "__main__":
    main()
