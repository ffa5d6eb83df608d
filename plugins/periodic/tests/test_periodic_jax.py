"""The layers use only `keras.ops`, so they also run (and differentiate under jit) on JAX."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

_SCRIPT = textwrap.dedent(
    """
    import json

    import jax
    import keras
    import numpy as np

    from layer_registry_periodic.fourier_features import FourierFeatures
    from layer_registry_periodic.periodic_embedding import PeriodicEmbedding
    from layer_registry_periodic.sine_dense import SineDense
    from layer_registry_periodic.snake import Snake
    from layer_registry_periodic.time2vec import Time2Vec

    assert keras.backend.backend() == "jax"
    cases = [
        (Time2Vec, {"units": 8}, (4, 16, 1)),
        (SineDense, {"units": 16, "is_first": True}, (16, 2)),
        (Snake, {"alpha_initializer": 1.0}, (8, 16)),
        (FourierFeatures, {"units": 16, "trainable": True}, (16, 2)),
        (PeriodicEmbedding, {"n_frequencies": 8}, (8, 4)),
    ]
    report = {}
    for cls, kwargs, shape in cases:
        x = np.random.default_rng(0).uniform(-1, 1, size=shape).astype("float32")
        layer = cls(**kwargs)
        y = layer(x)
        trainable = [v.value for v in layer.trainable_variables]
        # A random projection, not a sum of squares: sin^2 + cos^2 is constant.
        projection = np.random.default_rng(1).normal(size=y.shape).astype("float32")

        @jax.jit
        def grads(values, x):
            def loss(values):
                out, _ = layer.stateless_call(values, [], x)
                return keras.ops.sum(out * projection)
            return jax.grad(loss)(values)

        g = [np.asarray(v) for v in grads(trainable, x)]
        report[cls.__name__] = {
            "shape": list(y.shape),
            "expected": list(layer.compute_output_shape(shape)),
            "finite": bool(np.isfinite(np.asarray(y)).all()),
            "grads_ok": all(np.isfinite(v).all() and np.any(v != 0) for v in g),
            "n_grads": len(g),
        }
    print(json.dumps(report))
    """
)


def test_layers_run_and_differentiate_on_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {"Time2Vec", "SineDense", "Snake", "FourierFeatures", "PeriodicEmbedding"}
    for name, entry in report.items():
        assert entry["shape"] == entry["expected"], name
        assert entry["finite"], name
        assert entry["grads_ok"] and entry["n_grads"] >= 1, name
