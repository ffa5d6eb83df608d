"""Temporary: moved to ``layer_registry._registry._cache`` (removed once every caller follows)."""

from layer_registry._registry._cache import source_files as source_files
from layer_registry._registry._cache import top_package as top_package
from layer_registry._settings import cache_dir as cache_dir
