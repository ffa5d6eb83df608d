"""K1: `layer-registry check` of the bundled plugins (examples, periodic) over one worker process
per core vs. in one process (LAYER_REGISTRY_CHECK_WORKERS=1), run alternately. Target: at most
0.65x the one-process time, with results identical but for their timings (checked here too).
When missed, the bound is what the run spent: the checks' own times added up, and the time of
the one-process run outside them (starting Python, TensorFlow and the fresh processes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from measure import Row
from measure import emit
from measure import human
from measure import small

CLI = str(Path(sys.executable).with_name("layer-registry"))
TARGET = 0.65


def check(workers: str | None) -> tuple[float, list[dict]]:
    """Wall time and the --json report of one run; ``workers`` None: the default."""
    env = {**os.environ, "LAYER_REGISTRY_ONLY": "examples" if small() else "examples,periodic"}
    env.pop("LAYER_REGISTRY_CHECK_WORKERS", None)
    if workers is not None:
        env["LAYER_REGISTRY_CHECK_WORKERS"] = workers
    extra = ["--check=construct", "--check=call", "--check=saving"] if small() else []
    start = time.perf_counter()
    finished = subprocess.run(
        [CLI, "check", "--json", *extra], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - start
    if finished.returncode not in (0, 1):
        raise SystemExit(f"layer-registry check failed:\n{finished.stderr[-2000:]}")
    return seconds, json.loads(finished.stdout)


def untimed(report: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in report]


def main() -> None:
    repeat = 1 if small() else 2
    serial: list[tuple[float, list[dict]]] = []
    parallel: list[tuple[float, list[dict]]] = []
    for _ in range(repeat):  # alternately: a busy moment of the machine hits both alike
        serial.append(check("1"))
        parallel.append(check(None))
    for _, report in parallel:
        if untimed(report) != untimed(serial[0][1]):
            raise SystemExit("the parallel run's results differ from the one-process run's")
    one, one_report = min(serial, key=lambda run: run[0])
    many = min(seconds for seconds, _ in parallel)
    workers = len(os.sched_getaffinity(0))  # the check's default: one worker per usable core
    checks_sum = sum(row["seconds"] for row in one_report)
    layers = len({row["layer"] for row in one_report})
    bound = (
        f"{workers} workers; the checks' own times add up to {human(checks_sum)} in one process "
        f"(over {workers} workers at best {human(checks_sum / workers)}), and the one-process run "
        f"spent {human(max(one - checks_sum, 0.0))} beside them; {os.cpu_count()} cores here"
    )
    emit(
        [
            Row(
                "K1",
                f"`layer-registry check`, {layers} bundled layers, {workers} workers",
                many,
                one,
                "1 process",
                f"<= {TARGET}x 1 process, identical results",
                many <= TARGET * one,
                bound,
            )
        ]
    )


if __name__ == "__main__":
    main()
