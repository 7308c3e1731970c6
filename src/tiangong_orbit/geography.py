"""Coastlines and country borders for the maps, read from the bundled Natural Earth outlines.

The file ``data/sky/coastlines_50m.npz`` is Natural Earth 4.1.0 at 1:50 million (public domain,
through the ``world-atlas`` TopoJSON package; see ``data/sky/SOURCES.md``), packed as int16
hundredths of a degree by ``scripts/build_sky_map_data.py``. Nothing is downloaded. Pure: no
printing, no clock, no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from tiangong_orbit.errors import DataError
from tiangong_orbit.resources import data_path

__all__ = ["MapLines", "clip_lines", "map_lines"]

_GAP = -32768
MAP_FILE = ("sky", "coastlines_50m.npz")


@dataclass(frozen=True)
class MapLines:
    """Polylines in geodetic degrees (longitude east, latitude north), each array a run of
    lines separated by NaN so that one ``plot`` call draws them all (shape ``(n,)``)."""

    coast_lon_deg: np.ndarray
    coast_lat_deg: np.ndarray
    border_lon_deg: np.ndarray
    border_lat_deg: np.ndarray


def _unpack(centi: np.ndarray) -> np.ndarray:
    values = centi.astype(float) / 100.0
    values[centi == _GAP] = np.nan
    return values


@cache
def map_lines() -> MapLines:
    """The world's coastlines and land borders (Natural Earth 1:50m), decoded once per process.

    Raises :class:`DataError` if the bundled file is missing or damaged (a broken install).
    """
    path = data_path(*MAP_FILE)
    try:
        with np.load(path) as packed:
            lines = MapLines(
                _unpack(packed["coast_lon"]),
                _unpack(packed["coast_lat"]),
                _unpack(packed["border_lon"]),
                _unpack(packed["border_lat"]),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(
            f"cannot read the bundled map outlines {path}: {exc}; reinstall tiangong-orbit"
        ) from exc
    return lines


def clip_lines(
    lon_deg: np.ndarray,
    lat_deg: np.ndarray,
    lon_range_deg: tuple[float, float],
    lat_range_deg: tuple[float, float],
    margin_deg: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The points of NaN-separated polylines inside a box widened by ``margin_deg``; a point
    outside becomes NaN, so lines break at the box instead of being drawn across it and the
    figure stays small (matplotlib would clip, but SVG files would keep every point)."""
    inside = (
        (lon_deg >= lon_range_deg[0] - margin_deg)
        & (lon_deg <= lon_range_deg[1] + margin_deg)
        & (lat_deg >= lat_range_deg[0] - margin_deg)
        & (lat_deg <= lat_range_deg[1] + margin_deg)
    )
    keep = inside | np.concatenate(([False], inside[:-1])) | np.concatenate((inside[1:], [False]))
    lon = np.where(keep, lon_deg, np.nan)
    lat = np.where(keep, lat_deg, np.nan)
    # Collapse runs of NaN to one.
    nan = np.isnan(lon)
    dup = nan & np.concatenate(([True], nan[:-1]))
    return lon[~dup], lat[~dup]
