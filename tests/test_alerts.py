"""Alerts: due passes, the message, the state that posts each pass once, and the `alert` command.

The core (due alerts, text, config, state) is tested in-process on hand-made passes; posting
goes to a real HTTP server on 127.0.0.1 through Apprise's ``json://`` plugin; the command runs
as a real subprocess on the bundled element set, so cron's view (exit codes, output, what the
server received) is what is checked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from httpserver import Answer, LocalHTTPServer, closed_port
from tiangong_orbit import alerts
from tiangong_orbit.errors import BusyError, UsageError
from tiangong_orbit.model import Pass, PlacePasses, Point
from tiangong_orbit.places import find_place

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "data" / "tle" / "stations_latest.tle"
EPOCH = datetime(2026, 10, 6, 16, 2, 50, tzinfo=UTC)  # Tiangong's set in stations_latest.tle

NOW = datetime(2026, 10, 7, 13, 30, tzinfo=UTC)
KARACHI = find_place("Karachi")
LAHORE = find_place("Lahore")


def make_pass(visible_start: datetime, *, visible: bool = True, magnitude: float = -0.9) -> Pass:
    """A plausible pass: rises 2 min before it appears, culminates 2 min after, sets at +6."""
    t = visible_start
    minutes = timedelta(minutes=1)
    return Pass(
        rise=Point(t - 2 * minutes, 250.0, 0.0),
        culmination=Point(t + 2 * minutes, 180.0, 30.0),
        set=Point(t + 6 * minutes, 110.0, 0.0),
        visible_start=Point(t, 247.5, 10.2) if visible else None,
        visible_peak=Point(t + 2 * minutes, 180.0, 30.0) if visible else None,
        visible_end=Point(t + 4 * minutes, 112.5, 12.0) if visible else None,
        magnitude=magnitude if visible else None,
        tle_age_days=0.9,
        uncertainty_s=1.0,
        reason=None if visible else "daylight",
    )


def make_alert(visible_start: datetime, place=KARACHI, norad_id: int = 48274) -> alerts.Alert:
    found = alerts.due_alerts(
        [PlacePasses(place, (make_pass(visible_start),))],
        now=visible_start - timedelta(minutes=10),
        lead_minutes=60,
        norad_id=norad_id,
        satellite_name="CSS (TIANHE)",
    )
    assert len(found) == 1
    return found[0]


# --------------------------------------------------------------------------------------------
# The message and which passes are due


def test_message_names_place_local_and_utc_time_directions_and_fits_an_sms() -> None:
    start = datetime(2026, 10, 7, 13, 55, 40, tzinfo=UTC)  # 18:55:40 PKT, on Wednesday
    title, body = alerts.alert_text(48274, "CSS (TIANHE)", KARACHI, make_pass(start), now=NOW)
    assert title == "Tiangong over Karachi"
    # make_pass: appears at 247.5° (WSW) 10.2°, highest 30° at 180° (S), gone at 112.5° (ESE)
    # 12° four minutes later, magnitude -0.9; the time cut to its minute (18:55:40 -> 18:55:
    # out a little early, never late).
    assert body.startswith("Tiangong visible from Karachi on Wed 7 Oct at 18:55 PKT (13:55 UTC)")
    for words in ("appears 10° above WSW", "highest 30° S", "disappears 12° above ESE",
                  "4 min", "magnitude -0.9"):  # fmt: skip
        assert words in body, body
    assert len(body) <= alerts.SMS_LENGTH
    # One sentence form, the one the tables use, with the names they use.
    from tiangong_orbit.names import display_name
    from tiangong_orbit.wording import pass_sentence

    assert body == pass_sentence(48274, "CSS (TIANHE)", "Karachi", make_pass(start), "Asia/Karachi")
    title, iss_body = alerts.alert_text(25544, "ISS (ZARYA)", KARACHI, make_pass(start), now=NOW)
    assert title == f"{display_name(25544, 'ISS (ZARYA)')} over Karachi" == "ISS over Karachi"
    assert iss_body == "ISS" + body.removeprefix("Tiangong")
    # The form never changes with the place.
    other = alerts.alert_text(48274, "CSS", LAHORE, make_pass(start), now=NOW)[1]
    assert other == body.replace("Karachi", "Lahore")


def test_message_gives_the_date_when_the_pass_is_on_another_local_day() -> None:
    start = datetime(2026, 10, 7, 23, 10, tzinfo=UTC)  # 04:10 PKT on Thursday 8 October
    _, body = alerts.alert_text(48274, "CSS", LAHORE, make_pass(start), now=NOW)
    assert "on Thu 8 Oct at 04:10 PKT (23:10 UTC)" in body
    assert len(body) <= alerts.SMS_LENGTH


def test_due_alerts_take_visible_passes_starting_in_the_lead_window_only() -> None:
    lead = 60
    times = {
        "started": NOW - timedelta(seconds=1),
        "exactly now": NOW,
        "soon": NOW + timedelta(minutes=20),
        "at the edge": NOW + timedelta(minutes=lead),
        "too late": NOW + timedelta(minutes=lead, seconds=1),
    }
    groups = [
        PlacePasses(KARACHI, tuple(make_pass(t) for t in times.values())),
        PlacePasses(LAHORE, (make_pass(times["soon"], visible=False),)),
    ]
    due = alerts.due_alerts(
        groups, now=NOW, lead_minutes=lead, norad_id=48274, satellite_name="CSS"
    )
    assert [a.visible_start for a in due] == [times["soon"], times["at the edge"]]
    assert all(a.place == KARACHI for a in due)
    start, end = alerts.search_window(NOW, lead)
    assert start < NOW and end > NOW + timedelta(minutes=lead)


# --------------------------------------------------------------------------------------------
# The configuration file


def test_config_reads_every_key_and_resolves_paths_from_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "alert.toml"
    path.write_text(
        'cities = ["Lahore", "Karachi"]\nnotify = "json://127.0.0.1:9/hook"\n'
        "lead_minutes = 30\nmin_visible_elevation_deg = 20\nsun_max_altitude_deg = -8.5\n"
        'horizon_deg = 0\nstate = "alerts.db"\ntle = "/data/x.tle"\nallow_stale = true\n'
    )
    config = alerts.read_config(path)
    assert config.cities == ("Lahore", "Karachi") and config.has_places
    assert config.notify == ("json://127.0.0.1:9/hook",)
    assert config.lead_minutes == 30
    assert config.min_visible_elevation_deg == 20.0 and config.sun_max_altitude_deg == -8.5
    assert config.state == tmp_path / "alerts.db" and config.tle == Path("/data/x.tle")
    assert config.allow_stale is True


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("lead_minutes = 'soon'", "lead_minutes"),
        ("lead_minutes = 0", "lead_minutes"),
        ("cities = 'Lahore'\nmin_elevation = 10", "min_elevation"),
        ("notify = [1, 2]", "notify"),
        ("sun_max_altitude_deg = 45", "sun_max_altitude_deg"),
        ("allow_stale = 'yes'", "allow_stale"),
        ("lat = = 3", "not valid TOML"),
    ],
)
def test_a_bad_config_is_a_usage_error_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "alert.toml"
    path.write_text(text + "\n")
    with pytest.raises(UsageError, match=key) as caught:
        alerts.read_config(path)
    assert caught.value.exit_code == 2


# --------------------------------------------------------------------------------------------
# The state: once and only once


class FakeTarget:
    """Records what it was asked to post; answers ``results`` in turn (the last repeated)."""

    def __init__(self, *results: alerts.SendResult, key: str = "fake") -> None:
        self.key = key
        self.label = f"{key}://"
        self.results = list(results) or [alerts.SendResult(True)]
        self.sent: list[tuple[str, str]] = []

    def send(self, title: str, body: str) -> alerts.SendResult:
        self.sent.append((title, body))
        return self.results[min(len(self.sent), len(self.results)) - 1]


def open_state(path: Path, now: datetime = NOW, **kwargs) -> alerts.AlertState:
    state, problems = alerts.AlertState.open(path, now=now, **kwargs)
    assert problems == ()
    return state


def test_a_pass_is_posted_once_even_when_a_fresh_set_moves_it(tmp_path: Path) -> None:
    target = FakeTarget()
    # The culmination sits 5 s before a 600 s bucket edge; the next prediction crosses it.
    edge = datetime.fromtimestamp((NOW.timestamp() // 600 + 3) * 600 + 300, UTC) - timedelta(
        seconds=5
    )
    first = make_alert(edge - timedelta(minutes=2))
    with open_state(tmp_path / "s.db") as state:
        report = alerts.deliver([first], [target], state, now=NOW)
        assert [o.status for o in report.outcomes] == ["posted"]
        for shift_s in (10, 95, -100, 290):  # later runs, each with a newer element set
            moved = make_alert(first.visible_start + timedelta(seconds=shift_s))
            report = alerts.deliver([moved], [target], state, now=NOW + timedelta(minutes=5))
            assert [o.status for o in report.outcomes] == ["already_sent"]
        # Another place, another destination, the next revolution: each posted once more.
        others = [
            make_alert(first.visible_start, place=LAHORE),
            make_alert(first.visible_start + timedelta(minutes=92)),
        ]
        report = alerts.deliver(others, [target, FakeTarget(key="other")], state, now=NOW)
        assert [o.status for o in report.outcomes] == ["posted"] * 4
        rows = state.rows()
    assert len(target.sent) == 3
    assert [row["state"] for row in rows] == ["sent"] * 5


def test_a_failed_post_is_retried_and_a_maybe_delivered_one_is_not(tmp_path: Path) -> None:
    alert = make_alert(NOW + timedelta(minutes=30))
    failing = FakeTarget(alerts.SendResult(False, detail="HTTP 500"), alerts.SendResult(True))
    timing_out = FakeTarget(
        alerts.SendResult(False, maybe_delivered=True, detail="read timeout"), key="slow"
    )
    with open_state(tmp_path / "s.db") as state:
        first = alerts.deliver([alert], [failing, timing_out], state, now=NOW)
        assert [o.status for o in first.outcomes] == ["failed", "maybe_delivered"]
        second = alerts.deliver([alert], [failing, timing_out], state, now=NOW)
        assert [o.status for o in second.outcomes] == ["posted", "unknown"]
        third = alerts.deliver([alert], [failing, timing_out], state, now=NOW, retry_unknown=True)
        assert [o.status for o in third.outcomes] == ["already_sent", "maybe_delivered"]
        rows = {row["target_key"]: row for row in state.rows()}
    assert len(failing.sent) == 2 and len(timing_out.sent) == 2
    assert rows["fake"]["state"] == "sent" and rows["fake"]["attempts"] == 2
    assert rows["slow"]["state"] == "unknown" and rows["slow"]["error"] == "read timeout"


def another_process() -> subprocess.Popen[bytes]:
    """A real process that stays alive until killed: the "other run" of the liveness tests."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def identity_of(process: subprocess.Popen[bytes]) -> alerts.RunIdentity:
    from tiangong_orbit.alerts.state import _process_started

    started = _process_started(process.pid)
    assert started is not None
    return alerts.RunIdentity(alerts.RunIdentity.current().host, process.pid, started)


