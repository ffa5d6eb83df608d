"""`layer-registry doctor`: what a publisher checks before a release and a user after an install."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Literal

from layer_registry._records import split_name
from layer_registry._registry import Registry
from layer_registry._registry import _cache

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
    for where, why in registry.skipped:
        findings.append(
            Finding(
                "",
                "warning",
                "install",
                f"{where} {why}: skipped, as pip skips it; reinstall or remove that distribution",
            )
        )
    if namespace is not None:
        registry.require_plugin(namespace)
    from layer_registry._models._spec import keras_layer_names

    builtins = keras_layer_names()
    providers: dict[str, list[str]] = {}
    for name in registry.names():
        providers.setdefault(split_name(name)[1], []).append(name)
    # Each class another plugin tried to register and was refused: its owner hears of it too.
    contested: dict[str, list[str]] = {}
    for record in records:
        for where, _ in record.refused:
            contested.setdefault(where, []).append(record.namespace)

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
        for where, why in record.refused:
            add("error", "registration", f"registered {where}, which was refused: it {why}")
        if not record.layers and not record.refused:
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
            others = [ns for ns in contested.get(info.import_path, []) if ns != record.namespace]
            if others:
                add(
                    "warning",
                    "collision",
                    f"{name} ({info.import_path}) is also registered by plugin(s) "
                    f"{', '.join(map(repr, others))}, refused there: this plugin keeps it",
                )
            if not _defines_get_config(registry.get(name)) and _takes_arguments(registry.get(name)):
                add(
                    "warning",
                    "config",
                    f"{name} defines no get_config(); Keras builds one from the constructor's "
                    "arguments when they are plain values: `layer-registry check "
                    f"{name}` (config_roundtrip) tells whether they round-trip",
                )
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


def _defines_get_config(cls: type) -> bool:
    """Whether a class below Keras's own layers defines ``get_config``."""
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] == "keras":
            return False
        if "get_config" in vars(klass):
            return True
    return False


def _takes_arguments(cls: type) -> bool:
    """Whether the constructor has arguments of its own, beyond ``*args`` and ``**kwargs``."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True
    variadic = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    return any(p.kind not in variadic for p in parameters)
