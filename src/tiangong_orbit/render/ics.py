"""iCalendar (RFC 5545) file of passes, for Google Calendar, Outlook, Apple Calendar, Thunderbird.

One VEVENT per listed pass (DESIGN.md): a visible pass lasts from the start to the end of its
visible part; a pass listed with ``--all`` that cannot be seen lasts from rise to set and says
why in its summary. Times are UTC (``DTSTART:20261006T191203Z``); iCalendar has no fractions
of a second, so the start is rounded down and the end up, and the event always covers the
whole visible part.

**UIDs.** A calendar program recognises an event it already has by its UID: importing the file
again, or refreshing a subscription, updates the event instead of adding a second copy. The
UID must therefore survive a fresh element set, which moves a pass by a second to a few minutes.
It is a hash of the NORAD number, the place (name and coordinates to 0.001°) and the time of
culmination rounded to the nearest hour. Culmination is the pass's identity (DESIGN.md puts a
pass in a window by it) and, unlike the start of the visible part, it does not jump when a pass
becomes visible or not, or when its visible part starts earlier or later because the shadow
or the twilight limit moved. The hour is safe: two passes of one satellite over one place
culminate at least one orbit apart (about 90 minutes for any satellite low enough to pass
over), so two passes never share an hour. A wide bucket makes the rare duplicate rarer: a pass
that moves by one minute crosses the edge of its hour one time in sixty (of a 10-minute bucket,
one time in ten). DTSTAMP is the element set's epoch, so that the same data gives the same file
and a newer set gives a newer DTSTAMP, which calendar programs take as the newer version.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from tiangong_orbit.model import Pass, PlacePasses, Prediction
from tiangong_orbit.render import i18n
from tiangong_orbit.render.tabular import direction_text, ends_in_shadow, starts_from_shadow
from tiangong_orbit.timeutil import zone_abbreviation

PRODID = "-//tiangong-orbit//Tiangong pass predictions//EN"
UID_DOMAIN = "tiangong-orbit"
#: Width of the culmination-time bucket that identifies a pass in its UID (see module doc).
UID_BUCKET_S = 3600.0


def pass_uid(norad_id: int, group: PlacePasses, pass_: Pass) -> str:
    """The stable UID of one pass over one place (see the module docstring for why)."""
    place = group.place
    bucket = round(pass_.culmination.time.timestamp() / UID_BUCKET_S)
    key = f"{norad_id}|{place.name}|{place.latitude_deg:.3f}|{place.longitude_deg:.3f}|{bucket}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"{norad_id}-{digest}@{UID_DOMAIN}"


def _floor_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _ceil_second(moment: datetime) -> datetime:
    floor = _floor_second(moment)
    return floor if floor == moment else floor + timedelta(seconds=1)


def _local_clock(moment: datetime, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%H:%M:%S} {zone_abbreviation(moment, timezone)}"


def _norad_id(prediction: Prediction, pass_: Pass) -> int:
    return pass_.norad_id if pass_.norad_id is not None else prediction.satellite.norad_id


def _description(prediction: Prediction, group: PlacePasses, pass_: Pass) -> str:
    zone = group.place.timezone
    satellite = prediction.satellite_label(_norad_id(prediction, pass_))
    # The set's age and expected error first: a stale set makes every time below approximate.
    lines: list[str] = [f"Note: {warning}" for warning in prediction.warnings]
    if pass_.visible_start is not None and pass_.visible_end is not None:
        peak = pass_.visible_peak or pass_.culmination
        end_note = ", entering the Earth's shadow" if ends_in_shadow(pass_) else ""
        start_note = ", coming out of the Earth's shadow" if starts_from_shadow(pass_) else ""
        lines += [
            f"Appears {_local_clock(pass_.visible_start.time, zone)}: "
            f"{direction_text(pass_.visible_start, 'en')} "
            f"(azimuth {pass_.visible_start.azimuth_deg:.0f}°){start_note}.",
            f"Highest {_local_clock(peak.time, zone)}: {direction_text(peak, 'en')} "
            f"(azimuth {peak.azimuth_deg:.0f}°).",
            f"Disappears {_local_clock(pass_.visible_end.time, zone)}: "
            f"{direction_text(pass_.visible_end, 'en')} "
            f"(azimuth {pass_.visible_end.azimuth_deg:.0f}°){end_note}.",
        ]
        if pass_.magnitude is not None:
            lines.append(
                f"Brightness: magnitude {_plain_number(pass_.magnitude)} (smaller is brighter; "
                "Sirius is -1.5)."
            )
        lines.append(f"Look for a bright, steady star moving across the sky: that is {satellite}.")
        if pass_.near is not None:
            clock = _local_clock(pass_.near.time, zone)
            lines.append(f"It {pass_.near.phrase(clock)}.")
    else:
        lines += [
            f"Not visible ({pass_.reason or 'not sunlit in a dark sky'}).",
            f"Rises {_local_clock(pass_.rise.time, zone)} in the "
            f"{i18n.compass_point(pass_.rise.azimuth_deg)}, highest "
            f"{pass_.culmination.elevation_deg:.0f}° at "
            f"{_local_clock(pass_.culmination.time, zone)}, "
            f"sets {_local_clock(pass_.set.time, zone)} in the "
            f"{i18n.compass_point(pass_.set.azimuth_deg)}.",
        ]
    sigma = pass_.uncertainty_s
    accuracy = f"{max(1, round(sigma))} s" if sigma < 90 else f"{round(sigma / 60)} min"
    lines.append(
        f"Times good to about ±{accuracy} (element set {pass_.tle_age_days:.1f} days from the "
        "pass). Directions from true north."
    )
    lines.append("Predicted by tiangong-orbit.")
    return "\n".join(lines)


def passes_ics(prediction: Prediction, *, remind_minutes: int = 15) -> str:
    """The passes as an iCalendar document (VERSION 2.0, CRLF line ends, folded lines).

    Each event carries a display reminder (VALARM) ``remind_minutes`` before its start (0: no
    reminder), so a phone rings in time to step outside.
    """
    from icalendar import Alarm, Calendar, Event

    from tiangong_orbit.render.tabular import satellites_text

    satellite = satellites_text(prediction, "en")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    places = ", ".join(group.place.name for group in prediction.places)
    calendar.add("x-wr-calname", f"{satellite} passes: {places}")
    stamp = prediction.satellite.tle_epoch.astimezone(UTC).replace(microsecond=0)
    seen: set[str] = set()
    for group in prediction.places:
        place = group.place
        for pass_ in group.passes:
            event = Event()
            norad_id = _norad_id(prediction, pass_)
            name = prediction.satellite_label(norad_id)
            base = uid = pass_uid(norad_id, group, pass_)
            # Cannot happen (see the module docstring), but a duplicate UID would make a
            # calendar program drop an event silently: keep them distinct whatever happens.
            copies = 1
            while uid in seen:
                copies += 1
                uid = base.replace("@", f"-{copies}@", 1)
            seen.add(uid)
            if pass_.visible_start is not None and pass_.visible_end is not None:
                begin, end = pass_.visible_start.time, pass_.visible_end.time
                summary = f"{name} visible from {place.name}"
            else:
                begin, end = pass_.rise.time, pass_.set.time
                summary = f"{name} over {place.name}, not visible ({pass_.reason or '?'})"
            event.add("uid", uid)
            event.add("dtstamp", stamp)
            event.add("dtstart", _floor_second(begin))
            event.add("dtend", _ceil_second(end))
            event.add("summary", summary)
            event.add("description", _description(prediction, group, pass_))
            event.add(
                "location",
                f"{place.name} ({place.latitude_deg:.4f}, {place.longitude_deg:.4f})",
            )
            event.add("geo", (_finite(place.latitude_deg), _finite(place.longitude_deg)))
            event.add("transp", "TRANSPARENT")
            event.add("categories", ["Astronomy"])
            if remind_minutes > 0:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", summary)
                alarm.add("trigger", timedelta(minutes=-remind_minutes))
                event.add_component(alarm)
            calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _plain_number(value: float) -> str:
    """One decimal, ASCII minus, and never '-0.0'."""
    shown = f"{value:.1f}"
    return "0.0" if shown == "-0.0" else shown


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"coordinate {value!r} is not finite")
    return round(value, 6)
