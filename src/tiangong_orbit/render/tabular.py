"""CSV and Markdown pass tables, and the printed-row wording the HTML table shares.

CSV is for spreadsheets and scripts: English, one header row, one row per listed pass, UTC in
ISO 8601 with ``Z`` to the millisecond (as the README says) next to the place's local time.
Markdown is for people: a title, a legend and NASA "Spot the Station"-style rows in local time,
in English or Urdu.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tiangong_orbit.model import Pass, PlacePasses, Point, Prediction
from tiangong_orbit.places import Place
from tiangong_orbit.render import i18n
from tiangong_orbit.timeutil import iso_z, zone_abbreviation

# Unicode isolates: LRI ... PDI keeps a number or a time left-to-right inside Urdu text
# (Unicode Bidirectional Algorithm, UAX #9, section 2.7). HTML turns them into <bdi>.
LRI = "\u2066"
PDI = "\u2069"
MINUS = "\u2212"

CSV_COLUMNS = (
    "satellite",
    "norad_id",
    "place",
    "latitude_deg",
    "longitude_deg",
    "elevation_m",
    "timezone",
    "utc_offset",
    "visible",
    "reason",
    *(
        f"{event}_{field}"
        for event in ("start", "peak", "end")
        for field in ("local", "utc", "azimuth_deg", "direction", "elevation_deg")
    ),
    "magnitude",
    "visible_duration_s",
    "duration_s",
    "rise_utc",
    "set_utc",
    "tle_epoch",
    "tle_age_days",
    "uncertainty_s",
    "catalog_name",
    "near",
    "near_utc",
)

ALTITUDE_COLUMNS = ("time", "altitude_km", "latitude_deg", "longitude_deg", "speed_km_s")


# --------------------------------------------------------------------------------------------
# What a pass row says (shared by Markdown and HTML)


class PrintedRow(NamedTuple):
    """The cells of one printed pass row, in one language; LTR runs are wrapped in LRI/PDI.
    (A named tuple: this module loads on the terminal table's path, and a frozen dataclass
    costs 0.5 ms more to define.)"""

    date: str
    time: str
    duration: str
    max_height: str
    appears: str
    disappears: str
    brightness: str
    visible: bool


def ltr(value: str, lang: str) -> str:
    """``value`` as a left-to-right run inside Urdu text (unchanged in English)."""
    return f"{LRI}{value}{PDI}" if lang == "ur" else value


def signed(value: float, digits: int = 1) -> str:
    """A number with a true minus sign (U+2212), as printed text wants it."""
    shown = f"{value:.{digits}f}"
    if shown.startswith("-"):
        # -0.0 rounds to "-0.0": print it as 0.
        shown = shown[1:] if float(shown) == 0 else MINUS + shown[1:]
    return shown


def degrees(value: float, lang: str) -> str:
    """An elevation rounded to the degree: '54°'."""
    return ltr(f"{round(value):d}°", lang)


def duration_words(seconds: float, lang: str) -> str:
    """'6 min' (rounded) or '45 s' for short intervals."""
    if seconds < 60:
        return i18n.text("seconds", lang, n=ltr(str(max(1, round(seconds))), lang))
    return i18n.text("minutes", lang, n=ltr(str(round(seconds / 60)), lang))


def clock(moment: datetime, lang: str) -> str:
    """'7:12:03 pm' or 'شام 7:12:03' (the time kept left-to-right)."""
    time_text, part = i18n.clock_12h(moment, lang)
    if lang == "en":
        return f"{time_text} {part}"
    return f"{part} {ltr(time_text, lang)}"


def date_text(moment: datetime, lang: str) -> str:
    """'Wed 7 Oct 2026'; in Urdu the day and year kept as LTR runs."""
    if lang == "en":
        return i18n.date_words(moment, lang)
    weekday = i18n.WEEKDAYS[lang][moment.weekday()]
    month = i18n.MONTHS[lang][moment.month - 1]
    return f"{weekday}، {ltr(str(moment.day), lang)} {month} {ltr(str(moment.year), lang)}"


def place_name(place: Place, lang: str) -> str:
    """The place's name: its Urdu name in Urdu when the gazetteer has one."""
    if lang == "ur":
        name_ur = getattr(place, "name_ur", None)
        return name_ur if name_ur else ltr(place.name, lang)
    return place.name


