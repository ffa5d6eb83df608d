"""The pluggy markers and the one hook a plugin implements."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from layer_registry._records import RegisterFunction

PROJECT_NAME = "layer_registry"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# The registry calls each plugin's implementation alone, as that plugin loads (plugins load
# lazily), with a ``register`` bound to that plugin: a kept ``register`` cannot register into
# another plugin's load.
@hookspec
def register_layers(register: RegisterFunction) -> None:
    """Register this plugin's layers by calling ``register(cls, **metadata)`` once per class.

    ``register(cls, *, example=None, input_shape=None, input_dtype="float32", aliases=(),
    tags=(), expected_failures=None, setup=None)``: ``example`` holds constructor keyword
    arguments for the layer's runnable example (or is a function of no arguments returning them,
    for layer or tensor arguments), ``input_shape`` an example input shape including the batch
    axis (a list of shapes for several inputs), ``aliases`` older class names that still load,
    ``tags`` words for search, ``expected_failures`` ``{check: reason}`` for conformance checks
    the layer is known to fail, ``setup`` a function ``setup(layer)`` run on each new example
    layer before it is called.
    """
