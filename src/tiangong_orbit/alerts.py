"""Cron alerts: which visible passes are due, what to say, and a state that posts each once.

Three parts, from pure to outward-facing:

- **Due alerts and their text** (:func:`due_alerts`, :func:`alert_text`, :func:`read_config`):
  pure functions of the predicted passes and of ``now``; no clock, no printing, no network.
- **The state** (:class:`AlertState`): an SQLite database (stdlib :mod:`sqlite3`) with one row
  per (satellite, place, pass, destination). A row is written as ``sending`` and committed
  *before* the post, then turned into ``sent``, ``failed`` or ``unknown`` after it, so that two
  overlapping runs can never both post, and a run killed in the middle leaves a row that says
  so instead of a silent double post. See :func:`deliver` and the README ("Alerts").
- **Posting** (:class:`AppriseTarget`): one Apprise URL, its log lines captured instead of
  printed, its result classified as delivered, failed (safe to retry) or maybe delivered (a
  read timeout: the request went out, the answer did not come back).

Times are aware UTC datetimes; the database stores POSIX seconds (UTC).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import secrets
import sqlite3
import tomllib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tiangong_orbit.errors import BusyError, DataError, UsageError
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
#: Two predictions of one satellite over one place whose culminations lie this close are the
#: same pass: a fresh element set moves a pass by seconds to a minute or two, while two real
#: passes of a station in low orbit are at least one revolution (about 90 minutes) apart.
SAME_PASS_WINDOW_S = 600.0
#: The UNIQUE key rounds the culmination to buckets this wide; a backstop to the window above.
PASS_BUCKET_S = 600
#: A row left in ``sending`` for longer than this belongs to a run that died while posting.
SENDING_STALE_S = 600.0
#: Rows of passes older than this are deleted.
PRUNE_AFTER_DAYS = 30.0
#: How long a run waits for another one holding the state database before exit 5.
DEFAULT_LOCK_TIMEOUT_S = 10.0
STATE_FILE_NAME = "alerts.sqlite3"
#: Passes belong to a window by their culmination; search this much wider than the lead
#: window so that every pass whose *visible start* falls inside it is found.
SEARCH_MARGIN = timedelta(minutes=30)

#: (short name for titles, name in the message) of the satellites people know by a nickname.
SATELLITE_NAMES: dict[int, tuple[str, str]] = {
    TIANGONG_NORAD_ID: ("Tiangong", "Tiangong (China's space station)"),
    ISS_NORAD_ID: ("ISS", "ISS"),
}


# --------------------------------------------------------------------------------------------
# Due alerts and their text (pure)


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


# --------------------------------------------------------------------------------------------
# The configuration file (pure once read)

#: The keys of ``--config FILE`` (TOML), what each holds, and the option it stands for.
CONFIG_KEYS: dict[str, str] = {
    "cities": 'list of gazetteer places (--city), e.g. ["Lahore", "Karachi"]',
    "lat": "latitude in degrees, north positive (--lat)",
    "lon": "longitude in degrees, east positive (--lon)",
    "elevation_m": "height of the lat/lon place in metres (--elevation-m)",
    "name": "label of the lat/lon place (--name)",
    "places": "CSV file of places, relative to the config file (--places)",
    "notify": "list of Apprise URLs (--notify)",
    "lead_minutes": "whole minutes of warning before the pass (--lead-minutes)",
    "satellite": "tiangong, iss, a NORAD number or a name (--satellite)",
    "tle": "element-set file, relative to the config file (--tle)",
    "state": "state database, relative to the config file (--state)",
    "allow_stale": "true to alert from an old element set (--allow-stale)",
    "horizon_deg": "rise/set elevation in degrees (--horizon-deg)",
    "min_visible_elevation_deg": "lowest visible elevation in degrees "
    "(--min-visible-elevation-deg)",
    "sun_max_altitude_deg": "dark sky: the Sun at or below this, degrees (--sun-max-altitude-deg)",
    "standard_magnitude": "magnitude at 1000 km and 90° phase (--standard-magnitude)",
    "lock_timeout_s": "seconds to wait for another run holding the state (--lock-timeout-s)",
    "offline": "true never to fetch fresh element sets before computing (--offline)",
}


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """The settings a ``--config`` TOML file holds; ``None`` (or empty) where it says nothing."""

    path: Path | None = None
    cities: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    elevation_m: float | None = None
    name: str | None = None
    places: Path | None = None
    notify: tuple[str, ...] = ()
    lead_minutes: int | None = None
    satellite: str | None = None
    tle: Path | None = None
    state: Path | None = None
    allow_stale: bool | None = None
    horizon_deg: float | None = None
    min_visible_elevation_deg: float | None = None
    sun_max_altitude_deg: float | None = None
    standard_magnitude: float | None = None
    lock_timeout_s: float | None = None
    offline: bool | None = None

    @property
    def has_places(self) -> bool:
        """Whether the file names any place."""
        return (
            bool(self.cities)
            or self.lat is not None
            or self.lon is not None
            or (self.places is not None)
        )


def read_config(path: str | os.PathLike[str]) -> AlertConfig:
    """Read an alert configuration (TOML); raise :class:`UsageError` naming a bad key."""
    file_path = Path(path).expanduser()
    try:
        text = file_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"--config: file not found: {file_path}") from None
    except IsADirectoryError:
        raise UsageError(f"--config {file_path} is a directory; expected a TOML file") from None
    except OSError as error:
        raise UsageError(f"--config: cannot read {file_path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--config {file_path} is not UTF-8 text; expected TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"--config {file_path} is not valid TOML: {error}") from None
    return parse_config(data, where=str(file_path), base=file_path.parent)


def parse_config(data: dict[str, Any], *, where: str, base: Path) -> AlertConfig:
    """Check the keys and types of a parsed config table; relative paths are from ``base``."""
    unknown = [key for key in data if key not in CONFIG_KEYS]
    if unknown:
        raise UsageError(
            f"config {where}: unknown key '{unknown[0]}'; known keys: {', '.join(CONFIG_KEYS)}"
        )

    def bad(key: str, expected: str) -> UsageError:
        return UsageError(f"config {where}: key '{key}' should be {expected}, found {data[key]!r}")

    def number(key: str, low: float, high: float) -> float | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad(key, f"a number between {low:g} and {high:g}")
        if not (math.isfinite(value) and low <= value <= high):
            raise bad(key, f"a number between {low:g} and {high:g}")
        return float(value)

    def text(key: str) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise bad(key, "a non-empty string")
        return value.strip()

    def texts(key: str) -> tuple[str, ...]:
        if key not in data:
            return ()
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise bad(key, "a list of strings")
        return tuple(item.strip() for item in value)

    def file(key: str) -> Path | None:
        value = text(key)
        if value is None:
            return None
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else base / candidate

    lead = data.get("lead_minutes")
    if "lead_minutes" in data and (
        isinstance(lead, bool) or not isinstance(lead, int) or not 1 <= lead <= MAX_LEAD_MINUTES
    ):
        raise bad("lead_minutes", f"a whole number of minutes from 1 to {MAX_LEAD_MINUTES}")
    allow_stale = data.get("allow_stale")
    if "allow_stale" in data and not isinstance(allow_stale, bool):
        raise bad("allow_stale", "true or false")
    offline = data.get("offline")
    if "offline" in data and not isinstance(offline, bool):
        raise bad("offline", "true or false")
    return AlertConfig(
        path=base,
        cities=texts("cities"),
        lat=number("lat", -90.0, 90.0),
        lon=number("lon", -180.0, 360.0),
        elevation_m=number("elevation_m", -500.0, 9000.0),
        name=text("name"),
        places=file("places"),
        notify=texts("notify"),
        lead_minutes=lead,
        satellite=text("satellite"),
        tle=file("tle"),
        state=file("state"),
        allow_stale=allow_stale,
        horizon_deg=number("horizon_deg", -5.0, 45.0),
        min_visible_elevation_deg=number("min_visible_elevation_deg", 0.0, 89.0),
        sun_max_altitude_deg=number("sun_max_altitude_deg", -30.0, 10.0),
        standard_magnitude=number("standard_magnitude", -10.0, 20.0),
        lock_timeout_s=number("lock_timeout_s", 0.0, 3600.0),
        offline=offline,
    )


# --------------------------------------------------------------------------------------------
# The state database

RowState = Literal["sending", "sent", "failed", "unknown"]
#: What a claim decided: post now, or why not.
Decision = Literal["post", "already_sent", "in_progress", "interrupted", "unknown"]

_APPLICATION_ID = 0x54475F41  # "TG_A": marks the file as ours (PRAGMA application_id)
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    norad_id INTEGER NOT NULL,
    place_key TEXT NOT NULL,
    target_key TEXT NOT NULL,          -- 'stdout', or 'apprise:' + a hash of the URL
    pass_bucket INTEGER NOT NULL,      -- culmination, POSIX seconds rounded to 600 s
    pass_time_unix REAL NOT NULL,      -- culmination (UTC)
    visible_start_unix REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 1,
    owner TEXT NOT NULL,               -- the run that claimed the row last
    claimed_unix REAL NOT NULL,
    updated_unix REAL NOT NULL,
    target_label TEXT NOT NULL,        -- the URL with its secrets masked
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    error TEXT,
    UNIQUE (norad_id, place_key, target_key, pass_bucket)
);
CREATE INDEX IF NOT EXISTS alerts_by_pass
    ON alerts (norad_id, place_key, target_key, pass_time_unix);
"""


