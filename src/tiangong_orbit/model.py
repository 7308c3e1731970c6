"""The data the pass predictor returns: plain frozen dataclasses, shared by every renderer.

Times are aware UTC datetimes; angles in degrees (azimuth from north through east, geometric
elevation, no refraction); distances in km. See DESIGN.md for the conventions (rise, set,
culmination, sunlit, dark sky, visible interval, magnitude).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tiangong_orbit.places import Place

if TYPE_CHECKING:
    from tiangong_orbit.sky import Near


@dataclass(frozen=True, slots=True)
class Settings:
    """Thresholds of a pass search (DESIGN.md, Conventions)."""

    horizon_deg: float = 0.0
    min_visible_elevation_deg: float = 10.0
    sun_max_altitude_deg: float = -6.0
    standard_magnitude: float = 0.0
    """Tiangong's standard magnitude: visual magnitude at 1000 km and 90° phase angle (Matson's
    diffuse sphere), ``tiangong_orbit.passes.TIANGONG_STANDARD_MAGNITUDE``. Scaled from the
    ISS's -1.8 (McCants' quicksat.mag, as Heavens-Above uses) by Tiangong's ~20% of the ISS's
    sunlit cross-section: -1.8 + 2.5 log10(5) = -0.05, rounded to 0.0. Uncertain by ±0.5 mag
    (1 sigma), and single passes scatter by ~1 mag more (attitude, solar-wing glints). For
    another satellite use ``passes.standard_magnitude_for(norad_id)``."""


@dataclass(frozen=True, slots=True)
class Point:
    """The satellite seen from one place at one moment."""

    time: datetime
    azimuth_deg: float
    elevation_deg: float
    range_km: float | None = None
    altitude_km: float | None = None


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass of a satellite over one place, from rise to set above ``horizon_deg``.

    ``visible_start``/``visible_peak``/``visible_end`` bound the one stretch where the satellite
    is sunlit, the sky is dark and it stands at least ``min_visible_elevation_deg`` high; they
    and ``magnitude`` are ``None`` when the pass is not visible. ``reason`` says why a pass is
    not visible ("daylight", "in Earth's shadow", "too low", or a combination).
    """

    rise: Point
    culmination: Point
    set: Point
    visible_start: Point | None
    visible_peak: Point | None
    visible_end: Point | None
    magnitude: float | None
    tle_age_days: float
    uncertainty_s: float
    reason: str | None = None
    # Where the satellite enters (or leaves) the Earth's shadow during the pass, if it does.
    shadow_entry: datetime | None = None
    shadow_exit: datetime | None = None
    #: Which satellite, when a list merges several (``passes -s tiangong -s iss``).
    norad_id: int | None = None
    #: The closest approach to a bright star, planet or the Moon during the visible interval,
    #: when within a few degrees (``tiangong_orbit.sky.add_near`` fills it; else ``None``).
    near: Near | None = None

    @property
    def visible(self) -> bool:
        """Whether the pass has a visible interval."""
        return self.visible_start is not None

    @property
    def duration_s(self) -> float:
        """Seconds from rise to set."""
        return (self.set.time - self.rise.time).total_seconds()

    @property
    def visible_duration_s(self) -> float | None:
        """Seconds of the visible interval, or ``None``."""
        if self.visible_start is None or self.visible_end is None:
            return None
        return (self.visible_end.time - self.visible_start.time).total_seconds()


@dataclass(frozen=True, slots=True)
class PlacePasses:
    """The passes over one place, in time order."""

    place: Place
    passes: tuple[Pass, ...]
    #: When no pass of the window is visible: the first visible one in the following days (up to
    #: 30), if the command looked ahead and found one.
    next_visible: Pass | None = None


@dataclass(frozen=True, slots=True)
class SatelliteInfo:
    """Which satellite and which element set a prediction used."""

    name: str
    norad_id: int
    tle_epoch: datetime
    tle_source: str = "bundled"
    tle_path: str | None = None
    #: Every set used, oldest first, when a long window spans several (each pass is computed
    #: from the set nearest it); just ``(tle_epoch,)`` otherwise.
    tle_epochs: tuple[datetime, ...] = ()
    #: The standard magnitude used for this satellite; ``None`` when none is known (its passes
    #: then carry no magnitude). ``math.nan`` = not said (the prediction's settings hold it).
    standard_magnitude: float | None = math.nan

    @property
    def magnitude_known(self) -> bool:
        """Whether this satellite's passes carry magnitudes."""
        return self.standard_magnitude is not None


@dataclass(frozen=True, slots=True)
class Prediction:
    """Everything ``passes`` computed: the input echo and one :class:`PlacePasses` per place."""

    satellite: SatelliteInfo
    start: datetime
    end: datetime
    settings: Settings
    places: tuple[PlacePasses, ...]
    warnings: tuple[str, ...] = field(default=())
    #: Every satellite of a merged list, in the order asked (``satellite`` is the first).
    satellites: tuple[SatelliteInfo, ...] = field(default=())
    #: The filters that left passes out (``--max-magnitude``, ``--min-duration`` in visible
    #: seconds); ``None`` when none applied (``--all``).
    max_magnitude: float | None = None
    min_duration_s: float | None = None

    def satellite_label(self, norad_id: int | None) -> str:
        """The display name of the satellite ``norad_id`` of this prediction (see names.py)."""
        from tiangong_orbit.names import display_name

        for info in (self.satellite, *self.satellites):
            if info.norad_id == norad_id:
                return display_name(info.norad_id, info.name)
        return display_name(self.satellite.norad_id, self.satellite.name)

    @property
    def several_satellites(self) -> bool:
        """Whether the list merges passes of more than one satellite."""
        return len({info.norad_id for info in self.satellites}) > 1
