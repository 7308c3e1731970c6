"""Transits across the Sun and the Moon, checked against a reference that shares no code with
the finder: skyfield's own SGP4 satellite, skyfield's Sun and Moon (apparent, from DE421),
skyfield's pass finder for the coarse search, and a grid of observers around the place, each
sampling the angular separation between the station and the body's centre densely in time.

From the grid, the centre line is where the separation's signed cross-track part is zero (a
plane fitted to it over the observers near the path), the width is where it reaches the
body's angular radius, and the centre-line time comes from the fitted time of closest
approach. The finder must agree on every transit within the radius: time within 0.05 s,
centre-line point within 0.5 km, width within 5 %, none missed, none invented.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load_file, wgs84
from skyfield.framelib import itrs

from tiangong_orbit import tle, transits
from tiangong_orbit.errors import StaleDataError
from tiangong_orbit.places import find_place

ROOT = Path(__file__).resolve().parents[1]
RADIUS_KM = 50.0
# Days of the bundled history with a Moon transit near Lahore (17 Sep 2026) and a Sun transit
# near Karachi (19 Sep 2026); every pass of those days is searched by both sides.
DAYS = {"Lahore": datetime(2026, 9, 17, tzinfo=UTC), "Karachi": datetime(2026, 9, 19, tzinfo=UTC)}


@dataclass
class Reference:
    body: str
    time: datetime
    east_km: float
    north_km: float
    distance_km: float
    width_km: float


@pytest.fixture(scope="module")
def kernel():  # the DE421 file of skyfield-data, opened by skyfield itself
    from importlib.resources import files

    opened = load_file(str(files("skyfield_data") / "data" / "de421.bsp"))
    yield opened
    opened.close()


def _enu_to_latlon(
    lat0: float, lon0: float, east_km: np.ndarray, north_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Local plane (km) to WGS84 latitude/longitude: meridian and prime-vertical radii."""
    a, e2 = 6378.137, 0.00669437999014
    s = math.sin(math.radians(lat0))
    radius_n = a / math.sqrt(1 - e2 * s * s)
    radius_m = radius_n * (1 - e2) / (1 - e2 * s * s)
    lat = lat0 + np.degrees(north_km / radius_m)
    lon = lon0 + np.degrees(east_km / (radius_n * math.cos(math.radians(lat0))))
    return lat, lon


