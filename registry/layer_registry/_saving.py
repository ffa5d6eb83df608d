"""Load and save ``.keras`` files by layer name: only the plugins a file needs, with provenance.

A ``.keras`` file is a zip archive whose ``config.json`` names every object of the model; a plugin
layer appears as ``"registered_name": "namespace>ClassName"``. ``load_model`` reads those names
without importing anything, refuses configs that could run code, loads only the plugins that
provide the names, then hands the file to ``keras.saving.load_model`` with ``safe_mode`` on.
``save_model`` adds ``layer_registry.json`` to the archive: which distribution and version each
plugin namespace came from. Keras ignores archive members it does not know.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._errors import MissingLayerError
from layer_registry._errors import ModelFileError
from layer_registry._errors import PluginVersionWarning
from layer_registry._errors import UnsafeModelError
from layer_registry._registry import NAMESPACE_PATTERN
from layer_registry._registry import canonical_distribution
from layer_registry._registry import default_registry

if TYPE_CHECKING:
    import keras


CONFIG_MEMBER = "config.json"
PROVENANCE_MEMBER = "layer_registry.json"
CONFIG_LIMIT = 64 * 2**20
"""The most of ``config.json`` that is read: a model's config is kilobytes, weights live apart."""
PROVENANCE_LIMIT = 2**20
PROVENANCE_FORMAT = 1

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
_MAJOR = re.compile(r"\s*v?(\d+)")
# Loading a renamed layer swaps Keras's global custom objects for a moment; one load at a time.
_RENAME_LOCK = threading.Lock()


# -- reading an archive ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Archive:
    """What layer-registry reads from a ``.keras`` file, without Keras."""

    path: str
    config: Any
    plugins: Mapping[str, tuple[str, str]]
    """Recorded provenance: namespace -> (distribution, version); empty for plain Keras files."""


def _read_archive(path: str) -> _Archive:
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
    config = _parse_json(config_text, CONFIG_MEMBER, path)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelFileError(
            f"{path}: {CONFIG_MEMBER} does not describe a Keras object (no 'class_name')",
            path=path,
        )
    plugins = {}
    if provenance_text is not None:
        plugins = _parse_provenance(_parse_json(provenance_text, PROVENANCE_MEMBER, path), path)
    return _Archive(path=path, config=config, plugins=plugins)


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


def _parse_provenance(data: Any, path: str) -> dict[str, tuple[str, str]]:
    plugins = data.get("plugins") if isinstance(data, dict) else None
    if not isinstance(plugins, dict) or not all(
        isinstance(record, dict)
        and isinstance(record.get("distribution"), str)
        and isinstance(record.get("version"), str)
        for record in plugins.values()
    ):
        raise ModelFileError(
            f"{path}: {PROVENANCE_MEMBER} is malformed; expected "
            '{"plugins": {"namespace": {"distribution": ..., "version": ...}}}',
            path=path,
        )
    return {
        str(namespace): (record["distribution"], record["version"])
        for namespace, record in plugins.items()
    }


# -- scanning a config -----------------------------------------------------------------------


@dataclass
class _Scan:
    names: dict[str, str] = field(default_factory=dict)
    """Every ``namespace>Name`` registered name, with where it first appears."""
    refused: list[tuple[str, str]] = field(default_factory=list)
    """``(location, why)`` for each object that could run code or import a module."""

    @property
    def namespaces(self) -> list[str]:
        return sorted({name.split(">", 1)[0] for name in self.names})


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


def _scan(config: Any, trusted: Mapping[str, Any] | None = None) -> _Scan:
    """Collect the registered names in ``config`` and refuse what could run code.

    ``trusted`` holds names the caller vouches for (``custom_objects``): an object named there may
    come from any module, as Keras resolves it from that mapping.
    """
    trusted = trusted or {}
    scan = _Scan()
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


# -- plugins ---------------------------------------------------------------------------------


def _major(version: str) -> int | None:
    match = _MAJOR.match(version)
    return int(match.group(1)) if match else None


# -- public ----------------------------------------------------------------------------------


