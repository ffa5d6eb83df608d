"""A layer's runnable example: its arguments, the layer built and set up, and calling it.

The conformance kit and the site's example worker both build and call the example layer
through these functions, so that what a page shows is what the checks judged. Nothing heavy is
imported here.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from layer_registry._errors import shown

ExampleFunction = Callable[[], Mapping[str, Any]]
"""An example given as a function: it returns the constructor keyword arguments."""
SetupFunction = Callable[[Any], Any]
"""``setup(layer)``: what must happen to a new layer before it is called."""


def example_arguments(
    example: Mapping[str, Any], function: ExampleFunction | None, *, display: str
) -> dict[str, Any]:
    """The constructor keyword arguments: ``function()`` when there is one, else ``example``.

    A function is called anew each time, so each layer gets its own layer or tensor arguments.
    """
    if function is None:
        # A deep copy: a constructor may edit the lists it is given (keras-hub's BoxMatcher
        # inserts into its thresholds), and the registered example must stay as registered.
        return copy.deepcopy(dict(example))
    arguments = function()
    if not isinstance(arguments, Mapping) or not all(isinstance(k, str) for k in arguments):
        raise TypeError(
            f"the example function of {display} returned {shown(arguments)}; return a dict "
            "of constructor keyword arguments"
        )
    return dict(arguments)


def build_example(cls: type, arguments: Mapping[str, Any], setup: SetupFunction | None) -> Any:
    """``cls(**arguments)``, then ``setup(layer)`` when the registration gives one."""
    layer = cls(**arguments)
    if setup is not None:
        setup(layer)
    return layer


def example_layer(name: str) -> Any:
    """The example layer of the registered layer ``name``, built and set up as the kit does."""
    import layer_registry
    from layer_registry._registry._registration import registered_functions

    info = layer_registry.info(name)
    cls = layer_registry.get(info.name)
    function, setup = registered_functions(cls)
    return build_example(cls, example_arguments(info.example, function, display=info.name), setup)


def call_layer(layer: Any, inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Call ``layer`` on its example ``inputs`` (one per registered input shape)."""
    return layer(*call_args(layer, inputs), **kwargs)


def call_args(layer: Any, inputs: Sequence[Any]) -> tuple[Any, ...]:
    """The positional arguments a layer gets for ``inputs``.

    One input is one argument. A layer whose ``call`` requires two or more positional arguments
    (``MultiHeadAttention``'s ``query, value``, a cell's ``inputs, states``) gets the inputs
    positionally; any other layer with several inputs gets one list (``Add``, ``Concatenate``).
    """
    if len(inputs) == 1:
        return (inputs[0],)
    if takes_positional_inputs(type(layer)):
        return tuple(inputs)
    return (list(inputs),)


def takes_positional_inputs(cls: type[Any]) -> bool:
    """Whether ``cls.call`` requires two or more positional arguments."""
    try:
        parameters = list(inspect.signature(cls.call).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return False
    required = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(required) >= 2
