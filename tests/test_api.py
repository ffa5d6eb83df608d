"""The public API is exactly ``layer_registry.__all__``, and each name in it is documented."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import layer_registry

API_PAGE = Path(__file__).resolve().parents[1] / "site" / "docs" / "reference" / "api.md"


def test_every_public_name_is_in_all_and_every_name_in_all_exists():
    # dir(): names imported on first use count too (the package's __getattr__ provides them).
    public = {
        name
        for name in dir(layer_registry)
        if not name.startswith("_")
        and not isinstance(getattr(layer_registry, name), types.ModuleType)
    }
    assert public == set(layer_registry.__all__) - {"__version__"}
    assert layer_registry.__all__ == sorted(layer_registry.__all__)  # one line per name, sorted


def test_every_name_in_all_has_its_own_docstring_for_the_api_page():
    undocumented = [
        name
        for name in layer_registry.__all__
        if name != "__version__"
        and not (
            inspect.getdoc(getattr(layer_registry, name))
            # Its own docstring, not one inherited from Exception or object.
            and getattr(layer_registry, name).__doc__
        )
    ]
    assert undocumented == []


def test_the_api_page_renders_the_package_and_the_kit():
    text = API_PAGE.read_text(encoding="utf-8")
    assert re.search(r"^::: layer_registry$", text, re.MULTILINE)
    assert re.search(r"^::: layer_registry\.testing$", text, re.MULTILINE)
    # The page renders __all__ (mkdocstrings follows it): nothing else may be listed by hand.
    assert "members:" not in text
