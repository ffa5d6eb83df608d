"""The site's parts without a build: docstring examples, generated code, pages, the CLI page."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import click
import markdown
import pytest

from layer_registry import LayerInfo
from layer_registry import PluginInfo
from layer_registry._mkdocs import pages
from layer_registry._mkdocs.examples import BlockResult
from layer_registry._mkdocs.examples import ExampleCache
from layer_registry._mkdocs.examples import ExampleResult
from layer_registry._mkdocs.examples import caption
from layer_registry._mkdocs.examples import docstring_examples
from layer_registry._mkdocs.examples import example_code
from layer_registry._mkdocs.examples import plottable
from layer_registry._mkdocs.examples import why_no_plot


def info(**fields) -> LayerInfo:
    defaults = dict(
        name="acme>Gated",
        namespace="acme",
        class_name="Gated",
        distribution="acme-layers",
        version="1.0",
        summary="A gate.",
        example={"units": 3},
        input_shape=(4, 5),
        import_path="acme_layers.gated:Gated",
    )
    return LayerInfo(**{**defaults, **fields})


def test_docstring_examples_takes_every_block_of_the_example_section_only():
    doc = textwrap.dedent(
        """
        A layer.

        ```python
        print("not an example: before the section")
        ```

        Args:
            units: an int.

        Example:

        ```python
        print(1)
        ```

        Some prose, then a doctest:

        >>> x = 2
        >>> print(x)
        2

            ```py
            print("indented")
            ```

        ```text
        not python
        ```

        Input shape:
            (batch, features)
        """
    )
    assert docstring_examples(doc) == ["print(1)\n", "x = 2\nprint(x)\n", 'print("indented")\n']
    assert docstring_examples("Examples:\n\n```\nprint(3)\n```\n") == ["print(3)\n"]
    assert docstring_examples("No examples here.") == []


@pytest.mark.parametrize(
    "layer",
    [
        info(),
        info(input_shape=((4, 5), (4, 2)), input_dtype=("float32", "int32")),
        info(input_shape=(8, 4), input_dtype="int32", example={"name": "x", "scale": 0.5}),
        info(input_shape=None),
    ],
    ids=["one-input", "two-inputs", "int-input", "no-input-shape"],
)
def test_the_generated_example_is_valid_python_that_creates_the_layer_by_name(layer):
    code = example_code(layer)
    compile(code, "<example>", "exec")
    assert f'layer_registry.create("{layer.name}"' in code
    assert ("y = layer(x)" in code) == (layer.input_shape is not None)


def rendered(page: str) -> str:
    """The HTML a page's Markdown becomes, with the extensions the plugin makes sure of."""
    return markdown.markdown(page, extensions=["tables", "attr_list", "md_in_html"])


def test_a_single_float_input_of_any_rank_gets_a_plot_and_the_rest_say_why_not():
    assert plottable(info()) and plottable(info(input_shape=(4, 16, 1)))
    assert plottable(info(input_shape=(2, 8, 8, 3), input_dtype="bfloat16"))
    assert why_no_plot(info(input_dtype="int32")) == (
        "the example input is int32, and the plot sweeps a floating-point input"
    )
    assert why_no_plot(info(input_shape=((4, 5), (4, 5)))) == (
        "the layer takes 2 inputs, and the plot sweeps a single one"
    )
    assert why_no_plot(info(input_shape=None)) == (
        "the layer registers no example input (`input_shape`)"
    )
    assert "batch axis only" in (why_no_plot(info(input_shape=(4,))) or "")


def test_the_plot_caption_says_where_the_input_is_swept_and_the_output_read():
    assert caption(info()) == (
        "Each output unit (the first 16 when there are more) as input feature 0 sweeps from "
        "-3 to 3; every other input value stays at the example input's first sample."
    )
    steps = caption(info(input_shape=(4, 16, 1)))
    assert steps.startswith("Each output unit at step 0 (the first 16")
    assert "as input feature 0 at step 0 sweeps from -3 to 3" in steps
    assert "at position (0, 0)" in caption(info(input_shape=(2, 8, 8, 3)))


