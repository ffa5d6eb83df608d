"""``plugins``, ``doctor`` and ``new``: what is installed, whether it is healthy, a new one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import click

import layer_registry
from layer_registry._cli._output import classes_refused
from layer_registry._cli._output import console
from layer_registry._cli._output import echo_json
from layer_registry._cli._output import folder_problem
from layer_registry._cli._output import plain
from layer_registry._cli._output import summarise_names


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of plugin records.")
def plugins_command(as_json: bool) -> int:
    """List the installed plugins with their status: loaded, failed or blocked."""
    records = layer_registry.plugins()
    if as_json:
        echo_json([dataclasses.asdict(record) for record in records])
        return 0
    if records:
        print_plugins(records)
    else:
        click.echo("no plugins installed; try `pip install layer-registry-examples`", err=True)
    return 0


_STATUS_STYLES = {"loaded": "green", "partial": "dark_orange", "failed": "red", "blocked": "yellow"}


def print_plugins(records: Sequence[layer_registry.PluginInfo]) -> None:
    """The plugins table, then each class a partially loaded plugin had refused, and why."""
    from rich.table import Table
    from rich.text import Text

    table = Table("namespace", "distribution", "version", "status", "layers", "error", box=None)
    for record in records:
        problem = record.error or ""
        if record.status == "partial" and not problem:
            problem = f"{classes_refused(record)} (below)"
        table.add_row(
            plain(record.namespace),
            plain(record.distribution),
            plain(record.version),
            Text(record.status, style=_STATUS_STYLES.get(record.status, "")),
            str(len(record.layers)),
            plain(problem),
        )
    out = console()
    out.print(table)
    refused = [(r.namespace, cls, why) for r in records for cls, why in r.refused]
    if refused:
        out.print()
        out.print("refused classes (the plugin's other layers loaded):", highlight=False)
        details = Table("namespace", "class", "why", box=None)
        for namespace, cls, why in refused:
            details.add_row(plain(namespace), plain(cls), plain(why))
        out.print(details)


@click.command("doctor")
@click.argument("namespace", required=False)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor_command(namespace: str | None, strict: bool, as_json: bool) -> int:
    """Check installed plugins (or only NAMESPACE) as a publisher or a user would.

    Looks at: the entry point loads; names stay in the plugin's namespace; metadata (summary,
    version, home page); collisions with other plugins and with Keras's built-in layers;
    blocked plugins; a stale metadata cache. Exits 1 on any error (and warning with --strict).
    """
    from layer_registry._registry import default_registry
    from layer_registry._registry._doctor import diagnose

    findings = diagnose(default_registry(), namespace)
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    if as_json:
        echo_json(
            {
                "findings": [dataclasses.asdict(f) for f in findings],
                "errors": errors,
                "warnings": warnings,
            }
        )
    else:
        from rich.text import Text

        styles = {"ok": "green", "warning": "yellow", "error": "red"}
        out = console()
        for finding in findings:
            where = finding.namespace or "(environment)"
            out.print(
                Text(finding.level, style=styles[finding.level]),
                plain(f"{where}: {summarise_names(finding.message)}"),
            )
        out.print(f"{errors} error(s), {warnings} warning(s)", highlight=False)
    return 1 if errors or (strict and warnings) else 0


@click.command("new")
@click.argument("name")
@click.option(
    "--namespace",
    "namespace",
    metavar="NS",
    help="The plugin's namespace (default: from NAME, 'acme-layers' -> 'acme').",
)
@click.option(
    "--layer",
    "layer",
    metavar="CLASS",
    default="GatedLinear",
    show_default=True,
    help="The class name of the example layer.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to create (default: ./NAME).",
)
def new_command(name: str, namespace: str | None, layer: str, output: Path | None) -> int:
    """Create a plugin project NAME: package, example layer, tests, docs, packaging.

    NAME is the distribution name users will `pip install`, e.g. acme-layers.
    """
    from layer_registry._registry import default_registry
    from layer_registry._scaffold import ScaffoldError
    from layer_registry._scaffold import new_plugin

    root = output or Path(name)
    problem = folder_problem(root)
    if problem is not None:
        raise ScaffoldError(f"cannot create {root}: {problem}; choose another folder with -o")
    registry = default_registry()
    files = new_plugin(
        name,
        namespace=namespace,
        layer=layer,
        output=output,
        is_installed=lambda ns: registry.provider(ns) is not None,
    )
    click.echo(f"created {len(files)} files in {root}")
    click.echo(f"next: cd {root} && pip install -e '.[test]' && pytest")
    return 0
