"""``layer-registry check`` over worker processes: the layers split, the results merged in order.

Each worker is a ``layer_registry._child.Child`` that runs a ``Runner`` over its share of the
layers, its fresh-process checks batched as in a serial run, and sends every raw result as a
JSON line. The parent applies the expected failures and puts the results in the serial order, so
a run with N workers reports what a run in one process reports. A worker that dies fails the
check it was running; a new worker takes over that share's remaining checks.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence

from layer_registry import _settings
from layer_registry._child import Child
from layer_registry._child import channel
from layer_registry._child import environment
from layer_registry._child import send
from layer_registry.testing._results import CheckResult
from layer_registry.testing._runner import apply_expected
from layer_registry.testing._runner import selected_checks
from layer_registry.testing._subject import Subject
from layer_registry.testing._subprocess import _tail
from layer_registry.testing._subprocess import _with_tail

_WORKER_CODE = "from layer_registry.testing._parallel import worker_main; worker_main()"

Progress = Callable[[CheckResult], None]


def default_workers() -> int:
    """``LAYER_REGISTRY_CHECK_WORKERS``, else one worker per usable core."""
    return _settings.workers(_settings.CHECK_WORKERS)


def shares(labels: Sequence[str], workers: int) -> list[list[str]]:
    """``labels`` in ``workers`` consecutive runs of (nearly) equal length.

    Consecutive, so a plugin's layers mostly stay together; a cut moves to the nearest change
    of namespace when that costs at most a tenth of a share (layers cost about the same, so
    the count is what balances the workers).
    """
    workers = max(1, min(workers, len(labels)))
    size = len(labels) / workers
    slack = int(size // 10)
    cuts = [0]
    for k in range(1, workers):
        ideal = round(k * size)
        nearby = [
            cut
            for cut in range(max(cuts[-1] + 1, ideal - slack), min(len(labels), ideal + slack + 1))
            if _namespace(labels[cut - 1]) != _namespace(labels[cut])
        ]
        cuts.append(min(nearby, key=lambda cut: abs(cut - ideal)) if nearby else ideal)
    cuts.append(len(labels))
    return [list(labels[a:b]) for a, b in itertools.pairwise(cuts) if b > a]


def _namespace(label: str) -> str:
    return label.partition(">")[0]


class ParallelRun:
    """Worker processes for ``layer-registry check``, started at once: they import Keras while
    the caller works out what to check. ``run`` returns what ``Runner.run`` would."""

    def __init__(self, workers: int, *, timeout: float | None = None) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self.subjects: dict[str, Subject] = {}
        self.checks: tuple[str, ...] = ()
        self._raw: dict[tuple[str, str], CheckResult] = {}
        self._lock = threading.Lock()
        self._children: set[Child] = set()
        self._spare = [self._spawn(index) for index in range(self.workers)]

    def _spawn(self, index: int) -> Child:
        child = Child(["-c", _WORKER_CODE], env=environment(), name=f"check-worker-{index}")
        with self._lock:
            self._children.add(child)
        return child

    def close(self) -> None:
        """Stop every worker still running (an interrupted run leaves none behind)."""
        with self._lock:
            children, self._children, self._spare = list(self._children), set(), []
        for child in children:
            child.kill()

    def run(
        self,
        subjects: Iterable[Subject],
        checks: Iterable[str] | str | None = None,
        progress: Progress | None = None,
    ) -> list[CheckResult]:
        """Every selected check on every layer, in the serial order; ``progress`` sees each."""
        self.subjects = {subject.label: subject for subject in subjects}
        self.checks = selected_checks(checks)
        arrived: queue.Queue[CheckResult | None] = queue.Queue()
        errors: list[BaseException] = []

        def work(share: list[str], index: int) -> None:
            try:
                self._work(share, index, arrived.put)
            except BaseException as exc:  # reported in the caller's thread
                errors.append(exc)
            finally:
                arrived.put(None)

        threads = [
            threading.Thread(target=work, args=(share, i), daemon=True)
            for i, share in enumerate(shares(list(self.subjects), self.workers))
        ]
        try:
            for thread in threads:
                thread.start()
            remaining = len(threads)
            while remaining:
                raw = arrived.get()
                if raw is None:
                    remaining -= 1
                    continue
                self._raw[(raw.layer, raw.check)] = raw
                if progress and raw.check in self.checks:
                    progress(apply_expected(self.subjects[raw.layer], raw))
        finally:
            self.close()
        if errors:
            raise errors[0]
        return [self._result(label, check) for label in self.subjects for check in self.checks]

    def _result(self, label: str, check: str) -> CheckResult:
        raw = self._raw.get((label, check)) or CheckResult(
            label, check, "fail", "the check worker process did not report this check"
        )
        return apply_expected(self.subjects[label], raw)

    def _work(self, share: list[str], index: int, emit: Callable[[CheckResult], None]) -> None:
        """Run ``share`` in a worker, and in a new one after each that dies, until all is known."""
        known: dict[tuple[str, str], CheckResult] = {}
        while True:
            layers = [label for label in share if any((label, c) not in known for c in self.checks)]
            if not layers:
                return
            made, running, started, how, tail = self._run_worker(layers, index, known, emit)
            if how is None:  # finished
                return
            if running is not None:
                reason = f"the check worker process died ({how}) during this check"
                died = CheckResult(
                    *running, "fail", _with_tail(reason, tail), time.perf_counter() - started
                )
                known[running] = died
                emit(died)
            elif not made:
                # Ended before any check: another worker would end the same way.
                reason = f"the check worker process ended ({how}) before checking this layer"
                for label in layers:
                    for check in self.checks:
                        if (label, check) not in known:
                            emit(CheckResult(label, check, "fail", _with_tail(reason, tail)))
                return

    def _run_worker(
        self,
        layers: list[str],
        index: int,
        known: dict[tuple[str, str], CheckResult],
        emit: Callable[[CheckResult], None],
    ) -> tuple[int, tuple[str, str] | None, float, str | None, str]:
        """One worker over ``layers``: (results made, the check it died in, when that started,
        how it ended or None when it finished, its last output)."""
        made, running, started = 0, None, 0.0
        with self._lock:
            spare = self._spare.pop() if self._spare else None
        child = spare or self._spawn(index)
        try:
            child.send(
                {
                    "layers": layers,
                    "checks": list(self.checks),
                    "timeout": self.timeout,
                    "known": [dataclasses.asdict(raw) for raw in known.values()],
                }
            )
            while True:
                event = child.receive()
                if isinstance(event, str):  # ended (no timeout: a check may take its time)
                    break
                if event.get("event") == "start":
                    running, started = (event["layer"], event["check"]), time.perf_counter()
                elif event.get("event") == "raw":
                    raw = CheckResult(**event["result"])
                    known[(raw.layer, raw.check)] = raw
                    made += 1
                    running = None
                    emit(raw)
                elif event.get("event") == "done":  # all sent: no need to wait for its exit
                    return made, None, 0.0, None, ""
            return made, running, started, child.exit_description(), _tail(child.stderr_text())
        finally:
            # What the layers printed in the worker reaches the user, as from a serial run.
            printed = child.stderr_text()
            if printed:
                sys.stderr.write(printed if printed.endswith("\n") else printed + "\n")
            child.kill()
            with self._lock:
                self._children.discard(child)


# -- the worker ---------------------------------------------------------------------------------


def worker_main() -> None:
    """In a worker process: run the checks of the request read from stdin, reporting each."""
    from layer_registry.testing._runner import Runner
    from layer_registry.testing._targets import subjects_for

    # Results go to a private copy of stdout; whatever a layer prints goes to stderr.
    events = channel()
    import keras  # noqa: F401  (the costly import, made while the parent gets ready)

    request = json.loads(sys.stdin.readline())
    runner = Runner(subjects_for(request["layers"]), request["checks"], timeout=request["timeout"])
    runner.seed(CheckResult(**fields) for fields in request["known"])
    runner.on_start = lambda layer, check: send(events, event="start", layer=layer, check=check)
    runner.on_raw = lambda raw: send(events, event="raw", result=dataclasses.asdict(raw))
    try:
        runner.run()
    finally:
        runner.close()
    send(events, event="done")
