"""Run every benchmark and print one table; `--write` also stores it in benchmarks/README.md.

.venv/bin/python benchmarks/run.py [--write] [bench_list bench_get ...]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_list",
    "bench_discovery",
    "bench_get",
    "bench_load_model",
    "bench_load_weights",
    "bench_training",
    "site_build",
]
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def main(argv: list[str]) -> int:
    write = "--write" in argv
    chosen = [a for a in argv if not a.startswith("--")] or SCRIPTS
    rows, failures = [], []
    for name in chosen:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"{name}: not found, skipped", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, cwd=HERE
        )
        if result.returncode:
            failures.append(name)
            print(result.stderr[-2000:], file=sys.stderr)
            continue
        rows += json.loads(result.stdout.strip().splitlines()[-1])
    table = [
        "| id | what | ours | baseline | ratio (ours / baseline) | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    from measure import human

    for row in rows:
        table.append(
            f"| {row['id']} | {row['what']} | {human(row['ours_s'])} | {row['baseline']}: "
            f"{human(row['baseline_s'])} | {row['ratio']:.3f} | {row['target']} | "
            f"{'yes' if row['met'] else '**no**'} |"
        )
    text = f"Measured on {machine()}.\n\n" + "\n".join(table)
    print(text)
    if write:
        readme = HERE / "README.md"
        before, _, rest = readme.read_text().partition(BEGIN)
        _, _, after = rest.partition(END)
        readme.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
