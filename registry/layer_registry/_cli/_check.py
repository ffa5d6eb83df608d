"""``layer-registry check``: the conformance kit on the command line."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from layer_registry import _settings
from layer_registry.testing._catalogue import BY_NAME
from layer_registry.testing._catalogue import CHECKS
from layer_registry.testing._catalogue import GATEKEEPERS
from layer_registry.testing._results import CheckResult

if TYPE_CHECKING:
    from layer_registry.testing._parallel import ParallelRun

_CELLS = {
    "pass": "[green]✓[/]",
    "note": "[green]✓[/]",
    "warn": "[yellow]![/]",
    "fail": "[bold red]✗[/]",
    "skip": "[dim]-[/]",
    "xfail": "[yellow]x[/]",
}


@click.command("check")
@click.argument("targets", nargs=-1, metavar="[NAME|NAMESPACE]...")
@click.option(
    "--check",
    "checks",
    multiple=True,
    type=click.Choice(CHECKS),
    metavar="CHECK",
    help=f"Run only this check; repeatable. One of: {', '.join(CHECKS)}.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the results as a JSON list.",
)
def check_command(targets: Sequence[str], checks: Sequence[str], as_json: bool) -> int:
    """Run the conformance checks on layers: every installed one, or the named layers and plugins.

    Each check runs from the layer's registered example. When construct or call fails, the
    checks after it are skipped. Exit status 1 when a check fails; a failure the layer
    declares as expected (register(..., expected_failures=...)) is counted apart, and alone
    leaves the status 0. The layers are spread over one worker process per core, one worker
    for every 16 layers at most (LAYER_REGISTRY_CHECK_WORKERS=N sets how many; 1 checks them
    in this process).
    """
    from layer_registry.testing._parallel import ParallelRun
    from layer_registry.testing._parallel import default_workers

    started = time.perf_counter()
    workers = default_workers()
    if _settings.count(_settings.CHECK_WORKERS) is None:
        # Each worker starts Keras, TensorFlow and JAX anew: for a few layers one process
        # finishes first (8 layers: 26.6 s in one process, 31.4 s in two; 79 layers: 303 s in
        # two, against 543 s of checks alone in one).
        workers = min(workers, max(1, _layer_count(targets) // LAYERS_PER_WORKER))
    # Started first: the workers import Keras while this process finds the layers.
    pool = ParallelRun(workers) if workers > 1 else None
    try:
        results, selected, layers, workers = _run(pool, targets, checks)
    finally:
        if pool is not None:
            pool.close()
    if results is None:
        click.echo("no layers installed; try `pip install layer-registry-examples`", err=True)
        return 0
    timing = {
        "seconds": round(time.perf_counter() - started, 3),
        "serial_sum_seconds": round(sum(result.seconds for result in results), 3),
        "workers": workers,
    }
    if as_json:
        rows = [dataclasses.asdict(result) for result in results]
        click.echo(json.dumps(rows, indent=2))
    else:
        _print_report(results, selected, layers, timing["seconds"], timing)
    return 1 if any(result.status == "fail" for result in results) else 0


LAYERS_PER_WORKER = 16
"""The fewest layers worth another worker process (``check``'s default)."""


def _layer_count(targets: Sequence[str]) -> int:
    """How many layers ``targets`` name, from the metadata catalog (warm, nothing is imported)."""
    import layer_registry

    if not targets:
        return len(layer_registry.names())
    count = 0
    for target in targets:
        try:
            count += 1 if ">" in target else len(layer_registry.names(plugin=target))
        except layer_registry.PluginError:  # a bare layer name; a typo is reported later
            count += 1
    return count


def _run(
    pool: ParallelRun | None, targets: Sequence[str], checks: Sequence[str]
) -> tuple[list[CheckResult] | None, tuple[str, ...], int, int]:
    """(results or None when there are no layers, the checks, the layers, the workers used)."""
    from rich.console import Console
    from rich.progress import BarColumn
    from rich.progress import MofNCompleteColumn
    from rich.progress import Progress
    from rich.progress import TextColumn
    from rich.progress import TimeElapsedColumn

    from layer_registry.testing._runner import Runner
    from layer_registry.testing._runner import selected_checks
    from layer_registry.testing._targets import subjects_for

    # Stdout carries the report (or the JSON) only: what a plugin prints on import, or a
    # layer in __init__, build or call, goes to stderr.
    try:
        with contextlib.redirect_stdout(sys.stderr):
            subjects = subjects_for(list(targets) or None)
    except ValueError as exc:  # an invalid expected-failure declaration on a layer
        raise click.ClickException(str(exc)) from exc
    selected = selected_checks(checks or None)
    if not subjects:
        return None, selected, 0, 0
    workers = min(pool.workers, len(subjects)) if pool is not None else 1
    errors = Console(stderr=True)
    with Progress(
        # The description is a layer's name: text from a plugin, never markup.
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task("checking", total=len(subjects) * len(selected))

        def advance(result: CheckResult) -> None:
            progress.update(task, advance=1, description=f"{result.layer} {result.check}")

        with contextlib.redirect_stdout(sys.stderr):
            if pool is not None:
                return pool.run(subjects, selected, advance), selected, len(subjects), workers
            runner = Runner(subjects, selected)
            try:
                return runner.run(advance), selected, len(subjects), workers
            finally:
                runner.close()


def _print_report(
    results: Sequence[CheckResult],
    checks: Sequence[str],
    layers: int,
    elapsed: float,
    timing: Mapping[str, float] | None = None,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from layer_registry._cli._output import plain

    rows: dict[str, dict[str, CheckResult]] = {}
    for result in results:
        rows.setdefault(result.layer, {})[result.check] = result
    # Never cut a layer's name: widen the console past the terminal if the table needs it.
    needed = max(map(len, rows)) + sum(len(BY_NAME[check].heading) + 2 for check in checks) + 2
    console = Console(soft_wrap=True, highlight=False)
    console = Console(soft_wrap=True, highlight=False, width=max(console.width, needed))
    table = Table(box=None, pad_edge=False)
    table.add_column("layer", no_wrap=True)
    for check in checks:
        table.add_column(BY_NAME[check].heading, no_wrap=True)
    for layer, by_check in rows.items():
        table.add_row(plain(layer), *(_CELLS[_kind(by_check[check])] for check in checks))
    console.print(table)
    console.print(
        "[dim]"
        + ", ".join(f"{BY_NAME[check].heading}={check}" for check in checks)
        + ";  ✓ pass  ! pass with a warning  ✗ fail  x expected failure  - skipped[/]"
    )
    notes = [r for r in results if _kind(r) in ("fail", "xfail", "warn", "note") or _own_skip(r)]
    if notes:
        console.print()
    labels = {
        "fail": "[bold red]FAIL[/] ",
        "xfail": "[yellow]XFAIL[/]",
        "warn": "[yellow]WARN[/] ",
        "note": "[dim]NOTE[/] ",
    }
    for result in notes:
        label = labels.get(_kind(result), "[dim]SKIP[/] ")
        console.print(
            Text.assemble(
                Text.from_markup(label),
                " ",
                plain(result.layer),
                f" {result.check}: ",
                plain(result.reason),
            )
        )
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("pass", "fail", "skip", "xfail")
    }
    console.print()
    colour = "red" if counts["fail"] else "green"
    console.print(
        f"[bold {colour}]{layers} layer{'s' if layers != 1 else ''}, {len(checks)} "
        f"check{'s' if len(checks) != 1 else ''}: {counts['pass']} passed, "
        f"{counts['fail']} failed, {counts['skip']} skipped, {counts['xfail']} expected "
        f"failure{'s' if counts['xfail'] != 1 else ''} in {elapsed:.1f} s{_spread(timing)}[/]"
    )


def _spread(timing: Mapping[str, float] | None) -> str:
    """`` (serial sum 21.9 s, 2 workers)``: the checks' own times added up, and the workers."""
    if timing is None:
        return ""
    workers = int(timing["workers"])
    return (
        f" (serial sum {timing['serial_sum_seconds']:.1f} s, {workers} "
        f"worker{'s' if workers != 1 else ''})"
    )


def _kind(result: CheckResult) -> str:
    if result.status == "pass" and result.reason:
        return "warn" if result.reason.startswith("warning:") else "note"
    return result.status


def _own_skip(result: CheckResult) -> bool:
    """A skip with its own reason, not one repeated for every check after a failed gatekeeper."""
    return result.status == "skip" and not any(
        result.reason == f"skipped: {gatekeeper} failed" for gatekeeper in GATEKEEPERS
    )
