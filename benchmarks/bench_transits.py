"""Time ``tiangong-orbit transits`` for one place, 30 days, both bodies: the whole process.

Prints the wall-clock and CPU seconds of each of five runs and the best, for the README's
claim ("a few seconds at most"). Run by hand: ``python benchmarks/bench_transits.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

COMMAND = [
    sys.executable, "-m", "tiangong_orbit", "transits", "--city", "Lahore",
    "--start", "2026-09-01T00:00Z", "--days", "30", "--body", "both", "--offline",
]  # fmt: skip


def main() -> int:
    environment = {**os.environ, "TIANGONG_ORBIT_OFFLINE": "1"}
    walls, cpus = [], []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(COMMAND, capture_output=True, text=True, env=environment)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        walls.append(wall)
        cpus.append(cpu)
        print(f"wall {wall:6.2f} s   cpu {cpu:6.2f} s")
    print(f"best: wall {min(walls):.2f} s, cpu {min(cpus):.2f} s ({' '.join(COMMAND[2:])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
