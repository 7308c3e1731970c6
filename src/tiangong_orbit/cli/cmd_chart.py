"""``tiangong-orbit chart sky|track|altitude``: pictures for a class, PNG or SVG.

The format follows the ``--output`` file's extension; the name is checked (and the folder's
permission) before anything is computed, so a typo costs nothing. matplotlib is imported only
inside the commands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import typer

from tiangong_orbit.cli.app import chart_app, warn
from tiangong_orbit.cli.common import choose_set, iss_reference, now_utc
from tiangong_orbit.cli.options import (
    AllowStaleOption,
    AtOption,
    CityOption,
    ElevationOption,
    LatOption,
    LonOption,
    NameOption,
    OfflineOption,
    PictureOption,
    PlacesFileOption,
    SatelliteOption,
    StartOption,
    TleOption,
    TzOption,
    check_at_most,
    resolve_places,
)
from tiangong_orbit.errors import UsageError


def _start(start: str | None) -> datetime:
    from tiangong_orbit.cli.options import time_option

    return time_option(start, "--start", now_utc())


def _settings(norad_id: int) -> Any:
    from tiangong_orbit import passes
    from tiangong_orbit.model import Settings

    standard = passes.standard_magnitude_for(norad_id)
    return Settings() if standard is None else Settings(standard_magnitude=standard)


def _count_words(count: int) -> str:
    return "is only 1 visible pass" if count == 1 else f"are only {count} visible passes"


def _satellite_label(norad_id: int, name: str) -> str:
    from tiangong_orbit.render.i18n import satellite_name

    label = satellite_name(norad_id, name, "en")
    return label[4:] if label.startswith("the ") else label


@chart_app.command("sky")
def sky_command(
    output: PictureOption,
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    tz: TzOption = None,
    start: StartOption = None,
    days: Annotated[float, typer.Option("--days", help="Window length in days.")] = 1.0,
    pass_number: Annotated[
        str,
        typer.Option(
            "--pass",
            help="Which visible pass of the window: 1 = the first, or 'all' "
            "for one panel per pass.",
        ),
    ] = "1",
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
) -> None:
    """Sky chart of a visible pass, as seen looking up: zenith at the centre, horizon at the
    rim, N at the top and E on the LEFT (like NASA's and Heavens-Above's charts). The path is
    bold where visible, dashed in the Earth's shadow, with a dot every minute (local time).
    The first place given is used."""
    from tiangong_orbit.render.charts import output_format

    output_format(output)
    check_at_most("--days", days, 60)
    choice = pass_number.strip().lower()
    if choice != "all" and not (choice.isdigit() and int(choice) >= 1):
        raise UsageError(f"--pass '{pass_number}' must be a pass number (1, 2, ...) or 'all'")
    place = resolve_places(city, lat, lon, elevation_m, name, places_file, tz)[0]
    first = _start(start)
    last = first + timedelta(days=days)
    from tiangong_orbit.timeutil import check_range

    check_range(last, option="--start + --days", window_end=True)
    chosen = choose_set(
        tle_file, satellite, first, allow_stale=allow_stale, offline=offline, until=last
    )
    es = chosen.element_set

    from tiangong_orbit import passes
    from tiangong_orbit.render import charts

    settings = _settings(es.norad_id)
    found = passes.find_passes(es, [place], first, last, settings)[0].passes
    visible = [p for p in found if p.visible]
    label = _satellite_label(es.norad_id, es.name)
    window = f"{first:%Y-%m-%d %H:%M} UTC and {last:%Y-%m-%d %H:%M} UTC"
    if not visible:
        raise UsageError(
            f"no visible pass of {label} from {place.name} between {window}; try a longer "
            "--days or another --start"
        )
    if choice == "all":
        chosen_passes = visible
    else:
        number = int(choice)
        if number > len(visible):
            raise UsageError(
                f"--pass {number}, but there {_count_words(len(visible))} of {label} "
                f"from {place.name} between {window}; give 1 to {len(visible)}, or a longer --days"
            )
        chosen_passes = [visible[number - 1]]
    items = [(p, passes.pass_track(es, place, p)) for p in chosen_passes]
    from tiangong_orbit import sky

    skies = [
        sky.sky_objects(place.latitude_deg, place.longitude_deg, place.elevation_m, _middle(p))
        for p in chosen_passes
    ]
    figure = charts.sky_figure(
        items,
        place,
        label,
        settings,
        sky=skies,
        tle_note=tle_note(es.epoch, _middle(chosen_passes[0])),
    )
    charts.save_figure(figure, output)


def _middle(pass_: Any) -> datetime:
    """The middle of a pass's visible part (else of the whole pass)."""
    start = (pass_.visible_start or pass_.rise).time
    end = (pass_.visible_end or pass_.set).time
    return start + (end - start) / 2


