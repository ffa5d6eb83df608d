"""The pytest plugin ``layer_registry``: the ``--layer-registry-check`` option.

Installed through the entry point group ``pytest11``, so it is imported whenever pytest starts:
it imports nothing heavier than pytest until the option asks for layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pytest

from layer_registry.testing._parametrize import report

if TYPE_CHECKING:
    from layer_registry.testing._runner import Runner

_OPTION = "--layer-registry-check"
_RUNNER: pytest.StashKey[Runner] = pytest.StashKey()
_SHARED: pytest.StashKey[str] = pytest.StashKey()


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
    from layer_registry.testing._targets import subjects_for

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
        report=pytest.CollectReport(parent.nodeid, "passed", None, [*checks])
    )
    items.extend(checks)


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput and workerinput.get("layer_registry_shared"):
        from pathlib import Path

        from layer_registry.testing import _sharing

        _sharing.SHARED_FOLDER = Path(workerinput["layer_registry_shared"])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Give every pytest-xdist worker the folder in which they share fresh-process results."""
    import tempfile

    config = node.config
    if _SHARED not in config.stash:
        config.stash[_SHARED] = tempfile.mkdtemp(prefix="layer-registry-check-")
    node.workerinput["layer_registry_shared"] = config.stash[_SHARED]


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None:
        runner.close()
    shared = config.stash.get(_SHARED, None)
    if shared is not None:
        import shutil

        shutil.rmtree(shared, ignore_errors=True)


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
