"""Transits of the station across the Sun's or the Moon's disc, near a place.

Geometry. At each moment the *centre line* point is where the line from the body's centre
through the station meets the ground (the WGS84 ellipsoid raised to the place's height): from
there the station is seen exactly in front of the body's centre. As the station moves, that
point draws the centre line across the ground at several km/s. Observers within half the *path
width* of it see the station cross the disc: the width is where the station's closest
apparent approach to the body's centre equals the body's angular radius.

Search, pruned by a geometric cone (no search over observers on Earth):

1. The passes of the station over the place (the pass finder, horizon 2° below the
   geometric one so that observers up to a few hundred km away are covered).
2. Inside each pass, samples every second: the station must be near the line of sight from the
   place to the body, within the body's radius plus the angle that ``radius_km`` (and a second
   of travel) spans at the station's range. Runs of samples inside that cone are candidates.
3. Each candidate is refined on a 0.02 s grid: the centre-line time and point nearest the place
   (the squared distance is a parabola in time: its vertex), the path width (closest approach
   seen from points 1 km either side, which grows linearly), the duration at the centre line
   (the body's diameter over the station's apparent speed relative to it).

Bodies: the geocentric Sun and Moon from JPL DE421 (light time included, aberration left out:
20" at most, 50 m on the ground), linearly interpolated from hourly nodes (the Moon errs by
2" at mid-hour), in the same Earth-fixed frame as the station (TEME turned by GMST).

Uncertainty. A set's timing error shifts the time, and the path: along the orbit the path
stays on the same line in space, but the Earth turns under it (0.46 km/s at the equator times
cos(latitude)), so the path moves across the ground by that speed's component across it
times the timing error. To that a floor for the orbit's cross-track and radial error of a
fresh set is added (``ORBIT_FLOOR_KM``, an assumption: about 1 km for a station-class orbit).

Pure: no printing, no clock, no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from tiangong_orbit import orbit
from tiangong_orbit.errors import StaleDataError, UsageError

if TYPE_CHECKING:
    from tiangong_orbit.places import Place
    from tiangong_orbit.tle import ElementSet

__all__ = [
    "BODIES",
    "DEFAULT_RADIUS_KM",
    "MAX_SHIFT_KM",
    "NEAR_MISS_DEG",
    "SOLAR_FILTER_CHART",
    "SOLAR_FILTER_WARNING",
    "Transit",
    "find_transits",
    "path_shift_km",
]

BODIES = ("sun", "moon")
DEFAULT_RADIUS_KM = 50.0
#: A near miss: the centre line is farther than the radius, but from the place itself the
#: station passes within this angle of the body's edge (degrees).
NEAR_MISS_DEG = 1.0
#: Past this expected (1 sigma) shift of the path across the ground, a path means nothing.
MAX_SHIFT_KM = 20.0
#: Assumed cross-track and radial position error of a fresh set (km).
ORBIT_FLOOR_KM = 1.0
SUN_RADIUS_KM = 695_700.0  # IAU 2015 nominal solar radius
MOON_RADIUS_KM = 1_737.4
EARTH_ROTATION_RAD_S = 7.292115e-5
#: Largest dimension (m) used for the apparent size, solar wings included, approximate.
STATION_SIZE_M = {48274: 55.0, 25544: 109.0}
SOLAR_FILTER_WARNING = (
    "Never look at the Sun, even for a moment, without a certified solar filter (ISO 12312-2) "
    "over the eye, the camera or the telescope: it blinds in seconds."
)

#: The same, short enough for a picture's footer.
SOLAR_FILTER_CHART = (
    "Never look at the Sun without a certified solar filter (ISO 12312-2) on the eye, "
    "camera or telescope."
)

_COARSE_STEP_S = 1.0
_FINE_STEP_S = 0.02
_PAD_S = 3.0
_WIDTH_PROBE_KM = 1.0
_PASS_HORIZON_DEG = -2.0


@dataclass(frozen=True)
class Transit:
    """One transit (or near miss) of the Sun or the Moon near one place.

    Times are aware UTC datetimes; angles in degrees; distances in km. ``centre_*`` is the
    point of the centre line nearest the place; ``distance_km``/``bearing_deg`` lead there
    from the place (bearing from true north through east). ``body_altitude_deg`` and
    ``body_azimuth_deg`` are seen from that point. ``near_miss`` is true when the centre line
    is farther than the radius asked for; ``closest_from_place_deg`` is then how far from the
    body's edge the station passes as seen from the place itself.
    """

    body: str
    time: datetime
    centre_latitude_deg: float
    centre_longitude_deg: float
    distance_km: float
    bearing_deg: float
    path_width_km: float
    duration_s: float
    station_size_arcsec: float | None
    body_diameter_deg: float
    body_altitude_deg: float
    body_azimuth_deg: float
    moon_illuminated: float | None
    range_km: float
    timing_sigma_s: float
    shift_km: float
    near_miss: bool
    closest_from_place_deg: float
    tle_epoch: datetime
    tle_age_days: float
    # The centre line around the transit, for maps: (n, 2) latitude/longitude (deg), and the
    # offsets (km) of the two path edges from it, left and right of the direction of travel.
    centre_line_deg: np.ndarray
    edge_offsets_km: tuple[float, float]


def path_shift_km(timing_sigma_s: float, latitude_deg: float, across: float = 1.0) -> float:
    """Expected (1 sigma) shift of a transit path across the ground (km) for a timing error
    ``timing_sigma_s``: the Earth's rotation under the path (``across`` is the part of the
    eastward ground motion that is across the path, 1 at most) and the orbit floor."""
    rotation_km = (
        EARTH_ROTATION_RAD_S * orbit.WGS84_A_KM * math.cos(math.radians(latitude_deg))
    ) * abs(timing_sigma_s)
    return math.hypot(rotation_km * abs(across), ORBIT_FLOOR_KM)


# --------------------------------------------------------------------------------------------
# Bodies


@dataclass(frozen=True)
class _BodyTable:
    """Geocentric TEME vectors (km) of the Sun and Moon on hourly nodes."""

    grid_unix: np.ndarray
    teme_km: dict[str, np.ndarray]

    @classmethod
    def for_span(cls, start_unix: float, stop_unix: float, bodies: Sequence[str]) -> _BodyTable:
        grid = np.arange(
            math.floor(start_unix / 3600.0) * 3600.0 - 3600.0,
            math.ceil(stop_unix / 3600.0) * 3600.0 + 7200.0,
            3600.0,
        )
        t = orbit.skyfield_times(grid)
        eph = orbit.ephemeris()
        rotation = orbit.teme_rotation(t)  # skyfield's TEME.rotation_at, bit for bit
        vectors = {}
        for body in bodies:
            target = eph["sun" if body == "sun" else "moon"]
            gcrs = eph["earth"].at(t).observe(target).position.km  # (3, N), light time included
            vectors[body] = np.einsum("ijn,jn->ni", rotation, gcrs)
        return cls(grid, vectors)

    def itrs_at(self, body: str, t_unix: np.ndarray, theta_rad: np.ndarray) -> np.ndarray:
        nodes = self.teme_km[body]
        teme = np.stack([np.interp(t_unix, self.grid_unix, nodes[:, k]) for k in range(3)], -1)
        return orbit.teme_to_itrs(teme, theta_rad)


def _body_radius_km(body: str) -> float:
    return SUN_RADIUS_KM if body == "sun" else MOON_RADIUS_KM


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (rad) between vectors along the last axis, stable at small angles."""
    ua, ub = _unit(a), _unit(b)
    return 2.0 * np.arcsin(np.clip(np.linalg.norm(ua - ub, axis=-1) / 2.0, 0.0, 1.0))


