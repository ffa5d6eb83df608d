"""load_model, save_model, requirements and renames, across real processes and installs.

Each plugin here is a throw-away distribution (``distributions.write_plugin``) that is
"installed" in a subprocess by putting its folder on ``PYTHONPATH``, and uninstalled by leaving it
off. A model saved in one process is loaded in a fresh one.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import layer_registry
from layer_registry._models._archive import CONFIG_MEMBER
from layer_registry._models._archive import METADATA_MEMBER
from layer_registry._models._archive import PROVENANCE_MEMBER
from layer_registry._models._archive import _limits
from layer_registry._models._archive import scan as _scan
from support.distributions import layer_source
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.models import GUIDES
from support.models import guide_block
from support.processes import run_python


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Plugin roots: acme 1.0.0 (OldScale), acme 2.0.0 (renamed Scale), broken, shadow."""
    root = tmp_path_factory.mktemp("plugins")
    acme_v2 = write_plugin(
        root / "acme_v2",
        distribution="acme-layers",
        namespace="acme",
        version="2.0.0",
        module="acme_layers",
        # Version 2 is the guide's renamed plugin, verbatim.
        source=guide_block("models.md", "acme_layers/__init__.py"),
        files={"acme_layers/scale.py": layer_source("Scale")},
    )
    return {
        "acme_v1": write_plugin(
            root / "acme_v1",
            distribution="acme-layers",
            namespace="acme",
            version="1.0.0",
            module="acme_layers",
            source=plugin_source("OldScale"),
        ),
        "acme_v2": acme_v2,
        "broken": write_plugin(
            root / "broken",
            distribution="broken-layers",
            namespace="broken",
            source="raise RuntimeError('the broken plugin was imported')\n",
        ),
        # A plugin with a class named like a Keras built-in.
        "shadow": write_plugin(
            root / "shadow",
            distribution="shadow-layers",
            namespace="shadow",
            source=plugin_source("Dense"),
        ),
    }


SAVE = textwrap.dedent(
    """
    import json
    import keras
    import numpy as np
    import layer_registry

    x = np.linspace(-1, 1, 32, dtype="float32").reshape(2, 16)

    # A spec mixing plugin and built-in layers, saved with provenance and plainly.
    model = layer_registry.build_model("regressor.yaml")
    layer_registry.save_model(model, "regressor.keras")
    model.save("plain.keras")
    np.save("regressor.npy", model.predict(x, verbose=0))

    # A plugin layer inside a model inside a model, under the name acme 1.0 gives it.
    inner = layer_registry.build_model({
        "input_shape": [16],
        "layers": [{"layer": "acme>OldScale", "units": 4}, {"layer": "Dense", "units": 3}],
    })
    outer = keras.Sequential([keras.Input((16,)), inner, keras.layers.Dense(1)])
    layer_registry.save_model(outer, "nested.keras")
    np.save("nested.npy", outer.predict(x, verbose=0))

    # A bare built-in name means the built-in, even with a plugin class of that name.
    shadowed = layer_registry.build_model(
        {"input_shape": [4], "layers": [{"layer": "Dense", "units": 2}, "shadow>Dense"]}
    )
    print(json.dumps([type(layer).__module__ for layer in shadowed.layers]))
    """
)


