"""The module-level verbs, each acting on the default registry."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._registry import default_registry

# get()'s fast path reads the default registry's table of resolved names directly: a lookup
# by name is often in a model-building loop (benchmarks/bench_get.py, B3).
_resolved = default_registry().resolved

if TYPE_CHECKING:
    import keras


def get(name: str) -> type[keras.layers.Layer]:
    """Return the layer class registered as ``name``.

    ``name`` is a full name (``"examples>CustomLinear"``), a class name that exactly one plugin
    provides (``"CustomLinear"``) or an alias. Loads the plugins needed on first use.

    Raises:
        LayerNotFoundError: no layer answers to ``name``; the message lists the closest names.
        AmbiguousNameError: several plugins provide that class name; use a full name.
    """
    try:
        return _resolved[name]
    except (KeyError, TypeError):
        return default_registry().get(name)


def create(name: str, /, **kwargs: Any) -> keras.layers.Layer:
    """Return a new instance of the layer ``name`` built with ``kwargs``.

    Raises:
        LayerNotFoundError: as for [`get`][layer_registry.get].
        LayerConfigError: a keyword the layer does not accept, or one its constructor rejects.
    """
    return default_registry().create(name, **kwargs)


def info(name: str) -> LayerInfo:
    """Return the metadata record of the layer ``name``."""
    return default_registry().info(name)


def names(
    pattern: str | None = None, *, plugin: str | None = None, tag: str | None = None
) -> list[str]:
    """Return the full names of the registered layers, sorted.

    Args:
        pattern: a glob matched against the full name or the class name (``"*Linear"``).
        plugin: only the layers of this namespace.
        tag: only the layers with this tag.
    """
    return default_registry().names(pattern, plugin=plugin, tag=tag)


def search(text: str, *, limit: int | None = None) -> list[LayerInfo]:
    """Return the layers matching every word of ``text``, best match first.

    Words are looked for in the name (weighing most), the tags, the summary and the docstring.
    Needs no plugin import when the metadata cache is warm.
    """
    return default_registry().search(text, limit=limit)


def plugins() -> list[PluginInfo]:
    """Return every installed plugin with its status (loaded, failed or blocked) and layers."""
    return default_registry().plugins()


def load(*namespaces: str) -> int:
    """Load the installed plugins now (only ``namespaces`` if given); return how many loaded.

    Lookups load plugins on demand, so call this only to register every layer with Keras
    up front, for example before ``keras.saving.load_model``.
    """
    return default_registry().load(namespaces or None)
