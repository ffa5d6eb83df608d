"""Helpers for the model tests: subprocesses, guide code blocks, free ports."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
GUIDES = ROOT / "site" / "docs" / "guides"

_FENCE = re.compile(
    r"^```(?P<lang>[\w-]+)(?:[ \t]+title=\"(?P<title>[^\"]+)\")?[ \t]*\n(?P<code>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
# TensorFlow's C++ logging before absl is set up ignores TF_CPP_MIN_LOG_LEVEL.
_NOISE = re.compile(r"^(?:[IWE]\d{4} .*|WARNING: All log messages before absl.*|To enable the.*)$")


@dataclass(frozen=True)
class Block:
    """A fenced code block of a guide page."""

    lang: str
    title: str | None
    code: str


def guide_blocks(page: str) -> list[Block]:
    """The fenced code blocks of ``site/docs/guides/<page>``, in order."""
    text = (GUIDES / page).read_text(encoding="utf-8")
    return [Block(match["lang"], match["title"], match["code"]) for match in _FENCE.finditer(text)]


def guide_block(page: str, title: str) -> str:
    """The code of the block titled ``title`` on the guide ``page``."""
    matches = [block.code for block in guide_blocks(page) if block.title == title]
    assert len(matches) == 1, f"{page} should have one block titled {title!r}"
    return matches[0]


def run_python(
    code: str,
    *,
    cwd: Path,
    path: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with ``path`` (plugin roots) on ``PYTHONPATH``.

    ``tests/`` is on the path too, so the code may ``import models_support``. Output has
    TensorFlow's start-up chatter removed.
    """
    environment = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(str(p) for p in [*path, TESTS]),
        "PYTHONDONTWRITEBYTECODE": "1",
        **(env or {}),
    }
    # The registry reads these; a developer's shell must not change what the tests see.
    for variable in ("LAYER_REGISTRY_ONLY", "LAYER_REGISTRY_DISABLE", "LAYER_REGISTRY_STRICT"):
        if variable not in (env or {}):
            environment.pop(variable, None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout, quiet(result.stderr)
    )


def quiet(output: str) -> str:
    """``output`` without TensorFlow's start-up log lines."""
    return "\n".join(line for line in output.splitlines() if not _NOISE.match(line))


def free_ports(count: int) -> list[int]:
    """``count`` TCP ports free on 127.0.0.1 right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
