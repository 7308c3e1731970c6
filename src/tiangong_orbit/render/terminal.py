"""The human pass table for a terminal (rich): one row per pass, in the place's local time.

Designed for 80 columns first. Every row carries its own local calendar date (a pass at 04:08
on Thursday says "Thu 8 Oct", never only "night of Wednesday"); nights are separated by a rule.
When the one-line layout ("04:44:20 13° NNE" per event) does not fit the console, each event
cell is stacked on two lines (time above, height and direction below), so no cell is ever cut.
Zone labels follow the date of each time: a window across a daylight-saving change labels each
row with its own abbreviation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tiangong_orbit.model import Pass, PlacePasses, Point, Prediction
from tiangong_orbit.timeutil import zone, zone_abbreviation

#: Column gap in characters between cells (rich padding 0,1 on each side).
_GAP = 2


def compass(azimuth_deg: float) -> str:
    """16-point compass name of an azimuth in degrees (N = 0°, E = 90°)."""
    from tiangong_orbit.render.i18n import compass_point

    return compass_point(azimuth_deg)


def night_of(moment: datetime, zone_name: str) -> str:
    """'Night of Fri 18 Sep': evening and the following small hours share the evening's date."""
    local = moment.astimezone(zone(zone_name)) - timedelta(hours=12)
    return f"Night of {local:%a} {local.day} {local:%b}"


def day_text(moment: datetime, zone_name: str) -> str:
    """The local calendar date of ``moment``: 'Thu 8 Oct' (locale-independent English)."""
    from tiangong_orbit.wording import local_day

    return local_day(moment, zone_name)


def latitude_text(value_deg: float, digits: int = 3) -> str:
    """'31.558°N' or '33.870°S'."""
    return f"{abs(value_deg):.{digits}f}°{'N' if value_deg >= 0 else 'S'}"


def longitude_text(value_deg: float, digits: int = 3) -> str:
    """'74.351°E' or '74.000°W'."""
    return f"{abs(value_deg):.{digits}f}°{'E' if value_deg >= 0 else 'W'}"


def _degrees(value: float) -> str:
    """Whole degrees without a '-0'."""
    return f"{round(value) + 0:d}°"


def _clock(moment: datetime, zone_name: str) -> str:
    return f"{moment.astimezone(zone(zone_name)):%H:%M:%S}"


def _where(point: Point) -> str:
    return f"{_degrees(point.elevation_deg)} {compass(point.azimuth_deg)}"


def _at(point: Point, zone_name: str, *, stacked: bool) -> str:
    if stacked:
        return f"{_clock(point.time, zone_name)}\n{_where(point)}"
    return f"{_clock(point.time, zone_name)} {_where(point):<7}"


def duration_text(seconds: float) -> str:
    """'2m05s' or '37s': compact visible duration."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def magnitude_text(value: float | None) -> str:
    """One decimal, never '-0.0'; empty for no magnitude."""
    if value is None:
        return ""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def sigma_text(seconds: float) -> str:
    """The expected timing error: '<1s', '±4s', '±12m'."""
    if seconds < 0.5:
        return "<1s"
    if seconds < 90:
        return f"±{seconds:.0f}s"
    return f"±{seconds / 60:.0f}m"


def _events(item: Pass) -> tuple[Point, Point, Point]:
    if item.visible and item.visible_start and item.visible_end:
        return item.visible_start, item.visible_peak or item.culmination, item.visible_end
    # Not visible: where it rises, culminates and sets, for the curious.
    return item.rise, item.culmination, item.set


def _abbreviations(group: PlacePasses) -> set[str]:
    return {zone_abbreviation(_events(p)[0].time, group.place.timezone) for p in group.passes}


def place_heading(group: PlacePasses, prediction: Prediction, *, show_all: bool) -> list[str]:
    """The lines above a place's table: where, which window, which zone."""
    place = group.place
    tz_name = place.timezone
    where = f", {place.province}" if getattr(place, "province", None) else ""
    start_local = prediction.start.astimezone(zone(tz_name))
    end_local = prediction.end.astimezone(zone(tz_name))
    start_abbr = zone_abbreviation(prediction.start, tz_name)
    end_abbr = zone_abbreviation(prediction.end, tz_name)
    kind = "Passes" if show_all else "Visible passes"
    start_text = f"{day_text(prediction.start, tz_name)} {start_local:%H:%M}"
    end_text = f"{day_text(prediction.end, tz_name)} {end_local:%Y %H:%M}"
    if start_abbr != end_abbr:
        start_text += f" {start_abbr}"
    zones_text = "/".join(dict.fromkeys([start_abbr, *sorted(_abbreviations(group)), end_abbr]))
    return [
        f"{place.name}{where} · {latitude_text(place.latitude_deg)} "
        f"{longitude_text(place.longitude_deg)}",
        f"{kind} {start_text} to {end_text} {end_abbr}",
        f"Local time {zones_text} ({tz_name}); height in ° above the horizon, compass direction",
    ]


