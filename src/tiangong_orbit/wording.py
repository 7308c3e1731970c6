"""The words human-facing texts use for a time: its local calendar date and zone label.

"Thu 8 Oct" for a pass at 04:08 on Thursday, never the evening before; "AEST" or "AEDT" as in
force at that moment. English, locale-independent (the alert sentence lives in
``alerts/message.py`` and says the date the same way).

Pure: no printing, no clock, no network.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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
