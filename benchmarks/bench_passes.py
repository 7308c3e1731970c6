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
  skyfield.api"`` (interleaved, best of 7 each).
"""

from __future__ import annotations

import argparse
import compileall
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


def _wall(command: list[str]) -> tuple[float, float, float]:
    """Wall clock (s), the child's maximum resident set (MB) and its CPU time (user + system,
    s) of one run, output discarded. On a shared machine the CPU time is the steadier figure."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=REPO)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, command)
    return seconds, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def _best(command: list[str], runs: int) -> tuple[float, float]:
    """Best wall clock and best CPU time (s) of ``runs`` runs."""
    results = [_wall(command) for _ in range(runs)]
    return min(r[0] for r in results), min(r[2] for r in results)


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


def _places_csv(path: Path, places) -> Path:
    # With the optional timezone column (the gazetteer's zone): without it each place's zone
    # is looked up from its coordinates (timezonefinder, some 30 ms), a cost of the places
    # file rather than of pass prediction, and one the peer does not pay.
    rows = ["name,latitude,longitude,elevation_m,timezone"]
    rows += [
        f"{p.name.replace(',', ' ')},{p.latitude_deg},{p.longitude_deg},{p.elevation_m},"
        f"{p.timezone}"
        for p in places
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _ours_cmd(where: list[str], days: float, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tiangong_orbit",
        "passes",
        *where,
        "--start",
        START_TEXT,
        "--days",
        f"{days:g}",
        "--tle",
        str(TLE_FILE),
        "--allow-stale",
        *extra,
    ]


def whole_process(n_places: int | None, days: int, runs: int = 3, peer_places: int = 0) -> dict:
    """``passes --json`` and ``passes --all --json`` over ``n_places`` (None: ``--city all``)
    against the skyfield script, timed on ``peer_places`` places and scaled when given."""
    with tempfile.TemporaryDirectory() as tmp:
        every = _places(10_000)
        chosen = every if n_places is None else every[:n_places]
        where = (
            ["--city", "all"]
            if n_places is None
            else ["--places", str(_places_csv(Path(tmp) / "places.csv", chosen))]
        )
        timed = chosen[:peer_places] if peer_places else chosen
        peer_places_file = _places_csv(Path(tmp) / "peer_places.csv", timed)
        peer_file = Path(tmp) / "peer.py"
        peer_file.write_text(PEER_SCRIPT, encoding="utf-8")
        peer_cmd = [
            sys.executable,
            str(peer_file),
            str(peer_places_file),
            str(TLE_FILE),
            START_TEXT,
            str(days),
        ]
        result = {"places": len(chosen), "peer_timed": len(timed)}
        for key, extra in (("visible", ["--json"]), ("all", ["--all", "--json"])):
            command = _ours_cmd(where, days, *extra)
            try:
                result[key], result[f"cpu_{key}"] = _best(command, runs)
            except subprocess.CalledProcessError as error:
                result[key] = result[f"cpu_{key}"] = float("nan")
                print(f"note: the CLI failed ({error})", file=sys.stderr)
            result[f"command_{key}"] = " ".join(command[1:])
        peer, peer_cpu = _best(peer_cmd, runs)
        result["peer_timed_s"] = peer
        result["peer"] = peer * len(chosen) / len(timed)
        result["peer_cpu"] = peer_cpu * len(chosen) / len(timed)
    return result


def big_runs(days: int, table: bool) -> list[tuple[str, float, float, float]]:
    """Every city for ``days``: ``--json``, ``--all --json`` and (with ``table``) the ``--all``
    table, each once: (label, seconds, maximum resident set in MB, CPU seconds)."""
    rows = []
    cases = [("--json", ["--json"]), ("--all --json", ["--all", "--json"])]
    if table:
        cases.append(("--all (table)", ["--all"]))
    for label, extra in cases:
        seconds, rss, cpu = _wall(_ours_cmd(["--city", "all"], days, *extra))
        rows.append((f"all cities x {days} d {label}", seconds, rss, cpu))
    return rows


def startup() -> dict:
    city_cmd = _ours_cmd(["--city", "Lahore"], 1, "--json")
    ours, bare, python = [], [], []
    # Interleaved, so that a busy moment of a shared machine hits both sides alike.
    for _ in range(7):
        ours.append(_wall(city_cmd))
        bare.append(_wall([sys.executable, "-c", "import skyfield.api"]))
        python.append(_wall([sys.executable, "-c", "pass"])[0])
    return {
        "ours": min(r[0] for r in ours),
        "skyfield_import": min(r[0] for r in bare),
        "python": min(python),
        "ours_cpu": min(r[2] for r in ours),
        "skyfield_import_cpu": min(r[2] for r in bare),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the small case and start-up")
    parser.add_argument(
        "--big", action="store_true", help="also every city x 366 days, timed once with max RSS"
    )
    parser.add_argument(
        "--table", action="store_true", help="with --big: the --all table too (minutes)"
    )
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

    # An installed wheel has its bytecode compiled at install; a checkout run with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every start.
    compileall.compile_dir(REPO / "src" / "tiangong_orbit", quiet=1)
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
        every = whole_process(None, 30, runs=2, peer_places=10)
        for label, case, key in (
            ("whole 50 x 30 --json", whole, "visible"),
            ("whole 50 x 30 --all --json", whole, "all"),
            (f"whole all {every['places']} x 30 --json", every, "visible"),
            (f"whole all {every['places']} x 30 --all", every, "all"),
        ):
            scaled = (
                f"; peer timed on {case['peer_timed']} places ({case['peer_timed_s']:.1f} s), "
                "scaled"
                if case["peer_timed"] != case["places"]
                else ""
            )
            print(
                f"{label:<28}{case[key]:>9.2f}{case['peer']:>9.2f}"
                f"{case['peer'] / case[key]:>7.1f}x{'':>40}  wall clock, JSON to /dev/null; "
                f"CPU {case[f'cpu_{key}']:.2f} s vs {case['peer_cpu']:.1f} s: "
                f"{case['peer_cpu'] / case[f'cpu_{key}']:.1f}x" + scaled
            )
    boot = startup()
    print(
        f"{'start-up: 1 city x 1 day':<28}{boot['ours']:>9.2f}{boot['skyfield_import']:>9.2f}"
        f"{boot['ours'] / boot['skyfield_import']:>7.2f}x{'':>40}  peer = bare "
        f"'import skyfield.api'; ratio = ours / peer (target <= 1.3); CPU "
        f"{boot['ours_cpu']:.3f} s vs {boot['skyfield_import_cpu']:.3f} s: "
        f"{boot['ours_cpu'] / boot['skyfield_import_cpu']:.2f}x; bare python: "
        f"{boot['python']:.2f} s"
    )
    if args.big:
        print()
        print(f"{'big runs, whole process':<40}{'s':>9}{'CPU s':>9}{'max RSS MB':>12}")
        for label, seconds, rss, cpu in big_runs(366, table=args.table):
            print(f"{label:<40}{seconds:>9.1f}{cpu:>9.1f}{rss:>12.0f}")
    print(
        "\n* MB: peak traced heap (tracemalloc) during the call; RSS: the process's maximum "
        "resident set, MB"
    )
    if not args.quick:
        print(f"command: {whole['command_all']}")


if __name__ == "__main__":
    main()
