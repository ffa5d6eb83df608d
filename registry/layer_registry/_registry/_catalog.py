"""Building the metadata of every plugin in a child process.

A cold listing imports every plugin. Done in a child process, a plugin that crashes natively
(a segfault in an extension, ``os._exit`` at import) takes only that child down: the parent
knows which plugin the child was importing, records it as failed with how the process ended,
and starts another child for the rest. The parent itself imports no plugin and no TensorFlow.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict

from layer_registry._child import Child
from layer_registry._child import channel
from layer_registry._child import environment
from layer_registry._child import send
from layer_registry._records import LayerInfo
from layer_registry._records import PluginInfo
from layer_registry._registry import _cache

SLOW_IMPORT = 5.0
"""Seconds one plugin may take to import before the user is told which one it is."""

logger = logging.getLogger("layer_registry")


class ChildFailed(Exception):
    """The child could not build the catalog for a reason no plugin explains."""


def build(
    filters: Mapping[str, str | None],
) -> tuple[list[PluginInfo], list[LayerInfo]]:
    """Every plugin's record and every layer's, as a child process loading them sees them.

    ``filters`` are the registry's ``LAYER_REGISTRY_ONLY`` / ``LAYER_REGISTRY_DISABLE`` values
    (None: unset). Raises ``ChildFailed`` when a child dies before any plugin explains it.
    """
    crashed: dict[str, str] = {}
    while True:
        with Child(
            ["-c", "from layer_registry._registry._catalog import main; main()"],
            env=environment(
                LAYER_REGISTRY_STRICT=None, LAYER_REGISTRY_CACHE="off", **dict(filters)
            ),
            name="catalog",
        ) as child:
            child.send({"crashed": crashed})
            importing: str | None = None
            since = time.monotonic()
            told = False
            while True:
                event = child.receive(timeout=1.0)
                if event == "timeout":
                    if importing and not told and time.monotonic() - since > SLOW_IMPORT:
                        logger.warning(
                            "still importing plugin %r after %.0f s (only the first listing "
                            "after an install or an edit imports the plugins)",
                            importing,
                            SLOW_IMPORT,
                        )
                        told = True
                    continue
                if event == "ended":
                    break
                if "importing" in event:
                    importing, since, told = str(event["importing"]), time.monotonic(), False
                elif "plugins" in event:
                    _replay(child.stderr_text())
                    return (
                        [_cache.plugin_from_json(item) for item in event["plugins"]],
                        [_cache.layer_from_json(item) for item in event["layers"]],
                    )
            _replay(child.stderr_text())
            ending = child.exit_description()
            if importing is None or importing in crashed:
                raise ChildFailed(f"the process loading the plugins {ending}{child.stderr_tail()}")
            crashed[importing] = f"the process importing it {ending}"


def _replay(text: str) -> None:
    """What the plugins printed while they loaded, on this process's stderr."""
    if text.strip():
        sys.stderr.write(text.rstrip("\n") + "\n")


def main() -> None:
    """In the child: load every plugin, announcing each, then send every record."""
    import json

    from layer_registry._registry import default_registry

    events = channel()
    request = json.loads(sys.stdin.readline() or "{}")
    import keras  # noqa: F401  (the framework's start is no plugin's slow import)

    registry = default_registry()
    for namespace, error in request.get("crashed", {}).items():
        registry.mark_failed(namespace, error)
    for namespace in registry.pending():
        send(events, importing=namespace)
        registry.load([namespace])
    plugins, layers = registry.records()
    send(events, plugins=[asdict(p) for p in plugins], layers=[asdict(i) for i in layers])
