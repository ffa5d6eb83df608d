"""Hostile and malformed names and arguments: a specific error, one CLI line, nothing imported."""

from __future__ import annotations

import keras
import pytest
from hypothesis import given
from hypothesis import strategies as st

import layer_registry
from layer_registry import LayerConfigError
from layer_registry import LayerNotFoundError
from support.processes import run_cli
from support.processes import run_python

HOSTILE = [
    "",
    " ",
    ">",
    ">>",
    "*",
    "[!a]*",
    "?" * 3,
    "x" * 100_000,
    "Слой",
    "层>层",
    "\x00",
    "../../etc/passwd",
    "os>system",
    "builtins>eval",
    "examples>",
    ">CustomLinear",
    "examples>CustomLinear>x",
    "examples>customlinear",
    "EXAMPLES>CustomLinear",
]


@pytest.mark.parametrize("name", HOSTILE, ids=[repr(n)[:30] for n in HOSTILE])
def test_a_hostile_name_raises_layer_not_found(name):
    with pytest.raises(LayerNotFoundError):
        layer_registry.get(name)


def test_a_glob_is_not_a_name_but_works_as_a_pattern():
    with pytest.raises(LayerNotFoundError):
        layer_registry.get("examples>*")
    assert "examples>CustomLinear" in layer_registry.names("examples>*")


@pytest.mark.parametrize("name", ["", "x" * 5000, "Слой", "os>system", "*"])
def test_the_cli_answers_a_hostile_name_with_one_line_and_exit_2(name):
    result = run_cli("show", name)
    assert result.returncode == 2
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < 400  # a 5000-character name is not echoed back whole


def test_a_name_never_imports_the_module_it_mentions(tmp_path):
    (tmp_path / "evil_module_xyz.py").write_text(
        f"open({str(tmp_path / 'imported')!r}, 'w').write('yes')\n"
    )
    code = (
        "import layer_registry\n"
        "for name in ['evil_module_xyz>Thing', 'evil_module_xyz', 'evil_module_xyz.Thing']:\n"
        "    try:\n        layer_registry.get(name)\n"
        "    except layer_registry.LayerNotFoundError:\n        pass\n"
    )
    result = run_python(code, pythonpath=[tmp_path])
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "imported").exists()


@given(st.text(max_size=60))
def test_fuzzed_names_only_ever_raise_layer_not_found(name):
    try:
        cls = layer_registry.get(name)
    except LayerNotFoundError:
        return
    assert issubclass(cls, keras.layers.Layer)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.text(max_size=8),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3),
)


@given(
    st.sampled_from(
        [
            "examples>CustomLinear",
            "CustomNonLinear",
            "periodic>Snake",
            "periodic>Time2Vec",
            "SineDense",
        ]
    ),
    st.dictionaries(
        st.sampled_from(
            [
                "units",
                "unit",
                "w0",
                "name",
                "dtype",
                "alpha_initializer",
                "kernel_initializer",
                "trainable",
                "is_first",
                "bogus",
            ]
        ),
        SCALARS,
        max_size=4,
    ),
)
def test_fuzzed_constructor_arguments_only_raise_layer_config_error(name, kwargs):
    try:
        layer = layer_registry.create(name, **kwargs)
    except LayerConfigError:
        return
    assert isinstance(layer, keras.layers.Layer)
