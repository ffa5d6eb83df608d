"""B1: `layer-registry list` with a warm metadata cache vs. the same listing importing every
plugin (the cache switched off), and vs. the least a listing can cost: a script that imports
click and rich and prints the same table from the cache file; B1c and B1d time warm `search`
and `show` against that same script.

Targets: at least 15x faster than importing every plugin and under 0.3 s; at most 70 ms and
1.4x the click+rich script. When missed, the bound is measured: the interpreter's own start and
the imports on the warm path (``python -X importtime``), the ten most expensive named.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import Row
from measure import emit
from measure import human
from measure import median_run

CLI = str(Path(sys.executable).with_name("layer-registry"))

# What a listing cannot do without: click for the command line, rich for the table, the cache
# file read as JSON. The same rows, the same table, the same console as `list`.
FLOOR = """
import json, sys
from pathlib import Path
import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

@click.command()
def main():
    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    table = Table("name", "plugin", "summary", box=None, pad_edge=False)
    for layer in sorted(data["layers"], key=lambda layer: layer["name"]):
        table.add_row(Text(layer["name"]), Text(layer["namespace"]), Text(layer["summary"]))
    Console(soft_wrap=True, width=None if sys.stdout.isatty() else 100_000).print(table)

main(args=[], standalone_mode=False)
"""

WARM_LIST = "import sys; from layer_registry._cli import run; sys.argv[1:] = ['list']; run()"


def imports(env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of every import of a warm `list`, costliest first."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", WARM_LIST],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match:
            rows.append((int(match[1]), int(match[2]), match[4]))
    return sorted(rows, reverse=True)


def cache_file(folder: str) -> str:
    return str(next(Path(folder).glob("metadata-*.json")))


def main() -> None:
    import os

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "LAYER_REGISTRY_CACHE_DIR": cache}
        median_run([CLI, "list"], repeat=1, env=env)  # warm the cache
        warm = median_run([CLI, "list"], repeat=7, env=env)
        cold = median_run([CLI, "list"], repeat=3, env={**env, "LAYER_REGISTRY_CACHE": "off"})
        floor = median_run([sys.executable, "-c", FLOOR, cache_file(cache)], repeat=7, env=env)
        warm_commands = {
            "B1b": (("list",), warm),
            **{
                id_: (command, median_run([CLI, *command], repeat=7, env=env))
                for id_, command in (
                    ("B1c", ("search", "periodic")),
                    ("B1d", ("show", "periodic>Time2Vec")),
                )
            },
        }
        bare = median_run([sys.executable, "-c", "pass"], repeat=7, env=env)
        costly = imports(env)
    total = sum(row[0] for row in costly) / 1e6
    top = ", ".join(f"{name} {own / 1e3:.1f} ms" for own, _, name in costly[:10])
    bound = f"interpreter start {human(bare)}; imports {human(total)} in all (by own time: {top})"
    # 70 ms cannot be met below what click and rich alone cost to print a table.
    floor_bound = f"the least a listing costs is itself {human(floor)}; {bound}"
    print(f"warm list imports, costliest first: {top}", file=sys.stderr)
    emit(
        [
            Row(
                "B1",
                "`layer-registry list`, warm cache",
                warm,
                cold,
                "importing every plugin",
                ">= 15x faster and < 0.3 s",
                cold / warm >= 15 and warm < 0.3,
                bound=bound,
            ),
            *(
                Row(
                    id_,
                    f"`layer-registry {' '.join(command)}`, warm cache, vs the least a listing "
                    "costs",
                    seconds,
                    floor,
                    "click + rich printing the cache file",
                    "<= 70 ms and <= 1.4x",
                    seconds <= 0.070 and seconds <= 1.4 * floor,
                    bound=floor_bound,
                )
                for id_, (command, seconds) in warm_commands.items()
            ),
        ]
    )


if __name__ == "__main__":
    main()
