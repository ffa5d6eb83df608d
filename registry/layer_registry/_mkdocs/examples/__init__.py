"""Run the layers' examples for the documentation site, in worker processes, with a cache.

The site shows every layer's runnable example and the ``Example:`` blocks of its docstring
with the output they really print. The main process (MkDocs) never imports TensorFlow for
this: an [`ExampleRunner`][] feeds the examples that are not cached to worker processes
(``python -m layer_registry._mkdocs.examples._worker``), one per core and at most one per
plugin with work (``LAYER_REGISTRY_EXAMPLE_WORKERS`` sets how many), as JSON lines. A plugin's
examples all run in one worker, in order; an example that takes more than ``timeout`` seconds
or kills its worker fails alone, and a new worker runs the rest of its plugin.

Results are cached by [`example_key`][]: the layer's name, its registered example, the
content of its plugin's source files, the docstring, and the versions of everything that
can change the output. A rebuild with nothing changed starts no worker at all.

One job a module: ``_records`` (jobs and results), ``_code`` (the code that runs: the generated
example, the docstring's blocks), ``_plots`` (the response plot: whether, what, and drawing it),
``_store`` (cache keys and results on disk), ``_runner`` (the parent side) and ``_worker`` (the
child side, never imported here).
"""

from layer_registry._mkdocs.examples._code import construction
from layer_registry._mkdocs.examples._code import create_call
from layer_registry._mkdocs.examples._code import docstring_examples
from layer_registry._mkdocs.examples._code import docstring_library
from layer_registry._mkdocs.examples._code import docstring_preamble
from layer_registry._mkdocs.examples._code import docstring_style
from layer_registry._mkdocs.examples._code import example_code
from layer_registry._mkdocs.examples._code import positional_example_code
from layer_registry._mkdocs.examples._plots import caption
from layer_registry._mkdocs.examples._plots import plottable
from layer_registry._mkdocs.examples._plots import why_no_plot
from layer_registry._mkdocs.examples._records import BlockResult
from layer_registry._mkdocs.examples._records import ExampleJob
from layer_registry._mkdocs.examples._records import ExampleResult
from layer_registry._mkdocs.examples._runner import ExampleRunner
from layer_registry._mkdocs.examples._store import ExampleCache
from layer_registry._mkdocs.examples._store import SourceDigests
from layer_registry._mkdocs.examples._store import example_key

__all__ = [
    "BlockResult",
    "ExampleCache",
    "ExampleJob",
    "ExampleResult",
    "ExampleRunner",
    "SourceDigests",
    "caption",
    "construction",
    "create_call",
    "docstring_examples",
    "docstring_library",
    "docstring_preamble",
    "docstring_style",
    "example_code",
    "example_key",
    "plottable",
    "positional_example_code",
    "why_no_plot",
]
