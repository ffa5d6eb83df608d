"""The conformance kit on every layer of this plugin: one test per layer and check."""

from layer_registry.testing import parametrize_with_checks


@parametrize_with_checks("examples")
def test_conformance(layer, check):
    check(layer)
