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


@dataclass(frozen=True)
class Row:
    id: str
    what: str
    ours_s: float
    baseline_s: float
    baseline: str
    target: str
    met: bool

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
        )
    print(json.dumps([{**asdict(row), "ratio": row.ratio} for row in rows]))
