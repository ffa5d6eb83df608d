"""Hostile model specs: alias bombs, deep or odd YAML and JSON, files read into the model.

A spec is data from anywhere. Whatever it holds, `build_model` answers with a `SpecError` that
says what and where, in bounded time and memory, and reads no file it was not allowed to.
"""

from __future__ import annotations

import json
import textwrap
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import pytest

import layer_registry
from layer_registry import SpecError
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli
from support.processes import run_python

HEAD = "input_shape: [4]\nlayers:\n"


def alias_bomb(levels: int, width: int = 9) -> str:
    """A billion-laughs spec: each anchor repeats the one before ``width`` times.

    With 9 levels of 9 it is under 600 bytes and expands to 9**9 (387 million) strings.
    """
    anchors = ["&l0 [" + ", ".join(["lol"] * width) + "]"]
    anchors += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return HEAD + f"  - layer: Dense\n    units: [{', '.join(anchors)}]\n"


def peak_allocation(call: Callable[[], object]) -> tuple[Exception | None, int]:
    """What ``call`` raised (None if nothing) and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        call()
    except Exception as exc:  # the caller asserts what it was
        return exc, tracemalloc.get_traced_memory()[1]
    else:
        return None, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import Keras and load the plugins first: the memory measured is the spec's alone."""
    layer_registry.build_model({"input_shape": [4], "layers": [{"layer": "Dense", "units": 1}]})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- size: alias bombs and what error messages show ------------------------------------------


@pytest.mark.parametrize("levels", [7, 9])
def test_an_alias_bomb_is_refused_before_anything_expands_it(tmp_path: Path, levels: int) -> None:
    path = write(tmp_path, "bomb.yaml", alias_bomb(levels))
    assert len(path.read_bytes()) < 600
    error, peak = peak_allocation(lambda: layer_registry.build_model(path))
    assert isinstance(error, SpecError), error
    assert error.path == "layers[0].units"
    assert "more than 1,000,000 values" in error.problem
    assert "aliases" in error.problem
    assert peak < 5_000_000, f"{peak:,} bytes allocated"
    assert len(str(error)) < 400


def test_shared_lists_in_a_dict_spec_count_as_often_as_they_appear() -> None:
    shared: Any = ["lol"] * 9
    for _ in range(8):
        shared = [shared] * 9
    spec = {"input_shape": [4], "layers": [{"layer": "Dense", "units": 1, "name": shared}]}
    error, peak = peak_allocation(lambda: layer_registry.build_model(spec))
    assert isinstance(error, SpecError), error
    assert error.path == "layers[0].name"
    assert "more than 1,000,000 values" in error.problem
    assert peak < 5_000_000, f"{peak:,} bytes allocated"


def test_a_long_text_repeated_by_aliases_counts_every_repetition(tmp_path: Path) -> None:
    text = "x" * 200_000
    anchors = f"&t0 [{text}], " + ", ".join(f"&t{i} [*t{i - 1}, *t{i - 1}]" for i in range(1, 7))
    path = write(tmp_path, "long.yaml", HEAD + f"  - {{layer: Dense, units: [{anchors}]}}\n")
    with pytest.raises(SpecError, match="more than 10,000,000 characters") as caught:
        layer_registry.build_model(path)
    assert caught.value.path == "layers[0].units"


