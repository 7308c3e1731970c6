"""The command line as a user meets it: real subprocesses, exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "data" / "tle" / "stations_latest.tle"
SCHEMA = json.loads((ROOT / "tests" / "data" / "passes.schema.json").read_text())
# The Tiangong set of 2026-10-06T16:02:50Z in stations_latest.tle.
EPOCH = "2026-10-06T16:02:50Z"


def run(
    *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "TIANGONG_ORBIT_CACHE_DIR": str(tmp_path / "cache"),
        "TIANGONG_ORBIT_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
        "COLUMNS": "160",
        **(env or {}),
    }
    environment.pop("TIANGONG_ORBIT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", *args],
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


def test_help_and_module_entry_point(tmp_path: Path) -> None:
    result = run("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    for command in ("passes", "alert", "altitude", "tle", "cities", "chart", "history"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("passes", "--no-such-option"), ("no-such-option",)),
        (
            ("passes", "--city", "Lahoor", "--tle", str(LATEST), "--start", EPOCH),
            ("lahoor", "lahore"),
        ),
        (("passes", "--start", "2026-02-30", "--tle", str(LATEST)), ("2026-02-30",)),
        (("passes", "--lat", "91", "--lon", "74", "--tle", str(LATEST)), ("91",)),
        (("passes", "--lat", "31.5"), ("--lon",)),
        (("passes", "--days", "0", "--tle", str(LATEST)), ("--days",)),
        (("passes", "--days", "many"), ("days",)),
        (("passes", "--tle", "no-such-file.tle"), ("no-such-file.tle",)),
        (("passes", "--format", "pdf", "--tle", str(LATEST)), ("pdf",)),
        (("altitude", "--at", "yesterday-ish"), ("yesterday-ish",)),
        (("altitude", "--at", "2100-01-01"), ("2100",)),
        (("passes", "--satellite", "hubble", "--tle", str(LATEST)), ("hubble",)),
    ],
)
def test_bad_usage_exits_2(args: tuple[str, ...], words: tuple[str, ...], tmp_path: Path) -> None:
    assert_one_error(run(*args, tmp_path=tmp_path), 2, *words)


def test_malformed_tle_exits_3_naming_file_and_line(tmp_path: Path) -> None:
    lines = LATEST.read_text().splitlines()
    broken = lines[1][:-1] + str((int(lines[1][-1]) + 1) % 10)  # wrong checksum
    path = tmp_path / "broken.tle"
    path.write_text("\n".join([lines[0], broken, lines[2]]) + "\n")
    result = run("altitude", "--tle", str(path), "--at", EPOCH, tmp_path=tmp_path)
    assert_one_error(result, 3, "broken.tle", "line 2", "checksum")


def test_html_page_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "page.tle"
    path.write_text("<!DOCTYPE html>\n<html><body>Rate limited</body></html>\n")
    assert_one_error(run("tle", "check", str(path), tmp_path=tmp_path), 3, "html")


def test_stale_set_exits_3_unless_allowed(tmp_path: Path) -> None:
    args = ("altitude", "--tle", str(LATEST), "--at", "2027-03-01T00:00:00Z")
    assert_one_error(run(*args, tmp_path=tmp_path), 3, "days old", "--allow-stale")
    allowed = run(*args, "--allow-stale", tmp_path=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "warning:" in allowed.stderr and "days old" in allowed.stderr


def test_no_set_for_satellite_exits_3(tmp_path: Path) -> None:
    result = run(
        "altitude", "--tle", str(LATEST), "--satellite", "12345", "--at", EPOCH, tmp_path=tmp_path
    )
    assert_one_error(result, 3, "12345")


def test_broken_cache_file_is_a_warning_not_an_error(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "tle"
    cache.mkdir(parents=True)
    (cache / "elements.json").write_text('[{"OBJECT_NAME": "CSS (TIANHE)", "NORAD_')
    result = run("altitude", "--at", EPOCH, "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert any(
        line.startswith("warning:") and "elements.json" in line
        for line in result.stderr.splitlines()
    )
    assert (cache / "elements.json").exists()  # never deleted


def test_altitude_json_agrees_with_skyfield(tmp_path: Path) -> None:
    from skyfield.api import EarthSatellite, load, wgs84

    result = run(
        "altitude",
        "--tle",
        str(LATEST),
        "--at",
        "2026-10-07T03:00:00Z",
        "--json",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "tiangong-orbit/altitude/1"
    lines = LATEST.read_text().splitlines()
    ts = load.timescale(builtin=True)
    satellite = EarthSatellite(lines[1], lines[2], lines[0], ts)
    position = satellite.at(ts.from_datetime(datetime(2026, 10, 7, 3, tzinfo=UTC)))
    assert abs(document["altitude_km"] - wgs84.height_of(position).km) < 0.5
    latitude, longitude = wgs84.latlon_of(position)
    assert abs(document["latitude_deg"] - latitude.degrees) < 0.01
    assert abs(document["longitude_deg"] - longitude.degrees) < 0.01
    references = {ref["name"]: ref for ref in document["references"]}
    karman = next(ref for ref in references.values() if ref["altitude_km"] == 100.0)
    namira = next(ref for ref in references.values() if ref["altitude_km"] == 87.4)
    for ref in (karman, namira):
        assert ref["times_higher"] == pytest.approx(
            document["altitude_km"] / ref["altitude_km"], abs=2e-3
        )
        assert ref["above_by_km"] == pytest.approx(
            document["altitude_km"] - ref["altitude_km"], abs=2e-3
        )
    assert any("ISS" in name for name in references)
    assert 370 < document["perigee_km"] <= document["apogee_km"] < 420


def test_plain_output_when_not_a_terminal(tmp_path: Path) -> None:
    result = run(
        "altitude", "--tle", str(LATEST), "--at", EPOCH, tmp_path=tmp_path, env={"NO_COLOR": ""}
    )
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout
    assert "Kármán line" in result.stdout


def test_tle_show_json(tmp_path: Path) -> None:
    result = run("tle", "show", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "tiangong-orbit/tle/1"
    tiangong = [s for s in document["sets"] if s["norad_id"] == 48274]
    assert len(tiangong) >= 663
    assert {s["source"] for s in document["sets"]} == {"bundled"}
    assert all(
        set(s) >= {"name", "norad_id", "epoch", "source", "path", "age_days"}
        for s in document["sets"]
    )


def test_passes_json_validates_against_design_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = run(
        "passes",
        "--tle",
        str(LATEST),
        "--start",
        EPOCH,
        "--days",
        "3",
        "--city",
        "Lahore",
        "--city",
        "Karachi",
        "--all",
        "--json",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    observers = document["observers"]
    assert [o["name"] for o in observers] == ["Lahore", "Karachi"]
    assert all(o["timezone"] == "Asia/Karachi" for o in observers)
    assert sum(len(o["passes"]) for o in observers) >= 6  # ~4-6 passes a day each
    assert any(p["visible"] for o in observers for p in o["passes"])
    assert any(not p["visible"] for o in observers for p in o["passes"])


def test_passes_table_names_the_zone_and_night(tmp_path: Path) -> None:
    result = run(
        "passes",
        "--tle",
        str(LATEST),
        "--start",
        EPOCH,
        "--days",
        "5",
        "--city",
        "Lahore",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "PKT" in result.stdout
    assert "Night of" in result.stdout
    assert "2026-10-06" in result.stdout.splitlines()[0]  # the set's epoch on the first line


def test_python_dash_m_runs_without_tle_network(tmp_path: Path) -> None:
    # The Quick start's main job, offline, on the bundled data.
    result = run("passes", "--city", "Lahore", "--allow-stale", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Lahore" in result.stdout


def test_reader_going_away_is_not_an_error(tmp_path: Path) -> None:
    # `tiangong-orbit passes --city all | head -3`: the pipe closes early; exit 0, no traceback.
    environment = {**os.environ, "TIANGONG_ORBIT_CACHE_DIR": str(tmp_path / "cache")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tiangong_orbit",
            "passes",
            "--city",
            "all",
            "--tle",
            str(LATEST),
            "--start",
            EPOCH,
            "--days",
            "10",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr


def test_alert_to_stdout_keeps_status_lines_off_the_pipe(tmp_path: Path) -> None:
    # Without --notify, stdout is the alert channel (e.g. piped into an SMS bridge): it carries
    # the message once, and nothing else; what the run did goes to stderr.
    args = (
        "alert",
        "--city",
        "Lahore",
        "--tle",
        str(LATEST),
        "--now",
        "2026-10-08T23:15:00Z",
        "--state",
        str(tmp_path / "alerts.sqlite3"),
    )
    first = run(*args, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("\n") == 1
    assert first.stdout.startswith("Tiangong visible from Lahore on ")
    assert "PKT" in first.stdout and "UTC" in first.stdout
    second = run(*args, tmp_path=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert "already posted" in second.stderr
