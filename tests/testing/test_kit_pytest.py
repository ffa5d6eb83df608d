"""pytest integration: parametrize_with_checks, the --layer-registry-check option, outcomes."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap

from support.kit import TESTS
from support.processes import environment
from support.processes import run_python

INNER_TESTS = """
from support import broken_layers
from layer_registry.testing import parametrize_with_checks


@parametrize_with_checks("examples", checks=["docstring", "call"])
def test_examples(layer, check):
    check(layer)


@parametrize_with_checks(
    {"layer": broken_layers.Float32Cast, "example": {"units": 4}, "input_shape": (8, 3)},
    {"layer": broken_layers.WeightsInInit, "example": {"units": 4}, "input_shape": (8, 3)},
    {
        "layer": broken_layers.UnusedWeight,
        "example": {"units": 4},
        "input_shape": (8, 3),
        "expected_failures": {"gradients": "kept for an old checkpoint"},
    },
    checks=["mixed_precision", "gradients"],
)
def test_broken(layer, check):
    check(layer)
"""


def _plugin_option() -> list[str]:
    """Load the plugin by module when its pytest11 entry point is not installed (yet)."""
    installed = importlib.metadata.entry_points(group="pytest11", name="layer_registry")
    return [] if installed else ["-p", "layer_registry.testing._pytest_plugin"]


def test_the_plugin_imports_neither_keras_nor_tensorflow():
    finished = run_python(
        "import sys, layer_registry.testing._pytest_plugin\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    )
    assert finished.stdout.strip() == "[]", finished.stderr


def test_one_test_per_layer_and_check_with_outcomes_and_k_selection(tmp_path):
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            *_plugin_option(),
            "-rA",
            "--layer-registry-check=examples",
            "-k",
            "docstring or call or gradients or mixed_precision",
            "test_inner.py",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment([TESTS], None),
    )
    out = finished.stdout
    assert finished.returncode == 1, out + finished.stderr
    lines = out.splitlines()

    def outcome(test_id: str) -> str:
        found = [line.split()[0] for line in lines if line.split()[1:2] == [test_id]]
        assert len(found) == 1, (test_id, out)
        return found[0]

    for name in ("CustomInitLayer", "CustomLinear", "CustomNonLinear"):
        for check in ("docstring", "call"):
            assert outcome(f"test_inner.py::test_examples[examples>{name}-{check}]") == "PASSED"
        for check in ("docstring", "call", "gradients", "mixed_precision"):
            assert outcome(f"layer-registry::examples>{name}-{check}") == "PASSED"
    broken = "test_inner.py::test_broken[calibration>{}-{}]"
    assert outcome(broken.format("Float32Cast", "mixed_precision")) == "FAILED"
    assert outcome(broken.format("Float32Cast", "gradients")) == "PASSED"
    assert outcome(broken.format("UnusedWeight", "gradients")) == "XFAIL"
    assert outcome(broken.format("UnusedWeight", "mixed_precision")) == "PASSED"
    # Skips are summarised by reason, not by id.
    assert any(
        line.startswith("SKIPPED [2]") and line.endswith("skipped: call failed") for line in lines
    ), out
    # A failure is the reason, not a traceback into the kit.
    assert "calibration>Float32Cast mixed_precision: under the mixed_float16 policy" in out
    assert "_runner.py" not in out
    assert "kept for an old checkpoint" in out
    # Every check exists for every layer; -k left only the four asked for.
    assert "27 deselected" in out
