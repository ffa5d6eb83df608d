"""Every registered keras-hub layer builds from its registration and runs on its example input.

The conformance kit judges the layers; this only says, fast, whether an example is broken.
"""

import copy
import inspect

import keras
import numpy as np
import pytest

import layer_registry

NAMES = layer_registry.names(plugin="kerashub")

WITHOUT_INPUT = {
    "keras_hub>SAMPromptEncoder",
    "keras_hub>SAM3MaskDecoder",
    "keras_hub>SAM3GeometryEncoder",
}
"""Registered without an input shape: their calls take what input_shape cannot say (README)."""


def test_every_public_layer_but_the_abstract_audio_converter_is_registered():
    import keras_hub

    public = {
        name
        for name in dir(keras_hub.layers)
        if inspect.isclass(cls := getattr(keras_hub.layers, name))
        and issubclass(cls, keras.layers.Layer)
    }
    assert {name.split(">")[1] for name in NAMES} == public - {"AudioConverter"}


@pytest.mark.parametrize("name", NAMES)
def test_example_runs(name):
    info = layer_registry.info(name)
    # A copy: BoxMatcher's constructor edits the lists it is given (README, Findings).
    layer = layer_registry.create(name, **copy.deepcopy(info.example))
    if info.input_shape is None:
        assert name in WITHOUT_INPUT, f"{name} is registered without an input shape"
        return
    several = isinstance(info.input_shape[0], tuple)
    shapes = list(info.input_shape) if several else [info.input_shape]
    dtypes = (
        [info.input_dtype] * len(shapes)
        if isinstance(info.input_dtype, str)
        else list(info.input_dtype)
    )
    inputs = [_random(shape, dtype) for shape, dtype in zip(shapes, dtypes, strict=True)]
    outputs = layer(*_arguments(layer, inputs))
    assert keras.tree.flatten(outputs), f"{name} returned nothing"


def _random(shape, dtype):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind in "iub":
        # 0 and 1: valid token ids, indices and mask values for every example here.
        return rng.integers(0, 2, size=shape).astype(dtype)
    return rng.standard_normal(size=shape).astype(dtype)


def _arguments(layer, inputs):
    """One input alone; several positionally when call requires them so, else as one list."""
    if len(inputs) == 1:
        return inputs
    parameters = list(inspect.signature(type(layer).call).parameters.values())[1:]
    required = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
    return inputs if len(required) >= 2 else [inputs]
