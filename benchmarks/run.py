"""Run every benchmark and print one table; `--write` also stores it in benchmarks/README.md,
which the site's Benchmarks page includes.

.venv/bin/python benchmarks/run.py [--write] [--small] [bench_list bench_get ...]

``--small`` runs each script at a small size, to check they work; never ``--write`` its figures.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_list",
    "bench_ecosystem",
    "bench_discovery",
    "bench_get",
    "bench_load_model",
    "bench_load_weights",
    "bench_training",
    "bench_check",
    "site_build",
]
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def cell(seconds: float, peak: int) -> str:
    from measure import human
    from measure import human_bytes

    return human(seconds) + (f" (peak {human_bytes(peak)})" if peak else "")


def closing_note(rows: list[dict], durations: dict[str, float]) -> str:
    """Which targets are missed and, for each, the bound its script measured."""
    missed = [row for row in rows if not row["met"]]
    lines = ["", "Missed targets, and what bounds them (measured in the same run):", ""]
    for row in missed:
        lines.append(f"- {row['id']} ({row['target']}): {row.get('bound') or 'no bound measured'}")
    if not missed:
        lines = ["", "Every target is met."]
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
    return "\n" + "\n".join([*lines, "", f"Time each script took: {spent}."])


def main(argv: list[str]) -> int:
    write = "--write" in argv
    extra = ["--small"] if "--small" in argv else []
    if write and extra:
        print("--small figures are not to be published: drop --write or --small", file=sys.stderr)
        return 2
    chosen = [a for a in argv if not a.startswith("--")] or SCRIPTS
    rows, failures, durations = [], [], {}
    for name in chosen:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"{name}: not found, skipped", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(script), *extra], capture_output=True, text=True, cwd=HERE
        )
        durations[name] = time.perf_counter() - started
        if result.returncode:
            failures.append(name)
            print(result.stderr[-2000:], file=sys.stderr)
            continue
        rows += json.loads(result.stdout.strip().splitlines()[-1])
    table = [
        "| id | what | ours | baseline | ratio (ours / baseline) | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        table.append(
            f"| {row['id']} | {row['what']} | {cell(row['ours_s'], row.get('ours_bytes', 0))} | "
            f"{row['baseline']}: {cell(row['baseline_s'], row.get('baseline_bytes', 0))} | "
            f"{row['ratio']:.3f} | {row['target']} | {'yes' if row['met'] else '**no**'} |"
        )
    text = f"Measured on {machine()}.\n\n" + "\n".join(table) + closing_note(rows, durations)
    print(text)
    if write:
        readme = HERE / "README.md"
        before, _, rest = readme.read_text().partition(BEGIN)
        _, _, after = rest.partition(END)
        readme.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
