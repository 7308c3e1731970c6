"""The command line as a user meets it: real subprocesses, exit codes, one-line errors, JSON."""

from __future__ import annotations

import itertools
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
    # Scripts (--json) are refused a set past the limit; a person at the table is not.
    args = ("altitude", "--tle", str(LATEST), "--at", "2027-01-15T00:00:00Z")
    assert_one_error(run(*args, "--json", tmp_path=tmp_path), 3, "days old", "--allow-stale")
    allowed = run(*args, "--json", "--allow-stale", tmp_path=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "warning:" in allowed.stderr and "days old" in allowed.stderr
    table = run(*args, tmp_path=tmp_path)
    assert table.returncode == 0, table.stderr
    (warning,) = [line for line in table.stderr.splitlines() if "Tiangong" in line]
    assert warning.startswith("warning:") and "perigee/apogee range" in warning


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


def test_passes_table_names_the_zone_and_dates_each_row(tmp_path: Path) -> None:
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
    assert "PKT" in result.stdout and "Asia/Karachi" in result.stdout
    assert "2026-10-06" in result.stdout.splitlines()[0]  # the set's epoch on the first line
    assert "Tiangong" in result.stdout.splitlines()[0]


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


# --------------------------------------------------------------------------------------------
# Reading right (issue 13): widths, dates, zones, several satellites, filters, options.
# In-process runs (the same entry point as the console script) keep these fast.

HISTORY = ROOT / "data" / "tle" / "tiangong_history.tle"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    columns: int = 160,
) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    from tiangong_orbit.cli.app import main

    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    else:  # pragma: no cover - main always exits
        code = 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def day_words(moment: datetime) -> str:
    """'Thu 8 Oct', written here independently of the renderer."""
    return f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]}"


