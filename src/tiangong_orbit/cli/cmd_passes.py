"""``tiangong-orbit passes``: when the station passes over a place, and whether it can be seen."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Annotated

import typer

from tiangong_orbit.cli.app import app, stdout_console
from tiangong_orbit.cli.common import choose_set, now_utc, write_output
from tiangong_orbit.cli.options import (
    AllowStaleOption,
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
    StandardMagnitudeOption,
    StartOption,
    SunMaxOption,
    TleOption,
    check_thresholds,
    resolve_places,
)
from tiangong_orbit.errors import UsageError

FORMATS = ("table", "json", "csv", "markdown", "html", "ics")


@app.command("passes")
def passes_command(
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    start: StartOption = None,
    days: Annotated[float, typer.Option("--days", help="Window length in days.")] = 10.0,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list passes that are up but not visible, and why.")
    ] = False,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv, markdown, html or ics.")
    ] = "table",
    output: OutputFileOption = None,
    lang: Annotated[str, typer.Option("--lang", help="en or ur (Urdu; markdown and html).")] = "en",
    horizon_deg: HorizonOption = 0.0,
    min_visible_elevation_deg: MinVisibleOption = 10.0,
    sun_max_altitude_deg: SunMaxOption = -6.0,
    standard_magnitude: StandardMagnitudeOption = None,
) -> None:
    """Passes of Tiangong (or --satellite) over one or more places: by default the visible ones
    in the next 10 days. Visible = sunlit, in a dark sky (Sun at or below -6°) and at least 10°
    high. Rise and set use the geometric elevation (no refraction). JSON/CSV/ICS carry UTC;
    tables show the place's local time (PKT for Pakistan)."""
    from tiangong_orbit.model import PlacePasses, Prediction, SatelliteInfo, Settings
    from tiangong_orbit.timeutil import check_range, parse_time

    fmt = "json" if as_json else fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    if lang not in ("en", "ur"):
        raise UsageError(f"--lang '{lang}' is not one of en, ur")
    if not (math.isfinite(days) and 0 < days <= 366):
        raise UsageError(f"--days {days:g} must be more than 0 and at most 366")
    check_thresholds(
        horizon_deg, min_visible_elevation_deg, sun_max_altitude_deg, standard_magnitude
    )

    places = resolve_places(city, lat, lon, elevation_m, name, places_file)
    first = parse_time(start, option="--start") if start else now_utc()
    last = first + timedelta(days=days)
    check_range(last, option="--start + --days")
    chosen = choose_set(
        tle_file, satellite, first, allow_stale=allow_stale, offline=offline, until=last
    )
    es = chosen.element_set

    from tiangong_orbit import passes

    if standard_magnitude is None:
        standard_magnitude = passes.standard_magnitude_for(es.norad_id)
    settings = Settings(
        horizon_deg=horizon_deg,
        min_visible_elevation_deg=min_visible_elevation_deg,
        sun_max_altitude_deg=sun_max_altitude_deg,
        **({} if standard_magnitude is None else {"standard_magnitude": standard_magnitude}),
    )
    # Each pass from the set nearest it: a long window over the history crosses reboosts.
    from tiangong_orbit.tle import nearest_segments

    stretches = nearest_segments(chosen.catalog.sets, chosen.norad_id, first, last)
    groups: tuple[PlacePasses, ...] = passes.find_passes_over_sets(
        stretches, places, settings, include_invisible=show_all
    )
    from tiangong_orbit.sky import add_near  # bright stars and planets near each visible pass

    groups = add_near(groups, stretches)
    prediction = Prediction(
        satellite=SatelliteInfo(
            es.name,
            es.norad_id,
            es.epoch,
            es.source,
            es.path,
            tle_epochs=tuple(stretch[0].epoch for stretch in stretches),
        ),
        start=first,
        end=last,
        settings=settings,
        places=groups,
    )
    if fmt == "table":
        if output is not None:
            raise UsageError("--output needs --format json, csv, markdown, html or ics")
        from tiangong_orbit.render.terminal import print_prediction

        print_prediction(stdout_console(), prediction, show_all=show_all)
        return
    if fmt == "json":
        from tiangong_orbit.render.passes_json import passes_json

        text = json.dumps(passes_json(prediction), indent=2, ensure_ascii=False) + "\n"
    else:
        from tiangong_orbit.render import render_passes

        text = render_passes(prediction, fmt, lang=lang, element_set=es)
    write_output(text, output)
