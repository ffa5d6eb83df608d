"""One layer of a spec: its name looked up, its arguments (layers among them) built."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import re
from collections.abc import Mapping
from typing import Any

from layer_registry._errors import AmbiguousNameError
from layer_registry._errors import LayerConfigError
from layer_registry._errors import LayerNotFoundError
from layer_registry._errors import SpecError
from layer_registry._errors import shown
from layer_registry._models._construct import construct
from layer_registry._models._spec._size import MAX_LAYERS
from layer_registry._models._spec._values import _at
from layer_registry._models._spec._values import _check_names
from layer_registry._models._spec._values import _kind
from layer_registry._registry import default_registry

_RECEIVED = re.compile(r"Received:?\s+(\w+)\s*=")
# Inputs are declared by the spec itself; the base class builds nothing.
_NOT_LAYERS = frozenset({"Input", "InputLayer", "Layer"})


@dataclasses.dataclass
class _Build:
    """What one build knows besides the spec: whether it may read files, how many layers."""

    allow_files: bool
    layers: int = 0

    def reserve(self, count: int, where: str) -> None:
        """Count ``count`` more layers, refused past ``MAX_LAYERS`` before they are built."""
        self.layers += count
        if self.layers > MAX_LAYERS:
            raise SpecError(
                f"the spec builds more than {MAX_LAYERS:,} layers; that is the most a spec may",
                where,
            )


def _layer_item(item: str | Mapping[Any, Any], where: str) -> tuple[Any, dict[Any, Any], str]:
    """A layer written ``Dense``, ``{layer: Dense, units: 1}`` or ``{Dense: {units: 1}}``.

    Returns its name, its arguments and the place of its name in the spec, for errors.
    """
    if isinstance(item, str):
        return item, {}, f"{where}.layer"
    if "layer" not in item and len(item) == 1:
        [(name, arguments)] = item.items()
        if isinstance(arguments, Mapping | None):
            return name, dict(arguments or {}), where
    kwargs = dict(item)
    return kwargs.pop("layer", None), kwargs, f"{where}.layer"


def _layer(
    name: Any, kwargs: dict[Any, Any], where: str, build: _Build, name_at: str | None = None
) -> tuple[Any, str]:
    """An instance of the layer ``name`` with ``kwargs``, and the name to show in errors.

    ``where`` is the layer's place in the spec, ``name_at`` its name's (``where.layer``).
    """
    name_at = name_at or f"{where}.layer"
    if name is None:
        raise SpecError(
            "missing: the layer's name: `layer: Dense` beside its arguments, `Dense: {units: 1}` "
            "or `Dense` alone",
            name_at,
        )
    cls, full = _layer_class(name, name_at)
    display = full or name
    _check_names(kwargs, where, "argument names")
    kwargs = {key: _with_layers(value, _at(where, key), build) for key, value in kwargs.items()}
    files = [key for key in _file_arguments(cls) if isinstance(kwargs.get(key), str | os.PathLike)]
    if files and not build.allow_files:
        raise SpecError(
            f"{display} would read the file {shown(os.fspath(kwargs[files[0]]))}, and a model "
            "saved from this spec would carry what it read; a spec reads no local file unless "
            "told to: if the file is trusted, pass allow_files=True to build_model "
            "(--allow-files to `layer-registry build`)",
            _at(where, files[0]),
        )
    try:
        # Keras's safe mode refuses the vocabulary file the caller allowed: construct this one
        # layer as plain Keras code does, outside the scope. Nested configs still refuse code
        # there: deserialize_keras_object is safe unless told otherwise.
        with _outside_safe_mode() if files else contextlib.nullcontext():
            return construct(cls, kwargs, display=display), display
    except LayerConfigError as exc:
        if exc.keyword is not None:
            raise SpecError(str(exc), _at(where, exc.keyword)) from exc
        problem, cause = str(exc), exc.__cause__
    # Keras-style messages end with "Received: units=-1": point at that argument.
    match = _RECEIVED.search(str(cause or ""))
    key = match.group(1) if match and match.group(1) in kwargs else None
    raise SpecError(problem, _at(where, key) if key else where) from cause


def _with_layers(value: Any, where: str, build: _Build) -> Any:
    """``value``, an argument, with every layer it names built, at any depth.

    A mapping names a layer when it has ``layer`` (a name) or is one key, a layer's name, over
    the layer's arguments. Anything else is returned as it is, rebuilt only around a layer.
    """
    if isinstance(value, list):
        items = [_with_layers(item, f"{where}[{i}]", build) for i, item in enumerate(value)]
        return (
            items if any(new is not old for new, old in zip(items, value, strict=True)) else value
        )
    if not isinstance(value, Mapping):
        return value
    if isinstance(value.get("layer"), str):
        kwargs = dict(value)
        build.reserve(1, where)
        return _layer(kwargs.pop("layer"), kwargs, where, build)[0]
    if len(value) == 1:
        [(name, arguments)] = value.items()
        if isinstance(arguments, Mapping | None) and _names_layer(name):
            build.reserve(1, where)
            return _layer(name, dict(arguments or {}), where, build, where)[0]
    entries = {key: _with_layers(item, _at(where, key), build) for key, item in value.items()}
    return entries if any(entries[key] is not value[key] for key in value) else value


def _names_layer(name: Any) -> bool:
    try:
        _layer_class(name, "")
    except SpecError:
        return False
    return True


def _file_arguments(cls: type) -> tuple[str, ...]:
    """The constructor arguments of ``cls`` that Keras opens as a file when given a path."""
    import keras

    # From the Keras sources: IndexLookup.set_vocabulary reads a str vocabulary as a file (the
    # lookup layers and TextVectorization), TFSMLayer loads a SavedModel. No other built-in
    # layer opens what it is given.
    readers = (
        (keras.layers.StringLookup, "vocabulary"),
        (keras.layers.IntegerLookup, "vocabulary"),
        (keras.layers.TextVectorization, "vocabulary"),
        (keras.layers.TFSMLayer, "filepath"),
    )
    return tuple(argument for reader, argument in readers if issubclass(cls, reader))


def _outside_safe_mode() -> contextlib.AbstractContextManager[None]:
    from keras.src.saving.serialization_lib import SafeModeScope

    # None is no scope at all (what in_safe_mode() says outside load_model), not False.
    return SafeModeScope(None)


def _layer_class(name: Any, where: str) -> tuple[type, str | None]:
    """The class ``name`` stands for, and its full registry name (None for a Keras built-in)."""
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"expected a layer name, got {_kind(name)}", where)
    import keras

    if ">" not in name:
        if name in _NOT_LAYERS:
            raise SpecError(
                f"{name!r} is not a layer a spec can use; declare inputs with 'input_shape' "
                "(sequential) or 'inputs' (graph)",
                where,
            )
        builtin = getattr(keras.layers, name, None)
        if isinstance(builtin, type) and issubclass(builtin, keras.layers.Layer):
            return builtin, None
    registry = default_registry()
    try:
        full = registry.resolve(name)
    except AmbiguousNameError as exc:
        raise SpecError(str(exc), where) from None
    except LayerNotFoundError as exc:
        if ">" in name:
            raise SpecError(str(exc), where) from None
        close = difflib.get_close_matches(name, keras_layer_names(), n=3, cutoff=0.6)
        suggestions = [*close, *(s for s in exc.suggestions if s not in close)][:5]
        problem = f"no Keras layer or registered layer is named {shown(name)}"
        problem += (
            "; did you mean " + ", ".join(map(repr, suggestions)) + "?"
            if suggestions
            else "; run `layer-registry list` to see the installed layers"
        )
        raise SpecError(problem, where) from None
    return registry.get(full), full


def keras_layer_names() -> list[str]:
    import keras

    return [
        name
        for name, value in vars(keras.layers).items()
        if isinstance(value, type)
        and issubclass(value, keras.layers.Layer)
        and name not in _NOT_LAYERS
    ]
