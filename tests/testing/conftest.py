"""Shared set-up for the conformance kit's tests."""

from __future__ import annotations

import pytest

from layer_registry._cli import main


@pytest.fixture
def run_cli_in_process(capsys: pytest.CaptureFixture[str]):
    """``layer-registry ARGS`` in this process: returns (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
