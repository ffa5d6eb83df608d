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


def _importable(path: str) -> tuple[str, str] | None:
    """``(module, name)`` of a ``module:QualName`` a reader can import; None for a lambda or a
    function defined inside another one."""
    module, _, qualname = path.partition(":")
    if not module or not qualname.isidentifier():
        return None
    return module, qualname


def create_call(info: LayerInfo) -> str:
    """``layer_registry.create("ns>Name", ...)`` with the registered example arguments.

    A function example is called for its arguments: ``create("ns>Name", **example())``.
    """
    if info.example_function:
        target = _importable(info.example_function)
        function = target[1] if target else "example"
        return f"layer_registry.create({literal(info.name)}, **{function}())"
    arguments = "".join(f", {key}={literal(value)}" for key, value in info.example.items())
    return f"layer_registry.create({literal(info.name)}{arguments})"


def construction(info: LayerInfo) -> list[str]:
    """The lines that make ``layer`` as the kit does: the example's arguments, then ``setup``."""
    lines: list[str] = []
    example = _importable(info.example_function) if info.example_function else None
    setup = _importable(info.setup_function) if info.setup_function else None
    if (info.example_function and example is None) or (info.setup_function and setup is None):
        # A lambda or a nested function cannot be imported: build the layer as the kit does.
        return [
            "from layer_registry._models._example import example_layer",
            "",
            "# The registered example (or setup) is not importable: built as the kit builds it.",
            f"layer = example_layer({literal(info.name)})",
        ]
    for target in (example, setup):
        if target is not None:
            lines.append(f"from {target[0]} import {target[1]}")
    if lines:
        lines.append("")
    lines.append(f"layer = {create_call(info)}")
    if setup is not None:
        lines.append(f"{setup[1]}(layer)")
    return lines


def example_code(info: LayerInfo, *, positional: bool = False) -> str:
    """The runnable example of ``info``: create it by name, call it on an example input.

    Several inputs are passed as one list, or, with ``positional`` (the layer's ``call``
    requires two or more positional arguments), as separate arguments: what
    ``layer_registry._models._example.call_args`` does for the kit.
    """
    built = construction(info)
    imports = [line for line in built if line.startswith("from ")]
    lines = [
        "import keras",
        "import numpy as np",
        "import layer_registry",
        *imports,
        "",
        "np.set_printoptions(precision=3, suppress=True, threshold=64, edgeitems=3)",
        *(line for line in built if line and not line.startswith("from ")),
    ]
    if info.input_shape is None:
        lines += ["print(layer)"]
        return "\n".join(lines) + "\n"
    lines.append("rng = np.random.default_rng(0)")
    if info.multiple_inputs:
        dtypes = info.input_dtype
        if isinstance(dtypes, str):
            dtypes = (dtypes,) * len(info.input_shape)
        shapes = list(zip(info.input_shape, dtypes, strict=False))
        if positional:
            names = [f"x{number}" for number in range(1, len(shapes) + 1)]
            for name, (shape, dtype) in zip(names, shapes, strict=True):
                lines.append(f"{name} = {_random_input(shape, dtype)}")
            lines.append(f"y = layer({', '.join(names)})")
        else:
            lines.append("x = [")
            for shape, dtype in shapes:
                lines.append(f"    {_random_input(shape, dtype)},")
            lines += ["]", "y = layer(x)"]
    else:
        lines.append(f"x = {_random_input(info.input_shape, str(info.input_dtype))}")
        lines.append("y = layer(x)")
    # Any layer may return several outputs (a cell's output and states, a retrieval's scores
    # and ids), or Python values (keras-hub's preprocessing returns lists): map over the
    # structure, which for one tensor is the tensor itself.
    lines += [
        'print("output shape:", keras.tree.map_structure(lambda t: tuple(np.shape(t)), y))',
        'print("parameters:", layer.count_params())',
        'print("first sample:")',
        "print(keras.tree.map_structure(lambda t: np.asarray(t)[0] if np.ndim(t) else t, y))",
    ]
    return "\n".join(lines) + "\n"


def _random_input(shape: Any, dtype: str) -> str:
    size = tuple(1 if d is None else d for d in shape)
    if dtype.startswith(("int", "uint")):
        return f"rng.integers(0, 10, size={size!r}).astype({literal(dtype)})"
    if dtype == "bool":
        return f"rng.random(size={size!r}) > 0.5"
    return f"rng.normal(size={size!r}).astype({literal(dtype)})"


def positional_example_code(info: LayerInfo) -> str:
    """The example with separate input arguments; "" when the layer has one input or none."""
    return example_code(info, positional=True) if info.multiple_inputs else ""


def docstring_preamble(info: LayerInfo) -> str:
    """What runs before each docstring example: the imports a library's docstrings assume.

    ``numpy as np``, ``keras``, ``keras.ops as ops``, the layer's top-level package, and the
    class bound to its name, as a reader of the library's documentation would have them.
    """
    module, _, qualname = info.import_path.partition(":")
    lines = ["import numpy as np", "import keras", "from keras import ops"]
    if not module:
        return "\n".join(lines) + "\n"
    top = module.split(".", 1)[0]
    if top not in {"keras", "numpy"}:
        lines.append(f"import {top}")
    outer, _, inner = qualname.partition(".")
    lines.append(f"from {module} import {outer}")
    if inner:
        lines.append(f"{info.class_name} = {qualname}")
    return "\n".join(lines) + "\n"


def docstring_library(info: LayerInfo) -> str:
    """Whose docstring it is: the class's top-level package (``keras_hub``)."""
    return info.import_path.partition(":")[0].split(".", 1)[0] or info.namespace


_SECTION = re.compile(r"^(\s*)([A-Z][A-Za-z ]*):\s*$")
_NUMPY_HEADER = re.compile(r"^(\s*)([A-Z][A-Za-z ]*)\s*$")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\.?([\w-]*)")


def docstring_examples(doc: str) -> list[str]:
    """The code of every block in the ``Example:``/``Examples:`` section(s) of ``doc``.

    Google sections (``Examples:``) and numpydoc ones (``Examples`` over a ``--------`` line)
    are read. Fenced ``python`` blocks (or fences without a language) are taken whole;
    ``>>>`` doctest lines are taken without their prompts and expected output.
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

    lines = doc.splitlines()
    for number, line in enumerate(lines):
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence[1]) and set(stripped) <= set(fence[1][0]):
                if fence_is_python:
                    blocks.append(textwrap.dedent("\n".join(fence_lines)).strip("\n") + "\n")
                fence, fence_lines = None, []
            else:
                fence_lines.append(line)
            continue
        following = lines[number + 1] if number + 1 < len(lines) else ""
        section = _SECTION.match(line)
        if section is None and _UNDERLINE.match(following):
            section = _NUMPY_HEADER.match(line)
        if section and (not in_section or len(section.group(1)) <= section_indent):
            flush_doctest()
            in_section = section.group(2).strip() in {"Example", "Examples"}
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


_NUMPY_SECTIONS = re.compile(
    r"^\s*(Parameters|Returns|Yields|Raises|Attributes|Examples|Notes|See Also|References)\s*\n"
    r"\s*-{3,}\s*$",
    re.MULTILINE,
)


def docstring_style(doc: str) -> str:
    """``"numpy"`` for a numpydoc docstring (``Parameters`` over ``----------``), else
    ``"google"`` (``Args:``), the style mkdocstrings should read the layer's docstring in."""
    return "numpy" if _NUMPY_SECTIONS.search(doc) else "google"
