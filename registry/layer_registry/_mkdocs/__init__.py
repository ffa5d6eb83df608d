"""The MkDocs plugin ``layer-registry``: a catalog, a page per plugin and a page per layer.

Published as the entry point ``layer-registry`` in the group ``mkdocs.plugins``; see
[`LayerRegistryPlugin`][layer_registry._mkdocs.plugin.LayerRegistryPlugin] for what it does and
[`LayerRegistryConfig`][layer_registry._mkdocs.config.LayerRegistryConfig] for its options.
"""
