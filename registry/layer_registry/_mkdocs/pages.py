"""The Markdown of the generated pages: the catalog, a plugin's page and a layer's page.

Plain functions from registry records (and example results) to Markdown; the plugin decides
where the pages go. Links are relative Markdown links, so MkDocs checks them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from layer_registry._mkdocs import examples
from layer_registry._mkdocs.conformance import section as conformance_section
from layer_registry._mkdocs.examples import ExampleResult
from layer_registry._mkdocs.markup import cell
from layer_registry._mkdocs.markup import code_span
from layer_registry._mkdocs.markup import count
from layer_registry._mkdocs.markup import fenced
from layer_registry._mkdocs.markup import fields_table
from layer_registry._mkdocs.markup import indent
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo

RESULTS_MARKER = "<!-- layer-registry:results -->"
"""Replaced, when the page is read, by the executed examples, weights, config and plot."""

API_OPTIONS = {
    "heading_level": 3,
    "show_root_heading": True,
    "show_root_full_path": False,
    "show_root_toc_entry": False,
    "show_source": True,
    "show_bases": True,
    "merge_init_into_class": True,
    "show_signature_annotations": True,
    # Replaced per layer by the style its docstring is written in (numpydoc or Google).
    "docstring_style": "google",
    # Other people's docstrings (untyped **kwargs, Args that document `inputs`) must not fail
    # a strict build: griffe's docstring warnings are about their style, not our site.
    "docstring_options": {"warnings": False},
    "show_if_no_docstring": False,
}
"""mkdocstrings options of every layer's API reference, set on the page itself so that they do
not depend on the site's global mkdocstrings configuration."""


def tag_links(tags: Iterable[str], catalog: str) -> str:
    return " ".join(f"[{code_span(tag)}]({catalog}?tag={tag})" for tag in tags) or "-"


def plugin_title(plugin: PluginInfo) -> str:
    return plugin.namespace


# -- a plugin's page ------------------------------------------------------------------------


def plugin_page(plugin: PluginInfo, layers: Sequence[LayerInfo]) -> str:
    """A plugin's distribution, version, summary, home page and layers, or why it failed."""
    lines = [f"# {plugin_title(plugin)}", ""]
    if plugin.summary:
        lines += [plugin.summary, ""]
    rows = [
        ("Namespace", code_span(plugin.namespace)),
        ("Distribution", f"{code_span(plugin.distribution)} {plugin.version}"),
        ("Install", code_span(f"pip install {plugin.distribution}")),
        ("Home page", f"<{plugin.home_page}>" if plugin.home_page else "-"),
        ("Entry point", code_span(plugin.entry_point) if plugin.entry_point else "-"),
        ("Status", plugin.status),
    ]
    lines += [*fields_table(rows), ""]
    if plugin.status == "failed":
        lines += [
            '!!! failure "This plugin failed to load"',
            "",
            indent(fenced(plugin.error or "(no error message)", "text")),
            "    Its layers are missing from this site and from `layer_registry`. "
            "`layer-registry plugins` shows the same error.",
            "",
        ]
    if plugin.refused:
        refused = count(len(plugin.refused), "registration")
        lines += [
            f'!!! warning "{refused} refused: the plugin loaded in part"',
            "",
            "    The registry skipped these classes; the plugin's other layers are here.",
            "",
            *(f"    - {code_span(where)}: {cell(why)}" for where, why in plugin.refused),
            "",
        ]
    lines += ["## Layers", ""]
    if layers:
        lines += ["| Layer | Summary | Tags |", "|---|---|---|"]
        for info in layers:
            lines.append(
                f"| [{info.class_name}]({info.class_name}.md) | {cell(info.summary)} "
                f"| {tag_links(info.tags, '../index.md')} |"
            )
    else:
        lines.append("This plugin registers no layers.")
    known = [(info, check, why) for info in layers for check, why in info.expected_failures.items()]
    if known:
        # A wrapped library's defects, as the plugin declares them: found by the conformance
        # kit, kept visible rather than hidden.
        lines += [
            "",
            "## Known failures",
            "",
            f"The plugin declares {count(len(known), 'expected failure')} of the conformance "
            "checks, each with its reason:",
            "",
            "| Layer | Check | Reason |",
            "|---|---|---|",
            *(
                f"| [{info.class_name}]({info.class_name}.md) | {code_span(check)} | {cell(why)} |"
                for info, check, why in known
            ),
        ]
    return "\n".join(lines) + "\n"


