"""The options of the ``layer-registry`` MkDocs plugin, as a typed MkDocs config."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class LayerRegistryConfig(base.Config):
    """The options of the ``layer-registry`` MkDocs plugin."""

    plugins = c.ListOfItems(c.Type(str), default=[])
    """Namespaces to document; when empty, those in ``LAYER_REGISTRY_DOCS_PLUGINS``
    (comma-separated), else every installed plugin. ``LAYER_REGISTRY_DISABLE`` and
    ``LAYER_REGISTRY_ONLY`` apply as for every command."""
    prefix = c.Type(str, default="layers")
    """The folder of the generated pages inside the site."""
    nav_title = c.Type(str, default="Layers")
    execute = c.Type(bool, default=True)
    """Run the examples; ``false`` builds the pages without their output."""
    timeout = c.Type((int, float), default=60)
    """Seconds one layer's examples may take before the worker is stopped."""
    cache = c.Type(bool, default=True)
    """Reuse example results while nothing they depend on changed."""
    cache_dir = c.Optional(c.Type(str))
    """Where results are kept; by default ``examples/`` in layer-registry's cache folder."""
    plot = c.Type(bool, default=True)
    """Plot the response of layers whose example input is ``(batch, features)``."""
    api = c.Optional(c.Type(bool))
    """Add each layer's API reference through mkdocstrings; by default, when the
    ``mkdocstrings`` plugin is enabled."""
    conformance = c.Optional(c.Type(str))
    """A JSON file of conformance results (``layer-registry check --json``) to show."""
    strict = c.Type(bool, default=False)
    """Fail the build when an example fails or a plugin fails to load (``layer-registry docs
    build --strict`` sets it). Otherwise each failure is logged and shown on its page, so that
    one broken third-party plugin never stops a site from building, even under MkDocs's own
    ``strict``, which stays about the site itself (links, docstrings)."""
    cli_reference = c.Optional(c.Type(str))
    """Where to generate the command-line reference page, e.g. ``reference/cli.md``."""
