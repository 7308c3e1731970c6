"""Due alerts and their text: pure functions of the predicted passes and of ``now``.

No clock, no printing, no network. Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

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
    """The satellite as the tables name it ("Tiangong", "ISS", else the set's name), from
    :mod:`tiangong_orbit.names`, the one source of display names."""
    from tiangong_orbit.names import display_name as shared_display_name

    return shared_display_name(norad_id, set_name)


def satellite_names(norad_id: int, set_name: str) -> tuple[str, str]:
    """(name for a title, name inside a sentence): "ISS" and "the ISS", from
    :mod:`tiangong_orbit.names`."""
    from tiangong_orbit.names import sentence_name

    return display_name(norad_id, set_name), sentence_name(norad_id, set_name)


def _minute(moment: datetime) -> datetime:
    # Truncate, not round: "at 18:55" for a pass appearing at 18:55:40 sends people out early.
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def local_time_words(moment: datetime, zone_name: str) -> str:
    """``18:55 PKT (13:55 UTC)``: the local time, cut to the minute, with its zone named
    (:func:`tiangong_orbit.wording.zone_label`), then UTC."""
    from tiangong_orbit.wording import zone_label

    shown = _minute(moment)
    local = shown.astimezone(ZoneInfo(zone_name))
    return f"{local:%H:%M} {zone_label(shown, zone_name)} ({shown:%H:%M} UTC)"


#: Messages aim at this length for SMS bridges (the title travels separately); the sentence
#: is never cut, so a very long place name can take one over it.
SMS_LENGTH = 160


def alert_text(
    norad_id: int, set_name: str, place: Place, visible_pass: Pass, *, now: datetime
) -> tuple[str, str]:
    """The title and the message of an alert: one sentence form, in the tables' words.

    "Tiangong visible from Karachi on Wed 7 Oct at 18:55 PKT (13:55 UTC): appears 10° above
    WSW, highest 30° above S, disappears 12° above ESE, 4 min, magnitude -0.9". The satellite
    is named as every human-facing text names it (:mod:`tiangong_orbit.names`), the date and
    zone as the tables give them (:mod:`tiangong_orbit.wording`), heights and directions in
    the tables' words ("10° above WSW", "4 min"). The local date is always given (a morning
    pass is never read as the evening before); the time, cut to the minute, is when the
    satellite appears. The title is "Tiangong over Karachi". ``now`` is not used by the text
    any more; it stays in the signature for callers.
    """
    from tiangong_orbit.render import i18n
    from tiangong_orbit.wording import local_day

    del now
    title_name, sentence_name = satellite_names(norad_id, set_name)
    start = visible_pass.visible_start or visible_pass.rise
    peak = visible_pass.visible_peak or visible_pass.culmination
    end = visible_pass.visible_end or visible_pass.set
    zone_name = getattr(place, "timezone", None) or "Asia/Karachi"
    day = local_day(_minute(start.time), zone_name)
    seconds = (end.time - start.time).total_seconds()
    duration = (
        i18n.text("seconds", "en", n=max(1, round(seconds)))
        if seconds < 60
        else i18n.text("minutes", "en", n=round(seconds / 60.0))
    )
    text = (
        f"{sentence_name} visible from {place.name} on {day} at "
        f"{local_time_words(start.time, zone_name)}: appears {_point_words(start)}, "
        f"highest {_point_words(peak)}, disappears {_point_words(end)}, {duration}"
    )
    if visible_pass.magnitude is not None:
        text += f", magnitude {round(visible_pass.magnitude, 1) + 0.0:.1f}"  # + 0.0: no "-0.0"
    return f"{title_name} over {place.name}", text[:1].upper() + text[1:]


def _point_words(point: Point) -> str:
    """'10° above WSW', as the tables write a height and a direction."""
    from tiangong_orbit.render import i18n

    return i18n.text(
        "above",
        "en",
        elevation=f"{round(point.elevation_deg) + 0}°",
        direction=i18n.compass_point(point.azimuth_deg, "en"),
    )
