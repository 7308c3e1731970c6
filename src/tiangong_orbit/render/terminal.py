"""The human pass table for a terminal (rich): grouped by night, in the place's local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tiangong_orbit.model import Pass, PlacePasses, Point, Prediction
from tiangong_orbit.timeutil import zone, zone_abbreviation


def compass(azimuth_deg: float) -> str:
    """16-point compass name of an azimuth in degrees (N = 0°, E = 90°)."""
    from tiangong_orbit.render import compass_point

    return compass_point(azimuth_deg)


def night_of(moment: datetime, zone_name: str) -> str:
    """'Night of Fri 18 Sep': evening and the following small hours share the evening's date."""
    local = moment.astimezone(zone(zone_name)) - timedelta(hours=12)
    return f"Night of {local:%a} {local.day} {local:%b}"


def _degrees(value: float) -> str:
    """Whole degrees without a '-0'."""
    return f"{round(value) + 0:d}°"


def _at(point: Point, zone_name: str) -> str:
    local = point.time.astimezone(zone(zone_name))
    return f"{local:%H:%M:%S} {_degrees(point.elevation_deg):>3} {compass(point.azimuth_deg)}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _magnitude(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _sigma(seconds: float) -> str:
    if seconds < 1:
        return ""
    if seconds < 90:
        return f"±{seconds:.0f}s"
    return f"±{seconds / 60:.0f}min"


def place_table(group: PlacePasses, prediction: Prediction, *, show_all: bool) -> Any:
    """A rich Table of one place's passes, one section per night, in local time."""
    from rich.table import Table

    place = group.place
    tz_name = place.timezone
    abbreviation = zone_abbreviation(prediction.start, tz_name)
    start_local = prediction.start.astimezone(zone(tz_name))
    end_local = prediction.end.astimezone(zone(tz_name))
    where = f", {place.province}" if getattr(place, "province", None) else ""
    kind = "passes" if show_all else "visible passes"
    title = (
        f"{place.name}{where} ({place.latitude_deg:.3f}°N, {place.longitude_deg:.3f}°E): {kind} "
        f"{start_local:%d %b %H:%M} to {end_local:%d %b %Y %H:%M} {abbreviation}; "
        f"times in {abbreviation} ({tz_name}), height ° above the horizon, compass direction"
    )
    table = Table(title=title, title_justify="left", expand=False, pad_edge=False)
    table.add_column("Night of", no_wrap=True)
    table.add_column("Appears", no_wrap=True)
    table.add_column("Highest", no_wrap=True)
    table.add_column("Disappears", no_wrap=True)
    table.add_column("Mag", justify="right", no_wrap=True)
    table.add_column("Visible", justify="right", no_wrap=True)
    table.add_column("±", justify="right", no_wrap=True)
    if show_all:
        table.add_column("Not visible because", no_wrap=True)
    current_night = None
    for item in group.passes:
        night = night_of(item.culmination.time, tz_name)
        label = ""
        if night != current_night:
            if current_night is not None:
                table.add_section()
            label = night.removeprefix("Night of ")
            current_night = night
        cells = [label, *_cells(item, tz_name)]
        if show_all:
            cells.append("" if item.visible else (item.reason or ""))
        table.add_row(*cells, style=None if item.visible else "dim")
    return table


def _cells(item: Pass, tz_name: str) -> tuple[str, str, str, str, str, str]:
    sigma = _sigma(item.uncertainty_s)
    if item.visible and item.visible_start and item.visible_peak and item.visible_end:
        return (
            _at(item.visible_start, tz_name),
            _at(item.visible_peak, tz_name),
            _at(item.visible_end, tz_name),
            _magnitude(item.magnitude),
            _duration(item.visible_duration_s or 0.0),
            sigma,
        )
    # Not visible: where it rises, culminates and sets, for the curious.
    return (
        _at(item.rise, tz_name),
        _at(item.culmination, tz_name),
        _at(item.set, tz_name),
        "",
        "—",
        sigma,
    )


def near_lines(group: PlacePasses) -> list[str]:
    """'  Thu 8 Oct: passes 2° below Jupiter at 04:09 PKT' for each visible pass that comes
    within a few degrees of a bright star, planet or the Moon (local time), under a heading;
    no lines when none does."""
    lines = []
    tz_name = group.place.timezone
    for item in group.passes:
        if item.near is None or item.visible_start is None:
            continue
        local = item.near.time.astimezone(zone(tz_name))
        clock = f"{local:%H:%M} {zone_abbreviation(item.near.time, tz_name)}"
        lines.append(f"  {local:%a} {local.day} {local:%b}: {item.near.phrase(clock)}")
    return ["Near bright stars and planets:", *lines] if lines else []


def print_prediction(console: Any, prediction: Prediction, *, show_all: bool) -> None:
    """Print the header line and one table per place."""
    satellite = prediction.satellite
    age = abs((prediction.start - satellite.tle_epoch).total_seconds()) / 86400.0
    epochs = satellite.tle_epochs
    sets = (
        f"{len(epochs)} element sets of {epochs[0]:%Y-%m-%d} to {epochs[-1]:%Y-%m-%d}, the "
        "nearest for each pass"
        if len(epochs) > 1
        else f"element set of {satellite.tle_epoch:%Y-%m-%d %H:%M} UTC"
    )
    console.print(
        f"{satellite.name} (NORAD {satellite.norad_id}): {sets} ({satellite.tle_source}), "
        f"{age:.1f} days from the window start; standard magnitude "
        f"{prediction.settings.standard_magnitude:+.1f}"
    )
    for group in prediction.places:
        console.print()
        if not group.passes:
            kind = "passes above the horizon" if show_all else "visible passes"
            console.print(
                f"{group.place.name}: no {kind} between {prediction.start:%Y-%m-%d %H:%M} and "
                f"{prediction.end:%Y-%m-%d %H:%M} UTC"
                + (
                    ""
                    if show_all
                    else " (try more --days, or --all to list passes in daylight "
                    "or in Earth's shadow)"
                )
            )
            continue
        console.print(place_table(group, prediction, show_all=show_all))
        for line in near_lines(group):
            console.print(line)
    console.print()
    console.print(
        "Appears/disappears: where the station starts/stops being visible (sunlit, in a dark "
        f"sky, at least {prediction.settings.min_visible_elevation_deg:g}° high); "
        "for passes that are not visible, where it rises, culminates and sets. Height: degrees "
        "above the horizon (90° = overhead). Mag: brightness, lower is brighter (Venus about "
        "-4, Sirius -1.5). ±: expected timing error from the element set's age."
    )
