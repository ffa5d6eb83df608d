"""The code the site runs for a layer: its generated example and its docstring's examples."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from layer_registry._records import LayerInfo


def literal(value: Any) -> str:
    """``value`` as Python source, strings in double quotes as in the rest of the docs."""
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def create_call(info: LayerInfo) -> str:
    """``layer_registry.create("ns>Name", ...)`` with the registered example arguments."""
    arguments = "".join(f", {key}={literal(value)}" for key, value in info.example.items())
    return f"layer_registry.create({literal(info.name)}{arguments})"


def example_code(info: LayerInfo) -> str:
    """The runnable example of ``info``: create it by name, call it on an example input."""
    lines = [
        "import keras",
        "import numpy as np",
        "import layer_registry",
        "",
        "np.set_printoptions(precision=3, suppress=True, threshold=64, edgeitems=3)",
        f"layer = {create_call(info)}",
    ]
    if info.input_shape is None:
        lines += ["print(layer)"]
        return "\n".join(lines) + "\n"
    lines.append("rng = np.random.default_rng(0)")
    if info.multiple_inputs:
        dtypes = info.input_dtype
        if isinstance(dtypes, str):
            dtypes = (dtypes,) * len(info.input_shape)
        lines.append("x = [")
        for shape, dtype in zip(info.input_shape, dtypes, strict=False):
            lines.append(f"    {_random_input(shape, dtype)},")
        lines.append("]")
    else:
        lines.append(f"x = {_random_input(info.input_shape, str(info.input_dtype))}")
    lines += [
        "y = layer(x)",
        'print("output shape:", tuple(y.shape))',
        'print("parameters:", layer.count_params())',
        'print("first sample:")',
        "print(keras.ops.convert_to_numpy(y)[0])",
    ]
    return "\n".join(lines) + "\n"


def _random_input(shape: Any, dtype: str) -> str:
    size = tuple(1 if d is None else d for d in shape)
    if dtype.startswith(("int", "uint")):
        return f"rng.integers(0, 10, size={size!r}).astype({literal(dtype)})"
    if dtype == "bool":
        return f"rng.random(size={size!r}) > 0.5"
    return f"rng.normal(size={size!r}).astype({literal(dtype)})"


_SECTION = re.compile(r"^(\s*)([A-Z][A-Za-z ]*):\s*$")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\.?([\w-]*)")


def docstring_examples(doc: str) -> list[str]:
    """The code of every block in the ``Example:``/``Examples:`` section(s) of ``doc``.

    Fenced ``python`` blocks (or fences without a language) are taken whole; ``>>>`` doctest
    lines are taken without their prompts and expected output.
    """
    blocks: list[str] = []
    in_section = False
    section_indent = 0
    fence: tuple[str, str] | None = None  # (indent, marker) of the open fence
    fence_lines: list[str] = []
    fence_is_python = False
    doctest: list[str] = []

    def flush_doctest() -> None:
        if doctest:
            blocks.append("\n".join(doctest) + "\n")
            doctest.clear()

    for line in doc.splitlines():
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence[1]) and set(stripped) <= set(fence[1][0]):
                if fence_is_python:
                    blocks.append(textwrap.dedent("\n".join(fence_lines)).strip("\n") + "\n")
                fence, fence_lines = None, []
            else:
                fence_lines.append(line)
            continue
        section = _SECTION.match(line)
        if section and (not in_section or len(section.group(1)) <= section_indent):
            flush_doctest()
            in_section = section.group(2) in {"Example", "Examples"}
            section_indent = len(section.group(1))
            continue
        if not in_section:
            continue
        opening = _FENCE.match(line)
        if opening:
            flush_doctest()
            fence = (opening.group(1), opening.group(2))
            fence_is_python = opening.group(3).lower() in {"", "python", "py", "python3", "pycon"}
            continue
        stripped = line.strip()
        if stripped.startswith(">>>") or (stripped.startswith("...") and doctest):
            doctest.append(stripped[4:] if len(stripped) > 3 else "")
        else:
            flush_doctest()
    flush_doctest()
    return [block for block in blocks if block.strip()]
