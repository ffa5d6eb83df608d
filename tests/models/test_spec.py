"""build_model: specs as dicts, YAML and JSON files; their errors; the build command; the guide."""

from __future__ import annotations

import json
import shlex
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

import layer_registry
from layer_registry._cli import main
from support.models import GUIDES
from support.models import guide_blocks
from support.processes import run_python

SPECS = GUIDES / "specs"


def _sequential(*layers: object, **extra: object) -> dict[str, object]:
    return {"input_shape": [16], "layers": list(layers), **extra}


# -- building ----------------------------------------------------------------------------------


def test_sequential_spec_mixes_plugin_and_builtin_layers() -> None:
    import keras

    model = layer_registry.build_model(SPECS / "regressor.yaml")
    assert model.name == "regressor"
    assert [type(layer).__name__ for layer in model.layers] == [
        "CustomLinear",
        "ReLU",
        "CustomNonLinear",
        "Dense",
    ]
    assert isinstance(model.layers[1], keras.layers.ReLU)
    assert model.output_shape == (None, 1)
    assert model.count_params() == 16 * 32 + 32 + 32 * 8 + 8 + 8 + 8 + 1


def test_graph_spec_with_several_inputs_and_outputs() -> None:
    model = layer_registry.build_model(SPECS / "two_towers.yaml")
    assert [tensor.name for tensor in model.inputs] == ["features", "context"]
    assert {"encoder", "waves", "joined", "score", "label"} <= {
        layer.name for layer in model.layers
    }
    assert type(model.get_layer("encoder")).__name__ == "CustomLinear"
    assert model.get_layer("label").get_config()["activation"] == "softmax"
    score, label = model.predict([np.ones((2, 16)), np.ones((2, 4))], verbose=0)
    assert score.shape == (2, 1) and label.shape == (2, 3)


def test_json_file_and_dict_build_the_same_model(tmp_path: Path) -> None:
    spec = yaml.safe_load((SPECS / "two_towers.yaml").read_text())
    path = tmp_path / "two_towers.json"
    path.write_text(json.dumps(spec))
    from_yaml = layer_registry.build_model(SPECS / "two_towers.yaml")
    for model in (layer_registry.build_model(path), layer_registry.build_model(spec)):
        assert [(layer.name, type(layer)) for layer in model.layers] == [
            (layer.name, type(layer)) for layer in from_yaml.layers
        ]
        assert model.count_params() == from_yaml.count_params()


def test_nodes_may_be_listed_in_any_order_and_outputs_may_be_one_node() -> None:
    model = layer_registry.build_model(
        {
            "inputs": {"x": [4]},
            "nodes": {
                "head": {"layer": "Dense", "inputs": ["hidden"], "units": 1},
                "hidden": {"layer": "examples>CustomLinear", "inputs": "x", "units": 3},
            },
            "outputs": "head",
        }
    )
    assert model.output_shape == (None, 1)
    assert model.get_layer("hidden").units == 3


def test_layer_names_follow_the_registry_rules() -> None:
    model = layer_registry.build_model(
        _sequential(
            {"layer": "examples>CustomLinear", "units": 2},
            {"layer": "CustomInitLayer", "units": 2},
            "Flatten",
        )
    )
    assert [type(layer).__name__ for layer in model.layers] == [
        "CustomLinear",
        "CustomInitLayer",
        "Flatten",
    ]


def test_input_dtype_and_variable_dimensions() -> None:
    model = layer_registry.build_model(
        {
            "input_shape": [None],
            "input_dtype": "int32",
            "layers": [{"layer": "Embedding", "input_dim": 10, "output_dim": 4}],
        }
    )
    assert model.input_shape == (None, None)
    assert model.inputs[0].dtype == "int32"


