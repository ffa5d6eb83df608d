"""The on-disk metadata cache: listing and searching without importing plugins or TensorFlow.

One JSON file per Python environment, in the user cache folder. It is valid only for the exact
set of installed distributions it was written for: the key covers every distribution folder on
``sys.path`` (its name and the modification times of its entry points and metadata files), the
site-packages folders, and the modification times of the plugins' source files (so editing an
editable install invalidates it too). All of it is read from the file system, so a warm
listing never imports ``importlib.metadata``.
"""

from __future__ import annotations

import collections.abc
import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import sys
import types
import typing
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any
from typing import TypeVar

from layer_registry import _settings
from layer_registry._files import write_atomically
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._version import __version__

FORMAT = 5
"""Bumped whenever the layout of the file or of the records changes."""


def cache_file(settings: str = "") -> Path | None:
    """The cache file of this environment and these registry ``settings`` (filters).

    Environments never share a file, and neither do different LAYER_REGISTRY_ONLY/DISABLE
    settings, so alternating between them does not rebuild the cache each time.
    """
    folder = _settings.cache_dir()
    if folder is None:
        return None
    variant = hashlib.sha256(f"{sys.prefix}|{settings}".encode()).hexdigest()[:16]
    return folder / f"metadata-{variant}.json"


def installed_key(packages: Iterable[str]) -> str:
    """A digest of everything installed that could change what the plugins register.

    ``packages``: the plugins' top-level packages, whose source files it covers.
    """
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version}".encode())
    for folder in sys.path:
        # Installing or removing anything changes a site-packages folder: a plugin that failed
        # for want of a dependency is retried once the dependency is installed.
        if os.path.basename(folder) in {"site-packages", "dist-packages"}:
            digest.update(f"|{folder}|{_mtime(folder)}".encode())
        # Where importlib.metadata finds entry points: a distribution folder appearing,
        # going, or having its entry points or metadata edited in place moves the key.
        distributions = _distribution_folders(folder)
        if distributions is None:  # a zip file, missing, unreadable: its own time stands in
            digest.update(f"|{folder}|{_mtime(folder)}".encode())
        for path in distributions or ():
            digest.update(
                f"|{path}|{_mtime(path)}|{_mtime(os.path.join(path, 'entry_points.txt'))}|"
                f"{_mtime(os.path.join(path, 'METADATA'))}|"
                f"{_mtime(os.path.join(path, 'PKG-INFO'))}".encode()
            )
    for package in sorted(set(packages)):
        for path in source_files(package):
            digest.update(f"|{path}|{_mtime(path)}".encode())
    return digest.hexdigest()


def _distribution_folders(folder: str) -> list[str] | None:
    """The ``.dist-info`` and ``.egg-info`` entries directly in the ``sys.path`` entry, or
    None when it is not a readable folder."""
    try:
        with os.scandir(folder or ".") as entries:
            return sorted(
                entry.path for entry in entries if entry.name.endswith((".dist-info", ".egg-info"))
            )
    except OSError:
        return None


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


def read(settings: str = "") -> tuple[list[PluginInfo], list[LayerInfo]] | None:
    """The cached records, or None when missing, stale, corrupt or switched off."""
    path = cache_file(settings)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["format"] != FORMAT:
            return None
        plugins = [plugin_from_json(item) for item in data["plugins"]]
        if data["key"] != installed_key(top_package(p.entry_point) for p in plugins):
            return None
        layers = [layer_from_json(item) for item in data["layers"]]
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
    """Store the records atomically; a cache that cannot be written is silently skipped.

    ``key``: ``installed_key`` of the plugins' packages, taken before any of them was imported.
    """
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
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readers see the old file or the new, never half; readable by the user alone.
        write_atomically(path, payload, mode=0o600)


def _tuple_shape(shape: Any) -> Any:
    if shape is None:
        return None
    if shape and isinstance(shape[0], list):
        return tuple(tuple(s) for s in shape)
    return tuple(shape)


def layer_from_json(item: dict[str, Any]) -> LayerInfo:
    """A ``LayerInfo`` from its JSON form; ``TypeError`` when a field has the wrong type."""
    dtype = item["input_dtype"]
    return _checked(
        LayerInfo(
            **{
                **item,
                "tags": tuple(item["tags"]),
                "aliases": tuple(item["aliases"]),
                "input_shape": _tuple_shape(item["input_shape"]),
                "input_dtype": dtype if isinstance(dtype, str) else tuple(dtype),
            }
        )
    )


def plugin_from_json(item: dict[str, Any]) -> PluginInfo:
    """A ``PluginInfo`` from its JSON form; ``TypeError`` when a field has the wrong type."""
    return _checked(
        PluginInfo(
            **{
                **item,
                "layers": tuple(item["layers"]),
                "foreign_names": tuple(item["foreign_names"]),
                "refused": tuple(tuple(pair) for pair in item["refused"]),
            }
        )
    )


Record = TypeVar("Record", LayerInfo, PluginInfo)


def _checked(record: Record) -> Record:
    """``record`` once every field matches its annotation: a cache file is data from disk."""
    for name, matches in _field_checks(type(record)):
        value = getattr(record, name)
        if not matches(value):
            raise TypeError(f"{type(record).__name__}.{name} is {value!r}")
    return record


Check = Callable[[Any], bool]
_CHECKS: dict[type, tuple[tuple[str, Check], ...]] = {}


def _field_checks(record_type: type) -> tuple[tuple[str, Check], ...]:
    """A check for each field, built once per record type from its annotations: a 1,000-layer
    cache file checks 20,000 values, and reading the annotations anew for each cost 0.1 s."""
    if record_type not in _CHECKS:
        hints = typing.get_type_hints(record_type)
        _CHECKS[record_type] = tuple(
            (item.name, _check(hints[item.name])) for item in dataclasses.fields(record_type)
        )
    return _CHECKS[record_type]


def _check(hint: Any) -> Check:
    """Whether a value is of the annotation ``hint`` (the few forms the records use)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return lambda value: True
    if hint is type(None):
        return lambda value: value is None
    if origin in (typing.Union, types.UnionType):
        options = [_check(option) for option in arguments]
        return lambda value: any(matches(value) for matches in options)
    if origin is typing.Literal:
        return lambda value: value in arguments
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            item = _check(arguments[0])
            return lambda value: isinstance(value, tuple) and all(map(item, value))
        items = [_check(argument) for argument in arguments]
        return lambda value: (
            isinstance(value, tuple)
            and len(value) == len(items)
            and all(matches(v) for matches, v in zip(items, value, strict=True))
        )
    if origin in (collections.abc.Mapping, dict):
        entry = _check(arguments[1] if len(arguments) == 2 else Any)
        return lambda value: isinstance(value, dict) and all(
            isinstance(k, str) and entry(v) for k, v in value.items()
        )
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    return lambda value: isinstance(value, hint)
