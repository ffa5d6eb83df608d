"""``layer-registry docs``: build or preview the documentation site of the installed layers.

Without a ``mkdocs.yml`` that enables the ``layer-registry`` MkDocs plugin, the commands use a
default site written to a temporary folder, so a plugin author can build the site of their
plugin with one command (``layer-registry docs build --plugin acme``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from layer_registry._errors import PluginError
from layer_registry._errors import RegistryError

PLUGIN = "layer-registry"
DEFAULT_SITE_DIR = Path("build") / "site"
SITE_MARKER = ".layer-registry-site"
"""Written into every folder ``docs build`` builds: only such a folder may be emptied again.

Hidden, so MkDocs's own cleaning of the folder keeps it."""

DEFAULT_CONFIG = {
    "theme": {
        "name": "material",
        "features": [
            "navigation.sections",
            "navigation.indexes",
            "navigation.prune",
            "search.suggest",
            "search.highlight",
            "content.code.copy",
        ],
    },
    "markdown_extensions": [
        "admonition",
        "attr_list",
        "md_in_html",
        "tables",
        {"toc": {"permalink": True}},
        "pymdownx.details",
        "pymdownx.superfences",
        "pymdownx.highlight",
        "pymdownx.inlinehilite",
    ],
}


@click.group("docs")
def docs_group() -> None:
    """Build or preview the documentation site of the installed layers.

    Uses ./mkdocs.yml when it enables the layer-registry MkDocs plugin, and a default site
    otherwise: a catalog, a page per plugin and a page per layer with its example run.
    """


