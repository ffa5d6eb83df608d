"""pytest integration: ``parametrize_with_checks`` and the ``--layer-registry-check`` option.

Installed as the pytest plugin ``layer_registry`` (entry point group ``pytest11``), so it is
imported whenever pytest starts: it imports nothing heavier than pytest until an option or a
decorator asks for layers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from layer_registry.testing._results import CheckResult
    from layer_registry.testing._runner import Runner

_OPTION = "--layer-registry-check"


def parametrize_with_checks(
    *layers: Any,
    checks: Iterable[str] | str | None = None,
    expected_failures: Mapping[str, str] | None = None,
) -> pytest.MarkDecorator:
    """A ``pytest.mark.parametrize`` with one test per (layer, check).

    ```python
    @parametrize_with_checks("acme")
    def test_conformance(layer, check):
        check(layer)
    ```

    Test ids read ``acme>Widget-saving``, so ``pytest -k saving`` selects a check. The checks
    that need a fresh Python process run for every layer of the decorator at once, when the
    first of them runs.

    Args:
        *layers: plugin namespaces, layer names or registered classes (a list works too);
            every installed layer when none is given.
        checks: only these checks (all by default).
        expected_failures: ``{check: reason}`` expected to fail for every layer given by name
            (a class's own ``layer_registry_expected_failures`` also counts).
    """
    from layer_registry.testing._runner import Runner
    from layer_registry.testing._subject import subjects_for

    targets: list[Any] = []
    for layer in layers:
        targets.extend(layer if isinstance(layer, (list, tuple)) else [layer])
    runner = Runner(subjects_for(targets or None, expected_failures=expected_failures), checks)
    return pytest.mark.parametrize(
        ("layer", "check"),
        [
            pytest.param(label, _Check(runner, check), id=f"{label}-{check}")
            for label in runner.subjects
            for check in runner.checks
        ],
    )


class _Check:
    """The ``check`` parameter: call it with the layer to run that check on it."""

    def __init__(self, runner: Runner, name: str) -> None:
        self.runner = runner
        self.name = name

    def __call__(self, layer: str) -> None:
        report(self.runner.result(layer, self.name))

    def __repr__(self) -> str:
        return self.name


def report(result: CheckResult) -> None:
    """Turn a result into pytest's outcome: pass, fail, skip or xfail, with the reason."""
    if result.status == "fail":
        pytest.fail(f"{result.layer} {result.check}: {result.reason}", pytrace=False)
    if result.status == "skip":
        pytest.skip(result.reason)
    if result.status == "xfail":
        pytest.xfail(result.reason)


# -- the plugin -------------------------------------------------------------------------------------

_RUNNER = pytest.StashKey["Runner"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("layer_registry", "layer-registry conformance checks")
    group.addoption(
        _OPTION,
        action="append",
        default=[],
        metavar="NAME|NAMESPACE",
        dest="layer_registry_check",
        help=(
            "run the conformance checks on a plugin's layers (its namespace) or on one layer; "
            "repeatable. Select checks with -k, e.g. -k saving."
        ),
    )


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    targets = config.getoption("layer_registry_check")
    if not targets:
        return
    from layer_registry.testing._runner import Runner
    from layer_registry.testing._subject import subjects_for

    runner = Runner(subjects_for(targets))
    config.stash[_RUNNER] = runner
    parent = LayerChecks.from_parent(session, name="layer-registry", nodeid="layer-registry")
    checks = [
        CheckItem.from_parent(parent, name=f"{label}-{check}", layer=label, check=check)
        for label in runner.subjects
        for check in runner.checks
    ]
    # Reported like any collected node, so "collected N items / M deselected" counts them.
    config.hook.pytest_collectreport(
        report=pytest.CollectReport(parent.nodeid, "passed", None, checks)
    )
    items.extend(checks)


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None:
        runner.close()


class LayerChecks(pytest.Collector):
    """The node that holds the checks ``--layer-registry-check`` adds."""

    def collect(self) -> list[pytest.Item]:  # the items are made by the hook above
        return []


class CheckItem(pytest.Item):
    """One check on one layer."""

    def __init__(self, *, layer: str, check: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layer = layer
        self.check = check

    def runtest(self) -> None:
        report(self.config.stash[_RUNNER].result(self.layer, self.check))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return ("layer-registry", None, f"{self.layer} {self.check}")
