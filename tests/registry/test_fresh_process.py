"""Guarantees that only show in a fresh interpreter: nothing imported early, files that load."""

from __future__ import annotations

import json

from support import LIBRARY_PLUGINS
from support.processes import run_python


def test_importing_the_package_imports_no_tensorflow_keras_or_plugin():
    result = run_python(
        "import json, sys, layer_registry\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'tensorflow', 'keras', 'jax', 'layer_registry_examples', 'layer_registry_periodic'})))"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


SAVE = """
import numpy as np, keras, layer_registry
inputs = keras.Input((3,))
outputs = layer_registry.create("examples>CustomNonLinear", units=4)(inputs)
model = keras.Model(inputs, outputs)
x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
np.save({x!r}, x)
np.save({y!r}, model.predict(x, verbose=0))
model.save({path!r})
"""

LOAD = """
import numpy as np, keras, layer_registry
{prelude}
model = keras.saving.load_model({path!r})
np.testing.assert_array_equal(model.predict(np.load({x!r}), verbose=0), np.load({y!r}))
print(type(model.layers[-1]).__module__)
"""


def test_a_saved_model_loads_in_another_process_with_plain_keras_after_load(tmp_path):
    paths = {
        "path": str(tmp_path / "m.keras"),
        "x": str(tmp_path / "x.npy"),
        "y": str(tmp_path / "y.npy"),
    }
    saved = run_python(SAVE.format(**paths))
    assert saved.returncode == 0, saved.stderr

    loaded = run_python(LOAD.format(prelude="layer_registry.load()", **paths))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "layer_registry_examples.custom_non_linear"

    # Without the registry, plain Keras cannot find the class: the registry is what fixes it.
    unaided = run_python(LOAD.format(prelude="", **paths))
    assert unaided.returncode != 0
    assert "Could not locate class 'CustomNonLinear'" in unaided.stderr


def test_environment_filters_set_after_import_still_apply():
    result = run_python(
        "import os, json, layer_registry\n"
        f"os.environ['LAYER_REGISTRY_DISABLE'] = 'examples,{LIBRARY_PLUGINS}'\n"
        "status = {p.namespace: p.status for p in layer_registry.plugins()}\n"
        "print(json.dumps(status['examples']))"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == "blocked"
