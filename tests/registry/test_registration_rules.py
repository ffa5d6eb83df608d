"""What registration accepts, refuses and names, tried on layers written the way people write them.

Every plugin here is a real distribution (a folder with a ``.dist-info``) in a temporary folder;
what involves saving runs in fresh processes, where users meet "Could not locate class".
"""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import keras
import pytest

from layer_registry import Registry
from support.distributions import write_plugin
from support.processes import run_python

# The tutorial's three layers exactly as it writes them: tf.keras, tf.matmul, the two-argument
# super(), and no get_config (Keras 3 builds one from the constructor's arguments).
TUTORIAL = '''
import tensorflow as tf


class CustomLinear(tf.keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super(CustomLinear, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="zeros", trainable=True
        )

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class CustomNonLinear(tf.keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super(CustomNonLinear, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="zeros", trainable=True
        )

    def call(self, inputs):
        return tf.math.sin(tf.matmul(inputs, self.w) + self.b)


class CustomInitLayer(tf.keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super(CustomInitLayer, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=tf.keras.initializers.GlorotNormal(),
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer=tf.keras.initializers.Ones(), trainable=True
        )

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class Doubled(tf.keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0
'''

TUTORIAL_HOOK = """
import layer_registry
from tutorial_layers.layers import CustomInitLayer, CustomLinear, CustomNonLinear, Doubled


@layer_registry.hookimpl
def register_layers(register):
    for cls in (CustomLinear, CustomNonLinear, CustomInitLayer):
        register(cls, example={"units": 4}, input_shape=(8, 3))
    register(Doubled, input_shape=(8, 3))
"""

TRAIN_AND_SAVE = """
import json, numpy as np, keras, layer_registry
model = keras.Sequential([
    keras.Input((3,)),
    layer_registry.create("tutorial>CustomLinear", units=8),
    layer_registry.create("tutorial>CustomNonLinear", units=8),
    layer_registry.create("Doubled"),
    layer_registry.create("tutorial>CustomInitLayer", units=1),
])
model.compile(optimizer="adam", loss="mse")
x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
history = model.fit(x, x[:, :1], epochs=1, verbose=0)
np.save("x.npy", x)
np.save("y.npy", model.predict(x, verbose=0))
layer_registry.save_model(model, "tutorial.keras")
print(json.dumps({"loss": history.history["loss"][0],
                  "units": model.layers[0].get_config()["units"]}))
"""

LOAD_AND_COMPARE = """
import json, sys, numpy as np, layer_registry
model = layer_registry.load_model("tutorial.keras")
np.testing.assert_array_equal(model.predict(np.load("x.npy"), verbose=0), np.load("y.npy"))
print(json.dumps([type(layer).__name__ for layer in model.layers]))
"""


def test_the_tutorials_layers_verbatim_train_save_and_load_in_a_fresh_process(tmp_path: Path):
    plugin = write_plugin(
        tmp_path / "site",
        distribution="tutorial-layers",
        namespace="tutorial",
        source=TUTORIAL_HOOK,
        files={"tutorial_layers/layers.py": TUTORIAL},
    )
    trained = run_python(TRAIN_AND_SAVE, pythonpath=[plugin], cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout.splitlines()[-1])
    assert report["units"] == 8 and report["loss"] > 0

    loaded = run_python(LOAD_AND_COMPARE, pythonpath=[plugin], cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout.splitlines()[-1]) == [
        "CustomLinear",
        "CustomNonLinear",
        "Doubled",
        "CustomInitLayer",
    ]


def test_four_good_layers_and_one_that_is_not_a_layer_keep_the_four(site_dir: Path, unique: str):
    namespace = f"five_{unique}"
    classes = "".join(
        f"class L{i}(keras.layers.Layer):\n    def call(self, x):\n        return x + {i}\n\n"
        for i in range(4)
    )
    source = (
        "import keras, layer_registry\n\n"
        + classes
        + "class NotALayer:\n    pass\n\n"
        "@layer_registry.hookimpl\ndef register_layers(register):\n"
        "    for cls in (L0, L1, NotALayer, L2, L3):\n        register(cls)\n"
    )
    write_plugin(site_dir, distribution=f"five-{unique}", namespace=namespace, source=source)
    registry = Registry(only={namespace})

    assert registry.names() == [f"{namespace}>L{i}" for i in range(4)]
    (record,) = [p for p in registry.plugins() if p.namespace == namespace]
    assert record.status == "partial"
    assert record.refused == (
        (f"five_{unique}:NotALayer", "is not a keras.layers.Layer subclass"),
    )


