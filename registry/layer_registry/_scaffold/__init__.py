"""`layer-registry new`: a complete plugin project rendered from the templates in templates/."""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Callable
from pathlib import Path

from layer_registry._errors import RegistryError
from layer_registry._registry import NAMESPACE_PATTERN

TEMPLATES = Path(__file__).parent / "templates" / "plugin"
_DISTRIBUTION = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_CLASS = re.compile(r"[A-Z][A-Za-z0-9]*")
_SHADOWED = frozenset({"layer_registry", "keras", "tensorflow", "jax", "numpy", "pytest"})


class ScaffoldError(RegistryError):
    """``layer-registry new`` cannot create the project; nothing was written."""


def default_namespace(name: str) -> str:
    """``acme-layers`` -> ``acme``; ``layer-registry-acme`` -> ``acme``."""
    stem = re.sub(r"^layer[-_.]registry[-_.]|[-_.]layers$", "", name.lower())
    return re.sub(r"[^a-z0-9]+", "_", stem).strip("_")


def new_plugin(
    name: str,
    *,
    namespace: str | None = None,
    layer: str = "GatedLinear",
    output: Path | None = None,
    is_installed: Callable[[str], bool] = lambda namespace: False,
) -> list[Path]:
    """Write a plugin project for distribution ``name``; return the files written.

    Validates everything first and refuses to overwrite any file, so on error nothing is left
    half-written.
    """
    if not _DISTRIBUTION.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a valid distribution name; use letters, digits and '-', "
            "e.g. 'acme-layers'"
        )
    # The package is imported by name, so it must be an identifier: '3d-layers' -> '3d_layers'
    # would be a SyntaxError in every import of it.
    package = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not package.isidentifier() or keyword.iskeyword(package):
        raise ScaffoldError(
            f"{name!r} would make the Python package {package!r}, which cannot be imported; "
            "start the distribution name with a letter and avoid keywords, e.g. "
            "'acme-layers' (--namespace chooses the layer names separately)"
        )
    if package in _SHADOWED or package in sys.stdlib_module_names:
        raise ScaffoldError(f"{name!r} would shadow the package {package!r}; choose another name")
    namespace = namespace or default_namespace(name)
    if not NAMESPACE_PATTERN.fullmatch(namespace) or keyword.iskeyword(namespace):
        raise ScaffoldError(
            f"namespace {namespace!r} must be a lowercase Python identifier that is not a "
            "keyword, e.g. 'acme'; pass --namespace"
        )
    if is_installed(namespace):
        raise ScaffoldError(
            f"namespace {namespace!r} is already used by an installed plugin (see "
            "`layer-registry plugins`); choose another with --namespace"
        )
    module = re.sub(r"(?<!^)(?=[A-Z])", "_", layer).lower()
    if not _CLASS.fullmatch(layer) or keyword.iskeyword(layer) or keyword.iskeyword(module):
        raise ScaffoldError(
            f"layer class {layer!r} must be a CapWords identifier whose module name "
            f"({module!r}) is not a Python keyword, e.g. 'Gated'; pass --layer"
        )
    target = Path(output) if output is not None else Path(name)

    import jinja2

    from layer_registry._version import __version__

    values = {
        "name": name,
        "namespace": namespace,
        "package": package,
        "cls": layer,
        "module": module,
        "core_version": __version__,
    }
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    rendered: dict[Path, str] = {}
    for template in sorted(TEMPLATES.rglob("*.j2")):
        relative = template.relative_to(TEMPLATES).as_posix()
        path = environment.from_string(relative[: -len(".j2")]).render(values)
        path = re.sub(r"(^|/)gitignore$", r"\1.gitignore", path)
        rendered[target / path] = environment.get_template(relative).render(values)
    existing = sorted(str(path) for path in rendered if path.exists())
    if existing:
        raise ScaffoldError(
            f"refusing to overwrite {len(existing)} existing file(s), e.g. {existing[0]}; "
            "choose another folder with -o"
        )
    for written, text in rendered.items():
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(text, encoding="utf-8")
    return sorted(rendered)
