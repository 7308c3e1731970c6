"""The ``tiangong-orbit/passes/1`` JSON document (DESIGN.md): keep every field; add freely."""

from __future__ import annotations

import math
from typing import Any

from tiangong_orbit.model import Pass, Point, Prediction, SatelliteInfo
from tiangong_orbit.names import display_name
from tiangong_orbit.timeutil import iso_z

SCHEMA = "tiangong-orbit/passes/1"


def _point(point: Point | None, *, full: bool = False) -> dict[str, Any] | None:
    if point is None:
        return None
    data: dict[str, Any] = {
        "time": iso_z(point.time),
        "azimuth_deg": round(point.azimuth_deg, 2),
        "elevation_deg": round(point.elevation_deg, 2),
    }
    if full or point.range_km is not None:
        data["range_km"] = None if point.range_km is None else round(point.range_km, 1)
    if full or point.altitude_km is not None:
        data["altitude_km"] = None if point.altitude_km is None else round(point.altitude_km, 1)
    return data


def pass_json(item: Pass) -> dict[str, Any]:
    """One pass as DESIGN.md's schema lays it out (plus ``reason``, shadow times and, in a list
    of several satellites, ``norad_id``)."""
    data = {
        "rise": _point(item.rise),
        "culmination": _point(item.culmination, full=True),
        "set": _point(item.set),
        "duration_s": round(item.duration_s, 1),
        "visible": item.visible,
        "visible_start": _point(item.visible_start),
        "visible_peak": _point(item.visible_peak),
        "visible_end": _point(item.visible_end),
        "magnitude": None if item.magnitude is None else round(item.magnitude, 1),
        "tle_age_days": round(item.tle_age_days, 2),
        "uncertainty_s": round(item.uncertainty_s, 1),
        "visible_duration_s": (
            None if item.visible_duration_s is None else round(item.visible_duration_s, 1)
        ),
        "reason": item.reason,
        "shadow_entry": None if item.shadow_entry is None else iso_z(item.shadow_entry),
        "shadow_exit": None if item.shadow_exit is None else iso_z(item.shadow_exit),
        "near": _near(item),
    }
    if item.norad_id is not None:
        data["norad_id"] = item.norad_id
    return data


def _near(item: Pass) -> dict[str, Any] | None:
    """The closest approach to a bright star, planet or the Moon (README, "Stars and
    planets"), or ``None``."""
    near = item.near
    if near is None:
        return None
    return {
        "name": near.name,
        "kind": near.kind,
        "time": iso_z(near.time),
        "separation_deg": round(near.separation_deg, 2),
        "relation": near.relation,
        "magnitude": None if near.magnitude is None else round(near.magnitude, 1),
        "words": near.words(),
    }


def _satellite(info: SatelliteInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": info.name,
        "display_name": display_name(info.norad_id, info.name),
        "norad_id": info.norad_id,
        "tle_epoch": iso_z(info.tle_epoch),
        "tle_source": info.tle_source,
        "tle_epochs": [iso_z(epoch) for epoch in info.tle_epochs or (info.tle_epoch,)],
    }
    if info.standard_magnitude is None or math.isfinite(info.standard_magnitude):
        data["standard_magnitude"] = info.standard_magnitude
    return data


def passes_json(prediction: Prediction) -> dict[str, Any]:
    """The whole document for a prediction.

    Extensions of DESIGN.md's schema: ``satellite.display_name`` (the name people use,
    "Tiangong"); ``satellites``, one entry per satellite of a merged list (``-s tiangong -s
    iss``; ``satellite`` stays the first), each pass then naming its ``norad_id``;
    ``settings.max_magnitude`` and ``settings.min_duration_s`` (the filters, ``null`` with
    ``--all``); per observer ``next_visible_pass`` (a pass, or ``null``) when the window holds
    no visible pass; ``warnings``, the same lines as stderr (the set's age and timing error).
    """
    satellite = prediction.satellite
    settings = prediction.settings
    return {
        "schema": SCHEMA,
        "satellite": _satellite(satellite),
        "satellites": [_satellite(info) for info in prediction.satellites or (satellite,)],
        "window": {"start": iso_z(prediction.start), "end": iso_z(prediction.end)},
        "settings": {
            "horizon_deg": settings.horizon_deg,
            "min_visible_elevation_deg": settings.min_visible_elevation_deg,
            "sun_max_altitude_deg": settings.sun_max_altitude_deg,
            "standard_magnitude": (
                settings.standard_magnitude if satellite.magnitude_known else None
            ),
            "max_magnitude": prediction.max_magnitude,
            "min_duration_s": prediction.min_duration_s,
        },
        "observers": [
            {
                "name": group.place.name,
                "latitude_deg": round(group.place.latitude_deg, 6),
                "longitude_deg": round(group.place.longitude_deg, 6),
                "elevation_m": group.place.elevation_m,
                "elevation_known": group.place.elevation_known,
                "timezone": group.place.timezone,
                "passes": [pass_json(item) for item in group.passes],
                **(
                    {}
                    if any(p.visible for p in group.passes)
                    else {
                        "next_visible_pass": (
                            None if group.next_visible is None else pass_json(group.next_visible)
                        )
                    }
                ),
            }
            for group in prediction.places
        ],
        "warnings": list(prediction.warnings),
    }
