"""Frozen records the registry hands out: what a layer is, and how a plugin fared."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal
from typing import Protocol

Shape = tuple[int | None, ...]


def split_name(name: str) -> tuple[str, str]:
    """``("package", "ClassName")`` of a registered name ``package>ClassName``.

    The package is the plugin's namespace for a class the plugin brings, or the package its
    library gave it (``keras_hub``, ``Custom``) for a class Keras already knew. A name without
    ``>`` has an empty package.
    """
    package, sep, class_name = name.partition(">")
    return (package, class_name) if sep else ("", name)


def describe_plugin(namespace: str, distribution: str, version: str) -> str:
    """How messages name a plugin: ``plugin 'ns' (distribution dist 1.0)``."""
    source = " ".join(part for part in (distribution, version) if part)
    return f"plugin {namespace!r} (distribution {source})"
PluginStatus = Literal["not loaded", "loaded", "partial", "failed", "blocked"]
"""``partial``: loaded, but some registered classes were refused (see ``PluginInfo.refused``)."""


class RegisterFunction(Protocol):
    """The ``register`` callback a plugin's ``register_layers`` hook receives."""

    def __call__(
        self,
        cls: type,
        *,
        example: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        input_shape: Iterable[int | None] | Iterable[Iterable[int | None]] | None = None,
        input_dtype: str | Iterable[str] = "float32",
        aliases: Iterable[str] = (),
        tags: Iterable[str] = (),
        expected_failures: Mapping[str, str] | None = None,
        setup: Callable[[Any], Any] | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class LayerInfo:
    """Everything known about a registered layer without touching its class."""

    name: str
    """Full name: the ``registered_name`` Keras writes into files. ``namespace>ClassName`` for a
    class the plugin brings; the name its library gave it (``Custom>TCN``) for a class Keras
    already knew when the plugin registered it."""
    namespace: str
    class_name: str
    distribution: str
    version: str
    summary: str
    """The first line of the class docstring."""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    example: Mapping[str, Any] = field(default_factory=dict)
    """Constructor keyword arguments of the runnable example."""
    input_shape: Shape | tuple[Shape, ...] | None = None
    """Example input shape with the batch axis; a tuple of shapes for several inputs."""
    input_dtype: str | tuple[str, ...] = "float32"
    import_path: str = ""
    """``module:QualifiedName`` of the class."""
    signature: str = ""
    """The constructor's signature, as ``inspect.signature`` prints it."""
    doc: str = ""
    """The whole class docstring, cleaned."""
    library: str = ""
    """The distribution defining the class when it is not the plugin's own (an adopted library)."""
    library_version: str = ""
    expected_failures: Mapping[str, str] = field(default_factory=dict)
    """``{check: reason}``: conformance checks the plugin declares the layer fails, and why."""
    example_function: str = ""
    """``module:QualName`` of the function that gives the example's arguments, when the example
    is a function (``example`` is then empty: a function is called only once the class loads)."""
    example_source: str = ""
    """That function's source (cut when long), for the site and ``show``."""
    setup_function: str = ""
    """``module:QualName`` of the ``setup(layer)`` function run on each new example layer."""
    setup_source: str = ""

    @property
    def plugin_name(self) -> str:
        """``namespace>ClassName``: the plugin's own name for the layer (a lookup alias when
        ``name`` is the one a library gave it)."""
        return f"{self.namespace}>{self.class_name}"

    @property
    def alias_names(self) -> tuple[str, ...]:
        """The full names of ``aliases``, in the package of ``name``: what older files hold."""
        package = split_name(self.name)[0]
        return tuple(f"{package}>{alias}" for alias in self.aliases)

    @property
    def plugin(self) -> str:
        """The namespace of the plugin that provides the layer."""
        return self.namespace

    @property
    def multiple_inputs(self) -> bool:
        """Whether the example feeds the layer a list of inputs."""
        shape = self.input_shape
        return shape is not None and len(shape) > 0 and isinstance(shape[0], tuple)


@dataclass(frozen=True)
class PluginInfo:
    """One installed plugin: where it comes from and whether it loaded."""

    namespace: str
    distribution: str
    version: str
    status: PluginStatus
    error: str | None = None
    layers: tuple[str, ...] = ()
    summary: str = ""
    home_page: str = ""
    entry_point: str = ""
    """The entry point's value, the module (or object) the plugin's hooks live in."""
    foreign_names: tuple[str, ...] = ()
    """Names the plugin registered with Keras itself, outside the registry (``doctor`` warns)."""
    refused: tuple[tuple[str, str], ...] = ()
    """``(module:ClassName, why)`` for each class registration refused; the others loaded."""

    def describe(self) -> str:
        """``plugin 'ns' (distribution dist 1.0)``, as messages name it."""
        return describe_plugin(self.namespace, self.distribution, self.version)
