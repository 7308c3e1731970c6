"""The outlook in every form: the ``tiangong-orbit/outlook/1`` JSON, CSV, Markdown and the
terminal table (local time with the zone named on every row, so a change of daylight saving
time inside the window shows)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from tiangong_orbit.names import display_name
from tiangong_orbit.outlook import Outlook, Period, PlaceOutlook
from tiangong_orbit.timeutil import iso_z, zone, zone_abbreviation

SCHEMA = "tiangong-orbit/outlook/1"

CSV_COLUMNS = (
    "satellite",
    "norad_id",
    "place",
    "latitude_deg",
    "longitude_deg",
    "timezone",
    "date",
    "period",
    "kind",
    "possible",
    "earliest_utc",
    "latest_utc",
    "earliest_local",
    "latest_local",
    "max_elevation_deg",
    "max_passes",
    "tle_epoch",
    "tle_age_days",
    "catalog_name",
)

LEGEND = (
    "Window: a visible pass is possible between these times, but this far from the element "
    "set its place along the orbit is unknown, so it may come anywhere inside (or not at all); "
    "only the orbit's plane is known well. Exact: the element set is good to about a minute, "
    "so these are the real passes. Highest: the highest it can stand (90° = overhead). "
    "Passes: the most visible passes possible. For exact times nearer the date, run "
    "'tiangong-orbit tle update'."
)


def _z(moment: datetime | None) -> str | None:
    return None if moment is None else iso_z(moment, 1)


def period_json(period: Period) -> dict[str, Any]:
    """One evening or morning as the JSON schema lays it out."""
    from tiangong_orbit.render.passes_json import pass_json

    return {
        "date": period.date.isoformat(),
        "period": period.period,
        "start": _z(period.start),
        "end": _z(period.end),
        "kind": period.kind,
        "possible": period.possible,
        "earliest": _z(period.earliest),
        "latest": _z(period.latest),
        "max_elevation_deg": period.max_elevation_deg,
        "max_passes": period.max_passes,
        "tle_epoch": _z(period.tle_epoch),
        "tle_age_days": round(period.tle_age_days, 2),
        "passes": [pass_json(item) for item in period.passes],
    }


def outlook_json(outlook: Outlook) -> dict[str, Any]:
    """The ``tiangong-orbit/outlook/1`` document (README, "outlook --json")."""
    settings = outlook.settings
    return {
        "schema": SCHEMA,
        "satellite": {
            "name": outlook.name,
            "norad_id": outlook.norad_id,
            "tle_epochs": [_z(epoch) for epoch in outlook.tle_epochs],
        },
        "window": {"start": _z(outlook.start), "end": _z(outlook.end)},
        "settings": {
            "horizon_deg": settings.horizon_deg,
            "min_visible_elevation_deg": settings.min_visible_elevation_deg,
            "sun_max_altitude_deg": settings.sun_max_altitude_deg,
        },
        "observers": [
            {
                "name": group.place.name,
                "latitude_deg": group.place.latitude_deg,
                "longitude_deg": group.place.longitude_deg,
                "elevation_m": group.place.elevation_m,
                "timezone": group.place.timezone,
                "periods": [period_json(period) for period in group.periods],
            }
            for group in outlook.places
        ],
    }


def _local(moment: datetime | None, zone_name: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone(zone_name)).isoformat(timespec="seconds")


def outlook_csv(outlook: Outlook) -> str:
    """One row per place and period (UTC with ``Z``, and local time with its offset)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in outlook.places:
        place = group.place
        for period in group.periods:
            writer.writerow(
                (
                    display_name(outlook.norad_id, outlook.name),
                    outlook.norad_id,
                    place.name,
                    f"{place.latitude_deg:.4f}",
                    f"{place.longitude_deg:.4f}",
                    place.timezone,
                    period.date.isoformat(),
                    period.period,
                    period.kind,
                    "" if period.possible is None else str(period.possible).lower(),
                    _z(period.earliest) or "",
                    _z(period.latest) or "",
                    _local(period.earliest, place.timezone),
                    _local(period.latest, place.timezone),
                    "" if period.max_elevation_deg is None else f"{period.max_elevation_deg:.1f}",
                    period.max_passes,
                    _z(period.tle_epoch),
                    f"{period.tle_age_days:.2f}",
                    outlook.name,
                )
            )
    return buffer.getvalue()


def _ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _rows(group: PlaceOutlook) -> list[tuple[str, str, str, str, str, str]]:
    """Date, evening/morning, times with the zone, highest, passes, kind: possible periods."""
    tz_name = group.place.timezone
    rows = []
    for period in group.periods:
        if not period.possible or period.earliest is None or period.latest is None:
            continue
        first = period.earliest.astimezone(zone(tz_name))
        # Shown to the minute: the start rounded down, the end up, so the window only grows.
        last = _ceil_minute(period.latest).astimezone(zone(tz_name))
        when = f"{first:%H:%M}–{last:%H:%M} {zone_abbreviation(period.earliest, tz_name)}"
        passes = str(period.max_passes) if period.kind == "exact" else f"≤{period.max_passes}"
        rows.append(
            (
                f"{period.date:%a} {period.date.day} {period.date:%b}",
                period.period,
                when,
                f"{round(period.max_elevation_deg or 0.0)}°",
                passes,
                period.kind,
            )
        )
    return rows


