"""Build the two small data files the charts ship: coastlines and borders, bright stars.

Sources (both from the npm registry, unpacked with ``npm pack NAME@VERSION && tar xzf``):

- ``world-atlas@2.0.2`` (ISC licence, Michael Bostock): Natural Earth 4.1.0 (public domain)
  as TopoJSON. ``land-50m.json`` gives the coastlines (the outlines of the land polygons) and
  ``countries-50m.json`` the land borders (arcs shared by two countries).
- ``d3-celestial@0.7.35`` (BSD-3-Clause, Olaf Frohn): ``stars.6.json`` (XHIP, an extended
  Hipparcos compilation; J2000 positions, V magnitudes), ``starnames.json`` (proper names) and
  ``constellations.lines.json`` (IAU constellation figures).

Output, into ``data/sky/``:

- ``coastlines_50m.npz``: ``coast_lon``, ``coast_lat``, ``border_lon``, ``border_lat`` as int16
  hundredths of a degree, the lines separated by the value ``-32768``.
- ``bright_stars.csv``: ``hip,name,ra_deg,dec_deg,vmag`` for every star to magnitude 4.5.
- ``constellation_lines.csv``: ``constellation,ra1_deg,dec1_deg,ra2_deg,dec2_deg`` segments.

Usage: ``python scripts/build_sky_map_data.py WORLD_ATLAS_DIR D3_CELESTIAL_DIR``.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "sky"
STAR_LIMIT_MAG = 4.5
GAP = -32768


def _decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Absolute (lon, lat) arrays of every arc of a quantized TopoJSON topology (degrees)."""
    scale = np.array(topology["transform"]["scale"], dtype=float)
    translate = np.array(topology["transform"]["translate"], dtype=float)
    return [
        np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate
        for arc in topology["arcs"]
    ]


def _arc_indices(geometry: dict[str, Any]) -> list[int]:
    kind = geometry["type"]
    if kind == "Polygon":
        return [i for ring in geometry["arcs"] for i in ring]
    if kind == "MultiPolygon":
        return [i for polygon in geometry["arcs"] for ring in polygon for i in ring]
    return []


def _pack(lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lon_parts: list[np.ndarray] = []
    lat_parts: list[np.ndarray] = []
    for line in lines:
        centi = np.round(line * 100.0).astype(np.int16)
        # Drop repeated points (the 1:50m arcs are finer than a hundredth of a degree in places).
        keep = np.concatenate(([True], np.any(np.diff(centi, axis=0) != 0, axis=1)))
        centi = centi[keep]
        if len(centi) < 2:
            continue
        lon_parts += [centi[:, 0], np.array([GAP], dtype=np.int16)]
        lat_parts += [centi[:, 1], np.array([GAP], dtype=np.int16)]
    return np.concatenate(lon_parts), np.concatenate(lat_parts)


def build_map(world_atlas: Path) -> None:
    land = json.loads((world_atlas / "land-50m.json").read_text())
    coast = _decode_arcs(land)
    countries = json.loads((world_atlas / "countries-50m.json").read_text())
    arcs = _decode_arcs(countries)
    uses: dict[int, int] = {}
    for geometry in countries["objects"]["countries"]["geometries"]:
        for index in _arc_indices(geometry):
            key = index if index >= 0 else ~index
            uses[key] = uses.get(key, 0) + 1
    borders = [arcs[k] for k, count in sorted(uses.items()) if count >= 2]
    coast_lon, coast_lat = _pack(coast)
    border_lon, border_lat = _pack(borders)
    np.savez_compressed(
        OUT / "coastlines_50m.npz",
        coast_lon=coast_lon,
        coast_lat=coast_lat,
        border_lon=border_lon,
        border_lat=border_lat,
    )


def build_stars(celestial: Path) -> None:
    stars = json.loads((celestial / "data" / "stars.6.json").read_text())["features"]
    names = json.loads((celestial / "data" / "starnames.json").read_text())
    rows = []
    for star in stars:
        vmag = float(star["properties"]["mag"])
        if vmag > STAR_LIMIT_MAG:
            continue
        lon, lat = star["geometry"]["coordinates"]
        hip = int(star["id"])
        name = names.get(str(hip), {}).get("name", "")
        rows.append((hip, name, round(lon % 360.0, 4), round(lat, 4), round(vmag, 2)))
    rows.sort(key=lambda row: row[4])
    with (OUT / "bright_stars.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["hip", "name", "ra_deg", "dec_deg", "vmag"])
        writer.writerows(rows)
    figures = json.loads((celestial / "data" / "constellations.lines.json").read_text())
    with (OUT / "constellation_lines.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["constellation", "ra1_deg", "dec1_deg", "ra2_deg", "dec2_deg"])
        for feature in figures["features"]:
            for line in feature["geometry"]["coordinates"]:
                for (lon1, lat1), (lon2, lat2) in itertools.pairwise(line):
                    writer.writerow(
                        [feature["id"], round(lon1 % 360.0, 4), lat1, round(lon2 % 360.0, 4), lat2]
                    )


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    build_map(Path(argv[1]))
    build_stars(Path(argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
