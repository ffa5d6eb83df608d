"""Small Markdown builders every generated page uses: counts, table cells, code, fences."""

from __future__ import annotations

import re
from collections.abc import Iterable


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 example``, ``3 examples``; ``plural`` when adding an "s" is wrong."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def cell(text: str) -> str:
    """Markdown made safe for one cell of a table: one line, no bare column separators."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


def code_span(text: str) -> str:
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{padding}{text}{padding}{ticks}"


def fenced(text: str, language: str = "", title: str | None = None) -> str:
    """A fenced code block that nothing inside ``text`` can close early."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`{3,}", text)), default=0) + 1)
    header = language + (f' title="{title}"' if title else "")
    return f"{fence}{header}\n{text.rstrip()}\n{fence}\n"


def indent(text: str, prefix: str = "    ") -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(True))


def fields_table(rows: Iterable[tuple[str, str]]) -> list[str]:
    """A two-column table of a record's fields, under real headers (never an empty row)."""
    return ["| Field | Value |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows)]
