"""``layer-registry check``: JSON, the table, exit statuses."""

from __future__ import annotations

import json

from processes import run_python

from layer_registry._cli_check import _print_report
from layer_registry.testing import CheckResult


def test_the_kit_and_the_command_need_neither_pytest_nor_keras_to_import():
    # pytest is a test extra, not a dependency: `layer-registry check` must work without it.
    finished = run_python(
        "import sys, layer_registry.testing, layer_registry._cli_check\n"
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
        "2 layers, 3 checks: 2 passed, 1 failed, 2 skipped, 1 expected failures in 3.0 s"
    )
