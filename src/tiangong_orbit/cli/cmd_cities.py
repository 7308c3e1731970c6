"""``tiangong-orbit cities [SEARCH]``: list the gazetteer's places, as a table or JSON."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from tiangong_orbit.cli.app import app, stdout_console

UNKNOWN = "—"


@app.command("cities")
def cities_command(
    search: Annotated[
        str | None,
        typer.Argument(
            help="Part of a name (English or Urdu), a short form such as Pindi or Isb, or a "
            "province. Default: every place.",
            show_default=False,
            metavar="SEARCH",
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON list of places instead of a table."),
    ] = False,
) -> None:
    """List the places --city accepts: name, Urdu name, province, population, coordinates.

    Coordinates are WGS84 degrees (north and east positive), from GeoNames (CC BY 4.0).
    GeoNames gives no elevation for these places: it shows as — (null in JSON) and passes are
    computed at 0 m, which moves pass times by far less than a second. Exit code 2 when SEARCH
    matches nothing.
    """
    from tiangong_orbit.errors import UnknownPlaceError
    from tiangong_orbit.places import GAZETTEER_SOURCE, gazetteer, search_places

    found = search_places(search)
    if not found:
        raise UnknownPlaceError(
            f"no place matches '{search}'; run 'tiangong-orbit cities' for the full list, "
            "or give --lat/--lon"
        )
    if json_output:
        records = [
            {
                "name": place.name,
                "name_ur": place.name_ur,
                "province": place.province,
                "population": place.population,
                "latitude_deg": place.latitude_deg,
                "longitude_deg": place.longitude_deg,
                "elevation_m": place.elevation_m if place.elevation_known else None,
                "timezone": place.timezone,
                "geonameid": place.geonameid,
                "aliases": list(place.aliases),
            }
            for place in found
        ]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return

    from rich.table import Table

    console = stdout_console()
    zones = sorted({place.timezone for place in found})
    # One zone for every row (always so for the gazetteer): a narrow terminal gets it once, in
    # the footer, rather than a column repeating it.
    zone_column = len(zones) > 1 or console.width >= 100
    table = Table(show_edge=False, pad_edge=False)
    # Names wrap (GeoNames has a few long ones), a word too long for its cell folds onto the
    # next line rather than being cut to "…"; numbers and zones never wrap. 11 columns hold
    # every province word ("Balochistan", "Pakhtunkhwa").
    table.add_column("Name", ratio=3, min_width=10, overflow="fold")
    table.add_column("Urdu", ratio=2, overflow="fold")
    table.add_column("Province", ratio=2, min_width=11, overflow="fold")
    table.add_column("Population", justify="right", no_wrap=True, min_width=10)
    table.add_column("Lat °N", justify="right", no_wrap=True, min_width=7)
    table.add_column("Lon °E", justify="right", no_wrap=True, min_width=7)
    # The gazetteer has no heights today: a column of "—" only costs width at 80 columns.
    elevation_column = any(place.elevation_known for place in found)
    if elevation_column:
        table.add_column("Elev m", justify="right", no_wrap=True, min_width=6)
    if zone_column:
        table.add_column("Time zone", no_wrap=True, min_width=12)
    for place in found:
        cells = [
            place.name,
            place.name_ur or "",
            place.province or "",
            f"{place.population:,}" if place.population else UNKNOWN,
            f"{place.latitude_deg:.4f}",
            f"{place.longitude_deg:.4f}",
        ]
        if elevation_column:
            cells.append(f"{place.elevation_m:.0f}" if place.elevation_known else UNKNOWN)
        if zone_column:
            cells.append(place.timezone)
        table.add_row(*cells)
    console.print(table)
    total = len(gazetteer())
    if search is None or len(found) == total:
        count = f"{total} places"
    else:
        count = f"{len(found)} of {total} places match '{search}'"
    zone_note = "" if zone_column else f" Time zone: {zones[0]}."
    console.print(f"{count}.{zone_note} {UNKNOWN} = not in the data. Source: {GAZETTEER_SOURCE}.")
