"""The provenance a ``.keras`` file records: untrusted, each field checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from layer_registry._errors import ModelFileError
from layer_registry._errors import shown
from layer_registry._models._archive._limits import PROVENANCE_MEMBER
from layer_registry._records import split_name
from layer_registry._registry import NAMESPACE_PATTERN


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
        for distribution, version in given.items() if isinstance(given, dict) else ():
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
