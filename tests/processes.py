"""Run Python code and the console script in fresh processes, where users meet import bugs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


CLI = str(Path(sys.executable).with_name("layer-registry"))
"""The console script installed beside the running interpreter."""


def environment(pythonpath: Sequence[Path], env: dict[str, str] | None) -> dict[str, str]:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    if pythonpath:
        environment["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return environment


def run_python(
    code: str, *, pythonpath: Sequence[Path] = (), env: dict[str, str] | None = None, cwd=None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; return the finished process (not checked)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment(pythonpath, env),
        cwd=cwd,
    )


def run_cli(
    *args: str, pythonpath: Sequence[Path] = (), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``layer-registry`` console script in a fresh process."""
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=environment(pythonpath, env)
    )