def test_a_row_left_sending_is_left_to_its_live_run_then_reported_once_never_reposted(
    tmp_path: Path,
) -> None:
    """Liveness, not age: the row of a run that still runs is never taken over, however old by
    the clocks (``--now`` may differ by hours); once that process is gone it is reported once
    as interrupted and not posted again (it may have been delivered)."""
    alert = make_alert(NOW + timedelta(minutes=45))
    path = tmp_path / "s.db"
    other = another_process()
    try:
        state, _ = alerts.AlertState.open(path, now=NOW)
        state.identity = identity_of(other)
        with state, state.transaction():
            assert state.claim(alert, "fake", "fake://", now=NOW).decision == "post"
        target = FakeTarget()
        with open_state(path) as mine:
            much_later = NOW + timedelta(seconds=alerts.SENDING_STALE_S * 10)
            live = alerts.deliver([alert], [target], mine, now=much_later)
            assert [o.status for o in live.outcomes] == ["in_progress"]
            # Killed and not yet reaped (a zombie, as under a parent that never waits): gone.
            other.kill()
            from tiangong_orbit.alerts.state import _process_started

            deadline = time.monotonic() + 10
            while _process_started(other.pid) is not None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert Path(f"/proc/{other.pid}").exists()  # still there, as a zombie
            dead = alerts.deliver([alert], [target], mine, now=NOW + timedelta(minutes=1))
            again = alerts.deliver([alert], [target], mine, now=NOW + timedelta(minutes=2))
            forced = alerts.deliver([alert], [target], mine, now=NOW, retry_unknown=True)
    finally:
        other.kill()
        other.wait(10)
    assert [o.status for o in dead.outcomes] == ["interrupted"]
    assert dead.outcomes[0].since == NOW
    assert [o.status for o in again.outcomes] == ["unknown"]
    assert [o.status for o in forced.outcomes] == ["posted"]
    assert len(target.sent) == 1


