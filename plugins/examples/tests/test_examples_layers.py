"""The tutorial layers compute what they say, train, and reload in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import layer_registry

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NAMES = ["examples>CustomLinear", "examples>CustomNonLinear", "examples>CustomInitLayer"]


def test_custom_linear_is_an_affine_map():
    layer = layer_registry.create("examples>CustomLinear", units=2)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = np.asarray(layer(x))
    w, b = (np.asarray(v) for v in layer.weights)
    assert w.shape == (3, 2) and b.shape == (2,)
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-6)
    np.testing.assert_array_equal(b, 0)


def test_custom_non_linear_is_a_sine_of_an_affine_map_with_a_trainable_frequency():
    layer = layer_registry.create("examples>CustomNonLinear", units=3)
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    y = np.asarray(layer(x))
    w, b, a = (np.asarray(v) for v in layer.weights)
    np.testing.assert_allclose(y, np.sin(a * (x @ w + b)), rtol=1e-5, atol=1e-6)
    assert len(layer.trainable_weights) == 3


def test_custom_init_layer_starts_with_glorot_weights_and_a_bias_of_ones():
    layer = layer_registry.create("examples>CustomInitLayer", units=64)
    layer.build((None, 256))
    w, b = (np.asarray(v) for v in layer.weights)
    np.testing.assert_array_equal(b, 1)
    # Glorot normal: a truncated normal with stddev sqrt(2 / (fan_in + fan_out)).
    assert w.std() == pytest.approx(np.sqrt(2 / (256 + 64)), rel=0.15)


@pytest.mark.parametrize("name", NAMES)
def test_initializers_are_configuration_and_round_trip(name):
    layer = layer_registry.create(
        name, units=3, kernel_initializer="ones", bias_initializer="zeros"
    )
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone.build((None, 2))
    np.testing.assert_array_equal(np.asarray(clone.weights[0]), 1)


@pytest.mark.parametrize("name", NAMES)
def test_units_must_be_positive(name):
    with pytest.raises(layer_registry.LayerConfigError, match=r"Received: units=0"):
        layer_registry.create(name, units=0)


@pytest.mark.parametrize("name", NAMES)
def test_the_loss_falls_on_a_small_regression(name):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(256, 3)).astype("float32")
    y = (0.5 * np.sin(x @ np.array([[1.0], [-2.0], [0.5]]))).astype("float32")
    model = keras.Sequential(
        [keras.Input((3,)), layer_registry.create(name, units=8), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=64, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


RELOAD = """
import sys, numpy as np, keras, layer_registry
layer_registry.load()
model = keras.saving.load_model(sys.argv[1])
np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))
"""


def test_every_layer_reloads_in_a_fresh_process_with_identical_outputs(tmp_path):
    inputs = keras.Input((3,))
    outputs = [layer_registry.create(name, units=4)(inputs) for name in NAMES]
    model = keras.Model(inputs, keras.layers.Concatenate()(outputs))
    x = np.random.default_rng(2).normal(size=(6, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)

    subprocess.run(
        [
            sys.executable,
            "-c",
            RELOAD,
            str(tmp_path / "m.keras"),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        check=True,
        capture_output=True,
    )

    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), model.predict(x, verbose=0))
