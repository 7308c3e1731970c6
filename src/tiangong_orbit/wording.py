"""The words every human-facing text uses for a pass: its local date and one sentence.

Tables, pages and alerts share them so that a pass reads the same everywhere: "Tiangong visible
from Lahore on Thu 8 Oct at 04:08 PKT (23:08 UTC): appears 12° above NNE, highest 12° NNE,
disappears 10° above NNE, 37 s, magnitude 1.2". English, locale-independent.

Pure: no printing, no clock, no network.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tiangong_orbit.names import display_name

if TYPE_CHECKING:
    from tiangong_orbit.model import Pass, Point

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COMPASS = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip


def local_day(moment: datetime, zone_name: str) -> str:
    """The local calendar date of ``moment`` in ``zone_name``: 'Thu 8 Oct'.

    The date of the time itself: a pass at 04:08 on Thursday is 'Thu 8 Oct', never the
    evening before.
    """
    local = moment.astimezone(ZoneInfo(zone_name))
    return f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]}"


def zone_label(moment: datetime, zone_name: str) -> str:
    """The zone's abbreviation in force at ``moment`` ('PKT', 'AEDT'), else 'UTC+5:30'."""
    local = moment.astimezone(ZoneInfo(zone_name))
    abbreviation = local.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    minutes = round((local.utcoffset() or timedelta(0)).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def compass(azimuth_deg: float) -> str:
    """16-point compass name of an azimuth in degrees (N = 0°, E = 90°)."""
    return COMPASS[int((azimuth_deg % 360.0) / 22.5 + 0.5) % 16]


def _where(point: Point) -> str:
    return f"{round(point.elevation_deg) + 0}° above {compass(point.azimuth_deg)}"


def _minute(moment: datetime) -> datetime:
    """``moment`` cut to its minute (as the sentence shows it): truncated, not rounded, so
    "at 05:04" for a pass appearing at 05:04:40 sends people out early, never late."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def duration_words(seconds: float) -> str:
    """'37 s' under a minute, else 'about 4 min'."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return f"about {round(seconds / 60)} min"


def pass_sentence(
    norad_id: int,
    set_name: str,
    place_name: str,
    visible_pass: Pass,
    zone_name: str,
    *,
    with_date: bool = True,
) -> str:
    """One pass as one sentence, in the place's local time with its zone and UTC.

    'Tiangong visible from Lahore on Thu 8 Oct at 04:08 PKT (23:08 UTC): appears 12° above
    NNE, highest 12° NNE, disappears 10° above NNE, 37 s, magnitude 1.2'. For a pass that is
    not visible, rise, culmination and set stand in for the visible part. ``with_date=False``
    leaves the date out (an alert for tonight, say).
    """
    start = visible_pass.visible_start or visible_pass.rise
    peak = visible_pass.visible_peak or visible_pass.culmination
    end = visible_pass.visible_end or visible_pass.set
    shown = _minute(start.time)
    local = shown.astimezone(ZoneInfo(zone_name))
    day = f" on {local_day(shown, zone_name)}" if with_date else ""
    seconds = (end.time - start.time).total_seconds()
    words = "visible from" if visible_pass.visible else "over"
    text = (
        f"{display_name(norad_id, set_name)} {words} {place_name}{day} at "
        f"{local:%H:%M} {zone_label(shown, zone_name)} ({shown:%H:%M} UTC): "
        f"appears {_where(start)}, highest {round(peak.elevation_deg) + 0}° "
        f"{compass(peak.azimuth_deg)}, disappears {_where(end)}, {duration_words(seconds)}"
    )
    if visible_pass.magnitude is not None:
        magnitude = f"{round(visible_pass.magnitude, 1) + 0.0:.1f}"
        text += f", magnitude {magnitude}"
    return text