def test_a_pid_reused_by_another_process_is_not_the_claiming_run(tmp_path: Path) -> None:
    """Same pid, another start time: the claiming process is gone (pid reuse, a reboot)."""
    alert = make_alert(NOW + timedelta(minutes=45))
    path = tmp_path / "s.db"
    state, _ = alerts.AlertState.open(path, now=NOW)
    me = alerts.RunIdentity.current()
    state.identity = alerts.RunIdentity(me.host, me.pid, me.started + "0")
    with state, state.transaction():
        assert state.claim(alert, "fake", "fake://", now=NOW).decision == "post"
    with open_state(path) as mine:
        report = alerts.deliver([alert], [FakeTarget()], mine, now=NOW)
    assert [o.status for o in report.outcomes] == ["interrupted"]


def test_a_claim_of_another_machine_is_judged_by_the_real_clock(tmp_path: Path) -> None:
    alert = make_alert(NOW + timedelta(minutes=45))
    path = tmp_path / "s.db"
    wall = [1_000_000.0]
    state, _ = alerts.AlertState.open(path, now=NOW)
    state.identity = alerts.RunIdentity("another-host.example", 4242, "boot:1")
    state.wall_clock = lambda: wall[0]
    with state, state.transaction():
        assert state.claim(alert, "fake", "fake://", now=NOW).decision == "post"
    with open_state(path) as mine:
        mine.wall_clock = lambda: wall[0]
        # --now hours later changes nothing: only the real clock counts.
        late = alerts.deliver([alert], [FakeTarget()], mine, now=NOW + timedelta(hours=5))
        wall[0] += alerts.SENDING_STALE_S + 1
        stale = alerts.deliver([alert], [FakeTarget()], mine, now=NOW)
    assert [o.status for o in late.outcomes] == ["in_progress"]
    assert [o.status for o in stale.outcomes] == ["interrupted"]


