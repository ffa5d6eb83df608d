"""What registration tells the kit: expected failures, example functions, a setup hook."""

from __future__ import annotations

import json
from pathlib import Path

from support.distributions import write_plugin
from support.kit import run_check_cli

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