def test_a_layer_is_a_name_a_layer_key_or_its_name_with_its_arguments(tmp_path: Path) -> None:
    path = tmp_path / "forms.yaml"
    path.write_text(
        textwrap.dedent(
            """
            input_shape: [16]
            layers:
              - examples>CustomLinear: {units: 8}
              - ReLU:
              - Flatten
              - layer: Dense
                units: 2
              - Dense:
                  units: 1
                  activation: sigmoid
            """
        )
    )
    model = layer_registry.build_model(path)
    assert [type(layer).__name__ for layer in model.layers] == [
        "CustomLinear",
        "ReLU",
        "Flatten",
        "Dense",
        "Dense",
    ]
    assert model.layers[0].units == 8
    assert model.layers[-1].get_config()["activation"] == "sigmoid"
    assert model.output_shape == (None, 1)


def test_a_layer_argument_may_be_a_layer_at_any_depth() -> None:
    model = layer_registry.build_model(
        {
            "input_shape": [5, 3],
            "layers": [
                {"RNN": {"cell": {"layer": "SimpleRNNCell", "units": 4}, "return_sequences": True}},
                # Bidirectional's own argument is called layer: the one-key form says it.
                {
                    "Bidirectional": {
                        "layer": {
                            "RNN": {
                                "cell": {"SimpleRNNCell": {"units": 2}},
                                "return_sequences": True,
                            }
                        }
                    }
                },
                {
                    "layer": "RNN",
                    "cell": [{"SimpleRNNCell": {"units": 3}}, {"GRUCell": {"units": 2}}],
                },
            ],
        }
    )
    rnn, bidirectional, stacked = model.layers
    assert type(rnn.cell).__name__ == "SimpleRNNCell" and rnn.cell.units == 4
    assert type(bidirectional.forward_layer.cell).__name__ == "SimpleRNNCell"
    assert bidirectional.forward_layer.cell.units == 2
    assert [type(cell).__name__ for cell in stacked.cell.cells] == ["SimpleRNNCell", "GRUCell"]
    assert model.output_shape == (None, 2)


