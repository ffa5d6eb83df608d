"""Reading a ``.keras`` file without Keras: its config, the names in it, its provenance.

A ``.keras`` file is a zip archive whose ``config.json`` names every object of the model; a plugin
layer appears as ``"registered_name": "namespace>ClassName"`` (or the name its library gave it).
Everything here is read as untrusted data: the scan refuses configs that could run code before
anything is imported, and provenance fields that are not valid names or versions are left out.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import BinaryIO

from layer_registry._errors import ModelFileError
from layer_registry._errors import UnsafeModelError
from layer_registry._errors import shown
from layer_registry._records import split_name
from layer_registry._registry import NAMESPACE_PATTERN

CONFIG_MEMBER = "config.json"
METADATA_MEMBER = "metadata.json"
PROVENANCE_KEY = "layer_registry"
"""The key of ``metadata.json`` under which ``save_model`` records the provenance."""
PROVENANCE_MEMBER = "layer_registry.json"
"""Where ``save_model`` recorded the provenance before: still read, never written."""
PROVENANCE_FORMAT = 2

# What layer-registry reads of a file. Each limit is far above what Keras writes for a real
# model (ResNet152's config: 0.5 MB, 31,000 values, 11 levels deep, keys of 27 characters; Keras
# fails to save 140 models nested in one another, and 120 nest 367 levels) and far below what
# would exhaust memory or time: a hostile file meets a limit, named in the error, before it
# costs anything.
CONFIG_LIMIT = 64 * 2**20
"""The most of ``config.json`` that is read: a model's config is kilobytes, weights live apart."""
METADATA_LIMIT = 2**20
PROVENANCE_LIMIT = 2**20
NODE_LIMIT = 1_000_000
"""The most values (containers and scalars) a config may hold; counted before it is parsed."""
DEPTH_LIMIT = 1_000
"""The deepest a config may nest (a dict or list inside another counts one level)."""
KEY_LIMIT = 1_000
"""The longest key a config may hold, in characters."""
# Keras's own guard against decompression bombs (keras.src.saving.saving_lib,
# _ZIP_MEMBER_MAX_EXPANSION and _ZIP_EXTRACT_BOMB_FLOOR_BYTES, 3.15), repeated here so the check
# runs before Keras is imported. Keras applies it to one member at a time, and only to those it
# extracts; layer-registry applies it to every member and to all of them together, so that
# many small bombs cannot add up.
EXPANSION_LIMIT = 100
"""The most a member (or all of them together) may expand: Keras stores members uncompressed."""
EXPANSION_FLOOR = 2**28
"""Sizes up to 256 MiB are never judged by their expansion."""
_REPORTED = 5
"""How many refused objects a scan describes; it counts them all."""

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
    origin: str = ""
    """Where in the archive the record was read, as messages name it."""


@dataclass(frozen=True)
class Archive:
    """What layer-registry reads from a ``.keras`` file, without Keras."""

    path: str
    config: Any
    provenance: Provenance
    """Empty for plain Keras files."""


