"""What the commands print: plain text from plugins and files, JSON, tables, warnings."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

import layer_registry

if TYPE_CHECKING:
    from rich.text import Text


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def console() -> Any:
    from rich.console import Console

    # Piped output keeps one row per line, so grep and cut work on it.
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 100_000)


def plain(text: object) -> Text:
    """``text`` as written: what a plugin or a file says is never read as Rich markup or emoji.

    Every string from a plugin (names, summaries, errors) or a file passes through here before
    a Rich table or console sees it: ``[batch, units]`` would vanish and ``[/x]`` would crash.
    """
    from rich.text import Text

    return Text(str(text))


# A list of more than five registered names (``package>Name, ...``) shows three in text output.
_NAMES_SHOWN = 3
_NAME = r"[^\s,;>]+>[^\s,;]+"
_NAME_LIST = re.compile(rf"{_NAME}(?:, {_NAME}){{5,}}")


def summarise_names(message: str) -> str:
    """``message`` with each long list of registered names cut to a few and a count.

    keras-hub registers hundreds of names with Keras; one doctor line must stay readable, and
    ``--json`` keeps the whole list.
    """

    def cut(match: re.Match[str]) -> str:
        names = match.group(0).split(", ")
        shown = ", ".join(names[:_NAMES_SHOWN])
        more = len(names) - _NAMES_SHOWN
        return f"{shown} and {more} more ({len(names)} names; --json lists all)"

    return _NAME_LIST.sub(cut, message)


def plugin_warnings(records: Sequence[layer_registry.PluginInfo]) -> list[str]:
    """The warning lines a listing ends with: failed plugins, then partially loaded ones."""
    lines = []
    failed = [p.namespace for p in records if p.status == "failed"]
    if failed:
        lines.append(
            f"warning: {len(failed)} plugin(s) failed to load ({', '.join(failed)}); "
            "see `layer-registry plugins`"
        )
    for record in records:
        if record.status == "partial":
            lines.append(
                f"warning: plugin {record.namespace!r} loaded partially: "
                f"{classes_refused(record)}; `layer-registry plugins` says why"
            )
    return lines


def classes_refused(record: layer_registry.PluginInfo) -> str:
    count = len(record.refused)
    return f"{count} class{'es' if count != 1 else ''} refused"


def warn_failed_plugins() -> None:
    for line in plugin_warnings(layer_registry.plugins()):
        click.echo(line, err=True)


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` (made on demand), or None if they can.

    Checked before any work, so that a build or a scaffold never fails at its last step.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    import tempfile  # here: only commands that write files need it (and its ~8 ms)

    try:
        # A real file, not os.access: root passes os.access on read-only places such as /proc.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"cannot create files in {existing} ({exc.strerror or exc})"
    return None
