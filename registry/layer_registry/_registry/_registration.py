"""One plugin's registrations: the ``register`` callable its hook receives, and the checks.

Registration refuses only what cannot work (see the design's "What registration refuses"):
something that is not a ``keras.layers.Layer`` subclass, metadata that is not of the documented
form, a name that is invalid or taken by another class, and a class outside the plugin's own
distribution and the distributions it requires. A refusal skips that class alone. Whether a
layer's config round-trips is the conformance kit's to judge: Keras builds ``get_config`` by
itself from simple constructor arguments.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import textwrap
import threading
import weakref
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from layer_registry._errors import PluginError
from layer_registry._errors import shown
from layer_registry._records import LayerInfo
from layer_registry._records import Shape
from layer_registry._registry._discovery import identity
from layer_registry._registry._ownership import Owners
from layer_registry._registry._ownership import OwnershipError


class Refusal(Exception):
    """One class's registration is refused; ``target`` names the class, the message says why."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(why)
        self.target = target
        self.why = why


@dataclass(frozen=True)
class Request:
    """One ``register(...)`` call whose arguments have the documented form."""

    cls: type
    example: dict[str, Any]
    input_shape: Shape | tuple[Shape, ...] | None
    input_dtype: str | tuple[str, ...]
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    expected_failures: dict[str, str] = field(default_factory=dict)
    example_function: Callable[[], Mapping[str, Any]] | None = None
    setup: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Accepted:
    """A registration that passed every check: commit it to Keras as ``info.name``."""

    cls: type
    info: LayerInfo
    known_to_keras: bool
    """Keras already had the class registered: keep its name, register nothing new."""


def target(cls: Any) -> str:
    """How a refusal names what was registered: ``module:QualName`` for a class."""
    if inspect.isclass(cls):
        return f"{cls.__module__}:{cls.__qualname__}"
    return shown(cls)


class Register:
    """The ``register`` callable one plugin's hook receives.

    Bound to that plugin and open only while its hook runs: a plugin that keeps it and calls
    it later (from a thread, say) gets an error naming the plugin, and can never register into
    another plugin's load.
    """

    def __init__(self, namespace: str, plugin: str) -> None:
        self.namespace = namespace
        self.plugin = plugin
        """How messages name the plugin."""
        self.requests: list[Request] = []
        self.refused: list[tuple[str, str]] = []
        self._open = True
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._open = False

    def __call__(
        self,
        cls: type,
        *,
        example: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        input_shape: Iterable[Any] | None = None,
        input_dtype: str | Iterable[str] = "float32",
        aliases: Iterable[str] = (),
        tags: Iterable[str] = (),
        expected_failures: Mapping[str, str] | None = None,
        setup: Callable[[Any], Any] | None = None,
    ) -> None:
        with self._lock:
            if not self._open:
                raise PluginError(
                    f"{self.plugin} called register({target(cls)}) after its register_layers "
                    "hook returned; call register only inside the hook",
                    namespace=self.namespace,
                )
            try:
                self.requests.append(
                    _request(
                        cls,
                        example=example,
                        input_shape=input_shape,
                        input_dtype=input_dtype,
                        aliases=aliases,
                        tags=tags,
                        expected_failures=expected_failures,
                        setup=setup,
                    )
                )
            except Refusal as refusal:
                self.refused.append((refusal.target, refusal.why))


def _request(
    cls: Any,
    *,
    example: Any,
    input_shape: Any,
    input_dtype: Any,
    aliases: Any,
    tags: Any,
    expected_failures: Any,
    setup: Any,
) -> Request:
    if not inspect.isclass(cls):
        raise Refusal(target(cls), "is not a class; register keras.layers.Layer subclasses")
    where = target(cls)
    for argument, value in (("aliases", aliases), ("tags", tags)):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise Refusal(
                where, f"was registered with {argument}={shown(value)}; give a list of strings"
            )
    for alias in aliases:
        if not alias.isidentifier():
            raise Refusal(where, f"has an invalid alias {shown(alias)}; use an old class name")
    if not isinstance(input_dtype, str) and not (
        isinstance(input_dtype, (list, tuple)) and all(isinstance(d, str) for d in input_dtype)
    ):
        raise Refusal(
            where,
            f"was registered with input_dtype={shown(input_dtype)}; give a dtype name, or a "
            "list of them for several inputs",
        )
    function = example if callable(example) and not isinstance(example, Mapping) else None
    return Request(
        cls=cls,
        example={} if function else _json_example(example, where),
        example_function=_function(function, "example", 0, where),
        setup=_function(setup, "setup", 1, where),
        input_shape=normalise_shape(input_shape, where),
        input_dtype=input_dtype if isinstance(input_dtype, str) else tuple(input_dtype),
        aliases=tuple(aliases),
        tags=tuple(tags),
        expected_failures=_expected_failures(expected_failures, where),
    )


