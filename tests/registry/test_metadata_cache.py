"""The metadata cache is right: it follows installs, upgrades, removals and edits, and survives
corruption and concurrent writers. (Its speed lives in benchmarks/, not here.)"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import CLI
from support.processes import environment
from support.processes import run_python

# Prints the names, and whether this process imported TensorFlow (never, to list them).
NAMES = (
    "import json, sys, layer_registry\n"
    "print(json.dumps([layer_registry.names(), 'tensorflow' in sys.modules]))"
)
# Every import of a plugin written with ``counted`` adds a line to $IMPORT_LOG, whichever
# process imports it (a cold listing loads the plugins in a child process).
COUNTER = (
    "import os\n"
    "with open(os.environ['IMPORT_LOG'], 'a') as log:\n"
    "    log.write(__name__ + '\\n')\n"
)


def counted(*classes: str, preamble: str = "") -> str:
    return plugin_source(*classes, preamble=COUNTER + preamble)


@pytest.fixture
def env(tmp_path):
    """A private cache folder and plugin folder, used by fresh processes."""
    cache = tmp_path / "cache"
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    variables = {
        "LAYER_REGISTRY_CACHE_DIR": str(cache),
        "LAYER_REGISTRY_ONLY": "alpha,beta",
        "IMPORT_LOG": str(tmp_path / "imports.log"),
    }
    return cache, plugins, variables


def names(plugins, variables):
    """``[names, whether answering imported a plugin]``; TensorFlow is never imported here."""
    log = Path(variables["IMPORT_LOG"])
    before = log.read_text().count("\n") if log.exists() else 0
    result = run_python(NAMES, pythonpath=[plugins], env=variables)
    assert result.returncode == 0, result.stderr
    listed, imported_tensorflow = json.loads(result.stdout)
    assert imported_tensorflow is False
    after = log.read_text().count("\n") if log.exists() else 0
    return [listed, after > before]


def test_a_warm_cache_answers_without_importing_tensorflow(env):
    cache, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )

    assert names(plugins, variables) == [["alpha>Alpha"], True]  # cold: loads the plugins (apart)
    assert names(plugins, variables) == [["alpha>Alpha"], False]  # warm: metadata only
    (written,) = cache.glob("metadata-*.json")
    assert json.loads(written.read_text())["layers"][0]["name"] == "alpha>Alpha"


def test_install_upgrade_edit_and_uninstall_each_invalidate_it(env):
    _, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    assert names(plugins, variables)[0] == ["alpha>Alpha"]

    # install
    write_plugin(
        plugins, distribution="beta-layers", namespace="beta", source=counted("Beta")
    )
    assert names(plugins, variables)[0] == ["alpha>Alpha", "beta>Beta"]

    # upgrade: a new version's metadata replaces the old one's
    shutil.rmtree(plugins / "beta_layers-1.0.0.dist-info")
    write_plugin(
        plugins,
        distribution="beta-layers",
        namespace="beta",
        version="2.0.0",
        source=counted("BetaTwo"),
    )
    assert names(plugins, variables)[0] == ["alpha>Alpha", "beta>BetaTwo"]

    # edit the source in place, as with an editable install
    (plugins / "alpha_layers" / "__init__.py").write_text(counted("Alpha", "AlphaToo"))
    assert names(plugins, variables) == [["alpha>Alpha", "alpha>AlphaToo", "beta>BetaTwo"], True]

    # uninstall
    shutil.rmtree(plugins / "beta_layers-2.0.0.dist-info")
    shutil.rmtree(plugins / "beta_layers")
    assert names(plugins, variables)[0] == ["alpha>Alpha", "alpha>AlphaToo"]


def test_a_warm_listing_reads_the_cache_alone(env):
    # Warm, the file system says whether the cache is valid: importlib.metadata (and the entry
    # point scan it makes) is for loading, not for listing or searching.
    _, plugins, variables = env
    write_plugin(plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha"))
    names(plugins, variables)
    code = (
        "import json, sys, layer_registry\n"
        "found = [layer_registry.names(), [i.name for i in layer_registry.search('alpha')],\n"
        "         [p.summary for p in layer_registry.plugins() if p.namespace == 'alpha']]\n"
        "print(json.dumps([found, 'importlib.metadata' in sys.modules]))"
    )
    result = run_python(code, pythonpath=[plugins], env=variables)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        [["alpha>Alpha"], ["alpha>Alpha"], ["A throw-away plugin."]],
        False,
    ]


def test_entry_points_edited_in_place_invalidate_it(env):
    _, plugins, variables = env
    write_plugin(plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha"))
    write_plugin(
        plugins,
        distribution="beta-layers",
        namespace="beta",
        source=counted("Beta"),
        entry_points={},  # installed, but not yet a plugin
    )
    assert names(plugins, variables)[0] == ["alpha>Alpha"]

    # Rewriting a file leaves its folder's time alone: the file's own time must move the key.
    entry_points = plugins / "beta_layers-1.0.0.dist-info" / "entry_points.txt"
    entry_points.write_text("[layer_registry]\nbeta = beta_layers\n")
    assert names(plugins, variables)[0] == ["alpha>Alpha", "beta>Beta"]


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"format": 1}', b"\xff\xfe\x00", b"[]"])
def test_a_corrupt_cache_is_ignored_and_rebuilt(env, garbage):
    cache, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    names(plugins, variables)
    (written,) = cache.glob("metadata-*.json")
    written.write_bytes(garbage)

    assert names(plugins, variables) == [["alpha>Alpha"], True]
    assert json.loads(written.read_text())["layers"][0]["name"] == "alpha>Alpha"
    assert names(plugins, variables) == [["alpha>Alpha"], False]


def test_four_processes_on_a_cold_cache_all_succeed_and_leave_it_valid(env):
    cache, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    write_plugin(
        plugins, distribution="beta-layers", namespace="beta", source=counted("Beta")
    )
    processes = [
        subprocess.Popen(
            [CLI, "list", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment([plugins], variables),
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate() for process in processes]

    assert [p.returncode for p in processes] == [0, 0, 0, 0], [err for _, err in outputs]
    for out, _ in outputs:
        assert [r["name"] for r in json.loads(out)] == ["alpha>Alpha", "beta>Beta"]
    (written,) = cache.glob("metadata-*.json")
    assert len(json.loads(written.read_text())["layers"]) == 2
    assert not list(cache.glob(".metadata-*"))  # no temporary file left behind
    assert names(plugins, variables) == [["alpha>Alpha", "beta>Beta"], False]


def test_the_cache_can_be_switched_off(env):
    cache, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    variables["LAYER_REGISTRY_CACHE"] = "off"

    assert names(plugins, variables) == [["alpha>Alpha"], True]
    assert names(plugins, variables) == [["alpha>Alpha"], True]
    assert not cache.exists()


def test_a_failed_plugin_is_remembered_and_explained_from_the_cache(env):
    _, plugins, variables = env
    write_plugin(
        plugins, distribution="beta-layers", namespace="beta", source="import no_such_module_here\n"
    )
    code = (
        "import json, sys, layer_registry\n"
        "p = {r.namespace: r for r in layer_registry.plugins()}['beta']\n"
        "print(json.dumps([p.status, p.error, 'tensorflow' in sys.modules]))"
    )
    for warm in (False, True):
        result = run_python(code, pythonpath=[plugins], env=variables)
        status, error, imported_tf = json.loads(result.stdout)
        assert status == "failed"
        assert "No module named 'no_such_module_here'" in error
        if warm:
            assert imported_tf is False


def test_get_after_a_warm_listing_loads_only_the_plugin_it_needs(env):
    _, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    write_plugin(
        plugins, distribution="beta-layers", namespace="beta", source=counted("Beta")
    )
    names(plugins, variables)
    code = (
        "import json, sys, layer_registry\n"
        "cls = layer_registry.get('Beta')\n"  # a bare name: resolved from the cached metadata
        "print(json.dumps([cls.__name__, 'alpha_layers' in sys.modules]))"
    )
    result = run_python(code, pythonpath=[plugins], env=variables)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["Beta", False]


def test_create_after_a_warm_listing_loads_the_plugin(env):
    _, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    names(plugins, variables)
    code = "import layer_registry\nprint(layer_registry.create('Alpha', units=3).units)"
    result = run_python(code, pythonpath=[plugins], env=variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_show_and_info_by_full_name_need_no_tensorflow_when_warm(env):
    _, plugins, variables = env
    write_plugin(
        plugins, distribution="alpha-layers", namespace="alpha", source=counted("Alpha")
    )
    names(plugins, variables)
    code = (
        "import json, sys, layer_registry\n"
        "info = layer_registry.info('alpha>Alpha')\n"
        "try:\n    layer_registry.info('alpha>Nope')\n"
        "except layer_registry.LayerNotFoundError as e:\n    missing = e.suggestions\n"
        "print(json.dumps([info.name, missing, 'tensorflow' in sys.modules]))"
    )
    result = run_python(code, pythonpath=[plugins], env=variables)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["alpha>Alpha", ["alpha>Alpha"], False]


def test_installing_a_missing_dependency_retries_the_failed_plugin(tmp_path):
    # A folder named like site-packages, as pip's is: installing into it invalidates the cache.
    packages = tmp_path / "env" / "site-packages"
    packages.mkdir(parents=True)
    source = counted("Needy", preamble="import needed_dependency_xyz\n")
    write_plugin(packages, distribution="beta-layers", namespace="beta", source=source)
    variables = {
        "LAYER_REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
        "LAYER_REGISTRY_ONLY": "beta",
        "IMPORT_LOG": str(tmp_path / "imports.log"),
    }
    assert names(packages, variables)[0] == []

    (packages / "needed_dependency_xyz.py").write_text("")  # pip install needed-dependency-xyz

    assert names(packages, variables)[0] == ["beta>Needy"]
