"""The catalog page: every layer with its plugin, summary, tags, conformance and backends.

With dozens of layers a table alone is not enough: the filter bar above it (``catalog.js``
hides the rows that do not match) selects by plugin, tag, conformance status and backend.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from layer_registry._mkdocs import conformance
from layer_registry._mkdocs.markup import cell
from layer_registry._mkdocs.markup import code_span
from layer_registry._mkdocs.markup import count
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo


def catalog_page(
    layers: Sequence[LayerInfo],
    plugins: Sequence[PluginInfo],
    results: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    title: str = "Layer catalog",
) -> str:
    """The catalog's Markdown; ``results`` are each layer's conformance rows, by name."""
    results = results or {}
    failed = [p for p in plugins if p.status == "failed"]
    tags = sorted({tag for info in layers for tag in info.tags})
    namespaces = sorted({info.namespace for info in layers})
    summaries = {info.name: conformance.summarize(results.get(info.name, ())) for info in layers}
    backends = sorted({b for summary in summaries.values() for b in summary.backends})
    lines = [
        f"# {title}",
        "",
        f"{count(len(layers), 'layer')} from {count(len(namespaces), 'plugin')}. "
        "Every layer is created by its name: "
        '`layer_registry.create("namespace>ClassName", ...)`.',
        "",
    ]
    if layers:
        checked = sum(summary.checked for summary in summaries.values())
        lines += [_totals(summaries.values(), checked), ""]
        lines += [_filter_html(namespaces, tags, backends), ""]
        lines += [
            "| Layer | Plugin | Summary | Tags | Conformance | Backends |",
            "|---|---|---|---|---|---|",
        ]
        for info in layers:
            page = f"{info.namespace}/{info.class_name}.md"
            summary = summaries[info.name]
            lines.append(
                f"| [{info.class_name}]({page}) | [{info.namespace}]({info.namespace}/index.md) "
                f"| {cell(info.summary)} | {' '.join(code_span(tag) for tag in info.tags)} "
                f"| {conformance.status_cell(summary)} | {conformance.backends_cell(summary)} |"
            )
    else:
        lines.append(
            "No layers are installed. Install a plugin, for example "
            "`pip install layer-registry-examples`."
        )
    if failed:
        lines += ["", "## Plugins that failed to load", ""]
        for plugin in failed:
            lines.append(
                f"- [{plugin.namespace}]({plugin.namespace}/index.md) "
                f"({code_span(plugin.distribution)} {plugin.version}): {cell(plugin.error or '')}"
            )
    return "\n".join(lines) + "\n"


def _totals(summaries: Any, checked: int) -> str:
    """One line over the table: how the checked layers fared."""
    if not checked:
        return (
            "*No conformance results were published for this site "
            "(`layer-registry check --json` writes them).*"
        )
    statuses = [summary.status for summary in summaries]
    return (
        f"Conformance: {count(checked, 'layer')} checked; "
        f"{statuses.count('passed')} pass every check, "
        f"{statuses.count('expected')} with expected failures only, "
        f"{statuses.count('failed')} with a failed check."
    )


def _options(values: Mapping[str, str]) -> str:
    return "".join(
        f'<option value="{html.escape(value)}">{html.escape(label)}</option>'
        for value, label in values.items()
    )


def _select(key: str, label: str, everything: str, values: Mapping[str, str]) -> str:
    return (
        f'<label>{label} <select data-lr-filter="{key}" aria-label="Filter by {label.lower()}">'
        f'<option value="">{everything}</option>{_options(values)}</select></label>\n'
    )


def _filter_html(namespaces: Sequence[str], tags: Sequence[str], backends: Sequence[str]) -> str:
    """The catalog's filter; catalog.js hides the table rows that do not match."""
    return (
        '<div class="lr-filter">\n'
        + _select("plugin", "Plugin", "all plugins", {n: n for n in namespaces})
        + _select("tag", "Tag", "all tags", {t: t for t in tags})
        + _select("status", "Conformance", "any result", conformance.STATUSES)
        + _select(
            "backend",
            "Backend",
            "any backend",
            {b: conformance.BACKEND_NAMES.get(b, b) for b in backends},
        )
        + '<span class="lr-count" aria-live="polite"></span>\n'
        "</div>"
    )