def test_the_metadata_tables_have_real_column_headers():
    layer = rendered(pages.layer_page(info(aliases=("OldGated",)), unique_class_name=True))
    acme = PluginInfo("acme", "acme-layers", "1.0", "loaded")
    plugin = rendered(pages.plugin_page(acme, [info()]))
    for html in (layer, plugin):
        headers = re.findall(r"<th[^>]*>(.*?)</th>", html, flags=re.S)
        assert headers and all(header.strip() for header in headers), headers
    first = re.search(r"<table>.*?</table>", layer, flags=re.S)
    assert first and "<th>Field</th>" in first[0] and "<th>Value</th>" in first[0]
    assert "<td>Name</td>" in first[0] and "<code>acme&gt;Gated</code>" in first[0]


def test_a_plugin_page_lists_the_failures_its_layers_declare():
    acme = PluginInfo("acme", "acme-layers", "1.0", "loaded")
    gated = info(expected_failures={"jit_compile": "TensorFlow-only ops"})
    page = rendered(pages.plugin_page(acme, [gated, info(name="acme>Plain", class_name="Plain")]))
    known = page.split("Known failures", 1)[1]
    assert "declares 1 expected failure" in known
    row = re.search(r"<tr>\s*<td><a href=\"Gated.md\">Gated</a></td>(.*?)</tr>", known, re.S)
    assert row and "<code>jit_compile</code>" in row[1] and "TensorFlow-only ops" in row[1]
    assert "Plain" not in known
    assert "Known failures" not in rendered(pages.plugin_page(acme, [info()]))


def test_a_plotted_page_shows_the_figure_with_its_caption():
    result = ExampleResult(
        "periodic>Time2Vec", "k", blocks=[BlockResult("The generated example", "", "")], plot=True
    )
    layer = info(name="periodic>Time2Vec", class_name="Time2Vec", input_shape=(4, 16, 1))
    html = rendered(pages.results_section(layer, result, plot="Time2Vec.png"))
    figure = re.search(r"<figure[^>]*>(.*?)</figure>", html, flags=re.S)
    assert figure, html
    assert re.search(r'<img[^>]*src="Time2Vec.png"', figure[1])
    assert re.search(r'<img[^>]*loading="lazy"', figure[1])
    assert "<figcaption>Each output unit at step 0" in figure[1]


@pytest.mark.parametrize(
    ("layer", "result", "why"),
    [
        (
            info(input_dtype="int32"),
            ExampleResult("acme>Gated", "k"),
            "the example input is int32, and the plot sweeps a floating-point input",
        ),
        (
            info(input_shape=(4, 16, 1)),
            ExampleResult("acme>Gated", "k", plot_error="ValueError: the output drops the steps"),
            "ValueError: the output drops the steps",
        ),
        (
            info(),
            ExampleResult("acme>Gated", "k", blocks=[BlockResult("b", "", "", "Tb", "E")]),
            "the example did not run to the end",
        ),
    ],
    ids=["int-input", "plot-raised", "example-failed"],
)
def test_a_page_without_a_plot_says_why_in_one_line(layer, result, why):
    page = pages.results_section(layer, result, plot=None)
    assert f"*No response plot: {why}.*" in page
    assert "<figure" not in page
    # A site that switched plots off shows neither.
    assert "No response plot" not in pages.results_section(layer, result, plot=None, plots=False)


def test_cached_results_round_trip_and_transient_ones_are_not_kept(tmp_path: Path):
    cache = ExampleCache(tmp_path)
    result = ExampleResult("acme>Gated", "k1", blocks=[BlockResult("b", "print(1)", "1\n")])
    cache.put(result)
    assert cache.get("k1") == result
    cache.put(ExampleResult("acme>Gated", "k2", error="timed out", transient=True))
    assert cache.get("k2") is None
    (tmp_path / "k3.json").write_text("{not json")
    assert cache.get("k3") is None
    assert ExampleCache(None).get("k1") is None


def test_a_result_names_its_first_failure():
    ok = ExampleResult("a>B", "k", blocks=[BlockResult("The generated example", "", "")])
    assert ok.failure is None
    block = BlockResult("Docstring example 1", "", "", "Traceback", "KeyError: 'x'")
    failed = ExampleResult("a>B", "k", blocks=[block])
    assert failed.failure == "Docstring example 1 raised KeyError: 'x'"
    # After the generated example, a failing block is the docstring's: shown, not a failure.
    generated = BlockResult("The generated example", "", "")
    library = ExampleResult("a>B", "k", blocks=[generated, block])
    assert library.failure is None and library.docstring_failures == [block]


