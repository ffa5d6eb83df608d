"""B4: `layer_registry.load_model` of a model using one plugin, with 50 plugins installed:
lazy resolution (only the plugin the file names) vs. loading every plugin first and then
`keras.saving.load_model`. Target: lazy is faster, by the plugins it skips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import Row
from measure import emit

PLUGINS = 50
CLASSES_PER_PLUGIN = 8

SAVE = """
import sys, keras, layer_registry
inputs = keras.Input((3,))
model = keras.Model(inputs, layer_registry.create("bench0>Layer0", units=4)(inputs))
layer_registry.save_model(model, sys.argv[1])
"""

# Each probe runs in a fresh process: TensorFlow is imported first, outside the timing, so the
# figure is the loading itself.
PROBE = """
import json, sys, time
import keras, layer_registry
start = time.perf_counter()
if sys.argv[2] == "lazy":
    model = layer_registry.load_model(sys.argv[1])
else:
    layer_registry.load()
    model = keras.saving.load_model(sys.argv[1])
print(json.dumps(time.perf_counter() - start))
"""


def plugin_module(index: int) -> str:
    from support.distributions import layer_source

    classes = [f"Layer{k}" for k in range(CLASSES_PER_PLUGIN)]
    body = "".join(layer_source(cls) for cls in classes)
    hook = "".join(f"    register({cls}, input_shape=(2, 3))\n" for cls in classes)
    hookimpl = "@layer_registry.hookimpl\ndef register_layers(register):\n"
    return f"import layer_registry\n{body}\n{hookimpl}{hook}"


def main() -> None:
    from support.distributions import write_plugin

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for i in range(PLUGINS):
            write_plugin(
                root,
                distribution=f"bench-plugin-{i}",
                namespace=f"bench{i}",
                source=plugin_module(i),
            )
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "LAYER_REGISTRY_CACHE": "off",
            "LAYER_REGISTRY_ONLY": ",".join(f"bench{i}" for i in range(PLUGINS)),
        }
        model = str(root / "model.keras")
        subprocess.run(
            [sys.executable, "-c", SAVE, model], check=True, env=env, capture_output=True
        )
        times = {"lazy": [], "eager": []}
        for _ in range(3):
            for mode in times:
                out = subprocess.run(
                    [sys.executable, "-c", PROBE, model, mode],
                    check=True,
                    env=env,
                    capture_output=True,
                    text=True,
                ).stdout
                times[mode].append(json.loads(out.strip().splitlines()[-1]))
    lazy, eager = min(times["lazy"]), min(times["eager"])
    emit(
        [
            Row(
                "B4",
                f"load_model, 1 of {PLUGINS} plugins needed",
                lazy,
                eager,
                "load all first",
                "lazy faster",
                lazy < eager,
            )
        ]
    )


if __name__ == "__main__":
    main()
