"""Building a layer from keyword arguments, with errors that name the layer and the keyword."""

from __future__ import annotations

import difflib
import inspect
import itertools
from collections.abc import Mapping
from typing import Any

from layer_registry._errors import LayerConfigError
from layer_registry._errors import shown


def construct(cls: type, kwargs: Mapping[str, Any], *, display: str) -> Any:
    """``cls(**kwargs)``, any failure raised as a ``LayerConfigError`` naming ``display``.

    A keyword the constructor chain does not accept is caught before calling it, and the error
    lists the accepted ones (its ``keyword`` attribute names the culprit).
    """
    accepted = _accepted_keywords(cls)
    unknown = sorted(set(kwargs) - accepted) if accepted is not None else []
    if unknown:
        hint = difflib.get_close_matches(unknown[0], accepted or (), n=1)
        raise LayerConfigError(
            f"{display} got an unexpected keyword argument {shown(unknown[0])}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + "; it accepts: "
            + ", ".join(sorted(accepted or ())),
            name=display,
            keyword=unknown[0],
        )
    try:
        return cls(**kwargs)
    except Exception as exc:
        shown_items = itertools.islice(kwargs.items(), 10)
        received = ", ".join(f"{key}={shown(value)}" for key, value in shown_items)
        received += ", ..." if len(kwargs) > 10 else ""
        raise LayerConfigError(
            f"{display}({received}) failed: {type(exc).__name__}: {shorten(str(exc))}",
            name=display,
        ) from exc


def shorten(text: str, limit: int = 500) -> str:
    """``text`` cut to ``limit`` characters: Keras's messages hold the whole value received."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _accepted_keywords(cls: type) -> set[str] | None:
    """Keyword arguments the constructor chain accepts, or None when it takes anything."""
    import keras

    accepted: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        try:
            parameters = inspect.signature(vars(klass)["__init__"]).parameters.values()
        except (TypeError, ValueError):
            return None
        accepted.update(
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
        )
        if klass is keras.layers.Layer:
            # Keras's Layer pops these from **kwargs itself.
            return accepted | {"input_shape", "input_dim"}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return accepted
    return None
