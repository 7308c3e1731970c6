"""The sky around a pass: bright stars, constellation figures, the Moon and the planets, and
the closest approach of the station to one of them ("passes 2° below Jupiter").

Sources (offline): the 921 stars to magnitude 4.5 and the IAU constellation figures in
``data/sky/`` (XHIP through d3-celestial, see ``data/sky/SOURCES.md``), J2000 positions; the
Moon and planets from JPL DE421 (the skyfield-data package). Positions of date come from
skyfield (precession, nutation, aberration; topocentric for the Moon); altitude and azimuth
are geometric, without refraction, like the station's (DESIGN.md, Conventions). Over the few
minutes of a pass the objects' right ascension and declination of date are held fixed and the
sky is turned by the sidereal time, which is good to about 0.01° for the Moon.

Pure: no printing, no clock, no network.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from tiangong_orbit import orbit

if TYPE_CHECKING:
    from tiangong_orbit.model import PlacePasses
    from tiangong_orbit.tle import ElementSet
from tiangong_orbit.errors import DataError
from tiangong_orbit.resources import data_path

__all__ = [
    "NEAR_LIMIT_DEG",
    "NEAR_STAR_MAG",
    "Near",
    "SkyObjects",
    "add_near",
    "near_phrase",
    "sky_objects",
    "sky_objects_at",
]

#: A pass is said to come near an object when it passes within this angle of it (degrees).
NEAR_LIMIT_DEG = 5.0
#: Stars named in words: brighter than this magnitude (about the 60 brightest; the eye finds
#: them at once even from a city).
NEAR_STAR_MAG = 2.0
#: Planets drawn and named (DE421 target names, the words used).
PLANETS: tuple[tuple[str, str], ...] = (
    ("mercury", "Mercury"),
    ("venus", "Venus"),
    ("mars barycenter", "Mars"),
    ("jupiter barycenter", "Jupiter"),
    ("saturn barycenter", "Saturn"),
)
#: Planets fainter than this are left out (Mercury deep in twilight, say).
PLANET_LIMIT_MAG = 3.0


@dataclass(frozen=True)
class Catalogue:
    """The bundled bright stars (arrays of shape ``(n,)``) and constellation figures."""

    name: tuple[str, ...]
    ra_deg: np.ndarray
    dec_deg: np.ndarray
    vmag: np.ndarray
    # Segments between two J2000 positions, shape (m, 4): ra1, dec1, ra2, dec2 (degrees).
    figure_segments: np.ndarray


@cache
def catalogue() -> Catalogue:
    """The bundled star catalogue, read once; :class:`DataError` if a file is damaged."""
    stars_path = data_path("sky", "bright_stars.csv")
    lines_path = data_path("sky", "constellation_lines.csv")
    try:
        with stars_path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with lines_path.open(encoding="utf-8", newline="") as handle:
            segments = [
                [
                    float(r["ra1_deg"]),
                    float(r["dec1_deg"]),
                    float(r["ra2_deg"]),
                    float(r["dec2_deg"]),
                ]
                for r in csv.DictReader(handle)
            ]
        return Catalogue(
            tuple(r["name"] for r in rows),
            np.array([float(r["ra_deg"]) for r in rows]),
            np.array([float(r["dec_deg"]) for r in rows]),
            np.array([float(r["vmag"]) for r in rows]),
            np.array(segments, dtype=float).reshape(-1, 4),
        )
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(
            f"cannot read the bundled star catalogue in {stars_path.parent}: {exc}; "
            "reinstall tiangong-orbit"
        ) from exc


@dataclass(frozen=True)
class Body:
    """The Moon or a planet: apparent topocentric right ascension and declination of date."""

    name: str
    ra_deg: float
    dec_deg: float
    magnitude: float | None
    #: Illuminated fraction of the Moon's disc (0-1); ``None`` for a planet.
    illuminated: float | None = None


@dataclass(frozen=True)
class SkyObjects:
    """Stars, figures and bodies for one place around one moment, as right ascension and
    declination of date (degrees), with :meth:`altaz` to turn them to any nearby time."""

    latitude_deg: float
    longitude_deg: float
    star_names: tuple[str, ...]
    star_ra_deg: np.ndarray
    star_dec_deg: np.ndarray
    star_vmag: np.ndarray
    figure_segments: np.ndarray
    bodies: tuple[Body, ...]
    t_unix: float

    def altaz(
        self, ra_deg: np.ndarray, dec_deg: np.ndarray, t_unix: float | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Geometric (azimuth, altitude) in degrees of the given right ascensions and
        declinations of date, seen from the place at ``t_unix`` (default the moment of these
        objects); arrays broadcast, e.g. ``(n_times, 1)`` against ``(n_objects,)``."""
        moment = np.asarray(self.t_unix if t_unix is None else t_unix, dtype=float)
        gast_deg = _gast_deg(moment)
        hour_angle = np.radians(gast_deg + self.longitude_deg - np.asarray(ra_deg))
        dec = np.radians(np.asarray(dec_deg))
        lat = math.radians(self.latitude_deg)
        sin_alt = np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(hour_angle)
        altitude = np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))
        azimuth = np.degrees(
            np.arctan2(
                -np.cos(dec) * np.sin(hour_angle),
                np.sin(dec) * np.cos(lat) - np.cos(dec) * np.sin(lat) * np.cos(hour_angle),
            )
        )
        return azimuth % 360.0, altitude