def _summary(group: PlaceOutlook) -> str:
    counts = {"evening": 0, "morning": 0}
    totals = {"evening": 0, "morning": 0}
    unknown = 0
    for period in group.periods:
        if period.kind == "unknown":
            unknown += 1
            continue
        totals[period.period] += 1
        counts[period.period] += bool(period.possible)
    text = (
        f"{group.place.name}: a visible pass is possible on {counts['evening']} of "
        f"{totals['evening']} evenings and {counts['morning']} of {totals['morning']} mornings"
    )
    if unknown and not any(totals.values()):
        return (
            f"{group.place.name}: all {unknown} evenings and mornings are too far from the "
            "element set to say"
        )
    if unknown:
        text += f"; {unknown} evenings and mornings too far from the element set to say"
    return text


def header_line(outlook: Outlook) -> str:
    """The first line: which satellite and which element set(s), and how old."""
    epochs = outlook.tle_epochs
    ages = [p.tle_age_days for g in outlook.places for p in g.periods]
    age_text = f", {min(ages):.0f} to {max(ages):.0f} days old" if ages else ""
    sets = (
        f"element sets of {epochs[0]:%Y-%m-%d} to {epochs[-1]:%Y-%m-%d}, the nearest for each night"
        if len(epochs) > 1
        else f"element set of {epochs[0]:%Y-%m-%d %H:%M} UTC"
        if epochs
        else "no element set"
    )
    shown = display_name(outlook.norad_id, outlook.name)
    who = f'{shown} outlook (NORAD {outlook.norad_id} "{outlook.name}")'
    return f"{who}: {sets}{age_text}"


def print_outlook(console: Any, outlook: Outlook, *, header: bool = True) -> None:
    """Print the header line, one table per place (the possible periods) and the legend."""
    from rich import box
    from rich.table import Table

    from tiangong_orbit.render.fasttable import print_table

    if header:
        console.print(header_line(outlook))
    tables = 0
    for group in outlook.places:
        console.print()
        tz_name = group.place.timezone
        start_local = outlook.start.astimezone(zone(tz_name))
        end_local = outlook.end.astimezone(zone(tz_name))
        where = f", {group.place.province}" if group.place.province else ""
        rows = _rows(group)
        if not rows:
            console.print(_summary(group))
            continue
        console.print(f"{group.place.name}{where}: when a visible pass is possible")
        console.print(f"{start_local:%d %b} to {end_local:%d %b %Y}; local time ({tz_name})")
        # The pass table's look: a rule under the heading, no frame.
        table = Table(
            box=box.SIMPLE_HEAD,
            expand=False,
            pad_edge=False,
            padding=(0, 1),
            show_edge=False,
        )
        for column, justify in (
            ("Date", "left"),
            ("When", "left"),
            ("Can be seen", "left"),
            ("Highest", "right"),
            ("Passes", "right"),
            ("Kind", "left"),
        ):
            table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*row)
        print_table(console, table)  # rich's output, composed fast (render.fasttable)
        console.print()
        console.print(_summary(group))
        tables += 1
    if tables:
        console.print()
        console.print(LEGEND)


def outlook_markdown(outlook: Outlook) -> str:
    """A Markdown page: the header line, one table per place, the summary and the legend."""
    lines = [f"# {header_line(outlook)}", ""]
    for group in outlook.places:
        lines.append(f"## {group.place.name} (local time, {group.place.timezone})")
        lines.append("")
        rows = _rows(group)
        if rows:
            lines.append("| Date | When | Can be seen | Highest | Passes | Kind |")
            lines.append("|---|---|---|--:|--:|---|")
            lines.extend("| " + " | ".join(row) + " |" for row in rows)
            lines.append("")
        lines.append(_summary(group) + ".")
        lines.append("")
    lines.append(LEGEND)
    return "\n".join(lines) + "\n"


def stale_banner(outlook: Outlook, since: datetime, *, file_given: bool) -> str:
    """The one line above the outlook that ``passes`` shows past the staleness limit: why
    there are no exact times, and how to get them."""
    from tiangong_orbit.outlook import HORIZON_DAYS
    from tiangong_orbit.tle import LIMIT_SIGMA_S

    epochs = outlook.tle_epochs
    newest = f"{max(epochs):%Y-%m-%d}" if epochs else "none"
    place = outlook.places[0].place if outlook.places else None
    tz_name = place.timezone if place else "UTC"
    local = since.astimezone(zone(tz_name))
    when = f"{local:%a} {local.day} {local:%b %Y %H:%M} {zone_abbreviation(since, tz_name)}"
    ages = [p.tle_age_days for g in outlook.places for p in g.periods]
    how = "give a newer element set with --tle FILE" if file_given else "tiangong-orbit tle update"
    old = "too old"
    if epochs and max(epochs) > since:
        # Dates before the set: a gap in the history, which no update can fill.
        how = "give element sets from those dates with --tle FILE"
        old = "too far from those dates"
    shown = display_name(outlook.norad_id, outlook.name)
    if ages and all(p.kind == "unknown" for g in outlook.places for p in g.periods):
        return (
            f"From {when} the {shown} element set of {newest} is {min(ages):.0f} days "
            "away or more: "
            f"too old even for the outlook (it stops at {HORIZON_DAYS:.0f} days), so nothing "
            f"honest can be shown. For predictions: {how}"
        )
    return (
        f"From {when} the {shown} element set of {newest} is {old} for exact times "
        "(error over "
        f"±{LIMIT_SIGMA_S / 60:.0f} min); below, when a visible pass is possible. For exact "
        f"times: {how}"
    )