def test_old_rows_are_pruned(tmp_path: Path) -> None:
    target = FakeTarget()
    with open_state(tmp_path / "s.db") as state:
        alerts.deliver([make_alert(NOW + timedelta(minutes=30))], [target], state, now=NOW)
        report = alerts.deliver([], [target], state, now=NOW + timedelta(days=29))
        assert report.pruned == 0 and len(state.rows()) == 1
        report = alerts.deliver([], [target], state, now=NOW + timedelta(days=31))
        assert report.pruned == 1 and state.rows() == []


def test_a_second_run_waits_for_the_lock_then_gives_up_with_busy(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_state(path) as first, first.transaction():
        started = time.monotonic()
        with pytest.raises(BusyError, match="nothing was done") as caught:
            alerts.AlertState.open(path, now=NOW, lock_timeout_s=0.3)
        assert caught.value.exit_code == 5
        assert time.monotonic() - started >= 0.25
    with open_state(path, lock_timeout_s=0.3) as second:  # released: fine again
        assert second.rows() == []


@pytest.mark.parametrize(
    "content",
    [
        b"this is my shopping list, not a database\n",
        os.urandom(8192),
        b"SQLite format 3\x00" + os.urandom(4080),
    ],
    ids=["text", "random bytes", "damaged header"],
)
def test_a_corrupt_state_is_moved_aside_and_started_afresh(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "alerts.sqlite3"
    path.write_bytes(content)
    state, problems = alerts.AlertState.open(path, now=NOW)
    with state:
        assert state.rows() == []
    moved = tmp_path / "alerts.sqlite3.corrupt-20261007T133000Z"
    assert len(problems) == 1 and "moved aside" in problems[0] and str(moved) in problems[0]
    assert moved.read_bytes() == content  # kept for inspection, byte for byte
    # A second corruption at the same second gets its own name.
    path.write_bytes(b"garbage again")
    alerts.AlertState.open(path, now=NOW)[0].close()
    assert (tmp_path / "alerts.sqlite3.corrupt-20261007T133000Z-2").exists()


def test_a_database_of_another_program_is_refused_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE photos (id INTEGER)")
    connection.close()
    with pytest.raises(UsageError, match="another program"):
        alerts.AlertState.open(path, now=NOW)
    assert path.exists()


KILLED_WRITER = r"""
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA cache_size = 4")  # spill to the database file mid-transaction
connection.execute("BEGIN IMMEDIATE")
connection.execute("DELETE FROM alerts")
connection.execute("CREATE TABLE junk (data BLOB)")
for _ in range(400):
    connection.execute("INSERT INTO junk VALUES (zeroblob(4000))")
print("ready", flush=True)
time.sleep(120)
"""


def kill_mid_transaction(path: Path) -> None:
    """Run a writer that deletes every row and bloats the file, and SIGKILL it mid-transaction."""
    size_before = path.stat().st_size
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        # Half-written for real: pages of the open transaction are in the file, the hot
        # journal beside it holds the originals.
        assert path.stat().st_size > size_before
        assert Path(str(path) + "-journal").exists()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL


def test_a_process_killed_mid_write_leaves_a_usable_consistent_state(tmp_path: Path) -> None:
    path = tmp_path / "alerts.sqlite3"
    alert = make_alert(NOW + timedelta(minutes=30))
    target = FakeTarget()
    with open_state(path) as state:
        alerts.deliver([alert], [target], state, now=NOW)
    kill_mid_transaction(path)
    with open_state(path) as state:  # no "corrupt" warning: the journal rolled it back
        report = alerts.deliver([alert], [target], state, now=NOW)
        tables = {
            row[0]
            for row in state._connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
    assert [o.status for o in report.outcomes] == ["already_sent"]
    assert len(target.sent) == 1 and "junk" not in tables
    assert not list(tmp_path.glob("*.corrupt-*"))


# --------------------------------------------------------------------------------------------
# Posting with Apprise to a real server on 127.0.0.1


@pytest.fixture
def server():
    with LocalHTTPServer() as running:
        yield running


def test_apprise_json_post_reaches_the_server_with_title_and_body(server: LocalHTTPServer) -> None:
    server.add("/hook", Answer(200, b"{}", content_type="application/json"))
    target = alerts.AppriseTarget(f"json://127.0.0.1:{server.port}/hook")
    assert target.label == f"json://127.0.0.1:{server.port}/hook"
    assert target.key.startswith("apprise:") and "127.0.0.1" not in target.key
    assert target.send("Tiangong over Lahore", "visible at 18:55 PKT").ok
    (request,) = server.requests
    payload = json.loads(request.body)
    assert payload["title"] == "Tiangong over Lahore"
    assert payload["message"] == "visible at 18:55 PKT"


def test_apprise_failures_are_classified(server: LocalHTTPServer) -> None:
    server.add("/500", Answer(500, b"boom"))
    server.add("/slow", Answer(200, b"{}", delay_s=5.0))
    failed = alerts.AppriseTarget(f"json://127.0.0.1:{server.port}/500").send("t", "b")
    assert not failed.ok and not failed.maybe_delivered and "500" in failed.detail
    refused = alerts.AppriseTarget(f"json://127.0.0.1:{closed_port()}/x").send("t", "b")
    assert not refused.ok and not refused.maybe_delivered
    slow = alerts.AppriseTarget(f"json://127.0.0.1:{server.port}/slow?rto=0.5").send("t", "b")
    assert not slow.ok and slow.maybe_delivered  # the request went out: maybe delivered


@pytest.mark.parametrize("url", ["nosuchservice://abc", "json://", "just words"])
def test_an_invalid_apprise_url_is_a_usage_error_naming_it(url: str) -> None:
    with pytest.raises(UsageError, match="not a valid Apprise URL") as caught:
        alerts.AppriseTarget(url)
    assert url in str(caught.value)


# --------------------------------------------------------------------------------------------
# The command, as cron runs it

# Tiangong appears over Lahore at 2026-10-08T23:44:20Z (04:44 PKT on 9 October), 13° above
# NNW, highest 14° N, gone 10° above NE (set of 2026-10-06, 2.3 days old): Islamabad sees the
# same pass higher (20°). PASS_NOW is 29 minutes before it.
PASS_NOW = datetime(2026, 10, 8, 23, 15, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def cli(tmp_path: Path, *args: str, now: datetime = PASS_NOW, state: str = "alerts.sqlite3"):
    """The command line of one cron run (bundled set, a state file in tmp_path)."""
    return [
        sys.executable,
        "-m",
        "tiangong_orbit",
        "alert",
        "--tle",
        str(LATEST),
        "--now",
        iso(now),
        "--state",
        str(tmp_path / state),
        *args,
    ]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "TIANGONG_ORBIT_CACHE_DIR": str(tmp_path / "cache"),
        "TIANGONG_ORBIT_STATE_DIR": str(tmp_path / "state-dir"),
        "NO_COLOR": "1",
    }
    env.pop("TIANGONG_ORBIT_DEBUG", None)
    return env


def run(tmp_path: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(tmp_path, *args, **kwargs),
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )


def check(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for line in result.stderr.splitlines():
        assert line.startswith(("warning: ", "error: ")), result.stderr


def hook(server: LocalHTTPServer, path: str = "/hook", *, query: str = "") -> str:
    return f"json://127.0.0.1:{server.port}{path}{query}"


def posted(server: LocalHTTPServer, path: str = "/hook") -> list[dict[str, str]]:
    return [json.loads(r.body) for r in server.requests if r.path_only == path]


def test_cli_reruns_post_once_with_place_local_and_utc_times_and_directions(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    first = run(tmp_path, "--notify", hook(server))
    check(first)
    assert first.stderr == ""
    (payload,) = posted(server)
    assert payload["title"] == "Tiangong over Lahore"
    message = payload["message"]
    for words in (
        "Tiangong",
        "Lahore",
        "04:44 PKT",
        "(23:44 UTC)",
        "appears 13° above NNW",
        "highest 14° N",
        "on Fri 9 Oct",
        "disappears 10° above NE",
    ):
        assert words in message, message
    assert len(message) <= 160
    assert f"posted to {hook(server)}: {message}" in first.stdout
    for later in (PASS_NOW, PASS_NOW + timedelta(minutes=10)):
        again = run(tmp_path, "--notify", hook(server), now=later)
        check(again)
        assert "already posted" in again.stdout
    assert len(server.requests) == 1


def test_cli_a_failed_post_exits_4_and_the_next_run_posts_exactly_once(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", [Answer(500, b"oops"), Answer(200, b"{}")])
    failed = run(tmp_path, "--notify", hook(server))
    check(failed, 4)
    (error,) = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert "failed" in error and "next run" in error
    assert "500" in failed.stderr
    for _ in range(2):
        check(run(tmp_path, "--notify", hook(server), now=PASS_NOW + timedelta(minutes=5)))
    assert [r.path for r in server.requests] == ["/hook", "/hook"]  # the 500, then one 200


def test_cli_two_runs_started_together_post_once(tmp_path: Path, server: LocalHTTPServer) -> None:
    server.add("/hook", Answer(200, b"{}", delay_s=1.0))  # a slow endpoint: the runs overlap
    runs = [
        subprocess.Popen(
            cli(tmp_path, "--notify", hook(server)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(tmp_path),
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    assert len(server.requests) == 1
    said = " ".join(out for out, _ in outputs)
    assert said.count("posted to") - said.count("already posted to") == 1
    assert "another run is posting" in said or "already posted" in said


@pytest.mark.parametrize(
    "content", [b"alerts, please\n", os.urandom(4096)], ids=["text", "random bytes"]
)
def test_cli_a_corrupt_state_is_moved_aside_and_the_run_succeeds(
    tmp_path: Path, server: LocalHTTPServer, content: bytes
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    (tmp_path / "alerts.sqlite3").write_bytes(content)
    result = run(tmp_path, "--notify", hook(server))
    check(result)
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: the alert state") and "moved aside" in warning
    (moved,) = tmp_path.glob("alerts.sqlite3.corrupt-*")
    assert moved.read_bytes() == content and str(moved) in warning
    assert len(server.requests) == 1
    check(run(tmp_path, "--notify", hook(server)))  # the fresh state works
    assert len(server.requests) == 1


def test_cli_a_process_killed_mid_write_leaves_a_usable_state(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    check(run(tmp_path, "--notify", hook(server)))
    kill_mid_transaction(tmp_path / "alerts.sqlite3")
    after = run(tmp_path, "--notify", hook(server))
    check(after)
    assert after.stderr == "" and "already posted" in after.stdout
    assert len(server.requests) == 1


def test_cli_a_run_killed_while_posting_is_reported_not_reposted(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}", delay_s=30.0))  # the answer never comes in time
    url = hook(server, query="?rto=60")
    doomed = subprocess.Popen(
        cli(tmp_path, "--notify", url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert server.wait_for_requests(1, timeout_s=30)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    server.add("/hook", Answer(200, b"{}"))
    later = PASS_NOW + timedelta(minutes=11)
    reported = run(tmp_path, "--notify", url, now=later)
    check(reported)
    assert "was interrupted" in reported.stderr and "--retry-unknown" in reported.stderr
    quiet = run(tmp_path, "--notify", url, "--quiet", now=later)  # reported once only
    check(quiet)
    assert quiet.stdout == quiet.stderr == ""
    assert len(server.requests) == 1
    forced = run(tmp_path, "--notify", url, "--retry-unknown", now=later)
    check(forced)
    assert "posted to" in forced.stdout and len(server.requests) == 2


def test_cli_dry_run_posts_nothing_and_records_nothing(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    result = run(tmp_path, "--notify", hook(server), "--dry-run")
    check(result)
    assert "visible from Lahore on Fri 9 Oct at 04:44 PKT (23:44 UTC)" in result.stdout
    assert "dry run" in result.stdout
    assert server.requests == []
    assert not (tmp_path / "alerts.sqlite3").exists()


def test_cli_quiet_prints_nothing_on_success(tmp_path: Path, server: LocalHTTPServer) -> None:
    server.add("/hook", Answer(200, b"{}"))
    for now in (PASS_NOW - timedelta(hours=3), PASS_NOW, PASS_NOW + timedelta(minutes=5)):
        result = run(tmp_path, "--notify", hook(server), "--quiet", now=now)
        check(result)
        assert result.stdout == result.stderr == ""
    assert len(server.requests) == 1


def test_cli_without_notify_prints_the_alert_once(tmp_path: Path) -> None:
    """Without --notify, stdout is the destination (cron mails it): even --quiet prints the
    alert itself, once."""
    first = run(tmp_path, "--quiet")
    check(first)
    assert first.stdout.startswith("Tiangong visible from Lahore on Fri 9 Oct at 04:44 PKT")
    second = run(tmp_path, "--quiet")
    check(second)
    assert second.stdout == ""


def test_cli_config_file_works_and_options_override_it(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/cfg", Answer(200, b"{}"))
    server.add("/cli", Answer(200, b"{}"))
    folder = tmp_path / "etc"
    folder.mkdir()
    config = folder / "alert.toml"
    config.write_text(
        "# Lahore's pass peaks at 14°: not visible above 15°\n"
        f'cities = ["Lahore"]\nnotify = ["{hook(server, "/cfg")}"]\nlead_minutes = 60\n'
        'min_visible_elevation_deg = 15\nstate = "alerts.db"\n'
    )
    command = ["--config", str(config)]

    def run_config(*args: str) -> subprocess.CompletedProcess[str]:
        line = cli(tmp_path, *command, *args)
        state_at = line.index("--state")
        del line[state_at : state_at + 2]  # the config says where the state is
        return subprocess.run(
            line,
            capture_output=True,
            text=True,
            env=environment(tmp_path),
            cwd=tmp_path,
            timeout=60,
        )

    nothing = run_config()
    check(nothing)
    assert "nothing to alert" in nothing.stdout and server.requests == []
    lower = run_config("--min-visible-elevation-deg", "10")
    check(lower)
    assert [p["title"] for p in posted(server, "/cfg")] == ["Tiangong over Lahore"]
    assert (folder / "alerts.db").exists()  # relative to the config file
    other = run_config("--city", "Islamabad", "--notify", hook(server, "/cli"))
    check(other)
    assert [p["title"] for p in posted(server, "/cli")] == ["Tiangong over Islamabad"]
    assert len(posted(server, "/cfg")) == 1
    config.write_text(config.read_text() + "lead_time = 30\n")
    bad = run_config()
    check(bad, 2)
    assert "'lead_time'" in bad.stderr and str(config) in bad.stderr


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "--notify", "telegram-please://me")
    check(result, 2)
    assert "telegram-please://me" in result.stderr and "not a valid Apprise URL" in result.stderr
    assert not (tmp_path / "alerts.sqlite3").exists()


def test_cli_no_alert_from_an_element_set_older_than_7_days(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    result = run(tmp_path, "--notify", hook(server), now=EPOCH + timedelta(days=9))
    check(result)
    assert "too old to alert on" in result.stderr and "--allow-stale" in result.stderr
    assert "nothing to alert" in result.stdout
    assert server.requests == [] and not (tmp_path / "alerts.sqlite3").exists()
    stale = run(tmp_path, "--notify", hook(server), now=EPOCH + timedelta(days=15))
    check(stale, 3)


def test_cli_a_run_that_cannot_get_the_state_exits_5(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    with open_state(tmp_path / "alerts.sqlite3") as other, other.transaction():
        result = run(tmp_path, "--notify", hook(server), "--lock-timeout-s", "0.5")
    check(result, 5)
    assert "another tiangong-orbit alert run holds the state" in result.stderr
    assert server.requests == []


# --------------------------------------------------------------------------------------------
# Secrets, destinations, and how a post that went wrong is classified


@pytest.mark.parametrize(
    ("url", "secret", "kept"),
    [
        ("json://user:S3cretPW@127.0.0.1:notaport/x", "S3cretPW", "json://user:****@127.0.0.1"),
        ("ntfy://ntfy.sh/my-secret-tiangong-topic", "secret-tiangong", "ntfy://ntfy.sh/"),
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345", "AAHdqTcvCH1v", "tgram://"),
        ("https://hooks.example.org/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
         "XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.example.org/services/"),
        ("json://127.0.0.1/x?token=abc123&rto=3", "abc123", "rto=3"),
        ("not a url at all: json://u:pw@h", "pw@", "json://u:****@h"),
    ],
)  # fmt: skip
def test_secrets_are_masked_in_any_url_valid_or_not(url: str, secret: str, kept: str) -> None:
    from tiangong_orbit.alerts.masking import mask_text, mask_url

    masked = mask_text(url)
    assert secret not in masked and kept in masked
    assert mask_url(mask_url(url.split(": ")[-1])) == mask_url(url.split(": ")[-1])
    assert mask_url("json://127.0.0.1:8080/hook") == "json://127.0.0.1:8080/hook"


def test_one_destination_has_one_key_whatever_its_spelling() -> None:
    def key(url: str) -> str:
        return alerts.AppriseTarget(url).key

    same = [
        "json://127.0.0.1:8000/hook",
        "JSON://127.0.0.1:8000//hook",
        "json://127.0.0.1:8000/hook?rto=9&cto=2",
        " json://127.0.0.1:8000/hook ",
    ]
    assert len({key(url) for url in same}) == 1
    others = [
        "json://127.0.0.1:8001/hook",
        "json://127.0.0.1:8000/hook2",
        "xml://127.0.0.1:8000/hook",
    ]
    assert len({key(url) for url in [same[0], *others]}) == 4
    assert key("json://127.0.0.1/hook") == key("json://127.0.0.1:80/hook")  # the default port
    assert "8000" not in key(same[0])  # a hash, never the URL in clear


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_a_connection_dropped_after_the_request_may_have_delivered_it(
    server: LocalHTTPServer, how: str
) -> None:
    server.add("/drop", Answer(drop=how))
    result = alerts.AppriseTarget(f"json://127.0.0.1:{server.port}/drop").send("t", "b")
    assert not result.ok and result.maybe_delivered
    assert len(server.requests) == 1 and json.loads(server.requests[0].body)["message"] == "b"


def test_a_multi_line_warning_is_printed_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from tiangong_orbit.cli.app import warn

    warn("the alert state x is damaged (row 3 missing from index a\nrow 4 missing from index a)")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: the alert state x")


@pytest.mark.parametrize(
    "args",
    [
        ["passes", "--start", ""],
        ["passes", "--start", "   "],
        ["alert", "--now", ""],
        ["altitude", "--at", ""],
        ["altitude", "--format", "csv", "--from", ""],
        ["altitude", "--format", "csv", "--to", ""],
        ["chart", "sky", "--start", "", "--output", "x.png"],
        ["chart", "altitude", "--at", "", "--output", "x.png"],
        ["history", "--from", ""],
    ],
)
def test_an_empty_time_option_is_exit_2_for_every_command(
    args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch
) -> None:
    from tiangong_orbit.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(args)
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    (line,) = err.splitlines()
    assert line.startswith("error: ") and "empty" in line
    assert not list(tmp_path.iterdir())  # nothing was written


def test_a_huge_config_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    from tiangong_orbit.alerts.config import MAX_CONFIG_BYTES

    path = tmp_path / "alert.toml"
    path.write_text("# " + "x" * MAX_CONFIG_BYTES + "\ncities = ['Lahore']\n")
    with pytest.raises(UsageError, match="larger than"):
        alerts.read_config(path)


def test_a_state_of_the_previous_version_is_upgraded_in_place(tmp_path: Path) -> None:
    """A version-1 file (no liveness columns) keeps its rows; its ``sending`` rows, whose
    process is unknown, are judged by their age as before."""
    from tiangong_orbit.alerts import state as state_module

    version_1 = "\n".join(
        line
        for line in state_module._SCHEMA.splitlines()
        if not line.strip().startswith(("owner_host", "owner_pid", "owner_started", "claimed_wall"))
    )
    sent = make_alert(NOW + timedelta(minutes=30))
    stuck = make_alert(NOW + timedelta(minutes=40), place=LAHORE)
    path = tmp_path / "alerts.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.executescript(version_1)
        for alert, row_state in ((sent, "sent"), (stuck, "sending")):
            connection.execute(
                "INSERT INTO alerts (norad_id, place_key, target_key, pass_bucket, "
                "pass_time_unix, visible_start_unix, state, owner, claimed_unix, updated_unix, "
                "target_label, title, body) VALUES (?, ?, 'fake', ?, ?, ?, ?, 'old', ?, ?, "
                "'fake://', ?, ?)",
                (alert.norad_id, alert.place_key, round(alert.pass_time.timestamp() / 600) * 600,
                 alert.pass_time.timestamp(), alert.visible_start.timestamp(), row_state,
                 NOW.timestamp(), NOW.timestamp(), alert.title, alert.body),
            )  # fmt: skip
        connection.execute(f"PRAGMA application_id = {state_module._APPLICATION_ID}")
        connection.execute("PRAGMA user_version = 1")
        connection.commit()
    target = FakeTarget()
    with open_state(path) as state:
        soon = alerts.deliver([sent, stuck], [target], state, now=NOW + timedelta(minutes=1))
        late = NOW + timedelta(seconds=alerts.SENDING_STALE_S + 60)
        later = alerts.deliver([stuck], [target], state, now=late)
        version = state._connection.execute("PRAGMA user_version").fetchone()[0]
    assert [o.status for o in soon.outcomes] == ["already_sent", "in_progress"]
    assert [o.status for o in later.outcomes] == ["interrupted"]
    assert version == 2 and target.sent == []
