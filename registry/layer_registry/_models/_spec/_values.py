"""The plain values of a spec (shapes, dtypes, names, keys) and the paths errors show."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from layer_registry._errors import SpecError
from layer_registry._errors import shown
from layer_registry._models._construct import shorten

_YAML_NAMES = (
    "; YAML reads an unquoted yes, no, on, off, true, false or ~, a number or a date as such, "
    "not as a name: quote it"
)


def _shape(value: Any, where: str) -> tuple[int | None, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError(
            f"expected a list of dimensions without the batch axis, e.g. [16], got {_kind(value)}",
            where,
        )
    for index, dim in enumerate(value):
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim < 1):
            raise SpecError(
                f"expected a positive integer or null (any size), got {_kind(dim)}",
                f"{where}[{index}]",
            )
    return tuple(value)


def _dtype(value: Any, where: str) -> str:
    import keras

    if isinstance(value, str):
        try:
            return keras.backend.standardize_dtype(value)
        except (TypeError, ValueError):
            pass
    raise SpecError(f"expected a dtype name such as float32, got {_kind(value)}", where)


def _name(spec: Mapping[str, Any]) -> str | None:
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(f"expected a string, got {_kind(name)}", "name")
    return name


def _mapping(value: Any, where: str, what: str) -> Mapping[str, Any]:
    if value is None:
        raise SpecError(f"missing: a mapping of {what}", where)
    if not isinstance(value, Mapping) or not value:
        raise SpecError(f"expected a non-empty mapping of {what}, got {_kind(value)}", where)
    _check_names(value, where, "names")
    for key in value:
        if not key:
            raise SpecError("names must be non-empty strings, got an empty one", where)
    return value


def _check_names(mapping: Mapping[Any, Any], where: str, what: str) -> None:
    for key in mapping:
        if not isinstance(key, str):
            raise SpecError(f"{what} are strings, got {_kind(key)}{_YAML_NAMES}", where)


def _check_keys(mapping: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    _check_names(mapping, where, "keys")
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            raise SpecError(
                f"unknown key {shown(key)}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + "; expected "
                + ", ".join(allowed),
                _at(where, key),
            )


def _unknown(name: Any, known: list[str], what: str) -> str:
    if not isinstance(name, str):
        return f"expected the name of an {what}, got {_kind(name)}"
    hint = difflib.get_close_matches(name, known, n=1)
    return (
        f"no {what} is named {shown(name)}"
        + (f"; did you mean {shown(hint[0])}?" if hint else "")
        + "; known: "
        + _listing(known)
    )


def _listing(names: list[str], limit: int = 10) -> str:
    """``names`` for an error message: the first few, and how many more."""
    listed = ", ".join(_part(name) for name in names[:limit])
    return listed + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def _at(where: str, key: Any) -> str:
    """The path of ``key`` inside ``where``."""
    return f"{where}.{_part(key)}" if where else _part(key)


def _part(key: Any) -> str:
    """A name as a part of a path or a list, cut short: names come from the spec."""
    if not isinstance(key, str):
        return shown(key, 40)
    return key if len(key) <= 40 else f"{key[:37]}..."


def _kind(value: Any) -> str:
    """``value`` for an error message: its type and a short repr."""
    return f"{type(value).__name__} {shown(value, 60)}"


def _describe(exc: BaseException) -> str:
    """An exception in one line: Keras's messages run over many."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return shorten(f"{type(exc).__name__}: {' '.join(lines[:3])}" if lines else type(exc).__name__)
