"""Every kind of broken plugin installed at once beside the good ones: nothing good is lost."""

from __future__ import annotations

import json

import pytest

from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli
from support.processes import run_python

HOOK = "import layer_registry\n@layer_registry.hookimpl\ndef register_layers(register):\n"
NO_CONFIG = (
    "import keras\nclass NoConfig(keras.layers.Layer):\n    def call(self, x):\n        return x\n"
)
FOREIGN = (
    "import keras\n"
    "@keras.saving.register_keras_serializable('examples')\n"
    "class Impostor(keras.layers.Layer):\n    def get_config(self):\n"
    "        return super().get_config()\n"
)

# namespace -> (plugin source, the status `plugins` gives it, the cause it names)
FAULTS = {
    "f_import": ("raise ImportError('no libfoo')\n", "failed", "ImportError: no libfoo"),
    "f_syntax": ("def broken(:\n", "failed", "SyntaxError"),
    "f_exit": ("import sys\nsys.exit(4)\n", "failed", "SystemExit: 4"),
    "f_hook": (HOOK + "    raise KeyError('hook bug')\n", "failed", "KeyError: 'hook bug'"),
    # A refused class is skipped alone: its plugin loads, in part.
    "f_function": (HOOK + "    register(print)\n", "partial", "is not a class"),
    "f_not_layer": (HOOK + "    register(dict)\n", "partial", "is not a keras.layers.Layer"),
    "f_steal": (
        "from layer_registry_examples import CustomLinear\n"
        + HOOK
        + "    register(CustomLinear)\n",
        "partial",
        "belongs to plugin 'examples'",
    ),
    # Keras builds get_config by itself: a layer without one is a valid layer.
    "f_no_config": (NO_CONFIG + HOOK + "    register(NoConfig)\n", "loaded", ""),
    "f_printer": (plugin_source("Printer", preamble="print('garbage on stdout')\n"), "loaded", ""),
    "f_builtin": (plugin_source("Dense"), "loaded", ""),
    "f_foreign": (FOREIGN + plugin_source("Honest"), "loaded", ""),
}
GOOD = {"good_one": plugin_source("GoodOne"), "good_two": plugin_source("GoodTwo")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("fault-matrix")
    for namespace, (source, _, _) in FAULTS.items():
        write_plugin(root, distribution=f"acme-{namespace}", namespace=namespace, source=source)
    for namespace, source in GOOD.items():
        write_plugin(root, distribution=f"zeta-{namespace}", namespace=namespace, source=source)
    # A second distribution claiming the bundled plugin's namespace.
    write_plugin(
        root, distribution="zzz-examples-clone", namespace="examples", source=plugin_source("Clone")
    )
    return root


def test_listing_keeps_every_good_layer_and_stays_valid_json(installed):
    result = run_cli("list", "--json", pythonpath=[installed])
    assert result.returncode == 0, result.stderr
    names = {record["name"] for record in json.loads(result.stdout)}
    assert {
        "examples>CustomLinear",
        "examples>CustomNonLinear",
        "examples>CustomInitLayer",
        "good_one>GoodOne",
        "good_two>GoodTwo",
        "f_printer>Printer",
        "f_builtin>Dense",
        "f_foreign>Honest",
        "f_no_config>NoConfig",
    } <= names
    assert "periodic>Time2Vec" in names
    assert not any(
        name.startswith(("f_import", "f_steal", "f_hook", "examples>Clone")) for name in names
    )


def test_plugins_reports_each_bad_plugin_with_its_cause(installed):
    result = run_cli("plugins", "--json", pythonpath=[installed])
    records = {(r["namespace"], r["distribution"]): r for r in json.loads(result.stdout)}
    for namespace, (_, status, cause) in FAULTS.items():
        record = records[(namespace, f"acme-{namespace}")]
        assert record["status"] == status, record
        if status == "failed":
            assert cause in record["error"], record
        elif status == "partial":
            ((_, why),) = record["refused"]
            assert cause in why, record
    clone = records[("examples", "zzz-examples-clone")]
    assert clone["status"] == "failed"
    assert "already provided by distribution layer-registry-examples" in clone["error"]
    assert records[("examples", "layer-registry-examples")]["status"] == "loaded"


def test_doctor_reports_each_bad_plugin(installed):
    result = run_cli("doctor", "--json", pythonpath=[installed])
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    errors = {f["namespace"] for f in findings if f["level"] == "error"}
    assert {ns for ns, (_, status, _) in FAULTS.items() if status != "loaded"} <= errors
    warnings = {(f["namespace"], f["check"]) for f in findings if f["level"] == "warning"}
    assert ("f_builtin", "collision") in warnings
    assert ("f_foreign", "namespace") in warnings


def test_strict_mode_stops_at_the_first_broken_plugin(installed):
    result = run_cli("list", pythonpath=[installed], env={"LAYER_REGISTRY_STRICT": "1"})
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "plugin 'f_exit' (distribution acme-f_exit 1.0.0) failed to load" in errors[0]
    assert "Traceback" not in result.stderr


def test_every_good_layer_still_builds_and_runs(installed):
    code = (
        "import json, numpy as np, layer_registry\n"
        "ran = []\n"
        "for name in layer_registry.names():\n"
        "    info = layer_registry.info(name)\n"
        "    if info.input_shape is None or info.multiple_inputs:\n"
        "        continue\n"
        "    layer = layer_registry.create(name, **info.example)\n"
        "    x = np.random.default_rng(0).normal(size=info.input_shape).astype(info.input_dtype)\n"
        "    y = np.asarray(layer(x))\n"
        "    assert np.isfinite(y).all(), name\n"
        "    ran.append(name)\n"
        "print(json.dumps(ran))\n"
    )
    result = run_python(code, pythonpath=[installed])
    assert result.returncode == 0, result.stderr
    ran = set(json.loads(result.stdout))
    assert {
        "examples>CustomLinear",
        "periodic>Time2Vec",
        "good_one>GoodOne",
        "good_two>GoodTwo",
        "f_printer>Printer",
    } <= ran
