"""The MkDocs plugin: pages generated from the registry, with the examples really run.

Enable it in ``mkdocs.yml`` (beside ``mkdocstrings``, which renders the API reference)::

    plugins:
      - search
      - layer-registry
      - mkdocstrings

Every event does one job: ``on_config`` reads the registry (metadata only, no TensorFlow when
its cache is warm), finds which examples are not cached and starts the worker for them, and
puts the generated pages into the navigation; ``on_files`` adds the pages as virtual files;
``on_page_markdown`` fills a layer's page with its results, waiting for the worker if needed.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from layer_registry import _settings
from layer_registry._errors import RegistryError
from layer_registry._mkdocs import catalog
from layer_registry._mkdocs import examples
from layer_registry._mkdocs import pages
from layer_registry._mkdocs.config import LayerRegistryConfig
from layer_registry._mkdocs.example_runs import ExampleRuns
from layer_registry._mkdocs.pages import count
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._registry import Registry

log = get_plugin_logger("layer_registry")

ASSETS = ("catalog.js", "catalog.css")
MARKDOWN_EXTENSIONS = (
    "admonition",
    "attr_list",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "md_in_html",
    "pymdownx.details",
)
"""What the generated pages are written in: ``!!! failure`` boxes, ``{ loading=lazy }`` images,
fenced blocks titled ``title="Output"`` and nested in boxes, the plot's ``<figure markdown>``
with its caption, the docstring preamble's collapsed ``??? note``. Added when a site lacks
them."""


def _add_markdown_extensions(config: MkDocsConfig) -> None:
    """Enable the extensions of ``MARKDOWN_EXTENSIONS`` the site's ``mkdocs.yml`` lacks."""
    # Plugins configured before this one (mkdocstrings) may have added extension objects.
    enabled = {
        name.removeprefix("markdown.extensions.")
        for name in config.markdown_extensions
        if isinstance(name, str)
    }
    added = []
    for name in MARKDOWN_EXTENSIONS:
        if name in enabled:
            continue
        # Two highlighters fight over the same blocks: keep the site's codehilite.
        if name == "pymdownx.highlight" and "codehilite" in enabled:
            continue
        config.markdown_extensions.append(name)
        added.append(name)
    if added:
        log.info(
            f"added the Markdown extension(s) {', '.join(added)}, which the layer pages use; "
            "list them under `markdown_extensions` in mkdocs.yml to configure them"
        )


