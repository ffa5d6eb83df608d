"""Running the checks: order, gatekeeping, timing, expected failures, the fresh-process batch."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import shutil
import sys
import tempfile
import time
import warnings
import weakref
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layer_registry._errors import one_line
from layer_registry.testing import _checks
from layer_registry.testing import _checks_fresh
from layer_registry.testing import _sharing
from layer_registry.testing._catalogue import BY_NAME
from layer_registry.testing._catalogue import CHECKS
from layer_registry.testing._catalogue import GATEKEEPERS
from layer_registry.testing._results import CheckResult
from layer_registry.testing._subject import Subject
from layer_registry.testing._targets import subject_for
from layer_registry.testing._targets import subjects_for

Progress = Callable[[CheckResult], None]


def selected_checks(checks: Iterable[str] | str | None) -> tuple[str, ...]:
    """``checks`` in the kit's order; every check when None."""
    if checks is None:
        return CHECKS
    wanted = {checks} if isinstance(checks, str) else set(checks)
    unknown = sorted(wanted - set(CHECKS))
    if unknown:
        raise ValueError(
            f"unknown check{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"the checks are: {', '.join(CHECKS)}"
        )
    return tuple(check for check in CHECKS if check in wanted)


class Runner:
    """Checks for a set of layers, each run at most once and its result kept.

    ``run`` runs them all in order; ``result`` runs one on demand (for pytest), with the
    gatekeepers before it. Either way, the fresh-process checks of every layer share one
    process per backend, started when the first of them is needed.
    """

    def __init__(
        self,
        subjects: Iterable[Subject],
        checks: Iterable[str] | str | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        self.subjects = {subject.label: subject for subject in subjects}
        self.checks = selected_checks(checks)
        self.timeout = timeout
        self._raw: dict[tuple[str, str], CheckResult] = {}
        # Per layer: what the fresh processes need (or why it could not be made), and the time.
        self._artifacts: dict[str, tuple[_checks_fresh.Artifacts | CheckResult, float]] = {}
        self._folder: str | None = None
        self._cleanup: weakref.finalize | None = None
        # What a check worker reports to the parent (``_parallel``): a check starting in this
        # process, and every raw result as it is made.
        self.on_start: Callable[[str, str], None] | None = None
        self.on_raw: Callable[[CheckResult], None] | None = None

    # -- public ----------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> list[CheckResult]:
        """Every selected check on every layer, in order; ``progress`` sees each result."""
        with _quiet():
            for subject in self.subjects.values():
                for check in self.checks:
                    if not BY_NAME[check].fresh_process:
                        result = self.result(subject.label, check)
                        if progress:
                            progress(result)
            backends = sorted({b for c in self.checks if (b := BY_NAME[c].backend) is not None})
            for result in self._run_fresh(backends):
                if progress:
                    progress(result)
        return [self.result(label, check) for label in self.subjects for check in self.checks]

    def result(self, layer: str, check: str) -> CheckResult:
        """The result of ``check`` on ``layer``, running it (and what it depends on) if needed."""
        subject = self.subjects[layer]
        raw = self._raw_result(subject, check)
        return apply_expected(subject, raw)

    def seed(self, raws: Iterable[CheckResult]) -> None:
        """Take raw results made elsewhere (by a check worker that died) as already run."""
        for raw in raws:
            self._raw[(raw.layer, raw.check)] = raw

    def close(self) -> None:
        """Remove the files made for the fresh processes."""
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = self._folder = None

    # -- internals -------------------------------------------------------------------------

    def _raw_result(self, subject: Subject, check: str) -> CheckResult:
        key = (subject.label, check)
        if key in self._raw:
            return self._raw[key]
        gate = self._gate(subject, check)
        if gate:
            result = CheckResult(subject.label, check, "skip", f"skipped: {gate} failed")
        elif (backend := BY_NAME[check].backend) is not None:
            with _quiet():
                for _ in self._run_fresh([backend]):
                    pass
            return self._raw[key]
        else:
            if self.on_start:
                self.on_start(subject.label, check)
            with _quiet():
                result = _run_in_process(subject, check)
        self._keep(result)
        return result

    def _keep(self, raw: CheckResult) -> None:
        self._raw[(raw.layer, raw.check)] = raw
        if self.on_raw:
            self.on_raw(raw)

    def _gate(self, subject: Subject, check: str) -> str | None:
        """The gatekeeper that failed before ``check``, if any."""
        position = CHECKS.index(check)
        for gatekeeper in GATEKEEPERS:
            if CHECKS.index(gatekeeper) >= position:
                break
            if self._raw_result(subject, gatekeeper).status == "fail":
                return gatekeeper
        return None

    def _run_fresh(self, backends: Iterable[str]) -> Iterator[CheckResult]:
        """Run the fresh-process checks of ``backends`` not yet run, one process per backend.

        Under pytest-xdist, the workers of a run share each batch: the first to need it runs it
        and the others read its results (see ``_sharing.shared_batch``).
        """
        plans: list[tuple[str, list[tuple[Subject, tuple[str, ...]]]]] = []
        for backend in backends:
            plan = []
            for subject in self.subjects.values():
                checks = []
                for check in self.checks:
                    if BY_NAME[check].backend != backend or (subject.label, check) in self._raw:
                        continue
                    early = self._before_fresh(subject, check)
                    if early is not None:
                        self._keep(early)
                        yield apply_expected(subject, early)
                    else:
                        checks.append(check)
                if checks:
                    plan.append((subject, tuple(checks)))
            if plan:
                plans.append((backend, plan))
        shared = _sharing.shared_folder()
        if shared is None:
            results: Iterable[CheckResult] = self._launch(plans)
        else:
            results = (
                r for plan in plans for r in _sharing.shared_batch(shared, plan, self._launch)
            )
        for result in results:
            self._keep(result)
            yield apply_expected(self.subjects[result.layer], result)

    def _launch(
        self, plans: list[tuple[str, list[tuple[Subject, tuple[str, ...]]]]]
    ) -> Iterator[CheckResult]:
        """Raw results of the planned checks: made here when their model cannot be, else by
        one fresh process per backend, all running at once."""
        from layer_registry.testing import _subprocess

        batches = []
        for backend, plan in plans:
            items = []
            for subject, checks in plan:
                artifacts = None
                if any("artifacts" in BY_NAME[check].needs for check in checks):
                    prepared, seconds = self._prepare(subject)
                    if isinstance(prepared, CheckResult):
                        for check in checks:
                            yield CheckResult(
                                subject.label, check, "fail", prepared.reason, seconds
                            )
                        continue
                    artifacts = prepared
                items.append(_subprocess.Item(subject.portable(), checks, artifacts))
            if items:
                timeout = self.timeout or _subprocess.DEFAULT_TIMEOUT
                batches.append(_subprocess.Batch(backend, items, timeout=timeout))
        for result in _subprocess.run_batches(batches):
            if result.check == "saving" and result.layer in self._artifacts:
                # Making the model to save is part of the saving check's time.
                seconds = result.seconds + self._artifacts[result.layer][1]
                result = CheckResult(
                    result.layer, result.check, result.status, result.reason, seconds
                )
            yield result

    def _before_fresh(self, subject: Subject, check: str) -> CheckResult | None:
        """A result decided without a fresh process (gatekeeper, not importable, no JAX)."""
        gate = self._gate(subject, check)
        if gate:
            return CheckResult(subject.label, check, "skip", f"skipped: {gate} failed")
        if not subject.importable():
            what = "class" if subject.reference is None else "example or setup function"
            return CheckResult(
                subject.label,
                check,
                "skip",
                f"skipped: the {what} is defined in __main__ or inside a function, so a fresh "
                "process cannot import it; move it to a module or register it in a plugin",
            )
        if BY_NAME[check].backend == "jax" and not jax_installed():
            return CheckResult(
                subject.label,
                check,
                "skip",
                "skipped: JAX is not installed (pip install jax), so the layer could not be "
                "tried under the JAX backend",
            )
        return None

    def _prepare(self, subject: Subject) -> tuple[_checks_fresh.Artifacts | CheckResult, float]:
        if subject.label not in self._artifacts:
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="layer-registry-check-")
                # pytest keeps a runner for the session: clean up at exit at the latest.
                self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, True)
            folder = Path(self._folder) / str(len(self._artifacts))
            started = time.perf_counter()
            prepared: _checks_fresh.Artifacts | CheckResult
            try:
                with _isolated():
                    prepared = _checks_fresh.prepare_artifacts(subject, str(folder))
            except Exception as exc:
                prepared = CheckResult(
                    subject.label,
                    "saving",
                    "fail",
                    "building and running a model around the layer raised " + one_line(exc),
                )
            self._artifacts[subject.label] = (prepared, time.perf_counter() - started)
        return self._artifacts[subject.label]