def direction_text(point: Point, lang: str) -> str:
    """'10° above SW'."""
    return i18n.text(
        "above",
        lang,
        elevation=degrees(point.elevation_deg, lang),
        direction=i18n.compass_point(point.azimuth_deg, lang),
    )


def ends_in_shadow(pass_: Pass) -> bool:
    """Whether the visible part ends where the satellite enters the Earth's shadow."""
    if pass_.visible_end is None or pass_.shadow_entry is None:
        return False
    return abs((pass_.shadow_entry - pass_.visible_end.time).total_seconds()) < 5.0


def starts_from_shadow(pass_: Pass) -> bool:
    """Whether the visible part starts where the satellite comes out of the Earth's shadow."""
    if pass_.visible_start is None or pass_.shadow_exit is None:
        return False
    return abs((pass_.shadow_exit - pass_.visible_start.time).total_seconds()) < 5.0


def printed_row(pass_: Pass, tz: ZoneInfo, lang: str) -> PrintedRow:
    """The Spot-the-Station cells of one pass (visible part; rise to set when not visible)."""
    if pass_.visible_start is not None and pass_.visible_end is not None:
        peak = pass_.visible_peak or pass_.culmination
        start = pass_.visible_start.time.astimezone(tz)
        appears = direction_text(pass_.visible_start, lang)
        if starts_from_shadow(pass_):
            appears += f" ({i18n.text('shadow_exit_note', lang)})"
        disappears = direction_text(pass_.visible_end, lang)
        if ends_in_shadow(pass_):
            disappears += f" ({i18n.text('shadow_note', lang)})"
        magnitude = "" if pass_.magnitude is None else ltr(signed(pass_.magnitude), lang)
        return PrintedRow(
            date=date_text(start, lang),
            time=clock(start, lang),
            duration=duration_words(pass_.visible_duration_s or 0.0, lang),
            max_height=direction_text(peak, lang),
            appears=appears,
            disappears=disappears,
            brightness=magnitude,
            visible=True,
        )
    rise = pass_.rise.time.astimezone(tz)
    return PrintedRow(
        date=date_text(rise, lang),
        time=clock(rise, lang),
        duration="—",
        max_height=direction_text(pass_.culmination, lang),
        appears=i18n.text(
            "rises", lang, direction=i18n.compass_point(pass_.rise.azimuth_deg, lang)
        ),
        disappears=i18n.text(
            "sets", lang, direction=i18n.compass_point(pass_.set.azimuth_deg, lang)
        ),
        brightness=i18n.text("not_visible", lang, reason=i18n.reason(pass_.reason, lang)),
        visible=False,
    )


def column_titles(abbreviation: str, lang: str) -> tuple[str, ...]:
    """The printed table's column headings."""
    return (
        i18n.text("col_date", lang),
        i18n.text("col_time", lang, abbr=ltr(abbreviation, lang)),
        i18n.text("col_duration", lang),
        i18n.text("col_max", lang),
        i18n.text("col_appears", lang),
        i18n.text("col_disappears", lang),
        i18n.text("col_brightness", lang),
    )


