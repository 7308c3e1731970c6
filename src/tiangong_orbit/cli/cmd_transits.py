"""``tiangong-orbit transits``: when the station crosses the Sun or the Moon, seen near a place."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tiangong_orbit.cli.app import app, stdout_console, warn
from tiangong_orbit.cli.common import choose_set, now_utc, write_output
from tiangong_orbit.cli.options import (
    CityOption,
    ElevationOption,
    LatOption,
    LonOption,
    NameOption,
    OfflineOption,
    PlacesFileOption,
    SatelliteOption,
    StartOption,
    TleOption,
    TzOption,
    check_at_most,
    resolve_places,
)
from tiangong_orbit.errors import UsageError

if TYPE_CHECKING:
    from tiangong_orbit.cli.common import Chosen
    from tiangong_orbit.tle import ElementSet


@app.command("transits")
def transits_command(
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    tz: TzOption = None,
    start: StartOption = None,
    days: Annotated[float, typer.Option("--days", help="Window length in days.")] = 30.0,
    radius_km: Annotated[
        float,
        typer.Option(
            "--radius-km",
            help="How far you will drive: list transits whose centre line passes within this "
            "distance of the place (km).",
        ),
    ] = 50.0,
    body: Annotated[str, typer.Option("--body", help="sun, moon or both.")] = "both",
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    offline: OfflineOption = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON (schema tiangong-orbit/transits/1).")
    ] = False,
) -> None:
    """Transits of Tiangong (or --satellite) across the Sun's or the Moon's disc whose centre
    line passes within --radius-km of the place, and near misses: the time at the centre line
    (to 0.01 s), where to drive, the path's width, how long it lasts (under a second or two),
    and how far the path may move with the set's age. A daytime Moon and a low Sun count; a
    body below the horizon does not. Never look at the Sun without a certified solar filter."""
    bodies = check_transit_options(body, days, radius_km)
    places = resolve_places(city, lat, lon, elevation_m, name, places_file, tz)
    first, last, chosen, stretches = transit_window(start, days, tle_file, satellite, offline)
    es = chosen.element_set

    from tiangong_orbit import transits
    from tiangong_orbit.errors import StaleDataError
    from tiangong_orbit.render.i18n import satellite_name
    from tiangong_orbit.render.transits import (
        PlaceTransits,
        print_transits,
        transits_json,
    )
    from tiangong_orbit.timeutil import iso_z

    groups = []
    cut_from = None
    for place in places:
        found, cut = transits.find_transits(stretches, place, bodies=bodies, radius_km=radius_km)
        groups.append(PlaceTransits(place, tuple(found)))
        if cut is not None:
            cut_from = cut if cut_from is None else min(cut_from, cut)
    warnings: list[str] = []
    if cut_from is not None:
        warnings.append(
            f"transits after {iso_z(cut_from, 0)} are not listed: the element set is too old "
            f"there for a path to mean anything (off by more than {transits.MAX_SHIFT_KM:g} km); "
            "check again the day before with a fresh set"
        )
    if cut_from is not None and cut_from <= first:
        raise StaleDataError(warnings[0].replace("transits after", "no transit can be given from"))
    for message in warnings:
        warn(message)
    label = satellite_name(es.norad_id, es.name, "en")
    if label.startswith("the "):
        label = label[4:]
    if as_json:
        document = transits_json(
            es.name, es.norad_id, first, last, radius_km, bodies, groups, cut_from, warnings
        )
        write_output(json.dumps(document, indent=2, ensure_ascii=False) + "\n", None)
        return
    print_transits(stdout_console(), label, first, last, radius_km, groups, cut_from, bodies)


def check_transit_options(body: str, days: float, radius_km: float) -> tuple[str, ...]:
    """The bodies ``--body`` names; UsageError (exit 2) for a bad --body, --days or
    --radius-km (shared by ``transits`` and ``chart transit``)."""
    choice = body.strip().lower()
    bodies = {"sun": ("sun",), "moon": ("moon",), "both": ("sun", "moon")}.get(choice)
    if bodies is None:
        raise UsageError(f"--body '{body}' is not one of sun, moon, both")
    check_at_most("--days", days, 366)
    check_at_most("--radius-km", radius_km, 500)
    return bodies


def transit_window(
    start: str | None, days: float, tle_file: Path | None, satellite: str, offline: bool
) -> tuple[datetime, datetime, Chosen, list[tuple[ElementSet, datetime, datetime]]]:
    """The window ``[first, last)`` of a transit search, the set chosen for it and the
    stretches of the set nearest each time (``tle.nearest_segments``). The passes' staleness
    limit is not the transits' one: ``transits.find_transits`` applies its own."""
    from tiangong_orbit.cli.options import time_option
    from tiangong_orbit.timeutil import check_range
    from tiangong_orbit.tle import nearest_segments

    first = time_option(start, "--start", now_utc())
    last = first + timedelta(days=days)
    check_range(last, option="--start + --days", window_end=True)
    chosen = choose_set(
        tle_file,
        satellite,
        first,
        allow_stale=True,
        offline=offline,
        until=last,
        print_warnings=False,
    )
    stretches = nearest_segments(chosen.catalog.sets, chosen.norad_id, first, last)
    return first, last, chosen, stretches
