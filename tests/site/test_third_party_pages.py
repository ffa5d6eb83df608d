"""The site on other people's layers: code a reader can run, docstrings as libraries write them.

Fast tests of the generated code (inputs as separate arguments or one list, a function example,
a setup hook), the docstring preamble, the docstring style and the catalog's conformance
markup; then one real ``layer-registry docs build --strict`` of a throw-away plugin whose layers
are written the way libraries write them.
"""

from __future__ import annotations

import html
import json
import re

import markdown
import pytest

from layer_registry import LayerInfo
from layer_registry import PluginInfo
from layer_registry._mkdocs import catalog
from layer_registry._mkdocs import conformance
from layer_registry._mkdocs import pages
from layer_registry._mkdocs.examples import BlockResult
from layer_registry._mkdocs.examples import ExampleResult
from layer_registry._mkdocs.examples import docstring_examples
from layer_registry._mkdocs.examples import docstring_preamble
from layer_registry._mkdocs.examples import docstring_style
from layer_registry._mkdocs.examples import example_code
from layer_registry._mkdocs.examples import positional_example_code
from support.distributions import write_plugin
from support.processes import CLI
from support.site_builds import Build
from support.site_builds import environment
from support.site_builds import once
from support.site_builds import run
from support.site_builds import shared_folder


def info(**fields) -> LayerInfo:
    defaults = dict(
        name="tp>Cell",
        namespace="tp",
        class_name="Cell",
        distribution="thirdparty-layers",
        version="1.0",
        summary="A cell.",
        input_shape=((2, 3), (2, 2)),
        import_path="thirdparty_layers.cells:Cell",
    )
    return LayerInfo(**{**defaults, **fields})


# -- the generated example ------------------------------------------------------------------


def test_a_layer_whose_call_takes_several_positional_arguments_gets_them_separately():
    code = positional_example_code(info())
    assert "y = layer(x1, x2)" in code and "x = [" not in code
    compile(code, "<example>", "exec")
    # A layer of one list input (Add, Concatenate) still gets the list.
    listed = example_code(info())
    assert "y = layer(x)" in listed and "x = [" in listed
    # One input: no positional variant at all.
    assert positional_example_code(info(input_shape=(2, 3))) == ""


def test_a_function_example_and_a_setup_are_imported_called_and_their_sources_shown():
    layer = info(
        input_shape=(2, 3),
        example_function="thirdparty_layers.wrap:wrapper_example",
        example_source='def wrapper_example():\n    return {"inner": keras.layers.Dense(2)}',
        setup_function="thirdparty_layers.wrap:prime",
        setup_source="def prime(layer):\n    layer.offset = 1.0",
    )
    code = example_code(layer)
    assert "from thirdparty_layers.wrap import wrapper_example" in code
    assert "from thirdparty_layers.wrap import prime" in code
    assert 'layer = layer_registry.create("tp>Cell", **wrapper_example())\nprime(layer)\n' in code
    page = pages.layer_page(layer, unique_class_name=True, api=False)
    assert "The registered example function, `thirdparty_layers.wrap:wrapper_example`" in page
    assert 'return {"inner": keras.layers.Dense(2)}' in page
    assert "layer.offset = 1.0" in page
    assert "**wrapper_example())" in page


def test_a_lambda_example_is_built_as_the_kit_builds_it():
    code = example_code(info(input_shape=(2, 3), example_function="thirdparty_layers:<lambda>"))
    assert 'layer = example_layer("tp>Cell")' in code
    assert "from layer_registry._models._example import example_layer" in code


# -- docstrings -----------------------------------------------------------------------------

NUMPYDOC = """Scale the inputs.

Parameters
----------
units : int
    The size of the output.

Examples
--------
>>> layer = Scaler(units=2)
>>> print(layer(np.ones((2, 3))).shape)
(2, 2)

Notes
-----
>>> print("not an example")
"""


def test_numpydoc_examples_are_read_and_the_style_is_detected():
    assert docstring_examples(NUMPYDOC) == [
        "layer = Scaler(units=2)\nprint(layer(np.ones((2, 3))).shape)\n"
    ]
    assert docstring_style(NUMPYDOC) == "numpy"
    assert docstring_style("A layer.\n\nArgs:\n    units: the size.\n") == "google"
    numpy_page = pages.layer_page(info(doc=NUMPYDOC), unique_class_name=True)
    assert 'docstring_style: "numpy"' in numpy_page
    assert 'docstring_style: "google"' in pages.layer_page(info(), unique_class_name=True)


def test_the_preamble_imports_what_library_docstrings_assume():
    preamble = docstring_preamble(info())
    assert preamble.splitlines() == [
        "import numpy as np",
        "import keras",
        "from keras import ops",
        "import thirdparty_layers",
        "from thirdparty_layers.cells import Cell",
    ]


def rendered(page: str) -> str:
    return markdown.markdown(
        page,
        extensions=[
            "tables",
            "attr_list",
            "md_in_html",
            "admonition",
            "pymdownx.details",
            "pymdownx.superfences",
        ],
    )


