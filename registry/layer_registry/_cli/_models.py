"""The model commands of the command line: ``build`` a spec, list a model's ``requirements``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("build")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--summary", is_flag=True, help="Print the model's layer-by-layer summary.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="MODEL.keras",
    help="Save the built model here, recording the plugins it needs.",
)
@click.option(
    "--allow-files",
    is_flag=True,
    help="Let the spec's layers read the local files it names (a StringLookup vocabulary "
    "given as a path), and a saved model carry them. Only for a spec and files you trust.",
)
def build_command(spec: Path, summary: bool, output: Path | None, allow_files: bool) -> int:
    """Build the model a SPEC file (YAML or JSON) describes, naming layers by registry name.

    Without options it checks the spec: it builds the model and prints one line about it.
    """
    from layer_registry._models._saving import save_model
    from layer_registry._models._spec import build_model

    if output is not None:
        _check_output(output)  # before building: a model that cannot be saved is not built
    model = build_model(spec, allow_files=allow_files)
    if summary:
        model.summary()
    else:
        click.echo(
            f"{spec}: model {model.name!r}, {len(model.layers)} layers, "
            f"{model.count_params():,} parameters"
        )
    if output is not None:
        save_model(model, output)
        click.echo(f"saved {output}", err=True)
    return 0


def _check_output(output: Path) -> None:
    from layer_registry._cli._output import folder_problem
    from layer_registry._errors import ModelFileError

    # save_model refuses other suffixes too, but only once the model is built.
    if output.suffix != ".keras":
        raise ModelFileError(
            f"{output}: a model file name must end in .keras, e.g. -o {output.stem}.keras",
            path=str(output),
        )
    if not output.parent.exists():
        raise ModelFileError(
            f"{output}: the folder {output.parent} does not exist; create it first",
            path=str(output),
        )
    problem = folder_problem(output.parent)
    if problem is not None:
        raise ModelFileError(f"{output}: {problem}; choose another path", path=str(output))


@click.command("requirements")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path), metavar="MODEL.keras")
def requirements_command(model: Path) -> int:
    """Print pip requirement lines for the plugins MODEL.keras needs (pip install -r ...).

    Uses what `layer_registry.save_model` recorded in the file; for a file saved with plain
    Keras, the installed plugins that provide its layers. Imports no plugin.
    """
    from layer_registry._models._saving import _requirements

    lines, error = _requirements(str(model))
    for line in lines:
        click.echo(line)
    if error is not None:
        raise error
    if not lines:
        click.echo(f"{model} uses no plugin layers", err=True)
    return 0
