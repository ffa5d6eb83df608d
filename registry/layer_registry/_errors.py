"""The registry's errors: one base class, each subclass carrying what it is about."""

from __future__ import annotations

from collections.abc import Sequence


class RegistryError(Exception):
    """Base class of every error layer-registry raises on purpose."""

    def __str__(self) -> str:
        # KeyError subclasses would otherwise print the repr of the message.
        return str(self.args[0]) if self.args else ""


class LayerNotFoundError(RegistryError, KeyError):
    """No registered layer answers to ``name``; ``suggestions`` holds the closest names."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, message: str | None = None):
        self.name = name
        self.suggestions = tuple(suggestions)
        if message is None:
            message = f"no layer is registered as {name!r}"
            if self.suggestions:
                message += "; did you mean " + ", ".join(map(repr, self.suggestions)) + "?"
            else:
                message += "; run `layer-registry list` to see the installed layers"
        super().__init__(message)


class AmbiguousNameError(LayerNotFoundError):
    """A bare class name that several plugins provide; ``candidates`` are the full names."""

    def __init__(self, name: str, candidates: Sequence[str]):
        self.candidates = tuple(candidates)
        super().__init__(
            name,
            candidates,
            message=(
                f"{name!r} is ambiguous: it is provided by several plugins; use one of "
                + ", ".join(map(repr, self.candidates))
            ),
        )


class PluginError(RegistryError):
    """A plugin failed to load; carries its ``namespace``, ``distribution`` and ``version``."""

    def __init__(self, message: str, *, namespace: str, distribution: str, version: str):
        self.namespace = namespace
        self.distribution = distribution
        self.version = version
        super().__init__(message)


class LayerConfigError(RegistryError, ValueError):
    """A layer was given arguments it does not accept, or its constructor rejected them."""

    def __init__(self, message: str, *, name: str):
        self.name = name
        super().__init__(message)
