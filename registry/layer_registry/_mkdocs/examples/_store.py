"""The cache of example results: their keys, and one JSON file (and PNG) per key on disk.

A result is kept under [`example_key`][]: the layer's name, its registered example, the content
of its plugin's source files, the docstring, and the versions of everything that can change the
output. A rebuild with nothing changed starts no worker at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from layer_registry._files import write_atomically
from layer_registry._mkdocs.examples._records import FORMAT
from layer_registry._mkdocs.examples._records import ExampleResult
from layer_registry._records import LayerInfo
from layer_registry._registry import _cache
from layer_registry._version import __version__

_versions: dict[str, str] = {}


def _version(distribution: str) -> str:
    if distribution not in _versions:
        try:
            _versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            _versions[distribution] = ""
    return _versions[distribution]


def _runner_digest() -> str:
    # A change to how examples run (any module of this package) invalidates every cached result.
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class SourceDigests:
    """The content digest of each plugin package's source files, computed once per build."""

    def __init__(self) -> None:
        self._digests: dict[str, str] = {}

    def files(self, info: LayerInfo) -> list[str]:
        """The source files of the package that defines the layer (found without importing)."""
        return _cache.source_files(_cache.top_package(info.import_path))

    def __call__(self, info: LayerInfo) -> str:
        top = _cache.top_package(info.import_path)
        if top not in self._digests:
            # The whole package, not only the layer's module: a layer may use its helpers.
            digest = hashlib.sha256()
            for path in self.files(info):
                digest.update(path.encode() + b"\0")
                with contextlib.suppress(OSError):
                    digest.update(Path(path).read_bytes())
            self._digests[top] = digest.hexdigest()
        return self._digests[top]


def example_key(info: LayerInfo, sources: str, job_parts: Sequence[str]) -> str:
    """The cache key of a layer's example results."""
    parts = [
        f"format={FORMAT}",
        f"runner={_runner_digest()}",
        f"layer-registry={__version__}",
        f"plugin={info.distribution}=={info.version}",
        *(f"{name}={_version(name)}" for name in ("keras", "tensorflow", "numpy", "matplotlib")),
        f"backend={os.environ.get('KERAS_BACKEND', '')}",
        f"python={sys.version_info[:2]}",
        f"name={info.name}",
        f"example={json.dumps(info.example, sort_keys=True, default=repr)}",
        f"input={info.input_shape!r}|{info.input_dtype!r}",
        f"doc={info.doc}",
        f"sources={sources}",
        *job_parts,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class ExampleCache:
    """Results on disk, one JSON file (and PNG) per key; ``folder=None`` keeps nothing.

    Without a folder, plots still need a place until the site is written: a temporary
    folder, removed by [`close`][].
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._temporary: tempfile.TemporaryDirectory[str] | None = None

    def plot_path(self, key: str) -> Path:
        folder = self.folder
        if folder is None:
            if self._temporary is None:
                self._temporary = tempfile.TemporaryDirectory(prefix="layer-registry-plots-")
            folder = Path(self._temporary.name)
        return folder / f"{key}.png"

    def get(self, key: str) -> ExampleResult | None:
        if self.folder is None:
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            result = ExampleResult.from_json(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None  # missing, stale or corrupt: run it again
        if result.plot and not self.plot_path(key).exists():
            return None
        return result

    def put(self, result: ExampleResult) -> None:
        if self.folder is None or result.transient:
            return
        path = self.folder / f"{result.key}.json"
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            # A concurrent build never reads half a file.
            write_atomically(path, json.dumps(result.to_json()))

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None
