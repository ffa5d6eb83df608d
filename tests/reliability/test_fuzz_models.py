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
SEQUENTIAL = st.fixed_dictionaries(
    {
        "input_shape": mostly(st.lists(st.integers(1, 6), min_size=1, max_size=2)),
        "layers": st.lists(st.one_of(LAYER, st.sampled_from(LAYER_NAMES)), min_size=1, max_size=4),
    }
)


@given(st.one_of(TREES, SEQUENTIAL))
def test_fuzzed_specs_build_or_raise_a_spec_error(spec):
    try:
        model = layer_registry.build_model(spec)
    except RegistryError:
        return
    assert isinstance(model, keras.Model)


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
