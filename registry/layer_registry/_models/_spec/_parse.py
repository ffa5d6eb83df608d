"""Reading a spec file: JSON or YAML, as plain data, within the limits of ``_size``."""

from __future__ import annotations

import functools
import json
import os
from typing import Any
from typing import NoReturn

from layer_registry._errors import SpecError
from layer_registry._errors import shown
from layer_registry._models._construct import shorten
from layer_registry._models._spec._size import _TOO_MANY_DIGITS
from layer_registry._models._spec._size import MAX_CHARACTERS
from layer_registry._models._spec._size import MAX_DEPTH
from layer_registry._models._spec._size import MAX_INT_DIGITS
from layer_registry._models._spec._size import MAX_VALUES


def _read(file: str) -> Any:
    try:
        with open(file, encoding="utf-8") as stream:
            # Never more than a spec may hold (a spec "file" may be /dev/zero, of size 0), and
            # no buffer that large for a small file.
            size = os.fstat(stream.fileno()).st_size
            text = stream.read(min(size or 2 * MAX_CHARACTERS, 2 * MAX_CHARACTERS) + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the spec: {exc}", file=file) from exc
    if len(text) > 2 * MAX_CHARACTERS:
        raise SpecError(
            f"the file holds more than {2 * MAX_CHARACTERS:,} characters, more than a spec may "
            f"(at most {MAX_CHARACTERS:,} characters of text)",
            file=file,
        )
    try:
        return _parse(text, file)
    except SpecError as exc:  # a limit, raised while parsing: name the file
        raise SpecError(exc.problem, exc.path, file=file, line=exc.line) from None
    except RecursionError:
        # JSON nested deeper than Python's stack, or a chain of YAML merge keys as deep.
        raise SpecError(f"nested more than {MAX_DEPTH} levels deep", file=file) from None


def _parse(text: str, file: str) -> Any:
    if file.endswith(".json"):
        try:
            return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
            ) from None
        except _DuplicateKey as exc:
            raise SpecError(
                f"not valid: the key {shown(exc.args[0])} appears twice", file=file
            ) from None
    import yaml

    try:
        # A safe loader: a spec is data; YAML tags that construct Python objects are refused.
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError(
            f"not valid YAML: {shorten(problem or str(exc))}",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {shorten(str(exc))}", file=file) from None


class _DuplicateKey(Exception):
    pass


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise SpecError(_TOO_MANY_DIGITS)
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


@functools.cache
def _yaml_loader() -> type:
    """``yaml.SafeLoader`` for specs: plain keys, each given once, and bounded sizes.

    Refusals that are not YAML syntax errors raise ``SpecError`` with the line.
    """
    import yaml

    def refuse(problem: str, mark: Any) -> NoReturn:
        raise SpecError(problem, line=mark.line + 1 if mark else None)

    class SpecLoader(yaml.SafeLoader):
        depth = 0
        merged = 0

        def compose_sequence_node(self, anchor: Any) -> Any:
            return self._nested(super().compose_sequence_node, anchor)

        def compose_mapping_node(self, anchor: Any) -> Any:
            return self._nested(super().compose_mapping_node, anchor)

        def _nested(self, compose: Any, anchor: Any) -> Any:
            # The composer recurses once per level: stop before Python's stack does.
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    refuse(
                        f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                    )
                return compose(anchor)
            finally:
                self.depth -= 1

        def flatten_mapping(self, node: Any) -> None:
            # A merge key (<<: *defaults) copies the merged pairs into the mapping, so a chain
            # of merges copies quadratically many: count the copies of the whole document.
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merged = value_node.value if value_node.id == "sequence" else [value_node]
                    for subnode in merged:
                        if subnode.id == "mapping":
                            self.flatten_mapping(subnode)
                            self.merged += len(subnode.value)
                    if self.merged > MAX_VALUES:
                        refuse(
                            f"the merge keys (<<) of this spec copy more than {MAX_VALUES:,} "
                            "values; that is the most a spec may hold",
                            key_node.start_mark,
                        )
            super().flatten_mapping(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # merged keys may be given again: that is what merging is for
                if key_node.id != "scalar":
                    kind = "list" if key_node.id == "sequence" else "mapping"
                    refuse(
                        f"a key must be a plain value such as a name, not a {kind}",
                        key_node.start_mark,
                    )
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    refuse(f"not valid: the key {shown(key)} appears twice", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

        def construct_yaml_int(self, node: Any) -> int:
            digits = node.value.lstrip("+-").replace("_", "")
            if len(digits.removeprefix("0x").removeprefix("0o").removeprefix("0b")) > (
                MAX_INT_DIGITS
            ):
                refuse(_TOO_MANY_DIGITS, node.start_mark)
            return super().construct_yaml_int(node)

    SpecLoader.add_constructor("tag:yaml.org,2002:int", SpecLoader.construct_yaml_int)
    return SpecLoader
