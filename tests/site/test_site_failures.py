"""Plugins that go wrong, built with ``layer-registry docs build`` and no mkdocs.yml."""

from __future__ import annotations

import html
import re

from layer_registry._mkdocs.examples._runner import default_workers
from support.site_builds import Build


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_a_failing_example_shows_its_error_on_its_page_and_the_build_succeeds(
    failing_build: Build,
):
    assert failing_build.returncode == 0, failing_build.stderr[-3000:]
    page = text_of(failing_build.page("layers/broken/Raises"))
    assert "raised an error" in page
    assert "ValueError: Exception encountered when calling Raises.call()" in page
    assert "boom from Raises.call" in page
    # The traceback shows the example's own line, not the worker's machinery.
    assert "y = layer(x)" in page and "layer_registry/_mkdocs/examples" not in page
    assert "the example of layer 'broken>Raises' (plugin 'broken'" in failing_build.stderr


def test_a_hanging_example_is_stopped_and_the_next_one_still_runs(failing_build: Build):
    hangs = text_of(failing_build.page("layers/slow/Hangs"))
    assert "timed out after 6 s" in hangs
    works = text_of(failing_build.page("layers/slow/Works"))
    assert "output shape: (2, 2)" in works
    # A worker per plugin with work (broken, slow), at most one a core, and one for after the hang.
    workers = min(default_workers(), 2) + 1
    assert f"{workers} worker processes started" in failing_build.stderr


def test_a_plugin_that_fails_to_import_has_a_page_with_its_error(failing_build: Build):
    page = text_of(failing_build.page("layers/crashing"))
    assert "This plugin failed to load" in page
    assert "ImportError: crashing-layers needs scipy_nope" in page
    catalog = text_of(failing_build.page("layers"))
    assert "Plugins that failed to load" in catalog and "crashing" in catalog


def test_the_default_site_holds_only_the_chosen_plugins(failing_build: Build):
    assert (failing_build.site / "index.html").exists()
    layers = {p.name for p in (failing_build.site / "layers").iterdir() if p.is_dir()}
    assert layers == {"broken", "slow", "crashing"}


def test_a_strict_build_fails_naming_the_layer_and_its_plugin(failing_build: Build):
    assert failing_build.rebuild_returncode == 1
    stderr = failing_build.rebuild_stderr
    assert "layer-registry (strict): 1 problem:" in stderr
    assert "the example of layer 'broken>Raises' (plugin 'broken'" in stderr
    assert "boom from Raises.call" in stderr
    assert "error: the site was not built" in stderr
    # The failure was cached by the first build: nothing ran again to report it.
    assert "1 cached, 0 run" in stderr
