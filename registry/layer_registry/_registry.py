"""The registry: discover plugins, load them on demand, register their layers, resolve names."""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import importlib.metadata
import os
import re
import sys
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from layer_registry import _cache
from layer_registry import _catalog
from layer_registry._construct import construct
from layer_registry._errors import AmbiguousNameError
from layer_registry._errors import LayerNotFoundError
from layer_registry._errors import PluginError
from layer_registry._errors import shown
from layer_registry._ownership import Owners
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._records import PluginStatus
from layer_registry._records import describe_plugin
from layer_registry._records import split_name
from layer_registry._registration import Accepted
from layer_registry._registration import Refusal
from layer_registry._registration import Register
from layer_registry._registration import accept

if TYPE_CHECKING:
    from importlib.metadata import PackageMetadata

    import pluggy

ENTRY_POINT_GROUP = "layer_registry"
NAMESPACE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_LOADED = frozenset({"loaded", "partial"})


def _env_set(variable: str) -> frozenset[str] | None:
    value = os.environ.get(variable, "")
    names = {part.strip() for part in value.split(",") if part.strip()}
    return frozenset(names) if names else None


def canonical_distribution(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


@dataclass
class _Plugin:
    """A discovered plugin and what became of it (mutable; PluginInfo is its snapshot)."""

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
        metadata = self.entry_point.dist.metadata if self.entry_point.dist else None
        return PluginInfo(
            namespace=self.namespace,
            distribution=self.distribution,
            version=self.version,
            # Only a re-entrant lookup from the plugin's own import sees it half-loaded.
            status="not loaded" if self.status == "loading" else self.status,
            error=self.error,
            layers=tuple(sorted(self.layers)),
            summary=_field(metadata, "Summary") if metadata else "",
            home_page=_home_page(metadata) if metadata else "",
            entry_point=self.entry_point.value,
            foreign_names=tuple(self.foreign_names),
            refused=tuple(self.refused),
        )

    def describe(self) -> str:
        return describe_plugin(self.namespace, self.distribution, self.version)


def _field(metadata: PackageMetadata, name: str) -> str:
    """A metadata field's first value, "" when absent (``[]`` warns for a missing one)."""
    return str((metadata.get_all(name) or [""])[0])


def _home_page(metadata: PackageMetadata) -> str:
    if _field(metadata, "Home-page"):
        return _field(metadata, "Home-page")
    for url in metadata.get_all("Project-URL") or []:
        label, _, address = url.partition(",")
        if label.strip().lower() in {"homepage", "home", "source", "repository"}:
            return address.strip()
    return ""


class _InvalidPlugin(Exception):
    """A plugin did something that fails it as a whole (not one class: see ``Refusal``)."""


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
        self._plugins: list[_Plugin] | None = None
        self._classes: dict[str, type] = {}
        self._names: dict[type, str] = {}
        self.resolved: dict[str, type] = {}
        """Names ``get`` has resolved to classes: its fast path (read-only for callers)."""
        self._committed: dict[str, type] = {}  # every name (and alias) registered with Keras
        self._infos: dict[str, LayerInfo] = {}
        self._aliases: dict[str, str] = {}
        self._bare: dict[str, set[str]] = {}
        self._catalog_ready = False
        self._ownership: Owners | None = None
        self.skipped: list[tuple[str, str]] = []
        """Installed distributions skipped for broken metadata: ``(location, why)``."""
        self._pm: pluggy.PluginManager | None = None

    # -- discovery -------------------------------------------------------------------------

    def _discover(self) -> list[_Plugin]:
        if self._plugins is not None:
            return self._plugins
        with self._lock:
            if self._plugins is None:
                only, disable, strict = self._given_only, self._given_disable, self._given_strict
                self._only = (
                    frozenset(only) if only is not None else _env_set("LAYER_REGISTRY_ONLY")
                )
                self._disable = frozenset(
                    disable if disable is not None else (_env_set("LAYER_REGISTRY_DISABLE") or ())
                )
                self._strict = (
                    strict
                    if strict is not None
                    else os.environ.get("LAYER_REGISTRY_STRICT", "") == "1"
                )
                self._plugins = self._read_entry_points()
            return self._plugins

    def _read_entry_points(self) -> list[_Plugin]:
        found = []
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            if dist is not None and not (dist.name and dist.version):
                # A half-finished install (entry_points.txt, but METADATA empty or missing):
                # skipped, as pip skips it; doctor names it.
                where = str(getattr(dist, "_path", "?"))  # no public accessor for the folder
                if where not in {w for w, _ in self.skipped}:
                    self.skipped.append(
                        (where, "declares entry points but has no valid METADATA (name, version)")
                    )
                continue
            found.append(
                _Plugin(
                    entry_point=entry_point,
                    namespace=entry_point.name,
                    distribution=dist.name if dist else entry_point.value,
                    version=dist.version if dist else "",
                )
            )
        # The first distribution in sorted order keeps a contested namespace.
        found.sort(key=lambda p: (canonical_distribution(p.distribution), p.namespace))
        owners: dict[str, _Plugin] = {}
        for plugin in found:
            if not NAMESPACE_PATTERN.fullmatch(plugin.namespace):
                plugin.status = "failed"
                plugin.error = (
                    f"namespace {plugin.namespace!r} is not a lowercase Python identifier; "
                    f"rename the entry point in {plugin.distribution}'s [project.entry-points."
                    f"{ENTRY_POINT_GROUP}]"
                )
            elif plugin.namespace in owners:
                owner = owners[plugin.namespace]
                plugin.status = "failed"
                plugin.error = (
                    f"namespace {plugin.namespace!r} is already provided by distribution "
                    f"{owner.distribution}; uninstall one of the two or rename its entry point"
                )
            elif plugin.namespace in self._disable or (
                self._only is not None and plugin.namespace not in self._only
            ):
                owners[plugin.namespace] = plugin
                plugin.status = "blocked"
                plugin.error = (
                    "blocked by LAYER_REGISTRY_DISABLE"
                    if plugin.namespace in self._disable
                    else "not in LAYER_REGISTRY_ONLY"
                )
            else:
                owners[plugin.namespace] = plugin
        return found

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
            self._discover()
            # Strict mode must see every failure happen, so it never trusts the cache.
            cached = None if self._strict else _cache.read(self.cache_key(), self.settings)
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
            [self._infos[name] for name in sorted(self._infos)],
        )

    def pending(self) -> list[str]:
        """The namespaces of the plugins not loaded (nor failed, nor blocked) yet."""
        return [p.namespace for p in self._discover() if p.status == "not loaded"]

    def mark_failed(self, namespace: str, error: str) -> None:
        """Record the plugin of ``namespace`` as failed without importing it."""
        for plugin in self._discover():
            if plugin.namespace == namespace and plugin.status == "not loaded":
                plugin.status, plugin.error = "failed", error

    def _filter_environment(self) -> dict[str, str | None]:
        """This registry's filters as the environment variables a child reads."""
        self._discover()
        return {
            "LAYER_REGISTRY_ONLY": ",".join(sorted(self._only)) if self._only is not None else None,
            "LAYER_REGISTRY_DISABLE": ",".join(sorted(self._disable)) or None,
        }

    @property
    def settings(self) -> str:
        """This registry's filters, as text: each gets its own metadata cache file."""
        self._discover()
        only = ",".join(sorted(self._only)) if self._only is not None else "*"
        return f"only={only};disable={','.join(sorted(self._disable))}"

    def cache_key(self) -> str:
        """The metadata cache key for what is installed now."""
        return _cache.installed_key([p.entry_point for p in self._discover()])

    def _adopt(self, records: list[PluginInfo], layers: list[LayerInfo]) -> None:
        by_source = {(r.namespace, r.distribution): r for r in records}
        for plugin in self._discover():
            plugin.cached = by_source.get((plugin.namespace, plugin.distribution))
            if plugin.cached is not None and plugin.cached.status == "failed":
                # Not retried until something is installed or edited (the cache key moves):
                # a plugin that crashed its process must not be imported here.
                self.mark_failed(plugin.namespace, plugin.cached.error or "")
        for info in layers:
            if info.name not in self._infos:
                self._index(info)

    def _index(self, info: LayerInfo) -> None:
        self._infos[info.name] = info
        self._bare.setdefault(info.class_name, set()).add(info.name)
        if info.plugin_name != info.name:
            self._aliases[info.plugin_name] = info.name
        for alias, alias_name in zip(info.aliases, info.alias_names, strict=True):
            self._aliases[alias_name] = info.name
            self._bare.setdefault(alias, set()).add(info.name)

    # -- loading ---------------------------------------------------------------------------

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
            count = 0
            for plugin in pending:
                if plugin.status == "not loaded":  # another thread may have loaded it meanwhile
                    count += self._load_plugin(plugin)
            return count

    def _plugin_manager(self) -> pluggy.PluginManager:
        if self._pm is None:
            import pluggy

            from layer_registry import _hookspecs

            pm = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
            pm.add_hookspecs(_hookspecs)
            self._pm = pm
        return self._pm

    def _owners(self) -> Owners:
        if self._ownership is None:
            self._ownership = Owners(
                [(p.entry_point.dist, p.namespace) for p in self._discover() if p.entry_point.dist]
            )
        return self._ownership

    def _load_plugin(self, plugin: _Plugin) -> int:
        import keras

        pm = self._plugin_manager()
        custom_objects = keras.saving.get_custom_objects()
        keras_names_before = dict(custom_objects)
        register = Register(plugin.namespace, plugin.describe())
        plugin.status = "loading"  # a nested load() must not start this one again
        module = None
        try:
            # A plugin printing while it imports must not corrupt a caller's stdout (--json).
            with _stdout_to_stderr():
                module = plugin.entry_point.load()
                pm.register(module, name=plugin.namespace)
                pm.check_pending()  # a misspelt hook name fails the plugin, with the name
                if not pm.get_hookcallers(module) and callable(
                    getattr(module, "register_layers", None)
                ):
                    raise _InvalidPlugin(
                        f"{plugin.describe()} defines register_layers without "
                        "@layer_registry.hookimpl, so it is never called; decorate it"
                    )
                # Only this plugin's hook, with a register bound to it.
                others = [p for p in pm.get_plugins() if p is not module]
                pm.subset_hook_caller("register_layers", others)(register=register)
            register.close()
            self._restore_hijacked(plugin, keras_names_before)
            accepted = self._accept(plugin, register)
        except (Exception, SystemExit) as exc:
            register.close()
            if module is not None and pm.is_registered(module):
                pm.unregister(module)
            self._fail(plugin, exc)
            return 0
        self._commit(plugin, accepted)
        # Names the plugin gave Keras itself, bypassing the registry's checks (doctor shows them).
        own = {n for a in accepted for n in (a.info.name, *a.info.alias_names)}
        plugin.foreign_names = sorted(set(custom_objects) - set(keras_names_before) - own)
        return 1

    def _accept(self, plugin: _Plugin, register: Register) -> list[Accepted]:
        """The plugin's registrations that pass the checks; the others go to ``refused``."""
        accepted: list[Accepted] = []
        taken = dict(self._committed)
        registered = dict(self._names)
        plugin.refused = list(register.refused)
        for request in register.requests:
            try:
                result = accept(
                    request,
                    namespace=plugin.namespace,
                    dist=plugin.entry_point.dist,
                    owners=self._owners(),
                    taken=taken,
                    registered=registered,
                )
            except Refusal as refusal:
                plugin.refused.append((refusal.target, refusal.why))
                continue
            accepted.append(result)
            registered[result.cls] = result.info.name
            for name in (result.info.name, *result.info.alias_names, result.info.plugin_name):
                taken[name] = result.cls
        if self._strict and plugin.refused:
            where, why = plugin.refused[0]
            raise _InvalidPlugin(f"{plugin.describe()} registered {where}, which {why}")
        return accepted

    def _restore_hijacked(self, plugin: _Plugin, before: dict[str, Any]) -> None:
        """Undo a plugin's rebinding of names Keras already had; fail it for trying.

        Keras lets anyone overwrite a registered name (or re-register a class under another
        name, changing what is written into saved files); one plugin must not redirect
        another's layers that way.
        """
        import keras

        custom_objects = keras.saving.get_custom_objects()
        changed = sorted(
            name for name, obj in before.items() if custom_objects.get(name) is not obj
        )
        renamed = sorted(
            name
            for cls, name in self._names.items()
            if keras.saving.get_registered_name(cls) != name
        )
        if not changed and not renamed:
            return
        for name in changed:
            custom_objects[name] = before[name]
        for name in renamed:
            package, class_name = split_name(name)
            keras.saving.register_keras_serializable(package=package, name=class_name)(
                self._classes[name]
            )
        raise _InvalidPlugin(
            f"{plugin.describe()} rebound names Keras already had: "
            + ", ".join(map(repr, changed + renamed))
            + "; the registry restored them. A plugin registers only its own layers, through "
            "register_layers"
        )

    def _fail(self, plugin: _Plugin, exc: BaseException) -> None:
        plugin.status = "failed"
        plugin.error = (
            str(exc)
            if isinstance(exc, _InvalidPlugin)
            else f"{type(exc).__name__}: {exc}".rstrip(": ")
        )
        if self._strict:
            raise PluginError(
                f"{plugin.describe()} failed to load: {plugin.error}",
                namespace=plugin.namespace,
                distribution=plugin.distribution,
                version=plugin.version,
            ) from exc

    def _commit(self, plugin: _Plugin, accepted: list[Accepted]) -> None:
        import keras

        custom_objects = keras.saving.get_custom_objects()
        for registration in accepted:
            cls, info = registration.cls, registration.info
            if not registration.known_to_keras:
                keras.saving.register_keras_serializable(
                    package=info.namespace, name=cls.__name__
                )(cls)
            self._committed[info.name] = cls
            for alias in info.alias_names:
                # Not through register_keras_serializable: that would make Keras save the class
                # under its old name. Loading needs only the name-to-class direction.
                custom_objects[alias] = cls
                self._committed[alias] = cls
            self._classes[info.name] = cls
            self._names[cls] = info.name
            self._index(info)
            plugin.layers.append(info.name)
        plugin.status = "partial" if plugin.refused else "loaded"

    # -- lookup ----------------------------------------------------------------------------

    def get(self, name: str) -> type:
        """The layer class registered under ``name`` (full name, unique bare name or alias)."""
        cls = self.resolved.get(name)
        if cls is not None:
            return cls
        full = self.resolve(name)
        if full not in self._classes:
            namespace = self._infos[full].namespace
            self.load([namespace])
            if full not in self._classes:
                self._raise_for_plugin(namespace, full)
                raise LayerNotFoundError(
                    name,
                    message=(
                        f"{full!r} is in the metadata cache but its plugin no longer registers "
                        "it; run `layer-registry list` again after reinstalling the plugin"
                    ),
                )
        cls = self._classes[full]
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
            if self._known(name) is None and not self._adopt_cache():
                self.load([package])  # a plugin's own name needs only that plugin
            if (full := self._known(name)) is not None:
                return full
            self._raise_for_plugin(package, name)
            # A name a library gave its class (``Custom>TCN``) may come from any plugin.
            self._ensure_catalog()
            if (full := self._known(name)) is not None:
                return full
        else:
            self._ensure_catalog()
            matches = self._bare.get(name, set())
            if len(matches) == 1:
                return next(iter(matches))
            if len(matches) > 1:
                raise AmbiguousNameError(name, sorted(matches))
        self._ensure_catalog()
        raise LayerNotFoundError(name, self._suggest(name))

    def _known(self, name: str) -> str | None:
        """The full name a full name or alias stands for, among the layers known so far."""
        return name if name in self._infos else self._aliases.get(name)

    def providers(self, names: Iterable[str]) -> dict[str, str | None]:
        """The namespace of the plugin providing each registered name, None for no plugin.

        Answers from the metadata cache when it is warm. Cold, a name in a plugin's namespace
        loads that plugin alone; any other (a name a library gave its class) loads them all.
        """
        found: dict[str, str | None] = {}
        for name in names:
            try:
                full = self.resolve(name) if split_name(name)[0] else None
            except LayerNotFoundError:
                full = None
            found[name] = self._infos[full].namespace if full is not None else None
        return found

    def _raise_for_plugin(self, namespace: str, name: str) -> None:
        """Explain a miss inside a namespace whose plugin is installed but did not load it."""
        for plugin in self._discover():
            if plugin.namespace != namespace:
                continue
            record = plugin.snapshot()
            if record.status in {"failed", "blocked"}:
                why = "was blocked" if record.status == "blocked" else "failed to load"
                raise LayerNotFoundError(
                    name,
                    message=(
                        f"{shown(name)} would come from {plugin.describe()}, which {why}: "
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
                            f"{shown(name)} was refused by the registry: {plugin.describe()} "
                            f"registered {where}, which {why}"
                        ),
                        plugin=record,
                    )

    def _suggest(self, name: str, limit: int = 5) -> list[str]:
        if len(name) > 200:  # no layer name is that long; and difflib is quadratic
            return []
        by_key: dict[str, set[str]] = {}
        for full in self._infos:
            by_key.setdefault(full.lower(), set()).add(full)
            by_key.setdefault(split_name(full)[1].lower(), set()).add(full)
        for alias, full in self._aliases.items():
            by_key.setdefault(alias.lower(), set()).add(full)
        close = difflib.get_close_matches(name.lower(), by_key, n=limit * 2, cutoff=0.6)
        suggestions: list[str] = []
        for key in close:
            for full in sorted(by_key[key]):
                if full not in suggestions:
                    suggestions.append(full)
        return suggestions[:limit]

    def create(self, name: str, /, **kwargs: Any) -> Any:
        """An instance of the layer ``name``, built with ``kwargs``."""
        full = self.resolve(name)
        return construct(self.get(full), kwargs, display=full)

    def provider(self, namespace: str) -> PluginInfo | None:
        """The installed plugin owning ``namespace`` (imports nothing), or None."""
        for plugin in self._discover():  # sorted: a contested namespace's owner comes first
            if plugin.namespace == namespace:
                return plugin.snapshot()
        return None

    def info(self, name: str) -> LayerInfo:
        """The metadata record of the layer ``name``."""
        return self._infos[self.resolve(name)]

    def names(
        self, pattern: str | None = None, *, plugin: str | None = None, tag: str | None = None
    ) -> list[str]:
        """Sorted full names, filtered by a glob ``pattern`` (on the full or the class name).

        Raises ``PluginError`` when ``plugin`` names no installed plugin.
        """
        if plugin is not None and self.provider(plugin) is None:
            raise PluginError(
                f"no plugin with namespace {plugin!r} is installed; "
                "`layer-registry plugins` lists the installed ones",
                namespace=plugin,
            )
        self._ensure_catalog()
        return sorted(
            info.name
            for info in self._infos.values()
            if (plugin is None or info.namespace == plugin)
            and (tag is None or tag in info.tags)
            and (
                pattern is None
                or fnmatch.fnmatchcase(info.name, pattern)
                or fnmatch.fnmatchcase(info.class_name, pattern)
            )
        )

    def search(self, text: str, *, limit: int | None = None) -> list[LayerInfo]:
        """Layers matching the words of ``text``, best first (see ``_relevance``)."""
        self._ensure_catalog()
        words = [w for w in re.split(r"[\s,]+", text.lower()) if w]
        scored = [(_relevance(info, words), info.name) for info in self._infos.values()]
        ranked = [
            self._infos[name]
            for score, name in sorted(scored, key=lambda s: (-s[0], s[1]))
            if score > 0
        ]
        return ranked[:limit] if limit is not None else ranked

    def plugins(self) -> list[PluginInfo]:
        """Every installed plugin with its status and layers (loading them unless cached)."""
        self._ensure_catalog()
        return sorted(
            (plugin.snapshot() for plugin in self._discover()),
            key=lambda p: (p.namespace, canonical_distribution(p.distribution)),
        )

    def __iter__(self) -> Iterator[LayerInfo]:
        return iter([self._infos[name] for name in self.names()])


def _relevance(info: LayerInfo, words: list[str]) -> float:
    """Score a layer for a search: every word must match somewhere; names weigh most."""
    class_name, summary, doc = info.class_name.lower(), info.summary.lower(), info.doc.lower()
    tags = [tag.lower() for tag in info.tags]
    total = 0.0
    for word in words:
        score = 0.0
        if word in (class_name, info.name.lower()) or word in map(str.lower, info.aliases):
            score += 100
        elif word in class_name or word in info.namespace:
            score += 30
        if word in tags:
            score += 20
        elif any(word in tag for tag in tags):
            score += 10
        if word in summary:
            score += 8
        score += min(doc.count(word), 5)
        if score == 0:
            return 0.0
        total += score
    return total


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point ``sys.stdout`` and file descriptor 1 at stderr for a while.

    A plugin may print from C or with ``os.write(1, ...)``, past ``sys.stdout``. Process-wide
    for the moment a plugin loads: another thread printing then writes to stderr too.
    """
    with contextlib.redirect_stdout(sys.stderr):
        sys.stderr.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no fd 1 at all: nothing to protect
            yield
            return
        try:
            os.dup2(2, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


_default_registry = Registry()


def default_registry() -> Registry:
    """The registry the module-level functions use."""
    return _default_registry