def offset_text(moment: datetime, tz: ZoneInfo) -> str:
    """'UTC+5' or 'UTC+5:30' for the zone at ``moment``."""
    offset = moment.astimezone(tz).utcoffset() or timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_line(group: PlacePasses, moment: datetime, lang: str) -> str:
    """'All times are local time, PKT (UTC+5, Asia/Karachi)'."""
    tz = ZoneInfo(group.place.timezone)
    abbreviation = zone_abbreviation(moment, group.place.timezone)
    offset = offset_text(moment, tz)
    later = [p for p in group.passes if zone_abbreviation(printed_time(p), tz.key) != abbreviation]
    if later:
        # Across a daylight-saving change: both zones, each row naming its own.
        other = printed_time(later[0])
        abbreviation += "/" + zone_abbreviation(other, group.place.timezone)
        offset += "/" + offset_text(other, tz)
    return i18n.text(
        "zone",
        lang,
        abbr=ltr(abbreviation, lang),
        offset=ltr(offset, lang),
        tz=ltr(group.place.timezone, lang),
    )


def period_line(prediction: Prediction, group: PlacePasses, lang: str) -> str:
    """'From Tue 6 Oct 2026 9:00:00 pm to Fri 16 Oct 2026 9:00:00 pm (PKT).'"""
    tz = ZoneInfo(group.place.timezone)
    start = prediction.start.astimezone(tz)
    end = prediction.end.astimezone(tz)
    abbreviation = zone_abbreviation(prediction.start, group.place.timezone)
    end_abbreviation = zone_abbreviation(prediction.end, group.place.timezone)
    start_text = f"{date_text(start, lang)} {clock(start, lang)}"
    end_text = f"{date_text(end, lang)} {clock(end, lang)}"
    if end_abbreviation != abbreviation:  # each end in the zone in force then
        start_text += f" {ltr(abbreviation, lang)}"
        end_text += f" {ltr(end_abbreviation, lang)}"
        abbreviation = group.place.timezone
    return i18n.text("period", lang, start=start_text, end=end_text, zone=ltr(abbreviation, lang))


def coordinates_text(place: Place, lang: str) -> str:
    """'31.5580° N, 74.3507° E, 217 m above sea level' (the place's line under its heading)."""
    lat = f"{abs(place.latitude_deg):.4f}° {'N' if place.latitude_deg >= 0 else 'S'}"
    lon = f"{abs(place.longitude_deg):.4f}° {'E' if place.longitude_deg >= 0 else 'W'}"
    if getattr(place, "elevation_known", True):
        elevation = i18n.text("elevation_m", lang, m=ltr(f"{place.elevation_m:.0f}", lang))
    else:
        elevation = i18n.text("elevation_unknown", lang)
    return i18n.text(
        "place_line", lang, lat=ltr(lat, lang), lon=ltr(lon, lang), elevation=elevation
    )


def sigma_words(seconds: float, lang: str) -> str:
    """'±2 s' or '±3 min': the timing uncertainty in the legend."""
    if not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return i18n.text("seconds", lang, n=ltr(f"±{max(1, round(seconds))}", lang))
    return i18n.text("minutes", lang, n=ltr(f"±{round(seconds / 60)}", lang))


def legend_items(prediction: Prediction, lang: str) -> list[str]:
    """The legend's paragraphs (Markdown ``**bold**`` marks the term each one explains)."""
    settings = prediction.settings
    satellite = i18n.satellite_name(prediction.satellite.norad_id, prediction.satellite.name, lang)
    passes = [p for group in prediction.places for p in group.passes]
    sigma = max((p.uncertainty_s for p in passes), default=float("nan"))
    epoch = prediction.satellite.tle_epoch
    items = [
        i18n.text(
            "legend_visible",
            lang,
            satellite=satellite,
            sun_below=degrees(-settings.sun_max_altitude_deg, lang),
            min_el=degrees(settings.min_visible_elevation_deg, lang),
        ),
        i18n.text("legend_height", lang),
        i18n.text("legend_directions", lang),
        i18n.text("legend_magnitude", lang, std=ltr(signed(settings.standard_magnitude), lang)),
    ]
    if passes:
        items.append(
            i18n.text(
                "legend_accuracy",
                lang,
                tle_name=ltr(prediction.satellite.name, lang),
                epoch=ltr(f"{epoch:%Y-%m-%d %H:%M} UTC", lang),
                sigma=sigma_words(sigma, lang),
            )
        )
    return items


