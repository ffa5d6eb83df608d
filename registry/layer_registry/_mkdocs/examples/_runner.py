"""The parent side of the examples: one worker process runs the jobs, one at a time.

The main process (MkDocs) never imports TensorFlow for this: an [`ExampleRunner`][] feeds the
examples that are not cached to ONE worker process (a [`layer_registry._child.Child`][]
running ``python -m layer_registry._mkdocs.examples._worker``) as JSON lines, and gives up on
an example after ``timeout`` seconds by killing the worker and starting a new one for the rest.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from layer_registry._child import Child
from layer_registry._child import Ended
from layer_registry._mkdocs.examples._records import FORMAT
from layer_registry._mkdocs.examples._records import ExampleJob
from layer_registry._mkdocs.examples._records import ExampleResult
from layer_registry._mkdocs.examples._store import ExampleCache

WORKER = ["-m", "layer_registry._mkdocs.examples._worker"]
"""The worker's command line, after the interpreter."""


class ExampleRunner:
    """Runs jobs in order in one worker process, on a background thread.

    [`result`][] blocks until a layer's result is in. A job that takes longer than ``timeout``
    seconds gets a timeout result; the worker is killed and a new one runs the jobs after it.
    """

    def __init__(
        self,
        jobs: Iterable[ExampleJob],
        cache: ExampleCache,
        *,
        timeout: float = 60.0,
        startup_timeout: float = 300.0,
        on_result: Callable[[ExampleJob, ExampleResult], None] | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.cache = cache
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.on_result = on_result
        self.workers_started = 0
        self.startup_seconds = 0.0
        """Time spent starting workers (mostly importing TensorFlow), all of them together."""
        self._results: dict[str, ExampleResult] = {}
        self._done = {job.name: threading.Event() for job in self.jobs}
        self._stop = threading.Event()
        self._worker: _Worker | None = None
        self._thread = threading.Thread(target=self._run, name="layer-registry-examples")
        self._thread.daemon = True

    def start(self) -> ExampleRunner:
        if self.jobs:
            self._thread.start()
        return self

    def result(self, name: str) -> ExampleResult:
        self._done[name].wait()
        return self._results[name]

    def close(self) -> None:
        self._stop.set()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            for job in self.jobs:
                if self._stop.is_set():
                    result = ExampleResult(job.name, job.key, error="the build stopped",
                                           transient=True)
                else:
                    result = self._run_one(job)
                    self.cache.put(result)
                self._results[job.name] = result
                self._done[job.name].set()
                if self.on_result is not None and not self._stop.is_set():
                    self.on_result(job, result)
        except BaseException as exc:  # never leave a page waiting forever
            for job in self.jobs:
                if not self._done[job.name].is_set():
                    self._results[job.name] = ExampleResult(
                        job.name, job.key, error=f"example runner failed: {exc!r}", transient=True
                    )
                    self._done[job.name].set()
            raise
        finally:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def _run_one(self, job: ExampleJob) -> ExampleResult:
        if self._worker is None or not self._worker.alive():
            started = time.monotonic()
            self._worker = _Worker()
            self.workers_started += 1
            problem = self._worker.wait_ready(self.startup_timeout)
            self.startup_seconds += time.monotonic() - started
            if problem is not None:
                self._worker.kill()
                self._worker = None
                return ExampleResult(job.name, job.key, error=problem, transient=True)
        started = time.monotonic()
        reply = self._worker.ask(
            {**asdict(job), "plot_path": str(self.cache.plot_path(job.key))}, self.timeout
        )
        seconds = time.monotonic() - started
        if isinstance(reply, dict):
            result = ExampleResult.from_json({**reply, "format": FORMAT})
            result.seconds = seconds
            return result
        worker, self._worker = self._worker, None
        worker.kill()
        if reply == "timeout":
            error = (
                f"timed out after {self.timeout:g} s (the example worker was stopped and "
                "restarted for the remaining layers)"
            )
        else:
            error = "the example worker process died" + worker.stderr_tail()
        return ExampleResult(job.name, job.key, error=error, seconds=seconds, transient=True)


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
