"""Fuzzed model specs and `.keras` configs: only the documented errors ever escape."""

from __future__ import annotations

import contextlib
import json
import zipfile

import keras
from hypothesis import given
from hypothesis import strategies as st

import layer_registry
from layer_registry import RegistryError

LAYER_NAMES = [
    "Dense",
    "examples>CustomLinear",
    "CustomNonLinear",
    "periodic>Snake",
    "Dropout",
    "LayerNormalization",
    "Nope",
    "os>system",
    "Lambda",
    "",
    None,
    3,
]
KEYS = [
    "input_shape",
    "layers",
    "layer",
    "units",
    "inputs",
    "nodes",
    "outputs",
    "shape",
    "dtype",
    "rate",
    "name",
    "activation",
    "w0",
]
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 40),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(LAYER_NAMES),
)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=25,
)


def mostly(valid, invalid=LEAVES):
    """``valid`` nine times in ten (a plain one_of would flatten and drown it among leaves)."""
    return st.integers(0, 9).flatmap(lambda k: invalid if k == 0 else valid)


# Mostly well-formed sequential specs, so that building (not only rejecting) is exercised too.
LAYER = st.fixed_dictionaries(
    {
        "layer": st.sampled_from(
            [
                "Dense",
                "examples>CustomLinear",
                "CustomNonLinear",
                "periodic>SineDense",
                "Dropout",
                "LayerNormalization",
                "Nope",
            ]
        )
    },
    optional={
        "units": mostly(st.integers(1, 8)),
        "rate": st.floats(0, 1),
        "name": st.text(max_size=5),
        "bogus": LEAVES,
    },
)
# The same layer written as its name over its arguments, and layers as arguments of layers.
NAMED_LAYER = LAYER.map(
    lambda layer: {layer["layer"]: {key: value for key, value in layer.items() if key != "layer"}}
)
NESTED_LAYER = st.builds(
    lambda outer, argument, inner: {outer: {argument: inner}},
    st.sampled_from(["RNN", "Bidirectional", "TimeDistributed", "Dense"]),
    st.sampled_from(["cell", "layer", "units"]),
    st.one_of(LAYER, NAMED_LAYER, st.lists(NAMED_LAYER, max_size=2)),
)
SEQUENTIAL = st.fixed_dictionaries(
    {
        "input_shape": mostly(st.lists(st.integers(1, 6), min_size=1, max_size=3)),
        "layers": st.lists(
            st.one_of(LAYER, NAMED_LAYER, NESTED_LAYER, st.sampled_from(LAYER_NAMES)),
            min_size=1,
            max_size=4,
        ),
    }
)


@given(st.one_of(TREES, SEQUENTIAL))
def test_fuzzed_specs_build_or_raise_a_spec_error(spec):
    try:
        model = layer_registry.build_model(spec)
    except RegistryError:
        return
    assert isinstance(model, keras.Model)


# YAML can say what a dict cannot: small text that is huge once its aliases are expanded,
# merge keys, nesting deeper than Python's stack, keys that are not strings.
YAML_LEAVES = st.sampled_from(
    [
        *("lol", "1", "-3", "0.5", "~", "yes", "on", "[]", "{}", '"x"', "Dense", "2001-12-14"),
        *("1" * 120, "0x" + "f" * 120, "!!binary aGVsbG8=", "&x 1", "*undefined"),
    ]
)


@st.composite
def yaml_values(draw) -> str:
    """A YAML flow value: an alias chain, a chain of merges, deep nesting or a plain leaf."""
    kind = draw(st.sampled_from(["aliases", "merges", "deep", "leaf"]))
    if kind == "aliases":
        levels, width, leaf = draw(st.integers(1, 10)), draw(st.integers(1, 10)), draw(YAML_LEAVES)
        anchors = [f"&a0 [{', '.join([leaf] * width)}]"]
        anchors += [f"&a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
        return f"[{', '.join(anchors)}]"
    if kind == "merges":
        levels = draw(st.integers(1, 40))
        anchors = ["&m0 {units: 2}"]
        anchors += [f"&m{i} {{<<: [*m{i - 1}, *m0], k{i}: {i}}}" for i in range(1, levels)]
        return f"[{', '.join(anchors)}]"
    if kind == "deep":
        depth = draw(st.integers(1, 400))
        return "[" * depth + draw(YAML_LEAVES) + "]" * depth
    return draw(YAML_LEAVES)


YAML_SPECS = st.builds(
    str.format,
    st.sampled_from(
        [
            "input_shape: [4]\nlayers:\n  - {{layer: Dense, units: {0}}}\n",
            "input_shape: [4]\nlayers:\n  - {{layer: Dense, units: 1, name: {0}}}\n",
            "input_shape: [4]\nlayers:\n  - {{layer: StringLookup, vocabulary: {0}}}\n",
            "input_shape: [4]\nlayers:\n  - {{layer: Dense, units: 1, {0}: 2}}\n",
            "input_shape: [4]\nlayers: {0}\n",
            "input_shape: {0}\nlayers: [ReLU]\n",
            "{0}: 1\ninput_shape: [4]\nlayers: [ReLU]\n",
            "inputs: {{x: {0}}}\nnodes: {{y: {{layer: Dense, units: 1, inputs: x}}}}\noutputs: y\n",
        ]
    ),
    yaml_values(),
)


@given(YAML_SPECS)
def test_fuzzed_yaml_specs_build_or_raise_a_spec_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("yaml") / "spec.yaml"
    path.write_text(text)
    with contextlib.suppress(RegistryError):  # anything else escaping fails the test
        layer_registry.build_model(path)


CONFIG_KEYS = [
    "class_name",
    "module",
    "config",
    "registered_name",
    "layers",
    "name",
    "inbound_nodes",
    "build_config",
    "__lambda__",
    "function",
    "units",
]
CONFIG_LEAVES = st.one_of(
    st.none(),
    st.integers(-2, 10),
    st.text(max_size=8),
    st.sampled_from(
        [
            "Dense",
            "Functional",
            "Sequential",
            "keras.layers",
            "examples>CustomLinear",
            "os",
            "system",
            "builtins",
            "keras",
            "InputLayer",
            "eval",
        ]
    ),
)
CONFIGS = st.recursive(
    CONFIG_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(CONFIG_KEYS), children, max_size=5),
    ),
    max_leaves=30,
)


@given(CONFIGS)
def test_fuzzed_keras_configs_load_or_raise_a_registry_error(tmp_path_factory, config):
    path = tmp_path_factory.mktemp("fuzz") / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": keras.__version__}))
    with contextlib.suppress(RegistryError):  # anything else escaping fails the test
        layer_registry.load_model(path)
