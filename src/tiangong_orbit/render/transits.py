"""``tiangong-orbit transits``: the ``tiangong-orbit/transits/1`` JSON document and the table.

JSON times are UTC ISO 8601 with ``Z`` to 0.01 s; the table shows the place's local time to
0.01 s and names the zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tiangong_orbit.places import Place
from tiangong_orbit.render.i18n import compass_point
from tiangong_orbit.timeutil import iso_z, zone, zone_abbreviation
from tiangong_orbit.transits import (
    MAX_SHIFT_KM,
    NEAR_MISS_DEG,
    SOLAR_FILTER_WARNING,
    Transit,
)

SCHEMA = "tiangong-orbit/transits/1"
CHECK_AGAIN = "Check again the day before with a fresh set ('tiangong-orbit tle update')."


@dataclass(frozen=True)
class PlaceTransits:
    """The transits found near one place, in time order."""

    place: Place
    transits: tuple[Transit, ...]


def body_word(body: str) -> str:
    """'Sun' or 'Moon'."""
    return "Sun" if body == "sun" else "Moon"


def transit_json(item: Transit, timezone: str) -> dict[str, Any]:
    """One transit as the schema lays it out."""
    local = item.time.astimezone(zone(timezone))
    return {
        "body": item.body,
        "near_miss": item.near_miss,
        "time": iso_z(item.time, 2),
        "local_time": local.isoformat(timespec="milliseconds"),
        "centre_line": {
            "latitude_deg": round(item.centre_latitude_deg, 5),
            "longitude_deg": round(item.centre_longitude_deg, 5),
        },
        "distance_km": round(item.distance_km, 2),
        "bearing_deg": round(item.bearing_deg, 1),
        "direction": compass_point(item.bearing_deg),
        "path_width_km": round(item.path_width_km, 2),
        "duration_s": round(item.duration_s, 3),
        "station_size_arcsec": (
            None if item.station_size_arcsec is None else round(item.station_size_arcsec, 1)
        ),
        "body_diameter_deg": round(item.body_diameter_deg, 4),
        "body_altitude_deg": round(item.body_altitude_deg, 2),
        "body_azimuth_deg": round(item.body_azimuth_deg, 2),
        "moon_illuminated": (
            None if item.moon_illuminated is None else round(item.moon_illuminated, 3)
        ),
        "range_km": round(item.range_km, 1),
        "closest_from_place_deg": round(item.closest_from_place_deg, 3),
        "timing_uncertainty_s": round(item.timing_sigma_s, 2),
        "cross_track_uncertainty_km": round(item.shift_km, 2),
        "tle_epoch": iso_z(item.tle_epoch),
        "tle_age_days": round(item.tle_age_days, 2),
    }


def transits_json(
    satellite_name: str,
    norad_id: int,
    start: datetime,
    end: datetime,
    radius_km: float,
    bodies: Sequence[str],
    groups: Sequence[PlaceTransits],
    cut_from: datetime | None,
    warnings: Sequence[str],
) -> dict[str, Any]:
    """The whole document."""
    return {
        "schema": SCHEMA,
        "satellite": {"name": satellite_name, "norad_id": norad_id},
        "window": {"start": iso_z(start), "end": iso_z(end)},
        "radius_km": radius_km,
        "bodies": list(bodies),
        "near_miss_deg": NEAR_MISS_DEG,
        "max_shift_km": MAX_SHIFT_KM,
        "cut_from": None if cut_from is None else iso_z(cut_from),
        "observers": [
            {
                "name": group.place.name,
                "latitude_deg": round(group.place.latitude_deg, 6),
                "longitude_deg": round(group.place.longitude_deg, 6),
                "elevation_m": group.place.elevation_m,
                "timezone": group.place.timezone,
                "transits": [transit_json(t, group.place.timezone) for t in group.transits],
            }
            for group in groups
        ],
        "warnings": list(warnings),
    }


def _bodies_words(bodies: Sequence[str], joint: str = "and") -> str:
    words = [f"the {body_word(body)}" for body in bodies]
    return f" {joint} ".join(words)


def _seconds(value: float) -> str:
    """'0.1 s', '4 s', '35 s': one decimal below 10 s (a transit lasts under 2 s)."""
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _clock(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(zone(timezone))
    return f"{local:%H:%M:%S}.{local.microsecond // 10_000:02d}"


def print_transits(
    console: Any,
    satellite_label: str,
    start: datetime,
    end: datetime,
    radius_km: float,
    groups: Sequence[PlaceTransits],
    cut_from: datetime | None,
    bodies: Sequence[str] = ("sun", "moon"),
) -> None:
    """One table per place, then the uncertainty and the solar-filter warning."""
    from rich.table import Table

    any_sun = False
    for group in groups:
        place = group.place
        tz_name = place.timezone
        abbreviation = zone_abbreviation(start, tz_name)
        first = start.astimezone(zone(tz_name))
        last = end.astimezone(zone(tz_name))
        console.print()
        if not group.transits:
            console.print(
                f"{place.name}: no transit of {satellite_label} across "
                f"{_bodies_words(bodies, 'or')} "
                f"within {radius_km:g} km between {first:%d %b %Y %H:%M} and "
                f"{last:%d %b %Y %H:%M} {abbreviation}"
            )
            continue
        from rich import box

        table = Table(
            title=(
                f"{satellite_label} across {_bodies_words(bodies)} near {place.name}, within "
                f"{radius_km:g} km; times in {abbreviation} ({tz_name})"
            ),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
            collapse_padding=True,
        )
        table.add_column(f"When ({abbreviation})", no_wrap=True)
        table.add_column("Body", no_wrap=True)
        table.add_column("Go to", no_wrap=True)
        table.add_column("Width", justify="right", no_wrap=True)
        table.add_column("Lasts", justify="right", no_wrap=True)
        table.add_column("Body at", no_wrap=True)
        table.add_column("± time/path", justify="right", no_wrap=True, min_width=8)
        misses = []
        for item in group.transits:
            any_sun = any_sun or item.body == "sun"
            local = item.time.astimezone(zone(tz_name))
            body = body_word(item.body)
            if item.moon_illuminated is not None:
                body += f" {item.moon_illuminated * 100:.0f}%"
            when = f"{local.day} {local:%b} {_clock(item.time, tz_name)}"
            go_to = f"{item.distance_km:.1f} km {compass_point(item.bearing_deg)}"
            if item.near_miss:
                go_to += "*"
                misses.append(
                    f"  * {local.day} {local:%b}: from {place.name} itself the station passes "
                    f"{item.closest_from_place_deg:.2f}° off the {body_word(item.body)}'s edge"
                )
            table.add_row(
                when,
                body,
                go_to,
                f"{item.path_width_km:.1f} km",
                f"{item.duration_s:.2f} s",
                f"{item.body_altitude_deg:.0f}° {compass_point(item.body_azimuth_deg)}",
                f"{_seconds(item.timing_sigma_s)}/{item.shift_km:.0f} km",
            )
        console.print(table)
        for line in misses:
            console.print(line)
    console.print()
    console.print(
        "Go to: distance and direction from the place to the nearest point of the centre line "
        "(there the station crosses the middle of the disc). Width: of the path where it "
        "crosses the disc at all. Lasts: at the centre line. Body at: height and direction "
        "of the Sun or Moon. ±: expected error of the time and of the path's position across "
        f"the ground. *: a near miss, the path is farther than {radius_km:g} km but from the place "
        f"the station passes within {NEAR_MISS_DEG:g}° of the disc's edge."
    )
    console.print(CHECK_AGAIN)
    if cut_from is not None:
        console.print(
            f"Transits after {iso_z(cut_from, 0)} are not listed: the element set is too old "
            f"there for a path to mean anything (off by more than {MAX_SHIFT_KM:g} km)."
        )
    if any_sun:
        console.print(f"WARNING: {SOLAR_FILTER_WARNING}")
