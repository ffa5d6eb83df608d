"""The bundled library plugins (keras-rs, keras-hub) on the site: a page per layer, built strictly.

These layers were written by other people: the strict build must pass with the libraries' own
failing docstring examples and their declared expected failures shown on the pages, not hidden.
"""

from __future__ import annotations

import html
import json
import re

import pytest

import layer_registry
from support.processes import CLI
from support.site_builds import Build
from support.site_builds import environment
from support.site_builds import once
from support.site_builds import run
from support.site_builds import shared_folder

LIBRARY_PLUGINS = ("kerasrs", "kerashub")


@pytest.fixture(scope="session")
def library_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``layer-registry docs build --plugin kerasrs --plugin kerashub --strict``."""
    folder = shared_folder(tmp_path_factory) / "library-plugins"
    with once(folder) as todo:
        if todo is not None:
            todo.mkdir(parents=True, exist_ok=True)
            env = environment([], todo / "cache")
            env.pop("LAYER_REGISTRY_DISABLE")
            env["LAYER_REGISTRY_ONLY"] = ",".join(LIBRARY_PLUGINS)
            command = [CLI, "docs", "build", "--strict", "-o", str(todo / "site")]
            for namespace in LIBRARY_PLUGINS:
                command += ["--plugin", namespace]
            built = run(command, env, todo)
            (todo / "done.json").write_text(
                json.dumps({"returncode": built.returncode, "stderr": built.stderr})
            )
    return Build(site=folder / "site", **json.loads((folder / "done.json").read_text()))


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_strict_build_of_the_library_plugins_passes(library_build: Build):
    assert library_build.returncode == 0, library_build.stderr[-3000:]
    # Every generated example ran (the libraries' own docstring examples may fail, shown).
    assert library_build.stderr.count("done (0 failed") == len(LIBRARY_PLUGINS)


@pytest.mark.parametrize("namespace", LIBRARY_PLUGINS)
def test_every_layer_of_a_library_plugin_has_its_page(
    library_build: Build, namespace: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("LAYER_REGISTRY_DISABLE")
    registry = layer_registry.Registry(only={namespace})
    classes = [registry.info(name).class_name for name in registry.names(plugin=namespace)]
    assert len(classes) >= {"kerasrs": 8, "kerashub": 70}[namespace]
    missing = [c for c in classes if not (library_build.site / "layers" / namespace / c).is_dir()]
    assert missing == []


def test_a_layer_page_shows_the_declared_expected_failures_and_the_real_output(
    library_build: Build,
):
    page = text_of(library_build.page("layers/kerasrs/BruteForceRetrieval"))
    # Its example needs candidates first: the setup function is shown and called.
    assert "update_candidates" in page and "_candidates(layer)" in page
    # The layer returns (scores, ids): both shapes are printed.
    assert "output shape: ((4, 3), (4, 3))" in page
    for check in ("config_roundtrip", "saving"):
        assert re.search(rf"{check}\s+expected", page), check
    assert "get_config leaves out candidate_embeddings" in page


def test_the_plugin_page_lists_the_librarys_findings(library_build: Build):
    page = text_of(library_build.page("layers/kerasrs"))
    assert "Known failures" in page and "declares 6 expected failures" in page
    assert "SMALLEST_FLOAT is a NumPy float32 scalar" in page


def test_a_librarys_incomplete_docstring_example_is_shown_as_the_librarys(library_build: Build):
    page = text_of(library_build.page("layers/kerasrs/HardNegativeMining"))
    assert "Docstring example 1 from keras_rs's docstring failed" in page
    assert "not the registry's generated one" in page
