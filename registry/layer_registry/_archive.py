"""Reading a ``.keras`` file without Keras: its config, the names in it, its provenance.

A ``.keras`` file is a zip archive whose ``config.json`` names every object of the model; a plugin
layer appears as ``"registered_name": "namespace>ClassName"`` (or the name its library gave it).
Everything here is read as untrusted data: the scan refuses configs that could run code before
anything is imported, and provenance fields that are not valid names or versions are left out.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from packaging.utils import InvalidName
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion
from packaging.version import Version

from layer_registry._errors import ModelFileError
from layer_registry._errors import UnsafeModelError
from layer_registry._errors import shown
from layer_registry._records import split_name
from layer_registry._registry import NAMESPACE_PATTERN

CONFIG_MEMBER = "config.json"
PROVENANCE_MEMBER = "layer_registry.json"
CONFIG_LIMIT = 64 * 2**20
"""The most of ``config.json`` that is read: a model's config is kilobytes, weights live apart."""
PROVENANCE_LIMIT = 2**20
PROVENANCE_FORMAT = 2

# Keras's own list of callables a config must not name (keras.src.saving.serialization_lib
# NON_MODELING_APIS, 3.15), repeated here so the check runs before Keras is imported.
_NON_MODELING = frozenset(
    {
        "keras.backend.clear_session",
        "keras.config.enable_unsafe_deserialization",
        "keras.models.load_model",
        "keras.models.model_from_json",
        "keras.models.save_model",
        "keras.preprocessing.image_dataset_from_directory",
        "keras.preprocessing.image.load_img",
        "keras.preprocessing.image.save_img",
        "keras.preprocessing.text_dataset_from_directory",
        "keras.saving.deserialize_keras_object",
        "keras.saving.load_model",
        "keras.saving.load_weights",
        "keras.saving.register_keras_serializable",
        "keras.saving.save_model",
        "keras.saving.save_weights",
        "keras.saving.serialize_keras_object",
        "keras.utils.audio_dataset_from_directory",
        "keras.utils.clear_session",
        "keras.utils.deserialize_keras_object",
        "keras.utils.get_file",
        "keras.utils.image_dataset_from_directory",
        "keras.utils.load_img",
        "keras.utils.register_keras_serializable",
        "keras.utils.save_img",
        "keras.utils.serialize_keras_object",
        "keras.utils.text_dataset_from_directory",
    }
)
# Plain values Keras serializes with a dunder class name and no module.
_VALUE_CLASSES = frozenset(
    {"__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__", "__keras_tensor__"}
)
_REGISTERED_NAME = re.compile(r"[^>\s]+>[^>\s]+")


# -- reading an archive ----------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """What a file says it was saved with: untrusted, so every field was checked.

    Fields that are not valid names or versions are left out and described in ``rejected``;
    nothing from a file is ever printed as a requirement without passing these checks.
    """

    plugins: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Namespace -> (distribution, version) of the plugin."""
    libraries: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """Namespace -> (distribution, version) of each library the plugin's layers came from."""
    layers: Mapping[str, str] = field(default_factory=dict)
    """Registered name -> namespace of the plugin that provided it."""
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True)
class Archive:
    """What layer-registry reads from a ``.keras`` file, without Keras."""

    path: str
    config: Any
    provenance: Provenance
    """Empty for plain Keras files."""


def read_archive(path: str) -> Archive:
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file", path=path)
    if os.path.isdir(path):
        raise ModelFileError(
            f"{path} is a directory; layer-registry loads .keras files (model.save('m.keras'))",
            path=path,
        )
    if os.path.getsize(path) == 0:
        raise ModelFileError(f"{path} is empty (0 bytes); was its saving interrupted?", path=path)
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                parts = member.replace("\\", "/").split("/")
                if member.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise UnsafeModelError(
                        f"{path} is refused: its archive member {member!r} points outside the "
                        "archive",
                        path=path,
                        location=member,
                    )
            config_text = _read_member(archive, CONFIG_MEMBER, CONFIG_LIMIT, path, required=True)
            provenance_text = _read_member(
                archive, PROVENANCE_MEMBER, PROVENANCE_LIMIT, path, required=False
            )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise ModelFileError(
            f"{path} is not a readable .keras file (a corrupted or truncated zip archive?): "
            f"{type(exc).__name__}: {exc}",
            path=path,
        ) from exc
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read: {exc}", path=path) from exc
    assert config_text is not None  # required=True raised otherwise
    config = _parse_json(config_text, CONFIG_MEMBER, path)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelFileError(
            f"{path}: {CONFIG_MEMBER} does not describe a Keras object (no 'class_name')",
            path=path,
        )
    provenance = Provenance()
    if provenance_text is not None:
        provenance = parse_provenance(_parse_json(provenance_text, PROVENANCE_MEMBER, path), path)
    return Archive(path=path, config=config, provenance=provenance)


def _read_member(
    archive: zipfile.ZipFile, member: str, limit: int, path: str, *, required: bool
) -> str | None:
    try:
        info = archive.getinfo(member)
    except KeyError:
        if not required:
            return None
        raise ModelFileError(
            f"{path} is a zip archive but not a Keras model: it has no {member}", path=path
        ) from None
    if info.file_size > limit:
        raise ModelFileError(
            f"{path}: {member} is {info.file_size:,} bytes, more than the {limit:,} "
            "layer-registry reads",
            path=path,
        )
    with archive.open(info) as stream:
        # The declared size can lie; never read past the limit.
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ModelFileError(
            f"{path}: {member} is larger than the {limit:,} bytes layer-registry reads",
            path=path,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: {member} is not UTF-8 text: {exc}", path=path) from exc


def _parse_json(text: str, member: str, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path}: {member} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})",
            path=path,
        ) from exc
    except RecursionError as exc:
        raise ModelFileError(f"{path}: {member} is nested too deeply", path=path) from exc