def test_a_mapping_that_names_no_layer_stays_a_value() -> None:
    initializer = {"class_name": "Ones", "config": {}}
    model = layer_registry.build_model(
        _sequential({"Dense": {"units": 1, "bias_initializer": initializer}})
    )
    assert model.layers[0].get_config()["bias_initializer"]["class_name"] == "Ones"

    # One key that is no layer's name: the constructor gets it as it is (and Keras refuses it).
    with pytest.raises(layer_registry.SpecError) as caught:
        layer_registry.build_model(
            _sequential({"Dense": {"units": 1, "bias_initializer": {"Constant": {"value": 2}}}})
        )
    assert caught.value.path == "layers[0]"
    assert "bias_initializer={'Constant': {'value': 2}}) failed" in caught.value.problem


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "path", "expected"),
    [
        (_sequential({"layer": "Dens", "units": 1}), "layers[0].layer", "did you mean 'Dense'"),
        (
            _sequential({"layer": "CustomLiner", "units": 1}),
            "layers[0].layer",
            "'examples>CustomLinear'",
        ),
        (_sequential({"layer": "examples>Nope"}), "layers[0].layer", "no layer is registered"),
        (_sequential({"units": 1}), "layers[0].layer", "missing"),
        (_sequential({"layer": 3}), "layers[0].layer", "expected a layer name, got int 3"),
        (_sequential(["Dense"]), "layers[0]", "expected a layer"),
        (
            _sequential({"layer": "Dense", "unitz": 1}),
            "layers[0].unitz",
            "Dense got an unexpected keyword argument 'unitz' (did you mean 'units'?)",
        ),
        (
            _sequential("ReLU", "ReLU", {"layer": "examples>CustomLinear", "units": "8"}),
            "layers[2].units",
            "Received: units='8'",
        ),
        (_sequential({"layer": "Dense", "units": -1}), "layers[0].units", "units=-1"),
        (
            _sequential({"layer": "Conv2D", "filters": 1, "kernel_size": 3}),
            "layers[0]",
            "cannot take the previous layer's output",
        ),
        (_sequential("Input"), "layers[0].layer", "declare inputs"),
        (
            _sequential({"Dense": {"unitz": 1}}),
            "layers[0].unitz",
            "Dense got an unexpected keyword argument 'unitz'",
        ),
        (_sequential({"Dens": {"units": 1}}), "layers[0]", "did you mean 'Dense'"),
        (_sequential({"Dense": 3}), "layers[0].layer", "Dense: {units: 1}"),
        (
            _sequential({"layer": "RNN", "cell": {"layer": "SimpleRNNCell", "unitz": 4}}),
            "layers[0].cell.unitz",
            "SimpleRNNCell got an unexpected keyword argument 'unitz'",
        ),
        (
            _sequential({"RNN": {"cell": {"layer": "SimpleRNNCel", "units": 4}}}),
            "layers[0].cell.layer",
            "did you mean 'SimpleRNNCell'",
        ),
        (
            _sequential({"RNN": {"cell": [{"GRUCell": {"units": 2}}, {"GRUCell": {"units": 0}}]}}),
            "layers[0].cell[1]",
            "GRUCell(units=0) failed",
        ),
        (
            _sequential({"Bidirectional": {"layer": {"LSTM": {"units": 2, "vocabulary": 1}}}}),
            "layers[0].layer.vocabulary",
            "LSTM got an unexpected keyword argument 'vocabulary'",
        ),
        ({"layers": ["ReLU"]}, "input_shape", "missing"),
        (_sequential("ReLU", input_shape=[16, 0]), "input_shape[1]", "positive integer"),
        (_sequential("ReLU", input_dtype="float99"), "input_dtype", "dtype"),
        ({"input_shape": [16], "layers": []}, "layers", "non-empty list"),
        ({"input_shape": [16], "layer": ["ReLU"]}, "layer", "did you mean 'layers'"),
        (_sequential("ReLU", outputs=["x"]), "outputs", "unknown key"),
        ([1, 2], "", "a spec is a mapping"),
        ({"layers": [], "nodes": {}}, "", "not both"),
    ],
)
def test_sequential_errors_name_the_place(spec: object, path: str, expected: str) -> None:
    with pytest.raises(layer_registry.SpecError) as caught:
        layer_registry.build_model(spec)  # type: ignore[arg-type]
    assert caught.value.path == path
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"{path}: " if path else "")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, layer_registry.RegistryError)


def _graph(nodes: dict[str, object], outputs: object = "c", **inputs: object) -> dict:
    return {"inputs": inputs or {"x": [4]}, "nodes": nodes, "outputs": outputs}


def _dense(inputs: object, **kwargs: object) -> dict[str, object]:
    return {"layer": "Dense", "inputs": inputs, "units": 2, **kwargs}


