"""A slow, plain reference pass finder for the tests: skyfield alone, dense sampling, bisection.

It shares no code with ``tiangong_orbit.passes`` or ``tiangong_orbit.orbit``: the satellite is
skyfield's ``EarthSatellite`` (TEME -> GCRS with skyfield's full precession-nutation chain), the
observer ``wgs84.latlon``, the Sun JPL DE421 opened by path, sunlit-ness skyfield's own
``is_sunlit``. Every quantity is sampled each second of the window; each event is then refined
on its one-second bracket: rise, set and the visible-interval boundaries by bisection to 1 ms,
the culmination as the root of the elevation's rate (a central difference of skyfield's
elevations ``RATE_HALF_S`` either side) by bisection to 0.1 ms. (A golden-section search on the
elevation itself, as before, leaned on comparing elevations 1e-9 degrees apart near a flat top:
off by up to 1.3 ms.) Conventions follow DESIGN.md: geometric
elevation, no refraction; the Sun's geometric (not light-time corrected) altitude.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files

import numpy as np
from skyfield.api import EarthSatellite, load, load_file, wgs84
from skyfield.nutationlib import iau2000b_radians

SAMPLE_S = 1.0
REFINE_S = 1e-3
TOP_REFINE_S = 1e-4
RATE_HALF_S = 0.01


@dataclass
class ReferencePass:
    """One pass, times in POSIX seconds (UTC); boundaries ``None`` when absent."""

    rise: float
    culmination: float
    set: float
    max_elevation_deg: float
    visible_start: float | None = None
    visible_end: float | None = None
    shadow_entry: float | None = None
    shadow_exit: float | None = None
    visible_boundaries: list[float] = field(default_factory=list)

    @property
    def visible(self) -> bool:
        return self.visible_start is not None


class ReferenceSky:
    """Skyfield's view of one satellite from one place, sampled or at any times."""

    def __init__(
        self,
        line1: str,
        line2: str,
        latitude_deg: float,
        longitude_deg: float,
        elevation_m: float,
        base: datetime,
        ephemeris,
    ) -> None:
        self.ts = load.timescale(builtin=True)
        self.satellite = EarthSatellite(line1, line2, ts=self.ts)
        self.topos = wgs84.latlon(latitude_deg, longitude_deg, elevation_m=elevation_m)
        self.eph = ephemeris
        # Times are seconds after ``base`` (a midnight UTC): no leap second inside the windows.
        self.base = base
        self.base_unix = base.timestamp()

    def times(self, offsets_s):
        b = self.base
        t = self.ts.utc(b.year, b.month, b.day, 0, 0, np.asarray(offsets_s, dtype=float))
        # IAU 2000B nutation (1 mas), as skyfield's own almanac searches use: 2000A costs
        # 50 us a sample, and the altitudes here depend on nutation only at the mas level.
        t._nutation_angles_radians = iau2000b_radians(t)
        return t

    def _altitude_deg(self, t, target_gcrs_km):
        observer = self.topos.at(t).xyz.km
        rotation = self.topos.rotation_at(t)
        local = np.einsum("ij...,j...->i...", rotation, target_gcrs_km - observer)
        return np.degrees(np.arctan2(local[2], np.hypot(local[0], local[1])))

    def elevation_deg(self, offsets_s):
        t = self.times(offsets_s)
        return self._altitude_deg(t, self.satellite.at(t).xyz.km)

    def sunlit(self, offsets_s):
        t = self.times(offsets_s)
        return np.asarray(self.satellite.at(t).is_sunlit(self.eph), dtype=bool)

    def sun_altitude_deg(self, offsets_s):
        t = self.times(offsets_s)
        sun = (self.eph["sun"] - self.eph["earth"]).at(t).xyz.km  # geometric
        return self._altitude_deg(t, sun)

    def conditions(self, offsets_s, min_elevation_deg, sun_max_altitude_deg):
        """(sunlit, dark sky, high enough) at once, from one ``Time``."""
        t = self.times(offsets_s)
        position = self.satellite.at(t)
        lit = np.asarray(position.is_sunlit(self.eph), dtype=bool)
        sun = (self.eph["sun"] - self.eph["earth"]).at(t).xyz.km
        dark = self._altitude_deg(t, sun) <= sun_max_altitude_deg
        high = self._altitude_deg(t, position.xyz.km) >= min_elevation_deg
        return lit, dark, high


