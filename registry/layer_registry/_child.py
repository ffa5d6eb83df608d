"""One Python child process speaking JSON lines: the registry's way of running code apart.

The parent writes requests to the child's stdin and reads events from the child's stdout, one
JSON object a line. The child calls :func:`channel` first: events then go to a private copy of
its stdout, and file descriptor 1 points at stderr, so whatever the code it runs prints (Python
or C) can never corrupt the events. The child's stderr goes to a file, never a pipe that could
fill up and block it; :meth:`Child.stderr_tail` reads its end without TensorFlow's start-up
noise (``layer_registry._quiet``).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from collections.abc import Sequence
from typing import IO
from typing import Any
from typing import Literal

from layer_registry import _quiet

Ended = Literal["timeout", "ended"]


class Child:
    """A running child process: ``python -c CODE`` (or ``-m MODULE``) with JSON-line events."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        name: str = "child",
    ) -> None:
        """``argv`` follows the interpreter: ``["-m", MODULE]`` or ``["-c", CODE]``."""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed by kill())
        self._process = subprocess.Popen(
            # -P: the current folder is not put first on sys.path. A command run inside a
            # plugin's project folder must import the installed plugin, as this process does,
            # not the sources lying there.
            [sys.executable, "-P", *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            text=True,
            encoding="utf-8",
        )
        self._events: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=self._read, name=f"layer-registry-{name}-reader")
        reader.daemon = True
        reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        with contextlib.suppress(OSError, ValueError):  # the pipe closed under us: killed
            for line in self._process.stdout:
                self._events.put(line)
        self._events.put(None)

    def alive(self) -> bool:
        return self._process.poll() is None

    def send(self, message: Mapping[str, Any]) -> bool:
        """Write one request; False when the child is gone."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    def receive(self, timeout: float | None = None) -> dict[str, Any] | Ended:
        """The next event, ``"timeout"`` after ``timeout`` seconds of silence, or ``"ended"``."""
        while True:
            try:
                line = self._events.get(timeout=timeout)
            except queue.Empty:
                return "timeout"
            if line is None:
                self._events.put(None)  # every later call sees the end too
                return "ended"
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    return event

    def wait(self, timeout: float | None = None) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self._process.wait(timeout=timeout)
        return None

    def exit_description(self) -> str:
        """How the child ended: ``killed by signal SIGSEGV``, ``exited with status 3``."""
        code = self.wait(timeout=10)
        if code is None:
            return "still running"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by signal {signal.Signals(-code).name}"
            return f"killed by signal {-code}"
        return f"exited with status {code}"

    def stderr_text(self) -> str:
        """What the child wrote on stderr, without TensorFlow's start-up noise.

        All of it under ``LAYER_REGISTRY_DEBUG=1``.
        """
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            return _quiet.shown(self._stderr.read().decode("utf-8", "replace"))
        return ""

    def stderr_tail(self, lines: int = 15) -> str:
        """``":\\n"`` and the last ``lines`` lines of stderr, or ``""`` when there are none."""
        text = self.stderr_text().strip()
        return ":\n" + "\n".join(text.splitlines()[-lines:]) if text else ""

    def stop(self) -> None:
        """Close its input (a serving child then finishes), then make sure it is gone."""
        with contextlib.suppress(OSError, ValueError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        self.wait(timeout=10)
        self.kill()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self.wait(timeout=10)
        with contextlib.suppress(OSError, ValueError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        with contextlib.suppress(OSError, ValueError):
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._stderr.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


def channel() -> IO[str]:
    """In the child: the private stream events go to; fd 1 now points at stderr."""
    events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    return events


def send(events: IO[str], **event: Any) -> None:
    """In the child: write one event."""
    events.write(json.dumps(event, default=repr) + "\n")
    events.flush()


def environment(**overrides: str | None) -> dict[str, str]:
    """This process's environment for a child that must import what this one imports.

    The same ``sys.path`` in the same order (a plugin folder a test put on it, say), quiet
    TensorFlow; ``overrides`` set variables, or remove them when None.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTHONSTARTUP", None)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
