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

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._errors import SpecError
from layer_registry._models._spec._graph import _build_graph
from layer_registry._models._spec._layers import _Build
from layer_registry._models._spec._layers import keras_layer_names
from layer_registry._models._spec._parse import _read
from layer_registry._models._spec._sequential import _build_sequential
from layer_registry._models._spec._size import MAX_CHARACTERS
from layer_registry._models._spec._size import MAX_DEPTH
from layer_registry._models._spec._size import MAX_INT_DIGITS
from layer_registry._models._spec._size import MAX_LAYERS
from layer_registry._models._spec._size import MAX_VALUES
from layer_registry._models._spec._size import _check_size
from layer_registry._models._spec._values import _check_keys
from layer_registry._models._spec._values import _kind

if TYPE_CHECKING:
    import keras

__all__ = [
    "MAX_CHARACTERS",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_LAYERS",
    "MAX_VALUES",
    "build_model",
    "keras_layer_names",
]


SEQUENTIAL_KEYS = ("name", "input_shape", "input_dtype", "layers")
GRAPH_KEYS = ("name", "inputs", "nodes", "outputs")


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