class _Corrupt(DataError):
    """The state file is not a usable SQLite database.

    :meth:`AlertState.open` recovers from it; met later in a run (the file damaged while in
    use), it stops the run with exit 3 and the next run recovers.
    """

    def __init__(self, path: Path, reason: str):
        super().__init__(
            f"the alert state {path} is damaged ({reason}); nothing more was done, the next "
            "run moves it aside and starts afresh"
        )
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Claim:
    """The state's answer for one alert and one destination.

    ``decision`` is ``post`` (the row is ours, in ``sending``: post it now), ``already_sent``,
    ``in_progress`` (another run claimed it moments ago), ``interrupted`` (a run died while
    posting it: it may have been delivered; reported once, then ``unknown``) or ``unknown``.
    """

    decision: Decision
    row_id: int | None = None
    owner: str | None = None
    since: datetime | None = None


def _error_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_busy(error: sqlite3.Error) -> bool:
    code = _error_code(error)
    if code is not None:
        return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error).lower() or "busy" in str(error).lower()


def _is_corrupt(error: sqlite3.Error) -> bool:
    code = _error_code(error)
    if code is not None:
        return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(error).lower()
    return "not a database" in text or "malformed" in text


def _unix(moment: datetime) -> float:
    return moment.timestamp()


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class AlertState:
    """The alert state database: which alerts were posted where, and which are in flight.

    SQLite with its default rollback journal and ``synchronous=FULL``: a committed transaction
    survives a crash or power loss, and one interrupted by a killed process is rolled back by
    the next opener (the "hot journal"). Each transaction is ``BEGIN IMMEDIATE``: it takes the
    write lock at once, so a concurrent run waits for it (up to ``lock_timeout_s``) and then
    sees the rows the first one committed. Open with :meth:`open`.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, lock_timeout_s: float):
        self._connection = connection
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        #: A random token naming this run in the rows it claims.
        self.owner = secrets.token_hex(8)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        now: datetime,
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    ) -> tuple[AlertState, tuple[str, ...]]:
        """Open (or create) the state at ``path``; return it and the warnings to print.

        A file that is not a usable SQLite database (a text file, random bytes, a damaged page)
        is renamed to ``<name>.corrupt-<UTC time>`` (never deleted) with its journal, and a
        fresh state is started: the returned warning says so. A database of another program is
        refused (:class:`UsageError`); one held by another run past ``lock_timeout_s`` raises
        :class:`BusyError`.
        """
        state_path = Path(path).expanduser()
        if state_path.is_dir():
            raise UsageError(f"--state {state_path} is a directory; expected a file name")
        try:
            state_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(
                f"--state: cannot create the folder {state_path.parent}: {error.strerror}"
            ) from None
        try:
            return cls._open_checked(state_path, lock_timeout_s), ()
        except _Corrupt as problem:
            moved = _recover(state_path, now=now, lock_timeout_s=lock_timeout_s)
            state = cls._open_checked(state_path, lock_timeout_s)
            if moved is None:  # another run moved it aside a moment ago
                return state, ()
            return state, (
                f"the alert state {state_path} was not a usable database ({problem.reason}); "
                f"it was moved aside to {moved} for inspection and a fresh state was started, "
                "so an alert already posted may be posted once more",
            )

    @classmethod
    def _open_checked(cls, path: Path, lock_timeout_s: float) -> AlertState:
        try:
            connection = sqlite3.connect(
                path, timeout=lock_timeout_s, isolation_level=None, check_same_thread=True
            )
        except sqlite3.Error as error:
            raise _state_error(path, error, lock_timeout_s) from None
        state = cls(connection, path, lock_timeout_s)
        try:
            state._prepare()
        except BaseException:
            connection.close()
            raise
        return state

    def _prepare(self) -> None:
        connection = self._connection
        try:
            # The rollback journal (not WAL): it works on every file system, network ones too,
            # and keeps the state in one file between runs. FULL syncs the journal and the
            # database at each commit, so a committed claim survives a power cut.
            connection.execute("PRAGMA synchronous = FULL")
            mode = connection.execute("PRAGMA journal_mode = DELETE").fetchone()
            if mode is None:
                raise _Corrupt(self.path, "it cannot be read")
        except sqlite3.Error as error:
            raise _state_error(self.path, error, self.lock_timeout_s) from None
        with self.transaction():  # maps SQLite's errors, corruption to _Corrupt
            check = [row[0] for row in connection.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise _Corrupt(self.path, "SQLite's quick_check: " + "; ".join(check[:3]))
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            if application_id != _APPLICATION_ID and (application_id != 0 or tables):
                raise UsageError(
                    f"--state {self.path} is an SQLite database of another program (tables: "
                    f"{', '.join(tables) or 'none'}); give a file of its own to --state"
                )
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > _SCHEMA_VERSION:
                raise UsageError(
                    f"--state {self.path} was written by a newer tiangong-orbit (state version "
                    f"{version}); upgrade, or give another --state file"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database (uncommitted work, if any, is rolled back)."""
        self._connection.close()

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on an exception).

        Waits up to ``lock_timeout_s`` for another run's transaction, then raises
        :class:`BusyError` (exit 5).
        """
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _state_error(self.path, error, self.lock_timeout_s) from None
        try:
            yield connection
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise _state_error(self.path, error, self.lock_timeout_s) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise _state_error(self.path, error, self.lock_timeout_s) from None

    # -- rows ----------------------------------------------------------------------------------

    def prune(self, now: datetime) -> int:
        """Delete the rows of passes more than :data:`PRUNE_AFTER_DAYS` before ``now``."""
        limit = _unix(now) - PRUNE_AFTER_DAYS * 86400.0
        cursor = self._connection.execute("DELETE FROM alerts WHERE pass_time_unix < ?", (limit,))
        return cursor.rowcount

    def claim(
        self,
        alert: Alert,
        target_key: str,
        target_label: str,
        *,
        now: datetime,
        retry_unknown: bool = False,
    ) -> Claim:
        """Decide, inside a :meth:`transaction`, whether this run posts ``alert`` to a target.

        The pass is looked up by satellite, place, destination and a culmination within
        :data:`SAME_PASS_WINDOW_S`, so that a fresh element set that moves the pass by a
        minute or two finds the row of the first prediction. No row, or a ``failed`` one: the
        row becomes ``sending``, owned by this run, and the answer is ``post``.
        """
        connection = self._connection
        pass_unix = _unix(alert.pass_time)
        bucket = round(pass_unix / PASS_BUCKET_S) * PASS_BUCKET_S
        now_unix = _unix(now)
        row = connection.execute(
            "SELECT id, state, owner, updated_unix FROM alerts "
            "WHERE norad_id = ? AND place_key = ? AND target_key = ? "
            "AND (abs(pass_time_unix - ?) <= ? OR pass_bucket = ?) "
            "ORDER BY abs(pass_time_unix - ?) LIMIT 1",
            (
                alert.norad_id,
                alert.place_key,
                target_key,
                pass_unix,
                SAME_PASS_WINDOW_S,
                bucket,
                pass_unix,
            ),
        ).fetchone()
        values = (
            pass_unix,
            _unix(alert.visible_start),
            self.owner,
            now_unix,
            now_unix,
            target_label,
            alert.title,
            alert.body,
        )
        if row is None:
            cursor = connection.execute(
                "INSERT INTO alerts (norad_id, place_key, target_key, pass_bucket, "
                "pass_time_unix, visible_start_unix, state, attempts, owner, claimed_unix, "
                "updated_unix, target_label, title, body) "
                "VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?, ?, ?, ?, ?, ?)",
                (alert.norad_id, alert.place_key, target_key, bucket, *values),
            )
            return Claim("post", cursor.lastrowid, self.owner, now)
        row_id, row_state, owner, updated_unix = row
        since = _utc(updated_unix)
        age_s = now_unix - updated_unix
        retake = row_state == "failed"
        if row_state == "sending" and age_s < SENDING_STALE_S:
            # Another run claimed it moments ago and is posting it now; never take it over.
            return Claim("in_progress", row_id, owner, since)
        if row_state == "sending":
            if not retry_unknown:
                connection.execute(
                    "UPDATE alerts SET state = 'unknown', updated_unix = ?, error = ? WHERE id = ?",
                    (now_unix, "the run posting it was interrupted", row_id),
                )
                return Claim("interrupted", row_id, owner, since)
            retake = True
        if row_state == "unknown":
            if not retry_unknown:
                return Claim("unknown", row_id, owner, since)
            retake = True
        if not retake:
            return Claim("already_sent", row_id, owner, since)
        connection.execute(
            "UPDATE alerts SET state = 'sending', attempts = attempts + 1, error = NULL, "
            "pass_time_unix = ?, visible_start_unix = ?, owner = ?, claimed_unix = ?, "
            "updated_unix = ?, target_label = ?, title = ?, body = ? WHERE id = ?",
            (*values, row_id),
        )
        return Claim("post", row_id, self.owner, now)

    def finish(
        self, claim: Claim, state: RowState, *, now: datetime, error: str | None = None
    ) -> bool:
        """Record, inside a :meth:`transaction`, how the post of a claimed row ended.

        Only a row still ``sending`` and owned by this run changes; returns whether it did.
        """
        cursor = self._connection.execute(
            "UPDATE alerts SET state = ?, updated_unix = ?, error = ? "
            "WHERE id = ? AND owner = ? AND state = 'sending'",
            (state, _unix(now), error, claim.row_id, self.owner),
        )
        return cursor.rowcount == 1

    def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest pass first, as dictionaries (for inspection and tests)."""
        cursor = self._connection.execute("SELECT * FROM alerts ORDER BY pass_time_unix, id")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _state_error(path: Path, error: sqlite3.Error, lock_timeout_s: float) -> Exception:
    """The user-facing error for an SQLite failure on the state file."""
    if _is_busy(error):
        return BusyError(
            f"another tiangong-orbit alert run holds the state {path} (waited "
            f"{lock_timeout_s:g} s); nothing was done, the next run will try again"
        )
    if _is_corrupt(error):
        return _Corrupt(path, str(error))
    return UsageError(f"--state {path}: cannot use the alert state ({error})")


