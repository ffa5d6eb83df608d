"""The checks of the layer on its own: documented, constructed, called, batch-independent.

``construct`` and ``call`` are the gatekeepers: when one fails, the later checks are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from layer_registry._errors import one_line
from layer_registry.testing._checks import NUMERIC_TOLERANCE
from layer_registry.testing._checks import CheckFailed
from layer_registry.testing._checks import needs_input
from layer_registry.testing._checks import overrides
from layer_registry.testing._checks import shapes_text
from layer_registry.testing._checks import weight_name
from layer_registry.testing._subject import Subject
from layer_registry.testing._subject import difference
from layer_registry.testing._subject import dtype_name
from layer_registry.testing._subject import flatten
from layer_registry.testing._subject import model_inputs
from layer_registry.testing._subject import numpy

# -- docstring ----------------------------------------------------------------------------------

_EXAMPLE_SECTION = re.compile(r"^\s*Examples?:\s*$", re.MULTILINE)


def check_docstring(subject: Subject) -> str | None:
    """The class (or the documented layer it only renames) has a docstring whose first line
    summarises it; an ``Example:`` is advised."""
    from layer_registry._registry._registration import documentation

    text = documentation(subject.cls)
    if not text.strip():
        raise CheckFailed(
            "the class has no docstring: its first line is the layer's summary on the site and "
            "in `layer-registry list`; add a docstring with a one-line summary"
        )
    if not _EXAMPLE_SECTION.search(text):
        return (
            "warning: the docstring has no `Example:` section; the site shows the registered "
            "example instead"
        )
    return None


# -- construct ----------------------------------------------------------------------------------


def check_construct(subject: Subject) -> str | None:
    """The class builds from the example's keyword arguments into a Keras layer."""
    import keras

    try:
        arguments = subject.arguments()
    except Exception as exc:
        raise CheckFailed(f"the example function raised {one_line(exc)}") from exc
    construction = subject.describe_construction()
    try:
        layer = subject.cls(**arguments)
    except Exception as exc:
        raise CheckFailed(f"{construction} raised {one_line(exc)}") from exc
    if not isinstance(layer, keras.layers.Layer):
        raise CheckFailed(f"{construction} is not a keras.layers.Layer")
    try:
        subject.set_up(layer)
    except Exception as exc:
        raise CheckFailed(f"setup(layer) after {construction} raised {one_line(exc)}") from exc
    return None


# -- call ---------------------------------------------------------------------------------------


def check_call(subject: Subject) -> str | None:
    """An eager call returns backend tensors whose shapes and dtypes match the declared ones."""
    import keras

    needs_input(subject)
    shapes = subject.concrete_shapes()
    layer = subject.make()
    early = [(weight_name(w), tuple(w.shape)) for w in layer.weights]
    try:
        outputs = flatten(subject.call(layer, subject.inputs()))
    except Exception as exc:
        reason = f"calling the layer on random input of shape {shapes_text(shapes)} raised "
        reason += one_line(exc)
        if early:
            made = ", ".join(f"{name} {shape}" for name, shape in early)
            reason += (
                f"; the layer made weights in __init__ for a fixed input size ({made}): create "
                "them in build(input_shape) from the input's shape"
            )
        raise CheckFailed(reason) from exc
    if not outputs:
        raise CheckFailed("the layer returned no tensor")
    for output in outputs:
        if not keras.ops.is_tensor(output):
            raise CheckFailed(
                f"the layer returned a {type(output).__module__}.{type(output).__qualname__}, not "
                f"a {keras.backend.backend()} tensor: compute with keras.ops"
            )
    eager_shapes = [tuple(output.shape) for output in outputs]
    try:
        symbolic = flatten(subject.call(subject.make(), subject.symbolic_inputs()))
    except Exception as exc:
        raise CheckFailed(
            "a symbolic call on keras.Input (as in a functional model) raised " + one_line(exc)
        ) from exc
    symbolic_shapes = [tuple(t.shape) for t in symbolic]
    if not _shapes_match(symbolic_shapes, eager_shapes):
        raise CheckFailed(
            f"a symbolic call gives shape {shapes_text(symbolic_shapes)} but an eager call "
            f"{shapes_text(eager_shapes)}"
        )
    eager_dtypes = [dtype_name(t) for t in outputs]
    symbolic_dtypes = [dtype_name(t) for t in symbolic]
    if eager_dtypes != symbolic_dtypes:
        raise CheckFailed(
            f"a symbolic call gives dtype {', '.join(symbolic_dtypes)} but an eager call "
            f"{', '.join(eager_dtypes)}"
        )
    return None


