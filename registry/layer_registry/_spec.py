"""Build Keras models from specs: plain data (a dict, YAML or JSON) that names its layers.

Two forms. Sequential::

    name: regressor                  # optional
    input_shape: [16]                # one sample, without the batch axis
    input_dtype: float32             # optional
    layers:
      - layer: examples>CustomLinear # a registry name: full, bare or alias
        units: 8                     # every other key is a constructor argument
      - Flatten                      # a name alone: no arguments
      - {layer: Dense, units: 1}     # a Keras built-in layer

Graph (functional), with named nodes, several inputs and outputs::

    inputs:
      x: {shape: [16]}
      t: [4]                         # shorthand for {shape: [4]}
    nodes:
      encoder: {layer: examples>CustomLinear, inputs: x, units: 8}
      joined: {layer: Concatenate, inputs: [encoder, t]}
      head: {layer: Dense, inputs: joined, units: 1}
    outputs: [head, encoder]

A bare name that is both a Keras built-in layer and a plugin class means the built-in; name the
plugin's layer in full (``acme>Dense``).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._construct import construct
from layer_registry._errors import AmbiguousNameError
from layer_registry._errors import LayerConfigError
from layer_registry._errors import LayerNotFoundError
from layer_registry._errors import SpecError
from layer_registry._registry import default_registry

if TYPE_CHECKING:
    import keras

SEQUENTIAL_KEYS = ("name", "input_shape", "input_dtype", "layers")
GRAPH_KEYS = ("name", "inputs", "nodes", "outputs")
INPUT_KEYS = ("shape", "dtype")
_RECEIVED = re.compile(r"Received:?\s+(\w+)\s*=")
# Inputs are declared by the spec itself; the base class builds nothing.
_NOT_LAYERS = frozenset({"Input", "InputLayer", "Layer"})


def build_model(spec: Mapping[str, Any] | str | os.PathLike[str]) -> keras.Model:
    """Build the Keras model that ``spec`` describes, looking its layers up by name.

    ``spec`` is a mapping, or the path of a YAML (``.yaml``, ``.yml``) or JSON (``.json``) file
    holding one. A sequential spec has ``input_shape`` and ``layers``; a graph spec has
    ``inputs``, ``nodes`` and ``outputs``. A layer is named by its registry name (full, bare or
    alias, as for [`get`][layer_registry.get]) or by a Keras built-in layer name (``Dense``);
    a bare name that is both means the Keras built-in.

    Raises:
        SpecError: the spec is malformed; ``path`` says where (``layers[2].units``,
            ``nodes.encoder.inputs``), and for a file that does not parse, ``line`` says which.
    """
    file = None
    if isinstance(spec, (str, os.PathLike)):
        file = os.fspath(spec)
        spec = _read(file)
    try:
        return _build(spec)
    except SpecError as exc:
        if file is None:
            raise
        raise SpecError(exc.problem, path=exc.path, file=file) from exc.__cause__


def _read(file: str) -> Any:
    try:
        with open(file, encoding="utf-8") as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the spec: {exc}", file=file) from exc
    if file.endswith(".json"):
        try:
            return json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
            ) from None
        except _DuplicateKey as exc:
            raise SpecError(
                f"not valid: the key {exc.args[0]!r} appears twice", file=file
            ) from None
    import yaml

    try:
        # A safe loader: a spec is data; YAML tags that construct Python objects are refused.
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError(
            f"not valid YAML: {problem or exc}", file=file, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", file=file) from None


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


@functools.cache
def _yaml_loader() -> type:
    """``yaml.SafeLoader`` that refuses a key given twice (the second would silently win)."""
    import yaml

    class UniqueKeySafeLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, str | int | float | bool) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} appears twice", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep)

    return UniqueKeySafeLoader


def _build(spec: Any) -> keras.Model:
    if not isinstance(spec, Mapping):
        raise SpecError(
            f"a spec is a mapping with 'layers' (sequential) or 'nodes' (graph); got {_kind(spec)}"
        )
    if "layers" in spec and "nodes" in spec:
        raise SpecError("give either 'layers' (sequential) or 'nodes' (graph), not both")
    if "layers" in spec:
        _check_keys(spec, SEQUENTIAL_KEYS, "")
        return _build_sequential(spec)
    if "nodes" in spec:
        _check_keys(spec, GRAPH_KEYS, "")
        return _build_graph(spec)
    _check_keys(spec, tuple(dict.fromkeys((*SEQUENTIAL_KEYS, *GRAPH_KEYS))), "")
    raise SpecError(
        "a spec needs 'layers' (sequential: input_shape and a list of layers) or 'nodes' "
        "(graph: inputs, nodes and outputs); found keys: " + (", ".join(map(str, spec)) or "none")
    )


# -- sequential ------------------------------------------------------------------------------


def _build_sequential(spec: Mapping[str, Any]) -> keras.Model:
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
    model = keras.Sequential(name=_name(spec))
    model.add(keras.Input(shape=shape, dtype=dtype))
    for index, item in enumerate(layers):
        where = f"layers[{index}]"
        if isinstance(item, str):
            item = {"layer": item}
        if not isinstance(item, Mapping):
            raise SpecError(
                f"expected a layer: a name or a mapping with 'layer', got {_kind(item)}",
                path=where,
            )
        kwargs = dict(item)
        layer, display = _layer(kwargs.pop("layer", None), kwargs, where)
        try:
            model.add(layer)
        except Exception as exc:
            raise SpecError(
                f"{display} cannot take the previous layer's output: {_describe(exc)}", path=where
            ) from exc
    return model


# -- graph -----------------------------------------------------------------------------------


def _build_graph(spec: Mapping[str, Any]) -> keras.Model:
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
        where = f"inputs.{name}"
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
        where = f"nodes.{name}"
        if name in inputs:
            raise SpecError(f"{name!r} is already the name of an input", where)
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

    for name in order:
        where = f"nodes.{name}"
        kwargs = dict(nodes[name])
        sources = kwargs.pop("inputs")
        kwargs.setdefault("name", name)
        layer, display = _layer(kwargs.pop("layer", None), kwargs, where)
        # One input: the tensor itself; several: a list (Concatenate, Add, ...).
        args = [tensors[source] for source in edges[name]]
        try:
            tensors[name] = layer(args if isinstance(sources, list) and len(args) > 1 else args[0])
        except Exception as exc:
            raise SpecError(
                f"calling {display} on {', '.join(edges[name])} failed: {_describe(exc)}", where
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
            raise SpecError(f"node {node!r} takes its own output (a cycle)", place)
        if not isinstance(source, str) or (source not in inputs and source not in nodes):
            raise SpecError(_unknown(source, [*inputs, *nodes], "input or node"), place)
    return list(sources)


def _topological_order(edges: Mapping[str, list[str]]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}  # "visiting" or "done"
    for start in edges:
        if start in state:
            continue
        # Depth-first, iterative: a deep chain of nodes must not exhaust Python's stack.
        path = [start]
        state[start] = "visiting"
        pending = [iter(edges[start])]
        while pending:
            source = next(pending[-1], None)
            if source is None:
                pending.pop()
                done = path.pop()
                state[done] = "done"
                order.append(done)
            elif source in edges and state.get(source) == "visiting":
                cycle = [*path[path.index(source) :], source]
                raise SpecError(
                    "the nodes form a cycle: " + " -> ".join(reversed(cycle)),
                    f"nodes.{path[-1]}.inputs",
                )
            elif source in edges and source not in state:
                state[source] = "visiting"
                path.append(source)
                pending.append(iter(edges[source]))
    return order


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
                "this node leads to no output; remove it or list it in 'outputs'", f"nodes.{name}"
            )
    for name in inputs:
        if name not in reached:
            raise SpecError("no output depends on this input; remove it", f"inputs.{name}")


# -- layers ----------------------------------------------------------------------------------


def _layer(name: Any, kwargs: dict[str, Any], where: str) -> tuple[Any, str]:
    """An instance of the layer ``name`` with ``kwargs``, and the name to show in errors."""
    if name is None:
        raise SpecError(
            "missing: the layer's name, e.g. Dense or examples>CustomLinear", f"{where}.layer"
        )
    cls, full = _layer_class(name, f"{where}.layer")
    display = full or name
    try:
        return construct(cls, kwargs, display=display), display
    except LayerConfigError as exc:
        if exc.keyword is not None:
            raise SpecError(str(exc), f"{where}.{exc.keyword}") from exc
        problem, cause = str(exc), exc.__cause__
    # Keras-style messages end with "Received: units=-1": point at that argument.
    match = _RECEIVED.search(str(cause or ""))
    key = match.group(1) if match and match.group(1) in kwargs else None
    raise SpecError(problem, f"{where}.{key}" if key else where) from cause


def _layer_class(name: Any, where: str) -> tuple[type, str | None]:
    """The class ``name`` stands for, and its full registry name (None for a Keras built-in)."""
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"expected a layer name, got {_kind(name)}", where)
    import keras

    if ">" not in name:
        if name in _NOT_LAYERS:
            raise SpecError(
                f"{name!r} is not a layer a spec can use; declare inputs with 'input_shape' "
                "(sequential) or 'inputs' (graph)",
                where,
            )
        builtin = getattr(keras.layers, name, None)
        if isinstance(builtin, type) and issubclass(builtin, keras.layers.Layer):
            return builtin, None
    registry = default_registry()
    try:
        full = registry.resolve(name)
    except AmbiguousNameError as exc:
        raise SpecError(str(exc), where) from None
    except LayerNotFoundError as exc:
        if ">" in name:
            raise SpecError(str(exc), where) from None
        close = difflib.get_close_matches(name, keras_layer_names(), n=3, cutoff=0.6)
        suggestions = [*close, *(s for s in exc.suggestions if s not in close)][:5]
        problem = f"no Keras layer or registered layer is named {name!r}"
        problem += (
            "; did you mean " + ", ".join(map(repr, suggestions)) + "?"
            if suggestions
            else "; run `layer-registry list` to see the installed layers"
        )
        raise SpecError(problem, where) from None
    return registry.get(full), full


def keras_layer_names() -> list[str]:
    import keras

    return [
        name
        for name, value in vars(keras.layers).items()
        if isinstance(value, type)
        and issubclass(value, keras.layers.Layer)
        and name not in _NOT_LAYERS
    ]


# -- values ----------------------------------------------------------------------------------


def _shape(value: Any, where: str) -> tuple[int | None, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError(
            f"expected a list of dimensions without the batch axis, e.g. [16], got {_kind(value)}",
            where,
        )
    for index, dim in enumerate(value):
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim < 1):
            raise SpecError(
                f"expected a positive integer or null (any size), got {_kind(dim)}",
                f"{where}[{index}]",
            )
    return tuple(value)


def _dtype(value: Any, where: str) -> str:
    import keras

    if isinstance(value, str):
        try:
            return keras.backend.standardize_dtype(value)
        except (TypeError, ValueError):
            pass
    raise SpecError(f"expected a dtype name such as float32, got {_kind(value)}", where)


def _name(spec: Mapping[str, Any]) -> str | None:
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(f"expected a string, got {_kind(name)}", "name")
    return name


def _mapping(value: Any, where: str, what: str) -> Mapping[str, Any]:
    if value is None:
        raise SpecError(f"missing: a mapping of {what}", where)
    if not isinstance(value, Mapping) or not value:
        raise SpecError(f"expected a non-empty mapping of {what}, got {_kind(value)}", where)
    for key in value:
        if not isinstance(key, str) or not key:
            raise SpecError(f"names must be non-empty strings, got {_kind(key)}", where)
    return value


def _check_keys(mapping: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            raise SpecError(
                f"unknown key {key!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + "; expected "
                + ", ".join(allowed),
                f"{where}.{key}" if where else str(key),
            )


def _unknown(name: Any, known: list[str], what: str) -> str:
    if not isinstance(name, str):
        return f"expected the name of an {what}, got {_kind(name)}"
    hint = difflib.get_close_matches(name, known, n=1)
    return (
        f"no {what} is named {name!r}"
        + (f"; did you mean {hint[0]!r}?" if hint else "")
        + "; known: "
        + ", ".join(known)
    )


def _kind(value: Any) -> str:
    """``value`` for an error message: its type and a short repr."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _describe(exc: BaseException) -> str:
    """An exception in one line: Keras's messages run over many."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {' '.join(lines[:3])}" if lines else type(exc).__name__
