"""E1-E5: the registry at ecosystem scale, 100 synthetic plugin distributions of 10 layers each
(real ``.dist-info``, on ``sys.path``), against the same commands with the 8 bundled layers or
against doing the same by hand. ``--small`` uses 10 plugins of 3 layers (a check, not figures).

- E1, E2: warm `list` and `search` at most 1.5x their time with the bundled layers only.
- E3: a cold `list` (every plugin imported, in the catalog's child) grows linearly: its time at
  the full size at most 1.25x the line through its times at a tenth and at half the size.
- E4: `get` at most 3x a dict lookup, with every layer loaded.
- E5: `load_model` of a file naming 3 of the layers imports only their 3 plugins and takes at
  most 1.2x `keras.saving.load_model` of the file with those plugins imported by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import Row
from measure import emit
from measure import median_run
from measure import small

CLI = str(Path(sys.executable).with_name("layer-registry"))
PLUGINS, LAYERS = (10, 3) if small() else (100, 10)
CHOSEN = (0, PLUGINS // 2, PLUGINS - 1)
"""The plugins whose first layer the E5 model uses."""


def names(plugin: int) -> list[str]:
    return [f"Eco{plugin}L{k}" for k in range(LAYERS)]


def write_plugins(root: Path, count: int) -> Path:
    from support.distributions import plugin_source
    from support.distributions import write_plugin

    for i in range(count):
        write_plugin(
            root,
            distribution=f"eco-plugin-{i}",
            namespace=f"eco{i}",
            source=plugin_source(*names(i)),
            summary=f"Synthetic plugin {i}.",
        )
    return root


GET = """
import json, timeit
import layer_registry
layer_registry.load()
assert len(layer_registry.names()) >= int(__import__("sys").argv[1])
name = "eco0>Eco0L0"
table = {n: layer_registry.get(n) for n in layer_registry.names()}
def per_call(statement, **names):
    return min(timeit.Timer(statement, globals=names).repeat(7, 200_000)) / 200_000
print(json.dumps([per_call("get(n)", get=layer_registry.get, n=name),
                  per_call("t[n]", t=table, n=name)]))
"""

SAVE = """
import sys, keras, layer_registry
names = sys.argv[2:]
inputs = keras.Input((3,))
x = inputs
for name in names:
    x = layer_registry.create(name, units=4)(x)
layer_registry.save_model(keras.Model(inputs, x), sys.argv[1])
"""

# What every lookup first pays with a warm cache: discovery, the cache's key, its records.
CATALOG = """
import json, time
import keras, layer_registry
start = time.perf_counter()
layer_registry.names()
print(json.dumps(time.perf_counter() - start))
"""

# What loading a plugin first pays: every installed plugin's entry point, name and version.
DISCOVERY = """
import json, time
import keras
from layer_registry._registry._discovery import discover
start = time.perf_counter()
discover(None, frozenset())
print(json.dumps(time.perf_counter() - start))
"""

# TensorFlow is imported before the clock starts: the figure is the loading itself.
LOAD = """
import importlib, json, sys, time
import keras, layer_registry
path, mode, chosen = sys.argv[1], sys.argv[2], [int(i) for i in sys.argv[3:]]
start = time.perf_counter()
if mode == "registry":
    model = layer_registry.load_model(path)
else:
    objects = {}
    for i in chosen:
        module = importlib.import_module(f"eco_plugin_{i}")
        objects[f"eco{i}>Eco{i}L0"] = getattr(module, f"Eco{i}L0")
    model = keras.saving.load_model(path, custom_objects=objects)
