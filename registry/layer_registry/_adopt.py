"""A library's public layers as one plugin, in a few lines: [`adopt`][layer_registry.adopt]."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from types import ModuleType
from typing import Any


def adopt(
    register: Callable[..., object],
    module: ModuleType,
    *,
    exclude: Iterable[str] = (),
    layers: Mapping[str, Mapping[str, Any]] | None = None,
    tags: Iterable[str] = (),
) -> list[type]:
    """Register every public layer class of ``module`` (``keras_rs.layers``, say).

    Call it inside your ``register_layers`` hook with the ``register`` it received. A class is
    taken when it is a ``keras.layers.Layer`` subclass that ``module`` exports (its
    ``__all__``, or its names without a leading underscore) and that the module's own
    top-level package defines: classes re-exported from Keras or another library are left to
    their owners. Classes the library registered with Keras keep the names it gave them.

    Args:
        register: the callable your hook received.
        module: the library's module of public layers.
        exclude: class names to leave out (abstract bases, layers that need downloaded assets).
        layers: per class name, the keyword arguments for ``register`` (``example``,
            ``input_shape``, ``expected_failures``, ...); a class without an entry is registered
            without an example.
        tags: tags added to every class.

    Returns:
        The classes registered, ordered by name.

    Raises:
        ValueError: ``exclude`` or ``layers`` names a class ``module`` does not export (a typo
            would otherwise silently register a layer without its example).
    """
    import keras

    options = dict(layers or {})
    excluded = set(exclude)
    found = _public_layers(module, keras.layers.Layer)
    unknown = sorted((excluded | options.keys()) - found.keys())
    if unknown:
        raise ValueError(
            f"adopt({module.__name__}) was given {', '.join(map(repr, unknown))}, which "
            f"{module.__name__} does not export as a layer class; check the spelling"
        )
    common = tuple(tags)
    adopted = []
    for name, cls in sorted(found.items()):
        if name in excluded:
            continue
        arguments = dict(options.get(name, {}))
        arguments["tags"] = [*common, *arguments.get("tags", ())]
        register(cls, **arguments)
        adopted.append(cls)
    return adopted


def _public_layers(module: ModuleType, layer: type) -> dict[str, type]:
    """``{class name: class}`` of the layer classes ``module`` exports from its own package."""
    import inspect

    package = module.__name__.split(".")[0]
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    found: dict[str, type] = {}
    for name in names:
        value = getattr(module, name, None)
        if (
            inspect.isclass(value)
            and issubclass(value, layer)
            and value.__module__.split(".")[0] == package
            # An export under a second name is the same class: keep it once, by its own name.
            and name == value.__name__
        ):
            found[name] = value
    return found
