"""Helpers for the model tests: subprocesses, guide code blocks, free ports."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
"""``tests/``: on ``PYTHONPATH`` of every subprocess, so it can import ``support``."""
ROOT = TESTS.parent
GUIDES = ROOT / "site" / "docs" / "guides"

_FENCE = re.compile(
    r"^```(?P<lang>[\w-]+)(?:[ \t]+title=\"(?P<title>[^\"]+)\")?[ \t]*\n(?P<code>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


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


def sequential(*layers: Any) -> dict[str, Any]:
    """The ``config.json`` of a Sequential model holding ``layers`` (serialized objects)."""
    return {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"name": "s", "layers": list(layers)},
    }


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
