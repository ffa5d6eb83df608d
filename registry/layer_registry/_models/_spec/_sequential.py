"""A sequential spec: ``input_shape`` and a list of ``layers``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._errors import SpecError
from layer_registry._models._spec._layers import _Build
from layer_registry._models._spec._layers import _layer
from layer_registry._models._spec._layers import _layer_item
from layer_registry._models._spec._values import _describe
from layer_registry._models._spec._values import _dtype
from layer_registry._models._spec._values import _kind
from layer_registry._models._spec._values import _name
from layer_registry._models._spec._values import _shape

if TYPE_CHECKING:
    import keras


def _build_sequential(spec: Mapping[str, Any], build: _Build) -> keras.Model:
    import keras

    if "input_shape" not in spec:
        raise SpecError(
            "missing: the shape of one input sample, without the batch axis, e.g. [16]",
            path="input_shape",
        )
    shape = _shape(spec["input_shape"], "input_shape")
    dtype = _dtype(spec.get("input_dtype", "float32"), "input_dtype")
    layers = spec["layers"]
    if not isinstance(layers, list) or not layers:
        raise SpecError(f"expected a non-empty list of layers, got {_kind(layers)}", path="layers")
    build.reserve(len(layers), "layers")
    model = keras.Sequential(name=_name(spec))
    model.add(keras.Input(shape=shape, dtype=dtype))
    for index, item in enumerate(layers):
        where = f"layers[{index}]"
        if not isinstance(item, str | Mapping):
            raise SpecError(
                "expected a layer: a name, a mapping with 'layer', or a mapping of a name to "
                f"its arguments, got {_kind(item)}",
                path=where,
            )
        name, kwargs, name_at = _layer_item(item, where)
        layer, display = _layer(name, kwargs, where, build, name_at)
        try:
            model.add(layer)
        except Exception as exc:
            raise SpecError(
                f"{display} cannot take the previous layer's output: {_describe(exc)}", path=where
            ) from exc
    return model