def test_a_failing_docstring_example_is_the_librarys_and_not_a_failure_of_the_site():
    result = ExampleResult(
        "tp>Cell",
        "k",
        blocks=[
            BlockResult("The generated example", "y = layer(x1, x2)", "output shape: (2, 2)\n"),
            BlockResult(
                "Docstring example 1",
                "keras_nlp.Thing()",
                "",
                "Traceback ...",
                "NameError: name 'keras_nlp' is not defined",
            ),
        ],
    )
    assert result.failure is None
    assert [block.title for block in result.docstring_failures] == ["Docstring example 1"]
    page = pages.results_section(info(), result, plot=None)
    assert (
        "!!! warning \"Docstring example 1 from thirdparty_layers's docstring failed: "
        "NameError: name 'keras_nlp' is not defined\"" in page
    )
    assert "!!! failure" not in page
    # The preamble once, collapsed, not inside each block.
    assert page.count("from keras import ops") == 1
    assert '??? note "The preamble run before each block"' in page
    assert "<details" in rendered(page)


# -- conformance: layer pages and the catalog -----------------------------------------------

ROWS = [
    {"layer": "tp>Cell", "check": "call", "status": "pass", "reason": "", "seconds": 0.1},
    {
        "layer": "tp>Cell",
        "check": "jit_compile",
        "status": "xfail",
        "reason": "expected failure: data-dependent shape",
        "seconds": 0.2,
    },
    {"layer": "tp>Cell", "check": "saving", "status": "pass", "reason": "", "seconds": 1.0},
    {
        "layer": "tp>Cell",
        "check": "backend_portable",
        "status": "fail",
        "reason": "no jax",
        "seconds": 2.0,
    },
]


def test_a_summary_counts_expected_failures_apart_and_names_the_backends():
    summary = conformance.summarize(ROWS, backend="tensorflow")
    assert (summary.passed, summary.expected, summary.failed) == (2, 1, 1)
    assert summary.status == "failed" and summary.backends == ("tensorflow",)
    portable = [
        {**row, "status": "pass"} if row["check"] == "backend_portable" else row for row in ROWS
    ]
    assert conformance.summarize(portable, backend="tensorflow").backends == ("jax", "tensorflow")
    assert conformance.summarize(portable).status == "expected"
    assert conformance.summarize(()).status == "unchecked"


def test_expected_failures_are_shown_with_a_badge_and_counted_on_the_layer_page():
    layer = info(expected_failures={"jit_compile": "data-dependent shape"})
    page = pages.results_section(layer, None, plot=None, conformance=ROWS)
    assert "**2 passed, 1 expected failure, 1 failed**" in page
    assert f"| `jit_compile` | {conformance.EXPECTED_BADGE} |" in page
    # Declared but never checked: still shown, with the plugin's reason.
    declared = pages.results_section(layer, None, plot=None)
    assert "the plugin declares 1 expected failure" in declared
    assert f"| `jit_compile` | {conformance.EXPECTED_BADGE} | data-dependent shape |" in declared


def test_the_catalog_shows_conformance_and_backends_and_filters_on_both():
    layers = [info(tags=("rnn",)), info(name="tp>Plain", class_name="Plain", input_shape=(2, 3))]
    plugins = [PluginInfo("tp", "thirdparty-layers", "1.0", "loaded")]
    page = rendered(catalog.catalog_page(layers, plugins, {"tp>Cell": ROWS}))
    headers = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert headers == ["Layer", "Plugin", "Summary", "Tags", "Conformance", "Backends"]
    assert 'data-lr-status="failed">2 passed, 1 expected failure, 1 failed</span>' in page
    assert 'data-lr-status="unchecked">not checked</span>' in page
    assert '<span data-lr-backends="tensorflow">TensorFlow</span>' in page
    for key in ("plugin", "tag", "status", "backend"):
        assert f'data-lr-filter="{key}"' in page
    assert '<option value="expected">expected failures only</option>' in page
    assert '<option value="tensorflow">TensorFlow</option>' in page
    assert "Conformance: 1 layer checked; 0 pass every check" in page


# -- one real build -------------------------------------------------------------------------