def _bisect(predicate, lo, hi, tolerance_s=REFINE_S):
    """Boundaries of a boolean ``predicate`` (vectorized) with ``predicate(lo) != predicate(hi)``
    narrowed to ``tolerance_s``; returns the midpoints."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    if lo.size == 0:
        return lo
    at_lo = predicate(lo)
    while (hi - lo).max() > tolerance_s:
        mid = 0.5 * (lo + hi)
        at_mid = predicate(mid)
        same = at_mid == at_lo
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def reference_passes(
    line1: str,
    line2: str,
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    start: datetime,
    days: float,
    ephemeris,
    *,
    horizon_deg: float = 0.0,
    min_visible_elevation_deg: float = 10.0,
    sun_max_altitude_deg: float = -6.0,
) -> list[ReferencePass]:
    """Every pass whose culmination lies in ``[start, start + days)``, in time order.

    ``start`` must be a midnight UTC (the sampling base). The search runs 30 minutes beyond
    both ends so that passes across the edges get their true rise and set.
    """
    base = start.astimezone(UTC)
    sky = ReferenceSky(line1, line2, latitude_deg, longitude_deg, elevation_m, base, ephemeris)
    pad = 1800.0
    window = days * 86400.0
    offsets = np.arange(-pad, window + pad + SAMPLE_S, SAMPLE_S)
    parts = np.array_split(offsets, max(1, len(offsets) // 200_000))
    elevation = np.concatenate([sky.elevation_deg(part) for part in parts])

    # Local maxima of the sampled elevation near or above the horizon (grazing passes too).
    middle = elevation[1:-1]
    peaks = (
        np.flatnonzero(
            (middle >= elevation[:-2]) & (middle > elevation[2:]) & (middle > horizon_deg - 0.05)
        )
        + 1
    )

    def rising(x):
        x = np.asarray(x, dtype=float)
        both = sky.elevation_deg(np.concatenate((x + RATE_HALF_S, x - RATE_HALF_S)))
        return both[: len(x)] >= both[len(x) :]

    culmination = _bisect(
        rising, offsets[peaks] - SAMPLE_S, offsets[peaks] + SAMPLE_S, TOP_REFINE_S
    )
    max_elevation = sky.elevation_deg(culmination)
    keep = (max_elevation >= horizon_deg) & (culmination >= 0) & (culmination < window)
    culmination, max_elevation, peaks = culmination[keep], max_elevation[keep], peaks[keep]

    def above(x):
        return sky.elevation_deg(x) >= horizon_deg

    # Rise: the last sample below the horizon before the peak; set: the first after it.
    below = elevation < horizon_deg
    rise_lo, set_hi = [], []
    for peak, tc in zip(peaks, culmination, strict=True):
        i = peak
        while not below[i]:
            i -= 1
        rise_lo.append((offsets[i], min(offsets[i + 1], tc)))
        j = peak + 1
        while not below[j]:
            j += 1
        set_hi.append((max(offsets[j - 1], tc), offsets[j]))
    rise = _bisect(above, [a for a, _ in rise_lo], [b for _, b in rise_lo])
    set_ = _bisect(above, [a for a, _ in set_hi], [b for _, b in set_hi])

    passes = []
    for k in range(len(culmination)):
        passes.append(
            ReferencePass(
                rise=sky.base_unix + rise[k],
                culmination=sky.base_unix + culmination[k],
                set=sky.base_unix + set_[k],
                max_elevation_deg=float(max_elevation[k]),
            )
        )
    if not passes:
        return passes

    # Visibility: every condition on whole seconds inside each pass, changes bisected.
    def conditions(x):
        return sky.conditions(x, min_visible_elevation_deg, sun_max_altitude_deg)

    def visible_at(x):
        lit, dark, high = conditions(x)
        return lit & dark & high

    # Every second inside every pass at once, plus the rise and set themselves.
    grids = [
        np.concatenate(([rise[k]], np.arange(math.ceil(rise[k]), set_[k], SAMPLE_S), [set_[k]]))
        for k in range(len(passes))
    ]
    owner = np.concatenate([np.full(len(g), k) for k, g in enumerate(grids)])
    grid = np.concatenate(grids)
    lit, dark, high = conditions(grid)
    ok = lit & dark & high
    same_pass = owner[1:] == owner[:-1]
    change = np.flatnonzero(same_pass & (ok[1:] != ok[:-1]))
    edges = _bisect(visible_at, grid[change], grid[change + 1])
    shadow_change = np.flatnonzero(same_pass & (lit[1:] != lit[:-1]))
    shadow_when = _bisect(sky.sunlit, grid[shadow_change], grid[shadow_change + 1])
    first_index = np.searchsorted(owner, np.arange(len(passes)))

    for k, ref in enumerate(passes):
        mine = owner[change] == k
        points = np.concatenate(([rise[k]], edges[mine], [set_[k]]))
        state = bool(ok[first_index[k]])
        best = None
        for a, b in itertools.pairwise(points):
            if state and (best is None or b - a > best[1] - best[0]):
                best = (a, b)
            state = not state
        if best is not None and best[1] > best[0]:
            ref.visible_start = sky.base_unix + best[0]
            ref.visible_end = sky.base_unix + best[1]
        ref.visible_boundaries = [sky.base_unix + e for e in edges[mine]]
        for c, w in zip(shadow_change, shadow_when, strict=True):
            if owner[c] != k:
                continue
            if lit[c] and ref.shadow_entry is None:
                ref.shadow_entry = sky.base_unix + w
            if not lit[c] and ref.shadow_exit is None:
                ref.shadow_exit = sky.base_unix + w
    return passes


def open_de421():
    """JPL DE421 from the skyfield-data package, by path (no expiry warnings); close it after."""
    return load_file(str(files("skyfield_data") / "data" / "de421.bsp"))
