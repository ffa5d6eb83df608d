"""The parent side of the examples: worker processes run the jobs, one plugin's jobs per worker.

The main process (MkDocs) never imports TensorFlow for this: an [`ExampleRunner`][] feeds the
examples that are not cached to worker processes (each a [`layer_registry._child.Child`][]
running ``python -m layer_registry._mkdocs.examples._worker``) as JSON lines. There are as many
workers as cores (``LAYER_REGISTRY_EXAMPLE_WORKERS`` says otherwise), never more than plugins
with work. A worker takes a whole plugin at a time, so a plugin's examples run together in one
process, in order, as they would in a serial build; each worker starts the framework once. An
example that runs longer than ``timeout`` seconds, or kills its worker, fails alone: that worker
is replaced for the rest of its plugin and the other workers go on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from layer_registry import _settings
from layer_registry._child import Child
from layer_registry._child import Ended
from layer_registry._mkdocs.examples._records import FORMAT
from layer_registry._mkdocs.examples._records import ExampleJob
from layer_registry._mkdocs.examples._records import ExampleResult
from layer_registry._mkdocs.examples._store import ExampleCache

WORKER = ["-m", "layer_registry._mkdocs.examples._worker"]
"""The worker's command line, after the interpreter."""


def default_workers() -> int:
    """``LAYER_REGISTRY_EXAMPLE_WORKERS``, else one worker per usable core."""
    return _settings.workers(_settings.EXAMPLE_WORKERS)


def namespace_of(name: str) -> str:
    """The plugin a layer's example is grouped with by default: its name's namespace."""
    return name.partition(">")[0]


class ExampleRunner:
    """Runs jobs in worker processes, one plugin at a time per worker, on background threads.

    [`result`][] blocks until a layer's result is in. A job that takes longer than ``timeout``
    seconds gets a timeout result; its worker is killed and a new one runs the jobs after it.
    ``plugin_of`` maps a job's layer name to its plugin (by default the name's namespace: give
    it for adopted layers, whose names keep their library's); ``workers`` caps the processes.
    """

    def __init__(
        self,
        jobs: Iterable[ExampleJob],
        cache: ExampleCache,
        *,
        timeout: float = 60.0,
        startup_timeout: float = 300.0,
        on_result: Callable[[ExampleJob, ExampleResult], None] | None = None,
        plugin_of: Callable[[str], str] = namespace_of,
        workers: int | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.cache = cache
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.on_result = on_result
        groups: dict[str, list[ExampleJob]] = {}
        for job in self.jobs:
            groups.setdefault(plugin_of(job.name), []).append(job)
        # The biggest plugins first: the last worker to finish waits the least.
        self.groups = sorted(groups.values(), key=len, reverse=True)
        self.workers = max(1, min(workers or default_workers(), len(self.groups)))
        """How many worker processes run at once (at most one per plugin with work)."""
        self.workers_started = 0
        """Worker processes started, replacements of killed ones included."""
        self.startup_seconds = 0.0
        """Time spent starting workers (mostly importing TensorFlow), all of them together."""
        # Plot paths are chosen here, on one thread: the cache may make a temporary folder.
        self._plot_paths = {job.name: str(cache.plot_path(job.key)) for job in self.jobs}
        self._results: dict[str, ExampleResult] = {}
        self._done = {job.name: threading.Event() for job in self.jobs}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._todo: queue.SimpleQueue[list[ExampleJob]] = queue.SimpleQueue()
        for group in self.groups:
            self._todo.put(group)
        self._live: set[_Worker] = set()
        self._threads = [
            threading.Thread(target=self._lane, name=f"layer-registry-examples-{n}", daemon=True)
            for n in range(self.workers if self.jobs else 0)
        ]

    def start(self) -> ExampleRunner:
        for thread in self._threads:
            thread.start()
        return self

    def result(self, name: str) -> ExampleResult:
        self._done[name].wait()
        return self._results[name]

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            live, self._live = list(self._live), set()
        for worker in live:
            worker.kill()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=10)

    def _finish(self, job: ExampleJob, result: ExampleResult) -> None:
        with self._lock:  # one on_result at a time: the caller's counters need no lock
            if self._done[job.name].is_set():
                return
            self._results[job.name] = result
            self._done[job.name].set()
            if self.on_result is not None and not self._stop.is_set():
                self.on_result(job, result)

    def _lane(self) -> None:
        """One worker's thread: take a plugin's jobs, run them in order, take the next."""
        lane = _Lane(self)
        try:
            while True:
                try:
                    group = self._todo.get_nowait()
                except queue.Empty:
                    return
                for job in group:
                    if self._stop.is_set():
                        result = ExampleResult(
                            job.name, job.key, error="the build stopped", transient=True
                        )
                    else:
                        result = lane.run(job)
                        self.cache.put(result)
                    self._finish(job, result)
        except BaseException as exc:  # never leave a page waiting forever
            for job in self.jobs:
                self._finish(
                    job,
                    ExampleResult(
                        job.name, job.key, error=f"example runner failed: {exc!r}", transient=True
                    ),
                )
            raise
        finally:
            lane.stop()

    def _adopt(self, worker: _Worker) -> None:
        with self._lock:
            self.workers_started += 1
            if self._stop.is_set():  # started as the build closed: close() did not see it
                worker.kill()
            else:
                self._live.add(worker)

    def _started(self, seconds: float) -> None:
        with self._lock:
            self.startup_seconds += seconds

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)