THIRD_PARTY = '''
import keras
import layer_registry
from keras import ops


class Scaler(keras.layers.Layer):
    """Scale the inputs by a learned matrix, documented the numpydoc way.

    Parameters
    ----------
    units : int
        The size of the output.
    **kwargs
        Base layer keyword arguments.

    Examples
    --------
    >>> layer = thirdparty_layers.Scaler(units=2)
    >>> y = layer(np.ones((2, 3), dtype="float32"))
    >>> print("numpydoc example:", tuple(ops.shape(y)))
    numpydoc example: (2, 2)
    """

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)


class PairCell(keras.layers.Layer):
    """A cell of two positional inputs, documented the Google way.

    Args:
        units: The size of the state.

    Example:

    >>> cell = PairCell(units=2)
    >>> out, state = cell(np.ones((1, 3)), np.zeros((1, 2)))
    >>> print("cell docstring example:", tuple(out.shape))

    Example:

    >>> from keras_nlp_nope import Tokenizer
    """

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, inputs_shape, states_shape=None):
        self.kernel = self.add_weight(shape=(inputs_shape[-1], self.units), name="kernel")

    def call(self, inputs, states):
        output = ops.matmul(inputs, self.kernel) + states
        return output, output


class Wrapper(keras.layers.Layer):
    """Apply an inner layer, then add the offset its setup gives it.

    Args:
        inner: The layer to apply.
    """

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs) + self.offset

    def get_config(self):
        inner = keras.saving.serialize_keras_object(self.inner)
        return {**super().get_config(), "inner": inner}


def wrapper_example():
    return {"inner": keras.layers.Dense(2)}


def prime(layer):
    layer.offset = 10.0


@layer_registry.hookimpl
def register_layers(register):
    register(Scaler, example={"units": 2}, input_shape=(2, 3), tags=["numpydoc"],
             expected_failures={"jit_compile": "declared for the test: XLA is not wanted"})
    register(PairCell, example={"units": 2}, input_shape=[(2, 3), (2, 2)], tags=["cell"])
    register(Wrapper, example=wrapper_example, setup=prime, input_shape=(2, 3), tags=["wrap"])
'''


@pytest.fixture(scope="session")
def third_party_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``layer-registry docs build --plugin thirdparty --strict`` of library-like layers."""
    folder = shared_folder(tmp_path_factory) / "third-party"
    with once(folder) as todo:
        if todo is not None:
            plugin = write_plugin(
                todo / "thirdparty",
                distribution="thirdparty-layers",
                namespace="thirdparty",
                source=THIRD_PARTY,
            )
            env = environment([plugin], todo / "cache")
            built = run(
                [
                    CLI,
                    "docs",
                    "build",
                    "--plugin",
                    "thirdparty",
                    "--strict",
                    "-o",
                    str(todo / "site"),
                ],
                env,
                todo,
            )
            (todo / "done.json").write_text(
                json.dumps({"returncode": built.returncode, "stderr": built.stderr, "env": env})
            )
    record = json.loads((folder / "done.json").read_text())
    return Build(site=folder / "site", **record)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_the_strict_build_passes_with_a_failing_docstring_example(third_party_build: Build):
    assert third_party_build.returncode == 0, third_party_build.stderr[-3000:]
    assert (
        "Docstring example 2 from thirdparty_layers's docstring of thirdparty>PairCell "
        "failed (shown on its page)" in third_party_build.stderr
    )


def test_library_docstrings_run_with_the_preamble(third_party_build: Build):
    scaler = text_of(third_party_build.page("layers/thirdparty/Scaler"))
    assert "numpydoc example: (2, 2)" in scaler
    assert "import thirdparty_layers" in scaler
    cell = third_party_build.page("layers/thirdparty/PairCell")
    assert "cell docstring example: (1, 2)" in text_of(cell)
    box = re.search(r'<div class="admonition warning">(.*?)</div>', cell, flags=re.S)
    assert box, cell
    assert "Docstring example 2 from thirdparty_layers's docstring failed" in text_of(box[1])
    assert "keras_nlp_nope" in text_of(box[1])
    assert '<div class="admonition failure">' not in cell


def test_the_generated_examples_call_as_the_kit_does(third_party_build: Build):
    cell = text_of(third_party_build.page("layers/thirdparty/PairCell"))
    assert "y = layer(x1, x2)" in cell
    assert "output shape: ((2, 2), (2, 2))" in cell
    wrapper = text_of(third_party_build.page("layers/thirdparty/Wrapper"))
    assert 'layer = layer_registry.create("thirdparty>Wrapper", **wrapper_example())' in wrapper
    assert "prime(layer)" in wrapper and "layer.offset = 10.0" in wrapper
    assert "output shape: (2, 2)" in wrapper


def test_numpydoc_and_google_parameters_render_as_tables(third_party_build: Build):
    for layer, parameter in (("Scaler", "units"), ("PairCell", "units"), ("Wrapper", "inner")):
        page = third_party_build.page(f"layers/thirdparty/{layer}")
        api = page.split('id="api-reference"', 1)[1]
        table = re.search(r"<table>.*?</table>", api, flags=re.S)
        assert table and f"<code>{parameter}</code>" in table[0], layer
        assert "----------" not in text_of(api) and "Args:" not in text_of(api), layer


def test_a_declared_expected_failure_is_on_the_page_and_the_catalog_has_the_filters(
    third_party_build: Build,
):
    scaler = third_party_build.page("layers/thirdparty/Scaler")
    assert "the plugin declares 1 expected failure" in text_of(scaler)
    assert 'class="lr-badge lr-badge-expected">expected</span>' in scaler
    index = third_party_build.page("layers")
    for key in ("plugin", "tag", "status", "backend"):
        assert f'data-lr-filter="{key}"' in index
    assert index.count('data-lr-status="unchecked"') == 3
