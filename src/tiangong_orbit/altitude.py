"""The altitude command's records: a satellite's altitude at one moment and the reference
heights it is compared with (built by :func:`tiangong_orbit.orbit.altitude_report` and
:func:`tiangong_orbit.orbit.compare`).

Kept apart from :mod:`tiangong_orbit.orbit`, which every pass search imports, so that only the
commands that report an altitude define them. This module is pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

__all__ = ["AltitudeReport", "Reference"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference altitude and how the satellite compares with it."""

    name: str
    altitude_km: float
    times_higher: float
    above_by_km: float
    source: str


@dataclass(frozen=True, slots=True)
class AltitudeReport:
    """Where a satellite is at one moment: WGS84 altitude, sub-satellite point, speed, orbit."""

    name: str
    norad_id: int
    time: datetime
    altitude_km: float
    latitude_deg: float
    longitude_deg: float
    speed_km_s: float
    perigee_km: float
    apogee_km: float
    references: tuple[Reference, ...]
    #: Perigee and apogee from the mean elements (``a (1 -/+ e) - R``), as CelesTrak quotes
    #: them; ``perigee_km``/``apogee_km`` are the geodetic extremes of the current revolution.
    mean_perigee_km: float = math.nan
    mean_apogee_km: float = math.nan
