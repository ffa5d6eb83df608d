"""What the site tests build with: throw-away plugins, the build record, a run-once lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import LIBRARY_PLUGINS
from support.distributions import plugin_source
from support.distributions import write_plugin

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MKDOCS = str(BIN / "mkdocs")

ACME = '''
import keras
from keras import ops


class Gated(keras.layers.Layer):
    """A gated linear unit from a third party, `y = (x @ W) * sigmoid(x @ V)`.

    Args:
        units: Positive integer, the size of the output.
        **kwargs: Base layer keyword arguments.

    Example:

    ```python
    import numpy as np
    from acme_layers import Gated

    y = Gated(units=3)(np.ones((2, 5), dtype="float32"))
    print("acme docstring example:", tuple(y.shape))
    ```
    """

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.gate = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="ones", name="gate"
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) * ops.sigmoid(ops.matmul(inputs, self.gate))

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''

ACME_REGISTER = """\
    register(Gated, example={"units": 3}, input_shape=(4, 5), tags=["gating", "acme-only"])
    register(Scale, example={"units": 2}, input_shape=(2, 6, 3), tags=["acme-only"])
"""

BROKEN_PREAMBLE = '''
import keras


class Raises(keras.layers.Layer):
    """A layer whose call always raises."""

    def call(self, inputs):
        raise ValueError("boom from Raises.call")

    def get_config(self):
        return super().get_config()
'''

SLOW_PREAMBLE = '''
import time

import keras


class Hangs(keras.layers.Layer):
    """A layer whose call never returns."""

    def call(self, inputs):
        time.sleep(600)
        return inputs

    def get_config(self):
        return super().get_config()
'''


@dataclass(frozen=True)
class Build:
    """A finished build: where the site is, how the process ended, what it logged."""

    site: Path
    returncode: int
    stderr: str
    rebuild_returncode: int = 0
    rebuild_stderr: str = ""
    env: dict[str, str] | None = None

    def page(self, path: str) -> str:
        """The HTML of the page at ``path`` (a folder URL such as ``layers/acme/Gated/``)."""
        return (self.site / path / "index.html").read_text(encoding="utf-8")


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this session sees (the session's own without xdist)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "run")
        base = base.parent / f"site-builds-{run[:12]}"
    base.mkdir(parents=True, exist_ok=True)
    return base


@contextlib.contextmanager
def once(folder: Path) -> Iterator[Path | None]:
    """Yield ``folder`` to fill if nobody has yet, or None when it is already filled."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = folder / "done.json"
            yield None if done.exists() else folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def environment(pythonpath: list[Path], cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
        "LAYER_REGISTRY_CACHE_DIR": str(cache),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "NO_MKDOCS_2_WARNING": "1",
    }
    for variable in ("LAYER_REGISTRY_ONLY", "LAYER_REGISTRY_STRICT"):
        env.pop(variable, None)
    env["LAYER_REGISTRY_DISABLE"] = LIBRARY_PLUGINS
    return env


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=cwd, timeout=600, check=False
    )


def write_acme(root: Path) -> Path:
    """The third-party plugin ``acme`` (distribution ``acme-layers``) with two layers."""
    return write_plugin(
        root,
        distribution="acme-layers",
        namespace="acme",
        version="2.3.0",
        summary="Gating layers by a third party.",
        source=plugin_source("Scale", preamble=ACME, register=ACME_REGISTER),
    )


def write_broken(root: Path) -> Path:
    """The plugin ``broken`` (distribution ``broken-layers``): its one layer's example raises,
    and it registers a class that is not a layer, which the registry refuses (a partial plugin).
    """
    return write_plugin(
        root,
        distribution="broken-layers",
        namespace="broken",
        source=plugin_source(
            preamble=BROKEN_PREAMBLE,
            register="    register(Raises, input_shape=(2, 3))\n    register(dict)",
        ),
    )