def parse_provenance(data: Any, path: str) -> Provenance:
    """The provenance record ``data`` (format 1 or 2), each field checked."""
    plugins = data.get("plugins") if isinstance(data, dict) else None
    if not isinstance(plugins, dict):
        raise ModelFileError(
            f"{path}: {PROVENANCE_MEMBER} is malformed; expected "
            '{"plugins": {"namespace": {"distribution": ..., "version": ...}}}',
            path=path,
        )
    rejected: list[str] = []
    kept: dict[str, tuple[str, str]] = {}
    libraries: dict[str, tuple[tuple[str, str], ...]] = {}
    for namespace, record in plugins.items():
        where = f"plugins[{shown(namespace)}]"
        if not NAMESPACE_PATTERN.fullmatch(str(namespace)) or not isinstance(record, dict):
            rejected.append(f"{where} is not a plugin record")
            continue
        source = _distribution(record.get("distribution"), record.get("version"))
        if source is None:
            rejected.append(f"{where} has an invalid distribution or version")
            continue
        kept[namespace] = source
        found = []
        given = record.get("libraries", {})
        for distribution, version in (given.items() if isinstance(given, dict) else ()):
            library = _distribution(distribution, version)
            if library is None:
                rejected.append(f"{where}.libraries has an invalid entry {shown(distribution)}")
            else:
                found.append(library)
        if not isinstance(given, dict):
            rejected.append(f"{where}.libraries is not a mapping")
        libraries[namespace] = tuple(found)
    layers = data.get("layers", {})
    if isinstance(layers, list):  # format 1: the names alone, each in its plugin's namespace
        layers = {name: split_name(name)[0] for name in layers if isinstance(name, str)}
    if not isinstance(layers, dict):
        rejected.append("layers is not a mapping")
        layers = {}
    return Provenance(
        plugins=kept,
        libraries=libraries,
        layers={
            name: namespace
            for name, namespace in layers.items()
            if isinstance(name, str) and namespace in kept
        },
        rejected=tuple(rejected),
    )


def _distribution(name: Any, version: Any) -> tuple[str, str] | None:
    """``(name, version)`` when both are valid (PEP 508 name, PEP 440 version), else None."""
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    try:
        canonicalize_name(name, validate=True)
        Version(version)
    except (InvalidName, InvalidVersion):
        return None
    return name, version


# -- scanning a config -----------------------------------------------------------------------


@dataclass
class Scan:
    names: dict[str, str] = field(default_factory=dict)
    """Every ``namespace>Name`` registered name, with where it first appears."""
    refused: list[tuple[str, str]] = field(default_factory=list)
    """``(location, why)`` for each object that could run code or import a module."""


def _walk(config: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every serialized object (a dict with a ``class_name``) at any depth, with its location."""
    # A stack, not recursion: a hostile config may be nested far deeper than Python's stack.
    stack: list[tuple[str, Any]] = [("", config)]
    while stack:
        location, value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("class_name"), str):
                yield location, value
            children = [
                (f"{location}.{key}" if location else str(key), v) for key, v in value.items()
            ]
        elif isinstance(value, list):
            children = [(f"{location}[{index}]", v) for index, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))


def scan(config: Any, trusted: Mapping[str, Any] | None = None) -> Scan:
    """Collect the registered names in ``config`` and refuse what could run code.

    ``trusted`` holds names the caller vouches for (``custom_objects``): an object named there may
    come from any module, as Keras resolves it from that mapping.
    """
    trusted = trusted or {}
    scan = Scan()
    for location, obj in _walk(config):
        class_name = obj["class_name"]
        module = obj.get("module")
        registered = obj.get("registered_name")
        inner = obj.get("config")
        # The key Keras looks the object up by in custom_objects.
        lookup = inner if class_name == "function" else obj.get("registered_name", class_name)
        where = location or "the model itself"
        if class_name == "__lambda__":
            scan.refused.append((where, "holds a Python lambda (code that would run on load)"))
        elif class_name in _VALUE_CLASSES:
            continue
        elif isinstance(registered, str) and _REGISTERED_NAME.fullmatch(registered):
            # Keras resolves a registered name through its custom objects only: the module
            # beside it (the plugin's module) is never imported.
            scan.names.setdefault(registered, where)
        elif isinstance(lookup, str) and lookup in trusted:
            continue
        elif module is not None and not isinstance(module, str):
            scan.refused.append((where, f"has a module that is not a string: {module!r}"))
        elif module == "keras" or (module or "").startswith("keras."):
            function = inner if class_name == "function" and isinstance(inner, str) else class_name
            if class_name == "Lambda":
                scan.refused.append(
                    (where, "holds a Lambda layer (Python code that would run on load)")
                )
            elif f"{module}.{function}" in _NON_MODELING:
                scan.refused.append(
                    (where, f"names {module}.{function}, which is not a modeling API")
                )
        elif class_name == "function" and module == "builtins":
            continue  # a Keras built-in function by name ("relu"), looked up in Keras only
        elif class_name == "__typespec__" and (module or "").startswith("tensorflow."):
            continue
        elif module is None:
            continue  # an unregistered class from __main__: Keras looks it up, imports nothing
        else:
            what = f"{module}.{class_name}"
            if class_name == "function":
                what = f"the function {module}.{inner}"
            scan.refused.append(
                (where, f"names {what}, which is neither part of Keras nor a registered layer")
            )
    return scan