def _ground_points(
    station_km: np.ndarray, body_km: np.ndarray, height_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Where the line from the body through the station meets the ellipsoid raised by
    ``height_km`` (N, 3), and whether it does (N,)."""
    a = orbit.WGS84_A_KM + height_km
    b = orbit.WGS84_A_KM * math.sqrt(1.0 - orbit.WGS84_E2) + height_km
    u = _unit(station_km - body_km)
    scale = np.array([1.0, 1.0, a / b])
    s_p, u_p = station_km * scale, u * scale
    qa = np.einsum("ij,ij->i", u_p, u_p)
    qb = np.einsum("ij,ij->i", s_p, u_p)
    qc = np.einsum("ij,ij->i", s_p, s_p) - a * a
    disc = qb * qb - qa * qc
    hits = (disc >= 0.0) & (qb < 0.0)
    distance = (-qb - np.sqrt(np.where(hits, disc, 0.0))) / qa
    return station_km + distance[:, None] * u, hits


# --------------------------------------------------------------------------------------------
# The search


def find_transits(
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    place: Place,
    *,
    bodies: Sequence[str] = BODIES,
    radius_km: float = DEFAULT_RADIUS_KM,
) -> tuple[list[Transit], datetime | None]:
    """Transits of the Sun and/or Moon whose centre line passes within ``radius_km`` of
    ``place``, and near misses (:data:`NEAR_MISS_DEG`), in time order.

    ``stretches`` are (element set, start, end) spans in time order (``tle.nearest_segments``):
    each transit is computed with the set of its span. Spans where a set is too old for a path
    to mean anything (expected shift over :data:`MAX_SHIFT_KM`) are cut off; the second value
    returned is the time from which the rest of the window was cut (``None`` if nothing was).
    Raises :class:`StaleDataError` (exit 3) when nothing of the window is left, and
    :class:`UsageError` for a bad body or radius.
    """
    from datetime import timedelta

    from tiangong_orbit import passes
    from tiangong_orbit.model import Settings
    from tiangong_orbit.uncertainty import uncertainty_s

    for body in bodies:
        if body not in BODIES:
            raise UsageError(f"unknown body '{body}': give sun, moon or both")
    if not (math.isfinite(radius_km) and 0.0 < radius_km <= 500.0):
        raise UsageError(f"--radius-km {radius_km:g} must be more than 0 and at most 500")
    if not stretches:
        return [], None

    # Cut each stretch where its set becomes too old (the age grows away from the epoch).
    usable: list[tuple[ElementSet, datetime, datetime]] = []
    cut_from: datetime | None = None
    age_limit_days = _age_for_sigma(_max_sigma_s(place.latitude_deg), uncertainty_s)
    for element_set, low, high in stretches:
        first_ok = max(low, element_set.epoch - timedelta(days=age_limit_days))
        last_ok = min(high, element_set.epoch + timedelta(days=age_limit_days))
        if first_ok < last_ok:
            usable.append((element_set, first_ok, last_ok))
        if last_ok < high:
            cut_from = max(last_ok, low) if cut_from is None else min(cut_from, max(last_ok, low))
        if first_ok > low and cut_from is None:
            cut_from = low
    if not usable:
        element_set, low, _ = stretches[0]
        age = abs((low - element_set.epoch).total_seconds()) / 86400.0
        raise StaleDataError(
            f"the element set of {element_set.epoch:%Y-%m-%d %H:%M} UTC is {age:.0f} days from "
            f"the window: a transit path from it could be off by more than {MAX_SHIFT_KM:.0f} km "
            "and means nothing; run 'tiangong-orbit tle update' and check again the day before "
            "with a fresh set"
        )

    found: list[Transit] = []
    observers = orbit.Observers.from_geodetic(
        place.latitude_deg, place.longitude_deg, place.elevation_m
    )
    p_km = observers.position_km[0]
    height_km = place.elevation_m / 1000.0
    span_lo = min(s[1] for s in usable).timestamp() - 3600.0
    span_hi = max(s[2] for s in usable).timestamp() + 3600.0
    table = _BodyTable.for_span(span_lo, span_hi, bodies)
    frames = orbit.FrameTable.for_span(span_lo, span_hi, sun=False)
    settings = Settings(horizon_deg=_PASS_HORIZON_DEG, min_visible_elevation_deg=0.0)
    for element_set, low, high in usable:
        groups = passes.find_passes(
            element_set, [place], low, high, settings, include_invisible=True
        )
        for item in groups[0].passes:
            t = np.arange(
                item.rise.time.timestamp(), item.set.time.timestamp() + 1e-9, _COARSE_STEP_S
            )
            if len(t) < 2:
                continue
            theta = frames.gmst_rad(t)
            station, _ = orbit.satellite_itrs(element_set.satrec, t, theta)
            to_station = station - p_km
            range_km = np.linalg.norm(to_station, axis=-1)
            for body in bodies:
                body_km = table.itrs_at(body, t, theta)
                rho = np.arcsin(_body_radius_km(body) / np.linalg.norm(body_km - p_km, axis=-1))
                separation = _angle(to_station, body_km - p_km)
                reach_km = radius_km + 7.8 * _COARSE_STEP_S + 2.0
                cone = rho + np.maximum(reach_km / range_km, math.radians(NEAR_MISS_DEG) * 1.5)
                inside = separation < cone
                if not inside.any():
                    continue
                for first, last in _runs(inside):
                    transit = _refine(
                        element_set,
                        body,
                        float(t[first]) - _PAD_S,
                        float(t[last]) + _PAD_S,
                        place,
                        p_km,
                        observers.up[0],
                        height_km,
                        table,
                        frames,
                        radius_km,
                    )
                    if transit is not None:
                        found.append(transit)
    found.sort(key=lambda transit: transit.time)
    # A candidate run can be split by the cone's edge: keep one transit per body and moment.
    unique: list[Transit] = []
    for transit in found:
        if (
            unique
            and unique[-1].body == transit.body
            and abs((unique[-1].time - transit.time).total_seconds()) < 1.0
        ):
            continue
        unique.append(transit)
    return unique, cut_from


def _max_sigma_s(latitude_deg: float) -> float:
    """The timing error at which the worst-case shift reaches :data:`MAX_SHIFT_KM`."""
    rotation_km_s = EARTH_ROTATION_RAD_S * orbit.WGS84_A_KM * math.cos(math.radians(latitude_deg))
    allowed = math.sqrt(max(MAX_SHIFT_KM**2 - ORBIT_FLOOR_KM**2, 0.0))
    return allowed / max(rotation_km_s, 1e-6)


def _age_for_sigma(sigma_s: float, model: object) -> float:
    """The age (days) at which the timing-error model reaches ``sigma_s`` (bisection)."""
    low, high = 0.0, 400.0
    for _ in range(50):
        middle = (low + high) / 2.0
        if model(middle) < sigma_s:  # type: ignore[operator]
            low = middle
        else:
            high = middle
    return low


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    flags = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(flags))
    return [(int(a), int(b) - 1) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


def _refine(
    element_set: ElementSet,
    body: str,
    t0: float,
    t1: float,
    place: Place,
    p_km: np.ndarray,
    up: np.ndarray,
    height_km: float,
    table: _BodyTable,
    frames: orbit.FrameTable,
    radius_km: float,
) -> Transit | None:
    from tiangong_orbit.timeutil import from_unix
    from tiangong_orbit.uncertainty import uncertainty_s

    t = np.arange(t0, t1 + 1e-9, _FINE_STEP_S)
    theta = frames.gmst_rad(t)
    station, _ = orbit.satellite_itrs(element_set.satrec, t, theta)
    body_km = table.itrs_at(body, t, theta)
    ground, hits = _ground_points(station, body_km, height_km)
    if hits.sum() < 3:
        return None
    distance2 = np.where(hits, np.einsum("ij,ij->i", ground - p_km, ground - p_km), np.inf)
    k = int(np.argmin(distance2))
    if k == 0 or k == len(t) - 1 or not (hits[k - 1] and hits[k + 1]):
        return None  # the nearest point is at the window's edge: not a crossing near here
    # Vertex of the parabola through the three samples around the minimum.
    d_m, d_0, d_p = distance2[k - 1], distance2[k], distance2[k + 1]
    curvature = d_m - 2.0 * d_0 + d_p
    shift = 0.5 * (d_m - d_p) / curvature if curvature > 0 else 0.0
    t_star = float(t[k] + shift * _FINE_STEP_S)
    one = np.array([t_star - _FINE_STEP_S, t_star, t_star + _FINE_STEP_S])
    theta1 = frames.gmst_rad(one)
    s1, _ = orbit.satellite_itrs(element_set.satrec, one, theta1)
    b1 = table.itrs_at(body, one, theta1)
    g1, ok = _ground_points(s1, b1, height_km)
    if not ok.all():
        return None
    centre = g1[1]
    lat, lon, _ = orbit.geodetic(centre[None, :])
    centre_obs = orbit.Observers.from_geodetic(lat, lon, np.array([place.elevation_m]))
    # The body must be up where the observer stands.
    body_el, body_az, _ = orbit.look_angles(b1[1:2], centre_obs)
    if body_el[0, 0] <= 0.0:
        return None
    to_centre = centre - p_km
    distance_km = float(np.linalg.norm(to_centre))
    east = np.cross(np.array([0.0, 0.0, 1.0]), up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    bearing = math.degrees(math.atan2(float(to_centre @ east), float(to_centre @ north))) % 360.0

    rho = math.asin(_body_radius_km(body) / float(np.linalg.norm(b1[1] - centre)))
    # Seen from the place itself: how close does the station pass to the body's centre?
    closest_place = float(np.min(_angle(station - p_km, body_km - p_km)))
    near_miss = distance_km > radius_km
    if near_miss and math.degrees(closest_place - rho) > NEAR_MISS_DEG:
        return None

    # Path width: closest approach seen from points 1 km either side, across the path.
    tangent = g1[2] - g1[0]
    across = np.cross(centre_obs.up[0], tangent)
    across /= np.linalg.norm(across)
    edges = []
    for sign in (1.0, -1.0):
        probe = centre + sign * _WIDTH_PROBE_KM * across
        closest = float(np.min(_angle(station - probe, body_km - probe)))
        closest = max(closest, 1e-12)
        edges.append(rho / closest * _WIDTH_PROBE_KM)
    # Duration at the centre line: the disc's diameter over the relative apparent speed.
    rel = _unit(s1 - centre) - _unit(b1 - centre)
    speed_rad_s = float(np.linalg.norm(rel[2] - rel[0]) / (2.0 * _FINE_STEP_S))
    duration_s = 2.0 * rho / speed_rad_s if speed_rad_s > 0 else float("nan")
    range_km = float(np.linalg.norm(s1[1] - centre))
    size_m = STATION_SIZE_M.get(element_set.norad_id)
    station_size = None if size_m is None else math.degrees(size_m / 1000.0 / range_km) * 3600.0

    moment = from_unix(t_star)
    age_days = abs((moment - element_set.epoch).total_seconds()) / 86400.0
    sigma_s = uncertainty_s(age_days)
    # Eastward ground motion's part across the path (for the shift by the Earth's rotation).
    spin = np.cross(np.array([0.0, 0.0, EARTH_ROTATION_RAD_S]), centre)
    across_part = abs(float(spin @ across)) / max(float(np.linalg.norm(spin)), 1e-12)
    shift_km = path_shift_km(sigma_s, float(lat[0]), across_part)
    illuminated = _moon_illuminated(t_star) if body == "moon" else None

    line_lat, line_lon, _ = orbit.geodetic(ground[hits])
    return Transit(
        body=body,
        time=moment,
        centre_latitude_deg=float(lat[0]),
        centre_longitude_deg=float(lon[0]),
        distance_km=distance_km,
        bearing_deg=bearing,
        path_width_km=edges[0] + edges[1],
        duration_s=duration_s,
        station_size_arcsec=station_size,
        body_diameter_deg=math.degrees(2.0 * rho),
        body_altitude_deg=float(body_el[0, 0]),
        body_azimuth_deg=float(body_az[0, 0]),
        moon_illuminated=illuminated,
        range_km=range_km,
        timing_sigma_s=sigma_s,
        shift_km=shift_km,
        near_miss=near_miss,
        closest_from_place_deg=max(0.0, math.degrees(closest_place - rho)),
        tle_epoch=element_set.epoch,
        tle_age_days=age_days,
        centre_line_deg=np.column_stack([line_lat, line_lon]),
        edge_offsets_km=(edges[0], edges[1]),
    )


def _moon_illuminated(t_unix: float) -> float:
    eph = orbit.ephemeris()
    t = orbit.skyfield_times(np.array([t_unix]))[0]
    moon = eph["earth"].at(t).observe(eph["moon"]).apparent()
    return float(moon.fraction_illuminated(eph["sun"]))
