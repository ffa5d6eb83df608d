"""keras-hub's public layers on layer-registry: `keras_hub.layers`, each with an example."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import keras_hub

import layer_registry
from layer_registry_kerashub._layers import IMAGE_CONVERTER
from layer_registry_kerashub._layers import LAYERS
from layer_registry_kerashub._reasons import DATA_FORMAT_NOT_SAVED

TAGS = ["keras-hub"]
"""Tags every keras-hub layer gets."""

EXCLUDED = {
    # Only AudioConverter: every other class runs from its constructor arguments alone, with
    # no downloaded preset, vocabulary or weights.
    "AudioConverter": "the abstract base of the audio converters: it has no call of its own",
}
"""Classes of ``keras_hub.layers`` left out, with the reason (the README lists them too)."""


@layer_registry.hookimpl
def register_layers(register: Callable[..., None]) -> None:
    layer_registry.adopt(
        register, keras_hub.layers, exclude=EXCLUDED, layers=layers(keras_hub.layers), tags=TAGS
    )


def layers(module: ModuleType) -> dict[str, dict[str, Any]]:
    """``LAYERS``, plus every image converter without an entry of its own.

    One example serves the converters that take ImageConverter's arguments. The defects they
    inherit are declared where a class has them, so a converter keras-hub fixes is reported as
    fixed rather than hidden.
    """
    options = {name: dict(entry) for name, entry in LAYERS.items()}
    for name, cls in image_converters(module).items():
        entry = options.setdefault(name, dict(IMAGE_CONVERTER))
        inherited: dict[str, str] = {}
        if _drops_data_format(cls):
            inherited["config_roundtrip"] = DATA_FORMAT_NOT_SAVED
        entry["expected_failures"] = {**inherited, **entry.get("expected_failures", {})}
    return options


def image_converters(module: ModuleType) -> dict[str, type]:
    """The ImageConverter subclasses ``module`` (``keras_hub.layers``) exports, by name."""
    base = module.ImageConverter
    return {
        name: value
        for name in dir(module)
        if inspect.isclass(value := getattr(module, name)) and issubclass(value, base)
    }


def _drops_data_format(cls: type) -> bool:
    """Whether ``cls`` takes ``data_format`` yet keeps the get_config of ImageConverter."""
    owner = next(klass for klass in cls.__mro__ if "get_config" in vars(klass))
    return "data_format" in inspect.signature(cls).parameters and owner.__name__ == "ImageConverter"