def tle_note(epoch: datetime, moment: datetime) -> str:
    """The chart subtitle's words on the element set: its epoch, its age at ``moment`` and the
    expected timing error that age implies (the calibrated model of ``uncertainty``)."""
    from tiangong_orbit.uncertainty import describe_error

    age_days = (moment - epoch).total_seconds() / 86400.0
    if abs(age_days) < 0.05:
        when = "at its epoch"
    elif age_days > 0:
        when = f"{age_days:.1f} days old"
    else:
        when = f"{-age_days:.1f} days before its epoch"
    return (
        f"element set of {epoch:%d %b %Y %H:%M} UTC, {when}: "
        f"times {describe_error(age_days, short=True)}"
    )


#: How far ahead the default ``chart track`` looks for the next pass (days).
TRACK_LOOKAHEAD_DAYS = 10.0
#: Minutes of track drawn before the rise and after the set of that pass.
TRACK_MARGIN_MIN = 8.0


@chart_app.command("track")
def track_command(
    output: PictureOption,
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    tz: TzOption = None,
    start: StartOption = None,
    hours: Annotated[
        float | None,
        typer.Option(
            "--hours",
            help="Draw this many hours of track from --start. Without it: the next visible "
            "pass over the first place (else its next pass), from a few minutes before it "
            "rises to a few minutes after it sets.",
        ),
    ] = None,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
) -> None:
    """Ground track on a map with coastlines and borders (Natural Earth, bundled): Pakistan
    and its neighbours (55-85°E, 15-45°N), or 30° around a place elsewhere. The places are
    marked with, around each, the circle inside which the station stands at least 10° high."""
    from tiangong_orbit.render.charts import output_format

    output_format(output)
    if hours is not None:
        check_at_most("--hours", hours, 48)
    chosen_places = resolve_places(city, lat, lon, elevation_m, name, places_file, tz)
    first = _start(start)
    from tiangong_orbit.timeutil import check_range

    span_hours = hours if hours is not None else TRACK_LOOKAHEAD_DAYS * 24.0
    check_range(first + timedelta(hours=span_hours), option="--start + --hours", window_end=True)
    chosen = choose_set(
        tle_file,
        satellite,
        first,
        allow_stale=allow_stale,
        offline=offline,
        until=first + timedelta(hours=span_hours),
    )
    es = chosen.element_set
    label = _satellite_label(es.norad_id, es.name)

    from tiangong_orbit import orbit, passes
    from tiangong_orbit.model import Settings
    from tiangong_orbit.places import gazetteer
    from tiangong_orbit.render import charts

    settings = _settings(es.norad_id)
    region = charts.region_for(chosen_places)
    if hours is None:
        place = chosen_places[0]
        found = passes.find_passes(
            es,
            [place],
            first,
            first + timedelta(days=TRACK_LOOKAHEAD_DAYS),
            settings,
            include_invisible=True,
        )[0].passes
        if not found:
            raise UsageError(
                f"{label} does not rise over {place.name} in the {TRACK_LOOKAHEAD_DAYS:g} days "
                "from --start; give --hours to draw the track anyway"
            )
        shown = next((p for p in found if p.visible), found[0])
        first = shown.rise.time - timedelta(minutes=TRACK_MARGIN_MIN)
        span_hours = (
            shown.set.time - shown.rise.time
        ).total_seconds() / 3600.0 + 2.0 * TRACK_MARGIN_MIN / 60.0
    times = charts.track_times(first, span_hours)
    theta = orbit.gmst_rad(times)
    position, _ = orbit.satellite_itrs(es.satrec, times, theta)
    latitude, longitude, height = orbit.geodetic(position)
    lit = orbit.sunlit(position, orbit.sun_itrs_km(times, theta))
    series = {
        "t_unix": times,
        "latitude_deg": latitude,
        "longitude_deg": longitude,
        "altitude_km": height,
        "sunlit": lit,
    }
    if not charts.crosses_region(series, region):
        warn(
            f"{label} does not fly over the map in these {span_hours:g} hours; leave out "
            "--hours to draw the next pass, or try another --start"
        )
    towns = [(p.latitude_deg, p.longitude_deg) for p in gazetteer()]
    end = charts.end_of(first, span_hours)
    middle = first + (end - first) / 2
    figure = charts.track_figure(
        series,
        chosen_places,
        label,
        first,
        end,
        Settings(min_visible_elevation_deg=settings.min_visible_elevation_deg),
        towns=towns,
        tle_note=tle_note(es.epoch, middle),
        region=region,
    )
    charts.save_figure(figure, output)


