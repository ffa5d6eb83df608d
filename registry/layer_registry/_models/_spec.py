"""Build Keras models from specs: plain data (a dict, YAML or JSON) that names its layers.

Two forms. Sequential::

    name: regressor                  # optional
    input_shape: [16]                # one sample, without the batch axis
    input_dtype: float32             # optional
    layers:
      - layer: examples>CustomLinear # a registry name: full, bare or alias
        units: 8                     # every other key is a constructor argument
      - Flatten                      # a name alone: no arguments
      - Dense: {units: 4}            # a name and its arguments
      - {layer: Dense, units: 1}     # a Keras built-in layer
      - RNN:                         # an argument that is a layer, in either form
          cell: {SimpleRNNCell: {units: 4}}

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

A mapping inside a layer's arguments that names a layer, in either form, is built as that
layer; a mapping of one key that names no layer stays a value.

A spec is data from anywhere. It is built under Keras's safe mode, it may not make a layer read
a local file (a ``StringLookup`` vocabulary given as a path) unless the caller says so, and it is
measured before anything walks it: at most ``MAX_VALUES`` values and ``MAX_CHARACTERS``
characters of text, counting a value each time a YAML alias repeats it, ``MAX_DEPTH`` levels
of nesting, integers of at most ``MAX_INT_DIGITS`` digits and ``MAX_LAYERS`` layers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import graphlib
import json
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn

from layer_registry._errors import AmbiguousNameError
from layer_registry._errors import LayerConfigError
from layer_registry._errors import LayerNotFoundError
from layer_registry._errors import SpecError
from layer_registry._errors import shown
from layer_registry._models._construct import construct
from layer_registry._models._construct import shorten
from layer_registry._registry import default_registry

if TYPE_CHECKING:
    import keras

SEQUENTIAL_KEYS = ("name", "input_shape", "input_dtype", "layers")
GRAPH_KEYS = ("name", "inputs", "nodes", "outputs")
INPUT_KEYS = ("shape", "dtype")
_RECEIVED = re.compile(r"Received:?\s+(\w+)\s*=")
# Inputs are declared by the spec itself; the base class builds nothing.
_NOT_LAYERS = frozenset({"Input", "InputLayer", "Layer"})

MAX_VALUES = 1_000_000
"""The most values (numbers, strings, lists, mappings and keys) a spec may hold."""
MAX_CHARACTERS = 10_000_000
"""The most characters of text a spec may hold."""
MAX_DEPTH = 100
"""The most levels of lists and mappings a spec may nest."""
MAX_INT_DIGITS = 100
"""The most digits an integer of a spec may have."""
MAX_LAYERS = 10_000
"""The most layers a spec may build, nested ones included."""

_YAML_NAMES = (
    "; YAML reads an unquoted yes, no, on, off, true, false or ~, a number or a date as such, "
    "not as a name: quote it"
)


def build_model(
    spec: Mapping[str, Any] | str | os.PathLike[str], *, allow_files: bool = False
) -> keras.Model:
    """Build the Keras model that ``spec`` describes, looking its layers up by name.

    ``spec`` is a mapping, or the path of a YAML (``.yaml``, ``.yml``) or JSON (``.json``) file
    holding one. A sequential spec has ``input_shape`` and ``layers``; a graph spec has
    ``inputs``, ``nodes`` and ``outputs``. A layer is named by its registry name (full, bare or
    alias, as for [`get`][layer_registry.get]) or by a Keras built-in layer name (``Dense``);
    a bare name that is both means the Keras built-in. A layer of ``layers`` is its name, a
    mapping of ``layer`` (its name) and its arguments, or a mapping of its name to its
    arguments (``{"Dense": {"units": 1}}``); an argument that is a layer is written the same
    way, at any depth.

    The spec is built under Keras's safe mode, and may not make a layer read a local file: a
    ``StringLookup`` or ``IntegerLookup`` vocabulary, a ``TextVectorization`` vocabulary or a
    ``TFSMLayer`` given as a path is refused, because the layer would read it and a saved model
    would carry its contents. Pass ``allow_files=True`` when the spec comes from you and the
    files it names are yours to read.

    Raises:
        SpecError: the spec is malformed, too large (see ``MAX_VALUES`` and the other limits),
            or names a file without ``allow_files``; ``path`` says where (``layers[2].units``,
            ``nodes.encoder.inputs``), and for a file that does not parse, ``line`` says which.
    """
    file = None
    if isinstance(spec, (str, os.PathLike)):
        file = os.fspath(spec)
        spec = _read(file)
    try:
        return _build(spec, allow_files=allow_files)
    except SpecError as exc:
        if file is None:
            raise
        raise SpecError(exc.problem, path=exc.path, file=file) from exc.__cause__


def _read(file: str) -> Any:
    try:
        with open(file, encoding="utf-8") as stream:
            # Never more than a spec may hold (a spec "file" may be /dev/zero, of size 0), and
            # no buffer that large for a small file.
            size = os.fstat(stream.fileno()).st_size
            text = stream.read(min(size or 2 * MAX_CHARACTERS, 2 * MAX_CHARACTERS) + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the spec: {exc}", file=file) from exc
    if len(text) > 2 * MAX_CHARACTERS:
        raise SpecError(
            f"the file holds more than {2 * MAX_CHARACTERS:,} characters, more than a spec may "
            f"(at most {MAX_CHARACTERS:,} characters of text)",
            file=file,
        )
    try:
        return _parse(text, file)
    except SpecError as exc:  # a limit, raised while parsing: name the file
        raise SpecError(exc.problem, exc.path, file=file, line=exc.line) from None
    except RecursionError:
        # JSON nested deeper than Python's stack, or a chain of YAML merge keys as deep.
        raise SpecError(f"nested more than {MAX_DEPTH} levels deep", file=file) from None


def _parse(text: str, file: str) -> Any:
    if file.endswith(".json"):
        try:
            return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
            ) from None
        except _DuplicateKey as exc:
            raise SpecError(
                f"not valid: the key {shown(exc.args[0])} appears twice", file=file
            ) from None
    import yaml

    try:
        # A safe loader: a spec is data; YAML tags that construct Python objects are refused.
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError(
            f"not valid YAML: {shorten(problem or str(exc))}",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {shorten(str(exc))}", file=file) from None


class _DuplicateKey(Exception):
    pass


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise SpecError(_TOO_MANY_DIGITS)
    return int(text)


_TOO_MANY_DIGITS = f"an integer of more than {MAX_INT_DIGITS} digits; no layer argument needs one"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


@functools.cache
def _yaml_loader() -> type:
    """``yaml.SafeLoader`` for specs: plain keys, each given once, and bounded sizes.

    Refusals that are not YAML syntax errors raise ``SpecError`` with the line.
    """
    import yaml

    def refuse(problem: str, mark: Any) -> NoReturn:
        raise SpecError(problem, line=mark.line + 1 if mark else None)

    class SpecLoader(yaml.SafeLoader):
        depth = 0
        merged = 0

        def compose_sequence_node(self, anchor: Any) -> Any:
            return self._nested(super().compose_sequence_node, anchor)

        def compose_mapping_node(self, anchor: Any) -> Any:
            return self._nested(super().compose_mapping_node, anchor)

        def _nested(self, compose: Any, anchor: Any) -> Any:
            # The composer recurses once per level: stop before Python's stack does.
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    refuse(
                        f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                    )
                return compose(anchor)
            finally:
                self.depth -= 1

        def flatten_mapping(self, node: Any) -> None:
            # A merge key (<<: *defaults) copies the merged pairs into the mapping, so a chain
            # of merges copies quadratically many: count the copies of the whole document.
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merged = value_node.value if value_node.id == "sequence" else [value_node]
                    for subnode in merged:
                        if subnode.id == "mapping":
                            self.flatten_mapping(subnode)
                            self.merged += len(subnode.value)
                    if self.merged > MAX_VALUES:
                        refuse(
                            f"the merge keys (<<) of this spec copy more than {MAX_VALUES:,} "
                            "values; that is the most a spec may hold",
                            key_node.start_mark,
                        )
            super().flatten_mapping(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # merged keys may be given again: that is what merging is for
                if key_node.id != "scalar":
                    kind = "list" if key_node.id == "sequence" else "mapping"
                    refuse(
                        f"a key must be a plain value such as a name, not a {kind}",
                        key_node.start_mark,
                    )
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    refuse(f"not valid: the key {shown(key)} appears twice", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

        def construct_yaml_int(self, node: Any) -> int:
            digits = node.value.lstrip("+-").replace("_", "")
            if len(digits.removeprefix("0x").removeprefix("0o").removeprefix("0b")) > (
                MAX_INT_DIGITS
            ):
                refuse(_TOO_MANY_DIGITS, node.start_mark)
            return super().construct_yaml_int(node)

    SpecLoader.add_constructor("tag:yaml.org,2002:int", SpecLoader.construct_yaml_int)
    return SpecLoader


@dataclasses.dataclass
class _Build:
    """What one build knows besides the spec: whether it may read files, how many layers."""

    allow_files: bool
    layers: int = 0

    def reserve(self, count: int, where: str) -> None:
        """Count ``count`` more layers, refused past ``MAX_LAYERS`` before they are built."""
        self.layers += count
        if self.layers > MAX_LAYERS:
            raise SpecError(
                f"the spec builds more than {MAX_LAYERS:,} layers; that is the most a spec may",
                where,
            )


def _build(spec: Any, *, allow_files: bool) -> keras.Model:
    if not isinstance(spec, Mapping):
        raise SpecError(
            f"a spec is a mapping with 'layers' (sequential) or 'nodes' (graph); got {_kind(spec)}"
        )
    _check_size(spec)
    if "layers" in spec and "nodes" in spec:
        raise SpecError("give either 'layers' (sequential) or 'nodes' (graph), not both")
    from keras.src.saving.serialization_lib import SafeModeScope

    # keras.saving has no public way to enter it; this scope is what load_model(safe_mode=True)
    # uses. It binds every deserialization the layers' constructors make, even one that asks
    # for safe_mode=False, and makes Keras's lookup layers refuse vocabulary files.
    with SafeModeScope(True):
        if "layers" in spec:
            _check_keys(spec, SEQUENTIAL_KEYS, "")
            return _build_sequential(spec, _Build(allow_files))
        if "nodes" in spec:
            _check_keys(spec, GRAPH_KEYS, "")
            return _build_graph(spec, _Build(allow_files))
    _check_keys(spec, tuple(dict.fromkeys((*SEQUENTIAL_KEYS, *GRAPH_KEYS))), "")
    raise SpecError(
        "a spec needs 'layers' (sequential: input_shape and a list of layers) or 'nodes' "
        "(graph: inputs, nodes and outputs); found keys: " + (", ".join(map(str, spec)) or "none")
    )


# -- sequential ------------------------------------------------------------------------------


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


# -- graph -----------------------------------------------------------------------------------


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


# -- layers ----------------------------------------------------------------------------------


def _layer_item(item: str | Mapping[Any, Any], where: str) -> tuple[Any, dict[Any, Any], str]:
    """A layer written ``Dense``, ``{layer: Dense, units: 1}`` or ``{Dense: {units: 1}}``.

    Returns its name, its arguments and the place of its name in the spec, for errors.
    """
    if isinstance(item, str):
        return item, {}, f"{where}.layer"
    if "layer" not in item and len(item) == 1:
        [(name, arguments)] = item.items()
        if isinstance(arguments, Mapping | None):
            return name, dict(arguments or {}), where
    kwargs = dict(item)
    return kwargs.pop("layer", None), kwargs, f"{where}.layer"


def _layer(
    name: Any, kwargs: dict[Any, Any], where: str, build: _Build, name_at: str | None = None
) -> tuple[Any, str]:
    """An instance of the layer ``name`` with ``kwargs``, and the name to show in errors.

    ``where`` is the layer's place in the spec, ``name_at`` its name's (``where.layer``).
    """
    name_at = name_at or f"{where}.layer"
    if name is None:
        raise SpecError(
            "missing: the layer's name: `layer: Dense` beside its arguments, `Dense: {units: 1}` "
            "or `Dense` alone",
            name_at,
        )
    cls, full = _layer_class(name, name_at)
    display = full or name
    _check_names(kwargs, where, "argument names")
    kwargs = {key: _with_layers(value, _at(where, key), build) for key, value in kwargs.items()}
    files = [key for key in _file_arguments(cls) if isinstance(kwargs.get(key), str | os.PathLike)]
    if files and not build.allow_files:
        raise SpecError(
            f"{display} would read the file {shown(os.fspath(kwargs[files[0]]))}, and a model "
            "saved from this spec would carry what it read; a spec reads no local file unless "
            "told to: if the file is trusted, pass allow_files=True to build_model "
            "(--allow-files to `layer-registry build`)",
            _at(where, files[0]),
        )
    try:
        # Keras's safe mode refuses the vocabulary file the caller allowed: construct this one
        # layer as plain Keras code does, outside the scope. Nested configs still refuse code
        # there: deserialize_keras_object is safe unless told otherwise.
        with _outside_safe_mode() if files else contextlib.nullcontext():
            return construct(cls, kwargs, display=display), display
    except LayerConfigError as exc:
        if exc.keyword is not None:
            raise SpecError(str(exc), _at(where, exc.keyword)) from exc
        problem, cause = str(exc), exc.__cause__
    # Keras-style messages end with "Received: units=-1": point at that argument.
    match = _RECEIVED.search(str(cause or ""))
    key = match.group(1) if match and match.group(1) in kwargs else None
    raise SpecError(problem, _at(where, key) if key else where) from cause


def _with_layers(value: Any, where: str, build: _Build) -> Any:
    """``value``, an argument, with every layer it names built, at any depth.

    A mapping names a layer when it has ``layer`` (a name) or is one key, a layer's name, over
    the layer's arguments. Anything else is returned as it is, rebuilt only around a layer.
    """
    if isinstance(value, list):
        items = [_with_layers(item, f"{where}[{i}]", build) for i, item in enumerate(value)]
        return (
            items if any(new is not old for new, old in zip(items, value, strict=True)) else value
        )
    if not isinstance(value, Mapping):
        return value
    if isinstance(value.get("layer"), str):
        kwargs = dict(value)
        build.reserve(1, where)
        return _layer(kwargs.pop("layer"), kwargs, where, build)[0]
    if len(value) == 1:
        [(name, arguments)] = value.items()
        if isinstance(arguments, Mapping | None) and _names_layer(name):
            build.reserve(1, where)
            return _layer(name, dict(arguments or {}), where, build, where)[0]
    entries = {key: _with_layers(item, _at(where, key), build) for key, item in value.items()}
    return entries if any(entries[key] is not value[key] for key in value) else value


def _names_layer(name: Any) -> bool:
    try:
        _layer_class(name, "")
    except SpecError:
        return False
    return True


def _file_arguments(cls: type) -> tuple[str, ...]:
    """The constructor arguments of ``cls`` that Keras opens as a file when given a path."""
    import keras

    # From the Keras sources: IndexLookup.set_vocabulary reads a str vocabulary as a file (the
    # lookup layers and TextVectorization), TFSMLayer loads a SavedModel. No other built-in
    # layer opens what it is given.
    readers = (
        (keras.layers.StringLookup, "vocabulary"),
        (keras.layers.IntegerLookup, "vocabulary"),
        (keras.layers.TextVectorization, "vocabulary"),
        (keras.layers.TFSMLayer, "filepath"),
    )
    return tuple(argument for reader, argument in readers if issubclass(cls, reader))


def _outside_safe_mode() -> contextlib.AbstractContextManager[None]:
    from keras.src.saving.serialization_lib import SafeModeScope

    # None is no scope at all (what in_safe_mode() says outside load_model), not False.
    return SafeModeScope(None)


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
        problem = f"no Keras layer or registered layer is named {shown(name)}"
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


# -- size ------------------------------------------------------------------------------------


class _Frame:
    """A list or mapping being measured: where it is, and what it holds so far."""

    __slots__ = (
        "characters",
        "children",
        "depth",
        "height",
        "index",
        "key",
        "parent",
        "value",
        "values",
    )

    def __init__(self, value: Any, parent: _Frame | None, key: Any, index: bool):
        self.value = value
        self.parent = parent
        self.key = key
        self.index = index  # key is a list index, not a mapping key
        self.depth: int = parent.depth + 1 if parent else 1
        self.children = iter(value.items()) if isinstance(value, Mapping) else enumerate(value)
        self.values = 1
        self.characters = 0
        self.height = 1

    def parts(self) -> list[tuple[Any, bool]]:
        """The keys from the spec down to here."""
        parts = []
        frame: _Frame | None = self
        while frame is not None and frame.parent is not None:
            parts.append((frame.key, frame.index))
            frame = frame.parent
        return parts[::-1]


_CONTAINERS = (Mapping, list, tuple, set, frozenset)


def _check_size(spec: Mapping[str, Any]) -> None:
    """Refuse a spec too large, too deeply nested or holding itself, before anything walks it.

    A list that YAML aliases repeat counts each time it appears, as it would once expanded (the
    repr of an error message, or Keras, expands it), but is measured once: a billion laughs
    costs what its text does.
    """
    measured: dict[int, tuple[int, int, int]] = {}  # id -> values, characters, height
    root = _Frame(spec, None, None, False)
    stack = [root]
    active = {id(spec): root}  # the frames on the stack: finding one again is a cycle
    while stack:
        frame = stack[-1]
        item = next(frame.children, None)
        if item is None:
            stack.pop()
            del active[id(frame.value)]
            measured[id(frame.value)] = (frame.values, frame.characters, frame.height)
            if stack:
                _add(stack[-1], frame.values, frame.characters, frame.height)
            continue
        key, value = item
        index = not isinstance(frame.value, Mapping)
        if not index:
            _add(frame, 1, _scalar_characters(key, frame, key, False), 0)
        if not isinstance(value, _CONTAINERS):
            _add(frame, 1, _scalar_characters(value, frame, key, index), 0)
        elif id(value) in active:
            _refuse(active[id(value)].parts(), "contains itself (an alias inside its own anchor)")
        elif id(value) in measured:
            values, characters, height = measured[id(value)]
            if frame.depth + height > MAX_DEPTH:
                _refuse([*frame.parts(), (key, index)], f"nested more than {MAX_DEPTH} levels deep")
            _add(frame, values, characters, height)
        elif frame.depth >= MAX_DEPTH:
            _refuse([*frame.parts(), (key, index)], f"nested more than {MAX_DEPTH} levels deep")
        else:
            child = _Frame(value, frame, key, index)
            stack.append(child)
            active[id(value)] = child


def _add(frame: _Frame, values: int, characters: int, height: int) -> None:
    frame.values += values
    frame.characters += characters
    frame.height = max(frame.height, height + 1)
    # Reported where the bulk is: at a layer's argument (layers[0].units), not deep inside it.
    if frame.values > MAX_VALUES:
        _refuse(
            frame.parts()[:3],
            f"the spec holds more than {MAX_VALUES:,} values here once its YAML aliases (or "
            "shared lists) are expanded; that is the most a spec may hold",
        )
    if frame.characters > MAX_CHARACTERS:
        _refuse(
            frame.parts()[:3],
            f"the spec holds more than {MAX_CHARACTERS:,} characters of text here once its "
            "YAML aliases (or shared lists) are expanded; that is the most a spec may hold",
        )


def _scalar_characters(value: Any, frame: _Frame, key: Any, index: bool) -> int:
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if (
        isinstance(value, int)
        and value.bit_length() > 3 * MAX_INT_DIGITS
        and abs(value) >= 10**MAX_INT_DIGITS
    ):
        _refuse([*frame.parts(), (key, index)], _TOO_MANY_DIGITS)
    return 0


def _refuse(parts: list[tuple[Any, bool]], problem: str) -> NoReturn:
    # A path a hundred levels deep says no more than its start.
    raise SpecError(problem, _path(parts[:8]) + "..." if len(parts) > 8 else _path(parts))


def _path(parts: list[tuple[Any, bool]]) -> str:
    path = ""
    for key, index in parts:
        path = f"{path}[{key}]" if index else _at(path, key)
    return path


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
    _check_names(value, where, "names")
    for key in value:
        if not key:
            raise SpecError("names must be non-empty strings, got an empty one", where)
    return value


def _check_names(mapping: Mapping[Any, Any], where: str, what: str) -> None:
    for key in mapping:
        if not isinstance(key, str):
            raise SpecError(f"{what} are strings, got {_kind(key)}{_YAML_NAMES}", where)


def _check_keys(mapping: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    _check_names(mapping, where, "keys")
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            raise SpecError(
                f"unknown key {shown(key)}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + "; expected "
                + ", ".join(allowed),
                _at(where, key),
            )


def _unknown(name: Any, known: list[str], what: str) -> str:
    if not isinstance(name, str):
        return f"expected the name of an {what}, got {_kind(name)}"
    hint = difflib.get_close_matches(name, known, n=1)
    return (
        f"no {what} is named {shown(name)}"
        + (f"; did you mean {shown(hint[0])}?" if hint else "")
        + "; known: "
        + _listing(known)
    )


def _listing(names: list[str], limit: int = 10) -> str:
    """``names`` for an error message: the first few, and how many more."""
    listed = ", ".join(_part(name) for name in names[:limit])
    return listed + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def _at(where: str, key: Any) -> str:
    """The path of ``key`` inside ``where``."""
    return f"{where}.{_part(key)}" if where else _part(key)


def _part(key: Any) -> str:
    """A name as a part of a path or a list, cut short: names come from the spec."""
    if not isinstance(key, str):
        return shown(key, 40)
    return key if len(key) <= 40 else f"{key[:37]}..."


def _kind(value: Any) -> str:
    """``value`` for an error message: its type and a short repr."""
    return f"{type(value).__name__} {shown(value, 60)}"


def _describe(exc: BaseException) -> str:
    """An exception in one line: Keras's messages run over many."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return shorten(f"{type(exc).__name__}: {' '.join(lines[:3])}" if lines else type(exc).__name__)
