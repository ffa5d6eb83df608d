"""Run Python code and the console script in fresh processes, where users meet import bugs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
"""``tests/``: on ``PYTHONPATH`` of every subprocess, so it can import ``support``."""
CLI = str(Path(sys.executable).with_name("layer-registry"))
"""The console script installed beside the running interpreter."""

# TensorFlow's C++ logging before absl is set up ignores TF_CPP_MIN_LOG_LEVEL.
_NOISE = re.compile(r"^(?:[IWE]\d{4} .*|WARNING: All log messages before absl.*|To enable the.*)$")


def environment(pythonpath: Sequence[Path], env: dict[str, str] | None) -> dict[str, str]:
    """The test process's environment, with ``pythonpath`` (plugin folders) and ``tests/``."""
    environment = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(str(p) for p in [*pythonpath, TESTS]),
        **(env or {}),
    }
    # The registry reads these; a developer's shell must not change what the tests see.
    for variable in ("LAYER_REGISTRY_ONLY", "LAYER_REGISTRY_DISABLE", "LAYER_REGISTRY_STRICT"):
        if variable not in (env or {}):
            environment.pop(variable, None)
    return environment


def quiet(output: str) -> str:
    """``output`` without TensorFlow's start-up log lines."""
    return "\n".join(line for line in output.splitlines() if not _NOISE.match(line))


def _run(command: list[str], pythonpath, env, cwd, timeout) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment(pythonpath, env),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout, quiet(result.stderr)
    )


def run_python(
    code: str,
    *,
    pythonpath: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; return the finished process (not checked)."""
    return _run([sys.executable, "-c", code], pythonpath, env, cwd, timeout)


def run_cli(
    *args: str,
    pythonpath: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``layer-registry`` console script in a fresh process."""
    return _run([CLI, *args], pythonpath, env, cwd, timeout)