def test_a_distribution_with_three_entry_points_in_one_package(site_dir: Path, unique: str):
    package = f"acme_{unique}"
    layers = "import keras\n\n" + "".join(
        f"class {name}(keras.layers.Layer):\n    def call(self, x):\n        return x\n\n"
        for name in ("Alpha", "Beta", "Gamma")
    )
    files = {f"{package}/layers.py": layers, f"{package}/plugins/__init__.py": ""}
    entry_points = {}
    for part, name in (("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")):
        files[f"{package}/plugins/{part}.py"] = (
            f"import layer_registry\nfrom {package}.layers import {name}\n\n"
            f"@layer_registry.hookimpl\ndef register_layers(register):\n    register({name})\n"
        )
        entry_points[f"{part}_{unique}"] = f"{package}.plugins.{part}"
    write_plugin(
        site_dir,
        distribution=f"acme-{unique}",
        namespace="unused",
        module=package,
        source="",
        files=files,
        entry_points=entry_points,
    )
    registry = Registry(only=set(entry_points))

    records = {p.namespace: p for p in registry.plugins() if p.namespace in entry_points}
    assert {ns: (r.status, r.layers) for ns, r in records.items()} == {
        f"a_{unique}": ("loaded", (f"a_{unique}>Alpha",)),
        f"b_{unique}": ("loaded", (f"b_{unique}>Beta",)),
        f"c_{unique}": ("loaded", (f"c_{unique}>Gamma",)),
    }


