"""Find, use and publish custom Keras layers as plugins.

Importing this package is cheap: it imports neither Keras nor any plugin. Plugins load on
the first lookup that needs a layer class, or on [`load`][layer_registry.load].
"""

from layer_registry._adopt import adopt
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
from layer_registry._errors import MissingLayerError
from layer_registry._errors import ModelFileError
from layer_registry._errors import PluginError
from layer_registry._errors import PluginVersionWarning
from layer_registry._errors import ProvenanceWarning
from layer_registry._errors import RegistryError
from layer_registry._errors import SpecError
from layer_registry._errors import UnsafeModelError
from layer_registry._hookspecs import hookimpl
from layer_registry._models._saving import load_model
from layer_registry._models._saving import requirements
from layer_registry._models._saving import save_model
from layer_registry._models._spec import build_model
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._registry import Registry
from layer_registry._version import __version__

__all__ = [
    "AmbiguousNameError",
    "LayerConfigError",
    "LayerInfo",
    "LayerNotFoundError",
    "MissingLayerError",
    "ModelFileError",
    "PluginError",
    "PluginInfo",
    "PluginVersionWarning",
    "ProvenanceWarning",
    "Registry",
    "RegistryError",
    "SpecError",
    "UnsafeModelError",
    "__version__",
    "adopt",
    "build_model",
    "create",
    "get",
    "hookimpl",
    "info",
    "load",
    "load_model",
    "names",
    "plugins",
    "requirements",
    "save_model",
    "search",
]
