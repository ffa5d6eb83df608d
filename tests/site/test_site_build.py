"""The repository's site, built for real with ``mkdocs build --strict`` (see conftest)."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlsplit

import click

from support.site_builds import Build

MKDOCS_WARNING = re.compile(r"^(WARNING|ERROR)\s+-", re.MULTILINE)


def installed_layers(build: Build) -> list[dict]:
    """The layers the registry lists in the build's environment (same PYTHONPATH, cache)."""
    result = subprocess.run(
        [sys.executable, "-m", "layer_registry", "list", "--json"],
        capture_output=True,
        text=True,
        env=build.env,
        check=True,
    )
    return json.loads(result.stdout)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_strict_build_passes_without_a_warning(site_build: Build):
    assert site_build.returncode == 0, site_build.stderr[-3000:]
    assert not MKDOCS_WARNING.findall(site_build.stderr), site_build.stderr[-3000:]


def test_every_layer_of_every_installed_plugin_has_a_page_with_its_run_example(
    site_build: Build,
):
    layers = installed_layers(site_build)
    namespaces = {layer["namespace"] for layer in layers}
    assert {"examples", "periodic", "acme", "broken"} <= namespaces
    catalog = text_of(site_build.page("layers"))
    for layer in layers:
        page = text_of(site_build.page(f"layers/{layer['namespace']}/{layer['class_name']}"))
        assert layer["name"] in page
        assert layer["summary"].replace("`", "") in page
        assert layer["class_name"] in catalog
        if layer["namespace"] == "broken":
            continue  # its example raises: see the next test
        assert "output shape:" in page, layer["name"]
        assert "parameters:" in page, layer["name"]
        assert "Initializer" in page and "Trainable" in page, layer["name"]
        assert "get_config()" in page, layer["name"]


def test_a_failing_example_shows_on_its_page_without_failing_the_strict_build(
    site_build: Build,
):
    assert site_build.returncode == 0
    page = text_of(site_build.page("layers/broken/Raises"))
    assert "The generated example raised an error" in page
    assert "boom from Raises.call" in page
    assert "the example of layer 'broken>Raises' (plugin 'broken'" in site_build.stderr