def satellites_text(prediction: Prediction, lang: str) -> str:
    """'Tiangong', or 'Tiangong and the ISS' for a merged list."""
    infos = prediction.satellites or (prediction.satellite,)
    names = list(dict.fromkeys(i18n.satellite_name(i.norad_id, i.name, lang) for i in infos))
    if len(names) == 1:
        return names[0]
    joiner = " and " if lang == "en" else " اور "
    return ", ".join(names[:-1]) + joiner + names[-1]


def row_zones(group: PlacePasses) -> set[str]:
    """The zone abbreviations the rows of ``group`` need (two across a daylight-saving change)."""
    return {zone_abbreviation(printed_time(p), group.place.timezone) for p in group.passes}


def printed_time(pass_: Pass) -> datetime:
    """The time a printed row shows: the visible start, or the rise when not visible."""
    return (pass_.visible_start or pass_.rise).time


def table_rows(
    prediction: Prediction, group: PlacePasses, lang: str
) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[bool]]:
    """Column titles, cells and visibility of a place's printed table (Markdown and HTML).

    A merged list of several satellites gets a first column naming each row's satellite; a
    window across a daylight-saving change names the zone in each time cell.
    """
    tz = ZoneInfo(group.place.timezone)
    zones = row_zones(group)
    several = prediction.several_satellites
    abbreviation = zone_abbreviation(prediction.start, group.place.timezone)
    titles = column_titles(abbreviation if len(zones) <= 1 else "", lang)
    if len(zones) > 1:
        titles = (titles[0], i18n.text("col_time_zones", lang), *titles[2:])
    if several:
        titles = (i18n.text("col_satellite", lang), *titles)
    rows: list[tuple[str, ...]] = []
    visible: list[bool] = []
    for pass_ in group.passes:
        row = printed_row(pass_, tz, lang)
        time_cell = row.time
        if len(zones) > 1:
            zone_name = zone_abbreviation(printed_time(pass_), group.place.timezone)
            time_cell = f"{time_cell} {ltr(zone_name, lang)}"
        cells = (
            row.date,
            time_cell,
            row.duration,
            row.max_height,
            row.appears,
            row.disappears,
            row.brightness,
        )
        if several:
            names = prediction.satellites or (prediction.satellite,)
            info = next((i for i in names if i.norad_id == pass_.norad_id), names[0])
            from tiangong_orbit.names import display_name

            cells = (display_name(info.norad_id, info.name, lang), *cells)
        rows.append(cells)
        visible.append(row.visible)
    return titles, rows, visible


def near_items(
    group: PlacePasses, prediction: Prediction | None = None, *, twelve_hour: bool = False
) -> list[str]:
    """'Thu 8 Oct: passes 2° below Jupiter at 04:09 PKT' for each listed visible pass of
    ``group`` that comes within a few degrees of a bright star, planet or the Moon
    (:attr:`Pass.near`, local date and time of the closest approach, zone named); English.
    When ``prediction`` merges several satellites each item names its satellite
    ('Thu 8 Oct: ISS passes 2° below Jupiter at 04:09 PKT'). ``twelve_hour`` gives the time
    as the printed tables do ('4:09:12 am', the zone named in their heading)."""
    from tiangong_orbit.wording import local_day

    tz_name = group.place.timezone
    several = prediction is not None and prediction.several_satellites
    items = []
    for pass_ in group.passes:
        if pass_.near is None or pass_.visible_start is None:
            continue
        local = pass_.near.time.astimezone(ZoneInfo(tz_name))
        when = (
            clock(local, "en")
            if twelve_hour
            else f"{local:%H:%M} {zone_abbreviation(pass_.near.time, tz_name)}"
        )
        who = f"{prediction.satellite_label(pass_.norad_id)} " if several and prediction else ""
        items.append(f"{local_day(pass_.near.time, tz_name)}: {who}{pass_.near.phrase(when)}")
    return items