def test_a_value_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "cycle.yaml", HEAD + "  - {layer: Dense, units: &a [1, *a]}\n")
    with pytest.raises(SpecError, match="contains itself") as caught:
        layer_registry.build_model(path)
    assert (caught.value.file, caught.value.path) == (str(path), "layers[0].units")

    looped: list[Any] = [1]
    looped.append({"again": looped})
    with pytest.raises(SpecError, match="contains itself") as caught:
        layer_registry.build_model(
            {"input_shape": [4], "layers": [{"layer": "Dense", "x": looped}]}
        )
    assert caught.value.path == "layers[0].x"


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        (
            {"input_shape": [4], "layers": [{"layer": "Dense", "units": ["x" * 200_000]}]},
            "layers[0]",
        ),
        ({"input_shape": [4], "layers": [{"layer": "x" * 200_000}]}, "layers[0].layer"),
        ({"input_shape": [4], "layers": [{"layer": "Dense", "x" * 200_000: 1}]}, "layers[0]"),
        ({"input_shape": [4], "layers": ["ReLU"], "x" * 200_000: 1}, ""),
        ({"input_shape": ["x" * 200_000], "layers": ["ReLU"]}, "input_shape[0]"),
        (
            {
                "inputs": {"x": [4]},
                "nodes": {"y" * 200_000: {"layer": "ReLU", "inputs": "x"}},
                "outputs": "c",
            },
            "outputs",
        ),
        (
            {
                "inputs": {"x": [4]},
                "nodes": {"c": {"layer": "ReLU", "inputs": ["x" * 200_000]}},
                "outputs": "c",
            },
            "nodes.c.inputs[0]",
        ),
    ],
    ids=["value", "layer", "argument", "key", "shape", "node", "input"],
)
def test_error_messages_stay_short_whatever_the_spec_holds(spec: object, path: str) -> None:
    with pytest.raises(SpecError) as caught:
        layer_registry.build_model(spec)  # type: ignore[arg-type]
    assert caught.value.path.startswith(path)
    assert len(str(caught.value)) < 1000, str(caught.value)[:300]


def test_a_spec_builds_at_most_10_000_layers(tmp_path: Path) -> None:
    path = write(tmp_path, "many.yaml", "input_shape: [4]\nlayers: [" + "ReLU, " * 10_001 + "]\n")
    error, peak = peak_allocation(lambda: layer_registry.build_model(path))
    assert isinstance(error, SpecError), error
    assert (error.path, error.problem) == (
        "layers",
        "the spec builds more than 10,000 layers; that is the most a spec may",
    )
    assert peak < 20_000_000, f"{peak:,} bytes allocated"  # the YAML parser's, no layer's

    # Nested layers count too, each time an alias (a shared mapping) repeats them.
    spec = {"input_shape": [4], "layers": [{"RNN": {"cell": [{"ReLU": None}] * 10_001}}]}
    with pytest.raises(SpecError, match="more than 10,000 layers") as caught:
        layer_registry.build_model(spec)
    assert caught.value.path == "layers[0].cell[9999]"


def test_a_spec_file_is_read_no_further_than_a_spec_may_be(tmp_path: Path) -> None:
    from layer_registry._models._spec import MAX_CHARACTERS

    path = write(tmp_path, "huge.yaml", "#" * (2 * MAX_CHARACTERS + 1))
    with pytest.raises(SpecError, match="the file holds more than 20,000,000 characters"):
        layer_registry.build_model(path)


def test_shown_is_bounded_for_any_value() -> None:
    from layer_registry._errors import shown

    shared: Any = ["lol"] * 9
    for _ in range(12):  # 9**13 strings once expanded
        shared = [shared] * 9
    assert len(shown(shared)) <= 80
    assert shown("x" * 10) == repr("x" * 10)
    assert shown(10**5000) == "<an integer of 16,610 bits>"
    assert len(shown(b"x" * 10**6)) <= 80


# -- deep or odd YAML and JSON ---------------------------------------------------------------

DEEP = 5000