def _gast_deg(t_unix: np.ndarray) -> np.ndarray:
    """Greenwich apparent sidereal time in degrees at POSIX seconds (skyfield)."""
    times = orbit.skyfield_times(np.atleast_1d(t_unix).ravel())
    gast = np.asarray(times.gast, dtype=float) * 15.0
    return gast.reshape(np.shape(t_unix))


def sky_objects(
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    moment: datetime,
    *,
    star_limit_mag: float | None = None,
    figures: bool = True,
) -> SkyObjects:
    """The bright stars, figures, Moon and planets for a place around ``moment`` (aware).

    ``star_limit_mag`` keeps only the stars at least that bright and ``figures=False`` leaves
    out the constellation figures: what the closest-approach words need, at a third the cost.
    """
    from skyfield.starlib import Star
    from skyfield.toposlib import wgs84

    cat = catalogue()
    keep = (
        np.ones(len(cat.vmag), dtype=bool) if star_limit_mag is None else cat.vmag <= star_limit_mag
    )
    eph = orbit.ephemeris()
    t = orbit.skyfield_times(np.array([moment.timestamp()]))[0]
    earth = eph["earth"]
    observer = (earth + wgs84.latlon(latitude_deg, longitude_deg, elevation_m)).at(t)
    geocentre = earth.at(t)

    def of_date(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Stars are too far for parallax: the geocentre is enough and cheaper.
        star = Star(ra_hours=np.asarray(ra_deg) / 15.0, dec_degrees=np.asarray(dec_deg))
        ra, dec, _ = geocentre.observe(star).apparent().radec(epoch="date")
        return np.asarray(ra.hours) * 15.0, np.asarray(dec.degrees)

    star_ra, star_dec = of_date(cat.ra_deg[keep], cat.dec_deg[keep])
    segments = cat.figure_segments if figures else np.zeros((0, 4))
    if len(segments):
        ra1, dec1 = of_date(segments[:, 0], segments[:, 1])
        ra2, dec2 = of_date(segments[:, 2], segments[:, 3])
        segments = np.column_stack([ra1, dec1, ra2, dec2])
    bodies = _bodies(observer)
    return SkyObjects(
        latitude_deg,
        longitude_deg,
        tuple(name for name, kept in zip(cat.name, keep, strict=True) if kept),
        star_ra,
        star_dec,
        cat.vmag[keep],
        segments,
        tuple(bodies),
        moment.timestamp(),
    )


def _bodies(observer: Any) -> tuple[Body, ...]:
    """The Moon and the planets brighter than :data:`PLANET_LIMIT_MAG` seen from ``observer``
    (a skyfield position of a place at one time)."""
    from skyfield.magnitudelib import planetary_magnitude

    eph = orbit.ephemeris()
    bodies: list[Body] = []
    moon = observer.observe(eph["moon"]).apparent()
    ra, dec, _ = moon.radec(epoch="date")
    illuminated = float(moon.fraction_illuminated(eph["sun"]))
    bodies.append(Body("the Moon", float(ra.hours) * 15.0, float(dec.degrees), None, illuminated))
    for target, word in PLANETS:
        seen = observer.observe(eph[target]).apparent()
        ra, dec, _ = seen.radec(epoch="date")
        try:
            magnitude: float | None = float(planetary_magnitude(seen))
        except (ValueError, KeyError, TypeError):  # a body skyfield has no formula for
            magnitude = None
        if magnitude is not None and not math.isfinite(magnitude):
            magnitude = None
        if magnitude is not None and magnitude > PLANET_LIMIT_MAG:
            continue
        bodies.append(Body(word, float(ra.hours) * 15.0, float(dec.degrees), magnitude))
    return tuple(bodies)


def sky_objects_at(
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    moments: Sequence[datetime],
    *,
    star_limit_mag: float | None = None,
) -> list[SkyObjects]:
    """:func:`sky_objects` for each of ``moments`` (aware, the passes of one listing): the
    stars and figures are carried to the date once, at the middle moment, and shared (over
    a year they move by under 0.02° of date; the chart draws them at a fraction of a degree),
    the Moon and planets are placed at each moment. ``star_limit_mag`` as for
    :func:`sky_objects`. ``[]`` for no moments."""
    from dataclasses import replace

    from skyfield.toposlib import wgs84

    if not moments:
        return []
    stamps = sorted(moment.timestamp() for moment in moments)
    from tiangong_orbit.timeutil import from_unix

    middle = from_unix((stamps[0] + stamps[-1]) / 2.0)
    shared = sky_objects(
        latitude_deg, longitude_deg, elevation_m, middle, star_limit_mag=star_limit_mag
    )
    eph = orbit.ephemeris()
    place = eph["earth"] + wgs84.latlon(latitude_deg, longitude_deg, elevation_m)
    times = orbit.skyfield_times(np.array([moment.timestamp() for moment in moments]))
    return [
        replace(shared, bodies=_bodies(place.at(t)), t_unix=moment.timestamp())
        for moment, t in zip(moments, times, strict=True)
    ]


@dataclass(frozen=True)
class Near:
    """The station's closest approach to a bright object during a visible pass."""

    name: str
    kind: str  # "star", "planet" or "moon"
    time: datetime
    separation_deg: float
    #: Where the station passes relative to the object: "above", "below", "left of",
    #: "right of" (as seen by someone facing the object), or "across" within 0.5°.
    relation: str
    magnitude: float | None

    def words(self) -> str:
        """'2° below Jupiter', 'right by Vega': the relation without a time."""
        if self.relation == "across":
            return f"right by {self.name}"
        return f"{self.separation_deg:.0f}° {self.relation} {self.name}"

    def phrase(self, clock: str) -> str:
        """Words for a table or an alert: 'passes 2° below Jupiter at 19:44' (``clock`` is
        the local time as the caller prints it)."""
        return f"passes {self.words()} at {clock}"


def _relation(d_az_deg: float, d_alt_deg: float, separation_deg: float) -> str:
    if separation_deg < 0.5:
        return "across"
    if abs(d_alt_deg) >= abs(d_az_deg):
        return "above" if d_alt_deg > 0 else "below"
    return "left of" if d_az_deg < 0 else "right of"


def near_phrase(near: Near | None, clock: str) -> str | None:
    """The words for a pass's closest approach, or ``None`` (for the alert text)."""
    return None if near is None else near.phrase(clock)


def visible_bodies(objects: SkyObjects, moments: Sequence[float]) -> list[str]:
    """Names of the Moon and planets above the horizon at any of ``moments`` (POSIX s)."""
    names = []
    for body in objects.bodies:
        _, alt = objects.altaz(np.array([body.ra_deg]), np.array([body.dec_deg]), np.array(moments))
        if (alt > 0).any():
            names.append(body.name)
    return names


#: How many visible passes :func:`add_near` samples at once (memory: about 4 kB a pass).
NEAR_BATCH_PASSES = 8192


def add_near(
    groups: Sequence[PlacePasses],
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    *,
    step_s: float = 4.0,
) -> tuple[PlacePasses, ...]:
    """``groups`` with :attr:`Pass.near` filled for every visible pass (the others are left
    as they are).

    ``stretches`` are the (element set, start, end) spans the passes were computed from
    (``tle.nearest_segments``): each pass is sampled every ``step_s`` seconds over its visible
    interval with the set whose span holds its culmination. All samples of all places go
    through SGP4 at once and meet the bright stars and the bodies in one array per set, in
    the TEME frame: the stars' directions of date are taken once for the window (they turn by
    0.004° a month), the Moon and planets from hourly geocentric nodes seen from each place
    (parallax included). The closest sample is refined on the chords to its neighbours (the
    path is straight over a few seconds). Planets and the Moon are preferred to a star at a
    like distance (within 1°): they are what people recognise.
    """
    from dataclasses import replace

    from skyfield.sgp4lib import TEME
    from skyfield.starlib import Star

    from tiangong_orbit.model import PassList
    from tiangong_orbit.timeutil import from_unix

    jobs: list[tuple[int, int, float, float]] = []  # (group, pass, start, end) in POSIX s
    culminations: list[float] = []
    for g, group in enumerate(groups):
        if isinstance(group.passes, PassList):  # the predictor's arrays: no object per pass
            t6 = group.passes.columns.time_unix
            for k in np.flatnonzero(np.isfinite(t6[:, 3]) & np.isfinite(t6[:, 5])).tolist():
                jobs.append((g, k, float(t6[k, 3]), float(t6[k, 5])))
                culminations.append(float(t6[k, 1]))
            continue
        for k, item in enumerate(group.passes):
            if item.visible_start is not None and item.visible_end is not None:
                jobs.append(
                    (g, k, item.visible_start.time.timestamp(), item.visible_end.time.timestamp())
                )
                culminations.append(item.culmination.time.timestamp())
    if not jobs or not stretches:
        return tuple(groups)

    first = min(job[2] for job in jobs) - 3600.0
    last = max(job[3] for job in jobs) + 3600.0
    cat = catalogue()
    bright = np.flatnonzero((cat.vmag <= NEAR_STAR_MAG) & np.array([bool(n) for n in cat.name]))
    names = [cat.name[i] for i in bright]
    kinds = ["star"] * len(bright)
    mags: list[float | None] = [float(cat.vmag[i]) for i in bright]
    eph = orbit.ephemeris()
    middle = orbit.skyfield_times(np.array([(first + last) / 2.0]))
    star = Star(ra_hours=cat.ra_deg[bright] / 15.0, dec_degrees=cat.dec_deg[bright])
    star_teme = eph["earth"].at(middle[0]).observe(star).apparent().frame_xyz(TEME).au
    star_dirs = (star_teme / np.linalg.norm(star_teme, axis=0)).T  # (n_stars, 3)
    grid = np.arange(math.floor(first / 3600.0) * 3600.0, last + 3600.0, 3600.0)
    grid_t = orbit.skyfield_times(grid)
    body_nodes = []
    for target, word in (("moon", "the Moon"), *PLANETS):
        seen = eph["earth"].at(grid_t).observe(eph[target]).apparent()
        body_nodes.append(np.asarray(seen.frame_xyz(TEME).km).T)  # (n_grid, 3)
        try:
            magnitude: float | None = (
                None if target == "moon" else float(np.nanmin(planetary_magnitude_of(seen)))
            )
        except (ValueError, KeyError, TypeError):
            magnitude = None
        names.append(word)
        kinds.append("moon" if target == "moon" else "planet")
        mags.append(magnitude)
    n_stars = len(bright)

    found: dict[tuple[int, int], Near] = {}
    all_jobs, all_culminations = jobs, culminations
    # In batches of passes, so that memory stays bounded however long the window
    # (a year of every place: about 100,000 visible passes, 4.5 million samples).
    for b0 in range(0, len(all_jobs), NEAR_BATCH_PASSES):
        jobs = all_jobs[b0 : b0 + NEAR_BATCH_PASSES]
        culminations = all_culminations[b0 : b0 + NEAR_BATCH_PASSES]
        # Samples of every visible interval.
        starts = np.array([job[2] for job in jobs])
        ends = np.array([job[3] for job in jobs])
        counts = np.maximum(2, np.ceil((ends - starts) / step_s).astype(int) + 1)
        owner = np.repeat(np.arange(len(jobs)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        t = np.minimum(starts[owner] + offsets * step_s, ends[owner])
        t[np.cumsum(counts) - 1] = ends  # each interval's last sample on its end
        places = [group.place for group in groups]
        observers = orbit.Observers.from_geodetic(
            [p.latitude_deg for p in places],
            [p.longitude_deg for p in places],
            [p.elevation_m for p in places],
        )
        place_of = np.array([job[0] for job in jobs])[owner]

        def set_for(moment: float) -> int:
            for index, (_, low, high) in enumerate(stretches):
                if low.timestamp() <= moment < high.timestamp():
                    return index
            return len(stretches) - 1 if moment >= stretches[-1][2].timestamp() else 0

        set_of_job = np.array([set_for(c) for c in culminations])
        frames = orbit.FrameTable.for_span(float(t.min()), float(t.max()), sun=False)
        theta = frames.gmst_rad(t)
        sat_teme = np.empty((len(t), 3))
        for index in sorted(set(set_of_job.tolist())):  # (np.unique costs a 16 ms import)
            rows = set_of_job[owner] == index
            sat_teme[rows], _ = orbit.propagate_teme(stretches[int(index)][0].satrec, t[rows])

        # Observers in TEME: turn their Earth-fixed vectors back by GMST.
        def to_teme(vectors: np.ndarray, theta: np.ndarray = theta) -> np.ndarray:
            return orbit.teme_to_itrs(vectors, -theta)

        p_teme = to_teme(observers.position_km[place_of])
        up_teme = to_teme(observers.up[place_of])
        north_teme = to_teme(observers.north[place_of])
        east_teme = to_teme(observers.east[place_of])
        sat_dir = _unit_rows(sat_teme - p_teme)
        body_dirs = np.stack(
            [
                _unit_rows(
                    np.stack([np.interp(t, grid, nodes[:, k]) for k in range(3)], -1) - p_teme
                )
                for nodes in body_nodes
            ],
            axis=1,
        )  # (n_samples, n_bodies, 3)
        # Per visible interval and object, the largest cosine of the separation (objects below
        # the horizon count as -2), in chunks of samples to bound memory.
        bounds = np.concatenate(([0], np.cumsum(counts)))
        n_objects = n_stars + len(body_nodes)
        best_cos = np.full((len(jobs), n_objects), -2.0)
        # An object within NEAR_LIMIT_DEG (+1° for the planets' preference) of a station standing
        # higher than that is above the horizon: the horizon test is needed only for chunks where
        # the station stands lower (a --min-visible-elevation under about 6.5°).
        sin_station = np.einsum("nk,nk->n", sat_dir, up_teme)
        always_up = math.sin(math.radians(NEAR_LIMIT_DEG + 1.5))
        chunk = 50_000
        for c0 in range(0, len(jobs), max(1, chunk // max(1, int(counts.max())))):
            c1 = min(len(jobs), c0 + max(1, chunk // max(1, int(counts.max()))))
            lo, hi = int(bounds[c0]), int(bounds[c1])
            cos = np.concatenate(
                (
                    sat_dir[lo:hi] @ star_dirs.T,
                    np.einsum("nk,nbk->nb", sat_dir[lo:hi], body_dirs[lo:hi]),
                ),
                axis=1,
            )
            if sin_station[lo:hi].min() <= always_up:
                altitude = np.concatenate(
                    (
                        up_teme[lo:hi] @ star_dirs.T,
                        np.einsum("nk,nbk->nb", up_teme[lo:hi], body_dirs[lo:hi]),
                    ),
                    axis=1,
                )
                cos[altitude <= 0.0] = -2.0
            best_cos[c0:c1] = np.maximum.reduceat(cos, bounds[c0:c1] - lo, axis=0)
        best_deg = np.degrees(np.arccos(np.clip(best_cos, -1.0, 1.0)))
        best_deg[best_cos < -1.5] = np.inf
        penalty = np.array([0.0 if kind == "star" else -1.0 for kind in kinds])
        choices = np.argmin(best_deg + penalty, axis=1)
        chosen_deg = best_deg[np.arange(len(jobs)), choices]
        near_jobs = np.flatnonzero(chosen_deg <= NEAR_LIMIT_DEG)

        if len(near_jobs):
            closest = _closest_approaches(
                near_jobs, choices, chosen_deg, bounds, t, sat_dir, star_dirs, body_dirs,
                (up_teme, north_teme, east_teme), n_stars,
            )  # fmt: skip
            for j, (best_t, best_sep, d_az, d_alt, choice) in zip(
                near_jobs.tolist(), closest, strict=True
            ):
                found[(jobs[j][0], jobs[j][1])] = Near(
                    names[choice],
                    kinds[choice],
                    from_unix(best_t),
                    best_sep,
                    _relation(d_az, d_alt, best_sep),
                    mags[choice],
                )
    by_group: dict[int, list[tuple[int, Near]]] = {}
    for (g, k), near in found.items():
        by_group.setdefault(g, []).append((k, near))
    result = []
    for g, group in enumerate(groups):
        if isinstance(group.passes, PassList):
            column = group.passes.columns.near_column().copy()
            for k, near in by_group.get(g, ()):
                column[k] = near
            columns = replace(group.passes.columns, near=column)
            result.append(replace(group, passes=PassList(columns)))
            continue
        updated = tuple(
            replace(item, near=found[(g, k)]) if (g, k) in found else item
            for k, item in enumerate(group.passes)
        )
        result.append(replace(group, passes=updated))
    return tuple(result)


def _closest_approaches(
    near_jobs: np.ndarray,
    choices: np.ndarray,
    chosen_deg: np.ndarray,
    bounds: np.ndarray,
    t: np.ndarray,
    sat_dir: np.ndarray,
    star_dirs: np.ndarray,
    body_dirs: np.ndarray,
    frame: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_stars: int,
) -> list[tuple[float, float, float, float, int]]:
    """For each job of ``near_jobs`` (all arrays at once): the closest sample to its chosen
    object, refined along the chords to its two neighbours (the station's direction moves
    almost on a great circle between samples), then where it passes the object as seen by
    the observer. Returns ``(time_unix, separation_deg, d_az_deg, d_alt_deg, object index)``
    per job: ``d_az`` is the azimuth difference scaled by cos(altitude), both station minus
    object."""
    up, north, east = frame
    choice = choices[near_jobs]
    lo, hi = bounds[near_jobs], bounds[near_jobs + 1]
    count = hi - lo
    owner = np.repeat(np.arange(len(near_jobs)), count)
    first = np.cumsum(count) - count
    sample = lo[owner] + np.arange(count.sum()) - first[owner]
    target = np.empty((len(sample), 3))
    star = choice[owner] < n_stars
    target[star] = star_dirs[choice[owner][star]]
    target[~star] = body_dirs[sample[~star], choice[owner][~star] - n_stars]
    dots = np.einsum("nk,nk->n", sat_dir[sample], target)
    best_dot = np.maximum.reduceat(dots, first)
    at_best = np.flatnonzero(dots == best_dot[owner])
    keep = np.concatenate(([True], owner[at_best][1:] != owner[at_best][:-1]))
    k = at_best[keep]  # the first best sample of each job, as numpy's argmax picks it
    i = sample[k]
    goal = target[k]
    best_sep = chosen_deg[near_jobs].astype(float)
    best_t = t[i].astype(float)
    best_u = sat_dir[i].copy()
    for a, b, valid in ((i - 1, i, i - 1 >= lo), (i, i + 1, i + 1 < hi)):
        a = np.where(valid, a, i)
        b = np.where(valid, b, i)
        chord = sat_dir[b] - sat_dir[a]
        length2 = np.einsum("nk,nk->n", chord, chord)
        usable = valid & (length2 > 0.0)
        f = np.einsum("nk,nk->n", goal - sat_dir[a], chord) / np.where(usable, length2, 1.0)
        f = np.clip(f, 0.0, 1.0)
        point = _unit_rows(sat_dir[a] + f[:, None] * chord)
        half_chord = np.linalg.norm(point - goal, axis=1) / 2.0
        sep = np.degrees(2.0 * np.arcsin(np.minimum(1.0, half_chord)))
        better = usable & (sep < best_sep)
        best_sep = np.where(better, sep, best_sep)
        best_t = np.where(better, t[a] + f * (t[b] - t[a]), best_t)
        best_u = np.where(better[:, None], point, best_u)

    def alt_az(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sin_alt = np.clip(np.einsum("nk,nk->n", vectors, up[i]), -1.0, 1.0)
        azimuth = np.degrees(
            np.arctan2(
                np.einsum("nk,nk->n", vectors, east[i]), np.einsum("nk,nk->n", vectors, north[i])
            )
        )
        return azimuth, np.degrees(np.arcsin(sin_alt))

    sat_az, sat_alt = alt_az(best_u)
    obj_az, obj_alt = alt_az(goal)
    d_az = ((sat_az - obj_az + 180.0) % 360.0 - 180.0) * np.cos(np.radians(obj_alt))
    return list(
        zip(
            best_t.tolist(),
            best_sep.tolist(),
            d_az.tolist(),
            (sat_alt - obj_alt).tolist(),
            choice.tolist(),
            strict=True,
        )
    )


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def planetary_magnitude_of(apparent: Any) -> np.ndarray:
    """Skyfield's planetary magnitudes (Mallama & Hilton 2018) for an apparent position."""
    from skyfield.magnitudelib import planetary_magnitude

    return np.atleast_1d(np.asarray(planetary_magnitude(apparent), dtype=float))
