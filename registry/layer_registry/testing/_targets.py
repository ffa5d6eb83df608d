"""What to check: the subjects for layer names, namespaces, classes and ``check_layer``'s
arguments, with the example, shapes and expected failures each is checked with."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from layer_registry._errors import PluginError
from layer_registry._records import Shape
from layer_registry.testing._subject import Subject

EXPECTED_FAILURES_ATTRIBUTE = "layer_registry_expected_failures"
"""The class attribute a layer declares its expected failures in: ``{check: reason}``."""


def subjects_for(
    targets: Iterable[Any] | None,
    *,
    expected_failures: Mapping[str, str] | None = None,
) -> list[Subject]:
    """Subjects for layer names, namespaces, registered classes or ``check_layer`` keyword dicts.

    No targets means every installed layer.
    """
    import layer_registry
    from layer_registry._registry import default_registry

    items = list(targets) if targets is not None else []
    if not items:
        items = layer_registry.names()
    subjects: list[Subject] = []
    for item in items:
        if isinstance(item, Mapping):
            options = dict(item)
            layer = options.pop("layer")
            subjects.append(subject_for(layer, **options))
            continue
        # A word without '>' is a plugin's namespace when a plugin has it, else a class name.
        if (
            isinstance(item, str)
            and ">" not in item
            and default_registry().provider(item) is not None
        ):
            names = layer_registry.names(plugin=item)
            if not names:
                _raise_for_empty_namespace(item)
            subjects.extend(subject_for(n, expected_failures=expected_failures) for n in names)
            continue
        subjects.append(subject_for(item, expected_failures=expected_failures))
    labels: set[str] = set()
    unique = []
    for subject in subjects:
        if subject.label not in labels:
            labels.add(subject.label)
            unique.append(subject)
    return unique


def _raise_for_empty_namespace(namespace: str) -> None:
    """Why the installed plugin ``namespace`` has no layers to check: blocked, failed, or none."""
    from layer_registry._registry import default_registry

    plugin = default_registry().provider(namespace)
    if plugin is not None and plugin.status in ("blocked", "failed"):
        raise PluginError(
            f"plugin {namespace!r} (distribution {plugin.distribution} {plugin.version}) "
            f"is {plugin.status}: {plugin.error}",
            namespace=namespace,
            distribution=plugin.distribution,
            version=plugin.version,
        )
    raise PluginError(
        f"plugin {namespace!r} registers no layers",
        namespace=namespace,
        distribution=plugin.distribution if plugin else None,
        version=plugin.version if plugin else None,
    )


def subject_for(
    layer: str | type,
    *,
    example: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    input_shape: Any = None,
    input_dtype: str | Iterable[str] | None = None,
    expected_failures: Mapping[str, str] | None = None,
    setup: Callable[[Any], Any] | None = None,
) -> Subject:
    """The subject for a registry name or a class; explicit arguments override registered ones."""
    import layer_registry
    from layer_registry._registry._registration import function_source
    from layer_registry._registry._registration import registered_functions

    info = None
    if isinstance(layer, str):
        info = layer_registry.info(layer)
        cls = layer_registry.get(info.name)
    elif inspect.isclass(layer):
        cls = layer
        info = _registered_info(cls)
    else:
        raise TypeError(
            f"expected a layer name or a layer class, got {layer!r} "
            f"({type(layer).__module__}.{type(layer).__qualname__})"
        )
    if info is not None:
        label, reference, registered = info.name, info.name, True
    else:
        import keras

        label = keras.saving.get_registered_name(cls)
        reference = _import_path(cls)
        registered = False
    if input_shape is not None:
        shape = _input_shape(input_shape, label)
    else:  # the registry keeps the shapes it was given normalised, as these are
        shape = info.input_shape if info else None
    dtype = input_dtype if input_dtype is not None else (info.input_dtype if info else "float32")
    # Functions as registered (a fresh process asks the registry for them by name), or given here
    # (a fresh process imports them, when it can).
    known_example, known_setup = registered_functions(cls) if info else (None, None)
    names: list[str | None] = [function_source(known_example)[0], function_source(known_setup)[0]]
    if example is None:
        the_example, function = dict(info.example if info else {}), known_example
    elif callable(example) and not isinstance(example, Mapping):
        the_example, function, names[0] = {}, example, _import_path(example)
    else:
        the_example, function, names[0] = dict(example), None, ""
    if setup is not None:
        names[1] = _import_path(setup)
    return Subject(
        label=label,
        reference=reference,
        registered=registered,
        example=the_example,
        input_shape=shape,
        input_dtype=dtype if isinstance(dtype, str) else tuple(dtype),
        expected_failures=_expected_failures(
            cls, label, the_example, info.expected_failures if info else {}, expected_failures
        ),
        example_function=names[0],
        setup_function=names[1],
        cls=cls,
        functions=(function, setup if setup is not None else known_setup),
    )


def _registered_info(cls: type) -> Any:
    """The registry record of ``cls`` when a plugin registered it, else None."""
    import keras

    import layer_registry
    from layer_registry._errors import RegistryError
    from layer_registry._registry import default_registry

    name = keras.saving.get_registered_name(cls)
    namespace, sep, _ = name.partition(">")
    # Only a plugin that may load can have registered it (asking imports no plugin).
    plugin = default_registry().provider(namespace) if sep else None
    if plugin is None or plugin.status == "blocked":
        return None
    try:
        if layer_registry.get(name) is cls:
            return layer_registry.info(name)
    except RegistryError:
        pass
    return None


def _input_shape(shape: Any, label: str) -> Shape | tuple[Shape, ...] | None:
    """An ``input_shape`` given to ``check_layer``, normalised as ``register`` does it."""
    from layer_registry._registry._registration import normalise_shape

    try:
        return normalise_shape(shape, label)
    except Exception as exc:  # the registry's refusal, worded for register()
        raise ValueError(
            f"check_layer({label}): input_shape={shape!r} is not a shape; give positive "
            "integers (or None) with the batch axis first, e.g. (4, 16), or a list of such "
            "shapes for several inputs"
        ) from exc


def _import_path(obj: Any) -> str | None:
    """``module:QualName`` when a fresh process can import a class or function that way."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "<")
    if module in (None, "__main__") or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def _expected_failures(
    cls: type,
    label: str,
    example: Mapping[str, Any],
    registered: Mapping[str, str],
    explicit: Mapping[str, str] | None,
) -> dict[str, str]:
    """Known quirks of Keras's own layers, then the class attribute, then what registration
    declared, then ``explicit``: the later, the more specific, and it wins."""
    # Here, not at the top: the catalogue imports the checks, which import this module.
    from layer_registry.testing._catalogue import CHECKS

    declared: dict[str, str] = {}
    for source in (
        known_expected_failures(cls, example),
        getattr(cls, EXPECTED_FAILURES_ATTRIBUTE, None) or {},
        registered,
        explicit or {},
    ):
        for check, reason in dict(source).items():
            if check not in CHECKS:
                raise ValueError(
                    f"{label} declares an expected failure of {check!r}, which is not a check; "
                    f"the checks are: {', '.join(CHECKS)}"
                )
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(
                    f"{label} declares an expected failure of {check!r} without a reason; "
                    "give one, e.g. {'jit_compile': 'uses a data-dependent shape'}"
                )
            declared[check] = reason
    return declared


def known_expected_failures(cls: type, example: Mapping[str, Any]) -> dict[str, str]:
    """Expected failures of Keras's own layers, which cannot carry our class attribute."""
    module = sys.modules.get("keras")
    if module is None:
        return {}
    known: dict[str, str] = {}
    batch_normalization = getattr(module.layers, "BatchNormalization", None)
    if cls is batch_normalization and not example.get("synchronized"):
        known["distributed"] = (
            "Keras's BatchNormalization keeps per-replica moving statistics unless "
            "synchronized=True (TensorFlow only), so its replicas disagree by design"
        )
    return known