def test_the_third_party_layer_page_shows_its_docstring_example_weights_and_plot(
    site_build: Build,
):
    raw = site_build.page("layers/acme/Gated")
    page = text_of(raw)
    # The generated example: created by name, called on a (4, 5) input.
    assert 'layer_registry.create("acme>Gated", units=3)' in page
    assert "output shape: (4, 3)" in page
    assert "parameters: 30" in page
    # Its docstring's Example: block, run, with what it printed.
    assert "acme docstring example: (2, 3)" in page
    # The weights table: name, shape, dtype, trainable, initializer.
    assert re.search(r"gated/kernel\s*\(5, 3\)\s*float32\s*yes\s*glorot_uniform", page)
    assert re.search(r"gated/gate\s*\(5, 3\)\s*float32\s*yes\s*ones", page)
    # The response plot (2-D example input), copied into the site and referenced.
    assert 'src="../Gated.png"' in raw
    assert (site_build.site / "layers/acme/Gated.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The API reference from mkdocstrings, with the docstring's arguments.
    assert "API reference" in page and "Positive integer, the size of the output." in page
    # A 3-D example input, (2, 6, 3), is plotted at step 0, and the caption says so.
    assert (site_build.site / "layers/acme/Scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    scale = site_build.page("layers/acme/Scale")
    assert 'src="../Scale.png"' in scale
    assert "<figcaption>Each output unit at step 0" in scale


def test_no_generated_table_has_an_empty_header(site_build: Build):
    for path in ("layers", "layers/acme", "layers/acme/Gated", "layers/periodic/Time2Vec"):
        headers = re.findall(r"<th[^>]*>(.*?)</th>", site_build.page(path), flags=re.S)
        assert headers and all(text_of(header).strip() for header in headers), (path, headers)


def test_plugin_pages_show_distribution_version_and_home_page(site_build: Build):
    page = text_of(site_build.page("layers/acme"))
    assert "acme-layers" in page and "2.3.0" in page
    assert "Gating layers by a third party." in page
    assert "https://example.org/acme-layers" in page
    assert "Gated" in page and "Scale" in page
    periodic = text_of(site_build.page("layers/periodic"))
    assert "layer-registry-periodic" in periodic and "Time2Vec" in periodic


def test_a_partial_plugin_page_lists_each_refused_class_and_keeps_its_layers(site_build: Build):
    page = text_of(site_build.page("layers/broken"))
    assert "1 registration refused: the plugin loaded in part" in page
    assert "builtins:dict" in page and "is not a keras.layers.Layer subclass" in page
    assert "Raises" in page and "partial" in page


def test_the_catalog_has_a_filter_and_the_navigation_is_grouped_by_plugin(site_build: Build):
    raw = site_build.page("layers")
    assert 'data-lr-filter="plugin"' in raw and 'data-lr-filter="tag"' in raw
    assert '<option value="acme-only">' in raw
    assert (site_build.site / "assets/layer-registry/catalog.js").exists()
    nav = site_build.page("layers/acme/Gated")
    # navigation.prune: a page carries its own plugin's layers, not every other plugin's.
    assert "layers/acme/Scale" in nav.replace("../Scale/", "layers/acme/Scale")
    assert "CustomNonLinear/" not in nav


def test_a_rebuild_with_nothing_changed_runs_no_example(site_build: Build):
    assert site_build.rebuild_returncode == 0, site_build.rebuild_stderr[-3000:]
    count = len(installed_layers(site_build))
    assert f"examples: {count} cached, 0 run (no example worker started)" in (
        site_build.rebuild_stderr
    )
    assert "running" not in site_build.rebuild_stderr
    # The first build did run them, in a worker (where TensorFlow starts); the rebuild none.
    assert "running" in site_build.stderr and "worker process" in site_build.stderr


def test_the_first_build_says_how_many_examples_of_how_many_plugins_it_runs(site_build: Build):
    layers = installed_layers(site_build)
    plugins = sorted({layer["namespace"] for layer in layers})
    # Issue #16: "running 3 of 1 plugin(s)" read wrong.
    line = (
        f"examples: 0 cached, running {len(layers)} examples of {len(plugins)} plugins "
        f"({', '.join(plugins)}) in "
    )
    assert re.search(
        re.escape(line) + r"(1 worker process|[2-9]\d* worker processes)$",
        site_build.stderr,
        flags=re.MULTILINE,
    ), site_build.stderr[-3000:]


def test_the_cli_reference_is_written_from_the_cli(site_build: Build):
    from layer_registry._cli import cli

    page = text_of(site_build.page("reference/cli"))
    for name in cli.list_commands(click.Context(cli)):
        assert f"layer-registry {name}" in page
    assert "--plugin NS" in page


def test_the_changelog_page_includes_the_changelog(site_build: Build):
    assert "Unreleased" in text_of(site_build.page("changelog"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for attribute in ("href", "src"):
            if values.get(attribute) and tag in {"a", "link", "img", "script", "source"}:
                self.links.append(values[attribute] or "")


def test_no_internal_link_is_broken(site_build: Build):
    root = site_build.site
    parsed: dict[Path, _Links] = {}
    for page in root.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page] = parser
    broken = []
    checked = 0
    for page, parser in parsed.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("#", "mailto:", "data:")):
                continue
            path = unquote(parts.path)
            target = (root / path.lstrip("/")) if path.startswith("/") else page.parent / path
            if path.endswith("/") or target.is_dir():
                target = target / "index.html"
            target = target.resolve()
            checked += 1
            if not target.is_file():
                broken.append(f"{page.relative_to(root)}: {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed.get(target, _Links()).ids
                if target in parsed and unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(root)}: {link} (no such anchor)")
    assert checked > 500
    assert not broken, "\n".join(broken[:50])
