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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple

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
def catalogue(*, figures: bool = True) -> Catalogue:
    """The bundled star catalogue, read once; :class:`DataError` if a file is damaged.
    ``figures=False`` leaves the constellation figures out (empty; their file is not read)."""
    stars_path = data_path("sky", "bright_stars.csv")
    lines_path = data_path("sky", "constellation_lines.csv")
    try:
        if not figures:
            with stars_path.open(encoding="utf-8", newline="") as handle:
                header, *rows = csv.reader(handle)
            columns = list(zip(*rows, strict=True))
            name, ra, dec, vmag = (
                columns[header.index(key)] for key in ("name", "ra_deg", "dec_deg", "vmag")
            )
            return Catalogue(
                tuple(name),
                np.array(ra, dtype=float),
                np.array(dec, dtype=float),
                np.array(vmag, dtype=float),
                np.zeros((0, 4)),
            )
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
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(
            f"cannot read the bundled star catalogue in {stars_path.parent}: {exc}; "
            "reinstall tiangong-orbit"
        ) from exc
    stars = catalogue(figures=False)
    return Catalogue(
        stars.name,
        stars.ra_deg,
        stars.dec_deg,
        stars.vmag,
        np.array(segments, dtype=float).reshape(-1, 4),
    )


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


class Near(NamedTuple):
    """The station's closest approach to a bright object during a visible pass (a named
    tuple: made by the thousand, at a third of a frozen dataclass's cost)."""

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


def _relations(
    d_az_deg: np.ndarray, d_alt_deg: np.ndarray, separation_deg: np.ndarray
) -> list[str]:
    """:func:`_relation` of each."""
    return np.select(
        [
            separation_deg < 0.5,
            (np.abs(d_alt_deg) >= np.abs(d_az_deg)) & (d_alt_deg > 0),
            np.abs(d_alt_deg) >= np.abs(d_az_deg),
            d_az_deg < 0,
        ],
        ["across", "above", "below", "left of"],
        "right of",
    ).tolist()


