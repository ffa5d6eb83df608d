"""Plugins that crash, exit, outlive their hook, half-install or race the cache (issue #13).

Each is a real distribution in a temporary folder; what a command does with it is checked in a
fresh process, as a user would meet it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from layer_registry import PluginError
from layer_registry import Registry
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli
from support.processes import run_python

CRASHERS = {
    # A segfault in native code at import, and a process exit that no except clause sees.
    "segv": ("import ctypes\nctypes.string_at(0)\n", "killed by signal SIGSEGV"),
    "exits": ("import os\nos._exit(3)\n", "exited with status 3"),
}


@pytest.fixture(scope="module")
def crashing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crashing")
    for namespace, (source, _) in CRASHERS.items():
        write_plugin(root, distribution=f"{namespace}-layers", namespace=namespace, source=source)
    write_plugin(root, distribution="calm-layers", namespace="calm", source=plugin_source("Calm"))
    return root


def test_a_native_crash_fails_that_plugin_alone_and_is_cached(crashing: Path, tmp_path: Path):
    env = {"LAYER_REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    listed = run_cli("list", "--json", pythonpath=[crashing], env=env)
    assert listed.returncode == 0, listed.stderr
    names = {record["name"] for record in json.loads(listed.stdout)}
    assert {"calm>Calm", "examples>CustomLinear", "periodic>Time2Vec"} <= names

    for _ in range(2):  # cold then warm: the cache keeps what happened
        shown = run_cli("plugins", "--json", pythonpath=[crashing], env=env)
        assert shown.returncode == 0, shown.stderr
        records = {r["namespace"]: r for r in json.loads(shown.stdout)}
        for namespace, (_, ending) in CRASHERS.items():
            assert records[namespace]["status"] == "failed"
            assert ending in records[namespace]["error"]
        assert records["calm"]["status"] == "loaded"
    assert list((tmp_path / "cache").glob("metadata-*.json"))

    doctor = run_cli("doctor", "--json", pythonpath=[crashing], env=env)
    assert doctor.returncode == 1, doctor.stderr
    findings = json.loads(doctor.stdout)["findings"]
    assert {f["namespace"] for f in findings if f["level"] == "error"} == set(CRASHERS)


def test_load_model_of_a_file_that_does_not_use_a_crashing_plugin(crashing: Path, tmp_path: Path):
    code = (
        "import keras, numpy as np, layer_registry\n"
        "layer = layer_registry.create('examples>CustomLinear', units=2)\n"
        "model = keras.Sequential([keras.Input((3,)), layer])\n"
        "layer_registry.save_model(model, 'm.keras')\n"
    )
    saved = run_python(code, cwd=tmp_path, pythonpath=[crashing])
    assert saved.returncode == 0, saved.stderr
    loaded = run_python(
        "import layer_registry\n"
        "print(type(layer_registry.load_model('m.keras').layers[0]).__name__)",
        cwd=tmp_path,
        pythonpath=[crashing],
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["CustomLinear"]


KEEPER = """
import threading

import keras
import layer_registry


class Kept(keras.layers.Layer):
    def call(self, x):
        return x


kept = []
go, done = threading.Event(), threading.Event()
errors = []


def later():
    go.wait(30)
    try:
        kept[0](Kept)
    except Exception as exc:
        errors.append(exc)
    done.set()


@layer_registry.hookimpl
def register_layers(register):
    register(Kept)
    kept.append(register)
    threading.Thread(target=later, daemon=True).start()
"""


def test_a_register_kept_after_the_hook_refuses_and_harms_no_other_plugin(
    site_dir: Path, unique: str
):
    keeper, victim = f"keeper_{unique}", f"victim_{unique}"
    write_plugin(site_dir, distribution=f"aaa-{unique}", namespace=keeper, source=KEEPER)
    # The victim, while it loads, lets the keeper's thread call its old register.
    preamble = f"import aaa_{unique} as keeper\nkeeper.go.set()\nkeeper.done.wait(30)\n"
    write_plugin(
        site_dir,
        distribution=f"zzz-{unique}",
        namespace=victim,
        source=plugin_source("Innocent", preamble=preamble),
    )
    registry = Registry(only={keeper, victim})
    registry.load_here([keeper])
    registry.load_here([victim])

    import importlib

    (error,) = importlib.import_module(f"aaa_{unique}").errors
    assert isinstance(error, PluginError)
    assert f"plugin {keeper!r}" in str(error) and "after its register_layers hook returned" in str(
        error
    )
    records = {p.namespace: p for p in registry.plugins()}
    assert (records[keeper].status, records[keeper].layers) == ("loaded", (f"{keeper}>Kept",))
    assert (records[victim].status, records[victim].layers) == ("loaded", (f"{victim}>Innocent",))


def _half_installed(root: Path, name: str, metadata: str | None) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("raise SystemExit('never imported')\n")
    dist_info = root / f"{name}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "entry_points.txt").write_text(f"[layer_registry]\n{name} = {name}\n")
    if metadata is not None:
        (dist_info / "METADATA").write_text(metadata)


def test_a_half_installed_distribution_is_skipped_and_doctor_names_it(tmp_path: Path):
    _half_installed(tmp_path, "empty_metadata", "")
    _half_installed(tmp_path, "no_metadata", None)

    listed = run_cli("list", "--json", pythonpath=[tmp_path])
    assert listed.returncode == 0, listed.stderr
    assert "examples>CustomLinear" in {r["name"] for r in json.loads(listed.stdout)}
    doctor = run_cli("doctor", pythonpath=[tmp_path])
    assert doctor.returncode == 0, doctor.stderr
    for name in ("empty_metadata", "no_metadata"):
        assert f"{tmp_path / name}-1.0.dist-info declares entry points but has no valid" in (
            doctor.stdout
        )


EDITS_ITSELF = """
import pathlib, os
marker = pathlib.Path(os.environ["EDIT_MARKER"])
if not marker.exists():
    # An edit lands while a cold listing imports the plugins.
    marker.write_text("edited")
    source = pathlib.Path(__file__)
    source.write_text(source.read_text() + "\\n# edited\\n")
