"""Pictures: real PNGs of the promised size, SVGs that parse, and the chart commands' errors."""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tiangong_orbit.errors import UsageError
from tiangong_orbit.model import Pass, Point, Settings
from tiangong_orbit.places import find_place
from tiangong_orbit.render import charts

ROOT = Path(__file__).resolve().parents[1]
START = "2026-10-06T16:00:00Z"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (PNG spec, section 11.2.2)."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def pixels(size_in: tuple[float, float]) -> tuple[int, int]:
    return round(size_in[0] * charts.DPI), round(size_in[1] * charts.DPI)


def assert_svg(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "TIANGONG_ORBIT_CACHE_DIR": str(tmp_path / "cache"),
        "TIANGONG_ORBIT_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }
    environment.pop("TIANGONG_ORBIT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "tiangong_orbit", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=tmp_path,
    )


def assert_one_error(result: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word.lower() in errors[0].lower(), errors[0]


# --------------------------------------------------------------------------------------------
# a hand-made pass (an evening pass that enters the shadow), for fast figure tests


def _pass_and_track() -> tuple[Pass, dict[str, np.ndarray]]:
    t0 = datetime(2026, 10, 6, 14, 12, 3, tzinfo=UTC)
    t = t0.timestamp() + np.arange(0.0, 601.0, 5.0)
    fraction = (t - t[0]) / (t[-1] - t[0])
    azimuth = (230.0 - 142.0 * fraction) % 360.0
    elevation = 54.3 * np.sin(np.pi * fraction)
    entry = t0 + timedelta(seconds=450)
    track = {
        "t_unix": t,
        "azimuth_deg": azimuth,
        "elevation_deg": elevation,
        "sunlit": t <= entry.timestamp(),
        "sun_altitude_deg": np.full_like(t, -12.0),
        "range_km": np.full_like(t, 800.0),
    }

    def at(seconds: float) -> Point:
        k = int(seconds // 5)
        return Point(t0 + timedelta(seconds=seconds), float(azimuth[k]), float(elevation[k]))

    pass_ = Pass(
        rise=at(0),
        culmination=at(300),
        set=at(600),
        visible_start=at(60),
        visible_peak=at(300),
        visible_end=at(450),
        magnitude=-1.1,
        tle_age_days=0.1,
        uncertainty_s=0.5,
        shadow_entry=entry,
    )
    return pass_, track


def test_output_format_checks_extension_and_folder(tmp_path: Path) -> None:
    assert charts.output_format(tmp_path / "a.png") == "png"
    assert charts.output_format(tmp_path / "a.SVG") == "svg"
    for bad in ("a.txt", "a", "a.png.txt", "a.jpg"):
        with pytest.raises(UsageError, match=r"\.png or \.svg"):
            charts.output_format(tmp_path / bad)
    with pytest.raises(UsageError, match="does not exist"):
        charts.output_format(tmp_path / "missing" / "a.png")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(UsageError, match="directory"):
        charts.output_format(tmp_path / "folder.png")


def test_sky_figure_png_and_svg(tmp_path: Path) -> None:
    pass_, track = _pass_and_track()
    figure = charts.sky_figure([(pass_, track)], find_place("Lahore"), "Tiangong", Settings())
    charts.save_figure(figure, tmp_path / "sky.png")
    assert png_size((tmp_path / "sky.png").read_bytes()) == pixels(charts.SKY_SIZE_IN)
    charts.save_figure(figure, tmp_path / "sky.svg")
    assert_svg((tmp_path / "sky.svg").read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sky.png", "sky.svg"]  # no temp left


def test_sky_figure_panels_for_several_passes(tmp_path: Path) -> None:
    pass_, track = _pass_and_track()
    figure = charts.sky_figure([(pass_, track)] * 4, find_place("Lahore"), "Tiangong", Settings())
    width, height = png_size(charts.figure_bytes(figure, "png"))
    assert width == round(3 * charts.SKY_PANEL_IN[0] * charts.DPI)
    assert height > 2 * charts.SKY_PANEL_IN[1] * charts.DPI


def test_sky_svg_for_html_has_prefixed_ids_only() -> None:
    pass_, track = _pass_and_track()
    svg = charts.sky_svg(pass_, track, find_place("Lahore"), Settings(), id_prefix="sky7")
    root = ET.fromstring(svg)
    assert "width" not in root.attrib and "viewBox" in root.attrib
    ids = [element.attrib["id"] for element in root.iter() if "id" in element.attrib]
    assert ids and all(name.startswith("sky7-") for name in ids)
    assert 'href="#DejaVu' not in svg


def test_visibility_radius_matches_geometry() -> None:
    # At 390 km, 10° above the horizon is about 1,320 km away along the ground (~11.9°).
    assert charts.visibility_radius_deg(390.0, 10.0) == pytest.approx(11.87, abs=0.05)
    assert charts.visibility_radius_deg(390.0, 0.0) > charts.visibility_radius_deg(390.0, 10.0)


def test_label_spreading_keeps_gaps_and_order() -> None:
    placed = charts._spread([80.0, 87.4, 100.0, 386.0, 426.0], 36.0, 18.0, 482.0)
    assert all(b - a >= 36.0 - 1e-9 for a, b in itertools.pairwise(placed))
    assert placed[3] == pytest.approx(386.0 - 2.0, abs=20.0)
    assert placed[0] >= 18.0 and placed[-1] <= 482.0


# --------------------------------------------------------------------------------------------
# the commands, as real subprocesses on the bundled data


def test_chart_sky_real_pass(tmp_path: Path) -> None:
    result = run("chart", "sky", "--city", "Lahore", "--start", START, "--days", "2",
                 "--output", "sky.png", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert png_size((tmp_path / "sky.png").read_bytes()) == pixels(charts.SKY_SIZE_IN)


def test_chart_sky_all_passes_svg(tmp_path: Path) -> None:
    result = run("chart", "sky", "--start", START, "--days", "3", "--pass", "all",
                 "--output", "sky.svg", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_svg((tmp_path / "sky.svg").read_bytes())


def test_chart_track_and_altitude(tmp_path: Path) -> None:
    result = run("chart", "track", "--city", "Lahore", "--city", "Karachi", "--start",
                 "2026-10-06T22:00Z", "--hours", "3", "--output", "track.png",
                 tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert png_size((tmp_path / "track.png").read_bytes()) == pixels(charts.TRACK_SIZE_IN)
    result = run("chart", "altitude", "--at", START, "--output", "altitude.svg",
                 tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_svg((tmp_path / "altitude.svg").read_bytes())
    result = run("chart", "altitude", "--at", START, "--output", "altitude.png",
                 tmp_path=tmp_path)  # fmt: skip
    assert png_size((tmp_path / "altitude.png").read_bytes()) == pixels(charts.ALTITUDE_SIZE_IN)


def test_chart_wrong_extension_is_a_usage_error(tmp_path: Path) -> None:
    result = run("chart", "sky", "--start", START, "--output", "x.txt", tmp_path=tmp_path)
    assert_one_error(result, 2, "x.txt", ".png or .svg")
    assert not (tmp_path / "x.txt").exists()


def test_chart_unwritable_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run("chart", "altitude", "--at", START, "--output", "no/such/dir/a.png",
                 tmp_path=tmp_path)  # fmt: skip
    assert_one_error(result, 2, "does not exist")


def test_chart_sky_pass_number_out_of_range(tmp_path: Path) -> None:
    result = run("chart", "sky", "--start", START, "--days", "1", "--pass", "40",
                 "--output", "s.png", tmp_path=tmp_path)  # fmt: skip
    assert_one_error(result, 2, "--pass 40")
    result = run("chart", "sky", "--start", START, "--pass", "first", "--output", "s.png",
                 tmp_path=tmp_path)  # fmt: skip
    assert_one_error(result, 2, "--pass")
