"""How large a spec may be, and measuring one before anything walks it.

The measure counts a value each time a YAML alias repeats it, as an error message or Keras
would once it expands, but walks each shared list or mapping once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import NoReturn

from layer_registry._errors import SpecError
from layer_registry._models._spec._values import _at

MAX_VALUES = 1_000_000
"""The most values (numbers, strings, lists, mappings and keys) a spec may hold."""
MAX_CHARACTERS = 10_000_000
"""The most characters of text a spec may hold."""
MAX_DEPTH = 100
"""The most levels of lists and mappings a spec may nest."""
MAX_INT_DIGITS = 100
"""The most digits an integer of a spec may have."""
MAX_LAYERS = 10_000
"""The most layers a spec may build, nested ones included."""
_TOO_MANY_DIGITS = f"an integer of more than {MAX_INT_DIGITS} digits; no layer argument needs one"


class _Frame:
    """A list or mapping being measured: where it is, and what it holds so far."""

    __slots__ = (
        "characters",
        "children",
        "depth",
        "height",
        "index",
        "key",
        "parent",
        "value",
        "values",
    )

    def __init__(self, value: Any, parent: _Frame | None, key: Any, index: bool):
        self.value = value
        self.parent = parent
        self.key = key
        self.index = index  # key is a list index, not a mapping key
        self.depth: int = parent.depth + 1 if parent else 1
        self.children = iter(value.items()) if isinstance(value, Mapping) else enumerate(value)
        self.values = 1
        self.characters = 0
        self.height = 1

    def parts(self) -> list[tuple[Any, bool]]:
        """The keys from the spec down to here."""
        parts = []
        frame: _Frame | None = self
        while frame is not None and frame.parent is not None:
            parts.append((frame.key, frame.index))
            frame = frame.parent
        return parts[::-1]


_CONTAINERS = (Mapping, list, tuple, set, frozenset)


def _check_size(spec: Mapping[str, Any]) -> None:
    """Refuse a spec too large, too deeply nested or holding itself, before anything walks it.

    A list that YAML aliases repeat counts each time it appears, as it would once expanded (the
    repr of an error message, or Keras, expands it), but is measured once: a billion laughs
    costs what its text does.
    """
    measured: dict[int, tuple[int, int, int]] = {}  # id -> values, characters, height
    root = _Frame(spec, None, None, False)
    stack = [root]
    active = {id(spec): root}  # the frames on the stack: finding one again is a cycle
    while stack:
        frame = stack[-1]
        item = next(frame.children, None)
        if item is None:
            stack.pop()
            del active[id(frame.value)]
            measured[id(frame.value)] = (frame.values, frame.characters, frame.height)
            if stack:
                _add(stack[-1], frame.values, frame.characters, frame.height)
            continue
        key, value = item
        index = not isinstance(frame.value, Mapping)
        if not index:
            _add(frame, 1, _scalar_characters(key, frame, key, False), 0)
        if not isinstance(value, _CONTAINERS):
            _add(frame, 1, _scalar_characters(value, frame, key, index), 0)
        elif id(value) in active:
            _refuse(active[id(value)].parts(), "contains itself (an alias inside its own anchor)")
        elif id(value) in measured:
            values, characters, height = measured[id(value)]
            if frame.depth + height > MAX_DEPTH:
                _refuse([*frame.parts(), (key, index)], f"nested more than {MAX_DEPTH} levels deep")
            _add(frame, values, characters, height)
        elif frame.depth >= MAX_DEPTH:
            _refuse([*frame.parts(), (key, index)], f"nested more than {MAX_DEPTH} levels deep")
        else:
            child = _Frame(value, frame, key, index)
            stack.append(child)
            active[id(value)] = child


def _add(frame: _Frame, values: int, characters: int, height: int) -> None:
    frame.values += values
    frame.characters += characters
    frame.height = max(frame.height, height + 1)
    # Reported where the bulk is: at a layer's argument (layers[0].units), not deep inside it.
    if frame.values > MAX_VALUES:
        _refuse(
            frame.parts()[:3],
            f"the spec holds more than {MAX_VALUES:,} values here once its YAML aliases (or "
            "shared lists) are expanded; that is the most a spec may hold",
        )
    if frame.characters > MAX_CHARACTERS:
        _refuse(
            frame.parts()[:3],
            f"the spec holds more than {MAX_CHARACTERS:,} characters of text here once its "
            "YAML aliases (or shared lists) are expanded; that is the most a spec may hold",
        )


def _scalar_characters(value: Any, frame: _Frame, key: Any, index: bool) -> int:
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if (
        isinstance(value, int)
        and value.bit_length() > 3 * MAX_INT_DIGITS
        and abs(value) >= 10**MAX_INT_DIGITS
    ):
        _refuse([*frame.parts(), (key, index)], _TOO_MANY_DIGITS)
    return 0


def _refuse(parts: list[tuple[Any, bool]], problem: str) -> NoReturn:
    # A path a hundred levels deep says no more than its start.
    raise SpecError(problem, _path(parts[:8]) + "..." if len(parts) > 8 else _path(parts))


def _path(parts: list[tuple[Any, bool]]) -> str:
    path = ""
    for key, index in parts:
        path = f"{path}[{key}]" if index else _at(path, key)
    return path
