"""Benchmark: tiangong-orbit's pass predictor against the same work written with skyfield.

Run by hand (a few minutes; nothing here is asserted by the tests):

    python benchmarks/bench_passes.py            # every case
    python benchmarks/bench_passes.py --quick    # the small in-process case and start-up only

Prints one table. Cases:

* in-process, 6 places x 30 days and 50 places x 365 days, Tiangong (the 2026-10-06 set of
  data/tle/stations_latest.tle) from 2026-10-06T16:00Z, default settings, visible passes only.
  "ours" is ``find_passes`` after a warm-up call (imports, timescale and ephemeris loaded).
  "peer" is what a skyfield user would write for the same answer: per place
  ``EarthSatellite.find_events``, then ``is_sunlit`` and the Sun's altitude
  (``observe(sun).apparent().altaz()``) at the events. The peer is timed on a slice of the places
  and scaled to all of them (its cost is linear in the places); the table says so. Each case runs
  in a fresh subprocess, which reports its peak memory: the traced numpy/Python heap during the
  call (tracemalloc, measured in a second run) and the process's maximum resident set.
* whole process, 50 places x 30 days: ``python -m tiangong_orbit passes --places FILE.csv
  --start 2026-10-06T16:00Z --days 30 --tle data/tle/stations_latest.tle --allow-stale --json``
  against a skyfield script doing the same and writing JSON (best of 3 wall-clock runs each).
* start-up: the same command for one city and one day against ``python -c "import
  skyfield.api"`` (best of 5).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TLE_FILE = REPO / "data" / "tle" / "stations_latest.tle"
START = datetime(2026, 10, 6, 16, tzinfo=UTC)
START_TEXT = "2026-10-06T16:00Z"
CASES = ((6, 30, 6), (50, 365, 5))  # places, days, places the peer is timed on


def _places(count: int):
    from tiangong_orbit.places import gazetteer

    return list(gazetteer()[:count])


def _tiangong():
    from tiangong_orbit import tle

    return next(s for s in tle.parse_file(TLE_FILE) if s.norad_id == 48274)


def _max_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_ours(n_places: int, days: float) -> dict:
    from tiangong_orbit.passes import find_passes

    element_set = _tiangong()
    places = _places(n_places)
    end = START + timedelta(days=days)
    find_passes(element_set, places[:1], START, START + timedelta(days=1))  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        result = find_passes(element_set, places, START, end)
        best = min(best, time.perf_counter() - t0)
    rss = _max_rss_mb()
    tracemalloc.start()
    find_passes(element_set, places, START, end)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": best,
        "passes": sum(len(p.passes) for p in result),
        "traced_peak_mb": peak / 2**20,
        "max_rss_mb": rss,
    }


def child_peer(n_places: int, days: float, timed_places: int) -> dict:
    from importlib.resources import files

    from skyfield.api import EarthSatellite, load, load_file, wgs84

    element_set = _tiangong()
    places = _places(n_places)[:timed_places]
    ts = load.timescale(builtin=True)
    eph = load_file(str(files("skyfield_data") / "data" / "de421.bsp"))
    satellite = EarthSatellite(element_set.line1, element_set.line2, element_set.name, ts)
    t0 = ts.from_datetime(START)
    t1 = ts.from_datetime(START + timedelta(days=days))
    sun, earth = eph["sun"], eph["earth"]

    def run() -> int:
        events_found = 0
        for place in places:
            topos = wgs84.latlon(place.latitude_deg, place.longitude_deg, place.elevation_m)
            t, events = satellite.find_events(topos, t0, t1, altitude_degrees=0.0)
            sunlit = satellite.at(t).is_sunlit(eph)
            sun_altitude = (earth + topos).at(t).observe(sun).apparent().altaz()[0].degrees
            events_found += len(events) + 0 * int(sunlit.sum()) + 0 * len(sun_altitude)
        return events_found

    run_start = time.perf_counter()
    events = run()
    seconds = time.perf_counter() - run_start
    rss = _max_rss_mb()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    eph.close()
    return {
        "seconds_timed": seconds,
        "seconds": seconds * n_places / len(places),
        "timed_places": len(places),
        "events": events,
        "traced_peak_mb": peak / 2**20,
        "max_rss_mb": rss,
    }


def _run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best_wall(command: list[str], runs: int, stdout=subprocess.DEVNULL) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(command, check=True, stdout=stdout, cwd=REPO)
        best = min(best, time.perf_counter() - t0)
    return best


PEER_SCRIPT = textwrap.dedent(
    """
    import csv, json, sys
    from datetime import datetime, timedelta, timezone
    from importlib.resources import files
    from skyfield.api import EarthSatellite, load, load_file, wgs84

    places_file, tle_file, start_text, days = sys.argv[1:5]
    lines = [l.strip() for l in open(tle_file) if l.strip()]
    i = next(k for k, l in enumerate(lines) if l.startswith("1 48274"))
    ts = load.timescale(builtin=True)
    eph = load_file(str(files("skyfield_data") / "data" / "de421.bsp"))
    sat = EarthSatellite(lines[i], lines[i + 1], lines[i - 1], ts)
    start = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
    t0 = ts.from_datetime(start)
    t1 = ts.from_datetime(start + timedelta(days=float(days)))
    out = []
    for row in csv.DictReader(open(places_file)):
        topos = wgs84.latlon(float(row["latitude"]), float(row["longitude"]),
                             float(row["elevation_m"]))
        t, events = sat.find_events(topos, t0, t1, altitude_degrees=0.0)
        lit = sat.at(t).is_sunlit(eph)
        sun_alt = (eph["earth"] + topos).at(t).observe(eph["sun"]).apparent().altaz()[0].degrees
        alt, az, _ = (sat - topos).at(t).altaz()
        out.append({"name": row["name"], "events": [
            {"time": ti.utc_iso(), "event": int(e), "elevation_deg": float(a),
             "azimuth_deg": float(z), "sunlit": bool(s), "sun_altitude_deg": float(h)}
            for ti, e, a, z, s, h in zip(t, events, alt.degrees, az.degrees, lit, sun_alt)]})
    json.dump(out, sys.stdout)
    eph.close()
    """
)


def whole_process(n_places: int, days: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        places_file = Path(tmp) / "places.csv"
        rows = ["name,latitude,longitude,elevation_m"]
        rows += [
            f"{p.name.replace(',', ' ')},{p.latitude_deg},{p.longitude_deg},{p.elevation_m}"
            for p in _places(n_places)
        ]
        places_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
        peer_file = Path(tmp) / "peer.py"
        peer_file.write_text(PEER_SCRIPT, encoding="utf-8")
        ours_cmd = [
            sys.executable,
            "-m",
            "tiangong_orbit",
            "passes",
            "--places",
            str(places_file),
            "--start",
            START_TEXT,
            "--days",
            str(days),
            "--tle",
            str(TLE_FILE),
            "--allow-stale",
            "--json",
        ]
        peer_cmd = [
            sys.executable,
            str(peer_file),
            str(places_file),
            str(TLE_FILE),
            START_TEXT,
            str(days),
        ]
        try:
            ours = _best_wall(ours_cmd, 3)
        except subprocess.CalledProcessError as error:
            ours = float("nan")
            print(f"note: the CLI failed ({error}); is 'passes' implemented?", file=sys.stderr)
        peer = _best_wall(peer_cmd, 3)
    return {"ours": ours, "peer": peer, "command": " ".join(ours_cmd[1:])}


def startup() -> dict:
    city_cmd = [
        sys.executable,
        "-m",
        "tiangong_orbit",
        "passes",
        "--city",
        "Lahore",
        "--start",
        START_TEXT,
        "--days",
        "1",
        "--tle",
        str(TLE_FILE),
        "--allow-stale",
        "--json",
    ]
    ours = _best_wall(city_cmd, 5)
    bare = _best_wall([sys.executable, "-c", "import skyfield.api"], 5)
    python = _best_wall([sys.executable, "-c", "pass"], 5)
    return {"ours": ours, "skyfield_import": bare, "python": python}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the small case and start-up")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "ours":
            result = child_ours(int(rest[0]), float(rest[1]))
        else:
            result = child_peer(int(rest[0]), float(rest[1]), int(rest[2]))
        print(json.dumps(result))
        return

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; Tiangong set of "
        f"2026-10-06, window from {START_TEXT}, visible passes, default settings\n"
    )
    header = (
        f"{'case':<28}{'ours s':>9}{'peer s':>9}{'ratio':>8}"
        f"{'ours MB*':>10}{'peer MB*':>10}{'ours RSS':>10}{'peer RSS':>10}  notes"
    )
    print(header)
    print("-" * len(header))
    cases = CASES[:1] if args.quick else CASES
    for n_places, days, timed in cases:
        ours = _run_child("ours", str(n_places), str(days))
        peer = _run_child("peer", str(n_places), str(days), str(timed))
        note = (
            f"{ours['passes']} visible passes; peer timed on {peer['timed_places']} "
            f"of {n_places} places ({peer['seconds_timed']:.1f} s), scaled"
        )
        print(
            f"{f'{n_places} places x {days} days':<28}{ours['seconds']:>9.3f}"
            f"{peer['seconds']:>9.2f}{peer['seconds'] / ours['seconds']:>7.0f}x"
            f"{ours['traced_peak_mb']:>10.1f}{peer['traced_peak_mb']:>10.1f}"
            f"{ours['max_rss_mb']:>10.0f}{peer['max_rss_mb']:>10.0f}  {note}"
        )
    if not args.quick:
        whole = whole_process(50, 30)
        print(
            f"{'whole process 50 x 30':<28}{whole['ours']:>9.2f}{whole['peer']:>9.2f}"
            f"{whole['peer'] / whole['ours']:>7.1f}x{'':>40}  wall clock, JSON to /dev/null"
        )
    boot = startup()
    print(
        f"{'start-up: 1 city x 1 day':<28}{boot['ours']:>9.2f}{boot['skyfield_import']:>9.2f}"
        f"{boot['skyfield_import'] / boot['ours']:>7.2f}x{'':>40}  peer = bare "
        f"'import skyfield.api'; bare python: {boot['python']:.2f} s"
    )
    print(
        "\n* MB: peak traced heap (tracemalloc) during the call; RSS: the process's maximum "
        "resident set, MB"
    )
    if not args.quick:
        print(f"command: {whole['command']}")


if __name__ == "__main__":
    main()
