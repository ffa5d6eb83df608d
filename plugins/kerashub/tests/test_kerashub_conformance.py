"""The conformance kit on keras-hub's layers: one test per layer and check.

keras-hub's image converters are ImageConverter with a class attribute naming their backbone
(`backbone_cls`). 29 of them (keras-hub 0.32) define nothing else, so they run ImageConverter's
code, which is checked here once. `layer-registry check kerashub` (which `python3 dev.py site`
runs for the site's conformance results) checks every one of them.
"""

import inspect

import keras_hub

import layer_registry
from layer_registry.testing import parametrize_with_checks


def _runs_its_own_code(name: str) -> bool:
    """False for an image converter whose class adds nothing to ImageConverter but its backbone."""
    cls = layer_registry.get(name)
    if (
        not issubclass(cls, keras_hub.layers.ImageConverter)
        or cls is keras_hub.layers.ImageConverter
    ):
        return True
    return any(
        inspect.isfunction(value) or isinstance(value, (classmethod, staticmethod, property))
        for value in vars(cls).values()
    )


CHECKED = [name for name in layer_registry.names(plugin="kerashub") if _runs_its_own_code(name)]


def test_only_converters_that_are_imageconverter_itself_are_left_to_the_cli():
    left = set(layer_registry.names(plugin="kerashub")) - set(CHECKED)
    assert left  # 29 in keras-hub 0.32
    assert all(
        layer_registry.get(name).__bases__ == (keras_hub.layers.ImageConverter,) for name in left
    )


@parametrize_with_checks(CHECKED)
def test_conformance(layer, check):
    check(layer)
