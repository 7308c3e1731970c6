"""``tiangong-orbit outlook``: which evenings and mornings can have a visible pass, months ahead."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from tiangong_orbit.cli.app import app, stdout_console
from tiangong_orbit.cli.common import now_utc, refresh_if_needed, write_output
from tiangong_orbit.cli.options import (
    CityOption,
    ElevationOption,
    HorizonOption,
    LatOption,
    LonOption,
    MinVisibleOption,
    NameOption,
    OfflineOption,
    OutputFileOption,
    PlacesFileOption,
    SatelliteOption,
    StartOption,
    SunMaxOption,
    TleOption,
    TzOption,
    check_thresholds,
    resolve_places,
)
from tiangong_orbit.errors import UsageError

FORMATS = ("table", "json", "csv", "markdown")


@app.command("outlook")
def outlook_command(
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    tz: TzOption = None,
    start: StartOption = None,
    days: Annotated[float, typer.Option("--days", help="Days to look ahead (at most 366).")] = 60.0,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    offline: OfflineOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="table, json, csv or markdown.")
    ] = None,
    output: OutputFileOption = None,
    horizon_deg: HorizonOption = 0.0,
    min_visible_elevation_deg: MinVisibleOption = 10.0,
    sun_max_altitude_deg: SunMaxOption = -6.0,
) -> None:
    """Which evenings and mornings can have a visible pass, and between which times, weeks to
    months ahead (default: the next 60 days). Far from the element set's epoch the station's
    place along its orbit is unknown but its orbital plane is not: each night shows a window
    of times, the highest elevation possible and the most passes possible; where the set is
    good to about a minute, the real passes ('exact'). JSON/CSV carry UTC; tables show the
    place's local time."""
    from tiangong_orbit import outlook, tle
    from tiangong_orbit.cli.app import warn
    from tiangong_orbit.cli.options import check_at_most, choose_format, time_option
    from tiangong_orbit.model import Settings
    from tiangong_orbit.timeutil import check_range

    fmt = choose_format(fmt, as_json, FORMATS)
    check_at_most("--days", days, outlook.MAX_DAYS)
    check_thresholds(horizon_deg, min_visible_elevation_deg, sun_max_altitude_deg, None)
    places = resolve_places(city, lat, lon, elevation_m, name, places_file, tz)
    first = time_option(start, "--start", now_utc())
    last = first + timedelta(days=days)
    check_range(last, option="--start + --days", window_end=True)
    catalog = tle.load_catalog(tle_file)
    norad_id = tle.satellite_ids(satellite, catalog.sets)
    # Fresh sets first, as every computing command (a fresh set makes the first weeks exact).
    catalog = refresh_if_needed(catalog, norad_id, last, offline=offline)
    for message in [*catalog.warnings, *catalog.check_satellite(norad_id)]:
        warn(message)
    settings = Settings(
        horizon_deg=horizon_deg,
        min_visible_elevation_deg=min_visible_elevation_deg,
        sun_max_altitude_deg=sun_max_altitude_deg,
    )
    result = outlook.compute_outlook(catalog.sets, norad_id, places, first, last, settings)
    unknown = sum(p.kind == "unknown" for g in result.places for p in g.periods)
    if unknown:
        warn(unknown_message(file_given=catalog.file_given))
    if fmt == "table":
        if output is not None:
            raise UsageError("--output needs --format json, csv or markdown")
        from tiangong_orbit.render.outlook import print_outlook

        print_outlook(stdout_console(), result)
        return
    from tiangong_orbit.render import outlook as render

    if fmt == "json":
        text = json.dumps(render.outlook_json(result), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = render.outlook_csv(result)
    else:
        text = render.outlook_markdown(result)
    write_output(text, output)


def unknown_message(*, file_given: bool) -> str:
    """The line for periods too far from any element set for an honest window."""
    from tiangong_orbit.outlook import HORIZON_DAYS

    hint = "give a newer one with --tle FILE" if file_given else "run 'tiangong-orbit tle update'"
    return (
        f"some nights are more than {HORIZON_DAYS:.0f} days from the nearest element set, "
        f"past what the outlook is calibrated for: they show no window; {hint}"
    )
