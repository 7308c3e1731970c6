"""Due alerts and their text: pure functions of the predicted passes and of ``now``.

No clock, no printing, no network. Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tiangong_orbit.render import compass_point  # light: no rich, no matplotlib
from tiangong_orbit.tle import ISS_NORAD_ID, TIANGONG_NORAD_ID

if TYPE_CHECKING:
    from tiangong_orbit.model import Pass, PlacePasses, Point
    from tiangong_orbit.places import Place

#: Alert for visible passes whose visible part starts within this many minutes of ``now``.
DEFAULT_LEAD_MINUTES = 60
MAX_LEAD_MINUTES = 24 * 60
#: No alert from an element set older than this (the issue's rule; DESIGN.md's table stops
#: alerts at 14 days with exit 3, this stops posting earlier, with a warning and exit 0).
ALERT_MAX_AGE_DAYS = 7.0
#: Passes belong to a window by their culmination; search this much wider than the lead
#: window so that every pass whose *visible start* falls inside it is found.
SEARCH_MARGIN = timedelta(minutes=30)

#: (short name for titles, name in the message) of the satellites people know by a nickname.
SATELLITE_NAMES: dict[int, tuple[str, str]] = {
    TIANGONG_NORAD_ID: ("Tiangong", "Tiangong (China's space station)"),
    ISS_NORAD_ID: ("ISS", "ISS"),
}


@dataclass(frozen=True, slots=True)
class Alert:
    """One visible pass over one place that is due for an alert, with its title and text."""

    norad_id: int
    place: Place
    visible_pass: Pass
    title: str
    body: str

    @property
    def place_key(self) -> str:
        """The place in the state's key: its name and coordinates rounded to about 1 km."""
        return f"{self.place.name}@{self.place.latitude_deg:.2f},{self.place.longitude_deg:.2f}"

    @property
    def pass_time(self) -> datetime:
        """The pass's identity in time: its culmination, which does not depend on thresholds."""
        return self.visible_pass.culmination.time

    @property
    def visible_start(self) -> datetime:
        """When the visible part of the pass begins."""
        start = self.visible_pass.visible_start
        assert start is not None  # due_alerts keeps visible passes only
        return start.time


def search_window(now: datetime, lead_minutes: float) -> tuple[datetime, datetime]:
    """The ``[start, end)`` window to predict passes in for an alert run at ``now``."""
    return now - SEARCH_MARGIN, now + timedelta(minutes=lead_minutes) + SEARCH_MARGIN


def due_alerts(
    groups: Iterable[PlacePasses],
    *,
    now: datetime,
    lead_minutes: float,
    norad_id: int,
    satellite_name: str,
) -> tuple[Alert, ...]:
    """The visible passes whose visible part starts in ``(now, now + lead_minutes]``.

    One :class:`Alert` per pass and place, earliest first. A pass already under way at ``now``
    is not announced: the run before it was the one to do so.
    """
    last = now + timedelta(minutes=lead_minutes)
    found: list[Alert] = []
    for group in groups:
        for candidate in group.passes:
            start = candidate.visible_start
            if start is None or not (now < start.time <= last):
                continue
            title, body = alert_text(norad_id, satellite_name, group.place, candidate, now=now)
            found.append(Alert(norad_id, group.place, candidate, title, body))
    found.sort(key=lambda a: (a.visible_start, a.place.name))
    return tuple(found)


def satellite_names(norad_id: int, set_name: str) -> tuple[str, str]:
    """(short name for a title, name for the message): Tiangong, ISS, or the set's name."""
    return SATELLITE_NAMES.get(norad_id, (set_name, set_name))


def _minute(moment: datetime) -> datetime:
    # Truncate, not round: "at 18:55" for a pass appearing at 18:55:40 sends people out early.
    return moment.replace(second=0, microsecond=0)


def local_time_words(moment: datetime, zone_name: str) -> str:
    """``18:55 PKT (13:55 UTC)``: the local time with its zone named, then UTC."""
    from tiangong_orbit.timeutil import zone, zone_abbreviation

    start = _minute(moment.astimezone(UTC))
    local = start.astimezone(zone(zone_name))
    return f"{local:%H:%M} {zone_abbreviation(start, zone_name)} ({start:%H:%M} UTC)"


#: Aim for messages an SMS bridge passes whole (the title travels separately).
SMS_LENGTH = 160

#: (name in a message, a shorter one) for the satellites people know by a nickname.
_MESSAGE_NAMES: dict[int, tuple[str, ...]] = {
    TIANGONG_NORAD_ID: ("Tiangong (China's space station)", "China's Tiangong", "Tiangong"),
}


def alert_text(
    norad_id: int, set_name: str, place: Place, visible_pass: Pass, *, now: datetime
) -> tuple[str, str]:
    """The title and the message of an alert, in the words of NASA's Spot the Station.

    "Tiangong (China's space station) visible from Karachi at 18:55 PKT (13:55 UTC): appears
    10° above WSW, highest 30° S, disappears 12° above ESE, about 4 minutes, magnitude -0.9".
    A message longer than :data:`SMS_LENGTH` characters is shortened step by step ("4 min",
    "mag -0.9", a shorter name) until it fits or nothing is left to shorten. The date is added
    when the pass is on another local day than ``now``. The title is "Tiangong over Karachi".
    """
    from tiangong_orbit.timeutil import zone

    short, long = satellite_names(norad_id, set_name)
    start = visible_pass.visible_start or visible_pass.rise
    peak = visible_pass.visible_peak or visible_pass.culmination
    end = visible_pass.visible_end or visible_pass.set
    zone_name = getattr(place, "timezone", None) or "Asia/Karachi"
    when = local_time_words(start.time, zone_name)
    local_day = _minute(start.time).astimezone(zone(zone_name)).date()
    if local_day != now.astimezone(zone(zone_name)).date():
        time_part, utc_part = when.split(" (", 1)
        when = f"{time_part} on {local_day:%a} {local_day.day} {local_day:%b} ({utc_part}"
    seconds = (end.time - start.time).total_seconds()
    minutes = max(1, round(seconds / 60.0))
    directions = (
        f"appears {_point_words(start)}, "
        f"highest {round(peak.elevation_deg)}° {compass_point(peak.azimuth_deg)}, "
        f"disappears {_point_words(end)}"
    )
    magnitude = None
    if visible_pass.magnitude is not None:
        magnitude = f"{round(visible_pass.magnitude, 1) + 0.0:.1f}"  # + 0.0: no "-0.0"

    def compose(name: str, compact: bool) -> str:
        if seconds < 45:
            duration = "under 1 min" if compact else "less than a minute"
        else:
            duration = (
                f"{minutes} min" if compact else f"about {minutes} minute{'s' * (minutes != 1)}"
            )
        text = f"{name} visible from {place.name} at {when}: {directions}, {duration}"
        if magnitude is not None:
            text += f", mag {magnitude}" if compact else f", magnitude {magnitude}"
        return text

    names = _MESSAGE_NAMES.get(norad_id, (long,))
    variants = [compose(names[0], False)] + [compose(name, True) for name in names]
    body = next((text for text in variants if len(text) <= SMS_LENGTH), variants[-1])
    return f"{short} over {place.name}", body


def _point_words(point: Point) -> str:
    return f"{round(point.elevation_deg)}° above {compass_point(point.azimuth_deg)}"