def load_model(path: str | os.PathLike[str], /, **kwargs: Any) -> keras.Model:
    """Load a ``.keras`` file, importing only the plugins whose layers it names.

    Reads the layer names in the file's ``config.json`` (at any depth: layers inside custom
    layers, models inside models), loads the plugins providing them, then calls
    ``keras.saving.load_model(path, **kwargs)``. No ``custom_objects`` are needed for plugin
    layers; ``safe_mode`` stays on.

    Raises:
        MissingLayerError: names no installed plugin provides; lists each with the distribution
            and version the file records, when it does.
        UnsafeModelError: the config names a module outside Keras and the registry, or holds a
            lambda; raised before any plugin (or Keras) is imported.
        ModelFileError: not a ``.keras`` file, or corrupted, truncated or empty, or Keras
            failed to rebuild the model from it (Keras's exception is the ``__cause__``).
        ValueError: ``safe_mode=False`` was passed.

    Warns:
        PluginVersionWarning: the file was saved with another major version of a plugin.
    """
    if kwargs.get("safe_mode", True) is not True:
        raise ValueError(
            "layer_registry.load_model never switches Keras's safe_mode off; "
            f"received safe_mode={kwargs['safe_mode']!r}"
        )
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ModelFileError(
            f"{path} is not a .keras file; layer-registry loads only the zip format that "
            "model.save('model.keras') writes",
            path=path,
        )
    archive = _read_archive(path)
    custom_objects = kwargs.get("custom_objects") or {}
    scan = _scan(archive.config, trusted=custom_objects)
    if scan.refused:
        location, why = scan.refused[0]
        more = f" (and {len(scan.refused) - 1} more)" if len(scan.refused) > 1 else ""
        raise UnsafeModelError(
            f"{path} is refused: config.json at {location} {why}{more}; "
            "layer-registry loads only Keras built-ins and registered plugin layers",
            path=path,
            location=location,
        )
    registry = default_registry()
    registry.load(scan.namespaces)

    import keras

    missing = [
        name
        for name in scan.names
        if keras.saving.get_registered_object(name, custom_objects=custom_objects) is None
    ]
    if missing:
        raise _missing_error(path, missing, archive.plugins)
    _warn_versions(path, scan.namespaces, archive.plugins)
    renamed = [name for name in scan.names if name not in custom_objects and _is_alias(name)]
    if not renamed:
        return _keras_load(path, kwargs)
    with _RENAME_LOCK, _stand_ins(renamed) as stand_ins:
        model = _keras_load(path, kwargs)
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if type(layer) in stand_ins:
            # Keras's Layer.__setattr__ tracks values; the class is not one.
            object.__setattr__(layer, "__class__", stand_ins[type(layer)])
    return model


def _keras_load(path: str, kwargs: dict[str, Any]) -> keras.Model:
    """``keras.saving.load_model``, its failures raised as ``ModelFileError`` (Keras's as cause)."""
    import keras

    try:
        return keras.saving.load_model(path, **kwargs)
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0][:300]
        raise ModelFileError(
            f"{path} names only known layers, but Keras could not rebuild it: "
            f"{type(exc).__name__}: {first_line}",
            path=path,
        ) from exc


def _is_alias(name: str) -> bool:
    """Whether Keras resolves ``name`` to a class registered under another name (a rename)."""
    import keras

    # Only the registry's global registrations; a caller's custom_objects are left as given.
    cls = keras.saving.get_custom_objects().get(name)
    return isinstance(cls, type) and keras.saving.get_registered_name(cls) != name


@contextlib.contextmanager
def _stand_ins(aliases: list[str]) -> Iterator[dict[type, type]]:
    """Map each alias (``ns>OldName``) to a subclass named ``OldName`` of its renamed class.

    Keras finds a layer's weights in the archive under its class name in snake case
    (``layers/old_name/vars``), so a file saved before a rename only loads into an instance
    whose class still has the old name. Yields stand-in class -> renamed class; the caller
    swaps each loaded instance back to the renamed class.
    """
    import keras

    objects = keras.saving.get_custom_objects()
    saved = {alias: objects[alias] for alias in aliases}
    stand_ins = {}
    for alias, cls in saved.items():
        old_name = alias.split(">", 1)[1]
        stand_in = type(old_name, (cls,), {"__module__": cls.__module__, "__qualname__": old_name})
        objects[alias] = stand_in
        stand_ins[stand_in] = cls
    try:
        yield stand_ins
    finally:
        objects.update(saved)


def _missing_error(
    path: str, names: list[str], recorded: Mapping[str, tuple[str, str]]
) -> MissingLayerError:
    missing: dict[str, tuple[str, str] | None] = {}
    reasons = []
    for name in sorted(names):
        namespace, _, class_name = name.partition(">")
        plugin = default_registry().provider(namespace)
        record = recorded.get(namespace)
        if plugin is None and record:
            reason = f"install {record[0]}=={record[1]}"
        elif plugin is None and not NAMESPACE_PATTERN.fullmatch(namespace):
            # Keras's own default package ("Custom>MyLayer"): a class of the user's code.
            reason = (
                "not a plugin's layer: import the module that registers it, or pass it in "
                "custom_objects"
            )
        elif plugin is None:
            reason = (
                f"no installed plugin provides namespace {namespace!r} and the file does not "
                "record one"
            )
        elif plugin.status == "failed":
            reason = f"{plugin.describe()} failed to load: {plugin.error}"
        elif plugin.status == "blocked":
            reason = f"{plugin.describe()} is blocked: {plugin.error}"
        else:
            reason = f"{plugin.describe()} has no layer {class_name!r}"
            if record:
                reason += f"; the file was saved with {record[0]} {record[1]}"
        if record is None and plugin is not None:
            record = (plugin.distribution, plugin.version)
        missing[name] = record
        reasons.append(f"{name} ({reason})")
    message = f"{path} needs layers that are not available: " + "; ".join(reasons)
    if any(missing.values()):
        message += f"; `layer-registry requirements {path}` lists what to install"
    return MissingLayerError(message, path=path, missing=missing)