ODD_FILES = [
    (
        "deep.yaml",
        HEAD + "  - {layer: Dense, units: " + "[" * DEEP + "]" * DEEP + "}\n",
        "nested more than 100 levels deep",
        3,
    ),
    (
        "deep.json",
        '{"input_shape": [4], "layers": [{"layer": "Dense", "units": '
        + "[" * DEEP
        + "]" * DEEP
        + "}]}",
        "nested more than 100 levels deep",
        None,
    ),
    (
        "list_key.yaml",
        HEAD + "  - {layer: Dense, units: 1, [a, b]: 2}\n",
        "a key must be a plain value such as a name, not a list",
        3,
    ),
    (
        "mapping_key.yaml",
        HEAD + "  - layer: Dense\n    units: 1\n    ? {a: 1}\n    : 2\n",
        "a key must be a plain value such as a name, not a mapping",
        5,
    ),
    (
        "big.yaml",
        HEAD + "  - {layer: Dense, units: " + "1" * 5000 + "}\n",
        "an integer of more than 100 digits",
        3,
    ),
    (
        "big_hex.yaml",
        HEAD + "  - {layer: Dense, units: 0x" + "f" * 5000 + "}\n",
        "an integer of more than 100 digits",
        3,
    ),
    (
        "big.json",
        '{"input_shape": [4], "layers": [{"layer": "Dense", "units": ' + "1" * 5000 + "}]}",
        "an integer of more than 100 digits",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected", "line"), ODD_FILES, ids=[case[0] for case in ODD_FILES]
)
def test_deep_or_odd_files_are_spec_errors_with_a_line(
    tmp_path: Path, name: str, text: str, expected: str, line: int | None
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(SpecError) as caught:
        layer_registry.build_model(path)
    assert expected in caught.value.problem
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("  - {layer: Dense, units: 1, on: 2}\n", "layers[0]", "got bool True"),
        ("  - {layer: Dense, units: 1, ~: 2}\n", "layers[0]", "got NoneType None"),
        ("  - {layer: Dense, units: 1, 2001-12-14: 2}\n", "layers[0]", "got date"),
        ("  - {layer: Dense, units: 1, 3: 2}\n", "layers[0]", "got int 3"),
    ],
    ids=["bool", "null", "date", "int"],
)
def test_argument_names_that_yaml_reads_as_other_types(
    tmp_path: Path, text: str, path: str, expected: str
) -> None:
    with pytest.raises(SpecError) as caught:
        layer_registry.build_model(write(tmp_path, "keys.yaml", HEAD + text))
    assert caught.value.path == path
    assert "argument names are strings" in caught.value.problem
    assert expected in caught.value.problem
    assert "quote" in caught.value.problem


def test_a_bool_key_of_the_spec_says_to_quote_it(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="YAML reads an unquoted yes") as caught:
        layer_registry.build_model(write(tmp_path, "yes.yaml", "yes: 1\n" + HEAD + "  - ReLU\n"))
    assert caught.value.path == ""


def test_deep_and_huge_values_in_a_dict_spec() -> None:
    deep: list[Any] = []
    inner = deep
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    with pytest.raises(SpecError, match="nested more than 100 levels deep") as caught:
        layer_registry.build_model(
            {"input_shape": [4], "layers": [{"layer": "Dense", "units": deep}]}
        )
    assert caught.value.path.startswith("layers[0].units[0][0]")
    assert len(str(caught.value)) < 400

    with pytest.raises(SpecError, match="an integer of more than 100 digits") as caught:
        layer_registry.build_model(
            {"input_shape": [4], "layers": [{"layer": "Dense", "units": 10**5000}]}
        )
    assert caught.value.path == "layers[0].units"

    with pytest.raises(SpecError, match="argument names are strings, got int 1") as caught:
        layer_registry.build_model({"input_shape": [4], "layers": [{"layer": "Dense", 1: 2}]})
    assert caught.value.path == "layers[0]"


# -- files: a spec reads none unless told ----------------------------------------------------

SECRET = "hunter2\nswordfish\n"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    return write(tmp_path, "secret.txt", SECRET)


@pytest.mark.parametrize(
    ("layer", "argument"),
    [
        ("StringLookup", "vocabulary"),
        ("IntegerLookup", "vocabulary"),
        ("TextVectorization", "vocabulary"),
        ("TFSMLayer", "filepath"),
    ],
)
def test_a_layer_argument_that_names_a_file_is_refused(
    secret: Path, layer: str, argument: str
) -> None:
    spec = {"input_shape": [1], "layers": [{"layer": layer, argument: str(secret)}]}
    with pytest.raises(SpecError) as caught:
        layer_registry.build_model(spec)
    assert caught.value.path == f"layers[0].{argument}"
    assert f"{layer} would read the file" in caught.value.problem
    assert "allow_files=True" in caught.value.problem
    assert "--allow-files" in caught.value.problem
    assert "hunter2" not in str(caught.value)


def test_a_path_object_and_a_graph_node_are_refused_too(secret: Path) -> None:
    spec = {
        "inputs": {"words": {"shape": [1], "dtype": "string"}},
        "nodes": {"ids": {"layer": "StringLookup", "inputs": "words", "vocabulary": secret}},
        "outputs": "ids",
    }
    with pytest.raises(SpecError, match="allow_files=True") as caught:
        layer_registry.build_model(spec)
    assert caught.value.path == "nodes.ids.vocabulary"


