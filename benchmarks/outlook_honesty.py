"""Measured honesty of ``tiangong-orbit outlook`` over Tiangong's real history.

Run by hand (nothing here is asserted by the tests; ``tests/test_outlook.py`` checks a few
nights in the suite):

    python benchmarks/outlook_honesty.py                      # 2022-2026, leads 30/60/90 days
    python benchmarks/outlook_honesty.py --tle data/tle/tiangong_additions.tle --calibrate
    python benchmarks/outlook_honesty.py --start 2025-01-01 --end 2026-01-01 --leads 60

What it does:

* Reference: every visible pass of 20 s or more at six Pakistani cities, each computed from the
  element set nearest it (``tle.nearest_segments``), as ``passes`` does over the history.
  Passes whose nearest set is more than ``--ref-max-age`` days away (gaps in the history) are
  left out: there the reference itself is not exact.
* For each lead N (30, 60, 90 days): every day's evening and morning (days cut at 07:30 UTC, in
  daylight all over Pakistan) is computed as an outlook window from the newest set whose epoch
  is at least N days before the day's middle, with only the sets up to that one known (so the
  held nodal rate uses no later data).
* Prints, per lead: containment (the share of reference passes whose visible interval lies
  inside its period's window, and the share of periods whose pass count is at most
  ``max_passes``), the median window width, the share of periods flagged possible, and the same
  share from the exact reference; then Lahore in 2025 evening by evening and morning by morning.
* ``--calibrate`` also prints the envelope of the node's prediction error over every pair of
  sets up to 730 days apart (the figures behind ``outlook.RAAN_MARGIN_*``).
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from tiangong_orbit import outlook, places, tle
from tiangong_orbit.model import Settings
from tiangong_orbit.passes import find_passes_over_sets

CITIES = ("Lahore", "Karachi", "Islamabad", "Peshawar", "Quetta", "Multan", "Gilgit")
MIN_VISIBLE_S = 20.0


def load_sets(extra: list[Path]) -> list[tle.ElementSet]:
    """Tiangong's bundled sets plus any extra files, one per epoch, oldest first."""
    found: list[tle.ElementSet] = []
    for path in [*tle.bundled_files(), *extra]:
        found.extend(tle.parse_file(path, source="file"))
    return tle.sets_for(found, tle.TIANGONG_NORAD_ID)


def calibrate(sets: list[tle.ElementSet]) -> None:
    """Print the node's prediction error envelope (deg) against age (days)."""
    epochs = np.array([s.epoch.timestamp() for s in sets]) / 86400.0
    nodes = np.array([s.satrec.nodeo for s in sets])
    rates = np.array([outlook.nodal_rate_rad_s(s, sets) * 86400.0 for s in sets])
    age = epochs[None, :] - epochs[:, None]
    error = np.degrees(
        np.abs(
            (nodes[None, :] - (nodes[:, None] + rates[:, None] * age) + np.pi) % (2 * np.pi) - np.pi
        )
    )
    usable = (age > 0.5) & (age <= 730)
    print("Node (RAAN) prediction error from the held nodal rate, every pair of sets:")
    print(
        f"{'age (days)':>12} {'pairs':>7} {'median °':>9} {'99 % °':>8} {'max °':>7} "
        f"{'margin °':>9}"
    )
    for low, high in (
        (5, 15),
        (25, 35),
        (55, 65),
        (85, 95),
        (115, 125),
        (170, 190),
        (355, 370),
        (600, 730),
    ):
        inside = (age > low) & (age <= high)
        if inside.sum():
            values = error[inside]
            print(
                f"{low:>5}-{high:<6} {inside.sum():>7} {np.median(values):>9.2f} "
                f"{np.percentile(values, 99):>8.2f} {values.max():>7.2f} "
                f"{outlook.raan_margin_deg((low + high) / 2):>9.2f}"
            )
    slope = ((error[usable] - outlook.RAAN_MARGIN_BASE_DEG) / age[usable]).max()
    margin = outlook.RAAN_MARGIN_BASE_DEG + outlook.RAAN_MARGIN_DEG_PER_DAY * age[usable]
    inside = (error[usable] <= margin).mean()
    print(
        f"envelope: error <= {outlook.RAAN_MARGIN_BASE_DEG} + {slope:.4f} * age over "
        f"{usable.sum()} pairs; the margin used ({outlook.RAAN_MARGIN_BASE_DEG} + "
        f"{outlook.RAAN_MARGIN_DEG_PER_DAY} * age) holds for {inside:.2%} of them\n"
    )