def open_model_file(path: str) -> BinaryIO:
    """``path`` opened for reading; a ``ModelFileError`` says why it cannot be."""
    # Without blocking, and judged from the open file: a named pipe would block open() until
    # someone writes to it, and a path checked before opening may be another file once opened.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file", path=path) from None
    except IsADirectoryError:
        raise _not_a_file(path, "a directory") from None
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read: {exc}", path=path) from exc
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or status.st_size == 0:
        os.close(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise _not_a_file(path, "a directory")
        if not stat.S_ISREG(status.st_mode):
            raise _not_a_file(path, "not a regular file (a pipe or a device?)")
        raise ModelFileError(f"{path} is empty (0 bytes); was its saving interrupted?", path=path)
    raw = io.FileIO(descriptor, "rb")
    raw.name = path  # Keras extracts the weights beside the file it is given, by this name
    return io.BufferedReader(raw)


def _not_a_file(path: str, what: str) -> ModelFileError:
    return ModelFileError(
        f"{path} is {what}; layer-registry loads .keras files (model.save('m.keras'))", path=path
    )


def read_archive(path: str, stream: BinaryIO | None = None) -> Archive:
    """The config and provenance of the ``.keras`` file ``path``, every limit checked.

    ``stream`` is the file already open (from ``open_model_file``): ``load_model`` checks the
    file from it and hands the same open file to Keras, so Keras loads what was checked.
    """
    if stream is None:
        with open_model_file(path) as opened:
            return read_archive(path, opened)
    try:
        size = os.fstat(stream.fileno()).st_size
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            _check_members(archive.infolist(), size, path)
            config_text = _read_member(archive, CONFIG_MEMBER, path, required=True)
            metadata_text = _read_member(archive, METADATA_MEMBER, path, required=False)
            provenance_text = _read_member(archive, PROVENANCE_MEMBER, path, required=False)
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
    metadata = _parse_json(metadata_text, METADATA_MEMBER, path) if metadata_text else None
    provenance = Provenance()
    if isinstance(metadata, dict) and PROVENANCE_KEY in metadata:
        origin = f"{METADATA_MEMBER} ({PROVENANCE_KEY!r})"
        provenance = parse_provenance(metadata[PROVENANCE_KEY], path, origin=origin)
    elif provenance_text is not None:  # saved before the provenance moved into metadata.json
        provenance = parse_provenance(_parse_json(provenance_text, PROVENANCE_MEMBER, path), path)
    return Archive(path=path, config=config, provenance=provenance)


def _limits() -> dict[str, int]:
    """The size limit of each member layer-registry reads (looked up now: tests lower them)."""
    return {
        CONFIG_MEMBER: CONFIG_LIMIT,
        METADATA_MEMBER: METADATA_LIMIT,
        PROVENANCE_MEMBER: PROVENANCE_LIMIT,
    }


def _check_members(members: list[zipfile.ZipInfo], size: int, path: str) -> None:
    """Refuse, from the archive's directory alone, members that point outside it or that would
    expand past a limit (``size`` is the file's size on disk)."""
    declared = 0
    for info in members:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise UnsafeModelError(
                f"{path} is refused: its archive member {shown(name)} points outside the archive",
                path=path,
                location=name,
            )
        limit = _limits().get(name)
        if limit is not None and info.file_size > limit:
            raise ModelFileError(
                f"{path}: {name} is {info.file_size:,} bytes, more than the {limit:,} "
                "layer-registry reads",
                path=path,
            )
        if info.file_size > max(EXPANSION_FLOOR, EXPANSION_LIMIT * info.compress_size):
            raise ModelFileError(
                f"{path} is refused: its member {shown(name)} would expand to "
                f"{info.file_size:,} bytes from {info.compress_size:,}, more than "
                f"{EXPANSION_LIMIT}:1 (a decompression bomb; Keras stores members uncompressed)",
                path=path,
            )
        declared += info.file_size
    if declared > max(EXPANSION_FLOOR, EXPANSION_LIMIT * size):
        raise ModelFileError(
            f"{path} is refused: its {len(members):,} members would expand to {declared:,} bytes "
            f"from a file of {size:,}, more than {EXPANSION_LIMIT}:1 (a decompression bomb; "
            "Keras stores members uncompressed)",
            path=path,
        )


def _read_member(archive: zipfile.ZipFile, member: str, path: str, *, required: bool) -> str | None:
    """The text of ``member``, read up to its limit; None when it is absent and not required."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        if not required:
            return None
        raise ModelFileError(
            f"{path} is a zip archive but not a Keras model: it has no {member}", path=path
        ) from None
    limit = _limits()[member]
    data = bytearray()
    # Every value after the first follows a comma or opens a container: this bounds the values
    # json.loads would build (8 million lists from 16 MiB of brackets) before it runs.
    values = 1
    with archive.open(info) as stream:
        # The declared size can lie; never read past the limit.
        while chunk := stream.read(min(2**20, limit + 1 - len(data))):
            data += chunk
            values += chunk.count(b",") + chunk.count(b"[") + chunk.count(b"{")
            if values > NODE_LIMIT:
                raise ModelFileError(
                    f"{path}: {member} holds more than the {NODE_LIMIT:,} values layer-registry "
                    "reads",
                    path=path,
                )
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
        raise ModelFileError(
            f"{path}: {member} is nested deeper than Python's JSON parser goes; layer-registry "
            f"reads configs up to {DEPTH_LIMIT:,} levels deep, Keras saves a few hundred at most",
            path=path,
        ) from exc


def parse_provenance(data: Any, path: str, *, origin: str = PROVENANCE_MEMBER) -> Provenance:
    """The provenance record ``data`` (format 1 or 2), each field checked; ``origin`` says where
    in the archive it was read."""
    plugins = data.get("plugins") if isinstance(data, dict) else None
    if not isinstance(plugins, dict):
        raise ModelFileError(
            f"{path}: {origin} is malformed; expected "
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
        origin=origin,
    )


def _distribution(name: Any, version: Any) -> tuple[str, str] | None:
    """``(name, version)`` when both are valid (PEP 508 name, PEP 440 version), else None."""
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    # Imported here: only a file with provenance pays for it, never a listing.
    from packaging.utils import InvalidName
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion
    from packaging.version import Version

    try:
        canonicalize_name(name, validate=True)
        Version(version)
    except (InvalidName, InvalidVersion):
        return None
    return name, version


# -- scanning a config -----------------------------------------------------------------------


class Location:
    """Where a value sits in a config: a link to the place that holds it.

    The text (``config.layers[0].config``) is spelled out only when a location is reported:
    built for every value, it would cost the length of the path times the number of values.
    """

    __slots__ = ("parent", "step")

    def __init__(self, parent: Location | None, step: str | int):
        self.parent = parent
        self.step = step

    def __str__(self) -> str:
        steps: list[str | int] = []
        node: Location | None = self
        while node is not None and node.parent is not None:  # the root has no step
            steps.append(node.step)
            node = node.parent
        text = "".join(
            f"[{step}]" if isinstance(step, int) else f".{step}" for step in reversed(steps)
        )
        return text.removeprefix(".") or "the model itself"

    def __repr__(self) -> str:
        return f"Location({shown(str(self))})"


def _cut(text: str, limit: int = 200) -> str:
    """``text`` with its middle left out past ``limit`` characters: both ends stay readable."""
    return text if len(text) <= limit else f"{text[: limit // 3]}...{text[-(2 * limit) // 3 :]}"


@dataclass
class Scan:
    """What ``scan`` found in a config: the names to resolve and the objects refused."""

    names: dict[str, Location] = field(default_factory=dict)
    """Every ``namespace>Name`` Keras would look an object up by, with where it first appears.

    Keras resolves these through its registered objects alone, never by module: ``load_model``
    makes sure each one resolves before Keras runs."""
    refused: list[tuple[Location, str]] = field(default_factory=list)
    """``(location, why)`` for the first objects that could run code or import a module."""
    refusals: int = 0
    """How many objects were refused in all."""

    def check(self, path: str) -> None:
        """Raise ``UnsafeModelError`` for the first object refused, if any (``path``: the file)."""
        if not self.refused:
            return
        location, why = self.refused[0]
        more = f" (and {self.refusals - 1:,} more)" if self.refusals > 1 else ""
        raise UnsafeModelError(
            f"{path} is refused: {CONFIG_MEMBER} at {_cut(str(location))} {why}{more}; "
            "layer-registry loads only Keras built-ins and registered plugin layers",
            path=path,
            location=str(location),
        )


def _walk(config: Any, path: str) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Every serialized object (a dict with a ``class_name``) at any depth, with its location.

    Raises ``ModelFileError`` naming the file ``path`` past ``NODE_LIMIT``, ``DEPTH_LIMIT`` or
    ``KEY_LIMIT``.
    """
    root = Location(None, "")
    if not isinstance(config, (dict, list)):
        return
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        yield root, config
    nodes = 1
    # A stack of iterators, not recursion: a hostile config may be nested far deeper than
    # Python's stack, and the stack holds one entry per level, whatever the width.
    stack: list[tuple[Location, Iterator[tuple[str | int, Any]]]] = [(root, _items(config))]
    while stack:
        location, items = stack[-1]
        for step, value in items:
            nodes += 1
            if nodes > NODE_LIMIT:
                raise _past_limit(
                    path, f"holds more than the {NODE_LIMIT:,} values layer-registry reads"
                )
            if isinstance(step, str) and len(step) > KEY_LIMIT:
                raise _past_limit(
                    path,
                    f"holds a key of {len(step):,} characters at {_cut(str(location))}, more "
                    f"than the {KEY_LIMIT:,} layer-registry reads (Keras writes argument and "
                    "layer names)",
                )
            if isinstance(value, (dict, list)):
                if len(stack) > DEPTH_LIMIT:
                    raise _past_limit(
                        path,
                        f"is nested more than {DEPTH_LIMIT:,} levels deep at "
                        f"{_cut(str(location))}; Keras saves a few hundred at most",
                    )
                child = Location(location, step)
                if isinstance(value, dict) and isinstance(value.get("class_name"), str):
                    yield child, value
                stack.append((child, _items(value)))
                break
        else:
            stack.pop()


def _past_limit(path: str, problem: str) -> ModelFileError:
    source = f"{path}: {CONFIG_MEMBER}" if path else CONFIG_MEMBER
    return ModelFileError(f"{source} {problem}", path=path)


def _items(value: dict[Any, Any] | list[Any]) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, list):
        return enumerate(value)
    # JSON keys are strings; a config built in memory may hold others.
    return ((key if isinstance(key, str) else shown(key), item) for key, item in value.items())


