"""The outlook (``outlook.py``, ``outlook`` command) and the staleness fallback of ``passes``.

Containment is checked against PyEphem, which shares no code with the product: its own SGP4,
its own Sun and its own Earth-shadow test, sampled every second around each pass. Windows come
from the real set at least 60 days before each night, passes from the real set nearest it.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ephem
import jsonschema
import pytest

from tiangong_orbit import outlook, places, tle
from tiangong_orbit.errors import NoElementSetError, UsageError
from tiangong_orbit.model import Settings

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
LATEST = ROOT / "data" / "tle" / "stations_latest.tle"
SCHEMA = json.loads((TEST_DATA / "outlook.schema.json").read_text())
CITIES = ("Lahore", "Karachi", "Gilgit")
#: Nights (local dates) with several real visible passes at these cities and a set under a day
#: old in the history: summer, autumn, winter, spring.
NIGHTS = (date(2024, 6, 4), date(2024, 9, 18), date(2025, 1, 30), date(2025, 4, 8))
LEAD_DAYS = 60.0


@pytest.fixture(scope="module")
def tiangong_sets(history_sets):
    return tle.sets_for(history_sets, tle.TIANGONG_NORAD_ID)


def ephem_visible(element_set, place, start: datetime, end: datetime) -> list[tuple[float, float]]:
    """Visible intervals (POSIX s) of 20 s or more by PyEphem: sunlit (its ``eclipsed``), Sun
    at or below -6° (geometric: no refraction), satellite at least 10° high; sampled every 30 s,
    then every second around each stretch above 7°."""
    body = ephem.readtle(element_set.name, element_set.line1, element_set.line2)
    sun = ephem.Sun()
    observer = ephem.Observer()
    observer.lat = str(place.latitude_deg)
    observer.lon = str(place.longitude_deg)
    observer.elevation = place.elevation_m
    observer.pressure = 0.0

    def state(t: float) -> tuple[float, bool]:
        observer.date = ephem.Date(datetime.fromtimestamp(t, UTC).replace(tzinfo=None))
        body.compute(observer)
        sun.compute(observer)
        dark = math.degrees(sun.alt) <= -6.0
        return math.degrees(body.alt), (not body.eclipsed) and dark

    t0, t1 = start.timestamp(), end.timestamp()
    coarse = [t0 + 30.0 * k for k in range(int((t1 - t0) / 30.0) + 1)]
    high = [t for t in coarse if state(t)[0] >= 7.0]
    intervals: list[tuple[float, float]] = []
    seconds = sorted({round(t) + k for t in high for k in range(-30, 31)})
    run: list[float] = []
    for t in seconds:
        elevation, lit_dark = state(t)
        if elevation >= 10.0 and lit_dark and (not run or t - run[-1] <= 1.0):
            run.append(t)
            continue
        if len(run) > 1 and run[-1] - run[0] >= 20.0:
            intervals.append((run[0], run[-1]))
        run = [t] if elevation >= 10.0 and lit_dark else []
    if len(run) > 1 and run[-1] - run[0] >= 20.0:
        intervals.append((run[0], run[-1]))
    return intervals


def test_windows_contain_every_real_visible_pass(tiangong_sets):
    cities = [places.find_place(name) for name in CITIES]
    checked = impossible = 0
    for night in NIGHTS:
        # From 12:30 PKT (daylight) on the night's date to 12:30 PKT the next day.
        start = datetime(night.year, night.month, night.day, 7, 30, tzinfo=UTC)
        end = start + timedelta(days=1)
        known = [s for s in tiangong_sets if s.epoch <= start - timedelta(days=LEAD_DAYS)]
        result = outlook.compute_outlook(
            known, tle.TIANGONG_NORAD_ID, cities, start, end, exact_max_sigma_s=0.0
        )
        assert result.tle_epochs == (known[-1].epoch,)
        middle = start + timedelta(hours=12)
        truth_set = tle.nearest_set(tiangong_sets, tle.TIANGONG_NORAD_ID, middle)
        assert truth_set.age_days(middle) < 1.5
        for place, group in zip(cities, result.places, strict=True):
            real = ephem_visible(truth_set, place, start, end)
            for period in group.periods:
                assert period.kind == "window"
                assert period.tle_age_days >= LEAD_DAYS
                mine = [
                    (a, b)
                    for a, b in real
                    if period.start.timestamp() <= a < period.end.timestamp()
                ]
                if not period.possible:
                    impossible += 1
                    assert mine == [], (place.name, period)
                    continue
                # As narrow as the physics allows: never the whole evening or morning.
                assert period.latest - period.earliest < timedelta(hours=4), period
                assert len(mine) <= period.max_passes, (place.name, period, mine)
                for a, b in mine:
                    checked += 1
                    assert period.earliest.timestamp() - 2.0 <= a, (place.name, period, a)
                    assert b <= period.latest.timestamp() + 2.0, (place.name, period, b)
    assert checked >= 8  # the test looked at real passes
    assert impossible >= 2  # and at periods with none


def test_exact_periods_are_the_real_passes(tiangong_sets):
    # Within a few days of a set the period shows its real passes. PyEphem's Earth shadow is
    # cruder than skyfield's (test_passes checks the exact times against skyfield): its shadow
    # entries differ by up to ~20 s, so the ends are compared to 30 s.
    lahore = places.find_place("Lahore")
    element_set = tle.nearest_set(
        tiangong_sets, tle.TIANGONG_NORAD_ID, datetime(2024, 6, 4, tzinfo=UTC)
    )
    start = element_set.epoch
    result = outlook.compute_outlook(
        [element_set], tle.TIANGONG_NORAD_ID, [lahore], start, start + timedelta(days=2)
    )
    real = ephem_visible(element_set, lahore, start, start + timedelta(days=2))
    periods = result.places[0].periods
    assert all(p.kind == "exact" for p in periods)
    listed = [p for period in periods for p in period.passes]
    assert len(listed) == len(real) >= 2
    for item, (a, b) in zip(listed, real, strict=True):
        assert abs(item.visible_start.time.timestamp() - a) <= 30.0
        assert abs(item.visible_end.time.timestamp() - b) <= 30.0


def test_periods_alternate_and_follow_the_sun():
    lahore = places.find_place("Lahore")
    start = datetime(2026, 12, 1, tzinfo=UTC)
    found = outlook.solar_periods(lahore, start, start + timedelta(days=3))
    names = [name for _d, name, _a, _b in found]
    assert names[:2] in (["morning", "evening"], ["evening", "morning"])
    assert all(x != y for x, y in itertools.pairwise(names))
    inner = found[1:-1]
    for label, name, a, b in inner:
        assert b - a == pytest.approx(43200.0)
        # An evening starts at local mean solar noon: 12:00 - 74.35°/15 h after 00:00 UTC.
        noon_utc_h = 12.0 - lahore.longitude_deg / 15.0
        boundary_h = ((a if name == "evening" else b) % 86400.0) / 3600.0
        assert boundary_h == pytest.approx(noon_utc_h, abs=1e-6)
        middle = datetime.fromtimestamp((a + b) / 2, UTC).astimezone(ZoneInfo("Asia/Karachi"))
        assert label == middle.date()


def test_beyond_the_horizon_is_unknown(tiangong_sets):
    newest = tiangong_sets[-1]
    start = newest.epoch + timedelta(days=outlook.HORIZON_DAYS + 5)
    result = outlook.compute_outlook(
        tiangong_sets,
        tle.TIANGONG_NORAD_ID,
        [places.find_place("Quetta")],
        start,
        start + timedelta(days=2),
    )
    periods = result.places[0].periods
    assert periods and all(p.kind == "unknown" and p.possible is None for p in periods)


def test_bad_windows_and_missing_sets(tiangong_sets):
    lahore = [places.find_place("Lahore")]
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(UsageError):
        outlook.compute_outlook(tiangong_sets, 48274, lahore, start, start)
    with pytest.raises(UsageError):
        outlook.compute_outlook(tiangong_sets, 48274, lahore, start, start + timedelta(days=400))
    with pytest.raises(NoElementSetError):
        outlook.compute_outlook(tiangong_sets, 12345, lahore, start, start + timedelta(days=1))


def test_raan_margin_grows_with_age():
    assert outlook.raan_margin_deg(0) == pytest.approx(outlook.RAAN_MARGIN_BASE_DEG)
    assert outlook.raan_margin_deg(-90) == outlook.raan_margin_deg(90) > outlook.raan_margin_deg(30)


def test_held_nodal_rate_from_the_history(tiangong_sets):
    # With a year of history the rate is its median J2 rate; a lone set uses its own.
    element_set = tiangong_sets[-1]
    own = element_set.satrec.nodedot / 60.0
    assert outlook.nodal_rate_rad_s(element_set) == own
    held = outlook.nodal_rate_rad_s(element_set, tiangong_sets)
    # Tiangong's node turns about 6° a day westward at its 370-400 km.
    assert -6.3 < math.degrees(held) * 86400.0 < -5.9
    later = [s for s in tiangong_sets if s.epoch > element_set.epoch]
    assert outlook.nodal_rate_rad_s(element_set, [*tiangong_sets, *later]) == held


@pytest.mark.parametrize("city", ["Lahore", "Gilgit", "Karachi"])
def test_coarse_candidates_give_the_windows_of_every_time(tiangong_sets, monkeypatch, city):
    # The sweep computes the Sun and the plane only at the times its coarse samples pick; with
    # every time picked, the windows must be the same to the bit (summer and winter, 40 days
    # from the set, and the tight thresholds, whose Sun band is narrower).
    element_set = next(s for s in tiangong_sets if s.epoch >= datetime(2025, 5, 1, tzinfo=UTC))
    place = places.find_place(city)

    def every_time(t, *args, **kwargs):
        return [True] * len(t)

    possible = 0
    for start, settings in itertools.product(
        (element_set.epoch + timedelta(days=40), element_set.epoch - timedelta(days=160)),
        (Settings(), Settings(min_visible_elevation_deg=20.0, sun_max_altitude_deg=-9.0)),
    ):
        end = start + timedelta(days=10)
        fast = outlook.compute_outlook(
            [element_set], element_set.norad_id, [place], start, end, settings
        )
        with monkeypatch.context() as patch:
            patch.setattr(outlook, "_may_pass_filters", every_time)
            slow = outlook.compute_outlook(
                [element_set], element_set.norad_id, [place], start, end, settings
            )
        assert fast == slow
        possible += sum(bool(period.possible) for period in fast.places[0].periods)
    assert possible >= 10


# --------------------------------------------------------------------------------------------
# The command line (real subprocesses)


def run(*args: str, tmp_path: Path, columns: int = 80) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "TIANGONG_ORBIT_CACHE_DIR": str(tmp_path / "cache"),
        "TIANGONG_ORBIT_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
        "COLUMNS": str(columns),
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


def newest_epoch() -> datetime:
    return max(s.epoch for s in tle.load_catalog().sets if s.norad_id == tle.TIANGONG_NORAD_ID)


def test_outlook_json_follows_its_schema(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=50)
    result = run(
        "outlook",
        "--city",
        "Lahore",
        "--city",
        "Quetta",
        "--start",
        f"{start:%Y-%m-%d}",
        "--days",
        "20",
        "--json",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["schema"] == "tiangong-orbit/outlook/1"
    periods = document["observers"][0]["periods"]
    assert {p["period"] for p in periods} == {"evening", "morning"}
    assert any(p["possible"] for p in periods)
    assert all(p["kind"] == "window" for p in periods)


def test_outlook_json_with_another_format_is_bad_usage(tmp_path: Path) -> None:
    result = run(
        "outlook", "--city", "Lahore", "--json", "--format", "csv", "--offline", tmp_path=tmp_path
    )
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("error: --json contradicts --format csv")
    assert result.stdout == ""
    same = run(
        "outlook",
        "--city",
        "Lahore",
        "--days",
        "2",
        "--json",
        "--format",
        "json",
        "--offline",
        tmp_path=tmp_path,
    )
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["schema"] == "tiangong-orbit/outlook/1"


def test_outlook_takes_tz_like_every_command_with_places(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=50)
    result = run(
        "outlook",
        "--city",
        "Lahore",
        "--tz",
        "Europe/London",
        "--start",
        f"{start:%Y-%m-%d}",
        "--days",
        "5",
        "--offline",
        "--json",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["observers"][0]["timezone"] == "Europe/London"
    bad = run("outlook", "--city", "Lahore", "--tz", "Mars/Olympus", "--offline", tmp_path=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown time zone")


def test_outlook_csv_and_markdown(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=50)
    common = (
        "outlook",
        "--city",
        "Multan",
        "--start",
        f"{start:%Y-%m-%d}",
        "--days",
        "10",
        "--offline",
    )
    result = run(*common, "--format", "csv", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) in (20, 21, 22)
    # one name, as in the passes CSV: the display name, and the set's own as catalog_name
    assert {(row["satellite"], row["catalog_name"]) for row in rows} == {
        ("Tiangong", "CSS (TIANHE)")
    }
    for row in rows:
        if row["possible"] == "true":
            assert row["earliest_utc"].endswith("Z") and row["latest_utc"].endswith("Z")
            assert row["earliest_local"][-6:] == "+05:00"  # ISO 8601 offset, as everywhere
            local = datetime.fromisoformat(row["earliest_local"])
            utc = datetime.fromisoformat(row["earliest_utc"].replace("Z", "+00:00"))
            assert local.utcoffset() == timedelta(hours=5)
            assert abs(local - utc) < timedelta(seconds=1)
    markdown = run(*common, "--format", "markdown", tmp_path=tmp_path)
    assert markdown.returncode == 0 and "| Date | When |" in markdown.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--days", "400"), ["--days", "366"]),
        (("--days", "0"), ["--days"]),
        (("--format", "ics"), ["--format", "ics"]),
        (("--start", "yesterday"), ["--start", "yesterday"]),
        (("--city", "Atlantis"), ["atlantis"]),
        (("--satellite", "99999"), ["99999"]),
        (("--min-visible-elevation-deg", "95"), ["--min-visible-elevation-deg"]),
    ],
)
def test_outlook_bad_input_is_one_error(tmp_path: Path, args, words) -> None:
    result = run("outlook", *args, tmp_path=tmp_path)
    assert result.returncode in (2, 3), result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word.lower() in errors[0].lower()


def test_outlook_table_names_the_zone_across_a_dst_change(tmp_path: Path) -> None:
    # Madrid (40.4°N: Tiangong passes there) changes from CEST to CET on 25 Oct 2026.
    path = tmp_path / "places.csv"
    path.write_text(
        "name,latitude,longitude,elevation_m,timezone\nMadrid,40.4168,-3.7038,657,Europe/Madrid\n"
    )
    common = (
        "outlook",
        "--places",
        str(path),
        "--start",
        "2026-10-15",
        "--days",
        "21",
        "--tle",
        str(LATEST),
    )
    table = run(*common, tmp_path=tmp_path, columns=80)
    assert table.returncode == 0, table.stderr
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    document = json.loads(run(*common, "--json", tmp_path=tmp_path).stdout)
    madrid = ZoneInfo("Europe/Madrid")
    expected = set()
    for period in document["observers"][0]["periods"]:
        if not period["possible"]:
            continue
        first = datetime.fromisoformat(period["earliest"].replace("Z", "+00:00")).astimezone(madrid)
        last = datetime.fromisoformat(period["latest"].replace("Z", "+00:00")).astimezone(madrid)
        if last.second or last.microsecond:  # the table rounds the end up to the minute
            last = last.replace(second=0, microsecond=0) + timedelta(minutes=1)
        zone_name = first.tzname()
        expected.add(zone_name)
        assert f"{first:%H:%M}–{last:%H:%M} {zone_name}" in table.stdout
    assert expected == {"CEST", "CET"}


# --------------------------------------------------------------------------------------------
# Staleness: passes past the limit


def test_terminal_passes_past_the_limit_show_the_outlook(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=tle.limit_age_days() + 20)
    result = run("passes", "--city", "Lahore", "--start", f"{start:%Y-%m-%d}", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    banner = result.stdout.splitlines()[0]  # one line, however wide the terminal
    assert "too old for exact times" in banner and "tiangong-orbit tle update" in banner
    assert "±10 min" in banner
    assert "Can be seen" in result.stdout and "window" in result.stdout
    assert "error:" not in result.stderr


def test_terminal_passes_partly_past_the_limit_show_both(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=tle.limit_age_days() - 5)
    result = run(
        "passes",
        "--city",
        "Lahore",
        "--start",
        f"{start:%Y-%m-%dT%H:%M}",
        "--days",
        "10",
        tmp_path=tmp_path,
        columns=160,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    # Exact passes first (if the nights hold any), then the banner and the outlook.
    assert "Appears" in text or "no visible passes" in text
    assert text.index("too old for exact times") > text.index("NORAD 48274")
    assert "a visible pass is possible on" in text


@pytest.mark.parametrize("fmt", ["json", "ics"])
def test_files_past_the_limit_exit_3_unless_allowed(tmp_path: Path, fmt: str) -> None:
    # The window reaches past the limit only at its end: files refuse it all the same.
    start = newest_epoch() + timedelta(days=tle.limit_age_days() - 5)
    args = (
        "passes",
        "--city",
        "Lahore",
        "--start",
        f"{start:%Y-%m-%dT%H:%M}",
        "--days",
        "10",
        "--format",
        fmt,
    )
    refused = run(*args, tmp_path=tmp_path)
    assert refused.returncode == 3, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--allow-stale" in errors[0] and "±10 minutes" in errors[0]
    assert refused.stdout == ""
    allowed = run(*args, "--allow-stale", tmp_path=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "warning:" in allowed.stderr and "approximate" in allowed.stderr
    assert allowed.stdout


def test_allow_stale_keeps_exact_times_at_the_terminal(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=tle.limit_age_days() + 20)
    result = run(
        "passes",
        "--city",
        "Lahore",
        "--start",
        f"{start:%Y-%m-%d}",
        "--allow-stale",
        tmp_path=tmp_path,
        columns=160,
    )
    assert result.returncode == 0, result.stderr
    assert "too old for exact times" not in result.stdout
    assert "approximate" in result.stderr


def test_quick_start_a_year_past_the_newest_set(tmp_path: Path) -> None:
    # The Quick start's first command, offline, a year after the newest bundled set.
    start = newest_epoch() + timedelta(days=365)
    result = run("passes", "--city", "Lahore", "--start", f"{start:%Y-%m-%d}", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "too old for exact times" in result.stdout
    assert "a visible pass is possible on" in result.stdout


def test_far_past_the_horizon_is_a_plain_banner(tmp_path: Path) -> None:
    start = newest_epoch() + timedelta(days=outlook.HORIZON_DAYS + 30)
    result = run("passes", "--city", "Lahore", "--start", f"{start:%Y-%m-%d}", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "too old even for the outlook" in result.stdout
    assert "tiangong-orbit tle update" in result.stdout
    assert "Traceback" not in result.stderr


def test_outlook_settings_change_the_windows(tiangong_sets):
    # A higher elevation limit can only narrow a window, never widen it.
    lahore = [places.find_place("Lahore")]
    start = tiangong_sets[-1].epoch + timedelta(days=60)
    low = outlook.compute_outlook(tiangong_sets, 48274, lahore, start, start + timedelta(days=8))
    high = outlook.compute_outlook(
        tiangong_sets,
        48274,
        lahore,
        start,
        start + timedelta(days=8),
        Settings(min_visible_elevation_deg=40.0),
    )
    for a, b in zip(low.places[0].periods, high.places[0].periods, strict=True):
        if b.possible:
            assert a.possible and a.earliest <= b.earliest and b.latest <= a.latest
            assert b.max_elevation_deg >= 40.0


def test_a_gap_before_the_first_set_points_to_older_sets_not_an_update(tmp_path: Path) -> None:
    # Days after Tianhe's launch, months before the first bundled set (2021-12-07): no update
    # can fill that gap, so the banner does not send the reader to 'tle update'.
    result = run(
        "passes", "--city", "Lahore", "--start", "2021-05-10", "--days", "2", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    banner = result.stdout.splitlines()[0]
    assert "too far from those dates" in banner and "--tle FILE" in banner
    assert "tle update" not in banner
