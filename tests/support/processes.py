"""Run Python code and the console script in fresh processes, where users meet import bugs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

from layer_registry._quiet import without_noise
from support import LIBRARY_PLUGINS

TESTS = Path(__file__).resolve().parents[1]
"""``tests/``: on ``PYTHONPATH`` of every subprocess, so it can import ``support``."""
CLI = str(Path(sys.executable).with_name("layer-registry"))
"""The console script installed beside the running interpreter."""


Environment = Mapping[str, str | None]
"""Variables to set for a subprocess; None removes one."""


def environment(pythonpath: Sequence[Path], env: Environment | None) -> dict[str, str]:
    """The test process's environment, with ``pythonpath`` (plugin folders) and ``tests/``."""
    environment: dict[str, str | None] = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(str(p) for p in [*pythonpath, TESTS]),
        **(env or {}),
    }
    # The registry reads these; a developer's shell must not change what the tests see.
    for variable in (
        "LAYER_REGISTRY_ONLY",
        "LAYER_REGISTRY_DISABLE",
        "LAYER_REGISTRY_STRICT",
        "LAYER_REGISTRY_DEBUG",
    ):
        if variable not in (env or {}):
            environment.pop(variable, None)
    if "LAYER_REGISTRY_ONLY" not in (env or {}):
        blocked = environment.get("LAYER_REGISTRY_DISABLE")
        environment["LAYER_REGISTRY_DISABLE"] = ",".join(filter(None, [blocked, LIBRARY_PLUGINS]))
    return {name: value for name, value in environment.items() if value is not None}


def quiet(output: str) -> str:
    """``output`` without TensorFlow's start-up log lines (the package's definition of them)."""
    return without_noise(output)


def _run(
    command: list[str], pythonpath, env, cwd, timeout, *, filtered: bool
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment(pythonpath, env),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    stderr = quiet(result.stderr) if filtered else result.stderr
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout, stderr)


def run_python(
    code: str,
    *,
    pythonpath: Sequence[Path] = (),
    env: Environment | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; return the finished process (not checked).

    Its stderr comes without TensorFlow's start-up lines: plain Python prints them.
    """
    return _run([sys.executable, "-c", code], pythonpath, env, cwd, timeout, filtered=True)


def run_cli(
    *args: str,
    pythonpath: Sequence[Path] = (),
    env: Environment | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``layer-registry`` console script in a fresh process.

    Its stderr is what a user sees, unfiltered: the command keeps TensorFlow's start-up
    lines off it by itself.
    """
    return _run([CLI, *args], pythonpath, env, cwd, timeout, filtered=False)
