"""What the site asks the worker for and gets back: a job, and the result of each block."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

FORMAT = 1
"""Bumped when the layout of a cached result changes."""


@dataclass(frozen=True)
class ExampleJob:
    """Everything the worker needs to run one layer's examples."""

    name: str
    key: str
    code: str
    """The generated example: create the layer by name and call it on an example input."""
    blocks: tuple[str, ...] = ()
    """The code of the ``Example:`` blocks of the layer's docstring."""
    preamble: str = ""
    """Run before each docstring block: the imports the library's docstrings assume."""
    positional_code: str = ""
    """The example with the inputs as separate arguments, run instead of ``code`` when the
    layer's ``call`` requires them so (decided in the worker, where the class is)."""
    plot: bool = False
    """Whether to plot each output unit along a sweep of input feature 0."""


@dataclass
class BlockResult:
    """One executed block: its code, what it printed, and the traceback if it raised."""

    title: str
    code: str
    output: str = ""
    error: str | None = None
    """The traceback, when the block raised."""
    summary: str | None = None
    """The exception in one line: its type and message."""


@dataclass
class ExampleResult:
    """What running a layer's examples produced, as the site shows it."""

    name: str
    key: str
    blocks: list[BlockResult] = field(default_factory=list)
    weights: list[dict[str, Any]] = field(default_factory=list)
    """One row per weight of the built example: name, shape, dtype, trainable, initializer."""
    config: str | None = None
    """The example layer's ``get_config()`` as indented JSON."""
    plot: bool = False
    """Whether the plot PNG was written (to the path the job named)."""
    plot_error: str | None = None
    error: str | None = None
    """A failure outside the blocks: the worker timed out, crashed or could not start."""
    seconds: float = 0.0
    transient: bool = False
    """A timeout or a crash: not cached, so the next build tries again."""

    @property
    def failure(self) -> str | None:
        """What failed of the generated example, one paragraph, or None when it ran.

        A docstring example that fails is the library's (see [`docstring_failures`][]): it is
        shown on the page but is not a failure of the site's example.
        """
        if self.error:
            return self.error
        first = self.blocks[0] if self.blocks else None
        if first is not None and first.error:
            return f"{first.title} raised {first.summary or 'an exception'}"
        return None

    @property
    def docstring_failures(self) -> list[BlockResult]:
        """The docstring examples that raised (every block after the generated one)."""
        return [block for block in self.blocks[1:] if block.error]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExampleResult:
        if data.get("format") != FORMAT:
            raise ValueError("stale format")
        fields = {k: v for k, v in data.items() if k != "format"}
        fields["blocks"] = [BlockResult(**block) for block in fields.get("blocks", [])]
        return cls(**fields)
