"""Scanning a model's config: the registered names it holds, and what could run code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from layer_registry._errors import ModelFileError
from layer_registry._errors import UnsafeModelError
from layer_registry._errors import shown
from layer_registry._models._archive import _limits
from layer_registry._models._archive._limits import CONFIG_MEMBER

_REPORTED = 5
"""How many refused objects a scan describes; it counts them all."""
# Keras's own list of callables a config must not name (keras.src.saving.serialization_lib
# NON_MODELING_APIS, 3.15), repeated here so the check runs before Keras is imported.
_NON_MODELING = frozenset(
    {
        "keras.backend.clear_session",
        "keras.config.enable_unsafe_deserialization",
        "keras.models.load_model",
        "keras.models.model_from_json",
        "keras.models.save_model",
        "keras.preprocessing.image_dataset_from_directory",
        "keras.preprocessing.image.load_img",
        "keras.preprocessing.image.save_img",
        "keras.preprocessing.text_dataset_from_directory",
        "keras.saving.deserialize_keras_object",
        "keras.saving.load_model",
        "keras.saving.load_weights",
        "keras.saving.register_keras_serializable",
        "keras.saving.save_model",
        "keras.saving.save_weights",
        "keras.saving.serialize_keras_object",
        "keras.utils.audio_dataset_from_directory",
        "keras.utils.clear_session",
        "keras.utils.deserialize_keras_object",
        "keras.utils.get_file",
        "keras.utils.image_dataset_from_directory",
        "keras.utils.load_img",
        "keras.utils.register_keras_serializable",
        "keras.utils.save_img",
        "keras.utils.serialize_keras_object",
        "keras.utils.text_dataset_from_directory",
    }
)
# Plain values Keras serializes with a dunder class name and no module.
_VALUE_CLASSES = frozenset(
    {"__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__", "__keras_tensor__"}
)
_REGISTERED_NAME = re.compile(r"[^>\s]+>[^>\s]+")


class Location:
    """Where a value sits in a config: a link to the place that holds it.

    The text (``config.layers[0].config``) is spelled out only when a location is reported:
    built for every value, it would cost the length of the path times the number of values.
    """

    __slots__ = ("parent", "step")

    def __init__(self, parent: Location | None, step: str | int):
        self.parent = parent
        self.step = step

    def __str__(self) -> str:
        steps: list[str | int] = []
        node: Location | None = self
        while node is not None and node.parent is not None:  # the root has no step
            steps.append(node.step)
            node = node.parent
        text = "".join(
            f"[{step}]" if isinstance(step, int) else f".{step}" for step in reversed(steps)
        )
        return text.removeprefix(".") or "the model itself"

    def __repr__(self) -> str:
        return f"Location({shown(str(self))})"


def _cut(text: str, limit: int = 200) -> str:
    """``text`` with its middle left out past ``limit`` characters: both ends stay readable."""
    return text if len(text) <= limit else f"{text[: limit // 3]}...{text[-(2 * limit) // 3 :]}"


@dataclass
class Scan:
    """What ``scan`` found in a config: the names to resolve and the objects refused."""

    names: dict[str, Location] = field(default_factory=dict)
    """Every ``namespace>Name`` Keras would look an object up by, with where it first appears.

    Keras resolves these through its registered objects alone, never by module: ``load_model``
    makes sure each one resolves before Keras runs."""
    refused: list[tuple[Location, str]] = field(default_factory=list)
    """``(location, why)`` for the first objects that could run code or import a module."""
    refusals: int = 0
    """How many objects were refused in all."""

    def check(self, path: str) -> None:
        """Raise ``UnsafeModelError`` for the first object refused, if any (``path``: the file)."""
        if not self.refused:
            return
        location, why = self.refused[0]
        more = f" (and {self.refusals - 1:,} more)" if self.refusals > 1 else ""
        raise UnsafeModelError(
            f"{path} is refused: {CONFIG_MEMBER} at {_cut(str(location))} {why}{more}; "
            "layer-registry loads only Keras built-ins and registered plugin layers",
            path=path,
            location=str(location),
        )


def _walk(config: Any, path: str) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Every serialized object (a dict with a ``class_name``) at any depth, with its location.

    Raises ``ModelFileError`` naming the file ``path`` past ``NODE_LIMIT``, ``DEPTH_LIMIT`` or
    ``KEY_LIMIT``.
    """
    root = Location(None, "")
    if not isinstance(config, (dict, list)):
        return
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        yield root, config
    nodes = 1
    # A stack of iterators, not recursion: a hostile config may be nested far deeper than
    # Python's stack, and the stack holds one entry per level, whatever the width.
    stack: list[tuple[Location, Iterator[tuple[str | int, Any]]]] = [(root, _items(config))]
    while stack:
        location, items = stack[-1]
        for step, value in items:
            nodes += 1
            if nodes > _limits.NODE_LIMIT:
                raise _past_limit(
                    path, f"holds more than the {_limits.NODE_LIMIT:,} values layer-registry reads"
                )
            if isinstance(step, str) and len(step) > _limits.KEY_LIMIT:
                raise _past_limit(
                    path,
                    f"holds a key of {len(step):,} characters at {_cut(str(location))}, more "
                    f"than the {_limits.KEY_LIMIT:,} layer-registry reads (Keras writes "
                    "argument and layer names)",
                )
            if isinstance(value, (dict, list)):
                if len(stack) > _limits.DEPTH_LIMIT:
                    raise _past_limit(
                        path,
                        f"is nested more than {_limits.DEPTH_LIMIT:,} levels deep at "
                        f"{_cut(str(location))}; Keras saves a few hundred at most",
                    )
                child = Location(location, step)
                if isinstance(value, dict) and isinstance(value.get("class_name"), str):
                    yield child, value
                stack.append((child, _items(value)))
                break
        else:
            stack.pop()