class _Lane:
    """The worker process of one runner thread, started on demand and replaced when it dies."""

    def __init__(self, runner: ExampleRunner) -> None:
        self.runner = runner
        self.worker: _Worker | None = None

    def run(self, job: ExampleJob) -> ExampleResult:
        runner = self.runner
        if self.worker is None or not self.worker.alive():
            started = time.monotonic()
            self.worker = _Worker()
            runner._adopt(self.worker)
            problem = self.worker.wait_ready(runner.startup_timeout)
            runner._started(time.monotonic() - started)
            if problem is not None:
                self._discard(kill=True)
                return ExampleResult(job.name, job.key, error=problem, transient=True)
        started = time.monotonic()
        reply = self.worker.ask(
            {**asdict(job), "plot_path": runner._plot_paths[job.name]}, runner.timeout
        )
        seconds = time.monotonic() - started
        if isinstance(reply, dict):
            result = ExampleResult.from_json({**reply, "format": FORMAT})
            result.seconds = seconds
            return result
        # Read before the kill, which closes the file the worker's stderr went to.
        tail = self.worker.stderr_tail()
        self._discard(kill=True)
        if reply == "timeout":
            error = (
                f"timed out after {runner.timeout:g} s (the example worker was stopped and "
                "restarted for the remaining layers)"
            )
        else:
            error = "the example worker process died" + tail
        return ExampleResult(job.name, job.key, error=error, seconds=seconds, transient=True)

    def _discard(self, *, kill: bool) -> None:
        worker, self.worker = self.worker, None
        if worker is None:
            return
        self.runner._drop(worker)
        if kill:
            worker.kill()
        else:
            worker.stop()

    def stop(self) -> None:
        self._discard(kill=False)


class _Worker:
    """The worker's child process, in a temporary folder of its own (examples may write files)."""

    def __init__(self) -> None:
        self._cwd = tempfile.TemporaryDirectory(prefix="layer-registry-worker-")
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
        }
        self._child = Child(WORKER, env=env, cwd=self._cwd.name, name="worker")

    def alive(self) -> bool:
        return self._child.alive()

    def wait_ready(self, timeout: float) -> str | None:
        """None once the worker says it is ready, else why it is not."""
        reply = self._child.receive(timeout)
        if isinstance(reply, dict) and reply.get("ready"):
            return None
        why = "did not start in time" if reply == "timeout" else "failed to start"
        return f"the example worker process {why}" + self.stderr_tail()

    def ask(self, job: dict[str, Any], timeout: float) -> dict[str, Any] | Ended:
        if not self._child.send(job):
            return "ended"
        return self._child.receive(timeout)

    def stderr_tail(self) -> str:
        return self._child.stderr_tail()

    def stop(self) -> None:
        """Ask the worker to finish (end of input), then make sure it is gone."""
        self._child.stop()
        self._remove_folder()

    def kill(self) -> None:
        self._child.kill()
        self._remove_folder()

    def _remove_folder(self) -> None:
        with contextlib.suppress(OSError):
            self._cwd.cleanup()
