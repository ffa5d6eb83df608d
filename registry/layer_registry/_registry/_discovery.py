"""Discovery: the installed plugins, read from entry points without importing any of them."""

from __future__ import annotations

import re
import weakref
from collections.abc import Set
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Literal

from layer_registry import _settings
from layer_registry._records import PluginInfo
from layer_registry._records import PluginStatus
from layer_registry._records import describe_plugin

if TYPE_CHECKING:
    import importlib.metadata

ENTRY_POINT_GROUP = "layer_registry"
NAMESPACE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


_parsed: weakref.WeakKeyDictionary[
    importlib.metadata.Distribution, importlib.metadata.PackageMetadata
] = weakref.WeakKeyDictionary()


def metadata(dist: importlib.metadata.Distribution) -> importlib.metadata.PackageMetadata:
    """``dist.metadata``, parsed once per ``Distribution`` object.

    importlib.metadata reads and parses METADATA anew on every ``.name``, ``.version`` and
    ``.metadata``: with 100 plugins that was most of the registry's own loading time (B2).
    Keyed by the object, so a later ``entry_points()`` call sees a reinstall.
    """
    found = _parsed.get(dist)
    if found is None:
        found = _parsed[dist] = dist.metadata
    return found


def identity(dist: importlib.metadata.Distribution) -> tuple[str, str]:
    """The distribution's name and version ("" where METADATA lacks them)."""
    fields = metadata(dist)
    return fields["Name"] or "", fields["Version"] or ""


def canonical_distribution(distribution: str) -> str:
    """A distribution name as pip compares them (``Acme_Layers`` -> ``acme-layers``)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


@dataclass
class Plugin:
    """A discovered plugin and what became of it (mutable; ``PluginInfo`` is its snapshot)."""

    entry_point: importlib.metadata.EntryPoint
    namespace: str
    distribution: str
    version: str
    status: PluginStatus | Literal["loading"] = "not loaded"
    error: str | None = None
    layers: list[str] = field(default_factory=list)
    foreign_names: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    cached: PluginInfo | None = None
    """What the metadata cache says of this plugin, until it is really loaded."""

    def snapshot(self) -> PluginInfo:
        if self.status == "not loaded" and self.cached is not None:
            return self.cached
        fields = metadata(self.entry_point.dist) if self.entry_point.dist else None
        return PluginInfo(
            namespace=self.namespace,
            distribution=self.distribution,
            version=self.version,
            # Only a re-entrant lookup from the plugin's own import sees it half-loaded.
            status="not loaded" if self.status == "loading" else self.status,
            error=self.error,
            layers=tuple(sorted(self.layers)),
            summary=_field(fields, "Summary") if fields else "",
            home_page=_home_page(fields) if fields else "",
            entry_point=self.entry_point.value,
            foreign_names=tuple(self.foreign_names),
            refused=tuple(self.refused),
        )

    def describe(self) -> str:
        return describe_plugin(self.namespace, self.distribution, self.version)

    def fail(self, error: str) -> None:
        self.status, self.error = "failed", error


def _field(metadata: importlib.metadata.PackageMetadata, name: str) -> str:
    """A metadata field's first value, "" when absent (``[]`` warns for a missing one)."""
    return str((metadata.get_all(name) or [""])[0])


def _home_page(metadata: importlib.metadata.PackageMetadata) -> str:
    if _field(metadata, "Home-page"):
        return _field(metadata, "Home-page")
    for url in metadata.get_all("Project-URL") or []:
        label, _, address = url.partition(",")
        if label.strip().lower() in {"homepage", "home", "source", "repository"}:
            return address.strip()
    return ""


def discover(
    only: Set[str] | None, disable: Set[str]
) -> tuple[list[Plugin], list[tuple[str, str]]]:
    """Every installed plugin, in a stable order, and the distributions skipped as broken.

    A plugin whose namespace is invalid or already taken is failed here; one filtered out by
    ``only`` or ``disable`` is blocked. Nothing is imported.
    """
    import importlib.metadata  # here: a listing answered from the cache never needs it

    found: list[Plugin] = []
    skipped: list[tuple[str, str]] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        name, version = identity(dist) if dist is not None else (entry_point.value, "")
        if not (name and version) and dist is not None:
            # A half-finished install (entry_points.txt, but METADATA empty or missing):
            # skipped, as pip skips it; doctor names it.
            where = str(getattr(dist, "_path", "?"))  # no public accessor for the folder
            if where not in {w for w, _ in skipped}:
                skipped.append(
                    (where, "declares entry points but has no valid METADATA (name, version)")
                )
            continue
        found.append(
            Plugin(
                entry_point=entry_point,
                namespace=entry_point.name,
                distribution=name,
                version=version,
            )
        )
    # The first distribution in sorted order keeps a contested namespace.
    found.sort(key=lambda p: (canonical_distribution(p.distribution), p.namespace))
    owners: dict[str, Plugin] = {}
    for plugin in found:
        if not NAMESPACE_PATTERN.fullmatch(plugin.namespace):
            plugin.fail(
                f"namespace {plugin.namespace!r} is not a lowercase Python identifier; "
                f"rename the entry point in {plugin.distribution}'s [project.entry-points."
                f"{ENTRY_POINT_GROUP}]"
            )
        elif plugin.namespace in owners:
            plugin.fail(
                f"namespace {plugin.namespace!r} is already provided by distribution "
                f"{owners[plugin.namespace].distribution}; uninstall one of the two or rename "
                "its entry point"
            )
        else:
            owners[plugin.namespace] = plugin
            if plugin.namespace in disable:
                plugin.status, plugin.error = "blocked", f"blocked by {_settings.DISABLE}"
            elif only is not None and plugin.namespace not in only:
                plugin.status, plugin.error = "blocked", f"not in {_settings.ONLY}"
    return found, skipped
