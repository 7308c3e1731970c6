"""Parse time of the element-set files: ours (strict validation) against python-sgp4's own
``Satrec.twoline2rv`` on the same lines (no validation) and skyfield's ``parse_tle_file``
(what ``load.tle_file`` runs).

    python benchmarks/bench_parse.py

Cases: the bundled history (663 Tiangong sets), the same history three times over (1,989 sets,
the size the bundled data is growing to) and the bundled stations OMM JSON. Best of 7, in
process, after a warm-up.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

from sgp4.api import WGS72, Satrec

from tiangong_orbit import tle

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "data" / "tle" / "tiangong_history.tle"


def best_of(function: Callable[[], object], repeats: int = 7) -> float:
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def sgp4_only(text: str) -> list[Satrec]:
    lines = [line for line in text.splitlines() if line.startswith(("1 ", "2 "))]
    return [Satrec.twoline2rv(a, b, WGS72) for a, b in zip(lines[::2], lines[1::2], strict=True)]


def skyfield_reading(text: str) -> list[object]:
    from skyfield.iokit import parse_tle_file

    return list(parse_tle_file(io.BytesIO(text.encode("ascii"))))


def main() -> None:
    history = HISTORY.read_text(encoding="ascii")
    cases = {"history, 663 sets": history, "history x3, 1,989 sets": history * 3}
    print("| case | ours (validated) | python-sgp4 twoline2rv only | skyfield parse_tle_file |")
    print("|---|---|---|---|")
    for label, text in cases.items():
        ours = best_of(lambda text=text: tle.parse_text(text, path="bench"))
        peer = best_of(lambda text=text: sgp4_only(text))
        try:
            sky = f"{best_of(lambda text=text: skyfield_reading(text)) * 1e3:.1f} ms"
        except Exception as error:  # skyfield missing or changed: the table still prints
            sky = f"n/a ({type(error).__name__})"
        print(f"| {label} | {ours * 1e3:.1f} ms | {peer * 1e3:.1f} ms | {sky} |")
    for path in tle.bundled_files():
        seconds = best_of(lambda path=path: tle.parse_file(path))
        print(f"| bundled {path.name} | {seconds * 1e3:.1f} ms | | |")


if __name__ == "__main__":
    main()
