"""Throw-away plugin distributions with real ``.dist-info`` metadata, for tests.

A folder written by :func:`write_plugin` is what ``pip install`` leaves in site-packages: a
package and a ``NAME-VERSION.dist-info`` with ``METADATA`` and ``entry_points.txt``. Put the
folder on ``sys.path`` (or ``PYTHONPATH`` of a subprocess) and ``importlib.metadata`` finds it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

LAYER_TEMPLATE = '''
import keras
from keras import ops


class {cls}(keras.layers.Layer):
    """{summary}"""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)

    def get_config(self):
        return {{**super().get_config(), "units": self.units}}
'''


def layer_source(cls: str, summary: str = "A test layer.") -> str:
    """Source of a small, correct Dense-like layer class named ``cls``."""
    return LAYER_TEMPLATE.format(cls=cls, summary=summary)


def plugin_source(*classes: str, register: str | None = None, preamble: str = "") -> str:
    """Source of a plugin module defining ``classes`` and registering each of them.

    ``register`` replaces the body of the ``register_layers`` hook when given.
    """
    body = register or "\n".join(
        f"    register({cls}, example={{'units': 2}}, input_shape=(2, 3), tags=['test'])"
        for cls in classes
    )
    return (
        "import layer_registry\n"
        + textwrap.dedent(preamble)
        + "".join(layer_source(cls) for cls in classes)
        + "\n\n@layer_registry.hookimpl\ndef register_layers(register):\n"
        + (body if body.strip() else "    pass")
        + "\n"
    )


def write_plugin(
    root: Path,
    *,
    distribution: str,
    namespace: str,
    source: str,
    version: str = "1.0.0",
    module: str | None = None,
    summary: str = "A throw-away plugin.",
    entry_points: Mapping[str, str] | None = None,
    requires: Sequence[str] = (),
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write an installed-looking plugin distribution into ``root``; return ``root``.

    The package ``module`` (derived from ``distribution`` by default) gets ``source`` as its
    ``__init__.py`` and is declared as entry point ``namespace`` in group ``layer_registry``.
    ``entry_points`` (namespace -> module) replaces that declaration, ``files`` (path relative
    to ``root`` -> text) adds modules, and ``requires`` lists ``Requires-Dist`` lines. The
    ``RECORD`` lists every file written, as pip's does.
    """
    module = module or re.sub(r"[^a-z0-9_]", "_", distribution.lower())
    written = {f"{module}/__init__.py": source, **(files or {})}
    for relative, text in written.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    dist_info = root / f"{re.sub(r'[-.]+', '_', distribution)}-{version}.dist-info"
    dist_info.mkdir(exist_ok=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\nSummary: {summary}\n"
        f"Project-URL: Homepage, https://example.org/{distribution}\n"
        + "".join(f"Requires-Dist: {line}\n" for line in requires)
    )
    declared = entry_points if entry_points is not None else {namespace: module}
    (dist_info / "entry_points.txt").write_text(
        "[layer_registry]\n" + "".join(f"{ns} = {value}\n" for ns, value in declared.items())
    )
    record = [*written, *(f"{dist_info.name}/{n}" for n in ("METADATA", "entry_points.txt"))]
    (dist_info / "RECORD").write_text(
        "".join(f"{path},,\n" for path in record) + f"{dist_info.name}/RECORD,,\n"
    )
    return root
