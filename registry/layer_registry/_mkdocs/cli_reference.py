"""The command-line reference page, written from the click commands themselves."""

from __future__ import annotations

import html
import inspect
import re

import click

from layer_registry._mkdocs.pages import cell
from layer_registry._mkdocs.pages import fenced


def cli_reference(command: click.Command, name: str, *, title: str = "Command line") -> str:
    """Markdown for ``command`` and every subcommand: help, usage, arguments and options."""
    context = click.Context(command, info_name=name, **command.context_settings)
    lines = [
        f"# {title}",
        "",
        f"Every `{name}` command, as `{name} COMMAND --help` prints it. This page is written "
        "from the commands themselves each time the site is built.",
        "",
    ]
    lines += _command(command, context, depth=0)
    return "\n".join(lines) + "\n"


def _command(command: click.Command, context: click.Context, depth: int) -> list[str]:
    # The top command is the page itself; each subcommand gets a heading one level deeper.
    lines = [f"{'#' * (depth + 1)} `{context.command_path}`", ""] if depth else []
    if command.help:
        lines += [_prose(command.help), ""]
    lines += [fenced(command.get_usage(context).strip(), "text")]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    options = [
        p for p in command.params if isinstance(p, click.Option) and not p.hidden
    ] + [command.get_help_option(context)]
    if arguments:
        lines += ["| Argument | |", "|---|---|"]
        for argument in arguments:
            how = "required" if argument.required else "optional"
            if argument.nargs == -1:
                how += ", any number"
            lines.append(f"| `{argument.make_metavar(context)}` | {how} |")
        lines.append("")
    rows = [
        row
        for option in options
        if option is not None and (row := option.get_help_record(context)) is not None
    ]
    if rows:
        lines += ["| Option | Description |", "|---|---|"]
        for flags, description in rows:
            lines.append(f"| `{cell(flags)}` | {cell(_prose(description))} |")
        lines.append("")
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(context):
            sub = command.get_command(context, sub_name)
            if sub is None or sub.hidden:
                continue
            sub_context = click.Context(
                sub, info_name=sub_name, parent=context, **sub.context_settings
            )
            lines += _command(sub, sub_context, depth + 1)
    return lines


def _prose(text: str) -> str:
    """Click help text as Markdown: paragraphs kept, `code` kept, the rest escaped.

    A paragraph click keeps unwrapped (marked with ``\\b``) stays as it is, in a text block.
    """
    text = inspect.cleandoc(text).split("\f", 1)[0]
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text):
        if paragraph.startswith("\b"):
            blocks.append("```text\n" + paragraph.lstrip("\b").strip("\n") + "\n```")
        elif paragraph.strip():
            blocks.append(_escape(" ".join(paragraph.split())))
    return "\n\n".join(blocks)


def _escape(text: str) -> str:
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(
        part if part.startswith("`") else re.sub(r"([*_\[\]])", r"\\\1", html.escape(part, False))
        for part in parts
    )
