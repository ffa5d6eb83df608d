"""A graph (functional) spec: named ``inputs``, ``nodes`` ordered by what they take, ``outputs``."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._errors import SpecError
from layer_registry._errors import shown
from layer_registry._models._spec._layers import _Build
from layer_registry._models._spec._layers import _layer
from layer_registry._models._spec._values import _at
from layer_registry._models._spec._values import _check_keys
from layer_registry._models._spec._values import _describe
from layer_registry._models._spec._values import _dtype
from layer_registry._models._spec._values import _kind
from layer_registry._models._spec._values import _listing
from layer_registry._models._spec._values import _mapping
from layer_registry._models._spec._values import _name
from layer_registry._models._spec._values import _part
from layer_registry._models._spec._values import _shape
from layer_registry._models._spec._values import _unknown

if TYPE_CHECKING:
    import keras


INPUT_KEYS = ("shape", "dtype")


def _build_graph(spec: Mapping[str, Any], build: _Build) -> keras.Model:
    import keras

    inputs = _mapping(spec.get("inputs"), "inputs", "input names to {shape: [...], dtype: ...}")
    nodes = _mapping(spec.get("nodes"), "nodes", "node names to {layer: ..., inputs: ...}")
    if "outputs" not in spec:
        raise SpecError("missing: the node (or list of nodes) the model returns", path="outputs")
    outputs = spec["outputs"]
    output_names = [outputs] if isinstance(outputs, str) else outputs
    if not isinstance(output_names, list) or not output_names:
        raise SpecError(f"expected a node name or a list of them, got {_kind(outputs)}", "outputs")

    tensors: dict[str, Any] = {}
    for name, declared in inputs.items():
        where = _at("inputs", name)
        if isinstance(declared, list):
            declared = {"shape": declared}
        if not isinstance(declared, Mapping):
            raise SpecError(f"expected {{shape: [...]}} or a shape, got {_kind(declared)}", where)
        _check_keys(declared, INPUT_KEYS, where)
        if "shape" not in declared:
            raise SpecError("missing: the shape of one sample, e.g. [16]", f"{where}.shape")
        tensors[name] = keras.Input(
            shape=_shape(declared["shape"], f"{where}.shape"),
            dtype=_dtype(declared.get("dtype", "float32"), f"{where}.dtype"),
            name=name,
        )

    edges: dict[str, list[str]] = {}
    for name, node in nodes.items():
        where = _at("nodes", name)
        if name in inputs:
            raise SpecError(f"{shown(name)} is already the name of an input", where)
        if not isinstance(node, Mapping):
            raise SpecError(f"expected {{layer: ..., inputs: ...}}, got {_kind(node)}", where)
        if "inputs" not in node:
            raise SpecError("missing: the input or node names this node takes", f"{where}.inputs")
        edges[name] = _node_inputs(node["inputs"], f"{where}.inputs", inputs, nodes, name)

    for index, name in enumerate(output_names):
        if not isinstance(name, str) or (name not in nodes and name not in inputs):
            raise SpecError(
                _unknown(name, [*inputs, *nodes], "node"),
                "outputs" if isinstance(outputs, str) else f"outputs[{index}]",
            )
    order = _topological_order(edges)
    _check_connected(inputs, edges, output_names)
    build.reserve(len(order), "nodes")

    for name in order:
        where = _at("nodes", name)
        kwargs = dict(nodes[name])
        sources = kwargs.pop("inputs")
        kwargs.setdefault("name", name)
        layer, display = _layer(kwargs.pop("layer", None), kwargs, where, build)
        # One input: the tensor itself; several: a list (Concatenate, Add, ...).
        args = [tensors[source] for source in edges[name]]
        try:
            tensors[name] = layer(args if isinstance(sources, list) and len(args) > 1 else args[0])
        except Exception as exc:
            raise SpecError(
                f"calling {display} on {_listing(edges[name])} failed: {_describe(exc)}", where
            ) from exc

    model_inputs = [tensors[name] for name in inputs]
    model_outputs = (
        tensors[outputs] if isinstance(outputs, str) else [tensors[name] for name in outputs]
    )
    try:
        return keras.Model(
            inputs=model_inputs[0] if len(model_inputs) == 1 else model_inputs,
            outputs=model_outputs,
            name=_name(spec),
        )
    except Exception as exc:
        raise SpecError(f"Keras cannot build the graph: {_describe(exc)}") from exc


def _node_inputs(
    value: Any, where: str, inputs: Mapping[str, Any], nodes: Mapping[str, Any], node: str
) -> list[str]:
    sources = [value] if isinstance(value, str) else value
    if not isinstance(sources, list) or not sources:
        raise SpecError(
            f"expected an input or node name, or a list of them, got {_kind(value)}", where
        )
    for index, source in enumerate(sources):
        place = where if isinstance(value, str) else f"{where}[{index}]"
        if source == node:
            raise SpecError(f"node {shown(node)} takes its own output (a cycle)", place)
        if not isinstance(source, str) or (source not in inputs and source not in nodes):
            raise SpecError(_unknown(source, [*inputs, *nodes], "input or node"), place)
    return list(sources)


def _topological_order(edges: Mapping[str, list[str]]) -> list[str]:
    """The nodes, each after the nodes it takes as inputs; a cycle is a ``SpecError``."""
    graph = {name: [s for s in sources if s in edges] for name, sources in edges.items()}
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        # Each node feeds the next; the first and the last are the same.
        cycle = list(exc.args[1])
        closing = cycle[-2]
        if len(cycle) > 12:
            cycle = [*cycle[:6], "...", *cycle[-6:]]
        raise SpecError(
            "the nodes form a cycle: " + " -> ".join(map(_part, cycle)),
            f"{_at('nodes', closing)}.inputs",
        ) from None


def _check_connected(
    inputs: Mapping[str, Any], edges: Mapping[str, list[str]], outputs: list[str]
) -> None:
    reached: set[str] = set()
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if name not in reached:
            reached.add(name)
            stack.extend(edges.get(name, ()))
    for name in edges:
        if name not in reached:
            raise SpecError(
                "this node leads to no output; remove it or list it in 'outputs'",
                _at("nodes", name),
            )
    for name in inputs:
        if name not in reached:
            raise SpecError("no output depends on this input; remove it", _at("inputs", name))
