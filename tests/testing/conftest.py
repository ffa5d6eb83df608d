"""Shared set-up for the conformance kit's tests."""

from __future__ import annotations

import pytest

from layer_registry._cli import cli
from layer_registry._cli import main
from layer_registry._cli._check import check_command


@pytest.fixture
def run_cli_in_process(capsys: pytest.CaptureFixture[str]):
    """``layer-registry ARGS`` in this process: returns (exit status, stdout, stderr).

    Wires ``check`` into the command group if ``_cli.py`` does not yet, and unwires it after.
    """
    added = "check" not in cli.commands
    if added:
        cli.add_command(check_command)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    yield run
    if added:
        cli.commands.pop("check", None)
