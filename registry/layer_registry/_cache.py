"""The on-disk metadata cache: listing and searching without importing plugins or TensorFlow.

One JSON file per Python environment, in the user cache folder. It is valid only for the exact
set of installed plugins it was written for: the key covers every entry point, each
distribution's name, version, metadata folder and its modification time, and the modification
times of the plugin's source files (so editing an editable install invalidates it too).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._version import __version__

FORMAT = 3
"""Bumped whenever the layout of the file or of the records changes."""


def cache_dir() -> Path | None:
    """The cache folder, or None when ``LAYER_REGISTRY_CACHE=off`` switches the cache off."""
    if os.environ.get("LAYER_REGISTRY_CACHE", "").lower() in {"0", "off", "false", "no"}:
        return None
    if os.environ.get("LAYER_REGISTRY_CACHE_DIR"):
        return Path(os.environ["LAYER_REGISTRY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "layer-registry"


def cache_file(settings: str = "") -> Path | None:
    """The cache file of this environment and these registry ``settings`` (filters).

    Environments never share a file, and neither do different LAYER_REGISTRY_ONLY/DISABLE
    settings, so alternating between them does not rebuild the cache each time.
    """
    folder = cache_dir()
    if folder is None:
        return None
    variant = hashlib.sha256(f"{sys.prefix}|{settings}".encode()).hexdigest()[:16]
    return folder / f"metadata-{variant}.json"


def installed_key(entry_points: Iterable[Any]) -> str:
    """A digest of everything installed that could change what the plugins register."""
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version}".encode())
    # Installing or removing anything changes a site-packages folder: a plugin that failed for
    # want of a dependency is retried once the dependency is installed.
    for folder in sys.path:
        if os.path.basename(folder) in {"site-packages", "dist-packages"}:
            digest.update(f"|{folder}|{_mtime(folder)}".encode())
    for entry_point in sorted(entry_points, key=lambda ep: (ep.name, ep.value)):
        dist = entry_point.dist
        # importlib.metadata has no public accessor for the .dist-info folder itself.
        location = getattr(dist, "_path", None)
        digest.update(
            f"|{entry_point.name}={entry_point.value}|{dist.name if dist else ''}|"
            f"{dist.version if dist else ''}|{location}|{_mtime(location)}".encode()
        )
        for path in source_files(top_package(entry_point.value)):
            digest.update(f"|{path}|{_mtime(path)}".encode())
    return digest.hexdigest()


def top_package(entry_point_value: str) -> str:
    """The top-level package of an entry point's ``module.path:object`` value."""
    return entry_point_value.split(":")[0].split(".")[0]


def _mtime(path: Any) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except (OSError, TypeError):
        return 0


def source_files(module: str) -> list[str]:
    """The plugin's source files, found without importing anything."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        files = []
        for folder in spec.submodule_search_locations:
            for root, dirs, names in os.walk(folder):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                files += [os.path.join(root, n) for n in names if n.endswith(".py")]
        return sorted(files)
    return [spec.origin] if spec.origin else []


def read(key: str, settings: str = "") -> tuple[list[PluginInfo], list[LayerInfo]] | None:
    """The cached records for ``key``, or None when missing, stale, corrupt or switched off."""
    path = cache_file(settings)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["format"] != FORMAT or data["key"] != key:
            return None
        plugins = [_plugin_from_json(item) for item in data["plugins"]]
        layers = [_layer_from_json(item) for item in data["layers"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a corrupt or unreadable cache is rebuilt, never trusted
    return plugins, layers


def stored_key(settings: str = "") -> str | None:
    """The key the cache file was written for, or None without a readable one."""
    path = cache_file(settings)
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["key"]) if path else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(
    key: str, plugins: Sequence[PluginInfo], layers: Sequence[LayerInfo], settings: str = ""
) -> None:
    """Store the records atomically; a cache that cannot be written is silently skipped."""
    path = cache_file(settings)
    if path is None:
        return
    payload = json.dumps(
        {
            "format": FORMAT,
            "key": key,
            "plugins": [asdict(p) for p in plugins],
            "layers": [asdict(layer) for layer in layers],
        },
    )
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: readers see the old file or the new, never half.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".metadata-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _tuple_shape(shape: Any) -> Any:
    if shape is None:
        return None
    if shape and isinstance(shape[0], list):
        return tuple(tuple(s) for s in shape)
    return tuple(shape)


def _layer_from_json(item: dict[str, Any]) -> LayerInfo:
    dtype = item["input_dtype"]
    return LayerInfo(
        **{
            **item,
            "tags": tuple(item["tags"]),
            "aliases": tuple(item["aliases"]),
            "input_shape": _tuple_shape(item["input_shape"]),
            "input_dtype": dtype if isinstance(dtype, str) else tuple(dtype),
        }
    )


def _plugin_from_json(item: dict[str, Any]) -> PluginInfo:
    return PluginInfo(
        **{
            **item,
            "layers": tuple(item["layers"]),
            "foreign_names": tuple(item["foreign_names"]),
            "refused": tuple((str(where), str(why)) for where, why in item["refused"]),
        }
    )
