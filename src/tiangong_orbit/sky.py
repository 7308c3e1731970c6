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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np

from tiangong_orbit import orbit
from tiangong_orbit.errors import DataError
from tiangong_orbit.resources import data_path

__all__ = [
    "NEAR_LIMIT_DEG",
    "NEAR_STAR_MAG",
    "Near",
    "SkyObjects",
    "closest_approach",
    "near_phrase",
    "sky_objects",
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
    latitude_deg: float, longitude_deg: float, elevation_m: float, moment: datetime
) -> SkyObjects:
    """The bright stars, figures, Moon and planets for a place around ``moment`` (aware)."""
    from skyfield.api import Star, wgs84
    from skyfield.magnitudelib import planetary_magnitude

    cat = catalogue()
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

    star_ra, star_dec = of_date(cat.ra_deg, cat.dec_deg)
    segments = cat.figure_segments
    if len(segments):
        ra1, dec1 = of_date(segments[:, 0], segments[:, 1])
        ra2, dec2 = of_date(segments[:, 2], segments[:, 3])
        segments = np.column_stack([ra1, dec1, ra2, dec2])
    bodies: list[Body] = []
    moon = observer.observe(eph["moon"]).apparent()
    ra, dec, _ = moon.radec(epoch="date")
    illuminated = float(moon.fraction_illuminated(eph["sun"]))
    bodies.append(Body("the Moon", float(ra.hours) * 15.0, float(dec.degrees), None, illuminated))
    for target, word in PLANETS:
        seen = observer.observe(eph[target]).apparent()
        ra, dec, _ = seen.radec(epoch="date")
        try:
            magnitude = float(planetary_magnitude(seen))
        except (ValueError, KeyError, TypeError):  # a body skyfield has no formula for
            magnitude = float("nan")
        if not math.isfinite(magnitude):
            magnitude = None  # type: ignore[assignment]
        if magnitude is not None and magnitude > PLANET_LIMIT_MAG:
            continue
        bodies.append(Body(word, float(ra.hours) * 15.0, float(dec.degrees), magnitude))
    return SkyObjects(
        latitude_deg,
        longitude_deg,
        cat.name,
        star_ra,
        star_dec,
        cat.vmag,
        segments,
        tuple(bodies),
        moment.timestamp(),
    )


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

    def phrase(self, clock: str) -> str:
        """Words for a table or an alert: 'passes 2° below Jupiter at 19:44' (``clock`` is
        the local time as the caller prints it)."""
        if self.relation == "across":
            return f"passes right by {self.name} at {clock}"
        return f"passes {self.separation_deg:.0f}° {self.relation} {self.name} at {clock}"


def _relation(d_az_deg: float, d_alt_deg: float, separation_deg: float) -> str:
    if separation_deg < 0.5:
        return "across"
    if abs(d_alt_deg) >= abs(d_az_deg):
        return "above" if d_alt_deg > 0 else "below"
    return "left of" if d_az_deg < 0 else "right of"


def closest_approach(
    track: Mapping[str, np.ndarray],
    objects: SkyObjects,
    *,
    start: datetime,
    end: datetime,
    limit_deg: float = NEAR_LIMIT_DEG,
    star_mag: float = NEAR_STAR_MAG,
) -> Near | None:
    """The named bright star, planet or the Moon the station passes closest to between
    ``start`` and ``end`` (the visible interval), if within ``limit_deg``; else ``None``.

    ``track`` is :func:`tiangong_orbit.passes.pass_track`'s arrays (``t_unix``,
    ``azimuth_deg``, ``elevation_deg``). Planets and the Moon are preferred to a star at a
    like distance (within 1°): they are what people recognise.
    """
    t = np.asarray(track["t_unix"], dtype=float)
    inside = (t >= start.timestamp() - 1e-6) & (t <= end.timestamp() + 1e-6)
    if inside.sum() < 2:
        return None
    t = t[inside]
    sat_az = np.radians(np.asarray(track["azimuth_deg"], dtype=float)[inside])
    sat_el = np.radians(np.asarray(track["elevation_deg"], dtype=float)[inside])
    pick = np.flatnonzero(
        (objects.star_vmag <= star_mag) & np.array([bool(n) for n in objects.star_names])
    )
    names = [objects.star_names[i] for i in pick]
    kinds = ["star"] * len(pick)
    mags: list[float | None] = [float(objects.star_vmag[i]) for i in pick]
    ra = list(objects.star_ra_deg[pick])
    dec = list(objects.star_dec_deg[pick])
    for body in objects.bodies:
        names.append(body.name)
        kinds.append("moon" if body.illuminated is not None else "planet")
        mags.append(body.magnitude)
        ra.append(body.ra_deg)
        dec.append(body.dec_deg)
    if not names:
        return None
    az, alt = objects.altaz(np.array(ra), np.array(dec), t[:, None])
    az_r, alt_r = np.radians(az), np.radians(alt)
    cos_sep = np.sin(sat_el[:, None]) * np.sin(alt_r) + np.cos(sat_el[:, None]) * np.cos(
        alt_r
    ) * np.cos(sat_az[:, None] - az_r)
    separation = np.degrees(np.arccos(np.clip(cos_sep, -1.0, 1.0)))  # (n_times, n_objects)
    separation[:, alt.min(axis=0) < 0.0] = np.inf  # below the horizon: not in the sky
    best_index = separation.argmin(axis=0)
    best = separation[best_index, np.arange(len(names))]
    penalty = np.array([0.0 if kind == "star" else -1.0 for kind in kinds])
    choice = int(np.argmin(best + penalty))
    if not best[choice] <= limit_deg:
        return None
    k = int(best_index[choice])
    d_alt = math.degrees(sat_el[k]) - float(alt[k, choice])
    d_az = ((math.degrees(sat_az[k]) - float(az[k, choice]) + 180.0) % 360.0 - 180.0) * math.cos(
        math.radians(float(alt[k, choice]))
    )
    from tiangong_orbit.timeutil import from_unix

    return Near(
        names[choice],
        kinds[choice],
        from_unix(float(t[k])),
        float(best[choice]),
        _relation(d_az, d_alt, float(best[choice])),
        mags[choice],
    )


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