def title_text(prediction: Prediction, lang: str) -> str:
    """'Tiangong passes over Lahore' (or over N places)."""
    satellite = satellites_text(prediction, lang)
    if len(prediction.places) == 1:
        return i18n.text(
            "title", lang, satellite=satellite, place=place_name(prediction.places[0].place, lang)
        )
    return i18n.text(
        "title_many", lang, satellite=satellite, count=ltr(str(len(prediction.places)), lang)
    )


# --------------------------------------------------------------------------------------------
# CSV


def _round(value: float | None, digits: int) -> str:
    if value is None or not math.isfinite(value):
        return ""
    shown = f"{value:.{digits}f}"
    return shown[1:] if shown.startswith("-") and float(shown) == 0 else shown


def _local(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _csv_row(prediction: Prediction, group: PlacePasses, pass_: Pass) -> dict[str, str]:
    place = group.place
    tz = ZoneInfo(place.timezone)
    offset = (pass_.culmination.time.astimezone(tz).utcoffset() or timedelta(0)).total_seconds()
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(round(abs(offset) / 60), 60)
    if pass_.visible:
        events = (pass_.visible_start, pass_.visible_peak or pass_.culmination, pass_.visible_end)
    else:
        events = (pass_.rise, pass_.culmination, pass_.set)
    norad_id = pass_.norad_id if pass_.norad_id is not None else prediction.satellite.norad_id
    catalog = next(
        (i.name for i in (*prediction.satellites, prediction.satellite) if i.norad_id == norad_id),
        prediction.satellite.name,
    )
    row = {
        "satellite": prediction.satellite_label(norad_id),
        "catalog_name": catalog,
        "norad_id": str(norad_id),
        "place": place.name,
        "latitude_deg": _round(place.latitude_deg, 5),
        "longitude_deg": _round(place.longitude_deg, 5),
        "elevation_m": _round(place.elevation_m, 1),
        "timezone": place.timezone,
        "utc_offset": f"{sign}{hours:02d}:{minutes:02d}",
        "visible": "true" if pass_.visible else "false",
        "reason": "" if pass_.visible else (pass_.reason or ""),
        "magnitude": _round(pass_.magnitude, 1),
        "visible_duration_s": _round(pass_.visible_duration_s, 1),
        "duration_s": _round(pass_.duration_s, 1),
        "rise_utc": iso_z(pass_.rise.time, 3),
        "set_utc": iso_z(pass_.set.time, 3),
        "tle_epoch": iso_z(prediction.satellite.tle_epoch, 3),
        "tle_age_days": _round(pass_.tle_age_days, 3),
        "uncertainty_s": _round(pass_.uncertainty_s, 1),
        # The closest bright star, planet or the Moon of a visible pass: words, then when.
        "near": "" if pass_.near is None else pass_.near.words(),
        "near_utc": "" if pass_.near is None else iso_z(pass_.near.time, 3),
    }
    for name, point in zip(("start", "peak", "end"), events, strict=True):
        assert point is not None  # a visible pass has all three
        row[f"{name}_local"] = _local(point.time, tz)
        row[f"{name}_utc"] = iso_z(point.time, 3)
        row[f"{name}_azimuth_deg"] = _round(point.azimuth_deg, 1)
        row[f"{name}_direction"] = i18n.compass_point(point.azimuth_deg)
        row[f"{name}_elevation_deg"] = _round(point.elevation_deg, 1)
    return row


def passes_csv(prediction: Prediction) -> str:
    """One header row, then one row per listed pass, places in order, passes in time order.

    For a visible pass ``start``/``peak``/``end`` are the visible part (DESIGN.md); for a pass
    listed with ``--all`` that is not visible they are rise, culmination and set, ``visible`` is
    ``false`` and ``reason`` says why. ``*_local`` is wall-clock time in ``timezone`` (offset
    ``utc_offset``, the one in force at culmination), date included; ``*_utc`` and
    ``tle_epoch`` are ISO 8601 UTC with ``Z`` to the millisecond. ``satellite`` is the name
    people use ("Tiangong"), ``catalog_name`` the element set's ("CSS (TIANHE)"). ``near`` names
    the bright star, planet or the Moon a visible pass comes within a few degrees of ("2° below
    Jupiter", empty when none) and ``near_utc`` when. Line ends are CRLF (RFC 4180).
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for group in prediction.places:
        for pass_ in group.passes:
            writer.writerow(_csv_row(prediction, group, pass_))
    return buffer.getvalue()


def _number(value: object, digits: int) -> str:
    number = float(value)  # type: ignore[arg-type]
    return _round(number, digits)


def altitude_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """Altitude series as CSV: time (UTC, ISO 8601 with Z), km, degrees, km/s."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ALTITUDE_COLUMNS)
    for row in rows:
        writer.writerow(_altitude_cells(row))
    return buffer.getvalue()


def _altitude_cells(row: Mapping[str, object]) -> list[str]:
    moment = row["time"]
    if not isinstance(moment, datetime):
        raise TypeError(f"altitude row time must be a datetime, not {type(moment).__name__}")
    return [
        iso_z(moment, 1),
        _number(row["altitude_km"], 3),
        _number(row["latitude_deg"], 4),
        _number(row["longitude_deg"], 4),
        _number(row["speed_km_s"], 4),
    ]


# --------------------------------------------------------------------------------------------
# Markdown


def _md_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(_md_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
    return lines


def passes_markdown(prediction: Prediction, lang: str = "en") -> str:
    """A printable Markdown page: title, period, legend, one table per place.

    Urdu pages are wrapped in ``<div dir="rtl" lang="ur">`` (GitHub and most Markdown viewers
    honour it) with numbers and times isolated as LTR runs.
    """
    lines: list[str] = [f"# {title_text(prediction, lang)}", ""]
    if prediction.warnings:
        # The banner: the set's age and expected timing error, where the times are read.
        lines += [f"> **{i18n.text('warnings_title', lang)}:** {prediction.warnings[0]}"]
        lines += [f">\n> {warning}" for warning in prediction.warnings[1:]]
        lines.append("")
    for group in prediction.places:
        if len(prediction.places) > 1:
            lines += [f"## {place_name(group.place, lang)}", ""]
        lines += [
            period_line(prediction, group, lang),
            zone_line(group, prediction.start, lang),
            "",
            coordinates_text(group.place, lang),
            "",
        ]
        if not group.passes:
            lines += [f"*{i18n.text('no_passes', lang)}*", ""]
            continue
        titles, rows, _ = table_rows(prediction, group, lang)
        lines += _md_table(titles, rows)
        lines.append("")
        near = near_items(group, prediction, twelve_hour=True) if lang == "en" else []
        if near:  # the words are English only, as in the HTML captions
            lines += ["Near bright stars and planets:", "", *[f"- {item}" for item in near], ""]
    lines += [f"## {i18n.text('legend_title', lang)}", ""]
    lines += [f"- {item}" for item in legend_items(prediction, lang)]
    lines += ["", f"*{i18n.text('footer', lang)}*", ""]
    if lang == "ur":
        lines = ['<div dir="rtl" lang="ur">', "", *lines, "</div>", ""]
    return "\n".join(lines)


def altitude_markdown(rows: Iterable[Mapping[str, object]]) -> str:
    """Altitude series as a Markdown table (UTC times)."""
    header = ("Time (UTC)", "Altitude (km)", "Latitude (°)", "Longitude (°)", "Speed (km/s)")
    body = [_altitude_cells(row) for row in rows]
    return "\n".join(_md_table(header, body)) + "\n"