def test_the_results_section_shows_output_weights_config_plot_and_conformance():
    result = ExampleResult(
        "acme>Gated",
        "k",
        blocks=[
            BlockResult("The generated example", "print('x')", "output shape: (4, 3)\n"),
            BlockResult("Docstring example 1", "raise KeyError", "", "Traceback ...", "KeyError"),
        ],
        weights=[
            {
                "name": "gated/kernel",
                "shape": [5, 3],
                "dtype": "float32",
                "trainable": True,
                "initializer": "ones",
            }
        ],
        config='{"units": 3}',
        plot=True,
    )
    rows = [
        {
            "layer": "acme>Gated",
            "check": "saving",
            "status": "fail",
            "reason": "weights | lost",
            "seconds": 1.5,
        }
    ]
    markdown = pages.results_section(info(), result, plot="Gated.png", conformance=rows)
    assert "output shape: (4, 3)" in markdown
    # The docstring's example is the library's: a warning box, not the site's failure.
    assert '!!! warning "Docstring example 1 from acme_layers\'s docstring failed: KeyError"' in (
        markdown
    )
    assert "| `gated/kernel` | `(5, 3)` | float32 | yes | `ones` |" in markdown
    assert "![Response" in markdown and "(Gated.png)" in markdown
    assert '{"units": 3}' in markdown
    assert "| `saving` | **FAIL** | weights \\| lost | 1.50 |" in markdown
    assert "**0 passed, 1 failed**" in markdown


def test_a_fenced_block_is_never_closed_by_its_content():
    block = pages.fenced("a\n```\nb", "text")
    assert block.startswith("````text\n") and block.endswith("\n````\n")


def test_the_layer_page_names_the_layer_and_asks_mkdocstrings_for_its_class():
    page = pages.layer_page(info(aliases=("OldGated",)), unique_class_name=True)
    assert page.startswith("# Gated\n")
    assert 'layer_registry.create("acme>Gated", units=3)' in page
    assert "`acme>OldGated`" in page
    assert "::: acme_layers.gated.Gated" in page
    assert pages.RESULTS_MARKER in page
    assert "::: " not in pages.layer_page(info(), unique_class_name=False, api=False)


def test_the_cli_reference_documents_every_command_and_option():
    from layer_registry._cli import cli
    from layer_registry._mkdocs.cli_reference import cli_reference

    page = cli_reference(cli, "layer-registry")
    for name in cli.list_commands(click.Context(cli)):
        assert f"## `layer-registry {name}`" in page
    assert "### `layer-registry docs build`" in page
    assert "`-o, --output DIR`" in page
    assert "`--plugin NS`" in page


def test_the_default_site_config_is_a_valid_mkdocs_config(tmp_path: Path):
    from mkdocs.config import load_config

    from layer_registry._cli._docs import write_default_config

    path = write_default_config(tmp_path, ["acme"])
    config = load_config(str(path), site_dir=str(tmp_path / "out"))
    assert config.site_name == "Layers of acme"
    assert "layer-registry" in config.plugins and "mkdocstrings" in config.plugins
    assert (tmp_path / "docs" / "index.md").exists()


def test_the_cli_reference_keeps_the_environment_table_as_written():
    from layer_registry._cli import cli
    from layer_registry._mkdocs.cli_reference import cli_reference

    page = cli_reference(cli, "layer-registry")
    table = page.split("```text\nEnvironment:\n", 1)[1].split("```", 1)[0]
    for variable in ("DISABLE", "ONLY", "STRICT", "CACHE=off", "CACHE_DIR", "DEBUG"):
        assert f"  LAYER_REGISTRY_{variable}" in table


def test_progress_counts_an_adopted_layer_under_the_plugin_that_registered_it(caplog):
    from layer_registry._mkdocs.config import LayerRegistryConfig
    from layer_registry._mkdocs.example_runs import ExampleRuns
    from layer_registry._mkdocs.examples import ExampleJob

    # An adopted class keeps the name its library gave it: the prefix is not the namespace.
    layers = [
        info(name="Custom>TCN", namespace="tcn", class_name="TCN"),
        info(name="tcn>Extra", namespace="tcn", class_name="Extra"),
    ]
    runs = ExampleRuns(layers, LayerRegistryConfig(), print)
    runs.results = {"tcn>Extra": ExampleResult("tcn>Extra", "k1")}
    on_result = runs.progress()
    with caplog.at_level("INFO", logger="mkdocs.plugins.layer_registry"):
        on_result(ExampleJob("Custom>TCN", "k2", "pass"), ExampleResult("Custom>TCN", "k2"))
    assert "examples of plugin 'tcn' done (0 failed;" in caplog.text