def reference(sets, cities, start, end, ref_max_age):
    """Visible passes (>= 20 s) per city from the nearest set, and how many were left out."""
    stretches = tle.nearest_segments(sets, tle.TIANGONG_NORAD_ID, start, end)
    found = find_passes_over_sets(stretches, cities, Settings())
    kept, dropped = [], 0
    for group in found:
        mine = []
        for item in group.passes:
            if (item.visible_duration_s or 0.0) < MIN_VISIBLE_S:
                continue
            if item.tle_age_days > ref_max_age:
                dropped += 1
                continue
            mine.append(item)
        kept.append(mine)
    return kept, dropped


def windows_for_lead(sets, cities, start, end, lead_days):
    """Every city's periods in [start, end), each from the newest set ``lead_days`` before."""
    epochs = np.array([s.epoch.timestamp() for s in sets])
    first_cut = datetime(start.year, start.month, start.day, 7, 30, tzinfo=UTC)
    cuts = []
    moment = first_cut
    while moment < end:
        cuts.append(moment)
        moment += timedelta(days=1)
    cuts.append(moment)
    owners = []
    for low, high in itertools.pairwise(cuts):
        middle = low + (high - low) / 2 - timedelta(days=lead_days)
        owners.append(int(np.searchsorted(epochs, middle.timestamp(), side="right")) - 1)
    periods = [[] for _ in cities]
    index = 0
    while index < len(owners):
        stop = index
        while stop + 1 < len(owners) and owners[stop + 1] == owners[index]:
            stop += 1
        owner = owners[index]
        if owner >= 0:
            result = outlook.compute_outlook(
                sets[: owner + 1],
                tle.TIANGONG_NORAD_ID,
                cities,
                cuts[index],
                cuts[stop + 1],
                exact_max_sigma_s=0.0,
            )
            for city_index, group in enumerate(result.places):
                periods[city_index].extend(group.periods)
        index = stop + 1
    return periods


def evaluate(ref, periods):
    """Containment and widths for one lead."""
    total = contained = 0
    count_ok = count_total = 0
    widths = []
    flagged = possible_real = considered = 0
    misses = []
    for city_passes, city_periods in zip(ref, periods, strict=True):
        starts = np.array([p.start.timestamp() for p in city_periods])
        per_period = defaultdict(list)
        for item in city_passes:
            at = item.visible_start.time.timestamp()
            index = int(np.searchsorted(starts, at, side="right")) - 1
            per_period[index].append(item)
        for index, period in enumerate(city_periods):
            if period.kind != "window":
                continue
            considered += 1
            flagged += bool(period.possible)
            real = per_period.get(index, [])
            possible_real += bool(real)
            if period.possible:
                widths.append((period.latest - period.earliest).total_seconds() / 60.0)
            if real:
                count_total += 1
                count_ok += len(real) <= period.max_passes
            for item in real:
                total += 1
                inside = (
                    period.possible
                    and period.earliest <= item.visible_start.time
                    and item.visible_end.time <= period.latest
                )
                contained += bool(inside)
                if not inside:
                    misses.append((period, item))
    return {
        "passes": total,
        "contained": contained,
        "count_ok": count_ok,
        "count_total": count_total,
        "median_width_min": statistics.median(widths) if widths else math.nan,
        "flagged": flagged,
        "real": possible_real,
        "periods": considered,
        "misses": misses,
    }


