"""The layer under test: where its class comes from, how to build it, feed it and call it.

Shared by the checks in this process and by the fresh processes, so it imports nothing heavy
at module level.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from layer_registry._errors import PluginError
from layer_registry._records import Shape

if TYPE_CHECKING:
    import numpy as np

EXPECTED_FAILURES_ATTRIBUTE = "layer_registry_expected_failures"
"""The class attribute a layer declares its expected failures in: ``{check: reason}``."""

_UNKNOWN_BATCH = 4
_UNKNOWN_DIM = 5


@dataclass(frozen=True)
class Subject:
    """A layer class with the example the checks build it from."""

    label: str
    """The name results carry: the registry name, or Keras's name for an unregistered class."""
    reference: str | None
    """How a fresh process finds the class: a registry name, ``module:QualName``, or None."""
    registered: bool
    """Whether ``reference`` is a registry name (else an import path)."""
    example: Mapping[str, Any] = field(default_factory=dict)
    input_shape: Shape | tuple[Shape, ...] | None = None
    input_dtype: str | tuple[str, ...] = "float32"
    expected_failures: Mapping[str, str] = field(default_factory=dict)
    cls: Any = field(default=None, compare=False, repr=False)
    """The class itself (in the process that made the subject; fresh processes load it)."""

    # -- the class ---------------------------------------------------------------------------

    def portable(self) -> dict[str, Any]:
        """What a fresh process needs to rebuild this subject (everything but the class)."""
        return {
            "label": self.label,
            "reference": self.reference,
            "registered": self.registered,
            "example": dict(self.example),
            "input_shape": self.input_shape,
            "input_dtype": self.input_dtype,
            "expected_failures": dict(self.expected_failures),
        }

    def load_class(self) -> type:
        """Import the class from ``reference`` (in a fresh process)."""
        if self.reference is None:
            raise ImportError(f"{self.label} cannot be imported by name")
        if self.registered:
            import layer_registry

            return layer_registry.get(self.reference)
        module_name, _, qualname = self.reference.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj

    def make(self) -> Any:
        """A new instance built from the example's keyword arguments."""
        return self.cls(**self.example)

    # -- inputs ------------------------------------------------------------------------------

    @property
    def several_inputs(self) -> bool:
        shape = self.input_shape
        return shape is not None and len(shape) > 0 and isinstance(shape[0], tuple)

    def shapes(self) -> list[Shape]:
        """The registered input shapes, one per input."""
        if self.input_shape is None:
            raise ValueError("no input_shape")
        if self.several_inputs:
            return [tuple(s) for s in cast("tuple[Shape, ...]", self.input_shape)]
        return [tuple(cast("Shape", self.input_shape))]

    def dtypes(self) -> list[str]:
        count = len(self.shapes())
        if isinstance(self.input_dtype, str):
            return [self.input_dtype] * count
        dtypes = list(self.input_dtype)
        if len(dtypes) != count:
            raise ValueError(
                f"input_dtype lists {len(dtypes)} dtypes for {count} inputs: {self.input_dtype!r}"
            )
        return dtypes

    @property
    def batch_size(self) -> int:
        """The example's batch size (every check but batch_independent uses it)."""
        first = self.shapes()[0][0]
        return first if first is not None else _UNKNOWN_BATCH

    def concrete_shapes(self, batch: int | None = None) -> list[tuple[int, ...]]:
        batch = self.batch_size if batch is None else batch
        return [
            (batch, *(_UNKNOWN_DIM if d is None else d for d in shape[1:]))
            for shape in self.shapes()
        ]

    def inputs(self, batch: int | None = None, seed: int = 0) -> list[np.ndarray]:
        """Random inputs of the example's shapes and dtypes (small integers for int dtypes)."""
        import numpy as np

        rng = np.random.default_rng(seed)
        arrays = []
        for shape, dtype in zip(self.concrete_shapes(batch), self.dtypes(), strict=True):
            kind = np.dtype(dtype).kind
            if kind in "iu":
                # Small non-negative integers: valid indices for any embedding of 2 or more rows.
                arrays.append(rng.integers(0, 2, size=shape).astype(dtype))
            elif kind == "b":
                arrays.append(rng.integers(0, 2, size=shape).astype(bool))
            else:
                arrays.append(rng.standard_normal(size=shape).astype(dtype))
        return arrays

    def symbolic_inputs(self, batch: int | bool | None = True) -> list[Any]:
        """``keras.Input`` tensors: with the example's batch size, or ``batch=None``."""
        import keras

        size = self.batch_size if batch is True else batch
        return [
            keras.Input(shape=shape[1:], batch_size=size, dtype=dtype)
            for shape, dtype in zip(self.concrete_shapes(), self.dtypes(), strict=True)
        ]

    # -- calling -----------------------------------------------------------------------------

    def call(self, layer: Any, inputs: Sequence[Any], **kwargs: Any) -> Any:
        """Call ``layer`` on ``inputs``, passed as ``call_args`` says."""
        return layer(*call_args(layer, inputs), **kwargs)

    def output_shapes_from_layer(self, layer: Any, shapes: Sequence[Shape]) -> list[Shape]:
        """``layer.compute_output_shape`` for ``shapes``, called as ``call`` is, flattened."""
        if len(shapes) == 1:
            result = layer.compute_output_shape(shapes[0])
        elif takes_positional_inputs(type(layer)):
            result = layer.compute_output_shape(*shapes)
        else:
            result = layer.compute_output_shape(list(shapes))
        return flatten_shapes(result)

    def model(self, layer: Any, batch: int | bool | None = True) -> Any:
        """A functional model whose only layer is ``layer``."""
        import keras

        inputs = self.symbolic_inputs(batch)
        outputs = self.call(layer, inputs)
        return keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs)


