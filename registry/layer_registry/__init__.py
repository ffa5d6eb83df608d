"""Find, use and publish custom Keras layers as plugins.

Importing this package is cheap: it imports neither Keras nor any plugin. Plugins load on
the first lookup that needs a layer class, or on [`load`][layer_registry.load].
"""

from layer_registry._api import create
from layer_registry._api import get
from layer_registry._api import info
from layer_registry._api import load
from layer_registry._api import names
from layer_registry._api import plugins
from layer_registry._api import search
from layer_registry._errors import AmbiguousNameError
from layer_registry._errors import LayerConfigError
from layer_registry._errors import LayerNotFoundError
from layer_registry._errors import PluginError
from layer_registry._errors import RegistryError
from layer_registry._hookspecs import hookimpl
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._registry import Registry

__version__ = "0.1.0"

__all__ = [
    "AmbiguousNameError",
    "LayerConfigError",
    "LayerInfo",
    "LayerNotFoundError",
    "PluginError",
    "PluginInfo",
    "Registry",
    "RegistryError",
    "create",
    "get",
    "hookimpl",
    "info",
    "load",
    "names",
    "plugins",
    "search",
]
