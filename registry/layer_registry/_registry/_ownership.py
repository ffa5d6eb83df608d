"""Which installed distribution holds a class: the rule that decides who may register it.

A plugin may register a class whose module file its own distribution installs, or one that a
distribution it requires installs (a plugin adopting a library). Ownership is by distribution,
not by package name: several entry points of one distribution share a package freely, and two
distributions sharing a namespace package do not own each other's modules.

What a distribution holds is read from its metadata, importing nothing: the files its
``RECORD`` lists (wheels, and folders on ``sys.path`` with a ``.dist-info``), and for an editable
install the folders its ``.pth`` file puts on ``sys.path`` (or the project folder that
``direct_url.json`` names).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from dataclasses import dataclass
from functools import cached_property

from layer_registry._registry._discovery import canonical_distribution
from layer_registry._registry._discovery import identity


@dataclass(frozen=True)
class Claim:
    """A distribution's claim on a file; a more specific claim beats a looser one."""

    distribution: str
    """The canonical distribution name."""
    specificity: int
    """How exactly it claims the file: a ``RECORD`` entry beats a folder, a deeper folder a
    shallower one (an editable core checked out around its plugins claims them only loosely)."""


class Holdings:
    """The files and folders one installed distribution holds."""

    def __init__(self, dist: importlib.metadata.Distribution) -> None:
        self.dist = dist
        self.display_name = identity(dist)[0]
        self.name = canonical_distribution(self.display_name)

    @cached_property
    def _claims(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The module files and the folders (deepest first) this distribution holds."""
        files = {
            _normal(str(self.dist.locate_file(entry)))
            for entry in self.dist.files or ()
            if entry.suffix == ".py"
        }
        folders = _editable_folders(self.dist)
        if not files and not folders:
            # A hand-made .dist-info with an empty RECORD: the packages its entry points name
            # are the best evidence left.
            files, folders = _entry_point_modules(self.dist)
        ordered = sorted({_normal(f) for f in folders}, key=len, reverse=True)
        return frozenset(files), tuple(ordered)

    def claim(self, path: str) -> Claim | None:
        """This distribution's claim on the module file ``path`` (normalised), if any."""
        files, folders = self._claims
        if path in files:
            return Claim(self.name, sys.maxsize)
        for folder in folders:  # deepest first
            if path.startswith(folder + os.sep):
                return Claim(self.name, len(folder))
        # Where Python really imported the plugin's packages from: a project folder run from
        # (pytest in a plugin's checkout) shadows the installed copy, and is the plugin's code.
        for folder in _imported_folders(self.dist):
            if path.startswith(folder + os.sep):
                return Claim(self.name, len(folder))
        return None

    @cached_property
    def requires(self) -> frozenset[str]:
        """Canonical names of the distributions this one requires (extras left out)."""
        # Imported here: packaging's grammar costs ~30 ms to import, and most loads never get
        # this far (a class listed in its plugin's own RECORD is settled without it).
        from packaging.markers import UndefinedEnvironmentName
        from packaging.requirements import InvalidRequirement
        from packaging.requirements import Requirement

        names = set()
        for line in self.dist.requires or ():
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            try:
                if requirement.marker is not None and not requirement.marker.evaluate(
                    {"extra": ""}
                ):
                    continue
            except UndefinedEnvironmentName:
                continue
            names.add(canonical_distribution(requirement.name))
        return frozenset(names)


def holder(path: str, candidates: list[Holdings]) -> Holdings | None:
    """The candidate with the most specific claim on the module file ``path``."""
    best: tuple[int, Holdings] | None = None
    for holdings in candidates:
        claim = holdings.claim(path)
        if claim is not None and (best is None or claim.specificity > best[0]):
            best = (claim.specificity, holdings)
    return best[1] if best else None


def module_file(cls: type) -> str | None:
    """The normalised path of the file defining ``cls``, or None (``__main__``, generated)."""
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    return _normal(file) if isinstance(file, str) else None


def installed(name: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _normal(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _editable_folders(dist: importlib.metadata.Distribution) -> list[str]:
    direct_url = dist.read_text("direct_url.json")
    try:
        data = json.loads(direct_url) if direct_url else {}
        editable = bool(data.get("dir_info", {}).get("editable"))
    except (ValueError, AttributeError):
        return []
    if not editable:
        return []
    folders: list[str] = []
    for entry in dist.files or ():
        if entry.suffix != ".pth":
            continue
        try:
            lines = entry.read_text().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        # A .pth line is a folder for sys.path, or code (setuptools' finder) when it starts
        # with "import".
        folders += [
            line.strip() for line in lines if line.strip() and not line.startswith("import")
        ]
    folders = [f for f in folders if os.path.isdir(f)]
    if not folders and isinstance(data.get("url"), str) and data["url"].startswith("file://"):
        from urllib.parse import unquote
        from urllib.parse import urlparse

        folders = [unquote(urlparse(data["url"]).path)]
    return folders


def _imported_folders(dist: importlib.metadata.Distribution) -> list[str]:
    """The folders of the imported top-level packages that ``dist``'s entry points name."""
    folders = []
    for entry_point in dist.entry_points:
        module = sys.modules.get(entry_point.value.split(":")[0].split(".")[0])
        for folder in getattr(module, "__path__", None) or ():
            folders.append(_normal(folder))
    return folders


def _entry_point_modules(dist: importlib.metadata.Distribution) -> tuple[set[str], list[str]]:
    """The files and package folders of the top-level modules ``dist``'s entry points name."""
    import importlib.util

    files: set[str] = set()
    folders: list[str] = []
    for entry_point in dist.entry_points:
        top = entry_point.value.split(":")[0].split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            folders += list(spec.submodule_search_locations)
        elif spec.origin:
            files.add(_normal(spec.origin))
    return files, folders


class OwnershipError(Exception):
    """A plugin may not register this class; the message says why."""


class Owners:
    """Decides which plugin may register a class, from what each distribution holds."""

    def __init__(self, plugins: list[tuple[importlib.metadata.Distribution, str]]) -> None:
        """``plugins``: each installed plugin's distribution and namespace."""
        self._holdings: dict[str, Holdings | None] = {}
        self._plugins: dict[str, list[str]] = {}
        """Canonical distribution name -> the namespaces of its entry points."""
        for dist, namespace in plugins:
            self._plugins.setdefault(self.holdings(dist).name, []).append(namespace)

    def holdings(self, dist: importlib.metadata.Distribution) -> Holdings:
        name = canonical_distribution(identity(dist)[0])
        found = self._holdings.get(name)
        if found is None:
            found = self._holdings[name] = Holdings(dist)
        return found

    def _installed(self, name: str) -> Holdings | None:
        if name not in self._holdings:
            dist = installed(name)
            self._holdings[name] = Holdings(dist) if dist is not None else None
        return self._holdings[name]

    def library(self, cls: type, dist: importlib.metadata.Distribution) -> Holdings | None:
        """The library ``cls`` comes from (None: ``dist`` itself), if ``dist`` may register it.

        Raises ``OwnershipError`` when the class belongs to another plugin's distribution, or
        to no distribution that ``dist`` is or requires.
        """
        own = self.holdings(dist)
        path = module_file(cls)
        if path is None:
            # No file (a class made at run time): judge by the module's name alone.
            tops = {ep.value.split(":")[0].split(".")[0] for ep in dist.entry_points}
            if cls.__module__.split(".")[0] in tops:
                return None
            raise OwnershipError(
                f"is defined in module {cls.__module__!r}, which has no file in "
                f"{own.display_name}; define layers in the modules your distribution installs"
            )
        claim = own.claim(path)
        if claim is not None and claim.specificity == sys.maxsize:
            return None  # listed in the distribution's own RECORD: no other claim beats it
        candidates = [own]
        for name in sorted(set(self._plugins) | own.requires):
            other = self._installed(name)
            if other is not None and other is not own:
                candidates.append(other)
        owner = holder(path, candidates)
        if owner is own:
            return None
        if owner is not None and owner.name in self._plugins:
            namespaces = ", ".join(map(repr, self._plugins[owner.name]))
            raise OwnershipError(
                f"belongs to plugin {namespaces} (distribution {owner.display_name}); a plugin "
                "registers only its own classes and those of libraries it requires"
            )
        if owner is not None and owner.name in own.requires:
            return owner
        where = f"distribution {owner.display_name}" if owner is not None else path
        raise OwnershipError(
            f"is defined in {where}, which {own.display_name} neither is nor requires; add "
            f"the library to {own.display_name}'s dependencies, or register only its own classes"
        )