@pytest.fixture(scope="module")
def saved(plugins: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Model files saved in a process with acme 1.0.0, broken and shadow installed."""
    folder = tmp_path_factory.mktemp("saved")
    (folder / "regressor.yaml").write_bytes((GUIDES / "specs" / "regressor.yaml").read_bytes())
    result = run_python(
        SAVE, cwd=folder, pythonpath=[plugins["acme_v1"], plugins["broken"], plugins["shadow"]]
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert modules == ["keras.src.layers.core.dense", "shadow_layers"]
    return folder


LOAD = textwrap.dedent(
    """
    import json
    import sys
    import warnings

    import numpy as np
    import layer_registry

    x = np.linspace(-1, 1, 32, dtype="float32").reshape(2, 16)
    report = {}

    model = layer_registry.load_model("regressor.keras")
    report["regressor_equal"] = bool(np.array_equal(model.predict(x, verbose=0),
                                                    np.load("regressor.npy")))
    report["modules_after_regressor"] = sorted(
        name for name in sys.modules
        if name.split(".")[0] in {"layer_registry_examples", "layer_registry_periodic",
                                  "acme_layers", "broken_layers", "shadow_layers"}
        and "." not in name
    )

    # Saved under acme>OldScale by acme 1.0.0; acme 2.0.0 renamed the class to Scale.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nested = layer_registry.load_model("nested.keras")
    report["warnings"] = [
        [type(w.message).__name__, str(w.message), w.message.recorded, w.message.installed]
        for w in caught if isinstance(w.message, layer_registry.PluginVersionWarning)
    ]
    scale = nested.layers[0].layers[0]
    report["renamed_class"] = type(scale).__module__ + "." + type(scale).__qualname__
    report["nested_equal"] = bool(np.array_equal(nested.predict(x, verbose=0),
                                                 np.load("nested.npy")))
    # Saved again, the file names the new class and loads without the alias.
    layer_registry.save_model(nested, "nested-v2.keras")
    again = layer_registry.load_model("nested-v2.keras")
    report["resaved_equal"] = bool(np.array_equal(again.predict(x, verbose=0),
                                                  np.load("nested.npy")))
    with __import__("zipfile").ZipFile("nested-v2.keras") as archive:
        report["resaved_members"] = sorted(archive.namelist())
        report["resaved_names"] = json.loads(archive.read("metadata.json"))["layer_registry"][
            "layers"
        ]

    # Plain Keras loads what save_model wrote (once the plugins are registered).
    import keras
    plain = keras.saving.load_model("regressor.keras")
    report["plain_keras_equal"] = bool(np.array_equal(plain.predict(x, verbose=0),
                                                      np.load("regressor.npy")))
    print(json.dumps(report))
    """
)


def test_load_in_a_fresh_process_imports_only_the_needed_plugins(
    plugins: dict[str, Path], saved: Path
) -> None:
    result = run_python(
        LOAD, cwd=saved, pythonpath=[plugins["acme_v2"], plugins["broken"], plugins["shadow"]]
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["regressor_equal"]
    # The broken plugin, shadow, periodic and acme are installed but not needed by the file.
    assert report["modules_after_regressor"] == ["layer_registry_examples"]
    assert report["renamed_class"] == "acme_layers.scale.Scale"
    assert report["nested_equal"]
    assert report["resaved_equal"]
    assert "acme>Scale" in report["resaved_names"]
    assert report["resaved_members"] == ["config.json", "metadata.json", "model.weights.h5"]
    assert "acme>OldScale" not in report["resaved_names"]
    assert report["plain_keras_equal"]
    [[kind, message, recorded, installed]] = report["warnings"]
    assert kind == "PluginVersionWarning"
    assert (recorded, installed) == ("1.0.0", "2.0.0")
    assert "acme-layers 1.0.0" in message and "2.0.0" in message


MISSING = textwrap.dedent(
    """
    import json
    import sys

    import layer_registry
    from layer_registry._cli import main

    report = {"refused": {}}
    for name in ["os-system.keras", "lambda-layer.keras", "lambda-function.keras",
                 "os-function.keras"]:
        try:
            layer_registry.load_model(name)
        except layer_registry.UnsafeModelError as error:
            report["refused"][name] = [str(error), error.location]
    # Refused before anything was imported: no Keras, no plugin.
    report["imported"] = sorted(
        name for name in sys.modules
        if name.split(".")[0] in {"keras", "tensorflow", "layer_registry_examples",
                                  "acme_layers", "broken_layers", "shadow_layers", "os_layers"}
    )

    try:
        layer_registry.load_model("nested.keras")
    except layer_registry.MissingLayerError as error:
        report["missing"] = [str(error), {k: list(v) for k, v in error.missing.items()}]
    report["requirements"] = layer_registry.requirements("nested.keras")
    report["plain_requirements"] = layer_registry.requirements("plain.keras")
    report["imported_after"] = sorted(
        name for name in sys.modules
        if name in {"layer_registry_examples", "broken_layers", "shadow_layers"}
    )
    print(json.dumps(report))
    sys.stdout.flush()
    sys.exit(main(["requirements", "nested.keras"]))
    """
)


def _hostile(folder: Path) -> None:
    def write(name: str, layer: dict[str, object]) -> None:
        config = {
            "module": "keras",
            "class_name": "Sequential",
            "config": {"name": "s", "layers": [layer]},
            "registered_name": None,
        }
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr("metadata.json", "{}")
            archive.writestr(CONFIG_MEMBER, json.dumps(config))

    write(
        "os-system.keras",
        {
            "module": "os",
            "class_name": "system",
            "config": {"command": "touch pwned"},
            "registered_name": None,
        },
    )
    write(
        "lambda-layer.keras",
        {
            "module": "keras.layers",
            "class_name": "Lambda",
            "registered_name": None,
            "config": {
                "function": {
                    "module": "builtins",
                    "class_name": "function",
                    "config": "print",
                    "registered_name": "function",
                }
            },
        },
    )
    write(
        "lambda-function.keras",
        {
            "module": "keras.layers",
            "class_name": "Dense",
            "registered_name": None,
            "config": {
                "units": 1,
                "activation": {"class_name": "__lambda__", "config": {"value": "e30K"}},
            },
        },
    )
    write(
        "os-function.keras",
        {
            "module": "keras.layers",
            "class_name": "Dense",
            "registered_name": None,
            "config": {
                "units": 1,
                "activation": {
                    "module": "os",
                    "class_name": "function",
                    "config": "system",
                    "registered_name": "system",
                },
            },
        },
    )


def test_missing_plugin_hostile_files_and_requirements_in_a_fresh_process(
    plugins: dict[str, Path], saved: Path, tmp_path: Path
) -> None:
    for name in ["nested.keras", "plain.keras"]:
        (tmp_path / name).write_bytes((saved / name).read_bytes())
    _hostile(tmp_path)
    # acme is not installed here; the broken plugin is.
    result = run_python(MISSING, cwd=tmp_path, pythonpath=[plugins["broken"]])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[0])

    refused = report["refused"]
    assert set(refused) == {
        "os-system.keras",
        "lambda-layer.keras",
        "lambda-function.keras",
        "os-function.keras",
    }
    assert "os.system" in refused["os-system.keras"][0]
    assert refused["os-system.keras"][1] == "config.layers[0]"
    assert "Lambda layer" in refused["lambda-layer.keras"][0]
    assert "lambda" in refused["lambda-function.keras"][0]
    assert refused["lambda-function.keras"][1] == "config.layers[0].config.activation"
    assert "the function os.system" in refused["os-function.keras"][0]
    assert report["imported"] == []
    assert not (tmp_path / "pwned").exists()

    message, missing = report["missing"]
    assert "acme>OldScale" in message and "acme-layers==1.0.0" in message
    assert missing == {"acme>OldScale": ["acme-layers", "1.0.0"]}
    assert report["requirements"] == ["acme-layers==1.0.0"]
    # plain model.save records nothing: the installed plugin answers, without being imported.
    assert report["plain_requirements"] == ["layer-registry-examples==0.1.0"]
    assert report["imported_after"] == []
    # The CLI printed the same line.
    assert lines[1:] == ["acme-layers==1.0.0"]


# -- in this process: files, scanning, provenance ---------------------------------------------


def _regressor(tmp_path: Path):
    model = layer_registry.build_model(GUIDES / "specs" / "regressor.yaml")
    path = tmp_path / "regressor.keras"
    layer_registry.save_model(model, path)
    return model, path


def test_save_model_writes_a_plain_keras_file_with_provenance(tmp_path: Path, monkeypatch) -> None:
    import keras
    from keras.src.saving import saving_lib

    model, path = _regressor(tmp_path)
    with zipfile.ZipFile(path) as archive:
        # The three members model.save writes, nothing more: the provenance is in metadata.json.
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        metadata = json.loads(archive.read(METADATA_MEMBER))
    assert metadata["keras_version"] == keras.__version__
    record = metadata["layer_registry"]
    assert record["format"] == 2
    assert record["plugins"] == {
        "examples": {"distribution": "layer-registry-examples", "version": "0.1.0", "libraries": {}}
    }
    assert record["layers"] == {
        "examples>CustomLinear": "examples",
        "examples>CustomNonLinear": "examples",
    }
    assert layer_registry.requirements(path) == ["layer-registry-examples==0.1.0"]
    x = np.ones((3, 16), dtype="float32")
    expected = model.predict(x, verbose=0)

    # Issue #13 item 9: a fourth member made Keras extract the whole archive on every load.
    class NoExtraction(saving_lib.DiskIOStore):
        def __init__(self, *args, **kwargs):
            raise AssertionError("Keras extracted the archive to a temporary folder")

    monkeypatch.setattr(saving_lib, "DiskIOStore", NoExtraction)
    for loaded in (layer_registry.load_model(path), keras.saving.load_model(path)):
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert not list(tmp_path.glob(".*partial*")), "the partial file is left behind"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regressor.keras"]


def test_provenance_saved_in_its_own_member_is_still_read(tmp_path: Path) -> None:
    # Files saved before the provenance moved into metadata.json hold it as layer_registry.json.
    _, path = _regressor(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members[METADATA_MEMBER])
    record = metadata.pop("layer_registry")
    record["plugins"]["examples"]["version"] = "0.0.9"
    members[METADATA_MEMBER] = json.dumps(metadata).encode()
    members[PROVENANCE_MEMBER] = json.dumps(record).encode()
    old = _zip(tmp_path / "old.keras", members)
    assert layer_registry.requirements(old) == ["layer-registry-examples==0.0.9"]
    assert layer_registry.load_model(old).name == "regressor"


def test_save_model_refuses_other_extensions_and_overwrite_false(tmp_path: Path) -> None:
    model, path = _regressor(tmp_path)
    with pytest.raises(ValueError, match=r"must end in \.keras"):
        layer_registry.save_model(model, tmp_path / "model.h5")
    with pytest.raises(FileExistsError):
        layer_registry.save_model(model, path, overwrite=False)


def test_load_model_refuses_safe_mode_off(tmp_path: Path) -> None:
    _, path = _regressor(tmp_path)
    with pytest.raises(ValueError, match="never switches Keras's safe_mode off"):
        layer_registry.load_model(path, safe_mode=False)


def test_load_model_passes_keyword_arguments_to_keras(tmp_path: Path) -> None:
    _, path = _regressor(tmp_path)
    model = layer_registry.load_model(path, compile=False, safe_mode=True)
    assert model.name == "regressor"


def test_load_model_loads_the_file_it_checked(tmp_path: Path, monkeypatch) -> None:
    # Issue #13: the file was read twice, with the plugins' and Keras's import in between; a
    # file put in its place meanwhile was loaded unchecked. Now Keras reads the open file.
    import keras

    _, path = _regressor(tmp_path)
    other = tmp_path / "other.keras"
    keras.Sequential([keras.Input((16,)), keras.layers.Dense(7, name="swapped")]).save(other)
    registry = layer_registry._registry.default_registry()
    load = registry.load

    def swap_then_load(namespaces):
        os.replace(other, path)
        return load(namespaces)

    monkeypatch.setattr(registry, "load", swap_then_load)
    model = layer_registry.load_model(path)
    assert model.name == "regressor"
    assert "swapped" in [layer.name for layer in keras.saving.load_model(path).layers]


def test_weights_read_from_disk_beside_the_open_file(tmp_path: Path, monkeypatch) -> None:
    # When memory is short, Keras extracts the weights next to the file it was given (by the
    # open file's name) and reads them from there: that path works with the file handed over.
    from keras.src.saving import saving_lib

    model, path = _regressor(tmp_path)
    monkeypatch.setattr(saving_lib, "is_memory_sufficient", lambda model: False)
    extracted = []
    temporary = saving_lib.tempfile.TemporaryDirectory

    def recording(*args, **kwargs):
        folder = temporary(*args, **kwargs)
        extracted.append(Path(folder.name).parent)
        return folder

    monkeypatch.setattr(saving_lib.tempfile, "TemporaryDirectory", recording)
    loaded = layer_registry.load_model(path)
    assert extracted == [tmp_path]
    x = np.ones((3, 16), dtype="float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regressor.keras"]


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("missing.keras", None, "no such file"),
        ("empty.keras", lambda p: p.write_bytes(b""), "is empty"),
        ("text.keras", lambda p: p.write_text("not a zip"), "corrupted or truncated"),
        ("noconfig.keras", lambda p: _zip(p, {"metadata.json": "{}"}), "has no config.json"),
        ("badjson.keras", lambda p: _zip(p, {"config.json": '{\n"a": ,\n}'}), "line 2"),
        ("list.keras", lambda p: _zip(p, {"config.json": "[]"}), "does not describe"),
        (
            "provenance.keras",
            lambda p: _zip(
                p,
                {"config.json": '{"class_name": "Sequential"}', PROVENANCE_MEMBER: '{"x": 1}'},
            ),
            "layer_registry.json is malformed",
        ),
        (
            "metadata.keras",
            lambda p: _zip(
                p,
                {
                    "config.json": '{"class_name": "Sequential"}',
                    "metadata.json": '{"layer_registry": {"x": 1}}',
                },
            ),
            r"metadata.json \('layer_registry'\) is malformed",
        ),
        ("folder.keras", lambda p: p.mkdir(), "is a directory"),
        ("pipe.keras", lambda p: os.mkfifo(p), "not a regular file"),
        ("model.h5", lambda p: p.write_bytes(b"\x89HDF"), "not a .keras file"),
    ],
)
def test_unreadable_files_raise_model_file_error(tmp_path: Path, name, make, expected) -> None:
    path = tmp_path / name
    if make:
        make(path)
    with pytest.raises(layer_registry.ModelFileError, match=expected) as caught:
        layer_registry.load_model(path)
    assert caught.value.path == str(path)


def test_truncated_and_corrupted_archives(tmp_path: Path) -> None:
    _, path = _regressor(tmp_path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(layer_registry.ModelFileError, match="truncated"):
        layer_registry.load_model(truncated)
    # Flip bytes inside the stored config.json: the CRC check catches it.
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(CONFIG_MEMBER)
    corrupted = tmp_path / "corrupted.keras"
    header = info.header_offset  # the local header: 30 bytes, then the name and extra field
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length + 10
    flipped = bytes(byte ^ 0xFF for byte in data[start : start + 8])
    corrupted.write_bytes(data[:start] + flipped + data[start + 8 :])
    with pytest.raises(layer_registry.ModelFileError, match=re.escape(str(corrupted))):
        layer_registry.load_model(corrupted)
    with pytest.raises(layer_registry.ModelFileError):
        layer_registry.requirements(truncated)


def test_config_larger_than_the_cap_is_refused(tmp_path: Path, monkeypatch) -> None:
    _, path = _regressor(tmp_path)
    monkeypatch.setattr(_limits, "CONFIG_LIMIT", 100)
    with pytest.raises(layer_registry.ModelFileError, match="more than the 100"):
        layer_registry.load_model(path)


def test_archive_member_outside_the_archive_is_refused(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "slip.keras",
        {"config.json": '{"class_name": "Sequential"}', "../evil.h5": b""},
    )
    with pytest.raises(layer_registry.UnsafeModelError, match="outside the archive"):
        layer_registry.load_model(path)


def _layer(registered: str | None, module: str = "acme_layers", **config) -> dict:
    return {"module": module, "class_name": "X", "config": config, "registered_name": registered}


def test_scan_finds_names_at_any_depth() -> None:
    config = {
        "module": "keras",
        "class_name": "Functional",
        "registered_name": None,
        "config": {
            "layers": [
                _layer("acme>Outer", inner=_layer("acme>Inner", deeper=[_layer("zeta>Deep")])),
                {
                    "module": "keras",
                    "class_name": "Sequential",
                    "registered_name": None,
                    "config": {"layers": [_layer("examples>CustomLinear")]},
                },
                {
                    "module": "keras.layers",
                    "class_name": "Dense",
                    "registered_name": None,
                    "config": {
                        "activation": {
                            "module": "builtins",
                            "class_name": "function",
                            "config": "relu",
                            "registered_name": "function",
                        }
                    },
                },
            ]
        },
    }
    scan = _scan(config)
    assert scan.refused == []
    assert {name: str(where) for name, where in scan.names.items()} == {
        "acme>Outer": "config.layers[0]",
        "acme>Inner": "config.layers[0].config.inner",
        "zeta>Deep": "config.layers[0].config.inner.config.deeper[0]",
        "examples>CustomLinear": "config.layers[1].config.layers[0]",
    }


def _nest(depth: int) -> dict:
    config: dict = _layer("acme>Leaf")
    for _ in range(depth):
        config = {"class_name": "Sequential", "module": "keras", "config": {"layers": [config]}}
    return config


def test_scan_survives_deep_nesting_and_refuses_past_the_limit() -> None:
    # Each model inside a model nests three levels: 300 is deeper than Keras can save.
    assert list(_scan(_nest(300)).names) == ["acme>Leaf"]
    with pytest.raises(layer_registry.ModelFileError, match="more than 1,000 levels deep"):
        _scan(_nest(3000), path="deep.keras")


def test_scan_limits_keys_and_values_and_names_the_file() -> None:
    wide = {"class_name": "Sequential", "config": {"layers": [0] * (_limits.NODE_LIMIT + 1)}}
    with pytest.raises(layer_registry.ModelFileError, match=r"m\.keras: config\.json holds mo"):
        _scan(wide, path="m.keras")
    long_key = {"class_name": "Sequential", "config": {"k" * 1_001: 1}}
    with pytest.raises(layer_registry.ModelFileError, match="a key of 1,001 characters at config"):
        _scan(long_key, path="m.keras")


# What Keras looks an object up by: a function by its config, a class by its registered name.
FUNCTIONS = [
    # (object, refused because)
    (
        {
            "module": "os",
            "class_name": "function",
            "config": "system",
            "registered_name": "examples>CustomLinear",
        },
        "the function os.system",
    ),
    (
        {
            "module": "keras.utils",
            "class_name": "function",
            "config": "get_file",
            "registered_name": "examples>CustomLinear",
        },
        "keras.utils.get_file, which is not a modeling API",
    ),
    (
        {
            "module": "subprocess",
            "class_name": "function",
            "config": "run",
            "registered_name": "function",
        },
        "the function subprocess.run",
    ),
    (
        {
            "module": "keras.activations",
            "class_name": "function",
            "config": "relu",
            "registered_name": "relu",
        },
        None,
    ),
    (
        {
            "module": "builtins",
            "class_name": "function",
            "config": "tanh",
            "registered_name": "function",
        },
        None,
    ),
    # A function the user registered: Keras finds it by name, imports nothing.
    (
        {
            "module": "my_project.activations",
            "class_name": "function",
            "config": "MyProject>swish2",
            "registered_name": "MyProject>swish2",
        },
        None,
    ),
]


@pytest.mark.parametrize(("function", "why"), FUNCTIONS)
def test_a_function_is_judged_by_its_own_name(function: dict, why: str | None) -> None:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"layers": [_layer(None, module="keras.layers", activation=function)]},
    }
    scan = _scan(config)
    if why is None:
        assert scan.refused == []
    else:
        [(where, because)] = scan.refused
        assert str(where) == "config.layers[0].config.activation"
        assert why in because
        # Its registered name is not what Keras resolves: it brings no plugin in.
        assert "examples>CustomLinear" not in scan.names


def test_a_class_is_judged_by_its_registered_name() -> None:
    # Keras resolves a class by its registered name first: the module is never imported then,
    # and load_model makes sure the name resolves before Keras runs.
    named = _layer("examples>CustomLinear", module="os")
    scan = _scan({"class_name": "Sequential", "config": {"layers": [named]}})
    assert scan.refused == []
    assert list(scan.names) == ["examples>CustomLinear"]
    unnamed = _layer(None, module="os")
    assert _scan({"class_name": "Sequential", "config": {"layers": [unnamed]}}).refused


def test_custom_objects_vouch_for_a_class_of_ones_own(tmp_path: Path) -> None:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"layers": [_layer("MyLayer", module="my_project.layers")]},
    }
    assert _scan(config).refused
    assert not _scan(config, trusted={"MyLayer": object}).refused


def test_a_class_of_ones_own_loads_and_needs_no_plugin(tmp_path: Path) -> None:
    import keras

    @keras.saving.register_keras_serializable(package="MyProject")
    class Doubler(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2

        def get_config(self):
            return super().get_config()

    model = keras.Sequential([keras.Input((2,)), Doubler()])
    path = tmp_path / "own.keras"
    layer_registry.save_model(model, path)
    assert layer_registry.requirements(path) == []
    assert type(layer_registry.load_model(path).layers[0]) is Doubler
    # Not registered in the loading process: named as the user's own, not a plugin to install.
    del keras.saving.get_custom_objects()["MyProject>Doubler"]
    with pytest.raises(layer_registry.MissingLayerError, match="not a plugin's layer") as caught:
        layer_registry.load_model(path)
    assert caught.value.missing == {"MyProject>Doubler": None}
    assert (
        type(
            layer_registry.load_model(path, custom_objects={"MyProject>Doubler": Doubler}).layers[0]
        )
        is Doubler
    )
