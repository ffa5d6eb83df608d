"""What registration tells the kit: expected failures, example functions, a setup hook."""

from __future__ import annotations

import json
from pathlib import Path

from support.distributions import write_plugin
from support.kit import run_check_cli
from support.processes import run_cli

TENSORFLOW_ONLY = """
import keras
import layer_registry


class Undocumented(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


@layer_registry.hookimpl
def register_layers(register):
    register(
        Undocumented,
        input_shape=(2, 3),
        expected_failures={"docstring": "documented on the project's wiki"},
    )
"""


def test_check_exits_0_when_every_failure_is_declared_at_registration(tmp_path: Path):
    plugin = write_plugin(
        tmp_path, distribution="wiki-layers", namespace="wiki", source=TENSORFLOW_ONLY
    )
    finished = run_check_cli("wiki", "--check", "docstring", "--check", "call", pythonpath=[plugin])
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert (
        "XFAIL wiki>Undocumented docstring: expected failure: documented on the project's wiki"
        in (finished.stdout)
    )
    assert "1 passed, 0 failed, 0 skipped, 1 expected failure in" in finished.stdout

    finished = run_check_cli("wiki", "--check", "docstring", "--json", pythonpath=[plugin])
    assert finished.returncode == 0, finished.stderr
    (result,) = json.loads(finished.stdout)
    assert set(result) == {"layer", "check", "status", "reason", "seconds"}
    assert (result["status"], result["check"]) == ("xfail", "docstring")
    assert "has no docstring" in result["reason"]


RETRIEVAL = '''
import keras
import numpy as np
import layer_registry
from keras import ops


class Wrapped(keras.layers.Layer):
    """Applies the layer it is given."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def build(self, input_shape):
        if not self.inner.built:
            self.inner.build(input_shape)

    def call(self, inputs):
        return self.inner(inputs)

    def get_config(self):
        return {**super().get_config(), "inner": keras.saving.serialize_keras_object(self.inner)}

    @classmethod
    def from_config(cls, config):
        return cls(inner=keras.saving.deserialize_keras_object(config.pop("inner")), **config)


class Retrieval(keras.layers.Layer):
    """Scores inputs against candidates set by update_candidates()."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.candidates = None

    def update_candidates(self, candidates):
        self.candidates = ops.convert_to_tensor(candidates)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        if self.candidates is None:
            raise ValueError("call update_candidates(candidates) first")
        candidates = ops.cast(self.candidates, self.compute_dtype)
        return ops.matmul(ops.matmul(inputs, self.kernel), ops.transpose(candidates))

    def compute_output_shape(self, input_shape):
        # Known without the candidates: a model holding the layer loads before they are set.
        count = None if self.candidates is None else self.candidates.shape[0]
        return (*input_shape[:-1], count)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Misregistered(Retrieval):
    """Registered with an example function that takes an argument."""


@layer_registry.hookimpl
def register_layers(register):
    register(Wrapped, example=lambda: {"inner": keras.layers.Dense(2)}, input_shape=(4, 3))
    register(
        Retrieval,
        input_shape=(4, 3),
        setup=lambda layer: layer.update_candidates(np.ones((6, 4), "float32")),
    )
    register(Misregistered, example=lambda units: {"units": units})
'''


def test_an_example_function_and_a_setup_give_every_check_its_layer(tmp_path: Path):
    plugin = write_plugin(
        tmp_path, distribution="retrieval", namespace="retrieval", source=RETRIEVAL
    )
    finished = run_check_cli("retrieval", "--json", pythonpath=[plugin])
    assert finished.returncode == 0, finished.stdout + finished.stderr
    results = json.loads(finished.stdout)
    failing = [r for r in results if r["status"] != "pass"]
    assert failing == [], failing
    assert {r["layer"] for r in results} == {"retrieval>Wrapped", "retrieval>Retrieval"}


def test_show_gives_the_source_of_an_example_function_and_a_refusal_says_why(tmp_path: Path):
    plugin = write_plugin(
        tmp_path, distribution="retrieval", namespace="retrieval", source=RETRIEVAL
    )
    shown = run_cli("show", "retrieval>Wrapped", pythonpath=[plugin])
    assert shown.returncode == 0, shown.stderr
    assert (
        "layer_registry.create('retrieval>Wrapped', "
        "**retrieval:register_layers.<locals>.<lambda>()) (source below)"
    ) in shown.stdout
    assert 'example=lambda: {"inner": keras.layers.Dense(2)}' in shown.stdout
    shown = run_cli("show", "retrieval>Retrieval", "--json", pythonpath=[plugin])
    info = json.loads(shown.stdout)
    assert (info["example"], info["example_function"]) == ({}, "")
    assert info["setup_function"] == "retrieval:register_layers.<locals>.<lambda>"
    assert "layer.update_candidates(np.ones((6, 4)" in info["setup_source"]

    plugins = run_cli(
        "plugins", "--json", pythonpath=[plugin], env={"LAYER_REGISTRY_ONLY": "retrieval"}
    )
    (record,) = [p for p in json.loads(plugins.stdout) if p["namespace"] == "retrieval"]
    ((where, why),) = record["refused"]
    assert where == "retrieval:Misregistered"
    assert "cannot be called with no arguments; give a function of no arguments" in why
