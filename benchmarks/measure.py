"""How the benchmarks time things and report them: one row per figure, printed as a table and,
on the last line, as JSON for `run.py`."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the throw-away plugin writer the tests use

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Measured as installed for a user: with bytecode. A machine set not to write it
# (PYTHONDONTWRITEBYTECODE) charges every process for compiling the editable layer_registry
# sources while the baselines' libraries, compiled by pip, run from theirs.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@dataclass(frozen=True)
class Row:
    id: str
    what: str
    ours_s: float
    baseline_s: float
    baseline: str
    target: str
    met: bool
    bound: str = ""
    """When missed: what bounds the figure, as measured in the same run."""
    ours_bytes: int = 0
    baseline_bytes: int = 0
    """Peak memory (resident, the process and its children together), when measured."""

    @property
    def ratio(self) -> float:
        """Our time over the baseline's: below 1 we are faster, 0.5 means twice as fast."""
        return self.ours_s / self.baseline_s if self.baseline_s else float("inf")


def best_of(function: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs, in seconds: the least disturbed by a busy machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def median_run(command: Sequence[str], repeat: int = 5, env: dict[str, str] | None = None) -> float:
    """Median wall time of a command, in seconds (it must succeed)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def small() -> bool:
    """``--small``: fewer plugins and layers, to check a script works, not to publish figures."""
    return "--small" in sys.argv[1:]


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                fields = stream.read().rpartition(")")[2].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1]: the parent's pid
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # fields[21]: rss in pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run_measured(
    command: Sequence[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Run ``command``: its wall time, its peak memory with its children (sampled), its result."""
    import threading

    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return seconds, peak, result


def human_bytes(count: int) -> str:
    return f"{count / 2**30:.2f} GiB" if count >= 2**30 else f"{count / 2**20:.0f} MiB"


def human(seconds: float) -> str:
    """A duration in the unit that keeps three significant digits readable."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def emit(rows: Sequence[Row]) -> None:
    """Print the rows for a person, then as JSON on the last line for `run.py`."""
    for row in rows:
        print(
            f"{row.id:<6} {row.what:<56} ours {human(row.ours_s):>9}   "
            f"{row.baseline} {human(row.baseline_s):>9}   ratio {row.ratio:6.3f}   "
            f"{'met' if row.met else 'MISSED'} ({row.target})"
            + (
                f"   peak {human_bytes(row.ours_bytes)} vs {human_bytes(row.baseline_bytes)}"
                if row.ours_bytes
                else ""
            )
            + (f"\n       bound: {row.bound}" if row.bound and not row.met else "")
        )
    print(json.dumps([{**asdict(row), "ratio": row.ratio} for row in rows]))
