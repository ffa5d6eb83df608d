"""A layer's conformance results as the site shows them: counts, backends, badges, tables.

The results are the rows of ``layer-registry check --json`` (the file the ``conformance``
option names); a layer's declared expected failures (``register(expected_failures=...)``) are
shown even when there are no results. Expected failures are counted apart from failures and
never fail a build.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from layer_registry._mkdocs.markup import cell
from layer_registry._mkdocs.markup import code_span
from layer_registry._mkdocs.markup import count
from layer_registry._records import LayerInfo

BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch", "numpy": "NumPy"}
STATUSES = {
    "passed": "every check passed",
    "expected": "expected failures only",
    "failed": "a check failed",
    "unchecked": "not checked",
}
"""The catalog's conformance filter: value and label."""
EXPECTED_BADGE = '<span class="lr-badge lr-badge-expected">expected</span>'


def _check_backend(check: str) -> str | None:
    # The catalogue names each check's backend without importing Keras.
    from layer_registry.testing._catalogue import BY_NAME

    known = BY_NAME.get(check)
    return None if known is None else known.backend


@dataclass(frozen=True)
class Summary:
    """One layer's results in numbers, and the backends its example ran on."""

    passed: int = 0
    expected: int = 0
    failed: int = 0
    skipped: int = 0
    backends: tuple[str, ...] = ()
    """Keras backends (``tensorflow``, ``jax``) on which a check that calls the layer passed."""

    @property
    def checked(self) -> bool:
        return bool(self.passed + self.expected + self.failed + self.skipped)

    @property
    def status(self) -> str:
        """``failed``, ``expected``, ``passed`` or ``unchecked`` (a key of :data:`STATUSES`)."""
        if not self.checked:
            return "unchecked"
        return "failed" if self.failed else "expected" if self.expected else "passed"

    def text(self) -> str:
        if not self.checked:
            return "not checked"
        parts = [f"{self.passed} passed"]
        if self.expected:
            parts.append(count(self.expected, "expected failure"))
        parts.append(f"{self.failed} failed")
        return ", ".join(parts)


def summarize(rows: Sequence[Mapping[str, Any]], *, backend: str | None = None) -> Summary:
    """Count ``rows`` (one layer's). The in-process checks ran on ``backend`` (by default the
    site's ``KERAS_BACKEND``, as ``check`` and ``docs build`` run in one environment); a check
    of its own backend (``backend_portable`` on JAX) counts for that one."""
    here = backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    tally = {"pass": 0, "xfail": 0, "fail": 0, "skip": 0}
    backends: list[str] = []
    for row in rows:
        status = str(row.get("status"))
        tally[status if status in tally else "fail"] += 1
        check = str(row.get("check", ""))
        if status == "pass" and (check == "call" or _check_backend(check) is not None):
            ran_on = _check_backend(check) or here
            if ran_on not in backends:
                backends.append(ran_on)
    return Summary(
        tally["pass"], tally["xfail"], tally["fail"], tally["skip"], tuple(sorted(backends))
    )


def backend_names(backends: Sequence[str]) -> str:
    return ", ".join(BACKEND_NAMES.get(name, name) for name in backends)


def status_cell(summary: Summary) -> str:
    """The catalog cell: the counts, marked with the status the filter reads."""
    return (
        f'<span class="lr-status lr-status-{summary.status}" data-lr-status="{summary.status}">'
        f"{html.escape(summary.text())}</span>"
    )


def backends_cell(summary: Summary) -> str:
    """The catalog cell: the backends, marked with their keys for the filter."""
    if not summary.backends:
        return '<span data-lr-backends="">-</span>'
    keys = html.escape(" ".join(summary.backends))
    return f'<span data-lr-backends="{keys}">{html.escape(backend_names(summary.backends))}</span>'


def section(info: LayerInfo, rows: Sequence[Mapping[str, Any]], note: str = "") -> list[str]:
    """The layer page's ``## Conformance``: the summary and a row per check, or the declared
    expected failures when there are no results."""
    if not rows and not note and not info.expected_failures:
        return []
    lines = ["## Conformance", ""]
    if note:
        lines += [f"*{note}*", ""]
    if not rows:
        if info.expected_failures:
            lines += _declared(info)
        return lines
    summary = summarize(rows)
    ran_on = f" Runs on {backend_names(summary.backends)}." if summary.backends else ""
    lines += [
        f"Results of the conformance checks (`layer-registry check`) for this layer: "
        f"**{summary.text()}**.{ran_on}",
        "",
        "| Check | Result | Reason | Seconds |",
        "|---|---|---|---|",
    ]
    symbols = {"pass": "pass", "fail": "**FAIL**", "skip": "skip", "xfail": EXPECTED_BADGE}
    for row in rows:
        seconds = row.get("seconds")
        status = str(row.get("status"))
        reason = str(row.get("reason") or "")
        if status == "xfail" and not reason:
            reason = info.expected_failures.get(str(row.get("check")), "")
        lines.append(
            f"| {code_span(str(row.get('check', '?')))} "
            f"| {symbols.get(status, cell(status))} "
            f"| {cell(reason)} "
            f"| {'' if seconds is None else f'{float(seconds):.2f}'} |"
        )
    lines.append("")
    if summary.expected:
        lines += [
            f"An {EXPECTED_BADGE} result is a failure the plugin declares, with its reason "
            "(`register(..., expected_failures={check: reason})`): counted, not hidden, and "
            "not a failure of the layer's checks.",
            "",
        ]
    return lines


def _declared(info: LayerInfo) -> list[str]:
    return [
        f"No results were published for this site; the plugin declares "
        f"{count(len(info.expected_failures), 'expected failure')}:",
        "",
        "| Check | Result | Reason |",
        "|---|---|---|",
        *(
            f"| {code_span(check)} | {EXPECTED_BADGE} | {cell(reason)} |"
            for check, reason in info.expected_failures.items()
        ),
        "",
    ]
