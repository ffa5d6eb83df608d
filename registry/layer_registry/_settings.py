"""The environment variables layer-registry reads, each parsed here and only here.

Read when asked, never at import: a notebook may set them after ``import layer_registry``.
"""

from __future__ import annotations

import os
from pathlib import Path

ONLY = "LAYER_REGISTRY_ONLY"
DISABLE = "LAYER_REGISTRY_DISABLE"
STRICT = "LAYER_REGISTRY_STRICT"
CACHE = "LAYER_REGISTRY_CACHE"
CACHE_DIR = "LAYER_REGISTRY_CACHE_DIR"
DEBUG = "LAYER_REGISTRY_DEBUG"
"""Show tracebacks of unexpected errors and TensorFlow's start-up lines (``_quiet``)."""
DOCS_PLUGINS = "LAYER_REGISTRY_DOCS_PLUGINS"
"""Namespaces to document when the MkDocs plugin's ``plugins`` option is empty."""
EXAMPLE_WORKERS = "LAYER_REGISTRY_EXAMPLE_WORKERS"
"""How many example worker processes a site build may run at once (default: one a core)."""
CHECK_WORKERS = "LAYER_REGISTRY_CHECK_WORKERS"
"""How many worker processes ``layer-registry check`` spreads layers over (default: one a core;
1 runs them in the command's own process)."""


def names(variable: str) -> frozenset[str] | None:
    """The comma-separated names in ``variable``; None when it is unset or empty."""
    found = {part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()}
    return frozenset(found) if found else None


def flag(variable: str) -> bool:
    """Whether ``variable`` is set to a true value (``1``, ``true``, ``yes``, ``on``)."""
    return os.environ.get(variable, "").strip().lower() in {"1", "true", "yes", "on"}


def count(variable: str) -> int | None:
    """The positive whole number in ``variable``; None when it is unset, empty or not one."""
    text = os.environ.get(variable, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def workers(variable: str) -> int:
    """The worker processes ``variable`` asks for, else one per core this process may use."""
    configured = count(variable)
    if configured is not None:
        return configured
    try:  # affinity: the cores a container or taskset allows, not all the machine has
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cache_dir() -> Path | None:
    """The metadata cache folder; None when ``LAYER_REGISTRY_CACHE=off`` switches it off."""
    if os.environ.get(CACHE, "").strip().lower() in {"0", "off", "false", "no"}:
        return None
    if os.environ.get(CACHE_DIR):
        return Path(os.environ[CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "layer-registry"