def jax_installed() -> bool:
    """Whether the JAX backend can run here (this interpreter is also the fresh process's)."""
    return importlib.util.find_spec("jax") is not None


def _run_in_process(subject: Subject, check: str) -> CheckResult:
    started = time.perf_counter()

    def run() -> str | None:
        with _isolated():
            return BY_NAME[check].function(subject)

    status, reason = _checks.outcome(run)
    return CheckResult(subject.label, check, status, reason, time.perf_counter() - started)


def apply_expected(subject: Subject, raw: CheckResult) -> CheckResult:
    """Apply the layer's declared expected failures to a result."""
    declared = subject.expected_failures.get(raw.check)
    if declared is None or raw.status == "skip":
        return raw
    if raw.status == "fail":
        return CheckResult(
            raw.layer,
            raw.check,
            "xfail",
            f"expected failure: {declared} ({raw.reason})",
            raw.seconds,
        )
    return CheckResult(
        raw.layer,
        raw.check,
        "fail",
        f"unexpectedly passed: {raw.check} is declared as an expected failure ({declared}); "
        "remove that declaration",
        raw.seconds,
    )


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """Keep a check's warnings from turning into errors under ``-W error`` or pytest's filters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence TensorFlow's Python logger (retracing notices) while the checks run, and send
    what a layer prints (in ``__init__``, ``build``, ``call``) to stderr: stdout belongs to
    the caller, e.g. ``layer-registry check --json``."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        logger.setLevel(level)


# -- the public functions ---------------------------------------------------------------------


def run_checks(
    layers: Iterable[Any] | str | None = None,
    *,
    checks: Iterable[str] | str | None = None,
    expected_failures: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> list[CheckResult]:
    """Run the checks on many layers at once; return every result, layer by layer.

    Args:
        layers: layer names, plugin namespaces, registered classes, or dicts of
            [`check_layer`][layer_registry.testing.check_layer]'s keyword arguments with the class
            under ``"layer"``; every installed layer when omitted.
        checks: the names of the checks to run (see [`CHECKS`][layer_registry.testing.CHECKS]);
            all by default. The gatekeepers run anyway, unreported, when a selected check needs
            them.
        expected_failures: ``{check: reason}`` declared for every layer given by name.
        progress: called with each result as it is known.

    The checks that need a fresh Python process (``saving``, ``distributed``,
    ``backend_portable``) run for all the layers in one process per Keras backend.
    """
    targets = [layers] if isinstance(layers, str) else layers
    runner = Runner(subjects_for(targets, expected_failures=expected_failures), checks)
    try:
        return runner.run(progress)
    finally:
        runner.close()


def check_layer(
    layer: str | type,
    *,
    example: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    input_shape: Any = None,
    input_dtype: str | Iterable[str] | None = None,
    checks: Iterable[str] | str | None = None,
    expected_failures: Mapping[str, str] | None = None,
    setup: Callable[[Any], Any] | None = None,
) -> list[CheckResult]:
    """Run the conformance checks on one layer; return a result per check, in order.

    Args:
        layer: a registered name (``"periodic>Time2Vec"``), or a layer class.
        example: constructor keyword arguments, or a function returning them (for layer or
            tensor arguments, new for each layer); a registered layer's own by default.
        input_shape: an example input shape with the batch axis (a list of shapes for several
            inputs); a registered layer's own by default. A class that is not registered needs it.
        input_dtype: the input's dtype (``"int32"`` for indices); ``"float32"`` by default.
        checks: the names of the checks to run; all by default.
        expected_failures: ``{check: reason}`` for checks known to fail; they are reported as
            ``xfail``, and as ``fail`` if they pass. Adds to the class's
            ``layer_registry_expected_failures`` and to what registration declared.
        setup: ``setup(layer)``, run on each new layer before it is called; a registered
            layer's own by default.
    """
    subject = subject_for(
        layer,
        example=example,
        input_shape=input_shape,
        input_dtype=input_dtype,
        expected_failures=expected_failures,
        setup=setup,
    )
    runner = Runner([subject], checks)
    try:
        return runner.run()
    finally:
        runner.close()
