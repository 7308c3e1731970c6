"""`alert` under faults: kills, signals, a full disk, closed and full stdout, hostile webhooks.

Every case runs the command as a real subprocess against a real HTTP server on 127.0.0.1 and
a real SQLite state, and checks what cron cares about: each alert reaches its destination
once (no duplicate, none lost), the exit code is a documented one (never 1), and stderr holds
only ``warning:``/``error:`` lines. Cases that need a small file system of their own (a full
disk, a read-only folder) mount a tmpfs and are skipped, saying so, where mounting is not
allowed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from httpserver import Answer, LocalHTTPServer, RecordedRequest
from test_alerts import LATEST, PASS_NOW, check, cli, environment, hook, posted, run

#: Places that all see the pass of PASS_NOW (Tiangong appears over Lahore at 23:44 UTC).
FOUR_PLACES = ("Lahore", "Islamabad", "Rawalpindi", "Peshawar")


@pytest.fixture
def server():
    with LocalHTTPServer() as running:
        yield running


def places_args(places: tuple[str, ...] = FOUR_PLACES) -> list[str]:
    return [arg for place in places for arg in ("--city", place)]


def titles(server: LocalHTTPServer, path: str = "/hook") -> Counter[str]:
    """How many times each alert (by its title, "Tiangong over X") reached the server."""
    return Counter(payload["title"] for payload in posted(server, path))


def rows(state: Path) -> list[tuple[str, str]]:
    """(place, row state) of every row of a state file, read with plain sqlite3."""
    with contextlib.closing(sqlite3.connect(state)) as connection:
        found = connection.execute("SELECT place_key, state FROM alerts ORDER BY id").fetchall()
    return [(place.split("@")[0], row_state) for place, row_state in found]


def start(tmp_path: Path, *args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli(tmp_path, *args, **kwargs),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(tmp_path),
        cwd=tmp_path,
    )


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (skips the test where mounting is refused)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


# --------------------------------------------------------------------------------------------
# Alerts lost or posted twice


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_signal_during_a_post_finishes_it_and_leaves_the_rest_due(
    tmp_path: Path, server: LocalHTTPServer, signal_number: int
) -> None:
    server.add("/hook", [Answer(200, b"{}", delay_s=1.5), Answer(200, b"{}")])
    running = start(tmp_path, "--notify", hook(server), *places_args())
    assert server.wait_for_requests(1, timeout_s=60)
    running.send_signal(signal_number)
    stopped = finish(running)
    check(stopped, 128 + signal_number)
    assert "not tried and stay due" in stopped.stderr
    # The post under way was finished and recorded; nothing else was claimed.
    ((place, state),) = rows(tmp_path / "alerts.sqlite3")
    assert state == "sent" and posted(server)[0]["title"] == f"Tiangong over {place}"
    check(run(tmp_path, "--notify", hook(server), *places_args()))
    assert titles(server) == {f"Tiangong over {place}": 1 for place in FOUR_PLACES}


def test_a_run_killed_mid_post_leaves_one_unknown_and_the_rest_due(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", [Answer(200, b"{}", delay_s=30.0), Answer(200, b"{}")])
    running = start(tmp_path, "--notify", hook(server), *places_args())
    try:
        assert server.wait_for_requests(1, timeout_s=60)
    finally:
        running.kill()
        finish(running)
    later = run(tmp_path, "--notify", hook(server), *places_args())
    check(later)
    # Only the alert whose post had started is "may have been delivered"; three are posted.
    (warning,) = later.stderr.splitlines()
    first_title = posted(server)[0]["title"]
    assert first_title in warning and "was interrupted" in warning
    assert titles(server) == {f"Tiangong over {place}": 1 for place in FOUR_PLACES}
    assert sorted(state for _, state in rows(tmp_path / "alerts.sqlite3")) == [
        "sent",
        "sent",
        "sent",
        "unknown",
    ]


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_a_webhook_that_takes_the_request_then_drops_the_connection_is_not_posted_again(
    tmp_path: Path, server: LocalHTTPServer, how: str
) -> None:
    server.add("/hook", Answer(drop=how))
    first = run(tmp_path, "--notify", hook(server))
    check(first, 4)
    assert "may have been delivered" in first.stderr and "--retry-unknown" in first.stderr
    again = run(tmp_path, "--notify", hook(server), now=PASS_NOW + timedelta(minutes=10))
    check(again)
    assert "not posted again" in again.stdout
    assert len(server.requests) == 1
    assert rows(tmp_path / "alerts.sqlite3") == [("Lahore", "unknown")]


def test_a_slow_run_is_not_declared_interrupted_by_a_later_one(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    """Run 1 (--now 23:10) still posts to a slow endpoint when run 2 (--now 23:21, eleven
    minutes later by its clock) starts: run 2 leaves run 1's post alone, posts only what
    nobody claimed, and run 1 records its successes."""
    server.add("/hook", Answer(200, b"{}", delay_s=1.0))
    first = start(
        tmp_path, "--notify", hook(server), *places_args(), now=PASS_NOW.replace(minute=10)
    )
    assert server.wait_for_requests(1, timeout_s=60)
    second = run(
        tmp_path, "--notify", hook(server), *places_args(), now=PASS_NOW.replace(minute=21)
    )
    first_done = finish(first)
    check(first_done)
    check(second)
    said = first_done.stdout + first_done.stderr + second.stdout + second.stderr
    assert "interrupted" not in said and "unknown" not in said
    assert "another run is posting" in second.stdout
    assert titles(server) == {f"Tiangong over {place}": 1 for place in FOUR_PLACES}
    assert {state for _, state in rows(tmp_path / "alerts.sqlite3")} == {"sent"}


def test_a_full_disk_mid_run_loses_no_alert(tmp_path: Path, server: LocalHTTPServer) -> None:
    with tmpfs(tmp_path / "small", "64k") as disk:
        filler = disk / "filler"
        filled: list[bool] = []

        def fill_the_disk_then_answer(request: RecordedRequest) -> Answer:
            # While the first post is in flight, the disk fills up (once).
            if not filled:
                filled.append(True)
                # Unbuffered: the write that fails is the last, and closing has nothing left.
                with filler.open("wb", buffering=0) as stream, contextlib.suppress(OSError):
                    while True:
                        stream.write(b"\0" * 4096)
            return Answer(200, b"{}")

        server.add("/hook", fill_the_disk_then_answer)
        state = "small/alerts.sqlite3"
        full = run(tmp_path, "--notify", hook(server), *places_args(FOUR_PLACES[:3]), state=state)
        check(full, 2)
        assert "disk is full" in full.stderr or "disk reported an error" in full.stderr
        assert len(server.requests) == 1  # it stopped: nothing claimed that it did not try
        filler.unlink()
        after = run(tmp_path, "--notify", hook(server), *places_args(FOUR_PLACES[:3]), state=state)
        check(after)
    # The first was delivered (reported once as interrupted: it may have been); none lost.
    assert titles(server) == {f"Tiangong over {place}": 1 for place in FOUR_PLACES[:3]}


def test_stdout_read_by_head_1_prints_every_alert_once_over_the_runs(tmp_path: Path) -> None:
    """``alert --city all | head -1``: the reader goes away after one line. What could not be
    written stays due (never "sending"), the run exits 4, and the next run prints the rest."""
    now = PASS_NOW.replace(day=7, hour=0, minute=0)  # 250 places see a pass at 00:04 UTC
    reader = start(tmp_path, "--city", "all", now=now)
    assert reader.stdout is not None
    first_line = reader.stdout.readline()
    reader.stdout.close()  # like head -1 exiting
    _, err = reader.communicate(timeout=120)
    reader.stderr.close()  # type: ignore[union-attr]
    result = subprocess.CompletedProcess(reader.args, reader.returncode, "", err)
    check(result, 4)
    assert first_line.startswith("Tiangong visible from ")
    assert "Broken pipe" in err and "stay due" in err
    states = Counter(state for _, state in rows(tmp_path / "alerts.sqlite3"))
    assert set(states) <= {"sent", "failed"} and states["failed"] == 1
    second = run(tmp_path, "--city", "all", "--quiet", now=now)
    check(second)
    printed = second.stdout.splitlines()
    final = rows(tmp_path / "alerts.sqlite3")
    assert {state for _, state in final} == {"sent"} and len(final) > 200
    # Each alert written once over the two runs: what run 1 wrote, run 2 does not repeat.
    assert len(set(printed)) == len(printed) == len(final) - states["sent"]
    assert first_line.rstrip("\n") not in printed


@pytest.mark.parametrize("stdout", ["closed", "/dev/full"])
def test_an_alert_that_cannot_be_written_to_stdout_is_not_sent(tmp_path: Path, stdout: str) -> None:
    line = cli(tmp_path)
    if stdout == "closed":
        result = subprocess.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", *line],
            capture_output=False,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(tmp_path),
            cwd=tmp_path,
            timeout=60,
        )
    else:
        with open("/dev/full", "w") as full:
            result = subprocess.run(
                line,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env=environment(tmp_path),
                cwd=tmp_path,
                timeout=60,
            )
    check(result, 4)
    assert "cannot write to stdout" in result.stderr
    assert rows(tmp_path / "alerts.sqlite3") == [("Lahore", "failed")]
    again = run(tmp_path)
    check(again)
    assert again.stdout.startswith("Tiangong visible from Lahore")


def test_one_destination_spelled_twice_is_posted_once(
    tmp_path: Path, server: LocalHTTPServer
) -> None:
    server.add("/hook", Answer(200, b"{}"))
    port = server.port
    spellings = [
        f"json://127.0.0.1:{port}/hook",
        f"JSON://127.0.0.1:{port}//hook?rto=5&cto=2",
        f"json://127.0.0.1:{port}/hook",
    ]
    first = run(tmp_path, *(arg for url in spellings[:2] for arg in ("--notify", url)))
    check(first)
    assert "another run" not in first.stdout + first.stderr
    again = run(tmp_path, "--notify", spellings[2])
    check(again)
    assert "already posted" in again.stdout
    assert len(server.requests) == 1


# --------------------------------------------------------------------------------------------
# Documented exit codes, never 1


def test_a_read_only_state_folder_is_exit_2(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m") as folder:
        (folder / "damaged.sqlite3").write_bytes(b"not a database")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        for name in ("alerts.sqlite3", "damaged.sqlite3", "sub/alerts.sqlite3"):
            result = run(tmp_path, state=f"ro/{name}")
            check(result, 2)
            (error,) = result.stderr.splitlines()
            assert "--state" in error and ("read-only" in error.lower() or "cannot" in error)


def test_a_lock_path_that_is_a_directory_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "alerts.sqlite3").write_bytes(b"damaged")
    (tmp_path / "alerts.sqlite3.lock").mkdir()
    result = run(tmp_path)
    check(result, 2)
    assert "alerts.sqlite3.lock" in result.stderr and "Is a directory" in result.stderr


def test_an_endless_config_file_is_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "--config", "/dev/urandom")
    check(result, 2)
    assert "/dev/urandom" in result.stderr and "TOML" in result.stderr


@pytest.mark.parametrize("option", ["--state", "--output"])
def test_a_file_name_too_long_is_exit_2(tmp_path: Path, option: str) -> None:
    name = "x" * 300 + ".out"
    if option == "--state":
        result = run(tmp_path, "--state", name)
    else:
        result = subprocess.run(
            [sys.executable, "-m", "tiangong_orbit", "passes", "--tle", str(LATEST),
             "--start", "2026-10-07", "--format", "csv", "--output", name],
            capture_output=True,
            text=True,
            env=environment(tmp_path),
            cwd=tmp_path,
            timeout=60,
        )  # fmt: skip
    check(result, 2)
    (error,) = result.stderr.splitlines()
    assert "too long" in error and len(error) < 300


COMMANDS = {
    "passes": ["passes", "--start", "2026-10-07", "--json"],
    "cities": ["cities"],
    "help": ["passes", "--help"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("stdout", ["closed", "/dev/full"])
def test_every_command_with_stdout_closed_or_full_is_exit_2(
    tmp_path: Path, command: str, stdout: str
) -> None:
    line = [sys.executable, "-m", "tiangong_orbit", *COMMANDS[command]]
    if command == "passes":
        line += ["--tle", str(LATEST)]
    options: dict = {"stderr": subprocess.PIPE, "text": True, "env": environment(tmp_path)}
    if stdout == "closed":
        result = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *line], timeout=60, **options)
    else:
        with open("/dev/full", "w") as full:
            result = subprocess.run(line, stdout=full, timeout=60, **options)
    check(result, 2)
    (error,) = result.stderr.splitlines()
    assert error.startswith("error: cannot write to standard output (")
    why = os.strerror(errno.EBADF if stdout == "closed" else errno.ENOSPC)
    assert why in error or "closed" in error


# --------------------------------------------------------------------------------------------
# Secrets and checks of the URLs


@pytest.mark.parametrize("where", ["option", "config"])
def test_a_password_in_a_refused_url_is_never_printed(tmp_path: Path, where: str) -> None:
    url = "json://user:S3cretPW@127.0.0.1:notaport/x"
    if where == "option":
        result = run(tmp_path, "--notify", url)
    else:
        config = tmp_path / "alert.toml"
        config.write_text(f'notify = ["{url}"]\n')
        result = run(tmp_path, "--config", str(config))
        check(result, 2)
        config.write_text(f'notify = [1, "{url}"]\n')  # the wrong type: quoted back, masked
        typed = run(tmp_path, "--config", str(config))
        check(typed, 2)
        assert "S3cretPW" not in typed.stderr and "notify" in typed.stderr
    check(result, 2)
    assert "S3cretPW" not in result.stderr + result.stdout
    assert "json://user:****@127.0.0.1" in result.stderr


def test_an_ntfy_url_without_a_topic_is_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "--notify", "ntfy://ntfy.sh")
    check(result, 2)
    assert "no topic" in result.stderr


def test_a_state_damaged_inside_a_page_gives_one_warning_line(tmp_path: Path) -> None:
    """SQLite's integrity check answers in several lines ("*** in database main ***", one line
    per bad cell): the warning that the state was moved aside stays one line."""
    from test_alerts import make_alert, open_state

    path = tmp_path / "alerts.sqlite3"
    with open_state(path) as state, state.transaction() as connection:
        alert = make_alert(PASS_NOW)
        connection.executemany(
            "INSERT INTO alerts (norad_id, place_key, target_key, pass_bucket, pass_time_unix, "
            "visible_start_unix, state, owner, claimed_unix, updated_unix, target_label, title, "
            "body) VALUES (48274, ?, 'stdout', 0, 0, 0, 'sent', 'x', 0, 0, 'stdout', ?, ?)",
            [(f"place {i}", alert.title, alert.body) for i in range(300)],
        )
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[5 * page + 100 : 5 * page + 400] = b"A" * 300  # scribble over a table page
    path.write_bytes(bytes(data))
    result = run(tmp_path, "--quiet")
    check(result)
    (warning,) = result.stderr.splitlines()
    assert "moved aside" in warning and "quick_check" in warning
    assert result.stdout.startswith("Tiangong visible from Lahore")
