"""The conformance kit on every keras-rs layer: one test per layer and check."""

from layer_registry.testing import parametrize_with_checks


@parametrize_with_checks("kerasrs")
def test_conformance(layer, check):
    check(layer)
