"""B5: a training step of a bundled layer created through the registry vs. the same class
imported directly, and `examples>CustomLinear` vs. `keras.layers.Dense`.
Target: within 1.05x (the registry adds no runtime cost)."""

from __future__ import annotations

import keras
import numpy as np

import layer_registry
from layer_registry_examples import CustomLinear
from measure import Row
from measure import emit

STEPS = 300


def model_with(layer: keras.layers.Layer) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32,)), layer, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def step_time(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    import time

    model.train_on_batch(x, y)  # trace and warm up
    start = time.perf_counter()
    for _ in range(STEPS):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / STEPS


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 32)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    models = {
        "registry": model_with(layer_registry.create("examples>CustomLinear", units=64)),
        "direct": model_with(CustomLinear(units=64)),
        "dense": model_with(keras.layers.Dense(64)),
    }
    # Interleaved rounds, best of each: a busy 2-core machine disturbs one round, not all.
    best = {name: float("inf") for name in models}
    for _ in range(5):
        for name, model in models.items():
            best[name] = min(best[name], step_time(model, x, y))
    emit(
        [
            Row(
                "B5",
                "training step: via the registry vs imported directly",
                best["registry"],
                best["direct"],
                "direct",
                "<= 1.05x",
                best["registry"] <= 1.05 * best["direct"],
            ),
            Row(
                "B5b",
                "training step: examples>CustomLinear vs keras Dense",
                best["direct"],
                best["dense"],
                "Dense",
                "<= 1.05x",
                best["direct"] <= 1.05 * best["dense"],
            ),
        ]
    )


if __name__ == "__main__":
    main()
