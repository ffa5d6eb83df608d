"""The record each check produces (the checks themselves: ``_catalogue``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "fail", "skip", "xfail"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one layer."""

    layer: str
    """The registry name (``periodic>Time2Vec``), or Keras's name for an unregistered class."""
    check: str
    """One of [`CHECKS`][layer_registry.testing.CHECKS]."""
    status: Status
    """``pass``, ``fail``, ``skip`` or ``xfail`` (a declared expected failure that failed)."""
    reason: str = ""
    """Why it failed, was skipped or is expected to fail; a warning on a pass."""
    seconds: float = 0.0
    """Time the check took, in seconds."""

    @property
    def ok(self) -> bool:
        """Whether the result lets a test suite pass: anything but ``fail``."""
        return self.status != "fail"
