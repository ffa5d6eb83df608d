"""B6: `layer_registry.load_model` of a model with 50 MB of weights, saved by
`layer_registry.save_model` (with provenance) vs. saved by `model.save`. Target: the provenance
costs nothing on load (Keras extracted a four-member archive to disk on every load)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from measure import Row
from measure import best_of
from measure import emit

INPUTS, UNITS = 3200, 4000
"""A kernel of 3,200 x 4,000 float32: 51.2 MB of weights."""
REPEAT = 15
"""Loads of each file, alternating; the fastest of each is kept (the extraction was ~10%)."""


def main() -> None:
    import keras

    import layer_registry

    model = keras.Sequential(
        [keras.Input((INPUTS,)), layer_registry.create("examples>CustomLinear", units=UNITS)]
    )
    assert sum(w.numpy().nbytes for w in model.weights) >= 50_000_000
    with tempfile.TemporaryDirectory() as folder:
        plain, recorded = Path(folder, "plain.keras"), Path(folder, "registry.keras")
        model.save(plain)
        layer_registry.save_model(model, recorded)
        x = np.ones((1, INPUTS), dtype="float32")
        expected = model.predict(x, verbose=0)
        for path in (plain, recorded):  # both load the same weights, before anything is timed
            loaded = layer_registry.load_model(path)
            np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
        # Side by side, alternating, in one process: both see the same warm caches.
        times: dict[Path, list[float]] = {plain: [], recorded: []}
        for _ in range(REPEAT):
            for path in times:
                times[path].append(best_of(lambda p=path: layer_registry.load_model(p), 1))
        size = os.path.getsize(recorded) / 1e6
    ours, baseline = min(times[recorded]), min(times[plain])
    emit(
        [
            Row(
                "B6",
                f"load_model, {size:.0f} MB file saved by save_model",
                ours,
                baseline,
                "saved by model.save",
                "<= 1.05x",
                ours <= 1.05 * baseline,
            )
        ]
    )


if __name__ == "__main__":
    main()