@chart_app.command("altitude")
def altitude_command(
    output: PictureOption,
    at: AtOption = None,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
) -> None:
    """The altitude ladder, to scale: 80 km (US boundary), 87.4 km (Namira Salim, 2023),
    100 km (Kármán line), the satellite at --at, and for comparison the ISS (for Tiangong,
    with Tiangong's 340-450 km design range) or Tiangong (for the ISS and others)."""
    from tiangong_orbit.cli.options import time_option
    from tiangong_orbit.render.charts import output_format

    output_format(output)
    moment = time_option(at, "--at", now_utc())
    chosen = choose_set(tle_file, satellite, moment, allow_stale=allow_stale, offline=offline)
    es = chosen.element_set

    from tiangong_orbit import orbit, tle
    from tiangong_orbit.render import charts

    report = orbit.altitude_report(es.name, es.norad_id, es.satrec, moment)
    label = _satellite_label(es.norad_id, es.name)
    is_tiangong = es.norad_id == tle.TIANGONG_NORAD_ID
    comparisons: list[tuple[str, str, float]] = []
    if es.norad_id != tle.ISS_NORAD_ID:
        iss = iss_reference(chosen.catalog, moment, allow_stale=allow_stale, what="the chart")
        if iss is not None:
            altitude_km = orbit.altitude_report(iss.name, iss.norad_id, iss.satrec, moment)
            comparisons.append(("the ISS", "International Space Station", altitude_km.altitude_km))
    if not is_tiangong:
        reference = _tiangong_reference(chosen.catalog, moment, allow_stale=allow_stale)
        if reference is not None:
            altitude_km = orbit.altitude_report(
                reference.name, reference.norad_id, reference.satrec, moment
            )
            comparisons.append(("Tiangong", "China's space station", altitude_km.altitude_km))
    title_name = "the ISS" if es.norad_id == tle.ISS_NORAD_ID else label
    figure = charts.altitude_figure(
        report,
        title_name,
        comparisons=comparisons,
        design_band=is_tiangong,
        news_note=is_tiangong,
        title_name=title_name,
        tle_note=tle_note(es.epoch, moment),
    )
    charts.save_figure(figure, output)


def _tiangong_reference(catalog: Any, moment: datetime, *, allow_stale: bool) -> Any:
    """Tiangong's set nearest ``moment`` for the comparison rung, or ``None`` with a warning
    when the data hold none or it is too stale."""
    from tiangong_orbit import tle
    from tiangong_orbit.errors import StaleDataError

    if not tle.sets_for(catalog.sets, tle.TIANGONG_NORAD_ID) and catalog.file_given:
        catalog = tle.load_catalog(None)
    if not tle.sets_for(catalog.sets, tle.TIANGONG_NORAD_ID):
        warn("no Tiangong element set in the data: Tiangong is left out of the chart")
        return None
    reference = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, moment)
    try:
        tle.check_staleness(
            reference,
            moment,
            newest=catalog.newest_epoch(tle.TIANGONG_NORAD_ID),
            allow_stale=allow_stale,
            file_given=catalog.file_given,
        )
    except StaleDataError as error:
        warn(f"Tiangong is left out of the chart: {error}")
        return None
    return reference


@chart_app.command("transit")
def transit_command(
    output: PictureOption,
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
        float, typer.Option("--radius-km", help="How far you will drive (km).")
    ] = 50.0,
    body: Annotated[str, typer.Option("--body", help="sun, moon or both.")] = "both",
    number: Annotated[
        int, typer.Option("--transit", help="Which transit of the window: 1 = the first.")
    ] = 1,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    offline: OfflineOption = False,
) -> None:
    """Map of a transit across the Sun or the Moon (as `transits` finds them near the first
    place): the centre line, the path's edges, the place and the way to the centre line, on
    the bundled coastlines and borders. Never look at the Sun without a certified filter."""
    from tiangong_orbit.cli.cmd_transits import check_transit_options, transit_window
    from tiangong_orbit.render.charts import output_format

    output_format(output)
    bodies = check_transit_options(body, days, radius_km)
    if number < 1:
        raise UsageError(f"--transit {number} must be 1 or more")
    place = resolve_places(city, lat, lon, elevation_m, name, places_file, tz)[0]
    first, last, chosen, stretches = transit_window(start, days, tle_file, satellite, offline)
    from tiangong_orbit import transits
    from tiangong_orbit.render import charts

    found, cut = transits.find_transits(stretches, place, bodies=bodies, radius_km=radius_km)
    label = _satellite_label(chosen.element_set.norad_id, chosen.element_set.name)
    if cut is not None:
        warn(
            f"transits after {cut:%Y-%m-%d %H:%M} UTC are left out: the element set is too old "
            "there for a path to mean anything; check again the day before with a fresh set"
        )
    if number > len(found):
        raise UsageError(
            f"--transit {number}, but {len(found)} transit(s) of {label} near {place.name} "
            f"within {radius_km:g} km were found between {first:%Y-%m-%d %H:%M} and "
            f"{last:%Y-%m-%d %H:%M} UTC; try a longer --days or a larger --radius-km"
        )
    figure = charts.transit_figure(found[number - 1], place, label, radius_km)
    charts.save_figure(figure, output)
