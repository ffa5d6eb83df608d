"""B2: the registry's own cost per plugin (discovery, pluggy, validation, Keras registration),
excluding each plugin's import, with 10, 100 and 500 synthetic plugins installed; against
wiring the same plugins by hand (entry points + `register_keras_serializable`).
Target: grows linearly, at most 1 ms per plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import Row
from measure import emit

SIZES = (10, 100, 500)

# Runs in a fresh process per size, so Keras's global registry starts empty each time.
PROBE = """
import importlib, importlib.metadata, json, sys, time
import keras
from layer_registry import Registry
n = int(sys.argv[1])
namespaces = [f"synthetic{i}" for i in range(n)]
for i in range(n):  # the plugins' own import cost is not the registry's
    importlib.import_module(f"synthetic_plugin_{i}")

def by_hand():
    for ep in importlib.metadata.entry_points(group="layer_registry"):
        if ep.name.startswith("synthetic"):
            module = ep.load()
            keras.saving.register_keras_serializable(package=ep.name + "_hand")(module.Synthetic)

start = time.perf_counter(); by_hand(); hand = time.perf_counter() - start
start = time.perf_counter()
loaded = Registry(only=namespaces).load()
ours = time.perf_counter() - start
assert loaded == n, loaded
print(json.dumps([ours, hand]))
"""


def write_plugins(root: Path, count: int) -> None:
    from support.distributions import plugin_source
    from support.distributions import write_plugin

    source = plugin_source("Synthetic")
    for i in range(count):
        write_plugin(
            root, distribution=f"synthetic-plugin-{i}", namespace=f"synthetic{i}", source=source
        )


def main() -> None:
    rows, per_plugin = [], {}
    for n in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            write_plugins(Path(folder), n)
            runs = []
            for _ in range(3):
                out = subprocess.run(
                    [sys.executable, "-c", PROBE, str(n)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": folder},
                ).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            ours, hand = min(r[0] for r in runs), min(r[1] for r in runs)
            per_plugin[n] = ours / n
            rows.append((n, ours, hand))
    linear = per_plugin[500] <= 2 * per_plugin[10] + 0.0002
    # The line through the smallest and largest sizes: what every load pays once, and each
    # further plugin.
    (low, low_time, _), (high, high_time, _) = rows[0], rows[-1]
    marginal = (high_time - low_time) / (high - low)
    bound = (
        f"a fixed {(low_time - low * marginal) * 1e3:.1f} ms, then {marginal * 1e3:.3f} ms "
        f"a plugin (the line through {low} and {high} plugins)"
    )
    emit(
        [
            Row(
                f"B2.{n}",
                f"discover + load {n} plugins ({ours / n * 1e3:.3f} ms per plugin)",
                ours,
                hand,
                "by hand",
                "<= 1 ms per plugin, linear",
                ours / n <= 0.001 and linear,
                bound=bound,
            )
            for n, ours, hand in rows
        ]
    )


if __name__ == "__main__":
    main()
