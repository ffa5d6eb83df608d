"""The ``layer-registry`` command line: ``main(argv) -> int``, errors as one line, exit 2."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

import layer_registry
from layer_registry._errors import RegistryError

if TYPE_CHECKING:
    from rich.text import Text

EXIT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` by default); return the exit status."""
    # TensorFlow's C++ start-up chatter drowns the one line a user asked for.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        result = cli.main(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name="layer-registry",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except RegistryError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except OSError as exc:
        if exc.filename is None or os.environ.get("LAYER_REGISTRY_DEBUG"):
            raise
        # A file the system refused (full disk, no permission) is not a bug of ours.
        click.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get("LAYER_REGISTRY_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(
            f"error: unexpected {type(exc).__name__}: {message} "
            "(set LAYER_REGISTRY_DEBUG=1 to see the traceback)",
            err=True,
        )
        return EXIT_ERROR
    return result if isinstance(result, int) else 0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(layer_registry.__version__, prog_name="layer-registry")
def cli() -> None:
    """Find, inspect and use the custom Keras layers installed as plugins.

    Layers are named NAMESPACE>ClassName (examples>CustomLinear); a class name alone works
    when one plugin has it. Quote full names in a shell, where > redirects:
    layer-registry show 'examples>CustomLinear'.

    \b
    Environment:
      LAYER_REGISTRY_DISABLE=ns1,ns2  block these plugins
      LAYER_REGISTRY_ONLY=ns1,ns2     load only these plugins
      LAYER_REGISTRY_STRICT=1         fail on the first plugin that fails to load
      LAYER_REGISTRY_CACHE=off        do not use the metadata cache
      LAYER_REGISTRY_CACHE_DIR=path   where the metadata cache lives
      LAYER_REGISTRY_DEBUG=1          show the traceback of an unexpected error
    """


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _console() -> Any:
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
                f"{_classes_refused(record)}; `layer-registry plugins` says why"
            )
    return lines


def _classes_refused(record: layer_registry.PluginInfo) -> str:
    count = len(record.refused)
    return f"{count} class{'es' if count != 1 else ''} refused"


def _warn_failed_plugins() -> None:
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
    try:
        # A real file, not os.access: root passes os.access on read-only places such as /proc.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"cannot create files in {existing} ({exc.strerror or exc})"
    return None


@cli.command("list")
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
        _echo_json([dataclasses.asdict(info) for info in infos])
        return 0
    _print_layers(infos)
    if not infos:
        click.echo("no layers match", err=True)
    _warn_failed_plugins()
    return 0


def _print_layers(infos: Sequence[layer_registry.LayerInfo]) -> None:
    from rich.table import Table

    table = Table("name", "plugin", "summary", box=None, pad_edge=False)
    for info in infos:
        table.add_row(plain(info.name), plain(info.namespace), plain(info.summary))
    if infos:
        _console().print(table)


@cli.command("search")
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
        _echo_json([dataclasses.asdict(info) for info in infos])
        return 0
    _print_layers(infos)
    if not infos:
        click.echo(f"no layer matches {text!r}", err=True)
    return 0


@cli.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the layer's record as JSON.")
def show_command(name: str, as_json: bool) -> int:
    """Show everything known about the layer NAME, with its constructor signature."""
    info = layer_registry.info(name)
    if as_json:
        _echo_json(dataclasses.asdict(info))
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
        "example": f"layer_registry.create({info.name!r}"
        + "".join(f", {key}={value!r}" for key, value in info.example.items())
        + ")",
        "input shape": repr(info.input_shape),
        "input dtype": repr(info.input_dtype),
    }
    width = max(map(len, rows))
    for key, value in rows.items():
        click.echo(f"{key:<{width}}  {value}")
    if info.doc:
        click.echo()
        click.echo(info.doc)
    return 0


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of plugin records.")
def plugins_command(as_json: bool) -> int:
    """List the installed plugins with their status: loaded, failed or blocked."""
    records = layer_registry.plugins()
    if as_json:
        _echo_json([dataclasses.asdict(record) for record in records])
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
            problem = f"{_classes_refused(record)} (below)"
        table.add_row(
            plain(record.namespace),
            plain(record.distribution),
            plain(record.version),
            Text(record.status, style=_STATUS_STYLES.get(record.status, "")),
            str(len(record.layers)),
            plain(problem),
        )
    console = _console()
    console.print(table)
    refused = [(r.namespace, cls, why) for r in records for cls, why in r.refused]
    if refused:
        console.print()
        console.print("refused classes (the plugin's other layers loaded):", highlight=False)
        details = Table("namespace", "class", "why", box=None)
        for namespace, cls, why in refused:
            details.add_row(plain(namespace), plain(cls), plain(why))
        console.print(details)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


@cli.command("doctor")
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
        _echo_json(
            {
                "findings": [dataclasses.asdict(f) for f in findings],
                "errors": errors,
                "warnings": warnings,
            }
        )
    else:
        from rich.text import Text

        styles = {"ok": "green", "warning": "yellow", "error": "red"}
        console = _console()
        for finding in findings:
            where = finding.namespace or "(environment)"
            console.print(
                Text(finding.level, style=styles[finding.level]),
                plain(f"{where}: {summarise_names(finding.message)}"),
            )
        console.print(f"{errors} error(s), {warnings} warning(s)", highlight=False)
    return 1 if errors or (strict and warnings) else 0


@cli.command("new")
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


def _add_commands() -> None:
    # Commands living in their own modules, one concern each.
    from layer_registry._cli_check import check_command
    from layer_registry._cli_docs import docs_group
    from layer_registry._cli_models import build_command
    from layer_registry._cli_models import requirements_command

    cli.add_command(build_command)
    cli.add_command(requirements_command)
    cli.add_command(docs_group)
    cli.add_command(check_command)


_add_commands()
