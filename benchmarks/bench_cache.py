"""Start-up of ``passes`` with a large element-set cache, with and without the catalog index.

Usage::

    python benchmarks/bench_cache.py            # 6,000 cached OMM records (default)
    python benchmarks/bench_cache.py --sets 2000

The cache is what about five years of automatic refreshes leave (Tiangong's every set is kept;
CelesTrak issues about three a day): ``tle/elements.json`` holding N OMM records. They are
synthetic, derived from the real 2026-09-19 Tiangong record of ``data/tle/tiangong_omm.json``
with only the EPOCH moved back 8 hours per record (the parser and the index do the same work
for them as for real ones). Each row is the whole process
``python -m tiangong_orbit passes --city Lahore --days 1 --offline --json``, best of 3:

* empty cache (bundled data only, index present),
* the large cache, index removed before each run (what every run cost before the index),
* the large cache with its index (every run after the first),

against a bare ``python -c "import skyfield.api"``; then the same two cache cases timed inside
one process (``tle.load_catalog()`` alone, best of 5), which a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from tiangong_orbit.catalog_index import INDEX_NAME

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["-m", "tiangong_orbit", "passes", "--city", "Lahore", "--days", "1", "--offline"]
# After the newest synthetic set: one bundled set serves the whole window, so the rows differ
# only by reading the catalog.
START = ["--start", "2026-10-06T17:00Z", "--allow-stale", "--json"]


def _run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr}")
    return elapsed


def _best(args: list[str], env: dict[str, str], before=None, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        times.append(_run(args, env))
    return min(times)


def _big_cache(folder: Path, count: int) -> None:
    record = json.loads((ROOT / "data" / "tle" / "tiangong_omm.json").read_text())[-1]
    epoch = datetime.fromisoformat(record["EPOCH"])
    records = []
    for index in range(count):
        moved = dict(record)
        moved["EPOCH"] = (epoch - timedelta(hours=8 * index)).strftime("%Y-%m-%dT%H:%M:%S.%f")
        records.append(moved)
    (folder / "tle").mkdir(parents=True)
    (folder / "tle" / "elements.json").write_text(json.dumps(records, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=int, default=6000, help="cached OMM records")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("TIANGONG_ORBIT_")}
    with tempfile.TemporaryDirectory() as scratch:
        empty, big = Path(scratch) / "empty", Path(scratch) / "big"
        empty.mkdir()
        _big_cache(big, args.sets)
        index = big / INDEX_NAME

        def drop_index() -> None:
            index.unlink(missing_ok=True)

        bare = _best(["-c", "import skyfield.api"], base)
        rows = [
            ("bare `import skyfield.api`", bare),
            ("passes, bundled data only", _best(COMMAND + START, base | _env(empty))),
            (
                f"passes, {args.sets:,} cached sets, no index",
                _best(COMMAND + START, base | _env(big), before=drop_index),
            ),
        ]
        _run(COMMAND + START, base | _env(big))  # writes the index
        rows.append(
            (f"passes, {args.sets:,} cached sets, index", _best(COMMAND + START, base | _env(big)))
        )
        in_process = _in_process(big, base)
    print(f"| case (whole process, best of 3; {os.cpu_count()} CPUs) | wall | x bare import |")
    print("|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} s | {seconds / bare:.2f} |")
    print()
    print(f"`tle.load_catalog()` in one process, {args.sets:,} cached sets: {in_process}")


def _in_process(big: Path, base: dict[str, str]) -> str:
    code = (
        "import time\n"
        "from pathlib import Path\n"
        "from tiangong_orbit import tle\n"
        f"index = Path({str(big / INDEX_NAME)!r})\n"
        "def best(before, n):\n"
        "    times = []\n"
        "    for _ in range(n):\n"
        "        before()\n"
        "        started = time.perf_counter()\n"
        "        tle.load_catalog()\n"
        "        times.append(time.perf_counter() - started)\n"
        "    return min(times)\n"
        "cold = best(lambda: index.unlink(missing_ok=True), 3)\n"
        "warm = best(lambda: None, 5)\n"
        "print(f'no index {cold:.3f} s, index {warm:.3f} s ({cold / warm:.0f}x faster)')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=base | _env(big),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _env(cache: Path) -> dict[str, str]:
    return {"TIANGONG_ORBIT_CACHE_DIR": str(cache), "TIANGONG_ORBIT_OFFLINE": "1"}


if __name__ == "__main__":
    main()