def _latlon_to_enu(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    a, e2 = 6378.137, 0.00669437999014
    s = math.sin(math.radians(lat0))
    radius_n = a / math.sqrt(1 - e2 * s * s)
    radius_m = radius_n * (1 - e2) / (1 - e2 * s * s)
    return (
        math.radians(lon - lon0) * radius_n * math.cos(math.radians(lat0)),
        math.radians(lat - lat0) * radius_m,
    )


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def reference_transits(place_name: str, body: str, eph) -> list[Reference]:
    place = find_place(place_name)
    catalog = tle.load_catalog(None)
    earth, target = eph["earth"], eph["sun" if body == "sun" else "moon"]
    body_radius_km = 695_700.0 if body == "sun" else 1_737.4
    ts = __import__("skyfield.api", fromlist=["load"]).load.timescale(builtin=True)
    h_km = place.elevation_m / 1000.0
    topos = wgs84.latlon(place.latitude_deg, place.longitude_deg, place.elevation_m)
    p_km = topos.itrs_xyz.km
    found: list[Reference] = []
    day = DAYS[place_name]
    while day < DAYS[place_name] + timedelta(days=1):
        element_set = tle.nearest_set(
            catalog.sets, tle.TIANGONG_NORAD_ID, day + timedelta(hours=12)
        )
        satellite = EarthSatellite(element_set.line1, element_set.line2, ts=ts)
        t0, t1 = ts.from_datetime(day), ts.from_datetime(day + timedelta(days=1))
        times, events = satellite.find_events(topos, t0, t1, altitude_degrees=-2.0)
        rises = [t for t, e in zip(times, events, strict=True) if e == 0]
        sets = [t for t, e in zip(times, events, strict=True) if e == 2]
        for rise, set_ in zip(rises, sets[-len(rises) :] if rises else [], strict=False):
            if set_.tt < rise.tt:
                continue
            seconds = np.arange(0.0, (set_.tt - rise.tt) * 86400.0, 1.0)
            coarse = ts.tt_jd(rise.tt + seconds / 86400.0)
            s_km = satellite.at(coarse).frame_xyz(itrs).km.T
            b_km = earth.at(coarse).observe(target).apparent().frame_xyz(itrs).km.T
            sep = np.degrees(
                np.arccos(np.clip(np.sum(_unit(s_km - p_km) * _unit(b_km - p_km), -1), -1, 1))
            )
            rng = np.linalg.norm(s_km - p_km, axis=-1)
            cone = 0.3 + np.degrees((RADIUS_KM + 20.0) / rng)
            if not (sep < cone).any():
                continue
            k = int(np.argmin(sep - cone))
            centre = rise.tt + seconds[k] / 86400.0
            ref = _grid_transit(satellite, earth, target, body_radius_km, place, h_km, centre, ts)
            if ref is not None:
                found.append(Reference(body, *ref))
        day += timedelta(days=1)
    return found


def _grid_transit(satellite, earth, target, body_radius_km, place, h_km, centre_tt, ts):
    """Dense separation from a 2-km grid of observers; the fitted centre line, or None."""
    step = 2.0
    span = RADIUS_KM + 16.0
    axis = np.arange(-span, span + 0.1, step)
    east, north = (g.ravel() for g in np.meshgrid(axis, axis))
    lat, lon = _enu_to_latlon(place.latitude_deg, place.longitude_deg, east, north)
    q_km = wgs84.latlon(lat, lon, place.elevation_m).itrs_xyz.km.T  # (n_obs, 3)
    offsets = np.arange(-10.0, 10.0001, 0.05)
    t = ts.tt_jd(centre_tt + offsets / 86400.0)
    s_km = satellite.at(t).frame_xyz(itrs).km.T  # (n_t, 3)
    b_km = earth.at(t).observe(target).apparent().frame_xyz(itrs).km.T
    u_s = _unit(s_km[None, :, :] - q_km[:, None, :])  # (n_obs, n_t, 3)
    u_b = _unit(b_km[None, :, :] - q_km[:, None, :])
    chord = np.linalg.norm(u_s - u_b, axis=-1)  # 2 sin(sep/2)
    k = np.argmin(chord, axis=1)
    inner = (k > 0) & (k < len(offsets) - 1)
    rows = np.arange(len(q_km))
    kk = np.clip(k, 1, len(offsets) - 2)
    c_m, c_0, c_p = (chord[rows, kk + d] ** 2 for d in (-1, 0, 1))
    curvature = np.maximum(c_m - 2 * c_0 + c_p, 1e-30)
    shift = np.clip(0.5 * (c_m - c_p) / curvature, -1.0, 1.0)
    t_min = offsets[kk] + shift * 0.05
    chord_min = np.sqrt(np.maximum(c_0 - 0.25 * (c_m - c_p) * shift, 0.0))
    sep = 2.0 * np.arcsin(np.clip(chord_min / 2.0, 0, 1))
    # Sign: which side of the body the station passes, from the relative motion.
    d = (u_s - u_b)[rows, kk]
    motion = (u_s - u_b)[rows, kk + 1] - (u_s - u_b)[rows, kk - 1]
    side = np.sign(np.einsum("ij,ij->i", np.cross(d, motion), u_b[rows, kk]))
    rho = np.arcsin(body_radius_km / np.linalg.norm(b_km[len(offsets) // 2] - q_km, axis=-1))
    altitude_ok = np.einsum("ij,ij->i", u_b[rows, kk], _unit(q_km)) > 0.0
    seen = inner & altitude_ok & (sep < rho) & (np.hypot(east, north) <= RADIUS_KM + 8.0)
    if not seen.any():
        return None
    signed = side * sep
    near = inner & altitude_ok & (sep < 2.5 * rho)
    fit = near
    for _ in range(4):  # fit, then keep the observers within 20 km of the foot, and refit
        used = fit
        design = np.column_stack([east[used], north[used], np.ones(used.sum())])
        (a, b, c), *_ = np.linalg.lstsq(design, signed[used], rcond=None)
        norm2 = a * a + b * b
        foot = np.array([-c * a / norm2, -c * b / norm2])
        fit = near & (np.hypot(east - foot[0], north - foot[1]) < 20.0)
    (alpha, beta, gamma), *_ = np.linalg.lstsq(design, t_min[used], rcond=None)
    time_s = alpha * foot[0] + beta * foot[1] + gamma
    width = 2.0 * float(np.median(rho[used])) / math.sqrt(norm2)
    moment = ts.tt_jd(centre_tt + time_s / 86400.0).utc_datetime()
    return moment, float(foot[0]), float(foot[1]), float(np.hypot(*foot)), width


@pytest.mark.parametrize(("place_name", "body"), [("Lahore", "moon"), ("Karachi", "sun")])
def test_transits_agree_with_a_dense_grid_of_observers(place_name: str, body: str, kernel) -> None:
    place = find_place(place_name)
    catalog = tle.load_catalog(None)
    first = DAYS[place_name]
    stretches = tle.nearest_segments(
        catalog.sets, tle.TIANGONG_NORAD_ID, first, first + timedelta(days=1)
    )
    found, cut = transits.find_transits(stretches, place, bodies=(body,), radius_km=RADIUS_KM)
    assert cut is None
    product = [t for t in found if not t.near_miss]
    reference = reference_transits(place_name, body, kernel)
    inside = [r for r in reference if r.distance_km <= RADIUS_KM - 0.5]
    assert inside, "the window was chosen to hold a transit"
    for ref in inside:  # none missed
        matches = [t for t in product if abs((t.time - ref.time).total_seconds()) < 2.0]
        assert len(matches) == 1, (ref, product)
        item = matches[0]
        assert abs((item.time - ref.time).total_seconds()) < 0.05, (item.time, ref.time)
        east, north = _latlon_to_enu(
            place.latitude_deg,
            place.longitude_deg,
            item.centre_latitude_deg,
            item.centre_longitude_deg,
        )
        assert math.hypot(east - ref.east_km, north - ref.north_km) < 0.5, (item, ref)
        assert abs(item.distance_km - ref.distance_km) < 0.5
        assert abs(item.path_width_km / ref.width_km - 1.0) < 0.05, (item.path_width_km, ref)
    for item in product:  # none invented
        assert any(
            abs((item.time - r.time).total_seconds()) < 2.0 and r.distance_km <= RADIUS_KM + 0.5
            for r in reference
        ), item


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "tiangong_orbit", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=tmp_path,
    )


def test_transits_command_table_json_and_solar_warning(tmp_path: Path) -> None:
    import jsonschema

    result = _run("transits", "--city", "Karachi", "--start", "2026-09-01T00:00Z",
                  "--body", "sun", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "19 Sep 09:48:42.15" in result.stdout  # PKT, to 0.01 s
    words = " ".join(result.stdout.split())
    assert "certified solar filter" in words
    assert "Check again the day before with a fresh set" in words
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    result = _run("transits", "--city", "Karachi", "--start", "2026-09-01T00:00Z",
                  "--body", "sun", "--json", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    schema = json.loads((ROOT / "tests" / "data" / "transits.schema.json").read_text())
    jsonschema.validate(document, schema)
    times = [t["time"] for t in document["observers"][0]["transits"]]
    assert "2026-09-19T04:48:42.15Z" in times
    # The Moon only: no solar-filter warning is needed, and no Sun transit listed.
    result = _run("transits", "--city", "Lahore", "--start", "2026-09-17T00:00Z", "--days",
                  "1", "--body", "moon", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Moon" in result.stdout and "solar filter" not in result.stdout


def test_transits_bad_options_are_usage_errors(tmp_path: Path) -> None:
    for args, words in (
        (("--body", "mars"), "--body"),
        (("--radius-km", "0"), "--radius-km"),
        (("--days", "nan"), "--days"),
    ):
        result = _run("transits", "--city", "Lahore", "--start", "2026-09-01T00:00Z", *args,
                      tmp_path=tmp_path)  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("error:") and words in result.stderr


def test_transits_refuse_a_set_too_old_for_a_path(tmp_path: Path) -> None:
    catalog = tle.load_catalog(None)
    newest = catalog.newest_epoch(tle.TIANGONG_NORAD_ID)
    start = newest + timedelta(days=40)
    stretches = tle.nearest_segments(
        catalog.sets, tle.TIANGONG_NORAD_ID, start, start + timedelta(days=5)
    )
    with pytest.raises(StaleDataError, match="check again the day before with a fresh set"):
        transits.find_transits(stretches, find_place("Lahore"))
    result = _run("transits", "--city", "Lahore", "--start", f"{start:%Y-%m-%dT%H:%MZ}",
                  "--days", "5", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "check again the day before with a fresh set" in result.stderr


def test_path_shift_grows_with_the_timing_error() -> None:
    # Earth's rotation at Lahore's latitude: 0.465 km/s * cos(31.5°) = 0.397 km/s.
    assert transits.path_shift_km(0.0, 31.5) == pytest.approx(transits.ORBIT_FLOOR_KM)
    assert transits.path_shift_km(60.0, 31.5) == pytest.approx(
        math.hypot(0.3966 * 60.0, transits.ORBIT_FLOOR_KM), rel=1e-3
    )


def test_chart_transit_draws_the_path(tmp_path: Path) -> None:
    result = _run("chart", "transit", "--city", "Karachi", "--start", "2026-09-19T00:00Z",
                  "--days", "1", "--output", "transit.png", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "transit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = _run("chart", "transit", "--city", "Karachi", "--start", "2026-09-19T00:00Z",
                  "--days", "1", "--transit", "5", "--output", "t.png",
                  tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error:") and "--transit 5" in result.stderr
    assert not (tmp_path / "t.png").exists()
