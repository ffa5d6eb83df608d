"""The fresh-process batch: one Python process runs a check for many layers.

``saving`` must load a model in a process that has never seen the layer, ``distributed`` needs
two logical CPU devices configured before TensorFlow starts, and ``backend_portable`` needs
``KERAS_BACKEND=jax``. Starting Python and a backend costs seconds, so every layer of a run
shares one process per backend (``Batch``). The parent writes the job to a file; the child
(``child_main``) writes one JSON line per event on a private copy of its stdout (the registry's
one child-process mechanism, ``layer_registry._child``), so nothing a layer prints can corrupt
the results. A child that dies or hangs fails the check it was running
and a new child takes over the rest.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layer_registry._child import Child
from layer_registry._child import channel
from layer_registry._child import environment
from layer_registry._child import send
from layer_registry.testing._results import CheckResult

DEFAULT_TIMEOUT = 300.0
"""Seconds a fresh process may spend on one check before it is stopped."""

_CHILD_CODE = "from layer_registry.testing._subprocess import child_main; child_main()"


@dataclass(frozen=True)
class Item:
    """One layer's share of a batch: the subject, its checks, and the parent's artifacts."""

    subject: dict[str, Any]
    checks: tuple[str, ...]
    artifacts: Any = None


class Batch:
    """The items that one fresh process with one Keras backend runs."""

    def __init__(
        self, backend: str, items: Sequence[Item], *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.backend = backend
        self.items = list(items)
        self.timeout = timeout

    def environment(self) -> dict[str, str]:
        overrides = {"KERAS_BACKEND": self.backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
        if self.backend == "jax":
            overrides["JAX_PLATFORMS"] = os.environ.get("JAX_PLATFORMS", "cpu")
        return environment(**overrides)

    def run(self, emit: Callable[[CheckResult], None]) -> None:
        """Run every item, calling ``emit`` with each result as it arrives."""
        pending = [(item, check) for item in self.items for check in item.checks]
        while pending:
            done = self._run_once(pending, emit)
            if not done:
                break
            pending = [(item, check) for item, check in pending if (id(item), check) not in done]

    def _run_once(
        self, pending: list[tuple[Item, str]], emit: Callable[[CheckResult], None]
    ) -> set[tuple[int, str]]:
        """One child process over ``pending``; returns what got a result (a failure included)."""
        items: dict[int, Item] = {}
        checks: dict[int, list[str]] = {}
        for item, check in pending:
            items[id(item)] = item
            checks.setdefault(id(item), []).append(check)
        by_label = {item.subject["label"]: key for key, item in items.items()}
        done: set[tuple[int, str]] = set()
        with tempfile.TemporaryDirectory(prefix="layer-registry-check-") as folder:
            job = Path(folder) / "job.pickle"
            with job.open("wb") as handle:
                pickle.dump(
                    {
                        "backend": self.backend,
                        "items": [
                            dataclasses.replace(items[key], checks=tuple(checks[key]))
                            for key in items
                        ],
                    },
                    handle,
                )
            with Child(
                ["-c", _CHILD_CODE, str(job)],
                env=self.environment(),
                name=f"check-{self.backend}",
            ) as child:
                running: tuple[str, str] | None = None
                started = 0.0
                timed_out = False
                while True:
                    event = child.receive(self.timeout)
                    if event == "timeout":
                        timed_out = True
                        break
                    if event == "ended":
                        break
                    if event.get("event") == "start":
                        running = (event["layer"], event["check"])
                        started = time.perf_counter()
                    elif event.get("event") == "result":
                        result = CheckResult(**event["result"])
                        key = by_label.get(result.layer)
                        if key is not None:
                            done.add((key, result.check))
                            emit(result)
                        running = None
                if not timed_out:
                    child.wait()
                # Read before stopping it: the stderr file goes with the child.
                tail = _tail(child.stderr_text())
                child.kill()
                returncode = child.wait()
        if running is not None and running[0] in by_label:
            layer, check = running
            if timed_out:
                reason = (
                    f"the fresh process ran this check for over {self.timeout:.0f} s and was "
                    "stopped"
                )
            else:
                reason = f"the fresh process died (exit status {returncode}) during this check"
            emit(
                CheckResult(
                    layer, check, "fail", _with_tail(reason, tail), time.perf_counter() - started
                )
            )
            done.add((by_label[layer], check))
        elif not done:
            # Died before any check: nothing will go better in another process.
            reason = f"the fresh {self.backend} process failed to start (exit status {returncode})"
            for item, check in pending:
                emit(CheckResult(item.subject["label"], check, "fail", _with_tail(reason, tail)))
            return set()
        return done


def _tail(text: str, count: int = 12) -> str:
    lines = [line for line in text.splitlines() if line.strip()]  # stderr_text() took the noise
    return "\n".join(lines[-count:])


def _with_tail(reason: str, tail: str) -> str:
    return f"{reason}; its last output:\n{tail}" if tail else reason


def run_batches(batches: Iterable[Batch]) -> Iterator[CheckResult]:
    """Run the batches at the same time; yield results as they arrive."""
    results: queue.Queue[CheckResult | None] = queue.Queue()
    threads = []
    errors: list[BaseException] = []

    def work(batch: Batch) -> None:
        try:
            batch.run(results.put)
        except BaseException as exc:  # reported in the caller's thread
            errors.append(exc)
        finally:
            results.put(None)

    for batch in batches:
        thread = threading.Thread(target=work, args=(batch,), daemon=True)
        thread.start()
        threads.append(thread)
    remaining = len(threads)
    while remaining:
        result = results.get()
        if result is None:
            remaining -= 1
        else:
            yield result
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# -- the child ------------------------------------------------------------------------------------


def child_main(argv: Sequence[str] | None = None) -> None:
    """Run a job file written by ``Batch`` (in the fresh process)."""
    from layer_registry.testing._catalogue import BY_NAME

    path = (sys.argv[1:] if argv is None else argv)[0]
    # Results go to a private copy of stdout; anything else printed goes to stderr.
    events = channel()
    with open(path, "rb") as handle:
        job = pickle.load(handle)
    strategy = None
    wanted = {check for item in job["items"] for check in item.checks}
    if job["backend"] == "tensorflow" and any("strategy" in BY_NAME[c].needs for c in wanted):
        strategy = _two_cpu_strategy()
    for item in job["items"]:
        _run_item(item, {"strategy": strategy}, functools.partial(send, events))
    events.flush()


def _two_cpu_strategy() -> Any:
    """A MirroredStrategy over two logical CPUs (configured before TensorFlow initialises).

    One strategy serves every layer: a second MirroredStrategy in the same process reuses
    collective keys and its all-reduces fail.
    """
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def _run_item(item: Item, shared: dict[str, Any], send: Callable[..., None]) -> None:
    import warnings

    from layer_registry.testing import _checks
    from layer_registry.testing._catalogue import BY_NAME
    from layer_registry.testing._subject import Subject

    subject = Subject(**item.subject)
    label = subject.label
    try:
        subject = dataclasses.replace(subject, cls=subject.load_class())
    except Exception as exc:
        reason = f"the layer cannot be imported in a fresh process: {_checks.describe_error(exc)}"
        for check in item.checks:
            send(
                event="result", result=dataclasses.asdict(CheckResult(label, check, "fail", reason))
            )
        return
    given = {**shared, "artifacts": item.artifacts}
    for check in item.checks:
        send(event="start", layer=label, check=check)
        started = time.perf_counter()

        def run(check: str = check) -> str | None:
            entry = BY_NAME.get(check)
            if entry is None or not entry.fresh_process:
                raise _checks.CheckFailed(f"{check} does not run in a fresh process")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return entry.function(subject, **{need: given[need] for need in entry.needs})

        status, reason = _checks.outcome(run)
        result = CheckResult(label, check, status, reason, time.perf_counter() - started)
        send(event="result", result=dataclasses.asdict(result))
