"""Temporary: moved to ``layer_registry._registry._registration`` (removed once callers follow)."""

from layer_registry._registry._registration import normalise_shape as normalise_shape
