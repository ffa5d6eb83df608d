"""The layer under test: where its class comes from, how to build it, feed it and call it.

Shared by the checks in this process and by the fresh processes, so it imports nothing heavy
at module level.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from layer_registry._models._example import ExampleFunction
from layer_registry._models._example import SetupFunction
from layer_registry._models._example import build_example
from layer_registry._models._example import call_layer
from layer_registry._models._example import example_arguments
from layer_registry._models._example import takes_positional_inputs
from layer_registry._records import Shape

if TYPE_CHECKING:
    import numpy as np

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
    example_function: str | None = ""
    """``module:QualName`` of the function giving the example's arguments: "" when the example
    is a dict, None when a fresh process cannot import the function."""
    setup_function: str | None = ""
    """``module:QualName`` of the ``setup(layer)`` function, in the same way."""
    cls: Any = field(default=None, compare=False, repr=False)
    """The class itself (in the process that made the subject; fresh processes load it)."""
    functions: tuple[ExampleFunction | None, SetupFunction | None] | None = field(
        default=None, compare=False, repr=False
    )
    """The example function and setup themselves (in the process that made the subject)."""

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
            "example_function": self.example_function,
            "setup_function": self.setup_function,
        }

    def load_class(self) -> type:
        """Import the class from ``reference`` (in a fresh process)."""
        if self.reference is None:
            raise ImportError(f"{self.label} cannot be imported by name")
        if self.registered:
            import layer_registry

            return layer_registry.get(self.reference)
        return _imported(self.reference)

    def importable(self) -> bool:
        """Whether a fresh process can find the class and its example and setup functions."""
        return None not in (self.reference, self.example_function, self.setup_function)

    def _functions(self) -> tuple[ExampleFunction | None, SetupFunction | None]:
        if self.functions is not None:
            return self.functions
        from layer_registry._registry._registration import function_source
        from layer_registry._registry._registration import registered_functions

        # In a fresh process: the registered functions when they are the ones named (a lambda
        # in a hook has no import path), else the named functions imported.
        known = registered_functions(self.cls) if self.registered else (None, None)
        names = (self.example_function, self.setup_function)
        example, setup = (
            function
            if function is not None and function_source(function)[0] == name
            else _imported(name)
            for name, function in zip(names, known, strict=True)
        )
        return example, setup

    def arguments(self) -> dict[str, Any]:
        """The constructor keyword arguments (an example function's are new each time)."""
        return example_arguments(self.example, self._functions()[0], display=self.label)

    def describe_construction(self) -> str:
        """``Class(units=4)`` as the example builds it, for reasons."""
        name = self.cls.__name__
        if self._functions()[0] is not None:
            return f"{name}(**{self.example_function or 'example'}())"
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in self.example.items())})"

    def make(self) -> Any:
        """A new instance built from the example's keyword arguments, then set up."""
        return build_example(self.cls, self.arguments(), self._functions()[1])

    def set_up(self, layer: Any) -> None:
        """Run the registered ``setup(layer)`` on a layer made otherwise (rebuilt, reloaded)."""
        setup = self._functions()[1]
        if setup is not None:
            setup(layer)

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
        return call_layer(layer, inputs, **kwargs)

    def output_shapes_from_layer(self, layer: Any, shapes: Sequence[Shape]) -> list[Shape] | None:
        """``layer.compute_output_shape`` for ``shapes``, called as ``call`` is, flattened;
        None when it returns None (it declares nothing)."""
        if len(shapes) == 1:
            result = layer.compute_output_shape(shapes[0])
        elif takes_positional_inputs(type(layer)):
            result = layer.compute_output_shape(*shapes)
        else:
            result = layer.compute_output_shape(list(shapes))
        return None if result is None else flatten_shapes(result)

    def model(self, layer: Any, batch: int | bool | None = True) -> Any:
        """A functional model whose only layer is ``layer``."""
        import keras

        inputs = self.symbolic_inputs(batch)
        outputs = self.call(layer, inputs)
        return keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs)


def _imported(reference: str | None) -> Any:
    """The object at ``module:QualName`` (None for "" or None)."""
    if not reference:
        return None
    module_name, _, qualname = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


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
