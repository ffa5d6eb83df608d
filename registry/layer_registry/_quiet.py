"""TensorFlow's start-up lines kept off the terminal: what they are, and the filter that drops them.

Importing TensorFlow, and later its first device probe, writes a handful of lines from C++
straight to file descriptor 2 (absl's "All log messages before absl::InitializeLog()", the
oneDNN notice, "Could not find cuda drivers", "failed call to cuInit"); ``TF_CPP_MIN_LOG_LEVEL``
does not silence them all. :data:`NOISE` says which lines those are, the one definition every
reader of a process's stderr uses; :func:`filter_native_stderr` keeps them off the terminal of
the command line.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import sys
import threading

from layer_registry import _settings

# A native log line's prefix: absl's "I0000 00:00:1712.5    123 port.cc:153] " or TensorFlow's
# older "2024-01-01 10:00:00.1: I tensorflow/core/util/port.cc:113] ". The messages are the
# ones every CPU-only start prints; a real warning or error of TensorFlow's is not among them.
_PREFIX = r"(?:[^\]]*\] )?"
NOISE = re.compile(
    r"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rf"|{_PREFIX}(?:oneDNN custom operations are on"
    r"|Could not find cuda drivers on your machine"
    r"|failed call to cuInit"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|Unable to register cu\w+ factory"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|computation placer already registered)"
    r"|To enable the following instructions: .*rebuild TensorFlow"
    r")"
)
"""A line of TensorFlow's start-up noise (without its line ending)."""


def is_noise(line: str) -> bool:
    """Whether ``line`` is one of TensorFlow's start-up lines."""
    return NOISE.match(line.rstrip("\r\n")) is not None


def without_noise(text: str) -> str:
    """``text`` without TensorFlow's start-up lines."""
    return "\n".join(line for line in text.splitlines() if not is_noise(line))


def shown(text: str) -> str:
    """What of a process's stderr ``text`` to show: all of it under ``LAYER_REGISTRY_DEBUG=1``."""
    return text if _settings.flag(_settings.DEBUG) else without_noise(text)


_filter: tuple[int, int] | None = None  # (filter process id, the real stderr's descriptor)


def filter_native_stderr() -> bool:
    """From now on, drop TensorFlow's start-up lines that native code writes on stderr.

    File descriptor 2 becomes a pipe read by a small forked process, which writes every line
    that is not :data:`NOISE` to the real stderr. Being another process, it drains the pipe
    even after this one crashes, so nothing is lost. ``sys.stderr`` (Python's own messages,
    warnings, tracebacks, rich's progress display) keeps writing to the real stderr directly:
    in order with stdout, and still a terminal when stderr is one.

    Call it once, first thing, in a command-line process (it forks). Does nothing and returns
    False under ``LAYER_REGISTRY_DEBUG=1``, where a system has no ``fork``, or a second time.
    """
    global _filter
    if _filter is not None or _settings.flag(_settings.DEBUG) or not hasattr(os, "fork"):
        return False
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    try:
        terminal = os.dup(2)  # not inherited by children: theirs is the filtered fd 2
    except OSError:  # no stderr at all: nothing to keep clean
        return False
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # out of processes: a noisy terminal beats no command
        for descriptor in (terminal, read, write):
            os.close(descriptor)
        return False
    if pid == 0:  # the filter: its fd 2 is still the real stderr
        status = 0
        try:
            # Hold nothing but the pipe (as fd 0) and the real stderr: a reader of this
            # command's stdout must see its end when the command ends.
            os.dup2(read, 0)
            os.dup2(2, 1)
            os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 256)
            # Ctrl-C reaches the whole process group; the filter must outlive the command's
            # "aborted" line. It ends when every writer has closed the pipe.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _pump(0, 2)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(read)
    stream = sys.stderr
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr = open(  # noqa: SIM115  (lives as long as the process)
            terminal,
            "w",
            buffering=1,
            encoding=stream.encoding,
            errors=stream.errors,
            closefd=False,
        )
    os.dup2(write, 2)
    os.close(write)
    _filter = (pid, terminal)
    atexit.register(_finish)
    return True


def _pump(source: int, sink: int) -> None:
    """Copy lines from ``source`` to ``sink`` until end of file, dropping the noise."""
    pending = b""
    broken = False
    while chunk := os.read(source, 65536):
        *lines, pending = (pending + chunk).split(b"\n")
        kept = [line + b"\n" for line in lines if not is_noise(line.decode("utf-8", "replace"))]
        if kept and not broken:
            broken = not _write(sink, b"".join(kept))
    if pending and not broken and not is_noise(pending.decode("utf-8", "replace")):
        _write(sink, pending)


def _write(sink: int, data: bytes) -> bool:
    """Write all of ``data``; False when ``sink`` is gone (the reader went away: keep draining)."""
    try:
        while data:
            data = data[os.write(sink, data) :]
    except OSError:
        return False
    return True


def _finish() -> None:
    """At exit: close this process's end of the pipe and let the filter write the last lines.

    Waits a few seconds at most: a process this one started and left running may still hold
    the pipe, and the command must end anyway.
    """
    if _filter is None:
        return
    pid, terminal = _filter
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    with contextlib.suppress(OSError):
        os.dup2(terminal, 2)
    waiter = threading.Thread(target=_reap, args=(pid,), daemon=True)
    waiter.start()
    waiter.join(timeout=5)


def _reap(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)