# -- a layer's page -------------------------------------------------------------------------


def layer_page(info: LayerInfo, *, unique_class_name: bool, api: bool = True) -> str:
    """The layer's page, with :data:`RESULTS_MARKER` where the executed results go."""
    module, _, qualname = info.import_path.partition(":")
    fields = [
        ("Name", code_span(info.name)),
        ("Plugin", f"[{info.namespace}](index.md) ({code_span(info.distribution)} {info.version})"),
        ("Class", code_span(f"{module}.{qualname}")),
        ("Tags", tag_links(info.tags, "../index.md")),
    ]
    if info.aliases:
        aliases = ", ".join(code_span(f"{info.namespace}>{alias}") for alias in info.aliases)
        fields.append(("Also loads as", aliases))
    lines = [
        f"# {info.class_name}",
        "",
        info.summary or "*This layer's class has no docstring.*",
        "",
        *fields_table(fields),
        "",
        "## Use it by name",
        "",
        fenced(
            "import layer_registry\n\n" + "\n".join(examples.construction(info)),
            "python",
        ),
        *_functions(info),
    ]
    if unique_class_name:
        lines += [
            f"The class name alone, {code_span(info.class_name)}, works too while no other "
            "installed plugin has a layer of that name.",
            "",
        ]
    spec = (
        "layers:\n"
        + f"  - layer: {info.name}\n"
        + "".join(
            f"    {key}: {json.dumps(value, default=str)}\n" for key, value in info.example.items()
        )
        + (
            "    # the example's arguments come from a function: give them here\n"
            if info.example_function
            else ""
        )
    )
    lines += [
        "In a model spec (`layer_registry.build_model`):",
        "",
        fenced(spec, "yaml"),
        f"A saved `.keras` model records it as {code_span(info.name)}, so "
        "`layer_registry.load_model` loads it without `custom_objects`.",
        "",
        RESULTS_MARKER,
        "",
    ]
    if api:
        lines += [
            "## API reference",
            "",
            f"::: {module}.{qualname}",
            "    options:",
            indent(indent(_yaml(api_options(info)))).rstrip(),
            "",
        ]
    return "\n".join(lines) + "\n"


def api_options(info: LayerInfo) -> dict[str, Any]:
    """:data:`API_OPTIONS` with the docstring style the layer's docstring is written in."""
    return {**API_OPTIONS, "docstring_style": examples.docstring_style(info.doc)}


def _functions(info: LayerInfo) -> list[str]:
    """The sources of the registered example and setup functions, when they are functions."""
    lines: list[str] = []
    for what, path, source, role in (
        (
            "example",
            info.example_function,
            info.example_source,
            "returns the constructor's keyword arguments",
        ),
        (
            "setup",
            info.setup_function,
            info.setup_source,
            "runs on each new layer before it is called",
        ),
    ):
        if not path:
            continue
        lines += [
            f"The registered {what} function, {code_span(path)}, {role}:",
            "",
            fenced(source or f"# the source of {path} is not available", "python"),
        ]
    return lines


def _yaml(data: Mapping[str, Any]) -> str:
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in data.items())


