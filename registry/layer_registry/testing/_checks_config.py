"""The checks of what Keras writes: ``config_roundtrip`` and ``serialization``."""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Mapping
from typing import Any

from layer_registry._errors import one_line
from layer_registry.testing._checks import TOLERANCE
from layer_registry.testing._checks import CheckFailed
from layer_registry.testing._subject import Subject
from layer_registry.testing._subject import difference
from layer_registry.testing._subject import flatten
from layer_registry.testing._subject import numpy

# Constructor arguments that choose an implementation or give initial weights rather than
# what the layer computes: Keras's own layers leave these out of get_config, and so may yours.
UNSAVED_ARGUMENTS = frozenset({"weights", "use_cudnn", "flash_attention"})


# -- config_roundtrip ---------------------------------------------------------------------------


def missing_arguments(cls: type, config: Mapping[str, Any]) -> list[str]:
    """Constructor arguments of ``cls`` that ``config`` leaves out.

    Arguments Keras's base ``Layer`` takes are its business, and an argument ``get_config``
    names (it may write it only when set, as ``Dense`` does ``lora_rank``) counts as handled.
    """
    import keras

    try:
        # mypy refuses __init__ on a class object; it is the constructor's signature we read.
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]  # type: ignore[misc]
        base = set(inspect.signature(keras.layers.Layer.__init__).parameters)
    except (TypeError, ValueError):
        return []
    source = ""
    for klass in cls.__mro__:
        if "get_config" in vars(klass):
            try:
                source = inspect.getsource(vars(klass)["get_config"])
            except (OSError, TypeError):
                source = ""
            break
    missing = []
    for parameter in parameters:
        name = parameter.name
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            continue
        if name in config or name in base or name in UNSAVED_ARGUMENTS:
            continue
        if re.search(rf"""["']{re.escape(name)}["']""", source):
            continue
        missing.append(name)
    return missing


def check_config_roundtrip(subject: Subject) -> str | None:
    """``from_config(get_config())`` rebuilds an equal layer from every constructor argument."""
    import keras

    layer = subject.make()
    # Without an example input the configs are compared, but not the rebuilt layer's outputs.
    inputs = subject.inputs() if subject.input_shape is not None else None
    outputs = numpy(flatten(subject.call(layer, inputs))) if inputs is not None else []
    try:
        config = layer.get_config()
    except Exception as exc:
        raise CheckFailed(
            f"get_config() raised {one_line(exc)}: write a get_config that returns every "
            "constructor argument in a form Keras can serialize"
        ) from exc
    missing = missing_arguments(type(layer), config)
    if missing:
        names = ", ".join(repr(name) for name in missing)
        plural = len(missing) > 1
        raise CheckFailed(
            f"get_config() leaves out the constructor argument{'s' if plural else ''} {names}: "
            "from_config would rebuild the layer with "
            f"{'their defaults' if plural else 'its default'}; "
            f"add {'them' if plural else 'it'} to the dict get_config returns"
        )
    try:
        json.dumps(keras.saving.serialize_keras_object(layer))
    except Exception as exc:
        key = _unserializable_key(config)
        where = f"the config value of {key!r}" if key else "the config"
        raise CheckFailed(
            f"{where} cannot be written to JSON ({one_line(exc)}): serialize object "
            "arguments in get_config (keras.saving.serialize_keras_object) and deserialize them "
            "in from_config"
        ) from exc
    try:
        # A copy: from_config may rebuild a nested layer in place (keras.layers.RNN does), and
        # what it did to its argument says nothing about what the layer saves.
        clone = type(layer).from_config(_copy(layer, config))
        subject.set_up(clone)
    except Exception as exc:
        reason = f"from_config(get_config()) raised {one_line(exc)}"
        if "unexpected keyword argument" in str(exc):
            reason += (
                "; __init__ must accept **kwargs and pass them to super().__init__ (Keras's "
                "config holds name, trainable and dtype)"
            )
        raise CheckFailed(reason) from exc
    changed = _config_difference(config, clone.get_config())
    if changed:
        raise CheckFailed(f"from_config(get_config()) gives a different config: {changed}")
    if inputs is None:
        return (
            "compared the configs only: no example input registered, so the rebuilt layer's "
            "weights and outputs were not compared"
        )
    subject.call(clone, inputs)
    if len(clone.weights) != len(layer.weights):
        raise CheckFailed(
            f"the layer rebuilt by from_config has {len(clone.weights)} weights, the original "
            f"{len(layer.weights)}"
        )
    try:
        clone.set_weights(layer.get_weights())
    except Exception as exc:
        raise CheckFailed(
            f"the original's weights do not fit the rebuilt layer: {one_line(exc)}"
        ) from exc
    changed = difference(outputs, numpy(flatten(subject.call(clone, inputs))), **TOLERANCE)
    if changed:
        raise CheckFailed(
            f"with the weights copied, the layer rebuilt by from_config gives other outputs "
            f"({changed}): does get_config leave out something that changes the computation?"
        )
    return None


def _copy(layer: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A config as ``get_config`` gave it, for ``from_config`` to change as it likes."""
    try:
        return copy.deepcopy(config)
    except Exception:  # something deepcopy cannot copy: ask the layer again
        return dict(layer.get_config())


def _unserializable_key(config: Mapping[str, Any]) -> str | None:
    import keras

    for key, value in config.items():
        try:
            json.dumps(keras.saving.serialize_keras_object(value))
        except Exception:
            return str(key)
    return None


def _config_difference(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    import numpy as np

    for key in sorted(set(before) | set(after)):
        if key not in after:
            return f"{key!r} is missing"
        if key not in before:
            return f"{key!r} appears"
        first, second = before[key], after[key]
        try:
            equal = (
                bool(np.array_equal(first, second))
                if isinstance(first, np.ndarray)
                else (first == second)
            )
        except Exception:
            equal = repr(first) == repr(second)
        if not equal:
            return f"{key!r} was {first!r}, is {second!r}"
    return ""


# -- serialization ------------------------------------------------------------------------------


def check_serialization(subject: Subject) -> str | None:
    """Keras serializes the layer by its registered name and resolves it with no custom_objects."""
    import keras

    layer = subject.make()
    if subject.input_shape is not None:  # built, as a saved layer is; else as constructed
        subject.call(layer, subject.inputs())
    data = keras.saving.serialize_keras_object(layer)
    written = data.get("registered_name") if isinstance(data, dict) else None
    if subject.registered and written != subject.label:
        raise CheckFailed(
            f"Keras writes the layer as {written!r}, not its registry name {subject.label!r}: "
            "is the class registered with Keras under another name?"
        )
    try:
        restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(data)))
    except Exception as exc:
        hint = (
            ""
            if subject.registered
            else "; register the class with Keras "
            "(keras.saving.register_keras_serializable) or publish it in a layer-registry plugin"
        )
        raise CheckFailed(
            "deserialize_keras_object(serialize_keras_object(layer)) with no custom_objects "
            f"raised {one_line(exc)}{hint}"
        ) from exc
    if type(restored) is not type(layer):
        raise CheckFailed(
            f"{written!r} deserializes to {type(restored).__module__}."
            f"{type(restored).__qualname__}, not "
            f"{type(layer).__module__}.{type(layer).__qualname__}"
        )
    return None
