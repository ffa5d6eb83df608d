"""The index: one record per layer, and every way of naming it (resolve, suggest, search)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass

from layer_registry._records import LayerInfo
from layer_registry._records import split_name


@dataclass
class Entry:
    """A layer: its metadata, and its class once its plugin has loaded here."""

    info: LayerInfo
    cls: type | None = None


class Index:
    """Every known layer by full name, with its other names: aliases, plugin names, bare names.

    Metadata comes from the cache or from a plugin's registrations; a class is attached when
    its plugin loads in this process.
    """

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._other_names: dict[str, str] = {}
        """An alias (``ns>OldName``) or a plugin's own name for a class Keras already named."""
        self._bare: dict[str, set[str]] = {}
        self._by_class: dict[type, str] = {}
        self._committed: dict[str, type] = {}

    def add(self, info: LayerInfo, cls: type | None = None) -> None:
        """Index ``info`` (its class too, when loaded); a layer known already keeps its record."""
        entry = self._entries.setdefault(info.name, Entry(info))
        if cls is not None:
            entry.info, entry.cls = info, cls
            self._by_class[cls] = info.name
            for name in (info.name, *info.alias_names):
                self._committed[name] = cls
        self._bare.setdefault(info.class_name, set()).add(info.name)
        if info.plugin_name != info.name:
            self._other_names[info.plugin_name] = info.name
        for alias, alias_name in zip(info.aliases, info.alias_names, strict=True):
            self._other_names[alias_name] = info.name
            self._bare.setdefault(alias, set()).add(info.name)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[LayerInfo]:
        return (entry.info for entry in self._entries.values())

    def info(self, name: str) -> LayerInfo:
        return self._entries[name].info

    def cls(self, name: str) -> type | None:
        """The class of the full name ``name`` when its plugin has loaded here."""
        entry = self._entries.get(name)
        return entry.cls if entry is not None else None

    def name_of(self, cls: type) -> str | None:
        """The full name ``cls`` was committed under, if any."""
        return self._by_class.get(cls)

    def classes(self) -> dict[type, str]:
        """Every loaded class and its full name."""
        return dict(self._by_class)

    def committed(self) -> dict[str, type]:
        """Every name given to Keras for a loaded class (full names and aliases): a copy."""
        return dict(self._committed)

    def known(self, name: str) -> str | None:
        """The full name a full name, an alias or a plugin's name stands for, if known."""
        return name if name in self._entries else self._other_names.get(name)

    def bare(self, name: str) -> list[str]:
        """The full names a bare class name (or alias) may stand for, sorted."""
        return sorted(self._bare.get(name, ()))

    def names(
        self, pattern: str | None = None, *, plugin: str | None = None, tag: str | None = None
    ) -> list[str]:
        """Sorted full names, filtered by a glob ``pattern`` (full or class name) and more."""
        return sorted(
            info.name
            for info in self
            if (plugin is None or info.namespace == plugin)
            and (tag is None or tag in info.tags)
            and (
                pattern is None
                or fnmatch.fnmatchcase(info.name, pattern)
                or fnmatch.fnmatchcase(info.class_name, pattern)
            )
        )

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """The full names closest to ``name``, best first."""
        if len(name) > 200:  # no layer name is that long; and difflib is quadratic
            return []
        by_key: dict[str, set[str]] = {}
        for full in self._entries:
            by_key.setdefault(full.lower(), set()).add(full)
            by_key.setdefault(split_name(full)[1].lower(), set()).add(full)
        for other, full in self._other_names.items():
            by_key.setdefault(other.lower(), set()).add(full)
        import difflib  # here: only a miss needs suggestions

        close = difflib.get_close_matches(name.lower(), by_key, n=limit * 2, cutoff=0.6)
        suggestions: list[str] = []
        for key in close:
            for full in sorted(by_key[key]):
                if full not in suggestions:
                    suggestions.append(full)
        return suggestions[:limit]

    def search(self, text: str, *, limit: int | None = None) -> list[LayerInfo]:
        """Layers matching every word of ``text``, best first (see ``relevance``)."""
        words = [w for w in re.split(r"[\s,]+", text.lower()) if w]
        scored = sorted(((relevance(info, words), info.name) for info in self), key=_rank)
        ranked = [self._entries[name].info for score, name in scored if score > 0]
        return ranked[:limit] if limit is not None else ranked


def _rank(scored: tuple[float, str]) -> tuple[float, str]:
    return -scored[0], scored[1]


def relevance(info: LayerInfo, words: Iterable[str]) -> float:
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