def results_section(
    info: LayerInfo,
    result: ExampleResult | None,
    *,
    plot: str | None,
    plots: bool = True,
    conformance: Sequence[Mapping[str, Any]] = (),
    conformance_note: str = "",
    why_not: str = "",
) -> str:
    """The executed examples with their output, the plot, the weights, the config and checks.

    ``plot`` is the plot image's file name beside the page, None when there is none; ``plots``
    says whether the site draws them at all (when it does, a page without one says why).
    """
    lines = ["## Example", ""]
    if result is None:
        lines += [f"*The examples were not run{': ' + why_not if why_not else ''}.*", ""]
    else:
        if result.error:
            lines += _failure(f"The example of {info.name} did not finish", result.error)
        first = result.blocks[0] if result.blocks else None
        docstring = result.blocks[1:]
        if first is not None:
            lines += [
                "Created by name from the registered example arguments and called on a random "
                f"input of shape {code_span(_shape(info.input_shape))} "
                f"({code_span(str(info.input_dtype))}):",
                "",
                *_block(first),
            ]
        if docstring:
            lines += _docstring_blocks(info, docstring)
        if plots:
            lines += _response(info, result, plot)
        lines += ["## Weights", ""]
        if result.weights:
            lines += [
                "The weights of the example layer once built.",
                "",
                "| Name | Shape | Dtype | Trainable | Initializer |",
                "|---|---|---|---|---|",
            ]
            for weight in result.weights:
                lines.append(
                    f"| {code_span(weight['name'])} | {code_span(_shape(weight['shape']))} "
                    f"| {weight['dtype']} | {'yes' if weight['trainable'] else 'no'} "
                    f"| {code_span(weight['initializer']) if weight['initializer'] else '-'} |"
                )
        elif first is not None and first.error is None and result.error is None:
            lines.append("The example layer has no weights.")
        else:
            lines.append("*Unknown: the example did not run.*")
        lines.append("")
        if result.config is not None:
            lines += ["## Config", "", "The example layer's `get_config()`:", ""]
            lines += [fenced(result.config, "json")]
    lines += conformance_section(info, conformance, conformance_note)
    return "\n".join(lines) + "\n"


def _docstring_blocks(info: LayerInfo, blocks: Sequence[Any]) -> list[str]:
    """The library's own examples: the preamble they ran after, once, then each block.

    A block that raised is the library's, not the site's example: a warning box that names
    whose docstring it is, never counted as the site's failure.
    """
    library = examples.docstring_library(info)
    lines = [
        f"### From {library}'s docstring",
        "",
        f"The examples of the class's docstring, run as written: "
        f"{count(len(blocks), 'block')}, each after the imports the docstring assumes.",
        "",
        '??? note "The preamble run before each block"',
        "",
        indent(fenced(examples.docstring_preamble(info), "python")),
    ]
    for block in blocks:
        lines.append(fenced(block.code, "python"))
        if block.output.strip():
            lines.append(fenced(block.output, "text", title="Output"))
        elif block.error is None:
            lines += ["*(prints nothing)*", ""]
        if block.error:
            title = (
                f"{block.title} from {library}'s docstring failed: "
                f"{block.summary or 'an exception'}"
            )
            lines += [
                f'!!! warning "{_title(title)}"',
                "",
                f"    This is {library}'s own example, not the registry's generated one above; "
                "it is shown as it ran and does not fail the site's build.",
                "",
                indent(fenced(block.error, "text")),
                "",
            ]
    return lines


def _title(text: str, limit: int = 200) -> str:
    """An admonition title: one line, no double quotes, bounded."""
    text = " ".join(text.replace('"', "'").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _response(info: LayerInfo, result: ExampleResult, plot: str | None) -> list[str]:
    """The response plot with its caption, or one line saying why there is none."""
    lines = ["## Response", ""]
    if plot:
        alt = f"Response of each output unit of {info.class_name} to input feature 0"
        return [
            *lines,
            '<figure class="lr-plot" markdown="span">',
            f"![{alt}]({plot}){{ loading=lazy }}",
            f"<figcaption>{html.escape(examples.caption(info))}</figcaption>",
            "</figure>",
            "",
        ]
    why = examples.why_no_plot(info) or result.plot_error
    if why is None and (result.error or not result.blocks or result.blocks[0].error):
        why = "the example did not run to the end"
    return [*lines, f"*No response plot: {cell(why or 'the example drew none')}.*", ""]


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(_shape(s) for s in shape)
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + (",)" if len(shape) == 1 else ")")
    )


def _block(block: Any) -> list[str]:
    lines = [fenced(block.code, "python")]
    if block.output.strip():
        lines.append(fenced(block.output, "text", title="Output"))
    elif block.error is None:
        lines += ["*(prints nothing)*", ""]
    if block.error:
        lines += _failure(f"{block.title} raised an error", block.error)
    return lines


def _failure(title: str, error: str) -> list[str]:
    return [f'!!! failure "{title}"', "", indent(fenced(error, "text")), ""]
