"""The registry: discover plugins, load them on demand, register their layers, resolve names.

One room per job: ``_discovery`` (entry points), ``_registration`` and ``_ownership`` (what a
plugin may register), ``_loading`` (pluggy, Keras), ``_index`` (one record per layer),
``_cache`` and ``_catalog`` (metadata without imports), ``_doctor``. ``Registry`` ties them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

from layer_registry import _settings
from layer_registry._errors import AmbiguousNameError
from layer_registry._errors import LayerNotFoundError
from layer_registry._errors import PluginError
from layer_registry._errors import shown
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._records import describe_plugin
from layer_registry._records import split_name
from layer_registry._registry import _cache
from layer_registry._registry._discovery import NAMESPACE_PATTERN
from layer_registry._registry._discovery import Plugin
from layer_registry._registry._discovery import canonical_distribution
from layer_registry._registry._discovery import discover
from layer_registry._registry._index import Index

if TYPE_CHECKING:
    from layer_registry._registry import _loading

__all__ = ["NAMESPACE_PATTERN", "Registry", "canonical_distribution", "default_registry"]

_LOADED = frozenset({"loaded", "partial"})


class Registry:
    """Installed layer plugins, loaded on first need, and their layers by name.

    Most code uses the module-level functions (``layer_registry.get`` and friends), which share
    one default registry. ``only``, ``disable`` and ``strict`` default to the environment
    variables ``LAYER_REGISTRY_ONLY``, ``LAYER_REGISTRY_DISABLE`` (comma-separated namespaces)
    and ``LAYER_REGISTRY_STRICT=1``.
    """

    def __init__(
        self,
        *,
        only: Iterable[str] | None = None,
        disable: Iterable[str] | None = None,
        strict: bool | None = None,
    ) -> None:
        # Filters given here win; the rest come from the environment when discovery first runs,
        # not at import (a notebook may set them after `import layer_registry`).
        self._given_only, self._given_disable, self._given_strict = only, disable, strict
        self._only: frozenset[str] | None = None
        self._disable: frozenset[str] = frozenset()
        self._strict = False
        # Reentrant: a plugin's import may itself look a layer up.
        self._lock = threading.RLock()
        self._plugins: list[Plugin] | None = None
        self._index = Index()
        self._loader: _loading.Loader | None = None
        self.resolved: dict[str, type] = {}
        """Names ``get`` has resolved to classes: its fast path (read-only for callers)."""
        self._catalog_ready = False
        self._filters_read = False
        self._cached_plugins: list[PluginInfo] | None = None
        """The plugins' records from the metadata cache, once adopted."""
        self.skipped: list[tuple[str, str]] = []
        """Installed distributions skipped for broken metadata: ``(location, why)``."""

    # -- discovery and the metadata catalog --------------------------------------------------

    def _read_filters(self) -> None:
        """Settle ``only``, ``disable`` and ``strict``: as given, else from the environment."""
        if self._filters_read:
            return
        only, disable, strict = self._given_only, self._given_disable, self._given_strict
        self._only = frozenset(only) if only is not None else _settings.names(_settings.ONLY)
        self._disable = frozenset(
            disable if disable is not None else _settings.names(_settings.DISABLE) or ()
        )
        self._strict = strict if strict is not None else _settings.flag(_settings.STRICT)
        self._filters_read = True

    def _discover(self) -> list[Plugin]:
        """The installed plugins, read from their entry points on first need.

        A warm metadata cache answers listings without this (``importlib.metadata`` alone
        costs a listing ~45 ms); loading a plugin needs it.
        """
        if self._plugins is not None:
            return self._plugins
        with self._lock:
            if self._plugins is None:
                self._read_filters()
                plugins, self.skipped = discover(self._only, self._disable)
                if self._cached_plugins is not None:
                    self._attach(plugins, self._cached_plugins)
                self._plugins = plugins
            return self._plugins

    def _ensure_catalog(self) -> None:
        """Make the metadata of every plugin known: from the cache, or by loading them all."""
        if self._catalog_ready:
            return
        with self._lock:
            if not self._catalog_ready and not self._adopt_cache():
                self.refresh()

    def _adopt_cache(self) -> bool:
        """Take every plugin's metadata from a valid cache, importing nothing; say if it did."""
        if self._catalog_ready:
            return True
        with self._lock:
            self._read_filters()
            # Strict mode must see every failure happen, so it never trusts the cache.
            cached = None if self._strict else _cache.read(self.settings)
            if cached is not None:
                self._adopt(*cached)
                self._catalog_ready = True
            return self._catalog_ready

    def refresh(self) -> None:
        """Load every plugin's metadata anew and rewrite the metadata cache from it.

        In a process that has not imported Keras (a command listing layers), the plugins are
        loaded in a child process (``_catalog``): a plugin that crashes natively fails alone
        and this process imports none of them. Elsewhere they load here, as on a lookup.
        """
        with self._lock:
            # Taken before anything is imported: an edit made while plugins load must not be
            # cached as if the records described it.
            key = self.cache_key()
            records = None
            if "keras" not in sys.modules and not self._strict:
                from layer_registry._registry import _catalog

                try:
                    records = _catalog.build(self._filter_environment())
                except _catalog.ChildFailed:
                    records = None  # no worse than before: load them here
            if records is not None:
                self._adopt(*records)
            else:
                self.load_here()
                records = self.records()
            if self.cache_key() == key:
                _cache.write(key, *records, self.settings)
            self._catalog_ready = True

    def records(self) -> tuple[list[PluginInfo], list[LayerInfo]]:
        """What is known now: each plugin's record and each layer's, in name order."""
        return (
            [p.snapshot() for p in self._discover()],
            [self._index.info(name) for name in self._index.names()],
        )

    def pending(self) -> list[str]:
        """The namespaces of the plugins not loaded (nor failed, nor blocked) yet."""
        return [p.namespace for p in self._discover() if p.status == "not loaded"]

    def mark_failed(self, namespace: str, error: str) -> None:
        """Record the plugin of ``namespace`` as failed without importing it."""
        for plugin in self._discover():
            if plugin.namespace == namespace and plugin.status == "not loaded":
                plugin.fail(error)

    def _filter_environment(self) -> dict[str, str | None]:
        """This registry's filters as the environment variables a child reads."""
        self._read_filters()
        return {
            _settings.ONLY: ",".join(sorted(self._only)) if self._only is not None else None,
            _settings.DISABLE: ",".join(sorted(self._disable)) or None,
        }

    @property
    def settings(self) -> str:
        """This registry's filters, as text: each gets its own metadata cache file."""
        self._read_filters()
        only = ",".join(sorted(self._only)) if self._only is not None else "*"
        return f"only={only};disable={','.join(sorted(self._disable))}"

    def cache_key(self) -> str:
        """The metadata cache key for what is installed now."""
        return _cache.installed_key(
            _cache.top_package(p.entry_point.value) for p in self._discover()
        )

    def _adopt(self, records: list[PluginInfo], layers: list[LayerInfo]) -> None:
        self._cached_plugins = records
        if self._plugins is not None:
            self._attach(self._plugins, records)
        for info in layers:
            if info.name not in self._index:
                self._index.add(info)

    @staticmethod
    def _attach(plugins: list[Plugin], records: list[PluginInfo]) -> None:
        """Give each discovered plugin what the cache says of it."""
        by_source = {(r.namespace, r.distribution): r for r in records}
        for plugin in plugins:
            plugin.cached = by_source.get((plugin.namespace, plugin.distribution))
            if plugin.status == "not loaded" and plugin.cached and plugin.cached.status == "failed":
                # Not retried until something is installed or edited (the cache key moves):
                # a plugin that crashed its process must not be imported here.
                plugin.fail(plugin.cached.error or "")

    # -- loading -----------------------------------------------------------------------------

    def load(self, namespaces: Iterable[str] | None = None) -> int:
        """Load the given plugins (all by default); return how many loaded now."""
        if namespaces is None:
            # Every plugin: know first, from the cache or a child process, which ones fail,
            # so a plugin that crashes its process is never imported here.
            pending = set(self.pending())
            self._ensure_catalog()
            self.load_here()
            return sum(
                1 for p in self._discover() if p.namespace in pending and p.status in _LOADED
            )
        return self.load_here(namespaces)

    def load_here(self, namespaces: Iterable[str] | None = None) -> int:
        """Import the given plugins (all by default) in this process; return how many loaded."""
        wanted = None if namespaces is None else set(namespaces)
        pending = [
            plugin
            for plugin in self._discover()
            if plugin.status == "not loaded" and (wanted is None or plugin.namespace in wanted)
        ]
        if not pending:
            return 0
        with self._lock:
            if self._loader is None:
                # Imported on the first load: listing from the cache needs none of it.
                from layer_registry._registry._loading import Loader

                self._loader = Loader(self._discover(), self._index, strict=self._strict)
            count = 0
            for plugin in pending:
                if plugin.status == "not loaded":  # another thread may have loaded it meanwhile
                    count += self._loader.load(plugin)
            return count

    # -- lookup ------------------------------------------------------------------------------

    def get(self, name: str) -> type:
        """The layer class registered under ``name`` (full name, unique bare name or alias)."""
        cls = self.resolved.get(name)
        if cls is not None:
            return cls
        full = self.resolve(name)
        cls = self._index.cls(full)
        if cls is None:
            namespace = self._index.info(full).namespace
            self.load([namespace])
            cls = self._index.cls(full)
            if cls is None:
                self._raise_for_plugin(namespace, full)
                raise LayerNotFoundError(
                    name,
                    message=(
                        f"{full!r} is in the metadata cache but its plugin no longer registers "
                        "it; run `layer-registry list` again after reinstalling the plugin"
                    ),
                )
        # A full name always means the same class; a bare name only once every plugin is known
        # (a plugin loaded later could make it ambiguous).
        if ">" in name or self._catalog_ready:
            self.resolved[name] = cls
        return cls

    def resolve(self, name: str) -> str:
        """The full name ``name`` stands for; raises ``LayerNotFoundError`` with suggestions."""
        if not isinstance(name, str) or not name.strip():
            raise LayerNotFoundError(str(name), message=f"{shown(name)} is not a layer name")
        package, _ = split_name(name)
        if package:
            if self._index.known(name) is None and not self._adopt_cache():
                self.load([package])  # a plugin's own name needs only that plugin
            if (full := self._index.known(name)) is not None:
                return full
            self._raise_for_plugin(package, name)
            # A name a library gave its class (``Custom>TCN``) may come from any plugin.
            self._ensure_catalog()
            if (full := self._index.known(name)) is not None:
                return full
        else:
            self._ensure_catalog()
            matches = self._index.bare(name)
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise AmbiguousNameError(name, matches)
        self._ensure_catalog()
        raise LayerNotFoundError(name, self._index.suggest(name))

    def providers(self, names: Iterable[str]) -> dict[str, str | None]:
        """The namespace of the plugin providing each registered name, None for no plugin.

        Answers from the metadata cache when it is warm; cold, the catalog is built first (in
        a child process where Keras is not imported yet).
        """
        found: dict[str, str | None] = {}
        for name in names:
            try:
                full = self.resolve(name) if split_name(name)[0] else None
            except LayerNotFoundError:
                full = None
            found[name] = self._index.info(full).namespace if full is not None else None
        return found

    def _raise_for_plugin(self, namespace: str, name: str) -> None:
        """Explain a miss inside a namespace whose plugin is installed but did not load it."""
        record = self.provider(namespace)
        if record is None:
            return
        describe = describe_plugin(record.namespace, record.distribution, record.version)
        if record.status in {"failed", "blocked"}:
            why = "was blocked" if record.status == "blocked" else "failed to load"
            raise LayerNotFoundError(
                name,
                message=(
                    f"{shown(name)} would come from {describe}, which {why}: "
                    f"{record.error}"
                ),
                plugin=record,
            )
        class_name = split_name(name)[1]
        for where, why in record.refused:
            if where.rpartition(":")[2].rpartition(".")[2] == class_name:
                raise LayerNotFoundError(
                    name,
                    message=(
                        f"{shown(name)} was refused by the registry: {describe} "
                        f"registered {where}, which {why}"
                    ),
                    plugin=record,
                )

    def _snapshots(self) -> list[PluginInfo]:
        """Every installed plugin's record in discovery order: a contested namespace's owner
        comes first. From the metadata cache while no plugin needed discovering."""
        if self._plugins is None and self._cached_plugins is not None:
            return self._cached_plugins
        return [plugin.snapshot() for plugin in self._discover()]

    def create(self, name: str, /, **kwargs: Any) -> Any:
        """An instance of the layer ``name``, built with ``kwargs``."""
        full = self.resolve(name)
        from layer_registry._models._construct import construct  # not needed to list

        return construct(self.get(full), kwargs, display=full)

    def provider(self, namespace: str) -> PluginInfo | None:
        """The installed plugin owning ``namespace`` (imports nothing), or None."""
        return next((p for p in self._snapshots() if p.namespace == namespace), None)

    def require_plugin(self, namespace: str) -> PluginInfo:
        """The installed plugin owning ``namespace``; ``PluginError`` saying what to do if none."""
        record = self.provider(namespace)
        if record is None:
            raise PluginError(
                f"no plugin with namespace {namespace!r} is installed; "
                "`layer-registry plugins` lists the installed ones",
                namespace=namespace,
            )
        return record

    def info(self, name: str) -> LayerInfo:
        """The metadata record of the layer ``name``."""
        return self._index.info(self.resolve(name))

    def names(
        self, pattern: str | None = None, *, plugin: str | None = None, tag: str | None = None
    ) -> list[str]:
        """Sorted full names, filtered by a glob ``pattern`` (on the full or the class name).

        Raises ``PluginError`` when ``plugin`` names no installed plugin.
        """
        if plugin is not None:
            self.require_plugin(plugin)
        self._ensure_catalog()
        return self._index.names(pattern, plugin=plugin, tag=tag)

    def search(self, text: str, *, limit: int | None = None) -> list[LayerInfo]:
        """Layers matching the words of ``text``, best first."""
        self._ensure_catalog()
        return self._index.search(text, limit=limit)

    def plugins(self) -> list[PluginInfo]:
        """Every installed plugin with its status and layers (loading them unless cached)."""
        self._ensure_catalog()
        return sorted(
            self._snapshots(), key=lambda p: (p.namespace, canonical_distribution(p.distribution))
        )

    def __iter__(self) -> Iterator[LayerInfo]:
        return iter([self._index.info(name) for name in self.names()])


_default_registry = Registry()


def default_registry() -> Registry:
    """The registry the module-level functions use."""
    return _default_registry
