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
    from tiangong_orbit.model import Pass, PlacePasses
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
    """(name for a title, name for the message): both :func:`display_name` now; kept for
    callers of the two-name form."""
    name = display_name(norad_id, set_name)
    return name, name


def local_time_words(moment: datetime, zone_name: str) -> str:
    """``18:56 PKT (13:56 UTC)``: the local time with its zone named, then UTC, to the
    minute as the alert's sentence gives it (:func:`tiangong_orbit.wording.pass_sentence`)."""
    from tiangong_orbit.wording import zone_label

    shown = (moment.astimezone(UTC) + timedelta(seconds=30)).replace(second=0, microsecond=0)
    local = shown.astimezone(ZoneInfo(zone_name))
    return f"{local:%H:%M} {zone_label(shown, zone_name)} ({shown:%H:%M} UTC)"


#: Messages aim at this length for SMS bridges (the title travels separately); the sentence
#: is never cut, so a very long place name can take one over it.
SMS_LENGTH = 160


def alert_text(
    norad_id: int, set_name: str, place: Place, visible_pass: Pass, *, now: datetime
) -> tuple[str, str]:
    """The title and the message of an alert: the one sentence every human-facing text uses
    for a pass (:func:`tiangong_orbit.wording.pass_sentence`), with the local date.

    "Tiangong visible from Karachi on Wed 7 Oct at 18:56 PKT (13:56 UTC): appears 10° above
    WSW, highest 30° S, disappears 12° above ESE, about 4 min, magnitude -0.9"; the title is
    "Tiangong over Karachi". When the pass comes near a bright star, planet or the Moon
    (:attr:`Pass.near`) and the message has room under :data:`SMS_LENGTH`, it adds
    "; passes 2° below Jupiter at 18:58" (local time, the zone named before). ``now`` is not
    used by the text any more (the date is always given); it stays in the signature for
    callers.
    """
    from tiangong_orbit.wording import pass_sentence

    del now
    zone_name = getattr(place, "timezone", None) or "Asia/Karachi"
    body = pass_sentence(norad_id, set_name, place.name, visible_pass, zone_name)
    near = visible_pass.near
    if near is not None:  # "; passes 2° below Jupiter at 18:58" only if it stays an SMS
        local = near.time.astimezone(ZoneInfo(zone_name))  # cut to the minute, as the sentence
        longer = f"{body}; {near.phrase(f'{local:%H:%M}')}"
        if len(longer) <= SMS_LENGTH:
            body = longer
    return f"{display_name(norad_id, set_name)} over {place.name}", body
