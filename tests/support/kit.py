"""What the conformance kit's tests share: the calibration layers and a fresh-process CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import keras

from support import broken_layers
from support.processes import environment

TESTS = Path(__file__).resolve().parents[1]

KERAS_LAYERS = [
    {"layer": keras.layers.Dense, "example": {"units": 3}, "input_shape": (4, 5)},
    {
        "layer": keras.layers.Conv1D,
        "example": {"filters": 3, "kernel_size": 2},
        "input_shape": (4, 6, 2),
    },
    {"layer": keras.layers.LayerNormalization, "input_shape": (4, 5)},
    {
        "layer": keras.layers.Embedding,
        "example": {"input_dim": 10, "output_dim": 3},
        "input_shape": (4, 6),
        "input_dtype": "int32",
    },
    {"layer": keras.layers.LSTM, "example": {"units": 3}, "input_shape": (4, 6, 2)},
    {"layer": keras.layers.BatchNormalization, "input_shape": (4, 5)},
    {
        # Several inputs: call(query, value) gets them positionally.
        "layer": keras.layers.MultiHeadAttention,
        "example": {"num_heads": 2, "key_dim": 4},
        "input_shape": [(4, 3, 5), (4, 6, 5)],
    },
]
"""Keras's own layers with example arguments: the kit must raise no false alarm on them."""

BROKEN_LAYERS = [
    {"layer": cls, "example": {"units": 4}, "input_shape": (8, 3)} for cls in broken_layers.EXPECTED
]

TUTORIAL_PLUGIN = '''
import keras
import tensorflow as tf
from keras import ops

import layer_registry


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ForgetfulDense(keras.layers.Layer):
    """A dense layer whose get_config forgets its activation."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.w))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@layer_registry.hookimpl
def register_layers(register):
    register(Linear, example={"units": 4}, input_shape=(8, 3))
    register(ForgetfulDense, example={"units": 4}, input_shape=(8, 3))
'''
"""The classic tutorial's layer (tf.* ops, no docstring) and a forgetful one, as a plugin."""

CLI_CODE = "import sys\nfrom layer_registry._cli import main\nsys.exit(main(sys.argv[1:]))\n"


def run_check_cli(*args: str, pythonpath: Sequence[Path] = ()) -> subprocess.CompletedProcess[str]:
    """``layer-registry check ARGS`` in a fresh process (with ``check`` wired in either way)."""
    return subprocess.run(
        [sys.executable, "-c", CLI_CODE, "check", *args],
        capture_output=True,
        text=True,
        env=environment(pythonpath, None),
    )
