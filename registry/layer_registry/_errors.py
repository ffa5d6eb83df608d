"""The registry's errors: one base class, each subclass carrying what it is about."""

from __future__ import annotations

import itertools
import re
import reprlib
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from layer_registry._records import PluginInfo


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: error messages stay one readable line.

    The cost is bounded too, whatever ``value`` holds: a few items of a few levels of nested
    containers are shown (a YAML alias bomb would expand to billions), no huge integer is turned
    into digits, and a container that holds itself is shown once.
    """
    text = _BoundedRepr(limit).repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def without_colours(text: str) -> str:
    """``text`` without terminal colour codes (Keras colours its messages for terminals)."""
    return _ANSI.sub("", text)


# TensorFlow's op errors: "{{function_node __wrapped__...}} <message> [Op:MatMul] name: ".
_TF_WRAPPING = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\](\s*name:.*)?$")
# Lines that wrap the reason rather than give it: Keras's call and deserialization frames,
# TensorFlow's graph errors (their stack of frames, their node lines), traceback frames.
_NOISE = re.compile(
    r"^(Exception encountered when calling|Arguments received by|•|Graph execution error"
    r"|Detected at node|<stack traces unavailable>|Traceback \(most recent call last\)"
    r'|File "[^"]*", line \d+|\[\[\{\{node )'
)
_CAUSE = "Exception encountered:"


def one_line(exc: BaseException, limit: int = 400) -> str:
    """``Type: message`` on one line of at most about ``limit`` characters.

    Terminal colours and Keras's and TensorFlow's wrapping are stripped, so the line holds the
    informative part of a multi-line message: Keras's "Exception encountered when calling
    X.call()." and "Arguments received by ..." frame the real reason, TensorFlow's graph errors
    end with it, and Keras's deserialization errors nest the root cause on their last
    "Exception encountered:" line. What is left is joined in order.
    """
    text = without_colours(str(exc))
    lines = [_TF_WRAPPING.sub("", line).strip() for line in text.splitlines()]
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        # A traceback quoted in the message: its last line is the error.
        lines = [line for line in lines if line][-1:]
    meaningful = [line for line in lines if line and not _NOISE.match(line)]
    causes = [line for line in meaningful if line.startswith(_CAUSE)]
    if causes:
        first = next((line for line in meaningful if not line.startswith(_CAUSE)), "")
        message = causes[-1].removeprefix(_CAUSE).strip()
        message += f" (from: {first})" if first else ""
    else:
        message = " ".join(meaningful)
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class _BoundedRepr(reprlib.Repr):
    """``reprlib.Repr`` that also bounds subclasses of the builtins, bytes and integers."""

    _BASES = (dict, list, tuple, set, frozenset, str, bytes)

    def __init__(self, limit: int):
        super().__init__()
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 10
        # Longer than ``limit``: shown() cuts the end, as it always has.
        self.maxstring = self.maxother = self.maxlong = 2 * limit

    def repr1(self, x: Any, level: int) -> str:
        # reprlib falls back to the full repr for a subclass (a TrackedDict): show it as its base.
        base = next((b for b in self._BASES if isinstance(x, b) and type(x) is not b), None)
        if base is not None:
            return getattr(self, f"repr_{base.__name__}")(x, level)
        return super().repr1(x, level)

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        # In insertion order, as repr() shows it (reprlib sorts the keys).
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [
            f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}"
            for key, value in itertools.islice(x.items(), self.maxdict)
        ]
        return "{" + ", ".join(items) + (", ..." if len(x) > self.maxdict else "") + "}"

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 4 * self.maxlong:
            # Turning it into digits costs quadratic time, and Python refuses past 4300 digits.
            return f"<an integer of {x.bit_length():,} bits>"
        return super().repr_int(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        text = repr(x[: self.maxstring])
        return text if len(x) <= self.maxstring else f"{text[:-1]}...{text[-1]}"


class RegistryError(Exception):
    """Base class of every error layer-registry raises on purpose."""

    def __str__(self) -> str:
        # KeyError subclasses would otherwise print the repr of the message.
        return str(self.args[0]) if self.args else ""


class LayerNotFoundError(RegistryError, KeyError):
    """No registered layer answers to ``name``; ``suggestions`` holds the closest names.

    When the name's plugin is installed but failed to load or is blocked, ``plugin`` is its
    ``PluginInfo`` (else None): a typo and a broken plugin read differently.
    """

    def __init__(
        self,
        name: str,
        suggestions: Sequence[str] = (),
        *,
        message: str | None = None,
        plugin: PluginInfo | None = None,
    ):
        self.name = name
        self.suggestions = tuple(suggestions)
        self.plugin = plugin
        if message is None:
            message = f"no layer is registered as {shown(name)}"
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
                f"{shown(name)} is ambiguous: it is provided by several plugins; use one of "
                + ", ".join(map(repr, self.candidates))
            ),
        )


class PluginError(RegistryError):
    """A plugin failed to load, or no installed plugin has the namespace asked for.

    Carries the ``namespace`` and, when the plugin is installed, its ``distribution`` and
    ``version`` (None otherwise).
    """

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        distribution: str | None = None,
        version: str | None = None,
    ):
        self.namespace = namespace
        self.distribution = distribution
        self.version = version
        super().__init__(message)


class LayerConfigError(RegistryError, ValueError):
    """A layer was given arguments it does not accept, or its constructor rejected them."""

    def __init__(self, message: str, *, name: str, keyword: str | None = None):
        self.name = name
        self.keyword = keyword
        """The keyword argument the layer does not accept, when that is the problem."""
        super().__init__(message)


class SpecError(RegistryError, ValueError):
    """A model spec is malformed; ``path`` is the place in the spec, ``file`` its source file.

    ``path`` reads like the spec itself: ``layers[2].units``, ``nodes.encoder.inputs``, or ``""``
    for the spec as a whole. ``file`` is the spec file's path, or None for a spec given as a
    dict; ``line`` is set for a file that does not parse.
    """

    def __init__(
        self, problem: str, path: str = "", *, file: str | None = None, line: int | None = None
    ):
        self.problem = problem
        self.path = path
        self.file = file
        self.line = line
        source = f"{file}, line {line}" if file and line else file
        super().__init__(": ".join(part for part in (source, path, problem) if part))


class ModelFileError(RegistryError):
    """A model file is missing, not a ``.keras`` archive, corrupted or truncated; see ``path``."""

    def __init__(self, message: str, *, path: str):
        self.path = path
        super().__init__(message)


class UnsafeModelError(ModelFileError):
    """A model file holds something that could run code: refused before anything is imported.

    ``location`` is where in the file's ``config.json`` the offending object sits
    (``config.layers[1].config.function``).
    """

    def __init__(self, message: str, *, path: str, location: str):
        self.location = location
        super().__init__(message, path=path)


class MissingLayerError(RegistryError):
    """A model names layers that no installed plugin provides.

    ``missing`` maps each missing full name to ``(distribution, version)`` to install, from the
    provenance the file records (or the installed plugin that failed), or None when unknown.
    """

    def __init__(self, message: str, *, path: str, missing: Mapping[str, tuple[str, str] | None]):
        self.path = path
        self.missing = dict(missing)
        super().__init__(message)


class PluginVersionWarning(UserWarning):
    """A model was saved with another major version of a plugin than the one installed."""

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        distribution: str,
        recorded: str,
        installed: str,
    ):
        self.namespace = namespace
        self.distribution = distribution
        self.recorded = recorded
        self.installed = installed
        super().__init__(message)


class ProvenanceWarning(UserWarning):
    """Part of the provenance a ``.keras`` file records is not valid and was left out.

    The provenance is data from the file, not from this machine: a field that is not a valid
    distribution name or version never becomes a requirement line.
    """

    def __init__(self, message: str, *, path: str):
        self.path = path
        super().__init__(message)