def _past_limit(path: str, problem: str) -> ModelFileError:
    source = f"{path}: {CONFIG_MEMBER}" if path else CONFIG_MEMBER
    return ModelFileError(f"{source} {problem}", path=path)


def _items(value: dict[Any, Any] | list[Any]) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, list):
        return enumerate(value)
    # JSON keys are strings; a config built in memory may hold others.
    return ((key if isinstance(key, str) else shown(key), item) for key, item in value.items())


def scan(config: Any, trusted: Mapping[str, Any] | None = None, *, path: str = "") -> Scan:
    """Collect the registered names in ``config`` and refuse what could run code.

    Each object is judged as Keras resolves it (``keras.src.saving.serialization_lib``,
    ``_retrieve_class_or_fn``): by a name first, a function by its own name (its ``config``),
    a class by its ``registered_name``; by its ``module`` only when that name is not registered.
    ``trusted`` holds names the caller vouches for (``custom_objects``): an object named there
    may come from any module, as Keras resolves it from that mapping. ``path`` names the file
    in the errors raised past a limit (``NODE_LIMIT``, ``DEPTH_LIMIT``, ``KEY_LIMIT``).
    """
    trusted = trusted or {}
    found = Scan()
    for location, obj in _walk(config, path):
        why = _refusal(obj, trusted, found.names, location)
        if why is not None:
            found.refusals += 1
            if len(found.refused) < _REPORTED:
                found.refused.append((location, why))
    return found


def _refusal(
    obj: dict[str, Any], trusted: Mapping[str, Any], names: dict[str, Location], where: Location
) -> str | None:
    """Why Keras could run code or import a module for ``obj``, or None (recording its name)."""
    class_name = obj["class_name"]
    module = obj.get("module")
    inner = obj.get("config")
    if class_name == "__lambda__":
        return "holds a Python lambda (code that would run on load)"
    if class_name in _VALUE_CLASSES:
        return None
    # The name Keras looks the object up by, first in custom objects and registrations. A
    # function's registered_name is never looked at: {"module": "os", "config": "system",
    # "registered_name": "examples>CustomLinear"} is os.system to Keras, whatever it says.
    lookup = inner if class_name == "function" else obj.get("registered_name", class_name)
    if isinstance(lookup, str) and lookup in trusted:
        return None
    if isinstance(lookup, str) and _REGISTERED_NAME.fullmatch(lookup):
        names.setdefault(lookup, where)
        return None
    # Not registered: Keras goes by the module.
    if module is None:
        return None  # an unregistered class from __main__: Keras looks it up, imports nothing
    if not isinstance(module, str):
        return f"has a module that is not a string: {shown(module)}"
    function = inner if class_name == "function" else class_name
    if not isinstance(function, str):
        function = shown(function)
    what = f"{_cut(module, 100)}.{_cut(function, 100)}"
    if module == "keras" or module.startswith("keras."):
        if class_name == "Lambda":
            return "holds a Lambda layer (Python code that would run on load)"
        if f"{module}.{function}" in _NON_MODELING:
            return f"names {what}, which is not a modeling API"
        return None
    if class_name == "function" and module == "builtins":
        return None  # a Keras built-in function by name ("relu"), looked up in Keras only
    if class_name == "__typespec__" and module.startswith("tensorflow."):
        return None
    if class_name == "function":
        what = f"the function {what}"
    return f"names {what}, which is neither part of Keras nor a registered layer"
