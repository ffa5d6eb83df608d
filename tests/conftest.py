from __future__ import annotations

import importlib
import itertools
import os
import uuid
from pathlib import Path

import pytest

from support import LIBRARY_PLUGINS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True, scope="session")
def _private_metadata_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep the tests' metadata cache away from the developer's own (subprocesses inherit it)."""
    folder = tmp_path_factory.getbasetemp() / "metadata-cache"
    previous = os.environ.get("LAYER_REGISTRY_CACHE_DIR")
    os.environ["LAYER_REGISTRY_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["LAYER_REGISTRY_CACHE_DIR"]
    else:
        os.environ["LAYER_REGISTRY_CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def _without_library_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core's tests see the bundled core plugins, not keras-hub's and keras-rs's wrappers."""
    monkeypatch.setenv("LAYER_REGISTRY_DISABLE", LIBRARY_PLUGINS)


_counter = itertools.count()


@pytest.fixture
def unique() -> str:
    """A token that keeps module names and namespaces apart across tests in one process."""
    return f"t{uuid.uuid4().hex[:6]}{next(_counter)}"


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path`` into which tests write throw-away plugin distributions."""
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return root
