"""The console script as users run it: output, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json

from layer_registry import PluginInfo
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli

EXAMPLES = ["examples>CustomInitLayer", "examples>CustomLinear", "examples>CustomNonLinear"]


def test_list_json_lists_the_bundled_example_layers():
    result = run_cli("list", "--json", "--plugin", "examples")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == EXAMPLES
    assert records[1]["summary"] == "A trainable affine map, `y = x @ W + b`."
    assert records[1]["example"] == {"units": 4}


def test_list_prints_a_table_and_filters_by_pattern():
    result = run_cli("list", "*Linear")
    assert result.returncode == 0, result.stderr
    assert "examples>CustomLinear" in result.stdout
    assert "A trainable affine map" in result.stdout
    assert "CustomInitLayer" not in result.stdout


def test_show_prints_metadata_and_the_signature():
    result = run_cli("show", "CustomLinear")
    assert result.returncode == 0, result.stderr
    assert "examples>CustomLinear" in result.stdout
    assert "CustomLinear(units, kernel_initializer='random_normal'" in result.stdout
    assert "layer-registry-examples 0.1.0" in result.stdout
    shown = json.loads(run_cli("show", "examples>CustomLinear", "--json").stdout)
    assert shown["input_shape"] == [8, 3]
    assert shown["import_path"] == "layer_registry_examples.custom_linear:CustomLinear"


def test_an_unknown_name_is_one_line_on_stderr_and_exit_2():
    result = run_cli("show", "CustomLiner")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: no layer is registered as 'CustomLiner'; did you mean 'examples>CustomLinear'"
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_broken_plugins_are_reported_and_json_stays_valid_when_plugins_print(tmp_path):
    write_plugin(
        tmp_path,
        distribution="acme-broken",
        namespace="acme_broken",
        source="import not_there_at_all\n",
    )
    write_plugin(
        tmp_path,
        distribution="acme-noisy",
        namespace="acme_noisy",
        source=plugin_source("Loud", preamble="print('noise on stdout')\n"),
    )
    write_plugin(
        tmp_path,
        distribution="acme-exit",
        namespace="acme_exit",
        source="import sys\nsys.exit('bye')\n",
    )

    result = run_cli("plugins", "--json", pythonpath=[tmp_path])

    assert result.returncode == 0, result.stderr
    records = {r["namespace"]: r for r in json.loads(result.stdout)}
    assert records["acme_broken"]["status"] == "failed"
    assert (
        "ModuleNotFoundError: No module named 'not_there_at_all'" in records["acme_broken"]["error"]
    )
    assert records["acme_exit"]["status"] == "failed"
    assert "SystemExit: bye" in records["acme_exit"]["error"]
    assert records["acme_noisy"]["status"] == "loaded"
    assert records["examples"]["status"] == "loaded"
    assert records["examples"]["layers"] == EXAMPLES

    listed = run_cli("list", "--json", pythonpath=[tmp_path])
    assert "acme_noisy>Loud" in [r["name"] for r in json.loads(listed.stdout)]
    assert "2 plugin(s) failed to load" not in listed.stderr  # --json keeps stderr for errors


def test_the_plugins_table_names_the_failure():
    result = run_cli("plugins", env={"LAYER_REGISTRY_DISABLE": "examples"})
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "examples" in line)
    assert "blocked" in line and "LAYER_REGISTRY_DISABLE" in line


def test_help_describes_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("list", "show", "plugins"):
        assert command in result.stdout


def test_an_unknown_plugin_namespace_is_an_error_not_an_empty_list():
    result = run_cli("list", "--plugin", "nope")
    assert result.returncode == 2
    assert "no plugin with namespace 'nope' is installed" in result.stderr


PARTIAL = [
    PluginInfo(
        "acme",
        "acme-layers",
        "1.2.0",
        "partial",
        layers=("acme>Good",),
        refused=(
            ("acme.layers.NotALayer", "is not a keras.layers.Layer subclass"),
            ("acme.layers.Stolen", "belongs to plugin 'examples' [/x]"),
        ),
    ),
    PluginInfo("zeta", "zeta-layers", "0.1.0", "loaded", layers=("zeta>Fine",)),
]


def test_the_plugins_table_shows_a_partial_plugin_and_each_refused_class(capsys):
    from layer_registry._cli._plugins import print_plugins

    print_plugins(PARTIAL)
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.split()[:2] == ["acme", "acme-layers"])
    assert "partial" in row and "2 classes refused" in row
    refusals = [line for line in lines if "acme.layers." in line]
    assert len(refusals) == 2
    assert "acme.layers.NotALayer" in refusals[0]
    assert "is not a keras.layers.Layer subclass" in refusals[0]
    assert "belongs to plugin 'examples' [/x]" in refusals[1]


def test_the_warning_after_a_listing_names_partial_plugins():
    from layer_registry._cli._output import plugin_warnings

    failed = PluginInfo("broken", "broken-layers", "1.0", "failed", error="ImportError: x")
    warnings = plugin_warnings([*PARTIAL, failed])
    assert len(warnings) == 2
    assert "broken" in warnings[0] and "failed to load" in warnings[0]
    assert "plugin 'acme' loaded partially: 2 classes refused" in warnings[1]
    assert "`layer-registry plugins`" in warnings[1]
    assert plugin_warnings(PARTIAL[1:]) == []