def _function(function: Any, argument: str, arity: int, where: str) -> Any:
    """``function`` when it can be called with ``arity`` positional arguments (or None)."""
    if function is None:
        return None
    what = "no arguments" if arity == 0 else "the new layer"
    try:
        inspect.signature(function).bind(*range(arity))
    except TypeError:
        raise Refusal(
            where,
            f"was registered with {argument}={shown(function)}, which cannot be called with "
            f"{what}; give a function of {what}",
        ) from None
    except ValueError:
        pass  # a builtin without a signature: trust it
    return function


_FUNCTIONS: weakref.WeakKeyDictionary[type, tuple[Any, Any]] = weakref.WeakKeyDictionary()
"""Each accepted class's example function and setup: code, so never in the metadata cache."""


def registered_functions(cls: type) -> tuple[Any, Any]:
    """``(example function, setup)`` that the registration of ``cls`` gave (None when not)."""
    return _FUNCTIONS.get(cls, (None, None))


SOURCE_LIMIT = 4000
"""Characters of an example or setup function's source that the records keep."""


def function_source(function: Any) -> tuple[str, str]:
    """``("module:QualName", its source)`` of a function ("" for what is unknown)."""
    if function is None:
        return "", ""
    name = f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', '?')}"
    try:
        source = textwrap.dedent(inspect.getsource(function)).strip("\n")
    except (OSError, TypeError):
        return name, ""
    if len(source) > SOURCE_LIMIT:
        source = source[:SOURCE_LIMIT] + f"\n# ... ({len(source) - SOURCE_LIMIT} more characters)"
    return name, source


def _expected_failures(declared: Any, where: str) -> dict[str, str]:
    """``{check: reason}`` naming known conformance checks, each with a reason."""
    if declared is None:
        return {}
    # Imported only when a plugin declares some: importing the kit's package costs every load.
    from layer_registry.testing._catalogue import CHECKS

    if not isinstance(declared, Mapping):
        raise Refusal(
            where,
            f"was registered with expected_failures={shown(declared)}; give a dict of "
            "{check: reason}, e.g. {'jit_compile': 'uses a data-dependent shape'}",
        )
    for check, reason in declared.items():
        if check not in CHECKS:
            raise Refusal(
                where,
                f"was registered with an expected failure of {shown(check)}, which is not a "
                f"check; the checks are: {', '.join(CHECKS)}",
            )
        if not isinstance(reason, str) or not reason.strip():
            raise Refusal(
                where,
                f"was registered with an expected failure of {check!r} without a reason "
                f"({shown(reason)}); say why it fails, e.g. 'TensorFlow-only library'",
            )
    return {check: declared[check] for check in CHECKS if check in declared}


