"""``layer-registry check``: JSON, the table, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

from layer_registry._cli._check import _print_report
from layer_registry.testing import CheckResult
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli
from support.processes import run_python


def test_the_kit_and_the_command_need_neither_pytest_nor_keras_to_import():
    # pytest is a test extra, not a dependency: `layer-registry check` must work without it.
    finished = run_python(
        "import sys, layer_registry.testing, layer_registry._cli._check\n"
        "print(sorted(m for m in ('pytest', 'keras', 'tensorflow') if m in sys.modules))"
    )
    assert finished.stdout.strip() == "[]", finished.stderr


def test_json_lists_every_result_and_exit_status_0(run_cli_in_process):
    status, out, _ = run_cli_in_process(
        "check", "examples", "--check", "construct", "--check", "docstring", "--json"
    )
    assert status == 0
    results = json.loads(out)
    assert [(r["layer"], r["check"], r["status"]) for r in results][:2] == [
        ("examples>CustomInitLayer", "docstring", "pass"),
        ("examples>CustomInitLayer", "construct", "pass"),
    ]
    assert len(results) == 6
    assert set(results[0]) == {"layer", "check", "status", "reason", "seconds"}


def test_the_table_names_layers_in_full_and_ends_with_a_summary(run_cli_in_process):
    status, out, _ = run_cli_in_process("check", "examples>CustomLinear", "--check", "call")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["layer", "call"]
    assert lines[1].split() == ["examples>CustomLinear", "✓"]
    assert lines[-1].startswith("1 layer, 1 check: 1 passed, 0 failed, 0 skipped, 0 expected")


def test_an_unknown_layer_is_one_line_and_exit_status_2(run_cli_in_process):
    status, out, err = run_cli_in_process("check", "examples>Nope")
    assert status == 2
    assert out == ""
    assert err.startswith("error: no layer is registered as 'examples>Nope'")
    assert len(err.strip().splitlines()) == 1


def test_an_unknown_check_is_a_usage_error(run_cli_in_process):
    status, _, err = run_cli_in_process("check", "--check", "savign")
    assert status == 2
    assert "'savign' is not one of 'docstring'" in err


def test_the_report_lists_failures_with_reasons_but_not_each_gatekept_skip(capsys):
    results = [
        CheckResult("acme>Widget", "construct", "pass"),
        CheckResult("acme>Widget", "call", "fail", "calling the layer raised TypeError: no"),
        CheckResult("acme>Widget", "saving", "skip", "skipped: call failed"),
        CheckResult("acme>Gadget", "construct", "pass", "warning: something to know"),
        CheckResult("acme>Gadget", "call", "xfail", "expected failure: known (why)"),
        CheckResult("acme>Gadget", "saving", "skip", "skipped: JAX is not installed"),
    ]
    _print_report(results, ["construct", "call", "saving"], 2, 3.0)
    out = capsys.readouterr().out
    assert "FAIL  acme>Widget call: calling the layer raised TypeError: no" in out
    assert "XFAIL acme>Gadget call: expected failure: known (why)" in out
    assert "WARN  acme>Gadget construct: warning: something to know" in out
    assert "SKIP  acme>Gadget saving: skipped: JAX is not installed" in out
    assert "skipped: call failed" not in out
    assert out.rstrip().endswith(
        "2 layers, 3 checks: 2 passed, 1 failed, 2 skipped, 1 expected failure in 3.0 s"
    )


NOISY = '''
import keras
from keras import ops

print("noisy: the plugin is imported")


class Noisy(keras.layers.Layer):
    """A layer that prints in every method."""

    def __init__(self, units=2, **kwargs):
        print("noisy: __init__")
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        print("noisy: build", input_shape)
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        print("noisy: call")
        return ops.matmul(inputs, self.kernel)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''


def test_json_stays_json_when_a_plugin_and_its_layer_print(tmp_path: Path):
    plugin = write_plugin(
        tmp_path,
        distribution="noisy-layers",
        namespace="noisy",
        source=plugin_source(
            preamble=NOISY,
            register="    print('noisy: register_layers')\n"
            "    register(Noisy, example={'units': 2}, input_shape=(2, 3))",
        ),
    )
    checks = ["construct", "call", "saving", "jit_compile"]  # in the kit's order
    finished = run_cli(
        "check", "noisy", "--json", *(f"--check={check}" for check in checks),
        pythonpath=[plugin],
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    results = json.loads(finished.stdout)
    assert [(r["check"], r["status"]) for r in results] == [(c, "pass") for c in checks]
    # What the plugin printed is not lost: it went to stderr.
    for line in ("the plugin is imported", "register_layers", "__init__", "build", "call"):
        assert f"noisy: {line}" in finished.stderr


def test_a_blocked_plugin_is_not_checked_and_a_failed_one_reports_its_error(tmp_path: Path):
    blocked = write_plugin(
        tmp_path / "blocked",
        distribution="blocked-layers",
        namespace="blocked",
        source=plugin_source("Fine"),
    )
    failed = write_plugin(
        tmp_path / "failed",
        distribution="failed-layers",
        namespace="failed",
        source="raise ImportError('failed-layers needs scipy_nope')\n",
    )
    env = {"LAYER_REGISTRY_DISABLE": "blocked"}
    finished = run_cli("check", "blocked", pythonpath=[blocked, failed], env=env)
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr.strip() == (
        "error: plugin 'blocked' (distribution blocked-layers 1.0.0) is blocked: "
        "blocked by LAYER_REGISTRY_DISABLE"
    )
    finished = run_cli("check", "failed", pythonpath=[blocked, failed], env=env)
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr.startswith(
        "error: plugin 'failed' (distribution failed-layers 1.0.0) is failed: "
    )
    assert "ImportError: failed-layers needs scipy_nope" in finished.stderr
