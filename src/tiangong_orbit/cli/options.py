"""Options shared by several commands (``passes``, ``alert``, ``chart``): one definition each.

Use them as parameter annotations in a typer command, e.g. ``city: CityOption = None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
        help="CSV of places: columns name,latitude,longitude,elevation_m.",
        show_default=False,
        dir_okay=False,
    ),
]
TleOption = Annotated[
    Path | None,
    typer.Option(
        "--tle",
        help="Use only the element sets in this TLE, 3LE or OMM JSON file.",
        show_default=False,
        dir_okay=False,
    ),
]
SatelliteOption = Annotated[
    str,
    typer.Option(
        "--satellite",
        "-s",
        help="tiangong (default), iss, a NORAD number or part of a name in the data.",
    ),
]
StartOption = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="Start of the window (ISO 8601; no offset = UTC). Default: now.",
        show_default=False,
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", help="Time (ISO 8601; no offset = UTC). Default: now.", show_default=False
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
):  # -> list[Place]
    """The places the options name (default Lahore); raises UsageError for bad ones."""
    from tiangong_orbit import places

    return places.resolve_places(
        cities=city or (),
        latitude_deg=lat,
        longitude_deg=lon,
        elevation_m=elevation_m,
        name=name,
        places_file=str(places_file) if places_file else None,
    )


# Thresholds (DESIGN.md, Conventions): shared by passes and alert.
HorizonOption = Annotated[
    float, typer.Option("--horizon-deg", help="Rise/set elevation in degrees (geometric).")
]
MinVisibleOption = Annotated[
    float,
    typer.Option(
        "--min-visible-elevation-deg", help="Lowest elevation counted as visible, degrees."
    ),
]
SunMaxOption = Annotated[
    float,
    typer.Option(
        "--sun-max-altitude-deg", help="Dark sky: the Sun's altitude at or below this, degrees."
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