def lahore_2025(sets, lead_days):
    """Lahore in 2025: evenings and mornings flagged against those with real visible passes."""
    lahore = [places.find_place("Lahore")]
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    ref, _dropped = reference(sets, lahore, start, end, 1e9)
    periods = windows_for_lead(sets, lahore, start, end, lead_days)[0]
    nights = {"evening": set(), "morning": set()}
    for item in ref[0]:
        local = item.visible_start.time + timedelta(hours=5)
        nights["evening" if local.hour >= 12 else "morning"].add(local.date())
    flagged = {"evening": set(), "morning": set()}
    for period in periods:
        if period.possible and period.date.year == 2025:
            flagged[period.period].add(period.date)
    for name in ("evening", "morning"):
        hit = len(nights[name] & flagged[name])
        print(
            f"Lahore 2025 {name}s: {len(nights[name])} with visible passes (exact data), "
            f"{len(flagged[name])} flagged from the set {lead_days} days before, "
            f"{hit} of the real ones among them"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tle", type=Path, action="append", default=[], help="extra sets")
    parser.add_argument("--start", default="2022-01-01")
    parser.add_argument("--end", default="2026-09-01")
    parser.add_argument("--leads", type=float, nargs="*", default=[30.0, 60.0, 90.0])
    parser.add_argument("--ref-max-age", type=float, default=3.0)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--misses", type=int, default=5, help="list this many misses per lead")
    args = parser.parse_args()
    sets = load_sets(args.tle)
    print(
        f"{len(sets)} Tiangong sets, {sets[0].epoch:%Y-%m-%d} to {sets[-1].epoch:%Y-%m-%d}; "
        f"cities: {', '.join(CITIES)}\n"
    )
    if args.calibrate:
        calibrate(sets)
    if not args.leads:
        return
    cities = [places.find_place(name) for name in CITIES]
    start = datetime.fromisoformat(args.start).replace(tzinfo=UTC)
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC)
    ref, dropped = reference(sets, cities, start, end, args.ref_max_age)
    print(
        f"Reference: {sum(map(len, ref))} visible passes of {MIN_VISIBLE_S:.0f} s or more "
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d} ({dropped} left out: nearest set over "
        f"{args.ref_max_age:g} days away)\n"
    )
    header = (
        f"{'lead':>5} {'passes':>7} {'contained':>10} {'counts ok':>10} {'median width':>13} "
        f"{'flagged':>8} {'with passes':>12} {'seconds':>8}"
    )
    print(header)
    for lead in args.leads:
        began = time.perf_counter()
        periods = windows_for_lead(sets, cities, start, end, lead)
        result = evaluate(ref, periods)
        elapsed = time.perf_counter() - began
        print(
            f"{lead:>4.0f}d {result['passes']:>7} "
            f"{result['contained'] / max(1, result['passes']):>10.2%} "
            f"{result['count_ok'] / max(1, result['count_total']):>10.2%} "
            f"{result['median_width_min']:>9.0f} min "
            f"{result['flagged'] / max(1, result['periods']):>8.1%} "
            f"{result['real'] / max(1, result['periods']):>12.1%} {elapsed:>8.0f}"
        )
        for period, item in result["misses"][: args.misses]:
            print(
                f"      miss: {period.date} {period.period} window "
                f"{period.earliest:%H:%M}-{period.latest:%H:%M} "
                f"UTC, pass {item.visible_start.time:%H:%M:%S}-{item.visible_end.time:%H:%M:%S} UTC"
                if period.possible
                else f"      miss: {period.date} {period.period}: no window, pass "
                f"{item.visible_start.time:%Y-%m-%d %H:%M:%S} UTC"
            )
        sys.stdout.flush()
    print()
    for lead in args.leads:
        lahore_2025(sets, lead)


if __name__ == "__main__":
    main()
