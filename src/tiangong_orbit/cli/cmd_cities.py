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
    GeoNames gives no elevation for these places: the table leaves the column out (null in
    JSON) and passes are computed at 0 m, which moves pass times by far less than a second.
    Exit code 2 when SEARCH matches nothing.
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

    from rich import box
    from rich.table import Table

    console = stdout_console()
    zones = sorted({place.timezone for place in found})
    # One zone for every row (always so for the gazetteer): a narrow terminal gets it once, in
    # the footer, rather than a column repeating it. Elevations likewise: GeoNames has none
    # for these places, so the column shows only when one is known.
    zone_column = len(zones) > 1 or console.width >= 100
    elevation_column = any(place.elevation_known for place in found)
    names = [place.name for place in found]
    urdu = [place.name_ur or "" for place in found]
    provinces = [place.province or "" for place in found]

    texts = (("Name", names), ("Urdu", urdu), ("Province", provinces))
    numbers = [("Population", 10), ("Lat °N", 7), ("Lon °E", 7)]
    if elevation_column:
        numbers.append(("Elev m", 6))
    if zone_column:
        numbers.append(("Time zone", max(9, *(len(zone) for zone in zones))))
    # Between columns: one cell of padding and the box's one-cell divider; none at the edges.
    gap = 2
    room = console.width - sum(width for _, width in numbers) - gap * (len(numbers) + 2)
    widths = _text_widths([values for _, values in texts], [len(t) for t, _ in texts], room)
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), expand=False
    )
    for (title, _), width in zip(texts, widths, strict=True):
        table.add_column(title, width=width, overflow="fold")
    table.add_column("Population", justify="right", no_wrap=True, min_width=10)
    table.add_column("Lat °N", justify="right", no_wrap=True, min_width=7)
    table.add_column("Lon °E", justify="right", no_wrap=True, min_width=7)
    if elevation_column:
        table.add_column("Elev m", justify="right", no_wrap=True, min_width=6)
    if zone_column:
        table.add_column("Time zone", no_wrap=True, min_width=numbers[-1][1])
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
    elevation_note = (
        "" if elevation_column else " No elevations in the data: passes are computed at 0 m."
    )
    console.print(
        f"{count}.{zone_note}{elevation_note} {UNKNOWN} = not in the data. "
        f"Source: {GAZETTEER_SOURCE}."
    )


def _text_widths(columns: list[list[str]], titles: list[int], room: int) -> list[int]:
    """Widths (terminal cells) of the wrapping text columns: each its longest cell, then the
    widest narrowed one cell at a time until they fit ``room``, never below its longest word
    or title, so that text wraps between words and is never cut."""
    from rich.cells import cell_len

    widths = [
        max(title, *(cell_len(v) for v in values))
        for title, values in zip(titles, columns, strict=True)
    ]
    floors = [
        max(title, *(cell_len(word) for v in values for word in v.split()), 1)
        for title, values in zip(titles, columns, strict=True)
    ]
    while sum(widths) > room:
        narrowable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not narrowable:
            break  # a terminal too narrow for the longest words: rich folds them
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths
