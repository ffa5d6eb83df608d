"""`layer-registry doctor`: what a publisher checks before a release and a user after an install."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from layer_registry import _cache
from layer_registry._registry import Registry

Level = Literal["error", "warning", "ok"]


@dataclass(frozen=True)
class Finding:
    """One observation about one plugin (``namespace`` is empty for the environment)."""

    namespace: str
    level: Level
    check: str
    message: str


def diagnose(registry: Registry, namespace: str | None = None) -> list[Finding]:
    """Check the installed plugins (only ``namespace`` if given); loads them all."""
    findings: list[Finding] = []
    settings = registry.settings
    stale = _cache.stored_key(settings) not in (None, registry.cache_key())
    registry.refresh()  # loads every plugin for real and rewrites the metadata cache
    records = registry.plugins()
    if _cache.cache_file(settings) is not None:
        if _cache.stored_key(settings) != registry.cache_key():
            findings.append(
                Finding(
                    "",
                    "warning",
                    "cache",
                    f"the metadata cache "
                    f"{_cache.cache_file(settings)} cannot be written; listing stays slow "
                    "(set LAYER_REGISTRY_CACHE_DIR to a writable folder)",
                )
            )
        elif stale:
            findings.append(
                Finding(
                    "",
                    "ok",
                    "cache",
                    "the metadata cache was stale (something "
                    "was installed or edited since); rebuilt it",
                )
            )
    if namespace is not None and namespace not in {r.namespace for r in records}:
        from layer_registry._errors import PluginError

        raise PluginError(
            f"no plugin with namespace {namespace!r} is installed; see `layer-registry plugins`",
            namespace=namespace,
        )
    from layer_registry._spec import keras_layer_names

    builtins = keras_layer_names()
    providers: dict[str, list[str]] = {}
    for name in registry.names():
        providers.setdefault(name.split(">", 1)[1], []).append(name)

    for record in records:
        if namespace is not None and record.namespace != namespace:
            continue

        def add(level: Level, check: str, message: str, ns: str = record.namespace) -> None:
            findings.append(Finding(ns, level, check, message))

        source = f"{record.distribution} {record.version}"
        if record.status == "failed":
            add("error", "loads", f"{source} failed to load: {record.error}")
            continue
        if record.status == "blocked":
            add("warning", "blocked", f"{source} is installed but {record.error}")
            continue
        add("ok", "loads", f"{source} loads and registers {len(record.layers)} layer(s)")
        if not record.layers:
            add("warning", "layers", "registers no layers; does register_layers call register()?")
        for field, value in (("summary", record.summary), ("home page", record.home_page)):
            if not value:
                add(
                    "warning",
                    "metadata",
                    f"{record.distribution} declares no {field} "
                    "(description / [project.urls] Homepage in pyproject.toml)",
                )
        if record.foreign_names:
            add(
                "warning",
                "namespace",
                "registered names with Keras outside the registry: "
                + ", ".join(record.foreign_names)
                + "; register layers through the hook only",
            )
        for name in record.layers:
            info = registry.info(name)
            if not info.summary:
                add("warning", "docstring", f"{name} has no docstring summary line")
            if info.input_shape is None:
                add(
                    "warning",
                    "example",
                    f"{name} was registered without input_shape: no runnable example or checks",
                )
            if info.class_name in builtins:
                add(
                    "warning",
                    "collision",
                    f"{name} shares its class name with Keras's "
                    f"built-in layers.{info.class_name}: a bare {info.class_name!r} in a model "
                    "spec means Keras's",
                )
            others = [n for n in providers.get(info.class_name, []) if n != name]
            if others:
                add(
                    "warning",
                    "collision",
                    f"the bare name {info.class_name!r} is ambiguous: "
                    f"also {', '.join(others)}; users must write {name!r}",
                )
    return findings