def _datetimes(t_unix: np.ndarray) -> list[datetime]:
    """``timeutil.from_unix`` of each (whole seconds, then the rest rounded to the
    microsecond), made by numpy."""
    whole = np.floor(t_unix)
    micro = np.round((t_unix - whole) * 1e6)
    days, rest = np.divmod(
        whole.astype(np.int64) * 1_000_000 + micro.astype(np.int64), 86_400_000_000
    )
    seconds, micro = np.divmod(rest, 1_000_000)
    return [
        _EPOCH + timedelta(day, second, microsecond)
        for day, second, microsecond in zip(
            days.tolist(), seconds.tolist(), micro.tolist(), strict=True
        )
    ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


#: How many visible passes :func:`add_near` samples at once (memory: about 10 kB a pass, 85 MB
#: a batch, measured).
NEAR_BATCH_PASSES = 8192
#: Spacing (s) of the samples of each visible interval in :func:`add_near`'s search. Between
#: two samples the station's direction is taken to move along the great circle through them:
#: exact for a straight path; gravity (8.7 m/s² at 390 km) bends the path off its chord by
#: g T²/8 = 1.1 km over 32 s, 0.16° seen from 390 km (a pass through the zenith), less lower
#: down. That is the search's error, which the refinement below then removes.
NEAR_STEP_S = 32.0
#: :func:`add_near`'s search propagates SGP4 to every this many samples (and the last of each
#: pass), the station's positions at the samples between interpolated from them
#: (:func:`_hermite`): measured on every sample of every city for 30 days, at most 0.5 m
#: from SGP4's for every 2nd sample, 2.1 m every 3rd, 7.9 m every 4th (0.0003° seen from
#: 390 km for every 3rd, far below the search's own error: see :data:`NEAR_STEP_S`).
NEAR_NODE_EVERY = 3
#: Half-width (s) of the three fresh positions that refine each closest approach found (the
#: search puts it within 0.8 s of the refined time; the path bends by 0.0006° in 2 s).
NEAR_REFINE_S = 2.0
#: Objects the search puts within this angle (degrees) of the pass's best, or of the limit, are
#: measured again before choosing: twice the search's largest error (0.16° from the path's
#: curvature, 0.04° from holding the Moon still over a pass).
NEAR_TIE_DEG = 0.4


class _NearObjects(NamedTuple):
    """What :func:`add_near` measures against: the bright stars' directions of date (TEME
    unit vectors, fixed) and the Moon and planets' geocentric TEME vectors (km) on nodes.
    (Named tuples, this and :class:`_Views`: cheaper than dataclasses to define at import.)"""

    names: list[str]
    kinds: list[str]
    magnitudes: list[float | None]
    star_dirs: np.ndarray  # (n_stars, 3)
    node_unix: np.ndarray  # (n_nodes,)
    body_nodes_km: np.ndarray  # (n_bodies, n_nodes, 3)
    #: The planets' skyfield positions at the nodes (made when called: :func:`_astrometric`)
    #: by object index, until their magnitude is asked for (:meth:`magnitude`).
    planets: dict[int, Callable[[], Any]]

    @property
    def n_stars(self) -> int:
        return len(self.star_dirs)

    def magnitude(self, index: int) -> float | None:
        """Object ``index``'s magnitude: a star's from the catalogue, none for the Moon, a
        planet's its brightest over the nodes, worked out when first asked for (most runs
        name no planet: a day for one place saves 1.2 ms, skyfield's magnitudes module
        included)."""
        if index in self.planets:
            try:
                magnitude = float(np.nanmin(planetary_magnitude_of(self.planets.pop(index)())))
            except (ValueError, KeyError, TypeError):
                magnitude = None
            self.magnitudes[index] = magnitude
        return self.magnitudes[index]

    def body_km(self, t_unix: np.ndarray) -> np.ndarray:
        """Geocentric TEME vectors (n_times, n_bodies, 3) of the bodies, interpolated linearly
        between the nodes (hourly: the Moon's chord errs by about 4 km, 0.0007°)."""
        nodes = self.body_nodes_km
        return np.stack(
            [
                np.stack([np.interp(t_unix, self.node_unix, body[:, k]) for k in range(3)], -1)
                for body in nodes
            ],
            axis=1,
        )


def _near_objects(starts: np.ndarray, ends: np.ndarray) -> _NearObjects:
    """The named bright stars, the Moon and the planets for visible intervals ``[starts,
    ends]`` (POSIX s). The bodies' nodes are the whole hours around the intervals only (the
    visible passes gather in the twilights: a few hours a day), all through one skyfield
    time array, so the TEME rotation (nutation) is evaluated once per node.

    Directions are astrometric plus the annual aberration (skyfield's ``add_aberration``),
    without the gravitational deflection of light by the Sun and planets that skyfield's
    ``apparent()`` adds: measured every fifth day over a year, at most 0.47" (0.00013°) for
    these stars and 0.28" for the bodies, both when close to the Sun (so below the horizon in
    a visible pass), a few thousandths of an arcsecond elsewhere; the planets' magnitudes
    moved by at most 0.003. This function costs half as much (its first call in a run for
    one place and one day: 11.6 -> 6.7 ms). On every city over 366 days 89 of 49,912 closest
    approaches moved, by 1 ms in time or 0.01° in separation as written (a rounding edge).

    The stars' directions are the catalogue's turned by the aberration, without skyfield's
    Star (5e-15 rad apart), the bodies observed by :func:`_observed_au` (skyfield's bits)
    and the planets' magnitudes worked out from those positions only for a planet a pass is
    said to come near (:meth:`_NearObjects.magnitude`): :func:`add_near`'s first call in a
    run for one place and one day 7.8 -> 5.8 ms of CPU, every output the same."""
    from skyfield.constants import AU_KM, C_AUDAY
    from skyfield.functions import mxv
    from skyfield.relativity import add_aberration

    cat = catalogue(figures=False)
    bright = np.flatnonzero((cat.vmag <= NEAR_STAR_MAG) & np.array([bool(n) for n in cat.name]))
    names = [cat.name[i] for i in bright]
    kinds = ["star"] * len(bright)
    mags: list[float | None] = [float(cat.vmag[i]) for i in bright]
    eph = orbit.ephemeris()
    first, last = float(starts.min()), float(ends.max())
    middle = orbit.skyfield_times(np.array([(first + last) / 2.0]))
    # The stars' catalogue directions (skyfield's Star without a parallax puts them 2e14 au
    # away, 5e-15 rad from these as seen from the Earth), turned by the annual aberration as
    # add_aberration turns a position a light time away (the same turn at any distance).
    ra, dec = np.radians(cat.ra_deg[bright]), np.radians(cat.dec_deg[bright])
    star_gcrs = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    velocity = eph["earth"].at(middle[0]).velocity.au_per_d
    add_aberration(star_gcrs, velocity[:, None], 1.0 / C_AUDAY)
    # frame_xyz(TEME) as skyfield computes it (orbit.teme_rotation is its rotation, bit for
    # bit), without importing skyfield.sgp4lib and its OMM reader on every run.
    star_teme = mxv(orbit.teme_rotation(middle[0]), star_gcrs)
    star_dirs = (star_teme / np.linalg.norm(star_teme, axis=0)).T
    # Each interval needs the whole hours from the one at or before its start to the one
    # after its end (a visible interval lasts minutes: two or three nodes).
    low = np.floor(starts / 3600.0).astype(np.int64)
    high = np.floor(ends / 3600.0).astype(np.int64) + 1
    needed = np.zeros(int(high.max() - low.min()) + 1, dtype=bool)
    for extra in range(int((high - low).max()) + 1):
        hour = low + extra
        needed[hour[hour <= high] - low.min()] = True
    nodes = (np.flatnonzero(needed) + low.min()) * 3600.0
    node_t = orbit.skyfield_times(nodes)
    earth = eph["earth"].at(node_t)
    rotation = orbit.teme_rotation(node_t)  # GCRS -> TEME at the nodes, (3, 3, n_nodes)
    vectors = []
    planets = {}
    for target, word in (("moon", "the Moon"), *PLANETS):
        astrometric, light_time = _observed_au(earth, eph[target])
        if target != "moon":
            planets[len(names)] = partial(_astrometric, earth, astrometric.copy(), eph[target])
        add_aberration(astrometric, earth.velocity.au_per_d, light_time)
        vectors.append(np.asarray(mxv(rotation, astrometric * AU_KM)).T)
        names.append(word)
        kinds.append("moon" if target == "moon" else "planet")
        mags.append(None)
    return _NearObjects(names, kinds, mags, star_dirs, nodes, np.stack(vectors), planets)


def _astrometric(observer: Any, position_au: np.ndarray, target: Any) -> Any:
    """The skyfield position ``observer.observe(target)`` gives, from its position
    (:func:`_observed_au`): what skyfield's planetary magnitudes read (the target, the
    position and the observer's), without observing the target again."""
    from skyfield.positionlib import Astrometric

    seen = Astrometric(position_au, None, observer.t, observer.target, target.target)
    seen.center_barycentric = observer
    return seen


def _observed_au(observer: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """``observer.observe(target)``'s position (au, GCRS axes) and light time (days), for a
    skyfield ``observer`` (barycentric) and ``target`` (an SPK segment or a sum of them, as
    the ephemeris gives): skyfield's iteration on the same numbers, so the same bits, with the
    segments evaluated for their positions only (skyfield also works out every step's
    velocity) and no skyfield time made for each step. The Moon and five planets at three
    nodes: 2.5 -> 1.4 ms (CPU, warm)."""
    from skyfield.constants import AU_KM, C_AUDAY
    from skyfield.functions import length_of

    # A planet's barycentre is one segment; the Moon, Mercury and Venus a sum of two.
    parts = getattr(target, "vector_functions", (target,))
    segments = [part.spk_segment for part in parts]
    whole, tdb_fraction = observer.t.whole, observer.t.tdb_fraction

    def position_au(fraction: np.ndarray) -> np.ndarray:
        position = 0.0
        for segment in segments:
            position = position + segment.compute(whole, fraction) / AU_KM
        return position  # type: ignore[return-value]

    observer_au = observer.xyz.au
    target_au = position_au(tdb_fraction)
    distance = length_of(target_au - observer_au)
    light_time0 = 0.0
    for _ in range(10):
        light_time = distance / C_AUDAY
        if np.abs(light_time - light_time0).max(initial=0.0) < 1e-12:
            break
        target_au = position_au(tdb_fraction - light_time)
        distance = length_of(target_au - observer_au)
        light_time0 = light_time
    else:
        raise ValueError("light-travel time failed to converge")
    return target_au - observer_au, light_time


class _Views(NamedTuple):
    """The station seen from the places at some times, in the TEME frame: unit vectors
    (n, 3) towards it, its range (km), the observers' positions and local axes."""

    towards: np.ndarray
    range_km: np.ndarray
    observer_km: np.ndarray
    up: np.ndarray
    north: np.ndarray
    east: np.ndarray


def _views(
    t_unix: np.ndarray,
    place_of: np.ndarray,
    set_of: np.ndarray,
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    observers: orbit.Observers,
    frames: orbit.FrameTable,
    *,
    horizontal: np.ndarray | None = None,
    between: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> _Views:
    """SGP4 at ``t_unix`` (each time with the set ``set_of`` names) seen from the place
    ``place_of`` names; with ``horizontal`` (indexes of the times), the observers' up, north
    and east at those times only, in their order (else their up at every time, no north or
    east). ``between`` (indexes ``at``, ``before``, ``after``): the positions at the times
    ``at`` are interpolated from SGP4's positions and velocities at the times ``before`` and
    ``after`` them (:func:`_hermite`; the same set, neither interpolated)."""
    sat_km = np.empty((len(t_unix), 3))
    velocity = np.empty((len(t_unix), 3))
    node = np.ones(len(t_unix), dtype=bool)
    if between is not None:
        node[between[0]] = False
    for index in sorted(set(set_of.tolist())):  # (np.unique costs a 16 ms import)
        rows = node & (set_of == index)
        sat_km[rows], velocity[rows] = orbit.propagate_teme(
            stretches[int(index)][0].satrec, t_unix[rows]
        )
    if between is not None:
        sat_km[between[0]] = _hermite(t_unix, sat_km, velocity, *between)
    back = -frames.gmst_rad(t_unix)  # Earth-fixed to TEME: turn back by GMST
    observer_km = orbit.teme_to_itrs(observers.position_km[place_of], back)
    relative = sat_km - observer_km
    range_km = np.linalg.norm(relative, axis=1)
    return _Views(
        relative / range_km[:, None],
        range_km,
        observer_km,
        *(
            (orbit.teme_to_itrs(observers.up[place_of], back), np.empty((0, 3)), np.empty((0, 3)))
            if horizontal is None
            else (
                orbit.teme_to_itrs(axis[place_of[horizontal]], back[horizontal])
                for axis in (observers.up, observers.north, observers.east)
            )
        ),
    )


def _hermite(
    t_unix: np.ndarray,
    position_km: np.ndarray,
    velocity_km_s: np.ndarray,
    at: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
) -> np.ndarray:
    """Positions at the times ``at`` indexes, by cubic Hermite interpolation between the
    positions and velocities at the times ``before`` and ``after`` them. On a circular orbit
    of angular rate w and radius r the error is at most h^4 w^4 r / 384 for nodes h apart."""
    h = (t_unix[after] - t_unix[before])[:, None]
    s = (t_unix[at] - t_unix[before])[:, None] / h
    s2, s3 = s * s, s * s * s
    return (
        (2 * s3 - 3 * s2 + 1) * position_km[before]
        + (s3 - 2 * s2 + s) * h * velocity_km_s[before]
        + (3 * s2 - 2 * s3) * position_km[after]
        + (s3 - s2) * h * velocity_km_s[after]
    )


def _closest_on_chords(
    a: np.ndarray, b: np.ndarray, goal: np.ndarray, range_a: np.ndarray, range_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For unit vectors ``a`` to ``b`` (rows: the station's direction at the two ends of a
    stretch of its path) and a fixed unit vector ``goal``: the cosine of the smallest angle
    between ``goal`` and the great-circle arc from ``a`` to ``b``, the fraction of the
    stretch's time at which it is reached and that direction (unit rows).

    Over one step of the search the station moves on a near-straight line in space (gravity
    bends it slightly: see :data:`NEAR_STEP_S`), and the directions of a straight line from
    a point lie on one great circle; the point of the line where the direction is ``(1 - f)
    a + f b`` (normalised) is at the fraction of time ``f r_a / (f r_a + (1 - f) r_b)``
    (``r``: ranges), exact for uniform motion along the line.
    """
    ab = np.einsum("nk,nk->n", a, b)
    ga = np.einsum("nk,nk->n", goal, a)
    gb = np.einsum("nk,nk->n", goal, b)
    # goal's projection on the arc's plane is alpha a + beta b (times 1 - ab^2 > 0): inside the
    # arc when both are positive, else the nearer end is closest.
    alpha = ga - gb * ab
    beta = gb - ga * ab
    inside = (alpha > 0.0) & (beta > 0.0)
    f = np.where(inside, beta / np.where(inside, alpha + beta, 1.0), np.where(beta > 0.0, 1.0, 0.0))
    point = _unit_rows(a + f[:, None] * (b - a))
    cos = np.einsum("nk,nk->n", point, goal)
    time_fraction = f * range_a / np.maximum(f * range_a + (1.0 - f) * range_b, 1e-300)
    return cos, time_fraction, point


def add_near(
    groups: Sequence[PlacePasses],
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    *,
    step_s: float = NEAR_STEP_S,
) -> tuple[PlacePasses, ...]:
    """``groups`` with :attr:`Pass.near` filled for every visible pass (the others are left
    as they are): of the bright stars, the Moon and the planets, the one that the station
    passes closest to within :data:`NEAR_LIMIT_DEG`, the Moon and planets counted 1° closer
    than they are (people recognise them: they are preferred to a star at a like distance).

    ``stretches`` are the (element set, start, end) spans the passes were computed from
    (``tle.nearest_segments``): each pass uses the set whose span holds its culmination.
    The closest approach to each object is searched along the visible interval's path
    sampled every ``step_s`` seconds, the path between two samples taken as the great-circle
    arc through them (:func:`_closest_on_chords`; :data:`NEAR_STEP_S` says how far the true
    path strays). All samples of all places go through SGP4 at once (every
    :data:`NEAR_NODE_EVERY`-th, the station's positions at the others interpolated from their
    positions and velocities: 2 m at most, :func:`_hermite`) and meet the bright stars
    and the bodies in one array, in the TEME frame: the stars' directions of date are taken
    once for the window (they turn by 0.004° a month), the Moon and planets from hourly
    geocentric nodes seen from each place (parallax included) at the middle of each visible
    interval, held there for the search. Objects below the horizon at a sample are skipped
    there. Only objects whose nearest sample is within reach (the limit plus
    :data:`NEAR_TIE_DEG`, plus half the pass's longest step between samples) are measured
    along the arcs, the two either side of that sample. Every object the search puts within
    :data:`NEAR_TIE_DEG` of the pass's best is then measured again on three fresh positions
    :data:`NEAR_REFINE_S` apart around its closest approach, and the choice is made on those.

    Measured on every visible pass of 130 places over 30 days (2,176 closest approaches)
    against the same choice made on the separations sampled every 0.25 s: the same object
    every time, separations within 0.0001° and times within 0.04 s.
    """
    from dataclasses import replace

    from tiangong_orbit.model import PassList

    # One row per visible pass, place by place: its index in its place's passes, its visible
    # start and end and culmination (POSIX s).
    indexes: list[np.ndarray] = []
    times: list[np.ndarray] = []
    for group in groups:
        if isinstance(group.passes, PassList):  # the predictor's arrays: no object per pass
            t6 = group.passes.columns.time_unix
            k = np.flatnonzero(np.isfinite(t6[:, 3]) & np.isfinite(t6[:, 5]))
            indexes.append(k)
            times.append(t6[k][:, [3, 5, 1]])
            continue
        rows = []
        for item in group.passes:
            if item.visible_start is not None and item.visible_end is not None:
                rows.append(
                    (
                        item.visible_start.time.timestamp(),
                        item.visible_end.time.timestamp(),
                        item.culmination.time.timestamp(),
                    )
                )
        visible = [p.visible_start is not None and p.visible_end is not None for p in group.passes]
        indexes.append(np.flatnonzero(np.array(visible, dtype=bool)))
        times.append(np.array(rows, dtype=float).reshape(-1, 3))
    counts_by_group = [len(k) for k in indexes]
    if not sum(counts_by_group) or not stretches:
        return tuple(groups)

    all_group = np.repeat(np.arange(len(groups)), counts_by_group)
    all_start, all_end, all_culmination = np.concatenate(times).T
    # The set whose stretch holds the culmination (the first before them all, the last after).
    highs = np.array([high.timestamp() for _, _, high in stretches])
    all_set = np.minimum(np.searchsorted(highs, all_culmination, side="right"), len(stretches) - 1)
    objects = _near_objects(all_start, all_end)
    n_stars = objects.n_stars
    penalty = np.array([0.0 if kind == "star" else -1.0 for kind in objects.kinds])
    places = [group.place for group in groups]
    observers = orbit.Observers.from_geodetic(
        [p.latitude_deg for p in places],
        [p.longitude_deg for p in places],
        [p.elevation_m for p in places],
    )
    frames = orbit.FrameTable.for_span(float(all_start.min()), float(all_end.max()), sun=False)
    # An object within the reach (NEAR_LIMIT_DEG + NEAR_TIE_DEG) of a station standing higher
    # than 6.5° is above the horizon: the horizon test is needed only where the station stands
    # lower (a --min-visible-elevation under that).
    always_up = math.sin(math.radians(NEAR_LIMIT_DEG + 1.5))
    reach_rad = math.radians(NEAR_LIMIT_DEG + NEAR_TIE_DEG)

    found: list[Near | None] = [None] * len(all_group)  # by row
    # In batches of passes, so that memory stays bounded however long the window
    # (a year of every place: about 100,000 visible passes).
    for b0 in range(0, len(all_group), NEAR_BATCH_PASSES):
        batch = slice(b0, b0 + NEAR_BATCH_PASSES)
        starts, ends = all_start[batch], all_end[batch]
        place_of_job, set_of_job = all_group[batch], all_set[batch]
        n_jobs = len(starts)
        # Samples of every visible interval, its last on its end.
        counts = np.maximum(2, np.ceil((ends - starts) / step_s).astype(int) + 1)
        owner = np.repeat(np.arange(n_jobs), counts)
        bounds = np.concatenate(([0], np.cumsum(counts)))
        offsets = np.arange(bounds[-1]) - bounds[:-1][owner]
        t = np.minimum(starts[owner] + offsets * step_s, ends[owner])
        t[bounds[1:] - 1] = ends
        # SGP4 at every NEAR_NODE_EVERY-th sample and the last of each pass, the samples
        # between interpolated.
        node = offsets % NEAR_NODE_EVERY == 0
        node[bounds[1:] - 1] = True
        at = np.flatnonzero(~node)
        before = at - offsets[at] % NEAR_NODE_EVERY
        after = np.minimum(before + NEAR_NODE_EVERY, bounds[1:][owner[at]] - 1)
        view = _views(
            t, place_of_job[owner], set_of_job[owner], stretches, observers, frames,
            between=(at, before, after),
        )  # fmt: skip
        u = view.towards
        # The Moon and planets from each place at the middle of its visible interval, held
        # for the search: at a visible interval's ends (6 minutes at most) the Moon has moved
        # by up to 0.04°, a planet 0.005° (measured over a year of every eighth place).
        middle = (starts + ends) / 2.0
        observer_middle = orbit.teme_to_itrs(
            observers.position_km[place_of_job], -frames.gmst_rad(middle)
        )
        body_dirs = _unit_rows(objects.body_km(middle) - observer_middle[:, None, :])[owner]
        # Cosines of every object's angle at every sample, (n_objects, n_samples) so that each
        # pass's samples are contiguous; objects below the horizon -2. In single precision
        # (half the memory to write and scan): near the reach an angle from them errs by
        # under 1e-6 rad, which the screening allows for (every angle that decides is
        # measured again in double precision).
        cos = np.empty((len(objects.names), len(t)), dtype=np.float32)
        cos[:n_stars] = _cosines(objects.star_dirs.astype(np.float32), u.astype(np.float32))
        cos[n_stars:] = np.einsum("nk,nbk->bn", u, body_dirs)
        if np.einsum("nk,nk->n", u, view.up).min() <= always_up:
            below = np.empty(cos.shape, dtype=bool)
            below[:n_stars] = _cosines(objects.star_dirs, view.up) <= 0.0
            below[n_stars:] = np.einsum("nk,nbk->bn", view.up, body_dirs) <= 0.0
            cos[below] = -2.0
        # Screening: between two samples an arc of angle step comes no closer to an object than
        # its nearer end less half the step, so only objects whose best sample is within the
        # reach plus half the pass's longest step can be near; the arcs are measured for those.
        last_of_job = np.zeros(len(t), dtype=bool)
        last_of_job[bounds[1:] - 1] = True
        seg = np.flatnonzero(~last_of_job)  # sample i begins the arc i -> i + 1
        step_cos = np.ones(len(t))
        step_cos[seg] = np.einsum("nk,nk->n", u[seg], u[seg + 1])
        widest = np.minimum.reduceat(step_cos, bounds[:-1])  # cos of each pass's longest step
        half_step = np.arccos(np.clip(widest, -1.0, 1.0)) / 2.0
        best_sample = np.maximum.reduceat(cos, bounds[:-1], axis=1)  # (n_objects, n_jobs)
        sample_rad = np.arccos(np.clip(best_sample, -1.0, 1.0))
        sample_rad[best_sample < -1.5] = np.inf
        obj_c, job_c = np.nonzero(sample_rad - half_step <= reach_rad + 1e-5)
        if not len(job_c):
            continue  # no object within reach of any pass of the batch
        by_job = np.argsort(job_c, kind="stable")  # candidates of one pass together
        job_c, obj_c = job_c[by_job], obj_c[by_job]
        # Each candidate's nearest sample (the first on a tie): the distance to an object rises
        # on both sides of the closest approach along the path, so that lies on one of the two
        # arcs either side of it (or both are the one arc of an end).
        per = counts[job_c]
        owner_c = np.repeat(np.arange(len(job_c)), per)
        first_c = np.cumsum(per) - per
        sample_c = bounds[:-1][job_c][owner_c] + np.arange(per.sum()) - first_c[owner_c]
        at_top = np.flatnonzero(cos[obj_c[owner_c], sample_c] == best_sample[obj_c, job_c][owner_c])
        at_top = at_top[np.concatenate(([True], owner_c[at_top][1:] != owner_c[at_top][:-1]))]
        nearest = sample_c[at_top]
        first_arc = bounds[:-1][job_c]
        last_arc = bounds[1:][job_c] - 2
        i = np.stack(
            (np.maximum(nearest - 1, first_arc), np.minimum(nearest, last_arc)), axis=1
        ).ravel()  # sample i begins the arc i -> i + 1
        cand = np.repeat(np.arange(len(job_c)), 2)
        starts_of = np.arange(0, len(i), 2)
        obj = obj_c[cand]
        goal = np.empty((len(i), 3))
        is_star = obj < n_stars
        goal[is_star] = objects.star_dirs[obj[is_star]]
        goal[~is_star] = body_dirs[i[~is_star], obj[~is_star] - n_stars]
        arc_cos, fraction, _ = _closest_on_chords(
            u[i], u[i + 1], goal, view.range_km[i], view.range_km[i + 1]
        )
        # Where the object is below the horizon at either end, only the ends count.
        cos_a, cos_b = cos[obj, i], cos[obj, i + 1]
        both_up = (cos_a > -1.5) & (cos_b > -1.5)
        arc_cos = np.where(both_up, arc_cos, np.maximum(cos_a, cos_b))
        fraction = np.where(both_up, fraction, (cos_b > cos_a).astype(float))
        cand_cos = np.maximum.reduceat(arc_cos, starts_of) if len(arc_cos) else arc_cos
        cand_deg = np.where(
            cand_cos < -1.5, np.inf, np.degrees(np.arccos(np.clip(cand_cos, -1.0, 1.0)))
        )
        # Every object that may be the choice once measured exactly: within the limit and
        # within NEAR_TIE_DEG of the best of those (planets and the Moon 1° ahead), both
        # allowing for the search's error.
        within = cand_deg <= NEAR_LIMIT_DEG + NEAR_TIE_DEG
        score = np.where(within, cand_deg + penalty[obj_c], np.inf)
        best_score = np.full(n_jobs, np.inf)
        np.minimum.at(best_score, job_c, score)
        shortlist = np.flatnonzero(within & (score <= best_score[job_c] + NEAR_TIE_DEG))
        if not len(shortlist):
            continue
        # The arc of each one's closest approach (the first best).
        listed = np.zeros(len(job_c), dtype=bool)
        listed[shortlist] = True
        arcs = np.flatnonzero(listed[cand])
        at_best = arcs[arc_cos[arcs] == cand_cos[cand[arcs]]]
        first_best = np.concatenate(([True], cand[at_best][1:] != cand[at_best][:-1]))
        arc = at_best[first_best]  # one per shortlisted (pass, object), in their order
        a = i[arc]
        t0 = t[a] + fraction[arc] * (t[a + 1] - t[a])
        jobs, objs = job_c[shortlist], obj_c[shortlist]
        near_t, near_deg, d_az, d_alt = _refine_near(
            jobs, objs, t0, starts, ends, place_of_job, set_of_job,
            stretches, observers, frames, objects,
        )  # fmt: skip
        # Per pass, of those within the limit, the best score (the lowest object index on a
        # tie, as argmin picks).
        final = np.where(near_deg <= NEAR_LIMIT_DEG, near_deg + penalty[objs], np.inf)
        order = np.lexsort((objs, final, jobs))
        first_of_job = order[np.concatenate(([True], jobs[order][1:] != jobs[order][:-1]))]
        chosen = first_of_job[np.isfinite(final[first_of_job])]
        choices = objs[chosen].tolist()
        about = {  # name, kind and magnitude of each object chosen
            choice: (objects.names[choice], objects.kinds[choice], objects.magnitude(choice))
            for choice in set(choices)
        }
        for job, choice, moment, separation, relation in zip(
            (jobs[chosen] + b0).tolist(),
            choices,
            _datetimes(near_t[chosen]),
            near_deg[chosen].tolist(),
            _relations(d_az[chosen], d_alt[chosen], near_deg[chosen]),
            strict=True,
        ):
            name, kind, magnitude = about[choice]
            found[job] = Near(name, kind, moment, separation, relation, magnitude)
    result = []
    first = 0
    for group, k, count in zip(groups, indexes, counts_by_group, strict=True):
        nears = found[first : first + count]
        first += count
        if isinstance(group.passes, PassList):
            column = group.passes.columns.near_column().copy()
            for index, near in zip(k.tolist(), nears, strict=True):
                if near is not None:
                    column[index] = near
            columns = replace(group.passes.columns, near=column)
            result.append(replace(group, passes=PassList(columns)))
            continue
        updated = list(group.passes)
        for index, near in zip(k.tolist(), nears, strict=True):
            if near is not None:
                updated[index] = replace(updated[index], near=near)
        result.append(replace(group, passes=tuple(updated)))
    return tuple(result)


def _refine_near(
    jobs: np.ndarray,
    choice: np.ndarray,
    t0: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    place_of_job: np.ndarray,
    set_of_job: np.ndarray,
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    observers: orbit.Observers,
    frames: orbit.FrameTable,
    objects: _NearObjects,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each closest approach found near ``t0`` (POSIX s; one per entry of ``jobs``, to the
    object ``choice``), measured again on fresh positions at ``t0`` and ``NEAR_REFINE_S``
    either side (kept within the visible interval) with the arcs between them, then where
    the station passes the object as seen by the observer. Returns arrays of ``time_unix``,
    ``separation_deg``, ``d_az_deg`` and ``d_alt_deg``: ``d_az`` is the azimuth difference
    scaled by cos(altitude), both station minus object."""
    n = len(jobs)
    lo, hi = starts[jobs], ends[jobs]
    times = np.stack(
        [np.clip(t0 + shift, lo, hi) for shift in (-NEAR_REFINE_S, 0.0, NEAR_REFINE_S)], axis=1
    ).ravel()
    three = np.repeat(jobs, 3)
    middle = np.arange(n) * 3 + 1
    view = _views(
        times, place_of_job[three], set_of_job[three], stretches, observers, frames,
        horizontal=middle,
    )  # fmt: skip
    # The chosen object's direction at t0 (a body moves by under 0.001° in a second).
    goal = np.empty((n, 3))
    is_star = choice < objects.n_stars
    goal[is_star] = objects.star_dirs[choice[is_star]]
    if (~is_star).any():
        rows = middle[~is_star]
        bodies = objects.body_km(times[rows]) - view.observer_km[rows][:, None, :]
        goal[~is_star] = _unit_rows(
            bodies[np.arange(len(rows)), choice[~is_star] - objects.n_stars]
        )
    u, r = view.towards, view.range_km
    best_cos = np.full(n, -2.0)
    best_t = t0.copy()
    best_u = u[middle].copy()
    for first in (middle - 1, middle):
        cos, fraction, point = _closest_on_chords(
            u[first], u[first + 1], goal, r[first], r[first + 1]
        )
        better = cos > best_cos
        best_cos = np.where(better, cos, best_cos)
        best_t = np.where(
            better, times[first] + fraction * (times[first + 1] - times[first]), best_t
        )
        best_u = np.where(better[:, None], point, best_u)
    best_sep = np.degrees(
        2.0 * np.arcsin(np.minimum(1.0, np.linalg.norm(best_u - goal, axis=1) / 2.0))
    )
    up, north, east = view.up, view.north, view.east

    def alt_az(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sin_alt = np.clip(np.einsum("nk,nk->n", vectors, up), -1.0, 1.0)
        azimuth = np.degrees(
            np.arctan2(np.einsum("nk,nk->n", vectors, east), np.einsum("nk,nk->n", vectors, north))
        )
        return azimuth, np.degrees(np.arcsin(sin_alt))

    sat_az, sat_alt = alt_az(best_u)
    obj_az, obj_alt = alt_az(goal)
    d_az = ((sat_az - obj_az + 180.0) % 360.0 - 180.0) * np.cos(np.radians(obj_alt))
    return best_t, best_sep, d_az, sat_alt - obj_alt


def _cosines(fixed: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``fixed @ rows.T`` for unit vectors ((m, 3) and (n, 3): the (m, n) cosines) as three
    products rather than a matrix product: numpy's BLAS runs a product of this shape on a
    pool of threads that keeps a second core spinning without finishing sooner (measured
    on every city for 30 days: CPU time doubled, wall clock unchanged)."""
    out = fixed[:, 0:1] * rows[:, 0]
    out += fixed[:, 1:2] * rows[:, 1]
    out += fixed[:, 2:3] * rows[:, 2]
    return out


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def planetary_magnitude_of(apparent: Any) -> np.ndarray:
    """Skyfield's planetary magnitudes (Mallama & Hilton 2018) for an astrometric or apparent
    position."""
    from skyfield.magnitudelib import planetary_magnitude

    return np.atleast_1d(np.asarray(planetary_magnitude(apparent), dtype=float))
