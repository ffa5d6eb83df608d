"""A plugin author's own ``mkdocs.yml``: the smallest one works, mistakes are one clear line."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from layer_registry._cli import main
from layer_registry._mkdocs.config import LayerRegistryConfig
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.site_builds import MKDOCS
from support.site_builds import Build
from support.site_builds import environment
from support.site_builds import once
from support.site_builds import run
from support.site_builds import shared_folder

ROOT = Path(__file__).resolve().parents[2]
MKDOCS_WARNING = re.compile(r"^(WARNING|ERROR)\s+-", re.MULTILINE)

PLAIN = '''
import keras
from keras import ops


class Plain(keras.layers.Layer):
    """A layer documented by a site that lists no Markdown extension.

    Example:

    ```python
    raise RuntimeError("boom from the docstring example")
    ```
    """

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''


def write_site(folder: Path, **options: object) -> Path:
    """The smallest ``mkdocs.yml`` enabling the plugin (no ``markdown_extensions``)."""
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    (folder / "docs" / "index.md").write_text("# Plain layers\n")
    config = {
        "site_name": "plain-layers",
        "theme": {"name": "material"},
        # mkdocstrings first: its on_config adds an extension object to markdown_extensions.
        "plugins": ["mkdocstrings", {"layer-registry": {"plugins": ["plain"], **options}}],
    }
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def plain_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``mkdocs build --strict`` of the smallest config, its conformance file broken; then the
    same with the plugin's ``strict: true`` (the rebuild fields)."""
    folder = shared_folder(tmp_path_factory) / "plain"
    with once(folder) as todo:
        if todo is not None:
            plugin = write_plugin(
                todo / "plain",
                distribution="plain-layers",
                namespace="plain",
                source=plugin_source(
                    preamble=PLAIN,
                    register="    register(Plain, example={'units': 2}, input_shape=(2, 3))",
                ),
            )
            env = environment([plugin], todo / "cache")
            lenient_site = todo / "lenient"
            write_site(lenient_site, conformance="conformance.json")
            (lenient_site / "conformance.json").write_text("{not json")
            lenient = run([MKDOCS, "build", "--strict", "-d", str(todo / "site")], env,
                          lenient_site)
            strict_site = todo / "strict"
            write_site(strict_site, conformance="conformance.json", strict=True, execute=False)
            (strict_site / "conformance.json").write_text("{not json")
            strict = run([MKDOCS, "build", "-d", str(todo / "strict-site")], env, strict_site)
            (todo / "done.json").write_text(json.dumps({
                "returncode": lenient.returncode, "stderr": lenient.stderr,
                "rebuild_returncode": strict.returncode, "rebuild_stderr": strict.stderr,
                "env": env,
            }))
    record = json.loads((folder / "done.json").read_text())
    return Build(site=folder / "site", **record)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_the_smallest_config_builds_strictly_without_a_warning(plain_build: Build):
    assert plain_build.returncode == 0, plain_build.stderr[-3000:]
    assert not MKDOCS_WARNING.findall(plain_build.stderr), plain_build.stderr[-3000:]
    assert "added the Markdown extension(s) admonition, attr_list" in plain_build.stderr
    assert "examples: 0 cached, running 1 example of 1 plugin (plain)" in plain_build.stderr


def test_the_generated_markdown_renders_without_markdown_extensions_listed(plain_build: Build):
    page = plain_build.page("layers/plain/Plain")
    blocks = [text_of(b) for b in re.findall(r"<pre[^>]*>.*?</pre>", page, flags=re.S)]
    # The example's output: a code block titled "Output", not a paragraph of literal fences.
    assert any("output shape: (2, 2)" in block for block in blocks), blocks
    assert re.search(r'class="filename">Output<', page)
    # The failing docstring example: the library's, a warning box holding its traceback.
    box = re.search(r'<div class="admonition warning">(.*?)</div>\s*(?:<h|<p)', page, flags=re.S)
    assert box and "boom from the docstring example" in text_of(box[1])
    # The plot: a lazily loaded image in a figure with its caption (md_in_html, added too).
    assert re.search(r'<figure class="lr-plot">\s*<img[^>]*loading="lazy"', page)
    assert "<figcaption>Each output unit (the first 16" in page
    for literal in ("!!!", "{ loading=lazy }", 'title="Output"', "```", 'markdown="span"'):
        assert literal not in html.unescape(page), literal


def test_an_unreadable_conformance_file_is_a_note_not_a_failed_build(plain_build: Build):
    page = text_of(plain_build.page("layers/plain/Plain"))
    assert "The conformance results in conformance.json could not be read" in page
    assert "cannot read the conformance results" in plain_build.stderr


def test_with_the_plugins_strict_option_an_unreadable_conformance_file_fails_the_build(
    plain_build: Build,
):
    assert plain_build.rebuild_returncode != 0
    assert "layer-registry (strict): 1 problem:" in plain_build.rebuild_stderr
    assert "cannot read the conformance results" in plain_build.rebuild_stderr


# -- the docs command's mistakes: one line, exit status 2 --------------------------------------


@pytest.fixture
def docs(capsys: pytest.CaptureFixture[str]):
    def run_docs(*args: str) -> tuple[int, str, str]:
        status = main(["docs", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run_docs


@pytest.mark.parametrize("options", [[], ["--strict"], ["--timeout", "5"]])
def test_a_config_without_the_plugin_is_one_line_naming_the_file(
    docs, tmp_path: Path, options: list[str]
):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Hello\n")
    config = tmp_path / "other.yml"
    config.write_text("site_name: other\nplugins:\n  - search\n")
    status, out, err = docs("build", "-f", str(config), *options, "-o", str(tmp_path / "out"))
    assert (status, out) == (2, "")
    assert err == (
        f"error: {config} does not enable the layer-registry MkDocs plugin, so it would build "
        "no layer pages; add `- layer-registry` under `plugins` in it\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_unknown_plugin_namespace_is_one_line(docs, tmp_path: Path):
    status, out, err = docs("build", "--plugin", "nope", "-o", str(tmp_path / "out"))
    assert (status, out) == (2, "")
    assert err.startswith("error: --plugin nope: no installed plugin has the namespace 'nope'; ")
    assert "installed: examples" in err
    assert len(err.splitlines()) == 1


# -- the guide ----------------------------------------------------------------------------


def test_the_guide_describes_every_option_of_the_mkdocs_plugin():
    guide = (ROOT / "site" / "docs" / "guides" / "writing-plugins.md").read_text()
    for option, _ in LayerRegistryConfig._schema:
        assert f"- `{option}`" in guide, option
