"""``parametrize_with_checks``: the kit as one pytest test per (layer, check).

pytest is imported when the decorator is made, not with this module: the kit and
``layer-registry check`` work where pytest is not installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import pytest

    from layer_registry.testing._results import CheckResult
    from layer_registry.testing._runner import Runner


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
    import pytest

    from layer_registry.testing._runner import Runner
    from layer_registry.testing._targets import subjects_for

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
    import pytest

    if result.status == "fail":
        pytest.fail(f"{result.layer} {result.check}: {result.reason}", pytrace=False)
    if result.status == "skip":
        pytest.skip(result.reason)
    if result.status == "xfail":
        pytest.xfail(result.reason)
