"""The classic custom-trainable-layer tutorial's layers, as a layer-registry plugin."""

import layer_registry
from layer_registry_examples.custom_init_layer import CustomInitLayer
from layer_registry_examples.custom_linear import CustomLinear
from layer_registry_examples.custom_non_linear import CustomNonLinear

__all__ = ["CustomInitLayer", "CustomLinear", "CustomNonLinear"]


@layer_registry.hookimpl
def register_layers(register):
    register(CustomLinear, example={"units": 4}, input_shape=(8, 3), tags=["dense", "tutorial"])
    register(
        CustomNonLinear, example={"units": 4}, input_shape=(8, 3), tags=["periodic", "tutorial"]
    )
    register(CustomInitLayer, example={"units": 4}, input_shape=(8, 3), tags=["dense", "tutorial"])