seconds = time.perf_counter() - start
imported = sorted(m for m in sys.modules if m.startswith("eco_plugin_"))
print(json.dumps([seconds, imported]))
"""


def fresh(code: str, *args: str, env: dict[str, str]) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LAYER_REGISTRY_")}
    with tempfile.TemporaryDirectory(prefix="bench-ecosystem-") as folder:
        work = Path(folder)
        plugins = write_plugins(work / "plugins", PLUGINS)
        eco = {**base, "PYTHONPATH": str(plugins), "LAYER_REGISTRY_CACHE_DIR": str(work / "c1")}
        bundled = {**base, "LAYER_REGISTRY_CACHE_DIR": str(work / "c2")}
        rows = []
        # E1, E2: warm list and search.
        for env in (eco, bundled):
            median_run([CLI, "list"], repeat=1, env=env)  # warm the cache
        for id_, command in (("E1", ["list"]), ("E2", ["search", "layer"])):
            ours = median_run([CLI, *command], repeat=7, env=eco)
            alone = median_run([CLI, *command], repeat=7, env=bundled)
            rows.append(
                Row(
                    id_,
                    f"warm `{' '.join(command)}`, {PLUGINS * LAYERS} layers installed",
                    ours,
                    alone,
                    "the 8 bundled layers",
                    "<= 1.5x",
                    ours <= 1.5 * alone,
                )
            )
        # E3: cold list at a tenth, half and all of the plugins, each in its own folder.
        sizes = (max(1, PLUGINS // 10), PLUGINS // 2, PLUGINS)
        cold = {}
        for n in sizes:
            root = plugins if n == PLUGINS else write_plugins(work / f"plugins-{n}", n)
            times = []
            for attempt in range(2):  # a fresh cache each time: every plugin is imported
                env = {**base, "PYTHONPATH": str(root)}
                env["LAYER_REGISTRY_CACHE_DIR"] = str(work / f"cold-{n}-{attempt}")
                times.append(median_run([CLI, "list"], repeat=1, env=env))
            cold[n] = min(times)
        low, mid, high = sizes
        line = cold[mid] + (cold[mid] - cold[low]) * (high - mid) / (mid - low)
        per_plugin = (cold[high] - cold[low]) / (high - low)
        rows.append(
            Row(
                "E3",
                f"cold `list`, {high} plugins imported ({per_plugin * 1e3:.1f} ms a plugin; "
                f"{low}: {cold[low]:.2f} s, {mid}: {cold[mid]:.2f} s)",
                cold[high],
                line,
                f"the line through {low} and {mid} plugins",
                "<= 1.25x (linear)",
                cold[high] <= 1.25 * line,
            )
        )
        # E4: get with every layer loaded.
        ours, plain = fresh(GET, str(PLUGINS * LAYERS), env=eco)  # type: ignore[misc]
        rows.append(
            Row(
                "E4",
                f"get(full name), {PLUGINS * LAYERS} layers loaded",
                ours,
                plain,
                "dict",
                "<= 3x the dict",
                ours <= 3 * plain,
            )
        )
        # E5: load_model of 3 of the layers.
        model = str(work / "model.keras")
        layer_names = [f"eco{i}>Eco{i}L0" for i in CHOSEN]
        fresh(SAVE + "\nprint('[]')", model, *layer_names, env=eco)
        chosen = [str(i) for i in CHOSEN]
        times: dict[str, list[float]] = {"registry": [], "hand": []}
        imported: list[str] = []
        for _ in range(3):
            for mode in times:
                seconds, modules = fresh(LOAD, model, mode, *chosen, env=eco)  # type: ignore[misc]
                times[mode].append(seconds)
                if mode == "registry":
                    imported = modules
        ours, hand = min(times["registry"]), min(times["hand"])
        only = imported == sorted(f"eco_plugin_{i}" for i in CHOSEN)
        catalog = min(fresh(CATALOG, env=eco) for _ in range(3))  # type: ignore[type-var]
        discovery = min(fresh(DISCOVERY, env=eco) for _ in range(3))  # type: ignore[type-var]
        bound = (
            f"reading the warm metadata of {PLUGINS * LAYERS} layers: {catalog * 1e3:.0f} ms; "
            f"discovering the {PLUGINS} plugins' entry points: {discovery * 1e3:.0f} ms"
        )
        if not only:
            bound = f"imported {', '.join(imported)}; {bound}"
        rows.append(
            Row(
                "E5",
                f"load_model, 3 of {PLUGINS * LAYERS} layers ({len(imported)} plugins imported)",
                ours,
                hand,
                "keras, the 3 plugins imported by hand",
                "only those 3 plugins, <= 1.2x",
                only and ours <= 1.2 * hand,
                bound=bound,
            )
        )
    emit(rows)


if __name__ == "__main__":
    main()
