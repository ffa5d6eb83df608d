"""Plugin layers train under tf.distribute.MultiWorkerMirroredStrategy: two real workers.

Runs the multi-worker guide's ``train.py`` verbatim in two processes on 127.0.0.1, each building
the model from the same spec by name; both must end with the same weights.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

import layer_registry
from support import LIBRARY_PLUGINS
from support.models import GUIDES
from support.models import TESTS
from support.models import free_ports
from support.models import guide_block
from support.models import guide_blocks
from support.processes import quiet

TIMEOUT = 150


def test_two_workers_end_with_equal_weights(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(guide_block("multi-worker.md", "train.py"))
    shutil.copytree(GUIDES / "specs", tmp_path / "specs")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = {
            **os.environ,
            "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}}
            ),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": str(TESTS),
        }
        for variable in ("LAYER_REGISTRY_ONLY", "LAYER_REGISTRY_STRICT"):
            env.pop(variable, None)
        # As everywhere in the core's tests: the guide's figures are those of the core plugins.
        env["LAYER_REGISTRY_DISABLE"] = LIBRARY_PLUGINS
        workers.append(
            subprocess.Popen(
                [sys.executable, "train.py"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=TIMEOUT)
            outputs.append((worker.returncode, out, quiet(err)))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    for index, (status, out, err) in enumerate(outputs):
        assert status == 0, f"worker {index} failed:\n{err[-4000:]}"
        assert out.startswith(f"worker {index}: loss "), out

    # The loss the guide shows (reduced across workers, so the same on both).
    console = next(b.code for b in guide_blocks("multi-worker.md") if b.lang == "console")
    shown = sorted(line for line in console.splitlines() if line.startswith("worker "))
    assert sorted(out.strip() for _, out, _ in outputs) == shown
    first, second = (np.load(tmp_path / f"weights-{index}.npz") for index in range(2))
    assert len(first.files) == len(second.files) == 7
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)

    # Training moved the last bias away from its zeros, and the chief's file holds the weights.
    assert np.any(first["arr_6"] != 0)
    saved = layer_registry.load_model(tmp_path / "regressor.keras")
    for name, value in zip(first.files, saved.get_weights(), strict=True):
        np.testing.assert_array_equal(first[name], value, err_msg=name)