def _common(function: Any) -> Any:
    options = [
        click.option(
            "--plugin",
            "namespaces",
            multiple=True,
            metavar="NS",
            help="Only the layers of this plugin namespace (repeat for several).",
        ),
        click.option(
            "-f",
            "--config-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="The mkdocs.yml to use (default: ./mkdocs.yml if it enables the "
            "layer-registry plugin, else a built-in default site).",
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@docs_group.command("build")
@click.option(
    "-o",
    "--output",
    "site_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the site into DIR (default: the config's site_dir, or ./build/site). Building "
    "empties DIR, so it must be new, empty or made by a previous build.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on a failing example, a plugin that fails to load, or any MkDocs warning.",
)
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds one layer's examples may run (default 60).",
)
@_common
def build_command(
    site_dir: Path | None,
    strict: bool,
    timeout: float | None,
    namespaces: tuple[str, ...],
    config_file: Path | None,
    quiet: bool,
) -> int:
    """Build the documentation site: pages for every layer, examples run and embedded."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort

    if site_dir is not None:  # first what the path alone tells, before any plugin is loaded
        _check_site_dir(site_dir, site_dir)
    with _site(config_file, namespaces, site_dir, quiet) as (config_path, site):
        from mkdocs.config import load_config

        config = load_config(str(config_path), site_dir=site, strict=True if strict else None)
        if PLUGIN not in config.plugins:
            raise RegistryError(
                f"{config_path} does not enable the layer-registry MkDocs plugin, so it would "
                f"build no layer pages; add `- {PLUGIN}` under `plugins` in it"
            )
        target = Path(config.site_dir)
        if site is not None:  # a folder of ours (-o or the default), not the config's own
            given = site_dir if site_dir is not None else DEFAULT_SITE_DIR
            _check_site_dir(given, target, [Path(config_path), Path(config.docs_dir)])
        # Marked before building: a build that fails half-way leaves a folder it may empty again.
        target.mkdir(parents=True, exist_ok=True)
        (target / SITE_MARKER).write_text(
            "Built by `layer-registry docs build`, which empties this folder on each build.\n",
            encoding="utf-8",
        )
        if timeout is not None:
            config.plugins[PLUGIN].config["timeout"] = timeout
        if strict:
            config.plugins[PLUGIN].config["strict"] = True
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        except Abort as exc:
            click.echo(f"error: the site was not built: {exc.message}", err=True)
            return 1
        finally:
            config.plugins.on_shutdown()
        index = Path(config.site_dir) / "index.html"
        click.echo(f"site built: open {index} in a browser", err=True)
    return 0


@docs_group.command("serve")
@click.option(
    "-a",
    "--dev-addr",
    metavar="IP:PORT",
    help="Serve on this address (default 127.0.0.1:8000).",
)
@click.option("--open", "open_in_browser", is_flag=True, help="Open the site in a browser.")
@_common
def serve_command(
    dev_addr: str | None,
    open_in_browser: bool,
    namespaces: tuple[str, ...],
    config_file: Path | None,
    quiet: bool,
) -> int:
    """Serve the site locally, rebuilding it when a page or a layer's source changes."""
    from mkdocs.commands.serve import serve

    if dev_addr is not None:
        _check_address(dev_addr)  # before the first build, which takes a while
    with _site(config_file, namespaces, None, quiet) as (config_path, _):
        serve(
            config_file=str(config_path),
            dev_addr=dev_addr,
            open_in_browser=open_in_browser,
            livereload=True,
        )
    return 0


def _check_site_dir(given: Path, target: Path, sources: Sequence[Path] = ()) -> None:
    """Refuse a site folder whose building would delete what the command did not make.

    MkDocs empties the site folder (all but hidden files) before it writes the site; ``mkdocs
    build`` guards only the docs folder, and a plugin author's flow has no mkdocs.yml at all.
    """
    target = target.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise RegistryError(
            f"{given}: the site folder would be the current folder or a parent of it, and "
            "building empties it; choose a new folder, e.g. -o build/site"
        )
    for source in sources:
        source = source.resolve()
        if source == target or target in source.parents:
            raise RegistryError(
                f"{given}: the site folder holds the docs sources ({source}), and building "
                "empties it; choose another folder with -o"
            )
    if (target / SITE_MARKER).is_file() or not target.is_dir():
        return
    files = sorted(entry.name for entry in target.iterdir() if not entry.name.startswith("."))
    if files:
        raise RegistryError(
            f"{given}: the folder holds {len(files)} file(s) or folder(s) (e.g. {files[0]}) "
            "that `layer-registry docs build` did not make, and building empties it; choose "
            "an empty or new folder with -o, or delete them yourself"
        )


def _check_address(address: str) -> None:
    from mkdocs.config.config_options import IpAddress
    from mkdocs.config.config_options import ValidationError

    try:
        port = IpAddress().validate(address).port
    except ValidationError as exc:
        why = str(exc)
    else:
        if 0 <= port <= 65535:
            return
        why = f"port {port} is not between 0 and 65535"
    raise RegistryError(f"--dev-addr {address}: {why}; use IP:PORT, e.g. 127.0.0.1:8000")


@contextlib.contextmanager
def _site(
    config_file: Path | None,
    namespaces: Sequence[str],
    site_dir: Path | None,
    quiet: bool,
) -> Iterator[tuple[Path, str | None]]:
    """The config file to build, and the site folder to build into (None: the config's).

    ``--plugin`` reaches the MkDocs plugin through ``LAYER_REGISTRY_DOCS_PLUGINS`` (``docs
    serve`` reloads the config on each rebuild, so it cannot be set on a loaded config).
    """
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python", "matplotlib"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            raise click.ClickException(
                f"the docs commands need {module.split('.')[0]}; install the docs extra: "
                "pip install 'layer-registry[docs]'"
            )
    # Material's end-of-life banner is not about the user's site.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _check_namespaces(namespaces)
    if config_file is None and Path("mkdocs.yml").is_file() and _uses_plugin(Path("mkdocs.yml")):
        config_file = Path("mkdocs.yml")
    variable = "LAYER_REGISTRY_DOCS_PLUGINS"
    with _environment(variable, ",".join(namespaces) or None), _logging(quiet):
        if config_file is not None:
            yield config_file, None if site_dir is None else str(site_dir.resolve())
            return
        with tempfile.TemporaryDirectory(prefix="layer-registry-docs-") as folder:
            path = write_default_config(Path(folder), namespaces)
            yield path, str((site_dir or DEFAULT_SITE_DIR).resolve())


def write_default_config(folder: Path, namespaces: Sequence[str] = ()) -> Path:
    """Write the default site (``mkdocs.yml`` and ``docs/index.md``) into ``folder``."""
    import yaml

    title = (
        f"Layers of {', '.join(namespaces)}" if namespaces else "Installed Keras layers"
    )
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text(
        f"# {title}\n\n"
        "Custom Keras layers installed as "
        "[layer-registry](https://github.com/layer-registry/layer-registry) plugins. "
        "Each one is created by name:\n\n"
        '```python\nimport layer_registry\n\nlayer = layer_registry.create("namespace>ClassName")\n'
        "```\n\n[Browse the layers](layers/index.md).\n",
        encoding="utf-8",
    )
    config = {
        "site_name": title,
        "docs_dir": "docs",
        **DEFAULT_CONFIG,
        "plugins": [
            "search",
            {PLUGIN: {"plugins": list(namespaces)}} if namespaces else PLUGIN,
            {"mkdocstrings": {"handlers": {"python": {"options": {"docstring_style": "google"}}}}},
        ],
        "nav": [{"Home": "index.md"}, {"Layers": "layers/index.md"}],
    }
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _uses_plugin(path: Path) -> bool:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml files use tags (!ENV, !relative) a plain YAML loader does not know.
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    except (OSError, yaml.YAMLError):
        return False
    plugins = data.get("plugins", []) if isinstance(data, dict) else []
    names = plugins.keys() if isinstance(plugins, dict) else [
        next(iter(p)) if isinstance(p, dict) else p for p in plugins
    ]
    return PLUGIN in names


def _check_namespaces(namespaces: Sequence[str]) -> None:
    if not namespaces:
        return
    import layer_registry

    installed = {plugin.namespace for plugin in layer_registry.plugins()}
    missing = [ns for ns in namespaces if ns not in installed]
    if missing:
        raise PluginError(
            f"--plugin {missing[0]}: no installed plugin has the namespace {missing[0]!r}; "
            "installed: " + (", ".join(sorted(installed)) or "none"),
            namespace=missing[0],
        )


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    if value is None:
        yield
        return
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextlib.contextmanager
def _logging(quiet: bool) -> Iterator[None]:
    """Show MkDocs's log (and the plugin's progress lines) as ``mkdocs build`` does."""
    logger = logging.getLogger("mkdocs")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