@pytest.mark.parametrize(
    ("spec", "path", "expected"),
    [
        (_graph({"c": _dense("y")}), "nodes.c.inputs", "no input or node is named 'y'"),
        (_graph({"c": _dense(["x", "b"])}), "nodes.c.inputs[1]", "no input or node"),
        (_graph({"c": {"layer": "Dense", "units": 2}}), "nodes.c.inputs", "missing"),
        (_graph({"c": _dense([])}), "nodes.c.inputs", "expected an input or node name"),
        (_graph({"c": _dense("c")}), "nodes.c.inputs", "its own output"),
        (
            _graph({"a": _dense("b"), "b": _dense("a"), "c": _dense("a")}),
            "nodes.b.inputs",
            "cycle: a -> b -> a",
        ),
        (_graph({"c": _dense("x")}, outputs="d"), "outputs", "no node is named 'd'"),
        (_graph({"c": _dense("x")}, outputs=["c", "e"]), "outputs[1]", "named 'e'"),
        (_graph({"c": _dense("x")}, outputs=[]), "outputs", "expected a node name"),
        (_graph({"c": _dense("x"), "d": _dense("x")}), "nodes.d", "leads to no output"),
        (_graph({"c": _dense("x")}, x=[4], y=[2]), "inputs.y", "no output depends"),
        (_graph({"x": _dense("x")}), "nodes.x", "already the name of an input"),
        (_graph({"c": _dense("x")}, x={"shap": [4]}), "inputs.x.shap", "did you mean 'shape'"),
        (_graph({"c": _dense("x")}, x="4"), "inputs.x", "expected {shape"),
        (
            _graph({"c": {"layer": "Add", "inputs": ["x", "y"]}}, x=[4], y=[3]),
            "nodes.c",
            "calling Add on x, y failed",
        ),
        (_graph({"c": _dense("x", activation="nope")}), "nodes.c", "Dense("),
        (
            _graph({"c": {"layer": "RNN", "inputs": "x", "cell": {"GRUCell": {"units": -2}}}}),
            "nodes.c.cell",
            "GRUCell(units=-2) failed",
        ),
        ({"nodes": {"c": _dense("x")}, "outputs": "c"}, "inputs", "missing"),
        ({"inputs": {"x": [4]}, "nodes": {"c": _dense("x")}}, "outputs", "missing"),
    ],
)
def test_graph_errors_name_the_place(spec: object, path: str, expected: str) -> None:
    with pytest.raises(layer_registry.SpecError) as caught:
        layer_registry.build_model(spec)  # type: ignore[arg-type]
    assert caught.value.path == path
    assert expected in str(caught.value)