def accept(
    request: Request,
    *,
    namespace: str,
    dist: importlib.metadata.Distribution | None,
    owners: Owners,
    taken: Mapping[str, type],
    registered: Mapping[type, str],
) -> Accepted:
    """Check one request against Keras and what is registered; raise ``Refusal`` if it fails.

    ``taken`` maps every name committed so far (and accepted earlier in this load) to its
    class; ``registered`` maps each class committed so far to its name.
    """
    import keras

    cls, where = request.cls, target(request.cls)
    distribution, version = identity(dist) if dist is not None else ("", "")
    if not issubclass(cls, keras.layers.Layer):
        raise Refusal(where, "is not a keras.layers.Layer subclass")
    if not cls.__name__.isidentifier():
        raise Refusal(where, f"has the class name {shown(cls.__name__)}, not a Python identifier")
    library = None
    if dist is not None:
        try:
            library = owners.library(cls, dist)
        except OwnershipError as exc:
            raise Refusal(where, str(exc)) from None
    if cls in registered:
        raise Refusal(where, f"is already registered as {registered[cls]!r}")
    custom_objects = keras.saving.get_custom_objects()
    keras_name = keras.saving.get_registered_name(cls)
    # Never rename what Keras knows: files saved before and after the plugin loaded, with
    # plain Keras or through the registry, name the class the same way.
    known = custom_objects.get(keras_name) is cls
    doc = documentation(cls)
    example_function, example_source = function_source(request.example_function)
    setup_function, setup_source = function_source(request.setup)
    info = LayerInfo(
        name=keras_name if known else f"{namespace}>{cls.__name__}",
        namespace=namespace,
        class_name=cls.__name__,
        distribution=distribution,
        version=version,
        summary=doc.split("\n", 1)[0].strip(),
        tags=request.tags,
        aliases=request.aliases,
        example=request.example,
        input_shape=request.input_shape,
        input_dtype=request.input_dtype,
        import_path=where,
        signature=_signature(cls),
        doc=doc,
        library=library.display_name if library is not None else "",
        library_version=identity(library.dist)[1] if library is not None else "",
        expected_failures=request.expected_failures,
        example_function=example_function,
        example_source=example_source,
        setup_function=setup_function,
        setup_source=setup_source,
    )
    for name in (info.name, *info.alias_names, info.plugin_name):
        other = taken.get(name, custom_objects.get(name, cls))
        if other is not cls:
            raise Refusal(
                where,
                f"would take the name {name!r}, which is already "
                f"{getattr(other, '__module__', '?')}:{getattr(other, '__qualname__', other)}'s",
            )
    _FUNCTIONS[cls] = (request.example_function, request.setup)
    return Accepted(cls, info, known)


def documentation(cls: type) -> str:
    """The docstring of ``cls`` or of its nearest documented base below Keras's ``Layer``.

    A subclass that only renames a documented layer (``class Embedding(keras.layers.Embedding):
    pass``) is documented by it. ``inspect.getdoc`` would go on to ``Layer``'s own docstring,
    which documents no layer in particular.
    """
    import keras

    for klass in cls.__mro__:
        if klass is keras.layers.Layer or klass is object:
            break
        doc = vars(klass).get("__doc__")
        if isinstance(doc, str) and doc.strip():
            return inspect.cleandoc(doc)
    return ""


def _json_example(example: Any, where: str) -> dict[str, Any]:
    """The example arguments as JSON data (tuples become lists), as the metadata cache keeps them.

    Cold and warm lookups must see the same example, so anything JSON cannot hold is refused:
    a layer or tensor argument needs an example function.
    """
    if example is None:
        return {}
    if not isinstance(example, Mapping):
        raise Refusal(
            where,
            f"was registered with example={shown(example)}; give a dict of constructor keyword "
            "arguments, or a function that returns one",
        )
    for key, value in example.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise Refusal(
                where,
                f"was registered with example[{shown(key)}]={shown(value)}, which is not JSON "
                "data; give strings, numbers, lists or dicts (e.g. a dtype as 'float32'), or, "
                "for a layer or tensor argument, a function that returns the arguments",
            ) from None
    return dict(json.loads(json.dumps(dict(example))))


def normalise_shape(shape: Iterable[Any] | None, where: str) -> Shape | tuple[Shape, ...] | None:
    """An ``input_shape`` as a tuple (a tuple of tuples for several inputs); raise ``Refusal``."""
    if shape is None:
        return None
    items = tuple(shape)
    if items and all(isinstance(item, (list, tuple)) for item in items):
        return tuple(_one_shape(item, where) for item in items)
    return _one_shape(items, where)


def _one_shape(shape: Iterable[Any], where: str) -> Shape:
    dims = tuple(shape)
    if not dims or not all(d is None or (isinstance(d, int) and d > 0) for d in dims):
        raise Refusal(
            where,
            f"was registered with input_shape={shown(dims)}; give positive integers with the "
            "batch axis first, e.g. (4, 16)",
        )
    return dims


def _signature(cls: type) -> str:
    try:
        return str(inspect.signature(cls))
    except (TypeError, ValueError):
        return "(...)"