def _recover(path: Path, *, now: datetime, lock_timeout_s: float) -> Path | None:
    """Move a corrupt state file (and its journal) aside; ``None`` if someone else just did.

    A lock file serializes recoveries: without it, a second run that also found the file
    corrupt could move aside the fresh state the first run had just started, and post again.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(path) + ".lock", timeout=lock_timeout_s)
    try:
        with lock:
            try:
                AlertState._open_checked(path, lock_timeout_s).close()
                return None  # already replaced by a healthy state
            except _Corrupt:
                pass
            stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = path.with_name(f"{path.name}.corrupt-{stamp}")
            counter = 1
            while target.exists():
                counter += 1
                target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
            try:
                # The journal first: a "hot" journal left beside a fresh database would be
                # played back into it.
                for suffix in ("-journal", "-wal", "-shm"):
                    sidecar = Path(str(path) + suffix)
                    if sidecar.exists():
                        os.rename(sidecar, Path(str(target) + suffix))
                os.rename(path, target)
            except OSError as error:
                raise UsageError(
                    f"--state {path} is corrupt and cannot be moved aside ({error.strerror}); "
                    "move or delete it by hand"
                ) from None
            return target
    except Timeout:
        raise BusyError(
            f"another tiangong-orbit alert run is repairing the state {path} (waited "
            f"{lock_timeout_s:g} s); nothing was done, the next run will try again"
        ) from None


# --------------------------------------------------------------------------------------------
# Posting


@dataclass(frozen=True, slots=True)
class SendResult:
    """How one post went: ``ok``; else whether it may have been delivered anyway, and why."""

    ok: bool
    maybe_delivered: bool = False
    detail: str = ""


class Target(Protocol):
    """A destination for alerts: a stable ``key`` for the state, a ``label`` safe to print."""

    key: str
    label: str

    def send(self, title: str, body: str) -> SendResult:
        """Post one alert."""
        ...


@contextlib.contextmanager
def _apprise_quiet() -> Iterator[list[logging.LogRecord]]:
    """Collect Apprise's log records (and silence its warnings) instead of printing them.

    Apprise logs through the ``apprise`` logger, which Python would print to stderr in its own
    format; we keep the records, show failures as our own ``warning:`` lines, and read the
    DEBUG ones to tell a read timeout (the request went out) from a refused connection.
    Apprise's plugins also import deprecated modules (``imghdr``): their warnings are dropped.
    """
    logger = logging.getLogger("apprise")
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = _Keep(logging.DEBUG)
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def _problem_lines(records: Sequence[logging.LogRecord]) -> list[str]:
    lines = []
    for record in records:
        if record.levelno >= logging.WARNING:
            with contextlib.suppress(Exception):
                lines.append(" ".join(record.getMessage().split()).rstrip("."))
    return lines


class AppriseTarget:
    """One ``--notify`` URL (ntfy, Telegram, Discord, json:// webhooks…), posted with Apprise.

    An invalid URL raises :class:`UsageError` naming it. :attr:`key` is a hash of the URL (the
    state never stores a token in clear); :attr:`label` is the URL with Apprise's masking of
    secrets and without its query.
    """

    def __init__(self, url: str):
        self.url = url.strip()
        with _apprise_quiet() as records:
            import apprise

            service = apprise.Apprise.instantiate(self.url)
            self._apprise = apprise.Apprise()
            added = service is not None and self._apprise.add(service)
        if not added:
            why = _problem_lines(records)
            reason = f" ({why[-1]})" if why else ""
            raise UsageError(
                f"--notify '{self.url}' is not a valid Apprise URL{reason}; expected e.g. "
                "ntfy://ntfy.sh/TOPIC, tgram://BOT_TOKEN/CHAT_ID, discord://ID/TOKEN or "
                "json://host:port/path (https://github.com/caronc/apprise/wiki)"
            )
        self.key = "apprise:" + hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:24]
        self.label = service.url(privacy=True).split("?", 1)[0]

    def send(self, title: str, body: str) -> SendResult:
        """Post; a read timeout (the request was sent, no answer came) is *maybe delivered*."""
        with _apprise_quiet() as records:
            result = self._apprise.notify(body=body, title=title)
        if bool(result):
            return SendResult(True)
        status = getattr(result, "status", None)
        messages = []
        for record in records:
            with contextlib.suppress(Exception):
                messages.append(record.getMessage().lower())
        timed_out = (status is not None and int(status) == 5) or any(
            "read timed out" in message or "read timeout" in message for message in messages
        )
        problems = _problem_lines(records)
        detail = problems[-1] if problems else "the service did not accept the notification"
        if timed_out:
            detail = "no answer before the read timeout (the request was sent)"
        return SendResult(False, maybe_delivered=timed_out, detail=detail)


# --------------------------------------------------------------------------------------------
# A run: claim, post, record

Status = Literal[
    "posted", "failed", "maybe_delivered", "already_sent", "in_progress", "interrupted", "unknown"
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one alert for one target in a run."""

    alert: Alert
    target_label: str
    status: Status
    detail: str = ""
    since: datetime | None = None
    recorded: bool = True


@dataclass(frozen=True, slots=True)
class RunReport:
    """Every outcome of a run, and the counts a command reports."""

    outcomes: tuple[Outcome, ...] = field(default=())
    pruned: int = 0

    def with_status(self, *statuses: Status) -> list[Outcome]:
        """The outcomes whose status is one of ``statuses``."""
        return [outcome for outcome in self.outcomes if outcome.status in statuses]


def deliver(
    alerts: Sequence[Alert],
    targets: Sequence[Target],
    state: AlertState,
    *,
    now: datetime,
    retry_unknown: bool = False,
) -> RunReport:
    """Post each due alert to each target once, and only once, recording it in ``state``.

    1. One ``BEGIN IMMEDIATE`` transaction prunes old rows and *claims* every (alert, target):
       a new row, or a ``failed`` one, becomes ``sending`` and is committed before anything
       is posted. A second run started at the same moment waits for this short transaction,
       then finds the rows ``sending`` and leaves them alone: it cannot post them too.
    2. Each claimed alert is posted, then its row is set to ``sent``, ``failed`` (the next run
       tries again) or ``unknown`` (a read timeout: it may have been delivered, so it is not
       posted again unless ``retry_unknown``), each in its own short transaction.

    A run killed between 1 and 2 leaves a ``sending`` row; after :data:`SENDING_STALE_S` a
    later run reports it once (``interrupted``) and marks it ``unknown`` instead of re-posting.
    """
    claims: list[tuple[Alert, Target, Claim]] = []
    with state.transaction():
        pruned = state.prune(now)
        for alert in alerts:
            for target in targets:
                decision = state.claim(
                    alert, target.key, target.label, now=now, retry_unknown=retry_unknown
                )
                claims.append((alert, target, decision))
    outcomes: list[Outcome] = []
    for alert, target, claim in claims:
        if claim.decision != "post":
            outcomes.append(Outcome(alert, target.label, claim.decision, since=claim.since))
            continue
        try:
            result = target.send(alert.title, alert.body)
        except BaseException:
            # Interrupted (Ctrl-C, a bug in a plugin): whether it went out is unknown.
            with contextlib.suppress(Exception), state.transaction():
                state.finish(claim, "unknown", now=now, error="interrupted while posting")
            raise
        if result.ok:
            row_state: RowState = "sent"
            status: Status = "posted"
        elif result.maybe_delivered:
            row_state, status = "unknown", "maybe_delivered"
        else:
            row_state, status = "failed", "failed"
        recorded = True
        try:
            with state.transaction():
                state.finish(claim, row_state, now=now, error=result.detail or None)
        except BusyError:
            # The row stays "sending": a later run reports it and does not post it again.
            recorded = False
        outcomes.append(Outcome(alert, target.label, status, result.detail, None, recorded))
    return RunReport(tuple(outcomes), pruned)