"""


def test_an_edit_made_while_plugins_load_is_not_cached(tmp_path: Path):
    root = write_plugin(
        tmp_path / "site",
        distribution="editing-layers",
        namespace="editing",
        source=plugin_source("Edited", preamble=EDITS_ITSELF),
    )
    cache = tmp_path / "cache"
    env = {"LAYER_REGISTRY_CACHE_DIR": str(cache), "EDIT_MARKER": str(tmp_path / "marker")}

    first = run_cli("list", pythonpath=[root], env=env)
    assert first.returncode == 0, first.stderr
    assert not list(cache.glob("metadata-*.json")), "a listing of moved sources was cached"
    second = run_cli("list", pythonpath=[root], env=env)
    assert second.returncode == 0, second.stderr
    assert list(cache.glob("metadata-*.json"))


def test_a_cache_file_with_the_right_key_and_wrong_types_is_rebuilt(tmp_path: Path):
    env = {"LAYER_REGISTRY_CACHE_DIR": str(tmp_path)}
    assert run_cli("list", env=env).returncode == 0
    (path,) = tmp_path.glob("metadata-*.json")
    data = json.loads(path.read_text())
    data["layers"][0]["tags"] = 5
    data["plugins"][0]["layers"] = [None]
    path.write_text(json.dumps(data))

    for command in (["list"], ["search", "linear"], ["show", "examples>CustomLinear"], ["plugins"]):
        result = run_cli(*command, env=env)
        assert result.returncode == 0, (command, result.stderr)
        assert "unexpected" not in result.stderr
    assert isinstance(json.loads(path.read_text())["layers"][0]["tags"], list)


WRITES_FD1 = "import os\nos.write(1, b'garbage written to fd 1\\n')\n"


def test_a_plugin_writing_to_file_descriptor_1_keeps_json_valid(tmp_path: Path):
    root = write_plugin(
        tmp_path / "site",
        distribution="fd-layers",
        namespace="fd",
        source=plugin_source("Loud", preamble=WRITES_FD1),
    )
    cold = run_cli("list", "--json", pythonpath=[root])
    assert cold.returncode == 0, cold.stderr
    assert "fd>Loud" in {r["name"] for r in json.loads(cold.stdout)}
    assert "garbage written to fd 1" in cold.stderr
    # In a process that has imported Keras the plugins load in-process: the same holds.
    here = run_python(
        "import json, keras, layer_registry\nprint(json.dumps(layer_registry.names()))",
        pythonpath=[root],
        env={"LAYER_REGISTRY_CACHE": "off"},
    )
    assert here.returncode == 0, here.stderr
    assert "fd>Loud" in json.loads(here.stdout)


def test_a_slow_import_is_named_while_it_runs(tmp_path: Path):
    root = write_plugin(
        tmp_path / "site",
        distribution="slow-layers",
        namespace="slowpoke",
        source=plugin_source("Slow", preamble="import time\ntime.sleep(7)\n"),
    )
    result = run_cli("list", pythonpath=[root])
    assert result.returncode == 0, result.stderr
    assert "still importing plugin 'slowpoke'" in result.stderr


def test_threads_calling_a_closed_register_get_one_clear_error(site_dir: Path, unique: str):
    # Many late calls at once: each is refused, none registers anything.
    namespace = f"late_{unique}"
    write_plugin(site_dir, distribution=f"late-{unique}", namespace=namespace, source=KEEPER)
    registry = Registry(only={namespace})
    registry.load_here([namespace])
    import importlib

    module = importlib.import_module(f"late_{unique}")
    failures: list[Exception] = []

    def call() -> None:
        try:
            module.kept[0](module.Kept)
        except PluginError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 8
    assert registry.names(plugin=namespace) == [f"{namespace}>Kept"]
