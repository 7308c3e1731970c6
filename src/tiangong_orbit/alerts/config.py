"""The ``--config`` TOML file of ``alert``: its keys, their checks, paths relative to it."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiangong_orbit.alerts.masking import mask_text
from tiangong_orbit.alerts.message import MAX_LEAD_MINUTES
from tiangong_orbit.errors import UsageError

#: The largest configuration file read (a real one is a few hundred bytes).
MAX_CONFIG_BYTES = 256 * 1024

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
    """Read an alert configuration (TOML); raise :class:`UsageError` naming a bad key.

    At most :data:`MAX_CONFIG_BYTES` are read: ``--config /dev/urandom`` or a huge file is
    refused (exit 2) instead of filling the memory.
    """
    file_path = Path(path).expanduser()
    try:
        with file_path.open("rb") as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise UsageError(
                f"--config {file_path} is larger than {MAX_CONFIG_BYTES // 1024} KiB (or endless, "
                "like a device); expected a small TOML file"
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"--config: file not found: {file_path}") from None
    except IsADirectoryError:
        raise UsageError(f"--config {file_path} is a directory; expected a TOML file") from None
    except OSError as error:
        raise UsageError(f"--config: cannot read {file_path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--config {file_path} is not UTF-8 text; expected TOML") from None
    import tomllib  # here: only a --config file needs it

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
        found = mask_text(repr(data[key]))  # a notify list may hold passwords
        if len(found) > 200:
            found = found[:200] + "…"
        return UsageError(f"config {where}: key '{key}' should be {expected}, found {found}")

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