# A small library that registers its own layers with Keras, the way keras-tcn ("Custom") and
# keras-hub ("keras_hub") do, and a plugin that adopts it.
TINYLIB = '''
import keras


@keras.saving.register_keras_serializable(package="Custom")
class Stretch(keras.layers.Layer):
    """Multiplies its input by a trainable scale per feature."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale


@keras.saving.register_keras_serializable(package="tinylib")
class Gate(keras.layers.Layer):
    """A dense layer gated by a sigmoid of itself."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, x):
        y = keras.ops.matmul(x, self.kernel)
        return y * keras.ops.sigmoid(y)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''

ADOPTER = """
import layer_registry
from tinylib import Gate, Stretch


@layer_registry.hookimpl
def register_layers(register):
    register(Stretch, input_shape=(2, 3))
    register(Gate, example={"units": 2}, input_shape=(2, 3))
"""


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Folders for sys.path: tinylib 0.4.2, and plugins adopting it, requiring it or not."""
    root = tmp_path_factory.mktemp("adopted")
    library = root / "library"
    library.mkdir()
    (library / "tinylib.py").write_text(TINYLIB)
    dist_info = library / "tinylib-0.4.2.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinylib\nVersion: 0.4.2\n")
    (dist_info / "RECORD").write_text("tinylib.py,,\ntinylib-0.4.2.dist-info/METADATA,,\n")
    return {
        "library": library,
        "plugin": write_plugin(
            root / "plugin",
            distribution="layer-registry-tiny",
            namespace="tiny",
            source=ADOPTER,
            requires=["tinylib>=0.4"],
        ),
        "squatter": write_plugin(
            root / "squatter",
            distribution="tiny-squatter",
            namespace="squat",
            source=ADOPTER,
        ),
    }


ADOPTED_NAMES = """
import json, keras, layer_registry
registry = layer_registry.Registry(only={"tiny", "squat"})
gate = registry.get("tiny>Gate")
print(json.dumps({
    "names": registry.names(plugin="tiny"),
    "same": registry.get("tinylib>Gate") is gate and registry.get("Gate") is gate,
    "stretch": registry.get("tiny>Stretch") is registry.get("Custom>Stretch"),
    "keras_name": keras.saving.get_registered_name(gate),
    "info": [registry.info("Gate").library, registry.info("Gate").library_version],
    "squat": [[p.status, p.refused] for p in registry.plugins() if p.namespace == "squat"][0],
}))
"""


def test_an_adopted_library_keeps_its_keras_names(adopted: dict[str, Path]):
    result = run_python(
        ADOPTED_NAMES, pythonpath=[adopted["library"], adopted["plugin"], adopted["squatter"]]
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["names"] == ["Custom>Stretch", "tinylib>Gate"]
    assert report["same"] and report["stretch"]
    assert report["keras_name"] == "tinylib>Gate"
    assert report["info"] == ["tinylib", "0.4.2"]
    # A plugin that does not require the library may not register its classes.
    status, refused = report["squat"]
    assert status == "partial"
    assert [where for where, _ in refused] == ["tinylib:Stretch", "tinylib:Gate"]
    assert all("which tiny-squatter neither is nor requires" in why for _, why in refused), refused


SAVE_BOTH_WAYS = """
import numpy as np, keras
x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
np.save("x.npy", x)
if {registry_first}:
    import layer_registry
    stretch = layer_registry.create("tiny>Stretch")
    gate = layer_registry.create("tiny>Gate", units=2)
else:
    import tinylib
    stretch, gate = tinylib.Stretch(), tinylib.Gate(units=2)
model = keras.Sequential([keras.Input((3,)), stretch, gate])
np.save("y.npy", model.predict(x, verbose=0))
if {registry_first}:
    layer_registry.save_model(model, "m.keras")
else:
    model.save("m.keras")
"""

LOAD_WITH = {
    "registry": "import layer_registry\nmodel = layer_registry.load_model('m.keras')\n",
    "plain keras": "import keras, tinylib\nmodel = keras.saving.load_model('m.keras')\n",
}


@pytest.mark.parametrize("saved_by", ["registry", "plain keras"])
@pytest.mark.parametrize("loaded_by", sorted(LOAD_WITH))
def test_files_of_an_adopted_library_load_both_ways(
    adopted: dict[str, Path], tmp_path: Path, saved_by: str, loaded_by: str
):
    path = [adopted["library"], adopted["plugin"]]
    saved = run_python(
        SAVE_BOTH_WAYS.format(registry_first=saved_by == "registry"), pythonpath=path, cwd=tmp_path
    )
    assert saved.returncode == 0, saved.stderr
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config = archive.read("config.json").decode()
    # Whatever was imported first, the file names the classes as the library does.
    assert '"registered_name": "Custom>Stretch"' in config
    assert '"registered_name": "tinylib>Gate"' in config
    assert "tiny>" not in config

    loaded = run_python(
        LOAD_WITH[loaded_by]
        + "import numpy as np\n"
        + "np.testing.assert_allclose(model.predict(np.load('x.npy'), verbose=0), "
        "np.load('y.npy'), rtol=1e-6)\n"
        + "import layer_registry\nprint(layer_registry.requirements('m.keras'))\n",
        pythonpath=path,
        cwd=tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines()[-1] == str(["layer-registry-tiny==1.0.0", "tinylib==0.4.2"])


SAVE_EXAMPLES = textwrap.dedent(
    """
    import keras, layer_registry
    layer = layer_registry.create("examples>CustomLinear", units=2)
    model = keras.Sequential([keras.Input((3,)), layer])
    layer_registry.save_model(model, "m.keras")
    """
)

LOAD_EXPECTING_MISSING = textwrap.dedent(
    """
    import json, layer_registry
    try:
        layer_registry.load_model("m.keras")
    except layer_registry.MissingLayerError as error:
        missing = {name: list(source) for name, source in error.missing.items()}
        print(json.dumps({"message": str(error), "missing": missing}))
    """
)


@pytest.mark.parametrize("why", ["blocked", "failed"])
def test_load_model_names_a_blocked_or_failed_plugin(tmp_path: Path, why: str):
    saved = run_python(SAVE_EXAMPLES, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    # The examples plugin blocked, or shadowed by a copy whose import fails.
    broken = tmp_path / "broken"
    (broken / "layer_registry_examples").mkdir(parents=True)
    (broken / "layer_registry_examples" / "__init__.py").write_text("raise ImportError('gone')\n")
    loaded = run_python(
        LOAD_EXPECTING_MISSING,
        cwd=tmp_path,
        env={"LAYER_REGISTRY_DISABLE": "examples"} if why == "blocked" else None,
        pythonpath=[broken] if why == "failed" else [],
    )
    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout.splitlines()[-1])
    expected = "is blocked" if why == "blocked" else "failed to load: ImportError: gone"
    assert f"plugin 'examples' (distribution layer-registry-examples 0.1.0) {expected}" in (
        report["message"]
    )
    assert report["missing"] == {"examples>CustomLinear": ["layer-registry-examples", "0.1.0"]}


def test_registering_in_a_fresh_registry_keeps_names_keras_already_has(
    site_dir: Path, unique: str
):
    # A plugin whose own classes carry Keras's decorator with the default package "Custom".
    namespace = f"decorated_{unique}"
    source = (
        "import keras, layer_registry\n\n"
        "@keras.saving.register_keras_serializable()\n"
        f"class Decorated{unique}(keras.layers.Layer):\n"
        "    def call(self, x):\n        return x\n\n"
        "@layer_registry.hookimpl\ndef register_layers(register):\n"
        f"    register(Decorated{unique})\n"
    )
    write_plugin(site_dir, distribution=f"decorated-{unique}", namespace=namespace, source=source)
    registry = Registry(only={namespace})

    assert registry.names() == [f"Custom>Decorated{unique}"]
    cls = registry.get(f"{namespace}>Decorated{unique}")
    assert keras.saving.get_registered_name(cls) == f"Custom>Decorated{unique}"
    assert registry.info(f"Decorated{unique}").plugin_name == f"{namespace}>Decorated{unique}"


DECLARES = '''
import keras, layer_registry