def _shapes_match(declared: Sequence[Sequence[Any]], actual: Sequence[Sequence[Any]]) -> bool:
    if len(declared) != len(actual):
        return False
    for want, got in zip(declared, actual, strict=True):
        if len(want) != len(got):
            return False
        if any(w is not None and g is not None and w != g for w, g in zip(want, got, strict=True)):
            return False
    return True


# -- output_shape -------------------------------------------------------------------------------


def check_output_shape(subject: Subject) -> str | None:
    """``compute_output_shape`` gives the shapes a call returns, at the example's batch size and,
    on the same built layer, at another."""
    needs_input(subject)
    layer = subject.make()
    if not overrides(type(layer), "compute_output_shape"):
        return None  # Keras's own traces the call: nothing of the layer's to compare
    batch = subject.batch_size
    for size in (batch, batch + 1):
        shapes = subject.concrete_shapes(size)
        try:
            outputs = flatten(subject.call(layer, subject.inputs(batch=size)))
        except Exception:
            if size == batch:
                raise  # call's own failure, reported there
            return (
                f"compared at batch size {batch} only: a call at {size} raised (see "
                "batch_independent)"
            )
        try:
            declared = subject.output_shapes_from_layer(layer, shapes)
        except Exception as exc:
            raise CheckFailed(
                f"compute_output_shape({shapes_text(shapes)}) raised {one_line(exc)}"
            ) from exc
        if declared is None:
            return None  # it declares nothing
        actual = [tuple(output.shape) for output in outputs]
        if not _shapes_match(declared, actual):
            built = " on the layer built at batch size " + str(batch) if size != batch else ""
            raise CheckFailed(
                f"compute_output_shape({shapes_text(shapes)}){built} gives "
                f"{shapes_text(declared)} but the call returned {shapes_text(actual)}"
                + (
                    ": is a shape kept from build()? take the batch axis from the input_shape given"
                    if size != batch
                    else ""
                )
            )
    return None


# -- batch_independent --------------------------------------------------------------------------


def check_batch_independent(subject: Subject) -> str | None:
    """Another batch size works, gives the same per-sample outputs, and a None batch axis works."""
    needs_input(subject)
    batch = subject.batch_size
    other = batch + 1
    large = subject.inputs(batch=other, seed=1)
    small = [array[:batch] for array in large]
    layer = subject.make()
    small_outputs = numpy(flatten(subject.call(layer, small)))
    try:
        large_outputs = numpy(flatten(subject.call(layer, large)))
    except Exception as exc:
        raise CheckFailed(
            f"after a call with batch size {batch}, a call with batch size {other} raised "
            f"{one_line(exc)}: are weights or state sized by the batch axis? build them "
            "from input_shape[1:]"
        ) from exc
    for index, (first, second) in enumerate(zip(small_outputs, large_outputs, strict=True)):
        if first.ndim and first.shape[0] == batch and second.shape[0] != other:
            raise CheckFailed(
                f"output {index} has batch size {second.shape[0]} for an input batch of {other}"
            )
    same_samples = [
        second[:batch] if first.ndim and first.shape[0] == batch else second
        for first, second in zip(small_outputs, large_outputs, strict=True)
    ]
    changed = difference(small_outputs, same_samples, **NUMERIC_TOLERANCE)
    if changed:
        raise CheckFailed(
            f"the outputs for the same samples change with the batch size ({changed}): the layer "
            "mixes samples across the batch axis"
        )
    try:
        model = subject.model(subject.make(), batch=None)
    except Exception as exc:
        raise CheckFailed(
            "a functional model with a None batch axis (keras.Input(shape=...)) cannot hold the "
            f"layer: {one_line(exc)}"
        ) from exc
    try:
        outputs = flatten(model(model_inputs(large)))
    except Exception as exc:
        raise CheckFailed(
            f"a functional model with a None batch axis fails on a batch of {other}: "
            f"{one_line(exc)}"
        ) from exc
    # The eager call's shapes: an output with a batch axis follows the batch, one without
    # (anchors that depend only on the image size) keeps its shape, as in the eager calls.
    model_shapes = [tuple(o.shape) for o in outputs]
    eager_shapes = [tuple(o.shape) for o in large_outputs]
    if model_shapes != eager_shapes:
        raise CheckFailed(
            f"a functional model with a None batch axis returns shape {shapes_text(model_shapes)} "
            f"for a batch of {other}, an eager call {shapes_text(eager_shapes)}"
        )
    return None