class LayerRegistryPlugin(BasePlugin[LayerRegistryConfig]):
    """A catalog page, a page per plugin and a page per layer, built from the registry."""

    def __init__(self) -> None:
        self._layers: list[LayerInfo] = []
        self._plugins: list[PluginInfo] = []
        self._pages: dict[str, LayerInfo] = {}
        self._examples: ExampleRuns | None = None
        self._plots: dict[str, File] = {}
        self._conformance: dict[str, list[dict[str, Any]]] = {}
        self._conformance_note = ""
        self._api: bool = True
        self._problems: list[str] = []
        self._started = 0.0

    # -- events ----------------------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self._started = time.monotonic()
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        _add_markdown_extensions(config)
        has_mkdocstrings = "mkdocstrings" in config.plugins
        if self.config.api and not has_mkdocstrings:
            raise PluginError(
                "layer-registry: `api: true` needs the mkdocstrings plugin; add "
                "`- mkdocstrings` to `plugins` in mkdocs.yml"
            )
        self._api = has_mkdocstrings if self.config.api is None else self.config.api
        if self.config.api is None and not has_mkdocstrings:
            log.info(
                "no API reference on the layer pages: add `- mkdocstrings` to `plugins` in "
                "mkdocs.yml to get one"
            )
        # The registry as every command sees it (same settings, so the same warm metadata
        # cache: no TensorFlow here); the site's own selection is applied on top.
        registry = Registry()
        # `docs --plugin` sets the variable.
        wanted = set(self.config.plugins or _settings.names(_settings.DOCS_PLUGINS) or ())
        try:
            installed = registry.plugins()
            layers = list(registry)
        except RegistryError as exc:  # LAYER_REGISTRY_STRICT=1 and a plugin failed
            raise PluginError(f"layer-registry: {exc}") from exc
        self._plugins = [
            p for p in installed if p.status != "blocked" and (not wanted or p.namespace in wanted)
        ]
        self._layers = [info for info in layers if not wanted or info.namespace in wanted]
        missing = sorted(wanted - {p.namespace for p in self._plugins})
        if missing:
            raise PluginError(
                "layer-registry: no installed plugin has the namespace "
                + ", ".join(map(repr, missing))
                + "; `layer-registry plugins` lists the installed ones"
            )
        for plugin in self._plugins:
            if plugin.status == "failed":
                self._problem(
                    f"plugin {plugin.namespace!r} (distribution {plugin.distribution} "
                    f"{plugin.version}) failed to load: {plugin.error}"
                )
        self._pages = {self._layer_uri(info): info for info in self._layers}
        self._read_conformance(config)
        self._examples = ExampleRuns(self._layers, self.config, self._problem)
        self._examples.start()
        self._add_nav(config)
        for asset in ASSETS:
            target = config.extra_css if asset.endswith(".css") else config.extra_javascript
            target.append(f"assets/layer-registry/{asset}")
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        prefix = self.config.prefix
        by_plugin = self._by_plugin()
        files.append(
            File.generated(
                config,
                f"{prefix}/index.md",
                content=catalog.catalog_page(self._layers, self._plugins, self._conformance),
            )
        )
        for plugin in self._plugins:
            files.append(
                File.generated(
                    config,
                    f"{prefix}/{plugin.namespace}/index.md",
                    content=pages.plugin_page(plugin, by_plugin[plugin.namespace]),
                )
            )
        class_names: defaultdict[str, int] = defaultdict(int)
        for info in self._layers:
            class_names[info.class_name] += 1
        for uri, info in self._pages.items():
            content = pages.layer_page(
                info, unique_class_name=class_names[info.class_name] == 1, api=self._api
            )
            files.append(File.generated(config, uri, content=content))
            plot_path = self._runs().plot_paths.get(info.name)
            if plot_path is not None:
                plot = File.generated(config, self._plot_uri(info), abs_src_path=str(plot_path))
                files.append(plot)
                self._plots[info.name] = plot
        for asset in ASSETS:
            source = resources.files("layer_registry._mkdocs").joinpath("assets", asset)
            files.append(
                File.generated(
                    config, f"assets/layer-registry/{asset}", content=source.read_text("utf-8")
                )
            )
        if self.config.cli_reference:
            from layer_registry._cli import cli
            from layer_registry._mkdocs.cli_reference import cli_reference

            files.append(
                File.generated(
                    config,
                    self.config.cli_reference,
                    content=cli_reference(cli, "layer-registry"),
                )
            )
        return files

    def on_page_markdown(
        self, markdown: str, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        info = self._pages.get(page.file.src_uri)
        if info is None or pages.RESULTS_MARKER not in markdown:
            return markdown
        result = self._runs().result(info)
        plot = None
        if result is not None and result.plot and info.name in self._plots:
            plot = self._plot_uri(info).rsplit("/", 1)[-1]
        section = pages.results_section(
            info,
            result,
            plot=plot,
            plots=self.config.plot,
            conformance=self._conformance.get(info.name, ()),
            conformance_note=self._conformance_note,
            why_not=self._runs().why_not,
        )
        return markdown.replace(pages.RESULTS_MARKER, section)

    def on_env(self, env: Any, config: MkDocsConfig, files: Files) -> Any:
        # Every page has been read, so every example has been waited for.
        if self.config.strict and self._problems:
            raise PluginError(
                f"layer-registry (strict): {count(len(self._problems), 'problem')}:\n  - "
                + "\n  - ".join(self._problems)
            )
        # A plot that was not drawn (the example failed) must not be copied.
        for name, plot in self._plots.items():
            result = self._runs().results.get(name)
            if result is None or not result.plot or not os.path.exists(str(plot.abs_src_path)):
                files.remove(plot)
        return env

    def on_post_build(self, config: MkDocsConfig) -> None:
        self._close()

    def on_build_error(self, error: Exception) -> None:
        self._close()

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        # Editing a layer rebuilds the site, as editing a page does.
        sources = examples.SourceDigests()
        folders = {os.path.dirname(path) for info in self._layers for path in sources.files(info)}
        for folder in sorted(folders):
            if not any(folder.startswith(other + os.sep) for other in folders):
                server.watch(folder)
        return server

    # -- helpers ---------------------------------------------------------------------------

    def _close(self) -> None:
        if self._examples is not None:
            self._examples.close(self._started)

    def _runs(self) -> ExampleRuns:
        if self._examples is None:
            raise PluginError("layer-registry: a page was built before the plugin's on_config")
        return self._examples

    def _problem(self, message: str) -> None:
        """A failed example or plugin: shown on its page; fails the build only when strict."""
        self._problems.append(message)
        log.info(f"{message} (shown on its page)")

    # -- layout ----------------------------------------------------------------------------

    def _layer_uri(self, info: LayerInfo) -> str:
        return f"{self.config.prefix}/{info.namespace}/{info.class_name}.md"

    def _plot_uri(self, info: LayerInfo) -> str:
        return f"{self.config.prefix}/{info.namespace}/{info.class_name}.png"

    def _by_plugin(self) -> dict[str, list[LayerInfo]]:
        grouped: dict[str, list[LayerInfo]] = defaultdict(list)
        for info in self._layers:
            grouped[info.namespace].append(info)
        return grouped

    def _add_nav(self, config: MkDocsConfig) -> None:
        """Put the generated pages into an explicit ``nav``, grouped by plugin.

        The section replaces the nav entry that points at the catalog (``layers/index.md``),
        keeping its title, or is appended. Without a ``nav``, MkDocs's automatic navigation
        already groups the pages by folder.
        """
        if config.nav is None:
            return
        prefix = self.config.prefix
        by_plugin = self._by_plugin()
        children: list[Any] = [f"{prefix}/index.md"]
        for plugin in self._plugins:
            children.append(
                {
                    pages.plugin_title(plugin): [
                        f"{prefix}/{plugin.namespace}/index.md",
                        *(
                            {info.class_name: self._layer_uri(info)}
                            for info in by_plugin[plugin.namespace]
                        ),
                    ]
                }
            )
        catalog = f"{prefix}/index.md"
        nav: list[Any] = list(config.nav)
        for position, entry in enumerate(nav):
            if entry == catalog:
                nav[position] = {self.config.nav_title: children}
                break
            if isinstance(entry, dict) and list(entry.values()) == [catalog]:
                nav[position] = {next(iter(entry)): children}
                break
        else:
            nav.append({self.config.nav_title: children})
        config.nav = nav

    def _read_conformance(self, config: MkDocsConfig) -> None:
        if not self.config.conformance:
            return
        path = Path(config.config_file_path or ".").parent / self.config.conformance
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            log.info(
                f"no conformance results at {path} "
                f"(`layer-registry check --json > {self.config.conformance}` writes them)"
            )
            return
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError too
            self._unreadable_conformance(path, str(exc))
            return
        rows = data.get("results") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            self._unreadable_conformance(path, "expected a JSON list of results")
            return
        for row in rows:
            if isinstance(row, dict) and "layer" in row:
                self._conformance.setdefault(str(row["layer"]), []).append(row)

    def _unreadable_conformance(self, path: Path, why: str) -> None:
        """A broken results file costs the conformance tables, not the site (unless strict)."""
        self._conformance_note = (
            f"The conformance results in {path.name} could not be read ({why}); "
            f"`layer-registry check --json > {self.config.conformance}` writes them again."
        )
        self._problem(f"cannot read the conformance results {path}: {why}")
