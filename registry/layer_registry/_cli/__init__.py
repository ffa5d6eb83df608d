"""The ``layer-registry`` command line: ``main(argv) -> int``, errors as one line, exit 2."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

import layer_registry
from layer_registry import _quiet
from layer_registry import _settings
from layer_registry._errors import RegistryError
from layer_registry._errors import one_line

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
        if exc.filename is None or _settings.flag(_settings.DEBUG):
            raise
        # A file the system refused (full disk, no permission) is not a bug of ours.
        click.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
        return EXIT_ERROR
    except Exception as exc:
        if _settings.flag(_settings.DEBUG):
            raise
        click.echo(
            f"error: unexpected {one_line(exc)} (set LAYER_REGISTRY_DEBUG=1 to see the traceback)",
            err=True,
        )
        return EXIT_ERROR
    return result if isinstance(result, int) else 0


class _LazyGroup(click.Group):
    """A command group that imports a command's module only when that command runs.

    ``layer-registry list`` should not pay for the conformance kit, the model readers or
    MkDocs: each family of commands lives in its own module, imported on first use.
    """

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy
        """Command name -> ``module:attribute`` of its click command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


_COMMANDS = {
    "list": "layer_registry._cli._layers:list_command",
    "search": "layer_registry._cli._layers:search_command",
    "show": "layer_registry._cli._layers:show_command",
    "plugins": "layer_registry._cli._plugins:plugins_command",
    "doctor": "layer_registry._cli._plugins:doctor_command",
    "new": "layer_registry._cli._plugins:new_command",
    "build": "layer_registry._cli._models:build_command",
    "requirements": "layer_registry._cli._models:requirements_command",
    "docs": "layer_registry._cli._docs:docs_group",
    "check": "layer_registry._cli._check:check_command",
}


@click.group(
    cls=_LazyGroup,
    lazy=_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
      LAYER_REGISTRY_DEBUG=1          show tracebacks and TensorFlow's start-up lines
    """


def run() -> None:
    """Console-script entry point."""
    # Before anything imports TensorFlow: its start-up lines would bury the one line asked for.
    _quiet.filter_native_stderr()
    sys.exit(main())