@pytest.mark.parametrize("columns", [80, 100, 120])
@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("--all", "--days", "2"),
        ("-s", "tiangong", "-s", "iss", "--city", "Karachi"),
    ],
    ids=["visible", "all", "two-satellites"],
)
def test_table_fits_the_width_without_cutting_a_cell(
    columns: int,
    extra: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("passes", "--tle", str(LATEST), "--start", "2026-10-07T12:00Z", "--days", "10")
    code, out, err = cli(capsys, monkeypatch, *args, "--city", "Lahore", *extra, columns=columns)
    assert code == 0, err
    assert "…" not in out
    too_long = [line for line in out.splitlines() if len(line) > columns]
    assert not too_long, too_long
    if args == ("tle", "show"):  # file names whole, never split across lines
        bundled = ROOT / "data" / "tle"
        for path in [*bundled.glob("*.tle"), *bundled.glob("*.json")]:
            assert path.name in out, path.name
    assert "Appears" in out and "Disappears" in out and "±" in out
    if "--all" in extra:
        assert "daylight" in out and "Not visible" in out
    if "iss" in extra:
        assert "ISS" in out and "Tiangong" in out


def test_each_row_carries_the_local_date_of_its_time(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2026-10-07 23:08 UTC is Thursday 8 October 04:08 PKT: a pre-dawn pass is dated Thursday,
    # not under Wednesday's night alone (issue 13). Check every visible pass of the JSON.
    from zoneinfo import ZoneInfo

    args = ("passes", "--tle", str(LATEST), "--start", "2026-10-07T12:00Z", "--days", "4")
    code, out, err = cli(capsys, monkeypatch, *args, "--json")
    assert code == 0, err
    starts = [
        datetime.fromisoformat(p["visible_start"]["time"].replace("Z", "+00:00"))
        for p in json.loads(out)["observers"][0]["passes"]
    ]
    assert starts
    for columns in (80, 120):
        code, table, err = cli(capsys, monkeypatch, *args, columns=columns)
        assert code == 0, err
        lines = table.splitlines()
        for start in starts:
            local = start.astimezone(ZoneInfo("Asia/Karachi"))
            clock = f"{local:%H:%M:%S}"
            row = next(line for line in lines if clock in line)
            assert row.startswith(day_words(local) + " "), (row, local)
    assert any(start.astimezone(ZoneInfo("Asia/Karachi")).hour < 6 for start in starts)


def test_no_color_takes_the_width_of_a_real_terminal(tmp_path: Path) -> None:
    # NO_COLOR on an 80-column terminal (a pseudo-terminal here): lines fit 80, nothing is cut.
    import pty
    import struct
    import termios
    from fcntl import ioctl

    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    environment = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    environment.pop("COLUMNS", None)
    args = ["passes", "--tle", str(LATEST), "--start", "2026-10-07T12:00Z", "--days", "4"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tiangong_orbit", *args],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=environment,
        cwd=tmp_path,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    os.close(leader)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    assert "Appears" in text and "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text


def _zone_rows(out: str, zones: tuple[str, str]) -> list[tuple[datetime, str]]:
    """(local date, zone) of every table row that names one of ``zones`` after its date."""
    import re

    found = []
    pattern = re.compile(rf"^(\w\w\w) (\d+) (\w\w\w) ({'|'.join(zones)})\b")
    for line in out.splitlines():
        match = pattern.match(line)
        if match:
            month = MONTHS.index(match.group(3)) + 1
            found.append((datetime(2026, month, int(match.group(2))), match.group(4)))
    return found


@pytest.mark.parametrize(
    ("place", "tle", "start", "zones", "change"),
    [
        # Sydney: AEST → AEDT at 02:00 local on Sunday 4 October 2026.
        (("--lat", "-33.8688", "--lon", "151.2093"), LATEST, "2026-10-01T00:00Z",
         ("AEST", "AEDT"), datetime(2026, 10, 4)),
        # New York: EST → EDT at 02:00 local on Sunday 8 March 2026.
        (("--lat", "40.7", "--lon", "-74"), HISTORY, "2026-03-05T00:00Z",
         ("EST", "EDT"), datetime(2026, 3, 8)),
    ],
    ids=["sydney", "new-york"],
)  # fmt: skip
def test_zone_labels_follow_each_time_across_daylight_saving(
    place: tuple[str, ...],
    tle: Path,
    start: str,
    zones: tuple[str, str],
    change: datetime,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("passes", *place, "--tle", str(tle), "--start", start, "--days", "6", "--all")
    code, narrow, err = cli(capsys, monkeypatch, *args, "--allow-stale", columns=80)
    assert code == 0, err
    assert zones[0] in narrow and zones[1] in narrow and "…" not in narrow
    code, out, err = cli(capsys, monkeypatch, *args, "--allow-stale", columns=160)
    assert code == 0, err
    rows = _zone_rows(out, zones)
    before = [zone for day, zone in rows if day < change]
    after = [zone for day, zone in rows if day > change]
    assert before and after, out
    assert set(before) == {zones[0]} and set(after) == {zones[1]}
    assert "°S" in out if place[1].startswith("-") else "°W" in out


def test_zone_from_coordinates_and_tz_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ("passes", "--tle", str(LATEST), "--start", "2026-10-07T12:00Z", "--days", "3")
    code, out, err = cli(capsys, monkeypatch, *base, "--lat", "40.7", "--lon", "-74", "--json")
    assert code == 0, err
    assert json.loads(out)["observers"][0]["timezone"] == "America/New_York"
    code, out, err = cli(capsys, monkeypatch, *base, "--lat", "40.7", "--lon", "-74")
    assert code == 0, err
    assert "40.700°N 74.000°W" in out and "America/New_York" in out and "-74.000°E" not in out
    code, out, err = cli(capsys, monkeypatch, *base, "--city", "Lahore", "--tz", "Europe/London")
    assert code == 0, err
    assert "Europe/London" in out and "BST" in out and "PKT" not in out
    code, out, err = cli(capsys, monkeypatch, *base, "--city", "Lahore", "--tz", "Mars/Olympus")
    assert code == 2 and "Mars/Olympus" in err and err.startswith("error:")


def test_several_satellites_merge_the_single_runs_in_time_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ("passes", "--tle", str(LATEST), "--start", "2026-10-07T12:00Z", "--days", "10")
    singles = {}
    for query, norad_id in (("tiangong", 48274), ("iss", 25544)):
        code, out, err = cli(capsys, monkeypatch, *base, "-s", query, "--json")
        assert code == 0, err
        singles[norad_id] = json.loads(out)["observers"][0]["passes"]
    code, out, err = cli(capsys, monkeypatch, *base, "-s", "tiangong", "-s", "iss", "--json")
    assert code == 0, err
    document = json.loads(out)
    pytest.importorskip("jsonschema").validate(document, SCHEMA)
    assert document["satellite"]["norad_id"] == 48274
    assert document["satellite"]["display_name"] == "Tiangong"
    assert [s["norad_id"] for s in document["satellites"]] == [48274, 25544]
    merged = document["observers"][0]["passes"]
    expected = sorted(
        [(p["culmination"]["time"], n) for n, passes in singles.items() for p in passes]
    )
    assert [(p["culmination"]["time"], p["norad_id"]) for p in merged] == expected
    assert {n for _, n in expected} == {48274, 25544}
    # The table lists the same merged passes (no filter: JSON lists every visible pass).
    code, out, err = cli(
        capsys, monkeypatch, *base, "-s", "tiangong", "-s", "iss", "--max-magnitude", "99",
        "--min-duration", "0", columns=120,
    )  # fmt: skip
    rows = [line for line in out.splitlines()[2:] if line.startswith(("Tiangong ", "ISS "))]
    assert len(rows) == len(expected)


def test_a_satellite_without_standard_magnitude_gets_none_unless_given(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Shenzhou set is 46-56 days old here, past the staleness limit: --allow-stale.
    base = (
        "passes",
        "--tle",
        str(LATEST),
        "--start",
        "2026-10-07T12:00Z",
        "--days",
        "10",
        "--allow-stale",
    )
    code, out, err = cli(capsys, monkeypatch, *base, "-s", "shenzhou", "--json")
    assert code == 0, err
    document = json.loads(out)
    passes = document["observers"][0]["passes"]
    assert passes and all(p["magnitude"] is None for p in passes)
    assert document["settings"]["standard_magnitude"] is None
    code, out, err = cli(
        capsys, monkeypatch, *base, "-s", "shenzhou", "--standard-magnitude", "2.5", "--json"
    )
    assert code == 0, err
    assert all(p["magnitude"] is not None for p in json.loads(out)["observers"][0]["passes"])


def test_magnitude_and_duration_filters(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ("passes", "--tle", str(LATEST), "--start", "2026-10-07T12:00Z", "--days", "10")
    code, out, err = cli(
        capsys, monkeypatch, *base, "--max-magnitude", "99", "--min-duration", "0", "--json"
    )
    assert code == 0, err
    everything = json.loads(out)["observers"][0]["passes"]
    for options, keep in (
        (("--max-magnitude", "-1"), lambda p: p["magnitude"] <= -1),
        (("--min-duration", "120"), lambda p: p["visible_duration_s"] >= 120),
        # DESIGN.md: JSON without --all lists every visible pass, unless a filter is asked for.
        ((), lambda p: True),
    ):
        code, out, err = cli(capsys, monkeypatch, *base, *options, "--json")
        assert code == 0, err
        kept = json.loads(out)["observers"][0]["passes"]
        expected = [p["culmination"]["time"] for p in everything if keep(p)]
        assert [p["culmination"]["time"] for p in kept] == expected
        assert 0 < len(kept) < len(everything) or not options
    # The table, for a person, leaves out what a Heavens-Above user would not go out for.
    faint_or_short = [p for p in everything if p["magnitude"] > 4.0 or p["visible_duration_s"] < 10]
    assert faint_or_short, "the window must hold a pass the table's defaults leave out"
    code, out, err = cli(capsys, monkeypatch, *base, "--format", "markdown")
    assert code == 0, err
    assert out.count("\n| ") - 1 == len(everything) - len(faint_or_short)
    code, out, err = cli(capsys, monkeypatch, "passes", "--help")
    assert "--max-magnitude" in out and "--min-duration" in out and "4.0" in out


def test_an_empty_window_says_when_the_next_visible_pass_is(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Karachi sees nothing visible of Tiangong from 7 to 10 October 2026 (the set's own run
    # over the following 30 days is the reference for what comes next).
    base = ("passes", "--tle", str(LATEST), "--city", "Karachi")
    code, out, err = cli(
        capsys, monkeypatch, *base, "--start", "2026-10-07T12:00Z", "--days", "3", "--json"
    )
    assert code == 0, err
    observer = json.loads(out)["observers"][0]
    assert observer["passes"] == []
    code, later, err = cli(
        capsys, monkeypatch, *base, "--start", "2026-10-10T12:00Z", "--days", "30", "--json"
    )
    first = json.loads(later)["observers"][0]["passes"][0]
    assert observer["next_visible_pass"]["culmination"]["time"] == first["culmination"]["time"]
    code, out, err = cli(
        capsys, monkeypatch, *base, "--start", "2026-10-07T12:00Z", "--days", "3", columns=80
    )
    from zoneinfo import ZoneInfo

    start = datetime.fromisoformat(first["visible_start"]["time"].replace("Z", "+00:00"))
    local = start.astimezone(ZoneInfo("Asia/Karachi"))
    assert f"Next visible pass: Tiangong on {day_words(local)} 2026 at {local:%H:%M} PKT" in out
    assert "UTC" not in out.split("Next visible pass")[0].split("\n", 2)[-1]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--json", "--format", "csv"), ("--json", "csv")),
        (("--lang", "ur"), ("--lang", "markdown")),
        (("--lang", "ur", "--format", "csv"), ("--lang", "csv")),
        (("--format", "ics", "--remind-minutes", "-5"), ("--remind-minutes",)),
        (("--tz", ""), ("--tz",)),
    ],
)
def test_contradictory_options_exit_2(
    args: tuple[str, ...],
    words: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = cli(capsys, monkeypatch, "passes", "--tle", str(LATEST), *args)
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    for word in words:
        assert word in lines[0]


def test_the_next_visible_pass_of_every_city_is_that_of_one_30_day_search(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The look-ahead searches 3 days first, then 30 for the places still without a visible
    # pass (91 of them here): the same pass as one search over the 30 days, everywhere.
    from datetime import timedelta

    from tiangong_orbit import passes, tle
    from tiangong_orbit.model import Settings
    from tiangong_orbit.places import gazetteer
    from tiangong_orbit.render.passes_json import pass_json

    args = ("passes", "--tle", str(LATEST), "--allow-stale", "--city", "all")
    window = ("--start", "2026-10-06T16:00Z", "--days", "1", "--json")
    code, out, err = cli(capsys, monkeypatch, *args, *window)
    assert code == 0, err
    observers = json.loads(out)["observers"]
    after = datetime(2026, 10, 7, 16, tzinfo=UTC)
    sets = tle.load_catalog(LATEST).sets
    stretches = tle.nearest_segments(sets, 48274, after, after + timedelta(days=30))
    reference = passes.find_passes_over_sets(stretches, list(gazetteer()), Settings())
    found, far = 0, 0
    for observer, group in zip(observers, reference, strict=True):
        if "next_visible_pass" not in observer:
            continue
        first = next((p for p in group.passes if p.visible), None)
        expected = None if first is None else {**pass_json(first), "norad_id": 48274}
        assert observer["next_visible_pass"] == expected, observer["name"]
        if first is not None:
            found += 1
            far += first.culmination.time > after + timedelta(days=3)
    assert found > 100 and far > 10  # both searches were needed


def test_version_prints_the_newest_epoch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sgp4.api import Satrec

    from tiangong_orbit import __version__

    # The newest Tiangong epoch in the bundled files, read here with sgp4 alone.
    newest = None
    for path in (ROOT / "data" / "tle").glob("*.tle"):
        lines = path.read_text().splitlines()
        for first, second in itertools.pairwise(lines):
            if first.startswith("1 48274") and second.startswith("2 48274"):
                satrec = Satrec.twoline2rv(first, second)
                epoch = satrec.jdsatepoch + satrec.jdsatepochF
                newest = epoch if newest is None else max(newest, epoch)
    assert newest is not None
    shown = datetime.fromtimestamp(round((newest - 2440587.5) * 86400), UTC)
    code, out, err = cli(capsys, monkeypatch, "--version")
    assert code == 0, err
    assert out.splitlines()[0] == f"tiangong-orbit {__version__}"
    assert f"newest Tiangong element set: {shown:%Y-%m-%d %H:%M:%S} UTC" in out


@pytest.mark.parametrize("satellite", ["tiangong", "iss"])
def test_altitude_perigee_apogee_bound_the_revolution_like_skyfield(
    satellite: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reference: skyfield's own SGP4 and WGS84 heights every second over the revolution
    # centred on the time asked (no code shared with the product's propagation or geodesy).
    from skyfield.api import EarthSatellite, load, wgs84

    lines = LATEST.read_text().splitlines()
    norad = "48274" if satellite == "tiangong" else "25544"
    index = next(i for i, line in enumerate(lines) if line.startswith(f"1 {norad}"))
    ts = load.timescale(builtin=True)
    body = EarthSatellite(lines[index], lines[index + 1], "", ts)
    period_s = 2 * 3.141592653589793 / body.model.no_kozai * 60
    at_by_satellite = {"tiangong": "2026-10-07T00:00:00Z", "iss": "2026-10-07T05:17:23Z"}
    for at in (at_by_satellite[satellite],):
        code, out, err = cli(capsys, monkeypatch, "altitude", "--tle", str(LATEST), "--at", at,
                             "-s", satellite, "--json")  # fmt: skip
        assert code == 0, err
        document = json.loads(out)
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        offsets = [k - period_s / 2 for k in range(int(period_s) + 1)]
        times = ts.utc(
            moment.year, moment.month, moment.day, moment.hour, moment.minute,
            [moment.second + offset for offset in offsets],
        )  # fmt: skip
        heights = wgs84.height_of(body.at(times)).km
        assert document["perigee_km"] == pytest.approx(heights.min(), abs=0.02)
        assert document["apogee_km"] == pytest.approx(heights.max(), abs=0.02)
        assert document["perigee_km"] <= document["altitude_km"] <= document["apogee_km"]
        assert document["mean_elements_perigee_km"] < document["mean_elements_apogee_km"]
        other = "Tiangong" if satellite == "iss" else "ISS"
        station = next(r for r in document["references"] if r["name"].startswith(other))
        assert "higher than" in station["sentence"]
        assert "-" not in station["sentence"] and "0.9" not in station["sentence"]
    code, out, err = cli(capsys, monkeypatch, "altitude", "--tle", str(LATEST), "--at",
                         "2026-10-07T00:00:00Z", "-s", satellite, columns=80)  # fmt: skip
    assert code == 0, err
    title = "How high is the ISS?" if satellite == "iss" else "How high is Tiangong?"
    assert title in out
    assert ("450 km" in out) == (satellite == "tiangong")
    assert ("design" in out) == (satellite == "tiangong")
    assert "CSS (TIANHE)" not in out.split("\n", 2)[-1]  # the catalog name on line 1 only


@pytest.mark.parametrize("columns", [80, 100, 120])
@pytest.mark.parametrize(
    "args",
    [("tle", "show"), ("history",), ("altitude", "--tle", str(LATEST), "--at", EPOCH)],
    ids=["tle-show", "history", "altitude"],
)
def test_other_tables_fit_the_width_without_cutting(
    columns: int,
    args: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = cli(capsys, monkeypatch, *args, columns=columns)
    assert code == 0, err
    assert "…" not in out
    too_long = [line for line in out.splitlines() if len(line) > columns]
    assert not too_long, too_long
    if args == ("tle", "show"):  # file names whole, never split across lines
        bundled = ROOT / "data" / "tle"
        for path in [*bundled.glob("*.tle"), *bundled.glob("*.json")]:
            assert path.name in out, path.name


def test_tz_on_alert_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2026-10-07 23:08 UTC: 00:08 BST in London on Thursday 8 October, 04:08 PKT in Lahore.
    args = ("alert", "--city", "Lahore", "--tle", str(LATEST), "--now", "2026-10-07T22:55:00Z",
            "--dry-run", "--state", str(tmp_path / "alerts.sqlite3"))  # fmt: skip
    code, out, err = cli(capsys, monkeypatch, *args, "--tz", "Europe/London")
    assert code == 0, err
    assert "00:08 BST" in out and "(23:08 UTC)" in out and "PKT" not in out
    code, out, err = cli(capsys, monkeypatch, *args)
    assert code == 0, err
    assert "04:08 PKT" in out
    chart = ("chart", "sky", "--city", "Lahore", "--tle", str(LATEST), "--start",
             "2026-10-07T12:00Z", "-o", str(tmp_path / "sky.svg"))  # fmt: skip
    code, _, err = cli(capsys, monkeypatch, *chart, "--tz", "Nowhere/Land")
    assert code == 2 and "Nowhere/Land" in err


def test_a_time_before_the_launch_is_refused(tmp_path: Path) -> None:
    # Tianhe reached orbit on 2021-04-29 03:23:15 UTC (launch records): before it, SGP4 would
    # happily run the first set backwards and list passes of a station that did not exist.
    before = run("passes", "--city", "Lahore", "--start", "2021-04-29T03:00Z", tmp_path=tmp_path)
    assert_one_error(before, 3, "Tianhe", "2021-04-29 03:23 UTC")
    after = run(
        "passes", "--city", "Lahore", "--start", "2021-04-29T04:00Z", "--days", "1",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert after.returncode == 0, after.stderr


def test_a_satellite_missing_from_the_tle_file_names_the_file(tmp_path: Path) -> None:
    only_tiangong = ROOT / "tests" / "data" / "css_2026-10-06.tle"
    result = run(
        "passes", "--tle", str(only_tiangong), "--satellite", "iss", "--start", EPOCH,
        tmp_path=tmp_path,
    )  # fmt: skip
    assert_one_error(result, 3, "25544", str(only_tiangong), "leave out --tle")


# --------------------------------------------------------------------------------------------
# Start-up: a run imports the module of its command alone (cli.app.load_commands)


def test_each_top_level_command_is_registered_by_the_modules_named_for_it() -> None:
    from tiangong_orbit.cli import app
    from tiangong_orbit.cli.app import COMMAND_MODULES

    registered = {info.name: {info.callback.__module__} for info in app.registered_commands}
    for group in app.registered_groups:
        commands = group.typer_instance.registered_commands
        registered[group.name] = {info.callback.__module__ for info in commands}
    assert registered == {
        name: {f"tiangong_orbit.cli.{module}" for module in modules}
        for name, modules in COMMAND_MODULES.items()
    }


def test_a_run_imports_its_command_alone_and_help_keeps_its_order(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from tiangong_orbit.cli import main\n"
        "def run(*args):\n"
        "    try:\n"
        "        main(list(args))\n"
        "    except SystemExit as done:\n"
        "        assert done.code in (0, None), done.code\n"
        f"run('passes', '--tle', {str(LATEST)!r}, '--start', '{EPOCH}', '--days', '1', '--json')\n"
        "print(sorted(m for m in sys.modules if '.cmd_' in m), file=sys.stderr)\n"
        "run('history', '--help')\n"  # registers history, and chart history, out of order
        "run('chart', '--help')\n"
        "run('--help')\n"
    )
    environment = {**os.environ, "TIANGONG_ORBIT_CACHE_DIR": str(tmp_path), "COLUMNS": "160"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "['tiangong_orbit.cli.cmd_passes']"
    fresh = [run("chart", "--help", tmp_path=tmp_path), run("--help", tmp_path=tmp_path)]
    history_help = run("history", "--help", tmp_path=tmp_path).stdout
    # Whatever was registered first, the listings come in the modules' order.
    listed = done.stdout.split(history_help, 1)[1]
    assert listed == "".join(result.stdout for result in fresh)


#: What a plain run (the bundled sets, one city, --json) has no use for, and what each cost.
NOT_LOADED_BY_A_PLAIN_RUN = {
    "_hashlib": "OpenSSL, through hashlib: 3 ms (the catalog index digests with _blake2)",
    "importlib.resources": "with its zip readers, 2 ms (data paths come from __file__)",
    "calendar": "0.5 ms (tle counts leap years itself)",
    "secrets": "hmac and OpenSSL again",
    "tiangong_orbit.render.i18n": "the Urdu and compass tables (JSON is English)",
    "unicodedata": "needed for names that are not ASCII only",
}


def test_a_plain_run_loads_nothing_it_does_not_use() -> None:
    code = (
        "import sys\n"
        "from tiangong_orbit.cli import main\n"
        "try:\n"
        "    main(['passes', '--start', '2026-10-06T00:00Z', '--days', '1', '--json'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        f"print([m for m in {sorted(NOT_LOADED_BY_A_PLAIN_RUN)!r} if m in sys.modules],"
        " file=sys.stderr)\n"
    )
    # The first run of a cache parses the bundled files (OMM text needs more) and indexes them;
    # the second is every later run.
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("3", "3")])
def test_cli_holds_openblas_to_one_thread_unless_told(given: str | None, expected: str) -> None:
    # Set before numpy loads (its thread pool is sized then); a user's own setting wins.
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = (
        "import os, sys\n"
        "import tiangong_orbit.cli\n"
        "assert 'numpy' not in sys.modules\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_only_a_command_line_run_tunes_the_garbage_collector() -> None:
    # main() with its own argv (a test, a host program) leaves the collector as it found it;
    # the command line's run (argv None) collects rarely and freezes the heap at its exit.
    code = (
        "import gc, sys\n"
        "from tiangong_orbit.cli import main\n"
        "def run(argv):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as done:\n"
        "        assert done.code in (0, None), done.code\n"
        "    return gc.get_threshold()[0]\n"
        "print(gc.get_threshold()[0], file=sys.stderr)\n"
        "print(run(['cities', 'Lahore']), gc.get_freeze_count(), file=sys.stderr)\n"
        "sys.argv = ['tiangong-orbit', 'cities', 'Lahore']\n"
        "print(run(None), gc.get_freeze_count(), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    before, own, command_line = done.stderr.splitlines()[-3:]
    from tiangong_orbit.cli.app import YOUNG_COLLECTION_THRESHOLD

    assert own == f"{before} 0"
    assert command_line == f"{YOUNG_COLLECTION_THRESHOLD} 0"  # frozen at the exit, not before


def test_names_print_as_typed_not_as_console_markup(tmp_path: Path) -> None:
    name = "Roof [bold]B[/bold] :satellite:"
    result = run(
        *("passes", "--lat", "31.5", "--lon", "74.3", "--name", name, "--start", EPOCH),
        *("--days", "2", "--tle", str(LATEST)),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"{name} · 31.500°N 74.300°E" in result.stdout


@pytest.mark.parametrize("command", ["passes", "outlook"])
def test_a_window_up_to_the_last_supported_day_is_not_refused(command: str, tmp_path: Path) -> None:
    # Its end (2053-01-01, not itself in the window) is where the supported span ends.
    result = run(command, "--city", "Lahore", "--start", "2052-12-30", "--days", "2",
                 "--offline", tmp_path=tmp_path)  # fmt: skip
    assert "outside the supported span" not in result.stderr
    assert result.returncode == 0, result.stderr
    refused = run(command, "--city", "Lahore", "--start", "2052-12-30", "--days", "2.5",
                  "--offline", tmp_path=tmp_path)  # fmt: skip
    assert_one_error(refused, 2, "outside the supported span")
