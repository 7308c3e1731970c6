"""Regenerate ``docs/examples/``: one example of each educator output, from the bundled data.

Every file is made by the real command line, exactly as a user would type it, with only the
bundled element sets (an empty temporary cache, so a ``tle update`` on this machine changes
nothing). Place: Lahore; window: ten days from 2026-10-06T16:00Z, two minutes before the
epoch of the bundled Tiangong set. The sky chart shows the highest visible pass of the window;
the ground track shows the first visible pass after 2026-10-06T19:00Z (its default).

Run from the repository root (deterministic apart from matplotlib's version in the PNGs)::

    python scripts/make_examples.py [--output docs/examples]

Each command is printed before it runs, so the README can quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACE = "Lahore"
START = "2026-10-06T16:00:00Z"
DAYS = "10"
# The night of 6-7 October in Pakistan: four passes, the last one visible before dawn.
TRACK_START = "2026-10-06T19:00:00Z"


def tiangong_orbit(*args: str, cache: Path, capture: bool = False) -> str:
    """Run ``tiangong-orbit ARGS`` (this checkout's package), echoing the command."""
    print("$ tiangong-orbit " + shlex.join(args), flush=True)
    environment = {**os.environ, "TIANGONG_ORBIT_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", *args],
        env=environment,
        cwd=ROOT,
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    if result.returncode != 0:
        raise SystemExit(f"the command failed with exit code {result.returncode}")
    return result.stdout or ""


def highest_visible_pass(cache: Path) -> int:
    """1-based number of the visible pass with the highest peak, from ``passes --json``."""
    args = ("passes", "--city", PLACE, "--start", START, "--days", DAYS, "--json")
    document = json.loads(tiangong_orbit(*args, cache=cache, capture=True))
    peaks = [p["visible_peak"]["elevation_deg"] for p in document["observers"][0]["passes"]]
    if not peaks:
        raise SystemExit(f"no visible pass over {PLACE} in the window: nothing to chart")
    return 1 + max(range(len(peaks)), key=peaks.__getitem__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "examples")
    options = parser.parse_args(argv)
    out: Path = options.output.resolve()
    out.mkdir(parents=True, exist_ok=True)
    window = ("--city", PLACE, "--start", START, "--days", DAYS)
    with tempfile.TemporaryDirectory(prefix="tiangong-examples-") as cache_dir:
        cache = Path(cache_dir)
        for fmt, name, extra in (
            ("csv", "passes.csv", ()),
            ("markdown", "passes.md", ()),
            ("html", "passes.html", ()),
            ("html", "passes.ur.html", ("--lang", "ur")),
            ("ics", "passes.ics", ()),
        ):
            tiangong_orbit(
                "passes", *window, "--format", fmt, *extra, "--output", str(out / name),
                cache=cache,
            )  # fmt: skip
        best = highest_visible_pass(cache)
        tiangong_orbit(
            "chart", "sky", *window, "--pass", str(best), "--output", str(out / "sky.png"),
            cache=cache,
        )  # fmt: skip
        tiangong_orbit(
            "chart", "track", "--city", PLACE, "--city", "Karachi", "--start", TRACK_START,
            "--output", str(out / "track.png"), cache=cache,
        )  # fmt: skip
        tiangong_orbit(
            "chart", "altitude", "--at", START, "--output", str(out / "altitude.png"),
            cache=cache,
        )  # fmt: skip
        tiangong_orbit(
            "chart", "transit", "--city", "Karachi", "--start", "2026-09-19T00:00Z", "--days",
            "1", "--output", str(out / "transit.png"), cache=cache,
        )  # fmt: skip
        tiangong_orbit(
            "altitude", "--format", "csv", "--from", START, "--to", "2026-10-06T17:33:00Z",
            "--step", "60", "--output", str(out / "altitude.csv"), cache=cache,
        )  # fmt: skip
    print(f"wrote the examples to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
