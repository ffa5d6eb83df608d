"""Find, use and publish custom Keras layers as plugins.

Importing this package is cheap: it imports neither Keras nor any plugin. Plugins load on
the first lookup that needs a layer class, or on [`load`][layer_registry.load]. The parts a
listing does not need (model files and specs, adopting a library, the hook marker) are imported
on first use.
"""

# Aliased: the package's namespace holds only its public API.
import importlib as _importlib
import typing as _typing

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
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._registry import Registry
from layer_registry._version import __version__

if _typing.TYPE_CHECKING:  # imported on first use, by __getattr__ below
    from layer_registry._adopt import adopt
    from layer_registry._hookspecs import hookimpl
    from layer_registry._models._saving import load_model
    from layer_registry._models._saving import requirements
    from layer_registry._models._saving import save_model
    from layer_registry._models._spec import build_model

_LAZY = {
    "adopt": "layer_registry._adopt",
    "build_model": "layer_registry._models._spec",
    "hookimpl": "layer_registry._hookspecs",
    "load_model": "layer_registry._models._saving",
    "requirements": "layer_registry._models._saving",
    "save_model": "layer_registry._models._saving",
}
"""Public names whose modules ``import layer_registry`` leaves for first use (PEP 562)."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'layer_registry' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

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