def place_table(
    group: PlacePasses, prediction: Prediction, *, show_all: bool, stacked: bool = False
) -> Any:
    """A rich Table of one place's passes: one row per pass with its local date.

    ``stacked`` puts each event's height and direction under its time (the 80-column layout).
    """
    from rich import box
    from rich.table import Table

    tz_name = group.place.timezone
    several = prediction.several_satellites
    per_row_zone = len(_abbreviations(group)) > 1
    table = Table(
        box=box.SIMPLE_HEAD,
        expand=False,
        pad_edge=False,
        padding=(0, _GAP // 2),
        show_edge=False,
    )
    if several and not stacked:
        table.add_column("Satellite", no_wrap=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Appears", no_wrap=True)
    table.add_column("Highest", no_wrap=True)
    table.add_column("Disappears", no_wrap=True)
    table.add_column("Mag", justify="right", no_wrap=True)
    table.add_column("Seen", justify="right", no_wrap=True)
    table.add_column("±", justify="right", no_wrap=True)
    if show_all:
        table.add_column("Not visible because", overflow="fold", ratio=1, min_width=8)
    current_night = None
    for item in group.passes:
        first, peak, last = _events(item)
        night = night_of(item.culmination.time, tz_name)
        # A blank line between nights; stacked rows need one between passes to read apart.
        if current_night is not None and (stacked or night != current_night):
            table.add_section()
        current_night = night
        date = day_text(first.time, tz_name)
        if per_row_zone:
            date += f"{chr(10) if stacked else ' '}{zone_abbreviation(first.time, tz_name)}"
        cells = []
        name = prediction.satellite_label(item.norad_id)
        if several and not stacked:
            cells.append(name)
        elif several:
            date += f"\n{name}"
        cells += [
            date,
            _at(first, tz_name, stacked=stacked),
            _at(peak, tz_name, stacked=stacked),
            _at(last, tz_name, stacked=stacked),
            magnitude_text(item.magnitude),
            duration_text(item.visible_duration_s) if item.visible_duration_s else "—",
            sigma_text(item.uncertainty_s),
        ]
        if show_all:
            cells.append("" if item.visible else (item.reason or ""))
        table.add_row(*cells, style=None if item.visible else "dim")
    return table


def _fits(console: Any, table: Any) -> bool:
    from rich.measure import Measurement

    # Measured without the console's limit: rich would otherwise shrink the table to fit and cut.
    from tiangong_orbit.render.fasttable import layout_twin

    twin = layout_twin(table, console)  # a long table measured by its widest cells, not each
    measured = Measurement.get(console, console.options.update_width(10_000), twin)
    return measured.maximum <= console.width


def _next_pass_line(group: PlacePasses, prediction: Prediction) -> str | None:
    upcoming = group.next_visible
    if upcoming is None or upcoming.visible_start is None:
        return None
    tz_name = group.place.timezone
    start = upcoming.visible_start.time
    local = start.astimezone(zone(tz_name))
    name = prediction.satellite_label(upcoming.norad_id)
    magnitude = "" if upcoming.magnitude is None else f", magnitude {upcoming.magnitude:.1f}"
    return (
        f"Next visible pass: {name} on {day_text(start, tz_name)} {local:%Y} at "
        f"{local:%H:%M} {zone_abbreviation(start, tz_name)}, appears "
        f"{_where(upcoming.visible_start)}{magnitude}."
    )


def near_lines(group: PlacePasses, prediction: Prediction | None = None) -> list[str]:
    """'  Thu 8 Oct: passes 2° below Jupiter at 04:09 PKT' for each visible pass that comes
    within a few degrees of a bright star, planet or the Moon (local time), under a heading;
    no lines when none does. With several satellites each line names its satellite
    ('  Thu 8 Oct: ISS passes 2° below Jupiter at 04:09 PKT')."""
    from tiangong_orbit.render.tabular import near_items

    lines = [f"  {item}" for item in near_items(group, prediction)]
    return ["Near bright stars and planets:", *lines] if lines else []


def empty_place_lines(group: PlacePasses, prediction: Prediction, *, show_all: bool) -> list[str]:
    """What a place with nothing to list says: the window in local time, and the next pass."""
    tz_name = group.place.timezone
    start = prediction.start.astimezone(zone(tz_name))
    end = prediction.end.astimezone(zone(tz_name))
    kind = "passes above the horizon" if show_all else "visible passes"
    lines = [
        f"{group.place.name} ({latitude_text(group.place.latitude_deg)} "
        f"{longitude_text(group.place.longitude_deg)}): no {kind} from "
        f"{day_text(prediction.start, tz_name)} "
        f"{start:%H:%M} to {day_text(prediction.end, tz_name)} {end:%Y %H:%M} "
        f"{zone_abbreviation(prediction.end, tz_name)}."
    ]
    following = _next_pass_line(group, prediction)
    if following:
        lines.append(following)
    elif not show_all:
        lines.append(
            "No visible pass in the 30 days after it either (try --all to list passes in "
            "daylight or in Earth's shadow)."
        )
    return lines


def header_line(prediction: Prediction) -> str:
    """The first line: which satellites and element sets, how old, which standard magnitude."""
    from tiangong_orbit.names import catalog_label, display_name

    infos = prediction.satellites or (prediction.satellite,)
    parts = []
    for info in infos:
        age = abs((prediction.start - info.tle_epoch).total_seconds()) / 86400.0
        epochs = info.tle_epochs
        sets = (
            f"{len(epochs)} element sets of {epochs[0]:%Y-%m-%d} to {epochs[-1]:%Y-%m-%d}, "
            "the nearest for each pass"
            if len(epochs) > 1
            else f"element set of {info.tle_epoch:%Y-%m-%d %H:%M} UTC"
        )
        parts.append(
            f"{catalog_label(info.norad_id, info.name)}: {sets} ({info.tle_source}), "
            f"{age:.1f} days from the window start"
        )
    text = "; ".join(parts)
    if len(infos) == 1 and infos[0].magnitude_known:
        text += f"; standard magnitude {prediction.settings.standard_magnitude:+.1f}"
    unknown = [info for info in infos if not info.magnitude_known]
    if unknown:
        names = ", ".join(display_name(info.norad_id, info.name) for info in unknown)
        text += (
            f"; no standard magnitude known for {names}, so no magnitudes "
            "(give --standard-magnitude)"
        )
    return text


def print_prediction(console: Any, prediction: Prediction, *, show_all: bool) -> None:
    """Print the header line and one table per place, fitted to ``console.width``."""
    console.print(header_line(prediction))
    for group in prediction.places:
        console.print()
        if not group.passes:
            for line in empty_place_lines(group, prediction, show_all=show_all):
                console.print(line)
            continue
        for line in place_heading(group, prediction, show_all=show_all):
            console.print(line)
        table = place_table(group, prediction, show_all=show_all)
        if not _fits(console, table):
            table = place_table(group, prediction, show_all=show_all, stacked=True)
        # Long tables (a year of every pass) are composed fast; the output is rich's.
        from tiangong_orbit.render.fasttable import print_table

        print_table(console, table)
        for line in near_lines(group, prediction):
            console.print(line)
    console.print()
    console.print(
        "Appears/Disappears: where it starts/stops being visible (sunlit, in a dark sky, at "
        f"least {prediction.settings.min_visible_elevation_deg:g}° high); for passes that are "
        "not visible, where it rises and sets. Seen: for how long. Height: degrees above the "
        "horizon (90° = overhead). Mag: brightness, lower is brighter (Venus about -4, "
        "Sirius -1.5). ±: expected timing error from the element set's age."
    )
