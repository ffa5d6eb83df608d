"""``layer-registry check`` over worker processes: the same results as in one process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli

CHECKS = ("--check=construct", "--check=call", "--check=gradients", "--check=saving")

BROKEN = '''
class Broken(keras.layers.Layer):
    """A layer whose call raises."""

    def call(self, inputs):
        raise ValueError("Broken cannot be called")
'''

DIES = '''
import os


class Dies(keras.layers.Layer):
    """A layer that ends the process it is called in."""

    def call(self, inputs):
        os._exit(3)
'''


def _plugin(root: Path, namespace: str, extra: str, cls: str) -> Path:
    register = "\n".join(
        [
            "    register(First, example={'units': 2}, input_shape=(2, 3))",
            f"    register({cls}, input_shape=(2, 3))",
            "    register(Second, example={'units': 2}, input_shape=(2, 3))",
            "    register(Third, example={'units': 2}, input_shape=(2, 3))",
        ]
    )
    source = plugin_source("First", "Second", "Third", register=register, preamble=extra)
    return write_plugin(
        root, distribution=f"{namespace}-layers", namespace=namespace, source=source
    )


def _check(root: Path, namespace: str, workers: int, *args: str):
    env = {"LAYER_REGISTRY_ONLY": namespace, "LAYER_REGISTRY_CHECK_WORKERS": str(workers)}
    return run_cli("check", namespace, *CHECKS, *args, pythonpath=[root], env=env)


def test_two_workers_report_what_one_process_reports(tmp_path: Path):
    root = _plugin(tmp_path, "parted", "import keras\n" + BROKEN, "Broken")
    serial, parallel = (_check(root, "parted", n, "--json") for n in (1, 2))
    assert serial.returncode == parallel.returncode == 1, parallel.stderr
    one, two = json.loads(serial.stdout), json.loads(parallel.stdout)

    def untimed(report):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in report]

    assert untimed(two) == untimed(one)
    assert [r["status"] for r in untimed(two) if r["layer"] == "parted>Broken"] == [
        "pass",
        "fail",
        "skip",
        "skip",
    ]


@pytest.fixture(scope="module")
def dying(tmp_path_factory: pytest.TempPathFactory):
    root = _plugin(tmp_path_factory.mktemp("dying"), "dying", "import keras\n" + DIES, "Dies")
    return _check(root, "dying", 2)


def test_a_layer_that_kills_its_worker_fails_alone(dying):
    assert dying.returncode == 1, dying.stderr
    rows = {line.split()[0]: line.split()[1:] for line in dying.stdout.splitlines()[1:5]}
    assert rows == {
        "dying>First": ["✓", "✓", "✓", "✓"],
        "dying>Dies": ["✓", "✗", "-", "-"],
        "dying>Second": ["✓", "✓", "✓", "✓"],
        "dying>Third": ["✓", "✓", "✓", "✓"],
    }
    assert (
        "FAIL  dying>Dies call: the check worker process died (exited with status 3) "
        "during this check" in dying.stdout
    )


def test_the_summary_names_the_workers(dying):
    summary = dying.stdout.strip().splitlines()[-1]
    assert summary.startswith("4 layers, 4 checks: 13 passed, 1 failed, 2 skipped")
    assert re.search(r" in \d+\.\d s \(serial sum \d+\.\d s, 2 workers\)$", summary), summary


def test_a_few_layers_are_checked_in_one_process_by_default(tmp_path: Path):
    # Each worker starts Keras, TensorFlow and JAX anew: four layers do not repay a second one.
    root = _plugin(tmp_path, "few", "import keras\n" + BROKEN, "Broken")
    result = run_cli(
        "check", "few", "--check=construct", pythonpath=[root], env={"LAYER_REGISTRY_ONLY": "few"}
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("4 layers, 1 check: 4 passed"), summary
    assert re.search(r"\(serial sum \d+\.\d s, 1 worker\)$", summary), summary
