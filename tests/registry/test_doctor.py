"""`layer-registry doctor` finds what a publisher or a user would want to know."""

from __future__ import annotations

import json

import pytest

from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli


@pytest.fixture(scope="module")
def troubled(tmp_path_factory):
    """Plugins with one problem each, installed beside the bundled ones."""
    root = tmp_path_factory.mktemp("troubled")
    write_plugin(
        root, distribution="acme-dense", namespace="acme_dense", source=plugin_source("Dense")
    )
    write_plugin(
        root, distribution="acme-twin", namespace="acme_twin", source=plugin_source("CustomLinear")
    )
    sneaky = plugin_source(
        "Sneaky",
        register="    register(Sneaky, input_shape=(2, 3))\n"
        "    keras.saving.register_keras_serializable('elsewhere')(Hidden)",
    )
    sneaky = sneaky.replace(
        "import layer_registry\n",
        "import layer_registry\nimport keras\n"
        "class Hidden(keras.layers.Layer):\n    def get_config(self):\n"
        "        return super().get_config()\n",
        1,
    )
    write_plugin(root, distribution="acme-sneaky", namespace="acme_sneaky", source=sneaky)
    write_plugin(
        root,
        distribution="acme-broken",
        namespace="acme_broken",
        source="raise ImportError('missing native library')\n",
    )
    quiet = plugin_source("Quiet", register="    register(Quiet)")
    write_plugin(root, distribution="acme-quiet", namespace="acme_quiet", source=quiet, summary="")
    return root


def findings(result):
    data = json.loads(result.stdout)
    return data, {(f["namespace"], f["check"], f["level"]): f["message"] for f in data["findings"]}


def test_doctor_reports_each_problem_with_its_plugin(troubled):
    result = run_cli("doctor", "--json", pythonpath=[troubled])
    data, found = findings(result)

    assert result.returncode == 1  # a plugin failed to load: an error
    assert "missing native library" in found[("acme_broken", "loads", "error")]
    assert "built-in layers.Dense" in found[("acme_dense", "collision", "warning")]
    assert "examples>CustomLinear" in found[("acme_twin", "collision", "warning")]
    assert "elsewhere>Hidden" in found[("acme_sneaky", "namespace", "warning")]
    assert "without input_shape" in found[("acme_quiet", "example", "warning")]
    assert "no summary" in found[("acme_quiet", "metadata", "warning")]
    assert found[("examples", "loads", "ok")].startswith("layer-registry-examples 0.1.0 loads")
    assert data["errors"] == 1


def test_doctor_of_one_healthy_plugin_passes_even_strict():
    result = run_cli("doctor", "examples", "--strict")
    assert result.returncode == 0, result.stderr
    assert "0 error(s), 0 warning(s)" in result.stdout


def test_strict_fails_on_warnings_alone(troubled):
    assert run_cli("doctor", "acme_dense", pythonpath=[troubled]).returncode == 0
    assert run_cli("doctor", "acme_dense", "--strict", pythonpath=[troubled]).returncode == 1


def test_blocked_plugins_are_reported(troubled):
    result = run_cli(
        "doctor", "--json", pythonpath=[troubled], env={"LAYER_REGISTRY_DISABLE": "acme_broken"}
    )
    _, found = findings(result)
    assert "blocked by LAYER_REGISTRY_DISABLE" in found[("acme_broken", "blocked", "warning")]
    assert result.returncode == 0


def test_an_unknown_namespace_is_one_line_and_exit_2():
    result = run_cli("doctor", "nope")
    assert result.returncode == 2
    assert "no plugin with namespace 'nope' is installed" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_contested_class_names_both_plugins_and_a_missing_get_config_is_a_warning(tmp_path):
    root = tmp_path
    # Registers the examples plugin's class beside its own: refused there, kept by its owner.
    claims = plugin_source(
        "Mine",
        preamble="from layer_registry_examples import CustomLinear\n",
        register="    register(Mine)\n    register(CustomLinear)",
    )
    write_plugin(root, distribution="aaa-claims", namespace="acme_claims", source=claims)
    # Keras builds get_config from the constructor's arguments: a reminder, not a refusal.
    tutorial = (
        "import keras, layer_registry\n"
        "class Plain(keras.layers.Layer):\n"
        "    'A layer written the tutorial way.'\n"
        "    def __init__(self, units=2, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.units = units\n"
        "    def call(self, x):\n        return x\n"
        "@layer_registry.hookimpl\ndef register_layers(register):\n"
        "    register(Plain, input_shape=(2, 3))\n"
    )
    write_plugin(root, distribution="acme-plain", namespace="acme_plain", source=tutorial)
    result = run_cli("doctor", "--json", pythonpath=[root])
    data, found = findings(result)

    assert result.returncode == 1, result.stderr  # a refused class is an error
    refused = found[("acme_claims", "registration", "error")]
    assert "layer_registry_examples.custom_linear:CustomLinear" in refused
    assert "belongs to plugin 'examples'" in refused
    kept = [f["message"] for f in data["findings"] if f["namespace"] == "examples"]
    assert any("also registered by plugin(s) 'acme_claims'" in message for message in kept)
    assert "defines no get_config()" in found[("acme_plain", "config", "warning")]
    assert ("acme_plain", "registration", "error") not in found
