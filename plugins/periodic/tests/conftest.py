"""Test setup for the periodic plugin: its layer modules, importable without installing it."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Lets the tests run from a source checkout as well as against an installed
# distribution (an installed copy, e.g. `pip install -e`, is the same tree).
_PLUGIN_ROOT = str(Path(__file__).resolve().parents[1])
if _PLUGIN_ROOT not in sys.path:
    sys.path.insert(0, _PLUGIN_ROOT)

import keras  # noqa: E402  (must follow the environment set-up above)
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def _gradients(layer, x):
    """Gradients of a random projection of `layer(x)` for each trainable weight, as NumPy arrays.

    Not `sum(layer(x) ** 2)`: for `[sin(v), cos(v)]` outputs that sum is constant
    (sin^2 + cos^2 = 1), so every gradient would be zero by construction.
    """
    backend = keras.backend.backend()
    if not layer.built:
        layer.build(np.shape(x))
    projection = np.random.default_rng(7).normal(
        size=layer.compute_output_shape(np.shape(x))
    ).astype("float32")
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = keras.ops.sum(layer(x) * projection)
        grads = tape.gradient(loss, [v.value for v in layer.trainable_variables])
        return [np.asarray(g) for g in grads]
    if backend == "jax":
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]

        def loss(values):
            y, _ = layer.stateless_call(values, non_trainable, x)
            return keras.ops.sum(y * projection)

        return [np.asarray(g) for g in jax.grad(loss)(trainable)]
    pytest.skip(f"gradient helper does not support the {backend} backend")


@pytest.fixture
def gradients():
    """A function returning the gradients of a simple loss for each trainable weight."""
    return _gradients


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