class Plain(keras.layers.Layer):
    def call(self, x):
        return x


class Typo(Plain):
    pass


class Silent(Plain):
    pass


@layer_registry.hookimpl
def register_layers(register):
    register(Plain, input_shape=(2, 3), expected_failures={"docstring": "documented elsewhere"})
    register(Typo, expected_failures={"jit_compil": "TensorFlow-only library"})
    register(Silent, expected_failures={"jit_compile": "  "})
'''


def test_expected_failures_are_checked_when_registered(site_dir: Path, unique: str):
    namespace = f"declares_{unique}"
    source = DECLARES
    write_plugin(site_dir, distribution=f"declares-{unique}", namespace=namespace, source=source)
    registry = Registry(only={namespace})

    assert registry.names() == [f"{namespace}>Plain"]
    info = registry.info(f"{namespace}>Plain")
    assert info.expected_failures == {"docstring": "documented elsewhere"}
    (record,) = [p for p in registry.plugins() if p.namespace == namespace]
    refused = dict(record.refused)
    assert refused[f"declares_{unique}:Typo"].startswith(
        "was registered with an expected failure of 'jit_compil', which is not a check; "
        "the checks are: docstring, construct, call"
    )
    assert "jit_compile" in refused[f"declares_{unique}:Typo"]
    assert "without a reason" in refused[f"declares_{unique}:Silent"]


INFO_AS_JSON = (
    "import dataclasses, json, sys, layer_registry\n"
    "layer_registry.names()  # a listing: cold, it builds the cache; warm, it reads it\n"
    "info = layer_registry.info('declared>Plain')\n"
    "print(json.dumps([dataclasses.asdict(info), 'tensorflow' in sys.modules]))"
)


def test_what_registration_declares_reads_the_same_from_a_cold_and_a_warm_cache(
    tmp_path: Path,
):
    plugin = write_plugin(
        tmp_path / "site", distribution="declared-layers", namespace="declared", source=DECLARES
    )
    env = {"LAYER_REGISTRY_CACHE_DIR": str(tmp_path / "cache"), "LAYER_REGISTRY_ONLY": "declared"}
    cold, warm = (run_python(INFO_AS_JSON, pythonpath=[plugin], env=env) for _ in range(2))
    assert cold.returncode == 0, cold.stderr
    assert warm.returncode == 0, warm.stderr
    (cold_info, _), (warm_info, warm_imported_tensorflow) = (
        json.loads(cold.stdout.splitlines()[-1]),
        json.loads(warm.stdout.splitlines()[-1]),
    )
    assert warm_imported_tensorflow is False
    assert cold_info == warm_info
    assert warm_info["expected_failures"] == {"docstring": "documented elsewhere"}
