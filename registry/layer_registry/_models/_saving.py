"""Load and save ``.keras`` files by layer name: only the plugins a file needs, with provenance.

``load_model`` opens the file once, reads the registered names in it (``_archive``) without
importing anything, refuses configs that could run code, loads only the plugins that provide
the names, then hands the same open file to Keras with ``safe_mode`` on. ``save_model`` records
in the archive's ``metadata.json`` which plugin provided each layer, and the distribution and
version of that plugin and of the libraries its layers came from: Keras never reads that member,
and an archive of three members is one Keras loads without extracting it to disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import warnings
import zipfile
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import BinaryIO

from layer_registry._errors import MissingLayerError
from layer_registry._errors import ModelFileError
from layer_registry._errors import PluginVersionWarning
from layer_registry._errors import ProvenanceWarning
from layer_registry._files import replacing
from layer_registry._models._archive import CONFIG_MEMBER
from layer_registry._models._archive import METADATA_MEMBER
from layer_registry._models._archive import PROVENANCE_FORMAT
from layer_registry._models._archive import PROVENANCE_KEY
from layer_registry._models._archive import Archive
from layer_registry._models._archive import open_model_file
from layer_registry._models._archive import read_archive
from layer_registry._models._archive import scan
from layer_registry._records import split_name
from layer_registry._registry import NAMESPACE_PATTERN
from layer_registry._registry import canonical_distribution
from layer_registry._registry import default_registry
from layer_registry._version import __version__

if TYPE_CHECKING:
    import keras


_MAJOR = re.compile(r"\s*v?(\d+)")
# Loading a renamed layer swaps Keras's global custom objects for a moment; one load at a time.
_RENAME_LOCK = threading.Lock()


# -- plugins ---------------------------------------------------------------------------------


def _major(version: str) -> int | None:
    match = _MAJOR.match(version)
    return int(match.group(1)) if match else None


# -- public ----------------------------------------------------------------------------------


def load_model(path: str | os.PathLike[str], /, **kwargs: Any) -> keras.Model:
    """Load a ``.keras`` file, importing only the plugins whose layers it names.

    Reads the layer names in the file's ``config.json`` (at any depth: layers inside custom
    layers, models inside models), loads the plugins providing them, then has Keras load the
    file (as ``keras.saving.load_model(path, **kwargs)`` does) from the same open file that was
    checked. No ``custom_objects`` are needed for plugin layers; ``safe_mode`` stays on.

    Raises:
        MissingLayerError: names no installed plugin provides; lists each with the distribution
            and version the file records, when it does.
        UnsafeModelError: the config names a module outside Keras and the registry, or holds a
            lambda; raised before any plugin (or Keras) is imported.
        ModelFileError: not a ``.keras`` file, or corrupted, truncated or empty, or past one of
            the limits of what layer-registry reads, or Keras failed to rebuild the model from it
            (Keras's exception is the ``__cause__``).
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
    # One open file from the check to Keras: a file replaced at ``path`` meanwhile is not read.
    with open_model_file(path) as stream:
        return _load_checked(path, stream, kwargs)


def _load_checked(path: str, stream: BinaryIO, kwargs: dict[str, Any]) -> keras.Model:
    archive = read_archive(path, stream)
    custom_objects = kwargs.get("custom_objects") or {}
    found = scan(archive.config, trusted=custom_objects, path=path)
    found.check(path)
    registry = default_registry()
    providers = registry.providers(found.names)
    namespaces = sorted({ns for ns in providers.values() if ns is not None})
    registry.load(namespaces)

    import keras

    missing = [
        name
        for name in found.names
        if keras.saving.get_registered_object(name, custom_objects=custom_objects) is None
    ]
    if missing:
        raise _missing_error(archive, missing, providers)
    _warn_versions(archive, namespaces)
    renamed = [name for name in found.names if name not in custom_objects and _is_alias(name)]
    if not renamed:
        return _keras_load(path, stream, kwargs)
    with _RENAME_LOCK, _stand_ins(renamed) as stand_ins:
        model = _keras_load(path, stream, kwargs)
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if type(layer) in stand_ins:
            # Keras's Layer.__setattr__ tracks values; the class is not one.
            object.__setattr__(layer, "__class__", stand_ins[type(layer)])
    return model


def _keras_load(path: str, stream: BinaryIO, kwargs: dict[str, Any]) -> keras.Model:
    """Keras's loading of the open ``.keras`` file, its failures raised as ``ModelFileError``."""
    # keras.saving.load_model takes a path only (it stats its argument); for a .keras path it
    # opens the file and calls saving_lib.load_model, which takes the open file as well.
    from keras.src.saving import saving_lib

    stream.seek(0)
    try:
        return saving_lib.load_model(stream, **kwargs)
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
        old_name = split_name(alias)[1]
        stand_in = type(old_name, (cls,), {"__module__": cls.__module__, "__qualname__": old_name})
        objects[alias] = stand_in
        stand_ins[stand_in] = cls
    try:
        yield stand_ins
    finally:
        objects.update(saved)


def _namespace(archive: Archive, name: str, providers: Mapping[str, str | None]) -> str:
    """The namespace of the plugin that provides (or provided, says the file) ``name``."""
    return providers.get(name) or archive.provenance.layers.get(name) or split_name(name)[0]


def _missing_error(
    archive: Archive, names: list[str], providers: Mapping[str, str | None]
) -> MissingLayerError:
    path, recorded = archive.path, archive.provenance.plugins
    missing: dict[str, tuple[str, str] | None] = {}
    reasons = []
    for name in sorted(names):
        namespace = _namespace(archive, name, providers)
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
            reason = f"{plugin.describe()} has no layer {split_name(name)[1]!r}"
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


def _warn_versions(archive: Archive, namespaces: list[str]) -> None:
    path, recorded = archive.path, archive.provenance.plugins
    for namespace in namespaces:
        plugin = default_registry().provider(namespace)
        if namespace not in recorded or plugin is None or not plugin.layers:
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

    The file is what ``model.save(path)`` writes, its ``metadata.json`` recording, under
    ``"layer_registry"``, for each plugin namespace its layers come from, the distribution and
    version installed now: [`requirements`][layer_registry.requirements] reads it, and
    [`load_model`][layer_registry.load_model] names it when a plugin is missing.
    """
    import keras

    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"a model file name must end in .keras; received {os.fspath(path)!r}")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    # A failure never leaves a half-written file behind, nor replaces the old one.
    with replacing(target) as recorded:
        # Keras saves only to a name ending in .keras; the copy with provenance replaces target.
        saved = recorded.with_name(f"{recorded.name}.partial.keras")
        try:
            keras.saving.save_model(model, saved)
            _with_provenance(saved, recorded, str(target))
        finally:
            saved.unlink(missing_ok=True)


def _with_provenance(saved: Path, recorded: Path, target: str) -> None:
    """Copy the archive ``saved`` to ``recorded``, the provenance added to its metadata.json.

    A zip member cannot be rewritten in place, and a fourth member would make Keras extract the
    whole archive, weights included, to a temporary folder on every load.
    """
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(recorded, "w") as copy:
        config = json.loads(source.read(CONFIG_MEMBER))
        record = _provenance(scan(config, path=target).names)
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, info.date_time)
            member.compress_type = info.compress_type
            member.external_attr = info.external_attr
            member.file_size = info.file_size  # so that zipfile knows when it needs ZIP64
            if info.filename == METADATA_MEMBER:
                metadata = json.loads(source.read(info))
                copy.writestr(member, json.dumps({**metadata, PROVENANCE_KEY: record}))
                continue
            with source.open(info) as reader, copy.open(member, "w") as writer:
                shutil.copyfileobj(reader, writer, 2**20)
        if METADATA_MEMBER not in source.namelist():
            copy.writestr(METADATA_MEMBER, json.dumps({PROVENANCE_KEY: record}))


def _provenance(names: Iterable[str]) -> dict[str, Any]:
    """The provenance record of a file holding the registered ``names``."""
    registry = default_registry()
    providers = registry.providers(names)
    plugins: dict[str, dict[str, Any]] = {}
    layers = {}
    for name, namespace in sorted(providers.items()):
        plugin = registry.provider(namespace) if namespace else None
        if plugin is None:
            continue  # a class of the user's own code: nothing to install
        layers[name] = namespace
        record = plugins.setdefault(
            plugin.namespace,
            {"distribution": plugin.distribution, "version": plugin.version, "libraries": {}},
        )
        info = registry.info(name)
        if info.library:
            record["libraries"][info.library] = info.library_version
    return {
        "format": PROVENANCE_FORMAT,
        "layer_registry": __version__,
        "plugins": plugins,
        "layers": layers,
    }


def _requirements(path: str) -> tuple[list[str], MissingLayerError | None]:
    archive = read_archive(path)
    provenance = archive.provenance
    if provenance.rejected:
        # One warning however many fields a hostile file holds: the first few, then a count.
        shown = "; ".join(provenance.rejected[:3])
        more = len(provenance.rejected) - 3
        warnings.warn(
            ProvenanceWarning(
                f"{path}: {provenance.origin} {shown}"
                + (f" (and {more} more)" if more > 0 else "")
                + "; left out of the requirements",
                path=path,
            ),
            stacklevel=3,
        )
    registry = default_registry()
    names = scan(archive.config, path=path).names
    # What the file records wins (it names what the model was saved with); the installed
    # plugins answer for the rest.
    unrecorded = [name for name in names if name not in provenance.layers]
    providers = registry.providers(unrecorded) if unrecorded else {}
    lines: set[str] = set()
    unknown = []
    for name in names:
        namespace = _namespace(archive, name, providers)
        if namespace in provenance.plugins:
            sources = [provenance.plugins[namespace], *provenance.libraries.get(namespace, ())]
        elif providers.get(name) and (plugin := registry.provider(namespace)) is not None:
            sources = [(plugin.distribution, plugin.version)]
            info = registry.info(name)
            if info.library:
                sources.append((info.library, info.library_version))
        elif not NAMESPACE_PATTERN.fullmatch(namespace):
            continue  # "Custom>MyLayer": the user's own class, no plugin to install
        else:
            unknown.append(name)
            continue
        lines.update(f"{d}=={v}" if v else d for d, v in sources)
    error = None
    if unknown:
        error = MissingLayerError(
            f"{path} names layers that no installed plugin provides and the file does not "
            f"record: {', '.join(sorted(unknown))}",
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