def scan(config: Any, trusted: Mapping[str, Any] | None = None, *, path: str = "") -> Scan:
    """Collect the registered names in ``config`` and refuse what could run code.

    Each object is judged as Keras resolves it (``keras.src.saving.serialization_lib``,
    ``_retrieve_class_or_fn``): by a name first, a function by its own name (its ``config``),
    a class by its ``registered_name``; by its ``module`` only when that name is not registered.
    ``trusted`` holds names the caller vouches for (``custom_objects``): an object named there
    may come from any module, as Keras resolves it from that mapping. ``path`` names the file
    in the errors raised past a limit (``NODE_LIMIT``, ``DEPTH_LIMIT``, ``KEY_LIMIT``).
    """
    trusted = trusted or {}
    found = Scan()
    for location, obj in _walk(config, path):
        why = _refusal(obj, trusted, found.names, location)
        if why is not None:
            found.refusals += 1
            if len(found.refused) < _REPORTED:
                found.refused.append((location, why))
    return found


def _refusal(
    obj: dict[str, Any], trusted: Mapping[str, Any], names: dict[str, Location], where: Location
) -> str | None:
    """Why Keras could run code or import a module for ``obj``, or None (recording its name)."""
    class_name = obj["class_name"]
    module = obj.get("module")
    inner = obj.get("config")
    if class_name == "__lambda__":
        return "holds a Python lambda (code that would run on load)"
    if class_name in _VALUE_CLASSES:
        return None
    # The name Keras looks the object up by, first in custom objects and registrations. A
    # function's registered_name is never looked at: {"module": "os", "config": "system",
    # "registered_name": "examples>CustomLinear"} is os.system to Keras, whatever it says.
    lookup = inner if class_name == "function" else obj.get("registered_name", class_name)
    if isinstance(lookup, str) and lookup in trusted:
        return None
    if isinstance(lookup, str) and _REGISTERED_NAME.fullmatch(lookup):
        names.setdefault(lookup, where)
        return None
    # Not registered: Keras goes by the module.
    if module is None:
        return None  # an unregistered class from __main__: Keras looks it up, imports nothing
    if not isinstance(module, str):
        return f"has a module that is not a string: {shown(module)}"
    function = inner if class_name == "function" else class_name
    if not isinstance(function, str):
        function = shown(function)
    what = f"{_cut(module, 100)}.{_cut(function, 100)}"
    if module == "keras" or module.startswith("keras."):
        if class_name == "Lambda":
            return "holds a Lambda layer (Python code that would run on load)"
        if f"{module}.{function}" in _NON_MODELING:
            return f"names {what}, which is not a modeling API"
        return None
    if class_name == "function" and module == "builtins":
        return None  # a Keras built-in function by name ("relu"), looked up in Keras only
    if class_name == "__typespec__" and module.startswith("tensorflow."):
        return None
    if class_name == "function":
        what = f"the function {what}"
    return f"names {what}, which is neither part of Keras nor a registered layer"
