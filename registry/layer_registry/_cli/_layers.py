"""``list``, ``search`` and ``show``: the layers, from the metadata cache when it is warm."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence

import click

import layer_registry
from layer_registry._cli._output import echo_json
from layer_registry._cli._output import warn_failed_plugins


@click.command("list")
@click.argument("pattern", required=False)
@click.option("--plugin", "plugin", metavar="NS", help="Only the layers of this plugin namespace.")
@click.option("--tag", metavar="TAG", help="Only the layers with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of layer records.")
def list_command(pattern: str | None, plugin: str | None, tag: str | None, as_json: bool) -> int:
    """List the registered layers, optionally matching a glob PATTERN ('*Linear')."""
    infos = [
        layer_registry.info(name) for name in layer_registry.names(pattern, plugin=plugin, tag=tag)
    ]
    if as_json:
        echo_json([dataclasses.asdict(info) for info in infos])
        return 0
    print_layers(infos)
    if not infos:
        click.echo("no layers match", err=True)
    warn_failed_plugins()
    return 0


def print_layers(infos: Sequence[layer_registry.LayerInfo]) -> None:
    """One row per layer: name, plugin and summary in aligned columns.

    Aligned here rather than by a Rich table, which measures and wraps every cell: ~0.2 ms a
    row, a quarter of a second to list an ecosystem of 1,000 layers. On a terminal the summary
    wraps to its width; piped, each layer stays on one line for grep and cut.
    """
    if not infos:
        return
    rows = [("name", "plugin", "summary")] + [
        (_printable(i.name), _printable(i.namespace), _printable(i.summary)) for i in infos
    ]
    name_width, plugin_width = (max(len(row[column]) for row in rows) for column in (0, 1))
    terminal = sys.stdout.isatty()
    room = 0
    if terminal:
        # Imported here: piped output (and its ~5 ms of imports) has no width to wrap to.
        import shutil
        import textwrap

        room = shutil.get_terminal_size().columns - name_width - plugin_width - 4
    lines = []
    for name, plugin, summary in rows:
        wraps = room >= 20 and len(summary) > room
        parts = textwrap.wrap(summary, room) if wraps else [summary]
        prefix = f"{name:<{name_width}}  {plugin:<{plugin_width}}  "
        lines.append((prefix + parts[0]).rstrip())
        lines += [" " * len(prefix) + part for part in parts[1:]]
    lines[0] = click.style(lines[0], bold=True) if terminal else lines[0]
    click.echo("\n".join(lines))


def _printable(text: str) -> str:
    """``text`` with control characters (a plugin's escape sequences, tabs, newlines) blanked."""
    return text if text.isprintable() else "".join(c if c.isprintable() else " " for c in text)


@click.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many results.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of layer records.")
def search_command(words: tuple[str, ...], limit: int, as_json: bool) -> int:
    """Search names, tags, summaries and docstrings for every one of WORDS, best match first."""
    text = " ".join(words)
    infos = layer_registry.search(text, limit=limit)
    if as_json:
        echo_json([dataclasses.asdict(info) for info in infos])
        return 0
    print_layers(infos)
    if not infos:
        click.echo(f"no layer matches {text!r}", err=True)
    return 0


@click.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the layer's record as JSON.")
def show_command(name: str, as_json: bool) -> int:
    """Show everything known about the layer NAME, with its constructor signature."""
    info = layer_registry.info(name)
    if as_json:
        echo_json(dataclasses.asdict(info))
        return 0
    rows = {
        "name": info.name,
        "summary": info.summary,
        "signature": f"{info.class_name}{info.signature}",
        "plugin": info.namespace,
        "distribution": f"{info.distribution} {info.version}",
        "import path": info.import_path,
        "tags": ", ".join(info.tags) or "-",
        "aliases": ", ".join(info.aliases) or "-",
        "example": _example(info),
        "input shape": repr(info.input_shape),
        "input dtype": repr(info.input_dtype),
    }
    if info.setup_function:
        rows["setup"] = f"{info.setup_function}(layer), run on the new layer (source below)"
    if info.expected_failures:
        rows["expected to fail"] = "; ".join(f"{k}: {v}" for k, v in info.expected_failures.items())
    width = max(map(len, rows))
    for key, value in rows.items():
        click.echo(f"{key:<{width}}  {value}")
    for title, source in (("example", info.example_source), ("setup", info.setup_source)):
        if source:
            click.echo(f"\n{title} function:\n{source}")
    if info.doc:
        click.echo()
        click.echo(info.doc)
    return 0


def _example(info: layer_registry.LayerInfo) -> str:
    """The example's construction: the arguments, or the function that gives them."""
    if info.example_function:
        return f"layer_registry.create({info.name!r}, **{info.example_function}())" + (
            " (source below)" if info.example_source else ""
        )
    arguments = "".join(f", {key}={value!r}" for key, value in info.example.items())
    return f"layer_registry.create({info.name!r}{arguments})"