def test_a_layer_inside_a_layer_may_not_read_a_file_either(secret: Path) -> None:
    inner = {"StringLookup": {"vocabulary": str(secret)}}
    spec = {"input_shape": [2, 1], "layers": [{"TimeDistributed": {"layer": inner}}]}
    with pytest.raises(SpecError, match="allow_files=True") as caught:
        layer_registry.build_model(spec)
    assert caught.value.path == "layers[0].layer.vocabulary"


def test_allow_files_reads_a_trusted_vocabulary(secret: Path, tmp_path: Path) -> None:
    spec = {
        "input_shape": [1],
        "input_dtype": "string",
        "layers": [{"layer": "StringLookup", "vocabulary": str(secret)}],
    }
    model = layer_registry.build_model(spec, allow_files=True)
    assert model.layers[0].get_vocabulary() == ["[UNK]", "hunter2", "swordfish"]
    ids = model.layers[0](["swordfish", "nope"])
    assert keras.ops.convert_to_numpy(ids).tolist() == [2, 0]


def test_a_vocabulary_given_as_a_list_needs_no_permission() -> None:
    spec = {
        "input_shape": [1],
        "input_dtype": "string",
        "layers": [{"layer": "StringLookup", "vocabulary": ["a", "b"]}],
    }
    model = layer_registry.build_model(spec)
    assert model.layers[0].get_vocabulary() == ["[UNK]", "a", "b"]


SAFE_MODE_PROBE = textwrap.dedent(
    """
    from keras.src.saving import serialization_lib

    import layer_registry

    model = layer_registry.build_model(
        {"input_shape": [3], "layers": [{"layer": "probe>Probe"}]}, allow_files=True
    )
    print(model.layers[0].seen, serialization_lib.in_safe_mode())
    """
)


def test_layers_are_constructed_in_keras_safe_mode(tmp_path: Path) -> None:
    # A layer of a throw-away plugin records the safe mode its constructor runs in.
    source = plugin_source(
        "Probe",
        preamble="""
        from keras.src.saving import serialization_lib
        """,
    ).replace(
        "        self.units = units\n",
        "        self.units = units\n        self.seen = serialization_lib.in_safe_mode()\n",
    )
    write_plugin(tmp_path, distribution="probe-layers", namespace="probe", source=source)
    result = run_python(SAFE_MODE_PROBE, pythonpath=[tmp_path])
    assert result.returncode == 0, result.stderr
    # True while building (even with allow_files), and put back afterwards.
    assert result.stdout.split()[-2:] == ["True", "None"]


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bomb.yaml", alias_bomb(9), "layers[0].units: the spec holds more than 1,000,000 values"),
        (
            "deep.yaml",
            HEAD + "  - {layer: Dense, units: " + "[" * DEEP + "]" * DEEP + "}\n",
            "line 3: nested more than 100 levels deep",
        ),
        (
            "vocabulary.yaml",
            "input_shape: [1]\ninput_dtype: string\nlayers:\n"
            "  - {layer: StringLookup, vocabulary: secret.txt}\n",
            "layers[0].vocabulary: StringLookup would read the file 'secret.txt'",
        ),
    ],
    ids=["bomb", "deep", "vocabulary"],
)
def test_the_build_command_refuses_in_one_line(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    write(tmp_path, "secret.txt", SECRET)
    write(tmp_path, name, text)
    result = run_cli("build", name, "-o", "model.keras", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {name}")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "model.keras").exists()


def test_the_build_command_reads_files_with_allow_files(tmp_path: Path) -> None:
    write(tmp_path, "secret.txt", SECRET)
    spec = {
        "input_shape": [1],
        "input_dtype": "string",
        "layers": [{"layer": "StringLookup", "vocabulary": "secret.txt"}],
    }
    write(tmp_path, "vocabulary.json", json.dumps(spec))
    result = run_cli("build", "vocabulary.json", "--allow-files", "-o", "m.keras", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "vocabulary.json: model" in result.stdout
    assert (tmp_path / "m.keras").exists()
