"""Print the figures of the README's "Accuracy at the edges" section (about a minute).

    python scripts/measure_edges.py

0. The Earth-fixed positions of the satellite and the observer against skyfield's at the
   same instants (the frame chain: what an event-time offset is not).
1. Event times against the independent skyfield sampler of ``tests/reference.py`` (1 s
   sampling, bisection to 1 ms; the top as the root of the elevation rate, to 0.1 ms), for
   places and seasons where twilight and shadow decide the visible interval, and a pass
   topping at 0.19° (Karachi).
2. The Sun's altitude as the pass engine evaluates it between its 120 s nodes, against the
   frame table's exact one, and what a linear (chord) interpolation of the Earth-fixed Sun gave.
3. UT1 - UTC across the 2016-12-31 leap second against skyfield's own, and what a linear
   interpolation across the step gave.
4. Hand-overs: every gazetteer place over July 2022 (Wentian docked on 24 July; sets a day
   apart) with the nearest-set windows, against the old rule (each set keeps the passes whose
   own culmination falls in its stretch): passes lost or doubled.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reference import open_de421, reference_passes
from tiangong_orbit import orbit, passes, places, tle
from tiangong_orbit.model import Settings

CASES = (
    ("Denmark, June (issue 11)", 55.458, 12.1821, datetime(2026, 6, 30, tzinfo=UTC), 5.0),
    ("Cape Town, December", -33.92, 18.42, datetime(2025, 12, 1, tzinfo=UTC), 10.0),
    ("Quito, March", -0.18, -78.47, datetime(2026, 3, 25, tzinfo=UTC), 10.0),
    ("Islamabad, October", 33.6844, 73.0479, datetime(2026, 10, 7, tzinfo=UTC), 10.0),
    ("Karachi, October", 24.8607, 67.0011, datetime(2026, 10, 7, tzinfo=UTC), 10.0),
)


def frames() -> None:
    from skyfield.api import EarthSatellite, wgs84
    from skyfield.framelib import itrs

    day = datetime(2026, 6, 30, tzinfo=UTC)
    element_set = tle.nearest_set(tle.load_catalog(None).sets, 48274, day)
    moments = [day + timedelta(seconds=float(s)) for s in np.arange(0.0, 2 * 86400.0, 97.3)]
    ts = orbit.timescale()
    satellite = EarthSatellite(element_set.line1, element_set.line2, ts=ts)
    theirs = satellite.at(ts.from_datetimes(moments)).frame_xyz(itrs).km.T
    ours, _ = orbit.satellite_itrs(element_set.satrec, np.array([m.timestamp() for m in moments]))
    observer = orbit.Observers.from_geodetic(55.458, 12.1821, 0.0).position_km[0]
    place = wgs84.latlon(55.458, 12.1821).itrs_xyz.km
    print("0. Earth-fixed positions against skyfield's at the same instants (2 days, 1,776 times)")
    print(f"   satellite: max {np.abs(ours - theirs).max() * 1e6:.1f} mm; "
          f"observer: {np.abs(observer - place).max() * 1e6:.1e} mm")  # fmt: skip


def events() -> None:
    catalog = tle.load_catalog(None).sets
    print("1. Event times against the skyfield sampler (2 days each, every pass)")
    print(f"   {'case':<26} {'passes':>6} {'rise/set ms':>11} {'vis. ends ms':>12} "
          f"{'top time ms':>11} {'top elev. deg':>13}")  # fmt: skip
    ephemeris = open_de421()
    try:
        for label, lat, lon, day, min_visible in CASES:
            element_set = tle.nearest_set(catalog, 48274, day + timedelta(days=1))
            ref = reference_passes(
                element_set.line1, element_set.line2, lat, lon, 0.0, day, 2, ephemeris,
                min_visible_elevation_deg=min_visible,
            )  # fmt: skip
            (ours,) = passes.find_passes(
                element_set,
                [places.Place("here", lat, lon, 0.0, "UTC")],
                day,
                day + timedelta(days=2),
                Settings(min_visible_elevation_deg=min_visible),
                include_invisible=True,
            )
            rise_set, ends, top_t, top_e = [0.0], [0.0], [0.0], [0.0]
            for r, o in zip(ref, ours.passes, strict=True):
                rise_set += [
                    abs(o.rise.time.timestamp() - r.rise),
                    abs(o.set.time.timestamp() - r.set),
                ]
                top_t.append(abs(o.culmination.time.timestamp() - r.culmination))
                top_e.append(abs(o.culmination.elevation_deg - r.max_elevation_deg))
                if r.visible and o.visible:
                    ends += [
                        abs(o.visible_start.time.timestamp() - r.visible_start),
                        abs(o.visible_end.time.timestamp() - r.visible_end),
                    ]
            row = f"   {label:<26} {len(ref):>6} {max(rise_set) * 1e3:>11.1f} "
            row += f"{max(ends) * 1e3:>12.1f} {max(top_t) * 1e3:>11.1f} {max(top_e):>13.1e}"
            print(row)
    finally:
        ephemeris.close()


def sun() -> None:
    base = datetime(2026, 6, 30, tzinfo=UTC).timestamp()
    nodes = base + np.arange(11 * 3600, 37 * 3600 + 1, 120.0)
    t = base + np.arange(12 * 3600, 36 * 3600, 7.3)
    frames = orbit.FrameTable.for_span(nodes[0], nodes[-1], sun_step_s=passes.SUN_STEP_S)
    theta = frames.gmst_rad(nodes)
    r, v = np.zeros((len(nodes), 3)), np.zeros((len(nodes), 3))
    track = passes._Track.build(nodes[0], 0, 120.0, r, v, frames.sun_teme_at(nodes), theta)
    observer = orbit.Observers.from_geodetic(55.458, 12.1821, 0.0)

    def altitude(s: np.ndarray) -> np.ndarray:
        s = s - observer.position_km[0]
        return np.degrees(np.arcsin((s @ observer.up[0]) / np.linalg.norm(s, axis=1)))

    exact = altitude(frames.sun_itrs_at(t))
    engine = altitude(np.stack(track.sun(t), axis=-1))
    at_nodes = frames.sun_itrs_at(nodes)
    chord = altitude(np.stack([np.interp(t, nodes, at_nodes[:, k]) for k in range(3)], -1))
    print("2. The Sun's altitude between the 120 s nodes (Denmark, solstice, 24 h every 7.3 s)")
    print(f"   now: max error {np.abs(engine - exact).max():.1e}°; "
          f"a linear Earth-fixed interpolation: {np.abs(chord - exact).max():.1e}°")  # fmt: skip


def leap_second() -> None:
    ts = orbit.timescale()
    moments = [
        datetime(2016, 12, 31, tzinfo=UTC) + timedelta(seconds=float(s))
        for s in np.arange(0.0, 90000.0, 13.7)
    ]
    t_unix = np.array([m.timestamp() for m in moments])
    theirs = np.asarray(ts.from_datetimes(moments).dut1, dtype=float)
    ours = orbit.dut1_seconds(t_unix)
    table = orbit.FrameTable.for_span(t_unix.min(), t_unix.max(), sun=False)
    ramp = np.interp(t_unix, table.grid_unix, table.dut1_s)
    print("3. UT1 - UTC on 2016-12-31 and the hour after (every 13.7 s) against skyfield")
    print(f"   now: max error {np.abs(ours - theirs).max():.1e} s; "
          f"interpolated across the step: {np.abs(ramp - theirs).max():.2f} s")  # fmt: skip


def handovers() -> None:
    catalog = tle.load_catalog(None).sets
    place_list = list(places.gazetteer())
    start, end = datetime(2022, 7, 1, tzinfo=UTC), datetime(2022, 8, 1, tzinfo=UTC)
    stretches = tle.nearest_segments(catalog, 48274, start, end)
    now = passes.find_passes_over_sets(stretches, place_list, include_invisible=True)
    old: list[list[float]] = [[] for _ in place_list]
    for element_set, low, high in stretches:
        for index, group in enumerate(
            passes.find_passes(element_set, place_list, low, high, include_invisible=True)
        ):
            old[index] += [p.culmination.time.timestamp() for p in group.passes]
    lost = doubled = doubled_now = 0
    for index, group in enumerate(now):
        mine = [p.culmination.time.timestamp() for p in group.passes]
        # Two passes of one place under 30 minutes apart are one pass counted twice.
        twice = int((np.diff(sorted(old[index])) < 1800).sum())
        doubled += twice
        doubled_now += int((np.diff(sorted(mine)) < 1800).sum())
        lost += len(mine) - (len(old[index]) - twice)
    total = sum(len(g.passes) for g in now)
    print(f"4. Hand-overs, {len(place_list)} places, July 2022, {len(stretches)} sets: "
          f"{total:,} passes")  # fmt: skip
    print(f"   the old midpoint rule doubled {doubled} and lost {lost} of them; "
          f"now doubled: {doubled_now}")  # fmt: skip


if __name__ == "__main__":
    frames()
    events()
    sun()
    leap_second()
    handovers()