def test_errors_in_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("input_shape: [16]\nlayers:\n  - layer: Dens\n")
    with pytest.raises(layer_registry.SpecError) as caught:
        layer_registry.build_model(path)
    assert caught.value.file == str(path)
    assert caught.value.path == "layers[0].layer"
    assert str(caught.value).startswith(f"{path}: layers[0].layer: ")


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad.yaml", "input_shape: [16]\nlayers:\n  - layer: Dense\n   units: 1\n", 4),
        ("bad.yml", "input_shape: [16\nlayers: []\n", 2),
        ("bad.json", '{\n  "input_shape": [16],\n  "layers": [,]\n}\n', 3),
    ],
)
def test_malformed_files_name_the_file_and_line(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(layer_registry.SpecError) as caught:
        layer_registry.build_model(path)
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert str(caught.value).startswith(f"{path}, line {line}: not valid ")


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    marker = tmp_path / "pwned"
    path.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(layer_registry.SpecError, match="not valid YAML"):
        layer_registry.build_model(path)
    assert not marker.exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(layer_registry.SpecError, match="cannot read the spec"):
        layer_registry.build_model(tmp_path / "nowhere.yaml")


# -- command line ------------------------------------------------------------------------------


def test_build_command_checks_summarizes_and_saves(tmp_path: Path, capsys) -> None:
    spec = SPECS / "regressor.yaml"
    assert main(["build", str(spec)]) == 0
    assert capsys.readouterr().out == f"{spec}: model 'regressor', 4 layers, 825 parameters\n"

    output = tmp_path / "regressor.keras"
    assert main(["build", str(spec), "--summary", "-o", str(output)]) == 0
    captured = capsys.readouterr()
    assert "(CustomLinear)" in captured.out and "Total params: 825" in captured.out
    assert f"saved {output}" in captured.err
    assert main(["requirements", str(output)]) == 0
    assert capsys.readouterr().out == "layer-registry-examples==0.1.0\n"


def test_build_command_reports_spec_errors_in_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("input_shape: [16]\nlayers:\n  - {layer: Dense, unitz: 1}\n")
    assert main(["build", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: layers[0].unitz: Dense got an unexpected keyword")
    assert err.count("\n") == 1


def test_requirements_command_on_a_model_without_plugins(tmp_path: Path, capsys) -> None:
    import keras

    path = tmp_path / "plain.keras"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(path)
    assert main(["requirements", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "uses no plugin layers" in captured.err


def test_requirements_command_on_a_broken_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.keras"
    path.write_bytes(b"PK\x03\x04 truncated")
    assert main(["requirements", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path} is not a readable .keras file")


# -- the guide ---------------------------------------------------------------------------------


def test_guide_spec_blocks_are_the_spec_files() -> None:
    blocks = [block for block in guide_blocks("models.md") if block.lang == "yaml" and block.title]
    assert [block.title for block in blocks] == ["specs/regressor.yaml", "specs/two_towers.yaml"]
    for block in blocks:
        assert block.code == (GUIDES / block.title).read_text(), block.title


def test_guide_spec_snippets_build(tmp_path: Path) -> None:
    snippets = [b.code for b in guide_blocks("models.md") if b.lang == "yaml" and not b.title]
    assert len(snippets) == 2
    forms, nested = (tmp_path / "forms.yaml", tmp_path / "nested.yaml")
    forms.write_text(snippets[0])
    nested.write_text(snippets[1])
    assert [type(layer).__name__ for layer in layer_registry.build_model(forms).layers] == [
        "Dense",
        "Dense",
        "ReLU",
    ]
    rnn, bidirectional = layer_registry.build_model(nested).layers
    assert rnn.cell.units == 4
    assert type(bidirectional.forward_layer).__name__ == "GRU"


GUIDE_RUNNER = textwrap.dedent(
    """
    import contextlib
    import io
    import json
    import shlex
    import sys

    from layer_registry._cli import main

    steps = json.load(open("steps.json"))
    for kind, code in steps:
        if kind == "python":
            exec(compile(code, "models.md", "exec"), globals())
            continue
        expected_out = []
        commands = []
        for line in code.splitlines():
            if line.startswith("$ "):
                commands.append((shlex.split(line[2:])[1:], []))
            elif commands:
                commands[-1][1].append(line)
        for argv, expected in commands:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = main(argv)
            assert status == 0, (argv, status)
            assert out.getvalue().splitlines() == expected, (argv, out.getvalue(), expected)
    print("guide ok")
    """
)


def test_guide_code_runs(tmp_path: Path) -> None:
    steps = []
    for block in guide_blocks("models.md"):
        if block.lang == "python" and block.title is None:
            steps.append(("python", block.code))
        elif block.lang == "console":
            assert all(
                shlex.split(line[2:])[0] == "layer-registry"
                for line in block.code.splitlines()
                if line.startswith("$ ")
            )
            steps.append(("console", block.code))
    assert len(steps) >= 8
    (tmp_path / "steps.json").write_text(json.dumps(steps))
    shutil.copytree(SPECS, tmp_path / "specs")
    result = run_python(GUIDE_RUNNER, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("guide ok")
    assert (tmp_path / "two_towers.keras").exists()
    assert (tmp_path / "regressor.keras").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "twice.yaml",
            "inputs: {x: [4]}\nnodes:\n  a: {layer: ReLU, inputs: x}\n"
            "  a: {layer: Dense, inputs: x, units: 1}\noutputs: a\n",
        ),
        ("twice.json", '{"input_shape": [4], "layers": ["ReLU"], "layers": ["Dense"]}'),
    ],
)
def test_a_key_given_twice_is_refused(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(layer_registry.SpecError, match="appears twice") as caught:
        layer_registry.build_model(path)
    if name.endswith(".yaml"):
        assert caught.value.line == 4


def test_keyword_errors_read_as_create_does() -> None:
    with pytest.raises(layer_registry.LayerConfigError) as created:
        layer_registry.create("examples>CustomLinear", unitz=1)
    with pytest.raises(layer_registry.SpecError) as built:
        layer_registry.build_model(_sequential({"layer": "CustomLinear", "unitz": 1}))
    assert str(built.value) == f"layers[0].unitz: {created.value}"
