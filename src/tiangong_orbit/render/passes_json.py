"""The ``tiangong-orbit/passes/1`` JSON document (DESIGN.md): keep every field; add freely."""

from __future__ import annotations

from typing import Any

from tiangong_orbit.model import Pass, Point, Prediction
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
    """One pass as DESIGN.md's schema lays it out (plus ``reason`` and shadow times)."""
    return {
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


def passes_json(prediction: Prediction) -> dict[str, Any]:
    """The whole document for a prediction."""
    satellite = prediction.satellite
    settings = prediction.settings
    return {
        "schema": SCHEMA,
        "satellite": {
            "name": satellite.name,
            "norad_id": satellite.norad_id,
            "tle_epoch": iso_z(satellite.tle_epoch),
            "tle_source": satellite.tle_source,
            "tle_epochs": [
                iso_z(epoch) for epoch in satellite.tle_epochs or (satellite.tle_epoch,)
            ],
        },
        "window": {"start": iso_z(prediction.start), "end": iso_z(prediction.end)},
        "settings": {
            "horizon_deg": settings.horizon_deg,
            "min_visible_elevation_deg": settings.min_visible_elevation_deg,
            "sun_max_altitude_deg": settings.sun_max_altitude_deg,
            "standard_magnitude": settings.standard_magnitude,
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
            }
            for group in prediction.places
        ],
        "warnings": list(prediction.warnings),
    }