def call_args(layer: Any, inputs: Sequence[Any]) -> tuple[Any, ...]:
    """The positional arguments a layer gets for ``inputs``.

    One input is one argument. A layer whose ``call`` requires two or more positional arguments
    (``MultiHeadAttention``'s ``query, value``) gets the inputs positionally; any other layer
    with several inputs gets one list.
    """
    if len(inputs) == 1:
        return (inputs[0],)
    if takes_positional_inputs(type(layer)):
        return tuple(inputs)
    return (list(inputs),)


def takes_positional_inputs(cls: type[Any]) -> bool:
    """Whether ``cls.call`` requires two or more positional arguments."""
    try:
        parameters = list(inspect.signature(cls.call).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(required) >= 2


def model_inputs(arrays: Sequence[Any]) -> Any:
    """What a functional model built by ``Subject.model`` takes."""
    return arrays[0] if len(arrays) == 1 else list(arrays)


def flatten(outputs: Any) -> list[Any]:
    """A layer's outputs as a flat list of tensors."""
    import keras

    return list(keras.tree.flatten(outputs))


def flatten_shapes(shapes: Any) -> list[Shape]:
    """A shape or a nested structure of shapes as a flat list of shapes."""
    if isinstance(shapes, (tuple, list)) and all(d is None or isinstance(d, int) for d in shapes):
        return [tuple(shapes)]
    if isinstance(shapes, Mapping):
        shapes = list(shapes.values())
    flat: list[Shape] = []
    for item in shapes:
        flat.extend(flatten_shapes(item))
    return flat


def is_float(tensor: Any) -> bool:
    import keras

    return bool(keras.backend.is_float_dtype(keras.backend.standardize_dtype(tensor.dtype)))


def dtype_name(tensor: Any) -> str:
    import keras

    return str(keras.backend.standardize_dtype(tensor.dtype))


def numpy(tensors: Iterable[Any]) -> list[np.ndarray]:
    import keras

    return [keras.ops.convert_to_numpy(t) for t in tensors]


def difference(expected: Sequence[Any], actual: Sequence[Any], *, rtol: float, atol: float) -> str:
    """Empty when the two lists of arrays agree; else what differs, for a failure's reason."""
    import numpy as np

    if len(expected) != len(actual):
        return f"{len(actual)} outputs instead of {len(expected)}"
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        want, got = np.asarray(want), np.asarray(got)
        where = f"output {index}: " if len(expected) > 1 else ""
        if want.shape != got.shape:
            return f"{where}shape {got.shape} instead of {want.shape}"
        if want.dtype.kind in "fc" or got.dtype.kind in "fc":
            scale = float(np.max(np.abs(want))) if want.size else 0.0
            close = np.allclose(got, want, rtol=rtol, atol=atol * max(1.0, scale), equal_nan=True)
            if not close:
                worst = float(np.nanmax(np.abs(got.astype("float64") - want.astype("float64"))))
                return f"{where}values differ by up to {worst:.3g} (outputs are up to {scale:.3g})"
        elif not np.array_equal(want, got):
            return f"{where}values differ"
    return ""


# -- resolving what to check --------------------------------------------------------------------


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
    example: Mapping[str, Any] | None = None,
    input_shape: Any = None,
    input_dtype: str | Iterable[str] | None = None,
    expected_failures: Mapping[str, str] | None = None,
) -> Subject:
    """The subject for a registry name or a class; explicit arguments override registered ones."""
    import layer_registry

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
    the_example = dict(example if example is not None else (info.example if info else {}))
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
        cls=cls,
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


def _import_path(cls: type) -> str | None:
    """``module:QualName`` when a fresh process can import the class that way, else None."""
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        return None
    return f"{cls.__module__}:{cls.__qualname__}"


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
