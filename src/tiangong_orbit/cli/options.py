"""Options shared by several commands (``passes``, ``alert``, ``chart``): one definition each.

Use them as parameter annotations in a typer command, e.g. ``city: CityOption = None``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

CityOption = Annotated[
    list[str] | None,
    typer.Option(
        "--city",
        "-c",
        help="A Pakistani place from the gazetteer (repeatable; 'all' = every place; "
        "see 'tiangong-orbit cities'). Default: Lahore.",
        show_default=False,
    ),
]
LatOption = Annotated[
    float | None,
    typer.Option(
        "--lat", help="Observer's WGS84 latitude in degrees, north positive.", show_default=False
    ),
]
LonOption = Annotated[
    float | None,
    typer.Option(
        "--lon", help="Observer's WGS84 longitude in degrees, east positive.", show_default=False
    ),
]
ElevationOption = Annotated[
    float | None,
    typer.Option(
        "--elevation-m", help="Observer's height in metres (with --lat/--lon).", show_default=False
    ),
]
NameOption = Annotated[
    str | None,
    typer.Option("--name", help="A label for the --lat/--lon place.", show_default=False),
]
PlacesFileOption = Annotated[
    Path | None,
    typer.Option(
        "--places",
        help="CSV of places: columns name,latitude,longitude,elevation_m and optionally "
        "timezone (an IANA name such as Europe/London; default: the zone at the coordinates).",
        show_default=False,
        dir_okay=False,
    ),
]
TzOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="Show local times in this IANA zone (e.g. Asia/Karachi, Europe/London, UTC). "
        "Default: the gazetteer's zone (Asia/Karachi), else the zone at the coordinates.",
        show_default=False,
    ),
]
TleOption = Annotated[
    Path | None,
    typer.Option(
        "--tle",
        help="Use only the element sets in this file: TLE, 3LE, or OMM as CelesTrak JSON or "
        "CSV, CCSDS XML or KVN.",
        show_default=False,
        dir_okay=False,
    ),
]
SatelliteOption = Annotated[
    str,
    typer.Option(
        "--satellite",
        "-s",
        help="tiangong (default), iss, a NORAD number or part of a name in the data. Passes "
        "are predicted for near-Earth orbits only (periods under 225 minutes).",
    ),
]
_T = TypeVar("_T")


def _blank_time_refused(value: str | None) -> str | None:
    """Option callback: an empty ``--start ''`` is a mistake (exit 2), never "now"."""
    if value is not None and not value.strip():
        raise typer.BadParameter(
            "is empty; give an ISO 8601 time such as 2026-11-22T18:30Z, or leave the option "
            "out for the default"
        )
    return value


def time_option(text: str | None, option: str, default: _T) -> datetime | _T:
    """The time a command-line option gives, as an aware UTC datetime; ``default`` when the
    option was not given. An empty or blank value is a :class:`UsageError` (exit 2), never
    the default: ``--start "$WHEN"`` with ``WHEN`` unset must not quietly mean "now".
    Every command's time options (``--start``, ``--now``, ``--at``, ``--from``, ``--to``)
    go through here."""
    from tiangong_orbit.errors import UsageError
    from tiangong_orbit.timeutil import parse_time

    if text is None:
        return default
    if not text.strip():
        raise UsageError(
            f"{option} is empty; give an ISO 8601 time such as 2026-11-22T18:30Z, or leave "
            f"{option} out for the default"
        )
    return parse_time(text, option=option)


SatellitesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--satellite",
        "-s",
        help="tiangong (default), iss, a NORAD number or part of a name in the data; repeat "
        "it (-s tiangong -s iss) to list several satellites in one time-ordered list.",
        show_default=False,
    ),
]
StartOption = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="Start of the window (ISO 8601; no offset = UTC). Default: now.",
        show_default=False,
        callback=_blank_time_refused,
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Time (ISO 8601; no offset = UTC). Default: now.",
        show_default=False,
        callback=_blank_time_refused,
    ),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Pretend it is this time (ISO 8601; no offset = UTC). Default: the system clock.",
        show_default=False,
        callback=_blank_time_refused,
    ),
]
OutputFileOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of stdout.",
        dir_okay=False,
        show_default=False,
    ),
]
PictureOption = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="The picture to write: a .png or .svg file.",
        dir_okay=False,
        show_default=False,
    ),
]
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Never fetch fresh element sets before computing (also: TIANGONG_ORBIT_OFFLINE=1, "
        "or 'offline = true' in the configuration file).",
    ),
]
AllowStaleOption = Annotated[
    bool,
    typer.Option("--allow-stale", help="Compute even when the element set is too old to trust."),
]


def resolve_places(
    city: list[str] | None,
    lat: float | None,
    lon: float | None,
    elevation_m: float | None,
    name: str | None,
    places_file: Path | None,
    tz: str | None = None,
):  # -> list[Place]
    """The places the options name (default Lahore), in ``--tz`` when given; raises UsageError
    for bad ones."""
    from tiangong_orbit import places

    found = places.resolve_places(
        cities=city or (),
        latitude_deg=lat,
        longitude_deg=lon,
        elevation_m=elevation_m,
        name=name,
        places_file=str(places_file) if places_file else None,
    )
    return places.with_timezone(found, tz)


# Thresholds (DESIGN.md, Conventions): shared by passes and alert.
HorizonOption = Annotated[
    float,
    typer.Option("--horizon-deg", help="Rise/set elevation in degrees (geometric), from -5 to 45."),
]
MinVisibleOption = Annotated[
    float,
    typer.Option(
        "--min-visible-elevation-deg",
        help="Lowest elevation counted as visible, degrees (0 to 89).",
    ),
]
SunMaxOption = Annotated[
    float,
    typer.Option(
        "--sun-max-altitude-deg",
        help="Dark sky: the Sun's altitude at or below this, degrees (-30 to 10).",
    ),
]
StandardMagnitudeOption = Annotated[
    float | None,
    typer.Option(
        "--standard-magnitude",
        help="Magnitude at 1000 km and 90° phase (default: the satellite's own).",
        show_default=False,
    ),
]


def check_at_most(option: str, value: float, most: float) -> None:
    """Raise UsageError (exit 2) unless ``0 < value <= most`` (NaN and infinities refused)."""
    import math

    from tiangong_orbit.errors import UsageError

    if not (math.isfinite(value) and 0 < value <= most):
        raise UsageError(f"{option} {value:g} must be more than 0 and at most {most:g}")


def choose_format(fmt: str | None, as_json: bool, formats: tuple[str, ...]) -> str:
    """The output format of ``--format`` (default ``table``) and ``--json``; UsageError (exit
    2) for a format not in ``formats`` or one that ``--json`` contradicts."""
    from tiangong_orbit.errors import UsageError

    chosen = (fmt or "table").lower()
    if chosen not in formats:
        raise UsageError(f"--format '{chosen}' is not one of {', '.join(formats)}")
    if as_json:
        if fmt is not None and chosen != "json":
            raise UsageError(f"--json contradicts --format {chosen}; give one of them")
        chosen = "json"
    return chosen


def check_thresholds(
    horizon_deg: float,
    min_visible_elevation_deg: float,
    sun_max_altitude_deg: float,
    standard_magnitude: float | None,
) -> None:
    """Raise UsageError (exit 2) for a threshold outside its sensible range."""
    import math

    from tiangong_orbit.errors import UsageError

    for option, value, low, high in (
        ("--horizon-deg", horizon_deg, -5.0, 45.0),
        ("--min-visible-elevation-deg", min_visible_elevation_deg, 0.0, 89.0),
        ("--sun-max-altitude-deg", sun_max_altitude_deg, -30.0, 10.0),
    ):
        if not (math.isfinite(value) and low <= value <= high):
            raise UsageError(f"{option} {value:g} is outside {low:g}..{high:g} degrees")
    if standard_magnitude is not None and not (
        math.isfinite(standard_magnitude) and -10 < standard_magnitude < 20
    ):
        raise UsageError(f"--standard-magnitude {standard_magnitude:g} is not plausible (-10..20)")
