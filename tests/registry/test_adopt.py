"""``layer_registry.adopt``: a library's public layers as a plugin, laid out as libraries are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.distributions import write_plugin
from support.processes import run_python

# A library laid out like keras-rs: classes in a private package, registered with Keras under
# the library's own package name, re-exported from a public `layers` module beside a Keras
# class and an abstract base.
MINILIB_SOURCE = '''
import keras


@keras.saving.register_keras_serializable(package="minilib")
class Base(keras.layers.Layer):
    """The abstract base of minilib's layers."""


@keras.saving.register_keras_serializable(package="minilib")
class Scale(Base):
    """Multiplies by a trainable scalar."""

    def build(self, input_shape):
        self.factor = self.add_weight(shape=(), initializer="ones")

    def call(self, inputs):
        return inputs * self.factor


class Project(keras.layers.Layer):
    """A dense projection without bias."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel)


class _Helper(keras.layers.Layer):
    """Private: never adopted."""
'''

MINILIB_LAYERS = """
from keras.layers import Dense
from minilib._impl import Base, Project, Scale, _Helper
"""

ADOPTER = """
import layer_registry
import minilib.layers


@layer_registry.hookimpl
def register_layers(register):
    layer_registry.adopt(
        register,
        minilib.layers,
        exclude={exclude},
        layers={{"Project": {{"example": {{"units": 3}}, "input_shape": (2, 4)}}}},
        tags=["mini"],
    )
"""

REPORT = """
import json, layer_registry
registry = layer_registry.Registry(only={"mini"})
names = registry.names(plugin="mini")
project = registry.info("mini>Project") if names else None
print(json.dumps({
    "names": names,
    "plugins": [[p.status, p.error] for p in registry.plugins() if p.namespace == "mini"],
    "project": [project.example, list(project.tags)] if project else None,
}))
"""


@pytest.fixture(scope="module")
def minilib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """minilib 1.2.0 installed in a folder for sys.path, with its RECORD."""
    root = tmp_path_factory.mktemp("minilib")
    package = root / "minilib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_impl.py").write_text(MINILIB_SOURCE)
    (package / "layers.py").write_text(MINILIB_LAYERS)
    dist_info = root / "minilib-1.2.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: minilib\nVersion: 1.2.0\n")
    files = [
        "minilib/__init__.py",
        "minilib/_impl.py",
        "minilib/layers.py",
        "minilib-1.2.0.dist-info/METADATA",
    ]
    (dist_info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    return root


def _adopting(minilib: Path, tmp_path: Path, exclude: str) -> dict:
    plugin = write_plugin(
        tmp_path / "plugin",
        distribution="layer-registry-mini",
        namespace="mini",
        source=ADOPTER.format(exclude=exclude),
        requires=["minilib>=1.0"],
    )
    result = run_python(REPORT, pythonpath=[minilib, plugin])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_adopt_registers_the_librarys_own_public_layers_under_their_keras_names(
    minilib: Path, tmp_path: Path
):
    report = _adopting(minilib, tmp_path, exclude='["Base"]')
    assert report["plugins"] == [["loaded", None]]
    # Keras's Dense (re-exported), the private _Helper and the excluded Base are not adopted;
    # Scale keeps the name minilib gave it; Project, which minilib never registered, gets the
    # plugin's.
    assert report["names"] == ["mini>Project", "minilib>Scale"]
    assert report["project"] == [{"units": 3}, ["mini"]]


def test_adopt_names_a_misspelt_class(minilib: Path, tmp_path: Path):
    report = _adopting(minilib, tmp_path, exclude='["Bsae"]')
    [[status, error]] = report["plugins"]
    assert status == "failed"
    assert "'Bsae'" in error and "minilib.layers does not export" in error