def _warn_versions(
    path: str, namespaces: list[str], recorded: Mapping[str, tuple[str, str]]
) -> None:
    for namespace in namespaces:
        plugin = default_registry().provider(namespace)
        if namespace not in recorded or plugin is None or plugin.status != "loaded":
            continue
        distribution, version = recorded[namespace]
        if canonical_distribution(distribution) != canonical_distribution(plugin.distribution):
            why = (
                f"{path} was saved with namespace {namespace!r} from {distribution} {version}; "
                f"it is now provided by {plugin.distribution} {plugin.version}"
            )
        elif _major(version) != _major(plugin.version):
            why = (
                f"{path} was saved with {distribution} {version}; the installed version is "
                f"{plugin.version}, another major version: its layers may load differently"
            )
        else:
            continue
        warnings.warn(
            PluginVersionWarning(
                why,
                namespace=namespace,
                distribution=distribution,
                recorded=version,
                installed=plugin.version,
            ),
            stacklevel=3,
        )


def save_model(
    model: keras.Model, path: str | os.PathLike[str], /, *, overwrite: bool = True
) -> None:
    """Save ``model`` to a ``.keras`` file that plain Keras loads, with the plugins it needs.

    The file is what ``model.save(path)`` writes, plus an archive member ``layer_registry.json``
    recording, for each plugin namespace its layers come from, the distribution and version
    installed now: [`requirements`][layer_registry.requirements] reads it, and
    [`load_model`][layer_registry.load_model] names it when a plugin is missing.
    """
    import keras

    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"a model file name must end in .keras; received {os.fspath(path)!r}")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    # Write beside the target and rename: a failure never leaves a half-written file behind.
    partial = target.with_name(f".{target.stem}.{os.getpid()}.partial.keras")
    try:
        keras.saving.save_model(model, partial)
        with zipfile.ZipFile(partial, "a") as archive:
            config = json.loads(archive.read(CONFIG_MEMBER))
            names = _scan(config).names
            plugins = {}
            for namespace in sorted({name.split(">", 1)[0] for name in names}):
                plugin = default_registry().provider(namespace)
                if plugin is not None:
                    plugins[namespace] = {
                        "distribution": plugin.distribution,
                        "version": plugin.version,
                    }
            from layer_registry import __version__

            record = {
                "format": PROVENANCE_FORMAT,
                "layer_registry": __version__,
                "plugins": plugins,
                "layers": sorted(names),
            }
            archive.writestr(PROVENANCE_MEMBER, json.dumps(record, indent=2, sort_keys=True))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _requirements(path: str) -> tuple[list[str], MissingLayerError | None]:
    archive = _read_archive(path)
    lines = set()
    unknown = []
    names = _scan(archive.config).names
    for namespace in sorted({name.split(">", 1)[0] for name in names}):
        if namespace in archive.plugins:
            distribution, version = archive.plugins[namespace]
        elif (plugin := default_registry().provider(namespace)) is not None:
            distribution, version = plugin.distribution, plugin.version
        elif not NAMESPACE_PATTERN.fullmatch(namespace):
            continue  # "Custom>MyLayer": the user's own class, no plugin to install
        else:
            unknown.extend(name for name in names if name.split(">", 1)[0] == namespace)
            continue
        lines.add(f"{distribution}=={version}" if version else distribution)
    error = None
    if unknown:
        namespaces = sorted({name.split(">", 1)[0] for name in unknown})
        error = MissingLayerError(
            f"{path} names layers of namespace(s) {', '.join(map(repr, namespaces))} that no "
            f"installed plugin provides and the file does not record: {', '.join(sorted(unknown))}",
            path=path,
            missing=dict.fromkeys(sorted(unknown)),
        )
    return sorted(lines, key=str.lower), error


def requirements(path: str | os.PathLike[str]) -> list[str]:
    """Pip requirement lines (``distribution==version``) for the plugins a ``.keras`` file needs.

    Uses the provenance [`save_model`][layer_registry.save_model] records; for a file saved
    with plain ``model.save``, the installed plugins that provide its namespaces. Imports no
    plugin and no Keras.

    Raises:
        MissingLayerError: a namespace neither recorded in the file nor installed.
        ModelFileError: not a readable ``.keras`` file.
    """
    lines, error = _requirements(os.fspath(path))
    if error is not None:
        raise error
    return lines
