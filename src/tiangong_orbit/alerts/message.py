"""Due alerts and their text: pure functions of the predicted passes and of ``now``.

No clock, no printing, no network. Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

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


def display_name(norad_id: int, set_name: str) -> str:
    """The satellite as the tables name it ("Tiangong", "the ISS", else the set's name)."""
    from tiangong_orbit.render.i18n import satellite_name

    return satellite_name(norad_id, set_name, "en")


def satellite_names(norad_id: int, set_name: str) -> tuple[str, str]:
    """(name for a title, name for the message): both :func:`display_name` now; kept for
    callers of the two-name form."""
    name = display_name(norad_id, set_name)
    return name, name


def _minute(moment: datetime) -> datetime:
    # Truncate, not round: "at 18:55" for a pass appearing at 18:55:40 sends people out early.
    return moment.replace(second=0, microsecond=0)


def local_time_words(moment: datetime, zone_name: str) -> str:
    """``18:55 PKT (13:55 UTC)``: the local time with its zone named, then UTC."""
    from tiangong_orbit.timeutil import zone, zone_abbreviation

    start = _minute(moment.astimezone(UTC))
    local = start.astimezone(zone(zone_name))
    return f"{local:%H:%M} {zone_abbreviation(start, zone_name)} ({start:%H:%M} UTC)"


#: Messages aim at this length for SMS bridges (the title travels separately); the sentence
#: is never cut, so a very long place name can take one over it.
SMS_LENGTH = 160


def alert_text(
    norad_id: int, set_name: str, place: Place, visible_pass: Pass, *, now: datetime
) -> tuple[str, str]:
    """The title and the message of an alert: one sentence form, in the tables' words.

    "Tiangong visible from Karachi on Wed 7 Oct at 18:55 PKT (13:55 UTC): appears 10° above
    WSW, highest 30° above S, disappears 12° above ESE, 4 min, magnitude -0.9". The satellite
    is named as the tables name it (:func:`display_name`); the local date is always given
    (a morning pass is never read as the evening before); the time, truncated to the minute,
    is when the satellite appears. The title is "Tiangong over Karachi". ``now`` is not used
    by the text any more; it stays in the signature for callers.
    """
    from tiangong_orbit.render import i18n
    from tiangong_orbit.timeutil import zone

    del now
    name = display_name(norad_id, set_name)
    start = visible_pass.visible_start or visible_pass.rise
    peak = visible_pass.visible_peak or visible_pass.culmination
    end = visible_pass.visible_end or visible_pass.set
    zone_name = getattr(place, "timezone", None) or "Asia/Karachi"
    local = _minute(start.time).astimezone(zone(zone_name))
    weekday = i18n.WEEKDAYS["en"][local.weekday()]
    day = f"{weekday} {local.day} {i18n.MONTHS['en'][local.month - 1]}"
    when = local_time_words(start.time, zone_name)
    seconds = (end.time - start.time).total_seconds()
    duration = (
        i18n.text("seconds", "en", n=max(1, round(seconds)))
        if seconds < 60
        else i18n.text("minutes", "en", n=round(seconds / 60.0))
    )
    text = (
        f"{name} visible from {place.name} on {day} at {when}: appears {_point_words(start)}, "
        f"highest {_point_words(peak)}, disappears {_point_words(end)}, {duration}"
    )
    if visible_pass.magnitude is not None:
        text += f", magnitude {round(visible_pass.magnitude, 1) + 0.0:.1f}"  # + 0.0: no "-0.0"
    return _capitalized(f"{name} over {place.name}"), _capitalized(text)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _point_words(point: Point) -> str:
    from tiangong_orbit.render import i18n

    return i18n.text(
        "above",
        "en",
        elevation=f"{round(point.elevation_deg)}°",
        direction=i18n.compass_point(point.azimuth_deg, "en"),
    )
