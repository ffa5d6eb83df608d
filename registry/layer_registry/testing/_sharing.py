"""Sharing the fresh-process batches between the pytest-xdist workers of one run."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from layer_registry.testing._results import CheckResult

if TYPE_CHECKING:
    from layer_registry.testing._subject import Subject


SHARED_FOLDER: Path | None = None
"""Where the pytest-xdist workers of a run share fresh-process results (set by the plugin)."""


def shared_folder() -> Path | None:
    """The folder to share batches through, or None (not under xdist, or on Windows)."""
    return SHARED_FOLDER if SHARED_FOLDER is not None and sys.platform != "win32" else None


def shared_batch(
    folder: Path,
    plan: tuple[str, list[tuple[Subject, tuple[str, ...]]]],
    launch: Callable[[list[Any]], Iterator[CheckResult]],
) -> list[CheckResult]:
    """The raw results of one backend's batch, run by whichever worker asks first.

    Every worker collects the same layers, so they all plan the same batches; a file lock
    makes the others wait for the first and then read what it wrote.
    """
    import fcntl

    backend, items = plan
    # Whatever changes what a fresh process does is part of the key: the layers and checks,
    # the import path and the variables layer-registry, Keras and the backends read.
    environment = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith(("LAYER_REGISTRY_", "KERAS_", "TF_", "JAX_", "XLA_"))
    )
    key = hashlib.sha256(
        repr(
            (backend, [(s.portable(), checks) for s, checks in items], sys.path, environment)
        ).encode()
    ).hexdigest()[:24]
    stored = folder / f"{key}.json"
    with (folder / f"{key}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if stored.exists():
                return [CheckResult(**fields) for fields in json.loads(stored.read_text())]
            results = list(launch([plan]))
            stored.write_text(json.dumps([dataclasses.asdict(r) for r in results]))
            return results
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
