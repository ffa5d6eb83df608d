"""Every ```python block of the site's hand-written pages runs, page by page, in order.

The blocks of one page share one fresh Python process and one namespace, as a reader would run
them. A block preceded by ``<!-- no-test: reason -->`` is not run; the reason is printed. Each
page runs in a copy of its folder, so the files it refers to (``specs/regressor.yaml``) are there
and whatever it writes is thrown away.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "site" / "docs"
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
NO_TEST = re.compile(r"<!--\s*no-test\b:?\s*(?P<reason>.*?)\s*-->")
PYTHON = {"python", "py", "python3"}

RUNNER = r"""
import sys
namespace = {"__name__": "__main__"}
for path in sys.argv[1:]:
    print(f"--- {path}", flush=True)
    with open(path, encoding="utf-8") as source:
        exec(compile(source.read(), path, "exec"), namespace)
"""
"""Runs the blocks, each saved as a file so tracebacks and ``inspect.getsource`` (AutoGraph)
find their lines."""


@dataclass(frozen=True)
class Block:
    line: int
    code: str
    skip: str | None


def python_blocks(path: Path) -> list[Block]:
    """The fenced Python blocks of a Markdown page, with the reason not to run each, if any."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    previous = ""
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            if lines[index].strip():
                previous = lines[index]
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        language = (opening["info"].split() or [""])[0].strip("{}.").lower()
        start = index
        body = []
        index += 1
        while index < len(lines):
            stripped = lines[index].strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                break
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        if language in PYTHON:
            marker = NO_TEST.search(previous)
            skip = (marker["reason"] or "no reason given") if marker else None
            blocks.append(Block(start + 1, "\n".join(body) + "\n", skip))
        previous = ""
        index += 1
    return blocks


PAGES = sorted(p for p in DOCS.rglob("*.md") if python_blocks(p))


def test_the_guides_have_code_to_run():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"guides/getting-started.md", "guides/plugins.md", "guides/writing-plugins.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_the_python_blocks_of_a_page_run(page: Path, tmp_path: Path):
    where = page.relative_to(DOCS).as_posix()
    blocks = python_blocks(page)
    for block in blocks:
        if block.skip:
            print(f"{where}:{block.line}: not run: {block.skip}")
    runnable = [block for block in blocks if not block.skip]
    if not runnable:
        pytest.skip(f"every Python block of {where} is marked no-test")
    folder = tmp_path / "page"
    shutil.copytree(page.parent, folder)
    files = []
    for block in runnable:
        # Named after the page and line, so a traceback says where the failing block is.
        path = tmp_path / "blocks" / f"{page.stem}.md-line-{block.line}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
        files.append(str(path))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *files],
        cwd=folder, capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert result.returncode == 0, (
        f"a Python block of {where} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
