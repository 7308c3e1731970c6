"""Time parsing and formatting: every datetime in the core is timezone-aware UTC.

Arrays of times inside the core are float64 seconds of the POSIX (Unix) epoch, UTC; leap
seconds are not counted, as in POSIX. Conversions to Julian dates for SGP4 treat them as UTC,
as AIAA 2006-6753 does for TLE epochs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

from tiangong_orbit.errors import UsageError

#: Earliest and latest times the tool accepts: the JPL DE421 ephemeris shipped by skyfield-data
#: spans 1899-07-29 to 2053-10-09; SGP4 itself makes no sense before the first satellite.
EARLIEST = datetime(1957, 10, 4, tzinfo=UTC)
LATEST = datetime(2053, 1, 1, tzinfo=UTC)

UNIX_EPOCH_JD = 2440587.5
SECONDS_PER_DAY = 86400.0


def parse_time(text: str, *, now: datetime | None = None, option: str = "--start") -> datetime:
    """Parse an ISO 8601 time given on the command line into an aware UTC datetime.

    Accepts ``now``, a date (``2026-11-22``, midnight UTC), or a date and time with an optional
    ``Z`` or ``±HH:MM`` offset; a time without an offset is taken as UTC. Raises
    :class:`UsageError` naming the option and the bad value for anything else, including
    impossible dates such as ``2026-02-30``.
    """
    value = text.strip()
    if value.lower() == "now":
        if now is None:
            now = datetime.now(UTC)
        return now.astimezone(UTC)
    candidate = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError as error:
        reason = str(error)
        if "out of range" in reason or "must be in" in reason:
            raise UsageError(
                f"{option} '{text}' is not a real date ({reason}); expected ISO 8601 such as "
                "2026-11-22 or 2026-11-22T18:30:00Z"
            ) from None
        raise UsageError(
            f"{option} '{text}' is not an ISO 8601 time; expected e.g. 2026-11-22, "
            "2026-11-22T18:30 (UTC) or 2026-11-22T23:30+05:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before datetime.min in UTC
        parsed = EARLIEST - timedelta(days=1)
    check_range(parsed, option=option, text=text)
    return parsed


def check_range(
    moment: datetime, *, option: str = "time", text: str | None = None, window_end: bool = False
) -> None:
    """Raise :class:`UsageError` when ``moment`` lies outside the span the tool accepts,
    [:data:`EARLIEST`, :data:`LATEST`); a window's end (``window_end``, itself excluded from
    the window) may be :data:`LATEST` itself."""
    if not (EARLIEST <= moment < LATEST or (window_end and moment == LATEST)):
        shown = text if text is not None else iso_z(moment)
        raise UsageError(
            f"{option} '{shown}' is outside the supported span "
            f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (the bundled JPL DE421 ephemeris)"
        )


def to_unix(moment: datetime) -> float:
    """Seconds of the POSIX epoch (UTC) for an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: tiangong-orbit works with timezone-aware times only")
    return moment.timestamp()


def from_unix(seconds: float) -> datetime:
    """Aware UTC datetime for POSIX seconds, kept to the microsecond."""
    whole = math.floor(seconds)
    micro = round((seconds - whole) * 1e6)
    return datetime.fromtimestamp(whole, UTC) + timedelta(microseconds=micro)


def iso_z(moment: datetime, digits: int = 3) -> str:
    """ISO 8601 UTC, a ``Z`` and ``digits`` decimals of seconds: ``2026-09-18T07:08:45.000Z``.

    Rounds half to even in exact integer microseconds (as :func:`iso_z_ms_array` does).
    """
    moment = moment.astimezone(UTC)
    if digits <= 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    step_us = 10 ** (6 - max(0, min(6, digits)))
    whole, rest = divmod((moment - _MIN_UTC) // timedelta(microseconds=1), step_us)
    if 2 * rest > step_us or (2 * rest == step_us and whole % 2):
        whole += 1
    rounded = _MIN_UTC + timedelta(microseconds=whole * step_us)
    return rounded.strftime("%Y-%m-%dT%H:%M:%S.%f")[: 20 + digits] + "Z"


_MIN_UTC = datetime.min.replace(tzinfo=UTC)


def iso_z_ms_array(microseconds: Any) -> list[str]:
    """``iso_z(t, 3)`` for many times at once: ``microseconds`` (int64 array) of the POSIX epoch
    to strings such as ``2026-09-18T07:08:45.000Z``, rounded half to even to the millisecond
    exactly as :func:`iso_z` rounds."""
    import numpy as np

    us = np.asarray(microseconds, dtype=np.int64)
    whole, rest = np.divmod(us, 1000)
    # datetime.min is a whole number of even milliseconds before the POSIX epoch, so the
    # parity of ``whole`` is the parity iso_z sees.
    whole += (2 * rest > 1000) | ((2 * rest == 1000) & (whole % 2 == 1))
    text = np.datetime_as_string(whole.astype("datetime64[ms]"), unit="ms")
    return [value + "Z" for value in text.tolist()]


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (Asia/Karachi for Pakistani places)."""
    from zoneinfo import ZoneInfo  # here: its import looks up the system's paths (sysconfig)

    return ZoneInfo(name)


def zone_abbreviation(moment: datetime, zone_name: str) -> str:
    """The zone's short name at ``moment`` (``PKT`` for Asia/Karachi), or its UTC offset."""
    local = moment.astimezone(zone(zone_name))
    abbreviation = local.tzname() or ""
    if not abbreviation or abbreviation[0] in "+-":
        offset = local.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        abbreviation = f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")
    return abbreviation
